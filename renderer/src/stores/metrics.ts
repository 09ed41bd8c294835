/**
 * Live metrics per chat (the latest event of the running answer) and dense baselines.
 * Everything shown in the meters is derived here, in selectors, from what the engine sent:
 * nothing is stored twice.
 */
import { create } from "zustand";
import type { BaselineFigure, Metrics } from "../../../api/appApi";
import { call } from "../api/client";
import { formatPercent, formatTokens } from "../lib/format";

interface Live { messageId: string; metrics: Metrics; at: number }

interface MetricsState {
    live: Record<string, Live>;
    baselines: BaselineFigure[];
    push(chatId: string, messageId: string, metrics: Metrics): void;
    setBaselines(baselines: BaselineFigure[]): void;
    init(): Promise<void>;
}

export const useMetrics = create<MetricsState>((set, get) => ({
    live: {},
    baselines: [],
    push: (chatId, messageId, metrics) => set({ live: { ...get().live, [chatId]: { messageId, metrics, at: Date.now() } } }),
    setBaselines: (baselines) => set({ baselines }),
    async init() {
        set({ baselines: await call("baselines.list") });
    },
}));

// ---- derived numbers

export interface MeterFigures {
    tokensInContext: number;
    contextSize: number;
    /** 0..1 */
    contextFill: number;
    cacheBytesComputed: number;
    denseCacheBytesComputed?: number;
    /** 1 - ours/dense, computed */
    savedFraction?: number;
    stateBytesMeasured?: number;
    /** the tokens in context when `stateBytesMeasured` was measured: it lags `tokensInContext` (not re-measured while decoding) */
    stateBytesMeasuredAtTokens?: number;
    kvBufferBytesMeasured?: number;
    checkpointBytesMeasured?: number;
    snapshotBytesMeasured?: number;
    prefillTokensPerSecond?: number;
    decodeTokensPerSecond?: number;
    timeToFirstTokenMs?: number;
    promptTokens?: number;
    phase: Metrics["phase"];
}

export function meterFigures(m: Metrics | undefined): MeterFigures | undefined {
    if (!m) return undefined;
    const dense = m.denseCacheBytesComputed;
    return {
        tokensInContext: m.tokensInContext,
        contextSize: m.contextSize,
        contextFill: m.contextSize > 0 ? Math.min(1, m.tokensInContext / m.contextSize) : 0,
        cacheBytesComputed: m.cacheBytesComputed,
        denseCacheBytesComputed: dense,
        savedFraction: dense && dense > 0 ? 1 - m.cacheBytesComputed / dense : undefined,
        stateBytesMeasured: m.stateBytesMeasured,
        stateBytesMeasuredAtTokens: m.stateBytesMeasured != null ? (m.stateBytesMeasuredAtTokens ?? m.tokensInContext) : undefined,
        kvBufferBytesMeasured: m.kvBufferBytesMeasured,
        checkpointBytesMeasured: m.checkpointBytesMeasured,
        snapshotBytesMeasured: m.snapshotBytesMeasured,
        prefillTokensPerSecond: m.prefillTokensPerSecond,
        decodeTokensPerSecond: m.decodeTokensPerSecond,
        timeToFirstTokenMs: m.timeToFirstTokenMs,
        promptTokens: m.promptTokens,
        phase: m.phase,
    };
}

/**
 * What the measured state size is of: this chat's sequence, at the token count it was measured at.
 * It is not re-measured while decoding, so it can lag the tokens in context: then say where it was
 * measured ("this chat, at 1,024 tokens"); undefined when it is current or there is none.
 */
export function measuredStateNote(f: Pick<MeterFigures, "tokensInContext" | "stateBytesMeasured" | "stateBytesMeasuredAtTokens"> | undefined): string | undefined {
    if (f?.stateBytesMeasured == null || f.stateBytesMeasuredAtTokens == null || f.stateBytesMeasuredAtTokens === f.tokensInContext) return undefined;
    return `this chat, at ${formatTokens(f.stateBytesMeasuredAtTokens)} tokens`;
}

/**
 * The snapshot a turn resumes from, beside what the dense model holds at the same point.
 * A RecurFormer (hybrid) model's snapshot is a sequence checkpoint, measured; a dense model needs
 * none (it rolls back by trimming its KV cache), and a full snapshot of it would be its whole KV
 * cache at that point: the computed dense figure.
 */
