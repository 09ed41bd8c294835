import {EngineError} from "./EngineError.js";

/** A request named a model id that is not loaded in this engine process. */
export class ModelNotLoadedError extends EngineError {
    public readonly modelId: string;
    public readonly loaded: string[];

    public constructor(modelId: string, loaded: string[]) {
        super(
            `No model '${modelId}' is loaded in the engine (loaded: ${loaded.length > 0 ? loaded.join(", ") : "none"}). ` +
            "Load it first; after an engine restart, models must be loaded again."
        );
        this.modelId = modelId;
        this.loaded = loaded;
    }
}
