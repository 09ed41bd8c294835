import {EngineError} from "./EngineError.js";

/** The engine did not answer a request in time; the client killed it so nothing hangs. */
export class EngineTimeoutError extends EngineError {
    public readonly requestType: string;
    public readonly timeoutMs: number;

    public constructor(requestType: string, timeoutMs: number) {
        super(
            `The engine did not answer '${requestType}' within ${Math.round(timeoutMs / 1000)} s, so it was stopped. ` +
            "Start a new engine; if this repeats, the model file may be too large for this machine."
        );
        this.requestType = requestType;
        this.timeoutMs = timeoutMs;
    }
}
