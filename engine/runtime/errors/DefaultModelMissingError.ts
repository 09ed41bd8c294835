import {EngineError} from "./EngineError.js";

/** No model was named and the shipped default model is not on disk. */
export class DefaultModelMissingError extends EngineError {
    public readonly path: string;

    public constructor(defaultPath: string) {
        super(
            `No model was given and the default RecurFormer model is missing (${defaultPath}). ` +
            "Pass one with --model FILE.gguf, or train and export the default pair (engine/pipeline) into assets/models/."
        );
        this.path = defaultPath;
    }
}
