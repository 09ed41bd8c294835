import {LlamaChatSession, type ChatHistoryItem, type Token} from "node-llama-cpp";
import {rawPromptTokens} from "./promptTokens.js";
import type {ChatMessage, GenerationResult, Metrics, StopReason} from "./protocol.js";
import type {LoadedModel, SequenceSlot} from "./LoadedModel.js";
import {PromptTooLongError} from "./errors/PromptTooLongError.js";

export interface ChatRunOptions {
    /** receives each piece of generated text, in order */
    onText?: (text: string) => void;
    /** receives metrics, at most every `metricsIntervalMs` and at each phase end */
    onMetrics?: (metrics: Metrics) => void;
    /** stops the generation (the text so far is kept; stopReason "stopped") */
    signal?: AbortSignal;
    /** most tokens to generate (default 512) */
    maxTokens?: number;
    /** sampling temperature for chats (default 0: greedy); completions are always greedy */
    temperature?: number;
    /** throttle of metrics events (default 250 ms) */
    metricsIntervalMs?: number;
}

/**
 * One generation on one sequence of a loaded model: a chat turn (through the model's chat
 * template) or a raw greedy completion. It streams text, stops on request, takes sequence
 * checkpoints after the prompt is read and after the answer (recurrent / hybrid models cannot
 * erase part of their state, so rolling back needs them), and measures as it goes:
 * prefill and decode tokens/s, time to first token, cache bytes (computed) and llama.cpp's
 * state size (measured, read only between evaluations).
 */
export class ChatRun {
    private readonly model: LoadedModel;
    private readonly slot: SequenceSlot;
    private readonly options: ChatRunOptions;
    private readonly maxTokens: number;
    private readonly intervalMs: number;

    private startedAt = 0;
    private prefillStartedAt = 0;
    private prefillEndedAt?: number;
    private firstTokenAt?: number;
    private lastTokenAt?: number;
    private inputTokensAtStart = 0;
    private promptTokens = 0;
    private generatedTokens = 0;
    private lastMetricsAt = 0;
    private phase: Metrics["phase"] = "prefill";
    private lastStateBytes?: number;

    public constructor(model: LoadedModel, slot: SequenceSlot, options: ChatRunOptions = {}) {
        this.model = model;
        this.slot = slot;
        this.options = options;
        this.maxTokens = options.maxTokens ?? 512;
        this.intervalMs = options.metricsIntervalMs ?? 250;
    }

    private get sequence() {
        return this.slot.sequence;
    }

    /** A raw prompt, no chat template, greedy. */
    public async complete(prompt: string): Promise<GenerationResult> {
        const model = this.model.model;
        const tokens = rawPromptTokens(model, prompt);
        const contextSize = this.sequence.contextSize;
        if (tokens.length >= contextSize)
            throw new PromptTooLongError(tokens.length, contextSize);

        this.begin();
        await this.sequence.clearHistory();
        this.promptTokens = tokens.length;

        // read the prompt in batches, so a stop and prefill metrics can come between them
        const batch = this.model.context.batchSize;
        const head = tokens.slice(0, -1);
        for (let i = 0; i < head.length; i += batch) {
            if (this.options.signal?.aborted)
                return this.finish("", "stopped");
            await this.sequence.evaluateWithoutGeneratingNewTokens(head.slice(i, i + batch));
            this.tick("prefill");
        }
        if (this.options.signal?.aborted)
            return this.finish("", "stopped");

        const generated: Token[] = [];
        let pending: Token[] = [];
        let text = "";
        let stopReason: StopReason = "maxTokens";
        const room = contextSize - tokens.length;
        const limit = Math.min(this.maxTokens, room);
        if (limit <= 0)
            return this.finish("", "contextFull");

        const emit = (flush: boolean) => {
            if (pending.length === 0)
                return;
            const piece = model.detokenize(pending, false, generated.slice(-8));
            // hold back a split multi-byte character until its last byte arrives
            if (!flush && piece.endsWith("\uFFFD") && pending.length < 4)
                return;
            generated.push(...pending);
            pending = [];
            text += piece;
            if (piece.length > 0)
                this.options.onText?.(piece);
        };

        const iterator = this.sequence.evaluate([tokens.at(-1)!], {temperature: 0, yieldEogToken: true});
        try {
            for await (const token of iterator) {
                this.onToken();
                if (model.isEogToken(token)) {
                    stopReason = "eos";
                    break;
                }
                pending.push(token);
                this.generatedTokens++;
                emit(false);
                if (this.generatedTokens >= limit) {
                    stopReason = this.generatedTokens >= this.maxTokens ? "maxTokens" : "contextFull";
                    break;
                }
                if (this.options.signal?.aborted) {
                    stopReason = "stopped";
                    break;
                }
                this.tick("decode");
            }
        } finally {
            emit(true);
        }
        return this.finish(text, stopReason);
    }

