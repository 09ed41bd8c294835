// The API server's pieces that need no engine: stop strings cut as text streams in, the fair line
// of requests for a model's sequences, request checks, and which sequence a chat lands on.
import {describe, expect, it} from "vitest";
import {StopStrings} from "../../engine/runtime/api-server/StopStrings.js";
import {SequenceLanes} from "../../engine/runtime/api-server/SequenceLanes.js";
import {parseGenerationRequest} from "../../engine/runtime/api-server/generationRequest.js";
import {ApiError} from "../../engine/runtime/api-server/ApiError.js";
import {Conversations} from "../../engine/runtime/api-server/Conversations.js";

function streamThrough(stops: string[], pieces: string[]): {out: string, stopped: boolean} {
    const matcher = new StopStrings(stops);
    let out = "";
    for (const piece of pieces) {
        out += matcher.push(piece);
        if (matcher.stopped)
            break;
    }
    out += matcher.flush();
    return {out, stopped: matcher.stopped};
}

describe("stop strings", () => {
    it("end the answer before a stop string split across pieces, and never send part of it", () => {
        const matcher = new StopStrings(["\nUser:"]);
        expect(matcher.push("Hello")).toBe("Hello");
        expect(matcher.push(" there\nUs")).toBe(" there");
        expect(matcher.push("er: more")).toBe("");
        expect(matcher.stopped).toBe(true);
        expect(matcher.flush()).toBe("");
    });

    it("give back what they held when it was not a stop string after all", () => {
        expect(streamThrough(["END"], ["abc E", "N", "d of it"])).toEqual({out: "abc ENd of it", stopped: false});
        expect(streamThrough(["END"], ["abc EN"])).toEqual({out: "abc EN", stopped: false});
    });

    it("stop at the earliest of several", () => {
        expect(streamThrough(["zz", "b"], ["aab", "zz"])).toEqual({out: "aa", stopped: true});
        expect(streamThrough([], ["a", "b"])).toEqual({out: "ab", stopped: false});
    });
});

describe("sequence lanes", () => {
    it("run as many as the model has sequences and let the rest in by arrival", async () => {
        const lanes = new SequenceLanes(2);
        const signal = new AbortController().signal;
        const order: string[] = [];
        const a = await lanes.acquire(signal);
        const b = await lanes.acquire(signal);
        const c = lanes.acquire(signal).then((release) => (order.push("c"), release));
        const d = lanes.acquire(signal).then((release) => (order.push("d"), release));
        expect([lanes.running, lanes.queued]).toEqual([2, 2]);
        b();
        (await c)();
        a();
        (await d)();
        expect(order).toEqual(["c", "d"]);
        expect([lanes.running, lanes.queued]).toEqual([0, 0]);
    });

    it("drop a waiting request whose client went away", async () => {
        const lanes = new SequenceLanes(1);
        const release = await lanes.acquire(new AbortController().signal);
        const gone = new AbortController();
        const waiting = lanes.acquire(gone.signal);
        const next = lanes.acquire(new AbortController().signal);
        gone.abort(new Error("client gone"));
        await expect(waiting).rejects.toThrow("client gone");
        expect(lanes.queued).toBe(1);
        release();
        (await next)();
        expect(lanes.running).toBe(0);
    });
});

