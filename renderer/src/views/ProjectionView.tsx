/**
 * Cache projection: cache bytes against context length up to 128k, for a loaded model's shape
 * or a well-known real one; dense vs RecurFormer keeping 1/8, 2/8, 4/8 of the KV groups, with a
 * q8_0 cache, BASED (windows 64 and 256: flat past the window) and PyramidInfer (r0 1.0/0.8 and 0.8/0.7 on
 * dense, 0.8/0.7 on keep 1/8: deeper layers keep fewer tokens). A loaded RecurFormer or BASED
 * model's own line as built beside them. Beside the real shapes, the paper's reported reductions and ours, computed.
 */
import { useMemo, useState } from "react";
import type uPlot from "uplot";
import type { ModelInfo, ModelKind } from "../../../api/appApi";
import {
    PAPER_REDUCTIONS, PROJECTED_BASED, REAL_SHAPES, basedCache, cacheBytesAt, denseKvBytesPerToken, keptKvHeads, ourReduction, projectShape, projectionPoints, recurformerCache, shapeCacheBytesAt, type AttentionShape,
} from "../../../api/cacheMath";
import { UPlotChart, darkAxis } from "../components/UPlotChart";
import { binaryDecades, binaryTick, legendValue, projectionStyles } from "../lib/chartFormat";
import { formatBytes, formatPercent, formatTokens } from "../lib/format";
import { modelLabel, useModels } from "../stores/models";

const SERIES_COLORS = ["#f0883e", "#58a6ff", "#a371f7", "#3fb950", "#39c5cf", "#d29922", "#db61a2", "#ff7b72", "#ffa657", "#e3b341", "#bc8cff"];
const TABLE_POINTS = [4096, 16384, 32768, 131072];

/** The attention shape of a model in the list (a RecurFormer model is projected from its dense source's shape, BASED from its width and heads). */
export function shapeOfModel(model: ModelInfo): AttentionShape | undefined {
    const s = model.shape;
    if (!s) return undefined;
    const heads = s.sourceHeads ?? Math.max(...s.headsPerLayer);
    const kvHeads = s.sourceKvHeads ?? Math.max(...s.kvHeadsPerLayer);
    return { name: s.sourceName ?? s.name, layers: s.layers, heads, kvHeads, headDim: s.headDim, contextLength: s.contextLength };
}

const SHAPE_OF: Record<ModelKind, string> = { dense: "dense", recurformer: "its dense source's shape", based: "its width and heads" };

