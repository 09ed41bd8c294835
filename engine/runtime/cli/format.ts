import {UsageError} from "./UsageError.js";

/** A plain-text table with right-aligned numeric columns. */
export function formatTable(header: string[], rows: string[][]): string {
    const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)));
    const line = (cells: string[]) => cells
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join("  ");
    return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function parsePositiveInt(name: string, value: string | undefined, fallback: number): number;
export function parsePositiveInt(name: string, value: string | undefined, fallback?: number): number | undefined;
export function parsePositiveInt(name: string, value: string | undefined, fallback?: number): number | undefined {
    if (value == null)
        return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
        throw new UsageError(`--${name} must be a positive whole number, not '${value}'`);
    return n;
}

/** Whether a listen address is this machine only. */
export function isLoopback(host: string): boolean {
    return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
