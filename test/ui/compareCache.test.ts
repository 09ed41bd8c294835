/**
 * The Compare view's cache line and memory ratio, from each model file's shape (api/cacheMath), for
 * every architecture: BASED's (the based-w16 fixture, window 16) is flat past its window, RecurFormer's
 * grows slowly on a fixed state, dense's grows linearly from zero, a PyramidInfer lane's bends where its
 * layers stop keeping only their recent window; each point equals the engine's CacheMeter figure.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { CacheType, CompareSample, Metrics, ModelInfo, ModelShape } from "../../api/appApi";
import { shapeCacheBytesAt } from "../../api/cacheMath";
import { CacheMeter } from "../../engine/runtime/CacheMeter";
import { GgufShape } from "../../engine/runtime/gguf/GgufShape";
import { cacheBytesFor } from "../../renderer/src/lib/laneCache";
import { computedCachePoints } from "../../renderer/src/stores/compare";
import { compareMemory } from "../../renderer/src/stores/ratios";
import { ensureFixtures, fixture } from "../runtime/helpers";

const shapes: Record<"based" | "dense" | "recurformer", ModelShape> = {} as never;
const model = (shape: ModelShape, cacheType: CacheType = "f16"): Pick<ModelInfo, "shape" | "settings"> => ({ shape, settings: { contextSize: 2048, threads: 0, gpuLayers: 0, cacheType } });
/** what the engine sends while a run goes on: its cache computed by CacheMeter at each token count */
const samplesOf = (shape: ModelShape, tokens: number[]): CompareSample[] => tokens.map((n, i) => ({ t: i, tokensInContext: n, cacheBytesComputed: new CacheMeter(shape).bytesAt(n), phase: "decode" }));
const run = (shape: ModelShape, tokens: number): Metrics => ({ modelId: shape.name, tokensInContext: tokens, contextSize: 2048, cacheBytesComputed: new CacheMeter(shape).bytesAt(tokens), phase: "done" });

beforeAll(async () => {
    ensureFixtures();
    shapes.based = (await GgufShape.read(fixture("based-w16.gguf"))).shape;
    shapes.dense = (await GgufShape.read(fixture("bench-dense.gguf"))).shape;
    shapes.recurformer = (await GgufShape.read(fixture("bench-recurformer.gguf"))).shape;
});

