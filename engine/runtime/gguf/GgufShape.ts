import path from "node:path";
import type {CacheType, LinearAttentionShape, ModelShape, SsmShape} from "../protocol.js";
import {GgufShapeError} from "../errors/GgufShapeError.js";
import {UnsupportedArchitectureError} from "../errors/UnsupportedArchitectureError.js";
import {UnsupportedCacheTypeError} from "../errors/UnsupportedCacheTypeError.js";
import {GgufFile, type GgufValue} from "./GgufFile.js";
import {cacheTypeIds, ggmlRowBytes, ggmlTypes} from "./ggmlTypes.js";

/** Architectures whose cache this engine can size (and which the app runs). */
export const supportedArchitectures = ["llama", "qwen2", "recurformer", "falcon-h1", "mamba2", "based"] as const;
export type SupportedArchitecture = typeof supportedArchitectures[number];

/** Bounds past which a value is taken as damage rather than a model. */
const limits = {
    layers: 4096,
    width: 1 << 18,
    heads: 4096,
    headDim: 4096,
    contextLength: 1 << 27,
    ffn: 1 << 20,
    ssmState: 1 << 16,
    ssmInner: 1 << 20,
    convKernel: 64,
    featureDim: 256
};

/**
 * The shape of a model as its GGUF header states it (architecture, layers, heads and kept heads
 * per layer, KV heads, head dim, Mamba-2 sizes), checked against the tensor table, and what follows
 * from it: KV bytes per token, recurrent state bytes per sequence, and the dense source's KV bytes
 * per token (RecurFormer provenance).
 *
 * Formulas (engine/llama/README.md, "Cache"):
 * - KV bytes per token = sum over layers of row(K type, kv_l x hd) + row(V type, kv_l x hd_v),
 *   where row() is ggml's row size (f16: 2 bytes per element, q8_0: 34 bytes per 32 elements).
 * - recurrent state per sequence = per Mamba layer (K-1)(d_inner + 2GN) x 4 + N x d_inner x 4 bytes.
 * - dense source KV bytes per token = the first formula with source.head_count_kv on every layer.
 * - BASED ("GGUF format: based"): no KV that grows with the context; the window layers' KV per token (the
 *   first formula over those layers) lives for the last w tokens only (`window`), and each linear layer's
 *   state is (K-1) x width + heads x (1 + d' + d'^2) x (hd + 1) F32 values per sequence.
 */
export class GgufShape {
    public readonly file: GgufFile;
    public readonly shape: ModelShape;

    private constructor(file: GgufFile, shape: ModelShape) {
        this.file = file;
        this.shape = shape;
    }

    /** Reads a GGUF file's header and derives its shape. Throws `InvalidGgufError`, `UnsupportedArchitectureError` or `GgufShapeError`. */
    public static async read(filePath: string): Promise<GgufShape> {
        return GgufShape.fromFile(await GgufFile.read(filePath));
    }

    public static fromFile(file: GgufFile): GgufShape {
        return new GgufShape(file, new ShapeReader(file).read());
    }

    /** KV bytes per token at a cache type; throws when llama.cpp cannot use that type for this shape. */
    public kvBytesPerToken(cacheType: CacheType = "f16"): number {
        const bytes = this.shape.kvBytesPerTokenByType[cacheType];
        if (bytes == null)
            throw new UnsupportedCacheTypeError(path.basename(this.file.path), cacheType);
        return bytes;
    }

    /** The dense source's KV bytes per token at a cache type, when known. */
    public denseKvBytesPerToken(cacheType: CacheType = "f16"): number | undefined {
        return this.shape.denseKvBytesPerTokenByType?.[cacheType];
    }
}

/** Reads one file's keys; every check names the key or tensor at fault. */
class ShapeReader {
    private readonly path: string;

    public constructor(private readonly file: GgufFile) {
        this.path = file.path;
    }

