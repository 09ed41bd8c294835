import path from "node:path";
import type {EngineTransport, TransportFailure} from "../client/EngineTransport.js";
import {TransportEvents} from "../client/TransportEvents.js";
import type {CacheMeter} from "../CacheMeter.js";
import {EngineError} from "../errors/EngineError.js";
import {toErrorPayload} from "../errors/reviveError.js";
import {computedInspectReport} from "../inspectComputed.js";
import type {GenerationResult, LoadOptions, LoadResult, Reply, Request, ResultOf, Sampling} from "../protocol.js";
import {ServerStream} from "./ServerStream.js";

/** What `GET /props` says about the server's one model. */
interface Props {
    default_generation_settings: {n_ctx: number};
    total_slots: number;
    model_path: string;
    build_info?: string;
}

/** The network failed (not an HTTP answer): the server has gone. */
class ServerGone extends Error {}

/**
 * llama.cpp's own `llama-server`, built from the same RecurFormer patch (`npm run build:llama-server`)
 * and already running (`llama-server -m MODEL.gguf`), as an engine: this transport answers the
 * engine's messages itself through the server's HTTP API, so `EngineClient` and the app above it
 * work unchanged. Chat through `/v1/chat/completions` (streamed, `timings_per_token`), token counts
 * through `/tokenize` and `/v1/chat/completions/input_tokens`; speed and reused prompt tokens from
 * llama-server's `timings`; cache bytes COMPUTED from the model's GGUF header on this machine (the
 * same `CacheMeter` as the engine's; llama-server measures none: no state sizes, no saved states).
 * The server holds one model: `load` of another file is refused with the name of the one it serves.
 * A server that cannot be reached, or refuses the key, ends the transport with a `TransportFailure`.
 */
export class LlamaServerTransport extends TransportEvents implements EngineTransport {
    public readonly pid = undefined;
    private readonly base: string;
    private props?: Props;
    private readonly loaded = new Map<string, CacheMeter>();
    private readonly running = new Map<number, AbortController>();

    /** `url`: http://HOST:PORT (a trailing /v1 is dropped); `apiKey`: the server's --api-key, if it has one. */
    public constructor(url: string, private readonly apiKey?: string) {
        super();
        this.base = url.replace(/\/+$/, "").replace(/\/v1$/, "");
        void this.connect();
    }

    public send(message: Request): void {
        void this.answer(message);
    }

    /** Lets go of the server (it keeps running: it is the user's): requests in flight are stopped. */
    public kill(): void {
        this.end(null);
    }

    private async connect(): Promise<void> {
        try {
            const res = await this.request("GET", "/props", undefined, AbortSignal.timeout(15_000));
            this.props = await res.json() as Props;
            this.output(`llama-server ${this.base}: ${this.props.model_path}, context ${this.props.default_generation_settings.n_ctx} tokens per slot, ` +
                `${this.props.total_slots} slot(s), build ${this.props.build_info ?? "?"}`);
            this.emit({id: 0, type: "ready", pid: 0});
        } catch (error) {
            if (error instanceof ServerGone)
                return;
            this.end(null, {reason: (error as Error).message, refused: true});
        }
    }

    private async answer(request: Request): Promise<void> {
        try {
            this.emit({id: request.id, type: "result", value: await this.handle(request)});
        } catch (error) {
            if (!(error instanceof ServerGone))
                this.emit({id: request.id, type: "error", error: toErrorPayload(error)});
        }
        if (request.type === "shutdown")
            this.end(0);
    }

    private async handle(request: Request): Promise<unknown> {
        switch (request.type) {
            case "inspect": return (await computedInspectReport(request.modelPath, request.tokens ?? 4096, request.cacheType ?? "f16", request.densePath, request.pyramid)).report;
            case "load": return this.load(request.modelId, request.options);
            case "unload": return {modelId: request.modelId, unloaded: this.loaded.delete(request.modelId)} satisfies ResultOf["unload"];
            case "tokenize": {
                const raw = request.raw === true;
                const res = await this.request("POST", "/tokenize", {content: request.text, add_special: raw, parse_special: raw});
                return {tokens: ((await res.json()) as {tokens: unknown[]}).tokens.length} satisfies ResultOf["tokenize"];
            }
            case "chatTokens": {
                this.meter(request.modelId);
                const res = await this.request("POST", "/v1/chat/completions/input_tokens", {messages: request.messages});
                return {tokens: ((await res.json()) as {input_tokens: number}).input_tokens, contextSize: this.contextSize} satisfies ResultOf["chatTokens"];
            }
            case "chat": return this.generate(request.id, request.modelId, "/v1/chat/completions", {messages: request.messages}, request.maxTokens, request);
            case "complete": return this.generate(request.id, request.modelId, "/completion", {prompt: request.prompt}, request.maxTokens, request);
            case "stop": {
                const running = this.running.get(request.target);
                running?.abort();
                return {stopped: running != null} satisfies ResultOf["stop"];
            }
            case "bench": throw new EngineError("bench measures the app's own engine; for llama-server, use llama.cpp's llama-bench.");
            case "shutdown": return {ok: true} satisfies ResultOf["shutdown"];
        }
    }

