// `recurformer engine --listen`: the engine run headless by the real CLI process, driven by a second
// process (this one) over loopback through WebSocketTransport, exactly as a local engine is: a chat
// with a document gives the local engine's answer; the remote engine killed mid-turn fails that turn
// with EngineCrashedError while the host stays up, and a new connection answers the same again.
import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import WebSocket from "ws";
import {EngineClient} from "../../engine/runtime/client/EngineClient.js";
import {WebSocketTransport} from "../../engine/runtime/client/WebSocketTransport.js";
import {EngineCrashedError} from "../../engine/runtime/errors/EngineCrashedError.js";
import {EngineUnreachableError} from "../../engine/runtime/errors/EngineUnreachableError.js";
import {modelFolders} from "../../engine/runtime/defaultModel.js";
import {documentQuestionMessages} from "../../engine/runtime/documentQuestion.js";
import {decodeFrame, type HostFrame} from "../../engine/runtime/remote/frames.js";
import {root, runCli, startEngine} from "./helpers.js";
import {startEngineHost, type EngineHostProcess} from "./engineHost.js";

const token = "remote-test-token";
const modelPath = path.join(modelFolders(root)[0]!, "recurformer.gguf");
const document = fs.readFileSync(path.join(root, "test", "e2e", "support", "planted-fact-4k.txt"), "utf8");
const messages = documentQuestionMessages([{name: "vault-codes.txt", text: document}], "What is the access code for the Pine Forge vault?");
const load = {modelPath, contextSize: 4352, sequences: 1};
let host: EngineHostProcess;
let url = "";
let hostLog: string[] = [];

beforeAll(async () => {
    host = await startEngineHost(token);
    url = host.url;
    hostLog = host.log;
}, 60_000);

afterAll(async () => {
    await host?.stop();
});

const remote = () => EngineClient.start({transport: () => new WebSocketTransport(url, token)});

describe("the remote engine on loopback", {timeout: 180_000}, () => {
    it("answers a chat with a document exactly as a local engine does", async () => {
        const local = await startEngine();
        const far = await remote();
        try {
            expect(far.pid).not.toBe(local.pid);
            const [a, b] = [await local.load("rf", load), await far.load("rf", load)];
            expect(b.shape).toEqual(a.shape);
            const here = await local.chat({modelId: "rf", chatId: "doc", messages, maxTokens: 16});
            let streamed = "";
            const there = await far.chat({modelId: "rf", chatId: "doc", messages, maxTokens: 16}, {onToken: (text) => streamed += text});
            expect(there.text).toBe(here.text);
            expect(streamed).toBe(there.text);
            expect(there.text).toContain("1876");
            expect(there.promptTokens).toBe(here.promptTokens);
            expect(there.metrics.cacheBytesComputed).toBe(here.metrics.cacheBytesComputed);
            expect(there.metrics.stateBytesMeasured).toBe(here.metrics.stateBytesMeasured);
        } finally {
            await local.shutdown();
            await far.shutdown();
        }
        expect(hostLog.some((line) => /engine process ended \(code 0\)/.test(line))).toBe(true);
    });

    it("killed mid-turn fails that turn with EngineCrashedError; the host stays up and a new connection answers the same", async () => {
        const first = await remote();
        await first.load("rf", load);
        let crashed: EngineCrashedError | undefined;
        first.chat({modelId: "rf", chatId: "doc", messages, maxTokens: 16}, {
            // the first metrics come while the document is being read: kill the remote engine process then
            onMetrics: () => first.pid != null && process.kill(first.pid, "SIGKILL")
        }).catch((err: unknown) => crashed = err as EngineCrashedError);
        const end = Date.now() + 120_000;
        while (crashed == null && Date.now() < end)
            await new Promise((resolve) => setTimeout(resolve, 20));
        expect(crashed).toBeInstanceOf(EngineCrashedError);
        expect(crashed!.signal).toBe("SIGKILL");
        expect(first.running).toBe(false);

        const again = await remote();
        try {
            await again.load("rf", load);
            const answer = await again.chat({modelId: "rf", chatId: "doc", messages, maxTokens: 16});
            expect(answer.text).toContain("1876");
            expect(answer.stopReason).toBe("eos");
        } finally {
            await again.shutdown();
        }
    });

    it("ends a connection's engine process when the connection drops without a word", async () => {
        const socket = new WebSocket(url, {headers: {authorization: `Bearer ${token}`}});
        const pid = await new Promise<number>((resolve, reject) => {
            socket.on("message", (data: Buffer) => {
                const frame = decodeFrame<HostFrame>(data);
                if (frame?.t === "m" && frame.m.type === "ready")
                    resolve(frame.m.pid);
            });
            socket.on("error", reject);
        });
        const alive = () => {
            try {
                process.kill(pid, 0);
                return true;
            } catch {
                return false;
            }
        };
        expect(alive()).toBe(true);
        socket.terminate();
        const end = Date.now() + 10_000;
        while (alive() && Date.now() < end)
            await new Promise((resolve) => setTimeout(resolve, 20));
        expect(alive()).toBe(false);
        expect(hostLog.some((line) => /closed: ending its engine process/.test(line))).toBe(true);
    });

    it("loads a model the client names by its own path from the host's model folders when that path is not on the host", async () => {
        const far = await remote();
        try {
            const elsewhere = path.join("/nowhere-on-this-host", "laptop", "models", path.basename(modelPath));
            const loaded = await far.load("rf", {...load, modelPath: elsewhere});
            expect(loaded.shape.architecture).toBe("recurformer");
            expect(hostLog.some((line) => line.includes(`${elsewhere} is not on this machine; using ${modelPath}`))).toBe(true);
            const missing = await far.load("x", {...load, modelPath: "/nowhere-on-this-host/no-such-model.gguf"}).catch((err: unknown) => err);
            expect((missing as Error).message).toContain("no-such-model.gguf");
        } finally {
            await far.shutdown();
        }
    });

    it("refuses a wrong token before any engine starts", async () => {
        const started = hostLog.filter((line) => /engine process \d+/.test(line)).length;
        const error = await EngineClient.start({transport: () => new WebSocketTransport(url, "not-the-token")}).catch((err: unknown) => err);
        expect(error).toBeInstanceOf(EngineUnreachableError);
        expect(error).toBeInstanceOf(EngineCrashedError);
        expect((error as EngineUnreachableError).refused).toBe(true);
        expect((error as Error).message).toBe(`The remote engine at ${url} refused the connection (HTTP 401): wrong token: it is not the one the engine was started with (--token)`);
        expect(hostLog.filter((line) => /engine process \d+/.test(line)).length).toBe(started);
    });

    it("says which address it could not reach when no host listens there", async () => {
        const nowhere = "ws://127.0.0.1:1/engine";
        const error = await EngineClient.start({transport: () => new WebSocketTransport(nowhere, token)}).catch((err: unknown) => err);
        expect(error).toBeInstanceOf(EngineUnreachableError);
        expect((error as EngineUnreachableError).refused).toBe(false);
        expect((error as Error).message).toMatch(/^Could not reach the remote engine at ws:\/\/127\.0\.0\.1:1\/engine: connect ECONNREFUSED/);
    });

    it("listens beyond loopback only with --allow-remote", async () => {
        const result = await runCli(["engine", "--listen", "0.0.0.0:0"]);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain("--allow-remote");
    });
});
