// PyramidInfer as a cache mode of the engine (issue 15, engine/llama/PYRAMID.md): what a load with a schedule
// reports (the schedule llama.cpp took, its cells per layer), the computed cache against llama.cpp's own per-layer
// buffers (within the log's rounding: 0.005 MiB per number, one K and one V line per layer), on fixtures and on
// the default pair at 16k tokens; the refusals; a chat that never rolls back thinned KV; the CLI's --pyramid.
import {spawn} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {BenchRow, InspectReport, LoadResult} from "../../engine/runtime/protocol.js";
import type {EngineClient} from "../../engine/runtime/client/EngineClient.js";
import {GgufShape} from "../../engine/runtime/gguf/GgufShape.js";
import {CacheMeter} from "../../engine/runtime/CacheMeter.js";
import {PyramidUnsupportedError} from "../../engine/runtime/errors/PyramidUnsupportedError.js";
import {parsePyramidSchedule, pyramidCells, pyramidKeep} from "../../api/pyramidCache.js";
import {cliJs, ensureCompiled, ensureFixtures, fixture, root, runCli, startEngine} from "./helpers.js";

const MiB = 1024 * 1024;
/** each number the log prints (MiB, 2 decimals) is within 0.005 MiB */
const rounding = 0.0051 * MiB;
const steep = "r0=0.8,decay=0.7";

/** K + V + recurrent state as llama.cpp logged them, and how many rounded numbers that sum holds. */
function measured(load: LoadResult): {bytes: number, numbers: number} {
    const b = load.buffers;
    return {
        bytes: b.kBytesMeasured! + b.vBytesMeasured! + (b.recurrentBufferBytesMeasured ?? 0),
        numbers: 2 * b.kvCaches! + (b.recurrentBufferBytesMeasured != null ? 1 : 0)
    };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "recurformer-pyramid-"));
let engine: EngineClient;

beforeAll(async () => {
    ensureFixtures();
    ensureCompiled();
    engine = await startEngine();
}, 180_000);

afterAll(async () => {
    await engine?.shutdown();
    fs.rmSync(tmp, {recursive: true, force: true});
});

describe("PyramidInfer loads", {timeout: 120_000}, () => {
    for (const name of ["dense", "recurformer"] as const) {
        it(`the default ${name} model at 16k, r0 0.8/decay 0.7: cells per layer as pyramidCells, computed bytes = llama.cpp's per-layer buffers`, async () => {
            const modelPath = path.join(root, "assets", "models", `${name}.gguf`);
            const load = await engine.load(`default-${name}`, {modelPath, contextSize: 16_384, pyramid: steep});
            try {
                const schedule = parsePyramidSchedule(steep);
                expect(load.pyramid).toEqual({schedule: "r0=0.8,decay=0.7,recent=64,queries=16,every=512",
                    cellsPerLayer: [13312, 9472, 6912, 5120, 3584, 2816, 2048, 1792]});
                expect(load.pyramid!.cellsPerLayer).toEqual(pyramidCells(16_384, 8, schedule, 512));
                expect(load.buffers.kvCellsPerLayer).toEqual(load.pyramid!.cellsPerLayer);
                expect(load.buffers.kvCaches).toBe(8);
                // one cache per layer: 45,056 layer-cells of the layer's KV bytes per token
                const layerBytes = load.shape.kvBytesPerToken / 8;
                const state = load.shape.recurrentStateBytes;
                expect(load.cacheBytesComputed).toBe(45_056 * layerBytes + state);
                const m = measured(load);
                expect(Math.abs(m.bytes - load.cacheBytesComputed)).toBeLessThanOrEqual(m.numbers * rounding);
                // the plain cache of the same context is 16,384 x 8 layer-cells
                expect(load.cacheBytesComputed - state).toBeLessThan(0.35 * 16_384 * load.shape.kvBytesPerToken);
            } finally {
                await engine.unload(`default-${name}`);
            }
        });
    }

    for (const file of ["dense-llama-gqa.gguf", "rf-gqa-r7.gguf", "bench-recurformer.gguf"]) {
        it(`${file}: every batch size and schedule allocates what the meter computes`, async () => {
            const shape = (await GgufShape.read(fixture(file))).shape;
            for (const [schedule, batchSize, contextSize] of [[steep, 512, 4096], ["r0=1,decay=0.8,recent=32,every=256", 128, 8192]] as const) {
                const load = await engine.load("f", {modelPath: fixture(file), contextSize, batchSize, pyramid: schedule});
                const meter = new CacheMeter(shape, {pyramid: parsePyramidSchedule(schedule)});
                expect(load.pyramid!.cellsPerLayer).toEqual(meter.pyramidCellsFor(contextSize, batchSize));
                const allocated = meter.contextBuffers({cells: contextSize, batchSize});
                expect(load.cacheBytesComputed).toBe(allocated.kvBufferBytes + allocated.recurrentBufferBytes);
                const m = measured(load);
                expect(Math.abs(m.bytes - load.cacheBytesComputed), `${file} ${schedule}`).toBeLessThanOrEqual(m.numbers * rounding);
            }
            await engine.unload("f");
        });
    }

    it("refuses what the engine cannot run with PyramidInfer, saying why", async () => {
        await expect(engine.load("q", {modelPath: fixture("dense-qwen2.gguf"), pyramid: steep}))
            .rejects.toThrow(/PyramidInfer cannot run dense-qwen2\.gguf: it works with llama and recurformer models only .* this one is qwen2/);
        await expect(engine.load("b", {modelPath: fixture("based-w16.gguf"), pyramid: steep})).rejects.toBeInstanceOf(PyramidUnsupportedError);
        await expect(engine.load("s", {modelPath: fixture("dense-llama-gqa.gguf"), pyramid: steep, sequences: 2}))
            .rejects.toThrow(/one sequence per context, not 2/);
        await expect(engine.load("r", {modelPath: fixture("dense-llama-gqa.gguf"), pyramid: "r0=0.8,decay=1.2"}))
            .rejects.toThrow(/decay must be a number above 0 and at most 1/);
        await expect(engine.load("e", {modelPath: fixture("dense-llama-gqa.gguf"), pyramid: steep, batchSize: 8}))
            .rejects.toThrow(/queries \(16\) must not exceed every \(8, the batch size\)/);
    });
});

