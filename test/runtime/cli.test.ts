// The `recurformer` CLI as a user runs it (bin/recurformer.js over the compiled dist/): output formats,
// only the continuation on stdout, errors on stderr with a non-zero exit.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {spawn, spawnSync} from "node:child_process";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {BenchRow, InspectReport} from "../../engine/runtime/protocol.js";
import {documentQuestionMessages, documentQuestionText} from "../../engine/runtime/documentQuestion.js";
import {rawPromptTokens} from "../../engine/runtime/promptTokens.js";
import {LlamaBackend} from "../../engine/runtime/llama/LlamaBackend.js";
import {LlamaLog} from "../../engine/runtime/llama/LlamaLog.js";
import {readDocument} from "../../documents/readDocument.js";
import {cliJs, ensureCompiled, ensureFixtures, fixture, root, runCli, startEngine} from "./helpers.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "recurformer-cli-"));

beforeAll(() => {
    ensureFixtures();
    ensureCompiled();
}, 180_000);

afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}));

/** A model folder for RECURFORMER_MODELS_DIR holding `files` (name -> fixture), fresh each call. */
function modelsDir(name: string, files: Record<string, string> = {}): string {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, {recursive: true});
    for (const [file, source] of Object.entries(files))
        fs.symlinkSync(source, path.join(dir, file));
    return dir;
}

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

    it("without a model, inspects the default RecurFormer model from RECURFORMER_MODELS_DIR, as the app finds it", async () => {
        const dir = modelsDir("models-with-default", {"recurformer.gguf": fixture("rf-gqa-r7.gguf"), "dense.gguf": fixture("dense-llama-gqa.gguf")});
        const res = await runCli(["inspect", "--tokens", "1000", "--no-measure"], {env: {RECURFORMER_MODELS_DIR: dir}});
        expect(res.code, res.stderr).toBe(0);
        const report = JSON.parse(res.stdout) as InspectReport;
        expect(report.modelPath).toBe(path.join(dir, "recurformer.gguf"));
        expect(report.shape.architecture).toBe("recurformer");
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

    it("says clearly when no --model is given and the default model is missing, naming where it looked", async () => {
        const empty = modelsDir("models-empty-complete");
        const promptFile = path.join(tmp, "p.txt");
        fs.writeFileSync(promptFile, "x");
        const res = await runCli(["complete", "--prompt-file", promptFile], {env: {RECURFORMER_MODELS_DIR: empty}});
        expect(res.code).toBe(1);
        expect(res.stdout).toBe("");
        expect(res.stderr).toContain("DefaultModelMissingError");
        expect(res.stderr).toContain(`default RecurFormer model is missing (${path.join(empty, "recurformer.gguf")})`);
    });

    it("reads special tokens written in the prompt as those tokens (a ChatML-style prompt is not plain text)", async () => {
        // the fixtures' vocabulary has <s> (BOS) and </s> (EOS) as control tokens
        const backend = await LlamaBackend.load({gpu: false, log: new LlamaLog()});
        try {
            const model = await backend.llama.loadModel({modelPath: fixture("rf-gqa-r4.gguf"), vocabOnly: true});
            const eos = model.tokens.eos!;
            const bos = model.tokens.bos!;
            const prompt = "<s>user\nhello</s>\n<s>assistant\n";
            const tokens = rawPromptTokens(model, prompt);
            // "</s>" is the one EOS token, "<s>" the BOS token (once at the start: no second BOS before it)
            expect(tokens.filter((t) => t === eos)).toHaveLength(1);
            expect(tokens.filter((t) => t === bos)).toHaveLength(2);
            expect(tokens[0]).toBe(bos);
            expect(tokens[1]).not.toBe(bos);
            expect(model.detokenize(tokens, true)).toContain("</s>");
            // read as plain text, the same prompt has neither
            expect(model.tokenize(prompt, false)).not.toContain(eos);
            const controlId = (text: string) => rawPromptTokens(model, text).filter((t) => t !== bos);
            expect(controlId("</s>")).toEqual([eos]);

            // and the engine's `complete` reads the prompt that way
            const engine = await startEngine();
            try {
                await engine.load("m", {modelPath: fixture("rf-gqa-r4.gguf"), contextSize: 256});
                const result = await engine.complete({modelId: "m", prompt, maxTokens: 2});
                expect(result.promptTokens).toBe(tokens.length);
            } finally {
                await engine.shutdown();
            }
            await model.dispose();
        } finally {
            await backend.llama.dispose();
        }
    });
});

