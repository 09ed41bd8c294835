/**
 * The app's API: what the renderer may ask of the app core, and the events it hears back.
 *
 * One definition, three transports: Electron IPC (through the preload's `window.recurformer`),
 * serve mode's WebSocket, and direct calls in tests. Pure types plus the method list, no
 * Node or DOM imports, so that main, preload and renderer all import it.
 */
import type { CacheType, Metrics, ModelShape } from "./modelFigures.js";
import type { PyramidSchedule } from "./pyramidCache.js";
import type { PyramidSetting } from "./pyramidSetting.js";

export type { Metrics, ModelShape, PyramidSchedule, PyramidSetting };

/** Per-model settings the user can change; applied when the model is (re)loaded. */
export interface ModelSettings {
    /** context size in tokens */
    contextSize: number;
    /** CPU threads, 0 = let llama.cpp decide */
    threads: number;
    /** layers offloaded to a GPU (ignored where none exists) */
    gpuLayers: number;
    /** KV cache element type */
    cacheType: CacheType;
    /** PyramidInfer KV retention (api/pyramidSetting.ts); absent: off */
    pyramid?: PyramidSetting;
}

/** dense (llama, qwen2, …), a RecurFormer conversion, or BASED (linear attention + sliding-window layers: a fixed cache past its window) */
export type ModelKind = "recurformer" | "dense" | "based";
export type ModelOrigin = "default" | "directory" | "user";

export interface ModelInfo {
    /** stable id derived from the file path */
    id: string;
    path: string;
    fileName: string;
    origin: ModelOrigin;
    kind: ModelKind;
    /** read from the GGUF by the engine's `inspect`; absent while inspecting or on error */
    shape?: ModelShape;
    /** inspect or load error, in words */
    error?: string;
    status: "inspecting" | "unloaded" | "loading" | "loaded" | "error";
    /** for a RecurFormer model: the dense model in the list it came from (by `source.name`) */
    pairedDenseId?: string;
    /** for a dense model: RecurFormer models made from it */
    pairedRecurformerIds?: string[];
    settings: ModelSettings;
    /** why the default context is not the trained one, when it is not */
    contextNote?: string;
    /** while loaded: the context it was loaded with */
    loaded?: LoadedContext;
    /** while loaded for a comparison: the same file loaded a second time with the other cache mode (PyramidInfer on where the model has it off, or off where on) */
    compareCopy?: LoadedContext;
}

/** A context llama.cpp created for a model file. */
export interface LoadedContext {
    contextSize: number;
    /** its sequences: chats that can answer at once, each with its own KV cache for the full context (one with PyramidInfer) */
    chatSlots: number;
    cacheBuffers?: CacheBuffers;
    /** loaded with PyramidInfer: the schedule and the KV cells llama.cpp allocated per layer (from its log) */
    pyramid?: LoadedPyramid;
}

/** A context's PyramidInfer schedule as the engine took it (queries and every included) and what llama.cpp allocated for it. */
export interface LoadedPyramid extends PyramidSchedule {
    /** the canonical schedule text ("r0=0.8,decay=0.7,recent=64,queries=16,every=512") */
    schedule: string;
    /** KV cells per layer llama.cpp logged it allocated */
    cellsPerLayer: number[];
}

/** The cache llama.cpp allocated for a loaded model's whole context: KV cells (a BASED model's window cells; with PyramidInfer, each layer's own cells) of every chat slot plus one recurrent state per slot. */
export interface CacheBuffers {
    /** computed from the shape for the context llama.cpp created */
    computedBytes: number;
    /** the KV and recurrent-state buffer sizes llama.cpp logged (0.01 MiB resolution), added; absent where the engine logs none (llama-server) */
    measuredBytes?: number;
}

export type MessageStatus = "streaming" | "done" | "stopped" | "error" | "interrupted";

export interface DocumentRef {
    id: string;
    name: string;
    /** characters of extracted text actually sent (after a cut, if any) */
    chars: number;
    /** token count for the model it was sent to, if counted */
    tokens?: number;
    /** true when the user chose to cut it to fit */
    cut?: boolean;
}

export interface ChatMessageRecord {
    id: string;
    role: "user" | "assistant";
    content: string;
    createdAt: number;
    /** assistant: which model answered */
    modelId?: string;
    /** user: documents read in with this message */
    documents?: DocumentRef[];
    status?: MessageStatus;
    error?: string;
    /** assistant: the last metrics of the run that produced it */
    metrics?: Metrics;
    /** assistant: size of the sequence checkpoint taken after the run, if the engine reported one */
    snapshotBytes?: number;
    /** assistant: the chat's state saved on disk that this answer resumed from instead of reading the chat again */
    resumedFrom?: { bytes: number; savedAt: number; tokens: number; loadMs?: number };
    /** assistant: bytes of the chat's state saved on disk after this answer's prompt was read */
    savedStateBytes?: number;
    /** assistant: why a saved state was not used or not saved, in words */
    stateNote?: string;
    /** assistant: why the snapshot this answer took is gone (its model was reloaded or unloaded, the engine restarted) */
    snapshotLost?: string;
    /** assistant: the answer stopped at this many tokens, the limit of its run; Continue goes on from there */
    tokenLimit?: number;
}

