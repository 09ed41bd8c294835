import type {
    BenchOptions, BenchRow, ChatMessage, CacheType, Event, InspectReport, LoadOptions, LoadResult, Request, RequestType, ResultOf, Sampling, StateFileOptions
} from "../protocol.js";
import {ChatRun} from "../ChatRun.js";
import {chatPromptTokens, rawPromptTokens} from "../promptTokens.js";
import {BenchRun} from "../BenchRun.js";
import {LoadedModel} from "../LoadedModel.js";
import {GgufShape} from "../gguf/GgufShape.js";
import {computedInspectReport} from "../inspectComputed.js";
import {LlamaBackend} from "../llama/LlamaBackend.js";
import {LlamaLog, type LlamaLogLine} from "../llama/LlamaLog.js";
import {ModelNotLoadedError} from "../errors/ModelNotLoadedError.js";
import {GgufShapeError} from "../errors/GgufShapeError.js";
import {EngineStoppedError} from "../errors/EngineStoppedError.js";
import {toErrorPayload} from "../errors/reviveError.js";
import type {EnginePort} from "./EnginePort.js";

export interface EngineProcessOptions {
    /** where llama.cpp's log lines go besides the in-memory ring (default: this process's stderr, so the parent has the tail if llama.cpp aborts) */
    onLogLine?: (line: LlamaLogLine) => void;
    /** "auto" or false (CPU only); default $RECURFORMER_GPU, else "auto" */
    gpu?: "auto" | false;
    /** called after `shutdown` has answered (default: exit the process) */
    onShutdown?: () => void;
}

interface RunningRequest {
    controller: AbortController;
    /** the model a generation runs on (none for a bench) */
    modelId?: string;
    /** settles when the request has finished */
    done?: Promise<unknown>;
}

/** Tokens in `inspect` when the request names none. */
export const defaultInspectTokens = 4096;

/**
 * The engine: the process that hosts node-llama-cpp. It answers the protocol's requests
 * (load, unload, inspect, chat, complete, bench, stop, shutdown), several at a time; loads and
 * context creations run one after another so llama.cpp's log can be attributed to them.
 */
export class EngineProcess {
    private readonly port: EnginePort;
    private readonly log: LlamaLog;
    private readonly gpu?: "auto" | false;
    private readonly onShutdown: () => void;
    private backend?: Promise<LlamaBackend>;
    private readonly models = new Map<string, LoadedModel>();
    /** generations and benches in flight, by request id */
    private readonly running = new Map<number, RunningRequest>();
    /** serializes loads and context creations */
    private loadQueue: Promise<unknown> = Promise.resolve();
    private shuttingDown = false;

    public constructor(port: EnginePort, options: EngineProcessOptions = {}) {
        this.port = port;
        this.gpu = options.gpu;
        // a moment for the answer to leave over IPC before the process ends
        this.onShutdown = options.onShutdown ?? (() => setTimeout(() => process.exit(0), 50));
        this.log = new LlamaLog({
            onLine: options.onLogLine ?? ((line) => process.stderr.write(`[llama.cpp ${line.level}] ${line.text}\n`))
        });
    }

    /** Starts answering requests and says it is ready. */
    public start(): void {
        this.port.onMessage((request) => void this.handle(request));
        this.port.onDisconnect(() => process.exit(0));
        this.port.send({id: 0, type: "ready", pid: process.pid});
    }

    public async handle(request: Request): Promise<void> {
        try {
            if (this.shuttingDown && request.type !== "stop")
                throw new EngineStoppedError(request.type);
            const value = await this.dispatch(request);
            this.port.send({id: request.id, type: "result", value});
        } catch (err) {
            this.port.send({id: request.id, type: "error", error: toErrorPayload(err)});
        }
        if (request.type === "shutdown")
            this.onShutdown();
    }

    private async dispatch(request: Request): Promise<ResultOf[RequestType]> {
        switch (request.type) {
            case "load": return this.load(request.id, request.modelId, request.options);
            case "unload": return this.unload(request.modelId);
            case "inspect": return this.inspect(request);
            case "chat": return this.generate(request.id, request.modelId, {chatId: request.chatId, messages: request.messages, state: request.state}, request.maxTokens, samplingOf(request));
            case "complete": return this.generate(request.id, request.modelId, {prompt: request.prompt}, request.maxTokens, samplingOf(request));
            case "bench": return this.bench(request.id, request.options);
            case "stop": return this.stop(request.target);
            case "tokenize": return this.tokenize(request.modelId, request.text, request.raw === true);
            case "chatTokens": return this.chatTokens(request.modelId, request.messages);
            case "shutdown": return this.shutdown();
        }
        throw new Error(`The engine does not know the request type '${(request as {type: unknown}).type}'.`);
    }

