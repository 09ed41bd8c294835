/**
 * Side by side: one prompt (optionally with the dropped documents) to the dense model and its
 * RecurFormer conversion, one after the other or at once (threads split evenly), with live
 * charts of cache bytes and tokens/s against tokens in context. Exports PNG and CSV.
 */
import { useMemo, useRef, useState } from "react";
import type uPlot from "uplot";
import type { CompareSample, CompareSide, ModelInfo } from "../../../api/appApi";
import { Icon } from "../components/Icon";
import { Markdown } from "../components/Markdown";
import { UPlotChart, darkAxis } from "../components/UPlotChart";
import { legendValue, markersWhenFew, rateTick } from "../lib/chartFormat";
import { downloadBlob, downloadText } from "../lib/download";
import { formatBytes, formatMs, formatRate, formatTokens } from "../lib/format";
import { useApp } from "../stores/app";
import { compareCsv, measuredStatePoints, selectRunning, useCompare, type SeriesPoint, type SideState } from "../stores/compare";
import { measuredStateNote, meterFigures, snapshotFigures } from "../stores/metrics";
import { compareMemory, compareSnapshot, compareSpeed } from "../stores/ratios";
import { useDocuments } from "../stores/documents";
import { modelHoverTitle, modelLabel, modelPairs, modelShortName, useModels } from "../stores/models";

const COLORS = { dense: "#f0883e", recurformer: "#58a6ff", denseMeasured: "#f0883e", rfMeasured: "#58a6ff" };