describe("documentQuestionText (the app's and `ask`'s one composition)", {timeout: 60_000}, () => {
    it("puts each document in a named block, then the question", () => {
        expect(documentQuestionText([{name: "a \"b\".md", text: "Alpha"}, {name: "c.txt", text: "Gamma"}], " Who? "))
            .toBe("Read the documents below, then answer the question that follows them.\n\n" +
                "<document name=\"a 'b'.md\">\nAlpha\n</document>\n\n<document name=\"c.txt\">\nGamma\n</document>\n\nQuestion: Who?");
        expect(documentQuestionText([{name: "a.md", text: "Alpha"}], "")).toBe(
            "Read the document below, then answer the question that follows it.\n\n<document>\nAlpha\n</document>\n\nQuestion: Summarize the document above.");
        expect(documentQuestionText([], "Just a question")).toBe("Just a question");
    });

    it("is word for word the prompt the default models were trained on (engine/pipeline/tasks/doc_qa.py)", () => {
        const code = "import json; from engine.pipeline.tasks.doc_qa import prompt_messages; " +
            "print(json.dumps(prompt_messages('Line one.\\nLine two.', 'What is planted?')))";
        const res = spawnSync("python3", ["-c", code], {cwd: root, encoding: "utf8"});
        expect(res.stderr).toBe("");
        expect(documentQuestionMessages([{name: "x.txt", text: "Line one.\nLine two."}], "What is planted?"))
            .toEqual(JSON.parse(res.stdout));
    });
});

