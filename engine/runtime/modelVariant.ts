import type {CacheType} from "./protocol.js";
import {formatPyramidSchedule, parsePyramidSchedule} from "../../api/pyramidCache.js";

/** A model file and how it runs: its KV cache type and PyramidInfer schedule (bench, api, evaluate.mjs). */
export interface ModelVariant {
    path: string;
    /** absent: f16 */
    cacheType?: CacheType;
    /** the canonical PyramidInfer schedule (formatPyramidSchedule); absent: the full KV cache */
    pyramid?: string;
}

const scheduleKey = /^\s*(r0|decay|recent|queries|every)\s*=/;

/**
 * `PATH[@q8_0][@pyramid:SCHEDULE]`, the suffixes in either order, e.g. `dense.gguf@pyramid:r0=0.8,decay=0.7` or
 * `recurformer.gguf@q8_0@pyramid:r0=1,decay=0.8,recent=32`. Throws an Error (PyramidScheduleError for the
 * schedule) that says what is wrong.
 */
export function parseModelVariant(text: string): ModelVariant {
    const [path, ...suffixes] = text.trim().split("@");
    if (path == null || path.length === 0)
        throw new Error(`model "${text}": no file before its @ options`);
    const variant: ModelVariant = {path};
    for (const suffix of suffixes) {
        if (suffix === "q8_0" || suffix === "f16") {
            if (variant.cacheType != null)
                throw new Error(`model "${text}": two cache types`);
            variant.cacheType = suffix;
        } else if (suffix.startsWith("pyramid:")) {
            if (variant.pyramid != null)
                throw new Error(`model "${text}": two PyramidInfer schedules`);
            variant.pyramid = formatPyramidSchedule(parsePyramidSchedule(suffix.slice("pyramid:".length)));
        } else
            throw new Error(`model "${text}": unknown option "@${suffix}" (options: @q8_0, @pyramid:SCHEDULE)`);
    }
    return variant;
}

/**
 * A comma-separated list of model variants. A schedule's own items (r0=, decay=, recent=, queries=, every=) stay
 * with the model before them: `dense.gguf,dense.gguf@pyramid:r0=0.8,decay=0.7,recurformer.gguf` is three models.
 */
export function parseModelVariants(list: string): ModelVariant[] {
    const items: string[] = [];
    for (const piece of list.split(",")) {
        if (scheduleKey.test(piece) && items.length > 0 && items.at(-1)!.includes("@pyramid:"))
            items[items.length - 1] += "," + piece;
        else if (piece.trim().length > 0)
            items.push(piece);
    }
    return items.map(parseModelVariant);
}

/** The variant as parseModelVariant reads it: `PATH`, `PATH@q8_0`, `PATH@pyramid:r0=0.8,decay=0.7,recent=64,queries=16`. */
export function formatModelVariant(variant: ModelVariant): string {
    return variant.path + (variant.cacheType === "q8_0" ? "@q8_0" : "") + (variant.pyramid != null ? `@pyramid:${variant.pyramid}` : "");
}
