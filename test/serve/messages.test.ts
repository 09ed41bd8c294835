/**
 * Hostile serve-mode messages against a real `npm run serve` process: generated malformed,
 * wrongly typed and oversized WebSocket messages and frames, each with the reply it must get (a
 * named error) or the close code it must cause, each within 2 s; afterwards the process is alive
 * and answers, and every chat is as it was, in memory and on disk.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiSocket, call, frame, nextReply, rawFrames, spawnServe, type ServeProcess } from "./support/serveProcess";

type Expect =
    | { name: string; message: RegExp; id?: number | null }
    | { close: number };

interface Case {
    label: string;
    /** a text frame (string), a binary frame (Buffer), or raw frames after the handshake */
    send: string | Buffer | { raw: Buffer[] };
    expect: Expect;
}

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const msg = (value: Record<string, unknown>) => JSON.stringify(value);
const notObject = /must be a JSON object \{id, method, params\}/;
const notJson = /^The message is not JSON/;
const badId = /^id must be a non-negative integer below 2\^53/;
const unknownMethod = /^unknown method /;
const invalid = (message: RegExp, id: number | null = null): Expect => ({ name: "InvalidRequestError", message, id });

function cases(chatIds: string[]): Case[] {
    const [a, b] = chatIds as [string, string];
    const out: Case[] = [];
    // not an object
    for (const v of ["null", "true", "false", "0", "42", "-1", "\"app.info\"", "[]", "[1,2,3]", "[{\"id\":1,\"method\":\"app.info\"}]", "[".repeat(100_000) + "]".repeat(100_000)]) {
        out.push({ label: `top-level ${v.slice(0, 20)}`, send: v, expect: invalid(notObject) });
    }
    // not JSON
    for (const v of ["", " ", "{", "}", "{\"id\":1,", "{'id':1}", "nul", "NaN", "undefined", "{\"id\":1,\"method\":\"app.info\"}}", "{\"id\":01}", "\u0000", "{\"a\":\"\\x\"}"]) {
        out.push({ label: `not JSON ${JSON.stringify(v).slice(0, 20)}`, send: v, expect: invalid(notJson) });
    }
    // unusable ids
    for (const id of ["\"1\"", "-1", "1.5", "1e308", "1e400", "9007199254740992", "null", "{}", "[]", "true", `"${"9".repeat(100_000)}"`]) {
        out.push({ label: `id ${id.slice(0, 20)}`, send: `{"id":${id},"method":"app.info"}`, expect: invalid(badId) });
    }
    out.push({ label: "no id", send: msg({ method: "app.info" }), expect: invalid(badId) });
    // methods
    for (const method of [undefined, 42, null, "nope", "__proto__", "constructor", "toString", "hasOwnProperty", "app.info ", "APP.INFO", "x".repeat(200_000), ["app.info"]]) {
        out.push({ label: `method ${JSON.stringify(method)?.slice(0, 20)}`, send: msg({ id: 7, method }), expect: invalid(unknownMethod, 7) });
    }
    out.push({ label: "extra key", send: msg({ id: 8, method: "app.info", jsonrpc: "2.0" }), expect: invalid(/"jsonrpc" is not allowed in a message/, 8) });
    out.push({ label: "__proto__ key", send: "{\"id\":9,\"method\":\"app.info\",\"__proto__\":{\"polluted\":1}}", expect: invalid(/"__proto__" is not allowed/, 9) });
    // params of the wrong type or size, aimed at the chats that must stay intact
    const p = (id: number, method: string, params: unknown, name: string, message: RegExp): Case => ({ label: `${method} ${JSON.stringify(params)?.slice(0, 40)}`, send: msg({ id, method, params }), expect: { name, message, id } });
    out.push(
        p(10, "chats.get", null, "InvalidRequestError", /^params must be an object/),
        p(11, "chats.get", "x", "InvalidRequestError", /^params must be an object/),
        p(12, "chats.get", { chatId: 5 }, "InvalidRequestError", /^params\.chatId must be a string/),
        p(13, "chats.get", { chatId: "../chats/x" }, "InvalidRequestError", /^params\.chatId has an invalid format/),
        p(14, "chats.get", { chatId: "" }, "InvalidRequestError", /^params\.chatId must have at least 1 characters/),
        p(15, "chats.get", { chatId: "c".repeat(1000) }, "InvalidRequestError", /^params\.chatId must have at most 128 characters/),
        p(16, "chats.get", { chatId: "chat-none" }, "ChatNotFoundError", /No chat with id chat-none/),
        p(17, "chats.rename", { chatId: a, title: "t".repeat(201) }, "InvalidRequestError", /^params\.title must have at most 200 characters/),
        p(18, "chats.rename", { chatId: a, title: 7 }, "InvalidRequestError", /^params\.title must be a string/),
        p(19, "chats.rename", { chatId: b, title: "x", extra: 1 }, "InvalidRequestError", /^params\.extra is not allowed/),
        p(20, "chats.delete", { chatId: [a] }, "InvalidRequestError", /^params\.chatId must be a string/),
        p(21, "chats.delete", { chatId: `${a}/../${b}` }, "InvalidRequestError", /^params\.chatId has an invalid format/),
        p(22, "chats.send", { chatId: a, text: { evil: true } }, "InvalidRequestError", /^params\.text must be a string/),
        p(23, "chats.send", { chatId: b, text: "hi", documentIds: Array(17).fill("doc-1") }, "InvalidRequestError", /^params\.documentIds must have at most 16 items/),
        p(24, "chats.send", { chatId: a, text: "t".repeat(4_000_001) }, "InvalidRequestError", /^params\.text must have at most 4000000 characters/),
        p(25, "chats.export", { chatId: a, format: "pdf" }, "InvalidRequestError", /^params\.format must be one of md, json/),
        p(26, "chats.create", { __proto__: null, modelId: 3 }, "InvalidRequestError", /^params\.modelId must be a string/),
        p(27, "models.setSettings", { modelId: "m", settings: { contextSize: -1 } }, "InvalidRequestError", /^params\.settings\.contextSize must be at least 64/),
        p(28, "models.setSettings", { modelId: "m", settings: { cacheType: "q4" } }, "InvalidRequestError", /^params\.settings\.cacheType must be one of f16, q8_0/),
        p(29, "models.load", { modelId: "no-such-model" }, "ModelNotFoundError", /No model with id no-such-model/),
        p(30, "app.info", { x: 1 }, "InvalidRequestError", /^params takes no parameters/),
        p(31, "documents.ingest", { source: { kind: "path", path: "/etc/passwd" } }, "UserError", /paths are accepted only from the desktop app/),
        p(32, "documents.ingest", { source: { kind: "upload", uploadId: "doc-none", name: "a.txt" } }, "UserError", /That upload is not known/),
        p(33, "documents.ingest", { source: { kind: "ftp" } }, "InvalidRequestError", /^params\.source must be \{kind: 'path', path\}/),
        p(34, "documents.cut", { documentId: "d", modelId: "m", maxTokens: 0 }, "InvalidRequestError", /^params\.maxTokens must be at least 1/),
        p(35, "compare.start", { prompt: "" }, "InvalidRequestError", /^params\.prompt must have at least 1 characters/),
    );
    out.push({ label: "chats.create with a 100000-deep params", send: `{"id":36,"method":"chats.create","params":${"{\"a\":".repeat(100_000)}1${"}".repeat(100_000)}}`, expect: invalid(/^params\.a is not allowed/, 36) });
    // frames
    out.push({ label: "binary frame", send: Buffer.from(msg({ id: 1, method: "app.info" })), expect: invalid(/must be text frames/) });
    out.push({ label: "oversized frame (16 MiB + 1)", send: "x".repeat(MAX_MESSAGE_BYTES + 1), expect: { close: 1009 } });
    out.push({ label: "invalid UTF-8 in a text frame", send: { raw: [frame(1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))] }, expect: { close: 1007 } });
    out.push({ label: "unmasked client frame", send: { raw: [frame(1, Buffer.from("{}"), { masked: false })] }, expect: { close: 1002 } });
    out.push({ label: "reserved opcode 3", send: { raw: [frame(3, Buffer.from("{}"))] }, expect: { close: 1002 } });
    out.push({ label: "RSV1 without an extension", send: { raw: [frame(1, Buffer.from("{}"), { rsv1: true })] }, expect: { close: 1002 } });
    out.push({ label: "ping longer than 125 bytes", send: { raw: [frame(9, Buffer.alloc(200))] }, expect: { close: 1002 } });
    out.push({ label: "fragmented control frame", send: { raw: [frame(8, Buffer.from([3, 232]), { fin: false })] }, expect: { close: 1002 } });
    out.push({ label: "continuation with nothing to continue", send: { raw: [frame(0, Buffer.from("{}"))] }, expect: { close: 1002 } });
    out.push({ label: "declared 2^63-byte frame", send: { raw: [Buffer.from([0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4])] }, expect: { close: 1009 } });
    return out;
}

