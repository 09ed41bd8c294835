import type {Reply, Request} from "../protocol.js";
import type {EngineTransport} from "./EngineTransport.js";
import {defaultEngineEntry, existingEntry} from "./ForkTransport.js";

/** The parts of Electron's `utilityProcess` this transport uses (so this module does not import electron). */
export interface UtilityProcessModule {
    fork(modulePath: string, args?: string[], options?: {stdio?: "pipe" | "inherit" | "ignore", serviceName?: string, env?: NodeJS.ProcessEnv}): UtilityProcessChild;
}

export interface UtilityProcessChild {
    readonly pid: number | undefined;
    readonly stdout: NodeJS.ReadableStream | null;
    readonly stderr: NodeJS.ReadableStream | null;
    postMessage(message: unknown): void;
    on(event: "message", listener: (message: unknown) => void): this;
    on(event: "exit", listener: (code: number) => void): this;
    kill(): boolean;
}

export interface UtilityProcessTransportOptions {
    /** the engine's compiled entry module (default: engine/engineMain.js beside this file) */
    modulePath?: string;
    /** environment of the engine process */
    env?: NodeJS.ProcessEnv;
}

/**
 * An engine in an Electron utilityProcess: `new UtilityProcessTransport(utilityProcess)` from main.
 * The engine side picks `process.parentPort` by itself (engine/EnginePort.ts).
 */
export class UtilityProcessTransport implements EngineTransport {
    private readonly child: UtilityProcessChild;
    private killed = false;

    public constructor(utilityProcess: UtilityProcessModule, {modulePath, env}: UtilityProcessTransportOptions = {}) {
        this.child = utilityProcess.fork(existingEntry(modulePath ?? defaultEngineEntry()), [], {
            stdio: "pipe",
            serviceName: "RecurFormer engine",
            ...(env != null ? {env} : {})
        });
    }

    public get pid(): number | undefined {
        return this.child.pid;
    }

    public send(message: Request): void {
        this.child.postMessage(message);
    }

    public onMessage(listener: (message: Reply) => void): void {
        this.child.on("message", (message) => listener(message as Reply));
    }

    public onOutput(listener: (chunk: string) => void): void {
        for (const stream of [this.child.stdout, this.child.stderr]) {
            stream?.setEncoding("utf8");
            stream?.on("data", (chunk: string | Buffer) => listener(String(chunk)));
        }
    }

    public onExit(listener: (code: number | null, signal: string | null) => void): void {
        // utilityProcess reports no signal; a kill of ours is reported as SIGKILL
        this.child.on("exit", (code) => listener(code, this.killed ? "SIGKILL" : null));
    }

    public kill(): void {
        this.killed = true;
        this.child.kill();
    }
}