export function CompareView() {
    const models = useModels((s) => s.models);
    const pairs = useMemo(() => modelPairs(models), [models]);
    const denseModels = models.filter((m) => m.kind === "dense" && m.shape);
    const rfModels = models.filter((m) => m.kind === "recurformer" && m.shape);
    const [denseId, setDenseId] = useState<string>();
    const [rfId, setRfId] = useState<string>();
    const [prompt, setPrompt] = useState("Explain, step by step, why a recurrent state has a fixed size while a KV cache grows with every token.");
    const [maxTokens, setMaxTokens] = useState(96);
    const [withDocs, setWithDocs] = useState(true);
    const items = useDocuments((s) => s.items);
    const docs = useMemo(() => items.filter((d) => d.status === "ready"), [items]);
    const { run, sides, mode, setMode, start, stop } = useCompare();
    const running = useCompare(selectRunning);
    const threads = useApp((s) => s.info?.cpuThreads ?? 2);
    const charts = useRef<{ cache?: uPlot; speed?: uPlot }>({});

    const dense = models.find((m) => m.id === (denseId ?? pairs[0]?.dense.id ?? denseModels[0]?.id));
    const rf = models.find((m) => m.id === (rfId ?? pairs[0]?.recurformer.id ?? rfModels[0]?.id));
    const memory = compareMemory(sides.recurformer.last, sides.dense.last, rf);
    const decode = compareSpeed("decode", sides.recurformer.last, sides.dense.last);
    const prefill = compareSpeed("prefill", sides.recurformer.last, sides.dense.last);
    const firstToken = compareSpeed("firstToken", sides.recurformer.last, sides.dense.last);

    const cacheData = useMemo(() => alignSeries(sides, [
        ["dense", (s) => s.cacheBytesComputed],
        ["recurformer", (s) => s.cacheBytesComputed],
        // measured state: at the token count it was measured at (it lags while decoding), once per measurement
        { side: "dense", points: measuredStatePoints },
        { side: "recurformer", points: measuredStatePoints },
    ]), [sides]);
    const speedData = useMemo(() => alignSeries(sides, [
        ["dense", (s) => (s.phase === "decode" || s.phase === "done" ? s.tokensPerSecond : undefined)],
        ["recurformer", (s) => (s.phase === "decode" || s.phase === "done" ? s.tokensPerSecond : undefined)],
        ["dense", (s) => (s.phase === "prefill" ? s.tokensPerSecond : undefined)],
        ["recurformer", (s) => (s.phase === "prefill" ? s.tokensPerSecond : undefined)],
    ]), [sides]);

    const cacheOptions = useMemo<Omit<uPlot.Options, "width" | "height">>(() => ({
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false } },
        axes: [darkAxis("tokens in context", (v) => formatTokens(Math.round(v)), 44), darkAxis("cache bytes", (v) => formatBytes(v), 78)],
        series: [
            { label: "tokens", value: legendValue((v) => `${formatTokens(Math.round(v))} tokens`) },
            { label: "dense · computed", stroke: COLORS.dense, width: 2, spanGaps: true, points: { show: markersWhenFew(2) }, value: legendValue(formatBytes) },
            { label: "RecurFormer · computed", stroke: COLORS.recurformer, width: 2, spanGaps: true, points: { show: markersWhenFew(2) }, fill: "rgba(88,166,255,0.08)", value: legendValue(formatBytes) },
            { label: "dense · measured", stroke: COLORS.denseMeasured, width: 1.5, dash: [5, 4], spanGaps: true, points: { show: markersWhenFew(2) }, value: legendValue(formatBytes) },
            { label: "RecurFormer · measured", stroke: COLORS.rfMeasured, width: 1.5, dash: [5, 4], spanGaps: true, points: { show: markersWhenFew(2) }, value: legendValue(formatBytes) },
        ],
    }), []);
    const speedOptions = useMemo<Omit<uPlot.Options, "width" | "height">>(() => ({
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false } },
        axes: [darkAxis("tokens in context", (v) => formatTokens(Math.round(v)), 44), darkAxis("tokens / s", rateTick, 64)],
        series: [
            { label: "tokens", value: legendValue((v) => `${formatTokens(Math.round(v))} tokens`) },
            // a short run has one or two decode samples: markers, so its line is never missing
            { label: "dense · decode", stroke: COLORS.dense, width: 2, spanGaps: true, points: { show: markersWhenFew(), size: 6 }, value: legendValue((v) => `${formatRate(v)} t/s`) },
            { label: "RecurFormer · decode", stroke: COLORS.recurformer, width: 2, spanGaps: true, points: { show: markersWhenFew(), size: 6 }, value: legendValue((v) => `${formatRate(v)} t/s`) },
            { label: "dense · prefill", stroke: COLORS.dense, width: 0, spanGaps: true, points: { show: true, size: 7, fill: COLORS.dense }, value: legendValue((v) => `${formatRate(v)} t/s`) },
            { label: "RecurFormer · prefill", stroke: COLORS.recurformer, width: 0, spanGaps: true, points: { show: true, size: 7, fill: COLORS.recurformer }, value: legendValue((v) => `${formatRate(v)} t/s`) },
        ],
    }), []);

    const canRun = Boolean(dense && rf && prompt.trim() && !running);

    const exportPng = () => {
        const canvas = renderPng(run?.prompt ?? prompt, sides, charts.current, dense, rf, run?.mode ?? mode, run?.threadsEach);
        canvas.toBlob((blob) => blob && downloadBlob(blob, `recurformer-comparison-${new Date().toISOString().slice(0, 19).replace(/:/g, "")}.png`), "image/png");
    };

    return (
        <div className="compare-view">
            <header className="view-header">
                <div>
                    <h1>Compare</h1>
                    <div className="view-sub">The same prompt through the dense model and its RecurFormer conversion. Cache figures computed from each shape; state size and speed measured.</div>
                </div>
                <div className="header-actions">
                    <button type="button" className="button ghost" onClick={exportPng} disabled={!run} data-testid="export-png"><Icon name="image" size={14} /> PNG</button>
                    <button type="button" className="button ghost" onClick={() => downloadText(compareCsv(run, sides), "recurformer-comparison.csv", "text/csv")} disabled={!run} data-testid="export-csv"><Icon name="download" size={14} /> CSV</button>
                </div>
            </header>

            <div className="compare-controls">
                <div className="control-row">
                    <label className="field" title={dense ? modelHoverTitle(dense) : undefined}>
                        <span>Dense</span>
                        <select value={dense?.id ?? ""} onChange={(e) => setDenseId(e.target.value)} data-testid="compare-dense">
                            {denseModels.map((m) => <option key={m.id} value={m.id} title={modelHoverTitle(m)}>{modelShortName(m)}</option>)}
                        </select>
                    </label>
                    <label className="field" title={rf ? modelHoverTitle(rf) : undefined}>
                        <span>RecurFormer</span>
                        <select value={rf?.id ?? ""} onChange={(e) => setRfId(e.target.value)} data-testid="compare-rf">
                            {rfModels.map((m) => <option key={m.id} value={m.id} title={modelHoverTitle(m)}>{modelShortName(m)}{m.pairedDenseId === dense?.id ? " (paired)" : ""}</option>)}
                        </select>
                    </label>
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
                    <textarea className="compare-prompt" value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={2} data-testid="compare-prompt" />
                    <div className="compare-run">
                        {running ? (
                            <button type="button" className="button danger" onClick={() => void stop()} data-testid="compare-stop"><Icon name="stop" size={14} /> Stop</button>
                        ) : (
                            <button type="button" className="button primary" disabled={!canRun} onClick={() => void start({ prompt, denseModelId: dense!.id, recurformerModelId: rf!.id, maxTokens, documentIds: withDocs ? docs.map((d) => d.id!) : [] })} data-testid="compare-run">
                                <Icon name="play" size={14} /> Run both
                            </button>
                        )}
                    </div>
                </div>
                <div className="control-foot">
                    <span data-testid="compare-threads">{mode === "parallel" ? `At once: each model keeps its own threads (${threads} when auto), so the two share the ${threads} CPU threads; nothing is reloaded, chats keep their snapshots` : `One after the other: each model gets all ${threads} threads`}</span>
                    {docs.length > 0 && (
                        <label className="check"><input type="checkbox" checked={withDocs} onChange={(e) => setWithDocs(e.target.checked)} /> include {docs.length} dropped document{docs.length > 1 ? "s" : ""} ({docs.map((d) => d.name).join(", ")})</label>
                    )}
                    {run && <span className="mode-chip" data-testid="compare-mode">{run.mode === "parallel" ? "ran at once" : "ran one after the other"} · {run.threadsEach} threads each</span>}
                </div>
            </div>

            <div className="compare-summary" data-testid="compare-summary">
                <SummaryTile
                    label="Cache memory"
                    value={memory?.text ?? "—"}
                    note={memory?.note ?? "computed from both shapes, at one token count"}
                    accent={memory?.good}
                    testId="summary-memory"
                />
                <SummaryTile label="Decode speed" value={decode.text} note={decode.note} accent={decode.good} testId="summary-decode" />
                <SummaryTile label="Prefill speed" value={prefill.text} note={prefill.note} accent={prefill.good} testId="summary-prefill" />
                <SummaryTile label="First token" value={firstToken.text} note={firstToken.note} accent={firstToken.good} testId="summary-first-token" />
            </div>

            <div className="compare-charts">
                <div className="chart-card">
                    <div className="chart-title">Cache bytes vs tokens in context</div>
                    <UPlotChart options={cacheOptions} data={cacheData} height={230} onReady={(u) => { charts.current.cache = u; }} testId="chart-cache" emptyText="Run both models to draw cache bytes live" />
                </div>
                <div className="chart-card">
                    <div className="chart-title">Tokens per second vs tokens in context</div>
                    <UPlotChart options={speedOptions} data={speedData} height={230} onReady={(u) => { charts.current.speed = u; }} testId="chart-speed" emptyText="Run both models to draw tokens per second live" />
                </div>
            </div>

            <div className="compare-columns" data-testid="compare-columns">
                <CompareColumn side="dense" state={sides.dense} model={dense} />
                <CompareColumn side="recurformer" state={sides.recurformer} model={rf} />
            </div>
        </div>
    );
}

