// PyramidInfer parity through the engine the app uses: a dense and a RecurFormer fixture (test/fixtures/fixtures.py,
// PYRAMID) are loaded through node-llama-cpp with the schedule as the pyramid.schedule override (as LoadedModel loads
// it), their token script is fed chunk by chunk (one llama_decode each, the engine selecting after each), and every
// token's logits must match engine/pipeline/recurformer/pyramid.py's under the same schedule and chunks (F32 cache,
// the parity tests' bound). The reference's thinning moves its logits far past that bound (checked), so a context
// that kept every token could not pass.
import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Llama, LlamaModelOptions} from "node-llama-cpp";
import {LlamaBackend} from "../../engine/runtime/llama/LlamaBackend.js";
import {LlamaLog} from "../../engine/runtime/llama/LlamaLog.js";
import {GgufShape} from "../../engine/runtime/gguf/GgufShape.js";
import {settleLog} from "../../engine/runtime/LoadedModel.js";
import {pyramidCells, parsePyramidSchedule} from "../../api/pyramidCache.js";
import {MissingEngineBuildError, MissingFixturesError, evaluate, fixturesDir, hasLocalBuild, loadFixtures, relativeError, type Fixture} from "./parity.js";

let fixtures: Fixture[] = [];
let fixturesError: Error | undefined;
try {
    fixtures = loadFixtures().filter((f) => f.pyramid != null);
} catch (err) {
    fixturesError = err as Error;
}

describe("PyramidInfer parity with pyramid.py through node-llama-cpp", () => {
    let llama: Llama;
    const log = new LlamaLog();

    beforeAll(async () => {
        if (!hasLocalBuild())
            throw new MissingEngineBuildError();
        llama = (await LlamaBackend.load({gpu: false, log})).llama;
    }, 120_000);

    afterAll(async () => {
        await llama?.dispose();
    });

    it("has a dense and a RecurFormer fixture with a PyramidInfer script (npm run fixtures)", () => {
        if (fixturesError) throw fixturesError;
        if (fixtures.length === 0)
            throw new MissingFixturesError("no fixture carries a PyramidInfer script: they predate it");
        expect(fixtures.map((f) => f.architecture).sort()).toEqual(["llama", "recurformer"]);
    });

    for (const fixture of fixtures) {
        const p = fixture.pyramid!;
        it(`${fixture.name} (${fixture.architecture}): every token's logits under ${p.schedule}, ${p.selections} selections, within ${fixture.tolerance}`, async () => {
            // thinning must matter: the reference with every token kept is far from the thinned one
            expect(p.thinningMoves).toBeGreaterThan(100 * fixture.tolerance);
            const expected = new Float32Array(fs.readFileSync(path.join(fixturesDir, p.logits)).buffer.slice(0));
            const vocab = fixture.vocabSize;
            expect(expected.length).toBe(p.tokens.length * vocab);

            const model = await llama.loadModel({
                modelPath: path.join(fixturesDir, fixture.gguf),
                metadataOverrides: {pyramid: {schedule: p.schedule}} as LlamaModelOptions["metadataOverrides"]
            });
            const mark = log.mark();
            const context = await model.createContext({
                sequences: 1, contextSize: fixture.contextSize, batchSize: p.batchSize, flashAttention: false,
                experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32"
            });
            try {
                await settleLog();
                const created = LlamaLog.pyramid(log.since(mark));
                const {layers} = (await GgufShape.read(path.join(fixturesDir, fixture.gguf))).shape;
                expect(created?.schedule).toEqual({...parsePyramidSchedule(p.schedule), every: p.batchSize});
                expect(created?.cellsPerLayer).toEqual(pyramidCells(context.contextSize, layers, parsePyramidSchedule(p.schedule), p.batchSize));

                const sequence = context.getSequence();
                const rows: Float32Array[] = [];
                let at = 0;
                for (const size of p.chunks) {
                    const tokens = p.tokens.slice(at, at + size);
                    rows.push(...await evaluate(sequence, {op: "eval", seq: 0, tokens, logits: "all", expected: {offset: at * vocab, rows: size}}, vocab));
                    at += size;
                }
                const error = relativeError(rows, expected, vocab);
                console.log(`PyramidInfer parity ${fixture.name}: max relative error ${error.toExponential(2)} (thinning moves the reference by ${p.thinningMoves.toExponential(2)})`);
                expect(error).toBeLessThanOrEqual(fixture.tolerance);
            } finally {
                await context.dispose();
                await model.dispose();
            }
        }, 60_000);
    }
});
