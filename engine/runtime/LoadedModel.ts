import type {LlamaContext, LlamaContextSequence, LlamaModel} from "node-llama-cpp";
import type {CacheType, LoadOptions, LoadResult, MeasuredBuffers} from "./protocol.js";
import {CacheMeter} from "./CacheMeter.js";
import {chatWrapperOf} from "./promptTokens.js";
import {GgufShape} from "./gguf/GgufShape.js";
import {LlamaBackend} from "./llama/LlamaBackend.js";
import {LlamaLog} from "./llama/LlamaLog.js";
import {ModelLoadError} from "./errors/ModelLoadError.js";
import {ModelBusyError} from "./errors/ModelBusyError.js";

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
    private readonly backend: LlamaBackend;

    private constructor(init: {
        modelId: string, path: string, shape: GgufShape, meter: CacheMeter, model: LlamaModel, context: LlamaContext,
        buffers: MeasuredBuffers, slots: SequenceSlot[], cacheType: CacheType, backend: LlamaBackend
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
        this.backend = init.backend;
    }

    /**
     * Loads a model whose shape was already read and checked (so llama.cpp never sees a file we
     * know is broken), creates its context, and reads the buffer sizes llama.cpp logged.
     * Throws `ModelLoadError` with llama.cpp's own reason.
     */
    public static async load(backend: LlamaBackend, modelId: string, shape: GgufShape, options: LoadOptions, onProgress?: (fraction: number) => void): Promise<LoadedModel> {
        // an impossible cache type is refused before llama.cpp is asked for it
        const cacheType = options.cacheType ?? loadDefaults.cacheType;
        const meter = new CacheMeter(shape.shape, {cacheType});
        const model = await LoadedModel.loadModel(backend, shape.file.path, options.gpuLayers, onProgress);
        try {
            const {context, buffers} = await LoadedModel.createContext(backend, model, shape.file.path, options);
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
                modelId, path: shape.file.path, shape, meter,
                model, context, buffers, slots, cacheType, backend
            });
        } catch (err) {
            await model.dispose();
            throw err;
        }
    }

    /** llama.cpp's model load, with the reason from its log when it fails. */
    public static async loadModel(backend: LlamaBackend, modelPath: string, gpuLayers?: number, onProgress?: (fraction: number) => void): Promise<LlamaModel> {
        const mark = backend.log.mark();
        try {
            return await backend.llama.loadModel({
                modelPath,
                ...(gpuLayers != null ? {gpuLayers} : {}),
                ...(onProgress != null ? {onLoadProgress: onProgress} : {})
            });
        } catch (err) {
            throw await LoadedModel.loadError(backend, modelPath, mark, err);
        }
    }

    /** A context of the asked size, and what llama.cpp logged it allocated. */
    public static async createContext(backend: LlamaBackend, model: LlamaModel, modelPath: string, options: Omit<LoadOptions, "modelPath">): Promise<{context: LlamaContext, buffers: MeasuredBuffers}> {
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
            return {context, buffers: LlamaLog.buffers(backend.log.since(mark))};
        } catch (err) {
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
