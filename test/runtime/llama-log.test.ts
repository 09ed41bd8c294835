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
            recurrentBufferBytesMeasured: 2 * 1024 * 1024
        });
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
