// The `recurformer` CLI as a user runs it (bin/recurformer.js over the compiled dist/): output formats,
// only the continuation on stdout, errors on stderr with a non-zero exit.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {spawn} from "node:child_process";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {BenchRow, InspectReport} from "../../engine/runtime/protocol.js";
import {defaultModelPath} from "../../engine/runtime/defaultModel.js";
import {cliJs, ensureCompiled, ensureFixtures, fixture, root, runCli, startEngine} from "./helpers.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "recurformer-cli-"));

beforeAll(() => {
    ensureFixtures();
    ensureCompiled();
}, 180_000);

afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}));

describe("recurformer inspect", {timeout: 120_000}, () => {
    it("prints JSON: shape, KV bytes per token, recurrent state, cache at N tokens, the dense ratio, and llama.cpp's own KV buffer agreeing", async () => {
        const res = await runCli(["inspect", fixture("rf-gqa-r7.gguf"), "--tokens", "16384"]);
        expect(res.code, res.stderr).toBe(0);
        const report = JSON.parse(res.stdout) as InspectReport;
        expect(report.shape.architecture).toBe("recurformer");
        expect(report.tokens).toBe(16384);
        expect(report.cacheBytesComputed).toBe(16384 * report.kvBytesPerToken + report.recurrentStateBytes);
        expect(report.dense!.from).toBe("provenance");
        expect(report.dense!.cacheBytesComputed).toBe(16384 * report.shape.denseKvBytesPerToken!);
        expect(report.dense!.ratio).toBeCloseTo(report.cacheBytesComputed / report.dense!.cacheBytesComputed, 12);
        // the bar: 7 of 8 KV groups replaced -> at most 13% of the dense source's cache at 16k
        expect(report.dense!.ratio).toBeLessThanOrEqual(0.13);
        // llama.cpp really allocated what we computed
        expect(report.measured!.contextSize).toBe(16384);
        expect(report.measured!.kvBufferBytesComputed).toBe(16384 * report.kvBytesPerToken);
        expect(report.measured!.kvAgrees).toBe(true);
        expect(report.measured!.recurrentAgrees).toBe(true);
        expect(res.stderr).toBe("");
    });

    it("takes the dense figure from --dense when given", async () => {
        const res = await runCli(["inspect", fixture("rf-gqa-r4.gguf"), "--tokens", "1000", "--dense", fixture("dense-llama-gqa.gguf"), "--no-measure"]);
        expect(res.code, res.stderr).toBe(0);
        const report = JSON.parse(res.stdout) as InspectReport;
        expect(report.dense!.from).toBe("file");
        expect(report.dense!.path).toBe(fixture("dense-llama-gqa.gguf"));
        expect(report.measured).toBeUndefined();
    });

    it("fails with a named error on stderr and exit code 1 for a missing file", async () => {
        const res = await runCli(["inspect", path.join(tmp, "missing.gguf")]);
        expect(res.code).toBe(1);
        expect(res.stdout).toBe("");
        expect(res.stderr).toMatch(/^recurformer: InvalidGgufError: missing\.gguf is not a valid GGUF file: no such file/);
    });
});

describe("recurformer complete", {timeout: 120_000}, () => {
    it("prints only the greedy continuation, the same text the engine returns", async () => {
        const promptFile = path.join(tmp, "prompt.txt");
        const prompt = "In the early winter the green garden by the river";
        fs.writeFileSync(promptFile, prompt);
        const res = await runCli(["complete", "--model", fixture("rf-gqa-r4.gguf"), "--prompt-file", promptFile, "--max-tokens", "16", "--context", "512"]);
        expect(res.code, res.stderr).toBe(0);
        expect(res.stderr).toBe("");
        const engine = await startEngine();
        try {
            await engine.load("m", {modelPath: fixture("rf-gqa-r4.gguf"), contextSize: 512});
            const result = await engine.complete({modelId: "m", prompt, maxTokens: 16});
            expect(res.stdout).toBe(result.text);
        } finally {
            await engine.shutdown();
        }
    });

    it("is a usage error (exit 2) without --prompt-file", async () => {
        const res = await runCli(["complete", "--model", fixture("rf-gqa-r4.gguf")]);
        expect(res.code).toBe(2);
        expect(res.stderr).toMatch(/complete needs --prompt-file FILE/);
        expect(res.stdout).toBe("");
    });

    it("says clearly when no --model is given and the default model is missing", async () => {
        if (fs.existsSync(defaultModelPath()))
            return; // the default model ships: nothing to report
        const promptFile = path.join(tmp, "p.txt");
        fs.writeFileSync(promptFile, "x");
        const res = await runCli(["complete", "--prompt-file", promptFile]);
        expect(res.code).toBe(1);
        expect(res.stderr).toContain("DefaultModelMissingError");
        expect(res.stderr).toContain(path.join("assets", "models"));
    });
});