describe("a chat on a PyramidInfer context", {timeout: 180_000}, () => {
    const messages = [{role: "user" as const, content: "Tell me about the river and the old stone bridge near the market."}];

    it("reads a regenerated turn afresh (thinned KV is never rolled back) and answers as the first time; a full cache reuses it", async () => {
        const modelPath = fixture("bench-dense.gguf");
        const pyr = await engine.load("pyr", {modelPath, contextSize: 1024, batchSize: 16, pyramid: "r0=0.5,decay=0.7,recent=8,queries=4,every=16"});
        const plain = await engine.load("plain", {modelPath, contextSize: 1024, batchSize: 16});
        try {
            expect(pyr.needsCheckpoints).toBe(false);        // node-llama-cpp would erase the answer and keep the rest
            const first = await engine.chat({modelId: "pyr", chatId: "c", messages, maxTokens: 24});
            const again = await engine.chat({modelId: "pyr", chatId: "c", messages, maxTokens: 24});
            expect(again.metrics.promptTokensReused).toBe(0);
            expect(again.text).toBe(first.text);
            // what it holds right after reading the prompt, as the meter computes it: the schedule's count per layer
            const meter = new CacheMeter((await GgufShape.read(modelPath)).shape, {pyramid: parsePyramidSchedule("r0=0.5,decay=0.7,recent=8")});
            const n = again.metrics.tokensInContext;
            expect(again.metrics.cacheBytesComputed).toBe(meter.bytesAt(n));

            await engine.chat({modelId: "plain", chatId: "c", messages, maxTokens: 24});
            const plainAgain = await engine.chat({modelId: "plain", chatId: "c", messages, maxTokens: 24});
            expect(plainAgain.metrics.promptTokensReused).toBeGreaterThan(0);
        } finally {
            await engine.unload("pyr");
            await engine.unload("plain");
        }
    });
});

