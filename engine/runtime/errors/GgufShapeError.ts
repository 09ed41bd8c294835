import path from "node:path";
import {EngineError} from "./EngineError.js";

/** The GGUF metadata is readable but does not describe a model that can run: head arrays that disagree with the tensors, absurd sizes, missing keys. */
export class GgufShapeError extends EngineError {
    public readonly path: string;
    /** the layer at fault, when one is */
    public readonly layer?: number;
    /** the metadata key or tensor name at fault */
    public readonly field?: string;
    /** the reason alone, without the file name and advice */
    public readonly reason: string;

    public constructor(filePath: string, reason: string, {layer, field}: {layer?: number, field?: string} = {}) {
        super(
            `${path.basename(filePath)} cannot run: ${layer != null ? `layer ${layer}: ` : ""}${reason}. ` +
            "Export the model again (engine/pipeline) or use another file."
        );
        this.path = filePath;
        this.layer = layer;
        this.field = field;
        this.reason = reason;
    }
}
