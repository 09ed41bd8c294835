/**
 * Serve mode: the same renderer and the same API as the desktop app, for a browser.
 *
 * - Listens on 127.0.0.1 only, on a random port unless told otherwise; `127.0.0.1:PORT` and
 *   `localhost:PORT` both work (any other Host header is refused: no DNS rebinding).
 * - A random access token is in the printed URL. A request is served only if it carries the
 *   token (`?token=`) or the cookie set when the token was shown. The app lives under a random
 *   path (`/<scope>/`) and the cookie (`rf_token_<port>`, HttpOnly, SameSite=Strict) is scoped to
 *   that path: cookies ignore ports, so a cookie for `/` would be sent to every server on 127.0.0.1.
 * - A request that a browser made (it sends Origin or Sec-Fetch-* headers) must come from this
 *   server's own origin to open the WebSocket or to upload.
 * - `ws` speaks the API: `{id, method, params}` in, `{id, result}` or `{id, error}` out, and
 *   `{event}` pushed for every app event. Every socket has an error listener; a malformed message
 *   gets an error reply (wsMessage.ts), an oversized frame a clean close (1009): no client can
 *   take the process down.
 * - `POST upload?name=` streams a document into `<userData>/uploads` (uploads.ts).
 */
import crypto from "node:crypto";
import fsp from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import type { AppEvent } from "../../api/appApi.js";
import { toApiError } from "../../api/apiError.js";
import type { AppCore } from "../core/AppCore.js";
import { UploadAbortedError, UploadFolder, UploadTooLargeError } from "./uploads.js";
import { parseMessage } from "./wsMessage.js";

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

/** largest WebSocket message (a 4M-character chat message in UTF-8 fits) */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** calls one socket may have running at once */
export const MAX_IN_FLIGHT = 64;

export class ServeServer {
    readonly token: string;
    /** the random path the app lives under, and its cookie with it */
    readonly scope = `app-${crypto.randomBytes(9).toString("base64url")}`;
    private readonly server: http.Server;
    private readonly wss: WebSocketServer;
    private readonly uploads: UploadFolder;
    private port = 0;
    private readonly sockets = new Set<WebSocket>();
    private readonly onCoreEvent = (event: AppEvent) => this.broadcast(event);

