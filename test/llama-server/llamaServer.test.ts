/**
 * llama.cpp's own llama-server, built from the same RecurFormer patch (`npm run build:llama-server`),
 * as the app's engine: a real llama-server on the default RecurFormer model, reached through
 * `LlamaServerTransport`. A document question answers as the app's engine does; speed and reused
 * prompt tokens come from llama-server's `timings`; cache bytes are computed from the GGUF (the same
 * `CacheMeter` figure); a model the server does not hold is refused by name; an address where no
 * server listens is said with its URL; and the app core connects to it from Settings and answers a chat.
 * SKIPPED, with the reason, where the llama-server binary has not been built.
 */
import type {ChildProcess} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {CacheMeter} from "../../engine/runtime/CacheMeter.js";
import {EngineClient} from "../../engine/runtime/client/EngineClient.js";
import {documentQuestionMessages} from "../../engine/runtime/documentQuestion.js";
import {EngineUnreachableError} from "../../engine/runtime/errors/EngineUnreachableError.js";
import {GgufShape} from "../../engine/runtime/gguf/GgufShape.js";
import {LlamaServerTransport} from "../../engine/runtime/llama-server/LlamaServerTransport.js";
import {answered, defaultModelsDir, lastMessage, openCore, root, until} from "../main/support/realCore.js";
import {freePort} from "../support/ports.js";
import {llamaServerMissing, startServer} from "./llamaServerProcess.js";

const modelPath = path.join(defaultModelsDir, "recurformer.gguf");
const missing = llamaServerMissing();
const suite = missing ? describe.skip : describe;
if (missing) process.stdout.write(`\n[llama-server] SKIPPED: ${missing}\n`);

const document = fs.readFileSync(path.join(root, "test", "e2e", "support", "planted-fact-4k.txt"), "utf8");
const messages = documentQuestionMessages([{name: "vault-codes.txt", text: document}], "What is the access code for the Pine Forge vault?");
let server: ChildProcess | undefined;
let url = "";

suite("llama-server as the engine", () => {
    beforeAll(async () => {
        ({url, process: server} = await startServer([], modelPath));
    }, 150_000);

    afterAll(() => {
        server?.kill("SIGTERM");
    });

    it("answers a document question with the model's own template; speed from its timings, cache bytes computed from the GGUF", async () => {
        const client = await EngineClient.start({transport: () => new LlamaServerTransport(url)});
        try {
            const loaded = await client.load("rf", {modelPath, contextSize: 8192});
            expect(loaded).toMatchObject({contextSize: 8192, shape: {architecture: "recurformer"}, backend: {buildType: "llama-server"}});
            const counted = await client.chatTokens("rf", messages);
            expect(counted.tokens).toBeGreaterThan(3000);
            const seen: number[] = [];
            const result = await client.chat({modelId: "rf", chatId: "c1", messages, maxTokens: 16}, {onMetrics: (m) => seen.push(m.tokensInContext)});
            expect(result.text).toContain("1876");
            expect(result.stopReason).toBe("eos");
            const m = result.metrics;
            expect(m.promptTokens).toBe(counted.tokens);
            expect(m.tokensInContext).toBe(counted.tokens + result.generatedTokens);
            expect(m.prefillTokensPerSecond).toBeGreaterThan(0);
            expect(m.timeToFirstTokenMs).toBeGreaterThan(0);
            const meter = new CacheMeter((await GgufShape.read(modelPath)).shape, {cacheType: "f16"});
            expect(m.cacheBytesComputed).toBe(meter.bytesAt(m.tokensInContext));
            expect(m.denseCacheBytesComputed).toBe(meter.denseBytesAt(m.tokensInContext));
            expect(m.stateBytesMeasured).toBeUndefined();
            expect(seen.length).toBeGreaterThan(0);
            // the server holds one model: another file is refused by name
            await expect(client.load("dense", {modelPath: path.join(defaultModelsDir, "dense.gguf")})).rejects.toThrow(`serves recurformer.gguf, not dense.gguf`);
        } finally {
            await client.shutdown();
        }
        expect(server!.exitCode).toBeNull();
    }, 180_000);

    it("an address where no llama-server listens is said with its URL", async () => {
        const nowhere = `http://127.0.0.1:${await freePort()}`;
        const error = await EngineClient.start({transport: () => new LlamaServerTransport(nowhere)}).catch((err: unknown) => err);
        expect(error).toBeInstanceOf(EngineUnreachableError);
        expect((error as EngineUnreachableError).refused).toBe(false);
        expect((error as Error).message).toMatch(new RegExp(`^Could not reach llama-server at ${nowhere}: connect ECONNREFUSED`));
    });

    it("a server started with --api-key refuses another key: said with the URL and the key", async () => {
        const keyed = await startServer(["--api-key", "right-key"], modelPath);
        try {
            const error = await EngineClient.start({transport: () => new LlamaServerTransport(keyed.url, "wrong-key")}).catch((err: unknown) => err);
            expect(error).toBeInstanceOf(EngineUnreachableError);
            expect((error as EngineUnreachableError).refused).toBe(true);
            expect((error as Error).message).toContain(`llama-server at ${keyed.url} answered GET /props with HTTP 401 (the API key: give the one llama-server was started with, --api-key)`);
            const client = await EngineClient.start({transport: () => new LlamaServerTransport(keyed.url, "right-key")});
            await client.shutdown();
        } finally {
            keyed.process.kill("SIGTERM");
        }
    }, 150_000);

    it("the app connects to it from Settings: the status says so, the model loads there, a chat answers", async () => {
        const t = await openCore();
        try {
            const status = await t.core.call("engine.connect", {url});
            expect(status).toMatchObject({state: "ready", host: `llama-server ${url}`, remote: {url, kind: "llama-server", tokenHint: "none"}});
            await until(() => t.core.models.list().some((m) => m.kind === "recurformer" && m.status === "loaded"), 60_000, "the model loaded on llama-server");
            const chat = await t.core.call("chats.create", undefined);
            await t.core.call("chats.send", {chatId: chat.id, text: "What is the capital of France?"});
            const answer = lastMessage(await answered(t.core, chat.id));
            expect(answer.status).toBe("done");
            expect(answer.content.length).toBeGreaterThan(0);
            expect(answer.metrics!.cacheBytesComputed).toBeGreaterThan(0);
        } finally {
            await t.close();
        }
    }, 180_000);
});
