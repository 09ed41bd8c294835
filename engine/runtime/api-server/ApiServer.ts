import http, {type IncomingMessage, type ServerResponse} from "node:http";
import type {AddressInfo} from "node:net";
import {randomUUID} from "node:crypto";
import type {GenerationResult, LoadResult} from "../protocol.js";
import type {EngineClient} from "../client/EngineClient.js";
import {PromptTooLongError} from "../errors/PromptTooLongError.js";
import {ModelNotLoadedError} from "../errors/ModelNotLoadedError.js";
import {EngineError} from "../errors/EngineError.js";
import {ApiError} from "./ApiError.js";
import {parseGenerationRequest, type GenerationRequest} from "./generationRequest.js";
import {checkKey, readJson, sendEvent, sendJson, startEvents} from "./httpIo.js";
import {Conversations} from "./Conversations.js";
import {SequenceLanes} from "./SequenceLanes.js";
import {StopStrings} from "./StopStrings.js";
import {timingsOf} from "./timings.js";
import type {ServedEngine} from "./ServedEngine.js";

export interface ApiServerOptions {
    engine: ServedEngine;
    /** the key every /v1 request must carry as `Authorization: Bearer KEY` */
    apiKey: string;
    /** one line per request and per engine event (default: stderr) */
    log?: (line: string) => void;
    /** largest request body (default 32 MiB: a long document in a message) */
    maxBodyBytes?: number;
}

/** The client went away before its answer was done. */
class ClientGone extends Error {
    public constructor() {
        super("the client closed the connection");
        this.name = "ClientGone";
    }
}

/** What one generation request ended as, for the log line. */
interface Outcome {
    model: string;
    promptTokens: number;
    result?: GenerationResult;
    finish: string;
    queuedMs: number;
    timeToFirstTokenMs?: number;
}

/**
 * An OpenAI-compatible HTTP API over the engine: GET /v1/models, POST /v1/chat/completions and
 * /v1/completions (streamed as server-sent events or not), GET /health. Each model answers as many
 * requests at once as it has sequences, the rest wait in arrival order; a chat follow-up runs on the
 * sequence that holds its earlier messages and reads only what is new. A prompt that does not fit
 * is refused with its token counts, never cut; a client that goes away stops its generation.
 */
export class ApiServer {
    private readonly engine: ServedEngine;
    private readonly apiKey: string;
    private readonly log: (line: string) => void;
    private readonly maxBodyBytes: number;
    private readonly server: http.Server;
    private readonly lanes = new Map<string, SequenceLanes>();
    private readonly conversations = new Conversations();
    private readonly startedAt = Math.floor(Date.now() / 1000);

    public constructor(options: ApiServerOptions) {
        this.engine = options.engine;
        this.apiKey = options.apiKey;
        this.log = options.log ?? ((line) => process.stderr.write(line + "\n"));
        this.maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
        for (const spec of this.engine.models)
            this.lanes.set(spec.id, new SequenceLanes(spec.options.sequences ?? 1));
        this.server = http.createServer((req, res) => void this.handle(req, res));
    }

    /** Listens on host:port (port 0: any free one); resolves with the address. */
    public listen(port: number, host: string): Promise<AddressInfo> {
        return new Promise((resolve, reject) => {
            this.server.once("error", reject);
            this.server.listen(port, host, () => {
                this.server.off("error", reject);
                resolve(this.server.address() as AddressInfo);
            });
        });
    }

    /** Stops accepting requests and ends open connections (their generations stop). */
    public close(): Promise<void> {
        return new Promise((resolve) => {
            this.server.close(() => resolve());
            this.server.closeAllConnections();
        });
    }

