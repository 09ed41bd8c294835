import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type {AddressInfo, Socket} from "node:net";
import {createHash, timingSafeEqual} from "node:crypto";
import {WebSocketServer, type RawData, type WebSocket} from "ws";
import type {EngineTransport, EngineTransportFactory} from "../client/EngineTransport.js";
import type {Request} from "../protocol.js";
import {decodeFrame, encodeFrame, type ClientFrame} from "./frames.js";

/** The path clients connect to. */
export const enginePath = "/engine";
/** How often a silent connection is asked whether it is still there. */
const pingIntervalMs = 30_000;

export interface EngineHostOptions {
    /** the token every connection must present (`Authorization: Bearer TOKEN`) */
    token: string;
    /** starts one engine process (default in the CLI: a ForkTransport of this build's engine) */
    startEngine: EngineTransportFactory;
    log: (line: string) => void;
    /** largest frame a client may send (default 256 MiB: a request carrying long documents) */
    maxFrameBytes?: number;
    /** this machine's model folders: a model path the client sends that is not on this machine is looked up here by file name */
    modelFolders?: string[];
}

/**
 * The engine, headless, for a parent on another machine (`recurformer engine --listen`): every
 * WebSocket connection that presents the token gets an engine process of its own, and the
 * connection carries exactly what a local parent's IPC channel would (`frames.ts`). The process
 * ends when its connection does; a client that reconnects gets a new one (and loads its models
 * again, as after any engine restart).
 */
export class EngineHost {
    private readonly options: EngineHostOptions;
    private readonly server: http.Server;
    private readonly sockets: WebSocketServer;
    private connections = 0;
    /** the engine processes of open connections */
    private readonly engines = new Set<EngineTransport>();

    public constructor(options: EngineHostOptions) {
        this.options = options;
        this.sockets = new WebSocketServer({noServer: true, maxPayload: options.maxFrameBytes ?? 256 * 1024 * 1024});
        this.server = http.createServer((_req, res) => {
            res.writeHead(426, {"content-type": "text/plain"});
            res.end(`RecurFormer engine: connect with a WebSocket to ${enginePath}\n`);
        });
        this.server.on("upgrade", (req, socket, head) => this.upgrade(req, socket as Socket, head));
    }

    public listen(port: number, host: string): Promise<AddressInfo> {
        return new Promise((resolve, reject) => {
            this.server.once("error", reject);
            this.server.listen(port, host, () => {
                this.server.off("error", reject);
                resolve(this.server.address() as AddressInfo);
            });
        });
    }

    /** Ends every connection and every engine process, and stops listening. */
    public close(): Promise<void> {
        for (const socket of this.sockets.clients)
            socket.terminate();
        for (const engine of this.engines)
            engine.kill();
        return new Promise((resolve) => {
            this.server.close(() => resolve());
            this.server.closeAllConnections();
        });
    }

    private upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
        // the reason travels in the body, for the client to show (WebSocketTransport)
        const refuse = (status: number, text: string, reason: string) => {
            this.options.log(`refused a connection from ${req.socket.remoteAddress}: ${reason}`);
            const body = Buffer.from(reason + "\n");
            socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        };
        const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
        if (pathname !== enginePath)
            return refuse(404, "Not Found", `no engine at ${pathname}; it is at ${enginePath}`);
        const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1]?.trim() ?? "";
        const digest = (text: string) => createHash("sha256").update(text).digest();
        if (given.length === 0)
            return refuse(401, "Unauthorized", "no token was sent; give the token the engine was started with (--token)");
        if (!timingSafeEqual(digest(given), digest(this.options.token)))
            return refuse(401, "Unauthorized", "wrong token: it is not the one the engine was started with (--token)");
        this.sockets.handleUpgrade(req, socket, head, (ws) => this.serve(ws, req.socket.remoteAddress ?? "?"));
    }

    /**
     * A request whose model path is not on this machine, with the file of that name from this
     * machine's model folders instead (the client's folders are its own: the same default pair
     * lives at another path here). Left as it is when no folder has it: the engine says what is missing.
     */
    private localPaths(request: Request, connection: number): Request {
        const local = (file: string): string => {
            if (fs.existsSync(file))
                return file;
            const found = (this.options.modelFolders ?? []).map((dir) => path.join(dir, path.basename(file))).find((candidate) => fs.existsSync(candidate));
            if (found == null)
                return file;
            this.options.log(`connection ${connection}: ${file} is not on this machine; using ${found}`);
            return found;
        };
        if (request.type === "load")
            return {...request, options: {...request.options, modelPath: local(request.options.modelPath)}};
        if (request.type === "inspect")
            return {...request, modelPath: local(request.modelPath), ...(request.densePath != null ? {densePath: local(request.densePath)} : {})};
        if (request.type === "bench")
            return {...request, options: {...request.options, modelPath: local(request.options.modelPath)}};
        return request;
    }

    private serve(ws: WebSocket, from: string): void {
        const number = ++this.connections;
        const engine = this.options.startEngine();
        this.engines.add(engine);
        let ended = false;
        this.options.log(`connection ${number} from ${from}: engine process ${engine.pid ?? "?"}`);
        const send = (frame: Parameters<typeof encodeFrame>[0]) => {
            if (ws.readyState === ws.OPEN)
                ws.send(encodeFrame(frame));
        };
        engine.onMessage((m) => send({t: "m", m}));
        engine.onOutput((d) => send({t: "o", d}));
        engine.onExit((code, signal) => {
            ended = true;
            this.engines.delete(engine);
            this.options.log(`connection ${number}: engine process ended (${signal ?? `code ${code}`})`);
            send({t: "x", code, signal});
            ws.close(1000, "engine ended");
        });
        ws.on("message", (data: RawData) => {
            const frame = decodeFrame<ClientFrame>(Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]));
            if (frame?.t === "r")
                engine.send(this.localPaths(frame.m, number));
            else if (frame?.t === "k")
                engine.kill();
        });
        // a client that vanished without closing is found by the pings it no longer answers
        let alive = true;
        ws.on("pong", () => alive = true);
        const ping = setInterval(() => {
            if (!alive)
                return ws.terminate();
            alive = false;
            ws.ping();
        }, pingIntervalMs);
        ws.on("close", () => {
            clearInterval(ping);
            if (!ended) {
                this.options.log(`connection ${number} closed: ending its engine process`);
                engine.kill();
            }
        });
    }
}
