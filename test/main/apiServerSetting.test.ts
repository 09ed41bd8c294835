/**
 * The API server started from the app (Settings → API server): off by default; switched on through
 * the app API it listens on loopback with the key made once and kept in the user-data folder,
 * serves the model loaded in the app from an engine process of its own, and the `openai` client
 * gets an answer with `usage` and `timings`; a port in use is an error in words; switched off, the
 * port is closed; the app quitting stops it.
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiServerStatus } from "../../api/appApi";
import { freePort, listening } from "../support/ports";
import { openCore, type TestCore } from "./support/realCore";

let t: TestCore;
/** the last test quits the app itself */
let quit = false;

beforeAll(async () => {
    t = await openCore();
}, 180_000);

afterAll(async () => {
    if (quit) fs.rmSync(t.dir, { recursive: true, force: true });
    else await t?.close();
});

const status = () => t.core.call("apiServer.status", undefined);

async function statusWhen(check: (s: ApiServerStatus) => boolean, ms: number, what: string): Promise<ApiServerStatus> {
    const end = Date.now() + ms;
    for (;;) {
        const now = await status();
        if (check(now)) return now;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(now)}`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

describe("the API server started from the app", () => {
    it("is off by default, with a key made once and kept in the user-data folder (readable by the user only)", async () => {
        const first = await status();
        expect(first).toMatchObject({ enabled: false, state: "off", port: 8089 });
        expect(first.apiKey).toMatch(/^rf-[A-Za-z0-9_-]{32}$/);
        const keyFile = path.join(t.core.info().userDataDir, "api-key");
        expect(fs.readFileSync(keyFile, "utf8")).toBe(first.apiKey);
        if (process.platform !== "win32") expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    });

    it("switched on, answers the openai client with the model the app has loaded; switched off, the port is closed", async () => {
        const port = await freePort();
        const on = await t.core.call("apiServer.set", { enabled: true, port });
        expect(on).toMatchObject({ enabled: true, port, url: `http://127.0.0.1:${port}/v1`, models: ["recurformer"] });
        expect(["starting", "running"]).toContain(on.state);
        const running = await statusWhen((s) => s.state === "running", 120_000, "the server's models to load");
        expect(running.message).toBeUndefined();
        const engineEvents = t.events.filter((e) => e.type === "apiServer.status").map((e) => (e as { status: ApiServerStatus }).status.state);
        expect(engineEvents).toEqual(expect.arrayContaining(["starting", "running"]));

        const client = new OpenAI({ baseURL: running.url, apiKey: running.apiKey });
        const models = await client.models.list();
        expect(models.data.map((m) => m.id)).toEqual(["recurformer"]);
        const answer = await client.chat.completions.create({ model: "recurformer", messages: [{ role: "user", content: "What is the capital of France?" }], max_tokens: 8, temperature: 0 });
        expect(answer.choices[0]!.message.content!.length).toBeGreaterThan(0);
        expect(answer.usage!.prompt_tokens).toBeGreaterThan(0);
        const timings = (answer as unknown as { timings: Record<string, number> }).timings;
        expect(timings.cache_bytes_computed).toBeGreaterThan(0);
        expect(timings.predicted_n).toBe(answer.usage!.completion_tokens);
        await expect(new OpenAI({ baseURL: running.url, apiKey: "not-the-key", maxRetries: 0 }).models.list()).rejects.toThrow(/401/);
        // its engine is a process of its own: the app's engine is not the one answering
        expect((await t.core.call("engine.status", undefined)).state).toBe("ready");

        const off = await t.core.call("apiServer.set", { enabled: false });
        expect(off).toMatchObject({ enabled: false, state: "off" });
        expect(off.url).toBeUndefined();
        expect(await listening(port)).toBe(false);
        const saved = JSON.parse(fs.readFileSync(path.join(t.core.info().userDataDir, "connections.json"), "utf8"));
        expect(saved.apiServer).toEqual({ enabled: false, port });
    }, 240_000);

    it("says in words that the port is in use, and starts once given a free one", async () => {
        const taken = net.createServer();
        await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
        const port = (taken.address() as net.AddressInfo).port;
        try {
            const failed = await t.core.call("apiServer.set", { enabled: true, port });
            expect(failed).toMatchObject({ enabled: true, state: "error" });
            expect(failed.message).toBe(`Could not start the API server: port ${port} is in use (another program, or \`recurformer api\`, listens there): choose another port.`);
            const free = await freePort();
            const moved = await t.core.call("apiServer.set", { enabled: true, port: free });
            expect(moved.url).toBe(`http://127.0.0.1:${free}/v1`);
            expect(await listening(free)).toBe(true);
            // the app quitting stops it
            quit = true;
            await t.core.close();
            expect(await listening(free)).toBe(false);
        } finally {
            await new Promise((resolve) => taken.close(resolve));
        }
    }, 240_000);
});
