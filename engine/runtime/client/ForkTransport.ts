import {fork, type ChildProcess} from "node:child_process";
import fs from "node:fs";
import {fileURLToPath} from "node:url";
import type {Reply, Request} from "../protocol.js";
import type {EngineTransport} from "./EngineTransport.js";
import {EngineEntryMissingError} from "../errors/EngineEntryMissingError.js";

export interface ForkTransportOptions {
    /** the engine's entry module (default: engine/engineMain.js beside this file; engineMain.ts through tsx when running from source) */
    modulePath?: string;
    /** extra node flags for the engine process (default: ["--import", "tsx"] when running from source) */
    execArgv?: string[];
    /** environment of the engine process (default: this process's) */
    env?: NodeJS.ProcessEnv;
}

/** An engine process started with child_process.fork: messages over its IPC channel, output over pipes. */
export class ForkTransport implements EngineTransport {
    private readonly child: ChildProcess;

    public constructor({modulePath, execArgv, env}: ForkTransportOptions = {}) {
        const entry = existingEntry(modulePath ?? defaultEngineEntry());
        const fromSource = entry.endsWith(".ts");
        this.child = fork(entry, [], {
            stdio: ["ignore", "pipe", "pipe", "ipc"],
            execArgv: execArgv ?? (fromSource ? ["--import", "tsx"] : []),
            env: env ?? process.env,
            serialization: "advanced"
        });
        this.child.stdout?.setEncoding("utf8");
        this.child.stderr?.setEncoding("utf8");
        // a dead engine must never take the parent down with an unhandled 'error'
        this.child.on("error", () => {});
    }

    public get pid(): number | undefined {
        return this.child.pid;
    }

    public send(message: Request): void {
        if (this.child.connected)
            this.child.send(message, (err) => void err);
    }

    public onMessage(listener: (message: Reply) => void): void {
        this.child.on("message", (message) => listener(message as Reply));
    }

    public onOutput(listener: (chunk: string) => void): void {
        this.child.stdout?.on("data", listener);
        this.child.stderr?.on("data", listener);
    }

    public onExit(listener: (code: number | null, signal: string | null) => void): void {
        this.child.on("exit", (code, signal) => listener(code, signal));
    }

    public kill(): void {
        this.child.kill("SIGKILL");
    }
}

/** engineMain.js beside the compiled client, or engineMain.ts (run through tsx) when the client itself runs from source. */
export function defaultEngineEntry(): string {
    const js = fileURLToPath(new URL("../engine/engineMain.js", import.meta.url));
    if (fs.existsSync(js))
        return js;
    return fileURLToPath(new URL("../engine/engineMain.ts", import.meta.url));
}

/** `entry` when it exists; else `EngineEntryMissingError` (a fork of a missing file would only exit with code 1). */
export function existingEntry(entry: string): string {
    if (!fs.existsSync(entry))
        throw new EngineEntryMissingError(entry);
    return entry;
}
