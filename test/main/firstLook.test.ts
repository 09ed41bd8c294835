/**
 * Issue 18 on the real engine and the default pair: Compare leaves the chats their snapshots; an
 * answer cut by the token limit says so and continues; the first screen's words and sample come
 * from the model card; the context, chat slots and chat rows say what they are.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppEvent } from "../../api/appApi";
import { defaultContext } from "../../main/core/contextSize";
import { answered, lastMessage, openCore, root, until, type TestCore } from "./support/realCore";

let t: TestCore;

beforeAll(async () => { t = await openCore(); }, 180_000);
afterAll(async () => { await t?.close(); });

const rf = () => t.core.models.list().find((m) => m.kind === "recurformer")!;
const dense = () => t.core.models.list().find((m) => m.kind === "dense")!;

describe("what a new user meets (issue 18)", () => {
    it("6. the first screen's words and sample document come from the model card, and the sample reads in", async () => {
        const welcome = t.core.info().welcome!;
        expect(welcome.modelCardPath).toMatch(/README\.md$/);
        expect(welcome.text).toMatch(/29\.4M-parameter/);
        expect(welcome.text).not.toMatch(/Try first|<!--/);
        expect(welcome.sample).toEqual({ name: "sample-vault-codes.txt", question: "What is the access code for the Pine Forge vault?" });
        const doc = await t.core.call("documents.ingestSample", undefined);
        expect(doc.name).toBe("sample-vault-codes.txt");
        expect(doc.tokens[rf().id]!.tokens).toBeGreaterThan(3500);
    }, 60_000);

    it("8. the context defaults to the trained context where memory allows, and says why where it does not", () => {
        for (const m of [rf(), dense()]) {
            expect(m.settings.contextSize).toBe(m.shape!.contextLength);
            expect(m.contextNote).toBeUndefined();
        }
        // a Llama-3-8B-sized cache (128 KiB a token) trained for 128k, on a 16 GiB machine: 4 GiB for the cache
        const big = { contextLength: 131_072, kvBytesPerToken: 131_072, recurrentStateBytes: 0 };
        const choice = defaultContext(big, 16 * 1024 ** 3);
        expect(choice.contextSize).toBe(16_384);
        expect(choice.note).toMatch(/^Not the trained 128k: 2 chat slots × 128k tokens would need 32.0 GiB of cache, more than a quarter of this machine's 16.0 GiB/);
        expect(defaultContext(rf().shape!, os.totalmem()).contextSize).toBe(16_384);
    });

    it("7. a loaded model says how many chat slots of how many tokens its KV buffer holds", () => {
        expect(rf().loaded).toMatchObject({ contextSize: rf().settings.contextSize, chatSlots: 2 });
    });

    it("1 and 10. Compare does not reload the models: Regenerate afterwards resumes from the chat's snapshot; the chat row names model and document", async () => {
        // the planted-fact document, uploaded as the browser does
        const upload = path.join(t.dir, "planted-fact-4k.txt");
        fs.copyFileSync(path.join(root, "test", "e2e", "support", "planted-fact-4k.txt"), upload);
        t.core.registerUpload("doc-compare-1", upload, "planted-fact-4k.txt");
        const doc = await t.core.call("documents.ingest", { source: { kind: "upload", uploadId: "doc-compare-1", name: "planted-fact-4k.txt" } });
        const chat = await t.core.call("chats.create", undefined);
        await t.core.call("chats.send", { chatId: chat.id, text: "What is the access code for the Pine Forge vault?", documentIds: [doc.id] });
        const first = structuredClone(lastMessage(await answered(t.core, chat.id)));
        expect(first.status).toBe("done");
        expect(first.metrics!.promptTokens).toBeGreaterThan(3500);

        const from = t.events.length;
        // the RecurFormer model's status at each models.changed, read when it is sent (the events hold live objects)
        const statuses: string[] = [];
        const watch = (e: AppEvent) => { if (e.type === "models.changed") statuses.push(e.models.find((m) => m.id === rf().id)!.status); };
        t.core.on("event", watch);
        const run = await t.core.call("compare.start", { prompt: "hi", modelIds: [dense().id, rf().id], mode: "sequential", maxTokens: 8 });
        await until(() => t.events.slice(from).filter((e) => e.type === "compare.done" && e.runId === run.runId).length === 2, 120_000, "both sides");
        await new Promise((r) => setTimeout(r, 500));
        t.core.off("event", watch);
        // the RecurFormer model, loaded for the chat, was never reloaded
        expect(statuses.length).toBeGreaterThan(0);
        expect(statuses.filter((st) => st !== "loaded")).toEqual([]);

        await t.core.call("chats.regenerate", { chatId: chat.id });
        const again = lastMessage(await answered(t.core, chat.id));
        expect(again.status).toBe("done");
        // the snapshot in the engine, not a re-read of the document (nor a saved state from disk)
        expect(again.metrics!.promptTokens).toBeLessThan(8);
        expect(again.resumedFrom).toBeUndefined();
        expect(again.content).toBe(first.content);

        const row = (await t.core.call("chats.list", undefined)).find((c) => c.id === chat.id)!;
        expect(row.modelId).toBe(rf().id);
        expect(row.documentNames).toEqual(["planted-fact-4k.txt"]);
    }, 300_000);

    it("1. at once, too, the models keep their threads and are not reloaded", async () => {
        const statuses: string[] = [];
        const watch = (e: AppEvent) => { if (e.type === "models.changed") statuses.push(...e.models.map((m) => m.status)); };
        t.core.on("event", watch);
        const from = t.events.length;
        const run = await t.core.call("compare.start", { prompt: "hi", modelIds: [dense().id, rf().id], mode: "parallel", maxTokens: 8 });
        expect(run.threadsEach).toBe(Math.max(1, os.availableParallelism()));
        await until(() => t.events.slice(from).filter((e) => e.type === "compare.done" && e.runId === run.runId).length === 2, 120_000, "both sides");
        t.core.off("event", watch);
        expect(statuses.filter((st) => st !== "loaded")).toEqual([]);
    }, 120_000);

    it("1. where a reload cannot be avoided (new settings), the chats on the model say their snapshot is gone", async () => {
        const chat = (await t.core.call("chats.list", undefined)).find((c) => c.documentNames?.includes("planted-fact-4k.txt"))!;
        expect(lastMessage(await t.core.call("chats.get", { chatId: chat.id })).snapshotLost).toBeUndefined();
        await t.core.call("models.setSettings", { modelId: rf().id, settings: { threads: 1 } });
        try {
            expect(lastMessage(await t.core.call("chats.get", { chatId: chat.id })).snapshotLost).toBe("the model was reloaded with new settings");
        } finally {
            await t.core.call("models.setSettings", { modelId: rf().id, settings: { threads: 0 } });
        }
    }, 120_000);

    it("5. an answer cut by the token limit says so, and Continue goes on from where it stopped", async () => {
        const chat = await t.core.call("chats.create", undefined);
        await t.core.call("chats.send", { chatId: chat.id, text: "Hello! What can you do?" });
        // a copy: in-process, chats.get hands out the live chat
        const cut = structuredClone(lastMessage(await answered(t.core, chat.id)));
        expect(cut.metrics!.generatedTokens).toBe(24);
        expect(cut.tokenLimit).toBe(24);
        await t.core.call("chats.continue", { chatId: chat.id });
        const continued = await answered(t.core, chat.id);
        expect(continued.messages).toHaveLength(2);
        const answer = lastMessage(continued);
        expect(answer.id).toBe(cut.id);
        expect(answer.content.startsWith(cut.content)).toBe(true);
        expect(answer.content.length).toBeGreaterThan(cut.content.length);
        expect(answer.metrics!.promptTokens).toBeLessThan(8);
        await expect(t.core.call("chats.continue", { chatId: (await t.core.call("chats.create", undefined)).id })).rejects.toThrow(/token limit/);
    }, 180_000);
});
