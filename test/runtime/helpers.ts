// Shared by the runtime and bad-GGUF tests: fixture paths, a compiled CLI, engines started from dist/.
import {spawnSync, spawn} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {EngineClient, type EngineClientOptions} from "../../engine/runtime/client/EngineClient.js";
import {ForkTransport} from "../../engine/runtime/client/ForkTransport.js";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const fixturesDir = path.join(root, "test", "fixtures", "models");
export const fixture = (name: string) => path.join(fixturesDir, name);
export const engineMainJs = path.join(root, "dist", "engine", "runtime", "engine", "engineMain.js");
export const cliJs = path.join(root, "bin", "recurformer.js");

/** `npm run fixtures` when the fixture models are missing (like test/run-all.mjs). */
export function ensureFixtures(): void {
    if (fs.existsSync(fixture("rf-gqa-r7.gguf")) && fs.existsSync(fixture("dense-llama-gqa.gguf")))
        return;
    const res = spawnSync("npm", ["run", "fixtures"], {cwd: root, stdio: "inherit"});
    if (res.status !== 0)
        throw new Error("`npm run fixtures` failed; the runtime tests need test/fixtures/models/");
}

function newestMtime(dir: string, ext: string): number {
    let newest = 0;
    for (const entry of fs.readdirSync(dir, {recursive: true, withFileTypes: true}))
        if (entry.isFile() && entry.name.endsWith(ext))
            newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
    return newest;
}

/**
 * Compiles the TypeScript (tsc -p tsconfig.json) when dist/ is older than engine/runtime/, so child
 * processes (the CLI, engines) run the code under test. A lock keeps parallel test files from
 * compiling at once.
 */
export function ensureCompiled(): void {
    const sources = newestMtime(path.join(root, "engine", "runtime"), ".ts");
    const distDir = path.join(root, "dist", "engine", "runtime");
    const fresh = () => fs.existsSync(engineMainJs) && newestMtime(distDir, ".js") >= sources;
    if (fresh())
        return;
    const lock = path.join(root, "dist", ".runtime-tests-compile.lock");
    fs.mkdirSync(path.dirname(lock), {recursive: true});
    const deadline = Date.now() + 180_000;
    for (;;) {
        try {
            fs.mkdirSync(lock);
            break;
        } catch {
            if (Date.now() > deadline)
                fs.rmSync(lock, {recursive: true, force: true});
            spawnSync("sleep", ["0.5"]);
        }
    }
    try {
        if (fresh())
            return;
        const res = spawnSync(path.join(root, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], {cwd: root, encoding: "utf8"});
        if (!fs.existsSync(engineMainJs))
            throw new Error(`tsc did not produce ${engineMainJs}:\n${res.stdout}\n${res.stderr}`);
        // tsc emits despite type errors elsewhere (main/): touch so the check above sees dist/ as fresh
        const now = new Date();
        fs.utimesSync(engineMainJs, now, now);
    } finally {
        fs.rmSync(lock, {recursive: true, force: true});
    }
}

/** An engine process from dist/ (compile first). */
export function startEngine(options: EngineClientOptions & {env?: NodeJS.ProcessEnv} = {}): Promise<EngineClient> {
    const {env, ...rest} = options;
    return EngineClient.start({
        transport: () => new ForkTransport({modulePath: engineMainJs, env: {...process.env, ...env}}),
        ...rest
    });
}

export interface CliResult {
    code: number | null;
    stdout: string;
    stderr: string;
    ms: number;
}

/** Runs `bin/recurformer.js ARGS` to the end (killed after timeoutMs). */
export function runCli(args: string[], {timeoutMs = 120_000, env}: {timeoutMs?: number, env?: NodeJS.ProcessEnv} = {}): Promise<CliResult> {
    return new Promise((resolve) => {
        const started = Date.now();
        const child = spawn(process.execPath, [cliJs, ...args], {cwd: root, env: {...process.env, ...env}});
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => stdout += chunk);
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => stderr += chunk);
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({code, stdout, stderr, ms: Date.now() - started});
        });
    });
}
