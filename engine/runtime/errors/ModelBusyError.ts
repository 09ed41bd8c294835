import {EngineError} from "./EngineError.js";

/** Every sequence of the model's context is generating; wait for one to finish, stop one, or load with more `sequences`. */
export class ModelBusyError extends EngineError {
    public readonly modelId: string;
    public readonly sequences: number;

    public constructor(modelId: string, sequences: number) {
        super(
            `Model '${modelId}' is busy: all ${sequences} of its sequences are generating. ` +
            "Stop a running generation, wait for it, or load the model with more `sequences`."
        );
        this.modelId = modelId;
        this.sequences = sequences;
    }
}
