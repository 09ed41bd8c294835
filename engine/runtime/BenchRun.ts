import type {LlamaModel, Token} from "node-llama-cpp";
import type {BenchOptions, BenchRow} from "./protocol.js";
import {CacheMeter} from "./CacheMeter.js";
import {formatPyramidSchedule, parsePyramidSchedule} from "../../api/pyramidCache.js";
import {GgufShape} from "./gguf/GgufShape.js";
import {LoadedModel} from "./LoadedModel.js";
import type {LlamaBackend} from "./llama/LlamaBackend.js";

/** Defaults of a bench, where BenchOptions leaves a field out. */
export const benchDefaults = {decodeTokens: 32, threads: 2, batchSize: 512, gpuLayers: 0, warmupTokens: 64, repeats: 1};

/**
 * Prefill and decode speed and cache size of one model at several context sizes, measured the
 * same way for every model: same threads and batch size, a warm-up before each timed run,
 * a prompt that fills the context (less the decoded tokens), then greedy decoding of a fixed
 * number of tokens (end-of-generation tokens are decoded too, so every model decodes exactly as many).
 */
export class BenchRun {
    private readonly backend: LlamaBackend;
    private readonly options: Required<Omit<BenchOptions, "pyramid">> & Pick<BenchOptions, "pyramid">;
    private readonly onProgress: (message: string) => void;
    private readonly signal?: AbortSignal;

    public constructor(backend: LlamaBackend, options: BenchOptions, onProgress: (message: string) => void = () => {}, signal?: AbortSignal) {
        this.backend = backend;
        this.options = {
            decodeTokens: benchDefaults.decodeTokens,
            threads: benchDefaults.threads,
            batchSize: benchDefaults.batchSize,
            gpuLayers: benchDefaults.gpuLayers,
            repeats: benchDefaults.repeats,
            cacheType: "f16",
            ...options
        };
        this.onProgress = onProgress;
        this.signal = signal;
    }

    public async run(): Promise<BenchRow[]> {
        const {modelPath, contexts, gpuLayers, cacheType, batchSize} = this.options;
        const shape = await GgufShape.read(modelPath);
        const schedule = LoadedModel.checkPyramid(shape, {batchSize, pyramid: this.options.pyramid});
        const meter = new CacheMeter(shape.shape, {cacheType, ...(schedule != null ? {pyramid: parsePyramidSchedule(schedule)} : {})});
        const model = await LoadedModel.loadModel(this.backend, modelPath, gpuLayers, undefined, schedule);
        try {
            const rows: BenchRow[] = [];
            for (const contextSize of contexts) {
                if (this.signal?.aborted)
                    break;
                rows.push(await this.runOne(model, shape, meter, contextSize));
            }
            return rows;
        } finally {
            await model.dispose();
        }
    }