    public read(): ModelShape {
        const file = this.file;
        const archValue = file.get("general.architecture");
        if (typeof archValue !== "string" || archValue.length === 0)
            throw new GgufShapeError(this.path, "the key general.architecture is missing", {field: "general.architecture"});
        if (!(supportedArchitectures as readonly string[]).includes(archValue))
            throw new UnsupportedArchitectureError(this.path, archValue, supportedArchitectures);
        const arch = archValue as SupportedArchitecture;

        const layers = this.uint(`${arch}.block_count`, {min: 1, max: limits.layers});
        const width = this.uint(`${arch}.embedding_length`, {min: 1, max: limits.width});
        const contextLength = this.uint(`${arch}.context_length`, {min: 1, max: limits.contextLength});
        const hasAttention = arch !== "mamba2";

        // metadata llama.cpp checks with GGML_ASSERT (an abort that would take the engine down): check it here first
        const experts = this.optionalUint(`${arch}.expert_count`, {min: 0, max: 1 << 16}) ?? 0;
        const expertsUsedValue = file.get(`${arch}.expert_used_count`);
        const expertsUsed = expertsUsedValue == null ? [0] : this.perLayer(`${arch}.expert_used_count`, layers, {min: 0, max: 1 << 16});
        if (Math.max(...expertsUsed) > experts)
            throw new GgufShapeError(this.path, `${arch}.expert_used_count is ${Math.max(...expertsUsed)}, more than the ${experts} experts the model has`, {field: `${arch}.expert_used_count`});
        const nextn = this.optionalUint(`${arch}.nextn_predict_layers`, {min: 0, max: limits.layers}) ?? 0;
        if (nextn > layers)
            throw new GgufShapeError(this.path, `${arch}.nextn_predict_layers is ${nextn}, more than the ${layers} layers`, {field: `${arch}.nextn_predict_layers`});

        const heads = hasAttention
            ? this.perLayer(`${arch}.attention.head_count`, layers, {min: 1, max: limits.heads})
            : new Array<number>(layers).fill(0);
        const kvHeads = hasAttention
            ? (file.get(`${arch}.attention.head_count_kv`) != null
                ? this.perLayer(`${arch}.attention.head_count_kv`, layers, {min: 1, max: limits.heads})
                : [...heads])
            : new Array<number>(layers).fill(0);

        let headDim = 0;
        let valueHeadDim = 0;
        if (hasAttention) {
            const keyLength = this.optionalUint(`${arch}.attention.key_length`, {min: 1, max: limits.headDim});
            if (keyLength == null && arch === "recurformer")
                throw new GgufShapeError(this.path, `the key ${arch}.attention.key_length is missing (required: width / heads no longer holds)`, {field: `${arch}.attention.key_length`});
            if (keyLength == null && width % heads[0]! !== 0)
                throw new GgufShapeError(this.path, `width ${width} is not a multiple of ${heads[0]} heads and ${arch}.attention.key_length is missing`);
            headDim = keyLength ?? width / heads[0]!;
            valueHeadDim = this.optionalUint(`${arch}.attention.value_length`, {min: 1, max: limits.headDim}) ?? headDim;
        }

        for (let il = 0; il < layers; il++) {
            const nq = heads[il]!;
            const nkv = kvHeads[il]!;
            if (hasAttention && (nkv > nq || (nkv > 0 && nq % nkv !== 0)))
                throw new GgufShapeError(this.path, `${nq} query heads cannot share ${nkv} KV heads (query heads must be a whole multiple of KV heads)`, {layer: il, field: `${arch}.attention.head_count_kv`});
        }

        let ssm: SsmShape | undefined;
        let recurrentLayers = new Array<boolean>(layers).fill(false);
        let sourceHeads: number | undefined;
        let sourceKvHeads: number | undefined;
        let replaced: number[] | undefined;

        if (arch === "recurformer") {
            sourceHeads = this.uint(`${arch}.source.head_count`, {min: 1, max: limits.heads});
            sourceKvHeads = this.uint(`${arch}.source.head_count_kv`, {min: 1, max: limits.heads});
            recurrentLayers = heads.map((nq) => nq < sourceHeads!);
            for (let il = 0; il < layers; il++) {
                if (heads[il]! > sourceHeads || kvHeads[il]! > sourceKvHeads)
                    throw new GgufShapeError(this.path, `keeps ${heads[il]}/${kvHeads[il]} query/KV heads, more than the source's ${sourceHeads}/${sourceKvHeads}`, {layer: il, field: `${arch}.attention.head_count`});
            }
            if (recurrentLayers.some(Boolean))
                ssm = this.readSsm(arch);

            for (let il = 0; il < layers; il++) {
                if (!recurrentLayers[il]) {
                    if (kvHeads[il] !== sourceKvHeads)
                        throw new GgufShapeError(this.path, `keeps all ${sourceHeads} query heads but only ${kvHeads[il]} of ${sourceKvHeads} KV heads`, {layer: il, field: `${arch}.attention.head_count_kv`});
                    continue;
                }
                const replacedQ = sourceHeads - heads[il]!;
                const replacedKv = sourceKvHeads - kvHeads[il]!;
                if (replacedQ !== ssm!.heads || replacedKv !== ssm!.groups)
                    throw new GgufShapeError(this.path,
                        `replaced ${replacedQ} query heads in ${replacedKv} KV groups, but ssm.time_step_rank = ${ssm!.heads} and ssm.group_count = ${ssm!.groups}`,
                        {layer: il, field: `${arch}.attention.head_count`});
            }
            if (ssm != null && ssm.innerSize !== ssm.heads * headDim)
                throw new GgufShapeError(this.path, `ssm.inner_size is ${ssm.innerSize}, but it must be ssm.time_step_rank x head dim = ${ssm.heads} x ${headDim}`, {field: `${arch}.ssm.inner_size`});

            replaced = this.optionalUintArray(`${arch}.provenance.replaced_count`);
            if (replaced != null) {
                if (replaced.length !== layers)
                    throw new GgufShapeError(this.path, `${arch}.provenance.replaced_count has ${replaced.length} entries for ${layers} layers`, {field: `${arch}.provenance.replaced_count`});
                for (let il = 0; il < layers; il++)
                    if (replaced[il] !== sourceKvHeads - kvHeads[il]!)
                        throw new GgufShapeError(this.path, `provenance says ${replaced[il]} KV groups were replaced, but the head arrays say ${sourceKvHeads - kvHeads[il]!}`, {layer: il, field: `${arch}.provenance.replaced_count`});
                const replacedHeads = this.optionalUintArray(`${arch}.provenance.replaced_kv_heads`);
                const total = replaced.reduce((a, b) => a + b, 0);
                if (replacedHeads != null) {
                    if (replacedHeads.length !== total)
                        throw new GgufShapeError(this.path, `${arch}.provenance.replaced_kv_heads has ${replacedHeads.length} entries, but replaced_count sums to ${total}`, {field: `${arch}.provenance.replaced_kv_heads`});
                    const bad = replacedHeads.find((h) => h >= sourceKvHeads!);
                    if (bad != null)
                        throw new GgufShapeError(this.path, `${arch}.provenance.replaced_kv_heads names KV group ${bad}, but the source has ${sourceKvHeads}`, {field: `${arch}.provenance.replaced_kv_heads`});
                }
            }
            for (const key of [`${arch}.provenance.recency_scores`, `${arch}.provenance.sink_scores`]) {
                const value = this.file.get(key);
                if (value != null && (typeof value !== "object" || value.length !== layers * sourceKvHeads))
                    throw new GgufShapeError(this.path, `${key} must hold ${layers} x ${sourceKvHeads} = ${layers * sourceKvHeads} scores`, {field: key});
            }
        } else if (arch === "falcon-h1" || arch === "mamba2") {
            ssm = this.readSsm(arch);
            recurrentLayers = new Array<boolean>(layers).fill(true);
        }

        let windowTokens: number | undefined;
        let linearAttention: LinearAttentionShape | undefined;
        if (arch === "based") {
            const kinds = this.optionalUintArray(`${arch}.layer_kinds`);
            if (kinds == null || kinds.length !== layers || kinds.some((kind) => kind > 1))
                throw new GgufShapeError(this.path, `${arch}.layer_kinds must give each of the ${layers} layers 0 (sliding window) or 1 (linear)`, {field: `${arch}.layer_kinds`});
            recurrentLayers = kinds.map((kind) => kind === 1);
            windowTokens = this.uint(`${arch}.attention.sliding_window`, {min: 1, max: limits.contextLength});
            const featureDim = this.uint(`${arch}.linear_attention.feature_dim`, {min: 1, max: limits.featureDim});
            const convKernel = this.uint(`${arch}.shortconv.l_cache`, {min: 2, max: limits.convKernel});
            const features = 1 + featureDim + featureDim * featureDim;
            linearAttention = {
                featureDim, convKernel,
                stateBytesPerLayer: ((convKernel - 1) * width + heads[0]! * features * (valueHeadDim + 1)) * 4
            };
            kvHeads.forEach((_, il) => { if (recurrentLayers[il]) kvHeads[il] = 0; });   // linear layers keep no KV
        }

        const vocabularySize = this.checkTensors({arch, layers, width, heads, kvHeads, headDim, valueHeadDim, ssm, recurrentLayers, featureDim: linearAttention?.featureDim, convKernel: linearAttention?.convKernel});

        // BASED: every attention layer is a window layer, so no KV grows with the context
        const kvBytesPerTokenByType = kvBytesByType(windowTokens != null ? kvHeads.map(() => 0) : kvHeads, headDim, valueHeadDim);
        const windowKvByType = windowTokens != null ? kvBytesByType(kvHeads, headDim, valueHeadDim) : undefined;
        const recurrentStateBytes = linearAttention != null
            ? recurrentLayers.filter(Boolean).length * linearAttention.stateBytesPerLayer
            : ssm == null
                ? 0
                : recurrentLayers.filter(Boolean).length * recurrentStateBytesPerLayer(ssm);

        let denseKvBytesPerTokenByType: Partial<Record<CacheType, number>> | undefined;
        if (arch === "recurformer")
            denseKvBytesPerTokenByType = kvBytesByType(new Array<number>(layers).fill(sourceKvHeads!), headDim, valueHeadDim);
        else if (arch === "llama" || arch === "qwen2")
            denseKvBytesPerTokenByType = kvBytesPerTokenByType;

        const name = this.file.get("general.name");
        const sourceName = this.file.get(`${arch}.source.name`);
        const sourceArchitecture = this.file.get(`${arch}.source.architecture`);
        const window = this.file.get(`${arch}.provenance.window`);

        return {
            architecture: arch,
            name: typeof name === "string" && name.length > 0 ? name : path.basename(this.path, ".gguf"),
            layers,
            embeddingLength: width,
            contextLength,
            headDim,
            valueHeadDim,
            headsPerLayer: heads,
            kvHeadsPerLayer: kvHeads,
            ...(sourceHeads != null ? {sourceHeads, sourceKvHeads} : {}),
            ...(ssm != null ? {ssm} : {}),
            recurrentLayers,
            kvBytesPerToken: kvBytesPerTokenByType.f16!,
            kvBytesPerTokenByType,
            recurrentStateBytes,
            ...(denseKvBytesPerTokenByType != null ? {
                denseKvBytesPerToken: denseKvBytesPerTokenByType.f16!,
                denseKvBytesPerTokenByType
            } : {}),
            ...(typeof sourceName === "string" ? {sourceName} : {}),
            ...(typeof sourceArchitecture === "string" ? {sourceArchitecture} : {}),
            ...(replaced != null ? {replacedKvGroupsPerLayer: replaced} : {}),
            ...(typeof window === "number" ? {recencyWindow: window} : {}),
            ...(windowTokens != null && windowKvByType != null
                ? {window: {tokens: windowTokens, kvBytesPerToken: windowKvByType.f16!, kvBytesPerTokenByType: windowKvByType}}
                : {}),
            ...(linearAttention != null ? {linearAttention} : {}),
            vocabularySize,
            parameterCount: this.file.tensors.reduce((sum, tensor) => sum + tensor.elements, 0),
            fileBytes: this.file.fileBytes
        };
    }

