/**
 * The app core on a remote engine (`recurformer engine --listen` on loopback, reached through
 * WebSocketTransport): the default models load there, a chat with a document answers from it and
 * the status says where the engine runs; Compare runs both models there; the remote engine killed mid-answer marks that answer
 * interrupted, the supervisor connects again (a new engine process, the models loaded again),
 * nothing in the chats is lost, and Regenerate answers.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppEvent } from "../../api/appApi";
import { WebSocketTransport } from "../../engine/runtime/client/WebSocketTransport";
import { startEngineHost, type EngineHostProcess } from "../runtime/engineHost";
import { answered, lastMessage, openCore, root, until, type TestCore } from "./support/realCore";

const document = path.join(root, "test", "e2e", "support", "planted-fact-4k.txt");
let host: EngineHostProcess;
let t: TestCore;

beforeAll(async () => {
    host = await startEngineHost();
    t = await openCore({ engine: () => new WebSocketTransport(host.url, host.token), engineHostKind: `remote engine ${host.url}`, maxAnswerTokens: 16 });
}, 240_000);

afterAll(async () => {
    await t?.close();
    await host?.stop();
});

async function askAboutDocument(question: string, uploadId: string): Promise<string> {
    const file = path.join(t.dir, `${uploadId}.txt`);
    fs.copyFileSync(document, file);
    t.core.registerUpload(uploadId, file, "vault-codes.txt");
    const info = await t.core.call("documents.ingest", { source: { kind: "upload", uploadId, name: "vault-codes.txt" } });
    const chat = await t.core.call("chats.create", undefined);
    await t.core.call("chats.send", { chatId: chat.id, text: question, documentIds: [info.id] });
    return chat.id;
}

describe("the app on a remote engine", () => {
    it("answers a question about a document there, and says where the engine runs", async () => {
        const status = await t.core.call("engine.status", undefined);
        expect(status).toMatchObject({ state: "ready", host: `remote engine ${host.url}` });
        expect(host.log.some((line) => line.includes(`engine process ${status.pid}`))).toBe(true);
        const chatId = await askAboutDocument("What is the access code for the Pine Forge vault?", "doc-1");
        const answer = lastMessage(await answered(t.core, chatId, 180_000));
        expect(answer.status).toBe("done");
        expect(answer.content).toContain("1876");
        expect(answer.metrics!.cacheBytesComputed).toBeGreaterThan(0);
    }, 240_000);

    it("compares dense and RecurFormer side by side there, with both sides' meters", async () => {
        const rf = t.core.models.list().find((m) => m.kind === "recurformer")!;
        const dense = t.core.models.list().find((m) => m.kind === "dense")!;
        const from = t.events.length;
        await t.core.call("compare.start", { prompt: "What is the capital of France?", modelIds: [dense.id, rf.id], mode: "sequential", maxTokens: 8 });
        await until(() => t.events.slice(from).filter((e) => e.type === "compare.done").length === 2, 180_000, "both sides");
        const done = t.events.slice(from).filter((e) => e.type === "compare.done").map((e) => e as Extract<AppEvent, { type: "compare.done" }>);
        expect(done.map((e) => [e.lane, e.status])).toEqual([[0, "done"], [1, "done"]]);
        const metrics = t.events.slice(from).filter((e) => e.type === "compare.metrics").map((e) => e as Extract<AppEvent, { type: "compare.metrics" }>);
        for (const lane of [0, 1])
            expect(metrics.filter((e) => e.lane === lane).at(-1)!.metrics.cacheBytesComputed, `lane ${lane}`).toBeGreaterThan(0);
    }, 240_000);

    it("killed mid-answer: the answer is interrupted, the engine comes back over a new connection, nothing is lost, Regenerate answers", async () => {
        const before = await t.core.call("chats.list", undefined);
        const { pid } = await t.core.call("engine.status", undefined);
        const from = t.events.length;
        const chatId = await askAboutDocument("What is the access code for the Bright Gate vault?", "doc-2");
        // the document is being read (prefill metrics): kill the remote engine process there
        await until(() => t.events.slice(from).some((e) => e.type === "chat.metrics" && e.chatId === chatId), 120_000, "prefill metrics");
        process.kill(pid!, "SIGKILL");
        const interrupted = lastMessage(await answered(t.core, chatId, 120_000));
        expect(interrupted.status).toBe("interrupted");
        const back = await waitForEngine(pid!);
        expect(back.pid).not.toBe(pid);
        expect(host.log.some((line) => line.includes("engine process ended (SIGKILL)"))).toBe(true);
        // every chat is still there, the first one with its answer
        const after = await t.core.call("chats.list", undefined);
        expect(after.map((c) => c.id)).toEqual(expect.arrayContaining(before.map((c) => c.id).concat(chatId)));
        const again = await t.core.call("chats.get", { chatId });
        expect(again.messages[0]!.documents?.[0]?.name).toBe("vault-codes.txt");
        await until(() => t.core.models.list().some((m) => m.kind === "recurformer" && m.status === "loaded"), 120_000, "the model loaded again");
        await t.core.call("chats.regenerate", { chatId });
        const answer = lastMessage(await answered(t.core, chatId, 180_000));
        expect(answer.status).toBe("done");
        expect(answer.content).toContain("1523");
    }, 400_000);
});

/** The engine status once a new engine (another process) is ready. */
async function waitForEngine(oldPid: number) {
    const end = Date.now() + 120_000;
    for (;;) {
        const status = await t.core.call("engine.status", undefined);
        if (status.state === "ready" && status.pid != null && status.pid !== oldPid) return status;
        if (Date.now() > end) throw new Error(`the engine did not come back: ${JSON.stringify(status)}`);
        await new Promise((r) => setTimeout(r, 50));
    }
}
