/**
 * Chats: summaries for the sidebar, full chats as opened, the active chat, and the actions.
 * Streamed tokens are batched to one store update per animation frame, so a fast model
 * never makes React re-render per token.
 */
import { create } from "zustand";
import type { Chat, ChatMessageRecord, ChatSummary, ModelInfo } from "../../../api/appApi";
import { call } from "../api/client";
import { reportError } from "./app";
import { KIND_LABEL, modelHoverTitle, modelShortName } from "./models";

interface ChatsState {
    summaries: ChatSummary[];
    chats: Record<string, Chat>;
    activeChatId?: string;
    setSummaries(summaries: ChatSummary[]): void;
    applyChat(chat: Chat): void;
    applyTokens(batch: { chatId: string; messageId: string; text: string }[]): void;
    /** an answer ended: its status and figures (its text came as tokens) */
    applyAnswered(end: { chatId: string; messageId: string } & Pick<ChatMessageRecord, "status" | "error" | "metrics" | "snapshotBytes" | "resumedFrom" | "savedStateBytes" | "stateNote" | "tokenLimit">): void;
    init(): Promise<void>;
    select(chatId: string): Promise<void>;
    create(modelId?: string): Promise<Chat | undefined>;
    send(text: string, documentIds?: string[]): Promise<boolean>;
    stop(chatId?: string): Promise<void>;
    regenerate(): Promise<void>;
    /** goes on with the active chat's answer that stopped at its token limit */
    continueAnswer(): Promise<void>;
    editResend(messageId: string, text: string): Promise<void>;
    rename(chatId: string, title: string): Promise<void>;
    remove(chatId: string): Promise<void>;
    setModel(modelId: string): Promise<void>;
    exportChat(format: "md" | "json"): Promise<{ fileName: string; content: string } | undefined>;
}

export const useChats = create<ChatsState>((set, get) => ({
    summaries: [],
    chats: {},
    setSummaries: (summaries) => set({ summaries }),
    applyChat: (chat) => {
        // the chat as the core holds it already has every token sent before it (one ordered
        // stream): tokens of it still queued for the next frame would be appended twice
        dropQueuedTokens(chat.id);
        set({ chats: { ...get().chats, [chat.id]: chat } });
    },
    applyTokens(batch) {
        const chats = { ...get().chats };
        for (const { chatId, messageId, text } of batch) {
            const chat = chats[chatId];
            if (!chat) continue;
            const index = chat.messages.findIndex((m) => m.id === messageId);
            if (index < 0) continue;
            const messages = chat.messages.slice();
            messages[index] = { ...messages[index]!, content: messages[index]!.content + text };
            chats[chatId] = { ...chat, messages };
        }
        set({ chats });
    },
    applyAnswered({ chatId, messageId, status, error, metrics, snapshotBytes, resumedFrom, savedStateBytes, stateNote, tokenLimit }) {
        const chat = get().chats[chatId];
        const index = chat ? chat.messages.findIndex((m) => m.id === messageId) : -1;
        if (!chat || index < 0) return;
        const messages = chat.messages.slice();
        messages[index] = { ...messages[index]!, status, error, metrics, snapshotBytes, resumedFrom, savedStateBytes, stateNote, tokenLimit };
        set({ chats: { ...get().chats, [chatId]: { ...chat, messages } } });
    },
    async init() {
        const summaries = await call("chats.list");
        set({ summaries });
        if (summaries[0]) await get().select(summaries[0].id);
        else await get().create();
    },
    async select(chatId) {
        set({ activeChatId: chatId });
        const chat = await call("chats.get", { chatId }).catch(reportError("Could not open the chat"));
        if (chat) get().applyChat(chat);
    },
    async create(modelId) {
        // an empty chat is reused rather than piling up "New chat" entries
        const active = get().activeChatId ? get().chats[get().activeChatId!] : undefined;
        if (active && active.messages.length === 0 && (!modelId || active.modelId === modelId)) return active;
        const chat = await call("chats.create", modelId ? { modelId } : undefined).catch(reportError("Could not create a chat"));
        if (!chat) return undefined;
        get().applyChat(chat);
        set({ activeChatId: chat.id });
        return chat;
    },
    async send(text, documentIds) {
        const chatId = get().activeChatId ?? (await get().create())?.id;
        if (!chatId) return false;
        const chat = await call("chats.send", { chatId, text, documentIds }).catch(reportError("The message was not sent"));
        if (chat) get().applyChat(chat);
        return Boolean(chat);
    },
    async stop(chatId = get().activeChatId) {
        if (chatId) await call("chats.stop", { chatId }).catch(reportError("Could not stop"));
    },
    async continueAnswer() {
        const chatId = get().activeChatId;
        if (!chatId) return;
        const chat = await call("chats.continue", { chatId }).catch(reportError("Could not continue"));
        if (chat) get().applyChat(chat);
    },
    async regenerate() {
        const chatId = get().activeChatId;
        if (!chatId) return;
        const chat = await call("chats.regenerate", { chatId }).catch(reportError("Could not regenerate"));
        if (chat) get().applyChat(chat);
    },
    async editResend(messageId, text) {
        const chatId = get().activeChatId;
        if (!chatId) return;
        const chat = await call("chats.editResend", { chatId, messageId, text }).catch(reportError("Could not resend"));
        if (chat) get().applyChat(chat);
    },
    async rename(chatId, title) {
        const chat = await call("chats.rename", { chatId, title }).catch(reportError("Could not rename"));
        if (chat) get().applyChat(chat);
    },
    async remove(chatId) {
        const summaries = await call("chats.delete", { chatId }).catch(reportError("Could not delete the chat"));
        if (!summaries) return;
        const chats = { ...get().chats };
        delete chats[chatId];
        set({ summaries, chats });
        if (get().activeChatId === chatId) {
            if (summaries[0]) await get().select(summaries[0].id);
            else await get().create();
        }
    },
    async setModel(modelId) {
        const chatId = get().activeChatId;
        if (!chatId) return;
        const chat = await call("chats.setModel", { chatId, modelId }).catch(reportError("Could not switch model"));
        if (chat) get().applyChat(chat);
    },
    async exportChat(format) {
        const chatId = get().activeChatId;
        if (!chatId) return undefined;
        return call("chats.export", { chatId, format }).catch(reportError("Export failed"));
    },
}));

