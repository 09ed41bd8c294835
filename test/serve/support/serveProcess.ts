/**
 * Serve mode as a user runs it (`npm run serve` = dist/main/serve/serve.js), as a real process on a
 * user-data folder the test chooses, with an empty model folder (no model loads: these tests are
 * about the server, not answers), and small clients: the API over a WebSocket, plain HTTP, and a
 * raw socket that can send frames no well-behaved WebSocket library sends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const serveScript = path.join(root, "dist", "main", "serve", "serve.js");

export function assertBuilt(): void {
    if (!fs.existsSync(serveScript)) throw new Error(`${path.relative(root, serveScript)} is missing: run \`npm run build\` first.`);
}

export interface ServeProcess {
    child: ChildProcess;
    userData: string;
    log(): string;
    /** resolves with the printed URL, rejects if the process exits first */
    ready: Promise<{ url: string; origin: string; port: number; token: string }>;
    exited: Promise<number | null>;
    alive(): boolean;
    stop(): Promise<void>;
}

export function emptyModelsDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "rf-serve-nomodels-"));
}

export function spawnServe(userData: string, env: Record<string, string> = {}): ServeProcess {
    assertBuilt();
    const child = spawn(process.execPath, [serveScript], {
        cwd: root,
        env: { ...process.env, RECURFORMER_USER_DATA: userData, RECURFORMER_MODELS_DIR: env.RECURFORMER_MODELS_DIR ?? emptyModelsDir(), ...env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stdout!.on("data", (d) => { log += d; });
    child.stderr!.on("data", (d) => { log += d; });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const ready = new Promise<{ url: string; origin: string; port: number; token: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not print its URL in 30 s:\n${log}`)), 30_000);
        const check = () => {
            const match = /open:\s+(http:\/\/127\.0\.0\.1:(\d+)\/\?token=([\w-]+))/.exec(log);
            if (!match) return;
            clearTimeout(timer);
            resolve({ url: match[1]!, origin: `http://127.0.0.1:${match[2]}`, port: Number(match[2]), token: match[3]! });
        };
        child.stdout!.on("data", check);
        void exited.then((code) => { clearTimeout(timer); reject(new Error(`serve exited (${code}) before it was ready:\n${log}`)); });
    });
    ready.catch(() => undefined);
    return {
        child,
        userData,
        log: () => log,
        ready,
        exited,
        alive: () => child.exitCode === null && child.signalCode === null,
        async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return;
            child.kill("SIGTERM");
            const timer = setTimeout(() => child.kill("SIGKILL"), 8000);
            await exited;
            clearTimeout(timer);
        },
    };
}

export interface Reply { id?: number | null; result?: unknown; error?: { name: string; message: string } }

/** The API over the WebSocket, as the page speaks it (token in the URL, this server's Origin). */
export async function apiSocket(origin: string, token: string, headers: Record<string, string> = { origin }): Promise<WebSocket> {
    const ws = new WebSocket(`${origin.replace("http", "ws")}/ws?token=${token}`, { headers });
    await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
        ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    ws.on("error", () => undefined);
    return ws;
}

/** The next reply (not an event) on `ws`, or how the socket closed. */
export function nextReply(ws: WebSocket, timeoutMs = 5000): Promise<{ reply?: Reply; closed?: number }> {
    return new Promise((resolve) => {
        const timer = setTimeout(() => { cleanup(); resolve({}); }, timeoutMs);
        const onMessage = (data: WebSocket.RawData) => {
            const message = JSON.parse(String(data));
            if (message.event) return;
            cleanup();
            resolve({ reply: message });
        };
        const onClose = (code: number) => { cleanup(); resolve({ closed: code }); };
        const cleanup = () => { clearTimeout(timer); ws.off("message", onMessage); ws.off("close", onClose); };
        ws.on("message", onMessage);
        ws.on("close", onClose);
    });
}

export async function call<T = unknown>(ws: WebSocket, id: number, method: string, params?: unknown): Promise<T> {
    const waiting = nextReply(ws);
    ws.send(JSON.stringify({ id, method, params }));
    const { reply } = await waiting;
    if (!reply) throw new Error(`no reply to ${method}`);
    if (reply.error) throw Object.assign(new Error(reply.error.message), { name: reply.error.name });
    return reply.result as T;
}

export function request(port: number, opts: { path: string; method?: string; headers?: Record<string, string>; body?: Buffer }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, path: opts.path, method: opts.method ?? "GET", headers: opts.headers }, (res) => {
            let body = "";
            res.on("data", (d) => { body += d; });
            res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        });
        req.on("error", reject);
        if (opts.body) req.write(opts.body);
        req.end();
    });
}

/**
 * A raw WebSocket connection: the handshake by hand, then any bytes. Resolves with the close code
 * the server sent (or 1006 when it only dropped the connection).
 */
export async function rawFrames(port: number, token: string, frames: Buffer[], timeoutMs = 5000): Promise<number> {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => undefined);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const key = crypto.randomBytes(16).toString("base64");
    socket.write(`GET /ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:${port}\r\n\r\n`);
    let buffer = Buffer.alloc(0);
    return new Promise<number>((resolve) => {
        let upgraded = false;
        const timer = setTimeout(() => { socket.destroy(); resolve(-1); }, timeoutMs);
        const done = (code: number) => { clearTimeout(timer); socket.destroy(); resolve(code); };
        socket.on("data", (chunk: Buffer) => {
            buffer = Buffer.concat([buffer, chunk]);
            if (!upgraded) {
                const end = buffer.indexOf("\r\n\r\n");
                if (end < 0) return;
                if (!buffer.subarray(0, end).toString().startsWith("HTTP/1.1 101")) return done(-2);
                upgraded = true;
                buffer = buffer.subarray(end + 4);
                for (const frame of frames) socket.write(frame);
            }
            // a close frame from the server: opcode 8, unmasked, code in the first two payload bytes
            if (buffer.length >= 4 && (buffer[0]! & 0x0f) === 8) done(buffer.readUInt16BE(2));
        });
        socket.on("close", () => done(1006));
    });
}

/** One client frame: FIN + opcode, masked (unless told not to), with the given payload. */
export function frame(opcode: number, payload: Buffer, opts: { masked?: boolean; rsv1?: boolean; fin?: boolean } = {}): Buffer {
    const masked = opts.masked ?? true;
    const head: number[] = [((opts.fin ?? true) ? 0x80 : 0) | (opts.rsv1 ? 0x40 : 0) | opcode];
    const len = payload.length;
    if (len < 126) head.push((masked ? 0x80 : 0) | len);
    else if (len < 65536) head.push((masked ? 0x80 : 0) | 126, len >> 8, len & 0xff);
    else {
        head.push((masked ? 0x80 : 0) | 127);
        const big = Buffer.alloc(8);
        big.writeBigUInt64BE(BigInt(len));
        head.push(...big);
    }
    if (!masked) return Buffer.concat([Buffer.from(head), payload]);
    const mask = crypto.randomBytes(4);
    const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
    return Buffer.concat([Buffer.from(head), mask, body]);
}
