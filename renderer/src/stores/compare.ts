/**
 * Side-by-side comparison: one prompt to 2 to 4 lanes (any architectures, each with or without
 * PyramidInfer), the first the baseline. Holds each lane's answer, the context it ran on and the
 * samples the charts plot; lane names, the computed cache line and the CSV export are derived here.
 */
import type uPlot from "uplot";
import { create } from "zustand";
import type { CompareMode, CompareRunInfo, CompareSample, LoadedContext, MessageStatus, Metrics, ModelKind, PyramidSchedule } from "../../../api/appApi";
import { pyramidLabel } from "../../../api/pyramidSetting";
import { call } from "../api/client";
import { cacheCurve, type CacheModel } from "../lib/laneCache";
import { reportError } from "./app";
import { KIND_LABEL } from "./models";

export interface LaneState {
    text: string;
    samples: CompareSample[];
    last?: Metrics;
    status: MessageStatus | "waiting";
    error?: string;
    /** the context the lane runs on, once it is ready: what llama.cpp allocated for it */
    loaded?: LoadedContext;
}

export const emptyLane = (): LaneState => ({ text: "", samples: [], status: "waiting" });

interface CompareState {
    run?: CompareRunInfo;
    /** one per model of the run, in its order (empty before the first run) */
    lanes: LaneState[];
    mode: CompareMode;
    setMode(mode: CompareMode): void;
    start(params: { prompt: string; modelIds: string[]; pyramid?: boolean[]; documentIds?: string[]; maxTokens?: number }): Promise<void>;
    stop(): Promise<void>;
    onStarted(run: CompareRunInfo): void;
    onLane(runId: string, lane: number, loaded: LoadedContext): void;
    onToken(runId: string, lane: number, text: string): void;
    onMetrics(runId: string, lane: number, metrics: Metrics): void;
    onDone(runId: string, lane: number, status: MessageStatus, error?: string): void;
}

