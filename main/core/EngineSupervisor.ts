/**
 * Keeps one engine alive around the runtime's own client (`engine/runtime/client/EngineClient`):
 * Electron passes a `UtilityProcessTransport`, serve mode a `ForkTransport`. The client owns the
 * request ids, the pending map, the ready handshake and the crash error; this class only starts
 * a client, restarts it with a growing back-off when it crashes, and stops after a crash loop
 * (more than `maxCrashes` crashes within `crashWindowMs`) until the user restarts it.
 *
 * Every start after the first emits "restarted", whoever caused it (a crash or Engine → Restart),
 * so the app reloads the models that were loaded.
 */
import { EventEmitter } from "node:events";
import type { EngineStatus } from "../../api/appApi.js";
import { EngineClient } from "../../engine/runtime/client/EngineClient.js";
import type { EngineTransportFactory } from "../../engine/runtime/client/EngineTransport.js";
import { EngineCrashedError } from "../../engine/runtime/errors/EngineCrashedError.js";
import { EngineEntryMissingError } from "../../engine/runtime/errors/EngineEntryMissingError.js";
import { EngineUnreachableError } from "../../engine/runtime/errors/EngineUnreachableError.js";

export interface SupervisorOptions {
    /** wait before a restart, times the crashes in the window (ms, default 300) */
    restartDelayMs?: number;
    /** give up restarting after more than this many crashes within `crashWindowMs` (default 5) */
    maxCrashes?: number;
    crashWindowMs?: number;
    /** how long a new process may take to say it is ready (ms, default 60 s) */
    startTimeoutMs?: number;
    /** every line the engine writes (llama.cpp's log); default: echoed to stderr when RECURFORMER_ENGINE_LOG is set */
    onLog?: (line: string) => void;
}

/** Events: "status" (every change), "crashed" (the engine went away: a crash or Restart), "restarted" (a new engine is ready). */
export class EngineSupervisor extends EventEmitter<{ status: [EngineStatus]; restarted: []; crashed: [] }> {
    private client?: EngineClient;
    private starting?: Promise<EngineClient>;
    private crashes: number[] = [];
    private restarts = 0;
    private started = false;
    private stopping = false;
    /** the engine is being ended by Engine → Restart, not by a crash */
    private restarting = false;
    private restartTimer?: NodeJS.Timeout;
    /** a new transport was chosen (Settings): its first engine is a new start, not a restart, in the count */
    private switching = false;
    private lastError?: Error;
    private status: EngineStatus;

    constructor(private transport: EngineTransportFactory, hostKind: string, private readonly options: SupervisorOptions = {}) {
        super();
        this.status = { state: "starting", restarts: 0, host: hostKind };
    }

    getStatus(): EngineStatus {
        return { ...this.status, pid: this.client?.running ? this.client.pid : undefined };
    }

    /** Starts an engine unless one is running or starting. */
    start(): void {
        this.stopping = false;
        if (this.client?.running || this.starting) return;
        clearTimeout(this.restartTimer);
        this.restartTimer = undefined;
        void this.launch().catch(() => undefined);
    }

    /** The running engine, waiting for one that is starting or about to restart. */
    async engine(): Promise<EngineClient> {
        if (this.client?.running) return this.client;
        if (this.starting) return this.starting;
        if (this.restartTimer) {
            await new Promise<void>((resolve) => this.once("status", () => resolve()));
            return this.engine();
        }
        throw this.lastError ?? new EngineCrashedError(null, null, [], undefined);
    }

    /** Engine → Restart: a running engine is ended and a new one started at once (not counted as a crash); a stopped one is started. The crash count starts over. */
    async restart(): Promise<void> {
        this.crashes = [];
        if (this.client?.running) {
            this.restarting = true;
            await this.client.kill();
            return;
        }
        this.start();
    }

    /**
     * Runs the engine through another transport from now on (Settings: a remote engine, or this
     * machine again): the running engine is ended as by Restart and a new one started through it.
     * Resolves when that one is ready or has failed (the status says why).
     */
    async use(transport: EngineTransportFactory, hostKind: string, remote?: EngineStatus["remote"]): Promise<void> {
        this.choose(transport, hostKind, remote);
        this.switching = true;
        clearTimeout(this.restartTimer);
        this.restartTimer = undefined;
        await this.starting?.catch(() => undefined);
        const settled = new Promise<void>((resolve) => {
            const check = (status: EngineStatus) => {
                if (status.state === "starting") return;
                this.off("status", check);
                resolve();
            };
            this.on("status", check);
        });
        await this.restart();
        await settled;
        this.switching = false;
    }

