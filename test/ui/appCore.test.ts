/** The app core against an in-process fake engine: models, chats, stop/regenerate/edit, crashes, documents, comparison. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppCore } from "../../main/core/AppCore";
import type { AppEvent, Chat } from "../../api/appApi";
import { fakeEngine } from "./support/fakeEngine";

let dir: string;
let core: AppCore;
let engine: ReturnType<typeof fakeEngine>;
let events: AppEvent[];

async function until<T>(check: () => T | undefined | false, ms = 3000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
        const v = check();
        if (v) return v;
        if (Date.now() > end) throw new Error("timed out");
        await new Promise((r) => setTimeout(r, 5));
    }
}

async function openCore(extra: Partial<ConstructorParameters<typeof AppCore>[0]> = {}): Promise<AppCore> {
    const c = new AppCore({
        userDataDir: path.join(dir, "data"),
        modelDirs: [path.join(dir, "models")],
        engine: engine.factory,
        engineHostKind: "fake",
        transport: "browser",
        version: "test",
        maxDocumentBytes: 1024 * 1024,
        metricsIntervalMs: 0,
        ...extra,
    });
    c.on("event", (e) => events.push(e));
    await c.open();
    await until(() => c.models.list().some((m) => m.status === "loaded"));
    return c;
}

const lastMessage = (chat: Chat) => chat.messages[chat.messages.length - 1]!;
const answered = (chatId: string) => until(() => { const c = core.chats.get(chatId); return lastMessage(c).status !== "streaming" && c; });

beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-core-"));
    fs.mkdirSync(path.join(dir, "models"));
    fs.writeFileSync(path.join(dir, "models", "tiny-dense.gguf"), "x");
    fs.writeFileSync(path.join(dir, "models", "tiny-recurformer.gguf"), "x");
    engine = fakeEngine();
    events = [];
    core = await openCore();
});

afterEach(async () => {
    await core.close();
    fs.rmSync(dir, { recursive: true, force: true });
});

describe("app core", () => {
    it("inspects every model, pairs the RecurFormer model with its dense source, and loads it at first start", () => {
        const models = core.models.list();
        const rf = models.find((m) => m.kind === "recurformer")!;
        const dense = models.find((m) => m.kind === "dense")!;
        expect(rf.pairedDenseId).toBe(dense.id);
        expect(dense.pairedRecurformerIds).toEqual([rf.id]);
        expect(rf.status).toBe("loaded");
        expect(dense.status).toBe("unloaded");
    });

    it("rejects invalid payloads before they reach the core", async () => {
        await expect(core.call("chats.get", { chatId: "../../etc/passwd" })).rejects.toThrow(/invalid format/);
        await expect(core.call("chats.send", { chatId: "x", text: 5 })).rejects.toThrow(/must be a string/);
        await expect(core.call("models.list", { extra: 1 })).rejects.toThrow(/no parameters/);
        await expect(core.call("nope" as never, undefined)).rejects.toThrow(/unknown method/);
    });

    it("streams an answer into the chat, emits throttled metrics, and persists it", async () => {
        const chat = await core.call("chats.create", undefined);
        await core.call("chats.send", { chatId: chat.id, text: "hello there" });
        const done = await answered(chat.id);
        expect(lastMessage(done).content).toBe("Hello t1 t2 t3 t4");
        expect(lastMessage(done).status).toBe("done");
        expect(lastMessage(done).snapshotBytes).toBe(4096);
        expect(done.title).toBe("hello there");
        expect(events.filter((e) => e.type === "chat.token").length).toBe(5);
        expect(events.some((e) => e.type === "chat.metrics")).toBe(true);
        await core.chats.close();
        const onDisk = JSON.parse(fs.readFileSync(path.join(dir, "data", "chats", `${chat.id}.json`), "utf8"));
        expect(onDisk.messages).toHaveLength(2);
    });

    it("stops an answer, regenerates it, and edits then resends a question", async () => {
        engine.control.answerTokens = 200;
        engine.control.tokenDelayMs = 5;
        const chat = await core.call("chats.create", undefined);
        await core.call("chats.send", { chatId: chat.id, text: "long one" });
        await until(() => events.some((e) => e.type === "chat.token"));
        await core.call("chats.stop", { chatId: chat.id });
        expect(lastMessage(await answered(chat.id)).status).toBe("stopped");
        engine.control.answerTokens = 3;
        await core.call("chats.regenerate", { chatId: chat.id });
        const regenerated = await answered(chat.id);
        expect(regenerated.messages).toHaveLength(2);
        expect(lastMessage(regenerated).status).toBe("done");
        const userId = regenerated.messages[0]!.id;
        await core.call("chats.editResend", { chatId: chat.id, messageId: userId, text: "short one" });
        const edited = await answered(chat.id);
        expect(edited.messages.map((m) => m.content)).toEqual(["short one", "Hello t1 t2"]);
    });

    it("refuses a second message while a chat is answering", async () => {
        engine.control.answerTokens = 100;
        const chat = await core.call("chats.create", undefined);
        await core.call("chats.send", { chatId: chat.id, text: "one" });
        await expect(core.call("chats.send", { chatId: chat.id, text: "two" })).rejects.toThrow(/still answering/);
        await core.call("chats.stop", { chatId: chat.id });
        await answered(chat.id);
    });

    it("runs two chats at once", async () => {
        engine.control.answerTokens = 20;
        const a = await core.call("chats.create", undefined);
        const b = await core.call("chats.create", undefined);
        await core.call("chats.send", { chatId: a.id, text: "a" });
        await core.call("chats.send", { chatId: b.id, text: "b" });
        expect((await core.call("chats.list", undefined)).filter((c) => c.generating)).toHaveLength(2);
        await answered(a.id);
        await answered(b.id);
        expect(lastMessage(core.chats.get(a.id)).status).toBe("done");
        expect(lastMessage(core.chats.get(b.id)).status).toBe("done");
    });

    it("marks an answer interrupted when the engine dies, restarts it, reloads the model, and keeps the chat", async () => {
        engine.control.answerTokens = 500;
        engine.control.tokenDelayMs = 5;
        const chat = await core.call("chats.create", undefined);
        await core.call("chats.send", { chatId: chat.id, text: "will crash" });
        await until(() => events.some((e) => e.type === "chat.token"));
        engine.control.hosts[0]!.kill();
        const after = await answered(chat.id);
        expect(lastMessage(after).status).toBe("interrupted");
        expect(lastMessage(after).error).toMatch(/engine process stopped.*killed by SIGKILL.*Regenerate/);
        await until(() => engine.control.hosts.length === 2 && core.models.list().some((m) => m.status === "loaded"), 5000);
        expect(core.engine.getStatus().restarts).toBe(1);
        engine.control.answerTokens = 2;
        await core.call("chats.regenerate", { chatId: chat.id });
        expect(lastMessage(await answered(chat.id)).content).toBe("Hello t1");
        expect(core.chats.get(chat.id).messages[0]!.content).toBe("will crash");
    });

    it("reads a document, counts its tokens with the loaded model (and the pair's count for its dense source), cuts it on request", async () => {
        const file = path.join(dir, "notes.md");
        fs.writeFileSync(file, "# Notes\n\n" + "The cat is named Biscuit. ".repeat(200));
        core.registerUpload("doc-test-1", file, "notes.md");
        const info = await core.call("documents.ingest", { source: { kind: "upload", uploadId: "doc-test-1", name: "notes.md" } });
        expect(fs.existsSync(file)).toBe(false); // the uploaded copy is removed once its text is out
        const rf = core.models.list().find((m) => m.kind === "recurformer")!;
        const dense = core.models.list().find((m) => m.kind === "dense")!;
        expect(info.tokens[rf.id]).toEqual({ tokens: Math.ceil(info.chars / 3), how: "counted" });
        expect(info.tokens[dense.id]!.how).toBe("counted");
        const phases = events.filter((e) => e.type === "document.progress").map((e) => (e as { phase: string }).phase);
        expect(phases).toEqual(expect.arrayContaining(["reading", "extracting", "counting", "done"]));
        const cut = await core.call("documents.cut", { documentId: info.id, modelId: rf.id, maxTokens: 300 });
        expect(cut.tokens[rf.id]!.tokens).toBeLessThanOrEqual(300);
        expect(cut.cut).toBeDefined();
        const chat = await core.call("chats.create", undefined);
        await core.call("chats.send", { chatId: chat.id, text: "What is the cat called?", documentIds: [info.id] });
        await answered(chat.id);
        const sent = engine.control.requests.filter((r) => r.type === "chat").pop() as { messages: { content: string }[] };
        expect(sent.messages[0]!.content).toMatch(/^Read the document below, then answer the question that follows it\.\n\n<document>\n# Notes/);
        expect(sent.messages[0]!.content).toMatch(/What is the cat called\?$/);
        expect(core.chats.get(chat.id).messages[0]!.documents![0]).toMatchObject({ name: "notes.md", cut: true });
    });

    it("refuses a document over the size limit, and reports a corrupt PDF by name", async () => {
        const big = path.join(dir, "big.txt");
        fs.writeFileSync(big, Buffer.alloc(2 * 1024 * 1024, 65));
        core.registerUpload("doc-big", big, "big.txt");
        await expect(core.call("documents.ingest", { source: { kind: "upload", uploadId: "doc-big", name: "big.txt" } })).rejects.toThrow(/“big.txt” is 2.00 MiB; documents up to 1.00 MiB/);
        const pdf = path.join(dir, "broken.pdf");
        fs.writeFileSync(pdf, "%PDF-1.4\nnonsense\n%%EOF");
        core.registerUpload("doc-pdf", pdf, "broken.pdf");
        await expect(core.call("documents.ingest", { source: { kind: "upload", uploadId: "doc-pdf", name: "broken.pdf" } })).rejects.toThrow(/“broken.pdf” is not a valid PDF or is damaged/);
        await expect(core.call("documents.ingest", { source: { kind: "path", path: "/etc/passwd" } })).rejects.toThrow(/paths are accepted only from the desktop app/);
    });

    it("a model that fails to inspect is listed with the reason and is not loadable", async () => {
        await core.close();
        fs.writeFileSync(path.join(dir, "models", "broken.gguf"), "x");
        engine = fakeEngine();
        engine.control.broken.add(path.join(dir, "models", "broken.gguf"));
        core = await openCore();
        const broken = core.models.list().find((m) => m.fileName === "broken.gguf")!;
        await until(() => broken.status === "error");
        expect(broken.error).toMatch(/bad magic/);
        await expect(core.call("models.load", { modelId: broken.id })).rejects.toThrow(/cannot be used: .*bad magic/);
    });

    it("compares dense and RecurFormer one after the other, records the dense baseline, and splits threads when at once", async () => {
        const rf = core.models.list().find((m) => m.kind === "recurformer")!;
        const dense = core.models.list().find((m) => m.kind === "dense")!;
        const run = await core.call("compare.start", { prompt: "hi", denseModelId: dense.id, recurformerModelId: rf.id, mode: "sequential" });
        expect(run.threadsEach).toBe(Math.max(1, os.availableParallelism()));
        await until(() => events.filter((e) => e.type === "compare.done").length === 2);
        const order = events.filter((e) => e.type === "compare.token").map((e) => (e as { side: string }).side);
        expect(order.indexOf("recurformer")).toBeGreaterThan(order.lastIndexOf("dense"));
        expect((await core.call("baselines.list", undefined))[0]).toMatchObject({ denseModelId: dense.id, from: "comparison" });
        events.length = 0;
        const parallel = await core.call("compare.start", { prompt: "hi", denseModelId: dense.id, recurformerModelId: rf.id, mode: "parallel" });
        expect(parallel.threadsEach).toBe(Math.max(1, Math.floor(os.availableParallelism() / 2)));
        await until(() => events.filter((e) => e.type === "compare.done").length === 2);
        const loads = engine.control.requests.filter((r) => r.type === "load") as { options: { threads: number } }[];
        expect(loads.some((l) => l.options.threads === parallel.threadsEach)).toBe(true);
    });

    it("exports a chat as Markdown and JSON", async () => {
        const chat = await core.call("chats.create", undefined);
        await core.call("chats.send", { chatId: chat.id, text: "export me" });
        await answered(chat.id);
        const md = await core.call("chats.export", { chatId: chat.id, format: "md" });
        expect(md.fileName).toBe("export me.md");
        expect(md.content).toMatch(/^# export me\n[\s\S]*## You\n\nexport me\n\n## Assistant \(tiny-recurformer\)\n\nHello t1 t2 t3 t4/);
        const json = await core.call("chats.export", { chatId: chat.id, format: "json" });
        expect(JSON.parse(json.content).messages).toHaveLength(2);
    });
});
