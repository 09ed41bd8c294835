// `recurformer engine --listen 127.0.0.1:0` from dist/, for the tests that drive a remote engine.
import {spawn, type ChildProcess} from "node:child_process";
import {cliJs, ensureCompiled, root} from "./helpers.js";

export interface EngineHostProcess {
    /** ws://127.0.0.1:PORT/engine */
    url: string;
    token: string;
    /** the host's log lines (connections, engine processes ending) */
    log: string[];
    stop(): Promise<void>;
}

export async function startEngineHost(token = "remote-test-token"): Promise<EngineHostProcess> {
    ensureCompiled();
    const host: ChildProcess = spawn(process.execPath, [cliJs, "engine", "--listen", "127.0.0.1:0", "--token", token], {cwd: root});
    const log: string[] = [];
    let stdout = "";
    host.stdout!.setEncoding("utf8").on("data", (chunk: string) => stdout += chunk);
    host.stderr!.setEncoding("utf8").on("data", (chunk: string) => log.push(...chunk.split("\n").filter((line) => line.length > 0)));
    const end = Date.now() + 30_000;
    while (!/ws:\/\/\S+/.test(stdout)) {
        if (host.exitCode != null || Date.now() > end)
            throw new Error(`recurformer engine did not start:\n${stdout}\n${log.join("\n")}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return {
        url: /ws:\/\/\S+/.exec(stdout)![0], token, log,
        stop: async () => {
            if (host.exitCode != null)
                return;
            const exited = new Promise((resolve) => host.once("exit", resolve));
            host.kill("SIGTERM");
            await exited;
        }
    };
}
