/**
 * Resume bench: what a saved chat state buys after a full app restart, dense and RecurFormer in one
 * run, through the app core and the real engine (the default pair unless RECURFORMER_MODELS_DIR).
 *
 *   npx tsx main/bench/resumeBench.ts [--tokens 15600] [--threads 2] [--json FILE]
 *   (or, built: node dist/main/bench/resumeBench.js ...)
 *
 * For each model: a chat reads a document of about --tokens tokens and answers a question (its
 * state is saved on disk); the app is closed and opened again; a follow-up is asked (resumed from the
 * saved state); the saved states are freed and saving turned off; the app is closed and opened again;
 * the same follow-up is asked again (Regenerate: the same prompt), now read from the start. Time to
 * first token is measured two ways: the engine's (from its request to the first token) and the
 * app's (from `chats.send` to the first `chat.token` event, which includes checking the state file's
 * checksum). The model is loaded before each timed question, so load time is not in either.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AppEvent, Chat, ChatMessageRecord, ModelInfo } from "../../api/appApi.js";
import { formatBytes } from "../../api/format.js";
import { ForkTransport } from "../../engine/runtime/client/ForkTransport.js";
import { modelFolders } from "../../engine/runtime/defaultModel.js";
import { AppCore } from "../core/AppCore.js";

/** the app's folder: the nearest one above this file with a package.json (from source or from dist/) */
function appRoot(): string {
    let folder = path.dirname(fileURLToPath(import.meta.url));
    while (!fs.existsSync(path.join(folder, "package.json")) && path.dirname(folder) !== folder) folder = path.dirname(folder);
    return folder;
}

const root = appRoot();

function option(name: string, fallback: string): string {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const targetTokens = Number(option("tokens", "15600"));
const threads = Number(option("threads", "2"));
const jsonFile = option("json", "");
const contextSize = 16384;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-resume-bench-"));
let core: AppCore | undefined;
let events: AppEvent[] = [];

async function until<T>(check: () => T | undefined | false, ms: number, what: string): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
        const value = check();
        if (value) return value;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
    }
}

async function startApp(): Promise<{ core: AppCore; startMs: number }> {
    const started = performance.now();
    const next = new AppCore({
        userDataDir: path.join(dir, "data"),
        modelDirs: modelFolders(root),
        engine: () => new ForkTransport(),
        engineHostKind: "child-process",
        transport: "browser",
        version: "bench",
        maxDocumentBytes: 8 * 1024 * 1024,
        maxAnswerTokens: 16,
        autoload: false,
    });
    events = [];
    next.on("event", (e) => events.push(e));
    await next.open();
    await until(() => next.models.list().every((m) => m.status !== "inspecting") && next.models.list().some((m) => m.shape), 120_000, "the models to be inspected");
    core = next;
    return { core: next, startMs: performance.now() - started };
}

async function restartApp(): Promise<number> {
    const started = performance.now();
    await core!.close();
    await startApp();
    return performance.now() - started;
}

