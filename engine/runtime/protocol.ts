/**
 * The one typed message protocol between the engine process and its parents
 * (`main/` in Electron and serve mode, and the `recurformer` CLI).
 *
 * Every request carries an `id` (> 0, unique per client); the engine answers with exactly one
 * `result` or `error` with the same id, and may send `event`s (tokens, metrics) tagged with that
 * id before it. The engine also sends one `ready` message (id 0) when it has started.
 *
 * The figures it carries (shape, cache type, metrics) are defined in api/modelFigures.ts.
 * This module holds types only (no runtime code).
 */

import type {CacheType, LinearAttentionShape, Metrics, ModelShape, SsmShape, WindowShape} from "../../api/modelFigures.js";

export type {CacheType, LinearAttentionShape, Metrics, ModelShape, SsmShape, WindowShape};

export interface LoadOptions {
    /** path of the GGUF file */
    modelPath: string;
    /** context size in tokens (default 4096, at most the model's trained context unless stated) */
    contextSize?: number;
    /** CPU threads (0 = auto) */
    threads?: number;
    /** tokens per batch while reading a prompt (default 512) */
    batchSize?: number;
    /** layers to offload to a GPU, when one exists (default: all that fit) */
    gpuLayers?: number;
    /** KV cache element type (default f16; q8_0 also quantizes V, which needs flash attention) */
    cacheType?: CacheType;
    /** parallel sequences in the context (default 1) */
    sequences?: number;
    /**
     * PyramidInfer KV retention (engine/llama/PYRAMID.md): a schedule such as "r0=0.8,decay=0.7,recent=64"
     * (api/pyramidCache.ts parsePyramidSchedule); llama and recurformer models, one sequence. Absent: the full KV cache.
     */
    pyramid?: string;
}

/** The answer to `load`. */
export interface LoadResult {
    modelId: string;
    shape: ModelShape;
    /** the context actually created (llama.cpp pads to a multiple of 256) */
    contextSize: number;
    batchSize: number;
    threads: number;
    cacheType: CacheType;
    /** cache of the whole context as computed: contextSize x KV bytes per token + sequences x recurrent state */
    cacheBytesComputed: number;
    /** what llama.cpp allocated and logged for this context */
    buffers: MeasuredBuffers;
    /** whether rolling back a chat needs sequence checkpoints (recurrent / hybrid model) */
    needsCheckpoints: boolean;
    /** PyramidInfer: the schedule as the engine took it and the KV cells llama.cpp allocated per layer (its log); null: off */
    pyramid: LoadedPyramid | null;
    /** which llama.cpp build is loaded */
    backend: BackendInfo;
}

/** A context created with PyramidInfer KV retention. */
export interface LoadedPyramid {
    /** the canonical schedule (formatPyramidSchedule), e.g. "r0=0.8,decay=0.7,recent=64,queries=16" */
    schedule: string;
    /** KV cells per layer, from llama.cpp's "llama_memory_pyramid: ... cells per layer = ..." line (measured) */
    cellsPerLayer: number[];
}

/** Buffers llama.cpp reported in its log when it created a context (measured, bytes, 0.01 MiB resolution). */
export interface MeasuredBuffers {
    /** "llama_kv_cache: ... KV buffer size" (all devices together) */
    kvBufferBytesMeasured?: number;
    /** "llama_memory_recurrent: ... RS buffer size" */
    recurrentBufferBytesMeasured?: number;
    /** the K and V parts, the cells per stream and the streams (one per sequence unless the cache is unified), from "llama_kv_cache: size = ..." */
    kvCells?: number;
    kvStreams?: number;
    /** cells per stream of the window (SWA) cache, from its own "llama_kv_cache: size = ..." line (BASED) */
    kvWindowCells?: number;
    /** PyramidInfer: each layer's KV cells (then `kvCells` is absent: every layer has its own cache) */
    kvCellsPerLayer?: number[];
    /** K and V summed over every KV cache logged (one; BASED two; PyramidInfer one per layer) */
    kBytesMeasured?: number;
    vBytesMeasured?: number;
    /** how many KV caches logged their "size = ..." line: the K/V sums carry up to 0.005 MiB of rounding each */
    kvCaches?: number;
}

