/** The renderer's stores and their selectors, with a fake transport in place of the preload/WebSocket. */
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ApiMethod, BaselineFigure, Chat, DocumentInfo, Metrics, ModelInfo, RecurformerApi } from "../../api/appApi";
import { setApi } from "../../renderer/src/api/client";
import { useApp } from "../../renderer/src/stores/app";
import { queueToken, selectIsGenerating, useChats } from "../../renderer/src/stores/chats";
import { alignSeries, compareCsv, laneNames, measuredStatePoints, selectLiveDense, useCompare } from "../../renderer/src/stores/compare";
import { compareMemory, compareSnapshot } from "../../renderer/src/stores/ratios";
import { contextFor, fitFor, useDocuments } from "../../renderer/src/stores/documents";
import { cacheVersusDense, chooseBaseline, livePhaseLabel, measuredStateNote, meterFigures, snapshotFigures, timeAgo } from "../../renderer/src/stores/metrics";
import { headsKeptText, modelPairs } from "../../renderer/src/stores/models";
import { readingProgress } from "../../renderer/src/components/Composer";

const calls: { method: ApiMethod; params: unknown }[] = [];
let handlers: Partial<Record<ApiMethod, (params: any) => unknown>> = {};

beforeEach(() => {
    calls.length = 0;
    handlers = {};
    const api: RecurformerApi = {
        transport: "browser",
        async invoke(method, params) {
            calls.push({ method, params });
            const h = handlers[method];
            if (!h) throw new Error(`no fake for ${method}`);
            return h(params) as never;
        },
        onEvent: () => () => undefined,
    };
    setApi(api);
    useChats.setState({ summaries: [], chats: {}, activeChatId: undefined });
    useDocuments.setState({ items: [] });
    useApp.setState({ notices: [], info: undefined });
});

const kinds = (...k: ModelInfo["kind"][]) => k.map((kind) => ({ kind }));

const chat = (id: string, messages: Chat["messages"] = []): Chat => ({ id, title: "t", createdAt: 0, updatedAt: 0, messages });

const metrics = (over: Partial<Metrics> = {}): Metrics => ({ modelId: "rf", tokensInContext: 1000, contextSize: 4096, cacheBytesComputed: 125, denseCacheBytesComputed: 1000, phase: "decode", ...over });

const model = (over: Partial<ModelInfo> = {}): ModelInfo => ({
    id: "rf", path: "/m/rf.gguf", fileName: "rf.gguf", origin: "default", kind: "recurformer", status: "loaded",
    settings: { contextSize: 2048, threads: 0, gpuLayers: 0, cacheType: "f16" },
    shape: { architecture: "recurformer", name: "rf", layers: 4, embeddingLength: 256, contextLength: 8192, headDim: 64, valueHeadDim: 64, headsPerLayer: [1, 1, 1, 1], kvHeadsPerLayer: [1, 1, 1, 1], sourceHeads: 8, sourceKvHeads: 8, recurrentLayers: [true, true, true, true], kvBytesPerToken: 1024, kvBytesPerTokenByType: {}, recurrentStateBytes: 5000, vocabularySize: 100, parameterCount: 1, fileBytes: 1 },
    ...over,
});

describe("chats store", () => {
    it("appends streamed tokens in batches to the right message", async () => {
        useChats.getState().applyChat(chat("c1", [{ id: "a", role: "assistant", content: "", createdAt: 0, status: "streaming" }]));
        for (const t of ["Hel", "lo", "!"]) queueToken("c1", "a", t);
        queueToken("c1", "missing", "x");
        expect(useChats.getState().chats.c1!.messages[0]!.content).toBe("");
        await new Promise((r) => setTimeout(r, 30));
        expect(useChats.getState().chats.c1!.messages[0]!.content).toBe("Hello!");
        expect(selectIsGenerating("c1")(useChats.getState())).toBe(true);
    });

    it("never doubles an answer when the chat's update arrives before its queued tokens are applied", async () => {
        // a fast model: the last tokens and the finished chat (which holds them) come within one frame
        useChats.getState().applyChat(chat("c2", [{ id: "a", role: "assistant", content: "", createdAt: 0, status: "streaming" }]));
        queueToken("c2", "a", "18");
        queueToken("c2", "a", "76");
        queueToken("other", "b", "x");
        useChats.getState().applyChat(chat("c2", [{ id: "a", role: "assistant", content: "1876", createdAt: 0, status: "done" }]));
        await new Promise((r) => setTimeout(r, 30));
        expect(useChats.getState().chats.c2!.messages[0]!.content).toBe("1876");
        // tokens sent after the update still land
        useChats.getState().applyChat(chat("c2", [{ id: "a", role: "assistant", content: "1876", createdAt: 0, status: "streaming" }]));
        queueToken("c2", "a", ".");
        await new Promise((r) => setTimeout(r, 30));
        expect(useChats.getState().chats.c2!.messages[0]!.content).toBe("1876.");
    });

    it("reuses an empty chat instead of creating another", async () => {
        handlers["chats.create"] = () => chat("new");
        useChats.getState().applyChat(chat("empty"));
        useChats.setState({ activeChatId: "empty" });
        expect((await useChats.getState().create())!.id).toBe("empty");
        expect(calls).toHaveLength(0);
        useChats.getState().applyChat(chat("empty", [{ id: "u", role: "user", content: "x", createdAt: 0 }]));
        expect((await useChats.getState().create())!.id).toBe("new");
    });

    it("turns a failed send into a notice and keeps going", async () => {
        handlers["chats.send"] = () => { throw new Error("This chat is still answering; stop it first."); };
        useChats.setState({ activeChatId: "c1" });
        expect(await useChats.getState().send("hi")).toBe(false);
        expect(useApp.getState().notices[0]).toMatchObject({ kind: "error", text: "This chat is still answering; stop it first." });
    });
});