/** One chat's state saved on disk (Settings list). */
export interface SnapshotInfo {
    chatId: string;
    chatTitle: string;
    modelId: string;
    modelFileName: string;
    bytes: number;
    /** tokens it holds */
    tokens: number;
    savedAt: number;
    lastUsedAt: number;
}

/** Saved chat states on disk, against their budget (least recently used removed first). */
export interface SnapshotsState {
    budgetBytes: number;
    usedBytes: number;
    snapshots: SnapshotInfo[];
}

export interface Chat {
    id: string;
    title: string;
    createdAt: number;
    updatedAt: number;
    modelId?: string;
    messages: ChatMessageRecord[];
}

export interface ChatSummary {
    id: string;
    title: string;
    updatedAt: number;
    messageCount: number;
    generating: boolean;
    /** the model the chat answers with */
    modelId?: string;
    /** names of the documents sent in it, first sent first */
    documentNames?: string[];
}

/** Document read in and measured, waiting to be sent with a question. */
export interface DocumentInfo {
    id: string;
    name: string;
    mime: string;
    fileBytes: number;
    chars: number;
    /** the first characters, for a preview */
    preview: string;
    /** per model id: token count with that model's tokenizer (or an estimate, flagged) */
    tokens: Record<string, TokenCount>;
    cut?: { chars: number; tokens?: number };
}

export interface TokenCount {
    tokens: number;
    /** "counted" = the model's own tokenizer; "estimated" = bytes/4 because the engine could not count */
    how: "counted" | "estimated";
}

/** A dense baseline figure, measured, with when and at what context length. */
export interface BaselineFigure {
    denseModelId: string;
    recurformerModelId?: string;
    tokensInContext: number;
    prefillTokensPerSecond?: number;
    decodeTokensPerSecond?: number;
    timeToFirstTokenMs?: number;
    /** what the figures rest on: prompt tokens read (and reused from a snapshot), tokens decoded */
    promptTokens?: number;
    promptTokensReused?: number;
    generatedTokens?: number;
    stateBytesMeasured?: number;
    /** the tokens the sequence held when `stateBytesMeasured` was measured (it can lag `tokensInContext`) */
    stateBytesMeasuredAtTokens?: number;
    measuredAt: number;
    /** "comparison" when from a side-by-side run, "chat" when from a chat with the dense model */
    from: "comparison" | "chat";
}

export type CompareMode = "sequential" | "parallel";

/** One model of a comparison; lanes are numbered in the order picked, and the first is the baseline every ratio is against. */
export interface CompareLane {
    modelId: string;
    kind: ModelKind;
    /** the lane runs with PyramidInfer (the model's schedule); absent: the full KV cache */
    pyramid?: PyramidSchedule;
    /** true: it runs on the model's compare copy (the other cache mode than its setting), not the model as loaded for chats */
    copy?: boolean;
}

export interface CompareSample {
    t: number;
    tokensInContext: number;
    cacheBytesComputed: number;
    stateBytesMeasured?: number;
    /** the tokens in context when `stateBytesMeasured` was measured (lags `tokensInContext`; absent from older engines) */
    stateBytesMeasuredAtTokens?: number;
    tokensPerSecond?: number;
    phase: Metrics["phase"];
}

export interface CompareRunInfo {
    runId: string;
    prompt: string;
    mode: CompareMode;
    /** 2 to 4 lanes (COMPARE_LANES), the baseline first; one file may be two lanes, with and without PyramidInfer */
    lanes: CompareLane[];
    threadsEach: number;
    documentIds: string[];
    startedAt: number;
}

export type EngineState = "starting" | "ready" | "crashed" | "missing";

export interface EngineStatus {
    state: EngineState;
    message?: string;
    restarts: number;
    /** "utility-process" in Electron, "child-process" in serve mode, "remote engine ws://..." on another machine */
    host: string;
    /** set while the engine runs on another machine (`recurformer engine --listen`) */
    remote?: RemoteEngineInfo;
    /** the engine process id, while one runs */
    pid?: number;
}

