/**
 * The app core: everything the UI can ask for, independent of how it asks (Electron IPC,
 * serve mode's WebSocket, or a test calling `call()` directly). `call(method, params)` validates
 * the params and hands the call to the service that owns it: `Models`, `ChatRuns`, `Documents`,
 * `ComparisonRuns`, `Baselines`, `Snapshots`, `EngineChoice`, `LocalApiServer` (main/core/services/).
 * Every change is pushed as an `AppEvent`.
 */
import { EventEmitter } from "node:events";
import os from "node:os";
import path from "node:path";
import type { ApiMethod, AppEvent, AppInfo, ParamsOf, ResultOf } from "../../api/appApi.js";
import { validateParams } from "../../api/validate.js";
import type { EngineTransportFactory } from "../../engine/runtime/client/EngineTransport.js";
import { ChatStore } from "./ChatStore.js";
import { ConnectionSettings } from "./ConnectionSettings.js";
import { DocumentStore } from "./documents/DocumentStore.js";
import { EngineSupervisor, type SupervisorOptions } from "./EngineSupervisor.js";
import { HandedOutFiles } from "./HandedOutFiles.js";
import { ModelRegistry } from "./ModelRegistry.js";
import { UserError } from "./UserError.js";
import { readWelcome } from "./welcome.js";
import { Baselines } from "./services/Baselines.js";
import { ChatRuns } from "./services/ChatRuns.js";
import { ComparisonRuns } from "./services/ComparisonRuns.js";
import { Documents } from "./services/Documents.js";
import { EngineChoice } from "./services/EngineChoice.js";
import { LocalApiServer } from "./services/LocalApiServer.js";
import { Models } from "./services/Models.js";
import { Snapshots } from "./services/Snapshots.js";
import { SnapshotStore } from "./SnapshotStore.js";

export interface AppCoreOptions {
    userDataDir: string;
    modelDirs: string[];
    /** starts an engine process on this machine: a `UtilityProcessTransport` in Electron, a `ForkTransport` in serve mode */
    engine: EngineTransportFactory;
    /** "utility-process" (Electron) or "child-process" (serve mode) */
    engineHostKind: string;
    /** RECURFORMER_ENGINE_URL / _TOKEN: a remote engine that wins over Settings at start (`remoteEngineFromEnv`) */
    remoteEngine?: { url: string; token: string };
    /** restart back-off and crash-loop cap */
    engineRestart?: SupervisorOptions;
    transport: AppInfo["transport"];
    version: string;
    maxDocumentBytes: number;
    /** Electron: opens a file dialog; absent in serve mode */
    pickModelFile?: () => Promise<string | null>;
    /** tokens an answer may run to (default 512) */
    maxAnswerTokens?: number;
    /** load the default model at start (default true) */
    autoload?: boolean;
}

type Handlers = { [M in ApiMethod]: (params: ParamsOf<M>) => ResultOf<M> | Promise<ResultOf<M>> };

export class AppCore extends EventEmitter<{ event: [AppEvent] }> {
    readonly engine: EngineSupervisor;
    readonly models: Models;
    readonly chats: ChatRuns;
    readonly documents: Documents;
    /** desktop app: paths main handed out (dropped files), the only ones documents.ingest reads */
    readonly handedOut = new HandedOutFiles();
    readonly comparisons: ComparisonRuns;
    readonly baselines: Baselines;
    readonly snapshots: Snapshots;
    readonly connections: ConnectionSettings;
    readonly engineChoice: EngineChoice;
    readonly apiServer: LocalApiServer;
    /** the models were inspected and the default one loaded (after the first engine that started) */
    private bootstrapped = false;
    private readonly cpuThreads = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
    private readonly handlers: Handlers;
    /** the first screen's words and sample document, from the default models' card */
    private readonly welcome: ReturnType<typeof readWelcome>;

    constructor(private readonly options: AppCoreOptions) {
        super();
        this.setMaxListeners(100);
        const dir = options.userDataDir;
        const emit = (event: AppEvent) => void this.emit("event", event);
        this.engine = new EngineSupervisor(options.engine, options.engineHostKind, options.engineRestart);
        this.engine.on("status", (status) => emit({ type: "engine.status", status }));
        const registry = new ModelRegistry(path.join(dir, "models.json"), options.modelDirs, () => ({ threads: 0, gpuLayers: 0, cacheType: "f16" }));
        this.models = new Models(registry, this.engine, emit, this.cpuThreads);
        this.baselines = new Baselines(dir, emit);
        this.documents = new Documents(new DocumentStore(path.join(dir, "documents"), options.maxDocumentBytes), this.models, options.transport, emit, this.handedOut);
        const chatStore = new ChatStore(path.join(dir, "chats"));
        this.snapshots = new Snapshots(new SnapshotStore(path.join(dir, "snapshots")), this.models, (id) => chatStore.has(id) ? chatStore.get(id).title : undefined, emit);
        this.chats = new ChatRuns(chatStore, this.engine, this.models, this.documents, this.baselines, emit, options.maxAnswerTokens ?? 512, this.snapshots);
        this.comparisons = new ComparisonRuns(this.engine, this.models, this.documents, this.baselines, emit, this.cpuThreads);
        this.connections = new ConnectionSettings(dir);
        this.engineChoice = new EngineChoice(this.connections, this.engine, { transport: options.engine, hostKind: options.engineHostKind }, options.remoteEngine);
        this.apiServer = new LocalApiServer(this.connections, this.models, () => this.engine.transportFactory, emit);
        this.welcome = options.modelDirs[0] ? readWelcome(options.modelDirs[0]) : undefined;
        this.handlers = this.routes();
    }

