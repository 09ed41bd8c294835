import path from "node:path";
import {EngineError} from "./EngineError.js";

/** llama.cpp refused the model or its context; `reason` is the cause llama.cpp logged (node-llama-cpp only says "Failed to load model"). */
export class ModelLoadError extends EngineError {
    public readonly path: string;
    /** llama.cpp's reason, e.g. "missing tensor 'blk.0.ffn_norm.weight'" */
    public readonly reason: string;
    /** the last llama.cpp log lines before the failure */
    public readonly logTail: string[];

    public constructor(filePath: string, reason: string, logTail: string[], advice?: string) {
        super(
            `llama.cpp could not load ${path.basename(filePath)}: ${reason}.` +
            (advice != null ? ` ${advice}` : "")
        );
        this.path = filePath;
        this.reason = reason;
        this.logTail = logTail;
    }
}
