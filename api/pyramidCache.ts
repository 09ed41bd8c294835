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
    /** newest tokens whose attention scores the others (engine default 16) */
    queries?: number;
    /** select again after this many tokens (engine default: the context's batch size) */
    every?: number;
}

/** A schedule text that is malformed or out of range. */
export class PyramidScheduleError extends Error {
    public constructor(message: string) {
        super(message);
        this.name = "PyramidScheduleError";
    }
}

/** The engine's recent window and scoring queries when a schedule leaves them out (llama-memory-pyramid.h). */
export const PYRAMID_DEFAULTS = { recent: 64, queries: 16 } as const;

const SHARE = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const WHOLE = /^\d+$/;

/**
 * The schedule the engine's `pyramid.schedule` key takes, "r0=0.8,decay=0.7,recent=64,queries=16,every=512":
 * r0 and decay required, shares in (0, 1]; recent (default 64), queries (default 16) and every (default: the
 * batch size) whole numbers >= 1, queries <= every. Throws PyramidScheduleError naming what is wrong.
 */
export function parsePyramidSchedule(text: string): PyramidSchedule {
    const fail = (why: string): never => {
        throw new PyramidScheduleError(`PyramidInfer schedule "${text}": ${why}`);
    };
    const values = new Map<string, string>();
    for (const item of text.split(",")) {
        const eq = item.indexOf("=");
        if (eq < 0)
            fail(`expected key=value items separated by commas, got "${item.trim()}"`);
        const key = item.slice(0, eq).trim();
        if (!["r0", "decay", "recent", "queries", "every"].includes(key))
            fail(`unknown key "${key}" (keys: r0, decay, recent, queries, every)`);
        if (values.has(key))
            fail(`${key} is given twice`);
        values.set(key, item.slice(eq + 1).trim());
    }
    const share = (key: string, what: string): number => {
        const raw = values.get(key);
        if (raw == null)
            return fail(`${key} is missing (${what}, a number above 0 and at most 1)`);
        const x = Number(raw);
        if (!SHARE.test(raw) || !(x > 0 && x <= 1))
            fail(`${key} must be a number above 0 and at most 1 (${what}), got "${raw}"`);
        return x;
    };
    const whole = (key: string, what: string): number | undefined => {
        const raw = values.get(key);
        if (raw == null)
            return undefined;
        const n = Number(raw);
        if (!WHOLE.test(raw) || n < 1 || n > 0xffffffff)
            fail(`${key} must be a whole number of tokens >= 1 (${what}), got "${raw}"`);
        return n;
    };
    const schedule: PyramidSchedule = {
        r0: share("r0", "the first layer's share of the tokens seen"),
        decay: share("decay", "each deeper layer keeps this factor of the one above"),
        recent: whole("recent", "the newest tokens, never dropped") ?? PYRAMID_DEFAULTS.recent,
        queries: whole("queries", "the newest tokens whose attention scores the others") ?? PYRAMID_DEFAULTS.queries
    };
    const every = whole("every", "select again after this many tokens");
    if (every != null) {
        if (schedule.queries! > every)
            fail(`queries (${schedule.queries}) must not exceed every (${every})`);
        schedule.every = every;
    }
    return schedule;
}

/** The schedule as the engine takes it: "r0=0.8,decay=0.7,recent=64" (+ ",queries=Q" and ",every=E" where set). */
export function formatPyramidSchedule(s: PyramidSchedule): string {
    return `r0=${s.r0},decay=${s.decay},recent=${s.recent}` +
        (s.queries != null ? `,queries=${s.queries}` : "") + (s.every != null ? `,every=${s.every}` : "");
}

/** Tokens between two selections, the most a layer takes in on top of its kept tokens: every, at least one batch. */
export function pyramidSlack(s: PyramidSchedule, batchSize: number): number {
    return Math.max(s.every ?? batchSize, batchSize);
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
 * KV cells per layer the engine allocates (llama-memory-pyramid.cpp) for a context of `contextTokens` read in batches
 * of `batchSize` tokens: the most a layer ever holds, keep(l, n_ctx - B) + B with B = pyramidSlack (every, at least
 * one batch), at most n_ctx, padded to 256 as llama.cpp pads its SWA cache.
 */
export function pyramidCells(contextTokens: number, layers: number, s: PyramidSchedule, batchSize = 512): number[] {
    const slack = pyramidSlack(s, batchSize);
    return Array.from({ length: layers }, (_, l) => {
        const most = pyramidKeep(Math.max(0, contextTokens - slack), l, s) + slack;
        return Math.min(contextTokens, Math.ceil(most / 256) * 256);
    });
}
