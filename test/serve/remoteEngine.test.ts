/**
 * Serve mode with RECURFORMER_ENGINE_URL / RECURFORMER_ENGINE_TOKEN (`npm run build` first): the app
 * runs its engine on the `recurformer engine --listen` host it names, loads the default model there,
 * and says so in the engine status.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type WebSocket from "ws";
import { modelFolders } from "../../engine/runtime/defaultModel";
import { startEngineHost, type EngineHostProcess } from "../runtime/engineHost";
import { apiSocket, call, root, spawnServe, type ServeProcess } from "./support/serveProcess";

let host: EngineHostProcess;
let serve: ServeProcess;
let ws: WebSocket;
const userData = fs.mkdtempSync(path.join(os.tmpdir(), "rf-serve-remote-"));

beforeAll(async () => {
    host = await startEngineHost();
    serve = spawnServe(userData, { RECURFORMER_ENGINE_URL: host.url, RECURFORMER_ENGINE_TOKEN: host.token, RECURFORMER_MODELS_DIR: modelFolders(root)[0]! });
    const { origin, token } = await serve.ready;
    ws = await apiSocket(origin, token);
}, 120_000);

afterAll(async () => {
    ws?.close();
    await serve?.stop();
    await host?.stop();
    fs.rmSync(userData, { recursive: true, force: true });
});

describe("serve mode on a remote engine", () => {
    it("runs the engine on the named host, loads the default model there, and says where it runs", async () => {
        type Status = { state: string; host: string; pid?: number };
        type Model = { kind: string; status: string };
        const end = Date.now() + 120_000;
        let id = 1;
        let status = await call<Status>(ws, id++, "engine.status");
        let models = await call<Model[]>(ws, id++, "models.list");
        while (!(status.state === "ready" && models.some((m) => m.kind === "recurformer" && m.status === "loaded")) && Date.now() < end) {
            await new Promise((r) => setTimeout(r, 100));
            status = await call<Status>(ws, id++, "engine.status");
            models = await call<Model[]>(ws, id++, "models.list");
        }
        expect(status).toMatchObject({ state: "ready", host: `remote engine ${host.url}` });
        expect(models.some((m) => m.kind === "recurformer" && m.status === "loaded")).toBe(true);
        expect(host.log.some((line) => line.includes(`engine process ${status.pid}`))).toBe(true);
    }, 150_000);
});
