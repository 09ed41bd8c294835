/**
 * The app core: everything the UI can ask for, independent of how it asks (Electron IPC,
 * serve mode's WebSocket, or a test calling `call()` directly). It owns the model registry,
 * chats on disk, documents, comparison runs, dense baselines, and the engine supervisor.
 *
 * Every call goes through `call(method, params)`, which validates the params first.
 * Every change is pushed as an `AppEvent` to all listeners.
 */
import { EventEmitter } from "node:events";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type {
    AppEvent, AppInfo, BaselineFigure, Chat, ChatMessageRecord, CompareRunInfo, CompareSide, DocumentInfo,
    DocumentRef, MessageStatus, Metrics, ModelInfo, ModelSettings, ParamsOf, ApiMethod, ResultOf, TokenCount,
} from "../../api/appApi.js";
import { validateParams } from "../../api/validate.js";
import { estimateTokens } from "../../api/limits.js";
import type { ChatMessage, GenerationResult, InspectReport, LoadResult } from "../../engine/runtime/protocol.js";
import { documentQuestionText, type AttachedDocument } from "../../engine/runtime/documentQuestion.js";
import { ChatStore, chatToMarkdown, newId } from "./ChatStore.js";
import { DocumentStore } from "./documents/DocumentStore.js";
import { EngineCrashedError, EngineSupervisor, type EngineHostFactory } from "./EngineSupervisor.js";
import { ModelRegistry } from "./ModelRegistry.js";
import { readJson, writeFileAtomic } from "./atomicFile.js";

export interface AppCoreOptions {
    userDataDir: string;
    modelDirs: string[];
    engine: EngineHostFactory;
    /** "utility-process" (Electron) or "child-process" (serve mode) */
    engineHostKind: string;
    transport: AppInfo["transport"];
    version: string;
    maxDocumentBytes: number;
    /** Electron: opens a file dialog; absent in serve mode */
    pickModelFile?: () => Promise<string | null>;
    /** tokens an answer may run to (default 512) */
    maxAnswerTokens?: number;
    /** load the default model at start (default true) */
    autoload?: boolean;
    /** ms between metrics events per run pushed to the UI (default 100) */
    metricsIntervalMs?: number;
}

export class UserError extends Error {
    override name = "UserError";
}

interface ActiveChatRun { chatId: string; messageId: string; requestId?: number; stopRequested: boolean }
interface ActiveCompare { info: CompareRunInfo; requestIds: Set<number>; stopped: boolean }

/** parallel sequences per loaded model: two chats can answer at once; each holds its own KV cache for the full context */
const SEQUENCES_PER_MODEL = 2;