    private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const started = performance.now();
        const url = new URL(req.url ?? "/", "http://localhost");
        const route = `${req.method ?? "GET"} ${url.pathname}`;
        let outcome: Outcome | undefined;
        try {
            if (url.pathname === "/health" && req.method === "GET")
                return await this.health(res);
            if (!url.pathname.startsWith("/v1/"))
                throw new ApiError(404, `No route ${route}. The API is under /v1 (GET /v1/models, POST /v1/chat/completions, POST /v1/completions).`, {code: "unknown_route"});
            checkKey(req, this.apiKey);
            if (route === "GET /v1/models")
                return sendJson(res, 200, {object: "list", data: await this.modelList()});
            if (req.method === "GET" && url.pathname.startsWith("/v1/models/"))
                return sendJson(res, 200, await this.modelEntry(decodeURIComponent(url.pathname.slice("/v1/models/".length))));
            if (route === "POST /v1/chat/completions" || route === "POST /v1/completions") {
                outcome = {model: "?", promptTokens: 0, finish: "error", queuedMs: 0};
                await this.generate(route === "POST /v1/completions" ? "complete" : "chat", req, res, started, outcome);
                return;
            }
            if (["/v1/models", "/v1/chat/completions", "/v1/completions"].includes(url.pathname))
                throw new ApiError(405, `${req.method} is not allowed on ${url.pathname}.`, {code: "method_not_allowed"});
            throw new ApiError(404, `No route ${route}.`, {code: "unknown_route"});
        } catch (err) {
            if (err instanceof ClientGone) {
                if (outcome != null)
                    outcome.finish = "client_gone";
                return;
            }
            const error = apiErrorOf(err);
            if (error.status >= 500)
                this.log(`error: ${route}: ${err instanceof Error ? err.message : String(err)}`);
            if (res.headersSent) {
                // a streamed answer already began: the error is its last event
                sendEvent(res, error.body());
                res.end();
            } else {
                sendJson(res, error.status, error.body());
            }
        } finally {
            const ms = Math.round(performance.now() - started);
            if (outcome != null) {
                const r = outcome.result;
                this.log(`${route} ${res.statusCode} model=${outcome.model} prompt=${outcome.promptTokens}` +
                    (r != null ? ` cached=${r.metrics.promptTokensReused ?? 0} read=${r.metrics.promptTokens ?? 0} generated=${r.generatedTokens}` : "") +
                    ` finish=${outcome.finish} queued=${Math.round(outcome.queuedMs)}ms` +
                    (outcome.timeToFirstTokenMs != null ? ` ttft=${Math.round(outcome.timeToFirstTokenMs)}ms` : "") + ` total=${ms}ms`);
            } else if (url.pathname !== "/health") {
                this.log(`${route} ${res.statusCode} ${ms}ms`);
            }
        }
    }

    private async health(res: ServerResponse): Promise<void> {
        const client = await this.engine.running();
        const models = this.engine.models.map((spec) => ({
            id: spec.id,
            generating: this.lanes.get(spec.id)!.running,
            queued: this.lanes.get(spec.id)!.queued
        }));
        sendJson(res, client != null ? 200 : 503, {
            status: client != null ? "ok" : "starting",
            engine: {pid: client?.pid ?? null, restarts: this.engine.restarts},
            models
        });
    }

    private async modelList(): Promise<object[]> {
        const {loaded} = await this.engine.ready();
        return this.engine.models.map((spec) => this.describe(spec.id, loaded.get(spec.id)!));
    }

    private async modelEntry(id: string): Promise<object> {
        const {loaded} = await this.engine.ready();
        const load = loaded.get(id);
        if (load == null)
            throw this.unknownModel(id, 404);
        return this.describe(id, load);
    }

    private describe(id: string, load: LoadResult): object {
        const shape = load.shape;
        return {
            id, object: "model", created: this.startedAt, owned_by: "recurformer-desktop",
            architecture: shape.architecture,
            name: shape.name,
            context_size: load.contextSize,
            parallel_sequences: this.lanes.get(id)!.capacity,
            kv_bytes_per_token: shape.kvBytesPerTokenByType[load.cacheType] ?? shape.kvBytesPerToken,
            recurrent_state_bytes: shape.recurrentStateBytes,
            ...(shape.denseKvBytesPerTokenByType?.[load.cacheType] != null ? {dense_kv_bytes_per_token: shape.denseKvBytesPerTokenByType[load.cacheType]} : {}),
            ...(load.pyramid != null ? {pyramid: {schedule: load.pyramid.schedule, kv_cells_per_layer: load.pyramid.cellsPerLayer}} : {})
        };
    }

    private unknownModel(id: string, status = 400): ApiError {
        return new ApiError(status, `The model '${id}' does not exist here; this server has: ${this.engine.models.map((spec) => spec.id).join(", ")}.`,
            {param: "model", code: "model_not_found"});
    }

    private async generate(kind: "chat" | "complete", req: IncomingMessage, res: ServerResponse, started: number, outcome: Outcome): Promise<void> {
        // the client going away stops everything from here: counting, the wait for a sequence, the generation
        const gone = new AbortController();
        res.on("close", () => {
            if (!res.writableFinished)
                gone.abort(new ClientGone());
        });
        const request = parseGenerationRequest(kind, await readJson(req, this.maxBodyBytes));
        const modelId = request.model ?? this.engine.models[0]!.id;
        outcome.model = modelId;
        const lanes = this.lanes.get(modelId);
        if (lanes == null)
            throw this.unknownModel(modelId);
        const {client, loaded} = await this.engine.ready();
        const load = loaded.get(modelId)!;
        const promptTokens = kind === "chat"
            ? (await client.chatTokens(modelId, request.messages)).tokens
            : await client.tokenize(modelId, request.prompt, {raw: true});
        outcome.promptTokens = promptTokens;
        const maxTokens = fitOrRefuse(request, promptTokens, load.contextSize);
        const waitFrom = performance.now();
        const release = await lanes.acquire(gone.signal);
        try {
            outcome.queuedMs = performance.now() - waitFrom;
            await this.run(client, request, {modelId, load, promptTokens, maxTokens, started, gone: gone.signal, res, outcome});
        } finally {
            release();
        }
    }

    private async run(client: EngineClient, request: GenerationRequest, run: {
        modelId: string, load: LoadResult, promptTokens: number, maxTokens: number, started: number,
        gone: AbortSignal, res: ServerResponse, outcome: Outcome
    }): Promise<void> {
        const {modelId, res, outcome} = run;
        const chat = request.kind === "chat";
        const id = `${chat ? "chatcmpl" : "cmpl"}-${randomUUID()}`;
        const created = Math.floor(Date.now() / 1000);
        const object = chat ? "chat.completion" : "text_completion";
        const stops = new StopStrings(request.stop);
        const stopString = new AbortController();
        const signal = AbortSignal.any([run.gone, stopString.signal]);
        const chunk = (choice: object, extra: object = {}) => ({id, object: chat ? "chat.completion.chunk" : "text_completion", created, model: modelId, choices: [choice], ...extra});

        let text = "";
        const send = (piece: string) => {
            if (piece.length === 0)
                return;
            outcome.timeToFirstTokenMs ??= performance.now() - run.started;
            text += piece;
            if (request.stream)
                sendEvent(res, chunk(chat ? {index: 0, delta: {content: piece}, logprobs: null, finish_reason: null} : {index: 0, text: piece, logprobs: null, finish_reason: null}));
        };
        if (request.stream) {
            startEvents(res);
            if (chat)
                sendEvent(res, chunk({index: 0, delta: {role: "assistant", content: ""}, logprobs: null, finish_reason: null}));
        }

        const conversation = chat ? this.conversations.claim(modelId, request.messages, {withinMessages: !run.load.needsCheckpoints}) : undefined;
        let result: GenerationResult;
        try {
            const handlers = {
                signal,
                onToken: (piece: string) => {
                    send(stops.push(piece));
                    if (stops.stopped)
                        stopString.abort();
                }
            };
            const common = {modelId, maxTokens: run.maxTokens, ...request.sampling};
            result = chat
                ? await client.chat({...common, chatId: conversation!.key, messages: request.messages}, handlers)
                : await client.complete({...common, prompt: request.prompt}, handlers);
            send(stops.flush());
        } finally {
            conversation?.done(text);
        }
        outcome.result = result;
        if (run.gone.aborted)
            throw new ClientGone();

        const finish = stops.stopped || result.stopReason === "eos" ? "stop" : "length";
        outcome.finish = stops.stopped ? "stop_string" : result.stopReason;
        const cached = result.metrics.promptTokensReused ?? 0;
        const usage = {
            prompt_tokens: run.promptTokens,
            completion_tokens: result.generatedTokens,
            total_tokens: run.promptTokens + result.generatedTokens,
            prompt_tokens_details: {cached_tokens: cached}
        };
        const timings = timingsOf(result.metrics, run.load.shape, {
            queuedMs: outcome.queuedMs,
            ...(outcome.timeToFirstTokenMs != null ? {timeToFirstTokenMs: outcome.timeToFirstTokenMs} : {})
        });
        if (request.stream) {
            sendEvent(res, chunk(chat ? {index: 0, delta: {}, logprobs: null, finish_reason: finish} : {index: 0, text: "", logprobs: null, finish_reason: finish}, {usage, timings}));
            if (request.includeUsage)
                sendEvent(res, {id, object: chat ? "chat.completion.chunk" : "text_completion", created, model: modelId, choices: [], usage});
            sendEvent(res, "[DONE]");
            res.end();
            return;
        }
        const choice = chat
            ? {index: 0, message: {role: "assistant", content: text}, logprobs: null, finish_reason: finish}
            : {index: 0, text, logprobs: null, finish_reason: finish};
        sendJson(res, 200, {id, object, created, model: modelId, choices: [choice], usage, timings});
    }
}

