/**
 * A PyramidInfer context's cache, layer by layer: the tokens each layer keeps at the current token count
 * (computed, `pyramidRetained`: right after a selection) and the KV cells llama.cpp allocated for it (from its
 * log), each as a small bar chart; then the bytes: in use (computed) and allocated (computed from the schedule
 * vs llama.cpp's logged buffers). Used by the chat meters and the Compare lanes.
 */
import type { LoadedContext, ModelShape, ModelSettings } from "../../../api/appApi";
import { pyramidRetained } from "../../../api/pyramidCache";
import { pyramidLabel } from "../../../api/pyramidSetting";
import { retainedCacheBytes } from "../../../api/pyramidShape";
import { formatBytes, formatPercent, formatTokens } from "../lib/format";

export function PyramidLayers({ shape, settings, loaded, tokens, testId }: { shape: ModelShape; settings: Pick<ModelSettings, "cacheType">; loaded: LoadedContext; tokens: number; testId: string }) {
    const p = loaded.pyramid!;
    const retained = pyramidRetained(tokens, shape.layers, p);
    const cells = p.cellsPerLayer;
    const inUse = retainedCacheBytes(shape, retained, settings.cacheType);
    const b = loaded.cacheBuffers;
    const off = b?.measuredBytes ? b.computedBytes / b.measuredBytes - 1 : undefined;
    return (
        <div className="pyramid-layers" data-testid={testId} data-retained={retained.join(",")} data-cells={cells.join(",")} data-in-use={inUse} data-allocated-computed={b?.computedBytes ?? ""} data-allocated-measured={b?.measuredBytes ?? ""}>
            <div className="pyramid-title">{pyramidLabel(p)} <em className="tag computed">computed</em></div>
            <LayerBars title={`kept per layer at ${formatTokens(tokens)} tokens`} tag="computed" values={retained} of={Math.max(1, tokens)} kind="retained" />
            <LayerBars title={`KV cells allocated per layer, of ${formatTokens(loaded.contextSize)}`} tag="measured" values={cells} of={Math.max(1, loaded.contextSize)} kind="cells" />
            <div className="meter-row" data-testid={`${testId}-in-use`}><span>in use at {formatTokens(tokens)} tokens <em className="tag computed">computed</em></span><span className="mono">{formatBytes(inUse)}</span></div>
            <div className="meter-row" data-testid={`${testId}-allocated`}><span>allocated, {loaded.chatSlots} chat slot{loaded.chatSlots === 1 ? "" : "s"} <em className="tag computed">computed</em></span><span className="mono">{formatBytes(b?.computedBytes)}</span></div>
            <div className="meter-row"><span>llama.cpp's buffers <em className="tag measured">measured</em></span><span className="mono">{formatBytes(b?.measuredBytes)}{off != null && <> ({off === 0 ? "equal" : `${off > 0 ? "+" : "−"}${formatPercent(Math.abs(off), 2)}`})</>}</span></div>
            <div className="meter-note">Layer l keeps n × {p.r0} × {p.decay}<sup>l</sup> tokens (at least the {p.recent} newest), counted right after a selection: after each prompt batch and every {p.every} tokens, with up to that many more in between. Allocated: the most a layer ever holds, padded to 256 cells.</div>
        </div>
    );
}

/** One bar per layer, each `value / of` of the chart's height; the values beneath when they fit. */
function LayerBars({ title, tag, values, of, kind }: { title: string; tag: "computed" | "measured"; values: readonly number[]; of: number; kind: string }) {
    const labels = values.length <= 12;
    return (
        <div className={`layer-bars ${kind}`}>
            <div className="layer-bars-title">{title} <em className={`tag ${tag}`}>{tag}</em></div>
            <div className="layer-bars-plot" style={{ gridTemplateColumns: `repeat(${values.length}, minmax(0, 1fr))` }}>
                {values.map((v, l) => (
                    <div key={l} className="layer-bar" title={`layer ${l}: ${v.toLocaleString("en-US")} of ${of.toLocaleString("en-US")}`} data-testid={`layer-${kind}-${l}`} data-value={v}>
                        <div className="layer-bar-fill" style={{ height: `${Math.max(2, (100 * v) / of)}%` }} />
                    </div>
                ))}
            </div>
            {labels && (
                <div className="layer-bars-labels mono" style={{ gridTemplateColumns: `repeat(${values.length}, minmax(0, 1fr))` }}>
                    {values.map((v, l) => <span key={l}>{compact(v)}</span>)}
                </div>
            )}
        </div>
    );
}

/** 372, 9.5k, 13k: short enough to sit under a bar */
function compact(n: number): string {
    return n < 1000 ? String(n) : n < 10_000 ? `${(n / 1000).toFixed(1)}k` : `${Math.round(n / 1000)}k`;
}
