/**
 * RecurFormer against dense, only where the two did the same work: every ratio says how many tokens
 * it rests on, names the side that is larger (faster, sooner, smaller), and is withheld, with the
 * reason, when it rests on too few tokens or on unlike work (a snapshot resume against a full read,
 * runs at different context lengths). Green (`good`) only when RecurFormer wins.
 */
import type { Metrics, ModelInfo } from "../../../api/appApi";
import { formatBytes, formatPercent, formatTokens } from "../lib/format";

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
    /** RecurFormer ÷ dense for rates, dense ÷ RecurFormer for times: above 1 RecurFormer wins */
    ratio?: number;
    /** "RecurFormer 1.31× faster", "dense 1.8× sooner"; "—" when withheld */
    text: string;
    /** what it rests on ("over 96 and 96 decoded tokens"), or why it is withheld */
    note: string;
    withheld: boolean;
    /** RecurFormer wins (only then green) */
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
 * RecurFormer's speed against dense's, of one kind, only over like work:
 * decode — both decoded at least MIN_DECODE_TOKENS, at about the same context length;
 * prefill and first token — both read their prompt in full (no snapshot resume on one side only),
 * the same number of tokens (within SAME_LENGTH_TOLERANCE), at least MIN_PROMPT_TOKENS.
 */
export function compareSpeed(kind: SpeedKind, rf: RunFigures | undefined, dense: RunFigures | undefined): Comparison {
    if (!rf || !dense) return withheld("needs a run of each");
    const { win, what } = WORDS[kind];
    if (kind === "decode") {
        const a = rf.generatedTokens;
        const b = dense.generatedTokens;
        if (a == null || b == null) return withheld("the number of decoded tokens is not known");
        if (Math.min(a, b) < MIN_DECODE_TOKENS) return withheld(`withheld: ${a} and ${b} tokens decoded, too few (needs ${MIN_DECODE_TOKENS} each)`);
        if (!sameLength(rf.tokensInContext, dense.tokensInContext)) return withheld(`withheld: the runs ended at ${formatTokens(rf.tokensInContext)} and ${formatTokens(dense.tokensInContext)} tokens, not the same length`);
        return result(rf.decodeTokensPerSecond, dense.decodeTokensPerSecond, win, what, `over ${a} and ${b} decoded tokens · measured`);
    }
    const a = rf.promptTokens;
    const b = dense.promptTokens;
    if (a == null || b == null) return withheld("how many prompt tokens each read is not known");
    const rfResumed = (rf.promptTokensReused ?? 0) > 0;
    const denseResumed = (dense.promptTokensReused ?? 0) > 0;
    if (rfResumed !== denseResumed || !sameLength(a, b)) {
        const how = (n: number, resumed: boolean) => `${formatTokens(n)}${resumed ? " (resumed from a snapshot)" : ""}`;
        return withheld(`withheld: not the same work, RecurFormer read ${how(a, rfResumed)} prompt tokens, dense ${how(b, denseResumed)}`);
    }
    if (Math.min(a, b) < MIN_PROMPT_TOKENS) return withheld(`withheld: a ${formatTokens(Math.min(a, b))}-token prompt is too short (needs ${MIN_PROMPT_TOKENS})`);
    const note = `both read ${a === b ? formatTokens(a) : `${formatTokens(a)} and ${formatTokens(b)}`} prompt tokens · measured`;
    return kind === "prefill"
        ? result(rf.prefillTokensPerSecond, dense.prefillTokensPerSecond, win, what, note)
        // a time: the smaller wins, so the ratio is dense ÷ RecurFormer
        : result(dense.timeToFirstTokenMs, rf.timeToFirstTokenMs, win, what, note);
}

function result(rfBetterWhenLarger: number | undefined, denseValue: number | undefined, win: string, what: string, note: string): Comparison {
    if (!rfBetterWhenLarger || !denseValue) return withheld(`no ${what} figure on ${!rfBetterWhenLarger ? "one side" : "the dense side"} yet`);
    const ratio = rfBetterWhenLarger / denseValue;
    if (Math.abs(ratio - 1) < 0.02) return { ratio, text: "the same", note, withheld: false, good: false };
    const text = ratio > 1 ? `RecurFormer ${times(ratio)} ${win}` : `dense ${times(1 / ratio)} ${win}`;
    return { ratio, text, note, withheld: false, good: ratio > 1 };
}

export interface MemoryComparison {
    /** the one token count both figures are computed at */
    tokens: number;
    rfBytes: number;
    denseBytes: number;
    /** "RecurFormer 85.9% less" or "RecurFormer 202.8% more" */
    text: string;
    note: string;
    good: boolean;
}

/**
 * Cache memory of both models computed at one token count: the smaller of the two runs' counts
 * (runs of one prompt stop at different lengths). RecurFormer's bytes there follow from its last
 * figure less the KV of the tokens past that count; dense's KV grows linearly from zero.
 */
export function compareMemory(rf: Metrics | undefined, dense: Metrics | undefined, rfModel: ModelInfo | undefined): MemoryComparison | undefined {
    if (!rf) return undefined;
    const tokens = dense ? Math.min(rf.tokensInContext, dense.tokensInContext) : rf.tokensInContext;
    if (tokens <= 0) return undefined;
    let rfBytes = rf.cacheBytesComputed;
    let denseBytes = rf.denseCacheBytesComputed;
    if (tokens !== rf.tokensInContext) {
        const kv = rfModel?.shape ? (rfModel.shape.kvBytesPerTokenByType[rfModel.settings.cacheType] ?? rfModel.shape.kvBytesPerToken) : undefined;
        if (kv == null || !dense) return undefined;
        rfBytes = rf.cacheBytesComputed - (rf.tokensInContext - tokens) * kv;
        denseBytes = undefined;
    }
    if (dense && dense.tokensInContext > 0 && (denseBytes == null || tokens === dense.tokensInContext)) denseBytes = (dense.cacheBytesComputed * tokens) / dense.tokensInContext;
    if (!denseBytes || denseBytes <= 0) return undefined;
    const saved = 1 - rfBytes / denseBytes;
    const good = saved > 0;
    return {
        tokens, rfBytes, denseBytes, good,
        text: `RecurFormer ${formatPercent(Math.abs(saved))} ${good ? "less" : "more"}`,
        note: `both at ${formatTokens(tokens)} tokens: ${formatBytes(rfBytes)} vs dense ${formatBytes(denseBytes)} · computed${good ? "" : " · the fixed recurrent state outweighs the KV saved this early"}`,
    };
}

/** RecurFormer's snapshot against the dense model's state at the same point, naming the larger side. */
export function compareSnapshot(timesSmaller: number | undefined): { text: string; good: boolean } | undefined {
    if (timesSmaller == null || !Number.isFinite(timesSmaller) || timesSmaller <= 0) return undefined;
    const fmt = (r: number) => `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×`;
    if (timesSmaller >= 1.05) return { text: `RecurFormer's snapshot ${fmt(timesSmaller)} smaller`, good: true };
    if (timesSmaller > 0.95) return { text: "RecurFormer's snapshot about the same size", good: false };
    return { text: `RecurFormer's snapshot ${fmt(1 / timesSmaller)} larger`, good: false };
}
