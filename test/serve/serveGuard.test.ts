/**
 * Serve mode's guard, on a real `npm run serve` process: loopback only (127.0.0.1 and localhost),
 * token or its cookie required, the cookie named per port and scoped to the app's own random path
 * (cookies ignore ports: a cookie for `/` goes to every server on 127.0.0.1), browsers' Origin
 * checked on the WebSocket and on uploads, uploads size-limited and never left half-written.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request, spawnServe, type ServeProcess } from "./support/serveProcess";

let serve: ServeProcess;
let port: number;
let token: string;
let scope: string;
let cookie: string;

function ws(query: string, headers: Record<string, string>): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`, { headers });
        socket.once("open", () => resolve(socket));
        socket.once("error", reject);
        socket.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
}

async function appInfoOver(socket: WebSocket): Promise<{ transport: string }> {
    const reply = await new Promise<{ result: { transport: string } }>((resolve) => {
        socket.on("message", (d) => { const m = JSON.parse(String(d)); if (m.id === 1) resolve(m); });
        socket.send(JSON.stringify({ id: 1, method: "app.info" }));
    });
    socket.close();
    return reply.result;
}

/** RFC 6265 5.4: a browser sends a host-only cookie to `url` when the host is the same and the path path-matches (the port plays no part). */
function browserWouldSend(setCookie: string, url: string): boolean {
    const cookiePath = /;\s*Path=([^;]+)/i.exec(setCookie)?.[1] ?? "/";
    const { hostname, pathname } = new URL(url);
    const pathMatches = pathname === cookiePath || (pathname.startsWith(cookiePath) && (cookiePath.endsWith("/") || pathname[cookiePath.length] === "/"));
    return hostname === "127.0.0.1" && pathMatches;
}

const uploadsLeft = () => fs.readdirSync(path.join(serve.userData, "uploads"));

