import {EngineError} from "./EngineError.js";

/** A request was sent to an engine that was shut down (or is shutting down). */
export class EngineStoppedError extends EngineError {
    public constructor(requestType: string) {
        super(`The engine was shut down, so '${requestType}' cannot run. Start a new engine.`);
    }
}