    /** A chat turn: messages end with the user's; earlier ones are the history. */
    public async chat(messages: ChatMessage[]): Promise<GenerationResult> {
        const last = messages.at(-1);
        if (last == null || last.role !== "user")
            throw new Error("A chat request must end with a user message.");
        const history: ChatHistoryItem[] = [];
        for (const message of messages.slice(0, -1)) {
            if (message.role === "system")
                history.push({type: "system", text: message.content});
            else if (message.role === "user")
                history.push({type: "user", text: message.content});
            else
                history.push({type: "model", response: [message.content]});
        }
        const contextSize = this.sequence.contextSize;
        const userTokens = this.model.model.tokenize(last.content, false).length;
        if (userTokens >= contextSize - 8)
            throw new PromptTooLongError(userTokens, contextSize);

        const session = new LlamaChatSession({contextSequence: this.sequence, autoDisposeSequence: false});
        try {
            // exactly the messages given (no default system prompt), so every turn renders the same prefix
            session.setChatHistory(history);
            this.begin();

            // read the prompt (history + new message) first: its timing is prefill, and a checkpoint goes right after it
            const timer = setInterval(() => this.tick("prefill", false, false), this.intervalMs);
            try {
                await session.preloadPrompt(last.content, {signal: this.options.signal});
            } catch (err) {
                if (this.options.signal?.aborted)
                    return this.finish("", "stopped");
                throw err;
            } finally {
                clearInterval(timer);
            }
            this.promptTokens = this.sequence.tokenMeter.usedInputTokens - this.inputTokensAtStart;
            this.prefillEndedAt = performance.now();
            await this.sequence.takeCheckpoint();
            this.tick("prefill", true);
            if (this.options.signal?.aborted)
                return this.finish("", "stopped");

            let text = "";
            const result = await session.promptWithMeta(last.content, {
                maxTokens: this.maxTokens,
                temperature: this.options.temperature ?? 0,
                signal: this.options.signal,
                stopOnAbortSignal: true,
                onToken: (tokens) => {
                    for (let i = 0; i < tokens.length; i++)
                        this.onToken();
                    this.generatedTokens += tokens.length;
                    this.tick("decode");
                },
                onTextChunk: (chunk) => {
                    text += chunk;
                    this.options.onText?.(chunk);
                }
            });
            await this.sequence.takeCheckpoint();
            const stopReason: StopReason = result.stopReason === "abort"
                ? "stopped"
                : result.stopReason === "maxTokens"
                    ? "maxTokens"
                    : "eos";
            return this.finish(result.responseText ?? text, stopReason);
        } finally {
            session.dispose({disposeSequence: false});
        }
    }

    private begin(): void {
        this.startedAt = performance.now();
        this.prefillStartedAt = this.startedAt;
        this.inputTokensAtStart = this.sequence.tokenMeter.usedInputTokens;
        this.phase = "prefill";
    }

    private onToken(): void {
        const now = performance.now();
        if (this.firstTokenAt == null) {
            this.firstTokenAt = now;
            this.prefillEndedAt ??= now;
            if (this.promptTokens === 0)
                this.promptTokens = this.sequence.tokenMeter.usedInputTokens - this.inputTokensAtStart;
            this.phase = "decode";
            this.tick("prefill", true);
        }
        this.lastTokenAt = now;
    }

    /**
     * Emits metrics when the throttle allows (or always, at a phase end). `betweenEvaluations`:
     * no evaluation of this sequence is in flight, so llama.cpp's state size can be read safely.
     */
    private tick(phase: Metrics["phase"], force = false, betweenEvaluations = true): void {
        const now = performance.now();
        if (!force && now - this.lastMetricsAt < this.intervalMs)
            return;
        this.lastMetricsAt = now;
        this.options.onMetrics?.(this.metrics(phase, betweenEvaluations));
    }

    private finish(text: string, stopReason: StopReason): GenerationResult {
        const metrics = this.metrics("done", true);
        this.options.onMetrics?.(metrics);
        return {text, stopReason, promptTokens: this.promptTokens, generatedTokens: this.generatedTokens, metrics};
    }

    private metrics(phase: Metrics["phase"], safeToMeasure: boolean): Metrics {
        const sequence = this.sequence;
        const meter = this.model.meter;
        const tokens = sequence.nextTokenIndex;
        if (safeToMeasure && this.model.isOnlyBusy(this.slot))
            this.lastStateBytes = this.model.context.stateSize;

        const now = performance.now();
        const prefillEnd = this.prefillEndedAt ?? now;
        const prefillSeconds = (prefillEnd - this.prefillStartedAt) / 1000;
        const prefillTokens = this.promptTokens > 0
            ? this.promptTokens
            : sequence.tokenMeter.usedInputTokens - this.inputTokensAtStart;
        const decodeSeconds = this.firstTokenAt != null && this.lastTokenAt != null
            ? (this.lastTokenAt - this.firstTokenAt) / 1000
            : 0;
        const dense = meter.denseBytesAt(tokens);
        return {
            modelId: this.model.modelId,
            tokensInContext: tokens,
            contextSize: sequence.contextSize,
            cacheBytesComputed: meter.bytesAt(tokens),
            ...(dense != null ? {denseCacheBytesComputed: dense} : {}),
            ...(this.lastStateBytes != null ? {stateBytesMeasured: this.lastStateBytes} : {}),
            ...(this.model.buffers.kvBufferBytesMeasured != null ? {kvBufferBytesMeasured: this.model.buffers.kvBufferBytesMeasured} : {}),
            checkpointBytesMeasured: sequence.checkpointsMemoryUsage,
            promptTokens: prefillTokens,
            generatedTokens: this.generatedTokens,
            ...(prefillSeconds > 0 && prefillTokens > 0 ? {prefillTokensPerSecond: prefillTokens / prefillSeconds} : {}),
            ...(decodeSeconds > 0 && this.generatedTokens > 1 ? {decodeTokensPerSecond: (this.generatedTokens - 1) / decodeSeconds} : {}),
            ...(this.firstTokenAt != null ? {timeToFirstTokenMs: this.firstTokenAt - this.startedAt} : {}),
            phase: phase === "done" ? "done" : this.phase === "decode" ? "decode" : phase
        };
    }
}
