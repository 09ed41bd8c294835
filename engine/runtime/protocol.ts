/**
 * The one typed message protocol between the engine process and its parents
 * (`main/` in Electron and serve mode, and the `recurformer` CLI).
 *
 * Every request carries an `id`; the engine answers with exactly one `result` or `error`
 * with the same id, and may send `event`s (tokens, metrics) tagged with that id before it.
 */

/** The shape of a loaded model, read from its GGUF metadata. */
export interface ModelShape {
    architecture: string;
    name: string;
    layers: number;
    embeddingLength: number;
    contextLength: number;
    headDim: number;
    /** query heads per layer (kept heads for RecurFormer) */
    headsPerLayer: number[];
    /** KV heads per layer (kept heads for RecurFormer) */
    kvHeadsPerLayer: number[];
    /** for RecurFormer: the dense source's query / KV heads per layer */
    sourceHeads?: number;
    sourceKvHeads?: number;
    /** KV-cache bytes per token at the given cache type (f16 unless stated) */
    kvBytesPerToken: number;
    /** fixed recurrent state bytes per sequence (conv + SSM, F32), 0 for dense */
    recurrentStateBytes: number;
    /** the same model's dense source figure, if known */
    denseKvBytesPerToken?: number;
    sourceName?: string;
    parameterCount?: number;
    fileBytes: number;
}

export interface LoadOptions {
    /** path of the GGUF file */
    modelPath: string;
    /** context size in tokens */
    contextSize?: number;
    /** CPU threads (0 = auto) */
    threads?: number;
    /** layers to offload to a GPU, when one exists */
    gpuLayers?: number;
    /** KV cache element type */
    cacheType?: "f16" | "q8_0";
    /** parallel sequences in the context */
    sequences?: number;
}

/** Live numbers while a chat or completion runs. */
export interface Metrics {
    modelId: string;
    tokensInContext: number;
    contextSize: number;
    /** computed from the shape: n x KV bytes per token + recurrent state */
    cacheBytesComputed: number;
    /** the dense source model's figure at the same token count, computed */
    denseCacheBytesComputed?: number;
    /** llama.cpp's own state size (llama_state_seq_get_size), measured */
    stateBytesMeasured?: number;
    prefillTokensPerSecond?: number;
    decodeTokensPerSecond?: number;
    timeToFirstTokenMs?: number;
    phase: "prefill" | "decode" | "done";
}

export type ChatRole = "system" | "user" | "assistant";
export interface ChatMessage { role: ChatRole; content: string }

export type Request =
    | { id: number; type: "load"; modelId: string; options: LoadOptions }
    | { id: number; type: "unload"; modelId: string }
    | { id: number; type: "inspect"; modelPath: string }
    | { id: number; type: "chat"; modelId: string; chatId: string; messages: ChatMessage[]; maxTokens?: number }
    | { id: number; type: "complete"; modelId: string; prompt: string; maxTokens?: number }
    | { id: number; type: "stop"; target: number }
    | { id: number; type: "shutdown" };

export type Event =
    | { id: number; type: "token"; text: string }
    | { id: number; type: "metrics"; metrics: Metrics };

export type Reply =
    | { id: number; type: "result"; value: unknown }
    | { id: number; type: "error"; error: { name: string; message: string } }
    | Event;
