/**
 * Side-by-side comparison: one prompt to the dense model and its RecurFormer conversion.
 * Holds each side's answer and the samples the charts plot; export to CSV is derived here.
 */
import { create } from "zustand";
import type { CompareMode, CompareRunInfo, CompareSample, CompareSide, MessageStatus, Metrics } from "../../../api/appApi";
import { call } from "../api/client";
import { reportError } from "./app";

export interface SideState {
    text: string;
    samples: CompareSample[];
    last?: Metrics;
    status: MessageStatus | "waiting";
    error?: string;
}

const emptySide = (): SideState => ({ text: "", samples: [], status: "waiting" });

interface CompareState {
    run?: CompareRunInfo;
    sides: Record<CompareSide, SideState>;
    mode: CompareMode;
    setMode(mode: CompareMode): void;
    start(params: { prompt: string; denseModelId: string; recurformerModelId: string; documentIds?: string[]; maxTokens?: number }): Promise<void>;
    stop(): Promise<void>;
    onStarted(run: CompareRunInfo): void;
    onToken(runId: string, side: CompareSide, text: string): void;
    onMetrics(runId: string, side: CompareSide, metrics: Metrics): void;
    onDone(runId: string, side: CompareSide, status: MessageStatus, error?: string): void;
}

export const useCompare = create<CompareState>((set, get) => {
    const patchSide = (runId: string, side: CompareSide, change: (s: SideState) => Partial<SideState>) => {
        if (get().run?.runId !== runId) return;
        const current = get().sides[side];
        set({ sides: { ...get().sides, [side]: { ...current, ...change(current) } } });
    };
    return {
        sides: { dense: emptySide(), recurformer: emptySide() },
        mode: "sequential",
        setMode: (mode) => set({ mode }),
        async start(params) {
            set({ sides: { dense: emptySide(), recurformer: emptySide() } });
            const run = await call("compare.start", { ...params, mode: get().mode }).catch(reportError("The comparison did not start"));
            if (run) get().onStarted(run);
        },
        async stop() {
            const runId = get().run?.runId;
            if (runId) await call("compare.stop", { runId }).catch(reportError("Could not stop"));
        },
        onStarted(run) {
            if (get().run?.runId === run.runId) return;
            set({ run, sides: { dense: { ...emptySide(), status: "streaming" }, recurformer: { ...emptySide(), status: run.mode === "parallel" ? "streaming" : "waiting" } } });
        },
        onToken: (runId, side, text) => patchSide(runId, side, (s) => ({ text: s.text + text, status: "streaming" })),
        onMetrics: (runId, side, m) => patchSide(runId, side, (s) => ({
            last: m,
            status: s.status === "waiting" ? "streaming" : s.status,
            samples: [...s.samples, {
                t: Date.now(),
                tokensInContext: m.tokensInContext,
                cacheBytesComputed: m.cacheBytesComputed,
                stateBytesMeasured: m.stateBytesMeasured,
                stateBytesMeasuredAtTokens: m.stateBytesMeasuredAtTokens,
                tokensPerSecond: m.phase === "prefill" ? m.prefillTokensPerSecond : m.decodeTokensPerSecond,
                phase: m.phase,
            }],
        })),
        onDone: (runId, side, status, error) => patchSide(runId, side, () => ({ status, error })),
    };
});

// ---- derived

export const selectRunning = (s: CompareState) => Object.values(s.sides).some((side) => side.status === "streaming");

/** Where a measured state size belongs on a tokens axis: the token count it was measured at (it lags
 * `tokensInContext`, since llama.cpp's state is not re-measured while decoding), else, from an engine
 * that does not report it, the sample's tokens in context. */
export function measuredAtTokens(s: Pick<CompareSample, "tokensInContext" | "stateBytesMeasuredAtTokens">): number {
    return s.stateBytesMeasuredAtTokens ?? s.tokensInContext;
}

export interface SeriesPoint { x: number; y: number }

/** The measured state sizes of one side's samples, each at the token count it was measured at; a
 * sample that repeats the previous measurement (same measured-at count) adds no point. */
export function measuredStatePoints(samples: readonly CompareSample[]): SeriesPoint[] {
    const points: SeriesPoint[] = [];
    for (const s of samples) {
        const y = s.stateBytesMeasured;
        if (y == null || !Number.isFinite(y)) continue;
        const x = measuredAtTokens(s);
        if (points.length > 0 && points[points.length - 1]!.x === x) continue;
        points.push({ x, y });
    }
    return points;
}

/** CSV of every sample of both sides. */
export function compareCsv(run: CompareRunInfo | undefined, sides: Record<CompareSide, SideState>): string {
    const header = "side,time_ms,phase,tokens_in_context,cache_bytes_computed,state_bytes_measured,tokens_per_second,state_bytes_measured_at_tokens";
    const start = run?.startedAt ?? 0;
    const rows = (["dense", "recurformer"] as const).flatMap((side) =>
        sides[side].samples.map((s) => [side, s.t - start, s.phase, s.tokensInContext, s.cacheBytesComputed, s.stateBytesMeasured ?? "", s.tokensPerSecond?.toFixed(2) ?? "", s.stateBytesMeasuredAtTokens ?? ""].join(",")),
    );
    const meta = run ? [`# prompt: ${JSON.stringify(run.prompt.slice(0, 200))}`, `# mode: ${run.mode}, threads each: ${run.threadsEach}`, `# dense: ${run.denseModelId}, recurformer: ${run.recurformerModelId}`] : [];
    return [...meta, header, ...rows].join("\n") + "\n";
}
