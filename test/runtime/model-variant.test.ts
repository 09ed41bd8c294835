// Model variants (engine/runtime/modelVariant.ts): a model file with its KV cache type and PyramidInfer schedule,
// as bench, api and engine/pipeline/evaluate.mjs take them in a comma-separated list.
import {describe, expect, it} from "vitest";
import {formatModelVariant, parseModelVariant, parseModelVariants} from "../../engine/runtime/modelVariant.js";
import {PyramidScheduleError} from "../../api/pyramidCache.js";

describe("model variants", () => {
    it("reads PATH[@q8_0][@pyramid:SCHEDULE] in either order, the schedule in the engine's canonical form", () => {
        expect(parseModelVariant("a/dense.gguf")).toEqual({path: "a/dense.gguf"});
        expect(parseModelVariant("rf.gguf@q8_0")).toEqual({path: "rf.gguf", cacheType: "q8_0"});
        expect(parseModelVariant("d.gguf@pyramid:r0=0.8,decay=0.7")).toEqual({path: "d.gguf", pyramid: "r0=0.8,decay=0.7,recent=64,queries=16"});
        expect(parseModelVariant("d.gguf@pyramid:decay=.7,r0=1,every=128@q8_0"))
            .toEqual({path: "d.gguf", cacheType: "q8_0", pyramid: "r0=1,decay=0.7,recent=64,queries=16,every=128"});
        expect(formatModelVariant(parseModelVariant("d.gguf@q8_0@pyramid:r0=0.8,decay=0.7"))).toBe("d.gguf@q8_0@pyramid:r0=0.8,decay=0.7,recent=64,queries=16");
        expect(formatModelVariant({path: "d.gguf", cacheType: "f16"})).toBe("d.gguf");
    });

    it("keeps a schedule's items with its model in a comma-separated list", () => {
        expect(parseModelVariants("d.gguf,d.gguf@pyramid:r0=0.8,decay=0.7,recent=32,rf.gguf@q8_0,rf.gguf@pyramid:r0=1, decay=0.8")).toEqual([
            {path: "d.gguf"},
            {path: "d.gguf", pyramid: "r0=0.8,decay=0.7,recent=32,queries=16"},
            {path: "rf.gguf", cacheType: "q8_0"},
            {path: "rf.gguf", pyramid: "r0=1,decay=0.8,recent=64,queries=16"}
        ]);
        // without a @pyramid: before it, r0=... is a file name
        expect(parseModelVariants("r0=1.gguf,x.gguf")).toEqual([{path: "r0=1.gguf"}, {path: "x.gguf"}]);
    });

    it("says what is wrong", () => {
        expect(() => parseModelVariant("d.gguf@q4_0")).toThrow(/unknown option "@q4_0" \(options: @q8_0, @pyramid:SCHEDULE\)/);
        expect(() => parseModelVariant("d.gguf@q8_0@f16")).toThrow(/two cache types/);
        expect(() => parseModelVariant("d.gguf@pyramid:r0=1,decay=1@pyramid:r0=1,decay=1")).toThrow(/two PyramidInfer schedules/);
        expect(() => parseModelVariant("@q8_0")).toThrow(/no file before its @ options/);
        expect(() => parseModelVariants("d.gguf@pyramid:r0=0.8")).toThrow(PyramidScheduleError);
    });
});
