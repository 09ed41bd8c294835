/**
 * Side by side: one prompt (optionally with the dropped documents) to 2 or 3 models of any
 * architecture (dense, RecurFormer, BASED), one after the other or at once, with live charts of
 * cache bytes and tokens/s against tokens in context. The first model is the baseline every ratio
 * is against, and a ratio is shown only of like with like. Exports PNG and CSV.
 */
import { useMemo, useRef, useState, type CSSProperties } from "react";
import type uPlot from "uplot";
import type { ModelInfo, ModelKind } from "../../../api/appApi";
import { COMPARE_LANES } from "../../../api/limits";
import { CompareLaneColumn, type LaneView } from "../components/CompareLane";
import { Icon } from "../components/Icon";
import { UPlotChart, darkAxis } from "../components/UPlotChart";
import { legendValue, markersWhenFew, rateTick } from "../lib/chartFormat";
import { downloadBlob, downloadText } from "../lib/download";
import { formatBytes, formatRate, formatTokens } from "../lib/format";
import { useApp } from "../stores/app";
import { alignSeries, compareCsv, computedCachePoints, emptyLane, laneNames, measuredStatePoints, selectRunning, useCompare, type SeriesPick } from "../stores/compare";
import { useDocuments } from "../stores/documents";
import { KIND_LABEL, modelHoverTitle, modelPairs, modelShortName, useModels } from "../stores/models";
import { compareMemory, compareSpeed, type RatioNames, type SpeedKind } from "../stores/ratios";
import { renderComparePng } from "./comparePng";

/** each kind's colour (the rest of the app's), then these for a second model of a kind */
const KIND_COLORS: Record<ModelKind, string> = { dense: "#f0883e", recurformer: "#58a6ff", based: "#39c5cf" };
const MORE_COLORS = ["#db61a2", "#d29922", "#e6edf3"];

/** The lanes as the charts and columns show them: key, name and colour from the kinds in order. */
export function laneViews(kinds: readonly ModelKind[]): { key: string; name: string; kind: ModelKind; color: string }[] {
    let more = 0;
    return laneNames(kinds).map((n, i) => ({ ...n, kind: kinds[i]!, color: n.key === kinds[i] ? KIND_COLORS[kinds[i]!] : MORE_COLORS[more++ % MORE_COLORS.length]! }));
}

const LANE_TITLES = ["Baseline", "Compared with", "And (optional)"];
const SPEED_TILES: { kind: SpeedKind; label: string; testId: string }[] = [
    { kind: "decode", label: "Decode speed", testId: "summary-decode" },
    { kind: "prefill", label: "Prefill speed", testId: "summary-prefill" },
    { kind: "firstToken", label: "First token", testId: "summary-first-token" },
];

