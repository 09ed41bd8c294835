/** PyramidInfer cache arithmetic: the schedule (same numbers as engine/pipeline/tests/test_pyramid.py), bytes on the default pair's shape, allocated cells. */
import { describe, expect, it } from "vitest";
import { denseKvBytesPerToken, recurformerCache } from "../../api/cacheMath";
import {
    PyramidScheduleError, formatPyramidSchedule, parsePyramidSchedule, pyramidCells, pyramidKeep, pyramidKvBytes, pyramidRetained
} from "../../api/pyramidCache";

// the default pair (assets/models/README.md): 8 layers, 8 KV heads of 64, F16
const pair = { name: "default pair", layers: 8, heads: 8, kvHeads: 8, headDim: 64, contextLength: 16_384 };
const denseLayer = Array(8).fill(denseKvBytesPerToken(pair) / 8);
const rf = recurformerCache(pair, 1);
const rfLayer = Array(8).fill(rf.kvBytesPerToken / 8);
const A = { r0: 1.0, decay: 0.8, recent: 64 };
const B = { r0: 0.8, decay: 0.7, recent: 64 };

describe("PyramidInfer cache arithmetic", () => {
    it("keeps round(n r0 decay^l) tokens, never fewer than the recent window nor more than n", () => {
        const s = { r0: 0.8, decay: 0.7, recent: 16 };
        expect([0, 1, 2, 3].map((l) => pyramidKeep(50, l, s))).toEqual([40, 28, 20, 16]);
        expect([0, 1, 2, 3].map((l) => pyramidKeep(55, l, s))).toEqual([44, 31, 22, 16]);
        expect([10, 16, 17].map((n) => pyramidKeep(n, 0, s))).toEqual([10, 16, 16]);
        expect(pyramidRetained(53, 4, s, 3)).toEqual([43, 31, 23, 19]);
    });

    it("sizes the default pair at 16k tokens for two schedules", () => {
        expect(denseLayer[0]).toBe(2048);
        expect(rfLayer[0]).toBe(256);
        expect(pyramidRetained(16_384, 8, A)).toEqual([16384, 13107, 10486, 8389, 6711, 5369, 4295, 3436]);
        expect(pyramidRetained(16_384, 8, B)).toEqual([13107, 9175, 6423, 4496, 3147, 2203, 1542, 1079]);
        expect(pyramidKvBytes(16_384, denseLayer, A)).toBe(68_177 * 2048);       // 133.2 MiB of 256 MiB: 52.0%
        expect(pyramidKvBytes(16_384, denseLayer, B)).toBe(41_172 * 2048);       // 80.4 MiB: 31.4%
        expect(pyramidKvBytes(16_384, rfLayer, A)).toBe(68_177 * 256);           // 16.6 MiB of 32 MiB KV
        expect(pyramidKvBytes(16_384, rfLayer, B)).toBe(41_172 * 256);           // 10.1 MiB
        expect(rf.recurrentStateBytes).toBe(1_046_528);                          // untouched by retention
        expect(pyramidKvBytes(16_384, denseLayer, { r0: 1, decay: 1, recent: 64 })).toBe(16_384 * 16_384);
    });

    it("allocates the most each layer holds between selections, one batch over the schedule", () => {
        expect(pyramidCells(16_384, 8, A)).toEqual([16384, 13312, 10752, 8704, 7168, 5888, 4864, 4096]);
        expect(pyramidCells(16_384, 8, B)).toEqual([13312, 9472, 6912, 5120, 3584, 2816, 2048, 1792]);
        expect(pyramidCells(16_384, 8, A, 64).reduce((a, b) => a + b)).toBeLessThan(1.05 * 68_177);
    });

    it("allocates for `every` tokens between selections when it is more than one batch", () => {
        expect(pyramidCells(16_384, 8, { ...B, every: 1024 }, 512)).toEqual(pyramidCells(16_384, 8, B, 1024));
        expect(pyramidCells(16_384, 8, { ...B, every: 128 }, 512)).toEqual(pyramidCells(16_384, 8, B, 512));
    });
});

describe("PyramidInfer schedule text", () => {
    it("reads the engine's key=value form, fills recent and queries with the engine's defaults, and writes it back", () => {
        expect(parsePyramidSchedule("r0=0.8,decay=0.7")).toEqual({ r0: 0.8, decay: 0.7, recent: 64, queries: 16 });
        expect(parsePyramidSchedule(" decay = .7 , r0=1, recent=32,every=128,queries=8 "))
            .toEqual({ r0: 1, decay: 0.7, recent: 32, queries: 8, every: 128 });
        expect(formatPyramidSchedule(parsePyramidSchedule("decay=0.70,r0=8e-1,every=512"))).toBe("r0=0.8,decay=0.7,recent=64,queries=16,every=512");
        expect(formatPyramidSchedule({ r0: 1, decay: 0.8, recent: 64 })).toBe("r0=1,decay=0.8,recent=64");
        const canonical = "r0=0.8,decay=0.7,recent=64,queries=16,every=512";
        expect(formatPyramidSchedule(parsePyramidSchedule(canonical))).toBe(canonical);
    });

    it.each([
        ["", /expected key=value/],
        ["r0=0.8,decay 0.7", /expected key=value items separated by commas, got "decay 0.7"/],
        ["r0=0.8;decay=0.7", /r0 must be a number above 0 and at most 1 .*got "0.8;decay=0.7"/],
        ["r0=0.8", /decay is missing/],
        ["decay=0.7", /r0 is missing/],
        ["r0=0.8,decay=0.7,keep=3", /unknown key "keep"/],
        ["r0=0.8,decay=0.7,r0=0.5", /r0 is given twice/],
        ["r0=0,decay=0.7", /r0 must be a number above 0 and at most 1 .*got "0"/],
        ["r0=1.5,decay=0.7", /r0 must be a number above 0 and at most 1/],
        ["r0=0.8,decay=abc", /decay must be a number above 0 and at most 1 .*got "abc"/],
        ["r0=0.8,decay=0x1", /decay must be/],
        ["r0=0.8,decay=0.7,recent=0", /recent must be a whole number of tokens >= 1 .*got "0"/],
        ["r0=0.8,decay=0.7,recent=12.5", /recent must be a whole number/],
        ["r0=0.8,decay=0.7,queries=-1", /queries must be a whole number/],
        ["r0=0.8,decay=0.7,every=", /every must be a whole number/],
        ["r0=0.8,decay=0.7,queries=32,every=16", /queries \(32\) must not exceed every \(16\)/],
    ])("refuses %j, saying why", (text, why) => {
        expect(() => parsePyramidSchedule(text)).toThrow(PyramidScheduleError);
        expect(() => parsePyramidSchedule(text)).toThrow(why);
    });
});
