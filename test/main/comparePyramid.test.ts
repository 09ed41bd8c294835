/**
 * PyramidInfer in the app core on the real engine and the default pair (assets/models): the per-model setting is
 * checked, persisted and applied at load (one chat slot, llama.cpp's cells per layer the schedule's, the context's
 * cache as computed within 1% of llama.cpp's buffers), a chat on it counts the schedule's cache, and Compare runs
 * dense, dense + PyramidInfer, RecurFormer and RecurFormer + PyramidInfer on one prompt: one file twice, the lane in
 * the other cache mode on the model's compare copy.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppEvent, LoadedContext, ModelInfo } from "../../api/appApi";
import { shapeCacheBytesAt } from "../../api/cacheMath";
import { pyramidCells } from "../../api/pyramidCache";
import { pyramidCacheBytesAt } from "../../api/pyramidShape";
import { answered, lastMessage, openCore, until, type TestCore } from "./support/realCore";

const STEEP = { on: true, r0: 0.8, decay: 0.7, recent: 64 };
const PROMPT = "The lighthouse on the north cape was kept by Mara Quill for thirty years. Every night she climbed the ninety-two " +
    "steps, trimmed the wick and wound the clockwork that turned the lens. Who kept the lighthouse?";

let t: TestCore;
const byKind = (kind: ModelInfo["kind"]) => t.core.models.list().find((m) => m.kind === kind)!;
const of = <T extends AppEvent["type"]>(from: number, type: T, runId: string) =>
    t.events.slice(from).filter((e): e is Extract<AppEvent, { type: T }> => e.type === type && (e as { runId?: string }).runId === runId);

/** llama.cpp allocated what the schedule says: its cells per layer are pyramidCells', its buffers the computed bytes within 1% */
function expectScheduleAllocated(loaded: LoadedContext | undefined, model: ModelInfo, what: string): void {
    const p = loaded?.pyramid;
    expect(p, what).toBeDefined();
    expect(p!.cellsPerLayer, what).toEqual(pyramidCells(loaded!.contextSize, model.shape!.layers, p!, p!.every));
    const b = loaded!.cacheBuffers!;
    expect(b.measuredBytes, what).toBeGreaterThan(0);
    process.stdout.write(`[pyramid] ${what}: context cache computed ${b.computedBytes} B, llama.cpp ${b.measuredBytes} B (${(100 * (b.computedBytes / b.measuredBytes! - 1)).toFixed(3)}%), cells ${p!.cellsPerLayer.join(" ")}\n`);
    expect(Math.abs(b.computedBytes - b.measuredBytes!) / b.measuredBytes!, what).toBeLessThanOrEqual(0.01);
}

beforeAll(async () => { t = await openCore(); }, 180_000);
afterAll(async () => { await t?.close(); });