export function CompareView() {
    const models = useModels((s) => s.models);
    const usable = useMemo(() => models.filter((m) => m.shape), [models]);
    const pairs = useMemo(() => modelPairs(models), [models]);
    const [picks, setPicks] = useState<(string | undefined)[]>([]);
    const [prompt, setPrompt] = useState("Explain, step by step, why a recurrent state has a fixed size while a KV cache grows with every token.");
    const [maxTokens, setMaxTokens] = useState(96);
    const [withDocs, setWithDocs] = useState(true);
    const items = useDocuments((s) => s.items);
    const docs = useMemo(() => items.filter((d) => d.status === "ready"), [items]);
    const { run, lanes: laneStates, mode, setMode, start, stop } = useCompare();
    const running = useCompare(selectRunning);
    const threads = useApp((s) => s.info?.cpuThreads ?? 2);
    const charts = useRef<{ cache?: uPlot; speed?: uPlot }>({});

    // the picks: dense and its RecurFormer conversion by default, a third model only when chosen
    const defaults = [
        pairs[0]?.dense.id ?? usable.find((m) => m.kind === "dense")?.id ?? usable[0]?.id,
        pairs[0]?.recurformer.id ?? usable.find((m) => m.kind === "recurformer")?.id ?? usable[1]?.id,
        "",
    ];
    const picked = LANE_TITLES.map((_, i) => picks[i] ?? defaults[i] ?? "");
    const chosen = picked.map((id) => usable.find((m) => m.id === id)).filter((m): m is ModelInfo => Boolean(m));
    const distinct = new Set(chosen.map((m) => m.id)).size === chosen.length;
    const canRun = chosen.length >= COMPARE_LANES.min && distinct && Boolean(prompt.trim()) && !running;
    const pick = (lane: number, id: string) => setPicks(LANE_TITLES.map((_, i) => (i === lane ? id : picked[i])));

    // what the charts and columns show: the run's models once there is a run, else the picks
    const laneModels = run ? run.lanes.map((l) => models.find((m) => m.id === l.modelId)) : chosen;
    const kinds = run ? run.lanes.map((l) => l.kind) : chosen.map((m) => m.kind);
    const views: LaneView[] = laneViews(kinds).map((v, i) => ({ ...v, model: laneModels[i], state: laneStates[i] ?? emptyLane() }));
    // the charts' series follow the lanes' keys, names and colours (layout); their data the samples and each model's shape
    const layout = views.map((v) => `${v.key}:${v.name}:${v.color}`).join("|");
    const modelsKey = laneModels.map((m) => `${m?.id}:${m?.settings.cacheType}:${Boolean(m?.shape)}`).join("|");
    const base = views[0];
    const others = views.slice(1);
    const names = (v: LaneView): RatioNames => ({ ours: v.name, base: base!.name });

    const cacheData = useMemo(() => alignSeries(views.map((v) => v.state), [
        ...views.map((v, lane): SeriesPick => ({ lane, points: (samples) => computedCachePoints(samples, v.model) })),
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
        const m = compareMemory(v.state.last, base!.state.last, v.model, base!.model, names(v));
        return { key: v.key, value: m?.text ?? "—", note: m?.note ?? `computed from both shapes, at one token count`, good: m?.good };
    });
    const speedRows = (kind: SpeedKind) => others.map((v) => {
        const c = compareSpeed(kind, v.state.last, base!.state.last, names(v));
        return { key: v.key, value: c.text, note: c.note, good: c.good };
    });
    const windowed = views.filter((v) => v.model?.shape?.window);

    const exportPng = () => {
        const canvas = renderComparePng({ prompt: run?.prompt ?? prompt, lanes: views, charts: charts.current, mode: run?.mode ?? mode, threads: run?.threadsEach, memory: memoryRows });
        canvas.toBlob((blob) => blob && downloadBlob(blob, `recurformer-comparison-${new Date().toISOString().slice(0, 19).replace(/:/g, "")}.png`), "image/png");
    };
    const runLabel = chosen.length === 3 ? "Run all three" : "Run both";
    const who = views.map((v) => v.name).join(", ");

    return (
        <div className="compare-view">
            <header className="view-header">
                <div>
                    <h1>Compare</h1>
                    <div className="view-sub">The same prompt through two or three models of any architecture; every ratio is against the first. Cache figures computed from each shape; state size and speed measured.</div>
                </div>
                <div className="header-actions">
                    <button type="button" className="button ghost" onClick={exportPng} disabled={!run} data-testid="export-png"><Icon name="image" size={14} /> PNG</button>
                    <button type="button" className="button ghost" onClick={() => downloadText(compareCsv(run, laneStates), "recurformer-comparison.csv", "text/csv")} disabled={!run} data-testid="export-csv"><Icon name="download" size={14} /> CSV</button>
                </div>
            </header>

            <div className="compare-controls">
                <div className="control-row">
                    {LANE_TITLES.map((title, lane) => {
                        const current = usable.find((m) => m.id === picked[lane]);
                        return (
                            <label key={title} className="field" title={current ? modelHoverTitle(current) : undefined}>
                                <span>{title}</span>
                                <select value={picked[lane]} onChange={(e) => pick(lane, e.target.value)} data-testid={`compare-model-${lane}`}>
                                    {lane === 2 && <option value="">none</option>}
                                    {usable.map((m) => (
                                        <option key={m.id} value={m.id} title={modelHoverTitle(m)} disabled={picked.some((id, i) => i !== lane && id === m.id)}>
                                            {KIND_LABEL[m.kind]} · {modelShortName(m)}{m.kind === "recurformer" && m.pairedDenseId && m.pairedDenseId === picked[0] ? " (paired)" : ""}
                                        </option>
                                    ))}
                                </select>
                            </label>
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
                            <button type="button" className="button primary" disabled={!canRun} onClick={() => void start({ prompt, modelIds: chosen.map((m) => m.id), maxTokens, documentIds: withDocs ? docs.map((d) => d.id!) : [] })} data-testid="compare-run">
                                <Icon name="play" size={14} /> {runLabel}
                            </button>
                        )}
                    </div>
                </div>
                <div className="control-foot">
                    <span data-testid="compare-threads">{mode === "parallel" ? `At once: each model keeps its own threads (${threads} when auto), so they share the ${threads} CPU threads; nothing is reloaded, chats keep their snapshots` : `One after the other: each model gets all ${threads} threads`}</span>
                    {!distinct && <span className="bad" data-testid="compare-same-model">the same model is picked twice: pick another</span>}
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
                </div>
                <div className="chart-card">
                    <div className="chart-title">Tokens per second vs tokens in context</div>
                    <UPlotChart options={speedOptions} data={speedData} height={230} onReady={(u) => { charts.current.speed = u; }} testId="chart-speed" emptyText={`Run ${who || "the models"} to draw tokens per second live`} />
                </div>
            </div>

            <div className={`compare-columns lanes-${views.length}`} data-testid="compare-columns" style={{ "--lanes": Math.max(2, views.length) } as CSSProperties}>
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