function SummaryTile({ label, value, note, accent, testId }: { label: string; value: string; note: string; accent?: boolean; testId?: string }) {
    return (
        <div className={`summary-tile ${accent ? "accent" : ""}`} data-testid={testId} data-good={accent ? "yes" : "no"}>
            <div className="summary-label">{label}</div>
            <div className="summary-value mono">{value}</div>
            <div className="summary-note">{note}</div>
        </div>
    );
}

function CompareColumn({ side, state, model }: { side: CompareSide; state: SideState; model?: ModelInfo }) {
    const m = state.last;
    const stateNote = measuredStateNote(meterFigures(m));
    return (
        <section className={`compare-column ${side}`} data-testid={`compare-column-${side}`} data-status={state.status} data-samples={state.samples.length}>
            <div className="column-head">
                <span className={`model-badge ${side}`}>{side === "dense" ? "Dense" : "RecurFormer"}</span>
                <span className="column-model">{model ? modelLabel(model) : "—"}</span>
                <span className={`column-status ${state.status}`}>{state.status === "streaming" ? (m?.phase === "prefill" ? "reading…" : "answering…") : state.status}</span>
            </div>
            <div className="column-stats">
                <Stat label="cache" value={formatBytes(m?.cacheBytesComputed)} tag="computed" />
                <Stat label="state" value={`${formatBytes(m?.stateBytesMeasured)}${stateNote ? ` (${stateNote})` : ""}`} tag="measured" />
                <Stat label="prefill" value={`${formatRate(m?.prefillTokensPerSecond)} t/s`} tag="measured" />
                <Stat label="decode" value={`${formatRate(m?.decodeTokensPerSecond)} t/s`} tag="measured" />
                <Stat label="first token" value={formatMs(m?.timeToFirstTokenMs)} tag="measured" />
                <Stat label="tokens" value={m ? formatTokens(m.tokensInContext) : "—"} tag="" />
            </div>
            <SnapshotLine side={side} state={state} />
            <div className="column-answer" data-testid={`compare-answer-${side}`}>
                {state.text ? <Markdown source={state.text} /> : <div className="column-empty">{state.status === "waiting" ? (side === "recurformer" ? "Runs after the dense model." : "Waiting…") : state.status === "streaming" ? "Reading the prompt…" : ""}</div>}
                {state.error && <div className="message-note bad"><Icon name="alert" size={14} /> {state.error}</div>}
            </div>
        </section>
    );
}

