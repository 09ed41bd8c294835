/** Saved chat states on disk without the engine: the commit order, crash leftovers, the budget and least-recently-used eviction, the key check. */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SnapshotStore, type SnapshotKey } from "../../main/core/SnapshotStore";

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-snapstore-")); });
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const key: SnapshotKey = { modelSha256: "a".repeat(64), contextSize: 4096, cacheType: "f16", llamaCppRelease: "b1" };

/** what the engine would write: a state file of `bytes` bytes at the store's temporary path */
async function save(store: SnapshotStore, chatId: string, bytes: number, fill = 7) {
    const temp = store.tempPath(chatId);
    fs.writeFileSync(temp, Buffer.alloc(bytes, fill));
    return store.commit(chatId, temp, { ...key, modelId: "m", modelFileName: "m.gguf", tokens: 10 });
}

const files = () => fs.readdirSync(dir).sort();

describe("SnapshotStore", () => {
    it("keeps one state per chat: a new one replaces the old file, no temporary file is left", async () => {
        const store = new SnapshotStore(dir);
        await store.open();
        const first = await save(store, "chat-a", 1000);
        const second = await save(store, "chat-a", 2000);
        expect(typeof first).toBe("object");
        expect(typeof second).toBe("object");
        expect(files().filter((n) => n.endsWith(".state"))).toEqual([(second as { fileName: string }).fileName]);
        expect(files().filter((n) => n.endsWith(".tmp"))).toEqual([]);
        expect(store.usedBytes()).toBe(2000);
        const found = await store.lookup("chat-a", key);
        expect(found.found).toBe("usable");
    });

    it("after a crash: a state file without its record is removed at open, a record without its file is dropped", async () => {
        const store = new SnapshotStore(dir);
        await store.open();
        await save(store, "chat-a", 100);
        await save(store, "chat-b", 100);
        // a crash between renaming a new state file and writing its record
        fs.writeFileSync(path.join(dir, "chat-a.0badf00d.state"), "orphan");
        // a state file lost
        fs.rmSync(path.join(dir, store.get("chat-b")!.fileName));
        const reopened = new SnapshotStore(dir);
        await reopened.open();
        expect(reopened.list().map((r) => r.chatId)).toEqual(["chat-a"]);
        expect(fs.existsSync(path.join(dir, "chat-a.0badf00d.state"))).toBe(false);
        expect(fs.existsSync(path.join(dir, "chat-b.json"))).toBe(false);
        expect((await reopened.lookup("chat-a", key)).found).toBe("usable");
    });

    it("removes the least recently used states past the budget; a resume counts as a use", async () => {
        const store = new SnapshotStore(dir);
        await store.open();
        await store.setBudget(3000);
        await save(store, "chat-a", 1000);
        await new Promise((r) => setTimeout(r, 5));
        await save(store, "chat-b", 1000);
        await new Promise((r) => setTimeout(r, 5));
        await store.touch("chat-a");
        await new Promise((r) => setTimeout(r, 5));
        await save(store, "chat-c", 1500);
        // b was used least recently
        expect(store.list().map((r) => r.chatId).sort()).toEqual(["chat-a", "chat-c"]);
        expect(store.usedBytes()).toBeLessThanOrEqual(3000);
        // a state larger than the whole budget is not kept, and nothing else is removed for it
        expect(await save(store, "chat-d", 4000)).toMatch(/larger than the whole snapshot budget/);
        expect(store.list().map((r) => r.chatId).sort()).toEqual(["chat-a", "chat-c"]);
        // a smaller budget evicts at once, and survives a restart
        await store.setBudget(1500);
        expect(store.list().map((r) => r.chatId)).toEqual(["chat-c"]);
        const reopened = new SnapshotStore(dir);
        await reopened.open();
        expect(reopened.budgetBytes).toBe(1500);
        expect(files().filter((n) => n.endsWith(".state")).length).toBe(1);
    });

    it("refuses a state under another key, in words, and keeps it", async () => {
        const store = new SnapshotStore(dir);
        await store.open();
        await save(store, "chat-a", 100);
        const other = await store.lookup("chat-a", { ...key, contextSize: 8192 });
        expect(other).toMatchObject({ found: "refused", reason: "it was saved with a context of 4096 tokens, the model now has 8192" });
        expect((await store.lookup("chat-a", { ...key, cacheType: "q8_0" }) as { reason: string }).reason).toMatch(/f16 KV cache, the model now uses q8_0/);
        expect((await store.lookup("chat-a", { ...key, llamaCppRelease: "b2" }) as { reason: string }).reason).toMatch(/llama.cpp b1, the engine is now b2/);
        // PyramidInfer thins the layers: a state saved with the full cache is not loaded under a schedule
        expect((await store.lookup("chat-a", { ...key, pyramid: "r0=0.8,decay=0.7,recent=64,queries=16,every=512" }) as { reason: string }).reason)
            .toBe("it was saved with the full KV cache, the model now runs with PyramidInfer (r0=0.8,decay=0.7,recent=64,queries=16,every=512)");
        expect((await store.lookup("chat-a", key)).found).toBe("usable");
    });

    it("hashes a model file once per path, size and modification time", async () => {
        const store = new SnapshotStore(dir);
        await store.open();
        const model = path.join(dir, "model.gguf");
        fs.writeFileSync(model, "weights-1");
        const first = await store.modelSha256(model);
        expect(first).toBe(crypto.createHash("sha256").update("weights-1").digest("hex"));
        // the cache is what is read while size and time are unchanged
        const cache = path.join(dir, "model-hashes.json");
        const cached = JSON.parse(fs.readFileSync(cache, "utf8"));
        cached[model].sha256 = "f".repeat(64);
        fs.writeFileSync(cache, JSON.stringify(cached));
        const reopened = new SnapshotStore(dir);
        await reopened.open();
        expect(await reopened.modelSha256(model)).toBe("f".repeat(64));
        // new content (size changes): hashed again
        fs.writeFileSync(model, "weights-22");
        expect(await reopened.modelSha256(model)).not.toBe("f".repeat(64));
        expect(await reopened.modelSha256(model)).not.toBe(first);
    });
});
