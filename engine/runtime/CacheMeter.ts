import type {CacheType, ModelShape} from "./protocol.js";
import {UnsupportedCacheTypeError} from "./errors/UnsupportedCacheTypeError.js";

export interface CacheMeterOptions {
    /** KV cache element type (default f16) */
    cacheType?: CacheType;
    /** the dense model to compare with; default: the shape's own provenance (RecurFormer) or itself (dense) */
    dense?: ModelShape;
}

/**
 * Cache bytes of one model at n tokens, computed from its shape (engine/llama/README.md, "Cache"):
 * `n x KV bytes per token + recurrent state bytes`, and the dense model's figure at the same n
 * (`n x dense KV bytes per token`; a dense model has no recurrent state).
 */
export class CacheMeter {
    public readonly shape: ModelShape;
    public readonly cacheType: CacheType;
    /** KV bytes per token at this cache type */
    public readonly kvBytesPerToken: number;
    /** recurrent state bytes per sequence */
    public readonly recurrentStateBytes: number;
    /** the dense figure per token, when known */
    public readonly denseKvBytesPerToken?: number;
    /** where the dense figure comes from */
    public readonly denseFrom?: "file" | "provenance" | "self";

    public constructor(shape: ModelShape, {cacheType = "f16", dense}: CacheMeterOptions = {}) {
        const kv = shape.kvBytesPerTokenByType[cacheType];
        if (kv == null)
            throw new UnsupportedCacheTypeError(shape.name, cacheType);
        this.shape = shape;
        this.cacheType = cacheType;
        this.kvBytesPerToken = kv;
        this.recurrentStateBytes = shape.recurrentStateBytes;
        if (dense != null) {
            this.denseKvBytesPerToken = dense.kvBytesPerTokenByType[cacheType];
            this.denseFrom = "file";
        } else if (shape.denseKvBytesPerTokenByType?.[cacheType] != null) {
            this.denseKvBytesPerToken = shape.denseKvBytesPerTokenByType[cacheType];
            this.denseFrom = shape.architecture === "recurformer" ? "provenance" : "self";
        }
    }

    /** Cache bytes of one sequence holding n tokens. */
    public bytesAt(tokens: number): number {
        return tokens * this.kvBytesPerToken + this.recurrentStateBytes;
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
     * sequence unless the KV cache is unified) and one recurrent state per sequence.
     */
    public contextBuffers({cells, streams = 1, sequences = 1}: {cells: number, streams?: number, sequences?: number}): {kvBufferBytes: number, recurrentBufferBytes: number} {
        return {
            kvBufferBytes: cells * streams * this.kvBytesPerToken,
            recurrentBufferBytes: this.recurrentStateBytes > 0 ? Math.max(1, sequences) * this.recurrentStateBytes : 0
        };
    }
}
