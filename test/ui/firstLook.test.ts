/**
 * What a new user reads (issue 18): comparisons of like with like, colours and words that name the
 * larger side, chart labels, the KV buffer and kept heads in words, chat rows and model pickers.
 */
import { describe, expect, it } from "vitest";
import type { ChatSummary, Metrics, ModelInfo } from "../../api/appApi";
import { projectShape, REAL_SHAPES } from "../../api/cacheMath";
import { binaryDecades, binaryTick, legendValue, markersWhenFew, projectionStyles, rateTick } from "../../renderer/src/lib/chartFormat";
import { chatRowMeta, chatRowTitle } from "../../renderer/src/stores/chats";
import { headsKeptText, kvBufferText, modelHoverTitle, modelShortName } from "../../renderer/src/stores/models";
import { compareMemory, compareSnapshot, compareSpeed, MIN_DECODE_TOKENS } from "../../renderer/src/stores/ratios";

const run = (over: Partial<Metrics> = {}): Metrics => ({ modelId: "m", tokensInContext: 4000, contextSize: 16384, cacheBytesComputed: 1, phase: "done", ...over });

const rfModel = (over: Partial<ModelInfo> = {}): ModelInfo => ({
    id: "rf", path: "/models/recurformer.gguf", fileName: "recurformer.gguf", origin: "default", kind: "recurformer", status: "loaded",
    settings: { contextSize: 16384, threads: 0, gpuLayers: 0, cacheType: "f16" },
    shape: { architecture: "recurformer", name: "recurformer-desktop-dense-recurformer-keep1of8", layers: 8, embeddingLength: 512, contextLength: 16384, headDim: 64, valueHeadDim: 64, headsPerLayer: Array(8).fill(1), kvHeadsPerLayer: Array(8).fill(1), sourceHeads: 8, sourceKvHeads: 8, recurrentLayers: Array(8).fill(true), kvBytesPerToken: 2048, kvBytesPerTokenByType: { f16: 2048 }, recurrentStateBytes: 1048576, vocabularySize: 16384, parameterCount: 1, fileBytes: 1 },
    ...over,
});

describe("2. ratios only of like with like, resting on enough tokens", () => {
    it("withholds a decode ratio over 5 tokens and says why", () => {
        const c = compareSpeed("decode", run({ generatedTokens: 5, decodeTokensPerSecond: 140, tokensInContext: 64 }), run({ generatedTokens: 58, decodeTokensPerSecond: 205, tokensInContext: 75 }));
        expect(c.withheld).toBe(true);
        expect(c.text).toBe("—");
        expect(c.note).toContain(`5 and 58 tokens decoded, too few (needs ${MIN_DECODE_TOKENS} each)`);
    });

    it("withholds a first-token ratio of a snapshot resume against a full dense read", () => {
        const c = compareSpeed("firstToken", run({ promptTokens: 1, promptTokensReused: 4378, timeToFirstTokenMs: 27 }), run({ promptTokens: 4379, timeToFirstTokenMs: 4160 }));
        expect(c.withheld).toBe(true);
        expect(c.note).toMatch(/not the same work.*RecurFormer read 1 \(resumed from a snapshot\).*dense 4,379/);
    });

    it("compares like runs and says what the ratio rests on", () => {
        const c = compareSpeed("decode", run({ generatedTokens: 96, decodeTokensPerSecond: 130 }), run({ generatedTokens: 90, decodeTokensPerSecond: 100 }));
        expect(c).toMatchObject({ withheld: false, good: true, text: "RecurFormer 1.30× faster", note: "over 96 and 90 decoded tokens · measured" });
        const slower = compareSpeed("prefill", run({ promptTokens: 3850, prefillTokensPerSecond: 1000 }), run({ promptTokens: 3850, prefillTokensPerSecond: 1900 }));
        expect(slower).toMatchObject({ good: false, text: "dense 1.90× faster", note: "both read 3,850 prompt tokens · measured" });
    });

    it("computes memory for both at one token count when the runs stopped at different lengths", () => {
        // RecurFormer stopped at 22 tokens, dense at 58: both at 22, not RecurFormer's 22 against dense's 58
        const rf = run({ tokensInContext: 58, cacheBytesComputed: 1048576 + 58 * 2048, denseCacheBytesComputed: 58 * 16384 });
        const dense = run({ tokensInContext: 22, cacheBytesComputed: 22 * 16384 });
        const m = compareMemory(rf, dense, rfModel())!;
        expect(m.tokens).toBe(22);
        expect(m.oursBytes).toBe(1048576 + 22 * 2048);
        expect(m.baseBytes).toBe(22 * 16384);
        expect(m.note).toMatch(/^both at 22 tokens/);
        expect(m.good).toBe(false);
    });
});