/** The snapshot a follow-up or regenerate would resume from, beside the dense model's state at the same point (computed). */
function SnapshotLine({ side, state }: { side: CompareSide; state: SideState }) {
    const s = snapshotFigures(state.last, side === "dense");
    const versus = compareSnapshot(s.timesSmaller);
    return (
        <div className="column-snapshot" data-testid={`compare-snapshot-${side}`} data-value={s.bytesMeasured ?? ""} data-dense={s.denseBytesComputed ?? ""}>
            <span className="stat-label">snapshot</span>
            {side === "dense" ? (
                <>
                    <span className="mono snapshot-value">not needed</span>
                    <span className="snapshot-beside">rolls back by trimming its KV; a full snapshot here: <b className="mono">{formatBytes(s.denseBytesComputed)}</b> <em className="tag computed">computed</em></span>
                </>
            ) : (
                <>
                    <span className="mono snapshot-value">{formatBytes(s.bytesMeasured)} <em className="tag measured">measured</em></span>
                    <span className="snapshot-beside">dense state at the same point: <b className="mono">{formatBytes(s.denseBytesComputed)}</b> <em className="tag computed">computed</em>{versus ? <> · <b className={versus.good ? "good" : "bad"} data-testid={`compare-snapshot-versus-${side}`}>{versus.text}</b></> : null}</span>
                </>
            )}
        </div>
    );
}

function Stat({ label, value, tag }: { label: string; value: string; tag: string }) {
    return (
        <div className="stat">
            <div className="stat-label">{label}{tag && <em className={`tag ${tag}`}>{tag}</em>}</div>
            <div className="stat-value mono">{value}</div>
        </div>
    );
}

/** a series read off each sample at its tokens in context, or one that places its own points (the measured state, at its measured-at count) */
export type SeriesPick =
    | [CompareSide, (s: CompareSample) => number | undefined]
    | { side: CompareSide; points: (samples: readonly CompareSample[]) => SeriesPoint[] };

