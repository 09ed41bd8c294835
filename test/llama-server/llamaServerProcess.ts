/** The llama-server that `npm run build:llama-server` builds, started on a model for the tests that use it as the engine. */
import {spawn, type ChildProcess} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {freePort} from "../support/ports.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const llamaServerBinary = process.env.LLAMA_SERVER_PATH ?? path.join(root, "node_modules", ".cache", "recurformer-llama-server", "bin", "llama-server");

/** Why the llama-server tests cannot run here, or undefined. */
export function llamaServerMissing(): string | undefined {
    return fs.existsSync(llamaServerBinary) ? undefined : `no llama-server binary at ${llamaServerBinary} (build it with \`npm run build:llama-server\`, or set LLAMA_SERVER_PATH)`;
}

/** A llama-server on the default RecurFormer model, on a free loopback port, once it answers /health. */
export async function startServer(extra: string[], modelPath = path.join(root, "assets", "models", "recurformer.gguf")): Promise<{url: string, process: ChildProcess}> {
    const port = await freePort();
    const started = spawn(llamaServerBinary, ["-m", modelPath, "--host", "127.0.0.1", "--port", String(port), "-c", "8192", "-np", "1", "-t", "2", ...extra], {stdio: ["ignore", "pipe", "pipe"]});
    const log: string[] = [];
    for (const stream of [started.stdout!, started.stderr!])
        stream.setEncoding("utf8").on("data", (chunk: string) => log.push(...chunk.split("\n")));
    const end = Date.now() + 120_000;
    for (;;) {
        const ok = await fetch(`http://127.0.0.1:${port}/health`).then((res) => res.ok, () => false);
        if (ok) return {url: `http://127.0.0.1:${port}`, process: started};
        if (started.exitCode != null || Date.now() > end) throw new Error(`llama-server did not start:\n${log.slice(-30).join("\n")}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
}

