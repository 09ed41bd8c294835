/** Cache arithmetic: the real shapes, the recurrent state formula, and the projection series. */
import { describe, expect, it } from "vitest";
import {
    REAL_SHAPES, basedCache, cacheBytesAt, denseKvBytesPerToken, keptKvHeads, ourReduction, projectShape, projectionPoints, recurformerCache, shapeCacheBytesAt, shapeCacheCurve,
} from "../../api/cacheMath";
import { formatBytes } from "../../api/format";

const shape = (name: string) => REAL_SHAPES.find((s) => s.name === name)!;

describe("cache math", () => {
    it("computes the published dense KV sizes per token (f16)", () => {
        expect(denseKvBytesPerToken(shape("Llama-2-7B"))).toBe(512 * 1024);
        expect(denseKvBytesPerToken(shape("Qwen2-7B"))).toBe(56 * 1024);
        expect(denseKvBytesPerToken(shape("Llama-3-8B"))).toBe(128 * 1024);
        expect(denseKvBytesPerToken(shape("Llama-3-8B"), "q8_0")).toBe(128 * 1024 * 34 / 64);
    });

    it("keeps whole KV groups, at least one per layer", () => {
        expect(keptKvHeads(shape("Llama-2-7B"), 1)).toBe(4);
        expect(keptKvHeads(shape("Llama-3-8B"), 1)).toBe(1);
        expect(keptKvHeads(shape("Llama-3-8B"), 4)).toBe(4);
        expect(keptKvHeads(shape("Qwen2-7B"), 1)).toBe(1);
    });

    it("sizes the recurrent state as the engine does (the bench fixture: 8 layers, 8 heads of 64, keep 1 of 8)", () => {
        const bench = { name: "bench", layers: 8, heads: 8, kvHeads: 8, headDim: 64, contextLength: 2048 };
        const rf = recurformerCache(bench, 1);
        // the real engine reports 1,046,528 recurrent bytes and 2 KiB/token for bench-recurformer.gguf
        expect(rf.recurrentStateBytes).toBe(1_046_528);
        expect(rf.kvBytesPerToken).toBe(2048);
        expect(recurformerCache(bench, 8).recurrentStateBytes).toBe(0);
    });

    it("approaches the KV share removed as the context grows", () => {
        const llama2 = shape("Llama-2-7B");
        expect(ourReduction(llama2, 10_240)).toBeCloseTo(0.869, 3);
        expect(ourReduction(llama2, 61_440)).toBeCloseTo(0.874, 3);
        expect(ourReduction(llama2, 10_000_000)).toBeLessThan(0.875);
    });

    it("projects dense, keep 1/8, 2/8, 4/8, q8_0, BASED (w 64 and 256) and PyramidInfer to 128k", () => {
        const points = projectionPoints();
        expect(points[0]).toBe(512);
        expect(points[points.length - 1]).toBe(131_072);
        const series = projectShape(shape("Llama-3-8B"), points);
        expect(series.map((s) => s.label)).toEqual(["dense (f16)", "RecurFormer keep 1/8", "RecurFormer keep 2/8", "RecurFormer keep 4/8", "RecurFormer keep 1/8, q8_0", "dense, q8_0", "BASED w 64, d' 16", "BASED w 256, d' 16",
            "dense + PyramidInfer r0 1.0/0.8", "dense + PyramidInfer r0 0.8/0.7", "RecurFormer keep 1/8 + PyramidInfer r0 0.8/0.7"]);
        const last = points.length - 1;
        expect(series[0]!.bytes[last]).toBe(cacheBytesAt(131_072, 128 * 1024));
        for (let i = 1; i < series.length; i++) expect(series[i]!.bytes[last]).toBeLessThan(series[0]!.bytes[last]!);
        // BASED: the same bytes at every point past its window, and the larger window a little larger
        for (const label of ["BASED w 64, d' 16", "BASED w 256, d' 16"]) expect(new Set(series.find((s) => s.label === label)!.bytes).size).toBe(1);
        expect(series[7]!.bytes[0]! - series[6]!.bytes[0]!).toBe((256 - 64) * basedCache(shape("Llama-3-8B"), { window: 64, featureDim: 16 }).window.kvBytesPerToken);
    });

    it("draws PyramidInfer as the schedule keeps: the default pair's shape at 16k (test/api/pyramidCache.test.ts's figures)", () => {
        const pair = { name: "default pair", layers: 8, heads: 8, kvHeads: 8, headDim: 64, contextLength: 16_384 };
        const series = projectShape(pair, [16_384]);
        const at = (label: string) => series.find((s) => s.label === label)!.bytes[0];
        expect(at("dense + PyramidInfer r0 1.0/0.8")).toBe(68_177 * 2048);
        expect(at("dense + PyramidInfer r0 0.8/0.7")).toBe(41_172 * 2048);
        expect(at("RecurFormer keep 1/8 + PyramidInfer r0 0.8/0.7")).toBe(41_172 * 256 + recurformerCache(pair, 1).recurrentStateBytes);
        // below the recent window every layer keeps everything: the plain line
        expect(projectShape(pair, [64]).find((s) => s.label === "dense + PyramidInfer r0 0.8/0.7")!.bytes[0]).toBe(64 * denseKvBytesPerToken(pair));
    });

    it("sizes a model file's shape as the engine does, and draws its line through the points where it bends", () => {
        // a BASED file's shape (the based-w16 fixture's figures): no growing KV, 16 tokens of window KV, a fixed state
        const based = { kvBytesPerTokenByType: { f16: 0, q8_0: 0 }, recurrentStateBytes: 79_136, window: { tokens: 16, kvBytesPerToken: 1024, kvBytesPerTokenByType: { f16: 1024, q8_0: 544 } } };
        expect(shapeCacheBytesAt(based, 10)).toBe(10 * 1024 + 79_136);
        expect(shapeCacheBytesAt(based, 16)).toBe(shapeCacheBytesAt(based, 10_000));
        expect(shapeCacheBytesAt(based, 100, "q8_0")).toBe(16 * 544 + 79_136);
        expect(shapeCacheCurve(based, 200)).toEqual([{ tokens: 0, bytes: 79_136 }, { tokens: 16, bytes: 16 * 1024 + 79_136 }, { tokens: 200, bytes: 16 * 1024 + 79_136 }]);
        expect(shapeCacheCurve(based, 8)).toEqual([{ tokens: 0, bytes: 79_136 }, { tokens: 8, bytes: 8 * 1024 + 79_136 }]);
        // dense and RecurFormer: straight lines, from 0 and from the fixed state
        const dense = { kvBytesPerTokenByType: { f16: 16_384 }, recurrentStateBytes: 0 };
        expect(shapeCacheCurve(dense, 100)).toEqual([{ tokens: 0, bytes: 0 }, { tokens: 100, bytes: 1_638_400 }]);
        const rf = { kvBytesPerTokenByType: { f16: 2048 }, recurrentStateBytes: 1_046_528 };
        expect(shapeCacheCurve(rf, 100)).toEqual([{ tokens: 0, bytes: 1_046_528 }, { tokens: 100, bytes: 1_046_528 + 204_800 }]);
        // a cache type llama.cpp cannot use for the shape: no figure, not a wrong one
        expect(shapeCacheBytesAt(dense, 100, "q8_0")).toBeUndefined();
        expect(shapeCacheCurve(dense, 100, "q8_0")).toBeUndefined();
    });

    it("formats bytes with binary units", () => {
        expect(formatBytes(0)).toBe("0 B");
        expect(formatBytes(1536)).toBe("1.50 KiB");
        expect(formatBytes(300 * 1024 * 1024)).toBe("300 MiB");
        expect(formatBytes(undefined)).toBe("—");
    });

    it("sizes BASED as a fixed state plus w tokens of window KV, flat past the window", () => {
        const llama2 = shape("Llama-2-7B");
        const b = basedCache(llama2, { window: 64, featureDim: 16 });
        // 16 linear layers: conv 2 x 4096 x 4 + 32 heads x 273 features x 129 x 4; 16 window layers: 4096 x 2 x 2 bytes
        expect(b.recurrentStateBytes).toBe(16 * (2 * 4096 * 4 + 32 * 273 * 129 * 4));
        expect(b.window.kvBytesPerToken).toBe(16 * 4096 * 2 * 2);
        expect(cacheBytesAt(10, b.kvBytesPerToken, b.recurrentStateBytes, b.window)).toBe(10 * 16 * 4096 * 4 + b.recurrentStateBytes);
        const at1k = cacheBytesAt(1024, b.kvBytesPerToken, b.recurrentStateBytes, b.window);
        expect(cacheBytesAt(16_384, b.kvBytesPerToken, b.recurrentStateBytes, b.window)).toBe(at1k);
        expect(at1k).toBe(64 * 16 * 4096 * 4 + b.recurrentStateBytes);
        expect(basedCache(llama2, { window: 64, featureDim: 16 }, "q8_0").window.kvBytesPerToken).toBe(16 * 4096 * 2 * 34 / 32);
    });
});
