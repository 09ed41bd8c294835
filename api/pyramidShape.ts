/**
 * PyramidInfer's cache for a model file's shape (pyramidCache.ts has the schedule's arithmetic): each layer's KV
 * bytes per token and the bytes a sequence holds at n tokens, as the engine's CacheMeter counts them, for the
 * renderer's meters and charts. Dense counts all KV heads of a layer, RecurFormer its kept ones; the recurrent
 * state is untouched by retention. Pure functions, like cacheMath.ts.
 */
import { CACHE_TYPE_BYTES } from "./cacheMath.js";
import type { CacheType, ModelShape } from "./modelFigures.js";
import { pyramidRetained, type PyramidSchedule } from "./pyramidCache.js";

type Shape = Pick<ModelShape, "kvHeadsPerLayer" | "headDim" | "valueHeadDim" | "recurrentStateBytes">;

/** KV bytes per token of each layer: its KV heads x (K + V head dims) x the type's bytes per element. */
export function layerKvBytesPerToken(shape: Shape, cacheType: CacheType = "f16"): number[] {
    return shape.kvHeadsPerLayer.map((heads) => heads * (shape.headDim + shape.valueHeadDim) * CACHE_TYPE_BYTES[cacheType]);
}

/** One sequence's cache holding `retained[l]` tokens in layer l: their KV plus the fixed recurrent state. */
export function retainedCacheBytes(shape: Shape, retained: readonly number[], cacheType: CacheType = "f16"): number {
    const perLayer = layerKvBytesPerToken(shape, cacheType);
    return retained.reduce((sum, tokens, l) => sum + tokens * perLayer[l]!, 0) + shape.recurrentStateBytes;
}

/** One sequence's cache at `tokens` tokens, right after a selection. */
export function pyramidCacheBytesAt(shape: Shape, s: PyramidSchedule, tokens: number, cacheType: CacheType = "f16"): number {
    return retainedCacheBytes(shape, pyramidRetained(tokens, shape.kvHeadsPerLayer.length, s), cacheType);
}