    private readSsm(arch: string): SsmShape {
        const ssm: SsmShape = {
            convKernel: this.uint(`${arch}.ssm.conv_kernel`, {min: 2, max: limits.convKernel}),
            innerSize: this.uint(`${arch}.ssm.inner_size`, {min: 1, max: limits.ssmInner}),
            stateSize: this.uint(`${arch}.ssm.state_size`, {min: 1, max: limits.ssmState}),
            heads: this.uint(`${arch}.ssm.time_step_rank`, {min: 1, max: limits.ssmInner}),
            groups: this.uint(`${arch}.ssm.group_count`, {min: 1, max: limits.heads})
        };
        if (ssm.heads % ssm.groups !== 0)
            throw new GgufShapeError(this.path, `${ssm.heads} SSM heads cannot share ${ssm.groups} B/C groups (heads must be a whole multiple of groups)`, {field: `${arch}.ssm.group_count`});
        if (ssm.innerSize % ssm.heads !== 0)
            throw new GgufShapeError(this.path, `ssm.inner_size ${ssm.innerSize} is not a multiple of ${ssm.heads} SSM heads`, {field: `${arch}.ssm.inner_size`});
        return ssm;
    }

    /**
     * Checks the tensors the cache figures depend on (embeddings, attention Q/K/V/O, the Mamba-2
     * branch) against the keys; the rest (norms, FFN) llama.cpp checks itself, and its reason is
     * carried into our error. Returns the vocabulary size.
     */
    private checkTensors({arch, layers, width, heads, kvHeads, headDim, valueHeadDim, ssm, recurrentLayers, featureDim, convKernel}: {
        arch: SupportedArchitecture, layers: number, width: number, heads: number[], kvHeads: number[],
        headDim: number, valueHeadDim: number, ssm?: SsmShape, recurrentLayers: boolean[], featureDim?: number, convKernel?: number
    }): number {
        const embedding = this.file.tensor("token_embd.weight");
        if (embedding == null)
            throw new GgufShapeError(this.path, "the tensor token_embd.weight is missing", {field: "token_embd.weight"});
        if (embedding.dims.length !== 2 || embedding.dims[0] !== width)
            throw new GgufShapeError(this.path, `token_embd.weight is [${embedding.dims.join(", ")}], but the width is ${width}`, {field: "token_embd.weight"});
        const vocabularySize = embedding.dims[1]!;
        const tokens = this.file.get("tokenizer.ggml.tokens");
        if (tokens != null && typeof tokens === "object" && tokens.length !== vocabularySize)
            throw new GgufShapeError(this.path, `the tokenizer has ${tokens.length} tokens, but token_embd.weight has ${vocabularySize} rows`, {field: "tokenizer.ggml.tokens"});

        if (arch === "mamba2")
            return vocabularySize;
        if (arch === "based") {
            for (let il = 0; il < layers; il++)
                this.checkBasedLayer(il, width, heads[il]!, headDim, valueHeadDim, recurrentLayers[il]!, featureDim!, convKernel!);
            return vocabularySize;
        }

        for (let il = 0; il < layers; il++) {
            const nq = heads[il]!;
            const nkv = kvHeads[il]!;
            const blk = `blk.${il}`;
            this.expectShape(`${blk}.attn_q.weight`, [width, nq * headDim], il, `${nq} query heads x ${headDim}`);
            if (nkv > 0) {
                this.expectShape(`${blk}.attn_k.weight`, [width, nkv * headDim], il, `${nkv} KV heads x ${headDim}`);
                this.expectShape(`${blk}.attn_v.weight`, [width, nkv * valueHeadDim], il, `${nkv} KV heads x ${valueHeadDim}`);
            }
            this.expectShape(`${blk}.attn_output.weight`, [nq * valueHeadDim, width], il, `${nq} query heads x ${valueHeadDim}`);
            for (const [bias, size, what] of [["attn_q.bias", nq * headDim, "query"], ["attn_k.bias", nkv * headDim, "KV"], ["attn_v.bias", nkv * valueHeadDim, "KV"]] as const)
                if (this.file.tensor(`${blk}.${bias}`) != null)
                    this.expectShape(`${blk}.${bias}`, [size], il, `${what} heads`);

            if (arch !== "recurformer")
                continue;
            const ssmTensors = this.file.tensors.filter((tensor) => tensor.name.startsWith(`${blk}.ssm_`));
            if (!recurrentLayers[il]) {
                if (ssmTensors.length > 0)
                    throw new GgufShapeError(this.path, `keeps every head (no Mamba branch) but has the tensor ${ssmTensors[0]!.name}`, {layer: il, field: ssmTensors[0]!.name});
                continue;
            }
            const {convKernel: K, innerSize: dInner, stateSize: N, heads: H, groups: G} = ssm!;
            const convChannels = dInner + 2 * G * N;
            const why = `ssm: ${H} heads, ${G} groups, d_inner ${dInner}, d_state ${N}, conv ${K}`;
            this.expectShape(`${blk}.ssm_in.weight`, [width, 2 * dInner + 2 * G * N + H], il, why);
            this.expectShape(`${blk}.ssm_conv1d.weight`, [K, convChannels], il, why);
            this.expectShape(`${blk}.ssm_conv1d.bias`, [convChannels], il, why);
            this.expectShape(`${blk}.ssm_dt.bias`, [H], il, why);
            this.expectShape(`${blk}.ssm_a`, [1, H], il, why);
            this.expectShape(`${blk}.ssm_d`, [1, H], il, why);
            this.expectShape(`${blk}.ssm_norm.weight`, [dInner / G, G], il, why);
            this.expectShape(`${blk}.ssm_out.weight`, [dInner, width], il, why);
            // ggml's CPU ssm_conv / ssm_scan read these as f32 and assert it (an abort, not an error)
            for (const name of [`${blk}.ssm_conv1d.weight`, `${blk}.ssm_conv1d.bias`, `${blk}.ssm_dt.bias`, `${blk}.ssm_a`, `${blk}.ssm_d`, `${blk}.ssm_norm.weight`]) {
                const tensor = this.file.tensor(name)!;
                if (tensor.type !== 0)
                    throw new GgufShapeError(this.path, `${name} is stored as ${ggmlTypes.get(tensor.type)?.name ?? `type ${tensor.type}`}, but llama.cpp's Mamba-2 kernels need F32 there`, {layer: il, field: name});
            }
        }
        return vocabularySize;
    }

