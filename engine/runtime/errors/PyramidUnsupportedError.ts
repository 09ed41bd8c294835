import path from "node:path";
import {EngineError} from "./EngineError.js";

/** PyramidInfer KV retention asked for a model or context the engine cannot run it on (engine/llama/PYRAMID.md). */
export class PyramidUnsupportedError extends EngineError {
    public readonly path: string;
    public readonly reason: string;

    public constructor(filePath: string, reason: string) {
        super(`PyramidInfer cannot run ${path.basename(filePath)}: ${reason}.`);
        this.path = filePath;
        this.reason = reason;
    }
}