/**
 * The answer's token budget: `max_tokens`, or all the room the context has. A prompt that leaves no
 * room, or a `max_tokens` past it, is a 400 with the counts: nothing is cut to make it fit.
 */
function fitOrRefuse(request: GenerationRequest, promptTokens: number, contextSize: number): number {
    const room = contextSize - 1 - promptTokens;
    const param = request.kind === "chat" ? "messages" : "prompt";
    if (room < 1)
        throw new ApiError(400,
            `This model's context holds ${contextSize} tokens; your ${param} ${request.kind === "chat" ? "come" : "comes"} to ${promptTokens} tokens, ` +
            `which leaves no room for an answer (at most ${contextSize - 2} prompt tokens). Nothing was cut: shorten the ${param}, or start the server with a larger --context.`,
            {param, code: "context_length_exceeded", extra: {prompt_tokens: promptTokens, context_size: contextSize}});
    if (request.maxTokens != null && request.maxTokens > room)
        throw new ApiError(400,
            `This model's context holds ${contextSize} tokens; your ${param} ${request.kind === "chat" ? "come" : "comes"} to ${promptTokens} tokens and max_tokens asks for ${request.maxTokens} more ` +
            `(room for ${room}). Lower max_tokens, shorten the ${param}, or start the server with a larger --context.`,
            {param: "max_tokens", code: "context_length_exceeded", extra: {prompt_tokens: promptTokens, max_tokens: request.maxTokens, context_size: contextSize}});
    return request.maxTokens ?? room;
}

/** Any error as the HTTP error it is. */
function apiErrorOf(err: unknown): ApiError {
    if (err instanceof ApiError)
        return err;
    if (err instanceof PromptTooLongError)
        return new ApiError(400, err.message, {code: "context_length_exceeded", extra: {prompt_tokens: err.promptTokens, context_size: err.contextSize}});
    if (err instanceof ModelNotLoadedError)
        return new ApiError(503, "The engine was restarted and is loading the models again; retry the request.", {type: "service_unavailable", code: "engine_restarting"});
    if (err instanceof EngineError)
        return new ApiError(500, `${err.name}: ${err.message}`, {code: err.name});
    return new ApiError(500, err instanceof Error ? err.message : String(err), {code: "internal_error"});
}

