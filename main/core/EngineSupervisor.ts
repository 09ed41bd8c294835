/**
 * Keeps one engine process alive and talks `engine/runtime/protocol.ts` to it.
 *
 * The process is started by an `EngineHost` factory: Electron's `utilityProcess` in the app,
 * `child_process.fork` in serve mode. When it dies (llama.cpp abort, out of memory, killed),
 * every request in flight is rejected with `EngineCrashedError`, listeners hear "crashed", and a
 * new process starts after a short back-off. The app core then reloads the models that were
 * loaded; chats are not touched (they live in the core, not in the engine).
 */
import { EventEmitter } from "node:events";
import type { Event as EngineEvent, Reply, Request } from "../../engine/runtime/protocol.js";

import type { EngineStatus } from "../../api/appApi.js";

/** A started engine process, whatever starts it. */
export interface EngineHost {
    readonly pid?: number;
    readonly kind: string;
    send(message: Request): void;
    onMessage(listener: (reply: Reply) => void): void;
    /** called once, when the process is gone */
    onExit(listener: (code: number | null, detail: string) => void): void;
    kill(): void;
}

export type EngineHostFactory = () => EngineHost;

export class EngineCrashedError extends Error {
    override name = "EngineCrashedError";
}
export class EngineRequestError extends Error {
    constructor(readonly remoteName: string, message: string) {
        super(message);
        this.name = remoteName || "EngineError";
    }
}
export class EngineMissingError extends Error {
    override name = "EngineMissingError";
}

type AnyRequest = Request;
type RequestBody = AnyRequest extends infer R ? R extends { id: number } ? Omit<R, "id"> : never : never;

interface Pending {
    request: AnyRequest;
    resolve(value: unknown): void;
    reject(error: Error): void;
    onEvent?: (event: EngineEvent) => void;
}

export interface SupervisorOptions {
    /** wait before a restart, growing with repeated crashes (ms) */
    restartDelayMs?: number;
    /** give up restarting after this many crashes within `crashWindowMs` */
    maxCrashes?: number;
    crashWindowMs?: number;
    /** how long a new process may take to send `ready` (ms) */
    readyTimeoutMs?: number;
}

export class EngineSupervisor extends EventEmitter<{ status: [EngineStatus]; restarted: [] }> {
    private host?: EngineHost;
    private nextId = 1;
    private readonly pending = new Map<number, Pending>();
    private crashes: number[] = [];
    private restarts = 0;
    private stopping = false;
    private status: EngineStatus;
    private restartTimer?: NodeJS.Timeout;
    private readyTimer?: NodeJS.Timeout;
    private ready = false;
    private readyFailed?: string;
    private readonly queued: AnyRequest[] = [];
    private readonly readyTimeoutMs: number;

    constructor(private readonly factory: EngineHostFactory, private readonly options: SupervisorOptions = {}, hostKind = "child-process") {
        super();
        this.status = { state: "starting", restarts: 0, host: hostKind };
        this.readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
    }

    private pid?: number;

    getStatus(): EngineStatus {
        return { ...this.status, pid: this.pid ?? this.host?.pid };
    }

    start(): void {
        this.stopping = false;
        clearTimeout(this.restartTimer);
        let host: EngineHost;
        try {
            host = this.factory();
        } catch (error) {
            this.setStatus({ state: "missing", message: (error as Error).message });
            return;
        }
        this.host = host;
        this.ready = false;
        host.onMessage((reply) => this.onReply(host, reply));
        host.onExit((code, detail) => this.onExit(host, code, detail));
        this.setStatus({ state: "starting", message: undefined, host: host.kind });
        clearTimeout(this.readyTimer);
        this.readyTimer = setTimeout(() => {
            if (this.host === host && !this.ready) {
                this.readyFailed = `The engine process started but did not say it was ready within ${Math.round(this.readyTimeoutMs / 1000)} s.`;
                host.kill();
            }
        }, this.readyTimeoutMs);
    }

    /** Resolves when the engine has said it is ready (or rejects if it is missing). */
    whenReady(): Promise<void> {
        if (this.ready) return Promise.resolve();
        if (this.status.state === "missing") return Promise.reject(new EngineMissingError(this.status.message ?? "The engine is not available."));
        return new Promise((resolve, reject) => {
            const onStatus = (status: EngineStatus) => {
                if (status.state === "ready") { this.off("status", onStatus); resolve(); }
                else if (status.state === "missing") { this.off("status", onStatus); reject(new EngineMissingError(status.message ?? "The engine is not available.")); }
            };
            this.on("status", onStatus);
        });
    }

