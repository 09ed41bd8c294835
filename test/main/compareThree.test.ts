/**
 * Compare with three models of three architectures on the real engine (the tiny random-weight
 * fixtures dense-llama-gqa, rf-gqa-r7 and based-w16): lanes in the order picked, each streams and
 * ends, its cache figure is the shape's, and each loaded context's cache as computed is llama.cpp's
 * logged buffer within 1%.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppEvent } from "../../api/appApi";
import { shapeCacheBytesAt } from "../../api/cacheMath";
import { ensureFixtures, fixture } from "../runtime/helpers";
import { openCore, until, type TestCore } from "./support/realCore";

const FILES = ["dense-llama-gqa.gguf", "rf-gqa-r7.gguf", "based-w16.gguf"];
let t: TestCore;
let modelsDir: string;
const model = (file: string) => t.core.models.list().find((m) => m.fileName === file)!;
const of = <T extends AppEvent["type"]>(from: number, type: T, runId: string) =>
    t.events.slice(from).filter((e): e is Extract<AppEvent, { type: T }> => e.type === type && (e as { runId?: string }).runId === runId);

beforeAll(async () => {
    ensureFixtures();
    modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-compare3-models-"));
    for (const f of FILES) fs.symlinkSync(fixture(f), path.join(modelsDir, f));
    t = await openCore({}, modelsDir);
}, 180_000);
afterAll(async () => {
    await t?.close();
    if (modelsDir) fs.rmSync(modelsDir, { recursive: true, force: true });
});

describe("Compare with three models", () => {
    it("knows each file's kind: dense, RecurFormer, BASED", () => {
        expect(FILES.map((f) => model(f).kind)).toEqual(["dense", "recurformer", "based"]);
    });

    it("refuses PyramidInfer for the BASED file, whose graph takes no per-layer caches, and leaves its settings alone", async () => {
        const based = model("based-w16.gguf");
        await expect(t.core.call("models.setSettings", { modelId: based.id, settings: { pyramid: { on: true, r0: 0.8, decay: 0.7, recent: 64 } } }))
            .rejects.toThrow("PyramidInfer works with llama and recurformer models only (their llama.cpp graphs take one KV cache per layer); this one is based.");
        expect(model("based-w16.gguf").settings.pyramid).toBeUndefined();
    });

    it("runs dense, RecurFormer and BASED one after the other: each streams and ends, its cache computed from its shape", async () => {
        const ids = FILES.map((f) => model(f).id);
        const from = t.events.length;
        const run = await t.core.call("compare.start", { prompt: "Tell me a story.", modelIds: ids, mode: "sequential", maxTokens: 24 });
        expect(run.lanes.map((l) => l.kind)).toEqual(["dense", "recurformer", "based"]);
        await until(() => of(from, "compare.done", run.runId).length === 3, 180_000, "three lanes");
        expect(of(from, "compare.done", run.runId).map((e) => [e.lane, e.status])).toEqual([[0, "done"], [1, "done"], [2, "done"]]);
        // one after the other: no lane's token before the previous lane's last
        const order = of(from, "compare.token", run.runId).map((e) => e.lane);
        for (const lane of [0, 1, 2]) expect(order, `lane ${lane} answered`).toContain(lane);
        expect(order).toEqual([...order].sort());
        for (const [lane, id] of ids.entries()) {
            const last = of(from, "compare.metrics", run.runId).filter((e) => e.lane === lane).at(-1)!.metrics;
            const m = model(FILES[lane]!);
            expect(last.modelId).toBe(id);
            expect(last.cacheBytesComputed, FILES[lane]).toBe(shapeCacheBytesAt(m.shape!, last.tokensInContext, m.settings.cacheType));
        }
        // BASED past its window: the fixed state plus 16 tokens of window KV, however long the run
        const based = model("based-w16.gguf").shape!;
        const basedLast = of(from, "compare.metrics", run.runId).filter((e) => e.lane === 2).at(-1)!.metrics;
        expect(basedLast.tokensInContext).toBeGreaterThan(16);
        expect(basedLast.cacheBytesComputed).toBe(based.recurrentStateBytes + 16 * based.window!.kvBytesPerToken);
        // the dense lane's figures became the chat meters' baseline
        expect((await t.core.call("baselines.list", undefined))[0]).toMatchObject({ denseModelId: ids[0], recurformerModelId: ids[1], from: "comparison" });
    }, 240_000);

    it("each loaded context's cache, computed, is llama.cpp's logged KV + state buffers within 1%", () => {
        for (const f of FILES) {
            const b = model(f).loaded?.cacheBuffers;
            expect(b?.measuredBytes, f).toBeGreaterThan(0);
            expect(Math.abs(b!.computedBytes - b!.measuredBytes!) / b!.measuredBytes!, f).toBeLessThanOrEqual(0.01);
        }
    });

    it("runs all three at once, and refuses the same model twice", async () => {
        const ids = FILES.map((f) => model(f).id);
        await expect(t.core.call("compare.start", { prompt: "hi", modelIds: [ids[0]!, ids[0]!], mode: "sequential" })).rejects.toThrow(/the same model with the same cache twice compares nothing/);
        const from = t.events.length;
        const run = await t.core.call("compare.start", { prompt: "hi", modelIds: [ids[2]!, ids[0]!, ids[1]!], mode: "parallel", maxTokens: 8 });
        expect(run.lanes.map((l) => l.kind)).toEqual(["based", "dense", "recurformer"]);
        await until(() => of(from, "compare.done", run.runId).length === 3, 180_000, "three lanes at once");
        expect(of(from, "compare.done", run.runId).every((e) => e.status === "done")).toBe(true);
    }, 240_000);
});
