import type {Reply} from "../protocol.js";
import type {TransportFailure} from "./EngineTransport.js";

type ExitListener = (code: number | null, signal: string | null, failure?: TransportFailure) => void;

/**
 * The listener half of an EngineTransport for transports that are not a child process (a remote host, a
 * llama-server): they keep their own listeners and tell them. Nothing is told after the exit, and the exit once.
 */
export abstract class TransportEvents {
    private readonly messageListeners: ((message: Reply) => void)[] = [];
    private readonly outputListeners: ((chunk: string) => void)[] = [];
    private readonly exitListeners: ExitListener[] = [];
    private ended = false;

    public onMessage(listener: (message: Reply) => void): void {
        this.messageListeners.push(listener);
    }

    public onOutput(listener: (chunk: string) => void): void {
        this.outputListeners.push(listener);
    }

    public onExit(listener: ExitListener): void {
        this.exitListeners.push(listener);
    }

    protected get exited(): boolean {
        return this.ended;
    }

    protected tellMessage(message: Reply): void {
        if (this.ended)
            return;
        for (const listener of this.messageListeners)
            listener(message);
    }

    protected tellOutput(chunk: string): void {
        for (const listener of this.outputListeners)
            listener(chunk);
    }

    /** tells the exit once; false when it was told already */
    protected tellExit(code: number | null, signal: string | null, failure?: TransportFailure): boolean {
        if (this.ended)
            return false;
        this.ended = true;
        for (const listener of this.exitListeners)
            listener(code, signal, failure);
        return true;
    }
}
