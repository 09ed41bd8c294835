import type {CacheMeter} from "../CacheMeter.js";
import type {GenerationResult, Metrics, StopReason} from "../protocol.js";

/** llama-server's `timings` (with `timings_per_token`, on every chunk). */
interface ServerTimings {
    cache_n?: number;
    prompt_n?: number;
    prompt_per_second?: number;
    predicted_n?: number;
    predicted_per_second?: number;
}

/** One chunk of llama-server's stream: OpenAI's chat chunk, or `/completion`'s. */
interface Chunk {
    choices?: {delta?: {content?: string | null}, finish_reason?: string | null}[];
    content?: string;
    stop?: boolean;
    stop_type?: string;
    timings?: ServerTimings;
}

/** How often metrics go out while tokens stream (the engine's own pace is per prompt batch). */
const metricsEveryMs = 200;

/**
 * One streamed llama-server answer read into the engine's terms: each text piece a token event,
 * `timings` as `Metrics` (speeds and reused prompt tokens measured by llama-server; tokens in context
 * = cache_n + prompt_n + predicted_n, as its README counts them; cache bytes computed from the GGUF
 * shape there), and the result at the end.
 */
export class ServerStream {
    private text = "";
    private timings: ServerTimings = {};
    private finish?: string;
    private readonly started = performance.now();
    private firstTokenMs?: number;
    private lastMetrics = 0;

    public constructor(
        private readonly modelId: string,
        private readonly meter: CacheMeter,
        private readonly contextSize: number,
        private readonly onToken: (text: string) => void,
        private readonly onMetrics: (metrics: Metrics) => void
    ) {}

    /** Reads server-sent events to the end (or until the request is aborted: it throws then). */
    public async read(body: ReadableStream<Uint8Array>): Promise<void> {
        const decoder = new TextDecoder();
        let pending = "";
        for await (const bytes of body) {
            pending += decoder.decode(bytes, {stream: true});
            const events = pending.split(/\r?\n\r?\n/);
            pending = events.pop() ?? "";
            for (const event of events)
                for (const line of event.split(/\r?\n/))
                    if (line.startsWith("data: ") && line !== "data: [DONE]")
                        this.onChunk(JSON.parse(line.slice("data: ".length)) as Chunk);
        }
    }

    public result(stopped?: "stopped"): GenerationResult {
        const metrics = this.metrics("done");
        const reason: StopReason = stopped ?? (this.finish === "length" || this.finish === "limit"
            ? (metrics.tokensInContext >= this.contextSize ? "contextFull" : "maxTokens")
            : "eos");
        return {text: this.text, stopReason: reason, promptTokens: (this.timings.prompt_n ?? 0) + (this.timings.cache_n ?? 0), generatedTokens: this.timings.predicted_n ?? 0, metrics};
    }

    private onChunk(chunk: Chunk): void {
        const piece = chunk.choices?.[0]?.delta?.content ?? chunk.content ?? "";
        this.finish = chunk.choices?.[0]?.finish_reason ?? (chunk.stop === true ? chunk.stop_type : undefined) ?? this.finish;
        if (chunk.timings != null)
            this.timings = chunk.timings;
        if (piece.length > 0) {
            this.firstTokenMs ??= performance.now() - this.started;
            this.text += piece;
            this.onToken(piece);
        }
        const now = performance.now();
        if (chunk.timings != null && now - this.lastMetrics >= metricsEveryMs) {
            this.lastMetrics = now;
            this.onMetrics(this.metrics(this.firstTokenMs == null ? "prefill" : "decode"));
        }
    }

    private metrics(phase: Metrics["phase"]): Metrics {
        const t = this.timings;
        const tokensInContext = (t.cache_n ?? 0) + (t.prompt_n ?? 0) + (t.predicted_n ?? 0);
        const dense = this.meter.denseBytesAt(tokensInContext);
        return {
            modelId: this.modelId,
            tokensInContext,
            contextSize: this.contextSize,
            cacheBytesComputed: this.meter.bytesAt(tokensInContext),
            ...(dense != null ? {denseCacheBytesComputed: dense} : {}),
            ...(t.prompt_n != null ? {promptTokens: t.prompt_n} : {}),
            ...(t.cache_n != null ? {promptTokensReused: t.cache_n} : {}),
            ...(t.predicted_n != null ? {generatedTokens: t.predicted_n} : {}),
            ...(t.prompt_per_second != null && (t.prompt_n ?? 0) > 0 ? {prefillTokensPerSecond: t.prompt_per_second} : {}),
            ...(t.predicted_per_second != null && (t.predicted_n ?? 0) > 1 ? {decodeTokensPerSecond: t.predicted_per_second} : {}),
            ...(this.firstTokenMs != null ? {timeToFirstTokenMs: this.firstTokenMs} : {}),
            phase
        };
    }
}