export class AppCore extends EventEmitter<{ event: [AppEvent] }> {
    readonly engine: EngineSupervisor;
    readonly models: ModelRegistry;
    readonly chats: ChatStore;
    readonly documents: DocumentStore;
    private readonly uploads = new Map<string, { path: string; name: string }>();
    private readonly runs = new Map<string, ActiveChatRun>();
    private readonly compares = new Map<string, ActiveCompare>();
    private readonly loadResults = new Map<string, LoadResult>();
    private readonly loading = new Map<string, Promise<ModelInfo>>();
    private baselines: BaselineFigure[] = [];
    /** the latest write of baselines.json, one after another; `close` waits for it */
    private baselinesWrite: Promise<void> = Promise.resolve();
    private readonly cpuThreads = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);

    constructor(private readonly options: AppCoreOptions) {
        super();
        this.setMaxListeners(100);
        const dir = options.userDataDir;
        this.engine = new EngineSupervisor(options.engine, {}, options.engineHostKind);
        this.models = new ModelRegistry(path.join(dir, "models.json"), options.modelDirs, () => ({ threads: 0, gpuLayers: 0, cacheType: "f16" }));
        this.chats = new ChatStore(path.join(dir, "chats"));
        this.documents = new DocumentStore(path.join(dir, "documents"), options.maxDocumentBytes);
        this.engine.on("status", (status) => this.emitEvent({ type: "engine.status", status }));
        this.engine.on("restarted", () => void this.afterEngineRestart());
    }

    /** Opens the stores, starts the engine, inspects the models and loads the default one. */
    async open(): Promise<void> {
        await this.chats.open();
        await this.models.open();
        this.baselines = await readJson<BaselineFigure[]>(path.join(this.options.userDataDir, "baselines.json"), []);
        this.engine.start();
        void this.inspectAll().then(() => (this.options.autoload ?? true) ? this.autoload() : undefined).catch(() => undefined);
    }

    async close(): Promise<void> {
        for (const run of this.runs.values()) if (run.requestId) this.engine.stop(run.requestId);
        await this.chats.close();
        await this.baselinesWrite;
        await this.engine.shutdown();
    }

    /** Validates and runs one API call. */
    async call<M extends ApiMethod>(method: M, rawParams: unknown): Promise<ResultOf<M>> {
        const params = validateParams(method, rawParams);
        return (await this.dispatch(method, params)) as ResultOf<M>;
    }

    /** Serve mode: a file uploaded over HTTP, to be read by `documents.ingest`. */
    registerUpload(uploadId: string, file: string, name: string): void {
        this.uploads.set(uploadId, { path: file, name });
    }

    info(): AppInfo {
        return {
            version: this.options.version,
            transport: this.options.transport,
            userDataDir: this.options.userDataDir,
            modelDirs: this.options.modelDirs,
            maxDocumentBytes: this.options.maxDocumentBytes,
            cpuThreads: this.cpuThreads,
            gpu: [...this.loadResults.values()].some((r) => Boolean(r.backend?.gpu)),
        };
    }

    private async dispatch(method: ApiMethod, p: any): Promise<unknown> {
        switch (method) {
            case "app.info": return this.info();
            case "engine.status": return this.engine.getStatus();
            case "engine.restart": this.engine.restart(); return this.engine.getStatus();

            case "models.list": return this.models.list();
            case "models.add": return this.addModel(p.path);
            case "models.remove": {
                const model = this.models.get(p.modelId);
                if (model.status === "loaded") await this.unloadModel(model.id);
                await this.models.remove(p.modelId);
                this.emitModels();
                return this.models.list();
            }
            case "models.load": return this.loadModel(p.modelId);
            case "models.unload": return this.unloadModel(p.modelId);
            case "models.setSettings": return this.setSettings(p.modelId, p.settings);
            case "models.pickFile": {
                if (!this.options.pickModelFile) throw new UserError("A file dialog is only available in the desktop app; in the browser, type the model's path under “Add by path”.");
                const file = await this.options.pickModelFile();
                return file ? this.addModel(file) : null;
            }

            case "chats.list": return this.chatList();
            case "chats.get": return this.chats.get(p.chatId);
            case "chats.create": {
                const chat = await this.chats.create(p?.modelId ?? this.defaultChatModel()?.id);
                this.emitChats();
                return chat;
            }
            case "chats.rename": {
                const chat = await this.chats.update(p.chatId, (c) => { c.title = p.title.trim(); });
                this.emitChat(chat);
                return chat;
            }
            case "chats.delete": {
                this.stopChat(p.chatId);
                await this.chats.delete(p.chatId);
                this.emitChats();
                return this.chatList();
            }
            case "chats.setModel": {
                this.models.get(p.modelId);
                const chat = await this.chats.update(p.chatId, (c) => { c.modelId = p.modelId; });
                this.emitChat(chat);
                return chat;
            }
            case "chats.send": return this.send(p.chatId, p.text, p.documentIds ?? []);
            case "chats.stop": this.stopChat(p.chatId); return this.chats.get(p.chatId);
            case "chats.regenerate": return this.regenerate(p.chatId);
            case "chats.editResend": return this.editResend(p.chatId, p.messageId, p.text);
            case "chats.export": return this.exportChat(p.chatId, p.format);

            case "documents.ingest": return this.ingest(p.source);
            case "documents.cancel": return { cancelled: this.documents.cancel(p.documentId) };
            case "documents.cut": return this.documents.cut(p.documentId, p.modelId, p.maxTokens, (t) => this.countTokens(t));
            case "documents.discard": return { discarded: this.documents.discard(p.documentId) };

            case "compare.start": return this.startCompare(p);
            case "compare.stop": {
                const run = this.compares.get(p.runId);
                if (!run) return { stopped: false };
                run.stopped = true;
                for (const id of run.requestIds) this.engine.stop(id);
                return { stopped: true };
            }
            case "baselines.list": return this.baselines;
        }
    }

    // ---------------------------------------------------------------- models

    private async inspectAll(): Promise<void> {
        await this.engine.whenReady();
        for (const model of this.models.list()) {
            if (model.shape) continue;
            await this.inspect(model.id);
        }
    }

    private async inspect(modelId: string): Promise<void> {
        const model = this.models.get(modelId);
        model.status = "inspecting";
        this.emitModels();
        try {
            const report = await this.engine.request<InspectReport>({ type: "inspect", modelPath: model.path }).result;
            this.models.setShape(modelId, report.shape);
        } catch (error) {
            this.models.setError(modelId, (error as Error).message);
        }
        this.emitModels();
    }

    private async addModel(file: string): Promise<ModelInfo> {
        const model = await this.models.addUserFile(file);
        this.emitModels();
        if (!model.shape) await this.inspect(model.id);
        return this.models.get(model.id);
    }

    /** The model new chats use: a loaded RecurFormer model, else any RecurFormer, else any usable model. */
    private defaultChatModel(): ModelInfo | undefined {
        const usable = this.models.list().filter((m) => m.shape);
        return usable.find((m) => m.kind === "recurformer" && m.status === "loaded")
            ?? usable.find((m) => m.kind === "recurformer" && m.origin === "default")
            ?? usable.find((m) => m.kind === "recurformer")
            ?? usable[0];
    }

    private async autoload(): Promise<void> {
        const model = this.defaultChatModel();
        if (model && model.status === "unloaded") await this.loadModel(model.id).catch(() => undefined);
    }

    /** Loads (or reloads, when its settings changed) a model; concurrent calls share one load. */
    async loadModel(modelId: string, override: Partial<ModelSettings> = {}): Promise<ModelInfo> {
        const inFlight = this.loading.get(modelId);
        if (inFlight) await inFlight.catch(() => undefined);
        const model = this.models.get(modelId);
        if (!model.shape) {
            if (model.status === "error") throw new UserError(`${model.fileName} cannot be used: ${model.error}`);
            await this.inspect(modelId);
            if (!model.shape) throw new UserError(`${model.fileName} cannot be used: ${model.error}`);
        }
        const settings = { ...model.settings, ...override };
        const current = this.loadResults.get(modelId);
        if (model.status === "loaded" && current && this.sameSettings(current, settings)) return model;
        const task = (async () => {
            if (model.status === "loaded") {
                await this.engine.request({ type: "unload", modelId }).result.catch(() => undefined);
                this.loadResults.delete(modelId);
            }
            this.models.setStatus(modelId, "loading");
            this.emitModels();
            try {
                const result = await this.engine.request<LoadResult>({
                    type: "load",
                    modelId,
                    options: {
                        modelPath: model.path,
                        contextSize: settings.contextSize,
                        threads: settings.threads,
                        gpuLayers: settings.gpuLayers,
                        cacheType: settings.cacheType,
                        sequences: SEQUENCES_PER_MODEL,
                    },
                }).result;
                this.loadResults.set(modelId, { ...result, threads: settings.threads, contextSize: settings.contextSize });
                if (result.shape) this.models.setShape(modelId, result.shape);
                this.models.setStatus(modelId, "loaded");
            } catch (error) {
                this.models.setStatus(modelId, "error", `Loading failed: ${(error as Error).message}`);
                throw new UserError(`Could not load ${model.fileName}: ${(error as Error).message}`);
            } finally {
                this.emitModels();
            }
            return model;
        })();
        this.loading.set(modelId, task);
        try { return await task; } finally { if (this.loading.get(modelId) === task) this.loading.delete(modelId); }
    }

    private sameSettings(loaded: LoadResult, wanted: ModelSettings): boolean {
        return loaded.contextSize === wanted.contextSize && loaded.threads === wanted.threads && loaded.cacheType === wanted.cacheType;
    }

    private async unloadModel(modelId: string): Promise<ModelInfo> {
        const model = this.models.get(modelId);
        if (model.status === "loaded") {
            await this.engine.request({ type: "unload", modelId }).result.catch(() => undefined);
        }
        this.loadResults.delete(modelId);
        this.models.setStatus(modelId, model.shape ? "unloaded" : "error", model.error);
        this.emitModels();
        return model;
    }

    private async setSettings(modelId: string, change: Partial<ModelSettings>): Promise<ModelInfo> {
        const model = await this.models.updateSettings(modelId, change);
        this.emitModels();
        if (model.status === "loaded") await this.loadModel(modelId);
        return this.models.get(modelId);
    }

    private async afterEngineRestart(): Promise<void> {
        const wereLoaded = this.models.list().filter((m) => m.status === "loaded" || m.status === "loading");
        this.loadResults.clear();
        for (const m of wereLoaded) this.models.setStatus(m.id, "unloaded");
        this.emitModels();
        for (const m of this.models.list()) if (!m.shape) await this.inspect(m.id);
        for (const m of wereLoaded) await this.loadModel(m.id).catch(() => undefined);
    }

    /**
     * Token counts of `text` for every usable model: the engine's tokenizer for loaded models;
     * a model that is not loaded takes its pair's count (a RecurFormer conversion keeps its
     * source's tokenizer); otherwise an estimate, labelled as such.
     */
    private async countTokens(text: string): Promise<Record<string, TokenCount>> {
        const counts: Record<string, TokenCount> = {};
        const usable = this.models.list().filter((m) => m.shape);
        for (const model of usable) {
            if (model.status !== "loaded") continue;
            try {
                const value = await this.engine.request<{ tokens: number }>({ type: "tokenize", modelId: model.id, text }).result;
                if (typeof value?.tokens === "number") counts[model.id] = { tokens: value.tokens, how: "counted" };
            } catch {
                // an engine without `tokenize`: fall through to the estimate
            }
        }
        for (const model of usable) {
            if (counts[model.id]) continue;
            const pairIds = [model.pairedDenseId, ...(model.pairedRecurformerIds ?? [])].filter((id): id is string => Boolean(id));
            const pair = pairIds.map((id) => counts[id]).find((c) => c?.how === "counted");
            counts[model.id] = pair ? { ...pair } : { tokens: estimateTokens(text), how: "estimated" };
        }
        return counts;
    }

    // ---------------------------------------------------------------- chats

    private chatList() {
        return this.chats.list((id) => this.runs.has(id));
    }

    private async send(chatId: string, text: string, documentIds: string[]): Promise<Chat> {
        if (this.runs.has(chatId)) throw new UserError("This chat is still answering; stop it first.");
        if (!text.trim() && documentIds.length === 0) throw new UserError("Type a message first.");
        const chat = this.chats.get(chatId);
        const modelId = chat.modelId ?? this.defaultChatModel()?.id;
        if (!modelId) throw new UserError("No model is available. Add a .gguf file in Models.");
        const documents: DocumentRef[] = [];
        for (const id of documentIds) {
            const info = this.documents.get(id);
            await this.documents.persist(id);
            documents.push({ id, name: info.name, chars: info.chars, tokens: info.tokens[modelId]?.tokens, cut: Boolean(info.cut) });
        }
        const user: ChatMessageRecord = { id: newId("msg"), role: "user", content: text.trim(), createdAt: Date.now(), documents: documents.length ? documents : undefined };
        await this.chats.update(chatId, (c) => {
            c.modelId = modelId;
            c.messages.push(user);
            if (c.title === "New chat") c.title = titleFrom(text, documents);
        });
        return this.startAnswer(chatId);
    }

    private async regenerate(chatId: string): Promise<Chat> {
        if (this.runs.has(chatId)) throw new UserError("This chat is still answering; stop it first.");
        await this.chats.update(chatId, (c) => {
            while (c.messages.length && c.messages[c.messages.length - 1]!.role === "assistant") c.messages.pop();
        });
        if (!this.chats.get(chatId).messages.length) throw new UserError("There is nothing to regenerate.");
        return this.startAnswer(chatId);
    }

    private async editResend(chatId: string, messageId: string, text: string): Promise<Chat> {
        if (this.runs.has(chatId)) throw new UserError("This chat is still answering; stop it first.");
        const chat = this.chats.get(chatId);
        const index = chat.messages.findIndex((m) => m.id === messageId);
        if (index < 0 || chat.messages[index]!.role !== "user") throw new UserError("Only your own messages can be edited.");
        await this.chats.update(chatId, (c) => {
            c.messages[index]!.content = text.trim();
            c.messages.splice(index + 1);
        });
        return this.startAnswer(chatId);
    }

    /** Appends an empty assistant message and streams the answer into it; returns at once. */
    private async startAnswer(chatId: string): Promise<Chat> {
        const chat = this.chats.get(chatId);
        const modelId = chat.modelId ?? this.defaultChatModel()?.id;
        const assistant: ChatMessageRecord = { id: newId("msg"), role: "assistant", content: "", createdAt: Date.now(), modelId, status: "streaming" };
        await this.chats.update(chatId, (c) => { c.messages.push(assistant); });
        const run: ActiveChatRun = { chatId, messageId: assistant.id, stopRequested: false };
        this.runs.set(chatId, run);
        this.emitChat(this.chats.get(chatId));
        this.emitChats();
        void this.runAnswer(run, modelId);
        return this.chats.get(chatId);
    }

    private async runAnswer(run: ActiveChatRun, modelId: string | undefined): Promise<void> {
        const { chatId, messageId } = run;
        const finish = async (status: MessageStatus, change: Partial<ChatMessageRecord> = {}) => {
            this.runs.delete(chatId);
            if (!this.chats.has(chatId)) return;
            const chat = await this.chats.update(chatId, (c) => {
                const m = c.messages.find((x) => x.id === messageId);
                if (m) Object.assign(m, { status }, change);
            });
            this.emitChat(chat);
            this.emitChats();
        };
        try {
            if (!modelId) throw new UserError("No model is available. Add a .gguf file in Models.");
            await this.loadModel(modelId);
            if (run.stopRequested) return await finish("stopped");
            const messages = await this.engineMessages(chatId, messageId);
            const throttle = new MetricsThrottle(this.options.metricsIntervalMs ?? 100, (metrics) => {
                this.emitEvent({ type: "chat.metrics", chatId, messageId, metrics });
            });
            let lastMetrics: Metrics | undefined;
            const request = this.engine.request<GenerationResult>(
                { type: "chat", modelId, chatId, messages, maxTokens: this.options.maxAnswerTokens ?? 512 },
                (event) => {
                    if (event.type === "token") {
                        this.chats.updateSoon(chatId, (c) => {
                            const m = c.messages.find((x) => x.id === messageId);
                            if (m) m.content += event.text;
                        });
                        this.emitEvent({ type: "chat.token", chatId, messageId, text: event.text });
                    } else if (event.type === "metrics") {
                        lastMetrics = event.metrics;
                        throttle.push(event.metrics);
                    }
                },
            );
            run.requestId = request.id;
            if (run.stopRequested) this.engine.stop(request.id);
            try {
                const result = await request.result;
                throttle.flush();
                const metrics = result.metrics ?? lastMetrics;
                const status: MessageStatus = result.stopReason === "stopped" || run.stopRequested ? "stopped" : "done";
                await finish(status, {
                    content: result.text ?? this.chats.message(chatId, messageId)?.content ?? "",
                    metrics,
                    // one snapshot (taken after the prompt was read and after the answer); older engines report only the total held
                    snapshotBytes: metrics?.snapshotBytesMeasured ?? (metrics?.checkpointBytesMeasured || undefined),
                    error: result.stopReason === "contextFull" ? "The context is full: the answer was cut. Raise the context size in Models, or start a new chat." : undefined,
                });
                const model = this.models.find(modelId);
                if (model?.kind === "dense" && metrics) this.recordBaseline(model.id, undefined, metrics, "chat");
            } finally {
                throttle.stop();
            }
        } catch (error) {
            if (error instanceof EngineCrashedError) {
                await finish("interrupted", { error: `${error.message} Press Regenerate to try again.` });
            } else {
                await finish(run.stopRequested ? "stopped" : "error", { error: (error as Error).message });
            }
        }
    }

    /** The chat up to (not including) `untilMessageId`, documents placed before their question. */
    private async engineMessages(chatId: string, untilMessageId: string): Promise<ChatMessage[]> {
        const out: ChatMessage[] = [];
        for (const m of this.chats.get(chatId).messages) {
            if (m.id === untilMessageId) break;
            if (m.role === "assistant" && (m.status === "error" || (m.status === "interrupted" && !m.content))) continue;
            let content = m.content;
            if (m.documents?.length) {
                const attached: AttachedDocument[] = [];
                for (const d of m.documents) attached.push({ name: d.name, text: await this.documents.load(d.id) });
                content = documentQuestionText(attached, content);
            }
            out.push({ role: m.role, content });
        }
        return out;
    }

    private stopChat(chatId: string): void {
        const run = this.runs.get(chatId);
        if (!run) return;
        run.stopRequested = true;
        if (run.requestId) this.engine.stop(run.requestId);
    }

    private exportChat(chatId: string, format: "md" | "json") {
        const chat = this.chats.get(chatId);
        const base = chat.title.replace(/[^\p{L}\p{N} _-]+/gu, "").trim().slice(0, 60) || "chat";
        if (format === "json") return { fileName: `${base}.json`, content: JSON.stringify(chat, null, 2) };
        return { fileName: `${base}.md`, content: chatToMarkdown(chat, (id) => this.models.find(id)?.shape?.name ?? this.models.find(id)?.fileName ?? "model") };
    }

    // ---------------------------------------------------------------- documents

    private async ingest(source: ParamsOf<"documents.ingest">["source"]): Promise<DocumentInfo> {
        let file: string;
        let name: string;
        if (source.kind === "upload") {
            const upload = this.uploads.get(source.uploadId);
            if (!upload) throw new UserError("That upload is not known (it may have expired); drop the file again.");
            file = upload.path;
            name = source.name || upload.name;
        } else {
            if (this.options.transport !== "electron") throw new UserError("In the browser, documents are uploaded; paths are accepted only from the desktop app.");
            file = source.path;
            name = source.name ?? path.basename(source.path);
        }
        const documentId = source.kind === "upload" ? source.uploadId : newId("doc");
        try {
            return await this.documents.ingest(documentId, file, name, (text) => this.countTokens(text), (phase, fraction, message) => {
                this.emitEvent({ type: "document.progress", documentId, name, phase, fraction, message });
            });
        } finally {
            // an uploaded copy is not needed once its text is out (the text is saved when a chat uses it)
            if (source.kind === "upload") {
                this.uploads.delete(source.uploadId);
                await fs.rm(file, { force: true }).catch(() => undefined);
            }
        }
    }

    // ---------------------------------------------------------------- comparison

    private async startCompare(p: ParamsOf<"compare.start">): Promise<CompareRunInfo> {
        const dense = this.models.get(p.denseModelId);
        const rf = this.models.get(p.recurformerModelId);
        if (!dense.shape || !rf.shape) throw new UserError("Both models must be inspected without errors first.");
        for (const run of this.compares.values()) if (!run.stopped) throw new UserError("A comparison is already running; stop it first.");
        const threadsEach = p.mode === "parallel" ? Math.max(1, Math.floor(this.cpuThreads / 2)) : this.cpuThreads;
        const info: CompareRunInfo = {
            runId: newId("cmp"),
            prompt: p.prompt,
            mode: p.mode,
            denseModelId: dense.id,
            recurformerModelId: rf.id,
            threadsEach,
            documentIds: p.documentIds ?? [],
            startedAt: Date.now(),
        };
        const content = documentQuestionText(info.documentIds.map((id) => ({ name: this.documents.get(id).name, text: this.documents.text(id) })), p.prompt);
        const run: ActiveCompare = { info, requestIds: new Set(), stopped: false };
        this.compares.set(info.runId, run);
        this.emitEvent({ type: "compare.started", run: info });
        const side = async (which: CompareSide, model: ModelInfo) => {
            if (run.stopped) return this.emitEvent({ type: "compare.done", runId: info.runId, side: which, status: "stopped" });
            try {
                await this.loadModel(model.id, { threads: threadsEach });
                const throttle = new MetricsThrottle(this.options.metricsIntervalMs ?? 100, (metrics) => this.emitEvent({ type: "compare.metrics", runId: info.runId, side: which, metrics }));
                const request = this.engine.request<GenerationResult>(
                    { type: "chat", modelId: model.id, chatId: `compare-${which}`, messages: [{ role: "user", content }], maxTokens: p.maxTokens ?? 128 },
                    (event) => {
                        if (event.type === "token") this.emitEvent({ type: "compare.token", runId: info.runId, side: which, text: event.text });
                        else if (event.type === "metrics") throttle.push(event.metrics);
                    },
                );
                run.requestIds.add(request.id);
                if (run.stopped) this.engine.stop(request.id);
                try {
                    const result = await request.result;
                    throttle.flush();
                    if (result.metrics) this.emitEvent({ type: "compare.metrics", runId: info.runId, side: which, metrics: result.metrics });
                    if (which === "dense" && result.metrics) this.recordBaseline(dense.id, rf.id, result.metrics, "comparison");
                    this.emitEvent({ type: "compare.done", runId: info.runId, side: which, status: result.stopReason === "stopped" ? "stopped" : "done" });
                } finally {
                    throttle.stop();
                    run.requestIds.delete(request.id);
                }
            } catch (error) {
                this.emitEvent({ type: "compare.done", runId: info.runId, side: which, status: run.stopped ? "stopped" : "error", error: (error as Error).message });
            }
        };
        void (async () => {
            if (p.mode === "parallel") await Promise.all([side("dense", dense), side("recurformer", rf)]);
            else {
                await side("dense", dense);
                await side("recurformer", rf);
            }
            run.stopped = true;
            // give the models back their own thread settings for chats
            for (const m of [dense, rf]) if (m.settings.threads !== threadsEach && m.status === "loaded") await this.loadModel(m.id).catch(() => undefined);
        })();
        return info;
    }

    private recordBaseline(denseModelId: string, recurformerModelId: string | undefined, metrics: Metrics, from: BaselineFigure["from"]): void {
        const figure: BaselineFigure = {
            denseModelId,
            recurformerModelId,
            tokensInContext: metrics.tokensInContext,
            prefillTokensPerSecond: metrics.prefillTokensPerSecond,
            decodeTokensPerSecond: metrics.decodeTokensPerSecond,
            timeToFirstTokenMs: metrics.timeToFirstTokenMs,
            stateBytesMeasured: metrics.stateBytesMeasured,
            stateBytesMeasuredAtTokens: metrics.stateBytesMeasuredAtTokens,
            measuredAt: Date.now(),
            from,
        };
        this.baselines = [figure, ...this.baselines].slice(0, 200);
        const text = JSON.stringify(this.baselines);
        this.baselinesWrite = this.baselinesWrite
            .then(() => writeFileAtomic(path.join(this.options.userDataDir, "baselines.json"), text))
            .catch(() => undefined);
        this.emitEvent({ type: "baselines.changed", baselines: this.baselines });
    }

    // ---------------------------------------------------------------- events

    private emitEvent(event: AppEvent): void {
        this.emit("event", event);
    }
    private emitModels(): void {
        this.emitEvent({ type: "models.changed", models: this.models.list() });
    }
    private emitChats(): void {
        this.emitEvent({ type: "chats.changed", chats: this.chatList() });
    }
    private emitChat(chat: Chat): void {
        this.emitEvent({ type: "chat.updated", chat });
    }
}

function titleFrom(text: string, documents: DocumentRef[]): string {
    const line = text.trim().split("\n")[0] ?? "";
    const base = line || (documents[0] ? `About ${documents[0].name}` : "New chat");
    return base.length > 48 ? `${base.slice(0, 47)}…` : base;
}

/** Passes on at most one metrics update per interval (the latest), so the UI never floods. */
export class MetricsThrottle {
    private latest?: Metrics;
    private timer?: NodeJS.Timeout;
    private last = 0;

    constructor(private readonly intervalMs: number, private readonly send: (metrics: Metrics) => void) {}

    push(metrics: Metrics): void {
        this.latest = metrics;
        const wait = this.intervalMs - (Date.now() - this.last);
        if (wait <= 0) this.flush();
        else if (!this.timer) this.timer = setTimeout(() => { this.timer = undefined; this.flush(); }, wait);
    }

    flush(): void {
        if (!this.latest) return;
        const metrics = this.latest;
        this.latest = undefined;
        this.last = Date.now();
        this.send(metrics);
    }

    stop(): void {
        clearTimeout(this.timer);
        this.timer = undefined;
    }
}
