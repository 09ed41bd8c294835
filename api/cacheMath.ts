/**
 * Cache bytes, computed exactly from a model's shape:
 *
 *   bytes(n) = n x sum over layers (kept KV heads x head dim x (bytes(K) + bytes(V)))
 *            + recurrent state bytes (per sequence, fixed)
 *
 * Recurrent state per Mamba-2 layer (llama.cpp keeps both in F32):
 *   conv state = (conv kernel - 1) x (d_inner + 2 x groups x d_state) x 4
 *   SSM state  = SSM heads x head dim x d_state x 4
 * with SSM heads = replaced query heads, d_inner = SSM heads x head dim, groups = replaced KV groups.
 *
 * BASED (engine/pipeline/recurformer/based.py; engine/llama/README.md "GGUF format: based"): no KV grows
 * with the context. Its sliding-window layers keep K and V of the last w tokens only, and each linear layer
 * holds a fixed F32 state (short conv (K-1) x width + heads x (1 + d' + d'^2) x (head dim + 1)):
 *
 *   bytes(n) = min(n, w) x window layers x heads x head dim x (bytes(K) + bytes(V)) + state bytes
 *
 * The same sum for a model file's own shape (`shapeCacheBytesAt`) is what the engine's CacheMeter
 * reports and what the Compare view plots and compares, for every architecture alike.
 *
 * Pure functions, used by the cache projection view, the Compare view, the engine and their tests.
 */

import type { CacheType, ModelShape } from "./modelFigures.js";
import { pyramidKvBytes, type PyramidSchedule } from "./pyramidCache.js";

export type { CacheType };

/** bytes per element of a cache type (q8_0: 34 bytes per block of 32) */
export const CACHE_TYPE_BYTES: Record<CacheType, number> = { f16: 2, q8_0: 34 / 32 };

/** An attention model's shape, as far as its cache is concerned. */
export interface AttentionShape {
    name: string;
    layers: number;
    /** query heads per layer */
    heads: number;
    /** KV heads (groups) per layer */
    kvHeads: number;
    headDim: number;
    /** trained context */
    contextLength: number;
}

export interface RecurformerPlan {
    /** KV groups kept per layer, out of `kvGroupsTotal` */
    keptGroups: number;
    /** Mamba-2 state size (d_state) */
    dState: number;
    convKernel: number;
}

/** Well-known real shapes (from their published configs). */
export const REAL_SHAPES: AttentionShape[] = [
    { name: "Llama-2-7B", layers: 32, heads: 32, kvHeads: 32, headDim: 128, contextLength: 4096 },
    { name: "Qwen2-7B", layers: 28, heads: 28, kvHeads: 4, headDim: 128, contextLength: 131072 },
    { name: "Llama-3-8B", layers: 32, heads: 32, kvHeads: 8, headDim: 128, contextLength: 8192 },
];

/** KV-cache reductions the RecurFormer paper (Yan et al. 2024, arXiv 2410.12850) reports. */
export const PAPER_REDUCTIONS: { model: string; tokens: number; reduction: number }[] = [
    { model: "Llama-2-7B", tokens: 10_240, reduction: 0.897 },
    { model: "Llama-2-7B", tokens: 61_440, reduction: 0.900 },
    { model: "Qwen2-7B", tokens: 10_240, reduction: 0.873 },
    { model: "Qwen2-7B", tokens: 61_440, reduction: 0.875 },
];

/** KV groups a "keep k/8" plan divides the KV heads into (8, or the KV head count when smaller). */
export function kvGroupCount(shape: AttentionShape): number {
    return Math.min(8, shape.kvHeads);
}

/** Dense KV bytes per token. */
export function denseKvBytesPerToken(shape: AttentionShape, cacheType: CacheType = "f16"): number {
    return shape.layers * shape.kvHeads * shape.headDim * 2 * CACHE_TYPE_BYTES[cacheType];
}

/** KV heads kept per layer when keeping `kept` of 8 groups. */
export function keptKvHeads(shape: AttentionShape, keptEighths: number): number {
    const groups = kvGroupCount(shape);
    const headsPerGroup = shape.kvHeads / groups;
    const keptGroups = Math.max(1, Math.round((keptEighths / 8) * groups));
    return keptGroups * headsPerGroup;
}

