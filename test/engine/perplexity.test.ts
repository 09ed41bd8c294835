// The held-out perplexity of evaluate.mjs (engine/pipeline/perplexity.mjs) against the same quantity computed
// from the PyTorch reference's float64 logits of a parity fixture (test/fixtures/models, `npm run fixtures`):
// one window over the fixture's prompt-300 tokens, each token from position 1 on scored given the ones before.
// The two must agree within 1e-3 (the logits themselves agree within 1e-4, parity.ts); the old evaluate.mjs,
// whose "max logit" was the target's own logit, read about 20x lower here (29 vs 575).
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Llama, LlamaContextSequence, Token} from "node-llama-cpp";
import {LlamaBackend} from "../../engine/runtime/llama/LlamaBackend.js";
import {LlamaLog} from "../../engine/runtime/llama/LlamaLog.js";
// @ts-expect-error plain JavaScript module of the pipeline, no types
import {perplexity as enginePerplexity} from "../../engine/pipeline/perplexity.mjs";

const perplexity = enginePerplexity as (sequence: LlamaContextSequence, tokens: Token[], windows: number, size: number) =>
    Promise<{value: number, tokens: number, window: number}>;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const fixturesDir = path.resolve(process.env.RECURFORMER_FIXTURES ?? path.join(root, "test", "fixtures", "models"));

type Fixture = {gguf: string, logits: string, vocabSize: number, contextSize: number,
    scenarios: {name: string, ops: {op: string, tokens?: number[], expected?: {offset: number, rows: number}}[]}[]};

/** exp of the mean over positions i < n-1 of logsumexp(row_i) - row_i[tokens[i+1]], in float64 */
function referencePerplexity(logits: Float32Array, vocab: number, tokens: number[]): number {
    let nll = 0;
    for (let i = 0; i + 1 < tokens.length; i++) {
        const row = logits.subarray(i * vocab, (i + 1) * vocab);
        let max = -Infinity, sum = 0;
        for (const l of row) max = Math.max(max, l);
        for (const l of row) sum += Math.exp(l - max);
        nll += max + Math.log(sum) - row[tokens[i + 1]!]!;
    }
    return Math.exp(nll / (tokens.length - 1));
}

describe("held-out perplexity through llama.cpp (evaluate.mjs) vs the PyTorch reference", () => {
    let llama: Llama;

    beforeAll(async () => {
        llama = (await LlamaBackend.load({gpu: false, log: new LlamaLog()})).llama;
    }, 120_000);

    afterAll(async () => {
        await llama?.dispose();
    });

    for (const name of ["dense-llama-gqa", "rf-gqa-r4"]) {
        it(`${name}: one 299-token window agrees within 1e-3`, async () => {
            const file = path.join(fixturesDir, `${name}.json`);
            if (!fs.existsSync(file))
                throw new Error(`${path.relative(root, file)} is missing: run \`npm run fixtures\` first`);
            const fixture = JSON.parse(fs.readFileSync(file, "utf8")) as Fixture;
            const op = fixture.scenarios.find((s) => s.name === "prompt-300")!.ops[0]!;
            const tokens = op.tokens!;
            const all = new Float32Array(fs.readFileSync(path.join(fixturesDir, fixture.logits)).buffer.slice(0));
            const expected = all.subarray(op.expected!.offset, op.expected!.offset + tokens.length * fixture.vocabSize);
            const reference = referencePerplexity(expected, fixture.vocabSize, tokens);

            const model = await llama.loadModel({modelPath: path.join(fixturesDir, fixture.gguf)});
            const context = await model.createContext({sequences: 1, contextSize: fixture.contextSize, batchSize: 512,
                flashAttention: false, experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32"});
            try {
                const result = await perplexity(context.getSequence(), tokens as Token[], 1, tokens.length - 1);
                expect(result.tokens).toBe(tokens.length - 1);
                expect(Math.abs(result.value / reference - 1), `engine ${result.value}, reference ${reference}`)
                    .toBeLessThan(1e-3);
            } finally {
                await context.dispose();
                await model.dispose();
            }
        }, 120_000);
    }
});
