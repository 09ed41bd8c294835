import WebSocket from "ws";
import type {Request} from "../protocol.js";
import type {EngineTransport, TransportFailure} from "./EngineTransport.js";
import {TransportEvents} from "./TransportEvents.js";
import {decodeFrame, encodeFrame, type HostFrame} from "../remote/frames.js";

/**
 * An engine process on another machine, run by `recurformer engine --listen` (`remote/EngineHost.ts`),
 * reached over a WebSocket: the same messages as a local engine's IPC channel. A lost connection is
 * an engine that ended (the client's `EngineCrashedError`, with the reason in the log tail), so a
 * supervisor restarts it as it would a local one: a new connection, a new engine process. A host
 * that cannot be reached, or refuses the connection (its reason, from the response body), is an
 * exit with a `TransportFailure`: the client's `EngineUnreachableError`, in words with the URL.
 */
export class WebSocketTransport extends TransportEvents implements EngineTransport {
    private readonly socket: WebSocket;
    private readonly waiting: Buffer[] = [];
    private remotePid?: number;
    private opened = false;
    /** why no engine ran: the host's refusal or the network's error (the first one told) */
    private failure?: TransportFailure;

    /** `url`: ws://HOST:PORT/engine (wss:// behind TLS); `token`: the one the host was started with. */
    public constructor(url: string, token: string) {
        super();
        this.socket = new WebSocket(url, {headers: {authorization: `Bearer ${token}`}, maxPayload: 256 * 1024 * 1024});
        this.socket.on("open", () => {
            this.opened = true;
            for (const frame of this.waiting.splice(0))
                this.socket.send(frame);
        });
        this.socket.on("message", (data: Buffer) => this.onFrame(decodeFrame<HostFrame>(data)));
        this.socket.on("unexpected-response", (_req, res) => {
            // the host says why in the body (EngineHost: a wrong token, no engine at that path)
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => body = (body + chunk).slice(0, 500));
            res.on("end", () => {
                const why = body.trim() || (res.statusCode === 401 ? "the token was not accepted" : res.statusMessage ?? "");
                this.fail(`The remote engine at ${url} refused the connection (HTTP ${res.statusCode}): ${why}`, true);
                this.socket.terminate();
            });
        });
        this.socket.on("error", (error) => {
            if (!this.opened)
                this.fail(`Could not reach the remote engine at ${url}: ${error.message}`, false);
            else
                this.output(`remote engine ${url}: ${error.message}`);
        });
        this.socket.on("close", (code) => {
            if (!this.exited && this.failure == null)
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
            this.tellMessage(frame.m);
        } else if (frame.t === "o") {
            this.tellOutput(frame.d);
        } else {
            this.exit(frame.code, frame.signal);
            this.socket.close();
        }
    }

    /** a line of this transport's own, into the engine's log (so a crash report carries it) */
    private output(line: string): void {
        this.tellOutput(`\n${line}\n`);
    }

    private fail(reason: string, refused: boolean): void {
        if (this.failure != null)
            return;
        this.failure = {reason, refused};
        this.output(reason);
    }

    private exit(code: number | null, signal: string | null): void {
        this.tellExit(code, signal, this.failure);
    }
}