/** Asks (or regenerates) and times the first token as the app sees it. */
async function timed(chatId: string, ask: () => Promise<unknown>): Promise<{ answer: ChatMessageRecord; appFirstTokenMs: number }> {
    const from = events.length;
    const started = performance.now();
    await ask();
    let firstAt: number | undefined;
    for (;;) {
        if (firstAt == null && events.slice(from).some((e) => e.type === "chat.token" && e.chatId === chatId)) firstAt = performance.now();
        const chat: Chat = await core!.call("chats.get", { chatId });
        const last = chat.messages[chat.messages.length - 1]!;
        if (last.status !== "streaming") {
            if (last.status !== "done") throw new Error(`the answer ended ${last.status}: ${last.error}`);
            return { answer: last, appFirstTokenMs: (firstAt ?? performance.now()) - started };
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
    }
}

function documentText(): string {
    const part = fs.readFileSync(path.join(root, "test", "e2e", "support", "planted-fact-4k.txt"), "utf8");
    return [1, 2, 3, 4, 5].map((n) => `Part ${n}\n\n${part}`).join("\n\n");
}

interface Row {
    model: string;
    kind: string;
    documentTokens: number;
    first: { engineFirstTokenMs?: number; appFirstTokenMs: number; promptTokens?: number; savedStateBytes?: number };
    restartMs: number;
    resumed: { engineFirstTokenMs?: number; appFirstTokenMs: number; promptTokensRead?: number; promptTokensReused?: number; loadMs?: number; stateBytesOnDisk?: number };
    noSnapshot: { engineFirstTokenMs?: number; appFirstTokenMs: number; promptTokensRead?: number; promptTokensReused?: number };
    /** the same greedy answer with and without the saved state */
    sameAnswer: boolean;
}

async function main(): Promise<void> {
    await startApp();
    const models = core!.models.list().filter((m) => m.shape);
    const dense = models.find((m) => m.kind === "dense");
    const rf = models.find((m) => m.kind === "recurformer");
    if (!dense || !rf) throw new Error("the bench needs a dense model and a RecurFormer model in the model folder");
    const pair: ModelInfo[] = [dense, rf];
    for (const model of pair) await core!.call("models.setSettings", { modelId: model.id, settings: { contextSize, threads } });

    const file = path.join(dir, "document.txt");
    fs.writeFileSync(file, documentText());
    const chats = new Map<string, { chatId: string; documentTokens: number }>();
    const rows = new Map<string, Partial<Row>>();
    // 1. first app run: each model reads the document and answers; its state is saved
    for (const model of pair) {
        await core!.call("models.load", { modelId: model.id });
        const copy = `${file}.${model.kind}`;
        fs.copyFileSync(file, copy);
        core!.registerUpload(`bench-${model.kind}`, copy, "document.txt");
        let info = await core!.call("documents.ingest", { source: { kind: "upload", uploadId: `bench-${model.kind}`, name: "document.txt" } });
        if ((info.tokens[model.id]?.tokens ?? 0) > targetTokens) info = await core!.call("documents.cut", { documentId: info.id, modelId: model.id, maxTokens: targetTokens });
        const chat = await core!.call("chats.create", { modelId: model.id });
        const { answer, appFirstTokenMs } = await timed(chat.id, () => core!.call("chats.send", { chatId: chat.id, text: "Who praised God in the furnace?", documentIds: [info.id] }));
        const documentTokens = info.tokens[model.id]!.tokens;
        chats.set(model.id, { chatId: chat.id, documentTokens });
        rows.set(model.id, {
            model: model.fileName, kind: model.kind, documentTokens,
            first: { engineFirstTokenMs: answer.metrics?.timeToFirstTokenMs, appFirstTokenMs, promptTokens: answer.metrics?.promptTokens, savedStateBytes: answer.savedStateBytes },
        });
        process.stderr.write(`${model.kind}: read ${documentTokens} document tokens, first token ${Math.round(appFirstTokenMs)} ms, state ${formatBytes(answer.savedStateBytes)}\n`);
    }

    // 2. full restart; the follow-up resumes from the saved state
    const restartMs = await restartApp();
    const resumedAnswers = new Map<string, string>();
    for (const model of pair) {
        const { chatId } = chats.get(model.id)!;
        await core!.call("models.load", { modelId: model.id });
        const onDisk = (await core!.call("snapshots.list", undefined)).snapshots.find((s) => s.chatId === chatId)?.bytes;
        const { answer, appFirstTokenMs } = await timed(chatId, () => core!.call("chats.send", { chatId, text: "Where were the three?" }));
        if (!answer.resumedFrom) throw new Error(`${model.kind}: the follow-up did not resume (${answer.stateNote ?? "no note"})`);
        resumedAnswers.set(model.id, answer.content);
        Object.assign(rows.get(model.id)!, {
            restartMs,
            resumed: {
                engineFirstTokenMs: answer.metrics?.timeToFirstTokenMs, appFirstTokenMs, promptTokensRead: answer.metrics?.promptTokens,
                promptTokensReused: answer.metrics?.promptTokensReused, loadMs: answer.resumedFrom.loadMs, stateBytesOnDisk: onDisk,
            },
        });
        process.stderr.write(`${model.kind}: resumed follow-up, first token ${Math.round(appFirstTokenMs)} ms\n`);
    }

    // 3. no saved state (freed, saving off), full restart; the same follow-up read from the start
    await core!.call("snapshots.setBudget", { bytes: 0 });
    await restartApp();
    for (const model of pair) {
        const { chatId } = chats.get(model.id)!;
        await core!.call("models.load", { modelId: model.id });
        const { answer, appFirstTokenMs } = await timed(chatId, () => core!.call("chats.regenerate", { chatId }));
        Object.assign(rows.get(model.id)!, {
            noSnapshot: { engineFirstTokenMs: answer.metrics?.timeToFirstTokenMs, appFirstTokenMs, promptTokensRead: answer.metrics?.promptTokens, promptTokensReused: answer.metrics?.promptTokensReused },
            sameAnswer: answer.content === resumedAnswers.get(model.id),
        });
        process.stderr.write(`${model.kind}: follow-up without a saved state, first token ${Math.round(appFirstTokenMs)} ms\n`);
    }
    const engine = core!.models.loaded(rf.id)?.backend;
    await core!.close();
    core = undefined;

    const result = rows as Map<string, Row>;
    const backend = os.cpus()[0]?.model ?? "unknown CPU";
    const ms = (v?: number) => (v == null ? "—" : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
    const lines = [
        `Resume bench (main/bench/resumeBench.ts), ${new Date().toISOString()}`,
        `${os.cpus().length} CPU cores (${backend}), ${threads} threads, context ${contextSize}, answers 16 tokens, greedy; ` +
            `llama.cpp ${engine?.llamaCppRelease ?? "?"} (${engine?.flavour ?? "?"} build, CPU variant ${engine?.cpuVariant ?? "?"}), load average at the end ${os.loadavg()[0]!.toFixed(2)}`,
        "",
        "| model | document tokens | state on disk | first read: first token | app restart | follow-up, resumed: first token (engine / app) | tokens read | state load | follow-up, no saved state: first token (engine / app) | tokens read | speed-up | same answer |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ];
    for (const row of result.values()) {
        lines.push(`| ${row.kind} (${row.model}) | ${row.documentTokens.toLocaleString("en-US")} | ${formatBytes(row.resumed.stateBytesOnDisk)} | ${ms(row.first.appFirstTokenMs)} | ${ms(row.restartMs)} | ` +
            `${ms(row.resumed.engineFirstTokenMs)} / ${ms(row.resumed.appFirstTokenMs)} | ${row.resumed.promptTokensRead} | ${ms(row.resumed.loadMs)} | ` +
            `${ms(row.noSnapshot.engineFirstTokenMs)} / ${ms(row.noSnapshot.appFirstTokenMs)} | ${row.noSnapshot.promptTokensRead?.toLocaleString("en-US")} | ` +
            `${(row.noSnapshot.appFirstTokenMs / row.resumed.appFirstTokenMs).toFixed(0)}x | ${row.sameAnswer ? "yes" : "NO"} |`);
    }
    const [d, r] = [result.get(dense.id)!, result.get(rf.id)!];
    lines.push("", `State on disk: RecurFormer ${formatBytes(r.resumed.stateBytesOnDisk)} = ${((100 * r.resumed.stateBytesOnDisk!) / d.resumed.stateBytesOnDisk!).toFixed(1)}% of dense's ${formatBytes(d.resumed.stateBytesOnDisk)}.`);
    process.stdout.write(`${lines.join("\n")}\n`);
    if (jsonFile) fs.writeFileSync(jsonFile, JSON.stringify([...result.values()], null, 2));
}

main().then(
    () => fs.rmSync(dir, { recursive: true, force: true }),
    async (error: Error) => {
        process.stderr.write(`resume bench failed: ${error.stack ?? error.message}\n`);
        await core?.close().catch(() => undefined);
        fs.rmSync(dir, { recursive: true, force: true });
        process.exitCode = 1;
    },
);
