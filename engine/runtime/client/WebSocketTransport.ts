import WebSocket from "ws";
import type {Reply, Request} from "../protocol.js";
import type {EngineTransport} from "./EngineTransport.js";
import {decodeFrame, encodeFrame, type HostFrame} from "../remote/frames.js";

/**
 * An engine process on another machine, run by `recurformer engine --listen` (`remote/EngineHost.ts`),
 * reached over a WebSocket: the same messages as a local engine's IPC channel. A lost connection is
 * an engine that ended (the client's `EngineCrashedError`, with the reason in the log tail), so a
 * supervisor restarts it as it would a local one: a new connection, a new engine process.
 */
export class WebSocketTransport implements EngineTransport {
    private readonly socket: WebSocket;
    private readonly waiting: Buffer[] = [];
    private readonly messageListeners: ((message: Reply) => void)[] = [];
    private readonly outputListeners: ((chunk: string) => void)[] = [];
    private readonly exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
    private remotePid?: number;
    private exited = false;

    /** `url`: ws://HOST:PORT/engine (wss:// behind TLS); `token`: the one the host was started with. */
    public constructor(url: string, token: string) {
        this.socket = new WebSocket(url, {headers: {authorization: `Bearer ${token}`}, maxPayload: 256 * 1024 * 1024});
        this.socket.on("open", () => {
            for (const frame of this.waiting.splice(0))
                this.socket.send(frame);
        });
        this.socket.on("message", (data: Buffer) => this.onFrame(decodeFrame<HostFrame>(data)));
        this.socket.on("unexpected-response", (_req, res) => {
            this.output(`the remote engine at ${url} refused the connection: HTTP ${res.statusCode}` +
                (res.statusCode === 401 ? " (wrong token)" : ""));
            this.socket.terminate();
        });
        this.socket.on("error", (error) => this.output(`remote engine ${url}: ${error.message}`));
        this.socket.on("close", (code) => {
            if (!this.exited)
                this.output(`lost the connection to the remote engine at ${url} (WebSocket close ${code})`);
            this.exit(null, null);
        });
    }

    /** the engine's process id on its own machine */
    public get pid(): number | undefined {
        return this.remotePid;
    }

    public send(message: Request): void {
        const frame = encodeFrame({t: "r", m: message});
        if (this.socket.readyState === WebSocket.OPEN)
            this.socket.send(frame);
        else if (this.socket.readyState === WebSocket.CONNECTING)
            this.waiting.push(frame);
    }

    public onMessage(listener: (message: Reply) => void): void {
        this.messageListeners.push(listener);
    }

    public onOutput(listener: (chunk: string) => void): void {
        this.outputListeners.push(listener);
    }

    public onExit(listener: (code: number | null, signal: string | null) => void): void {
        this.exitListeners.push(listener);
    }

    /** Ends the remote engine process at once, and the connection. */
    public kill(): void {
        if (this.socket.readyState === WebSocket.OPEN) {
            this.socket.send(encodeFrame({t: "k"}));
            // the host answers with the engine's exit and closes; a host that does not is cut off
            setTimeout(() => this.socket.terminate(), 2000).unref();
        } else {
            this.socket.terminate();
        }
    }

    private onFrame(frame: HostFrame | undefined): void {
        if (frame == null)
            return;
        if (frame.t === "m") {
            if (frame.m.type === "ready")
                this.remotePid = frame.m.pid;
            for (const listener of this.messageListeners)
                listener(frame.m);
        } else if (frame.t === "o") {
            for (const listener of this.outputListeners)
                listener(frame.d);
        } else {
            this.exit(frame.code, frame.signal);
            this.socket.close();
        }
    }

    /** a line of this transport's own, into the engine's log (so a crash report carries it) */
    private output(line: string): void {
        for (const listener of this.outputListeners)
            listener(`\n${line}\n`);
    }

    private exit(code: number | null, signal: string | null): void {
        if (this.exited)
            return;
        this.exited = true;
        for (const listener of this.exitListeners)
            listener(code, signal);
    }
}