    private getBackend(): Promise<LlamaBackend> {
        this.backend ??= LlamaBackend.load({gpu: this.gpu, log: this.log}).catch((err: unknown) => {
            this.backend = undefined;
            throw err;
        });
        return this.backend;
    }

    private serialized<T>(work: () => Promise<T>): Promise<T> {
        const result = this.loadQueue.then(work, work);
        this.loadQueue = result.catch(() => undefined);
        return result;
    }

    private async load(id: number, modelId: string, options: LoadOptions): Promise<LoadResult> {
        // the file is read and checked before llama.cpp sees it
        let shape: GgufShape;
        try {
            shape = await GgufShape.read(options.modelPath);
        } catch (err) {
            if (process.env.RECURFORMER_UNCHECKED_LOAD === "1" && err instanceof GgufShapeError)
                await this.loadUnchecked(options.modelPath);
            throw err;
        }
        const backend = await this.getBackend();
        return this.serialized(async () => {
            await this.dropModel(modelId);
            // progress events keep the client's silence timeout from firing on a big, slow load
            let lastProgressAt = 0;
            const onProgress = (fraction: number) => {
                const now = Date.now();
                if (now - lastProgressAt < 250 && fraction < 1)
                    return;
                lastProgressAt = now;
                this.emit({id, type: "progress", message: `loading ${Math.round(fraction * 100)}%`});
            };
            const model = await LoadedModel.load(backend, modelId, shape, options, onProgress);
            this.models.set(modelId, model);
            return model.describe();
        });
    }

    /**
     * Diagnostics only (RECURFORMER_UNCHECKED_LOAD=1): hands a file our checks refused to llama.cpp
     * anyway, to see what llama.cpp itself says (or that it aborts, taking only this process down).
     */
    private async loadUnchecked(modelPath: string): Promise<void> {
        const backend = await this.getBackend();
        await this.serialized(async () => {
            const model = await LoadedModel.loadModel(backend, modelPath, 0);
            await model.dispose();
        });
    }

    private async unload(modelId: string): Promise<ResultOf["unload"]> {
        return {modelId, unloaded: await this.dropModel(modelId)};
    }

    /** Stops a model's generations, lets them end, then frees it. Returns whether it was loaded. */
    private async dropModel(modelId: string): Promise<boolean> {
        const model = this.models.get(modelId);
        if (model == null)
            return false;
        this.models.delete(modelId);
        const runs = [...this.running.values()].filter((run) => run.modelId === modelId);
        for (const run of runs)
            run.controller.abort();
        await Promise.all(runs.map((run) => run.done?.catch(() => undefined)));
        await model.dispose();
        return true;
    }

    private tokenize(modelId: string, text: string, raw: boolean): ResultOf["tokenize"] {
        const model = this.models.get(modelId);
        if (model == null)
            throw new ModelNotLoadedError(modelId, [...this.models.keys()]);
        return {tokens: raw ? rawPromptTokens(model.model, text).length : model.model.tokenize(text, false).length};
    }

    private chatTokens(modelId: string, messages: ChatMessage[]): ResultOf["chatTokens"] {
        const model = this.models.get(modelId);
        if (model == null)
            throw new ModelNotLoadedError(modelId, [...this.models.keys()]);
        return {tokens: chatPromptTokens(model.model, messages), contextSize: model.context.contextSize};
    }

