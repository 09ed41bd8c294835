// `recurformer api` driven by the official `openai` client: the real CLI process, the real engine and
// the default model pair (assets/models, or RECURFORMER_MODELS_DIR). Greedy answers are repeatable, so
// streamed, non-streamed, parallel and solo answers can be compared word for word.
import {spawn, type ChildProcess} from "node:child_process";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import OpenAI from "openai";
import {cliJs, ensureCompiled, root, runCli} from "../runtime/helpers.js";

const contextSize = 1024;
let server: ChildProcess;
let base = "";
let apiKey = "";
let stdout = "";
const log: string[] = [];
let client: OpenAI;

/** Waits for a line of the server's log matching `pattern` (after `from` lines). */
async function logLine(pattern: RegExp, from = 0, ms = 30_000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
        const line = log.slice(from).find((candidate) => pattern.test(candidate));
        if (line != null)
            return line;
        if (Date.now() > end)
            throw new Error(`no log line ${pattern} in:\n${log.slice(from).join("\n")}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}

const post = (path: string, body: string, headers: Record<string, string> = {Authorization: `Bearer ${apiKey}`}) =>
    fetch(`${base}${path}`, {method: "POST", headers: {"content-type": "application/json", ...headers}, body});

const health = async () => (await (await fetch(`${base}/health`)).json()) as {status: string, models: {id: string, generating: number, queued: number}[]};

/** The timings object this server adds to every answer (beside OpenAI's fields). */
interface Timings {
    prompt_n: number; prompt_ms: number; prompt_per_second: number; predicted_n: number; predicted_ms: number; predicted_per_second: number;
    cache_n: number; queued_ms: number; tokens_in_context: number; context_size: number; cache_bytes_computed: number;
    cache_bytes_measured?: number; cache_bytes_measured_at_tokens?: number; dense_cache_bytes_computed?: number;
    recurrent_state_bytes: number; recurrent_state_share: number; time_to_first_token_ms?: number;
}
const timingsOf = (response: object) => (response as {timings: Timings}).timings;

beforeAll(async () => {
    ensureCompiled();
    server = spawn(process.execPath, [cliJs, "api", "--port", "0", "--context", String(contextSize), "--parallel", "2"], {cwd: root});
    server.stdout!.setEncoding("utf8").on("data", (chunk: string) => stdout += chunk);
    let partial = "";
    server.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
        const lines = (partial + chunk).split("\n");
        partial = lines.pop() ?? "";
        log.push(...lines);
    });
    const end = Date.now() + 120_000;
    while (!/API key \(shown once\): (\S+)/.test(stdout)) {
        if (server.exitCode != null || Date.now() > end)
            throw new Error(`recurformer api did not start:\n${stdout}\n${log.join("\n")}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    base = /RecurFormer API: (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(stdout)![1]!;
    apiKey = /API key \(shown once\): (\S+)/.exec(stdout)![1]!;
    client = new OpenAI({baseURL: `${base}/v1`, apiKey, maxRetries: 0});
}, 180_000);

afterAll(async () => {
    if (server != null && server.exitCode == null) {
        const exited = new Promise((resolve) => server.once("exit", resolve));
        server.kill("SIGTERM");
        await exited;
    }
});

describe("recurformer api, through the openai client", {timeout: 120_000}, () => {
    it("serves the default pair on loopback with a random key printed once", async () => {
        expect(stdout.split(apiKey).length - 1).toBe(1);
        expect(apiKey).toMatch(/^rf-[\w-]{32}$/);
        const models = await client.models.list();
        expect(models.data.map((model) => model.id)).toEqual(["recurformer", "dense"]);
        expect(models.data[0]).toMatchObject({object: "model", architecture: "recurformer", context_size: contextSize, parallel_sequences: 2});
        expect(await health()).toMatchObject({status: "ok"});
    });

    it("answers a chat without streaming, with usage and llama-server timings carrying the cache figures", async () => {
        const [rf, dense] = (await client.models.list()).data as unknown as {kv_bytes_per_token: number, recurrent_state_bytes: number, dense_kv_bytes_per_token: number}[];
        const answer = await client.chat.completions.create({
            model: "recurformer", messages: [{role: "system", content: "You answer briefly."}, {role: "user", content: "What is the capital of France?"}],
            max_tokens: 24, temperature: 0
        });
        const text = answer.choices[0]!.message.content!;
        expect(text.length).toBeGreaterThan(0);
        expect(answer.object).toBe("chat.completion");
        expect(["stop", "length"]).toContain(answer.choices[0]!.finish_reason);
        expect(answer.usage!.completion_tokens).toBeGreaterThan(0);
        expect(answer.usage!.completion_tokens).toBeLessThanOrEqual(24);
        expect(answer.usage!.total_tokens).toBe(answer.usage!.prompt_tokens + answer.usage!.completion_tokens);
        const t = timingsOf(answer);
        expect(t.prompt_n + t.cache_n).toBe(answer.usage!.prompt_tokens);
        expect(t.predicted_n).toBe(answer.usage!.completion_tokens);
        expect(t.prompt_ms).toBeGreaterThan(0);
        expect(t.prompt_per_second).toBeCloseTo(1000 * t.prompt_n / t.prompt_ms, 0);
        // the prompt and the answer (the last token sampled may not have been read back in)
        expect(t.tokens_in_context).toBeGreaterThanOrEqual(answer.usage!.total_tokens - 1);
        expect(t.tokens_in_context).toBeLessThanOrEqual(answer.usage!.total_tokens);
        // the engine's computed figures, from the model's shape: kept KV heads x tokens + the fixed recurrent state
        expect(t.cache_bytes_computed).toBe(t.tokens_in_context * rf!.kv_bytes_per_token + rf!.recurrent_state_bytes);
        expect(t.dense_cache_bytes_computed).toBe(t.tokens_in_context * rf!.dense_kv_bytes_per_token);
        expect(t.recurrent_state_share).toBeCloseTo(rf!.recurrent_state_bytes / t.cache_bytes_computed, 3);
        // llama.cpp's own state of this sequence: the same KV and state, plus 12 bytes of position / sequence ids per cell and headers
        const at = t.cache_bytes_measured_at_tokens!;
        expect(Math.abs(t.cache_bytes_measured! - (at * rf!.kv_bytes_per_token + rf!.recurrent_state_bytes))).toBeLessThan(at * 16 + 4096);

        const plain = await client.chat.completions.create({model: "dense", messages: [{role: "user", content: "Hello"}], max_tokens: 8, temperature: 0});
        const d = timingsOf(plain);
        expect(d.recurrent_state_bytes).toBe(0);
        expect(d.recurrent_state_share).toBe(0);
        expect(d.cache_bytes_computed).toBe(d.tokens_in_context * dense!.kv_bytes_per_token);
        expect(d.dense_cache_bytes_computed).toBe(d.cache_bytes_computed);
    });

    it("streams the same answer it gives without streaming, ending with usage and timings", async () => {
        const request = {model: "recurformer", messages: [{role: "user" as const, content: "Name a large river in Africa."}], max_tokens: 32, temperature: 0};
        const whole = await client.chat.completions.create(request);
        const stream = await client.chat.completions.create({...request, stream: true, stream_options: {include_usage: true}});
        let text = "";
        let chunks = 0;
        let finish: string | null | undefined;
        let last: object | undefined;
        let usage: OpenAI.CompletionUsage | undefined | null;
        for await (const chunk of stream) {
            text += chunk.choices[0]?.delta.content ?? "";
            chunks++;
            if (chunk.choices[0]?.finish_reason != null) {
                finish = chunk.choices[0].finish_reason;
                last = chunk;
            }
            if (chunk.usage != null)
                usage = chunk.usage;
        }
        expect(text).toBe(whole.choices[0]!.message.content);
        expect(chunks).toBeGreaterThan(3);
        expect(finish).toBe(whole.choices[0]!.finish_reason);
        expect(usage!.completion_tokens).toBe(whole.usage!.completion_tokens);
        expect(timingsOf(last!).predicted_n).toBe(whole.usage!.completion_tokens);
        expect(timingsOf(last!).cache_bytes_computed).toBeGreaterThan(0);
    });

    it("completes a raw prompt, streamed and not, and ends before a stop string", async () => {
        const prompt = "1, 2, 3, 4, 5, 6, 7,";
        const whole = await client.completions.create({model: "recurformer", prompt, max_tokens: 12, temperature: 0});
        expect(whole.choices[0]!.finish_reason).toBe("length");
        expect(whole.usage!.completion_tokens).toBe(12);
        const text = whole.choices[0]!.text;
        const stream = await client.completions.create({model: "recurformer", prompt, max_tokens: 12, temperature: 0, stream: true});
        let streamed = "";
        for await (const chunk of stream)
            streamed += chunk.choices[0]?.text ?? "";
        expect(streamed).toBe(text);

        // a stop string from the answer, from its middle or the nearest place before it where it first appears
        // (a small model's raw completion can repeat itself from its first token: " 7, 7, 7,"): the text before it,
        // finish "stop"
        const middle = Math.floor(text.length / 2);
        const cut = [...Array(middle).keys()].map((i) => middle - i).find((k) => text.indexOf(text.slice(k, k + 3)) === k);
        expect(cut, `no 3 characters of ${JSON.stringify(text)} appear first after its start`).toBeGreaterThan(0);
        const stop = text.slice(cut!, cut! + 3);
        const stopped = await client.completions.create({model: "recurformer", prompt, max_tokens: 12, temperature: 0, stop: ["never appears", stop]});
        expect(stopped.choices[0]!.text).toBe(text.slice(0, cut));
        expect(stopped.choices[0]!.finish_reason).toBe("stop");
    });

    it("samples repeatably with a seed, and differently with other seeds", async () => {
        const ask = (seed: number) => client.chat.completions.create({
            model: "recurformer", messages: [{role: "user", content: "Tell me about the sea."}], max_tokens: 24, temperature: 1.2, top_p: 0.95, seed
        }).then((answer) => answer.choices[0]!.message.content);
        const first = await ask(42);
        expect(await ask(42)).toBe(first);
        const others = await Promise.all([ask(1), ask(2), ask(3)]);
        expect(others.some((text) => text !== first)).toBe(true);
    });

    it("stops the generation in the engine when the client goes away mid-stream", async () => {
        const from = log.length;
        const maxTokens = 900;
        const stream = await client.completions.create({model: "recurformer", prompt: "1, 2, 3, 4, 5, 6, 7,", max_tokens: maxTokens, temperature: 0, stream: true});
        let chunks = 0;
        for await (const chunk of stream) {
            if ((chunk.choices[0]?.text ?? "").length > 0)
                chunks++;
            if (chunks === 4)
                break; // ends the iteration: the client aborts the request
        }
        const abortedAt = Date.now();
        const line = await logLine(/POST \/v1\/completions .* finish=client_gone/, from);
        const generated = Number(/generated=(\d+)/.exec(line)![1]);
        expect(generated).toBeGreaterThanOrEqual(4);
        expect(generated).toBeLessThan(maxTokens / 4);
        // the sequence is free again long before 900 tokens could have been decoded
        while ((await health()).models[0]!.generating > 0)
            await new Promise((resolve) => setTimeout(resolve, 10));
        expect(Date.now() - abortedAt).toBeLessThan(3000);
    });

    it("serves two clients at once on two sequences, each its own answer", async () => {
        const ask = (content: string) => client.chat.completions.create({model: "recurformer", messages: [{role: "user", content}], max_tokens: 48, temperature: 0, stream: true})
            .then(async (stream) => {
                let text = "";
                let first = 0;
                for await (const chunk of stream) {
                    const piece = chunk.choices[0]?.delta.content ?? "";
                    if (piece.length > 0 && first === 0)
                        first = Date.now();
                    text += piece;
                }
                return {text, first, last: Date.now()};
            });
        // two questions the default model answers differently (a self-description, a definition)
        const questions = ["Hello! What can you do?", "What does \"ephemeral\" mean?"];
        const together = await Promise.all(questions.map(ask));
        // they ran at the same time: each began before the other ended
        expect(together[0]!.first).toBeLessThan(together[1]!.last);
        expect(together[1]!.first).toBeLessThan(together[0]!.last);
        const alone = [await ask(questions[0]!), await ask(questions[1]!)];
        expect(together[0]!.text).not.toBe(together[1]!.text);
        expect(together.map((answer) => answer.text)).toEqual(alone.map((answer) => answer.text));
    });

    it("lets a third client wait for a free sequence, in turn, and answers it just the same", async () => {
        const ask = (content: string) => client.chat.completions.create({model: "recurformer", messages: [{role: "user", content}], max_tokens: 24, temperature: 0});
        const questions = ["Name a river in Europe.", "What is a mountain?", "Tell me about the moon."];
        const together = await Promise.all(questions.map(ask));
        const queued = together.map((answer) => timingsOf(answer).queued_ms);
        // two ran at once (the model's two sequences); one waited for the first of them to finish
        expect(queued.filter((ms) => ms > 20)).toHaveLength(1);
        const alone = [];
        for (const question of questions)
            alone.push((await ask(question)).choices[0]!.message.content);
        expect(together.map((answer) => answer.choices[0]!.message.content)).toEqual(alone);
    });

    it("reads only the new part of a follow-up (and, on a KV-cache model, of a new question about the same document) and says so in timings", async () => {
        const document = "The river runs north of the old stone city, past the mill and the market. ".repeat(16);
        const first = [{role: "user" as const, content: `${document}\nWhere does the river run?`}];
        const one = await client.chat.completions.create({model: "recurformer", messages: first, max_tokens: 24, temperature: 0});
        expect(timingsOf(one).cache_n).toBe(0);
        const followUp = [...first, {role: "assistant" as const, content: one.choices[0]!.message.content!}, {role: "user" as const, content: "And what is past the mill?"}];
        const two = await client.chat.completions.create({model: "recurformer", messages: followUp, max_tokens: 24, temperature: 0});
        const t = timingsOf(two);
        expect(t.cache_n).toBeGreaterThanOrEqual(one.usage!.prompt_tokens - 1);
        expect(t.prompt_n).toBeLessThan(two.usage!.prompt_tokens - one.usage!.prompt_tokens + 2);
        expect(t.cache_n + t.prompt_n).toBe(two.usage!.prompt_tokens);
        expect(two.usage!.prompt_tokens_details!.cached_tokens).toBe(t.cache_n);

        // a new question about the same document: a KV cache keeps the document, only the question is read
        // (a recurrent model keeps only what its checkpoints hold, at message ends: Conversations.ts)
        const ask = (question: string) => client.chat.completions.create({model: "dense", messages: [{role: "user", content: `${document}\n${question}`}], max_tokens: 8, temperature: 0});
        const where = await ask("Where does the river run?");
        const what = await ask("What is past the mill?");
        expect(timingsOf(what).cache_n).toBeGreaterThan(where.usage!.prompt_tokens - 16);
        expect(timingsOf(what).prompt_n).toBeLessThan(16);
    });

    it("refuses a prompt longer than the context with a 400 and the token counts, and reads none of it", async () => {
        const from = log.length;
        const error = await client.chat.completions.create({
            model: "recurformer", messages: [{role: "user", content: "word ".repeat(1500)}], max_tokens: 8
        }).catch((err: unknown) => err);
        expect(error).toBeInstanceOf(OpenAI.BadRequestError);
        const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
        expect(bad.status).toBe(400);
        expect(bad.code).toBe("context_length_exceeded");
        expect(bad.param).toBe("messages");
        const body = bad.error as {prompt_tokens: number, context_size: number};
        expect(body.context_size).toBe(contextSize);
        expect(body.prompt_tokens).toBeGreaterThan(contextSize);
        expect(bad.message).toContain(`${body.prompt_tokens} tokens`);
        const line = await logLine(/POST \/v1\/chat\/completions 400/, from);
        expect(line).not.toContain("generated=");

        const tooMany = await client.completions.create({model: "recurformer", prompt: "Once upon a time", max_tokens: contextSize}).catch((err: unknown) => err);
        expect(tooMany).toBeInstanceOf(OpenAI.BadRequestError);
        expect((tooMany as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("max_tokens");
    });

    it("answers a wrong or missing key with 401 in OpenAI's error shape", async () => {
        const wrong = new OpenAI({baseURL: `${base}/v1`, apiKey: "rf-not-the-key", maxRetries: 0});
        const error = await wrong.models.list().catch((err: unknown) => err);
        expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
        expect((error as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe("invalid_api_key");
        const missing = await post("/v1/chat/completions", JSON.stringify({messages: [{role: "user", content: "hi"}]}), {});
        expect(missing.status).toBe(401);
        expect(await missing.json()).toEqual({error: {message: expect.stringContaining("Authorization: Bearer"), type: "authentication_error", param: null, code: "missing_api_key"}});
    });

    it("answers malformed JSON, an unknown model and absurd values with 400 naming what is wrong", async () => {
        const malformed = await post("/v1/chat/completions", "{\"messages\": [");
        expect(malformed.status).toBe(400);
        expect(await malformed.json()).toMatchObject({error: {type: "invalid_request_error", code: "invalid_json"}});

        const unknown = await client.chat.completions.create({model: "gpt-4o", messages: [{role: "user", content: "hi"}]}).catch((err: unknown) => err);
        expect(unknown).toBeInstanceOf(OpenAI.BadRequestError);
        expect((unknown as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("model_not_found");
        expect((unknown as Error).message).toContain("recurformer, dense");

        for (const [field, value] of [["temperature", 7], ["max_tokens", -3], ["top_p", 2], ["n", 3]] as const) {
            const response = await post("/v1/chat/completions", JSON.stringify({model: "recurformer", messages: [{role: "user", content: "hi"}], [field]: value}));
            expect(response.status, field).toBe(400);
            expect((await response.json() as {error: {param: string}}).error.param, field).toBe(field);
        }
        const route = await fetch(`${base}/v1/embeddings`, {headers: {Authorization: `Bearer ${apiKey}`}});
        expect(route.status).toBe(404);
        expect(await route.json()).toMatchObject({error: {code: "unknown_route"}});
        expect((await health()).status).toBe("ok");
    });
});

describe("recurformer api, when its engine dies", {timeout: 120_000}, () => {
    it("ends the answer in flight with an error in OpenAI's shape and answers the next request on a new engine", async () => {
        const before = await health() as Awaited<ReturnType<typeof health>> & {engine: {pid: number, restarts: number}};
        const stream = await client.completions.create({model: "recurformer", prompt: "1, 2, 3, 4, 5, 6, 7,", max_tokens: 900, temperature: 0, stream: true});
        let killed = false;
        const failure = await (async () => {
            for await (const chunk of stream) {
                if (!killed && (chunk.choices[0]?.text ?? "").length > 0) {
                    process.kill(before.engine.pid, "SIGKILL");
                    killed = true;
                }
            }
        })().catch((err: unknown) => err);
        expect(failure).toBeInstanceOf(OpenAI.APIError);
        expect((failure as Error).message).toContain("EngineCrashedError");
        const next = await client.chat.completions.create({model: "recurformer", messages: [{role: "user", content: "Hello"}], max_tokens: 4, temperature: 0});
        expect(next.choices[0]!.message.content!.length).toBeGreaterThan(0);
        const after = await health() as typeof before;
        expect(after.engine.restarts).toBe(1);
        expect(after.engine.pid).not.toBe(before.engine.pid);
        expect(log.some((line) => /engine: the engine process is gone \(1 restart\)/.test(line))).toBe(true);
    });
});

describe("recurformer api, command line", () => {
    it("refuses to listen beyond loopback without --allow-remote", async () => {
        const result = await runCli(["api", "--host", "0.0.0.0", "--port", "0"]);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain("--allow-remote");
    });
});