describe("the Compare view's cache figures, from each shape", () => {
    it("equal the engine's CacheMeter at every token count, for dense, RecurFormer and BASED, f16 and q8_0", () => {
        for (const [kind, shape] of Object.entries(shapes)) {
            for (const cacheType of ["f16", "q8_0"] as const) {
                if (shape.kvBytesPerTokenByType[cacheType] == null) { expect(shapeCacheBytesAt(shape, 10, cacheType)).toBeUndefined(); continue; }
                const meter = new CacheMeter(shape, { cacheType });
                for (const n of [0, 1, 8, 15, 16, 17, 100, 1000, 16_384]) expect(shapeCacheBytesAt(shape, n, cacheType), `${kind} ${cacheType} at ${n}`).toBe(meter.bytesAt(n));
            }
        }
    });

    it("draws BASED flat past its window: 0, w, then the samples, every point the CacheMeter figure", () => {
        const based = shapes.based;
        expect(based.window?.tokens).toBe(16);
        const meter = new CacheMeter(based);
        const points = computedCachePoints(samplesOf(based, [40, 41, 90]), model(based));
        expect(points.map((p) => p.x)).toEqual([0, 16, 40, 41, 90]);
        for (const p of points) expect(p.y).toBe(meter.bytesAt(p.x));
        // growing up to w (window KV), then not at all: the fixed state plus w tokens of window KV
        expect(points[1]!.y - points[0]!.y).toBe(16 * based.window!.kvBytesPerToken);
        expect(new Set(points.slice(1).map((p) => p.y))).toEqual(new Set([based.recurrentStateBytes + 16 * based.window!.kvBytesPerToken]));
    });

    it("draws dense linear from zero and RecurFormer slowly from its fixed state", () => {
        const dense = computedCachePoints(samplesOf(shapes.dense, [40, 90]), model(shapes.dense));
        expect(dense[0]).toEqual({ x: 0, y: 0 });
        for (const p of dense.slice(1)) expect(p.y / p.x).toBe(shapes.dense.kvBytesPerToken);
        const rf = computedCachePoints(samplesOf(shapes.recurformer, [40, 90]), model(shapes.recurformer));
        expect(rf[0]).toEqual({ x: 0, y: shapes.recurformer.recurrentStateBytes });
        expect((rf[2]!.y - rf[1]!.y) / 50).toBe(shapes.recurformer.kvBytesPerToken);
        expect(shapes.recurformer.kvBytesPerToken).toBeLessThan(shapes.dense.kvBytesPerToken);
        // a lane with no sample yet draws nothing
        expect(computedCachePoints([], model(shapes.dense))).toEqual([]);
    });

    it("compares BASED with dense at the shorter run's count, BASED's bytes there from its shape (flat), not scaled linearly", () => {
        // BASED ran to 90 tokens, dense to 60: both at 60
        const m = compareMemory(run(shapes.based, 90), run(shapes.dense, 60), model(shapes.based), model(shapes.dense), { ours: "BASED", base: "Dense" })!;
        expect(m.tokens).toBe(60);
        expect(m.oursBytes).toBe(new CacheMeter(shapes.based).bytesAt(60));
        expect(m.oursBytes).toBe(new CacheMeter(shapes.based).bytesAt(90));
        expect(m.baseBytes).toBe(60 * shapes.dense.kvBytesPerToken);
        expect(m.text).toMatch(/^BASED \d+\.\d% less$/);
        expect(m.note).toMatch(/^both at 60 tokens: .* vs Dense .* · computed$/);
        // and the other way round: dense at BASED's shorter count, from dense's shape
        const back = compareMemory(run(shapes.dense, 120), run(shapes.based, 30), model(shapes.dense), model(shapes.based), { ours: "Dense", base: "BASED" })!;
        expect(back).toMatchObject({ tokens: 30, oursBytes: 30 * shapes.dense.kvBytesPerToken, baseBytes: new CacheMeter(shapes.based).bytesAt(30), good: false });
        // without a shape for the run that went further there is no honest figure at the other count
        expect(compareMemory(run(shapes.based, 90), run(shapes.dense, 60), undefined, model(shapes.dense))).toBeUndefined();
    });

    it("draws a PyramidInfer lane as the engine counts it: at every point, f16 and q8_0, dense and RecurFormer", () => {
        const steep = { r0: 0.8, decay: 0.7, recent: 16 };
        for (const shape of [shapes.dense, shapes.recurformer]) {
            for (const cacheType of ["f16", "q8_0"] as const) {
                const meter = new CacheMeter(shape, { cacheType, pyramid: steep });
                const lane = { shape, settings: { cacheType }, pyramid: steep };
                for (const n of [0, 1, 16, 17, 23, 100, 1000, 16_384]) expect(cacheBytesFor(lane, n), `${shape.name} ${cacheType} at ${n}`).toBe(meter.bytesAt(n));
                const samples = [90, 400].map((n, i): CompareSample => ({ t: i, tokensInContext: n, cacheBytesComputed: meter.bytesAt(n), phase: "decode" }));
                const points = computedCachePoints(samples, lane);
                // 0, the recent window, each layer's bend (16 / (0.8 x 0.7^l), up to 400), then the samples
                expect(points.map((p) => p.x)).toEqual([0, 16, 20, 29, 41, 59, 84, 90, 119, 170, 243, 400]);
                for (const p of points) expect(p.y).toBe(meter.bytesAt(p.x));
            }
        }
        // thinner than the full cache past the recent window, the same below it
        const full = { shape: shapes.dense, settings: { cacheType: "f16" as const } };
        expect(cacheBytesFor({ ...full, pyramid: steep }, 16)).toBe(cacheBytesFor(full, 16));
        expect(cacheBytesFor({ ...full, pyramid: steep }, 1000)).toBeLessThan(cacheBytesFor(full, 1000)! / 2);
    });

    it("compares a PyramidInfer lane with the full cache's at one count, from the schedule", () => {
        const steep = { r0: 0.8, decay: 0.7, recent: 64 };
        const pyramidRun: Metrics = { ...run(shapes.dense, 500), cacheBytesComputed: new CacheMeter(shapes.dense, { pyramid: steep }).bytesAt(500) };
        const m = compareMemory(pyramidRun, run(shapes.dense, 300), { ...model(shapes.dense), pyramid: steep }, model(shapes.dense), { ours: "Dense + PyramidInfer", base: "Dense" })!;
        expect(m.tokens).toBe(300);
        expect(m.oursBytes).toBe(new CacheMeter(shapes.dense, { pyramid: steep }).bytesAt(300));
        expect(m.text).toMatch(/^Dense \+ PyramidInfer \d+\.\d% less$/);
    });
});
