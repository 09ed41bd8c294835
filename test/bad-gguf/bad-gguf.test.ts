// Every broken GGUF from make-bad-ggufs.mjs through `recurformer inspect` (CLI) and through an engine
// process load: each gets a clear, named error; none hangs; the parent survives; a good model still
// loads afterwards. A file on which llama.cpp itself aborts kills only the engine process.
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {EngineCrashedError} from "../../engine/runtime/errors/EngineCrashedError.js";
import {ensureCompiled, ensureFixtures, root, runCli, startEngine} from "../runtime/helpers.js";

interface BadCase {
    file: string;
    name: string;
    description: string;
    /** the named error it must get */
    expect: string;
    /** regex source its message must match */
    message: string;
}

const generated = path.join(root, "test", "bad-gguf", "generated");
let cases: BadCase[] = [];
let good = "";

beforeAll(() => {
    ensureFixtures();
    ensureCompiled();
    const res = spawnSync(process.execPath, [path.join(root, "test", "bad-gguf", "make-bad-ggufs.mjs")], {cwd: root, encoding: "utf8"});
    expect(res.status, res.stderr).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(generated, "manifest.json"), "utf8")) as {good: string, cases: BadCase[]};
    cases = manifest.cases;
    good = path.join(root, manifest.good);
}, 300_000);

/** runs fn over items, `limit` at a time */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    await Promise.all(Array.from({length: limit}, async () => {
        while (next < items.length) {
            const i = next++;
            results[i] = await fn(items[i]!);
        }
    }));
    return results;
}

describe("broken GGUF files", () => {
    it("the generator writes at least 20 broken files of every kind", () => {
        expect(cases.length).toBeGreaterThanOrEqual(20);
        const names = cases.map((c) => c.name).join(" ");
        for (const kind of ["truncated-", "wrong-magic", "absurd-tensor-count", "absurd-key-count", "wrong-ffn-shape", "unknown-architecture", "rf-kv-heads-vs-tensors"])
            expect(names).toContain(kind);
        expect(cases.filter((c) => c.name.startsWith("truncated-")).length).toBeGreaterThanOrEqual(8);
    });

    it("`recurformer inspect` gives each a clear named error on stderr, exit 1, and never hangs", {timeout: 600_000}, async () => {
        const results = await pool(cases, 2, async (c) => ({c, res: await runCli(["inspect", c.file, "--tokens", "256"], {timeoutMs: 60_000})}));
        const failures: string[] = [];
        for (const {c, res} of results) {
            const firstLine = res.stderr.split("\n")[0] ?? "";
            if (res.code === null)
                failures.push(`${c.name}: hung (killed after 60 s)`);
            else if (res.code !== 1)
                failures.push(`${c.name}: exit ${res.code}, stderr: ${res.stderr.slice(0, 300)}`);
            else if (!firstLine.startsWith(`recurformer: ${c.expect}: `))
                failures.push(`${c.name}: expected ${c.expect}, got: ${firstLine.slice(0, 300)}`);
            else if (!new RegExp(c.message).test(res.stderr))
                failures.push(`${c.name}: message does not match /${c.message}/: ${firstLine.slice(0, 300)}`);
            else if (res.stdout !== "")
                failures.push(`${c.name}: wrote to stdout: ${res.stdout.slice(0, 100)}`);
        }
        expect(failures).toEqual([]);
    });

    it("an engine process refuses each with the named error, survives them all, and then loads a good model", {timeout: 600_000}, async () => {
        const engine = await startEngine({timeoutsMs: {load: 60_000}});
        try {
            const failures: string[] = [];
            for (const c of cases) {
                const error = await engine.load("bad", {modelPath: path.join(root, c.file), contextSize: 256}).then(
                    () => new Error("loaded without an error"),
                    (err: unknown) => err as Error
                );
                if (error.name !== c.expect)
                    failures.push(`${c.name}: expected ${c.expect}, got ${error.name}: ${error.message.slice(0, 300)}`);
                else if (!new RegExp(c.message).test(error.message))
                    failures.push(`${c.name}: message does not match /${c.message}/: ${error.message.slice(0, 300)}`);
                if (!engine.running) {
                    failures.push(`${c.name}: the engine died`);
                    break;
                }
            }
            expect(failures).toEqual([]);
            // every one was refused: nothing is loaded, and the same engine serves a good model
            const loaded = await engine.load("good", {modelPath: good, contextSize: 256});
            expect(loaded.shape.architecture).toBe("recurformer");
            const result = await engine.complete({modelId: "good", prompt: "The stone city", maxTokens: 4});
            expect(result.generatedTokens).toBeGreaterThan(0);
        } finally {
            await engine.shutdown();
        }
    });

    it("llama.cpp's reason reaches our error where only llama.cpp can tell (node-llama-cpp says just \"Failed to load model\")", async () => {
        const viaLlama = cases.filter((c) => c.expect === "ModelLoadError");
        expect(viaLlama.map((c) => c.name)).toEqual(expect.arrayContaining(["missing-ffn-norm", "wrong-ffn-shape", "wrong-key-type"]));
        const engine = await startEngine();
        try {
            const error = await engine.load("x", {modelPath: path.join(root, viaLlama.find((c) => c.name === "missing-ffn-norm")!.file)}).catch((err: Error) => err);
            expect(error.message).toMatch(/llama\.cpp could not load missing-ffn-norm\.gguf: .*tensor 'blk\.0\.ffn_norm\.weight' not found/);
            expect(error.message).not.toMatch(/^Failed to load model$/);
            expect((error as unknown as {logTail: string[]}).logTail.length).toBeGreaterThan(0);
        } finally {
            await engine.shutdown();
        }
    });

    it("a file on which llama.cpp aborts (our checks bypassed) kills only the engine: EngineCrashedError with llama.cpp's last words, and a new engine works", {timeout: 120_000}, async () => {
        const abort = cases.find((c) => c.name === "abort-expert-used-count")!;
        const engine = await startEngine({env: {RECURFORMER_UNCHECKED_LOAD: "1"}});
        const error = await engine.load("x", {modelPath: path.join(root, abort.file)}).catch((err: unknown) => err);
        expect(error).toBeInstanceOf(EngineCrashedError);
        const crash = error as EngineCrashedError;
        expect(crash.signal).toBe("SIGABRT");
        expect(crash.logTail.join("\n")).toMatch(/GGML_ASSERT\(n_expert_used_max <= hparams\.n_expert\) failed/);
        expect(crash.message).toMatch(/during load/);
        expect(engine.running).toBe(false);

        const fresh = await startEngine();
        try {
            const loaded = await fresh.load("good", {modelPath: good, contextSize: 256});
            expect(loaded.shape.layers).toBeGreaterThan(0);
        } finally {
            await fresh.shutdown();
        }
    });
});
