// The engine process through its parent-side client: load, complete, stream, stop, chat with
// checkpoints, named errors, and crash recovery. Engines run the compiled dist/ code.
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {EngineClient} from "../../engine/runtime/client/EngineClient.js";
import type {Metrics} from "../../engine/runtime/protocol.js";
import {EngineCrashedError} from "../../engine/runtime/errors/EngineCrashedError.js";
import {EngineStoppedError} from "../../engine/runtime/errors/EngineStoppedError.js";
import {InvalidGgufError} from "../../engine/runtime/errors/InvalidGgufError.js";
import {ModelBusyError} from "../../engine/runtime/errors/ModelBusyError.js";
import {ModelNotLoadedError} from "../../engine/runtime/errors/ModelNotLoadedError.js";
import {PromptTooLongError} from "../../engine/runtime/errors/PromptTooLongError.js";
import {ensureCompiled, ensureFixtures, fixture, startEngine} from "./helpers.js";

const dense = fixture("dense-llama-gqa.gguf");
const rf = fixture("rf-gqa-r4.gguf");
const prompt = "The river runs north of the old stone city, and every winter the market";

let engine: EngineClient;

beforeAll(async () => {
    ensureFixtures();
    ensureCompiled();
    engine = await startEngine();
    await engine.load("dense", {modelPath: dense, contextSize: 1024, threads: 2});
    await engine.load("rf", {modelPath: rf, contextSize: 1024, threads: 2});
}, 180_000);

afterAll(async () => {
    await engine?.shutdown();
});