describe("recurformer --pyramid", {timeout: 300_000}, () => {
    it("inspect: the tokens each layer keeps at N, the cells per layer, and llama.cpp's per-layer buffers agreeing", async () => {
        const res = await runCli(["inspect", fixture("rf-gqa-r7.gguf"), "--tokens", "16384", "--pyramid", steep]);
        expect(res.code, res.stderr).toBe(0);
        const report = JSON.parse(res.stdout) as InspectReport;
        const schedule = parsePyramidSchedule(steep);
        expect(report.pyramid!.schedule).toBe("r0=0.8,decay=0.7,recent=64,queries=16");
        expect(report.pyramid!.retainedPerLayer).toEqual([0, 1, 2].map((l) => pyramidKeep(16_384, l, schedule)));
        const perLayer = new CacheMeter(report.shape).layerKvBytesPerToken;
        expect(report.cacheBytesComputed).toBe(report.pyramid!.retainedPerLayer.reduce((s, t, l) => s + t * perLayer[l]!, 0) + report.recurrentStateBytes);
        expect(report.measured!.kvCellsPerLayer).toEqual(report.pyramid!.cellsPerLayer);
        expect(report.measured!.kvBufferBytesComputed).toBe(report.pyramid!.cellsPerLayer.reduce((s, c, l) => s + c * perLayer[l]!, 0));
        expect(report.measured!.kvAgrees).toBe(true);
        expect(report.measured!.recurrentAgrees).toBe(true);
    });

    it("complete and ask load with the schedule; a bad one is a usage error (exit 2), an unsupported model exit 1", async () => {
        const prompt = path.join(tmp, "prompt.txt");
        fs.writeFileSync(prompt, "The river runs past the old market and the stone bridge.");
        const ok = await runCli(["complete", "--model", fixture("bench-dense.gguf"), "--prompt-file", prompt, "--max-tokens", "4", "--pyramid", steep, "--verbose"]);
        expect(ok.code, ok.stderr).toBe(0);
        expect(ok.stderr).toMatch(/llama_memory_pyramid: r0 = 0\.8, decay = 0\.7, recent = 64, queries = 16, every = 512; cells per layer = /);
        const doc = path.join(tmp, "doc.txt");
        fs.writeFileSync(doc, "The bridge was built in 1850 by the town's masons.");
        const asked = await runCli(["ask", "--model", fixture("bench-dense.gguf"), "--document", doc, "--question", "When?", "--max-tokens", "4", "--pyramid", steep, "--verbose"]);
        expect(asked.code, asked.stderr).toBe(0);
        expect(asked.stderr).toMatch(/llama_memory_pyramid: /);

        const bad = await runCli(["complete", "--model", fixture("bench-dense.gguf"), "--prompt-file", prompt, "--pyramid", "r0=0.8"]);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(/--pyramid: PyramidInfer schedule "r0=0\.8": decay is missing/);
        const qwen = await runCli(["complete", "--model", fixture("dense-qwen2.gguf"), "--prompt-file", prompt, "--pyramid", steep]);
        expect(qwen.code).toBe(1);
        expect(qwen.stderr).toMatch(/PyramidUnsupportedError: PyramidInfer cannot run dense-qwen2\.gguf/);
    });

    it("bench: a model with and without PyramidInfer in one run, with ratios against the full cache", async () => {
        const json = path.join(tmp, "bench.json");
        const a = fixture("bench-dense.gguf");
        const res = await runCli(["bench", "--models", `${a},${a}@pyramid:r0=0.5,decay=0.7`, "--contexts", "1024", "--threads", "2", "--decode", "4", "--batch", "256", "--json", json]);
        expect(res.code, res.stderr).toBe(0);
        const report = JSON.parse(fs.readFileSync(json, "utf8")) as {options: {models: string[]}, rows: BenchRow[], ratios: {model: string, cache: number, buffersMeasured: number}[]};
        expect(report.options.models).toEqual([a, `${a}@pyramid:r0=0.5,decay=0.7,recent=64,queries=16`]);
        const [full, thinned] = report.rows;
        expect(full!.pyramid).toBeUndefined();
        expect(thinned!.pyramid!.cellsPerLayer).toEqual(pyramidCells(1024, 8, parsePyramidSchedule("r0=0.5,decay=0.7"), 256));
        expect(report.ratios).toHaveLength(1);
        expect(report.ratios[0]!.model).toBe(report.options.models[1]);
        expect(report.ratios[0]!.cache).toBe(thinned!.cacheBytesComputed / full!.cacheBytesComputed);
        expect(report.ratios[0]!.cache).toBeLessThan(0.6);
        expect(report.ratios[0]!.buffersMeasured).toBeLessThan(1);
        expect(res.stdout).toMatch(/bench-dense\.gguf@pyramid:r0=0\.5,decay=0\.7,recent=64,queries=16\s+llama\s+1024/);
    });

    it("api: a model served with and without PyramidInfer, the PyramidInfer one one answer at a time", async () => {
        const a = fixture("bench-dense.gguf");
        const server = spawn(process.execPath, [cliJs, "api", "--port", "0", "--context", "512", "--api-key", "k",
            "--models", `${a},${a}@pyramid:r0=0.5,decay=0.7`], {cwd: root});
        let stdout = "";
        server.stdout.setEncoding("utf8").on("data", (chunk: string) => stdout += chunk);
        try {
            const end = Date.now() + 60_000;
            while (!/API key/.test(stdout) && server.exitCode == null && Date.now() < end)
                await new Promise((resolve) => setTimeout(resolve, 50));
            expect(stdout).toMatch(/model bench-dense-pyramid: .* 1 at once, PyramidInfer r0=0\.5,decay=0\.7,recent=64,queries=16,every=512,/);
            const base = /RecurFormer API: (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(stdout)![1]!;
            const headers = {"Authorization": "Bearer k", "content-type": "application/json"};
            const models = (await (await fetch(`${base}/v1/models`, {headers})).json()) as {data: {id: string, parallel_sequences: number, pyramid?: {schedule: string, kv_cells_per_layer: number[]}}[]};
            expect(models.data.map((m) => [m.id, m.parallel_sequences])).toEqual([["bench-dense", 2], ["bench-dense-pyramid", 1]]);
            expect(models.data[0]!.pyramid).toBeUndefined();
            expect(models.data[1]!.pyramid).toEqual({schedule: "r0=0.5,decay=0.7,recent=64,queries=16,every=512",
                kv_cells_per_layer: pyramidCells(512, 8, parsePyramidSchedule("r0=0.5,decay=0.7"), 512)});
            const answer = await fetch(`${base}/v1/completions`, {method: "POST", headers,
                body: JSON.stringify({model: "bench-dense-pyramid", prompt: "The river runs past the old market", max_tokens: 4, temperature: 0})});
            expect(answer.status).toBe(200);
            expect(((await answer.json()) as {usage: {completion_tokens: number}}).usage.completion_tokens).toBeGreaterThan(0);
        } finally {
            const exited = new Promise((resolve) => server.once("exit", resolve));
            server.kill("SIGTERM");
            await exited;
        }
    });
});
