/** Number formatting for the meters: always a unit, never more digits than the measurement has. */
export { formatBytes, formatTokens } from "../../../api/format";

export function formatRate(tokensPerSecond: number | undefined): string {
    if (tokensPerSecond == null || !Number.isFinite(tokensPerSecond)) return "—";
    return tokensPerSecond >= 100 ? tokensPerSecond.toFixed(0) : tokensPerSecond >= 10 ? tokensPerSecond.toFixed(1) : tokensPerSecond.toFixed(2);
}

export function formatMs(ms: number | undefined): string {
    if (ms == null || !Number.isFinite(ms)) return "—";
    return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

export function formatPercent(fraction: number | undefined, digits = 1): string {
    if (fraction == null || !Number.isFinite(fraction)) return "—";
    return `${(fraction * 100).toFixed(digits)}%`;
}

export function formatRatio(ours: number | undefined, theirs: number | undefined): string | undefined {
    if (!ours || !theirs) return undefined;
    return `${(ours / theirs).toFixed(2)}×`;
}
