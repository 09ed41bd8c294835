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
    /**
     * the process ended; signal is null when the platform does not say. `failure`: no process ran
     * because its host could not be reached or refused the connection (remote engines only), in words.
     */
    onExit(listener: (code: number | null, signal: string | null, failure?: TransportFailure) => void): void;
    /** ends the process at once (SIGKILL) */
    kill(): void;
}

/** Why a transport never got an engine process: the host's refusal or the network's error, in words. */
export interface TransportFailure {
    reason: string;
    /** the host answered and said no (a wrong token): trying again unchanged will not help */
    refused: boolean;
}

/** Starts an engine process. */
export type EngineTransportFactory = () => EngineTransport;