    /** One BASED layer: window attention, or short conv + Taylor linear attention (engine/llama/README.md). */
    private checkBasedLayer(il: number, width: number, nq: number, headDim: number, valueHeadDim: number, linear: boolean, featureDim: number, convKernel: number): void {
        const blk = `blk.${il}`;
        const qk = linear ? nq * featureDim : nq * headDim;
        const why = linear ? `linear attention: ${nq} heads, feature dim ${featureDim}` : `window attention: ${nq} heads x ${headDim}`;
        this.expectShape(`${blk}.attn_q.weight`, [width, qk], il, why);
        this.expectShape(`${blk}.attn_k.weight`, [width, qk], il, why);
        this.expectShape(`${blk}.attn_v.weight`, [width, nq * valueHeadDim], il, why);
        this.expectShape(`${blk}.attn_output.weight`, [nq * valueHeadDim, width], il, why);
        if (!linear)
            return;
        const conv = `short conv: kernel ${convKernel}, width ${width}`;
        this.expectShape(`${blk}.shortconv.in_proj.weight`, [width, 2 * width], il, conv);
        this.expectShape(`${blk}.shortconv.conv.weight`, [convKernel, width], il, conv);
        this.expectShape(`${blk}.shortconv.out_proj.weight`, [width, width], il, conv);
        const tensor = this.file.tensor(`${blk}.shortconv.conv.weight`)!;
        if (tensor.type !== 0)
            throw new GgufShapeError(this.path, `${blk}.shortconv.conv.weight is stored as ${ggmlTypes.get(tensor.type)?.name ?? `type ${tensor.type}`}, but llama.cpp's ssm_conv needs F32 there`, {layer: il, field: `${blk}.shortconv.conv.weight`});
    }

