/**
 * A comparison as one PNG: header, every lane's figures, the cache memory against the baseline, and
 * the two live charts with their legends. Drawn on a canvas from what the Compare view shows.
 */
import type uPlot from "uplot";
import { pyramidLabel } from "../../../api/pyramidSetting";
import type { LaneView } from "../components/CompareLane";
import { formatBytes, formatMs, formatRate, formatTokens } from "../lib/format";
import { measuredStateNote, meterFigures, snapshotFigures } from "../stores/metrics";
import { modelLabel } from "../stores/models";
import { compareSnapshot } from "../stores/ratios";

export interface ComparePngInput {
    prompt: string;
    lanes: LaneView[];
    charts: { cache?: uPlot; speed?: uPlot };
    mode?: string;
    threads?: number;
    /** the memory tile's rows: each compared lane against the baseline */
    memory: { key: string; value: string; note: string; good?: boolean }[];
}

const W = 1600;
const LANE_H = 112;
const CHART_H = 400;

export function renderComparePng({ prompt, lanes, charts, mode, threads, memory }: ComparePngInput): HTMLCanvasElement {
    const canvas = document.createElement("canvas");
    canvas.width = W;
    const ctx = canvas.getContext("2d")!;
    const chartW = W / 2 - 60;
    const legends: [LegendItem[], LegendItem[]] = [
        [...lanes.map((l): LegendItem => [`${l.name} · computed`, l.color, "solid"]), ["measured (llama.cpp)", "#8b95a7", "dashed"]],
        [...lanes.map((l): LegendItem => [`${l.name} decode`, l.color, "solid"]), ["prefill", "#8b95a7", "dot"]],
    ];
    ctx.font = LEGEND_FONT;
    const legendRows = legends.map((items) => legendLayout(ctx, items, chartW));
    const lanesTop = 140;
    const memoryTop = lanesTop + lanes.length * LANE_H + 10;
    const chartsTop = memoryTop + memory.length * 30 + 30;
    // setting the height clears the canvas and its state: measured above, drawn from here
    canvas.height = chartsTop + CHART_H + 22 * Math.max(...legendRows.map((rows) => rows.length)) + 20;
    ctx.fillStyle = "#0d1117";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#e6edf3";
    ctx.font = "600 28px 'Inter Variable', sans-serif";
    ctx.fillText(`${lanes.map((l) => l.name).join(" vs ")} — side-by-side run`, 40, 56);
    ctx.font = "16px 'Inter Variable', sans-serif";
    ctx.fillStyle = "#8b95a7";
    ctx.fillText(`${new Date().toLocaleString()} · ${mode === "parallel" ? "at once" : "one after the other"}${threads ? `, ${threads} threads each` : ""} · prompt: ${prompt.slice(0, 110)}${prompt.length > 110 ? "…" : ""}`, 40, 86);

    lanes.forEach((lane, i) => {
        const y = lanesTop + i * LANE_H;
        const m = lane.state.last;
        ctx.fillStyle = lane.color;
        ctx.font = "600 20px 'Inter Variable', sans-serif";
        ctx.fillText(`${lane.name}${i === 0 ? " (baseline)" : ""}: ${lane.model ? modelLabel(lane.model) : ""}${lane.pyramid ? ` · ${pyramidLabel(lane.pyramid)}` : ""}`, 40, y);
        ctx.fillStyle = "#e6edf3";
        ctx.font = "17px 'JetBrains Mono Variable', monospace";
        const note = measuredStateNote(meterFigures(m));
        ctx.fillText(`cache ${formatBytes(m?.cacheBytesComputed)} (computed)   state ${formatBytes(m?.stateBytesMeasured)} (measured${note ? `, ${note}` : ""})   prefill ${formatRate(m?.prefillTokensPerSecond)} t/s   decode ${formatRate(m?.decodeTokensPerSecond)} t/s   TTFT ${formatMs(m?.timeToFirstTokenMs)}   at ${formatTokens(m?.tokensInContext)} tokens`, 40, y + 30);
        const buffers = lane.loaded?.cacheBuffers;
        const dense = lane.kind === "dense";
        const snap = snapshotFigures(m, dense);
        const versus = compareSnapshot(snap.timesSmaller, lane.name);
        ctx.fillStyle = "#a4adbb";
        ctx.fillText(buffers ? `context cache ${formatBytes(buffers.computedBytes)} (computed), llama.cpp's buffers ${formatBytes(buffers.measuredBytes)} (measured)` : "context cache: not loaded", 40, y + 54);
        ctx.fillText(lane.loaded?.pyramid ? "snapshot: none (PyramidInfer drops tokens for good: nothing rolls back)" : dense ? "snapshot: not needed (rolls back by trimming its KV)" : `snapshot ${formatBytes(snap.bytesMeasured)} (measured)${snap.denseBytesComputed != null ? `   dense state at the same point ${formatBytes(snap.denseBytesComputed)} (computed)${versus ? `   ${versus.text}` : ""}` : ""}`, 40, y + 78);
    });

    ctx.font = "600 20px 'Inter Variable', sans-serif";
    memory.forEach((row, i) => {
        ctx.fillStyle = row.good ? "#3fb950" : "#d29922";
        ctx.fillText(`Cache memory: ${row.value} than ${lanes[0]?.name ?? "the baseline"}, ${row.note}`, 40, memoryTop + 20 + i * 30);
    });

    const draw = (u: uPlot | undefined, x: number, title: string, rows: LegendItem[][]) => {
        ctx.fillStyle = "#a4adbb";
        ctx.font = "600 17px 'Inter Variable', sans-serif";
        ctx.fillText(title, x, chartsTop);
        if (u) {
            const src = u.ctx.canvas;
            ctx.drawImage(src, x, chartsTop + 12, chartW, Math.min(CHART_H - 40, (src.height / src.width) * chartW));
        }
        ctx.font = LEGEND_FONT;
        rows.forEach((row, r) => {
            let lx = x;
            const ly = chartsTop + CHART_H + 22 * r;
            for (const [label, color, style] of row) {
                ctx.strokeStyle = color;
                ctx.fillStyle = color;
                ctx.lineWidth = 2.5;
                ctx.setLineDash(style === "dashed" ? [6, 4] : []);
                if (style === "dot") { ctx.beginPath(); ctx.arc(lx + 9, ly - 5, 4, 0, Math.PI * 2); ctx.fill(); }
                else { ctx.beginPath(); ctx.moveTo(lx, ly - 5); ctx.lineTo(lx + 18, ly - 5); ctx.stroke(); }
                ctx.setLineDash([]);
                ctx.fillStyle = "#a4adbb";
                ctx.fillText(label, lx + 24, ly);
                lx += legendItemWidth(ctx, label);
            }
        });
    };
    draw(charts.cache, 40, "Cache bytes vs tokens in context", legendRows[0]!);
    draw(charts.speed, W / 2 + 20, "Tokens per second vs tokens in context", legendRows[1]!);
    return canvas;
}

/** a legend entry: its label, colour and how its line is drawn */
type LegendItem = [string, string, "solid" | "dashed" | "dot"];

const LEGEND_FONT = "14px 'Inter Variable', sans-serif";

/** swatch, gap, label, space before the next */
function legendItemWidth(ctx: CanvasRenderingContext2D, label: string): number {
    return 24 + ctx.measureText(label).width + 18;
}

/** The legend's entries in rows no wider than its chart (four lanes do not fit one row). */
function legendLayout(ctx: CanvasRenderingContext2D, items: LegendItem[], width: number): LegendItem[][] {
    const rows: LegendItem[][] = [[]];
    let used = 0;
    for (const item of items) {
        const w = legendItemWidth(ctx, item[0]);
        if (used > 0 && used + w > width) { rows.push([]); used = 0; }
        rows.at(-1)!.push(item);
        used += w;
    }
    return rows;
}
