/**
 * Side by side: one prompt (optionally with the dropped documents) to 2 to 4 lanes: models of any
 * architecture (dense, RecurFormer, BASED), each with the full KV cache or PyramidInfer's (so one file
 * can be two lanes), one after the other or at once, with live charts of cache bytes and tokens/s
 * against tokens in context. The first lane is the baseline every ratio is against, and a ratio is
 * shown only of like with like. Four lanes lay out two by two. Exports PNG and CSV.
 */
import { useMemo, useRef, useState, type CSSProperties } from "react";
import type uPlot from "uplot";
import type { ModelInfo, ModelKind, PyramidSchedule } from "../../../api/appApi";
import { COMPARE_LANES } from "../../../api/limits";
import { activePyramid, pyramidLabel, pyramidSettingOf, pyramidUnsupported } from "../../../api/pyramidSetting";
import { CompareLaneColumn, type LaneView } from "../components/CompareLane";
import { Icon } from "../components/Icon";
import { UPlotChart, darkAxis } from "../components/UPlotChart";
import { legendValue, markersWhenFew, rateTick } from "../lib/chartFormat";
import { downloadBlob, downloadText } from "../lib/download";
import { formatBytes, formatRate, formatTokens } from "../lib/format";
import { useApp } from "../stores/app";
import { alignSeries, compareCsv, computedCachePoints, emptyLane, laneNames, measuredStatePoints, selectRunning, useCompare, type LaneKind, type SeriesPick } from "../stores/compare";
import { useDocuments } from "../stores/documents";
import { KIND_LABEL, modelHoverTitle, modelPairs, modelShortName, useModels } from "../stores/models";
import { compareMemory, compareSpeed, type RatioNames, type SpeedKind } from "../stores/ratios";
import { renderComparePng } from "./comparePng";

/** each kind's colour (the rest of the app's), its PyramidInfer lane's, then these for a second lane of a kind */
const LANE_COLORS: Record<string, string> = { dense: "#f0883e", recurformer: "#58a6ff", based: "#39c5cf", "dense-pyramid": "#d29922", "recurformer-pyramid": "#a371f7", "based-pyramid": "#3fb950" };
const MORE_COLORS = ["#db61a2", "#e6edf3", "#ff7b72"];

/** The lanes as the charts and columns show them: key, name and colour from the kinds and cache modes in order. */
export function laneViews(lanes: readonly LaneKind[]): { key: string; name: string; kind: ModelKind; color: string }[] {
    let more = 0;
    return laneNames(lanes).map((n, i) => ({ ...n, kind: lanes[i]!.kind, color: LANE_COLORS[n.key] ?? MORE_COLORS[more++ % MORE_COLORS.length]! }));
}

const LANE_TITLES = ["Baseline", "Compared with", "And (optional)", "And (optional)"];
const SPEED_TILES: { kind: SpeedKind; label: string; testId: string }[] = [
    { kind: "decode", label: "Decode speed", testId: "summary-decode" },
    { kind: "prefill", label: "Prefill speed", testId: "summary-prefill" },
    { kind: "firstToken", label: "First token", testId: "summary-first-token" },
];
const RUN_LABELS = ["", "", "Run both", "Run all three", "Run all four"];

/** A lane picked: a model, and whether it runs with PyramidInfer (undefined: as the model's setting says). */
interface LanePick { id: string; pyramid?: boolean }

/** The schedule a lane runs with: the model's own when PyramidInfer is on for it. */
function laneSchedule(model: ModelInfo, pyramid: boolean | undefined): PyramidSchedule | undefined {
    if (!(pyramid ?? Boolean(activePyramid(model.settings)))) return undefined;
    const { r0, decay, recent } = pyramidSettingOf(model.settings);
    return { r0, decay, recent };
}