describe("engine process", {timeout: 120_000}, () => {
    it("holds two models at once, with their shapes and the KV buffers llama.cpp allocated", async () => {
        const a = await engine.load("dense2", {modelPath: dense, contextSize: 512, threads: 2});
        const b = await engine.load("rf2", {modelPath: rf, contextSize: 512, threads: 2, sequences: 2});
        expect(a.shape.architecture).toBe("llama");
        expect(b.shape.architecture).toBe("recurformer");
        expect(a.backend.buildType).toBe("localBuild");
        expect(a.needsCheckpoints).toBe(false);
        expect(b.needsCheckpoints).toBe(true);
        const mib = 1024 * 1024;
        // llama.cpp logs MiB with two decimals; K and V are each within 0.005 MiB
        expect(Math.abs(a.buffers.kBytesMeasured! + a.buffers.vBytesMeasured! - a.contextSize * a.shape.kvBytesPerToken)).toBeLessThanOrEqual(0.0101 * mib);
        // two sequences: two KV streams of contextSize cells each
        expect(b.buffers.kvStreams).toBe(2);
        expect(Math.abs(b.buffers.kBytesMeasured! + b.buffers.vBytesMeasured! - 2 * b.contextSize * b.shape.kvBytesPerToken)).toBeLessThanOrEqual(0.0101 * mib);
        expect(b.cacheBytesComputed).toBe(2 * b.contextSize * b.shape.kvBytesPerToken + 2 * b.shape.recurrentStateBytes);
        // one recurrent state per sequence
        expect(Math.abs(b.buffers.recurrentBufferBytesMeasured! - 2 * b.shape.recurrentStateBytes)).toBeLessThanOrEqual(0.0051 * mib);
        expect(await engine.unload("dense2")).toEqual({modelId: "dense2", unloaded: true});
        expect(await engine.unload("rf2")).toEqual({modelId: "rf2", unloaded: true});
        expect(await engine.unload("rf2")).toEqual({modelId: "rf2", unloaded: false});
    });

    it("completes greedily and deterministically, streaming exactly the text it returns", async () => {
        for (const modelId of ["dense", "rf"]) {
            let streamed = "";
            const first = await engine.complete({modelId, prompt, maxTokens: 24}, {onToken: (text) => streamed += text});
            const second = await engine.complete({modelId, prompt, maxTokens: 24});
            expect(second.text, modelId).toBe(first.text);
            expect(streamed, modelId).toBe(first.text);
            if (first.stopReason === "maxTokens")
                expect(first.generatedTokens, modelId).toBe(24);
            else
                expect(first.stopReason, modelId).toBe("eos");
        }
    });

    it("emits throttled metrics with computed and measured cache figures and speeds", async () => {
        const events: Metrics[] = [];
        const result = await engine.complete({modelId: "rf", prompt: prompt.repeat(8), maxTokens: 64}, {onMetrics: (m) => events.push(m)});
        const last = result.metrics;
        expect(events.at(-1)).toEqual(last);
        expect(last.phase).toBe("done");
        expect(new Set(events.map((m) => m.phase))).toEqual(new Set(["prefill", "decode", "done"]));
        expect(events.length).toBeLessThan(result.generatedTokens + 2); // throttled, not one per token
        const n = last.tokensInContext;
        // the last generated token is returned but not yet evaluated into the context (an end-of-generation token is evaluated)
        expect(n).toBe(result.promptTokens + result.generatedTokens - (result.stopReason === "eos" ? 0 : 1));
        const {shape} = await engine.load("rf-shape", {modelPath: rf, contextSize: 256});
        await engine.unload("rf-shape");
        expect(last.cacheBytesComputed).toBe(n * shape.kvBytesPerToken + shape.recurrentStateBytes);
        expect(last.denseCacheBytesComputed).toBe(n * shape.denseKvBytesPerToken!);
        // llama_state_get_size: the same bytes plus per-cell positions / sequence ids (12 bytes), the last logits and headers
        expect(last.stateBytesMeasured!).toBeGreaterThanOrEqual(last.cacheBytesComputed);
        expect(last.stateBytesMeasured!).toBeLessThanOrEqual(last.cacheBytesComputed + 16 * n + 4 * shape.vocabularySize + 4096);
        expect(last.stateBytesMeasuredAtTokens).toBe(n);
        // measured between evaluations only, and each figure says at which token count it was measured
        for (const m of events)
            if (m.stateBytesMeasured != null)
                expect(m.stateBytesMeasuredAtTokens!).toBeLessThanOrEqual(m.tokensInContext);
        expect(last.prefillTokensPerSecond!).toBeGreaterThan(0);
        expect(last.decodeTokensPerSecond!).toBeGreaterThan(0);
        expect(last.timeToFirstTokenMs!).toBeGreaterThan(0);
    });

    it("stops a generation on its AbortSignal, keeps the text so far, and goes on serving", async () => {
        const controller = new AbortController();
        let pieces = 0;
        const result = await engine.complete({modelId: "dense", prompt, maxTokens: 900}, {
            signal: controller.signal,
            onToken: () => {
                if (++pieces === 5)
                    controller.abort();
            }
        });
        if (result.stopReason !== "eos") {
            expect(result.stopReason).toBe("stopped");
            expect(result.generatedTokens).toBeLessThan(900);
            expect(result.generatedTokens).toBeGreaterThanOrEqual(5);
        }
        const again = await engine.complete({modelId: "dense", prompt, maxTokens: 4});
        expect(again.generatedTokens).toBeGreaterThan(0);
    });

    it("chats through the model's template, takes checkpoints on a RecurFormer model, and reuses the prefix on a follow-up", async () => {
        const first = await engine.chat({modelId: "rf", chatId: "c1", messages: [{role: "user", content: "Where does the river run?"}], maxTokens: 12});
        expect(first.generatedTokens).toBeGreaterThan(0);
        expect(first.metrics.checkpointBytesMeasured!).toBeGreaterThan(0);
        const follow = await engine.chat({
            modelId: "rf", chatId: "c1", maxTokens: 12,
            messages: [
                {role: "user", content: "Where does the river run?"},
                {role: "assistant", content: first.text},
                {role: "user", content: "And in winter?"}
            ]
        });
        // only the new turn was read: the history came from the sequence (restored from a checkpoint)
        expect(follow.promptTokens).toBeLessThan(follow.metrics.tokensInContext - follow.generatedTokens);
        const denseChat = await engine.chat({modelId: "dense", chatId: "c2", messages: [{role: "user", content: "Hello"}], maxTokens: 8});
        expect(denseChat.metrics.checkpointBytesMeasured ?? 0).toBe(0);
    });

    it("measures each chat's own sequence state, not the whole context's, with two chats on one model", async () => {
        const loaded = await engine.load("rf-two", {modelPath: rf, contextSize: 1024, threads: 2, sequences: 2});
        try {
            const kv = loaded.shape.kvBytesPerToken;
            const own = (m: Metrics) => {
                const n = m.tokensInContext;
                // llama_state_seq_get_size: this sequence's cells and recurrent state, 12 bytes of position /
                // sequence ids per cell and a few headers; no logits and no other sequence's cells
                expect(m.stateBytesMeasuredAtTokens).toBe(n);
                expect(m.stateBytesMeasured!).toBeGreaterThanOrEqual(m.cacheBytesComputed);
                expect(m.stateBytesMeasured!).toBeLessThanOrEqual(m.cacheBytesComputed + 16 * n + 4096);
            };
            const long = await engine.chat({modelId: "rf-two", chatId: "long", maxTokens: 8,
                messages: [{role: "user", content: `${prompt.repeat(10)} Where does the river run?`}]});
            const short = await engine.chat({modelId: "rf-two", chatId: "short", maxTokens: 8,
                messages: [{role: "user", content: "Hello"}]});
            const a = long.metrics;
            const b = short.metrics;
            // the long chat's cells alone are more than the slack above: the whole context's figure would fail
            expect(a.tokensInContext * kv).toBeGreaterThan(16 * b.tokensInContext + 4096 + 16 * a.tokensInContext);
            own(b);
            own(a);
            // the long chat again, after the short one filled the other sequence: still only its own
            const again = await engine.chat({modelId: "rf-two", chatId: "long", maxTokens: 4,
                messages: [{role: "user", content: `${prompt.repeat(10)} Where does the river run?`}]});
            own(again.metrics);
        } finally {
            await engine.unload("rf-two");
        }
    });

    it("answers with named errors the parent can tell apart", async () => {
        await expect(engine.complete({modelId: "nope", prompt})).rejects.toBeInstanceOf(ModelNotLoadedError);
        await engine.load("small", {modelPath: dense, contextSize: 256});
        const long = "stone river city market ".repeat(200);
        const tooLong = await engine.complete({modelId: "small", prompt: long}).catch((err: unknown) => err);
        expect(tooLong).toBeInstanceOf(PromptTooLongError);
        expect((tooLong as PromptTooLongError).contextSize).toBe(256);
        expect((tooLong as Error).message).toMatch(/larger context size/);
        await engine.unload("small");
        const missing = await engine.load("x", {modelPath: "/nonexistent/model.gguf"}).catch((err: unknown) => err);
        expect(missing).toBeInstanceOf(InvalidGgufError);
        expect((missing as InvalidGgufError).kind).toBe("notFound");
    });

    it("unloading a model stops its generation first; other models go on", async () => {
        await engine.load("tmp", {modelPath: dense, contextSize: 1024, threads: 1});
        let started!: () => void;
        const running = new Promise<void>((resolve) => started = resolve);
        const doomed = engine.complete({modelId: "tmp", prompt, maxTokens: 900}, {onToken: () => started()});
        const other = engine.complete({modelId: "rf", prompt, maxTokens: 16});
        await running;
        expect(await engine.unload("tmp")).toEqual({modelId: "tmp", unloaded: true});
        const stopped = await doomed;
        if (stopped.stopReason !== "eos")
            expect(stopped.stopReason).toBe("stopped");
        expect((await other).generatedTokens).toBeGreaterThan(0);
        await expect(engine.complete({modelId: "tmp", prompt})).rejects.toBeInstanceOf(ModelNotLoadedError);
    });

    it("counts tokens with a loaded model's tokenizer", async () => {
        const once = await engine.tokenize("dense", prompt);
        const twice = await engine.tokenize("dense", `${prompt} ${prompt}`);
        expect(once).toBeGreaterThan(5);
        expect(Math.abs(twice - 2 * once)).toBeLessThanOrEqual(2);
        await expect(engine.tokenize("nope", prompt)).rejects.toBeInstanceOf(ModelNotLoadedError);
    });

    it("says a model is busy while its only sequence generates", async () => {
        const controller = new AbortController();
        let started!: () => void;
        const running = new Promise<void>((resolve) => started = resolve);
        const long = engine.complete({modelId: "dense", prompt, maxTokens: 900}, {signal: controller.signal, onToken: () => started()});
        await running;
        await expect(engine.complete({modelId: "dense", prompt, maxTokens: 4})).rejects.toBeInstanceOf(ModelBusyError);
        controller.abort();
        await long;
    });
});

