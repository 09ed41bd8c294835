/**
 * Time to first token for the same ~4k-token document question (test/e2e/support/planted-fact-4k.txt), through the app (AppCore: a chat,
 * the document ingested as an upload, `chats.send`, first `chat.token` event) and through
 * `recurformer api` (the CLI process, POST /v1/chat/completions streamed, first content chunk at
 * the HTTP client), in one run on the default RecurFormer model, both loaded the same way (the
 * context the app chose for it, 2 sequences, threads auto, CPU; the engine from dist/ for both). Runs alternate, which path
 * goes first alternates too; each run's document starts with its own line so no run reuses another's
 * prompt. Prints every run, the medians, API / app, and each path's time outside the engine (its
 * TTFT less the engine's own, which a busy machine's noise in the engine does not reach).
 *
 *   npx tsc -p tsconfig.json && npx tsx test/api-server/ttftApiVsApp.ts [--runs 9]
 */
import {spawn, type ChildProcess} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {AppCore} from "../../main/core/AppCore.js";
import type {AppEvent} from "../../api/appApi.js";
import {ForkTransport} from "../../engine/runtime/client/ForkTransport.js";
import {modelFolders} from "../../engine/runtime/defaultModel.js";
import {documentQuestionText} from "../../engine/runtime/documentQuestion.js";
import {cliJs, engineMainJs, root} from "../runtime/helpers.js";

const {values} = parseArgs({options: {runs: {type: "string", default: "9"}}});
const runs = Number(values.runs);
const question = "What is the access code for the Pine Forge vault?";
const maxTokens = 8;

// the document: the first screen's sample (3.8k tokens of public-domain text with four vault codes planted in it)
const source = fs.readFileSync(path.join(root, "test", "e2e", "support", "planted-fact-4k.txt"), "utf8");
const documentOf = (run: number) => `Copy ${run + 1} of the notes.\n\n${source}`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-ttft-"));
const core = new AppCore({
    userDataDir: path.join(dir, "data"), modelDirs: [modelFolders(root)[0]!], engine: () => new ForkTransport({modulePath: engineMainJs}),
    engineHostKind: "child-process", transport: "browser", version: "bench", maxDocumentBytes: 8 * 1024 * 1024, maxAnswerTokens: maxTokens
});
const events: AppEvent[] = [];
core.on("event", (event) => events.push(event));

let server: ChildProcess | undefined;
let stdout = "";

async function until<T>(check: () => T | undefined | false, what: string, ms = 300_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
        const value = check();
        if (value)
            return value;
        if (Date.now() > end)
            throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
    }
}

/** The app: ingest the document as an upload, send the question in a new chat, wait for its first token. */
async function viaApp(run: number): Promise<{ttftMs: number, engineTtftMs: number, promptTokens: number}> {
    const file = path.join(dir, `notes-${run}.txt`);
    fs.writeFileSync(file, documentOf(run));
    core.registerUpload(`doc-${run}`, file, "notes.txt");
    const info = await core.call("documents.ingest", {source: {kind: "upload", uploadId: `doc-${run}`, name: "notes.txt"}});
    const chat = await core.call("chats.create", undefined);
    const from = events.length;
    const started = performance.now();
    await core.call("chats.send", {chatId: chat.id, text: question, documentIds: [info.id]});
    await until(() => events.slice(from).some((e) => e.type === "chat.token" && e.chatId === chat.id), "the app's first token");
    const ttftMs = performance.now() - started;
    const answered = await until(() => events.slice(from).find((e) => e.type === "chat.answered" && e.chatId === chat.id), "the app's answer");
    const metrics = (answered as Extract<AppEvent, {type: "chat.answered"}>).metrics!;
    return {ttftMs, engineTtftMs: metrics.timeToFirstTokenMs!, promptTokens: (metrics.promptTokens ?? 0) + (metrics.promptTokensReused ?? 0)};
}