describe("documents store", () => {
    const info = (tokens: number, how: "counted" | "estimated" = "counted"): DocumentInfo => ({ id: "d", name: "a.txt", mime: "text/plain", fileBytes: 10, chars: 10, preview: "", tokens: { rf: { tokens, how } } });

    it("fits, needs a larger context, or is longer than the model was trained on", () => {
        expect(fitFor(model(), [info(1000)])!.verdict).toBe("fits");
        expect(fitFor(model(), [info(3000)])).toMatchObject({ verdict: "needs-larger-context", needed: 3512, roomForDocument: 1536 });
        expect(fitFor(model(), [info(9000)])!.verdict).toBe("too-long");
        expect(fitFor(model(), [info(10, "estimated")])!.how).toBe("estimated");
        expect(contextFor(3512)).toBe(4096);
    });

    it("refuses a file over the limit before uploading it, with the reason", async () => {
        useApp.setState({ info: { maxDocumentBytes: 1024 } as never });
        await useDocuments.getState().addFiles([new File([new Uint8Array(4096)], "big.pdf")]);
        expect(useDocuments.getState().items[0]).toMatchObject({ status: "error" });
        expect(useDocuments.getState().items[0]!.error).toMatch(/“big.pdf” is 4.00 KiB; documents up to 1.00 KiB/);
        expect(calls).toHaveLength(0);
    });
});