describe("recurformer chat", {timeout: 120_000}, () => {
    it("answers lines from stdin and leaves on /exit", async () => {
        const child = spawn(process.execPath, [cliJs, "chat", "--model", fixture("rf-gqa-r4.gguf"), "--context", "512", "--max-tokens", "8", "--temperature", "0"], {cwd: root});
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (c: string) => stdout += c);
        child.stderr.setEncoding("utf8").on("data", (c: string) => stderr += c);
        child.stdin.write("Hello there\n");
        child.stdin.write("And again\n");
        child.stdin.write("/exit\n");
        child.stdin.end();
        const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        clearTimeout(timer);
        expect(code, stderr).toBe(0);
        expect(stderr).toMatch(/recurformer\)/); // the banner names the model's architecture
        expect(stderr.match(/tok\/s/g)?.length).toBeGreaterThanOrEqual(2); // one metrics line per answer
        expect(stderr).toMatch(/cache .* computed \(dense .*%\)/);
        expect(stdout.length).toBeGreaterThan(0);
    });
});

describe("recurformer bench", {timeout: 300_000}, () => {
    it("prints a table and B/A ratios measured in the same run, and writes --json", async () => {
        const json = path.join(tmp, "bench.json");
        const a = fixture("dense-llama-gqa.gguf");
        const b = fixture("rf-gqa-r7.gguf");
        const res = await runCli(["bench", "--models", `${a},${b}`, "--contexts", "256,512", "--threads", "2", "--decode", "8", "--repeat", "2", "--json", json]);
        expect(res.code, res.stderr).toBe(0);
        const lines = res.stdout.split("\n");
        expect(lines[0]).toMatch(/^model\s+arch\s+context\s+prompt\s+prefill tok\/s\s+decode tok\/s\s+cache \(computed\)/);
        expect(res.stdout).toMatch(/threads 2, batch 512, 8 decoded tokens.*fastest of 2 passes/);
        expect(res.stdout).toMatch(/ratios against dense-llama-gqa\.gguf \(A\), same run:/);
        expect(lines.filter((l) => /^(256|512)\s+rf-gqa-r7\.gguf\s+[\d.]+x\s+[\d.]+x\s+[\d.]+%/.test(l))).toHaveLength(2);
        const report = JSON.parse(fs.readFileSync(json, "utf8")) as {rows: BenchRow[], ratios: {cache: number}[]};
        expect(report.rows).toHaveLength(4);
        // models alternate at each context size: A, B at 256, then A, B at 512
        expect(report.rows.map((r) => [path.basename(r.modelPath), r.contextSize])).toEqual([
            ["dense-llama-gqa.gguf", 256], ["rf-gqa-r7.gguf", 256], ["dense-llama-gqa.gguf", 512], ["rf-gqa-r7.gguf", 512]
        ]);
        for (const row of report.rows) {
            expect(row.threads).toBe(2);
            expect(row.promptTokens).toBe(row.contextSize - 8 - 1);
            expect(row.prefillTokensPerSecond).toBeGreaterThan(0);
            expect(row.decodeTokensPerSecond).toBeGreaterThan(0);
            expect(row.stateBytesMeasured).toBeGreaterThanOrEqual(row.cacheBytesComputed);
            // the fastest of the two passes
            expect(row.samples).toHaveLength(2);
            expect(row.prefillSeconds).toBe(Math.min(...row.samples.map((x) => x.prefillSeconds)));
            expect(row.decodeSeconds).toBe(Math.min(...row.samples.map((x) => x.decodeSeconds)));
            expect(row.decodeTokensPerSecond).toBeCloseTo(8 / row.decodeSeconds, 9);
        }
        expect(report.ratios).toHaveLength(2);
        expect(report.ratios[0]!.cache).toBe(report.rows[1]!.cacheBytesComputed / report.rows[0]!.cacheBytesComputed);
        expect(report.ratios[1]!.cache).toBe(report.rows[3]!.cacheBytesComputed / report.rows[2]!.cacheBytesComputed);
    });

    it("is a usage error without --models", async () => {
        const res = await runCli(["bench"]);
        expect(res.code).toBe(2);
        expect(res.stderr).toMatch(/bench needs --models/);
    });
});

describe("recurformer (no command)", () => {
    it("prints the usage and exits 2; an unknown command is named", async () => {
        const none = await runCli([]);
        expect(none.code).toBe(2);
        expect(none.stdout).toMatch(/recurformer inspect MODEL\.gguf/);
        const unknown = await runCli(["frobnicate"]);
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    });
});