    private expectShape(name: string, dims: number[], layer: number, why: string): void {
        const tensor = this.file.tensor(name);
        if (tensor == null)
            throw new GgufShapeError(this.path, `the tensor ${name} is missing (expected [${dims.join(", ")}] from ${why})`, {layer, field: name});
        const actual = [...tensor.dims];
        while (actual.length > dims.length && actual[actual.length - 1] === 1)
            actual.pop();
        if (actual.length !== dims.length || actual.some((d, i) => d !== dims[i]))
            throw new GgufShapeError(this.path,
                `${name} is [${tensor.dims.join(", ")}], but the metadata (${why}) says [${dims.join(", ")}]: the head arrays disagree with the tensors`,
                {layer, field: name});
    }

    private value(key: string): GgufValue | undefined {
        return this.file.get(key);
    }

    private uint(key: string, bounds: {min: number, max: number}): number {
        const value = this.optionalUint(key, bounds);
        if (value == null)
            throw new GgufShapeError(this.path, `the key ${key} is missing`, {field: key});
        return value;
    }

    private optionalUint(key: string, {min, max}: {min: number, max: number}): number | undefined {
        const value = this.value(key);
        if (value == null)
            return undefined;
        if (typeof value !== "number" || !Number.isInteger(value))
            throw new GgufShapeError(this.path, `the key ${key} should be an integer but is ${describe(value)}`, {field: key});
        if (value < min || value > max)
            throw new GgufShapeError(this.path, `the key ${key} is ${value}, outside the sane range ${min}..${max}`, {field: key});
        return value;
    }

