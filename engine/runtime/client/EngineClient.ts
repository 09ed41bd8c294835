import type {
    BenchOptions, BenchRow, CacheType, ChatMessage, GenerationResult, InspectReport, LoadOptions, LoadResult, Metrics,
    Reply, Request, RequestType, ResultOf, Sampling, StateFileOptions
} from "../protocol.js";
import {EngineCrashedError} from "../errors/EngineCrashedError.js";
import {EngineUnreachableError} from "../errors/EngineUnreachableError.js";
import {EngineTimeoutError} from "../errors/EngineTimeoutError.js";
import {EngineStoppedError} from "../errors/EngineStoppedError.js";
import {reviveError} from "../errors/reviveError.js";
import type {EngineTransport, EngineTransportFactory, TransportFailure} from "./EngineTransport.js";
import {ForkTransport} from "./ForkTransport.js";

export interface EngineClientOptions {
    /** starts the engine process (default: a `ForkTransport`, i.e. child_process.fork of engineMain) */
    transport?: EngineTransportFactory;
    /** how long to wait for the engine to say it is ready (default 30 s) */
    startTimeoutMs?: number;
    /**
     * Silence, per request type, after which the engine is taken as hung: the client kills it and
     * the request fails with `EngineTimeoutError`. Any event (token, metrics, progress) resets the
     * clock, so long generations and benches are fine while they report. Defaults: `requestTimeoutsMs`.
     */
    timeoutsMs?: Partial<Record<RequestType, number>>;
    /** engine output lines kept for crash reports (default 60) */
    logTailLines?: number;
    /** every line the engine writes to stdout/stderr (llama.cpp's log, warnings) */
    onLog?: (line: string) => void;
    /** called once if the engine process dies unexpectedly */
    onCrash?: (error: EngineCrashedError) => void;
}

/** Default silence limits (ms) per request type. */
export const requestTimeoutsMs: Record<RequestType, number> = {
    load: 300_000,
    unload: 60_000,
    inspect: 300_000,
    tokenize: 120_000,
    chatTokens: 120_000,
    chat: 300_000,
    complete: 300_000,
    bench: 900_000,
    stop: 30_000,
    shutdown: 30_000
};

/** Callbacks for one request's events. */
export interface RequestHandlers {
    onToken?: (text: string) => void;
    onMetrics?: (metrics: Metrics) => void;
    onProgress?: (message: string) => void;
    /** aborting sends `stop` for this request (chat, complete, bench) */
    signal?: AbortSignal;
}

interface Pending {
    type: RequestType;
    resolve: (value: unknown) => void;
    reject: (error: Error) => void;
    handlers: RequestHandlers;
    timer?: NodeJS.Timeout;
    timeoutMs: number;
}

/** A request's fields, without `id` and `type`. */
export type RequestBody<T extends RequestType> = Omit<Extract<Request, {type: T}>, "id" | "type">;

/**
 * The parent's handle on one engine process: typed requests with their events, stop via
 * AbortSignal, and crash handling. If the engine dies (llama.cpp aborted, it was killed, it
 * ran out of memory), every pending and later request fails with `EngineCrashedError` carrying
 * the last lines it wrote; the parent is unaffected and starts a new client.
 */
export class EngineClient {
    private readonly transport: EngineTransport;
    private readonly options: EngineClientOptions;
    private readonly pending = new Map<number, Pending>();
    private readonly tail: string[] = [];
    private partialLine = "";
    private nextId = 1;
    private exitError?: Error;
    private shutdownRequested = false;
    private readonly exited: Promise<void>;

    private constructor(transport: EngineTransport, options: EngineClientOptions) {
        this.transport = transport;
        this.options = options;
        let markExited!: () => void;
        this.exited = new Promise((resolve) => markExited = resolve);
        transport.onOutput((chunk) => this.onOutput(chunk));
        transport.onMessage((message) => this.onMessage(message));
        transport.onExit((code, signal, failure) => {
            this.onExit(code, signal, failure);
            markExited();
        });
    }