    /** Sets the transport the next engine starts through, without starting one (the app's choice at start). */
    choose(transport: EngineTransportFactory, hostKind: string, remote?: EngineStatus["remote"]): void {
        this.transport = transport;
        this.status = { ...this.status, host: hostKind, remote };
    }

    /** The factory engines are started with now (the API server started from the app uses it too). */
    get transportFactory(): EngineTransportFactory {
        return this.transport;
    }

    async shutdown(): Promise<void> {
        this.stopping = true;
        clearTimeout(this.restartTimer);
        const client = this.client ?? (await this.starting?.catch(() => undefined));
        await client?.shutdown(2000);
    }

    private launch(): Promise<EngineClient> {
        this.setStatus({ state: "starting", message: undefined });
        const echo = process.env.RECURFORMER_ENGINE_LOG ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
        let started: EngineClient | undefined;
        const attempt = EngineClient.start({
            transport: this.transport,
            startTimeoutMs: this.options.startTimeoutMs ?? 60_000,
            onLog: this.options.onLog ?? echo,
            onCrash: (error) => this.onCrash(started, error),
        });
        this.starting = attempt;
        return attempt.then((client) => {
            started = client;
            this.starting = undefined;
            this.client = client;
            this.lastError = undefined;
            const again = this.started;
            this.started = true;
            if (again && !this.switching) this.restarts++;
            if (this.switching) this.restarts = 0;
            this.setStatus({ state: "ready", message: undefined });
            if (again) this.emit("restarted");
            return client;
        }, (error: Error) => {
            this.starting = undefined;
            this.lastError = error;
            if (error instanceof EngineEntryMissingError) this.setStatus({ state: "missing", message: error.message });
            // a crash before `ready` was handled by onCrash (status and restart)
            throw error;
        });
    }

    private onCrash(client: EngineClient | undefined, error: EngineCrashedError): void {
        if (client && client !== this.client) return;
        this.client = undefined;
        this.lastError = error;
        if (this.stopping) return;
        this.emit("crashed");
        if (this.restarting) {
            this.restarting = false;
            void this.launch().catch(() => undefined);
            return;
        }
        const now = Date.now();
        const window = this.options.crashWindowMs ?? 60_000;
        this.crashes = [...this.crashes.filter((t) => now - t < window), now];
        if (error instanceof EngineUnreachableError && error.refused) {
            // the host said no: asking again unchanged gets the same answer
            this.setStatus({ state: "crashed", message: `${error.reason}. Not retried: change the URL or token in Settings and Connect, or use Engine → Restart.` });
            return;
        }
        const unreachable = error instanceof EngineUnreachableError ? error.reason : undefined;
        const why = error.signal ? `killed by ${error.signal}` : `exit code ${error.exitCode}`;
        if (this.crashes.length > (this.options.maxCrashes ?? 5)) {
            if (unreachable) {
                this.setStatus({ state: "crashed", message: `${unreachable}. Tried ${this.crashes.length} times in a minute; use Engine → Restart to try again, or Settings to use another engine.` });
                return;
            }
            this.setStatus({ state: "crashed", message: `The engine process stopped (${why}). It crashed ${this.crashes.length} times in a minute, so it was not restarted; use Engine → Restart.` });
            return;
        }
        this.setStatus({ state: "crashed", message: unreachable ? `${unreachable}. Trying again…` : `The engine process stopped (${why}). A new one is starting; your chats are safe.` });
        this.restartTimer = setTimeout(() => {
            this.restartTimer = undefined;
            void this.launch().catch(() => undefined);
        }, (this.options.restartDelayMs ?? 300) * this.crashes.length);
    }

    private setStatus(change: Partial<EngineStatus>): void {
        this.status = { ...this.status, ...change, restarts: this.restarts };
        this.emit("status", this.getStatus());
    }
}