describe("request checks", () => {
    const chat = (fields: object) => parseGenerationRequest("chat", {model: "m", messages: [{role: "user", content: "hi"}], ...fields});
    const refusal = (run: () => unknown) => {
        try {
            run();
        } catch (err) {
            expect(err).toBeInstanceOf(ApiError);
            return {status: (err as ApiError).status, param: (err as ApiError).param, code: (err as ApiError).code};
        }
        throw new Error("accepted");
    };

    it("take OpenAI's fields and defaults", () => {
        expect(chat({max_tokens: 5, temperature: 0, top_p: 0.9, seed: 7, stop: "x", stream: true, stream_options: {include_usage: true}})).toEqual({
            kind: "chat", model: "m", messages: [{role: "user", content: "hi"}], prompt: "", maxTokens: 5,
            sampling: {temperature: 0, topP: 0.9, seed: 7}, stop: ["x"], stream: true, includeUsage: true
        });
        expect(chat({}).sampling).toEqual({temperature: 1});
        expect(parseGenerationRequest("chat", {messages: [{role: "developer", content: [{type: "text", text: "a"}, {type: "text", text: "b"}]}, {role: "user", content: "q"}]}).messages)
            .toEqual([{role: "system", content: "a\nb"}, {role: "user", content: "q"}]);
    });

    it("refuse absurd values with the field named, and unsupported ones instead of ignoring them", () => {
        expect(refusal(() => chat({temperature: 5}))).toEqual({status: 400, param: "temperature", code: "invalid_value"});
        expect(refusal(() => chat({max_tokens: 0}))).toEqual({status: 400, param: "max_tokens", code: "invalid_value"});
        expect(refusal(() => chat({max_tokens: 2.5}))).toEqual({status: 400, param: "max_tokens", code: "invalid_value"});
        expect(refusal(() => chat({top_p: 0}))).toEqual({status: 400, param: "top_p", code: "invalid_value"});
        expect(refusal(() => chat({seed: -1}))).toEqual({status: 400, param: "seed", code: "invalid_value"});
        expect(refusal(() => chat({stop: ["a", "b", "c", "d", "e"]}))).toEqual({status: 400, param: "stop", code: "invalid_value"});
        expect(refusal(() => chat({n: 2}))).toEqual({status: 400, param: "n", code: "unsupported_parameter"});
        expect(refusal(() => chat({messages: []}))).toEqual({status: 400, param: "messages", code: "invalid_value"});
        expect(refusal(() => chat({messages: [{role: "user", content: "a"}, {role: "assistant", content: "b"}]}))).toEqual({status: 400, param: "messages[1].role", code: "invalid_value"});
        expect(refusal(() => chat({messages: [{role: "user", content: [{type: "image_url", image_url: {url: "x"}}]}]}))).toEqual({status: 400, param: "messages[0].content[0]", code: "invalid_value"});
        expect(refusal(() => parseGenerationRequest("complete", {prompt: ["a", "b"]}))).toEqual({status: 400, param: "prompt", code: "unsupported_parameter"});
        expect(refusal(() => parseGenerationRequest("chat", [1]))).toEqual({status: 400, param: "body", code: "invalid_body"});
        // off values of unsupported fields are fine (clients send them)
        expect(chat({n: 1, presence_penalty: 0, frequency_penalty: 0, logprobs: false}).maxTokens).toBeUndefined();
    });
});

describe("conversation keys", () => {
    const user = (content: string) => ({role: "user" as const, content});
    const kv = {withinMessages: true};
    const document = "The harbour office opens at seven. ".repeat(20);

    it("put a follow-up, a regenerate and a new question about the same document where their start already is", () => {
        const conversations = new Conversations();
        const first = conversations.claim("m", [user(`${document}Q1`)], kv);
        first.done("A1");
        const followUp = conversations.claim("m", [user(`${document}Q1`), {role: "assistant", content: "A1"}, user("Q2")], kv);
        expect(followUp.key).toBe(first.key);
        followUp.done("A2");
        expect(conversations.claim("m", [user(`${document}Q1`), {role: "assistant", content: "A1"}, user("Q2")], kv).key).toBe(first.key);
    });

    it("share a document between single questions, but not a short greeting, another model's sequence or a busy one", () => {
        const conversations = new Conversations();
        const a = conversations.claim("m", [user(`${document}Where is the office?`)], kv);
        a.done("Here.");
        const b = conversations.claim("m", [user(`${document}When does it open?`)], kv);
        expect(b.key).toBe(a.key);
        // b is still running: a third question about the document gets a sequence of its own
        const c = conversations.claim("m", [user(`${document}Who runs it?`)], kv);
        expect(c.key).not.toBe(a.key);
        b.done("At seven.");
        c.done("Nobody.");
        const greeting = conversations.claim("m", [user("Hello there, how are you today?")], kv);
        expect([a.key, c.key]).not.toContain(greeting.key);
        greeting.done("Fine.");
        expect(conversations.claim("other", [user(`${document}Where is the office?`)], kv).key).not.toBe(a.key);
    });

    it("for a recurrent model, share whole messages only (its checkpoints are at message ends)", () => {
        const conversations = new Conversations();
        const recurrent = {withinMessages: false};
        const a = conversations.claim("m", [user(`${document}Where is the office?`)], recurrent);
        a.done("Here.");
        expect(conversations.claim("m", [user(`${document}When does it open?`)], recurrent).key).not.toBe(a.key);
        expect(conversations.claim("m", [user(`${document}Where is the office?`), {role: "assistant", content: "Here."}, user("And?")], recurrent).key).toBe(a.key);
    });
});
