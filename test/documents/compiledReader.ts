/**
 * The document reader as the app runs it: compiled to dist/documents/ (tsc, when older than
 * documents/*.ts), so that its worker starts as plain JavaScript and timings are the app's.
 * Shares the runtime tests' compile lock so two test files never run tsc at once.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const sourceDir = path.join(root, "documents");
const distDir = path.join(root, "dist", "documents");

function newest(dir: string, ext: string): number {
    if (!fs.existsSync(dir)) return 0;
    return Math.max(0, ...fs.readdirSync(dir).filter((f) => f.endsWith(ext)).map((f) => fs.statSync(path.join(dir, f)).mtimeMs));
}

function compile(): void {
    const fresh = () => fs.existsSync(path.join(distDir, "readerWorker.js")) && newest(distDir, ".js") >= newest(sourceDir, ".ts");
    if (fresh()) return;
    const lock = path.join(root, "dist", ".runtime-tests-compile.lock");
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    const deadline = Date.now() + 180_000;
    for (;;) {
        try { fs.mkdirSync(lock); break; } catch { if (Date.now() > deadline) fs.rmSync(lock, { recursive: true, force: true }); spawnSync("sleep", ["0.5"]); }
    }
    try {
        if (fresh()) return;
        const res = spawnSync(path.join(root, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], { cwd: root, encoding: "utf8" });
        if (!fs.existsSync(path.join(distDir, "readerWorker.js"))) throw new Error(`tsc did not compile documents/:\n${res.stdout}\n${res.stderr}`);
        // tsc emits despite type errors elsewhere: touch so the check above sees dist/ as fresh
        const now = new Date();
        for (const f of fs.readdirSync(distDir)) fs.utimesSync(path.join(distDir, f), now, now);
    } finally {
        fs.rmSync(lock, { recursive: true, force: true });
    }
}

export type ReaderModule = typeof import("../../documents/readDocument");

export async function compiledReader(): Promise<ReaderModule> {
    compile();
    return import(pathToFileURL(path.join(distDir, "readDocument.js")).href) as Promise<ReaderModule>;
}
