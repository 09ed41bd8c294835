/**
 * Where the engine process's script is, and how serve mode starts it (a Node child process).
 * Electron starts the same script in a `utilityProcess` (main/electron/utilityHost.ts).
 */
import { fork } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Reply, Request } from "../../engine/runtime/protocol.js";
import type { EngineHost } from "./EngineSupervisor.js";

/** Compiled engine entry points, first found wins; RECURFORMER_ENGINE_ENTRY overrides. */
const CANDIDATES = [
    "dist/engine/runtime/engine/engineMain.js",
    "dist/engine/runtime/engineMain.js",
    "dist/engine/runtime/engine-main.js",
    "dist/engine/runtime/EngineProcess.js",
    "dist/engine/runtime/engineProcess.js",
    "dist/engine/runtime/main.js",
];

export class EngineEntryMissingError extends Error {
    override name = "EngineEntryMissingError";
}

export function resolveEngineEntry(appRoot: string): string {
    const override = process.env.RECURFORMER_ENGINE_ENTRY;
    if (override) {
        const file = path.resolve(override);
        if (!fs.existsSync(file)) throw new EngineEntryMissingError(`RECURFORMER_ENGINE_ENTRY points at ${file}, which does not exist.`);
        return file;
    }
    for (const candidate of CANDIDATES) {
        const file = path.join(appRoot, candidate);
        if (fs.existsSync(file)) return file;
    }
    throw new EngineEntryMissingError(
        `The engine process script is missing (looked for ${CANDIDATES[0]} and similar under ${appRoot}). Run \`npm run build\`; if it is still missing, the engine has not been built yet.`,
    );
}

/** Starts the engine as a Node child process with an IPC channel (serve mode, CLI-like hosts). */
export function childProcessHost(entry: string, extraEnv: Record<string, string> = {}): EngineHost {
    const child = fork(entry, [], {
        stdio: ["ignore", "inherit", "pipe", "ipc"],
        env: { ...process.env, ...extraEnv, RECURFORMER_ENGINE_HOST: "child-process" },
        serialization: "advanced",
    });
    let stderrTail = "";
    // llama.cpp logs a lot: keep the tail for crash reports, pass it on only when asked
    const echo = Boolean(process.env.RECURFORMER_ENGINE_LOG);
    child.stderr?.on("data", (chunk: Buffer) => {
        if (echo) process.stderr.write(chunk);
        stderrTail = (stderrTail + chunk.toString()).slice(-2000);
    });
    const exitListeners: ((code: number | null, detail: string) => void)[] = [];
    let exited: { code: number | null; detail: string } | undefined;
    const onGone = (code: number | null, signal: NodeJS.Signals | null) => {
        if (exited) return;
        const lastLine = stderrTail.trim().split("\n").filter((l) => l && !l.startsWith("[llama.cpp info]")).pop();
        exited = { code, detail: signal ? `killed by ${signal}` : `exit code ${code}${lastLine ? `: ${lastLine.slice(0, 200)}` : ""}` };
        for (const listener of exitListeners) listener(exited.code, exited.detail);
    };
    child.on("exit", onGone);
    child.on("error", (error) => {
        if (!exited) {
            exited = { code: null, detail: error.message };
            for (const listener of exitListeners) listener(null, error.message);
        }
    });
    return {
        get pid() { return child.pid; },
        kind: "child-process",
        send(message: Request) {
            if (!child.connected) throw new Error("the engine process is not connected");
            child.send(message);
        },
        onMessage(listener: (reply: Reply) => void) {
            child.on("message", (message) => listener(message as Reply));
        },
        onExit(listener) {
            if (exited) listener(exited.code, exited.detail);
            else exitListeners.push(listener);
        },
        kill() {
            child.kill("SIGKILL");
        },
    };
}
