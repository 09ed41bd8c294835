import {open, unlink} from "node:fs/promises";
import {tmpdir} from "node:os";
import path from "node:path";
import {LlamaChatSession, appendUserMessageToChatHistory, type ChatHistoryItem, type LlamaContextSequence, type Token} from "node-llama-cpp";
import {chatWrapperOf, rawPromptTokens} from "./promptTokens.js";
import type {ChatMessage, GenerationResult, Metrics, Sampling, SavedStateResult, StateFileOptions, StopReason} from "./protocol.js";
import {clearPyramidRewind, resumeSequence, saveSequence} from "./SequenceState.js";
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
    /** temperature, top-p, seed (default: greedy) */
    sampling?: Sampling;
    /** throttle of metrics events (default 250 ms) */
    metricsIntervalMs?: number;
    /** chats: a saved state to resume from, and where to save this turn's (SequenceState.ts) */
    state?: StateFileOptions;
}

/** The size of the newest snapshot (sequence checkpoint) of each sequence, measured when it was taken. */
const snapshotSizes = new WeakMap<LlamaContextSequence, number>();

let stateFiles = 0;

/**
 * llama_state_seq_get_size of one sequence, measured: node-llama-cpp 3.x exposes no per-sequence
 * size, only `context.stateSize` (llama_state_get_size: every sequence of the context together),
 * but `sequence.saveStateToFile` runs llama_state_seq_save_file, which writes magic, version and
 * the token count (3 × uint32), the tokens (uint32 each) and then exactly the bytes
 * llama_state_seq_get_size counts (llama.cpp asserts that layout). The file's size less that
 * header is this sequence's state; the token count in the header is where it was measured. It
 * waits for the sequence's evaluation lock and the context's lock, so it never races a decode of
 * this or another sequence. Undefined when the sequence is gone (its model was unloaded).
 */
export async function measureSequenceState(sequence: LlamaContextSequence): Promise<{bytes: number; tokens: number} | undefined> {
    const file = path.join(tmpdir(), `recurformer-seq-state-${process.pid}-${++stateFiles}.bin`);
    try {
        const {fileSize} = await sequence.saveStateToFile(file);
        const handle = await open(file, "r");
        try {
            const header = Buffer.alloc(12);
            await handle.read(header, 0, 12, 0);
            const tokens = header.readUInt32LE(8);
            return {bytes: fileSize - 12 - 4 * tokens, tokens};
        } finally {
            await handle.close();
        }
    } catch {
        return undefined;
    } finally {
        await unlink(file).catch(() => undefined);
    }
}

