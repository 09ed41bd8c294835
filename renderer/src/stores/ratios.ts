/**
 * One model against a baseline (RecurFormer against dense, unless named otherwise: a comparison's
 * lanes against its first), only where the two did the same work: every ratio says how many tokens
 * it rests on, names the side that is larger (faster, sooner, smaller), and is withheld, with the
 * reason, when it rests on too few tokens or on unlike work (a snapshot resume against a full read,
 * runs at different context lengths). Green (`good`) only when the model beats its baseline.
 */
import type { Metrics } from "../../../api/appApi";
import { formatBytes, formatPercent, formatTokens } from "../lib/format";
import { cacheBytesFor, type CacheModel } from "../lib/laneCache";

/** What a ratio calls its two runs: the model compared, and its baseline. */
export interface RatioNames {
    ours: string;
    base: string;
}

/** the chat meters' pair */
export const RECURFORMER_VS_DENSE: RatioNames = { ours: "RecurFormer", base: "dense" };

/** decode rates over fewer tokens than this (either side) are too noisy to compare */
export const MIN_DECODE_TOKENS = 16;
/** prefill rates and first-token times over prompts shorter than this say little about reading */
export const MIN_PROMPT_TOKENS = 64;
/** two runs count as "at the same length" when their token counts differ by at most this fraction */
export const SAME_LENGTH_TOLERANCE = 0.25;

/** What a comparison needs of each side's run (a live `Metrics`, or a stored dense baseline). */
export interface RunFigures {
    tokensInContext: number;
    promptTokens?: number;
    promptTokensReused?: number;
    generatedTokens?: number;
    prefillTokensPerSecond?: number;
    decodeTokensPerSecond?: number;
    timeToFirstTokenMs?: number;
}

export type SpeedKind = "decode" | "prefill" | "firstToken";

export interface Comparison {
    /** ours ÷ baseline for rates, baseline ÷ ours for times: above 1 ours wins */
    ratio?: number;
    /** "RecurFormer 1.31× faster", "dense 1.8× sooner"; "—" when withheld */
    text: string;
    /** what it rests on ("over 96 and 96 decoded tokens"), or why it is withheld */
    note: string;
    withheld: boolean;
    /** ours wins (only then green) */
    good: boolean;
}

const withheld = (note: string): Comparison => ({ text: "—", note, withheld: true, good: false });

function sameLength(a: number, b: number): boolean {
    return Math.abs(a - b) <= SAME_LENGTH_TOLERANCE * Math.max(a, b, 1);
}