describe("metrics selectors", () => {
    it("derives fill and savings from one event", () => {
        const f = meterFigures(metrics({ tokensInContext: 512 }))!;
        expect(f.contextFill).toBeCloseTo(0.125);
        expect(f.savedFraction).toBeCloseTo(0.875);
        expect(meterFigures(undefined)).toBeUndefined();
    });

    it("says more, not a negative less, when the fixed recurrent state outweighs the KV saved (short contexts)", () => {
        expect(cacheVersusDense(0.859)).toEqual({ percent: "85.9%", words: "less", saves: true });
        expect(cacheVersusDense(0)).toMatchObject({ percent: "0.0%", words: "less", saves: true });
        // the default pair at 28 tokens: 1.05 MiB computed against the dense 448 KiB
        const short = meterFigures(metrics({ tokensInContext: 28, cacheBytesComputed: 1_102_848, denseCacheBytesComputed: 458_752 }))!;
        expect(cacheVersusDense(short.savedFraction)).toEqual({ percent: "140.4%", words: "more", saves: false });
        expect(cacheVersusDense(undefined)).toBeUndefined();
        expect(cacheVersusDense(Number.NaN)).toBeUndefined();
    });

    it("labels the live pill reading until the first answer token, even before the first metrics", () => {
        expect(livePhaseLabel(true, undefined)).toBe("reading");
        expect(livePhaseLabel(true, "prefill")).toBe("reading");
        expect(livePhaseLabel(true, "decode")).toBe("decoding");
        expect(livePhaseLabel(false, "decode")).toBe("idle");
        expect(livePhaseLabel(false, undefined)).toBe("idle");
    });

    it("shows reading progress only while a message with documents is read in", () => {
        const withDoc = chat("c", [{ id: "u", role: "user", content: "q", createdAt: 0, documents: [{ id: "d", name: "a", chars: 9, tokens: 4000 }] }]);
        expect(readingProgress(withDoc, "prefill", 1000)).toEqual({ read: 1000, expected: 4000, fraction: 0.25 });
        expect(readingProgress(withDoc, "prefill", 4100)!.fraction).toBe(0.99);
        expect(readingProgress(withDoc, "decode", 1000)).toBeUndefined();
        expect(readingProgress(chat("c", [{ id: "u", role: "user", content: "q", createdAt: 0 }]), "prefill", 10)).toBeUndefined();
    });

    it("puts the snapshot (measured) beside the dense model's state at the same point (computed)", () => {
        const rf = snapshotFigures(metrics({ tokensInContext: 512, snapshotBytesMeasured: 1024, checkpointBytesMeasured: 4096 }), false);
        expect(rf).toMatchObject({ needed: true, bytesMeasured: 1024, tokensInContext: 512 });
        expect(rf.denseBytesComputed).toBe(metrics({}).denseCacheBytesComputed);
        expect(rf.timesSmaller).toBeCloseTo(rf.denseBytesComputed! / 1024);
        // a message's stored size, then the total held, when the event has no single size
        expect(snapshotFigures(metrics({}), false, 2048).bytesMeasured).toBe(2048);
        expect(snapshotFigures(metrics({ checkpointBytesMeasured: 4096 }), false).bytesMeasured).toBe(4096);
        // a dense model needs none: its own cache is the figure beside it
        const dense = snapshotFigures(metrics({ cacheBytesComputed: 9000, checkpointBytesMeasured: 0 }), true);
        expect(dense).toMatchObject({ needed: false, bytesMeasured: undefined, denseBytesComputed: 9000 });
        expect(compareSnapshot(52.4)).toEqual({ text: "RecurFormer's snapshot 52× smaller", good: true });
        expect(compareSnapshot(1.84)?.text).toBe("RecurFormer's snapshot 1.8× smaller");
        expect(compareSnapshot(1)?.good).toBe(false);
        expect(compareSnapshot(undefined)).toBeUndefined();
    });

    it("prefers a running comparison's dense figures, else the nearest earlier measurement", () => {
        const b = (tokens: number, at: number): BaselineFigure => ({ denseModelId: "dense", tokensInContext: tokens, decodeTokensPerSecond: tokens, measuredAt: at, from: "comparison" });
        const list = [b(1000, 1), b(16000, 2), b(4000, 3)];
        expect(chooseBaseline("dense", 5000, list)).toMatchObject({ source: "last", figure: { tokensInContext: 4000 } });
        expect(chooseBaseline("dense", 12000, list)).toMatchObject({ figure: { tokensInContext: 16000 } });
        expect(chooseBaseline("dense", 5000, list, metrics({ modelId: "dense", decodeTokensPerSecond: 9 }))).toMatchObject({ source: "live", figure: { decodeTokensPerSecond: 9 } });
        expect(chooseBaseline("other", 5000, list)).toBeUndefined();
        // nothing measured within a factor of two of the context length: no baseline, not a far one
        expect(chooseBaseline("dense", 28, [b(4014, 1)])).toBeUndefined();
        expect(chooseBaseline("dense", 2007, [b(4014, 1)])).toMatchObject({ figure: { tokensInContext: 4014 } });
        expect(chooseBaseline("dense", 1900, [b(4014, 1)])).toBeUndefined();
        expect(timeAgo(0, 5 * 60_000)).toBe("5 min ago");
    });
});

