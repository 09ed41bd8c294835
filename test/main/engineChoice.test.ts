/**
 * Settings → Engine: the app connects to a remote engine (`recurformer engine --listen` on
 * loopback) by URL and token through the app API, says where the engine runs, loads its models
 * there, and keeps the choice (the token in a file of its own, shown back only as a hint) for the
 * next start; a wrong token and an unreachable host are said in words (the token, the URL), not
 * "exit code null"; Disconnect runs the engine on this machine again.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineStatus } from "../../api/appApi";
import { AppCore } from "../../main/core/AppCore";
import { ForkTransport } from "../../engine/runtime/client/ForkTransport";
import { startEngineHost, type EngineHostProcess } from "../runtime/engineHost";
import { defaultModelsDir, openCore, until, type TestCore } from "./support/realCore";

const token = "settings-test-token-0123456789";
let host: EngineHostProcess;
let t: TestCore;

beforeAll(async () => {
    host = await startEngineHost(token);
    t = await openCore();
}, 240_000);

afterAll(async () => {
    await t?.close();
    await host?.stop();
});

const connect = (url: string, tokenGiven?: string) => t.core.call("engine.connect", { url, ...(tokenGiven ? { token: tokenGiven } : {}) });

describe("choosing the engine in Settings", () => {
    it("a wrong token: the status says the host refused the token, and it is not retried", async () => {
        const status = await connect(host.url, "not-the-token");
        expect(status.state).toBe("crashed");
        expect(status.host).toBe(`remote engine ${host.url}`);
        expect(status.message).toBe(`The remote engine at ${host.url} refused the connection (HTTP 401): wrong token: it is not the one the engine was started with (--token). ` +
            "Not retried: change the URL or token in Settings and Connect, or use Engine → Restart.");
        expect(status.message).not.toMatch(/exit code/);
        await new Promise((r) => setTimeout(r, 1500));
        expect(host.log.filter((line) => line.includes("refused a connection")).length).toBe(1);
    }, 60_000);

    it("an unreachable host: the status names the URL and the network's reason", async () => {
        const status = await connect("ws://127.0.0.1:1/engine", token);
        expect(status.state).toBe("crashed");
        expect(status.message).toMatch(/^Could not reach the remote engine at ws:\/\/127\.0\.0\.1:1\/engine: connect ECONNREFUSED 127\.0\.0\.1:1\. Trying again…$/);
    }, 60_000);

    it("an address that is neither a remote engine's nor a llama-server's is refused, saying what they look like", async () => {
        await expect(connect("127.0.0.1:8090/engine", token)).rejects.toThrow(/ws:\/\/HOST:PORT\/engine .*a llama-server is http:\/\/HOST:PORT/);
    });

    it("the right token: the engine runs there, the model loads there, the choice is kept with the token only as a hint", async () => {
        const status = await connect(host.url, token);
        expect(status).toMatchObject({ state: "ready", host: `remote engine ${host.url}`, remote: { url: host.url, tokenHint: "••••6789", source: "settings" } });
        expect(JSON.stringify(status)).not.toContain(token);
        expect(host.log.some((line) => line.includes(`engine process ${status.pid}`))).toBe(true);
        await until(() => t.core.models.list().some((m) => m.kind === "recurformer" && m.status === "loaded"), 120_000, "the model loaded on the remote engine");
        expect(await t.core.call("engine.remoteSetting", undefined)).toEqual({ url: host.url, tokenHint: "••••6789" });
        const dir = t.core.info().userDataDir;
        expect(JSON.parse(fs.readFileSync(path.join(dir, "connections.json"), "utf8")).remoteEngine).toEqual({ url: host.url, connected: true });
        expect(fs.readFileSync(path.join(dir, "engine-token"), "utf8")).toBe(token);

        // Disconnect, then Connect again without typing the token: the stored one is used
        const local = await t.core.call("engine.disconnect", undefined);
        expect(local).toMatchObject({ state: "ready", host: "child-process" });
        expect(local.remote).toBeUndefined();
        const again = await connect(host.url);
        expect(again).toMatchObject({ state: "ready", remote: { url: host.url, source: "settings" } });
    }, 240_000);

    it("the next start connects to the remote engine Settings chose; RECURFORMER_ENGINE_URL / _TOKEN win over it", async () => {
        await t.core.close();
        const userDataDir = t.core.info().userDataDir;
        const reopen = async (remoteEngine?: { url: string; token: string }): Promise<EngineStatus> => {
            const core = new AppCore({ userDataDir, modelDirs: [defaultModelsDir], engine: () => new ForkTransport(), engineHostKind: "child-process", remoteEngine,
                transport: "browser", version: "test", maxDocumentBytes: 1024 * 1024, autoload: false });
            await core.open();
            try {
                await core.engine.engine().catch(() => undefined);
                return core.engine.getStatus();
            } finally {
                await core.close();
            }
        };
        expect(await reopen()).toMatchObject({ state: "ready", host: `remote engine ${host.url}`, remote: { source: "settings" } });
        const fromEnv = await reopen({ url: "ws://127.0.0.1:1/engine", token: "x" });
        expect(fromEnv).toMatchObject({ host: "remote engine ws://127.0.0.1:1/engine", remote: { source: "environment" } });
        expect(fromEnv.message).toContain("ws://127.0.0.1:1/engine");
        fs.rmSync(t.dir, { recursive: true, force: true });
        t = await openCore(); // for afterAll
    }, 240_000);
});
