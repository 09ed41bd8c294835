/**
 * A damaged models.json, baselines.json or chat file is set aside (never over an older damaged
 * copy) and the store starts without it, saying so; a file that cannot be read for another reason
 * (here: a folder where the file should be, EISDIR) is left alone and not written over.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChatStore } from "../../main/core/ChatStore";
import { ModelRegistry } from "../../main/core/ModelRegistry";
import { readJsonOrSetAside, setAside } from "../../main/core/atomicFile";

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-damaged-")); });
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const defaults = () => ({ threads: 0, gpuLayers: 0, cacheType: "f16" as const });

describe("damaged files at start", () => {
    it("models.json that is not JSON: set aside, the registry opens empty and says so", async () => {
        const file = path.join(dir, "models.json");
        fs.writeFileSync(file, '{"userModels": ["/a.gguf"');
        const registry = new ModelRegistry(file, [], defaults);
        await registry.open();
        expect(registry.list()).toEqual([]);
        expect(fs.existsSync(file)).toBe(false);
        expect(fs.readFileSync(`${file}.damaged`, "utf8")).toBe('{"userModels": ["/a.gguf"');
        expect(registry.notices).toHaveLength(1);
        expect(registry.notices[0]).toMatch(/The model list \(models\.json\) was damaged: it is not valid JSON .* set aside as models\.json\.damaged/);
    });

    it("models.json of the wrong shape is set aside too", async () => {
        const file = path.join(dir, "models.json");
        fs.writeFileSync(file, JSON.stringify({ userModels: "not a list", settings: [] }));
        const registry = new ModelRegistry(file, [], defaults);
        await registry.open();
        expect(registry.notices[0]).toMatch(/content is not what the app writes there/);
        expect(fs.existsSync(`${file}.damaged`)).toBe(true);
    });

    it("never overwrites an older damaged copy: the second goes to .damaged-2, the third to .damaged-3", async () => {
        const file = path.join(dir, "baselines.json");
        const setAsides: string[] = [];
        for (const text of ["first {", "second [", "third ]"]) {
            fs.writeFileSync(file, text);
            expect(await readJsonOrSetAside(file, [], Array.isArray, (n) => setAsides.push(n.setAsideAs))).toEqual([]);
        }
        expect(setAsides.map((f) => path.basename(f))).toEqual(["baselines.json.damaged", "baselines.json.damaged-2", "baselines.json.damaged-3"]);
        expect(fs.readFileSync(`${file}.damaged`, "utf8")).toBe("first {");
        expect(fs.readFileSync(`${file}.damaged-2`, "utf8")).toBe("second [");
        expect(fs.readFileSync(`${file}.damaged-3`, "utf8")).toBe("third ]");
    });

    it("baselines.json that is JSON but not a list is set aside; a good one is read as it is", async () => {
        const file = path.join(dir, "baselines.json");
        fs.writeFileSync(file, JSON.stringify({ oops: true }));
        const notices: string[] = [];
        expect(await readJsonOrSetAside(file, [], Array.isArray, (n) => notices.push(n.reason))).toEqual([]);
        expect(notices).toEqual(["its content is not what the app writes there"]);
        fs.writeFileSync(file, JSON.stringify([{ denseModelId: "d" }]));
        expect(await readJsonOrSetAside(file, [], Array.isArray, () => notices.push("again"))).toEqual([{ denseModelId: "d" }]);
        expect(notices).toHaveLength(1);
    });

    it("a read failure that is not bad content (EISDIR) is thrown and nothing is moved or written", async () => {
        const file = path.join(dir, "models.json");
        fs.mkdirSync(file);
        const registry = new ModelRegistry(file, [], defaults);
        await expect(registry.open()).rejects.toMatchObject({ code: "EISDIR" });
        expect(fs.readdirSync(dir)).toEqual(["models.json"]);
        expect(fs.statSync(file).isDirectory()).toBe(true);
    });

    it("a missing file is no notice", async () => {
        const registry = new ModelRegistry(path.join(dir, "models.json"), [], defaults);
        await registry.open();
        expect(registry.notices).toEqual([]);
        expect(fs.readdirSync(dir)).toEqual([]);
    });

    it("chats: a damaged chat is set aside beside an older damaged copy; an unreadable one (EISDIR) is left where it is", async () => {
        const chats = path.join(dir, "chats");
        fs.mkdirSync(chats);
        fs.writeFileSync(path.join(chats, "chat-broken.json.damaged"), "older damage");
        fs.writeFileSync(path.join(chats, "chat-broken.json"), "{ not json");
        fs.writeFileSync(path.join(chats, "chat-nomessages.json"), JSON.stringify({ id: "chat-nomessages", title: "x" }));
        fs.mkdirSync(path.join(chats, "chat-folder.json"));
        fs.writeFileSync(path.join(chats, "chat-ok.json"), JSON.stringify({ id: "chat-ok", title: "ok", createdAt: 1, updatedAt: 1, messages: [] }));
        const store = new ChatStore(chats);
        await store.open();
        expect(store.list().map((c) => c.id)).toEqual(["chat-ok"]);
        expect(fs.readFileSync(path.join(chats, "chat-broken.json.damaged"), "utf8")).toBe("older damage");
        expect(fs.readFileSync(path.join(chats, "chat-broken.json.damaged-2"), "utf8")).toBe("{ not json");
        expect(fs.existsSync(path.join(chats, "chat-nomessages.json.damaged"))).toBe(true);
        expect(fs.statSync(path.join(chats, "chat-folder.json")).isDirectory()).toBe(true);
        expect(store.notices).toHaveLength(3);
        expect(store.notices.join("\n")).toMatch(/chat-folder\.json could not be read \(EISDIR\); it was left as it is/);
    });

    it("setAside on a name that is taken by a later copy keeps counting", async () => {
        const file = path.join(dir, "x.json");
        for (const n of ["x.json.damaged", "x.json.damaged-2"]) fs.writeFileSync(path.join(dir, n), n);
        fs.writeFileSync(file, "new");
        expect(path.basename(await setAside(file))).toBe("x.json.damaged-3");
        expect(fs.readFileSync(path.join(dir, "x.json.damaged"), "utf8")).toBe("x.json.damaged");
    });
});
