import {EngineError} from "./EngineError.js";

/** No model was named and a shipped default model (RecurFormer or dense) is not on disk. */
export class DefaultModelMissingError extends EngineError {
    /** the first place it was looked for */
    public readonly path: string;
    /** every place it was looked for (one per model folder) */
    public readonly searched: string[];
    public readonly kind: "recurformer" | "dense";

    public constructor(searched: string | string[], kind: "recurformer" | "dense" = "recurformer") {
        const paths = typeof searched === "string" ? [searched] : searched;
        super(
            `No model was given and the default ${kind === "dense" ? "dense" : "RecurFormer"} model is missing ` +
            `(${paths.join(", ")}). ` +
            "Pass one (--model FILE.gguf; for bench, --models A.gguf,B.gguf), or train and export the default pair " +
            "(engine/pipeline) into assets/models/ (or a folder named in RECURFORMER_MODELS_DIR)."
        );
        this.path = paths[0]!;
        this.searched = paths;
        this.kind = kind;
    }
}
