/** The per-model PyramidInfer setting: its presets, its checks (the engine's parser's words), its label, and the API's refusal of a bad one. */
import { describe, expect, it } from "vitest";
import { formatPyramidSchedule, parsePyramidSchedule } from "../../api/pyramidCache";
import { DEFAULT_PYRAMID, PYRAMID_PRESETS, activePyramid, pyramidLabel, pyramidProblem, pyramidSettingOf, pyramidUnsupported } from "../../api/pyramidSetting";
import { layerKvBytesPerToken, pyramidCacheBytesAt } from "../../api/pyramidShape";
import { validateParams } from "../../api/validate";

describe("the PyramidInfer setting", () => {
    it("is off by default, with the steeper preset and the engine's recent window ready", () => {
        expect(pyramidSettingOf({})).toEqual({ on: false, r0: 0.8, decay: 0.7, recent: 64 });
        expect(activePyramid({})).toBeUndefined();
        expect(activePyramid({ pyramid: { ...DEFAULT_PYRAMID, on: false } })).toBeUndefined();
        expect(activePyramid({ pyramid: { on: true, r0: 1, decay: 0.8, recent: 32 } })).toEqual({ r0: 1, decay: 0.8, recent: 32 });
    });

    it("offers the two schedules issue 15 measures, each one the engine loads", () => {
        expect(PYRAMID_PRESETS.map((p) => p.label)).toEqual(["r0 1.0 / decay 0.8", "r0 0.8 / decay 0.7"]);
        for (const p of PYRAMID_PRESETS) {
            expect(pyramidProblem({ r0: p.r0, decay: p.decay, recent: 64 })).toBeUndefined();
            expect(parsePyramidSchedule(formatPyramidSchedule({ r0: p.r0, decay: p.decay, recent: 64 }))).toMatchObject({ r0: p.r0, decay: p.decay, recent: 64 });
        }
    });

    it("says what is wrong with a schedule in the engine parser's words", () => {
        expect(pyramidProblem({ r0: 1.5, decay: 0.7, recent: 64 })).toMatch(/r0 must be a number above 0 and at most 1 \(the first layer's share of the tokens seen\), got "1.5"/);
        expect(pyramidProblem({ r0: 0.8, decay: 0, recent: 64 })).toMatch(/decay must be a number above 0 and at most 1/);
        expect(pyramidProblem({ r0: 0.8, decay: Number.NaN, recent: 64 })).toMatch(/decay must be a number above 0 and at most 1.*got "NaN"/);
        expect(pyramidProblem({ r0: 0.8, decay: 0.7, recent: 0 })).toMatch(/recent must be a whole number of tokens >= 1/);
        expect(pyramidProblem({ r0: 0.8, decay: 0.7, recent: 2.5 })).toMatch(/recent must be a whole number/);
    });

    it("labels a schedule as the app shows it beside the model's kind", () => {
        expect(pyramidLabel({ r0: 0.8, decay: 0.7, recent: 64 })).toBe("PyramidInfer r0 0.8/0.7");
        expect(pyramidLabel({ r0: 1, decay: 0.8, recent: 64 })).toBe("PyramidInfer r0 1.0/0.8");
        expect(pyramidLabel({ r0: 0.75, decay: 0.9, recent: 32 })).toBe("PyramidInfer r0 0.75/0.9, recent 32");
    });

    it("works with llama and RecurFormer files only, and says why not for the others", () => {
        expect(pyramidUnsupported("llama")).toBeUndefined();
        expect(pyramidUnsupported("recurformer")).toBeUndefined();
        expect(pyramidUnsupported("based")).toBe("PyramidInfer works with llama and recurformer models only (their llama.cpp graphs take one KV cache per layer); this one is based.");
    });

    it("is refused by the API with a clear message when it cannot load, and accepted when it can", () => {
        const params = (pyramid: unknown) => ({ modelId: "m-1", settings: { pyramid } });
        expect(validateParams("models.setSettings", params({ on: true, r0: 0.8, decay: 0.7, recent: 64 }))).toEqual(params({ on: true, r0: 0.8, decay: 0.7, recent: 64 }));
        expect(() => validateParams("models.setSettings", params({ on: true, r0: 2, decay: 0.7, recent: 64 })))
            .toThrow(/^params\.settings\.pyramid is not a schedule the engine can load: PyramidInfer schedule "r0=2,decay=0.7,recent=64": r0 must be a number above 0 and at most 1/);
        expect(() => validateParams("models.setSettings", params({ on: true, r0: "0.8", decay: 0.7, recent: 64 }))).toThrow("params.settings.pyramid.r0 must be a number");
        expect(() => validateParams("models.setSettings", params({ on: "yes", r0: 0.8, decay: 0.7, recent: 64 }))).toThrow("params.settings.pyramid.on must be true or false");
        expect(() => validateParams("models.setSettings", params({ on: true, r0: 0.8, decay: 0.7, recent: 64, every: 8 }))).toThrow("params.settings.pyramid.every is not allowed");
    });

    it("lets a comparison say for each lane whether it runs with PyramidInfer", () => {
        expect(validateParams("compare.start", { prompt: "p", modelIds: ["d", "d", "r", "r"], pyramid: [false, true, false, true], mode: "sequential" }))
            .toEqual({ prompt: "p", modelIds: ["d", "d", "r", "r"], pyramid: [false, true, false, true], mode: "sequential" });
        expect(() => validateParams("compare.start", { prompt: "p", modelIds: ["d", "r"], pyramid: ["on", false], mode: "sequential" })).toThrow("params.pyramid[0] must be true or false");
    });
});

describe("PyramidInfer on a model file's shape", () => {
    // the default pair's shapes (assets/models/README.md): 8 layers of 8 KV heads of 64; RecurFormer keeps one per layer
    const dense = { kvHeadsPerLayer: Array(8).fill(8), headDim: 64, valueHeadDim: 64, recurrentStateBytes: 0 };
    const rf = { kvHeadsPerLayer: Array(8).fill(1), headDim: 64, valueHeadDim: 64, recurrentStateBytes: 1_046_528 };
    const steep = { r0: 0.8, decay: 0.7, recent: 64 };

    it("gives each layer its KV heads' bytes per token, f16 and q8_0", () => {
        expect(layerKvBytesPerToken(dense)).toEqual(Array(8).fill(2048));
        expect(layerKvBytesPerToken(dense, "q8_0")).toEqual(Array(8).fill(1088));
        expect(layerKvBytesPerToken(rf)).toEqual(Array(8).fill(256));
    });

    it("holds the schedule's tokens per layer plus the untouched recurrent state", () => {
        expect(pyramidCacheBytesAt(dense, steep, 16_384)).toBe(41_172 * 2048);
        expect(pyramidCacheBytesAt(rf, steep, 16_384)).toBe(41_172 * 256 + 1_046_528);
        // at most the recent window: every layer keeps every token
        expect(pyramidCacheBytesAt(dense, steep, 50)).toBe(50 * 8 * 2048);
    });
});
