import type {MeasuredBuffers} from "../protocol.js";
import type {PyramidSchedule} from "../../../api/pyramidCache.js";

/** One llama.cpp log line. */
export interface LlamaLogLine {
    /** node-llama-cpp's level name: error, warn, info, debug, ... */
    level: string;
    text: string;
}

export interface LlamaLogOptions {
    /** lines kept in memory (default 400) */
    keepLines?: number;
    /** called with every complete line (the engine echoes them to stderr, so the parent keeps the tail when llama.cpp aborts) */
    onLine?: (line: LlamaLogLine) => void;
}

const mib = 1024 * 1024;

/**
 * llama.cpp's log, captured through getLlama's `logger`: a ring of recent lines, with marks so a
 * caller can read what one operation logged. It knows how to read two things out of it: why a
 * load failed (node-llama-cpp only says "Failed to load model") and the buffer sizes llama.cpp
 * allocated for a context.
 */
export class LlamaLog {
    private readonly lines: LlamaLogLine[] = [];
    private readonly keepLines: number;
    private readonly onLine?: (line: LlamaLogLine) => void;
    /** lines ever written; a mark is a value of this counter */
    private written = 0;

    public constructor({keepLines = 400, onLine}: LlamaLogOptions = {}) {
        this.keepLines = keepLines;
        this.onLine = onLine;
    }

    /** The logger to hand to getLlama. */
    public readonly logger = (level: string, message: string): void => {
        this.write(String(level), message);
    };

    /** node-llama-cpp hands over whole lines (several at once, joined by "\n", at times). */
    public write(level: string, message: string): void {
        for (const text of message.split("\n"))
            this.push({level, text});
    }

    private push(line: LlamaLogLine): void {
        if (line.text.trim().length === 0)
            return;
        this.lines.push(line);
        if (this.lines.length > this.keepLines)
            this.lines.splice(0, this.lines.length - this.keepLines);
        this.written++;
        this.onLine?.(line);
    }

    /** A mark for `since()`. */
    public mark(): number {
        return this.written;
    }

    /** The lines written since a mark (as many as are still kept). */
    public since(mark: number): LlamaLogLine[] {
        const count = Math.min(this.written - mark, this.lines.length);
        return count <= 0 ? [] : this.lines.slice(this.lines.length - count);
    }

    /** The last n lines as text. */
    public tail(n = 20, from?: number): string[] {
        const lines = from != null ? this.since(from) : this.lines;
        return lines.slice(-n).map((line) => `${line.level}: ${line.text}`);
    }

    /** The CPU variant ggml loaded, from "load_backend: loaded CPU backend from .../libggml-cpu-haswell.so". */
    public static cpuVariantLoaded(lines: LlamaLogLine[]): string | undefined {
        for (const line of lines) {
            const match = /loaded CPU backend from .*ggml-cpu-([\w.-]+)\.(?:so|dll|dylib)\s*$/.exec(line.text);
            if (match != null) return match[1];
        }
        return undefined;
    }

    /**
     * The reason llama.cpp gave for a failed load, from lines like
     * "llama_model_load: error loading model: missing tensor 'blk.0.ffn_norm.weight'".
     */
    public static failureReason(lines: LlamaLogLine[]): string | undefined {
        const patterns = [
            /error loading model(?: architecture)?: (.+)$/,
            /failed to initialize the context: (.+)$/,
            /gguf_init_from_file_impl: (.+)$/,
            /llama_init_from_model: (.+)$/,
            /(unknown model architecture: .+)$/,
            /(key not found in model: .+)$/,
            /(tensor '.+' has wrong shape.*)$/,
            /(missing tensor .+)$/
        ];
        for (const pattern of patterns)
            for (let i = lines.length - 1; i >= 0; i--) {
                const match = lines[i]!.text.match(pattern);
                if (match != null)
                    return match[1]!.trim().replace(/\.$/, "");
            }
        const lastError = [...lines].reverse().find((line) => line.level === "error" && !/failed to load model$/i.test(line.text.trim()));
        return lastError?.text.replace(/^\w+: /, "").trim();
    }

    /**
     * The PyramidInfer memory llama.cpp created, from its line "llama_memory_pyramid: r0 = 0.8, decay = 0.7,
     * recent = 64, queries = 16, every = 512; cells per layer = c0 c1 ...": the schedule as the engine took it
     * (every resolved to the batch size when the schedule left it out) and each layer's KV cells. Undefined: none.
     */
    public static pyramid(lines: LlamaLogLine[]): {schedule: Required<PyramidSchedule>, cellsPerLayer: number[]} | undefined {
        for (const {text} of lines) {
            const match = /llama_memory_pyramid: r0 = ([\d.e+-]+), decay = ([\d.e+-]+), recent = (\d+), queries = (\d+), every = (\d+); cells per layer = ([\d ]+?)\s*$/.exec(text);
            if (match != null)
                return {
                    schedule: {r0: Number(match[1]), decay: Number(match[2]), recent: Number(match[3]), queries: Number(match[4]), every: Number(match[5])},
                    cellsPerLayer: match[6]!.trim().split(/\s+/).map(Number)
                };
        }
        return undefined;
    }

    /**
     * The context buffers llama.cpp logged while creating a context (0.01 MiB resolution). Every KV cache logs its
     * own "llama_kv_cache: size = ..." line: one; an iSWA memory (BASED) its full-context cache, then its window
     * cache; PyramidInfer one cache per layer, then "llama_memory_pyramid: ... cells per layer = c0 c1 ...".
     * K and V are summed over all of them.
     */
    public static buffers(lines: LlamaLogLine[]): MeasuredBuffers {
        const out: MeasuredBuffers = {};
        const caches: {cells: number, streams: number, k: number, v: number}[] = [];
        const cellsPerLayer = LlamaLog.pyramid(lines)?.cellsPerLayer;
        for (const {text} of lines) {
            let match = text.match(/llama_kv_cache:\s+\S+ KV buffer size =\s+([\d.]+) MiB/);
            if (match != null)
                out.kvBufferBytesMeasured = (out.kvBufferBytesMeasured ?? 0) + Math.round(Number(match[1]) * mib);
            match = text.match(/llama_memory_recurrent:\s+\S+ RS buffer size =\s+([\d.]+) MiB/);
            if (match != null)
                out.recurrentBufferBytesMeasured = (out.recurrentBufferBytesMeasured ?? 0) + Math.round(Number(match[1]) * mib);
            match = text.match(/llama_kv_cache: size =\s+[\d.]+ MiB \(\s*(\d+) cells,\s*\d+ layers,\s*\d+\/(\d+) seqs\).*K \(\w+\):\s+([\d.]+) MiB, V \(\w+\):\s+([\d.]+) MiB/);
            if (match != null)
                caches.push({cells: Number(match[1]), streams: Number(match[2]), k: Math.round(Number(match[3]) * mib), v: Math.round(Number(match[4]) * mib)});
        }
        if (caches.length > 0) {
            out.kvStreams = caches[0]!.streams;
            if (cellsPerLayer != null)
                out.kvCellsPerLayer = cellsPerLayer;
            else {
                out.kvCells = caches[0]!.cells;
                if (caches.length > 1)
                    out.kvWindowCells = caches[1]!.cells;
            }
            out.kBytesMeasured = caches.reduce((sum, c) => sum + c.k, 0);
            out.vBytesMeasured = caches.reduce((sum, c) => sum + c.v, 0);
            out.kvCaches = caches.length;
        }
        return out;
    }
}