describe("recurformer ask", {timeout: 180_000}, () => {
    const model = () => fixture("bench-recurformer.gguf"); // has a chat template (tokenizer.chat_template)
    const question = "What is the cat called?";
    const writeDoc = (name: string, text: string) => {
        const file = path.join(tmp, name);
        fs.writeFileSync(file, text);
        return file;
    };

    it("prints only the greedy answer: the engine's chat answer to the app's document question", async () => {
        const doc = writeDoc("notes.md", "# Notes\r\n\r\n\r\n\r\nThe cat is named Biscuit.\nIt sleeps by the river.\n");
        const res = await runCli(["ask", "--model", model(), "--document", doc, "--question", question, "--context", "512", "--max-tokens", "12", "--threads", "2"]);
        expect(res.code, res.stderr).toBe(0);
        expect(res.stderr).toBe("");
        const engine = await startEngine();
        try {
            await engine.load("m", {modelPath: model(), contextSize: 512, threads: 2});
            // the document as the app reads it (CRLF and blank runs normalised), composed as the app composes it
            const messages = documentQuestionMessages([{name: "notes.md", text: (await readDocument({path: doc, name: "notes.md"})).text}], question);
            expect(messages[0]!.content).toBe("Read the document below, then answer the question that follows it.\n\n" +
                `<document>\n# Notes\n\nThe cat is named Biscuit.\nIt sleeps by the river.\n</document>\n\nQuestion: ${question}`);
            const result = await engine.chat({modelId: "m", chatId: "c", messages, maxTokens: 12, temperature: 0});
            expect(result.text.length).toBeGreaterThan(0);
            expect(res.stdout).toBe(result.text);
            // through the chat template: more tokens than the message alone
            const templated = await engine.chatTokens("m", messages);
            expect(templated.tokens).toBeGreaterThan(await engine.tokenize("m", messages[0]!.content));
        } finally {
            await engine.shutdown();
        }
    });

    it("refuses a document that does not fit the context, giving its token count and the context, and cuts nothing", async () => {
        const text = "The green garden by the river holds many old trees and a small stone house. ".repeat(40);
        const doc = writeDoc("long.txt", text);
        const res = await runCli(["ask", "--model", model(), "--document", doc, "--question", question, "--context", "256", "--threads", "2"]);
        expect(res.code).toBe(1);
        expect(res.stdout).toBe("");
        const match = /“long\.txt” with the question is (\d+) tokens through the model's chat template, but the context holds 256 tokens/.exec(res.stderr);
        expect(match, res.stderr).not.toBeNull();
        const engine = await startEngine();
        try {
            await engine.load("m", {modelPath: model(), contextSize: 256});
            const counted = await engine.chatTokens("m", documentQuestionMessages([{name: "long.txt", text: text.trim()}], question));
            expect(Number(match![1])).toBe(counted.tokens);
            expect(counted.tokens).toBeGreaterThan(256);
        } finally {
            await engine.shutdown();
        }
    });

    it("says which document cannot be read (exit 1, nothing on stdout)", async () => {
        const res = await runCli(["ask", "--model", model(), "--document", path.join(tmp, "missing.txt"), "--question", question]);
        expect(res.code).toBe(1);
        expect(res.stdout).toBe("");
        expect(res.stderr).toMatch(/^recurformer: DocumentReadError: “missing\.txt” cannot be read/);
    });

    it("says clearly when no --model is given and the default model is missing, naming where it looked", async () => {
        const empty = modelsDir("models-empty-ask");
        const doc = writeDoc("short.txt", "The cat is named Biscuit.");
        const res = await runCli(["ask", "--document", doc, "--question", question], {env: {RECURFORMER_MODELS_DIR: empty}});
        expect(res.code).toBe(1);
        expect(res.stdout).toBe("");
        expect(res.stderr).toMatch(/^recurformer: DefaultModelMissingError: /);
        expect(res.stderr).toContain(path.join(empty, "recurformer.gguf"));
    });

    it("is a usage error (exit 2) without --question", async () => {
        const res = await runCli(["ask", "--model", model(), "--document", path.join(tmp, "x.txt")]);
        expect(res.code).toBe(2);
        expect(res.stderr).toMatch(/ask needs --document FILE and --question TEXT/);
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

    it("without --models benches the default pair, and names the default dense model when it is missing", async () => {
        const onlyRf = modelsDir("models-only-rf", {"recurformer.gguf": fixture("rf-gqa-r7.gguf")});
        const res = await runCli(["bench"], {env: {RECURFORMER_MODELS_DIR: onlyRf}});
        expect(res.code).toBe(1);
        expect(res.stdout).toBe("");
        expect(res.stderr).toContain(`default dense model is missing (${path.join(onlyRf, "dense.gguf")})`);

        const pair = modelsDir("models-pair", {"recurformer.gguf": fixture("rf-gqa-r7.gguf"), "dense.gguf": fixture("dense-llama-gqa.gguf")});
        const json = path.join(tmp, "bench-default.json");
        const ok = await runCli(["bench", "--contexts", "256", "--threads", "2", "--decode", "2", "--json", json], {env: {RECURFORMER_MODELS_DIR: pair}});
        expect(ok.code, ok.stderr).toBe(0);
        const report = JSON.parse(fs.readFileSync(json, "utf8")) as {rows: BenchRow[]};
        expect(report.rows.map((r) => r.modelPath)).toEqual([path.join(pair, "dense.gguf"), path.join(pair, "recurformer.gguf")]);
        expect(ok.stdout).toMatch(/ratios against dense\.gguf \(A\), same run:/);
    });
});

describe("recurformer (no command)", {timeout: 60_000}, () => {
    it("prints the usage and exits 2; an unknown command is named", async () => {
        const none = await runCli([]);
        expect(none.code).toBe(2);
        expect(none.stdout).toMatch(/recurformer inspect \[MODEL\.gguf\]/);
        expect(none.stdout).toMatch(/recurformer ask \[--model MODEL\.gguf\] --document FILE --question TEXT/);
        const unknown = await runCli(["frobnicate"]);
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    });
});
