/** The app core on the real engine and the default model pair: models, chats, stop/regenerate/edit, documents, comparison, export. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppEvent } from "../../api/appApi";
import { answered, lastMessage, openCore, until, type TestCore } from "./support/realCore";

let t: TestCore;
const since = (from: number) => t.events.slice(from);

beforeAll(async () => { t = await openCore(); }, 180_000);
afterAll(async () => { await t?.close(); });

describe("app core on the real engine", () => {
    it("inspects both models, pairs the RecurFormer model with its dense source, and loads it at first start", () => {
        const rf = t.core.models.list().find((m) => m.kind === "recurformer")!;
        const dense = t.core.models.list().find((m) => m.kind === "dense")!;
        expect(rf.pairedDenseId).toBe(dense.id);
        expect(dense.pairedRecurformerIds).toEqual([rf.id]);
        expect(rf.status).toBe("loaded");
        expect(dense.status).toBe("unloaded");
    });

    it("rejects invalid payloads before they reach a service", async () => {
        await expect(t.core.call("chats.get", { chatId: "../../etc/passwd" })).rejects.toThrow(/invalid format/);
        await expect(t.core.call("chats.send", { chatId: "x", text: 5 })).rejects.toThrow(/must be a string/);
        await expect(t.core.call("models.list", { extra: 1 })).rejects.toThrow(/no parameters/);
        await expect(t.core.call("nope" as never, undefined)).rejects.toThrow(/unknown method/);
    });

    it("streams an answer once: its tokens make the saved text, and its end carries no text", async () => {
        const from = t.events.length;
        const chat = await t.core.call("chats.create", undefined);
        await t.core.call("chats.send", { chatId: chat.id, text: "What is the capital of France?" });
        const done = await answered(t.core, chat.id);
        const answer = lastMessage(done);
        expect(answer.status).toBe("done");
        expect(answer.content.length).toBeGreaterThan(0);
        const tokens = since(from).filter((e): e is Extract<AppEvent, { type: "chat.token" }> => e.type === "chat.token" && e.chatId === chat.id);
        expect(tokens.map((e) => e.text).join("")).toBe(answer.content);
        const end = await until(() => since(from).find((e) => e.type === "chat.answered" && e.chatId === chat.id), 10_000, "chat.answered");
        expect(end).toMatchObject({ status: "done", messageId: answer.id });
        expect(JSON.stringify(end)).not.toContain(JSON.stringify(answer.content).slice(1, -1));
        expect(since(from).some((e) => e.type === "chat.metrics" && e.chatId === chat.id)).toBe(true);
        expect(done.title).toBe("What is the capital of France?");
        await t.core.chats.store.close();
        const onDisk = JSON.parse(fs.readFileSync(path.join(t.dir, "data", "chats", `${chat.id}.json`), "utf8"));
        expect(onDisk.messages.map((m: { content: string }) => m.content)).toEqual(["What is the capital of France?", answer.content]);
    }, 120_000);

    it("stops an answer, regenerates it (the same greedy answer), and edits then resends a question", async () => {
        const chat = await t.core.call("chats.create", undefined);
        await t.core.call("chats.send", { chatId: chat.id, text: "Tell me about rivers." });
        await t.core.call("chats.stop", { chatId: chat.id });
        expect(lastMessage(await answered(t.core, chat.id)).status).toBe("stopped");
        await t.core.call("chats.regenerate", { chatId: chat.id });
        const first = lastMessage(await answered(t.core, chat.id));
        expect(first.status).toBe("done");
        await t.core.call("chats.regenerate", { chatId: chat.id });
        const again = await answered(t.core, chat.id);
        expect(again.messages).toHaveLength(2);
        expect(lastMessage(again).content).toBe(first.content);
        await t.core.call("chats.editResend", { chatId: chat.id, messageId: again.messages[0]!.id, text: "Tell me about mountains." });
        const edited = await answered(t.core, chat.id);
        expect(edited.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
        expect(edited.messages[0]!.content).toBe("Tell me about mountains.");
        expect(lastMessage(edited).status).toBe("done");
    }, 120_000);

    it("refuses a second message while a chat is answering, and runs two chats at once", async () => {
        const a = await t.core.call("chats.create", undefined);
        const b = await t.core.call("chats.create", undefined);
        await t.core.call("chats.send", { chatId: a.id, text: "one" });
        await expect(t.core.call("chats.send", { chatId: a.id, text: "two" })).rejects.toThrow(/still answering/);
        await t.core.call("chats.send", { chatId: b.id, text: "three" });
        expect((await t.core.call("chats.list", undefined)).filter((c) => c.generating).length).toBeGreaterThanOrEqual(1);
        expect(lastMessage(await answered(t.core, a.id)).status).toBe("done");
        expect(lastMessage(await answered(t.core, b.id)).status).toBe("done");
    }, 120_000);

    it("reads a document, counts its tokens with the loaded model (and the pair's count for its dense source), cuts it, and sends it", async () => {
        const file = path.join(t.dir, "notes.md");
        fs.writeFileSync(file, "# Notes\n\n" + "The cat is named Biscuit. ".repeat(200));
        t.core.registerUpload("doc-test-1", file, "notes.md");
        const from = t.events.length;
        const info = await t.core.call("documents.ingest", { source: { kind: "upload", uploadId: "doc-test-1", name: "notes.md" } });
        expect(fs.existsSync(file)).toBe(false); // the uploaded copy is removed once its text is out
        const rf = t.core.models.list().find((m) => m.kind === "recurformer")!;
        const dense = t.core.models.list().find((m) => m.kind === "dense")!;
        expect(info.tokens[rf.id]!.how).toBe("counted");
        expect(info.tokens[dense.id]).toEqual(info.tokens[rf.id]);
        const phases = since(from).filter((e) => e.type === "document.progress").map((e) => (e as { phase: string }).phase);
        expect(phases).toEqual(expect.arrayContaining(["reading", "extracting", "counting", "done"]));
        const cut = await t.core.call("documents.cut", { documentId: info.id, modelId: rf.id, maxTokens: 300 });
        expect(cut.tokens[rf.id]!.tokens).toBeLessThanOrEqual(300);
        expect(cut.cut).toBeDefined();
        const chat = await t.core.call("chats.create", undefined);
        await t.core.call("chats.send", { chatId: chat.id, text: "What is the cat called?", documentIds: [info.id] });
        const done = await answered(t.core, chat.id);
        expect(lastMessage(done).status).toBe("done");
        expect(done.messages[0]!.documents![0]).toMatchObject({ name: "notes.md", cut: true });
    }, 120_000);

    it("refuses a document over the size limit and a path from the browser", async () => {
        const big = path.join(t.dir, "big.txt");
        fs.writeFileSync(big, Buffer.alloc(2 * 1024 * 1024, 65));
        t.core.registerUpload("doc-big", big, "big.txt");
        await expect(t.core.call("documents.ingest", { source: { kind: "upload", uploadId: "doc-big", name: "big.txt" } })).rejects.toThrow(/“big.txt” is 2.00 MiB; documents up to 1.00 MiB/);
        await expect(t.core.call("documents.ingest", { source: { kind: "path", path: "/etc/passwd" } })).rejects.toThrow(/paths are accepted only from the desktop app/);
    });

    it("compares dense and RecurFormer one after the other and records the dense baseline", async () => {
        const rf = t.core.models.list().find((m) => m.kind === "recurformer")!;
        const dense = t.core.models.list().find((m) => m.kind === "dense")!;
        const from = t.events.length;
        const run = await t.core.call("compare.start", { prompt: "hi", modelIds: [dense.id, rf.id], mode: "sequential", maxTokens: 8 });
        expect(run.lanes).toEqual([{ modelId: dense.id, kind: "dense" }, { modelId: rf.id, kind: "recurformer" }]);
        expect(run.threadsEach).toBe(Math.max(1, os.availableParallelism()));
        await until(() => since(from).filter((e) => e.type === "compare.done").length === 2, 120_000, "both sides");
        const sides = since(from).filter((e) => e.type === "compare.done").map((e) => e as Extract<AppEvent, { type: "compare.done" }>);
        expect(sides.map((s) => [s.lane, s.status])).toEqual([[0, "done"], [1, "done"]]);
        const order = since(from).filter((e) => e.type === "compare.token").map((e) => (e as { lane: number }).lane);
        expect(order.indexOf(1)).toBeGreaterThan(order.lastIndexOf(0));
        expect((await t.core.call("baselines.list", undefined))[0]).toMatchObject({ denseModelId: dense.id, from: "comparison" });
    }, 180_000);

    it("exports a chat as Markdown and JSON", async () => {
        const chat = await t.core.call("chats.create", undefined);
        await t.core.call("chats.send", { chatId: chat.id, text: "export me" });
        const done = await answered(t.core, chat.id);
        const md = await t.core.call("chats.export", { chatId: chat.id, format: "md" });
        expect(md.fileName).toBe("export me.md");
        expect(md.content).toContain(`## You\n\nexport me\n\n## Assistant (`);
        expect(md.content).toContain(lastMessage(done).content);
        const json = await t.core.call("chats.export", { chatId: chat.id, format: "json" });
        expect(JSON.parse(json.content).messages).toHaveLength(2);
    }, 120_000);

    it("lists a file that is not a model with the reason, and refuses to load it", async () => {
        const broken = path.join(t.dir, "broken.gguf");
        fs.writeFileSync(broken, "not a gguf file");
        const model = await t.core.call("models.add", { path: broken });
        expect(model.status).toBe("error");
        expect(model.error).toMatch(/GGUF/);
        await expect(t.core.call("models.load", { modelId: model.id })).rejects.toMatchObject({ name: "UserError", message: expect.stringMatching(/cannot be used/) });
    });
});
