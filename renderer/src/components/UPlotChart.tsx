/**
 * A uPlot chart that lives as long as its options do and takes new data with setData:
 * cheap enough to update many times a second while tokens stream.
 */
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface UPlotChartProps {
    options: Omit<uPlot.Options, "width" | "height">;
    data: uPlot.AlignedData;
    height?: number;
    /** gets the chart instance (for PNG export) */
    onReady?: (chart: uPlot | undefined) => void;
    testId?: string;
}

export function UPlotChart({ options, data, height = 240, onReady, testId, emptyText }: UPlotChartProps & { emptyText?: string }) {
    const host = useRef<HTMLDivElement>(null);
    const chart = useRef<uPlot>(undefined);
    const latest = useRef(data);
    latest.current = data;

    useEffect(() => {
        const el = host.current!;
        const instance = new uPlot({ ...options, width: Math.max(200, el.clientWidth), height }, latest.current, el);
        chart.current = instance;
        onReady?.(instance);
        const observer = new ResizeObserver(() => instance.setSize({ width: Math.max(200, el.clientWidth), height }));
        observer.observe(el);
        return () => {
            observer.disconnect();
            instance.destroy();
            chart.current = undefined;
            onReady?.(undefined);
        };
        // options are built once per series layout by the caller (useMemo)
        // eslint-disable-next-line react-hooks/exhaustive-deps
    }, [options, height]);

    useEffect(() => {
        chart.current?.setData(data, true);
    }, [data]);

    const points = data[0]?.length ?? 0;
    return (
        <div className="chart-wrap">
            <div className="uplot-host" ref={host} data-testid={testId} data-points={points} />
            {points === 0 && emptyText && <div className="chart-empty">{emptyText}</div>}
        </div>
    );
}

/** Dark-theme axes for uPlot. */
export function darkAxis(label: string, format?: (value: number) => string, size = 48): uPlot.Axis {
    // every key set explicitly: uPlot copies `undefined` over its defaults
    return {
        label,
        size,
        labelSize: 18,
        gap: 4,
        stroke: "#8b95a7",
        labelFont: "600 11px Inter Variable, system-ui, sans-serif",
        font: "11px Inter Variable, system-ui, sans-serif",
        grid: { stroke: "rgba(139,149,167,0.12)", width: 1 },
        ticks: { stroke: "rgba(139,149,167,0.25)", width: 1 },
        ...(format ? { values: (_u: uPlot, splits: number[]) => splits.map((v) => (v == null ? "" : format(v))) } : {}),
    };
}
