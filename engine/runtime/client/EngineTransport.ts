import type {Reply, Request} from "../protocol.js";

/**
 * The parent's side of a started engine process. `ForkTransport` (child_process.fork) is the
 * default; `UtilityProcessTransport` does the same over Electron's utilityProcess.
 */
export interface EngineTransport {
    /** the engine's process id, once known */
    readonly pid: number | undefined;
    send(message: Request): void;
    onMessage(listener: (message: Reply) => void): void;
    /** text the engine writes to stdout/stderr (llama.cpp's log, aborts, stack traces) */
    onOutput(listener: (chunk: string) => void): void;
    /** the process ended; signal is null when the platform does not say */
    onExit(listener: (code: number | null, signal: string | null) => void): void;
    /** ends the process at once (SIGKILL) */
    kill(): void;
}

/** Starts an engine process. */
export type EngineTransportFactory = () => EngineTransport;
