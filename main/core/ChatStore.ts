/**
 * Chats on disk: one JSON file per chat in `<userData>/chats/`, written with write-then-rename.
 * While an answer streams, saves are coalesced (at most one per `streamSaveMs` per chat);
 * the final state is always written.
 */
import fs from "node:fs/promises";
import path from "node:path";
import crypto from "node:crypto";
import type { Chat, ChatMessageRecord, ChatSummary } from "../../api/appApi.js";
import { WriteQueue, readJsonOrSetAside, setAsideMessage } from "./atomicFile.js";

export class ChatNotFoundError extends Error {
    override name = "ChatNotFoundError";
    constructor(chatId: string) {
        super(`No chat with id ${chatId}; it may have been deleted.`);
    }
}

function isChat(value: unknown): boolean {
    const chat = value as Chat | null;
    return typeof chat === "object" && chat !== null && typeof chat.id === "string" && /^[A-Za-z0-9_.-]+$/.test(chat.id) && Array.isArray(chat.messages)
        && chat.messages.every((m) => typeof m === "object" && m !== null && typeof m.content === "string");
}

function documentIdsOf(chat: Chat): string[] {
    return chat.messages.flatMap((m) => m.documents?.map((d) => d.id) ?? []);
}

export function newId(prefix: string): string {
    return `${prefix}-${Date.now().toString(36)}-${crypto.randomBytes(4).toString("hex")}`;
}

export class ChatStore {
    private readonly chats = new Map<string, Chat>();
    private readonly writes = new WriteQueue();
    private readonly pendingSaves = new Map<string, NodeJS.Timeout>();
    /** what `open` set aside or could not read, for the UI */
    readonly notices: string[] = [];

    constructor(private readonly dir: string, private readonly streamSaveMs = 1000) {}

    /**
     * Reads every chat file. A file with bad content is set aside (renamed `*.damaged`, never over an
     * older damaged copy) rather than lost; one that cannot be read (EACCES, EMFILE…) is left where it
     * is, untouched. Both are told in `notices`.
     */
    async open(): Promise<void> {
        await fs.mkdir(this.dir, { recursive: true });
        for (const name of await fs.readdir(this.dir)) {
            if (!name.endsWith(".json") || name.startsWith(".")) continue;
            const file = path.join(this.dir, name);
            let chat: Chat | null;
            try {
                chat = await readJsonOrSetAside<Chat | null>(file, null, isChat, (n) => this.notices.push(setAsideMessage(n, "A chat")));
            } catch (error) {
                this.notices.push(`The chat file ${name} could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); it was left as it is and is not shown.`);
                continue;
            }
            if (!chat) continue;
            // an answer that was streaming when the app stopped is no longer streaming
            for (const message of chat.messages) {
                if (message.status === "streaming") {
                    message.status = "interrupted";
                    message.error ??= "The app stopped while this answer was being written.";
                }
            }
            this.chats.set(chat.id, chat);
        }
    }

    list(generating: (chatId: string) => boolean = () => false): ChatSummary[] {
        return [...this.chats.values()]
            .sort((a, b) => b.updatedAt - a.updatedAt)
            .map((chat) => ({
                id: chat.id,
                title: chat.title,
                updatedAt: chat.updatedAt,
                messageCount: chat.messages.length,
                generating: generating(chat.id),
                modelId: chat.modelId,
                documentNames: [...new Set(chat.messages.flatMap((m) => m.documents?.map((d) => d.name) ?? []))],
            }));
    }

    get(chatId: string): Chat {
        const chat = this.chats.get(chatId);
        if (!chat) throw new ChatNotFoundError(chatId);
        return chat;
    }

    has(chatId: string): boolean {
        return this.chats.has(chatId);
    }

    async create(modelId?: string): Promise<Chat> {
        const now = Date.now();
        const chat: Chat = { id: newId("chat"), title: "New chat", createdAt: now, updatedAt: now, modelId, messages: [] };
        this.chats.set(chat.id, chat);
        await this.save(chat.id);
        return chat;
    }

    /** Deletes the chat; returns the ids of documents that only it used (their saved text can go too). */
    async delete(chatId: string): Promise<string[]> {
        const chat = this.get(chatId);
        this.chats.delete(chatId);
        const usedElsewhere = new Set([...this.chats.values()].flatMap(documentIdsOf));
        const onlyHere = [...new Set(documentIdsOf(chat))].filter((id) => !usedElsewhere.has(id));
        clearTimeout(this.pendingSaves.get(chatId));
        this.pendingSaves.delete(chatId);
        await this.writes.flush();
        await fs.rm(this.file(chatId), { force: true });
        return onlyHere;
    }

    /** Applies `change` and writes the chat now; `touch: false` for a note that should not move the chat to the top of the list. */
    async update(chatId: string, change: (chat: Chat) => void, touch = true): Promise<Chat> {
        const chat = this.get(chatId);
        change(chat);
        if (touch) chat.updatedAt = Date.now();
        await this.save(chatId);
        return chat;
    }

    /** Applies `change` and writes the chat soon (coalesced); for streaming tokens. */
    updateSoon(chatId: string, change: (chat: Chat) => void): Chat {
        const chat = this.get(chatId);
        change(chat);
        chat.updatedAt = Date.now();
        if (!this.pendingSaves.has(chatId)) {
            this.pendingSaves.set(chatId, setTimeout(() => {
                this.pendingSaves.delete(chatId);
                if (this.chats.has(chatId)) void this.save(chatId).catch(() => undefined);
            }, this.streamSaveMs));
        }
        return chat;
    }

    message(chatId: string, messageId: string): ChatMessageRecord | undefined {
        return this.get(chatId).messages.find((m) => m.id === messageId);
    }

    async save(chatId: string): Promise<void> {
        clearTimeout(this.pendingSaves.get(chatId));
        this.pendingSaves.delete(chatId);
        await this.writes.write(this.file(chatId), () => JSON.stringify(this.get(chatId), null, 1));
    }

    async close(): Promise<void> {
        for (const chatId of [...this.pendingSaves.keys()]) await this.save(chatId).catch(() => undefined);
        await this.writes.flush();
    }

    private file(chatId: string): string {
        if (!/^[A-Za-z0-9_.-]+$/.test(chatId)) throw new ChatNotFoundError(chatId);
        return path.join(this.dir, `${chatId}.json`);
    }
}

/** Markdown export: a heading per turn, documents listed, code kept as written. */
export function chatToMarkdown(chat: Chat, modelName: (id?: string) => string): string {
    const lines = [`# ${chat.title}`, "", `_Exported from RecurFormer Desktop on ${new Date().toISOString()}_`, ""];
    for (const m of chat.messages) {
        lines.push(m.role === "user" ? "## You" : `## Assistant (${modelName(m.modelId)})`, "");
        if (m.documents?.length) {
            for (const d of m.documents) lines.push(`> Document: ${d.name} (${d.chars.toLocaleString("en-US")} characters${d.tokens ? `, ${d.tokens} tokens` : ""}${d.cut ? ", cut to fit" : ""})`);
            lines.push("");
        }
        lines.push(m.content || "_(empty)_", "");
        if (m.status && m.status !== "done") lines.push(`_(${m.status}${m.error ? `: ${m.error}` : ""})_`, "");
    }
    return lines.join("\n");
}