let serve: ServeProcess;
let origin: string;
let port: number;
let token: string;
const chatIds: string[] = [];
const before = new Map<string, { json: string; file: string }>();

beforeAll(async () => {
    serve = spawnServe(fs.mkdtempSync(path.join(os.tmpdir(), "rf-serve-messages-")));
    ({ origin, port, token } = await serve.ready);
    const ws = await apiSocket(origin, token);
    for (const title of ["First chat", "Second chat", "Third chat"]) {
        const chat = await call<{ id: string }>(ws, 1, "chats.create");
        await call(ws, 2, "chats.rename", { chatId: chat.id, title });
        chatIds.push(chat.id);
    }
    for (const id of chatIds) {
        const json = JSON.stringify(await call(ws, 3, "chats.get", { chatId: id }));
        before.set(id, { json, file: fs.readFileSync(path.join(serve.userData, "chats", `${id}.json`), "utf8") });
    }
    ws.close();
}, 60_000);

afterAll(async () => {
    await serve?.stop();
    if (serve) fs.rmSync(serve.userData, { recursive: true, force: true });
});

describe("serve mode under malformed and oversized messages", () => {
    it("answers every one with its named error or a clean close, within 2 s, and stays up with every chat intact", async () => {
        const all = cases(chatIds);
        expect(all.length).toBeGreaterThanOrEqual(50);
        const failures: string[] = [];
        let expected = 0;
        for (const c of all) {
            const started = Date.now();
            let got: { reply?: { id?: number | null; error?: { name: string; message: string } }; closed?: number };
            if (typeof c.send === "object" && "raw" in c.send) {
                got = { closed: await rawFrames(port, token, c.send.raw, 2500) };
            } else {
                const ws = await apiSocket(origin, token);
                const waiting = nextReply(ws, 2500);
                ws.send(c.send, { binary: Buffer.isBuffer(c.send) });
                got = await waiting;
                ws.terminate();
            }
            const ms = Date.now() - started;
            const e = c.expect;
            const ok = "close" in e
                ? got.closed === e.close
                : got.reply?.error?.name === e.name && e.message.test(got.reply.error.message) && (e.id === undefined || got.reply.id === e.id);
            if (ok && ms <= 2000) expected++;
            else failures.push(`${c.label}: got ${JSON.stringify(got).slice(0, 200)} after ${ms} ms`);
        }
        const ws = await apiSocket(origin, token);
        const info = await call<{ transport: string }>(ws, 99, "app.info");
        let intact = 0;
        for (const id of chatIds) {
            const now = JSON.stringify(await call(ws, 100, "chats.get", { chatId: id }));
            const file = fs.readFileSync(path.join(serve.userData, "chats", `${id}.json`), "utf8");
            if (now === before.get(id)!.json && file === before.get(id)!.file) intact++;
        }
        const chats = await call<unknown[]>(ws, 101, "chats.list");
        ws.close();
        process.stdout.write(`\nserve messages: ${all.length} sent, ${expected} expected replies, process ${serve.alive() ? "alive" : "DEAD"}, ${intact} chats intact\n`);
        expect(failures).toEqual([]);
        expect(serve.alive()).toBe(true);
        expect(info.transport).toBe("browser");
        expect(intact).toBe(3);
        expect(chats).toHaveLength(3);
    }, 240_000);
});
