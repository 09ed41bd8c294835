import type {LlamaContext, LlamaContextSequence, LlamaModel, LlamaModelOptions} from "node-llama-cpp";
import type {CacheType, LoadOptions, LoadResult, LoadedPyramid, MeasuredBuffers} from "./protocol.js";
import {PyramidScheduleError, formatPyramidSchedule, parsePyramidSchedule, type PyramidSchedule} from "../../api/pyramidCache.js";
import {CacheMeter} from "./CacheMeter.js";
import {chatWrapperOf} from "./promptTokens.js";
import {GgufShape} from "./gguf/GgufShape.js";
import {LlamaBackend} from "./llama/LlamaBackend.js";
import {LlamaLog} from "./llama/LlamaLog.js";
import {ModelLoadError} from "./errors/ModelLoadError.js";
import {ModelBusyError} from "./errors/ModelBusyError.js";
import {PyramidUnsupportedError} from "./errors/PyramidUnsupportedError.js";
import {PYRAMID_ARCHITECTURES} from "../../api/pyramidSetting.js";


/** Defaults of a load, where LoadOptions leaves a field out. */
export const loadDefaults = {
    contextSize: 4096,
    batchSize: 512,
    sequences: 1,
    cacheType: "f16" as CacheType,
    /** checkpoints kept per sequence for recurrent / hybrid models */
    maxCheckpoints: 16,
    /** and the memory they may use together, per sequence */
    maxCheckpointBytes: 512 * 1024 * 1024
};

/** One sequence of a loaded model's context, lent to one chat or completion at a time. */
export interface SequenceSlot {
    sequence: LlamaContextSequence;
    /** the chat whose tokens the sequence holds (prefix reuse), if any */
    chatId?: string;
    busy: boolean;
    lastUsed: number;
}

/**
 * A model loaded into llama.cpp with one context: its shape, its cache meter, the buffers
 * llama.cpp allocated (measured, from its log), and the sequences chats run on.
 */
export class LoadedModel {
    public readonly modelId: string;
    public readonly path: string;
    public readonly shape: GgufShape;
    public readonly meter: CacheMeter;
    public readonly model: LlamaModel;
    public readonly context: LlamaContext;
    public readonly buffers: MeasuredBuffers;
    public readonly slots: SequenceSlot[];
    public readonly cacheType: CacheType;
    /** PyramidInfer as llama.cpp created it (its log), or null when off */
    public readonly pyramid: LoadedPyramid | null;
    private readonly backend: LlamaBackend;

    private constructor(init: {
        modelId: string, path: string, shape: GgufShape, meter: CacheMeter, model: LlamaModel, context: LlamaContext,
        buffers: MeasuredBuffers, slots: SequenceSlot[], cacheType: CacheType, pyramid: LoadedPyramid | null, backend: LlamaBackend
    }) {
        this.modelId = init.modelId;
        this.path = init.path;
        this.shape = init.shape;
        this.meter = init.meter;
        this.model = init.model;
        this.context = init.context;
        this.buffers = init.buffers;
        this.slots = init.slots;
        this.cacheType = init.cacheType;
        this.pyramid = init.pyramid;
        this.backend = init.backend;
    }

