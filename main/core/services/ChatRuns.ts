/**
 * Chats and the answers running in them: send, regenerate, edit and resend, stop, delete,
 * export. An answer is one `ChatRun`: its tokens go into the chat (saved soon) and out as
 * `chat.token` events, once; when it ends, `chat.answered` carries its status, metrics and
 * error, never its text again.
 *
 * Ending an answer from outside (stop, deleting the chat, unloading its model, the engine
 * going away) aborts the run; a run whose chat is gone drops what still arrives and never throws.
 *
 * Over 300 lines on purpose: send, regenerate, edit, continue and stop share one run lifecycle
 * (start, stream, end, saved state); split across files, each would restate it.
 */
import type { AppEvent, Chat, ChatMessageRecord, ChatSummary, DocumentRef, MessageStatus } from "../../../api/appApi.js";
import { documentQuestionText, type AttachedDocument } from "../../../engine/runtime/documentQuestion.js";
import { EngineCrashedError } from "../../../engine/runtime/errors/EngineCrashedError.js";
import type { ChatMessage, GenerationResult, Metrics } from "../../../engine/runtime/protocol.js";
import { chatToMarkdown, newId, type ChatStore } from "../ChatStore.js";
import type { EngineSupervisor } from "../EngineSupervisor.js";
import { UserError } from "../UserError.js";
import type { Baselines } from "./Baselines.js";
import type { Documents } from "./Documents.js";
import type { Models } from "./Models.js";
import type { PreparedState, Snapshots, StateOutcome } from "./Snapshots.js";
import { streamGeneration } from "./streamGeneration.js";

interface ChatRun {
    chatId: string;
    messageId: string;
    modelId?: string;
    controller: AbortController;
    /** tokens this run may generate */
    maxTokens: number;
    /** Continue: the text the answer already has; the run (greedy, so it starts with that text again) shows only what comes after it */
    skip?: string;
    /** what a continuing run generated while it was still going over `skip` */
    seen: string;
    /** why it was aborted, when it was */
    endedBy?: "stop" | "delete" | "unload";
    /** settles when the run has written its end */
    done: Promise<void>;
}

/** how long deleting, stopping or unloading waits for a run to write its end */
const END_WAIT_MS = 3000;

export class ChatRuns {
    private readonly runs = new Map<string, ChatRun>();

    constructor(
        readonly store: ChatStore,
        private readonly engine: EngineSupervisor,
        private readonly models: Models,
        private readonly documents: Documents,
        private readonly baselines: Baselines,
        private readonly emit: (event: AppEvent) => void,
        private readonly maxAnswerTokens: number,
        private readonly snapshots: Snapshots,
    ) {
        models.onStateLost((modelId, why) => void this.snapshotsLost(modelId, why));
    }

    list(): ChatSummary[] {
        return this.store.list((id) => this.runs.has(id));
    }

    async create(modelId: string | undefined): Promise<Chat> {
        const chat = await this.store.create(modelId ?? this.models.defaultChatModel()?.id);
        this.emitList();
        return chat;
    }

    async change(chatId: string, change: (chat: Chat) => void): Promise<Chat> {
        const chat = await this.store.update(chatId, change);
        this.emit({ type: "chat.updated", chat });
        // the sidebar's rows show the title and the model
        this.emitList();
        return chat;
    }

    async delete(chatId: string): Promise<ChatSummary[]> {
        this.store.get(chatId);
        await this.end(chatId, "delete");
        await this.snapshots.free(chatId);
        // the saved text of documents only this chat used goes with it
        await this.documents.deleteSaved(await this.store.delete(chatId));
        this.emitList();
        return this.list();
    }

    async stop(chatId: string): Promise<Chat> {
        this.store.get(chatId);
        await this.end(chatId, "stop");
        return this.store.get(chatId);
    }

    /** Ends every answer running on `modelId` (before it is unloaded or removed). */
    async endRunsOn(modelId: string): Promise<void> {
        await Promise.all([...this.runs.values()].filter((r) => r.modelId === modelId).map((r) => this.end(r.chatId, "unload")));
    }

