/**
 * A lane's cache, computed from its model file's shape and, when it runs with PyramidInfer, its schedule: the
 * bytes one sequence holds at n tokens (right after a selection: each layer's `pyramidRetained`) and the points
 * where that line bends, for the Compare view's chart and its memory ratio.
 */
import { shapeCacheBytesAt, shapeCacheCurve } from "../../../api/cacheMath";
import type { ModelShape, ModelSettings, PyramidSchedule } from "../../../api/appApi";
import { pyramidCacheBytesAt } from "../../../api/pyramidShape";

/** What a lane's cache is computed from. */
export interface CacheModel {
    shape?: ModelShape;
    settings: Pick<ModelSettings, "cacheType">;
    /** the lane runs with this PyramidInfer schedule */
    pyramid?: PyramidSchedule;
}

/** One sequence's cache at `tokens`; undefined without a shape, or where the cache type does not fit it. */
export function cacheBytesFor(model: CacheModel, tokens: number): number | undefined {
    if (!model.shape) return undefined;
    if (!model.pyramid) return shapeCacheBytesAt(model.shape, tokens, model.settings.cacheType);
    return model.shape.kvBytesPerTokenByType[model.settings.cacheType] == null ? undefined : pyramidCacheBytesAt(model.shape, model.pyramid, tokens, model.settings.cacheType);
}

/**
 * The cache from 0 to `upTo` tokens as the points where its line bends: without PyramidInfer `shapeCacheCurve`'s;
 * with it also `recent` (below it every layer keeps all) and each layer's n = recent / (r0 x decay^l), where it stops
 * keeping only its recent window. Straight lines between them are off by at most the rounding of one token per layer.
 */
export function cacheCurve(model: CacheModel, upTo: number): { tokens: number; bytes: number }[] | undefined {
    if (!model.shape) return undefined;
    const s = model.pyramid;
    if (!s) return shapeCacheCurve(model.shape, upTo, model.settings.cacheType);
    const bends = model.shape.kvHeadsPerLayer.map((_, l) => Math.ceil(s.recent / (s.r0 * s.decay ** l)));
    const at = [...new Set([0, s.recent, ...bends, upTo])].filter((n) => n <= upTo).sort((a, b) => a - b);
    const points: { tokens: number; bytes: number }[] = [];
    for (const tokens of at) {
        const bytes = cacheBytesFor(model, tokens);
        if (bytes == null) return undefined;
        points.push({ tokens, bytes });
    }
    return points;
}
