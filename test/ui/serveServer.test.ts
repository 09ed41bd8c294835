/** Serve mode's guard: loopback only, token or its cookie required, Host and Origin checked, uploads size-limited. */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppCore } from "../../main/core/AppCore";
import { ServeServer } from "../../main/serve/ServeServer";
import { ForkTransport } from "../../engine/runtime/client/ForkTransport";

let dir: string;
let core: AppCore;
let server: ServeServer;
let port: number;

function request(opts: { path: string; method?: string; headers?: Record<string, string>; body?: Buffer }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
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

function ws(query: string, headers: Record<string, string> = {}): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`, { headers: { origin: `http://127.0.0.1:${port}`, ...headers } });
        socket.once("open", () => resolve(socket));
        socket.once("error", reject);
        socket.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
}

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-serve-"));
    fs.mkdirSync(path.join(dir, "renderer"));
    fs.writeFileSync(path.join(dir, "renderer", "index.html"), "<!doctype html><title>app</title>");
    core = new AppCore({ userDataDir: path.join(dir, "data"), modelDirs: [], engine: () => new ForkTransport(), engineHostKind: "child-process", transport: "browser", version: "t", maxDocumentBytes: 1000, autoload: false });
    await core.open();
    server = new ServeServer({ core, rendererDir: path.join(dir, "renderer"), uploadDir: path.join(dir, "uploads"), token: "secret-token-123" });
    const url = await server.listen();
    port = Number(new URL(url).port);
});

afterAll(async () => {
    await server.close();
    await core.close();
    fs.rmSync(dir, { recursive: true, force: true });
});

describe("serve mode guard", () => {
    it("prints a loopback URL that carries the token", () => {
        expect(server.url()).toBe(`http://127.0.0.1:${port}/?token=secret-token-123`);
    });

    it("refuses pages and files without the token", async () => {
        for (const p of ["/", "/index.html", "/assets/x.js", "/?token=wrong", "/?token="]) expect((await request({ path: p })).status).toBe(401);
    });

    it("with the token: sets an HttpOnly SameSite cookie, drops the token from the address bar, then serves with a strict CSP", async () => {
        const first = await request({ path: "/?token=secret-token-123" });
        expect(first.status).toBe(303);
        expect(first.headers.location).toBe("/");
        expect(first.headers["set-cookie"]![0]).toMatch(/^rf_token=secret-token-123; HttpOnly; SameSite=Strict; Path=\//);
        const page = await request({ path: "/", headers: { Cookie: "rf_token=secret-token-123" } });
        expect(page.status).toBe(200);
        expect(page.headers["content-security-policy"]).toMatch(/default-src 'self'; script-src 'self'/);
        expect(page.headers["content-security-policy"]).toMatch(/frame-ancestors 'none'/);
    });

    it("refuses a foreign Host header (DNS rebinding) even with the token", async () => {
        expect((await request({ path: "/?token=secret-token-123", headers: { Host: "attacker.example" } })).status).toBe(403);
    });

    it("does not serve files outside the renderer folder", async () => {
        expect((await request({ path: "/../../etc/passwd", headers: { Cookie: "rf_token=secret-token-123" } })).status).toBe(404);
        expect((await request({ path: "/%2e%2e/%2e%2e/etc/passwd", headers: { Cookie: "rf_token=secret-token-123" } })).status).toBe(404);
    });

    it("opens the API WebSocket only with the token and our own Origin", async () => {
        await expect(ws("")).rejects.toThrow(/401/);
        await expect(ws("?token=nope")).rejects.toThrow(/401/);
        await expect(ws("?token=secret-token-123", { origin: "http://evil.example" })).rejects.toThrow(/401/);
        const socket = await ws("", { Cookie: "rf_token=secret-token-123" });
        const reply = await new Promise<{ id: number; result: { transport: string } }>((resolve) => {
            socket.on("message", (d) => { const m = JSON.parse(String(d)); if (m.id === 7) resolve(m); });
            socket.send(JSON.stringify({ id: 7, method: "app.info" }));
        });
        expect(reply.result.transport).toBe("browser");
        const bad = await new Promise<{ error: { name: string; message: string } }>((resolve) => {
            socket.on("message", (d) => { const m = JSON.parse(String(d)); if (m.id === 8) resolve(m); });
            socket.send(JSON.stringify({ id: 8, method: "chats.get", params: { chatId: "../x" } }));
        });
        expect(bad.error).toEqual({ name: "InvalidRequestError", message: "params.chatId has an invalid format" });
        socket.close();
    });

    it("takes uploads under the size limit and refuses bigger ones with a clear message", async () => {
        const ok = await request({ path: "/upload?name=a.txt", method: "POST", headers: { Cookie: "rf_token=secret-token-123" }, body: Buffer.from("hello") });
        expect(ok.status).toBe(200);
        expect(JSON.parse(ok.body).uploadId).toMatch(/^doc-/);
        const big = await request({ path: "/upload?name=big.txt", method: "POST", headers: { Cookie: "rf_token=secret-token-123" }, body: Buffer.alloc(5000) });
        expect(big.status).toBe(413);
        expect(JSON.parse(big.body).error.message).toMatch(/“big.txt” is 4.88 KiB; documents up to 1000 B/);
        expect((await request({ path: "/upload?name=a.txt", method: "POST", body: Buffer.from("x") })).status).toBe(401);
    });
});
