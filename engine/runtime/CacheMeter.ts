import type {CacheType, ModelShape} from "./protocol.js";
import {UnsupportedCacheTypeError} from "./errors/UnsupportedCacheTypeError.js";
import {cacheBytesAt} from "../../api/cacheMath.js";
import {pyramidCells, pyramidRetained, type PyramidSchedule} from "../../api/pyramidCache.js";
import {layerKvBytesPerToken, retainedCacheBytes} from "../../api/pyramidShape.js";

export interface CacheMeterOptions {
    /** KV cache element type (default f16) */
    cacheType?: CacheType;
    /** the dense model to compare with; default: the shape's own provenance (RecurFormer) or itself (dense) */
    dense?: ModelShape;
    /** PyramidInfer KV retention: each layer keeps its schedule's share (engine/llama/PYRAMID.md) */
    pyramid?: PyramidSchedule;
}

/**
 * Cache bytes of one model at n tokens, computed from its shape (engine/llama/README.md, "Cache"):
 * `n x KV bytes per token + min(n, w) x window KV bytes per token + recurrent state bytes` (the window
 * term only for BASED, whose window layers keep the last w tokens), and the dense model's figure at the
 * same n (`n x dense KV bytes per token`; a dense model has no recurrent state). With a PyramidInfer schedule,
 * layer l holds `pyramidRetained(n)[l]` tokens of its own KV bytes per token instead of n (api/pyramidCache.ts),
 * and a context allocates `pyramidCells` cells per layer.
 */
export class CacheMeter {
    public readonly shape: ModelShape;
    public readonly cacheType: CacheType;
    /** KV bytes per token at this cache type */
    public readonly kvBytesPerToken: number;
    /** recurrent state bytes per sequence */
    public readonly recurrentStateBytes: number;
    /** BASED: window w and the window layers' KV bytes per token at this cache type (0 without a window) */
    public readonly windowTokens: number;
    public readonly windowKvBytesPerToken: number;
    /** the dense figure per token, when known */
    public readonly denseKvBytesPerToken?: number;
    /** where the dense figure comes from */
    public readonly denseFrom?: "file" | "provenance" | "self";
    /** the PyramidInfer schedule, when retention is on */
    public readonly pyramid?: PyramidSchedule;
    /** each layer's KV bytes per token at this cache type (K and V rows of its KV heads), what PyramidInfer sizes per layer */
    public readonly layerKvBytesPerToken: number[];

    public constructor(shape: ModelShape, {cacheType = "f16", dense, pyramid}: CacheMeterOptions = {}) {
        const kv = shape.kvBytesPerTokenByType[cacheType];
        if (kv == null)
            throw new UnsupportedCacheTypeError(shape.name, cacheType);
        this.shape = shape;
        this.cacheType = cacheType;
        this.kvBytesPerToken = kv;
        this.recurrentStateBytes = shape.recurrentStateBytes;
        this.windowTokens = shape.window?.tokens ?? 0;
        const windowKv = shape.window != null ? shape.window.kvBytesPerTokenByType[cacheType] : 0;
        if (windowKv == null)
            throw new UnsupportedCacheTypeError(shape.name, cacheType);
        this.windowKvBytesPerToken = windowKv;
        this.layerKvBytesPerToken = layerKvBytesPerToken(shape, cacheType);
        this.pyramid = pyramid;
        if (dense != null) {
            this.denseKvBytesPerToken = dense.kvBytesPerTokenByType[cacheType];
            this.denseFrom = "file";
        } else if (shape.denseKvBytesPerTokenByType?.[cacheType] != null) {
            this.denseKvBytesPerToken = shape.denseKvBytesPerTokenByType[cacheType];
            this.denseFrom = shape.architecture === "recurformer" ? "provenance" : "self";
        }
    }

