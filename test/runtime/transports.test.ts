// The client works the same over Electron's utilityProcess (here a stand-in built on child_process.fork
// with utilityProcess's interface: postMessage, "message", "exit" with a code only).
import {fork, type ChildProcess} from "node:child_process";
import {EventEmitter} from "node:events";
import {beforeAll, describe, expect, it} from "vitest";
import {EngineClient} from "../../engine/runtime/client/EngineClient.js";
import {UtilityProcessTransport, type UtilityProcessChild, type UtilityProcessModule} from "../../engine/runtime/client/UtilityProcessTransport.js";
import {EngineCrashedError} from "../../engine/runtime/errors/EngineCrashedError.js";
import {ensureCompiled, ensureFixtures, engineMainJs, fixture} from "./helpers.js";

class FakeUtilityChild extends EventEmitter implements UtilityProcessChild {
    public constructor(private readonly child: ChildProcess) {
        super();
        child.on("message", (message) => this.emit("message", message));
        child.on("exit", (code) => this.emit("exit", code ?? -1));
    }
    public get pid() { return this.child.pid; }
    public get stdout() { return this.child.stdout; }
    public get stderr() { return this.child.stderr; }
    public postMessage(message: unknown): void { this.child.send(message as object); }
    public kill(): boolean { return this.child.kill("SIGKILL"); }
}

const fakeUtilityProcess: UtilityProcessModule = {
    fork: (modulePath, args, options) => new FakeUtilityChild(fork(modulePath, args ?? [], {
        stdio: ["ignore", "pipe", "pipe", "ipc"], serialization: "advanced", ...(options?.env != null ? {env: options.env} : {})
    }))
};

beforeAll(() => {
    ensureFixtures();
    ensureCompiled();
}, 180_000);

describe("UtilityProcessTransport", {timeout: 60_000}, () => {
    it("runs the same protocol, and a killed engine is a crash", async () => {
        const engine = await EngineClient.start({transport: () => new UtilityProcessTransport(fakeUtilityProcess, {modulePath: engineMainJs})});
        const progress: string[] = [];
        const loaded = await engine.load("m", {modelPath: fixture("rf-gqa-r4.gguf"), contextSize: 256}, {onProgress: (m) => progress.push(m)});
        expect(loaded.shape.architecture).toBe("recurformer");
        expect(progress.at(-1)).toBe("loading 100%");
        const result = await engine.complete({modelId: "m", prompt: "The river", maxTokens: 4});
        expect(result.generatedTokens).toBeGreaterThan(0);
        await engine.kill();
        await expect(engine.complete({modelId: "m", prompt: "x"})).rejects.toBeInstanceOf(EngineCrashedError);
    });
});