    /** Starts an engine process and waits until it is ready. */
    public static async start(options: EngineClientOptions = {}): Promise<EngineClient> {
        const transport = (options.transport ?? (() => new ForkTransport()))();
        const client = new EngineClient(transport, options);
        await client.ready(options.startTimeoutMs ?? 30_000);
        return client;
    }

    private readyWaiter?: {resolve: () => void, reject: (error: Error) => void};

    private ready(timeoutMs: number): Promise<void> {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this.transport.kill();
                reject(new EngineTimeoutError("start", timeoutMs));
            }, timeoutMs);
            this.readyWaiter = {
                resolve: () => { clearTimeout(timer); resolve(); },
                reject: (error) => { clearTimeout(timer); reject(error); }
            };
        });
    }

    /** The engine's process id. */
    public get pid(): number | undefined {
        return this.transport.pid;
    }

    /** Whether the engine process is alive and accepting requests. */
    public get running(): boolean {
        return this.exitError == null && !this.shutdownRequested;
    }

    /** The last lines the engine wrote (llama.cpp's log included). */
    public logTail(): string[] {
        return [...this.tail, ...(this.partialLine.length > 0 ? [this.partialLine] : [])];
    }

    /** Sends one request; resolves with its typed result, rejects with the engine's named error. */
    public request<T extends RequestType>(type: T, body: RequestBody<T>, handlers: RequestHandlers = {}): Promise<ResultOf[T]> {
        if (this.exitError != null)
            return Promise.reject(this.exitError);
        if (this.shutdownRequested && type !== "shutdown")
            return Promise.reject(new EngineStoppedError(type));
        const id = this.nextId++;
        const timeoutMs = this.options.timeoutsMs?.[type] ?? requestTimeoutsMs[type];
        return new Promise<ResultOf[T]>((resolve, reject) => {
            const pending: Pending = {type, resolve: resolve as (value: unknown) => void, reject, handlers, timeoutMs};
            this.pending.set(id, pending);
            this.armTimer(id, pending);
            if (handlers.signal != null) {
                const onAbort = () => {
                    if (this.pending.has(id) && this.exitError == null)
                        this.transport.send({id: this.nextId++, type: "stop", target: id});
                };
                if (handlers.signal.aborted)
                    queueMicrotask(onAbort);
                else
                    handlers.signal.addEventListener("abort", onAbort, {once: true});
            }
            this.transport.send({...body, type, id} as Request);
        });
    }

    /** Loads (or replaces) a model under an id; `onProgress` hears "loading N%". */
    public load(modelId: string, options: LoadOptions, handlers: RequestHandlers = {}): Promise<LoadResult> {
        return this.request("load", {modelId, options}, handlers);
    }

    public unload(modelId: string): Promise<ResultOf["unload"]> {
        return this.request("unload", {modelId});
    }

    public inspect(modelPath: string, options: {tokens?: number, densePath?: string, cacheType?: CacheType, measure?: boolean, pyramid?: string} = {}): Promise<InspectReport> {
        return this.request("inspect", {modelPath, ...options});
    }

    /** Token count of `text` with a loaded model's tokenizer; `raw`: of a raw prompt as `complete` reads it (special tokens, BOS). */
    public async tokenize(modelId: string, text: string, options: {raw?: boolean} = {}): Promise<number> {
        return (await this.request("tokenize", {modelId, text, ...options})).tokens;
    }

    /** Tokens of chat messages through a loaded model's chat template, and its context size. */
    public chatTokens(modelId: string, messages: ChatMessage[]): Promise<ResultOf["chatTokens"]> {
        return this.request("chatTokens", {modelId, messages});
    }

    public chat(args: {modelId: string, chatId: string, messages: ChatMessage[], maxTokens?: number, state?: StateFileOptions} & Sampling, handlers: RequestHandlers = {}): Promise<GenerationResult> {
        return this.request("chat", args, handlers);
    }

    public complete(args: {modelId: string, prompt: string, maxTokens?: number} & Sampling, handlers: RequestHandlers = {}): Promise<GenerationResult> {
        return this.request("complete", args, handlers);
    }

    public bench(options: BenchOptions, handlers: RequestHandlers = {}): Promise<BenchRow[]> {
        return this.request("bench", {options}, handlers);
    }

    /** Asks the engine to unload everything and exit; kills it if it does not within the timeout. */
    public async shutdown(timeoutMs = 10_000): Promise<void> {
        if (this.exitError != null)
            return;
        const done = this.request("shutdown", {}).catch(() => undefined);
        this.shutdownRequested = true;
        const timer = setTimeout(() => this.transport.kill(), timeoutMs);
        await done;
        await this.exited;
        clearTimeout(timer);
    }

    /** Ends the engine at once (SIGKILL); pending requests fail with `EngineCrashedError`. */
    public kill(): Promise<void> {
        this.transport.kill();
        return this.exited;
    }

    private armTimer(id: number, pending: Pending): void {
        if (pending.timer != null)
            clearTimeout(pending.timer);
        pending.timer = setTimeout(() => {
            if (!this.pending.has(id))
                return;
            this.pending.delete(id);
            pending.reject(new EngineTimeoutError(pending.type, pending.timeoutMs));
            this.transport.kill();
        }, pending.timeoutMs);
    }

    private onMessage(message: Reply): void {
        if (message.type === "ready") {
            this.readyWaiter?.resolve();
            return;
        }
        const pending = this.pending.get(message.id);
        if (pending == null)
            return;
        if (message.type === "result" || message.type === "error") {
            clearTimeout(pending.timer);
            this.pending.delete(message.id);
            if (message.type === "result")
                pending.resolve(message.value);
            else
                pending.reject(reviveError(message.error));
            return;
        }
        this.armTimer(message.id, pending);
        // an event handler that throws ends its own request with that error (and stops it in the engine), never the process
        try {
            if (message.type === "token")
                pending.handlers.onToken?.(message.text);
            else if (message.type === "metrics")
                pending.handlers.onMetrics?.(message.metrics);
            else
                pending.handlers.onProgress?.(message.message);
        } catch (error) {
            clearTimeout(pending.timer);
            this.pending.delete(message.id);
            pending.reject(error instanceof Error ? error : new Error(String(error)));
            if (this.exitError == null)
                this.transport.send({id: this.nextId++, type: "stop", target: message.id});
        }
    }

    private onOutput(chunk: string): void {
        const text = this.partialLine + chunk;
        const lines = text.split("\n");
        this.partialLine = lines.pop() ?? "";
        const keep = this.options.logTailLines ?? 60;
        for (const line of lines) {
            if (line.trim().length === 0)
                continue;
            this.tail.push(line);
            if (this.tail.length > keep)
                this.tail.shift();
            this.options.onLog?.(line);
        }
    }

    private onExit(code: number | null, signal: string | null, failure?: TransportFailure): void {
        const clean = this.shutdownRequested && code === 0;
        const pendingTypes = [...this.pending.values()].map((pending) => pending.type);
        const error = clean
            ? new EngineStoppedError(pendingTypes[0] ?? "request")
            : failure != null
                ? new EngineUnreachableError(failure.reason, failure.refused, this.logTail().slice(-20))
                : new EngineCrashedError(code, signal, this.logTail().slice(-20), pendingTypes.length > 0 ? pendingTypes.join(", ") : undefined);
        this.exitError = error;
        this.readyWaiter?.reject(error);
        for (const [id, pending] of this.pending) {
            clearTimeout(pending.timer);
            this.pending.delete(id);
            pending.reject(error);
        }
        if (!clean && error instanceof EngineCrashedError)
            this.options.onCrash?.(error);
    }
}