/**
 * One generation on one sequence of a loaded model: a chat turn (through the model's chat
 * template) or a raw greedy completion. It streams text, stops on request, takes sequence
 * checkpoints ("snapshots") right where a later turn rolls back to: after the prompt is read
 * (before its last token, which node-llama-cpp always evaluates with the first answer token) and
 * after the answer. Recurrent / hybrid models cannot erase part of their state, so without them
 * a regenerate or a follow-up would read the whole chat (and its documents) again. It measures as it goes:
 * prefill and decode tokens/s, time to first token, cache bytes (computed) and this sequence's
 * llama.cpp state size (measured between its evaluations: between prompt batches, after the prompt
 * and at the end; reported with the token count it was measured at).
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
    /** this sequence's llama_state_seq_get_size, and the tokens it held then */
    private lastState?: {bytes: number; tokens: number};
    private lastMeasuredAt = -Infinity;
    private lastMeasureMs = 0;
    /** where this run's own prefill started in the sequence (tokens kept from earlier turns), while it reads */
    private prefillFrom?: number;
    /** tokens this run's own prefill read (undefined: node-llama-cpp read the prompt itself) */
    private prefillRead?: number;
    /** prompt tokens the sequence already held from an earlier turn, not read again */
    private promptReused?: number;
    /** what became of the saved state: resumed from, refused, written */
    private readonly stateResult: SavedStateResult = {};

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

    /** A raw prompt, no chat template; greedy unless `sampling` says otherwise. */
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
                return await this.finish("", "stopped");
            await this.sequence.evaluateWithoutGeneratingNewTokens(head.slice(i, i + batch));
            await this.measureIfDue();
            this.tick("prefill");
        }
        if (this.options.signal?.aborted)
            return await this.finish("", "stopped");

        const generated: Token[] = [];
        let pending: Token[] = [];
        let text = "";
        let stopReason: StopReason = "maxTokens";
        const room = contextSize - tokens.length;
        const limit = Math.min(this.maxTokens, room);
        if (limit <= 0)
            return await this.finish("", "contextFull");

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

        const {temperature = 0, topP, seed} = this.options.sampling ?? {};
        const iterator = this.sequence.evaluate([tokens.at(-1)!], {
            temperature, yieldEogToken: true, ...(topP != null ? {topP} : {}), ...(seed != null ? {seed} : {})
        });
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
        return await this.finish(text, stopReason);
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

        // the model's chat wrapper as "auto" resolves it, resolved once per model (promptTokens.ts)
        const session = new LlamaChatSession({contextSequence: this.sequence, autoDisposeSequence: false, chatWrapper: chatWrapperOf(this.model.model)});
        try {
            // exactly the messages given (no default system prompt), so every turn renders the same prefix
            session.setChatHistory(history);
            this.begin();

            // read the prompt (history + new message) first: its timing is prefill, and the snapshot goes right after it
            const timer = setInterval(() => this.tick("prefill"), this.intervalMs);
            try {
                await this.prefill(this.renderPrompt(session, history, last.content));
            } finally {
                clearInterval(timer);
            }
            if (this.options.signal?.aborted)
                return this.withState(await this.finish("", "stopped"));
            this.prefillEndedAt = performance.now();
            await this.snapshot();
            // a state just saved or loaded is this sequence's state, measured: no second file to write
            // before the first token (a dense state at 16k tokens is 250 MiB)
            if (!await this.saveState() && !this.loadedThisBatch())
                await this.measure();
            this.tick("prefill", true);

            let text = "";
            const {temperature = 0, topP, seed} = this.options.sampling ?? {};
            const result = await session.promptWithMeta(last.content, {
                maxTokens: this.maxTokens,
                temperature,
                ...(topP != null ? {topP} : {}),
                ...(seed != null ? {seed} : {}),
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
            await this.snapshot();
            const stopReason: StopReason = result.stopReason === "abort"
                ? "stopped"
                : result.stopReason === "maxTokens"
                    ? "maxTokens"
                    : "eos";
            return this.withState(await this.finish(result.responseText ?? text, stopReason));
        } finally {
            session.dispose({disposeSequence: false});
        }
    }

    /**
     * A chat turn's prompt exactly as node-llama-cpp's LlamaChat renders it: the history, the new
     * user message (appended the way LlamaChatSession appends it) and the start of the model's
     * answer, through the session's chat wrapper. Undefined when it does not fit the context: then
     * LlamaChat reads it itself and shortens the history as usual.
     */
    private renderPrompt(session: LlamaChatSession, history: ChatHistoryItem[], userText: string): Token[] | undefined {
        const chatHistory = appendUserMessageToChatHistory(history, userText);
        chatHistory.push({type: "model", response: []});
        const {contextText} = session.chatWrapper.generateContextState({chatHistory});
        const tokens = contextText.tokenize(this.model.model.tokenizer);
        return tokens.length > 1 && tokens.length + 1 < this.sequence.contextSize ? tokens : undefined;
    }

    /**
     * Reads a chat prompt up to, not including, its last token (LlamaChat always evaluates that one
     * with the first answer token, so the sequence then matches what it expects and it reads nothing
     * more). What the sequence already holds is kept: on a follow-up or a regenerate it rolls back
     * to the first token that differs (a RecurFormer model restores the newest snapshot at or before
     * it) and reads only what follows. Batches of the context's batch size, so a stop and the meters
     * come between them. With PyramidInfer a sequence is never rolled back: what it holds is kept only when the
     * prompt starts with all of it (clearPyramidRewind), else the prompt is read afresh.
     */
    private async prefill(prompt: Token[] | undefined): Promise<void> {
        if (this.model.pyramid != null)
            await clearPyramidRewind(this.sequence, prompt?.slice(0, -1) ?? []);
        if (prompt == null)
            return;
        const head = prompt.slice(0, -1);
        if (this.options.state?.resume != null) {
            const resume = await resumeSequence(this.sequence, this.options.state.resume, head);
            this.stateResult.resume = resume;
            // the state just loaded is this sequence's state, measured (the file is llama_state_seq_save_file's)
            if (resume.status === "resumed" && resume.stateBytes != null && resume.tokens != null) {
                this.lastState = {bytes: resume.stateBytes, tokens: resume.tokens};
                this.lastMeasuredAt = performance.now();
            }
        }
        await this.sequence.adaptStateToTokens(head, false);
        const rest = head.slice(this.sequence.nextTokenIndex);
        this.prefillFrom = this.sequence.nextTokenIndex;
        this.promptReused = this.sequence.nextTokenIndex;
        const readAtStart = this.sequence.tokenMeter.usedInputTokens;
        const batch = this.model.context.batchSize;
        try {
            for (let i = 0; i < rest.length; i += batch) {
                if (this.options.signal?.aborted)
                    return;
                await this.sequence.evaluateWithoutGeneratingNewTokens(rest.slice(i, i + batch));
                await this.measureIfDue();
                this.tick("prefill");
            }
        } finally {
            this.prefillRead = this.sequence.tokenMeter.usedInputTokens - readAtStart;
            this.prefillFrom = undefined;
        }
    }

    /** Takes a snapshot (sequence checkpoint) where the sequence is now; remembers its measured size. */
    private async snapshot(): Promise<void> {
        const before = this.sequence.checkpointsMemoryUsage;
        await this.sequence.takeCheckpoint();
        const added = this.sequence.checkpointsMemoryUsage - before;
        // none is taken where one already exists (a regenerate resumes from it): its size is known
        if (added > 0)
            snapshotSizes.set(this.sequence, added);
    }

    private withState(generation: GenerationResult): GenerationResult {
        return this.options.state != null ? {...generation, state: this.stateResult} : generation;
    }

    /**
     * Writes the sequence's whole state where `state.save` says, when this turn read enough of its
     * prompt to be worth it; the file is llama_state_seq_save_file's, so it measures the state too
     * (see measureSequenceState). Returns whether it wrote it.
     */
    private async saveState(): Promise<boolean> {
        const save = this.options.state?.save;
        if (save == null || (this.prefillRead ?? 0) < save.minTokens)
            return false;
        try {
            const saved = await saveSequence(this.sequence, save.path);
            this.stateResult.saved = saved;
            this.lastState = {bytes: saved.bytes - 12 - 4 * saved.tokens, tokens: saved.tokens};
            this.lastMeasuredAt = performance.now();
            this.lastMeasureMs = saved.saveMs;
            return true;
        } catch (err) {
            this.stateResult.saveError = (err as Error).message;
            return false;
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
            // + the prompt's last token: evaluated with the first answer token, node-llama-cpp counts it as output
            if (this.promptTokens === 0)
                this.promptTokens = this.sequence.tokenMeter.usedInputTokens - this.inputTokensAtStart + 1;
            this.phase = "decode";
            this.tick("prefill", true);
        }
        this.lastTokenAt = now;
    }

    /** Whether this run loaded a saved state less than one prompt batch of tokens before where the sequence is now. */
    private loadedThisBatch(): boolean {
        return this.stateResult.resume?.status === "resumed" && this.lastState != null &&
            this.sequence.nextTokenIndex - this.lastState.tokens < this.model.context.batchSize;
    }

    /** Measures this sequence's state now (between its evaluations only: it waits for them). */
    private async measure(): Promise<void> {
        const started = performance.now();
        const measured = await measureSequenceState(this.sequence);
        this.lastMeasuredAt = performance.now();
        this.lastMeasureMs = this.lastMeasuredAt - started;
        if (measured != null)
            this.lastState = measured;
    }

    /**
     * Measures between prompt batches when the next metrics event is due, unless measuring took
     * long enough (a large state written out) that it would cost more than a tenth of the time.
     */
    private async measureIfDue(): Promise<void> {
        const now = performance.now();
        if (now - this.lastMetricsAt < this.intervalMs || now - this.lastMeasuredAt < 10 * this.lastMeasureMs)
            return;
        await this.measure();
    }

    /** Emits metrics when the throttle allows (or always, at a phase end). */
    private tick(phase: Metrics["phase"], force = false): void {
        const now = performance.now();
        if (!force && now - this.lastMetricsAt < this.intervalMs)
            return;
        this.lastMetricsAt = now;
        this.options.onMetrics?.(this.metrics(phase));
    }

    private async finish(text: string, stopReason: StopReason): Promise<GenerationResult> {
        await this.measure();
        const metrics = this.metrics("done");
        this.options.onMetrics?.(metrics);
        return {text, stopReason, promptTokens: this.promptTokens, generatedTokens: this.generatedTokens, metrics};
    }

    private metrics(phase: Metrics["phase"]): Metrics {
        const sequence = this.sequence;
        const meter = this.model.meter;
        const readSoFar = sequence.tokenMeter.usedInputTokens - this.inputTokensAtStart;
        // the sequence's token index moves only when a whole evaluation ends; while the prompt is
        // read, the tokens handed to llama.cpp so far (counted per batch) say how far it is
        const tokens = this.prefillFrom != null
            ? Math.min(sequence.contextSize, Math.max(sequence.nextTokenIndex, this.prefillFrom + readSoFar))
            : sequence.nextTokenIndex;

        const now = performance.now();
        const prefillEnd = this.prefillEndedAt ?? now;
        const prefillSeconds = (prefillEnd - this.prefillStartedAt) / 1000;
        const prefillTokens = this.promptTokens > 0 ? this.promptTokens : readSoFar;
        // the prefill rate: the tokens read before the first answer token, over the time that took
        const rateTokens = this.prefillRead ?? prefillTokens;
        const snapshotBytes = snapshotSizes.get(sequence);
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
            ...(this.lastState != null ? {stateBytesMeasured: this.lastState.bytes, stateBytesMeasuredAtTokens: this.lastState.tokens} : {}),
            ...(this.model.buffers.kvBufferBytesMeasured != null ? {kvBufferBytesMeasured: this.model.buffers.kvBufferBytesMeasured} : {}),
            checkpointBytesMeasured: sequence.checkpointsMemoryUsage,
            ...(snapshotBytes != null && sequence.needsCheckpoints ? {snapshotBytesMeasured: snapshotBytes} : {}),
            promptTokens: prefillTokens,
            ...(this.promptReused != null ? {promptTokensReused: this.promptReused} : {}),
            generatedTokens: this.generatedTokens,
            ...(prefillSeconds > 0 && rateTokens > 0 ? {prefillTokensPerSecond: rateTokens / prefillSeconds} : {}),
            ...(decodeSeconds > 0 && this.generatedTokens > 1 ? {decodeTokensPerSecond: (this.generatedTokens - 1) / decodeSeconds} : {}),
            ...(this.firstTokenAt != null ? {timeToFirstTokenMs: this.firstTokenAt - this.startedAt} : {}),
            phase: phase === "done" ? "done" : this.phase === "decode" ? "decode" : phase
        };
    }
}