export function ProjectionView() {
    const models = useModels((s) => s.models);
    const modelShapes = useMemo(() => {
        const out: { key: string; label: string; shape: AttentionShape; model?: ModelInfo }[] = [];
        for (const m of models) {
            const shape = shapeOfModel(m);
            if (shape) out.push({ key: m.id, label: `${modelLabel(m)} (${SHAPE_OF[m.kind]})`, shape, model: m });
        }
        return out;
    }, [models]);
    const options = [...modelShapes, ...REAL_SHAPES.map((s) => ({ key: s.name, label: `${s.name} (real shape)`, shape: s, model: undefined as ModelInfo | undefined }))];
    const [key, setKey] = useState<string>();
    const chosen = options.find((o) => o.key === key) ?? options[0]!;
    const points = useMemo(() => projectionPoints(131_072), []);
    const series = useMemo(() => projectShape(chosen.shape, points), [chosen.shape, points]);
    const data = useMemo(() => [points, ...series.map((s) => s.bytes)] as uPlot.AlignedData, [points, series]);
    const styles = useMemo(() => projectionStyles(series), [series]);
    const chartOptions = useMemo<Omit<uPlot.Options, "width" | "height">>(() => ({
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false, distr: 3, log: 2 }, y: { distr: 3, log: 10 } },
        axes: [
            darkAxis("context length (tokens)", (v) => formatTokens(Math.round(v)), 44),
            // ticks at 1, 10, 100 of a binary unit (1 MiB, 10 MiB, 100 MiB, 1 GiB), each label a round number
            { ...darkAxis("cache bytes (log scale)", binaryTick, 84), splits: (_u: uPlot, _i: number, min: number, max: number) => binaryDecades(min, max) },
        ],
        series: [
            { label: "tokens", value: legendValue((v) => `${formatTokens(Math.round(v))} tokens`, "") },
            ...styles.map((style, i) => ({
                label: style.label,
                stroke: SERIES_COLORS[i % SERIES_COLORS.length],
                width: i === 0 ? 2.5 : 2,
                dash: style.dash,
                // a coinciding line's markers are rings around the other's dots
                points: { show: true, size: style.sameAs ? 11 : 5, fill: style.sameAs ? "transparent" : undefined },
                value: legendValue(formatBytes, "at 128k"),
            })),
        ],
    }), [styles]);

    // the loaded model's own figures, for a RecurFormer or BASED model: its real kept heads or window, not a plan
    const own = chosen.model?.kind !== "dense" ? chosen.model?.shape : undefined;
    const ownAt = (n: number) => (own ? shapeCacheBytesAt(own, n) : undefined);

    return (
        <div className="projection-view">
            <header className="view-header">
                <div>
                    <h1>Cache projection</h1>
                    <div className="view-sub">Cache bytes up to 128k tokens, computed from the shape: tokens × kept KV heads × head dim × (K + V bytes) per layer, plus the fixed recurrent state; BASED's window layers count only their last w tokens; with PyramidInfer layer l keeps n × r0 × decay^l tokens (at least 64).</div>
                </div>
                <label className="select-wrap">
                    <select value={chosen.key} onChange={(e) => setKey(e.target.value)} data-testid="projection-shape">
                        {options.map((o) => <option key={o.key} value={o.key}>{o.label}</option>)}
                    </select>
                </label>
            </header>

            <div className="chart-card">
                <div className="chart-title">{chosen.shape.name}: {chosen.shape.layers} layers · {chosen.shape.heads} query heads · {chosen.shape.kvHeads} KV heads · head dim {chosen.shape.headDim}</div>
                <UPlotChart options={chartOptions} data={data} height={320} testId="chart-projection" />
            </div>

            <div className="projection-grid">
                <div className="table-card">
                    <div className="chart-title">At a glance (computed, f16 unless stated)</div>
                    <table className="data-table" data-testid="projection-table">
                        <thead>
                            <tr><th>cache</th>{TABLE_POINTS.map((n) => <th key={n}>{formatTokens(n)}</th>)}<th>saved @128k</th></tr>
                        </thead>
                        <tbody>
                            {series.map((s, i) => (
                                <tr key={s.label} data-same-as={styles[i]?.sameAs ?? ""}>
                                    <td><span className="swatch" style={{ background: SERIES_COLORS[i % SERIES_COLORS.length] }} />{styles[i]?.label ?? s.label}</td>
                                    {TABLE_POINTS.map((n) => <td key={n} className="mono">{formatBytes(s.bytes[points.indexOf(n)])}</td>)}
                                    <td className="mono">{i === 0 ? "—" : formatPercent(1 - s.bytes[points.length - 1]! / series[0]!.bytes[points.length - 1]!)}</td>
                                </tr>
                            ))}
                            {own && (
                                <tr className="own-row">
                                    <td><span className="swatch" style={{ background: "#e6edf3" }} />{chosen.model!.fileName} as built</td>
                                    {TABLE_POINTS.map((n) => <td key={n} className="mono">{formatBytes(ownAt(n))}</td>)}
                                    <td className="mono">{formatPercent(1 - ownAt(131072)! / cacheBytesAt(131072, own.denseKvBytesPerToken ?? denseKvBytesPerToken(chosen.shape)))}</td>
                                </tr>
                            )}
                        </tbody>
                    </table>
                    <div className="table-note">RecurFormer keep k/8: k of every 8 KV groups stay attention heads (at least one per layer), the rest become one Mamba-2 branch per layer (d_state 64, conv 4) whose state is fixed: {formatBytes(recurformerCache(chosen.shape, 1).recurrentStateBytes)} per sequence at keep 1/8. BASED w, d' {PROJECTED_BASED[0]!.featureDim}: half the layers Taylor linear attention with a fixed state ({formatBytes(basedCache(chosen.shape, PROJECTED_BASED[0]!).recurrentStateBytes)} per sequence), half sliding-window attention keeping K and V of the last w tokens only, so past w its cache stops growing. PyramidInfer r0/decay: layer l keeps round(n × r0 × decay^l) of the n tokens (at least the 64 newest), counted right after a selection; the engine allocates a little more per layer (one batch between selections, padded to 256).</div>
                </div>

                <div className="table-card">
                    <div className="chart-title">Paper vs ours (KV-cache reduction vs dense)</div>
                    <table className="data-table" data-testid="paper-table">
                        <thead><tr><th>model</th><th>tokens</th><th>paper</th><th>ours · computed</th><th title="KV heads kept per layer">KV kept</th></tr></thead>
                        <tbody>
                            {PAPER_REDUCTIONS.map((p) => {
                                const shape = REAL_SHAPES.find((s) => s.name === p.model)!;
                                return (
                                    <tr key={`${p.model}-${p.tokens}`}>
                                        <td>{p.model}</td>
                                        <td className="mono">{p.tokens.toLocaleString("en-US")}</td>
                                        <td className="mono">{formatPercent(p.reduction)}</td>
                                        <td className="mono">{formatPercent(ourReduction(shape, p.tokens))}</td>
                                        <td className="mono">{keptKvHeads(shape, 1)} of {shape.kvHeads}</td>
                                    </tr>
                                );
                            })}
                            {REAL_SHAPES.filter((s) => !PAPER_REDUCTIONS.some((p) => p.model === s.name)).map((s) => (
                                <tr key={s.name}>
                                    <td>{s.name}</td>
                                    <td className="mono">10,240 / 61,440</td>
                                    <td className="mono muted">not reported</td>
                                    <td className="mono">{formatPercent(ourReduction(s, 10_240))} / {formatPercent(ourReduction(s, 61_440))}</td>
                                    <td className="mono">{keptKvHeads(s, 1)} of {s.kvHeads}</td>
                                </tr>
                            ))}
                        </tbody>
                    </table>
                    <div className="table-note">Paper: Yan et al. 2024, arXiv 2410.12850. Ours keep 1 of 8 KV groups in every layer and count the Mamba-2 state in full, so they sit a little below the KV share removed and approach it as the context grows. Qwen2-7B has only 4 KV heads per layer and our rule keeps at least one per layer, so at most 75% of its KV can go; the paper's 87.5% implies fewer than one kept head per layer on average.</div>
                </div>
            </div>
        </div>
    );
}
