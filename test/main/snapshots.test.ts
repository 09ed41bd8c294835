/**
 * Chats' saved states on disk, with the real engine and copies of the default pair: saved after a
 * document is read, resumed after the app restarts (the follow-up reads only the new turn, the same
 * greedy answer as without it); a damaged, truncated, other-model or changed-document state is
 * refused with a note and the chat is read again, nothing lost.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppEvent, Chat } from "../../api/appApi";
import { AppCore } from "../../main/core/AppCore";
import { ForkTransport } from "../../engine/runtime/client/ForkTransport";
import { answered, defaultModelsDir, lastMessage, root, until } from "./support/realCore";

let dir: string;
let modelsDir: string;
let core: AppCore | undefined;
const events: AppEvent[] = [];

/** starts the app on the same user-data folder, as a restart does */
async function start(): Promise<AppCore> {
    const next = new AppCore({
        userDataDir: path.join(dir, "data"),
        modelDirs: [modelsDir],
        engine: () => new ForkTransport(),
        engineHostKind: "child-process",
        transport: "browser",
        version: "test",
        maxDocumentBytes: 1024 * 1024,
        maxAnswerTokens: 16,
    });
    next.on("event", (e) => events.push(e));
    await next.open();
    await until(() => next.models.list().some((m) => m.status === "loaded"), 120_000, "a model to load");
    return next;
}

async function restartApp(between?: () => void): Promise<AppCore> {
    await core?.close();
    between?.();
    core = await start();
    return core;
}

const snapshotsDir = () => path.join(dir, "data", "snapshots");
const stateFile = (chatId: string) => {
    const name = fs.readdirSync(snapshotsDir()).find((n) => n.startsWith(`${chatId}.`) && n.endsWith(".state"));
    return name ? path.join(snapshotsDir(), name) : undefined;
};

async function ask(chatId: string, text: string, documentIds?: string[]): Promise<Chat> {
    await core!.call("chats.send", { chatId, text, ...(documentIds ? { documentIds } : {}) });
    return answered(core!, chatId, 300_000);
}

async function regenerate(chatId: string): Promise<Chat> {
    await core!.call("chats.regenerate", { chatId });
    return answered(core!, chatId, 300_000);
}

const plantedDoc = JSON.parse(fs.readFileSync(path.join(root, "test", "e2e", "support", "planted-fact-4k.json"), "utf8"));
const followUp: string = plantedDoc.followUp.question;
let chatId: string;
let documentId: string;
/** the follow-up's greedy answer, resumed from the saved state */
let resumedAnswer: string;

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-snapshots-"));
    modelsDir = path.join(dir, "models");
    fs.mkdirSync(modelsDir);
    for (const name of ["dense.gguf", "recurformer.gguf"]) fs.copyFileSync(path.join(defaultModelsDir, name), path.join(modelsDir, name));
    core = await start();
}, 180_000);

afterAll(async () => {
    await core?.close();
    fs.rmSync(dir, { recursive: true, force: true });
});