    async closeAll(): Promise<void> {
        await Promise.all([...this.runs.keys()].map((chatId) => this.end(chatId, "stop")));
    }

    async send(chatId: string, text: string, documentIds: string[]): Promise<Chat> {
        this.refuseWhileAnswering(chatId);
        if (!text.trim() && documentIds.length === 0) throw new UserError("Type a message first.");
        const modelId = this.store.get(chatId).modelId ?? this.models.defaultChatModel()?.id;
        if (!modelId) throw new UserError("No model is available. Add a .gguf file in Models.");
        const documents: DocumentRef[] = await this.documents.refsFor(documentIds, modelId);
        const user: ChatMessageRecord = { id: newId("msg"), role: "user", content: text.trim(), createdAt: Date.now(), documents: documents.length ? documents : undefined };
        await this.store.update(chatId, (c) => {
            c.modelId = modelId;
            c.messages.push(user);
            if (c.title === "New chat") c.title = titleFrom(text, documents);
        });
        return this.startAnswer(chatId);
    }

    async regenerate(chatId: string): Promise<Chat> {
        this.refuseWhileAnswering(chatId);
        await this.store.update(chatId, (c) => {
            while (c.messages.length && c.messages[c.messages.length - 1]!.role === "assistant") c.messages.pop();
        });
        if (!this.store.get(chatId).messages.length) throw new UserError("There is nothing to regenerate.");
        return this.startAnswer(chatId);
    }

    /**
     * Goes on with an answer that stopped at its token limit: the answer is run again from the
     * snapshot after the question with the limit raised by one more answer's worth; greedy decoding
     * repeats the text it has, which is not shown again, and the new text is added to it.
     */
    async continue(chatId: string): Promise<Chat> {
        this.refuseWhileAnswering(chatId);
        const last = this.store.get(chatId).messages.at(-1);
        if (last?.role !== "assistant" || !last.tokenLimit) throw new UserError("Only an answer that stopped at its token limit can be continued.");
        const limit = last.tokenLimit + this.maxAnswerTokens;
        const chat = await this.store.update(chatId, (c) => {
            const m = c.messages.at(-1)!;
            m.status = "streaming";
            m.tokenLimit = undefined;
            m.error = undefined;
        });
        return this.runAnswer(chat, last.id, last.modelId, limit, last.content);
    }

    async editResend(chatId: string, messageId: string, text: string): Promise<Chat> {
        this.refuseWhileAnswering(chatId);
        const index = this.store.get(chatId).messages.findIndex((m) => m.id === messageId);
        if (index < 0 || this.store.get(chatId).messages[index]!.role !== "user") throw new UserError("Only your own messages can be edited.");
        await this.store.update(chatId, (c) => {
            c.messages[index]!.content = text.trim();
            c.messages.splice(index + 1);
        });
        return this.startAnswer(chatId);
    }

    export(chatId: string, format: "md" | "json"): { fileName: string; content: string } {
        const chat = this.store.get(chatId);
        const base = chat.title.replace(/[^\p{L}\p{N} _-]+/gu, "").trim().slice(0, 60) || "chat";
        if (format === "json") return { fileName: `${base}.json`, content: JSON.stringify(chat, null, 2) };
        const name = (id?: string) => this.models.registry.find(id)?.shape?.name ?? this.models.registry.find(id)?.fileName ?? "model";
        return { fileName: `${base}.md`, content: chatToMarkdown(chat, name) };
    }

    /**
     * A model's sequences were thrown away: the snapshot each chat on it last took is gone, and its
     * last answer says so (the meters show it) until a new answer takes a new one.
     */
    private async snapshotsLost(modelId: string, why: string): Promise<void> {
        for (const summary of this.list()) {
            if (summary.modelId !== modelId || this.runs.has(summary.id)) continue;
            const last = this.store.get(summary.id).messages.at(-1);
            if (last?.role !== "assistant" || last.snapshotBytes == null) continue;
            // a note on the answer, not news: the chat keeps its place in the list
            const chat = await this.store.update(summary.id, (c) => { c.messages.at(-1)!.snapshotLost = why; }, false).catch(() => undefined);
            if (chat) this.emit({ type: "chat.updated", chat });
        }
    }