describe("3. green only when RecurFormer wins, and the larger side named", () => {
    it("a snapshot 2.9x larger than the dense state is not green, and says it is RecurFormer's", () => {
        expect(compareSnapshot(1 / 2.9)).toEqual({ text: "RecurFormer's snapshot 2.9× larger", good: false });
        expect(compareSnapshot(29)).toEqual({ text: "RecurFormer's snapshot 29× smaller", good: true });
    });

    it("a slower RecurFormer is named as such, never green", () => {
        const c = compareSpeed("firstToken", run({ promptTokens: 500, timeToFirstTokenMs: 900 }), run({ promptTokens: 500, timeToFirstTokenMs: 600 }));
        expect(c).toMatchObject({ good: false, text: "dense 1.50× sooner" });
    });
});

describe("4. chart labels", () => {
    it("a tokens/s axis writes 0 as 0", () => {
        expect(rateTick(0)).toBe("0");
        expect(rateTick(250)).toBe("250");
    });

    it("legends show formatted values, the latest one without a cursor, never -- or raw bytes", () => {
        const value = legendValue((v) => `${v / 1024} KiB`);
        const u = { data: [[1, 2, 3], [1024, null, 2048]] as unknown as import("uplot").AlignedData };
        expect(value(u, 1024, 1, 0)).toBe("1 KiB");
        expect(value(u, null, 1, null)).toBe("2 KiB (latest)");
        expect(value(u, null, 1, 1)).toBe("");
    });

    it("a lone decode sample (a short run) is drawn as a marker", () => {
        const u = { data: [[1, 2, 3], [null, 140, null]] as unknown as import("uplot").AlignedData };
        expect(markersWhenFew()(u, 1)).toBe(true);
    });

    it("the projection's log axis ticks are round numbers of binary units", () => {
        const ticks = binaryDecades(600_000, 20 * 1024 ** 3);
        expect(ticks.map(binaryTick)).toEqual(["1 MiB", "10 MiB", "100 MiB", "1 GiB", "10 GiB"]);
    });

    it("two projection lines that coincide are told apart", () => {
        const qwen = REAL_SHAPES.find((s) => s.name === "Qwen2-7B")!;
        const styles = projectionStyles(projectShape(qwen));
        const two = styles.find((s) => s.label.startsWith("RecurFormer keep 2/8"))!;
        expect(two.sameAs).toBe("RecurFormer keep 1/8");
        expect(two.label).toContain("same as RecurFormer keep 1/8");
        expect(new Set(styles.map((s) => JSON.stringify(s.dash ?? null))).size).toBeGreaterThan(2);
    });
});

describe("7, 9, 10, 11: the numbers explain themselves", () => {
    it("7. the KV buffer says how many chat slots of how many tokens", () => {
        expect(kvBufferText(rfModel({ loaded: { contextSize: 8192, chatSlots: 2 } }).loaded)).toBe("2 chat slots × 8k tokens");
        expect(kvBufferText({ contextSize: 16384, chatSlots: 1, pyramid: { r0: 0.8, decay: 0.7, recent: 64, schedule: "r0=0.8,decay=0.7,recent=64", cellsPerLayer: [13312] } })).toBe("1 chat slot × 16k tokens, thinned per layer");
    });

    it("9. kept KV groups read per layer", () => {
        expect(headsKeptText(rfModel())).toBe("1 of 8 per layer (8 layers)");
    });

    it("10. a chat row names its model and its document", () => {
        const summary: ChatSummary = { id: "c", title: "What is the access code", updatedAt: 0, messageCount: 2, generating: false, modelId: "rf", documentNames: ["planted-fact-4k.txt"] };
        expect(chatRowMeta(summary, [rfModel()])).toBe("RecurFormer · recurformer · planted-fact-4k.txt");
        expect(chatRowTitle(summary, [rfModel()])).toContain("documents: planted-fact-4k.txt");
    });

    it("11. a model picker shows the short name, the full name and file on hover", () => {
        expect(modelShortName(rfModel())).toBe("recurformer");
        expect(modelHoverTitle(rfModel())).toBe("recurformer-desktop-dense-recurformer-keep1of8 — /models/recurformer.gguf");
    });
});