describe("saved chat states", () => {
    it("saves the chat's state on disk after a document is read, under the model file's hash", async () => {
        const file = path.join(dir, "psalm.txt");
        fs.copyFileSync(path.join(root, "test", "e2e", "support", "planted-fact-4k.txt"), file);
        core!.registerUpload("doc-psalm", file, "psalm.txt");
        documentId = (await core!.call("documents.ingest", { source: { kind: "upload", uploadId: "doc-psalm", name: "psalm.txt" } })).id;
        chatId = (await core!.call("chats.create", undefined)).id;
        const chat = await ask(chatId, "Who is praised in this text?", [documentId]);
        const answer = lastMessage(chat);
        expect(answer.status).toBe("done");
        const state = stateFile(chatId)!;
        expect(answer.savedStateBytes).toBe(fs.statSync(state).size);
        const listed = await core!.call("snapshots.list", undefined);
        expect(listed.snapshots).toEqual([expect.objectContaining({ chatId, bytes: answer.savedStateBytes, chatTitle: chat.title })]);
        expect(listed.snapshots[0]!.tokens).toBeGreaterThan(3000);
        expect(listed.usedBytes).toBe(answer.savedStateBytes);
        const record = JSON.parse(fs.readFileSync(path.join(snapshotsDir(), `${chatId}.json`), "utf8"));
        expect(record.modelSha256).toMatch(/^[0-9a-f]{64}$/);
        // no temporary file left behind
        expect(fs.readdirSync(snapshotsDir()).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    }, 300_000);

    it("after an app restart, a follow-up reads only the new turn: resumed from the saved state", async () => {
        const saved = (await core!.call("snapshots.list", undefined)).snapshots[0]!;
        await restartApp();
        // a question the document answers: resumed and read from scratch, the prompt is split into other batches,
        // so the logits differ in their last bits; a vague question ("Where were the three?") can flip a greedy
        // token that leads by less, this one leads by far, and its answer needs the document in the state
        const chat = await ask(chatId, followUp);
        const answer = lastMessage(chat);
        expect(answer.status).toBe("done");
        expect(answer.resumedFrom).toMatchObject({ bytes: saved.bytes, savedAt: saved.savedAt, tokens: saved.tokens });
        expect(answer.stateNote).toBeUndefined();
        // the document was not read again: the prompt's tokens came from the saved state, and only the new turn was read
        expect(answer.metrics!.promptTokensReused).toBe(saved.tokens);
        expect(answer.metrics!.promptTokens).toBeLessThan(100);
        resumedAnswer = answer.content;
        expect(resumedAnswer).toContain(plantedDoc.followUp.answer);
    }, 300_000);

    it("gives the same greedy answer as the same follow-up read from scratch", async () => {
        await core!.call("snapshots.free", { chatId });
        expect(stateFile(chatId)).toBeUndefined();
        await core!.call("engine.restart", undefined);
        await until(() => core!.models.list().some((m) => m.kind === "recurformer" && m.status === "loaded"), 120_000, "the model to reload");
        const answer = lastMessage(await regenerate(chatId));
        expect(answer.resumedFrom).toBeUndefined();
        expect(answer.metrics!.promptTokensReused ?? 0).toBe(0);
        expect(answer.content).toBe(resumedAnswer);
        // read in full, it saved its state again
        expect(answer.savedStateBytes).toBeGreaterThan(0);
    }, 300_000);

    it("refuses a damaged state file (checksum), reads the chat again and gives the same answer", async () => {
        const file = stateFile(chatId)!;
        const bytes = fs.readFileSync(file);
        bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
        fs.writeFileSync(file, bytes);
        const before = (await core!.call("chats.get", { chatId })).messages.length;
        await core!.call("engine.restart", undefined);
        await until(() => core!.models.list().some((m) => m.kind === "recurformer" && m.status === "loaded"), 120_000, "the model to reload");
        const chat = await regenerate(chatId);
        const answer = lastMessage(chat);
        expect(answer.resumedFrom).toBeUndefined();
        expect(answer.stateNote).toMatch(/not used: its file is damaged \(the checksum differs/);
        expect(answer.content).toBe(resumedAnswer);
        expect(chat.messages.length).toBe(before);
        expect(answer.savedStateBytes).toBeGreaterThan(0);
        // the answer's end tells the UI too
        await until(() => events.some((e) => e.type === "chat.answered" && e.messageId === answer.id && /damaged/.test(e.stateNote ?? "")), 10_000, "chat.answered with the note");
    }, 300_000);

    it("refuses a truncated state file after an app restart, reads the chat again and gives the same answer", async () => {
        const chat = await restartApp(() => {
            const file = stateFile(chatId)!;
            fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
        }).then(() => regenerate(chatId));
        const answer = lastMessage(chat);
        expect(answer.resumedFrom).toBeUndefined();
        expect(answer.stateNote).toMatch(/not used: its file is truncated/);
        expect(answer.content).toBe(resumedAnswer);
        expect(answer.savedStateBytes).toBeGreaterThan(0);
    }, 300_000);

    it("refuses the state when the chat's document changed, and reads the new text", async () => {
        await restartApp(() => {
            const file = path.join(dir, "data", "documents", `${documentId}.txt`);
            fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("the three", "the four"));
        });
        const answer = lastMessage(await regenerate(chatId));
        expect(answer.status).toBe("done");
        expect(answer.resumedFrom).toBeUndefined();
        expect(answer.stateNote).toMatch(/not used: the chat's text differs from the saved state's at token \d+ of \d+ \(a document or message changed\)/);
        expect(answer.metrics!.promptTokensReused ?? 0).toBe(0);
        expect(answer.savedStateBytes).toBeGreaterThan(0);
    }, 300_000);

    it("refuses a state saved with another model file at the same path (content hash, not path)", async () => {
        await restartApp(() => {
            // the RecurFormer file is replaced by another model's content; its path (and the chat's model id) stay
            fs.copyFileSync(path.join(modelsDir, "dense.gguf"), path.join(modelsDir, "recurformer.gguf.new"));
            fs.renameSync(path.join(modelsDir, "recurformer.gguf.new"), path.join(modelsDir, "recurformer.gguf"));
        });
        const chat = await regenerate(chatId);
        const answer = lastMessage(chat);
        expect(answer.status).toBe("done");
        expect(answer.resumedFrom).toBeUndefined();
        expect(answer.stateNote).toMatch(/not used: it was saved with another model file \(SHA-256 [0-9a-f]{12}…, this one is [0-9a-f]{12}…\)/);
        expect(chat.messages.filter((m) => m.role === "user").map((m) => m.content)).toEqual(["Who is praised in this text?", followUp]);
    }, 300_000);

    it("deleting the chat frees its saved state", async () => {
        expect(stateFile(chatId)).toBeDefined();
        await core!.call("chats.delete", { chatId });
        expect(stateFile(chatId)).toBeUndefined();
        expect((await core!.call("snapshots.list", undefined)).snapshots).toEqual([]);
    }, 60_000);
});
