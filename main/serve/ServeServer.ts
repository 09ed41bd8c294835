/**
 * Serve mode: the same renderer and the same API as the desktop app, for a browser.
 *
 * - Listens on 127.0.0.1 only, on a random port unless told otherwise.
 * - A random access token is in the printed URL. A request is served only if it carries the
 *   token (`?token=`) or the HttpOnly, SameSite=Strict cookie set when the token was shown;
 *   anything else gets 401. The Host header must name the loopback address (no DNS rebinding),
 *   and a WebSocket's Origin must be this server.
 * - `/ws` speaks the API: `{id, method, params}` in, `{id, result}` or `{id, error}` out, and
 *   `{event}` pushed for every app event.
 * - `POST /upload?name=` streams a document into the user data folder (size-limited), for
 *   `documents.ingest({kind: "upload"})`.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import type { AppEvent } from "../../api/appApi.js";
import { isApiMethod } from "../../api/validate.js";
import { tooLargeMessage } from "../../api/limits.js";
import type { AppCore } from "../core/AppCore.js";
import { newId } from "../core/ChatStore.js";

export interface ServeOptions {
    core: AppCore;
    rendererDir: string;
    uploadDir: string;
    port?: number;
    /** fixed token (tests); random otherwise */
    token?: string;
}

const MIME: Record<string, string> = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".json": "application/json",
    ".map": "application/json",
};

const COOKIE = "rf_token";

export class ServeServer {
    readonly token: string;
    private readonly server: http.Server;
    private readonly wss: WebSocketServer;
    private port = 0;
    private readonly sockets = new Set<WebSocket>();
    private readonly onCoreEvent = (event: AppEvent) => this.broadcast(event);