export const useCompare = create<CompareState>((set, get) => {
    const patchLane = (runId: string, lane: number, change: (s: LaneState) => Partial<LaneState>) => {
        const current = get().lanes[lane];
        if (get().run?.runId !== runId || !current) return;
        const lanes = [...get().lanes];
        lanes[lane] = { ...current, ...change(current) };
        set({ lanes });
    };
    return {
        lanes: [],
        mode: "sequential",
        setMode: (mode) => set({ mode }),
        async start(params) {
            set({ lanes: params.modelIds.map(emptyLane) });
            const run = await call("compare.start", { ...params, mode: get().mode }).catch(reportError("The comparison did not start"));
            if (run) get().onStarted(run);
        },
        async stop() {
            const runId = get().run?.runId;
            if (runId) await call("compare.stop", { runId }).catch(reportError("Could not stop"));
        },
        onStarted(run) {
            if (get().run?.runId === run.runId) return;
            // one after the other: the first lane reads first, the others wait their turn
            set({ run, lanes: run.lanes.map((_, i) => ({ ...emptyLane(), status: i === 0 || run.mode === "parallel" ? "streaming" : "waiting" })) });
        },
        onLane: (runId, lane, loaded) => patchLane(runId, lane, () => ({ loaded })),
        onToken: (runId, lane, text) => patchLane(runId, lane, (s) => ({ text: s.text + text, status: "streaming" })),
        onMetrics: (runId, lane, m) => patchLane(runId, lane, (s) => ({
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
        onDone: (runId, lane, status, error) => patchLane(runId, lane, () => ({ status, error })),
    };
});

// ---- derived

export const selectRunning = (s: CompareState) => s.lanes.some((lane) => lane.status === "streaming");

/** The latest figures of a full-cache dense lane while it streams (the chat meters' live baseline). */
export const selectLiveDense = (s: CompareState): Metrics | undefined =>
    s.lanes.find((lane, i) => s.run?.lanes[i]?.kind === "dense" && !s.run.lanes[i]!.pyramid && lane.status === "streaming")?.last;

/** What names a lane: its model's kind and whether it runs with PyramidInfer. */
export interface LaneKind {
    kind: ModelKind;
    pyramid?: PyramidSchedule | boolean;
}

/**
 * Each lane's key (test ids, CSS classes, CSV rows) and name: its kind ("dense", "recurformer", "based";
 * "Dense", "RecurFormer", "BASED"), "-pyramid" / " + PyramidInfer" with PyramidInfer, numbered from the
 * second of a kind ("recurformer-2", "RecurFormer 2").
 */
export function laneNames(lanes: readonly LaneKind[]): { key: string; name: string }[] {
    const ids = lanes.map((l) => ({ key: `${l.kind}${l.pyramid ? "-pyramid" : ""}`, name: `${KIND_LABEL[l.kind]}${l.pyramid ? " + PyramidInfer" : ""}` }));
    return ids.map((id, i) => {
        const nth = ids.slice(0, i + 1).filter((x) => x.key === id.key).length;
        return nth === 1 ? id : { key: `${id.key}-${nth}`, name: `${id.name} ${nth}` };
    });
}

/** Where a measured state size belongs on a tokens axis: the token count it was measured at (it lags
 * `tokensInContext`, since llama.cpp's state is not re-measured while decoding), else, from an engine
 * that does not report it, the sample's tokens in context. */
export function measuredAtTokens(s: Pick<CompareSample, "tokensInContext" | "stateBytesMeasuredAtTokens">): number {
    return s.stateBytesMeasuredAtTokens ?? s.tokensInContext;
}

export interface SeriesPoint { x: number; y: number }

/** The measured state sizes of one lane's samples, each at the token count it was measured at; a
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

/**
 * A lane's computed cache line from 0 tokens to its latest sample: the samples the engine computed,
 * and, from the model's shape (and PyramidInfer schedule), the points where the line bends (0 tokens; a
 * BASED model's window, past which it is flat; where a pyramid layer stops keeping only its recent
 * window), so the line drawn through them follows every architecture.
 */
export function computedCachePoints(samples: readonly CompareSample[], model: CacheModel | undefined): SeriesPoint[] {
    const points = new Map<number, number>();
    const upTo = Math.max(0, ...samples.map((s) => s.tokensInContext));
    if (model?.shape && samples.length > 0) for (const p of cacheCurve(model, upTo) ?? []) points.set(p.tokens, p.bytes);
    for (const s of samples) if (Number.isFinite(s.cacheBytesComputed)) points.set(s.tokensInContext, s.cacheBytesComputed);
    return [...points].sort((a, b) => a[0] - b[0]).map(([x, y]) => ({ x, y }));
}

/** a series read off each sample of a lane at its tokens in context, or one that places its own points (the computed line, the measured state) */
export type SeriesPick =
    | [number, (s: CompareSample) => number | undefined]
    | { lane: number; points: (samples: readonly CompareSample[]) => SeriesPoint[] };

/** uPlot wants one x array for all series: merge every lane's token counts (and every series' own x), null where a series has no point. */
export function alignSeries(lanes: readonly LaneState[], picks: readonly SeriesPick[]): uPlot.AlignedData {
    const series = picks.map((p): SeriesPoint[] => {
        if (!Array.isArray(p)) return p.points(lanes[p.lane]?.samples ?? []);
        const [lane, pick] = p;
        return (lanes[lane]?.samples ?? []).flatMap((s) => {
            const v = pick(s);
            return v != null && Number.isFinite(v) ? [{ x: s.tokensInContext, y: v }] : [];
        });
    });
    const xs = new Set<number>();
    for (const lane of lanes) for (const s of lane.samples) xs.add(s.tokensInContext);
    for (const points of series) for (const p of points) xs.add(p.x);
    const x = [...xs].sort((a, b) => a - b);
    const index = new Map(x.map((v, i) => [v, i]));
    const ys = series.map((points) => {
        const y: (number | null)[] = new Array(x.length).fill(null);
        for (const p of points) y[index.get(p.x)!] = p.y;
        return y;
    });
    return [x, ...ys] as uPlot.AlignedData;
}

/** CSV of every sample of every lane, the lane's key in the first column. */
export function compareCsv(run: CompareRunInfo | undefined, lanes: readonly LaneState[]): string {
    const header = "side,time_ms,phase,tokens_in_context,cache_bytes_computed,state_bytes_measured,tokens_per_second,state_bytes_measured_at_tokens";
    const start = run?.startedAt ?? 0;
    const names = laneNames(run?.lanes ?? []);
    const rows = lanes.flatMap((lane, i) =>
        lane.samples.map((s) => [names[i]?.key ?? `lane-${i + 1}`, s.t - start, s.phase, s.tokensInContext, s.cacheBytesComputed, s.stateBytesMeasured ?? "", s.tokensPerSecond?.toFixed(2) ?? "", s.stateBytesMeasuredAtTokens ?? ""].join(",")),
    );
    const meta = run
        ? [`# prompt: ${JSON.stringify(run.prompt.slice(0, 200))}`, `# mode: ${run.mode}, threads each: ${run.threadsEach}`, `# ${run.lanes.map((l, i) => `${names[i]!.key}: ${l.modelId}${l.pyramid ? ` (${pyramidLabel(l.pyramid)})` : ""}`).join(", ")} (the first is the baseline)`]
        : [];
    return [...meta, header, ...rows].join("\n") + "\n";
}