export interface BackendInfo {
    /** always "localBuild": the engine never loads a prebuilt binary */
    buildType: string;
    /** GPU backend in use, or false for CPU */
    gpu: string | false;
    /** llama.cpp release of the build */
    llamaCppRelease: string;
    /** "portable" (any CPU of its family; engine/llama/flavours.json) or "native" (the builder's CPU only) */
    flavour?: string;
    /** the CPU variant ggml loaded: "x64", "haswell", "skylakex", ..., or "native" */
    cpuVariant?: string;
    /** whether this build knows the recurformer architecture */
    supportsRecurformer?: boolean;
}

/** The answer to `inspect`. */
export interface InspectReport {
    modelPath: string;
    shape: ModelShape;
    /** token count the cache figures are for */
    tokens: number;
    cacheType: CacheType;
    /** KV bytes per token at cacheType, computed */
    kvBytesPerToken: number;
    /** recurrent state bytes per sequence, computed */
    recurrentStateBytes: number;
    /** tokens x KV bytes per token + recurrent state, computed */
    cacheBytesComputed: number;
    /** PyramidInfer (the request's schedule): tokens each layer keeps right after a selection at `tokens` (cacheBytesComputed
     * counts these), and the cells per layer the engine allocates for a context of `tokens` (batch min(512, tokens)) */
    pyramid?: {schedule: string; retainedPerLayer: number[]; cellsPerLayer: number[]};
    /** the dense figure at the same token count, where known */
    dense?: {
        /** "file": measured from --dense's shape; "provenance": from the source.* keys */
        from: "file" | "provenance" | "self";
        path?: string;
        kvBytesPerToken: number;
        cacheBytesComputed: number;
        /** cacheBytesComputed / dense.cacheBytesComputed */
        ratio: number;
    };
    /** present when the engine created a context of `tokens` tokens to measure llama.cpp's own buffers */
    measured?: MeasuredBuffers & {
        /** the context llama.cpp actually created (padded to 256) */
        contextSize: number;
        /** computed figure for that exact context size */
        kvBufferBytesComputed: number;
        recurrentBufferBytesComputed: number;
        /** |measured - computed| <= the log's rounding (0.005 MiB per number summed) */
        kvAgrees: boolean;
        recurrentAgrees: boolean;
    };
}

export type ChatRole = "system" | "user" | "assistant";
export interface ChatMessage { role: ChatRole; content: string }

/** How the next token is picked (chat and complete); every field left out: greedy. */
export interface Sampling {
    /** 0 (default): greedy */
    temperature?: number;
    /** nucleus sampling: the smallest set of tokens whose probabilities add up to this (1: off) */
    topP?: number;
    /** the sampler's seed, for a repeatable sampled answer (default: the time) */
    seed?: number;
}

/** Why a generation ended. */
export type StopReason = "eos" | "maxTokens" | "stopped" | "contextFull";

/** The answer to `chat` and `complete`. */
export interface GenerationResult {
    text: string;
    stopReason: StopReason;
    promptTokens: number;
    generatedTokens: number;
    /** final metrics (phase "done") */
    metrics: Metrics;
    /** what became of the chat's state files (`chat` with `state` only) */
    state?: SavedStateResult;
}

/** A chat turn's state on disk: llama_state_seq_save_file files (engine/runtime/SequenceState.ts). */
export interface StateFileOptions {
    /**
     * a state file the caller has checked (model file, context settings, checksum): loaded when its
     * tokens are the start of this turn's prompt and the sequence holds less of that prompt
     */
    resume?: string;
    /** where to write the sequence's whole state once the prompt is read, if this turn read at least `minTokens` */
    save?: {path: string; minTokens: number};
}

export interface SavedStateResult {
    resume?: {
        /** "notNeeded": the sequence already held at least as much of the prompt */
        status: "resumed" | "notNeeded" | "refused";
        /** tokens loaded (resumed) or already held (notNeeded) */
        tokens?: number;
        /** the loaded state's llama_state_seq_get_size: the file less its header (resumed) */
        stateBytes?: number;
        loadMs?: number;
        /** why it was refused, in words */
        reason?: string;
    };
    /** the state written to `save.path`, with its size, its token count and the time it took */
    saved?: {path: string; bytes: number; tokens: number; saveMs: number};
    /** why writing it failed */
    saveError?: string;
}

