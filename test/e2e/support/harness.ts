/**
 * End-to-end harness: starts `npm run serve`'s program (dist/main/serve/serve.js) with its own
 * user data folder (and model folder, or none: the default pair), and Debian's Chromium through
 * playwright-core.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import WebSocket from "ws";
import type { ModelInfo } from "../../../api/appApi";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const artifacts = path.join(root, "test", "artifacts");
export const fixturesDir = path.join(root, "test", "fixtures", "models");
export const defaultModelsDir = path.join(root, "assets", "models");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export interface Served {
    url: string;
    origin: string;
    token: string;
    userData: string;
    process: ChildProcess;
    log(): string;
    stop(): Promise<void>;
}

/** What a test can run against: built app, engine, Chromium, models. Each missing piece is named. */
export function missingPrerequisites(): string[] {
    const missing: string[] = [];
    if (!fs.existsSync(path.join(root, "dist", "main", "serve", "serve.js"))) missing.push("the app is not built (npm run build)");
    if (!fs.existsSync(path.join(root, "dist", "renderer", "index.html"))) missing.push("the renderer is not built (npm run build)");
    if (!fs.existsSync(CHROMIUM)) missing.push(`Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`);
    return missing;
}

/**
 * The bench-shape dense/RecurFormer fixtures (random weights: long, noisy answers, which the
 * streaming, stop and crash tests need), linked into a folder of their own.
 */
export function fixturePair(): { dir: string; files: string[] } | undefined {
    const pair = ["bench-dense.gguf", "bench-recurformer.gguf"];
    if (!pair.every((f) => fs.existsSync(path.join(fixturesDir, f)))) return undefined;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-e2e-models-"));
    for (const f of pair) fs.symlinkSync(path.join(fixturesDir, f), path.join(dir, f));
    return { dir, files: pair };
}

/** The trained default pair, committed in assets/models: what a user gets with no setup. */
export const DEFAULT_PAIR = { dense: "dense.gguf", recurformer: "recurformer.gguf" } as const;

/** Why the default pair cannot be used (missing, or not a GGUF file: a Git LFS pointer, say); undefined when it can. */
export function defaultPairProblem(dir = defaultModelsDir): string | undefined {
    for (const name of Object.values(DEFAULT_PAIR)) {
        const file = path.join(dir, name);
        const shown = path.relative(root, file);
        if (!fs.existsSync(file)) return `${shown} is missing: the trained default pair is committed with the app (restore it from git)`;
        const magic = Buffer.alloc(4);
        const fd = fs.openSync(file, "r");
        try { fs.readSync(fd, magic, 0, 4, 0); } finally { fs.closeSync(fd); }
        if (magic.toString("latin1") !== "GGUF") return `${shown} is not a GGUF file (a Git LFS pointer? fetch the real file)`;
    }
    return undefined;
}

/**
 * Starts serve mode with a fresh user data folder. `modelsDir` undefined: RECURFORMER_MODELS_DIR is
 * left unset (removed if the caller's environment has it), so the app finds its models as it does
 * for a user: the default pair in assets/models.
 */
export async function startServe(options: { modelsDir?: string; env?: Record<string, string>; userData?: string }): Promise<Served> {
    // the same folder again: the app restarted
    const userData = options.userData ?? fs.mkdtempSync(path.join(os.tmpdir(), "rf-e2e-data-"));
    const env: NodeJS.ProcessEnv = { ...process.env, RECURFORMER_USER_DATA: userData, ...options.env };
    if (options.modelsDir) env.RECURFORMER_MODELS_DIR = options.modelsDir;
    else delete env.RECURFORMER_MODELS_DIR;
    const child = spawn(process.execPath, [path.join(root, "dist", "main", "serve", "serve.js")], {
        cwd: root,
        env,
        stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stdout!.on("data", (d) => { log += d; });
    child.stderr!.on("data", (d) => { log += d; });
    const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not print its URL in 30 s:\n${log}`)), 30_000);
        const check = () => {
            const match = /open:\s+(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(log);
            if (match) { clearTimeout(timer); resolve(match[1]!); }
        };
        child.stdout!.on("data", check);
        child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`serve exited (${code}):\n${log}`)); });
    });
    const parsed = new URL(url);
    return {
        url,
        origin: parsed.origin,
        token: parsed.searchParams.get("token")!,
        userData,
        process: child,
        log: () => log,
        async stop() {
            if (child.exitCode !== null) return;
            const exited = new Promise((r) => child.once("exit", r));
            child.kill("SIGTERM");
            const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
            await exited;
            clearTimeout(timer);
        },
    };
}

export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

export async function openBrowser(): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), "rf-e2e-chromium-"));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        args: CHROMIUM_ARGS,
        headless: true,
        viewport: { width: 1440, height: 900 },
        deviceScaleFactor: 1,
        acceptDownloads: true,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return {
        context,
        page,
        async close() {
            await context.close();
            fs.rmSync(profile, { recursive: true, force: true });
        },
    };
}

export async function screenshot(page: Page, name: string): Promise<string> {
    fs.mkdirSync(artifacts, { recursive: true });
    const file = path.join(artifacts, `${name}.png`);
    await page.screenshot({ path: file });
    return file;
}

/** A Node-side client of the serve-mode API (the same WebSocket the page uses), for checks the UI does not show. */
export async function apiClient(served: Served) {
    const ws = new WebSocket(`${served.origin.replace("http", "ws")}/ws?token=${served.token}`, { headers: { origin: served.origin } });
    await new Promise<void>((resolve, reject) => { ws.once("open", () => resolve()); ws.once("error", reject); });
    let id = 1;
    const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
    const events: { type: string; [k: string]: unknown }[] = [];
    ws.on("message", (data) => {
        const message = JSON.parse(String(data));
        if (message.event) { events.push(message.event); return; }
        const w = waiting.get(message.id);
        waiting.delete(message.id);
        if (message.error) w?.reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
        else w?.resolve(message.result);
    });
    return {
        events,
        call<T = any>(method: string, params?: unknown): Promise<T> {
            const i = id++;
            return new Promise<T>((resolve, reject) => {
                waiting.set(i, { resolve: resolve as (v: unknown) => void, reject });
                ws.send(JSON.stringify({ id: i, method, params }));
            });
        },
        close() { ws.close(); },
    };
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 30_000, what = "condition"): Promise<NonNullable<T>> {
    const end = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < end) {
        try {
            const value = await check();
            if (value) return value as NonNullable<T>;
        } catch (error) { last = error; }
        await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

/** The app's model list once no model is being inspected: read right after the engine is ready, the list may still
 * hold a model whose inspection has not ended, whose kind is not known yet (it reads "dense" until then). */
export async function inspectedModels(api: Awaited<ReturnType<typeof apiClient>>): Promise<ModelInfo[]> {
    return waitFor(async () => {
        const list = await api.call<ModelInfo[]>("models.list");
        return list.every((m) => m.status !== "inspecting") ? list : undefined;
    }, 60_000, "every model's inspection to end");
}
