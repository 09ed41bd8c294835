import {EngineError} from "./EngineError.js";

/** llama.cpp cannot use the asked KV cache type for this model's shape (a KV row is not a whole number of blocks). */
export class UnsupportedCacheTypeError extends EngineError {
    public readonly model: string;
    public readonly cacheType: string;

    public constructor(model: string, cacheType: string) {
        super(
            `${model} cannot use a ${cacheType} KV cache: every layer's KV row (KV heads x head dim) must be a multiple of 32 elements ` +
            "for a block-quantized cache. Use an f16 cache for this model."
        );
        this.model = model;
        this.cacheType = cacheType;
    }
}