    /**
     * Loads a model whose shape was already read and checked (so llama.cpp never sees a file we
     * know is broken), creates its context, and reads the buffer sizes llama.cpp logged.
     * Throws `ModelLoadError` with llama.cpp's own reason.
     */
    public static async load(backend: LlamaBackend, modelId: string, shape: GgufShape, options: LoadOptions, onProgress?: (fraction: number) => void): Promise<LoadedModel> {
        // an impossible cache type or PyramidInfer schedule is refused before llama.cpp is asked for it
        const cacheType = options.cacheType ?? loadDefaults.cacheType;
        const schedule = LoadedModel.checkPyramid(shape, options);
        const plain = new CacheMeter(shape.shape, {cacheType});
        const model = await LoadedModel.loadModel(backend, shape.file.path, options.gpuLayers, onProgress, schedule);
        try {
            const {context, buffers, pyramid} = await LoadedModel.createContext(backend, model, shape.file.path, options);
            const meter = pyramid != null ? new CacheMeter(shape.shape, {cacheType, pyramid: pyramid.schedule}) : plain;
            const sequences = options.sequences ?? loadDefaults.sequences;
            const slots: SequenceSlot[] = [];
            for (let i = 0; i < sequences; i++)
                slots.push({
                    sequence: context.getSequence({
                        checkpoints: {max: loadDefaults.maxCheckpoints, maxMemory: loadDefaults.maxCheckpointBytes}
                    }),
                    busy: false,
                    lastUsed: 0
                });
            // resolved here, once (rendering the template takes hundreds of ms), not on the first chat turn
            chatWrapperOf(model);
            return new LoadedModel({
                modelId, path: shape.file.path, shape, meter, model, context, buffers, slots, cacheType, backend,
                pyramid: pyramid != null ? {schedule: formatPyramidSchedule(pyramid.schedule), cellsPerLayer: pyramid.cellsPerLayer} : null
            });
        } catch (err) {
            await model.dispose();
            throw err;
        }
    }

    /**
     * The PyramidInfer schedule a load asks for, checked (PyramidScheduleError, PyramidUnsupportedError) and in the
     * engine's canonical form, or undefined when it asks for none: llama and recurformer models, one sequence, no
     * more scoring queries than tokens between selections.
     */
    public static checkPyramid(shape: GgufShape, options: Omit<LoadOptions, "modelPath">): string | undefined {
        if (options.pyramid == null)
            return undefined;
        const schedule: PyramidSchedule = parsePyramidSchedule(options.pyramid);
        const {architecture} = shape.shape;
        if (!PYRAMID_ARCHITECTURES.includes(architecture))
            throw new PyramidUnsupportedError(shape.file.path, `it works with ${PYRAMID_ARCHITECTURES.join(" and ")} models only ` +
                `(their llama.cpp graphs take one KV cache per layer), and this one is ${architecture}`);
        const sequences = options.sequences ?? loadDefaults.sequences;
        if (sequences !== 1)
            throw new PyramidUnsupportedError(shape.file.path, `it keeps one sequence per context, not ${sequences}`);
        const every = schedule.every ?? options.batchSize ?? loadDefaults.batchSize;
        if (schedule.queries! > every)
            throw new PyramidScheduleError(`PyramidInfer schedule "${options.pyramid}": queries (${schedule.queries}) must not exceed ` +
                `every (${every}${schedule.every == null ? ", the batch size" : ""})`);
        return formatPyramidSchedule(schedule);
    }

    /** llama.cpp's model load (with a PyramidInfer schedule as the `pyramid.schedule` key), with the reason from its log when it fails. */
    public static async loadModel(backend: LlamaBackend, modelPath: string, gpuLayers?: number, onProgress?: (fraction: number) => void, pyramid?: string): Promise<LlamaModel> {
        const mark = backend.log.mark();
        try {
            return await backend.llama.loadModel({
                modelPath,
                ...(gpuLayers != null ? {gpuLayers} : {}),
                ...(onProgress != null ? {onLoadProgress: onProgress} : {}),
                // a string key: llama.cpp reads it in load_hparams and builds the per-layer memory (PYRAMID.md, "Setting")
                ...(pyramid != null ? {metadataOverrides: {pyramid: {schedule: pyramid}} as LlamaModelOptions["metadataOverrides"]} : {})
            });
        } catch (err) {
            throw await LoadedModel.loadError(backend, modelPath, mark, err);
        }
    }