/** RecurFormer KV bytes per token and fixed recurrent state bytes, keeping `keptEighths`/8 of the KV groups. */
export function recurformerCache(shape: AttentionShape, keptEighths: number, cacheType: CacheType = "f16", dState = 64, convKernel = 4) {
    const keptKv = keptKvHeads(shape, keptEighths);
    const replacedKv = shape.kvHeads - keptKv;
    const queryPerKv = shape.heads / shape.kvHeads;
    const ssmHeads = replacedKv * queryPerKv;
    const dInner = ssmHeads * shape.headDim;
    const convState = (convKernel - 1) * (dInner + 2 * replacedKv * dState) * 4;
    const ssmState = ssmHeads * shape.headDim * dState * 4;
    return {
        keptKvHeads: keptKv,
        kvBytesPerToken: shape.layers * keptKv * shape.headDim * 2 * CACHE_TYPE_BYTES[cacheType],
        recurrentStateBytes: replacedKv > 0 ? shape.layers * (convState + ssmState) : 0,
    };
}

/** A sliding window's cache: KV bytes per token, kept for the last `tokens` tokens. */
export interface WindowCache {
    tokens: number;
    kvBytesPerToken: number;
}

export function cacheBytesAt(tokens: number, kvBytesPerToken: number, recurrentStateBytes = 0, window?: WindowCache): number {
    return tokens * kvBytesPerToken + recurrentStateBytes + (window ? Math.min(tokens, window.tokens) * window.kvBytesPerToken : 0);
}

/**
 * One sequence's cache at `tokens` tokens from a model file's shape (dense, RecurFormer, BASED alike):
 * KV per token, the window layers' KV for the last w tokens, the fixed recurrent state.
 * Undefined where llama.cpp cannot use `cacheType` for this shape.
 */
export function shapeCacheBytesAt(shape: Pick<ModelShape, "kvBytesPerTokenByType" | "recurrentStateBytes" | "window">, tokens: number, cacheType: CacheType = "f16"): number | undefined {
    const kv = shape.kvBytesPerTokenByType[cacheType];
    const windowKv = shape.window ? shape.window.kvBytesPerTokenByType[cacheType] : 0;
    if (kv == null || windowKv == null) return undefined;
    return cacheBytesAt(tokens, kv, shape.recurrentStateBytes, shape.window ? { tokens: shape.window.tokens, kvBytesPerToken: windowKv } : undefined);
}

/**
 * A shape's cache from 0 to `upTo` tokens as the points where its line bends: 0, a BASED model's window w
 * (flat past it) and `upTo`. Straight lines through them are exact: dense grows linearly from 0, RecurFormer
 * from its fixed state, BASED up to w and then not at all.
 */
export function shapeCacheCurve(shape: Pick<ModelShape, "kvBytesPerTokenByType" | "recurrentStateBytes" | "window">, upTo: number, cacheType: CacheType = "f16"): { tokens: number; bytes: number }[] | undefined {
    const at = [0, ...(shape.window && shape.window.tokens < upTo ? [shape.window.tokens] : []), ...(upTo > 0 ? [upTo] : [])];
    const points: { tokens: number; bytes: number }[] = [];
    for (const tokens of at) {
        const bytes = shapeCacheBytesAt(shape, tokens, cacheType);
        if (bytes == null) return undefined;
        points.push({ tokens, bytes });
    }
    return points;
}

export interface BasedPlan {
    /** window w of the sliding-window layers */
    window: number;
    /** feature dim d' of the linear-attention layers */
    featureDim: number;
    convKernel?: number;
    /** linear-attention layers (default: half, the reference's linear/window alternation) */
    linearLayers?: number;
}

/** BASED at an attention shape's width and heads (BASED has no GQA: every head keeps its own K/V). */
export function basedCache(shape: AttentionShape, plan: BasedPlan, cacheType: CacheType = "f16") {
    const linear = plan.linearLayers ?? Math.ceil(shape.layers / 2);
    const width = shape.heads * shape.headDim;
    const features = 1 + plan.featureDim + plan.featureDim ** 2;
    const statePerLayer = ((plan.convKernel ?? 3) - 1) * width * 4 + shape.heads * features * (shape.headDim + 1) * 4;
    return {
        kvBytesPerToken: 0,
        window: { tokens: plan.window, kvBytesPerToken: (shape.layers - linear) * width * 2 * CACHE_TYPE_BYTES[cacheType] } as WindowCache,
        recurrentStateBytes: linear * statePerLayer,
    };
}

