/**
 * PyramidInfer's KV cache, computed from its schedule (the rule: engine/pipeline/recurformer/pyramid.py; the engine
 * design: engine/llama/PYRAMID.md). After a selection at n tokens, layer l holds
 *
 *   keep(l, n) = min(n, max(recent, round(n x r0 x decay^l)))          round = half up
 *
 * tokens, so KV bytes(n) = sum over layers of keep(l, n) x that layer's KV bytes per token (+ recurrent state, which
 * retention leaves alone). Between selections each layer holds the tokens fed since on top. The counts do not
 * depend on which tokens are kept, so they are exact without asking the engine.
 *
 * Pure functions, like cacheMath.ts.
 */

export interface PyramidSchedule {
    /** first layer's retention, a share of the tokens seen (0, 1] */
    r0: number;
    /** each layer deeper keeps this factor of the one above (0, 1] */
    decay: number;
    /** newest tokens, never dropped */
    recent: number;
}

/** Tokens layer `layer` keeps right after a selection at `tokens` tokens. */
export function pyramidKeep(tokens: number, layer: number, s: PyramidSchedule): number {
    return Math.min(tokens, Math.max(s.recent, Math.floor(tokens * s.r0 * s.decay ** layer + 0.5)));
}

/** Tokens each layer holds `since` tokens after a selection at `tokens - since`. */
export function pyramidRetained(tokens: number, layers: number, s: PyramidSchedule, since = 0): number[] {
    return Array.from({ length: layers }, (_, l) => Math.min(tokens, pyramidKeep(tokens - since, l, s) + since));
}

/** KV bytes right after a selection at `tokens`, from each layer's KV bytes per token (dense: all KV heads; RecurFormer: the kept ones). */
export function pyramidKvBytes(tokens: number, layerKvBytesPerToken: number[], s: PyramidSchedule): number {
    return layerKvBytesPerToken.reduce((sum, perToken, l) => sum + pyramidKeep(tokens, l, s) * perToken, 0);
}

/**
 * KV cells per layer the engine design allocates for a context of `contextTokens` when it thins after every batch of
 * `batchSize` tokens: the most a layer ever holds, keep(l, n_ctx - batch) + batch, at most n_ctx, padded to 256 as
 * llama.cpp pads its SWA cache.
 */
export function pyramidCells(contextTokens: number, layers: number, s: PyramidSchedule, batchSize = 512): number[] {
    return Array.from({ length: layers }, (_, l) => {
        const most = pyramidKeep(Math.max(0, contextTokens - batchSize), l, s) + batchSize;
        return Math.min(contextTokens, Math.ceil(most / 256) * 256);
    });
}