    constructor(private readonly options: ServeOptions) {
        this.token = options.token ?? crypto.randomBytes(24).toString("base64url");
        const core = options.core;
        this.uploads = new UploadFolder(options.uploadDir, () => core.documents.maxBytes, {
            register: (id, file, name) => core.registerUpload(id, file, name),
            forget: (id) => core.forgetUpload(id),
        });
        this.server = http.createServer((req, res) => void this.handle(req, res).catch((error) => {
            if (!res.headersSent) this.reply(res, 500, "text/plain", `Internal error: ${(error as Error).message}`);
            else res.destroy();
        }));
        this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
        this.server.on("upgrade", (req, socket, head) => {
            socket.on("error", () => socket.destroy());
            const url = new URL(req.url ?? "/", "http://127.0.0.1");
            if (this.route(url.pathname) !== "/ws" || !this.hostOk(req) || !this.authorized(req, url) || !this.originOk(req)) {
                socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
                return;
            }
            this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws));
        });
        core.on("event", this.onCoreEvent);
    }

    async listen(): Promise<string> {
        await this.uploads.clearLeftovers();
        await new Promise<void>((resolve, reject) => {
            this.server.once("error", reject);
            this.server.listen(this.options.port ?? 0, "127.0.0.1", () => resolve());
        });
        this.port = (this.server.address() as AddressInfo).port;
        return this.url();
    }

    url(): string {
        return `http://127.0.0.1:${this.port}/?token=${this.token}`;
    }

    /** the origins a browser page of this server has */
    origins(): string[] {
        return [`http://127.0.0.1:${this.port}`, `http://localhost:${this.port}`];
    }

    cookieName(): string {
        return `rf_token_${this.port}`;
    }

    async close(): Promise<void> {
        this.options.core.off("event", this.onCoreEvent);
        for (const ws of this.sockets) ws.terminate();
        this.wss.close();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
        await this.uploads.close();
    }

    /** The path inside the app: `/<scope>/x` -> `/x`; paths outside the scope are taken as they are. */
    private route(pathname: string): string {
        const prefix = `/${this.scope}`;
        return pathname === prefix || pathname.startsWith(`${prefix}/`) ? pathname.slice(prefix.length) || "/" : pathname;
    }

    private hostOk(req: http.IncomingMessage): boolean {
        const host = req.headers.host ?? "";
        return host === `127.0.0.1:${this.port}` || host === `localhost:${this.port}`;
    }

    /** A browser says where a request comes from (Origin, Sec-Fetch-*): it must be this server. Other clients carry the token. */
    private originOk(req: http.IncomingMessage): boolean {
        const origin = req.headers.origin;
        if (origin !== undefined) return this.origins().includes(origin);
        return req.headers["sec-fetch-site"] === undefined && req.headers["sec-fetch-mode"] === undefined;
    }

    private authorized(req: http.IncomingMessage, url: URL): boolean {
        const given = url.searchParams.get("token") ?? parseCookies(req.headers.cookie)[this.cookieName()];
        if (!given) return false;
        const a = Buffer.from(given);
        const b = Buffer.from(this.token);
        return a.length === b.length && crypto.timingSafeEqual(a, b);
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        if (!this.hostOk(req)) return this.reply(res, 403, "text/plain", "Forbidden: this server answers only to 127.0.0.1 and localhost.");
        if (!this.authorized(req, url)) {
            return this.reply(res, 401, "text/plain; charset=utf-8",
                "401 — this RecurFormer Desktop server needs its access token. Open the full URL printed in the terminal that ran `npm run serve`.");
        }
        const inner = this.route(url.pathname);
        if (url.searchParams.has("token")) {
            // remember the token in a cookie that scripts cannot read, for the app's path only, and drop it from the address bar
            res.setHeader("Set-Cookie", `${this.cookieName()}=${this.token}; HttpOnly; SameSite=Strict; Path=/${this.scope}/`);
        }
        if (req.method === "GET" && (url.pathname === `/${this.scope}` || (url.searchParams.has("token") && inner === "/"))) {
            res.writeHead(303, { Location: `/${this.scope}/` });
            res.end();
            return;
        }
        if (req.method === "POST" && inner === "/upload") return this.upload(req, res, url);
        if (req.method !== "GET" && req.method !== "HEAD") return this.reply(res, 405, "text/plain", "Method not allowed");
        return this.serveStatic(res, inner);
    }

    private async serveStatic(res: http.ServerResponse, pathname: string): Promise<void> {
        const root = path.resolve(this.options.rendererDir);
        let rel: string;
        try { rel = decodeURIComponent(pathname === "/" ? "/index.html" : pathname); } catch { return this.reply(res, 400, "text/plain", "Bad path"); }
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
        const error = (status: number, e: Error) => this.reply(res, status, "application/json", JSON.stringify({ error: { name: e.name, message: e.message } }));
        if (!this.originOk(req)) {
            req.resume();
            return error(403, Object.assign(new Error("Uploads are taken only from this app's own page."), { name: "ForbiddenOriginError" }));
        }
        try {
            this.reply(res, 200, "application/json", JSON.stringify(await this.uploads.receive(req, name)));
        } catch (e) {
            if (e instanceof UploadTooLargeError) return error(413, e);
            if (e instanceof UploadAbortedError) return void res.destroy();
            throw e;
        }
    }

    private attach(ws: WebSocket): void {
        this.sockets.add(ws);
        let inFlight = 0;
        // ws closes the socket itself after a protocol error (1002, 1007, 1009): nothing else to do but not crash
        ws.on("error", () => undefined);
        ws.on("close", () => this.sockets.delete(ws));
        ws.on("message", (data: RawData, isBinary: boolean) => {
            const message = parseMessage(data, isBinary);
            if (!message.ok) return this.send(ws, { id: message.id, error: message.error });
            if (inFlight >= MAX_IN_FLIGHT) {
                return this.send(ws, { id: message.id, error: { name: "TooManyRequestsError", message: `At most ${MAX_IN_FLIGHT} calls may run at once on one connection.` } });
            }
            inFlight++;
            void this.options.core.call(message.method, message.params).then(
                (result) => this.send(ws, { id: message.id, result: result ?? null }),
                (error: unknown) => this.send(ws, { id: message.id, error: toApiError(error) }),
            ).finally(() => { inFlight--; });
        });
    }

    /** Sends one reply or event; a socket that went away or a value that cannot be sent never throws. */
    private send(ws: WebSocket, value: unknown): void {
        if (ws.readyState !== ws.OPEN) return;
        let text: string;
        try {
            text = JSON.stringify(value);
        } catch (error) {
            const id = (value as { id?: unknown }).id ?? null;
            text = JSON.stringify({ id, error: { name: "InternalError", message: `The reply could not be encoded: ${(error as Error).message}` } });
        }
        ws.send(text, () => undefined);
    }

    private broadcast(event: AppEvent): void {
        const text = JSON.stringify({ event });
        for (const ws of this.sockets) if (ws.readyState === ws.OPEN) ws.send(text, () => undefined);
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