describe("engine crashes", {timeout: 180_000}, () => {
    it("killing the engine mid-generation fails the request with EngineCrashedError and the log tail; a new engine works", async () => {
        const doomed = await startEngine();
        await doomed.load("m", {modelPath: rf, contextSize: 1024, threads: 2});
        let killed = false;
        const generation = doomed.complete({modelId: "m", prompt, maxTokens: 900}, {
            onToken: () => {
                if (!killed) {
                    killed = true;
                    process.kill(doomed.pid!, "SIGKILL");
                }
            }
        });
        const error = await generation.catch((err: unknown) => err);
        expect(error).toBeInstanceOf(EngineCrashedError);
        const crash = error as EngineCrashedError;
        expect(crash.signal).toBe("SIGKILL");
        expect(crash.message).toMatch(/killed by SIGKILL during complete/);
        expect(crash.message).toMatch(/start a new engine/);
        expect(crash.logTail.join("\n")).toMatch(/llama\.cpp/);
        expect(doomed.running).toBe(false);
        await expect(doomed.complete({modelId: "m", prompt})).rejects.toBeInstanceOf(EngineCrashedError);

        const fresh = await startEngine();
        try {
            await fresh.load("m", {modelPath: rf, contextSize: 512, threads: 2});
            const result = await fresh.complete({modelId: "m", prompt, maxTokens: 4});
            expect(result.generatedTokens).toBeGreaterThan(0);
        } finally {
            await fresh.shutdown();
        }
    });

    it("calls onCrash once, and a clean shutdown is not a crash", async () => {
        const crashes: EngineCrashedError[] = [];
        const a = await startEngine({onCrash: (error) => crashes.push(error)});
        await a.kill();
        expect(crashes).toHaveLength(1);
        const b = await startEngine({onCrash: (error) => crashes.push(error)});
        await b.shutdown();
        expect(crashes).toHaveLength(1);
        await expect(b.load("m", {modelPath: rf})).rejects.toBeInstanceOf(EngineStoppedError);
    });
});