// ---- selectors

/** A chat row's second line: the model it answers with and the documents in it ("RecurFormer · recurformer · report.pdf"). */
export function chatRowMeta(summary: ChatSummary, models: ModelInfo[]): string {
    const model = models.find((m) => m.id === summary.modelId);
    const who = model ? `${KIND_LABEL[model.kind]} · ${modelShortName(model)}` : "no model";
    const docs = summary.documentNames ?? [];
    const what = docs.length === 0 ? `${summary.messageCount} messages` : docs.length === 1 ? docs[0]! : `${docs[0]} +${docs.length - 1}`;
    return `${who} · ${what}`;
}

/** A chat row's hover text: the model's full name and file, every document, messages and date. */
export function chatRowTitle(summary: ChatSummary, models: ModelInfo[]): string {
    const model = models.find((m) => m.id === summary.modelId);
    const docs = summary.documentNames ?? [];
    return [
        model ? modelHoverTitle(model) : "no model",
        docs.length ? `documents: ${docs.join(", ")}` : "no documents",
        `${summary.messageCount} messages · ${new Date(summary.updatedAt).toLocaleDateString(undefined, { month: "short", day: "numeric" })}`,
    ].join("\n");
}

export const selectActiveChat = (s: ChatsState) => (s.activeChatId ? s.chats[s.activeChatId] : undefined);

export const selectIsGenerating = (chatId: string | undefined) => (s: ChatsState) =>
    Boolean(chatId && s.chats[chatId]?.messages.some((m) => m.status === "streaming"));

/** Token batching: queue now, apply once per frame. */
const queue: { chatId: string; messageId: string; text: string }[] = [];
let scheduled = false;
function dropQueuedTokens(chatId: string): void {
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.chatId === chatId) queue.splice(i, 1);
}
export function queueToken(chatId: string, messageId: string, text: string): void {
    queue.push({ chatId, messageId, text });
    if (scheduled) return;
    scheduled = true;
    const flush = () => {
        scheduled = false;
        useChats.getState().applyTokens(queue.splice(0));
    };
    if (typeof requestAnimationFrame === "function" && typeof document !== "undefined" && !document.hidden) requestAnimationFrame(flush);
    else setTimeout(flush, 16);
}
