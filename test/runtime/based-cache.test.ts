// BASED's cache (engine/llama/README.md "GGUF format: based", "Cache"): the shape read from the based-w16
// fixture, the bytes it implies (a fixed state plus w tokens of window KV, flat past the window), and
// llama.cpp's own buffers for contexts of 1k and 16k tokens and for two sequences equal to the computed ones.
import {beforeAll, describe, expect, it} from "vitest";
import type {InspectReport} from "../../engine/runtime/protocol.js";
import {GgufShape} from "../../engine/runtime/gguf/GgufShape.js";
import {CacheMeter} from "../../engine/runtime/CacheMeter.js";
import {ensureCompiled, ensureFixtures, fixture, runCli, startEngine} from "./helpers.js";

// based-w16 (test/fixtures/fixtures.py): width 128, 4 heads of 32, layers linear/swa/linear/swa, w 16, d' 8, K 3
const linearStateBytes = ((3 - 1) * 128 + 4 * (1 + 8 + 64) * (32 + 1)) * 4;   // conv + {D, hd+1, H}, F32
const windowKvPerToken = 2 * 128 * 2 * 2;                                       // 2 window layers, K and V, f16

describe("BASED cache", {timeout: 180_000}, () => {
    beforeAll(() => {
        ensureFixtures();
        ensureCompiled();
    });

    it("reads the shape: no growing KV, w tokens of window KV, a fixed state in the linear layers", async () => {
        const {shape} = await GgufShape.read(fixture("based-w16.gguf"));
        expect(shape.architecture).toBe("based");
        expect(shape.recurrentLayers).toEqual([true, false, true, false]);
        expect(shape.kvHeadsPerLayer).toEqual([0, 4, 0, 4]);
        expect(shape.kvBytesPerToken).toBe(0);
        expect(shape.window).toEqual({tokens: 16, kvBytesPerToken: windowKvPerToken, kvBytesPerTokenByType: {f16: windowKvPerToken, q8_0: windowKvPerToken * 34 / 64}});
        expect(shape.linearAttention).toEqual({featureDim: 8, convKernel: 3, stateBytesPerLayer: linearStateBytes});
        expect(shape.recurrentStateBytes).toBe(2 * linearStateBytes);

        const meter = new CacheMeter(shape);
        expect(meter.bytesAt(5)).toBe(5 * windowKvPerToken + 2 * linearStateBytes);
        expect(meter.bytesAt(1024)).toBe(16 * windowKvPerToken + 2 * linearStateBytes);
        expect(meter.bytesAt(16_384)).toBe(meter.bytesAt(1024));
    });

    for (const tokens of [1024, 16_384]) {
        it(`inspect at ${tokens} tokens: the computed bytes, and llama.cpp's KV and state buffers equal to the computed ones`, async () => {
            const res = await runCli(["inspect", fixture("based-w16.gguf"), "--tokens", String(tokens)]);
            expect(res.code, res.stderr).toBe(0);
            const report = JSON.parse(res.stdout) as InspectReport;
            expect(report.cacheBytesComputed).toBe(16 * windowKvPerToken + 2 * linearStateBytes);
            expect(report.recurrentStateBytes).toBe(2 * linearStateBytes);
            const m = report.measured!;
            // llama.cpp's SWA cache: the window plus one ubatch (batch 512 + 1), padded to 256 cells
            expect(m.kvWindowCells).toBe(768);
            expect(m.kvBufferBytesComputed).toBe(768 * windowKvPerToken);
            expect(m.recurrentBufferBytesComputed).toBe(2 * linearStateBytes);
            expect(m.kvAgrees).toBe(true);
            expect(m.recurrentAgrees).toBe(true);
            expect(m.recurrentBufferBytesMeasured).toBeDefined();
        });
    }

    it("loads with two sequences: computed buffers equal llama.cpp's, one window cache and one state per sequence", async () => {
        const engine = await startEngine();
        try {
            const load = await engine.load("b", {modelPath: fixture("based-w16.gguf"), contextSize: 2048, sequences: 2, batchSize: 256});
            const b = load.buffers;
            expect(b.kvStreams).toBe(2);
            expect(b.kvWindowCells).toBe(512);                     // pad256(16 + 257)
            const kvMeasured = b.kBytesMeasured! + b.vBytesMeasured!;
            const stateComputed = 2 * 2 * linearStateBytes;
            expect(Math.abs(kvMeasured - 2 * 512 * windowKvPerToken)).toBeLessThanOrEqual(0.0102 * 1024 * 1024);
            expect(Math.abs(b.recurrentBufferBytesMeasured! - stateComputed)).toBeLessThanOrEqual(0.0051 * 1024 * 1024);
            expect(load.cacheBytesComputed).toBe(2 * 512 * windowKvPerToken + stateComputed);
        } finally {
            await engine.shutdown();
        }
    });
});