export interface SnapshotFigures {
    /** whether this model takes snapshots (recurrent state cannot be partly erased) */
    needed: boolean;
    /** one snapshot, measured (RecurFormer) */
    bytesMeasured?: number;
    /** the dense model's state at the same token count (its KV cache), computed */
    denseBytesComputed?: number;
    /** dense ÷ snapshot, when both are known */
    timesSmaller?: number;
    tokensInContext?: number;
}

export function snapshotFigures(m: Metrics | undefined, isDense: boolean, stored?: number): SnapshotFigures {
    const dense = isDense ? m?.cacheBytesComputed : m?.denseCacheBytesComputed;
    const bytes = isDense ? undefined : (m?.snapshotBytesMeasured ?? stored ?? (m?.checkpointBytesMeasured || undefined));
    return {
        needed: !isDense,
        bytesMeasured: bytes,
        denseBytesComputed: dense,
        timesSmaller: bytes && dense ? dense / bytes : undefined,
        tokensInContext: m?.tokensInContext,
    };
}

/**
 * The cache against the dense model's, in words that stay true both ways. At short contexts a
 * RecurFormer model's fixed recurrent state outweighs the KV it saves (the default pair: below
 * about 70 tokens), and that reads "140.6% more", never "-140.6% less".
 */
export function cacheVersusDense(savedFraction: number | undefined): { percent: string; words: "less" | "more"; saves: boolean } | undefined {
    if (savedFraction == null || !Number.isFinite(savedFraction)) return undefined;
    const saves = savedFraction >= 0;
    return { percent: formatPercent(Math.abs(savedFraction)), words: saves ? "less" : "more", saves };
}

/** The meters' live pill: "reading" until the first answer token (also before the first metrics arrive), then "decoding". */
export function livePhaseLabel(streaming: boolean, phase: Metrics["phase"] | undefined): "idle" | "reading" | "decoding" {
    if (!streaming) return "idle";
    return phase === "decode" ? "decoding" : "reading";
}

export interface BaselineChoice {
    figure: Pick<BaselineFigure, "prefillTokensPerSecond" | "decodeTokensPerSecond" | "timeToFirstTokenMs" | "tokensInContext" | "promptTokens" | "promptTokensReused" | "generatedTokens">;
    /** "live" = measured right now in a running comparison; "last" = an earlier measurement */
    source: "live" | "last";
    measuredAt?: number;
}

/** how far (in log2 of the context length) an earlier dense measurement may be and still serve as the baseline */
export const MAX_BASELINE_LOG2_DISTANCE = 1;

/**
 * The dense figure to show beside ours: a running comparison's, else the nearest earlier one (by
 * context length), if one was measured within a factor of two of this context length.
 */
export function chooseBaseline(
    denseModelId: string | undefined,
    tokensInContext: number,
    baselines: BaselineFigure[],
    liveDense?: Metrics,
): BaselineChoice | undefined {
    if (liveDense && liveDense.modelId === denseModelId) {
        return { figure: { ...liveDense }, source: "live" };
    }
    if (!denseModelId) return undefined;
    // only a measurement within a factor of two of this context length: first-token time and
    // prefill rate depend on the prompt length (a 4k-token dense TTFT beside a 28-token one read "107×")
    let best: BaselineFigure | undefined;
    let bestScore = Infinity;
    for (const b of baselines) {
        if (b.denseModelId !== denseModelId || (!b.decodeTokensPerSecond && !b.prefillTokensPerSecond)) continue;
        // distance in log2 of context length; newer wins ties
        const score = Math.abs(Math.log2(Math.max(1, b.tokensInContext)) - Math.log2(Math.max(1, tokensInContext)));
        if (score > MAX_BASELINE_LOG2_DISTANCE + 1e-9) continue;
        if (score < bestScore - 1e-9 || (Math.abs(score - bestScore) < 1e-9 && best && b.measuredAt > best.measuredAt)) {
            best = b;
            bestScore = score;
        }
    }
    return best ? { figure: best, source: "last", measuredAt: best.measuredAt } : undefined;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago" */
export function timeAgo(at: number, now = Date.now()): string {
    const s = Math.max(0, Math.round((now - at) / 1000));
    if (s < 45) return "just now";
    if (s < 3600) return `${Math.round(s / 60)} min ago`;
    if (s < 86400) return `${Math.round(s / 3600)} h ago`;
    return `${Math.round(s / 86400)} d ago`;
}