    constructor(private readonly options: ServeOptions) {
        this.token = options.token ?? crypto.randomBytes(24).toString("base64url");
        this.server = http.createServer((req, res) => void this.handle(req, res).catch((error) => {
            if (!res.headersSent) this.reply(res, 500, "text/plain", `Internal error: ${(error as Error).message}`);
            else res.destroy();
        }));
        this.wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
        this.server.on("upgrade", (req, socket, head) => {
            const url = new URL(req.url ?? "/", "http://127.0.0.1");
            const origin = req.headers.origin;
            if (url.pathname !== "/ws" || !this.hostOk(req) || !this.authorized(req, url) || (origin && origin !== this.origin())) {
                socket.write("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
                socket.destroy();
                return;
            }
            this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws));
        });
        options.core.on("event", this.onCoreEvent);
    }

    async listen(): Promise<string> {
        await new Promise<void>((resolve, reject) => {
            this.server.once("error", reject);
            this.server.listen(this.options.port ?? 0, "127.0.0.1", () => resolve());
        });
        this.port = (this.server.address() as AddressInfo).port;
        return this.url();
    }

    url(): string {
        return `${this.origin()}/?token=${this.token}`;
    }

    origin(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    async close(): Promise<void> {
        this.options.core.off("event", this.onCoreEvent);
        for (const ws of this.sockets) ws.terminate();
        this.wss.close();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    private hostOk(req: http.IncomingMessage): boolean {
        const host = req.headers.host ?? "";
        return host === `127.0.0.1:${this.port}` || host === `localhost:${this.port}`;
    }

    private authorized(req: http.IncomingMessage, url: URL): boolean {
        const given = url.searchParams.get("token") ?? parseCookies(req.headers.cookie)[COOKIE];
        if (!given) return false;
        const a = Buffer.from(given);
        const b = Buffer.from(this.token);
        return a.length === b.length && crypto.timingSafeEqual(a, b);
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        if (!this.hostOk(req)) return this.reply(res, 403, "text/plain", "Forbidden: this server answers only to 127.0.0.1.");
        if (!this.authorized(req, url)) {
            return this.reply(res, 401, "text/plain; charset=utf-8",
                "401 — this RecurFormer Desktop server needs its access token. Open the full URL printed in the terminal that ran `npm run serve`.");
        }
        if (url.searchParams.has("token")) {
            // remember the token in a cookie that scripts cannot read, and drop it from the address bar
            res.setHeader("Set-Cookie", `${COOKIE}=${this.token}; HttpOnly; SameSite=Strict; Path=/`);
            if (req.method === "GET" && url.pathname === "/") {
                res.writeHead(303, { Location: "/" });
                res.end();
                return;
            }
        }
        if (req.method === "POST" && url.pathname === "/upload") return this.upload(req, res, url);
        if (req.method !== "GET" && req.method !== "HEAD") return this.reply(res, 405, "text/plain", "Method not allowed");
        return this.serveStatic(res, url.pathname);
    }

    private async serveStatic(res: http.ServerResponse, pathname: string): Promise<void> {
        const root = path.resolve(this.options.rendererDir);
        const rel = decodeURIComponent(pathname === "/" ? "/index.html" : pathname);
        const file = path.resolve(root, `.${rel}`);
        if (!file.startsWith(root + path.sep)) return this.reply(res, 404, "text/plain", "Not found");
        let data: Buffer;
        try {
            data = await fsp.readFile(file);
        } catch {
            if (rel === "/index.html") return this.reply(res, 500, "text/plain", `The renderer is not built (${file} is missing). Run \`npm run build\`.`);
            return this.reply(res, 404, "text/plain", "Not found");
        }
        res.writeHead(200, {
            "Content-Type": MIME[path.extname(file)] ?? "application/octet-stream",
            "Content-Security-Policy": this.csp(),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Cache-Control": "no-store",
        });
        res.end(data);
    }

    private csp(): string {
        return [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            `connect-src 'self' ws://127.0.0.1:${this.port} ws://localhost:${this.port}`,
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ].join("; ");
    }

    private async upload(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
        const name = (url.searchParams.get("name") ?? "document.txt").slice(0, 300);
        const max = this.options.core.documents.maxBytes;
        const declared = Number(req.headers["content-length"]);
        if (Number.isFinite(declared) && declared > max) {
            req.resume();
            return this.reply(res, 413, "application/json", JSON.stringify({ error: { name: "DocumentTooLargeError", message: tooLargeMessage(name, declared, max) } }));
        }
        await fsp.mkdir(this.options.uploadDir, { recursive: true });
        const uploadId = newId("doc");
        const file = path.join(this.options.uploadDir, uploadId);
        const out = fs.createWriteStream(file, { mode: 0o600 });
        let bytes = 0;
        let tooLarge = false;
        await new Promise<void>((resolve, reject) => {
            req.on("data", (chunk: Buffer) => {
                bytes += chunk.length;
                if (bytes > max) {
                    tooLarge = true;
                    req.unpipe(out);
                    out.destroy();
                    req.resume();
                    resolve();
                }
            });
            req.pipe(out);
            out.on("finish", () => resolve());
            out.on("error", reject);
            req.on("error", reject);
        });
        if (tooLarge) {
            await fsp.rm(file, { force: true });
            return this.reply(res, 413, "application/json", JSON.stringify({ error: { name: "DocumentTooLargeError", message: tooLargeMessage(name, bytes, max) } }));
        }
        this.options.core.registerUpload(uploadId, file, name);
        this.reply(res, 200, "application/json", JSON.stringify({ uploadId, bytes }));
    }

    private attach(ws: WebSocket): void {
        this.sockets.add(ws);
        ws.on("close", () => this.sockets.delete(ws));
        ws.on("message", (data) => void this.onMessage(ws, data.toString()));
    }

    private async onMessage(ws: WebSocket, raw: string): Promise<void> {
        let message: { id?: unknown; method?: unknown; params?: unknown };
        try { message = JSON.parse(raw); } catch { return ws.close(1003, "not JSON"); }
        const id = typeof message.id === "number" ? message.id : -1;
        if (!isApiMethod(message.method)) {
            ws.send(JSON.stringify({ id, error: { name: "InvalidRequestError", message: `unknown method ${String(message.method)}` } }));
            return;
        }
        try {
            const result = await this.options.core.call(message.method, message.params);
            if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, result: result ?? null }));
        } catch (error) {
            const e = error as Error;
            if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, error: { name: e.name ?? "Error", message: e.message } }));
        }
    }

    private broadcast(event: AppEvent): void {
        const text = JSON.stringify({ event });
        for (const ws of this.sockets) if (ws.readyState === ws.OPEN) ws.send(text);
    }

    private reply(res: http.ServerResponse, status: number, type: string, body: string): void {
        res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
        res.end(body);
    }
}

function parseCookies(header: string | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    for (const part of (header ?? "").split(";")) {
        const i = part.indexOf("=");
        if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
    }
    return out;
}
