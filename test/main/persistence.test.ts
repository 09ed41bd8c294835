/** Chats on disk: write-then-rename, recovery after a crash, damaged files set aside. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChatStore, chatToMarkdown } from "../../main/core/ChatStore";
import { WriteQueue, writeFileAtomic } from "../../main/core/atomicFile";

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-store-")); });
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("crash-safe persistence", () => {
    it("writes through a temporary file and leaves none behind", async () => {
        const file = path.join(dir, "a.json");
        await writeFileAtomic(file, JSON.stringify({ v: 1 }));
        await writeFileAtomic(file, JSON.stringify({ v: 2 }));
        expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual({ v: 2 });
        expect(fs.readdirSync(dir)).toEqual(["a.json"]);
    });

    it("keeps the order of queued writes to one file", async () => {
        const queue = new WriteQueue();
        const file = path.join(dir, "q.json");
        await Promise.all(Array.from({ length: 20 }, (_, i) => queue.write(file, () => String(i))));
        expect(fs.readFileSync(file, "utf8")).toBe("19");
    });

    it("reopens chats, turning an answer cut off by a crash into 'interrupted'", async () => {
        const store = new ChatStore(dir, 10);
        await store.open();
        const chat = await store.create("model-1");
        await store.update(chat.id, (c) => c.messages.push(
            { id: "m1", role: "user", content: "hi", createdAt: 1 },
            { id: "m2", role: "assistant", content: "half an ans", createdAt: 2, status: "streaming" },
        ));
        // no close(): the process "crashed" here
        const reopened = new ChatStore(dir);
        await reopened.open();
        const back = reopened.get(chat.id);
        expect(back.messages[1]).toMatchObject({ content: "half an ans", status: "interrupted" });
        expect(back.messages[1]!.error).toMatch(/stopped while this answer/);
    });

    it("sets a damaged chat file aside instead of failing or deleting it", async () => {
        fs.writeFileSync(path.join(dir, "chat-broken.json"), "{ not json");
        fs.writeFileSync(path.join(dir, "chat-ok.json"), JSON.stringify({ id: "chat-ok", title: "ok", createdAt: 1, updatedAt: 1, messages: [] }));
        const store = new ChatStore(dir);
        await store.open();
        expect(store.list().map((c) => c.id)).toEqual(["chat-ok"]);
        expect(fs.existsSync(path.join(dir, "chat-broken.json.damaged"))).toBe(true);
    });

    it("coalesces saves while streaming and always writes the final state", async () => {
        const store = new ChatStore(dir, 50);
        await store.open();
        const chat = await store.create();
        for (let i = 0; i < 100; i++) store.updateSoon(chat.id, (c) => { c.title = `t${i}`; });
        await store.close();
        expect(JSON.parse(fs.readFileSync(path.join(dir, `${chat.id}.json`), "utf8")).title).toBe("t99");
    });

    it("exports Markdown with documents listed and unfinished answers flagged", () => {
        const md = chatToMarkdown({
            id: "c", title: "Doc chat", createdAt: 0, updatedAt: 0,
            messages: [
                { id: "1", role: "user", content: "Summarize", createdAt: 0, documents: [{ id: "d", name: "a.pdf", chars: 1200, tokens: 300, cut: true }] },
                { id: "2", role: "assistant", content: "```js\nx()\n```", createdAt: 0, modelId: "m", status: "stopped" },
            ],
        }, () => "tiny");
        expect(md).toContain("> Document: a.pdf (1,200 characters, 300 tokens, cut to fit)");
        expect(md).toContain("## Assistant (tiny)");
        expect(md).toContain("```js\nx()\n```");
        expect(md).toContain("_(stopped)_");
    });
});
