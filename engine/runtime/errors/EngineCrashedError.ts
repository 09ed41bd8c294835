import {EngineError} from "./EngineError.js";

/** The engine process died (llama.cpp aborted, it was killed, or it ran out of memory); the parent is fine and can start a new engine. */
export class EngineCrashedError extends EngineError {
    public readonly exitCode: number | null;
    public readonly signal: string | null;
    /** the last lines the engine (and llama.cpp) wrote before it died */
    public readonly logTail: string[];

    public constructor(exitCode: number | null, signal: string | null, logTail: string[], during?: string) {
        const how = signal != null ? `was killed by ${signal}` : `exited with code ${exitCode}`;
        const tail = logTail.length > 0 ? `\nLast engine log lines:\n  ${logTail.join("\n  ")}` : "";
        super(
            `The engine process ${how}${during != null ? ` during ${during}` : ""}. ` +
            "Loaded models are gone; start a new engine and load them again." + tail
        );
        this.exitCode = exitCode;
        this.signal = signal;
        this.logTail = logTail;
    }
}
