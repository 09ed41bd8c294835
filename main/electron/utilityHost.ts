/**
 * Starts the engine in an Electron `utilityProcess` (a Node process managed by Electron,
 * outside the main process): if llama.cpp aborts, only this process dies. The engine script
 * listens on `process.parentPort` there (and on `process.on("message")` as a child process).
 */
import { utilityProcess } from "electron";
import type { Reply, Request } from "../../engine/runtime/protocol.js";
import type { EngineHost } from "../core/EngineSupervisor.js";

export function utilityProcessHost(entry: string): EngineHost {
    const child = utilityProcess.fork(entry, [], {
        serviceName: "RecurFormer engine",
        stdio: "pipe",
        env: { ...process.env, RECURFORMER_ENGINE_HOST: "utility-process" },
    });
    let stderrTail = "";
    child.stdout?.on("data", (chunk: Buffer) => process.stdout.write(chunk));
    child.stderr?.on("data", (chunk: Buffer) => {
        process.stderr.write(chunk);
        stderrTail = (stderrTail + chunk.toString()).slice(-2000);
    });
    const exitListeners: ((code: number | null, detail: string) => void)[] = [];
    let exited: { code: number | null; detail: string } | undefined;
    child.on("exit", (code) => {
        const lastLine = stderrTail.trim().split("\n").filter(Boolean).pop();
        exited = { code, detail: `exit code ${code}${lastLine ? `: ${lastLine.slice(0, 200)}` : ""}` };
        for (const listener of exitListeners) listener(exited.code, exited.detail);
    });
    return {
        get pid() { return child.pid; },
        kind: "utility-process",
        send(message: Request) {
            if (exited) throw new Error("the engine process has exited");
            child.postMessage(message);
        },
        onMessage(listener: (reply: Reply) => void) {
            child.on("message", (message) => listener(message as Reply));
        },
        onExit(listener) {
            if (exited) listener(exited.code, exited.detail);
            else exitListeners.push(listener);
        },
        kill() {
            child.kill();
        },
    };
}