    private async inspect({modelPath, tokens = defaultInspectTokens, densePath, cacheType = "f16", measure = false, pyramid}: {
        modelPath: string, tokens?: number, densePath?: string, cacheType?: CacheType, measure?: boolean, pyramid?: string
    }): Promise<InspectReport> {
        const {report, meter} = await computedInspectReport(modelPath, tokens, cacheType, densePath, pyramid);
        const contextOptions = {contextSize: tokens, sequences: 1, cacheType, batchSize: Math.min(512, tokens), ...(pyramid != null ? {pyramid} : {})};
        const schedule = pyramid != null ? LoadedModel.checkPyramid(await GgufShape.read(modelPath), contextOptions) : undefined;
        if (!measure)
            return report;

        // create a context of `tokens` tokens and read what llama.cpp allocated
        const backend = await this.getBackend();
        await this.serialized(async () => {
            const model = await LoadedModel.loadModel(backend, modelPath, 0, undefined, schedule);
            try {
                const {context, buffers} = await LoadedModel.createContext(backend, model, modelPath, contextOptions);
                try {
                    const computed = meter.contextBuffers({cells: buffers.kvCells ?? context.contextSize, streams: buffers.kvStreams ?? 1, batchSize: context.batchSize});
                    // the log prints MiB with 2 decimals: each cache's K and V are each within 0.005 MiB
                    const tolerance = 0.0051 * 1024 * 1024;
                    const kvMeasured = buffers.kBytesMeasured != null && buffers.vBytesMeasured != null
                        ? buffers.kBytesMeasured + buffers.vBytesMeasured
                        : buffers.kvBufferBytesMeasured;
                    report.measured = {
                        ...buffers,
                        contextSize: context.contextSize,
                        kvBufferBytesComputed: computed.kvBufferBytes,
                        recurrentBufferBytesComputed: computed.recurrentBufferBytes,
                        kvAgrees: kvMeasured == null
                            ? computed.kvBufferBytes === 0
                            : Math.abs(kvMeasured - computed.kvBufferBytes) <= 2 * (buffers.kvCaches ?? 1) * tolerance,
                        recurrentAgrees: buffers.recurrentBufferBytesMeasured == null
                            ? computed.recurrentBufferBytes === 0
                            : Math.abs(buffers.recurrentBufferBytesMeasured - computed.recurrentBufferBytes) <= tolerance
                    };
                } finally {
                    await context.dispose();
                }
            } finally {
                await model.dispose();
            }
        });
        return report;
    }

    private async generate(
        id: number, modelId: string, what: {chatId: string, messages: ChatMessage[], state?: StateFileOptions} | {prompt: string},
        maxTokens?: number, sampling?: Sampling
    ): Promise<ResultOf["chat"]> {
        const model = this.models.get(modelId);
        if (model == null)
            throw new ModelNotLoadedError(modelId, [...this.models.keys()]);
        const slot = model.acquire("chatId" in what ? what.chatId : undefined);
        const controller = new AbortController();
        const running: RunningRequest = {controller, modelId};
        this.running.set(id, running);
        try {
            const run = new ChatRun(model, slot, {
                signal: controller.signal,
                ...(maxTokens != null ? {maxTokens} : {}),
                ...(sampling != null ? {sampling} : {}),
                ...("state" in what && what.state != null ? {state: what.state} : {}),
                onText: (text) => this.emit({id, type: "token", text}),
                onMetrics: (metrics) => this.emit({id, type: "metrics", metrics})
            });
            running.done = "prompt" in what ? run.complete(what.prompt) : run.chat(what.messages);
            return await (running.done as Promise<ResultOf["chat"]>);
        } finally {
            this.running.delete(id);
            model.release(slot);
        }
    }

    private async bench(id: number, options: BenchOptions): Promise<BenchRow[]> {
        const backend = await this.getBackend();
        const controller = new AbortController();
        this.running.set(id, {controller});
        try {
            return await this.serialized(() =>
                new BenchRun(backend, options, (message) => this.emit({id, type: "progress", message}), controller.signal).run());
        } finally {
            this.running.delete(id);
        }
    }

    private stop(target: number): ResultOf["stop"] {
        const running = this.running.get(target);
        running?.controller.abort();
        return {stopped: running != null};
    }

    private async shutdown(): Promise<ResultOf["shutdown"]> {
        this.shuttingDown = true;
        const runs = [...this.running.values()];
        for (const run of runs)
            run.controller.abort();
        await Promise.all(runs.map((run) => run.done?.catch(() => undefined)));
        for (const [modelId, model] of this.models) {
            this.models.delete(modelId);
            await model.dispose().catch(() => undefined);
        }
        const backend = await this.backend?.catch(() => undefined);
        await backend?.llama.dispose().catch(() => undefined);
        return {ok: true};
    }

    private emit(event: Event): void {
        this.port.send(event);
    }
}

/** The sampling fields a chat or complete request carries (none: greedy). */
function samplingOf({temperature, topP, seed}: Sampling): Sampling | undefined {
    const sampling: Sampling = {
        ...(temperature != null ? {temperature} : {}),
        ...(topP != null ? {topP} : {}),
        ...(seed != null ? {seed} : {})
    };
    return Object.keys(sampling).length > 0 ? sampling : undefined;
}
