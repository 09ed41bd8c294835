/**
 * An app core on the real engine (a child process running engine/runtime from source) with the
 * default model pair (assets/models, or the folder RECURFORMER_MODELS_DIR names), in a fresh user-data folder. Answers are greedy, so the
 * same question gets the same answer.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AppCore, type AppCoreOptions } from "../../../main/core/AppCore";
import type { AppEvent, Chat } from "../../../api/appApi";
import { ForkTransport } from "../../../engine/runtime/client/ForkTransport";
import { modelFolders } from "../../../engine/runtime/defaultModel";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
/** the default pair, found as the app finds it (assets/models, or RECURFORMER_MODELS_DIR) */
export const defaultModelsDir = modelFolders(root)[0]!;

export interface TestCore {
    core: AppCore;
    dir: string;
    events: AppEvent[];
    close(): Promise<void>;
}

export async function until<T>(check: () => T | undefined | false, ms = 60_000, what = "condition"): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
        const v = check();
        if (v) return v;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
    }
}

export async function openCore(extra: Partial<AppCoreOptions> = {}, modelsDir = defaultModelsDir): Promise<TestCore> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-core-"));
    const core = new AppCore({
        userDataDir: path.join(dir, "data"),
        modelDirs: [modelsDir],
        engine: () => new ForkTransport(),
        engineHostKind: "child-process",
        transport: "browser",
        version: "test",
        maxDocumentBytes: 1024 * 1024,
        maxAnswerTokens: 24,
        ...extra,
    });
    const events: AppEvent[] = [];
    core.on("event", (e) => events.push(e));
    await core.open();
    await until(() => core.models.list().some((m) => m.status === "loaded"), 120_000, "the default model to load");
    return {
        core, dir, events,
        close: async () => {
            await core.close();
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

export const lastMessage = (chat: Chat) => chat.messages[chat.messages.length - 1]!;

/** The chat once its last answer has ended (read through the API). */
export async function answered(core: AppCore, chatId: string, ms = 120_000): Promise<Chat> {
    const end = Date.now() + ms;
    for (;;) {
        const chat = await core.call("chats.get", { chatId });
        if (lastMessage(chat).status !== "streaming") return chat;
        if (Date.now() > end) throw new Error("timed out waiting for the answer to end");
        await new Promise((r) => setTimeout(r, 20));
    }
}
