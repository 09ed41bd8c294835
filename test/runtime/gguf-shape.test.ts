// Shape and cache math on the fixture models. Every expected number is derived here, independently,
// from the GGUF header as node-llama-cpp's own reader (readGgufFileInfo) sees it, with the formulas of
// engine/llama/README.md written out again; the engine's parser (GgufFile) and GgufShape are not used
// to compute any expectation.
import fs from "node:fs";
import {beforeAll, describe, expect, it} from "vitest";
import {readGgufFileInfo} from "node-llama-cpp";
import {GgufShape} from "../../engine/runtime/gguf/GgufShape.js";
import {GgufFile} from "../../engine/runtime/gguf/GgufFile.js";
import {CacheMeter} from "../../engine/runtime/CacheMeter.js";
import {ensureFixtures, fixture, fixturesDir} from "./helpers.js";

beforeAll(() => ensureFixtures());

type Header = Awaited<ReturnType<typeof readGgufFileInfo>>;
async function header(file: string): Promise<Header> {
    return readGgufFileInfo(file, {readTensorInfo: true});
}
function arch(h: Header): Record<string, any> {
    const name = (h.metadata as any).general.architecture as string;
    return (h.metadata as any)[name];
}
const perLayer = (v: number | number[], layers: number) => Array.isArray(v) ? v : new Array<number>(layers).fill(v);

/** independent: f16 is 2 bytes per element; q8_0 is 34 bytes per block of 32 */
const rowBytes = (type: "f16" | "q8_0", elements: number) => type === "f16" ? 2 * elements : (elements / 32) * 34;

function expected(h: Header, type: "f16" | "q8_0" = "f16") {
    const a = arch(h);
    const layers = a.block_count as number;
    const heads = perLayer(a.attention.head_count, layers);
    const architecture = (h.metadata as any).general.architecture as string;
    // BASED: linear layers (kind 1) keep no KV; the window layers' KV lives for the last w tokens only
    const linear: boolean[] = architecture === "based" ? (a.layer_kinds as number[]).map((k) => k === 1) : new Array<boolean>(layers).fill(false);
    const kv = perLayer(a.attention.head_count_kv ?? a.attention.head_count, layers).map((n, il) => linear[il] ? 0 : n);
    const hd = (a.attention.key_length ?? a.embedding_length / heads[0]!) as number;
    const hdv = (a.attention.value_length ?? hd) as number;
    const kvOfLayers = kv.reduce((sum, n) => sum + rowBytes(type, n * hd) + rowBytes(type, n * hdv), 0);
    const kvPerToken = architecture === "based" ? 0 : kvOfLayers;
    let window = {tokens: 0, kvPerToken: 0};
    let recurrent = 0;
    let dense: number | undefined = kvPerToken;
    if (architecture === "based") {
        const d = a.linear_attention.feature_dim as number;
        const K = a.shortconv.l_cache as number;
        window = {tokens: a.attention.sliding_window, kvPerToken: kvOfLayers};
        recurrent = linear.filter(Boolean).length * ((K - 1) * a.embedding_length + heads[0]! * (1 + d + d * d) * (hdv + 1)) * 4;
        dense = undefined;
    } else if (architecture === "recurformer") {
        const {conv_kernel: K, inner_size: dInner, state_size: N, group_count: G} = a.ssm;
        const mambaLayers = heads.filter((q) => q < a.source.head_count).length;
        recurrent = mambaLayers * ((K - 1) * (dInner + 2 * G * N) * 4 + N * dInner * 4);
        dense = layers * (rowBytes(type, a.source.head_count_kv * hd) + rowBytes(type, a.source.head_count_kv * hdv));
    } else if (architecture === "falcon-h1") {
        // llama.cpp's own hybrid (the bench twin): a Mamba-2 branch in every layer, no dense provenance
        const {conv_kernel: K, inner_size: dInner, state_size: N, group_count: G} = a.ssm;
        recurrent = layers * ((K - 1) * (dInner + 2 * G * N) * 4 + N * dInner * 4);
        dense = undefined;
    }
    return {layers, heads, kv, hd, kvPerToken, window, recurrent, dense};
}

const models = () => fs.readdirSync(fixturesDir).filter((f) => f.endsWith(".gguf")).sort();