    /** Opens the stores, starts the engine, inspects the models and loads the default one. */
    async open(): Promise<void> {
        await this.chats.store.open();
        await this.snapshots.store.open();
        await this.models.registry.open();
        await this.baselines.open();
        await this.connections.open();
        this.engineChoice.chooseAtStart();
        this.engine.start();
        void this.bootstrap();
    }

    /** Inspects the models, loads the default one and starts the API server if Settings left it on, once an engine runs. */
    private async bootstrap(): Promise<void> {
        if (this.bootstrapped) return;
        try {
            await this.engine.engine();
            await this.models.inspectAll();
            if (this.options.autoload ?? true) await this.models.autoload();
        } catch {
            return; // no engine yet: the next one Settings connects to does it
        }
        this.bootstrapped = true;
        this.apiServer.open();
    }

    async close(): Promise<void> {
        await this.apiServer.close().catch(() => undefined);
        this.comparisons.stopAll();
        await this.chats.closeAll();
        await this.chats.store.close();
        await this.snapshots.store.close();
        await this.baselines.flush();
        await this.engine.shutdown();
    }

    /** Validates and runs one API call. */
    async call<M extends ApiMethod>(method: M, rawParams: unknown): Promise<ResultOf<M>> {
        const params = validateParams(method, rawParams);
        return (this.handlers[method] as (p: ParamsOf<M>) => ResultOf<M> | Promise<ResultOf<M>>)(params);
    }

    /** Serve mode: a file uploaded over HTTP, to be read by `documents.ingest`. */
    registerUpload(uploadId: string, file: string, name: string): void {
        this.documents.registerUpload(uploadId, file, name);
    }

    /** Serve mode: forgets an upload not read yet; true when it had not been read. */
    forgetUpload(uploadId: string): boolean {
        return this.documents.forgetUpload(uploadId);
    }

    info(): AppInfo {
        return {
            version: this.options.version,
            transport: this.options.transport,
            userDataDir: this.options.userDataDir,
            modelDirs: this.options.modelDirs,
            maxDocumentBytes: this.options.maxDocumentBytes,
            cpuThreads: this.cpuThreads,
            gpu: this.models.onGpu(),
            notices: [...this.connections.notices, ...this.models.registry.notices, ...this.chats.store.notices, ...this.baselines.notices, ...this.snapshots.store.notices],
            ...(this.welcome ? { welcome: { text: this.welcome.text, sample: this.welcome.sample, modelCard: this.welcome.modelCard, modelCardPath: this.welcome.modelCardPath } } : {}),
        };
    }

    private routes(): Handlers {
        const { models, chats, documents, comparisons } = this;
        return {
            "app.info": () => this.info(),
            "engine.status": () => this.engine.getStatus(),
            "engine.restart": async () => { await this.engine.restart(); return this.engine.getStatus(); },
            "engine.connect": async (p) => { const status = await this.engineChoice.connect(p.url, p.token); void this.bootstrap(); return status; },
            "engine.disconnect": async () => { const status = await this.engineChoice.disconnect(); void this.bootstrap(); return status; },
            "engine.remoteSetting": () => this.engineChoice.remoteSetting(),
            "apiServer.status": () => this.apiServer.status(),
            "apiServer.set": (p) => this.apiServer.set(p.enabled, p.port),

            "models.list": () => models.list(),
            "models.add": (p) => models.add(p.path),
            "models.remove": async (p) => { await chats.endRunsOn(p.modelId); return models.remove(p.modelId); },
            "models.load": (p) => models.load(p.modelId),
            "models.unload": async (p) => { await chats.endRunsOn(p.modelId); return models.unload(p.modelId); },
            "models.setSettings": (p) => models.setSettings(p.modelId, p.settings),
            "models.pickFile": async () => {
                if (!this.options.pickModelFile) throw new UserError("A file dialog is only available in the desktop app; in the browser, type the model's path under “Add by path”.");
                const file = await this.options.pickModelFile();
                return file ? models.add(file) : null;
            },

            "chats.list": () => chats.list(),
            "chats.get": (p) => chats.store.get(p.chatId),
            "chats.create": (p) => chats.create(p?.modelId),
            "chats.rename": (p) => chats.change(p.chatId, (c) => { c.title = p.title.trim(); }),
            "chats.delete": (p) => chats.delete(p.chatId),
            "chats.setModel": (p) => { models.get(p.modelId); return chats.change(p.chatId, (c) => { c.modelId = p.modelId; }); },
            "chats.send": (p) => chats.send(p.chatId, p.text, p.documentIds ?? []),
            "chats.stop": (p) => chats.stop(p.chatId),
            "chats.regenerate": (p) => chats.regenerate(p.chatId),
            "chats.continue": (p) => chats.continue(p.chatId),
            "chats.editResend": (p) => chats.editResend(p.chatId, p.messageId, p.text),
            "chats.export": (p) => chats.export(p.chatId, p.format),

            "documents.ingest": (p) => documents.ingest(p.source),
            "documents.ingestSample": () => {
                if (!this.welcome?.samplePath) throw new UserError("The model card names no sample document.");
                return documents.ingestOwn(this.welcome.samplePath);
            },
            "documents.cancel": (p) => documents.cancel(p.documentId),
            "documents.cut": (p) => documents.cut(p.documentId, p.modelId, p.maxTokens),
            "documents.discard": (p) => documents.discard(p.documentId),

            "compare.start": (p) => comparisons.start(p),
            "compare.stop": (p) => comparisons.stop(p.runId),
            "baselines.list": () => this.baselines.list(),

            "snapshots.list": () => this.snapshots.state(),
            "snapshots.free": (p) => this.snapshots.free(p?.chatId),
            "snapshots.setBudget": (p) => this.snapshots.setBudget(p.bytes),
        };
    }
}