    private async runOne(model: LlamaModel, shape: GgufShape, meter: CacheMeter, contextSize: number): Promise<BenchRow> {
        const {decodeTokens, threads, batchSize, modelPath, repeats, cacheType, pyramid: schedule} = this.options;
        const promptTokens = contextSize - decodeTokens - 1;
        if (promptTokens < 1)
            throw new Error(`A bench context of ${contextSize} tokens leaves no room for a prompt and ${decodeTokens} decoded tokens.`);
        const {context, buffers, pyramid} = await LoadedModel.createContext(this.backend, model, modelPath,
            {contextSize, threads, batchSize, sequences: 1, cacheType, ...(schedule != null ? {pyramid: schedule} : {})});
        try {
            const sequence = context.getSequence();
            const prompt = fillerTokens(model, promptTokens);

            // warm-up: touch the weights and build the graphs once, untimed
            this.onProgress(`${shape.shape.name} @ ${contextSize}: warm-up`);
            await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(0, Math.min(benchDefaults.warmupTokens, promptTokens - 1)));
            await this.decode(sequence.evaluate([prompt[0]!], {temperature: 0, yieldEogToken: true}), 4);
            await sequence.clearHistory();

            // each pass: read the prompt from an empty cache, then decode; on a shared machine the
            // fastest of several passes is the figure least disturbed by other work
            let prefillSeconds = Infinity;
            let decodeSeconds = Infinity;
            const samples: BenchRow["samples"] = [];
            for (let pass = 0; pass < repeats; pass++) {
                if (pass > 0)
                    await sequence.clearHistory();
                const label = `${shape.shape.name} @ ${contextSize}${repeats > 1 ? ` (pass ${pass + 1}/${repeats})` : ""}`;
                this.onProgress(`${label}: prefill ${promptTokens} tokens`);
                const t0 = performance.now();
                const head = prompt.slice(0, -1);
                for (let i = 0; i < head.length; i += batchSize) {
                    await sequence.evaluateWithoutGeneratingNewTokens(head.slice(i, i + batchSize));
                    if (i > 0 && (i / batchSize) % 8 === 0)
                        this.onProgress(`${label}: prefill ${i}/${promptTokens}`);
                }
                const times = await this.decode(sequence.evaluate([prompt.at(-1)!], {temperature: 0, yieldEogToken: true}), decodeTokens + 1);
                const sample = {prefillSeconds: (times[0]! - t0) / 1000, decodeSeconds: (times.at(-1)! - times[0]!) / 1000};
                samples.push(sample);
                prefillSeconds = Math.min(prefillSeconds, sample.prefillSeconds);
                decodeSeconds = Math.min(decodeSeconds, sample.decodeSeconds);
                this.onProgress(`${label}: prefill ${(promptTokens / sample.prefillSeconds).toFixed(1)} tok/s, decode ${(decodeTokens / sample.decodeSeconds).toFixed(1)} tok/s`);
            }
            const stateBytesMeasured = context.stateSize;
            const tokensInContext = sequence.nextTokenIndex;
            const computed = meter.contextBuffers({cells: buffers.kvCells ?? context.contextSize, streams: buffers.kvStreams ?? 1, batchSize: context.batchSize});
            return {
                modelPath,
                backend: this.backend.info(),
                architecture: shape.shape.architecture,
                contextSize,
                promptTokens,
                decodeTokens,
                threads: context.currentThreads || threads,
                batchSize: context.batchSize,
                prefillSeconds,
                prefillTokensPerSecond: promptTokens / prefillSeconds,
                decodeSeconds,
                decodeTokensPerSecond: decodeTokens / decodeSeconds,
                cacheBytesComputed: meter.bytesAt(tokensInContext),
                stateBytesMeasured,
                buffers,
                cacheType,
                ...(pyramid != null ? {pyramid: {schedule: formatPyramidSchedule(pyramid.schedule), cellsPerLayer: pyramid.cellsPerLayer}} : {}),
                kvBufferBytesComputed: computed.kvBufferBytes,
                recurrentBufferBytesComputed: computed.recurrentBufferBytes,
                samples
            };
        } finally {
            await context.dispose();
        }
    }

    /** Pulls `count` tokens from a generator (feeding each back) and returns when each arrived. */
    private async decode(iterator: AsyncGenerator<Token, void, void | Token | Token[]>, count: number): Promise<number[]> {
        const times: number[] = [];
        try {
            for await (const token of iterator) {
                void token;
                times.push(performance.now());
                if (times.length >= count)
                    break;
            }
        } finally {
            await iterator.return();
        }
        return times;
    }
}

/** Deterministic prose-like filler, tokenized by the model itself, exactly `count` tokens long. */
export function fillerTokens(model: LlamaModel, count: number): Token[] {
    const words = ("the of and to in is was for on that with as by at from his her an which were are this be had " +
        "river city north light stone music winter garden letter market paper window history table system " +
        "quiet early green simple open small bright long heavy warm near every other later first").split(" ");
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const tokens: Token[] = [];
    if (model.tokens.shouldPrependBosToken && model.tokens.bos != null)
        tokens.push(model.tokens.bos);
    while (tokens.length < count) {
        const sentence: string[] = [];
        for (let i = 0; i < 6 + Math.floor(next() * 10); i++)
            sentence.push(words[Math.floor(next() * words.length)]!);
        const text = sentence.join(" ") + ". ";
        tokens.push(...model.tokenize(text.charAt(0).toUpperCase() + text.slice(1), false));
    }
    return tokens.slice(0, count);
}