    private optionalUintArray(key: string): number[] | undefined {
        const value = this.value(key);
        if (value == null)
            return undefined;
        if (typeof value !== "object" || value.items == null || value.items.some((item) => typeof item !== "number" || !Number.isInteger(item) || item < 0))
            throw new GgufShapeError(this.path, `the key ${key} should be an array of unsigned integers but is ${describe(value)}`, {field: key});
        return value.items as number[];
    }

    /** A per-layer key: a scalar (same in every layer) or an array of one entry per layer. */
    private perLayer(key: string, layers: number, bounds: {min: number, max: number}): number[] {
        const value = this.value(key);
        if (value == null)
            throw new GgufShapeError(this.path, `the key ${key} is missing`, {field: key});
        if (typeof value === "number")
            return new Array<number>(layers).fill(this.optionalUint(key, bounds)!);
        const items = this.optionalUintArray(key)!;
        if (items.length !== layers)
            throw new GgufShapeError(this.path, `the key ${key} has ${items.length} entries, but the model has ${layers} layers`, {field: key});
        items.forEach((item, il) => {
            if (item < bounds.min || item > bounds.max)
                throw new GgufShapeError(this.path, `${key}[${il}] is ${item}, outside the sane range ${bounds.min}..${bounds.max}`, {layer: il, field: key});
        });
        return [...items];
    }
}

