/**
 * What the charts write: axis ticks, legend values, the projection's log-axis decades and series
 * styles. uPlot draws on a canvas, so these are where the words are tested.
 */
import type uPlot from "uplot";
import { formatRate } from "./format";

/** A tokens/s tick: "0", "50", "2.5" — never "0.00". */
export function rateTick(value: number): string {
    return value === 0 ? "0" : formatRate(value);
}

/**
 * A legend value for one series: the value under the cursor, formatted; with no cursor on the
 * chart, the series' latest value (uPlot would write "--"); nothing where the series has no point.
 */
export function legendValue(format: (value: number) => string, idleSuffix = "(latest)"): (u: { data: uPlot.AlignedData }, raw: number | null, seriesIdx: number, idx: number | null) => string {
    return (u, raw, seriesIdx, idx) => {
        if (raw != null) return format(raw);
        if (idx != null) return "";
        const ys = u.data[seriesIdx] ?? [];
        for (let i = ys.length - 1; i >= 0; i--) {
            const y = ys[i];
            if (y != null) return idleSuffix ? `${format(y as number)} ${idleSuffix}` : format(y as number);
        }
        return "";
    };
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/**
 * Log-axis ticks in binary units: 1, 10 and 100 of each unit (1 MiB, 10 MiB, 100 MiB, 1 GiB, …)
 * between `min` and `max`, so every label is a round number of the unit it is written in.
 */
export function binaryDecades(min: number, max: number): number[] {
    const ticks: number[] = [];
    for (let unit = 0; unit < UNITS.length; unit++) {
        for (const m of [1, 10, 100]) {
            const v = m * 1024 ** unit;
            if (v >= min && v <= max) ticks.push(v);
        }
    }
    return ticks;
}

/** "10 MiB", "1 GiB": a tick of `binaryDecades` with no trailing zeros. */
export function binaryTick(bytes: number): string {
    let unit = 0;
    let value = bytes;
    while (value >= 1024 && unit < UNITS.length - 1) { value /= 1024; unit++; }
    return `${Number(value.toFixed(2))} ${UNITS[unit]}`;
}

/**
 * uPlot's `points.show` for a line that may have only a point or two (a short run's decode rate):
 * markers while the series has at most `max` points, so a lone sample is drawn, not lost.
 */
export function markersWhenFew(max = 24): (u: { data: uPlot.AlignedData }, seriesIdx: number) => boolean {
    return (u, seriesIdx) => {
        let n = 0;
        for (const v of (u.data[seriesIdx] ?? []) as ArrayLike<number | null | undefined> & Iterable<number | null | undefined>) if (v != null) n++;
        return n <= max;
    };
}

const DASHES: (number[] | undefined)[] = [undefined, undefined, [8, 4], [2, 3], [10, 3, 2, 3], [6, 4]];

export interface SeriesStyle {
    label: string;
    dash?: number[];
    /** the earlier series this one coincides with (same bytes at every point), if any */
    sameAs?: string;
}

/**
 * One style per projection series: its own dash pattern, and where two series are the same at
 * every point (Qwen2-7B keeps one KV head per layer at 1/8 and at 2/8), the later one says so in
 * its label and is drawn with long gaps (the line under it shows through), so a line drawn over
 * another is never silently hidden.
 */
export function projectionStyles(series: readonly { label: string; bytes: readonly number[] }[]): SeriesStyle[] {
    return series.map((s, i) => {
        const same = series.slice(0, i).find((o) => o.bytes.length === s.bytes.length && o.bytes.every((b, j) => b === s.bytes[j]));
        return { label: same ? `${s.label} (same as ${same.label}: drawn over it)` : s.label, dash: same ? [3, 9] : DASHES[i % DASHES.length], sameAs: same?.label };
    });
}