    private get contextSize(): number {
        return this.props!.default_generation_settings.n_ctx;
    }

    private async load(modelId: string, options: LoadOptions): Promise<LoadResult> {
        const served = path.basename(this.props!.model_path);
        if (served !== path.basename(options.modelPath))
            throw new EngineError(`llama-server at ${this.base} serves ${served}, not ${path.basename(options.modelPath)}: ` +
                `start one with -m ${path.basename(options.modelPath)}, or use ${served} here.`);
        if (options.pyramid != null)
            throw new EngineError(`llama-server at ${this.base} keeps the KV cache it was started with: start it with ` +
                `--override-kv pyramid.schedule=str:${options.pyramid} -np 1 for PyramidInfer (engine/llama/PYRAMID.md).`);
        // llama-server keeps a KV cache of f16 unless started with --cache-type-k/-v
        const {report, meter} = await computedInspectReport(options.modelPath, this.contextSize, "f16");
        this.loaded.set(modelId, meter);
        return {
            modelId,
            shape: report.shape,
            contextSize: this.contextSize,
            batchSize: 0,
            threads: 0,
            cacheType: "f16",
            cacheBytesComputed: report.cacheBytesComputed,
            buffers: {},
            needsCheckpoints: false,
            pyramid: null,
            backend: {buildType: "llama-server", gpu: false, llamaCppRelease: `llama-server ${this.props!.build_info ?? "?"}`, supportsRecurformer: true}
        };
    }

    private meter(modelId: string): CacheMeter {
        const meter = this.loaded.get(modelId);
        if (meter == null)
            throw new EngineError(`The model ${modelId} is not loaded on llama-server at ${this.base}.`);
        return meter;
    }

    /** One streamed generation: tokens and metrics as events, the result at the end; `stop` keeps the text so far. */
    private async generate(id: number, modelId: string, route: string, input: object, maxTokens: number | undefined, sampling: Sampling): Promise<GenerationResult> {
        const meter = this.meter(modelId);
        const stop = new AbortController();
        this.running.set(id, stop);
        const stream = new ServerStream(modelId, meter, this.contextSize, (text) => this.emit({id, type: "token", text}), (metrics) => this.emit({id, type: "metrics", metrics}));
        try {
            const body = {
                ...input, stream: true, timings_per_token: true, cache_prompt: true,
                ...(route === "/completion" ? {n_predict: maxTokens ?? -1} : maxTokens != null ? {max_tokens: maxTokens} : {}),
                temperature: sampling.temperature ?? 0,
                ...(sampling.topP != null ? {top_p: sampling.topP} : {}),
                ...(sampling.seed != null ? {seed: sampling.seed} : {})
            };
            const res = await this.request("POST", route, body, stop.signal);
            await stream.read(res.body!);
        } catch (error) {
            if (!stop.signal.aborted)
                throw error;
            return stream.result("stopped");
        } finally {
            this.running.delete(id);
        }
        return stream.result();
    }

    /** An HTTP request to the server; an answer other than 2xx is an EngineError with the server's message, a network failure ends the transport. */
    private async request(method: "GET" | "POST", route: string, body?: object, signal?: AbortSignal): Promise<Response> {
        let res: Response;
        try {
            res = await fetch(this.base + route, {
                method,
                headers: {...(body != null ? {"content-type": "application/json"} : {}), ...(this.apiKey ? {authorization: `Bearer ${this.apiKey}`} : {})},
                ...(body != null ? {body: JSON.stringify(body)} : {}),
                ...(signal != null ? {signal} : {})
            });
        } catch (error) {
            if (signal?.aborted && (signal.reason as Error | undefined)?.name !== "TimeoutError")
                throw error;
            const cause = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
            const reason = this.props == null ? `Could not reach llama-server at ${this.base}: ${cause}` : `Lost llama-server at ${this.base}: ${cause}`;
            this.end(null, {reason, refused: false});
            throw new ServerGone(reason);
        }
        if (res.ok)
            return res;
        const text = (await res.text()).slice(0, 500);
        let message = text;
        try { message = (JSON.parse(text) as {error?: {message?: string}}).error?.message ?? text; } catch { /* not JSON: the text as it is */ }
        const advice = res.status === 401 ? " (the API key: give the one llama-server was started with, --api-key)" : "";
        throw new EngineError(`llama-server at ${this.base} answered ${method} ${route} with HTTP ${res.status}${advice}: ${message}`);
    }

    private emit(message: Reply | {id: 0, type: "ready", pid: number}): void {
        this.tellMessage(message as Reply);
    }

    private output(line: string): void {
        this.tellOutput(`${line}\n`);
    }

    private end(code: number | null, failure?: TransportFailure): void {
        if (this.exited)
            return;
        if (failure != null)
            this.output(failure.reason);
        for (const controller of this.running.values())
            controller.abort();
        this.tellExit(code, null, failure);
    }
}