    private refuseWhileAnswering(chatId: string): void {
        this.store.get(chatId);
        if (this.runs.has(chatId)) throw new UserError("This chat is still answering; stop it first.");
    }

    private async end(chatId: string, why: NonNullable<ChatRun["endedBy"]>): Promise<void> {
        const run = this.runs.get(chatId);
        if (!run) return;
        run.endedBy ??= why;
        run.controller.abort();
        // an engine that is restarting cannot answer the stop: wait a little, the run drops what comes after
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([run.done, new Promise<void>((resolve) => { timer = setTimeout(resolve, END_WAIT_MS); })]);
        clearTimeout(timer);
    }

    /** Appends an empty assistant message and streams the answer into it; returns at once. */
    private async startAnswer(chatId: string): Promise<Chat> {
        const modelId = this.store.get(chatId).modelId ?? this.models.defaultChatModel()?.id;
        const assistant: ChatMessageRecord = { id: newId("msg"), role: "assistant", content: "", createdAt: Date.now(), modelId, status: "streaming" };
        const chat = await this.store.update(chatId, (c) => { c.messages.push(assistant); });
        return this.runAnswer(chat, assistant.id, modelId, this.maxAnswerTokens);
    }

    private runAnswer(chat: Chat, messageId: string, modelId: string | undefined, maxTokens: number, skip?: string): Chat {
        const chatId = chat.id;
        const run: ChatRun = { chatId, messageId, modelId, maxTokens, skip, seen: "", controller: new AbortController(), done: Promise.resolve() };
        this.runs.set(chatId, run);
        this.emit({ type: "chat.updated", chat });
        this.emitList();
        run.done = this.answer(run);
        return chat;
    }

    private async answer(run: ChatRun): Promise<void> {
        const { chatId, messageId, modelId } = run;
        let lastMetrics: Metrics | undefined;
        let prepared: PreparedState | undefined;
        try {
            if (!modelId) throw new UserError("No model is available. Add a .gguf file in Models.");
            // the chat's saved state (checked against the loaded model) and where the new one goes
            await this.models.load(modelId);
            prepared = await this.snapshots.prepare(chatId, modelId);
            const result = await streamGeneration(this.engine, this.models, {
                modelId,
                sequenceId: chatId,
                messages: await this.engineMessages(chatId, messageId),
                maxTokens: run.maxTokens,
                state: prepared.options,
                signal: run.controller.signal,
                onToken: (text) => this.token(run, text),
                onMetrics: (metrics) => {
                    lastMetrics = metrics;
                    if (this.store.has(chatId)) this.emit({ type: "chat.metrics", chatId, messageId, metrics });
                },
            });
            const outcome = await this.snapshots.settle(prepared, result?.state);
            await this.finish(run, result, result?.metrics ?? lastMetrics, outcome);
        } catch (error) {
            await this.snapshots.discard(prepared).catch(() => undefined);
            await this.fail(run, error as Error, lastMetrics).catch(() => undefined);
        } finally {
            if (this.runs.get(chatId) === run) this.runs.delete(chatId);
            if (this.store.has(chatId)) this.emitList();
        }
    }

    private token(run: ChatRun, piece: string): void {
        if (!this.store.has(run.chatId)) return;
        let text = piece;
        if (run.skip != null) {
            run.seen += piece;
            const same = run.seen.length <= run.skip.length ? run.skip.startsWith(run.seen) : run.seen.startsWith(run.skip);
            if (same && run.seen.length <= run.skip.length) return;
            if (same) {
                text = run.seen.slice(run.skip.length);
                run.skip = undefined;
            } else {
                // not the text it had (it should be, greedy): the answer becomes what this run says
                run.skip = undefined;
                void this.change(run.chatId, (c) => {
                    const m = c.messages.find((x) => x.id === run.messageId);
                    if (m) m.content = run.seen;
                }).catch(() => undefined);
                return;
            }
        }
        this.store.updateSoon(run.chatId, (c) => {
            const m = c.messages.find((x) => x.id === run.messageId);
            if (m) m.content += text;
        });
        this.emit({ type: "chat.token", chatId: run.chatId, messageId: run.messageId, text });
    }

