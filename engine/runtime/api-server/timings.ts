import type {Metrics, ModelShape} from "../protocol.js";
import {reduction} from "../../../api/cacheMath.js";

/**
 * llama-server's `timings` (prompt and predicted tokens, milliseconds, tokens/s, `cache_n`) and
 * this app's cache figures beside them, from the engine's final metrics of the run. `..._computed`:
 * from the GGUF shape; `..._measured`: from llama.cpp.
 */
export interface Timings {
    /** prompt tokens read in this request */
    prompt_n: number;
    /** request in the engine to first token (reading the prompt and sampling the first token) */
    prompt_ms: number;
    prompt_per_token_ms: number;
    prompt_per_second: number;
    /** tokens generated */
    predicted_n: number;
    /** first token to last */
    predicted_ms: number;
    predicted_per_token_ms: number;
    predicted_per_second: number;
    /** prompt tokens the sequence already held from an earlier request (reused, not read again) */
    cache_n: number;
    /** time waiting for a free sequence of the model */
    queued_ms: number;
    /** the server's own clock: request received to first token sent */
    time_to_first_token_ms?: number;
    tokens_in_context: number;
    context_size: number;
    /** KV of the kept heads at tokens_in_context + the fixed recurrent state */
    cache_bytes_computed: number;
    /** llama.cpp's state of this request's sequence, at cache_bytes_measured_at_tokens */
    cache_bytes_measured?: number;
    cache_bytes_measured_at_tokens?: number;
    /** the dense source model's KV at the same token count */
    dense_cache_bytes_computed?: number;
    /** 1 - cache / dense */
    cache_reduction_vs_dense?: number;
    recurrent_state_bytes: number;
    /** recurrent state / cache_bytes_computed */
    recurrent_state_share: number;
    /** this sequence's checkpoints (what prompt reuse restores from) */
    checkpoint_bytes_measured?: number;
}

export function timingsOf(metrics: Metrics, shape: ModelShape, server: {queuedMs: number, timeToFirstTokenMs?: number}): Timings {
    const promptN = metrics.promptTokens ?? 0;
    const promptMs = metrics.timeToFirstTokenMs ?? 0;
    const predictedN = metrics.generatedTokens ?? 0;
    const perSecond = metrics.decodeTokensPerSecond;
    const predictedMs = perSecond != null && perSecond > 0 ? 1000 * (predictedN - 1) / perSecond : 0;
    const dense = metrics.denseCacheBytesComputed;
    const recurrent = shape.recurrentStateBytes;
    return {
        prompt_n: promptN,
        prompt_ms: round(promptMs),
        prompt_per_token_ms: promptN > 0 ? round(promptMs / promptN) : 0,
        prompt_per_second: promptMs > 0 ? round(1000 * promptN / promptMs) : 0,
        predicted_n: predictedN,
        predicted_ms: round(predictedMs),
        predicted_per_token_ms: predictedN > 1 && predictedMs > 0 ? round(predictedMs / (predictedN - 1)) : 0,
        predicted_per_second: perSecond != null ? round(perSecond) : 0,
        cache_n: metrics.promptTokensReused ?? 0,
        queued_ms: round(server.queuedMs),
        ...(server.timeToFirstTokenMs != null ? {time_to_first_token_ms: round(server.timeToFirstTokenMs)} : {}),
        tokens_in_context: metrics.tokensInContext,
        context_size: metrics.contextSize,
        cache_bytes_computed: metrics.cacheBytesComputed,
        ...(metrics.stateBytesMeasured != null ? {
            cache_bytes_measured: metrics.stateBytesMeasured,
            cache_bytes_measured_at_tokens: metrics.stateBytesMeasuredAtTokens ?? metrics.tokensInContext
        } : {}),
        ...(dense != null ? {dense_cache_bytes_computed: dense, cache_reduction_vs_dense: round(reduction(metrics.cacheBytesComputed, dense), 4)} : {}),
        recurrent_state_bytes: recurrent,
        recurrent_state_share: metrics.cacheBytesComputed > 0 ? round(recurrent / metrics.cacheBytesComputed, 4) : 0,
        ...(metrics.checkpointBytesMeasured != null ? {checkpoint_bytes_measured: metrics.checkpointBytesMeasured} : {})
    };
}

function round(value: number, digits = 3): number {
    const scale = 10 ** digits;
    return Math.round(value * scale) / scale;
}
