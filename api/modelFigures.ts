/**
 * What the engine measures and computes about a model, in the words the app, the renderer and the
 * runtime all use: the model's shape, the KV cache types, the live metrics of a run. Types only.
 *
 * Every number is labelled: `...Computed` comes from the GGUF shape (exact arithmetic),
 * `...Measured` from llama.cpp itself (a buffer size it logged, or `llama_state_get_size`).
 */

/** KV cache element types this engine can size exactly. */
export type CacheType = "f16" | "q8_0";

/** The shape of a model, read from its GGUF metadata (and checked against its tensors). */
export interface ModelShape {
    /** `general.architecture`, e.g. `llama`, `qwen2`, `recurformer`, `falcon-h1` */
    architecture: string;
    /** `general.name` (or the file name when absent) */
    name: string;
    /** transformer blocks */
    layers: number;
    /** model width */
    embeddingLength: number;
    /** trained context length */
    contextLength: number;
    /** attention head dim (key length; value length is the same for every model this app runs) */
    headDim: number;
    /** value head dim (usually = headDim) */
    valueHeadDim: number;
    /** query heads per layer (kept heads for RecurFormer) */
    headsPerLayer: number[];
    /** KV heads per layer (kept heads for RecurFormer); 0 for a layer without attention */
    kvHeadsPerLayer: number[];
    /** for RecurFormer: the dense source's query / KV heads per layer */
    sourceHeads?: number;
    sourceKvHeads?: number;
    /** Mamba-2 (SSM) sizes, when the model has a recurrent branch */
    ssm?: SsmShape;
    /** per layer: whether it has a Mamba-2 branch (carries a recurrent state) */
    recurrentLayers: boolean[];
    /** KV-cache bytes per token at f16 (the default cache type) */
    kvBytesPerToken: number;
    /** KV-cache bytes per token per cache type; absent where llama.cpp cannot use that type for this shape */
    kvBytesPerTokenByType: Partial<Record<CacheType, number>>;
    /** fixed recurrent state bytes per sequence (conv + SSM, or BASED's conv + linear attention; F32), 0 for dense */
    recurrentStateBytes: number;
    /** the dense source model's KV bytes per token at f16, computed from provenance (RecurFormer) or = kvBytesPerToken (dense) */
    denseKvBytesPerToken?: number;
    /** the dense source's KV bytes per token per cache type */
    denseKvBytesPerTokenByType?: Partial<Record<CacheType, number>>;
    /** RecurFormer provenance: the source model's name and architecture */
    sourceName?: string;
    sourceArchitecture?: string;
    /** RecurFormer provenance: replaced KV groups per layer */
    replacedKvGroupsPerLayer?: number[];
    /** RecurFormer provenance: recency window w */
    recencyWindow?: number;
    /** BASED: the sliding-window layers' cache (their KV lives only for the last `tokens` tokens) */
    window?: WindowShape;
    /** BASED: the linear-attention layers' sizes (their state is part of recurrentStateBytes) */
    linearAttention?: LinearAttentionShape;
    /** vocabulary size (rows of token_embd) */
    vocabularySize: number;
    /** parameters: sum of all tensor element counts */
    parameterCount: number;
    /** the file's size on disk */
    fileBytes: number;
}

/** Sliding-window attention layers (BASED): KV kept for the last `tokens` tokens only. */
export interface WindowShape {
    /** window w: a query sees its last w tokens */
    tokens: number;
    /** KV bytes per token of the window layers at f16 */
    kvBytesPerToken: number;
    /** the same per cache type; absent where llama.cpp cannot use that type */
    kvBytesPerTokenByType: Partial<Record<CacheType, number>>;
}

/** Taylor linear-attention layers (BASED). */
export interface LinearAttentionShape {
    /** feature dim d' (q/k per head); the state holds 1 + d' + d'^2 features per head */
    featureDim: number;
    /** short conv kernel K */
    convKernel: number;
    /** state bytes per layer per sequence: conv (K-1) x width + heads x (1 + d' + d'^2) x (head dim + 1), F32 */
    stateBytesPerLayer: number;
}

/** Mamba-2 sizes (`ssm.*` keys). */
export interface SsmShape {
    /** conv kernel K */
    convKernel: number;
    /** d_inner */
    innerSize: number;
    /** d_state N */
    stateSize: number;
    /** SSM heads H (`ssm.time_step_rank`) */
    heads: number;
    /** B/C groups G */
    groups: number;
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
    /** llama.cpp's own serialized state size of THIS chat's sequence only
     * (`llama_state_seq_get_size`: its KV cells with their positions and its recurrent state; other
     * sequences of the same context are not counted), measured between this sequence's evaluations:
     * between prompt batches, after the prompt and at the end, not during decoding. So it can lag
     * `tokensInContext`: plot it at `stateBytesMeasuredAtTokens`. */
    stateBytesMeasured?: number;
    /** the tokens this sequence held when `stateBytesMeasured` was measured (≤ `tokensInContext`) */
    stateBytesMeasuredAtTokens?: number;
    /** KV buffer llama.cpp allocated for the whole context (from its log), measured */
    kvBufferBytesMeasured?: number;
    /** memory held by this sequence's checkpoints (node-llama-cpp), measured */
    checkpointBytesMeasured?: number;
    /** size of one snapshot: the newest sequence checkpoint, taken after the prompt was read and
     * after the answer so follow-ups and regenerate resume from it (recurrent / hybrid models only), measured */
    snapshotBytesMeasured?: number;
    /** prompt tokens read in this run */
    promptTokens?: number;
    /** prompt tokens this run did not read because the sequence already held them from an earlier turn (kept, or restored from a checkpoint) */
    promptTokensReused?: number;
    /** tokens generated so far in this run */
    generatedTokens?: number;
    prefillTokensPerSecond?: number;
    decodeTokensPerSecond?: number;
    timeToFirstTokenMs?: number;
    phase: "prefill" | "decode" | "done";
}