/** uPlot wants one x array for all series: merge both sides' token counts (and every series' own x), null where a series has no point. */
export function alignSeries(sides: Record<CompareSide, SideState>, picks: SeriesPick[]): uPlot.AlignedData {
    const series = picks.map((p): SeriesPoint[] => {
        if (!Array.isArray(p)) return p.points(sides[p.side].samples);
        const [side, pick] = p;
        return sides[side].samples.flatMap((s) => {
            const v = pick(s);
            return v != null && Number.isFinite(v) ? [{ x: s.tokensInContext, y: v }] : [];
        });
    });
    const xs = new Set<number>();
    for (const side of ["dense", "recurformer"] as const) for (const s of sides[side].samples) xs.add(s.tokensInContext);
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

/** The run as one PNG: header, the two charts, and both columns' figures. */
function renderPng(prompt: string, sides: Record<CompareSide, SideState>, charts: { cache?: uPlot; speed?: uPlot }, dense?: ModelInfo, rf?: ModelInfo, mode?: string, threads?: number): HTMLCanvasElement {
    const W = 1600;
    const canvas = document.createElement("canvas");
    const chartH = 400;
    canvas.width = W;
    const shift = 40; // room for each side's snapshot line
    canvas.height = 330 + shift + chartH + 30;
    const ctx = canvas.getContext("2d")!;
    ctx.fillStyle = "#0d1117";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#e6edf3";
    ctx.font = "600 28px 'Inter Variable', sans-serif";
    ctx.fillText("RecurFormer vs dense — side-by-side run", 40, 56);
    ctx.font = "16px 'Inter Variable', sans-serif";
    ctx.fillStyle = "#8b95a7";
    ctx.fillText(`${new Date().toLocaleString()} · ${mode === "parallel" ? "at once" : "one after the other"}${threads ? `, ${threads} threads each` : ""} · prompt: ${prompt.slice(0, 110)}${prompt.length > 110 ? "…" : ""}`, 40, 86);
    const rows: [string, SideState, ModelInfo | undefined, string][] = [["Dense", sides.dense, dense, COLORS.dense], ["RecurFormer", sides.recurformer, rf, COLORS.recurformer]];
    rows.forEach(([label, s, model, color], i) => {
        const y = 140 + i * 90;
        ctx.fillStyle = color;
        ctx.font = "600 20px 'Inter Variable', sans-serif";
        ctx.fillText(`${label}: ${model ? modelLabel(model) : ""}`, 40, y);
        ctx.fillStyle = "#e6edf3";
        ctx.font = "17px 'JetBrains Mono Variable', monospace";
        const m = s.last;
        ctx.fillText(`cache ${formatBytes(m?.cacheBytesComputed)} (computed)   state ${formatBytes(m?.stateBytesMeasured)} (measured${measuredStateNote(meterFigures(m)) ? `, ${measuredStateNote(meterFigures(m))}` : ""})   prefill ${formatRate(m?.prefillTokensPerSecond)} t/s   decode ${formatRate(m?.decodeTokensPerSecond)} t/s   TTFT ${formatMs(m?.timeToFirstTokenMs)}   at ${formatTokens(m?.tokensInContext)} tokens`, 40, y + 30);
        const snap = snapshotFigures(m, i === 0);
        ctx.fillStyle = "#a4adbb";
        ctx.fillText(i === 0
            ? `snapshot: not needed (rolls back by trimming its KV); a full snapshot here ${formatBytes(snap.denseBytesComputed)} (computed)`
            : `snapshot ${formatBytes(snap.bytesMeasured)} (measured)   dense state at the same point ${formatBytes(snap.denseBytesComputed)} (computed)${compareSnapshot(snap.timesSmaller) ? `   ${compareSnapshot(snap.timesSmaller)!.text}` : ""}`, 40, y + 54);
    });
    const memory = compareMemory(sides.recurformer.last, sides.dense.last, rf);
    if (memory) {
        ctx.fillStyle = memory.good ? "#3fb950" : "#d29922";
        ctx.font = "600 20px 'Inter Variable', sans-serif";
        ctx.fillText(`Cache memory: ${memory.text} than dense, ${memory.note}`, 40, 282 + shift);
    }
    const chartW = W / 2 - 60;
    const draw = (u: uPlot | undefined, x: number, title: string, legend: [string, string, "solid" | "dashed" | "dot"][]) => {
        ctx.fillStyle = "#a4adbb";
        ctx.font = "600 17px 'Inter Variable', sans-serif";
        ctx.fillText(title, x, 318 + shift);
        if (u) {
            const src = u.ctx.canvas;
            ctx.drawImage(src, x, 330 + shift, chartW, Math.min(chartH - 40, (src.height / src.width) * chartW));
        }
        let lx = x;
        const ly = 330 + shift + chartH - 10;
        ctx.font = "14px 'Inter Variable', sans-serif";
        for (const [label, color, style] of legend) {
            ctx.strokeStyle = color;
            ctx.fillStyle = color;
            ctx.lineWidth = 2.5;
            ctx.setLineDash(style === "dashed" ? [6, 4] : []);
            if (style === "dot") { ctx.beginPath(); ctx.arc(lx + 9, ly - 5, 4, 0, Math.PI * 2); ctx.fill(); }
            else { ctx.beginPath(); ctx.moveTo(lx, ly - 5); ctx.lineTo(lx + 18, ly - 5); ctx.stroke(); }
            ctx.setLineDash([]);
            ctx.fillStyle = "#a4adbb";
            ctx.fillText(label, lx + 24, ly);
            lx += 24 + ctx.measureText(label).width + 18;
        }
    };
    draw(charts.cache, 40, "Cache bytes vs tokens in context", [["dense · computed", COLORS.dense, "solid"], ["RecurFormer · computed", COLORS.recurformer, "solid"], ["measured (llama.cpp)", "#8b95a7", "dashed"]]);
    draw(charts.speed, W / 2 + 20, "Tokens per second vs tokens in context", [["dense decode", COLORS.dense, "solid"], ["RecurFormer decode", COLORS.recurformer, "solid"], ["prefill", "#8b95a7", "dot"]]);
    return canvas;
}