describe("GgufShape", () => {
    it("reads every fixture's shape as its header states it", async () => {
        expect(models().length).toBeGreaterThanOrEqual(5);
        for (const name of models()) {
            const h = await header(fixture(name));
            const e = expected(h);
            const {shape} = await GgufShape.read(fixture(name));
            expect(shape.architecture, name).toBe((h.metadata as any).general.architecture);
            expect(shape.layers, name).toBe(e.layers);
            expect(shape.headsPerLayer, name).toEqual(e.heads);
            expect(shape.kvHeadsPerLayer, name).toEqual(e.kv);
            expect(shape.headDim, name).toBe(e.hd);
            expect(shape.parameterCount, name).toBe(h.fullTensorInfo!.reduce((s, t) => s + t.dimensions.reduce<number>((p, d) => p * Number(d), 1), 0));
            expect(shape.fileBytes, name).toBe(fs.statSync(fixture(name)).size);
        }
    });

    it("computes KV bytes per token, recurrent state bytes and the dense source's figure exactly", async () => {
        for (const name of models()) {
            const h = await header(fixture(name));
            const e = expected(h);
            const shape = await GgufShape.read(fixture(name));
            expect(shape.shape.kvBytesPerToken, name).toBe(e.kvPerToken);
            expect(shape.shape.recurrentStateBytes, name).toBe(e.recurrent);
            expect(shape.shape.denseKvBytesPerToken, name).toBe(e.dense);
            if (e.kv.every((n) => (n * e.hd) % 32 === 0)) {
                const q8 = expected(h, "q8_0");
                expect(shape.kvBytesPerToken("q8_0"), name).toBe(q8.kvPerToken);
            } else
                expect(() => shape.kvBytesPerToken("q8_0"), name).toThrow(/multiple of 32 elements.*Use an f16 cache/);
        }
    });

    it("sizes the Mamba-2 state of rf-gqa-r4 by hand: 3 layers x ((4-1)(64 + 2*4*16) + 16*64) x 4 bytes", async () => {
        const {shape} = await GgufShape.read(fixture("rf-gqa-r4.gguf"));
        expect(shape.ssm).toEqual({convKernel: 4, innerSize: 64, stateSize: 16, heads: 8, groups: 4});
        expect(shape.recurrentStateBytes).toBe(3 * ((4 - 1) * (64 + 2 * 4 * 16) + 16 * 64) * 4);
        // kept: 4 of 8 KV heads x head dim 8, K and V at 2 bytes, 3 layers
        expect(shape.kvBytesPerToken).toBe(3 * 2 * 4 * 8 * 2);
        expect(shape.denseKvBytesPerToken).toBe(3 * 2 * 8 * 8 * 2);
    });

    it("a layer whose heads were all kept has no Mamba branch and no recurrent state", async () => {
        const h = await header(fixture("rf-gqa-skip.gguf"));
        const a = arch(h);
        const {shape} = await GgufShape.read(fixture("rf-gqa-skip.gguf"));
        const kept = perLayer(a.attention.head_count, a.block_count).map((q: number) => q === a.source.head_count);
        expect(kept.some(Boolean)).toBe(true);
        expect(shape.recurrentLayers).toEqual(kept.map((k: boolean) => !k));
        expect(shape.replacedKvGroupsPerLayer).toEqual(a.provenance.replaced_count);
    });
});

describe("CacheMeter", () => {
    it("bytes at n tokens = n x KV bytes per token (+ min(n, w) x window KV for BASED) + recurrent state; dense = n x dense KV bytes per token", async () => {
        for (const name of models()) {
            const e = expected(await header(fixture(name)));
            const meter = new CacheMeter((await GgufShape.read(fixture(name))).shape);
            for (const n of [0, 1, 1000, 16384]) {
                expect(meter.bytesAt(n), `${name} @ ${n}`).toBe(n * e.kvPerToken + Math.min(n, e.window.tokens) * e.window.kvPerToken + e.recurrent);
                expect(meter.denseBytesAt(n), `${name} @ ${n}`).toBe(e.dense == null ? undefined : n * e.dense);
            }
        }
    });

    it("a RecurFormer model with 7 of 8 KV groups replaced holds at most 13% of its dense source's cache at 16,384 tokens", async () => {
        for (const name of ["rf-gqa-r7.gguf", "rf-mha-r7.gguf", "bench-recurformer.gguf"].filter((n) => fs.existsSync(fixture(n)))) {
            const meter = new CacheMeter((await GgufShape.read(fixture(name))).shape);
            const ratio = meter.ratioAt(16384)!;
            expect(ratio, name).toBeLessThanOrEqual(0.13);
            expect(ratio, name).toBeGreaterThan(0.125); // 1/8 of the KV plus the fixed state
        }
    });

    it("compares with a given dense file instead of the provenance when asked", async () => {
        const dense = (await GgufShape.read(fixture("dense-llama-gqa.gguf"))).shape;
        const rf = (await GgufShape.read(fixture("rf-gqa-r4.gguf"))).shape;
        const meter = new CacheMeter(rf, {dense});
        expect(meter.denseFrom).toBe("file");
        expect(meter.denseBytesAt(100)).toBe(100 * dense.kvBytesPerToken);
        // the fixture pair is the same source: provenance and file agree
        expect(rf.denseKvBytesPerToken).toBe(dense.kvBytesPerToken);
    });

    it("sizes a q8_0 cache at 34 bytes per 32 elements", async () => {
        const shape = (await GgufShape.read(fixture("dense-llama-gqa.gguf"))).shape;
        const meter = new CacheMeter(shape, {cacheType: "q8_0"});
        expect(meter.kvBytesPerToken).toBe(shape.kvBytesPerToken / 2 * 34 / 32);
    });
});

describe("GgufFile", () => {
    it("reads the same keys and tensors as node-llama-cpp's reader", async () => {
        for (const name of models()) {
            const h = await header(fixture(name));
            const file = await GgufFile.read(fixture(name));
            expect(file.version, name).toBe(h.version);
            expect(file.tensors.map((t) => t.name), name).toEqual(h.fullTensorInfo!.map((t) => t.name));
            expect(file.tensors.map((t) => t.dims), name).toEqual(h.fullTensorInfo!.map((t) => t.dimensions.map(Number)));
            expect(file.dataOffset + file.tensors[0]!.offset, name).toBe(Number(h.fullTensorInfo![0]!.fileOffset));
            expect(file.get("general.architecture"), name).toBe((h.metadata as any).general.architecture);
        }
    });
});