/** The remote engine in use: where, from which setting, and the token only as a hint (never sent back in full). */
export interface RemoteEngineInfo {
    url: string;
    /** "engine": `recurformer engine --listen` (ws://); "llama-server": llama.cpp's own server (http://), one model, cache figures computed only */
    kind: "engine" | "llama-server";
    /** e.g. "••••3f9a": the last characters of a long token, else only dots */
    tokenHint: string;
    /** Settings, or RECURFORMER_ENGINE_URL / _TOKEN at start */
    source: "settings" | "environment";
}

/** The OpenAI-compatible API server the app runs on request (Settings; off by default). */
export interface ApiServerStatus {
    enabled: boolean;
    /** "off", "starting" (listening, loading its models), "running", or "error" (see `message`) */
    state: "off" | "starting" | "running" | "error";
    port: number;
    /** http://127.0.0.1:PORT/v1 while listening */
    url?: string;
    /** the key clients send as `Authorization: Bearer KEY`: made once at random, kept in the user-data folder */
    apiKey: string;
    /** the model ids it serves (the file names) */
    models: string[];
    /** what went wrong, or what it is doing, in words */
    message?: string;
}

export interface AppInfo {
    version: string;
    transport: "electron" | "browser";
    userDataDir: string;
    modelDirs: string[];
    maxDocumentBytes: number;
    cpuThreads: number;
    gpu: boolean;
    /** files set aside or left unread at start (damaged content), one sentence each, for the UI to show */
    notices: string[];
    /** the first screen's words about the default pair, from its model card (absent without one) */
    welcome?: Welcome;
}

/** What the default pair is and a first thing to try, as its model card (assets/models/README.md) says. */
export interface Welcome {
    /** the card's "In the app" section: what the pair is and what it is good at (Markdown) */
    text: string;
    /** the sample document shipped beside the models, and the question to ask about it */
    sample?: { name: string; question: string };
    /** the whole model card (Markdown), for the in-app link */
    modelCard: string;
    modelCardPath: string;
}

export type DocumentSource =
    | { kind: "path"; path: string; name?: string }
    | { kind: "upload"; uploadId: string; name: string };

/** Every method: its parameters and result. */
export interface ApiMethods {
    "app.info": { params: undefined; result: AppInfo };
    "engine.status": { params: undefined; result: EngineStatus };
    "engine.restart": { params: undefined; result: EngineStatus };
    /** runs the engine elsewhere from now on (and at the next start): ws://…/engine (`recurformer engine --listen`) or http://HOST:PORT (a running llama-server); the token may be left out to reuse the stored one for the same URL (and for a llama-server without --api-key) */
    "engine.connect": { params: { url: string; token?: string }; result: EngineStatus };
    /** runs the engine on this machine again (and at the next start) */
    "engine.disconnect": { params: undefined; result: EngineStatus };
    /** the remote engine URL last chosen in Settings (to fill the field), whether a token is stored for it */
    "engine.remoteSetting": { params: undefined; result: { url?: string; tokenHint?: string } };

    "apiServer.status": { params: undefined; result: ApiServerStatus };
    /** switches the API server on or off (remembered); `port` changes its port (restarting it when on) */
    "apiServer.set": { params: { enabled: boolean; port?: number }; result: ApiServerStatus };

    "models.list": { params: undefined; result: ModelInfo[] };
    "models.add": { params: { path: string }; result: ModelInfo };
    "models.remove": { params: { modelId: string }; result: ModelInfo[] };
    "models.load": { params: { modelId: string }; result: ModelInfo };
    "models.unload": { params: { modelId: string }; result: ModelInfo };
    "models.setSettings": { params: { modelId: string; settings: Partial<ModelSettings> }; result: ModelInfo };
    "models.pickFile": { params: undefined; result: ModelInfo | null };

    "chats.list": { params: undefined; result: ChatSummary[] };
    "chats.get": { params: { chatId: string }; result: Chat };
    "chats.create": { params: { modelId?: string } | undefined; result: Chat };
    "chats.rename": { params: { chatId: string; title: string }; result: Chat };
    "chats.delete": { params: { chatId: string }; result: ChatSummary[] };
    "chats.setModel": { params: { chatId: string; modelId: string }; result: Chat };
    "chats.send": { params: { chatId: string; text: string; documentIds?: string[] }; result: Chat };
    "chats.stop": { params: { chatId: string }; result: Chat };
    "chats.regenerate": { params: { chatId: string }; result: Chat };
    /** goes on with an answer that stopped at its token limit */
    "chats.continue": { params: { chatId: string }; result: Chat };
    "chats.editResend": { params: { chatId: string; messageId: string; text: string }; result: Chat };
    "chats.export": { params: { chatId: string; format: "md" | "json" }; result: { fileName: string; content: string } };