/** KV bytes per token for each cache type (absent where a row is not a whole number of blocks). */
function kvBytesByType(kvHeads: number[], headDim: number, valueHeadDim: number): Partial<Record<CacheType, number>> {
    const out: Partial<Record<CacheType, number>> = {};
    for (const cacheType of Object.keys(cacheTypeIds) as CacheType[]) {
        let total = 0;
        for (const nkv of kvHeads) {
            if (nkv === 0)
                continue;
            const k = ggmlRowBytes(cacheTypeIds[cacheType], nkv * headDim);
            const v = ggmlRowBytes(cacheTypeIds[cacheType], nkv * valueHeadDim);
            if (k == null || v == null) {
                total = NaN;
                break;
            }
            total += k + v;
        }
        if (!Number.isNaN(total))
            out[cacheType] = total;
    }
    return out;
}

/** One Mamba-2 layer's state per sequence: conv (K-1) x (d_inner + 2GN) and SSM N x d_inner, F32. */
export function recurrentStateBytesPerLayer(ssm: SsmShape): number {
    const conv = (ssm.convKernel - 1) * (ssm.innerSize + 2 * ssm.groups * ssm.stateSize) * 4;
    const state = ssm.stateSize * ssm.innerSize * 4;
    return conv + state;
}

function describe(value: GgufValue): string {
    if (typeof value === "object")
        return `an array of ${value.length}`;
    return `${typeof value} ${JSON.stringify(typeof value === "bigint" ? value.toString() : value)}`;
}
