import {UsageError} from "./UsageError.js";
import {formatPyramidSchedule, parsePyramidSchedule} from "../../../api/pyramidCache.js";
import {parseModelVariants, type ModelVariant} from "../modelVariant.js";

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

/** --pyramid SCHEDULE in the engine's canonical form, or undefined when not given; a bad schedule is a usage error. */
export function parsePyramidOption(value: string | undefined): string | undefined {
    if (value == null)
        return undefined;
    try {
        return formatPyramidSchedule(parsePyramidSchedule(value));
    } catch (err) {
        throw new UsageError(`--pyramid: ${(err as Error).message}`);
    }
}

/** --models A.gguf,B.gguf@q8_0,C.gguf@pyramid:r0=0.8,decay=0.7 (modelVariant.ts); `pyramid`: the schedule of those without their own. */
export function parseModelsOption(list: string, pyramid?: string): ModelVariant[] {
    let variants: ModelVariant[];
    try {
        variants = parseModelVariants(list);
    } catch (err) {
        throw new UsageError(`--models: ${(err as Error).message}`);
    }
    return variants.map((v) => v.pyramid == null && pyramid != null ? {...v, pyramid} : v);
}

/** Whether a listen address is this machine only. */
export function isLoopback(host: string): boolean {
    return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