describe("PyramidInfer KV retention in the app", () => {
    it("refuses a schedule the engine cannot load, saying what is wrong", async () => {
        const dense = byKind("dense");
        await expect(t.core.call("models.setSettings", { modelId: dense.id, settings: { pyramid: { ...STEEP, r0: 1.5 } } }))
            .rejects.toThrow(/r0 must be a number above 0 and at most 1 \(the first layer's share of the tokens seen\), got "1.5"/);
        expect(t.core.models.get(dense.id).settings.pyramid).toBeUndefined();
    });

    it("turned on for the dense model, loads it with one chat slot and the schedule's cells per layer, and keeps the setting", async () => {
        const dense = byKind("dense");
        await t.core.call("models.load", { modelId: dense.id });
        expect(t.core.models.get(dense.id).loaded?.chatSlots).toBe(2);
        await t.core.call("models.setSettings", { modelId: dense.id, settings: { pyramid: STEEP } });
        const model = t.core.models.get(dense.id);
        expect(model.status).toBe("loaded");
        expect(model.loaded).toMatchObject({ chatSlots: 1, pyramid: { r0: 0.8, decay: 0.7, recent: 64 } });
        expectScheduleAllocated(model.loaded, model, "dense + PyramidInfer");
        const saved = JSON.parse(fs.readFileSync(path.join(t.dir, "data", "models.json"), "utf8"));
        expect(saved.settings[dense.id].pyramid).toEqual(STEEP);
    }, 120_000);

    it("answers a chat on it, its cache the schedule's at the chat's token count", async () => {
        const dense = t.core.models.get(byKind("dense").id);
        const from = t.events.length;
        const chat = await t.core.call("chats.create", { modelId: dense.id });
        await t.core.call("chats.send", { chatId: chat.id, text: PROMPT });
        expect(lastMessage(await answered(t.core, chat.id)).status).toBe("done");
        const m = t.events.slice(from).filter((e): e is Extract<AppEvent, { type: "chat.metrics" }> => e.type === "chat.metrics" && e.chatId === chat.id).at(-1)!.metrics;
        expect(m.tokensInContext).toBeGreaterThan(64);
        expect(m.cacheBytesComputed).toBe(pyramidCacheBytesAt(dense.shape!, STEEP, m.tokensInContext));
        expect(m.cacheBytesComputed).toBeLessThan(shapeCacheBytesAt(dense.shape!, m.tokensInContext)!);
    }, 120_000);

    it("compares dense, dense + PyramidInfer, RecurFormer and RecurFormer + PyramidInfer on one prompt", async () => {
        const dense = byKind("dense");
        const rf = byKind("recurformer");
        await expect(t.core.call("compare.start", { prompt: "hi", modelIds: [dense.id, dense.id], pyramid: [true, true], mode: "sequential" })).rejects.toThrow(/same model with the same cache twice/);
        const from = t.events.length;
        const run = await t.core.call("compare.start", { prompt: PROMPT, modelIds: [dense.id, dense.id, rf.id, rf.id], pyramid: [false, true, false, true], mode: "sequential", maxTokens: 16 });
        // dense has PyramidInfer on: its full-cache lane runs on its copy; RecurFormer has it off: its PyramidInfer lane does
        expect(run.lanes.map((l) => [l.kind, Boolean(l.pyramid), Boolean(l.copy)])).toEqual([["dense", false, true], ["dense", true, false], ["recurformer", false, false], ["recurformer", true, true]]);
        await until(() => of(from, "compare.done", run.runId).length === 4, 300_000, "four lanes");
        expect(of(from, "compare.done", run.runId).map((e) => [e.lane, e.status])).toEqual([[0, "done"], [1, "done"], [2, "done"], [3, "done"]]);
        const lanesLoaded = of(from, "compare.lane", run.runId).sort((a, b) => a.lane - b.lane).map((e) => e.loaded);
        expect(lanesLoaded.map((l) => Boolean(l.pyramid))).toEqual([false, true, false, true]);
        expectScheduleAllocated(lanesLoaded[1], t.core.models.get(dense.id), "lane dense + PyramidInfer");
        expectScheduleAllocated(lanesLoaded[3], t.core.models.get(rf.id), "lane RecurFormer + PyramidInfer");
        for (const lane of [0, 2]) expect(Math.abs(lanesLoaded[lane]!.cacheBuffers!.computedBytes / lanesLoaded[lane]!.cacheBuffers!.measuredBytes! - 1)).toBeLessThanOrEqual(0.01);
        // the copies are listed on their models: dense's full cache, RecurFormer's PyramidInfer
        expect(t.core.models.get(dense.id).compareCopy?.pyramid).toBeUndefined();
        expect(t.core.models.get(dense.id).compareCopy?.chatSlots).toBe(2);
        expect(t.core.models.get(rf.id).compareCopy?.pyramid?.cellsPerLayer).toEqual(lanesLoaded[3]!.pyramid!.cellsPerLayer);
        // each lane's cache at its token count: the schedule's for a PyramidInfer lane, the full cache's otherwise
        for (const [lane, model] of [dense, dense, rf, rf].entries()) {
            const m = of(from, "compare.metrics", run.runId).filter((e) => e.lane === lane).at(-1)!.metrics;
            const expected = run.lanes[lane]!.pyramid ? pyramidCacheBytesAt(model.shape!, run.lanes[lane]!.pyramid!, m.tokensInContext) : shapeCacheBytesAt(model.shape!, m.tokensInContext);
            expect(m.cacheBytesComputed, `lane ${lane}`).toBe(expected);
        }
        // the chat meters' dense baseline is the full-cache lane's
        expect((await t.core.call("baselines.list", undefined)).filter((b) => b.from === "comparison")).toHaveLength(1);
    }, 360_000);

    it("turned off again, reloads the dense model with its full cache and drops its compare copy", async () => {
        const dense = byKind("dense");
        await t.core.call("models.setSettings", { modelId: dense.id, settings: { pyramid: { ...STEEP, on: false } } });
        const model = t.core.models.get(dense.id);
        expect(model.loaded?.pyramid).toBeUndefined();
        expect(model.loaded?.chatSlots).toBe(2);
        expect(model.compareCopy).toBeUndefined();
    }, 120_000);
});
