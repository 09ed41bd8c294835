/**
 * The OpenAI-compatible API server (`engine/runtime/api-server/`, the one `recurformer api` runs),
 * started from Settings: off by default, on loopback only, at the port and with the key stored in
 * `ConnectionSettings`. It runs its own engine process, started through the same transport as the
 * app's (this machine, or the remote engine Settings chose), so a request to the API never takes
 * a chat's sequence, its snapshot or its engine down with it (main/README.md says why).
 *
 * It serves the models loaded in the app when it is switched on, each loaded the way the app
 * loads it (its settings, two sequences); the default RecurFormer model when none is loaded. Its
 * ids are the file names without `.gguf`, as the command line's.
 */
import path from "node:path";
import type { ApiServerStatus, AppEvent, ModelInfo } from "../../../api/appApi.js";
import { ApiServer } from "../../../engine/runtime/api-server/ApiServer.js";
import { ServedEngine, type ModelSpec } from "../../../engine/runtime/api-server/ServedEngine.js";
import { EngineClient } from "../../../engine/runtime/client/EngineClient.js";
import type { EngineTransportFactory } from "../../../engine/runtime/client/EngineTransport.js";
import type { ConnectionSettings } from "../ConnectionSettings.js";
import type { Models } from "./Models.js";

type ServerState = Pick<ApiServerStatus, "state" | "url" | "models" | "message">;

export class LocalApiServer {
    private server?: ApiServer;
    private served?: ServedEngine;
    private state: ServerState = { state: "off", models: [] };
    /** start and stop one after another */
    private switching: Promise<unknown> = Promise.resolve();
    private readonly log = process.env.RECURFORMER_ENGINE_LOG ? (line: string) => process.stderr.write(`api: ${line}\n`) : () => undefined;

    constructor(
        private readonly settings: ConnectionSettings,
        private readonly models: Models,
        /** the transport the app's engine starts through now */
        private readonly transport: () => EngineTransportFactory,
        private readonly emit: (event: AppEvent) => void,
    ) {}

    status(): ApiServerStatus {
        const { enabled, port } = this.settings.apiServer;
        return { enabled, port, apiKey: this.settings.apiKey, ...this.state };
    }

    /** Starts the server at app start when Settings left it on. */
    open(): void {
        if (this.settings.apiServer.enabled) void this.queue(() => this.start());
    }

    /** Settings: on or off (remembered), and the port; a running server moves to a new port at once. */
    async set(enabled: boolean, port?: number): Promise<ApiServerStatus> {
        const moved = port !== undefined && port !== this.settings.apiServer.port;
        await this.settings.setApiServer({ enabled, ...(port !== undefined ? { port } : {}) });
        await this.queue(async () => {
            if (!enabled || moved) await this.stop();
            if (enabled && !this.server) await this.start();
        });
        return this.status();
    }

    /** Stops the server and its engine (the app quitting). */
    close(): Promise<void> {
        return this.queue(() => this.stop());
    }

    private queue<T>(step: () => Promise<T>): Promise<T> {
        const next = this.switching.then(step, step);
        this.switching = next.catch(() => undefined);
        return next;
    }

    private async start(): Promise<void> {
        const specs = this.specs();
        const port = this.settings.apiServer.port;
        if (specs.length === 0) return this.setState({ state: "error", url: undefined, models: [], message: "No model to serve: load a model (Models), then switch the server on again." });
        const served = new ServedEngine(() => EngineClient.start({ transport: this.transport(), startTimeoutMs: 60_000, onLog: () => undefined }), specs, this.log);
        const server = new ApiServer({ engine: served, apiKey: this.settings.apiKey, log: this.log });
        const models = specs.map((s) => s.id);
        try {
            await server.listen(port, "127.0.0.1");
        } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            const why = code === "EADDRINUSE" ? `port ${port} is in use (another program, or \`recurformer api\`, listens there): choose another port`
                : code === "EACCES" ? `this user may not listen on port ${port}: choose one above 1023`
                : (error as Error).message;
            return this.setState({ state: "error", url: undefined, models, message: `Could not start the API server: ${why}.` });
        }
        this.server = server;
        this.served = served;
        const url = `http://127.0.0.1:${port}/v1`;
        this.setState({ state: "starting", url, models, message: `Loading ${models.join(", ")} in the server's engine…` });
        // loading runs in the background; requests that come meanwhile wait for it
        void served.ready().then(
            () => { if (this.served === served) this.setState({ state: "running", url, models, message: undefined }); },
            (error: Error) => { if (this.served === served) this.setState({ state: "error", url, models, message: `The server listens, but its models did not load: ${error.message}` }); },
        );
    }

    private async stop(): Promise<void> {
        const { server, served } = this;
        this.server = undefined;
        this.served = undefined;
        if (server) await server.close();
        if (served) await served.shutdown();
        this.setState({ state: "off", url: undefined, models: [], message: undefined });
    }

    /** The models loaded in the app, else the default RecurFormer one, with ids from their file names. */
    private specs(): ModelSpec[] {
        const usable = this.models.list().filter((m) => m.shape);
        const loaded = usable.filter((m) => m.status === "loaded");
        const chosen: ModelInfo[] = loaded.length > 0 ? loaded : usable.filter((m) => m.kind === "recurformer" && m.origin === "default").slice(0, 1);
        const ids = new Set<string>();
        return chosen.map((model) => {
            const base = path.basename(model.path).replace(/\.gguf$/i, "");
            let id = base;
            for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
            ids.add(id);
            return { id, options: this.models.loadOptions(model) };
        });
    }

    private setState(state: ServerState): void {
        this.state = state;
        this.emit({ type: "apiServer.status", status: this.status() });
    }
}
