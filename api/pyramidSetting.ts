/**
 * The per-model setting "PyramidInfer KV retention" (engine/llama/PYRAMID.md; the arithmetic: pyramidCache.ts):
 * off by default; on, layer l keeps round(n x r0 x decay^l) of the n tokens seen (never fewer than the `recent`
 * newest), and the model loads with that schedule. Its checks and its words, shared by the core (which refuses a
 * bad value) and the renderer (which says so before sending). Pure.
 */
import { PYRAMID_DEFAULTS, formatPyramidSchedule, parsePyramidSchedule, type PyramidSchedule } from "./pyramidCache.js";

export interface PyramidSetting extends PyramidSchedule {
    on: boolean;
}

/** The two schedules issue 15 measures: a gentle one and a steeper one. */
export const PYRAMID_PRESETS: readonly { label: string; r0: number; decay: number }[] = [
    { label: "r0 1.0 / decay 0.8", r0: 1.0, decay: 0.8 },
    { label: "r0 0.8 / decay 0.7", r0: 0.8, decay: 0.7 },
];

/** What a model has before the user turns it on (off; the steeper preset, the engine's default recent window). */
export const DEFAULT_PYRAMID: PyramidSetting = { on: false, r0: 0.8, decay: 0.7, recent: PYRAMID_DEFAULTS.recent };

/** The architectures whose llama.cpp graphs take the per-layer caches (PYRAMID.md, "Setting"); any other fails to load. */
export const PYRAMID_ARCHITECTURES: readonly string[] = ["llama", "recurformer"];

/** The setting a model has: its own, or the default (off). */
export function pyramidSettingOf(settings: { pyramid?: PyramidSetting }): PyramidSetting {
    return settings.pyramid ?? DEFAULT_PYRAMID;
}

/** The schedule a model loads with, or undefined when retention is off. */
export function activePyramid(settings: { pyramid?: PyramidSetting }): PyramidSchedule | undefined {
    const p = settings.pyramid;
    return p?.on ? { r0: p.r0, decay: p.decay, recent: p.recent } : undefined;
}

/** What is wrong with a schedule, in words a user can act on (the engine's own parser says it); undefined when the engine can load it. */
export function pyramidProblem(s: PyramidSchedule): string | undefined {
    try {
        parsePyramidSchedule(formatPyramidSchedule(s));
        return undefined;
    } catch (error) {
        return (error as Error).message;
    }
}

/** Why a model cannot use PyramidInfer, or undefined when it can. */
export function pyramidUnsupported(architecture: string | undefined): string | undefined {
    if (architecture == null || PYRAMID_ARCHITECTURES.includes(architecture)) return undefined;
    return `PyramidInfer works with ${PYRAMID_ARCHITECTURES.join(" and ")} models only (their llama.cpp graphs take one KV cache per layer); this one is ${architecture}.`;
}

/** A share as the labels write it: 1.0, 0.8, 0.75. */
function share(x: number): string {
    return Number.isInteger(x * 10) ? x.toFixed(1) : String(x);
}

/** "PyramidInfer r0 0.8/0.7" (and ", recent 32" when the recent window is not the default). */
export function pyramidLabel(s: PyramidSchedule): string {
    return `PyramidInfer r0 ${share(s.r0)}/${share(s.decay)}${s.recent !== DEFAULT_PYRAMID.recent ? `, recent ${s.recent}` : ""}`;
}