    "documents.ingest": { params: { source: DocumentSource }; result: DocumentInfo };
    /** reads the sample document the model card suggests (shipped in assets/) */
    "documents.ingestSample": { params: undefined; result: DocumentInfo };
    "documents.cancel": { params: { documentId: string }; result: { cancelled: boolean } };
    "documents.cut": { params: { documentId: string; modelId: string; maxTokens: number }; result: DocumentInfo };
    "documents.discard": { params: { documentId: string }; result: { discarded: boolean } };

    /**
     * runs 2 to 4 lanes on one prompt, the first as the baseline; `pyramid[i]` says whether lane i runs with the
     * model's PyramidInfer schedule (left out: each model as its settings say), so one file can be two lanes
     */
    "compare.start": { params: { prompt: string; modelIds: string[]; pyramid?: boolean[]; mode: CompareMode; documentIds?: string[]; maxTokens?: number }; result: CompareRunInfo };
    "compare.stop": { params: { runId: string }; result: { stopped: boolean } };

    "baselines.list": { params: undefined; result: BaselineFigure[] };

    "snapshots.list": { params: undefined; result: SnapshotsState };
    /** frees one chat's saved state, or all of them */
    "snapshots.free": { params: { chatId?: string } | undefined; result: SnapshotsState };
    "snapshots.setBudget": { params: { bytes: number }; result: SnapshotsState };
}

export type ApiMethod = keyof ApiMethods;
export type ParamsOf<M extends ApiMethod> = ApiMethods[M]["params"];
export type ResultOf<M extends ApiMethod> = ApiMethods[M]["result"];

/** Events the core pushes to every connected renderer. */
export type AppEvent =
    | { type: "engine.status"; status: EngineStatus }
    | { type: "apiServer.status"; status: ApiServerStatus }
    | { type: "models.changed"; models: ModelInfo[] }
    | { type: "chats.changed"; chats: ChatSummary[] }
    | { type: "chat.updated"; chat: Chat }
    | { type: "chat.token"; chatId: string; messageId: string; text: string }
    /** an answer ended: its status and figures; its text arrived as `chat.token`s and is not sent again */
    | { type: "chat.answered"; chatId: string; messageId: string; status: MessageStatus; error?: string; metrics?: Metrics; snapshotBytes?: number; resumedFrom?: ChatMessageRecord["resumedFrom"]; savedStateBytes?: number; stateNote?: string; tokenLimit?: number }
    | { type: "chat.metrics"; chatId: string; messageId: string; metrics: Metrics }
    | { type: "document.progress"; documentId: string; name: string; phase: "reading" | "extracting" | "counting" | "done" | "error" | "cancelled"; fraction: number; message?: string }
    | { type: "compare.started"; run: CompareRunInfo }
    /** a lane's context is ready (loaded, or the model's own): what llama.cpp allocated for it */
    | { type: "compare.lane"; runId: string; lane: number; loaded: LoadedContext }
    | { type: "compare.token"; runId: string; lane: number; text: string }
    | { type: "compare.metrics"; runId: string; lane: number; metrics: Metrics }
    | { type: "compare.done"; runId: string; lane: number; status: MessageStatus; error?: string }
    | { type: "baselines.changed"; baselines: BaselineFigure[] }
    | { type: "snapshots.changed"; snapshots: SnapshotsState };

/** The object the preload puts on `window.recurformer` (and the WebSocket bridge imitates). */
export interface RecurformerApi {
    transport: "electron" | "browser";
    invoke<M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
    /** listen to every app event; returns an unsubscribe function */
    onEvent(listener: (event: AppEvent) => void): () => void;
    /** Electron only: the file-system path of a dropped File (webUtils.getPathForFile) */
    pathForFile?(file: File): string;
}

/** Methods with no parameters, for the transports' validators. */
export const API_METHODS: readonly ApiMethod[] = [
    "app.info", "engine.status", "engine.restart", "engine.connect", "engine.disconnect", "engine.remoteSetting",
    "apiServer.status", "apiServer.set",
    "models.list", "models.add", "models.remove", "models.load", "models.unload", "models.setSettings", "models.pickFile",
    "chats.list", "chats.get", "chats.create", "chats.rename", "chats.delete", "chats.setModel", "chats.send", "chats.stop",
    "chats.regenerate", "chats.continue", "chats.editResend", "chats.export",
    "documents.ingest", "documents.ingestSample", "documents.cancel", "documents.cut", "documents.discard",
    "compare.start", "compare.stop",
    "baselines.list",
    "snapshots.list", "snapshots.free", "snapshots.setBudget",
] as const;

/** An error the core raises on purpose; its message is meant for the user. */
export interface ApiErrorShape { name: string; message: string }