    /**
     * A context of the asked size, what llama.cpp logged it allocated, and the PyramidInfer memory it created (when
     * the model was loaded with a schedule, or its file carries one). A load that asked for PyramidInfer and got a
     * plain cache (an engine build without retention.patch ignores the key) fails.
     */
    public static async createContext(backend: LlamaBackend, model: LlamaModel, modelPath: string, options: Omit<LoadOptions, "modelPath">): Promise<{
        context: LlamaContext, buffers: MeasuredBuffers, pyramid?: {schedule: Required<PyramidSchedule>, cellsPerLayer: number[]}
    }> {
        const cacheType = options.cacheType ?? loadDefaults.cacheType;
        const mark = backend.log.mark();
        try {
            const context = await model.createContext({
                contextSize: options.contextSize ?? Math.min(loadDefaults.contextSize, model.trainContextSize),
                batchSize: options.batchSize ?? loadDefaults.batchSize,
                sequences: options.sequences ?? loadDefaults.sequences,
                ...(options.threads != null && options.threads > 0 ? {threads: {ideal: options.threads, min: options.threads}} : {}),
                ...(cacheType === "q8_0" ? {
                    experimentalKvCacheKeyType: "Q8_0",
                    experimentalKvCacheValueType: "Q8_0",
                    flashAttention: true
                } : {}),
                // node-llama-cpp's memory estimate does not know the recurformer architecture
                ignoreMemorySafetyChecks: true,
                failedCreationRemedy: false
            });
            await settleLog();
            const lines = backend.log.since(mark);
            const pyramid = LlamaLog.pyramid(lines);
            if (options.pyramid != null && pyramid == null) {
                await context.dispose();
                throw new ModelLoadError(modelPath, "llama.cpp created a plain KV cache although PyramidInfer was asked for " +
                    "(no llama_memory_pyramid line in its log)", backend.log.tail(20, mark),
                "This llama.cpp build lacks PyramidInfer (engine/llama/retention.patch): run `npm run build:engine`.");
            }
            return {context, buffers: LlamaLog.buffers(lines), ...(pyramid != null ? {pyramid} : {})};
        } catch (err) {
            if (err instanceof ModelLoadError)
                throw err;
            throw await LoadedModel.loadError(backend, modelPath, mark, err, "context");
        }
    }

    private static async loadError(backend: LlamaBackend, modelPath: string, mark: number, err: unknown, what: "model" | "context" = "model"): Promise<ModelLoadError> {
        await settleLog();
        const lines = backend.log.since(mark);
        const reason = LlamaLog.failureReason(lines) ??
            (err instanceof Error ? err.message : String(err)) + (what === "context" ? " (creating the context)" : "");
        const advice = /unknown model architecture: 'recurformer'/.test(reason)
            ? "This llama.cpp build lacks the RecurFormer patch: run `npm run build:engine`."
            : what === "context"
                ? "Try a smaller context size."
                : undefined;
        return new ModelLoadError(modelPath, reason, backend.log.tail(20, mark), advice);
    }

    /** A free sequence, preferring the one that already holds this chat. Throws `ModelBusyError`. */
    public acquire(chatId?: string): SequenceSlot {
        const free = this.slots.filter((slot) => !slot.busy);
        if (free.length === 0)
            throw new ModelBusyError(this.modelId, this.slots.length);
        const slot = free.find((candidate) => chatId != null && candidate.chatId === chatId) ??
            free.sort((a, b) => a.lastUsed - b.lastUsed)[0]!;
        slot.busy = true;
        slot.chatId = chatId;
        slot.lastUsed = Date.now();
        return slot;
    }

    public release(slot: SequenceSlot): void {
        slot.busy = false;
        slot.lastUsed = Date.now();
    }

    public describe(): LoadResult {
        const computed = this.meter.contextBuffers({
            cells: this.buffers.kvCells ?? this.context.contextSize,
            streams: this.buffers.kvStreams ?? 1,
            sequences: this.slots.length,
            batchSize: this.context.batchSize
        });
        return {
            modelId: this.modelId,
            shape: this.shape.shape,
            contextSize: this.context.contextSize,
            batchSize: this.context.batchSize,
            threads: this.context.idealThreads,
            cacheType: this.cacheType,
            cacheBytesComputed: computed.kvBufferBytes + computed.recurrentBufferBytes,
            buffers: this.buffers,
            needsCheckpoints: this.slots[0]?.sequence.needsCheckpoints ?? false,
            pyramid: this.pyramid,
            backend: this.backend.info()
        };
    }

    public async dispose(): Promise<void> {
        await this.context.dispose();
        await this.model.dispose();
    }
}

/** llama.cpp's log reaches JS through a queue; let it drain before reading it. */
export async function settleLog(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 5));
}
