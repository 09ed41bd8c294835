// Engine parity: every fixture GGUF (test/fixtures/models, from `npm run fixtures`) is loaded through
// node-llama-cpp on the locally built, RecurFormer-patched llama.cpp, its token scripts are replayed
// (prompts, single-token decoding, two sequences evaluated together, save/restore of a sequence state), and
// the raw logits must match the PyTorch reference (test/fixtures/fixtures.py).
// The engine loads exactly as the app's does (LlamaBackend: the portable build, best CPU variant), and
// once more with the lowest x86-64 variant forced (parity-x64.test.ts): both within the same bound.
//
// Error measure, per logits row: max_j |engine_j - reference_j| / max_j |reference_j|; a model's error is the
// max over all its rows. Bound: the fixture's `tolerance`: 1e-4 for F32 files; 5e-3 for F16 files, because
// llama.cpp's CPU matmul rounds activations to F16 before multiplying F16 weights (the reference does not; see
// TOLERANCE in fixtures.py). The achieved errors are printed and written to test/artifacts/parity.json.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Llama, LlamaContextSequence, Token} from "node-llama-cpp";
import {LlamaBackend} from "../../engine/runtime/llama/LlamaBackend.js";
import {LlamaLog} from "../../engine/runtime/llama/LlamaLog.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** RECURFORMER_FIXTURES: another folder written by `npm run fixtures -- --out` style runs (default test/fixtures/models) */
export const fixturesDir = path.resolve(process.env.RECURFORMER_FIXTURES ?? path.join(root, "test", "fixtures", "models"));
const localBuildsDir = path.join(root, "node_modules", "node-llama-cpp", "llama", "localBuilds");
const artifactsDir = path.join(root, "test", "artifacts");

export type EvalOp = {op: "eval", seq: number, tokens: number[], logits: "all" | "last", expected: {offset: number, rows: number}};
type Op = EvalOp | {op: "parallel", evals: EvalOp[]} | {op: "save" | "restore", seq: number, slot: string};
export type Fixture = {
    name: string, gguf: string, logits: string, architecture: string, ftype: string, vocabSize: number,
    contextSize: number, tolerance: number, scenarios: {name: string, ops: Op[]}[],
    /** PyramidInfer's script (fixtures.py PYRAMID; pyramid-parity.test.ts) */
    pyramid?: {schedule: string, batchSize: number, tokens: number[], chunks: number[], selections: number, thinningMoves: number, logits: string}
};

export class MissingFixturesError extends Error {
    constructor(detail: string) {
        super(`engine parity fixtures are missing (${detail}); run \`npm run fixtures\` first`);
        this.name = "MissingFixturesError";
    }
}

export class MissingEngineBuildError extends Error {
    constructor() {
        super(`no local llama.cpp build in ${path.relative(root, localBuildsDir)}; run \`npm run build:engine\` ` +
            "(this test never falls back to node-llama-cpp's prebuilt binaries: they do not know the recurformer architecture)");
        this.name = "MissingEngineBuildError";
    }
}

export function loadFixtures(): Fixture[] {
    const indexFile = path.join(fixturesDir, "index.json");
    if (!fs.existsSync(indexFile))
        throw new MissingFixturesError(`${path.relative(root, indexFile)} not found`);
    const index = JSON.parse(fs.readFileSync(indexFile, "utf8")) as {models: {json: string}[]};
    return index.models.map((m) => JSON.parse(fs.readFileSync(path.join(fixturesDir, m.json), "utf8")) as Fixture);
}

export function hasLocalBuild(): boolean {
    return fs.existsSync(localBuildsDir) &&
        fs.readdirSync(localBuildsDir, {recursive: true}).some((f) => String(f).endsWith("llama-addon.node"));
}

/** max over rows of max|a-b| / max|b| */
export function relativeError(actual: Float32Array[], expected: Float32Array, vocab: number): number {
    let worst = 0;
    actual.forEach((row, r) => {
        let diff = 0, scale = 0;
        for (let j = 0; j < vocab; j++) {
            const b = expected[r * vocab + j]!;
            diff = Math.max(diff, Math.abs(row[j]! - b));
            scale = Math.max(scale, Math.abs(b));
        }
        worst = Math.max(worst, diff / scale);
    });
    return worst;
}

export async function evaluate(sequence: LlamaContextSequence, op: EvalOp, vocab: number): Promise<Float32Array[]> {
    const first = op.logits === "all" ? 0 : op.tokens.length - 1;
    const input = op.tokens.map((t, i) =>
        i >= first ? [t as Token, {generateNext: {logits: true}}] as const : t as Token);
    const output = await sequence.controlledEvaluate(input as Parameters<LlamaContextSequence["controlledEvaluate"]>[0]);
    const rows: Float32Array[] = [];
    for (let i = first; i < op.tokens.length; i++) {
        const logits = output[i]?.next.logits;
        if (logits == null)
            throw new Error(`no logits returned for token index ${i}`);
        if (logits.size !== vocab)
            throw new Error(`expected ${vocab} logits at token index ${i}, got ${logits.size}`);
        const row = new Float32Array(vocab);
        for (const [token, value] of logits)
            row[token] = value;
        rows.push(row);
    }
    return rows;
}