/** 1 - ours/dense, as a fraction */
export function reduction(ours: number, dense: number): number {
    return dense > 0 ? 1 - ours / dense : 0;
}

/** Context lengths for a projection chart: powers of two from 512 up to `max` (default 128k). */
export function projectionPoints(max = 131_072): number[] {
    const points: number[] = [];
    for (let n = 512; n <= max; n *= 2) points.push(n);
    return points;
}

export interface ProjectionSeries {
    label: string;
    /** bytes at each point of `projectionPoints()` */
    bytes: number[];
}

/** BASED plans the projection draws: the two the pipeline trains (issue 14), feature dim 16, windows 64 and 256. */
export const PROJECTED_BASED: BasedPlan[] = [{ window: 64, featureDim: 16 }, { window: 256, featureDim: 16 }];

/** PyramidInfer schedules the projection draws (issue 15's two, recent 64): on dense, and the steeper one on keep 1/8. */
export const PROJECTED_PYRAMID: (PyramidSchedule & { label: string })[] = [
    { label: "r0 1.0/0.8", r0: 1.0, decay: 0.8, recent: 64 },
    { label: "r0 0.8/0.7", r0: 0.8, decay: 0.7, recent: 64 },
];

/**
 * Dense, keep 1/8, 2/8, 4/8 (f16), keep 1/8 with a q8_0 cache, dense q8_0, BASED at the shape's width and heads (flat
 * past its window), and PyramidInfer (right after a selection: layer l keeps n x r0 x decay^l, at least `recent`) on
 * dense with both projected schedules and on keep 1/8 with the steeper one.
 */
export function projectShape(shape: AttentionShape, points = projectionPoints()): ProjectionSeries[] {
    const dense = denseKvBytesPerToken(shape);
    const series: ProjectionSeries[] = [{ label: "dense (f16)", bytes: points.map((n) => cacheBytesAt(n, dense)) }];
    for (const kept of [1, 2, 4]) {
        const rf = recurformerCache(shape, kept);
        series.push({ label: `RecurFormer keep ${kept}/8`, bytes: points.map((n) => cacheBytesAt(n, rf.kvBytesPerToken, rf.recurrentStateBytes)) });
    }
    const q8 = recurformerCache(shape, 1, "q8_0");
    series.push({ label: "RecurFormer keep 1/8, q8_0", bytes: points.map((n) => cacheBytesAt(n, q8.kvBytesPerToken, q8.recurrentStateBytes)) });
    series.push({ label: "dense, q8_0", bytes: points.map((n) => cacheBytesAt(n, denseKvBytesPerToken(shape, "q8_0"))) });
    for (const plan of PROJECTED_BASED) {
        const b = basedCache(shape, plan);
        series.push({ label: `BASED w ${plan.window}, d' ${plan.featureDim}`, bytes: points.map((n) => cacheBytesAt(n, b.kvBytesPerToken, b.recurrentStateBytes, b.window)) });
    }
    const denseLayers = Array<number>(shape.layers).fill(dense / shape.layers);
    for (const s of PROJECTED_PYRAMID) series.push({ label: `dense + PyramidInfer ${s.label}`, bytes: points.map((n) => pyramidKvBytes(n, denseLayers, s)) });
    const keep1 = recurformerCache(shape, 1);
    const steep = PROJECTED_PYRAMID[1]!;
    const keepLayers = Array<number>(shape.layers).fill(keep1.kvBytesPerToken / shape.layers);
    series.push({ label: `RecurFormer keep 1/8 + PyramidInfer ${steep.label}`, bytes: points.map((n) => pyramidKvBytes(n, keepLayers, steep) + keep1.recurrentStateBytes) });
    return series;
}

/** Our computed reduction for a real shape at `tokens`, keeping 1/8 of the KV groups. */
export function ourReduction(shape: AttentionShape, tokens: number, keptEighths = 1): number {
    const rf = recurformerCache(shape, keptEighths);
    return reduction(cacheBytesAt(tokens, rf.kvBytesPerToken, rf.recurrentStateBytes), cacheBytesAt(tokens, denseKvBytesPerToken(shape)));
}