/** The API: the same user message (the app's composition of a document question), streamed. */
async function viaApi(run: number, base: string, key: string): Promise<{ttftMs: number, engineTtftMs: number, promptTokens: number}> {
    const content = documentQuestionText([{name: "notes.txt", text: documentOf(run)}], question);
    const started = performance.now();
    const response = await fetch(`${base}/v1/chat/completions`, {
        method: "POST", headers: {Authorization: `Bearer ${key}`, "content-type": "application/json"},
        body: JSON.stringify({model: "recurformer", messages: [{role: "user", content}], max_tokens: maxTokens, temperature: 0, stream: true})
    });
    let ttftMs: number | undefined;
    let text = "";
    const decoder = new TextDecoder();
    for await (const bytes of response.body!) {
        text += decoder.decode(bytes, {stream: true});
        if (ttftMs == null && /"delta":\{"content":"[^"]/.test(text))
            ttftMs = performance.now() - started;
    }
    const last = text.split("\n").filter((line) => line.startsWith("data: {")).map((line) => JSON.parse(line.slice(6))).find((chunk) => chunk.timings != null);
    return {ttftMs: ttftMs!, engineTtftMs: last.timings.prompt_ms, promptTokens: last.usage.prompt_tokens};
}

try {
    await core.open();
    const model = await until(() => core.models.list().find((m) => m.kind === "recurformer" && m.status === "loaded"), "the app's model");
    // the API loads the model as the app did: its context, 2 sequences (the app's chat slots), threads auto, no GPU layers
    server = spawn(process.execPath, [cliJs, "api", "--port", "0", "--context", String(model.settings.contextSize), "--parallel", "2",
        "--gpu-layers", "0", "--models", model.path], {cwd: root});
    server.stdout!.setEncoding("utf8").on("data", (chunk: string) => stdout += chunk);
    server.stderr!.resume();
    process.stdout.write(`model ${model.fileName}, context ${model.settings.contextSize} tokens in both\n`);
    await until(() => /API key \(shown once\): (\S+)/.test(stdout), "recurformer api");
    const base = /RecurFormer API: (http:\/\/[^/]+)\/v1/.exec(stdout)![1]!;
    const key = /API key \(shown once\): (\S+)/.exec(stdout)![1]!;

    // one warm-up each (first decode allocations), not counted
    await viaApp(-1);
    await viaApi(-1, base, key);
    const app: number[] = [];
    const api: number[] = [];
    const appOutside: number[] = [];
    const apiOutside: number[] = [];
    process.stdout.write("run  prompt tokens (app/API)  app TTFT ms (engine)  API TTFT ms (engine)\n");
    for (let run = 0; run < runs; run++) {
        const a = run % 2 === 0 ? await viaApp(run) : undefined;
        const b = await viaApi(run, base, key);
        const a2 = a ?? await viaApp(run);
        app.push(a2.ttftMs);
        api.push(b.ttftMs);
        appOutside.push(a2.ttftMs - a2.engineTtftMs);
        apiOutside.push(b.ttftMs - b.engineTtftMs);
        process.stdout.write(`${String(run + 1).padStart(3)}  ${a2.promptTokens}/${b.promptTokens}`.padEnd(28) +
            `${a2.ttftMs.toFixed(0)} (${a2.engineTtftMs.toFixed(0)})`.padEnd(22) + `${b.ttftMs.toFixed(0)} (${b.engineTtftMs.toFixed(0)})\n`);
    }
    const ratio = median(api) / median(app);
    process.stdout.write(`median TTFT: app ${median(app).toFixed(0)} ms, API ${median(api).toFixed(0)} ms; API / app = ${ratio.toFixed(3)} ` +
        `(${((ratio - 1) * 100).toFixed(1)}%)\n` +
        `median time outside the engine: app ${median(appOutside).toFixed(1)} ms, API ${median(apiOutside).toFixed(1)} ms ` +
        `(API - app = ${(median(apiOutside) - median(appOutside)).toFixed(1)} ms, ${(100 * (median(apiOutside) - median(appOutside)) / median(app)).toFixed(2)}% of the app's TTFT)\n`);
} finally {
    server?.kill("SIGTERM");
    await core.close();
    fs.rmSync(dir, {recursive: true, force: true});
}
