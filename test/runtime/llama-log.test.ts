// Reading llama.cpp's log: the reason a load failed, and the buffers a context allocated.
// The lines are llama.cpp's own format strings (llama-model.cpp, llama-kv-cache.cpp, llama-memory-recurrent.cpp).
import {describe, expect, it} from "vitest";
import {LlamaLog} from "../../engine/runtime/llama/LlamaLog.js";

const lines = (...texts: string[]) => texts.map((text) => ({level: "info", text}));

describe("LlamaLog", () => {
    it("finds llama.cpp's reason behind node-llama-cpp's bare \"Failed to load model\"", () => {
        const log = lines(
            "llama_model_loader: - type  f32:   29 tensors",
            "llama_model_load: error loading model: missing tensor 'blk.0.ffn_norm.weight'",
            "llama_model_load_from_file_impl: failed to load model"
        );
        expect(LlamaLog.failureReason(log)).toBe("missing tensor 'blk.0.ffn_norm.weight'");
        expect(LlamaLog.failureReason(lines("llama_model_load: error loading model architecture: unknown model architecture: 'recurformer'")))
            .toBe("unknown model architecture: 'recurformer'");
        expect(LlamaLog.failureReason(lines("nothing relevant"))).toBeUndefined();
    });

    it("reads the KV and recurrent buffers a context allocated, summed over devices", () => {
        const b = LlamaLog.buffers(lines(
            "llama_kv_cache:        CPU KV buffer size =    12.00 MiB",
            "llama_kv_cache:      CUDA0 KV buffer size =     4.00 MiB",
            "llama_kv_cache: size =   16.00 MiB (  1024 cells,   8 layers,  2/2 seqs), K (f16):    8.00 MiB, V (f16):    8.00 MiB",
            "llama_memory_recurrent:        CPU RS buffer size =     2.00 MiB"
        ));
        expect(b).toEqual({
            kvBufferBytesMeasured: 16 * 1024 * 1024,
            kvCells: 1024,
            kvStreams: 2,
            kBytesMeasured: 8 * 1024 * 1024,
            vBytesMeasured: 8 * 1024 * 1024,
            kvCaches: 1,
            recurrentBufferBytesMeasured: 2 * 1024 * 1024
        });
    });

    it("reads BASED's two caches: the full-context cells, the window cells, K and V of both", () => {
        const b = LlamaLog.buffers(lines(
            "llama_kv_cache:        CPU KV buffer size =     0.00 MiB",
            "llama_kv_cache: size =    0.00 MiB (  2048 cells,   0 layers,  2/2 seqs), K (f16):    0.00 MiB, V (f16):    0.00 MiB",
            "llama_kv_cache:        CPU KV buffer size =     1.00 MiB",
            "llama_kv_cache: size =    1.00 MiB (   512 cells,   2 layers,  2/2 seqs), K (f16):    0.50 MiB, V (f16):    0.50 MiB"
        ));
        expect(b).toEqual({
            kvBufferBytesMeasured: 1024 * 1024, kvCells: 2048, kvStreams: 2, kvWindowCells: 512,
            kBytesMeasured: 512 * 1024, vBytesMeasured: 512 * 1024, kvCaches: 2
        });
    });

    it("reads PyramidInfer's caches, one per layer: the cells per layer from its own line, K and V summed over all", () => {
        const b = LlamaLog.buffers(lines(
            "llama_kv_cache:        CPU KV buffer size =    26.00 MiB",
            "llama_kv_cache: size =   26.00 MiB ( 13312 cells,   1 layers,  1/1 seqs), K (f16):   13.00 MiB, V (f16):   13.00 MiB",
            "llama_kv_cache:        CPU KV buffer size =    18.50 MiB",
            "llama_kv_cache: size =   18.50 MiB (  9472 cells,   1 layers,  1/1 seqs), K (f16):    9.25 MiB, V (f16):    9.25 MiB",
            "llama_kv_cache:        CPU KV buffer size =     3.50 MiB",
            "llama_kv_cache: size =    3.50 MiB (  1792 cells,   1 layers,  1/1 seqs), K (f16):    1.75 MiB, V (f16):    1.75 MiB",
            "llama_memory_recurrent:        CPU RS buffer size =     1.00 MiB",
            "llama_memory_pyramid: r0 = 0.8, decay = 0.7, recent = 64, queries = 16, every = 512; cells per layer = 13312 9472 1792"
        ));
        expect(b).toEqual({
            kvBufferBytesMeasured: 48 * 1024 * 1024,
            kvCellsPerLayer: [13312, 9472, 1792],
            kvStreams: 1,
            kBytesMeasured: 24 * 1024 * 1024,
            vBytesMeasured: 24 * 1024 * 1024,
            kvCaches: 3,
            recurrentBufferBytesMeasured: 1024 * 1024
        });
        expect(LlamaLog.pyramid(lines("llama_memory_pyramid: r0 = 1, decay = 0.8, recent = 8, queries = 4, every = 16; cells per layer = 256 256")))
            .toEqual({schedule: {r0: 1, decay: 0.8, recent: 8, queries: 4, every: 16}, cellsPerLayer: [256, 256]});
        expect(LlamaLog.pyramid(lines("llama_kv_cache: size =   16.00 MiB (  1024 cells,   8 layers,  1/1 seqs), K (f16):    8.00 MiB, V (f16):    8.00 MiB")))
            .toBeUndefined();
    });

    it("keeps a bounded ring and returns what was written since a mark", () => {
        const seen: string[] = [];
        const log = new LlamaLog({keepLines: 3, onLine: (line) => seen.push(line.text)});
        log.logger("info", "a");
        const mark = log.mark();
        log.logger("warn", "b\nc");
        log.logger("error", "d");
        expect(log.since(mark).map((l) => l.text)).toEqual(["b", "c", "d"]);
        expect(log.tail(10)).toEqual(["warn: b", "warn: c", "error: d"]);
        expect(seen).toEqual(["a", "b", "c", "d"]);
    });
});