/**
 * The parity suite on one CPU variant of the engine build: "best" (what ggml picks for this CPU) or a
 * tag such as "x64", forced through RECURFORMER_CPU_VARIANT. One variant per test file: ggml loads its
 * CPU library once per process.
 */
export function describeParity(variant: string): void {
    const results: Record<string, Record<string, number>> = {};
    let fixtures: Fixture[] = [];
    let fixturesError: Error | undefined;
    try {
        fixtures = loadFixtures();
    } catch (err) {
        fixturesError = err as Error;
    }

    describe(`engine parity with the PyTorch reference (CPU variant: ${variant})`, () => {
        let llama: Llama;
        let backend: LlamaBackend;
        const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-parity-"));

        beforeAll(async () => {
            if (!hasLocalBuild())
                throw new MissingEngineBuildError();
            process.env.RECURFORMER_CPU_VARIANT = variant;
            backend = await LlamaBackend.load({gpu: false, log: new LlamaLog()});
            llama = backend.llama;
        }, 120_000);

        it(`runs on the ${variant} CPU variant of the portable build`, () => {
            expect(backend.info().flavour).toBe("portable");
            if (variant === "best")
                expect(backend.build.cpuVariants()).toContain(backend.cpuVariant);
            else
                expect(backend.cpuVariant).toBe(variant);
        });

        afterAll(async () => {
            await llama?.dispose();
            fs.rmSync(stateDir, {recursive: true, force: true});
            if (Object.keys(results).length === 0) return;
            const lines = Object.entries(results).map(([model, byScenario]) => {
                const worst = Math.max(...Object.values(byScenario));
                const detail = Object.entries(byScenario).map(([s, e]) => `${s} ${e.toExponential(2)}`).join(", ");
                return `  ${model.padEnd(20)} max ${worst.toExponential(2)}   (${detail})`;
            });
            console.log(`engine parity (CPU variant ${backend.cpuVariant}), max relative error per model:\n${lines.join("\n")}`);
            fs.mkdirSync(artifactsDir, {recursive: true});
            fs.writeFileSync(path.join(artifactsDir, `parity-${variant}.json`), JSON.stringify({cpuVariant: backend.cpuVariant, results}, null, 1));
        });

        it("has fixtures to test", () => {
            if (fixturesError) throw fixturesError;
            expect(fixtures.length).toBeGreaterThan(0);
        });

        for (const fixture of fixtures) {
            const tolerance = fixture.tolerance;

            it(`${fixture.name} (${fixture.architecture}, ${fixture.ftype}) matches the reference within ${tolerance}`, async () => {
                const expectedAll = new Float32Array(fs.readFileSync(path.join(fixturesDir, fixture.logits)).buffer.slice(0));
                const model = await llama.loadModel({modelPath: path.join(fixturesDir, fixture.gguf)}).catch((err: Error) => {
                    if (/unknown model architecture/i.test(String(err?.message)))
                        throw new Error(`the local engine build does not know '${fixture.architecture}': run \`npm run build:engine\` (${err.message})`);
                    throw err;
                });
                const context = await model.createContext({
                    sequences: 2, contextSize: fixture.contextSize, batchSize: 512, flashAttention: false,
                    experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32"
                });
                const sequences = [context.getSequence(), context.getSequence()];
                const errors: Record<string, number> = {};
                try {
                    for (const scenario of fixture.scenarios) {
                        for (const s of sequences) await s.clearHistory();
                        const slots = new Map<string, string>();
                        let worst = 0;
                        const check = (op: EvalOp, rows: Float32Array[]) => {
                            const {offset, rows: n} = op.expected;
                            expect(rows.length).toBe(n);
                            const expected = expectedAll.subarray(offset, offset + n * fixture.vocabSize);
                            worst = Math.max(worst, relativeError(rows, expected, fixture.vocabSize));
                        };
                        for (const op of scenario.ops) {
                            if (op.op === "eval") {
                                check(op, await evaluate(sequences[op.seq]!, op, fixture.vocabSize));
                            } else if (op.op === "parallel") {   // queued together: one llama_decode batch holds both sequences
                                const outs = await Promise.all(op.evals.map((e) => evaluate(sequences[e.seq]!, e, fixture.vocabSize)));
                                op.evals.forEach((e, i) => check(e, outs[i]!));
                            } else if (op.op === "save") {
                                const file = path.join(stateDir, `${fixture.name}-${scenario.name}-${op.slot}.bin`);
                                await sequences[op.seq]!.saveStateToFile(file);
                                slots.set(op.slot, file);
                            } else {
                                await sequences[op.seq]!.loadStateFromFile(slots.get(op.slot)!, {acceptRisk: true});
                            }
                        }
                        errors[scenario.name] = worst;
                    }
                } finally {
                    results[fixture.name] = errors;
                    await context.dispose();
                    await model.dispose();
                }
                for (const [scenario, error] of Object.entries(errors))
                    expect(error, `${fixture.name} ${scenario}: max relative error`).toBeLessThanOrEqual(tolerance);
            }, 300_000);
        }
    });
}