    private async finish(run: ChatRun, result: GenerationResult | undefined, metrics: Metrics | undefined, outcome: StateOutcome): Promise<void> {
        const stopped = !result || result.stopReason === "stopped" || run.endedBy != null;
        await this.close(run, stopped ? "stopped" : "done", {
            metrics,
            // one snapshot (taken after the prompt was read and after the answer)
            snapshotBytes: metrics?.snapshotBytesMeasured ?? (metrics?.checkpointBytesMeasured || undefined),
            error: run.endedBy === "unload" ? "The model was unloaded while answering."
                : result?.stopReason === "contextFull" ? "The context is full: the answer was cut. Raise the context size in Models, or start a new chat." : undefined,
            tokenLimit: !stopped && result?.stopReason === "maxTokens" ? run.maxTokens : undefined,
            ...outcome,
        });
        const model = run.modelId ? this.models.registry.find(run.modelId) : undefined;
        if (model?.kind === "dense" && result?.metrics) this.baselines.record(model.id, undefined, result.metrics, "chat");
    }

    private async fail(run: ChatRun, error: Error, metrics: Metrics | undefined): Promise<void> {
        if (error instanceof EngineCrashedError) {
            const how = error.signal ? `killed by ${error.signal}` : `exit code ${error.exitCode}`;
            await this.close(run, "interrupted", { metrics, error: `The engine process stopped (${how}) while answering; the text so far is kept. Press Regenerate to try again.` });
        } else if (run.endedBy) {
            await this.close(run, "stopped", { metrics, error: run.endedBy === "unload" ? "The model was unloaded while answering." : undefined });
        } else {
            await this.close(run, "error", { metrics, error: error.message });
        }
    }

    /** Writes the end of the answer and says so; nothing when the chat was deleted meanwhile. */
    private async close(run: ChatRun, status: MessageStatus, change: Pick<ChatMessageRecord, "metrics" | "snapshotBytes" | "error" | "resumedFrom" | "savedStateBytes" | "stateNote" | "tokenLimit">): Promise<void> {
        // the chat takes a new message as soon as anyone can see this one ended
        if (this.runs.get(run.chatId) === run) this.runs.delete(run.chatId);
        if (!this.store.has(run.chatId)) return;
        let ended: ChatMessageRecord | undefined;
        await this.store.update(run.chatId, (c) => {
            ended = c.messages.find((x) => x.id === run.messageId);
            if (ended) Object.assign(ended, { status }, change);
        });
        if (ended) this.emit({ type: "chat.answered", chatId: run.chatId, messageId: run.messageId, status, ...change });
    }

    /** The chat up to (not including) `untilMessageId`, documents placed before their question. */
    private async engineMessages(chatId: string, untilMessageId: string): Promise<ChatMessage[]> {
        const out: ChatMessage[] = [];
        for (const m of this.store.get(chatId).messages) {
            if (m.id === untilMessageId) break;
            if (m.role === "assistant" && (m.status === "error" || (m.status === "interrupted" && !m.content))) continue;
            let content = m.content;
            if (m.documents?.length) {
                const attached: AttachedDocument[] = [];
                for (const d of m.documents) attached.push({ name: d.name, text: await this.documents.savedText(d.id) });
                content = documentQuestionText(attached, content);
            }
            out.push({ role: m.role, content });
        }
        return out;
    }

    private emitList(): void {
        this.emit({ type: "chats.changed", chats: this.list() });
    }
}

function titleFrom(text: string, documents: DocumentRef[]): string {
    const line = text.trim().split("\n")[0] ?? "";
    const base = line || (documents[0] ? `About ${documents[0].name}` : "New chat");
    return base.length > 48 ? `${base.slice(0, 47)}…` : base;
}
