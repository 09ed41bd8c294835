import type {EngineClient} from "../client/EngineClient.js";
import type {LoadOptions, LoadResult} from "../protocol.js";

/** A model the server offers: its id in the API, and how it is loaded. */
export interface ModelSpec {
    id: string;
    options: LoadOptions;
}

/**
 * The server's engine process and the models loaded in it. When the engine has died (llama.cpp
 * aborted, it was killed), the next request starts a new one and loads every model again; requests
 * that were running when it died fail with the engine's error.
 */
export class ServedEngine {
    private readonly start: () => Promise<EngineClient>;
    private readonly specs: ModelSpec[];
    private readonly log: (line: string) => void;
    private current?: Promise<{client: EngineClient, loaded: Map<string, LoadResult>}>;
    private stopped = false;
    /** engines started after the first one died */
    public restarts = 0;

    public constructor(start: () => Promise<EngineClient>, specs: ModelSpec[], log: (line: string) => void) {
        this.start = start;
        this.specs = specs;
        this.log = log;
    }

    public get models(): readonly ModelSpec[] {
        return this.specs;
    }

    /** The running engine with every model loaded (started or restarted as needed). */
    public async ready(): Promise<{client: EngineClient, loaded: Map<string, LoadResult>}> {
        if (this.stopped)
            throw new Error("the API server is stopping");
        const current = await this.current?.catch(() => undefined);
        if (current != null && current.client.running)
            return current;
        if (current != null) {
            this.restarts++;
            this.log(`engine: the engine process is gone (${this.restarts} restart${this.restarts === 1 ? "" : "s"}); starting a new one`);
        }
        this.current = this.startAndLoad();
        return this.current;
    }

    /** The engine client if one is running, without starting one. */
    public async running(): Promise<EngineClient | undefined> {
        const current = await this.current?.catch(() => undefined);
        return current?.client.running === true ? current.client : undefined;
    }

    /** Ends the engine process, if one runs (the app's Settings switching the server off). */
    public async shutdown(): Promise<void> {
        this.stopped = true;
        const current = await this.current?.catch(() => undefined);
        this.current = undefined;
        await current?.client.shutdown().catch(() => undefined);
    }

    private async startAndLoad(): Promise<{client: EngineClient, loaded: Map<string, LoadResult>}> {
        const client = await this.start();
        const loaded = new Map<string, LoadResult>();
        try {
            for (const spec of this.specs)
                loaded.set(spec.id, await client.load(spec.id, spec.options));
        } catch (err) {
            await client.shutdown().catch(() => undefined);
            throw err;
        }
        return {client, loaded};
    }
}
