// An event handler of the parent that throws (a chat deleted while its tokens arrive, say) ends
// its own request with that error and stops it in the engine; it never reaches the process, and
// the engine goes on answering.
import {beforeAll, describe, expect, it} from "vitest";
import {ensureCompiled, ensureFixtures, fixture, startEngine} from "./helpers.js";

beforeAll(() => {
    ensureFixtures();
    ensureCompiled();
}, 180_000);

describe("EngineClient event handlers", {timeout: 60_000}, () => {
    it("a throwing onToken rejects only its request, and the engine answers the next one", async () => {
        const escaped: unknown[] = [];
        const onEscaped = (error: unknown) => escaped.push(error);
        process.on("uncaughtException", onEscaped);
        const engine = await startEngine();
        try {
            // two sequences: the stopped one is freed when the engine has handled the stop
            await engine.load("m", {modelPath: fixture("rf-gqa-r4.gguf"), contextSize: 256, sequences: 2});
            let tokens = 0;
            const gone = new Error("the chat was deleted");
            const first = engine.complete({modelId: "m", prompt: "The river", maxTokens: 64}, {onToken: () => {
                tokens++;
                throw gone;
            }});
            await expect(first).rejects.toBe(gone);
            expect(tokens).toBe(1);
            expect(engine.running).toBe(true);
            const next = await engine.complete({modelId: "m", prompt: "The river", maxTokens: 4});
            expect(next.generatedTokens).toBeGreaterThan(0);
            expect(escaped).toEqual([]);
        } finally {
            process.off("uncaughtException", onEscaped);
            await engine.shutdown();
        }
    });
});