/** "1.31×": a ratio that is always ≥ 1, with the side it favours named by the caller. */
function times(r: number): string {
    return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`;
}

const WORDS: Record<SpeedKind, { win: string; what: string }> = {
    decode: { win: "faster", what: "decode" },
    prefill: { win: "faster", what: "prefill" },
    firstToken: { win: "sooner", what: "first token" },
};

/**
 * A model's speed against its baseline's, of one kind, only over like work:
 * decode — both decoded at least MIN_DECODE_TOKENS, at about the same context length;
 * prefill and first token — both read their prompt in full (no snapshot resume on one side only),
 * the same number of tokens (within SAME_LENGTH_TOLERANCE), at least MIN_PROMPT_TOKENS.
 */
export function compareSpeed(kind: SpeedKind, ours: RunFigures | undefined, base: RunFigures | undefined, names: RatioNames = RECURFORMER_VS_DENSE): Comparison {
    if (!ours || !base) return withheld("needs a run of each");
    const { win, what } = WORDS[kind];
    if (kind === "decode") {
        const a = ours.generatedTokens;
        const b = base.generatedTokens;
        if (a == null || b == null) return withheld("the number of decoded tokens is not known");
        if (Math.min(a, b) < MIN_DECODE_TOKENS) return withheld(`withheld: ${a} and ${b} tokens decoded, too few (needs ${MIN_DECODE_TOKENS} each)`);
        if (!sameLength(ours.tokensInContext, base.tokensInContext)) return withheld(`withheld: the runs ended at ${formatTokens(ours.tokensInContext)} and ${formatTokens(base.tokensInContext)} tokens, not the same length`);
        return result(ours.decodeTokensPerSecond, base.decodeTokensPerSecond, win, what, `over ${a} and ${b} decoded tokens · measured`, names);
    }
    const a = ours.promptTokens;
    const b = base.promptTokens;
    if (a == null || b == null) return withheld("how many prompt tokens each read is not known");
    const oursResumed = (ours.promptTokensReused ?? 0) > 0;
    const baseResumed = (base.promptTokensReused ?? 0) > 0;
    if (oursResumed !== baseResumed || !sameLength(a, b)) {
        const how = (n: number, resumed: boolean) => `${formatTokens(n)}${resumed ? " (resumed from a snapshot)" : ""}`;
        return withheld(`withheld: not the same work, ${names.ours} read ${how(a, oursResumed)} prompt tokens, ${names.base} ${how(b, baseResumed)}`);
    }
    if (Math.min(a, b) < MIN_PROMPT_TOKENS) return withheld(`withheld: a ${formatTokens(Math.min(a, b))}-token prompt is too short (needs ${MIN_PROMPT_TOKENS})`);
    const note = `both read ${a === b ? formatTokens(a) : `${formatTokens(a)} and ${formatTokens(b)}`} prompt tokens · measured`;
    return kind === "prefill"
        ? result(ours.prefillTokensPerSecond, base.prefillTokensPerSecond, win, what, note, names)
        // a time: the smaller wins, so the ratio is baseline ÷ ours
        : result(base.timeToFirstTokenMs, ours.timeToFirstTokenMs, win, what, note, names);
}

function result(oursBetterWhenLarger: number | undefined, baseValue: number | undefined, win: string, what: string, note: string, names: RatioNames): Comparison {
    if (!oursBetterWhenLarger || !baseValue) return withheld(`no ${what} figure on ${!oursBetterWhenLarger ? "one side" : `the ${names.base} side`} yet`);
    const ratio = oursBetterWhenLarger / baseValue;
    if (Math.abs(ratio - 1) < 0.02) return { ratio, text: "the same", note, withheld: false, good: false };
    const text = ratio > 1 ? `${names.ours} ${times(ratio)} ${win}` : `${names.base} ${times(1 / ratio)} ${win}`;
    return { ratio, text, note, withheld: false, good: ratio > 1 };
}

export interface MemoryComparison {
    /** the one token count both figures are computed at */
    tokens: number;
    oursBytes: number;
    baseBytes: number;
    /** "RecurFormer 85.9% less" or "RecurFormer 202.8% more" */
    text: string;
    note: string;
    good: boolean;
}

/** A run's cache at `tokens`: its own figure there, else computed from its model's shape and schedule (any architecture, PyramidInfer or not). */
function cacheAt(run: Metrics, model: CacheModel | undefined, tokens: number): number | undefined {
    if (tokens === run.tokensInContext) return run.cacheBytesComputed;
    return model ? cacheBytesFor(model, tokens) : undefined;
}

/**
 * The cache memory of a model and its baseline computed at one token count: the smaller of the two
 * runs' counts (runs of one prompt stop at different lengths), each from its own shape: dense KV grows
 * with every token, RecurFormer's kept KV on top of a fixed state, BASED's stops growing past its window.
 */
export function compareMemory(ours: Metrics | undefined, base: Metrics | undefined, oursModel?: CacheModel, baseModel?: CacheModel, names: RatioNames = RECURFORMER_VS_DENSE): MemoryComparison | undefined {
    if (!ours || !base) return undefined;
    const tokens = Math.min(ours.tokensInContext, base.tokensInContext);
    if (tokens <= 0) return undefined;
    const oursBytes = cacheAt(ours, oursModel, tokens);
    const baseBytes = cacheAt(base, baseModel, tokens);
    if (oursBytes == null || !baseBytes || baseBytes <= 0) return undefined;
    const saved = 1 - oursBytes / baseBytes;
    const good = saved > 0;
    const why = !good && (oursModel?.shape?.recurrentStateBytes ?? 0) > 0 ? " · the fixed recurrent state outweighs the KV saved this early" : "";
    return {
        tokens, oursBytes, baseBytes, good,
        text: `${names.ours} ${formatPercent(Math.abs(saved))} ${good ? "less" : "more"}`,
        note: `both at ${formatTokens(tokens)} tokens: ${formatBytes(oursBytes)} vs ${names.base} ${formatBytes(baseBytes)} · computed${why}`,
    };
}

/** A model's snapshot (RecurFormer's unless named) against the dense model's state at the same point, naming the larger side. */
export function compareSnapshot(timesSmaller: number | undefined, name = "RecurFormer"): { text: string; good: boolean } | undefined {
    if (timesSmaller == null || !Number.isFinite(timesSmaller) || timesSmaller <= 0) return undefined;
    const fmt = (r: number) => `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×`;
    if (timesSmaller >= 1.05) return { text: `${name}'s snapshot ${fmt(timesSmaller)} smaller`, good: true };
    if (timesSmaller > 0.95) return { text: `${name}'s snapshot about the same size`, good: false };
    return { text: `${name}'s snapshot ${fmt(1 / timesSmaller)} larger`, good: false };
}