    /** Sends a request; resolves with its result, rejects with its error or a crash. */
    request<T = unknown>(body: RequestBody, onEvent?: (event: EngineEvent) => void): { id: number; result: Promise<T> } {
        const id = this.nextId++;
        const request = { ...body, id } as AnyRequest;
        const result = new Promise<T>((resolve, reject) => {
            if (this.status.state === "missing") {
                reject(new EngineMissingError(this.status.message ?? "The engine is not available."));
                return;
            }
            if (this.status.state === "crashed" && !this.restartTimer) {
                reject(new EngineCrashedError(this.status.message ?? "The engine stopped."));
                return;
            }
            this.pending.set(id, { request, resolve: resolve as (v: unknown) => void, reject, onEvent });
            if (this.ready && this.host) this.sendNow(request);
            else this.queued.push(request);
        });
        return { id, result };
    }

    private sendNow(request: AnyRequest): void {
        try {
            this.host!.send(request as Request);
        } catch (error) {
            const pending = this.pending.get(request.id);
            this.pending.delete(request.id);
            pending?.reject(new EngineCrashedError(`Could not reach the engine: ${(error as Error).message}`));
        }
    }

    /** Asks the engine to stop request `target` (a chat or completion); harmless if it already ended. */
    stop(target: number): void {
        if (!this.pending.has(target)) return;
        this.request({ type: "stop", target }).result.catch(() => undefined);
    }

    /** "Restart engine": a running process is killed and restarted like a crash; a stopped or missing one is started again. */
    restart(): void {
        this.crashes = [];
        if (this.host) this.host.kill();
        else this.start();
    }

    /** Kills the process now (tests, or "restart engine" in the menu); it is restarted like a crash. */
    kill(): void {
        this.host?.kill();
    }

    async shutdown(): Promise<void> {
        this.stopping = true;
        clearTimeout(this.restartTimer);
        const host = this.host;
        if (!host) return;
        const exited = new Promise<void>((resolve) => host.onExit(() => resolve()));
        this.request({ type: "shutdown" }).result.catch(() => undefined);
        const timer = setTimeout(() => host.kill(), 2000);
        await exited;
        clearTimeout(timer);
    }

    private onReply(host: EngineHost, reply: Reply): void {
        if (host !== this.host) return;
        if (reply.type === "ready") {
            this.ready = true;
            this.readyFailed = undefined;
            clearTimeout(this.readyTimer);
            this.pid = reply.pid;
            this.setStatus({ state: "ready", message: undefined });
            for (const request of this.queued.splice(0)) if (this.pending.has(request.id)) this.sendNow(request);
            return;
        }
        const pending = this.pending.get(reply.id);
        if (!pending) return;
        if (reply.type === "result") {
            this.pending.delete(reply.id);
            pending.resolve(reply.value);
        } else if (reply.type === "error") {
            this.pending.delete(reply.id);
            pending.reject(new EngineRequestError(reply.error?.name ?? "EngineError", reply.error?.message ?? "The engine reported an error."));
        } else {
            pending.onEvent?.(reply);
        }
    }

    private onExit(host: EngineHost, code: number | null, detail: string): void {
        if (host !== this.host) return;
        this.host = undefined;
        this.ready = false;
        this.pid = undefined;
        clearTimeout(this.readyTimer);
        const why = this.readyFailed ?? (detail || `exit code ${code}`);
        const error = new EngineCrashedError(
            `The engine process stopped (${why}). A new one is starting; your chats are safe.`,
        );
        this.queued.length = 0;
        for (const [id, pending] of this.pending) {
            this.pending.delete(id);
            pending.reject(error);
        }
        if (this.stopping) return;
        const now = Date.now();
        const window = this.options.crashWindowMs ?? 60_000;
        this.crashes = [...this.crashes.filter((t) => now - t < window), now];
        if (this.crashes.length > (this.options.maxCrashes ?? 5)) {
            this.setStatus({ state: "crashed", message: `${error.message.split(".")[0]}. It crashed ${this.crashes.length} times in a minute, so it was not restarted; use Engine → Restart.` });
            return;
        }
        this.setStatus({ state: "crashed", message: error.message });
        const delay = (this.options.restartDelayMs ?? 300) * this.crashes.length;
        this.restartTimer = setTimeout(() => {
            this.restartTimer = undefined;
            this.restarts++;
            this.status.restarts = this.restarts;
            this.start();
            this.whenReady().then(() => this.emit("restarted"), () => undefined);
        }, delay);
    }

    private setStatus(change: Partial<EngineStatus>): void {
        this.status = { ...this.status, ...change, restarts: this.restarts };
        this.emit("status", this.getStatus());
    }
}
