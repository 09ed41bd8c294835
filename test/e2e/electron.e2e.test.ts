/**
 * The real desktop app through Playwright's `_electron`: the window, the preload as the only
 * door, sandboxing, navigation denied, and a streamed answer. Runs wherever Electron's binary is
 * installed (and, on Linux, a display exists: DISPLAY, or run under xvfb-run); elsewhere it is
 * reported as skipped, with the reason.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { _electron as electron, type ElectronApplication, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifacts, root, testModels } from "./support/harness";

function electronBinary(): { path?: string; reason?: string } {
    const require = createRequire(path.join(root, "package.json"));
    let pkgDir: string;
    try { pkgDir = path.dirname(require.resolve("electron/package.json")); } catch { return { reason: "the electron npm package is not installed" }; }
    const pathFile = path.join(pkgDir, "path.txt");
    if (!fs.existsSync(pathFile)) return { reason: "Electron's binary was not downloaded (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1 or without network); `npm start` explains how to get it" };
    const binary = path.join(pkgDir, "dist", fs.readFileSync(pathFile, "utf8").trim());
    if (!fs.existsSync(binary)) return { reason: `Electron's binary is missing at ${binary}` };
    if (process.platform === "linux" && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return { reason: "no display (set DISPLAY or run the tests under xvfb-run)" };
    if (!fs.existsSync(path.join(root, "dist", "main", "electron", "main.js"))) return { reason: "the app is not built (npm run build)" };
    return { path: binary };
}

const found = electronBinary();
const models = found.path ? testModels() : undefined;
const reason = found.reason ?? (models ? undefined : "no models (npm run fixtures)");
if (reason) process.stdout.write(`\n[electron e2e] SKIPPED: ${reason}\n`);

describe.skipIf(Boolean(reason))(reason ? `the desktop app (Electron) — skipped: ${reason}` : "the desktop app (Electron)", () => {
    let app: ElectronApplication;
    let page: Page;
    let userData: string;

    beforeAll(async () => {
        userData = fs.mkdtempSync(path.join(os.tmpdir(), "rf-electron-"));
        app = await electron.launch({
            executablePath: found.path!,
            args: [root],
            cwd: root,
            env: { ...process.env, RECURFORMER_USER_DATA: userData, RECURFORMER_MODELS_DIR: models!.dir } as Record<string, string>,
        });
        page = await app.firstWindow();
        await page.waitForSelector("[data-testid=engine-status][data-state=ready]", { timeout: 120_000 });
    }, 180_000);

    afterAll(async () => {
        await app?.close();
        if (userData) fs.rmSync(userData, { recursive: true, force: true });
    });

    it("exposes only the typed preload API: no Node in the page, sandboxed, context-isolated", async () => {
        const probe = await page.evaluate(() => ({
            api: typeof window.recurformer?.invoke,
            transport: window.recurformer?.transport,
            require: typeof (window as unknown as { require?: unknown }).require,
            process: typeof (window as unknown as { process?: unknown }).process,
        }));
        expect(probe).toEqual({ api: "function", transport: "electron", require: "undefined", process: "undefined" });
        const prefs = await app.evaluate(({ BrowserWindow }) => {
            const wc = BrowserWindow.getAllWindows()[0]!.webContents;
            const p = (wc as unknown as { getLastWebPreferences(): Record<string, unknown> }).getLastWebPreferences();
            return { contextIsolation: p.contextIsolation, sandbox: p.sandbox, nodeIntegration: p.nodeIntegration };
        });
        expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    });

    it("denies navigation and new windows", async () => {
        const before = page.url();
        await page.evaluate(() => { window.location.href = "https://example.com/"; });
        await page.waitForTimeout(500);
        expect(page.url()).toBe(before);
        expect(await page.evaluate(() => window.open("https://example.com/") === null)).toBe(true);
        expect(app.windows()).toHaveLength(1);
    });

    it("rejects an invalid IPC payload with a clear error", async () => {
        const message = await page.evaluate(() => window.recurformer!.invoke("chats.get", { chatId: "../../x" } as never).then(() => "accepted", (e: Error) => e.message));
        expect(message).toBe("params.chatId has an invalid format");
    });

    it("streams an answer with live meters, the engine in a utility process", async () => {
        expect(await page.getAttribute("[data-testid=engine-status]", "data-state")).toBe("ready");
        expect(await page.textContent("[data-testid=engine-status]")).toMatch(/utility process/);
        await page.fill("[data-testid=composer-input]", "Hello from the desktop app.");
        await page.click("[data-testid=send]");
        await page.waitForSelector("[data-testid=meters][data-live=yes]", { timeout: 60_000 });
        await page.waitForSelector("[data-testid=message-assistant][data-status=done]", { timeout: 120_000 });
        expect(Number(await page.getAttribute("[data-testid=bar-ours]", "data-value"))).toBeGreaterThan(0);
        fs.mkdirSync(artifacts, { recursive: true });
        await page.screenshot({ path: path.join(artifacts, "electron-chat.png") });
    }, 180_000);
});