export function CompareView() {
    const models = useModels((s) => s.models);
    const usable = useMemo(() => models.filter((m) => m.shape), [models]);
    const pairs = useMemo(() => modelPairs(models), [models]);
    const [picks, setPicks] = useState<(LanePick | undefined)[]>([]);
    const [prompt, setPrompt] = useState("Explain, step by step, why a recurrent state has a fixed size while a KV cache grows with every token.");
    const [maxTokens, setMaxTokens] = useState(96);
    const [withDocs, setWithDocs] = useState(true);
    const items = useDocuments((s) => s.items);
    const docs = useMemo(() => items.filter((d) => d.status === "ready"), [items]);
    const { run, lanes: laneStates, mode, setMode, start, stop } = useCompare();
    const running = useCompare(selectRunning);
    const threads = useApp((s) => s.info?.cpuThreads ?? 2);
    const charts = useRef<{ cache?: uPlot; speed?: uPlot }>({});

    // the picks: dense and its RecurFormer conversion by default, each as its settings say; more lanes only when chosen
    const defaults: LanePick[] = [
        { id: pairs[0]?.dense.id ?? usable.find((m) => m.kind === "dense")?.id ?? usable[0]?.id ?? "" },
        { id: pairs[0]?.recurformer.id ?? usable.find((m) => m.kind === "recurformer")?.id ?? usable[1]?.id ?? "" },
    ];
    const picked = LANE_TITLES.map((_, i) => picks[i] ?? defaults[i] ?? { id: "" });
    const chosen = picked.flatMap((p) => {
        const model = usable.find((m) => m.id === p.id);
        return model ? [{ model, pyramid: laneSchedule(model, p.pyramid) }] : [];
    });
    const laneIds = chosen.map((c) => `${c.model.id}:${Boolean(c.pyramid)}`);
    const distinct = new Set(laneIds).size === laneIds.length;
    const canRun = chosen.length >= COMPARE_LANES.min && distinct && Boolean(prompt.trim()) && !running;
    const pick = (lane: number, p: LanePick) => setPicks(LANE_TITLES.map((_, i) => (i === lane ? p : picked[i])));

    // what the charts and columns show: the run's lanes once there is a run, else the picks
    const lanes = run
        ? run.lanes.map((l) => ({ model: models.find((m) => m.id === l.modelId), kind: l.kind, pyramid: l.pyramid, copy: Boolean(l.copy) }))
        : chosen.map((c) => ({ model: c.model as ModelInfo | undefined, kind: c.model.kind, pyramid: c.pyramid, copy: Boolean(c.pyramid) !== Boolean(activePyramid(c.model.settings)) }));
    const views: LaneView[] = laneViews(lanes).map((v, i) => {
        const l = lanes[i]!;
        const state = laneStates[i] ?? emptyLane();
        return { ...v, model: l.model, pyramid: l.pyramid, state, loaded: state.loaded ?? (l.copy ? l.model?.compareCopy : l.model?.loaded) };
    });
    // the charts' series follow the lanes' keys, names and colours (layout); their data the samples and each lane's shape and schedule
    const layout = views.map((v) => `${v.key}:${v.name}:${v.color}`).join("|");
    const modelsKey = views.map((v) => `${v.model?.id}:${v.model?.settings.cacheType}:${Boolean(v.model?.shape)}:${v.pyramid ? pyramidLabel(v.pyramid) : ""}`).join("|");
    const cacheModel = (v: LaneView) => (v.model ? { shape: v.model.shape, settings: v.model.settings, pyramid: v.pyramid } : undefined);
    const base = views[0];
    const others = views.slice(1);
    const names = (v: LaneView): RatioNames => ({ ours: v.name, base: base!.name });

    const cacheData = useMemo(() => alignSeries(views.map((v) => v.state), [
        ...views.map((v, lane): SeriesPick => ({ lane, points: (samples) => computedCachePoints(samples, cacheModel(v)) })),
        // measured state: at the token count it was measured at (it lags while decoding), once per measurement
        ...views.map((_, lane): SeriesPick => ({ lane, points: measuredStatePoints })),
    ]), [laneStates, layout, modelsKey]);
    const speedData = useMemo(() => alignSeries(views.map((v) => v.state), [
        ...views.map((_, lane): SeriesPick => [lane, (s) => (s.phase === "decode" || s.phase === "done" ? s.tokensPerSecond : undefined)]),
        ...views.map((_, lane): SeriesPick => [lane, (s) => (s.phase === "prefill" ? s.tokensPerSecond : undefined)]),
    ]), [laneStates, layout]);

    const cacheOptions = useMemo<Omit<uPlot.Options, "width" | "height">>(() => ({
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false } },
        axes: [darkAxis("tokens in context", (v) => formatTokens(Math.round(v)), 44), darkAxis("cache bytes", (v) => formatBytes(v), 78)],
        series: [
            { label: "tokens", value: legendValue((v) => `${formatTokens(Math.round(v))} tokens`) },
            ...views.map((v) => ({ label: `${v.name} · computed`, stroke: v.color, width: 2, spanGaps: true, points: { show: markersWhenFew(2) }, value: legendValue(formatBytes) })),
            ...views.map((v) => ({ label: `${v.name} · measured`, stroke: v.color, width: 1.5, dash: [5, 4], spanGaps: true, points: { show: markersWhenFew(2) }, value: legendValue(formatBytes) })),
        ],
    }), [layout]);
    const speedOptions = useMemo<Omit<uPlot.Options, "width" | "height">>(() => ({
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false } },
        axes: [darkAxis("tokens in context", (v) => formatTokens(Math.round(v)), 44), darkAxis("tokens / s", rateTick, 64)],
        series: [
            { label: "tokens", value: legendValue((v) => `${formatTokens(Math.round(v))} tokens`) },
            // a short run has one or two decode samples: markers, so its line is never missing
            ...views.map((v) => ({ label: `${v.name} · decode`, stroke: v.color, width: 2, spanGaps: true, points: { show: markersWhenFew(), size: 6 }, value: legendValue((x) => `${formatRate(x)} t/s`) })),
            ...views.map((v) => ({ label: `${v.name} · prefill`, stroke: v.color, width: 0, spanGaps: true, points: { show: true, size: 7, fill: v.color }, value: legendValue((x) => `${formatRate(x)} t/s`) })),
        ],
    }), [layout]);

    const memoryRows = others.map((v) => {
        const m = compareMemory(v.state.last, base!.state.last, cacheModel(v), cacheModel(base!), names(v));
        return { key: v.key, value: m?.text ?? "—", note: m?.note ?? `computed from both shapes, at one token count`, good: m?.good };
    });
    const speedRows = (kind: SpeedKind) => others.map((v) => {
        const c = compareSpeed(kind, v.state.last, base!.state.last, names(v));
        return { key: v.key, value: c.text, note: c.note, good: c.good };
    });
    const windowed = views.filter((v) => v.model?.shape?.window);
    const pyramids = views.filter((v) => v.pyramid);

    const exportPng = () => {
        const canvas = renderComparePng({ prompt: run?.prompt ?? prompt, lanes: views, charts: charts.current, mode: run?.mode ?? mode, threads: run?.threadsEach, memory: memoryRows });
        canvas.toBlob((blob) => blob && downloadBlob(blob, `recurformer-comparison-${new Date().toISOString().slice(0, 19).replace(/:/g, "")}.png`), "image/png");
    };
    const runLabel = RUN_LABELS[chosen.length] ?? "Run both";
    const who = views.map((v) => v.name).join(", ");

    return (
        <div className="compare-view">
            <header className="view-header">
                <div>
                    <h1>Compare</h1>
                    <div className="view-sub">The same prompt through two to four models of any architecture, each with its full KV cache or PyramidInfer's (one file can run both ways); every ratio is against the first. Cache figures computed from each shape and schedule; state size and speed measured.</div>
                </div>
                <div className="header-actions">
                    <button type="button" className="button ghost" onClick={exportPng} disabled={!run} data-testid="export-png"><Icon name="image" size={14} /> PNG</button>
                    <button type="button" className="button ghost" onClick={() => downloadText(compareCsv(run, laneStates), "recurformer-comparison.csv", "text/csv")} disabled={!run} data-testid="export-csv"><Icon name="download" size={14} /> CSV</button>
                </div>
            </header>

            <div className="compare-controls">
                <div className="control-row">
                    {LANE_TITLES.map((title, lane) => {
                        const p = picked[lane]!;
                        const current = usable.find((m) => m.id === p.id);
                        const schedule = current ? laneSchedule(current, p.pyramid) : undefined;
                        const unsupported = pyramidUnsupported(current?.shape?.architecture);
                        return (
                            <div key={lane} className="field" title={current ? modelHoverTitle(current) : undefined}>
                                <span>{title}</span>
                                <select value={p.id} onChange={(e) => pick(lane, { id: e.target.value })} data-testid={`compare-model-${lane}`}>
                                    {lane >= COMPARE_LANES.min && <option value="">none</option>}
                                    {usable.map((m) => (
                                        <option key={m.id} value={m.id} title={modelHoverTitle(m)}>
                                            {KIND_LABEL[m.kind]} · {modelShortName(m)}{m.kind === "recurformer" && m.pairedDenseId && m.pairedDenseId === picked[0]!.id ? " (paired)" : ""}
                                        </option>
                                    ))}
                                </select>
                                <select value={schedule ? "pyramid" : "full"} disabled={!current} onChange={(e) => pick(lane, { id: p.id, pyramid: e.target.value === "pyramid" })} data-testid={`compare-cache-${lane}`} title={unsupported ?? "PyramidInfer runs with the model's schedule (Models)"}>
                                    <option value="full">full KV cache</option>
                                    {current && <option value="pyramid" disabled={Boolean(unsupported)}>+ {pyramidLabel(pyramidSettingOf(current.settings))}</option>}
                                </select>
                            </div>
                        );
                    })}
                    <div className="field">
                        <span>Run</span>
                        <div className="segmented" role="radiogroup">
                            <button type="button" className={mode === "sequential" ? "on" : ""} onClick={() => setMode("sequential")} data-testid="mode-sequential">One after the other</button>
                            <button type="button" className={mode === "parallel" ? "on" : ""} onClick={() => setMode("parallel")} data-testid="mode-parallel">At once</button>
                        </div>
                    </div>
                    <label className="field narrow">
                        <span>Max tokens</span>
                        <input type="number" min={1} max={4096} value={maxTokens} onChange={(e) => setMaxTokens(Math.max(1, Number(e.target.value) || 1))} />
                    </label>
                </div>
                <div className="control-row">
                    <textarea className="compare-prompt" value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={3} data-testid="compare-prompt" />
                    <div className="compare-run">
                        {running ? (
                            <button type="button" className="button danger" onClick={() => void stop()} data-testid="compare-stop"><Icon name="stop" size={14} /> Stop</button>
                        ) : (
                            <button type="button" className="button primary" disabled={!canRun} onClick={() => void start({ prompt, modelIds: chosen.map((c) => c.model.id), pyramid: chosen.map((c) => Boolean(c.pyramid)), maxTokens, documentIds: withDocs ? docs.map((d) => d.id!) : [] })} data-testid="compare-run">
                                <Icon name="play" size={14} /> {runLabel}
                            </button>
                        )}
                    </div>
                </div>
                <div className="control-foot">
                    <span data-testid="compare-threads">{mode === "parallel" ? `At once: each model keeps its own threads (${threads} when auto), so they share the ${threads} CPU threads; nothing is reloaded, chats keep their snapshots` : `One after the other: each model gets all ${threads} threads`}</span>
                    {!distinct && <span className="bad" data-testid="compare-same-model">the same model with the same cache is picked twice: pick another model or cache</span>}
                    {docs.length > 0 && (
                        <label className="check"><input type="checkbox" checked={withDocs} onChange={(e) => setWithDocs(e.target.checked)} /> include {docs.length} dropped document{docs.length > 1 ? "s" : ""} ({docs.map((d) => d.name).join(", ")})</label>
                    )}
                    {run && <span className="mode-chip" data-testid="compare-mode">{run.mode === "parallel" ? "ran at once" : "ran one after the other"} · {run.threadsEach} threads each</span>}
                </div>
            </div>

            <div className="compare-summary" data-testid="compare-summary">
                <SummaryTile label="Cache memory" rows={memoryRows} testId="summary-memory" />
                {SPEED_TILES.map((t) => <SummaryTile key={t.kind} label={t.label} rows={speedRows(t.kind)} testId={t.testId} />)}
            </div>

            <div className="compare-charts">
                <div className="chart-card">
                    <div className="chart-title">Cache bytes vs tokens in context</div>
                    <UPlotChart options={cacheOptions} data={cacheData} height={230} onReady={(u) => { charts.current.cache = u; }} testId="chart-cache" emptyText={`Run ${who || "the models"} to draw cache bytes live`} />
                    {windowed.length > 0 && (
                        <div className="chart-note" data-testid="chart-cache-note">
                            {windowed.map((v) => `${v.name} keeps KV of its last ${formatTokens(v.model!.shape!.window!.tokens)} tokens and a fixed state: flat past ${formatTokens(v.model!.shape!.window!.tokens)} tokens`).join("; ")}
                        </div>
                    )}
                    {pyramids.length > 0 && (
                        <div className="chart-note" data-testid="chart-cache-pyramid-note">
                            {pyramids.map((v) => `${v.name} (${pyramidLabel(v.pyramid!)}): layer l keeps n × ${v.pyramid!.r0} × ${v.pyramid!.decay}^l tokens, at least ${v.pyramid!.recent}`).join("; ")}; drawn right after a selection (between selections each layer holds up to one prompt batch more)
                        </div>
                    )}
                </div>
                <div className="chart-card">
                    <div className="chart-title">Tokens per second vs tokens in context</div>
                    <UPlotChart options={speedOptions} data={speedData} height={230} onReady={(u) => { charts.current.speed = u; }} testId="chart-speed" emptyText={`Run ${who || "the models"} to draw tokens per second live`} />
                </div>
            </div>

            <div className={`compare-columns lanes-${views.length}`} data-testid="compare-columns" style={{ "--lanes": views.length === 4 ? 2 : Math.max(2, views.length) } as CSSProperties}>
                {views.map((v, i) => <CompareLaneColumn key={v.key} lane={v} waitingNote={i === 0 ? "Waiting…" : `Runs after ${views[i - 1]!.name}.`} />)}
            </div>
        </div>
    );
}

interface TileRow { key: string; value: string; note: string; good?: boolean }

/** One figure of every compared lane against the baseline; green only where that lane wins. */
function SummaryTile({ label, rows, testId }: { label: string; rows: TileRow[]; testId: string }) {
    const allGood = rows.length > 0 && rows.every((r) => r.good);
    return (
        <div className={`summary-tile ${allGood ? "accent" : ""} ${rows.length > 1 ? "multi" : ""}`} data-testid={testId} data-good={allGood ? "yes" : "no"}>
            <div className="summary-label">{label}</div>
            {rows.map((r) => (
                <div key={r.key} className={`summary-row ${r.good ? "good" : ""}`} data-testid={`${testId}-${r.key}`} data-good={r.good ? "yes" : "no"}>
                    <div className="summary-value mono">{r.value}</div>
                    <div className="summary-note">{r.note}</div>
                </div>
            ))}
        </div>
    );
}
