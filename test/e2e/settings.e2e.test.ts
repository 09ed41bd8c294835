/**
 * Settings, where the user meets them, in Debian's Chromium against serve mode with the real engine
 * and the trained default pair: the API server switched on from its toggle answers the `openai`
 * client with the key the page shows, and switched off closes its port; the remote engine
 * (`recurformer engine --listen` on loopback) with a wrong token says so in words, with the right
 * one the engine line says where the engine runs, and Disconnect brings it back to this machine.
 * A running llama-server (where `npm run build:llama-server` has built it) is connected by its http:// address.
 * Screenshots: test/artifacts/api-settings.png, remote-engine-wrong-token.png, remote-engine-settings.png, llama-server-settings.png.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { llamaServerMissing, startServer } from "../llama-server/llamaServerProcess";
import { freePort, listening } from "../support/ports";
import { startEngineHost, type EngineHostProcess } from "../runtime/engineHost";
import { defaultPairProblem, missingPrerequisites, openBrowser, screenshot, startServe, type Served } from "./support/harness";

const missing = missingPrerequisites();
const pairProblem = defaultPairProblem();
if (pairProblem) missing.push(pairProblem);
const suite = missing.length ? describe.skip : describe;
if (missing.length) process.stdout.write(`\n[e2e settings] SKIPPED: ${missing.join("; ")}\n`);

/** closes the toasts, so the screenshots show the page itself */
async function dismissNotices(page: Page): Promise<void> {
    for (const button of await page.locator(".notices [aria-label=Dismiss]").all()) await button.click();
}

suite("Settings, through the UI", () => {
    const token = "e2e-settings-token-abcdef123456";
    let served: Served;
    let browser: Awaited<ReturnType<typeof openBrowser>>;
    let host: EngineHostProcess;
    let page: Page;

    beforeAll(async () => {
        host = await startEngineHost(token);
        served = await startServe({});
        browser = await openBrowser();
        page = browser.page;
        await page.setViewportSize({ width: 1280, height: 820 });
        page.on("pageerror", (e) => process.stdout.write(`[page error] ${e.message}\n`));
        await page.goto(served.url);
        await page.waitForSelector("[data-testid=engine-status][data-state=ready]", { timeout: 60_000 });
        await page.waitForSelector("[data-testid=model-card], [data-testid=composer-input]", { timeout: 60_000 });
        await page.click("[data-testid=nav-settings]");
    }, 240_000);

    afterAll(async () => {
        await browser?.close();
        await served?.stop();
        await host?.stop();
    });

    it("the API server: off by default; on, it runs at the URL shown and answers with the key shown; off, its port is closed", async () => {
        await page.waitForSelector("[data-testid=api-status][data-state=off]");
        expect(await page.isChecked("[data-testid=api-toggle]")).toBe(false);
        const port = await freePort();
        await page.fill("[data-testid=api-port]", String(port));
        await page.click("[data-testid=api-toggle]");
        await page.waitForSelector("[data-testid=api-status][data-state=running]", { timeout: 120_000 });
        expect(await page.textContent("[data-testid=api-status]")).toContain(`Running at http://127.0.0.1:${port}/v1`);
        const key = await page.inputValue("[data-testid=api-key]");
        await screenshot(page, "api-settings");

        const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: key });
        const answer = await client.chat.completions.create({ model: "recurformer", messages: [{ role: "user", content: "What is the capital of France?" }], max_tokens: 8, temperature: 0 });
        expect(answer.usage!.completion_tokens).toBeGreaterThan(0);

        await page.click("[data-testid=api-toggle]");
        await page.waitForSelector("[data-testid=api-status][data-state=off]");
        expect(await listening(port)).toBe(false);
    }, 240_000);

    it("the remote engine: a wrong token is said in words; the right one runs the engine there; Disconnect runs it here again", async () => {
        await page.fill("[data-testid=remote-url]", host.url);
        await page.fill("[data-testid=remote-token]", "not-the-token");
        await page.click("[data-testid=remote-connect]");
        await page.waitForSelector("[data-testid=engine-message]", { timeout: 60_000 });
        expect(await page.textContent("[data-testid=engine-message]")).toContain("wrong token");
        expect(await page.textContent("[data-testid=engine-status]")).toContain("Engine stopped");
        await dismissNotices(page);
        await screenshot(page, "remote-engine-wrong-token");

        await page.fill("[data-testid=remote-token]", token);
        await page.click("[data-testid=remote-connect]");
        await page.waitForFunction(() => /another machine: ws:\/\/.*· ready/.test(document.querySelector("[data-testid=engine-where]")?.textContent ?? ""), undefined, { timeout: 120_000 });
        expect(await page.textContent("[data-testid=engine-where]")).toContain(`Runs on another machine: ${host.url} · ready · token ••••3456`);
        expect(await page.textContent("[data-testid=engine-status]")).toContain(`remote engine ${host.url}`);
        expect(await page.textContent("[data-testid=engine-status]")).not.toContain("restart");
        await dismissNotices(page);
        await screenshot(page, "remote-engine-settings");

        await page.click("[data-testid=remote-disconnect]");
        await page.waitForFunction(() => /this machine \(child process\) · ready/.test(document.querySelector("[data-testid=engine-where]")?.textContent ?? ""), undefined, { timeout: 120_000 });
    }, 300_000);

    it("llama-server: its http:// address runs the engine there; the page says so and that the cache figures are computed", async (context) => {
        const why = llamaServerMissing();
        if (why) { process.stdout.write(`[e2e settings] llama-server case SKIPPED: ${why}\n`); context.skip(); return; }
        const server = await startServer([]);
        try {
            await page.fill("[data-testid=remote-url]", server.url);
            await page.fill("[data-testid=remote-token]", "");
            await page.click("[data-testid=remote-connect]");
            await page.waitForFunction(() => /llama-server at http:\/\/.*· ready/.test(document.querySelector("[data-testid=engine-where]")?.textContent ?? ""), undefined, { timeout: 120_000 });
            expect(await page.textContent("[data-testid=engine-where]")).toBe(`Runs on llama-server at ${server.url} (cache figures computed, none measured) · ready`);
            await dismissNotices(page);
            await screenshot(page, "llama-server-settings");
            await page.click("[data-testid=remote-disconnect]");
            await page.waitForFunction(() => /this machine \(child process\) · ready/.test(document.querySelector("[data-testid=engine-where]")?.textContent ?? ""), undefined, { timeout: 120_000 });
        } finally {
            server.process.kill("SIGTERM");
        }
    }, 300_000);
});