/** One row of a bench: one model at one context size. */
export interface BenchRow {
    modelPath: string;
    /** the engine build it ran on, when a bench compares builds ("portable", "native", "portable:x64") */
    engine?: string;
    /** the model as the bench command named it, with its options (modelVariant.ts: "dense.gguf@pyramid:r0=0.8,...") */
    variant?: string;
    /** the llama.cpp build and CPU variant that measured it */
    backend?: BackendInfo;
    architecture: string;
    contextSize: number;
    promptTokens: number;
    decodeTokens: number;
    threads: number;
    batchSize: number;
    prefillSeconds: number;
    prefillTokensPerSecond: number;
    decodeSeconds: number;
    decodeTokensPerSecond: number;
    /** KV + recurrent state at promptTokens + decodeTokens, computed */
    cacheBytesComputed: number;
    /** llama_state_get_size after decoding, measured */
    stateBytesMeasured: number;
    /** the context's KV / RS buffers from llama.cpp's log, measured */
    buffers: MeasuredBuffers;
    /** the KV cache type it ran with */
    cacheType: CacheType;
    /** PyramidInfer: the schedule and the cells per layer llama.cpp allocated (absent: off) */
    pyramid?: LoadedPyramid;
    /** the same context's buffers, computed */
    kvBufferBytesComputed: number;
    recurrentBufferBytesComputed: number;
    /** every timed pass (the row's speeds are the fastest pass) */
    samples: {prefillSeconds: number, decodeSeconds: number}[];
}

export interface BenchOptions {
    /** GGUF file to bench */
    modelPath: string;
    /** context sizes (tokens) */
    contexts: number[];
    /** tokens decoded after the prompt (default 32) */
    decodeTokens?: number;
    /** CPU threads, the same for every model (default 2) */
    threads?: number;
    /** prompt batch size, the same for every model (default 512) */
    batchSize?: number;
    /** layers on a GPU, where one exists (default 0: CPU, comparable everywhere) */
    gpuLayers?: number;
    /** timed passes per context; the fastest prefill and the fastest decode are reported (default 1) */
    repeats?: number;
    /** KV cache element type (default f16) */
    cacheType?: CacheType;
    /** PyramidInfer schedule (LoadOptions.pyramid); absent: the full KV cache */
    pyramid?: string;
}

export type Request =
    | { id: number; type: "load"; modelId: string; options: LoadOptions }
    | { id: number; type: "unload"; modelId: string }
    /** shape and computed cache figures; with `measure: true` also creates a context of `tokens` tokens to read llama.cpp's own buffers (slower: it loads the model) */
    | { id: number; type: "inspect"; modelPath: string; tokens?: number; densePath?: string; cacheType?: CacheType; measure?: boolean; pyramid?: string }
    /** how many tokens `text` is with the model's tokenizer (no BOS, no template); `raw`: as `complete` reads a prompt (special tokens recognised, BOS first where the model wants one) */
    | { id: number; type: "tokenize"; modelId: string; text: string; raw?: boolean }
    /** how many tokens chat messages are through the model's chat template, up to where the answer starts (what a chat turn reads first) */
    | { id: number; type: "chatTokens"; modelId: string; messages: ChatMessage[] }
    /** `state`: the chat's saved state to resume from and where to save it (SequenceState.ts) */
    | { id: number; type: "chat"; modelId: string; chatId: string; messages: ChatMessage[]; maxTokens?: number; state?: StateFileOptions } & Sampling
    | { id: number; type: "complete"; modelId: string; prompt: string; maxTokens?: number } & Sampling
    | { id: number; type: "bench"; options: BenchOptions }
    | { id: number; type: "stop"; target: number }
    | { id: number; type: "shutdown" };

export type RequestType = Request["type"];

/** What each request's `result` carries. */
export interface ResultOf {
    load: LoadResult;
    unload: { modelId: string; unloaded: boolean };
    inspect: InspectReport;
    tokenize: { tokens: number };
    /** `contextSize`: the loaded context's size, for the caller's fit check */
    chatTokens: { tokens: number; contextSize: number };
    chat: GenerationResult;
    complete: GenerationResult;
    bench: BenchRow[];
    stop: { stopped: boolean };
    shutdown: { ok: true };
}

export type Event =
    | { id: number; type: "token"; text: string }
    | { id: number; type: "metrics"; metrics: Metrics }
    | { id: number; type: "progress"; message: string };

/** An error as it crosses the process boundary; the client revives it as the named class. */
export interface ErrorPayload {
    name: string;
    message: string;
    /** structured fields of the named error (path, layer, log tail, ...) */
    details?: Record<string, unknown>;
}

/** Sent once, with id 0, when the engine process is up and listening. */
export interface ReadyMessage { id: 0; type: "ready"; pid: number }

export type Reply =
    | { id: number; type: "result"; value: unknown }
    | { id: number; type: "error"; error: ErrorPayload }
    | Event
    | ReadyMessage;
