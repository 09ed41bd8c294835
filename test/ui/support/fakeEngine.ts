/**
 * An in-process engine for unit tests of the app core: it speaks engine/runtime/protocol.ts
 * (ready, inspect, load, tokenize, chat with token and metrics events, stop, shutdown) with
 * shapes and numbers computed the way the real engine computes them. The e2e tests use the
 * real engine; this one only makes the core's logic testable in milliseconds.
 */
import type { Reply, Request, ModelShape, Metrics } from "../../../engine/runtime/protocol";
import type { EngineHost } from "../../../main/core/EngineSupervisor";

export function shapeFor(path: string): ModelShape {
    const recurformer = path.includes("recurformer");
    const layers = 4;
    const headDim = 64;
    const kv = recurformer ? 1 : 8;
    const kvBytesPerToken = layers * kv * headDim * 2 * 2;
    return {
        architecture: recurformer ? "recurformer" : "llama",
        name: recurformer ? "tiny-recurformer" : "tiny-dense",
        layers, embeddingLength: 512, contextLength: 2048, headDim, valueHeadDim: headDim,
        headsPerLayer: Array(layers).fill(recurformer ? 1 : 8),
        kvHeadsPerLayer: Array(layers).fill(kv),
        sourceHeads: recurformer ? 8 : undefined,
        sourceKvHeads: recurformer ? 8 : undefined,
        recurrentLayers: Array(layers).fill(recurformer),
        kvBytesPerToken,
        kvBytesPerTokenByType: { f16: kvBytesPerToken },
        recurrentStateBytes: recurformer ? 523_264 : 0,
        denseKvBytesPerToken: layers * 8 * headDim * 4,
        sourceName: recurformer ? "tiny-dense" : undefined,
        vocabularySize: 256, parameterCount: 1_000_000, fileBytes: 2_000_000,
    };
}

export interface FakeEngineControl {
    hosts: FakeHost[];
    /** tokens each chat answer streams */
    answerTokens: number;
    /** ms between tokens */
    tokenDelayMs: number;
    /** paths whose inspect fails */
    broken: Set<string>;
    requests: Request[];
}

export class FakeHost implements EngineHost {
    readonly kind = "fake";
    readonly pid = 40000 + Math.floor(Math.random() * 1000);
    private listeners: ((reply: Reply) => void)[] = [];
    private exitListeners: ((code: number | null, detail: string) => void)[] = [];
    private dead = false;
    private readonly stops = new Set<number>();
    private readonly loaded = new Map<string, { path: string; contextSize: number }>();

    constructor(private readonly control: FakeEngineControl) {
        setTimeout(() => this.reply({ id: 0, type: "ready", pid: this.pid }), 1);
    }

    send(message: Request): void {
        if (this.dead) throw new Error("dead");
        this.control.requests.push(message);
        void this.handle(message);
    }
    onMessage(listener: (reply: Reply) => void): void { this.listeners.push(listener); }
    onExit(listener: (code: number | null, detail: string) => void): void { this.exitListeners.push(listener); }
    kill(): void {
        if (this.dead) return;
        this.dead = true;
        setTimeout(() => this.exitListeners.forEach((l) => l(null, "killed by SIGKILL")), 1);
    }

    private reply(reply: Reply): void {
        if (!this.dead) for (const l of this.listeners) l(reply);
    }

    private async handle(r: Request): Promise<void> {
        const ok = (value: unknown) => this.reply({ id: r.id, type: "result", value });
        const fail = (name: string, message: string) => this.reply({ id: r.id, type: "error", error: { name, message } });
        await new Promise((res) => setTimeout(res, 1));
        switch (r.type) {
            case "inspect":
                if (this.control.broken.has(r.modelPath)) return fail("InvalidGgufError", `${r.modelPath}: bad magic`);
                return ok({ modelPath: r.modelPath, shape: shapeFor(r.modelPath) });
            case "load":
                this.loaded.set(r.modelId, { path: r.options.modelPath, contextSize: r.options.contextSize ?? 4096 });
                return ok({ modelId: r.modelId, shape: shapeFor(r.options.modelPath), contextSize: r.options.contextSize, threads: r.options.threads, cacheType: r.options.cacheType ?? "f16", buffers: {}, needsCheckpoints: true, backend: { buildType: "fake", gpu: false, llamaCppRelease: "fake" } });
            case "unload":
                this.loaded.delete(r.modelId);
                return ok({ modelId: r.modelId, unloaded: true });
            case "tokenize":
                if (!this.loaded.has(r.modelId)) return fail("ModelNotLoadedError", "not loaded");
                return ok({ tokens: Math.ceil(r.text.length / 3) });
            case "stop":
                this.stops.add(r.target);
                return ok({ stopped: true });
            case "shutdown":
                ok({ ok: true });
                this.kill();
                return;
            case "chat": {
                const model = this.loaded.get(r.modelId);
                if (!model) return fail("ModelNotLoadedError", `model ${r.modelId} is not loaded`);
                const shape = shapeFor(model.path);
                const prompt = Math.ceil(r.messages.map((m) => m.content).join("").length / 3);
                const metrics = (n: number, phase: Metrics["phase"]): Metrics => ({
                    modelId: r.modelId, tokensInContext: n, contextSize: model.contextSize,
                    cacheBytesComputed: n * shape.kvBytesPerToken + shape.recurrentStateBytes,
                    denseCacheBytesComputed: n * (shape.denseKvBytesPerToken ?? shape.kvBytesPerToken),
                    stateBytesMeasured: n * shape.kvBytesPerToken + shape.recurrentStateBytes + 100,
                    checkpointBytesMeasured: phase === "done" ? 4096 : undefined,
                    promptTokens: prompt, generatedTokens: Math.max(0, n - prompt),
                    prefillTokensPerSecond: 500, decodeTokensPerSecond: phase === "prefill" ? undefined : 50, timeToFirstTokenMs: phase === "prefill" ? undefined : 20, phase,
                });
                this.reply({ id: r.id, type: "metrics", metrics: metrics(prompt, "prefill") });
                let text = "";
                let stopped = false;
                for (let i = 0; i < this.control.answerTokens; i++) {
                    if (this.stops.has(r.id)) { stopped = true; break; }
                    await new Promise((res) => setTimeout(res, this.control.tokenDelayMs));
                    if (this.dead) return;
                    const token = i === 0 ? "Hello" : ` t${i}`;
                    text += token;
                    this.reply({ id: r.id, type: "token", text: token });
                    this.reply({ id: r.id, type: "metrics", metrics: metrics(prompt + i + 1, "decode") });
                }
                return ok({ text, stopReason: stopped ? "stopped" : "eos", promptTokens: prompt, generatedTokens: text.split(" ").length, metrics: metrics(prompt + text.split(" ").length, "done") });
            }
            default:
                return fail("UnknownRequestError", `unknown request ${(r as { type: string }).type}`);
        }
    }
}

export function fakeEngine(): { control: FakeEngineControl; factory: () => FakeHost } {
    const control: FakeEngineControl = { hosts: [], answerTokens: 5, tokenDelayMs: 2, broken: new Set(), requests: [] };
    return {
        control,
        factory: () => {
            const host = new FakeHost(control);
            control.hosts.push(host);
            return host;
        },
    };
}