beforeAll(async () => {
    serve = spawnServe(fs.mkdtempSync(path.join(os.tmpdir(), "rf-serve-guard-")), { RECURFORMER_MAX_DOCUMENT_MB: String(1000 / 1024 / 1024) });
    ({ port, token } = await serve.ready);
    const first = await request(port, { path: `/?token=${token}` });
    scope = first.headers.location!.replace(/\//g, "");
    cookie = `rf_token_${port}=${token}`;
}, 60_000);

afterAll(async () => {
    await serve?.stop();
    if (serve) fs.rmSync(serve.userData, { recursive: true, force: true });
});

describe("serve mode guard", () => {
    it("refuses pages and files without the token", async () => {
        for (const p of ["/", "/index.html", `/${scope}/`, "/assets/x.js", "/?token=wrong", "/?token="]) expect((await request(port, { path: p })).status).toBe(401);
    });

    it("with the token: a cookie named for this port, HttpOnly, SameSite=Strict, scoped to the app's random path, and the token dropped from the address bar", async () => {
        const first = await request(port, { path: `/?token=${token}` });
        expect(first.status).toBe(303);
        expect(first.headers.location).toMatch(/^\/app-[\w-]{12}\/$/);
        const setCookie = first.headers["set-cookie"]![0]!;
        expect(setCookie).toBe(`rf_token_${port}=${token}; HttpOnly; SameSite=Strict; Path=${first.headers.location}`);
        // a browser sends it back to this app's pages, never to another server's pages on 127.0.0.1
        expect(browserWouldSend(setCookie, `http://127.0.0.1:${port}${first.headers.location}assets/index.js`)).toBe(true);
        for (const other of [`http://127.0.0.1:${port + 1}/`, `http://127.0.0.1:8080/api/login`, `http://127.0.0.1:3000/app/`]) expect(browserWouldSend(setCookie, other)).toBe(false);
        const page = await request(port, { path: `/${scope}/`, headers: { Cookie: cookie } });
        expect(page.status).toBe(200);
        expect(page.headers["content-security-policy"]).toMatch(/default-src 'self'; script-src 'self'/);
        expect(page.headers["content-security-policy"]).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\d+ ws:\/\/localhost:\d+/);
        // the cookie of another port's server opens nothing here
        expect((await request(port, { path: `/${scope}/`, headers: { Cookie: `rf_token_${port + 1}=${token}` } })).status).toBe(401);
    });

    it("answers to localhost:PORT as to 127.0.0.1:PORT, and to no other Host", async () => {
        const viaLocalhost = await request(port, { path: `/?token=${token}`, headers: { Host: `localhost:${port}` } });
        expect(viaLocalhost.status).toBe(303);
        expect((await request(port, { path: `/${scope}/`, headers: { Host: `localhost:${port}`, Cookie: cookie } })).status).toBe(200);
        const socket = await ws("", { Host: `localhost:${port}`, Origin: `http://localhost:${port}`, Cookie: cookie });
        expect((await appInfoOver(socket)).transport).toBe("browser");
        expect((await request(port, { path: `/?token=${token}`, headers: { Host: "attacker.example" } })).status).toBe(403);
        expect((await request(port, { path: `/?token=${token}`, headers: { Host: `localhost:${port + 1}` } })).status).toBe(403);
    });

    it("opens the API WebSocket only with the token, and from a browser only with this server's Origin", async () => {
        const own = `http://127.0.0.1:${port}`;
        await expect(ws("", { Origin: own })).rejects.toThrow(/401/);
        await expect(ws("?token=nope", { Origin: own })).rejects.toThrow(/401/);
        await expect(ws(`?token=${token}`, { Origin: "http://evil.example" })).rejects.toThrow(/401/);
        await expect(ws(`?token=${token}`, { Origin: `http://127.0.0.1:${port + 1}` })).rejects.toThrow(/401/);
        await expect(ws(`?token=${token}`, { Origin: "null" })).rejects.toThrow(/401/);
        // a browser request without Origin (it still says Sec-Fetch-*) is refused
        await expect(ws(`?token=${token}`, { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "websocket" })).rejects.toThrow(/401/);
        // a non-browser client (no Origin, no Sec-Fetch-*) with the token, and the page itself, get in
        expect((await appInfoOver(await ws(`?token=${token}`, {}))).transport).toBe("browser");
        expect((await appInfoOver(await ws("", { Origin: own, Cookie: cookie }))).transport).toBe("browser");
        // the app's own path works for the socket too (the page opens `ws` relative to itself)
        const scoped = await new Promise<WebSocket>((resolve, reject) => {
            const s = new WebSocket(`ws://127.0.0.1:${port}/${scope}/ws`, { headers: { Origin: own, Cookie: cookie } });
            s.once("open", () => resolve(s));
            s.once("unexpected-response", (_q, r) => reject(new Error(`HTTP ${r.statusCode}`)));
        });
        expect((await appInfoOver(scoped)).transport).toBe("browser");
    });

    it("does not serve files outside the renderer folder", async () => {
        for (const p of ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", `/${scope}/..%2f..%2fpackage.json`]) {
            expect((await request(port, { path: p, headers: { Cookie: cookie } })).status).toBe(404);
        }
        expect((await request(port, { path: `/${scope}/%E0%A4%A`, headers: { Cookie: cookie } })).status).toBe(400);
    });

    it("takes uploads from its own page only, under the size limit, and leaves nothing of refused or cut-off ones", async () => {
        const own = `http://127.0.0.1:${port}`;
        const up = (headers: Record<string, string>, body: Buffer, where = `/${scope}/upload?name=a.txt`) => request(port, { path: where, method: "POST", headers, body });
        const ok = await up({ Cookie: cookie, Origin: own }, Buffer.from("hello"));
        expect(ok.status).toBe(200);
        expect(JSON.parse(ok.body).uploadId).toMatch(/^doc-/);
        expect((await up({ Cookie: cookie, Origin: `http://localhost:${port}` }, Buffer.from("hi"))).status).toBe(200);
        const foreign = await up({ Cookie: cookie, Origin: "http://127.0.0.1:1234" }, Buffer.from("x"));
        expect(foreign.status).toBe(403);
        expect(JSON.parse(foreign.body).error.name).toBe("ForbiddenOriginError");
        expect((await up({ Cookie: cookie, "Sec-Fetch-Site": "same-site" }, Buffer.from("x"))).status).toBe(403);
        expect((await up({ Origin: own }, Buffer.from("x"))).status).toBe(401);
        const before = uploadsLeft().length;
        const big = await up({ Cookie: cookie, Origin: own }, Buffer.alloc(5000), `/${scope}/upload?name=big.txt`);
        expect(big.status).toBe(413);
        expect(JSON.parse(big.body).error).toMatchObject({ name: "DocumentTooLargeError" });
        expect(JSON.parse(big.body).error.message).toMatch(/“big.txt” is 4.88 KiB; documents up to 1000 B/);
        // no Content-Length (chunked): the limit is found while streaming, and the partial file goes
        const chunked = await new Promise<number>((resolve, reject) => {
            const req = http.request({ host: "127.0.0.1", port, method: "POST", path: `/${scope}/upload?name=chunked.txt`, headers: { Cookie: cookie, Origin: own, "Transfer-Encoding": "chunked" } }, (res) => { res.resume(); resolve(res.statusCode!); });
            req.on("error", reject);
            for (let i = 0; i < 10; i++) req.write(Buffer.alloc(300));
            req.end();
        });
        expect(chunked).toBe(413);
        // a client that goes away mid-upload
        await new Promise<void>((resolve) => {
            const req = http.request({ host: "127.0.0.1", port, method: "POST", path: `/${scope}/upload?name=cut.txt`, headers: { Cookie: cookie, Origin: own, "Content-Length": "900" } });
            req.on("error", () => resolve());
            req.write(Buffer.alloc(300), () => setTimeout(() => { req.destroy(); resolve(); }, 200));
        });
        await new Promise((r) => setTimeout(r, 300));
        expect(uploadsLeft().length).toBe(before);
        expect(serve.alive()).toBe(true);
    });
});