    /**
     * Cache bytes of one sequence holding n tokens (api/cacheMath's sum, which the app's charts use too); with
     * PyramidInfer the tokens each layer retains `since` tokens after its last selection (0: right after one).
     */
    public bytesAt(tokens: number, since = 0): number {
        const retained = this.retainedAt(tokens, since);
        if (retained != null)
            return retainedCacheBytes(this.shape, retained, this.cacheType);
        return cacheBytesAt(tokens, this.kvBytesPerToken, this.recurrentStateBytes, {tokens: this.windowTokens, kvBytesPerToken: this.windowKvBytesPerToken});
    }

    /** PyramidInfer: tokens each layer holds at n tokens, `since` of them fed after the last selection; undefined when off. */
    public retainedAt(tokens: number, since = 0): number[] | undefined {
        return this.pyramid == null ? undefined : pyramidRetained(tokens, this.layerKvBytesPerToken.length, this.pyramid, since);
    }

    /** PyramidInfer: KV cells per layer the engine allocates for a context of `cells` read in batches of `batchSize`; undefined when off. */
    public pyramidCellsFor(cells: number, batchSize = 512): number[] | undefined {
        return this.pyramid == null ? undefined : pyramidCells(cells, this.layerKvBytesPerToken.length, this.pyramid, batchSize);
    }

    /** The dense model's cache bytes at n tokens, when known. */
    public denseBytesAt(tokens: number): number | undefined {
        return this.denseKvBytesPerToken == null ? undefined : tokens * this.denseKvBytesPerToken;
    }

    /** bytesAt(n) / denseBytesAt(n), when the dense figure is known. */
    public ratioAt(tokens: number): number | undefined {
        const dense = this.denseBytesAt(tokens);
        return dense == null || dense === 0 ? undefined : this.bytesAt(tokens) / dense;
    }

    /**
     * What llama.cpp allocates for a context: `cells` KV cells in each of `streams` streams (one per
     * sequence unless the KV cache is unified) and one recurrent state per sequence. With a window
     * (BASED) its SWA cache adds `windowCells(...)` cells per stream of the window layers' KV. With PyramidInfer
     * (one sequence) each layer has its own cache of `pyramidCellsFor(cells, batchSize)[l]` cells.
     */
    public contextBuffers({cells, streams = 1, sequences = 1, batchSize = 512}: {cells: number, streams?: number, sequences?: number, batchSize?: number}): {kvBufferBytes: number, recurrentBufferBytes: number} {
        const perLayer = this.pyramidCellsFor(cells, batchSize);
        if (perLayer != null)
            return {
                kvBufferBytes: streams * perLayer.reduce((sum, layerCells, l) => sum + layerCells * this.layerKvBytesPerToken[l]!, 0),
                recurrentBufferBytes: this.recurrentStateBytes > 0 ? Math.max(1, sequences) * this.recurrentStateBytes : 0
            };
        const window = this.windowTokens > 0 ? this.windowCells({cells, streams, sequences, batchSize}) * streams * this.windowKvBytesPerToken : 0;
        return {
            kvBufferBytes: cells * streams * this.kvBytesPerToken + window,
            recurrentBufferBytes: this.recurrentStateBytes > 0 ? Math.max(1, sequences) * this.recurrentStateBytes : 0
        };
    }

    /**
     * Cells per stream of llama.cpp's SWA cache (llama-kv-cache-iswa.cpp): the window (per sequence when
     * the cache is unified) plus one ubatch, at most the context's `cells`, padded up to 256.
     * node-llama-cpp runs SWA models at ubatch = batch size + 1 ("edge cases with SWA KV cache").
     */
    public windowCells({cells, streams = 1, sequences = 1, batchSize = 512}: {cells: number, streams?: number, sequences?: number, batchSize?: number}): number {
        const unified = streams === 1 ? Math.max(1, sequences) : 1;
        return Math.ceil(Math.min(cells, this.windowTokens * unified + batchSize + 1) / 256) * 256;
    }
}