describe("compare store", () => {
    it("collects samples per lane, ignores other runs, and exports CSV", () => {
        const s = useCompare.getState();
        s.onStarted({ runId: "r1", prompt: "p", mode: "parallel", lanes: [{ modelId: "dense", kind: "dense" }, { modelId: "rf", kind: "recurformer" }], threadsEach: 1, documentIds: [], startedAt: 0 });
        expect(useCompare.getState().lanes.map((l) => l.status)).toEqual(["streaming", "streaming"]);
        s.onMetrics("r1", 0, metrics({ modelId: "dense", tokensInContext: 10, cacheBytesComputed: 100 }));
        s.onMetrics("r1", 1, metrics({ tokensInContext: 10, cacheBytesComputed: 30, denseCacheBytesComputed: 100 }));
        s.onMetrics("r-old", 1, metrics({ tokensInContext: 99 }));
        s.onMetrics("r1", 2, metrics({ tokensInContext: 99 }));
        s.onToken("r1", 0, "Hi");
        const { lanes, run } = useCompare.getState();
        expect(lanes).toHaveLength(2);
        expect(lanes[1]!.samples).toHaveLength(1);
        expect(lanes[0]!.text).toBe("Hi");
        expect(selectLiveDense(useCompare.getState())).toMatchObject({ modelId: "dense" });
        expect(compareMemory(lanes[1]!.last, lanes[0]!.last)).toMatchObject({ tokens: 10, oursBytes: 30, baseBytes: 100, good: true, text: "RecurFormer 70.0% less" });
        const csv = compareCsv(run, lanes);
        expect(csv).toMatch(/^# prompt: "p"/);
        expect(csv).toContain("# dense: dense, recurformer: rf (the first is the baseline)");
        expect(csv).toContain("side,time_ms,phase,tokens_in_context,cache_bytes_computed,state_bytes_measured,tokens_per_second");
        expect(csv.trim().split("\n").filter((l) => /^(dense|recurformer),/.test(l))).toHaveLength(2);
        const aligned = alignSeries(lanes, [[0, (x) => x.cacheBytesComputed], [1, (x) => x.cacheBytesComputed]]);
        expect(aligned).toEqual([[10], [100], [30]]);
    });

    it("runs three lanes one after the other: the first reads, the others wait, each named for its kind", () => {
        const s = useCompare.getState();
        s.onStarted({ runId: "r3", prompt: "p", mode: "sequential", lanes: [{ modelId: "d", kind: "dense" }, { modelId: "r", kind: "recurformer" }, { modelId: "b", kind: "based" }], threadsEach: 2, documentIds: [], startedAt: 0 });
        expect(useCompare.getState().lanes.map((l) => l.status)).toEqual(["streaming", "waiting", "waiting"]);
        s.onToken("r3", 2, "x");
        s.onDone("r3", 0, "done");
        expect(useCompare.getState().lanes.map((l) => l.status)).toEqual(["done", "waiting", "streaming"]);
        expect(compareCsv(useCompare.getState().run, useCompare.getState().lanes)).toContain("# dense: d, recurformer: r, based: b (the first is the baseline)");
        expect(laneNames(kinds("dense", "recurformer", "based"))).toEqual([{ key: "dense", name: "Dense" }, { key: "recurformer", name: "RecurFormer" }, { key: "based", name: "BASED" }]);
        // two of a kind: the second is numbered, so keys and names stay apart
        expect(laneNames(kinds("recurformer", "dense", "recurformer")).map((n) => `${n.key}/${n.name}`)).toEqual(["recurformer/RecurFormer", "dense/Dense", "recurformer-2/RecurFormer 2"]);
    });

    it("runs four lanes, one file twice: each lane named for its kind and cache, its context from its own compare.lane", () => {
        const s = useCompare.getState();
        const steep = { r0: 0.8, decay: 0.7, recent: 64 };
        const lanes = [{ modelId: "d", kind: "dense" as const }, { modelId: "d", kind: "dense" as const, pyramid: steep, copy: true }, { modelId: "r", kind: "recurformer" as const }, { modelId: "r", kind: "recurformer" as const, pyramid: steep, copy: true }];
        s.onStarted({ runId: "r4", prompt: "p", mode: "sequential", lanes, threadsEach: 2, documentIds: [], startedAt: 0 });
        expect(laneNames(lanes).map((n) => `${n.key}/${n.name}`)).toEqual(["dense/Dense", "dense-pyramid/Dense + PyramidInfer", "recurformer/RecurFormer", "recurformer-pyramid/RecurFormer + PyramidInfer"]);
        const loaded = { contextSize: 2048, chatSlots: 1, pyramid: { ...steep, queries: 16, every: 512, schedule: "r0=0.8,decay=0.7,recent=64,queries=16,every=512", cellsPerLayer: [1792, 1536] } };
        s.onLane("r4", 1, loaded);
        s.onLane("other", 3, loaded);
        expect(useCompare.getState().lanes.map((l) => l.loaded)).toEqual([undefined, loaded, undefined, undefined]);
        // a PyramidInfer dense lane is no dense baseline for the chat meters: only the full cache's is
        s.onMetrics("r4", 1, metrics({ modelId: "d.copy" }));
        expect(selectLiveDense(useCompare.getState())).toBeUndefined();
        s.onMetrics("r4", 0, metrics({ modelId: "d" }));
        expect(selectLiveDense(useCompare.getState())).toMatchObject({ modelId: "d" });
        expect(compareCsv(useCompare.getState().run, useCompare.getState().lanes)).toContain("# dense: d, dense-pyramid: d (PyramidInfer r0 0.8/0.7), recurformer: r, recurformer-pyramid: r (PyramidInfer r0 0.8/0.7) (the first is the baseline)");
    });

    it("plots the measured state at the token count it was measured at, once per measurement", () => {
        const s = useCompare.getState();
        s.onStarted({ runId: "r2", prompt: "p", mode: "sequential", lanes: [{ modelId: "dense", kind: "dense" }, { modelId: "rf", kind: "recurformer" }], threadsEach: 2, documentIds: [], startedAt: 0 });
        // prefill: measured between batches; then decoding: not re-measured, so it lags tokensInContext
        s.onMetrics("r2", 1, metrics({ phase: "prefill", tokensInContext: 512, cacheBytesComputed: 50, stateBytesMeasured: 700, stateBytesMeasuredAtTokens: 512 }));
        s.onMetrics("r2", 1, metrics({ phase: "decode", tokensInContext: 1000, cacheBytesComputed: 80, stateBytesMeasured: 900, stateBytesMeasuredAtTokens: 900 }));
        s.onMetrics("r2", 1, metrics({ phase: "decode", tokensInContext: 1010, cacheBytesComputed: 81, stateBytesMeasured: 900, stateBytesMeasuredAtTokens: 900 }));
        s.onMetrics("r2", 1, metrics({ phase: "decode", tokensInContext: 1020, cacheBytesComputed: 82, stateBytesMeasured: 900, stateBytesMeasuredAtTokens: 900 }));
        s.onMetrics("r2", 1, metrics({ phase: "done", tokensInContext: 1030, cacheBytesComputed: 83, stateBytesMeasured: 1100, stateBytesMeasuredAtTokens: 1030 }));
        // an older engine without the measured-at count: at its tokens in context
        s.onMetrics("r2", 0, metrics({ modelId: "dense", tokensInContext: 1000, cacheBytesComputed: 400, stateBytesMeasured: 1500 }));
        const { lanes, run } = useCompare.getState();
        expect(lanes[1]!.samples.map((x) => x.stateBytesMeasuredAtTokens)).toEqual([512, 900, 900, 900, 1030]);
        expect(measuredStatePoints(lanes[1]!.samples)).toEqual([{ x: 512, y: 700 }, { x: 900, y: 900 }, { x: 1030, y: 1100 }]);
        expect(measuredStatePoints(lanes[0]!.samples)).toEqual([{ x: 1000, y: 1500 }]);
        const [x, rfComputed, rfMeasured, denseMeasured] = alignSeries(lanes, [
            [1, (v) => v.cacheBytesComputed],
            { lane: 1, points: measuredStatePoints },
            { lane: 0, points: measuredStatePoints },
        ]);
        expect(x).toEqual([512, 900, 1000, 1010, 1020, 1030]);
        // computed at tokens in context; measured at 900 (not at 1000/1010/1020), one point per measurement
        expect(rfComputed).toEqual([50, null, 80, 81, 82, 83]);
        expect(rfMeasured).toEqual([700, 900, null, null, null, 1100]);
        expect(denseMeasured).toEqual([null, null, 1500, null, null, null]);
        // the CSV keeps the measured-at count, in a column after the old ones
        const csv = compareCsv(run, lanes);
        expect(csv).toContain("state_bytes_measured,tokens_per_second,state_bytes_measured_at_tokens");
        expect(csv.split("\n").filter((l) => l.startsWith("recurformer,")).map((l) => l.split(",").at(-1))).toEqual(["512", "900", "900", "900", "1030"]);
        // the meters say where a lagging measurement was taken
        expect(measuredStateNote(meterFigures(metrics({ tokensInContext: 1020, stateBytesMeasured: 900, stateBytesMeasuredAtTokens: 900 })))).toBe("this chat, at 900 tokens");
        expect(measuredStateNote(meterFigures(metrics({ tokensInContext: 1030, stateBytesMeasured: 1100, stateBytesMeasuredAtTokens: 1030 })))).toBeUndefined();
        expect(measuredStateNote(meterFigures(metrics({ tokensInContext: 1030, stateBytesMeasured: 1100 })))).toBeUndefined();
    });
});

describe("models selectors", () => {
    it("says the kept KV groups per layer and finds pairs", () => {
        expect(headsKeptText(model())).toBe("1 of 8 per layer (4 layers)");
        const dense = model({ id: "dense", kind: "dense", pairedRecurformerIds: ["rf"] });
        expect(modelPairs([dense, model({ pairedDenseId: "dense" })])).toHaveLength(1);
        expect(modelPairs([model({ pairedDenseId: "gone" })])).toHaveLength(0);
    });
});

vi.setConfig({ testTimeout: 10_000 });
