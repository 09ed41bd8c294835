/**
 * An answer ended from outside, on the real engine: deleting its chat, unloading its model or
 * restarting the engine stops it cleanly (no exception escapes, the process lives, other chats
 * go on); and after the crash-loop cap, Engine → Restart brings back the models that were loaded.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { answered, lastMessage, openCore, until, type TestCore } from "./support/realCore";

/** anything thrown outside a promise chain (an engine reply handler, a timer) fails the test that caused it */
const escaped: unknown[] = [];
const onEscaped = (error: unknown) => { escaped.push(error); };
beforeEach(() => { escaped.length = 0; process.on("uncaughtException", onEscaped); process.on("unhandledRejection", onEscaped); });
afterEach(() => { process.off("uncaughtException", onEscaped); process.off("unhandledRejection", onEscaped); });

/** a chat whose answer has streamed at least one token */
async function answering(t: TestCore, text: string): Promise<string> {
    const chat = await t.core.call("chats.create", undefined);
    const from = t.events.length;
    await t.core.call("chats.send", { chatId: chat.id, text });
    await until(() => t.events.slice(from).some((e) => e.type === "chat.token" && e.chatId === chat.id), 60_000, "a first token");
    return chat.id;
}

describe("ending an answer from outside", () => {
    let t: TestCore;
    // long answers, so that each is still running when it is ended
    beforeAll(async () => { t = await openCore({ maxAnswerTokens: 4000 }); }, 180_000);
    afterAll(async () => { await t?.close(); });

    it("deleting the chat while it answers stops the answer; nothing escapes and the next chat answers", async () => {
        const chatId = await answering(t, "Write a long story about a lighthouse keeper.");
        const summaries = await t.core.call("chats.delete", { chatId });
        expect(summaries.some((c) => c.id === chatId)).toBe(false);
        await new Promise((r) => setTimeout(r, 500)); // tokens still in flight arrive now
        await expect(t.core.call("chats.get", { chatId })).rejects.toMatchObject({ name: "ChatNotFoundError" });
        expect(fs.existsSync(path.join(t.dir, "data", "chats", `${chatId}.json`))).toBe(false);
        expect(t.core.engine.getStatus().state).toBe("ready");
        const next = await t.core.call("chats.create", undefined);
        await t.core.call("chats.send", { chatId: next.id, text: "hello" });
        await t.core.call("chats.stop", { chatId: next.id });
        expect(lastMessage(await answered(t.core, next.id)).status).toBe("stopped");
        expect(escaped).toEqual([]);
    }, 120_000);

    it("unloading the model while it answers stops the answer and says why", async () => {
        const chatId = await answering(t, "Write a long story about a sailor.");
        const modelId = (await t.core.call("chats.get", { chatId })).modelId!;
        await t.core.call("models.unload", { modelId });
        const after = lastMessage(await answered(t.core, chatId));
        expect(after.status).toBe("stopped");
        expect(after.error).toMatch(/unloaded while answering/);
        expect(after.content.length).toBeGreaterThan(0);
        expect(t.core.models.get(modelId).status).toBe("unloaded");
        expect(escaped).toEqual([]);
    }, 120_000);

    it("restarting the engine while it answers marks the answer interrupted, keeps its text, and reloads the model", async () => {
        await t.core.call("models.load", { modelId: t.core.models.list().find((m) => m.kind === "recurformer")!.id });
        const chatId = await answering(t, "Write a long story about a baker.");
        await t.core.call("engine.restart", undefined);
        const after = lastMessage(await answered(t.core, chatId));
        expect(after.status).toBe("interrupted");
        expect(after.content.length).toBeGreaterThan(0);
        expect(after.error).toMatch(/engine process stopped.*Regenerate/);
        await until(() => t.core.models.list().some((m) => m.status === "loaded"), 120_000, "the model to be loaded again");
        expect(t.core.engine.getStatus()).toMatchObject({ state: "ready", restarts: 1 });
        expect(escaped).toEqual([]);
    }, 180_000);
});

describe("the crash-loop cap", () => {
    let t: TestCore;
    beforeAll(async () => { t = await openCore(); }, 180_000);
    afterAll(async () => { await t?.close(); });

    it("after the cap (6 crashes in a minute), Engine → Restart brings back the models that were loaded, and a chat answers", async () => {
        const loaded = t.core.models.list().filter((m) => m.status === "loaded").map((m) => m.id);
        expect(loaded).toHaveLength(1);
        let kills = 0;
        while (!/not restarted/.test(t.core.engine.getStatus().message ?? "")) {
            const status = await until(() => { const s = t.core.engine.getStatus(); return (s.state === "ready" && s.pid) || /not restarted/.test(s.message ?? "") ? s : undefined; }, 60_000, "an engine to kill");
            if (status.state !== "ready") break;
            process.kill(status.pid!, "SIGKILL");
            kills++;
            expect(kills).toBeLessThanOrEqual(6);
            await until(() => t.core.engine.getStatus().pid !== status.pid, 10_000, "the engine to go");
        }
        expect(kills).toBe(6);
        // the list says what is true meanwhile: nothing is loaded
        await until(() => t.core.models.list().every((m) => m.status !== "loaded" && m.status !== "loading"), 10_000, "the list to say so");

        await t.core.call("engine.restart", undefined);
        await until(() => t.core.models.list().find((m) => m.id === loaded[0])?.status === "loaded", 120_000, "the model to be loaded again");
        const chat = await t.core.call("chats.create", undefined);
        await t.core.call("chats.send", { chatId: chat.id, text: "hello" });
        const answer = lastMessage(await answered(t.core, chat.id));
        expect(answer.error).toBeUndefined();
        expect(answer.status).toBe("done");
    }, 300_000);
});
