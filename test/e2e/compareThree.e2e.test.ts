/**
 * Compare with three models, in Debian's Chromium against serve mode with the real engine: the
 * trained default pair (assets/models: dense, RecurFormer) and the random-weight BASED fixture
 * (test/fixtures/models/based-w16.gguf, window 16). The BASED file loads and answers (it streams
 * tokens and ends), every lane shows its figures, the ratios are against the first model, the cache
 * chart names BASED's flat line, and each lane's context cache as the app computes it is llama.cpp's
 * logged buffer within 1%.
 * Screenshot: test/artifacts/compare-three.png (copied to docs/compare-three.png); the view's PNG export:
 * test/artifacts/compare-three-export.png.
 * E2E_BASED_GGUF=path runs it on another BASED file, e.g. a trained one from engine/pipeline (its window read from the
 * file; the prompt must then run past it); the screenshot goes to test/artifacts only.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { ModelInfo } from "../../api/appApi";
import { formatBytes } from "../../api/format";
import { apiClient, artifacts, defaultModelsDir, defaultPairProblem, fixturesDir, inspectedModels, missingPrerequisites, openBrowser, root, screenshot, startServe, type Served } from "./support/harness";
import { expectLanesDoneWithCacheAsLogged } from "./support/compareLanes";

const missing = missingPrerequisites();
const suite = missing.length ? describe.skip : describe;
if (missing.length) process.stdout.write(`\n[e2e compare three] SKIPPED: ${missing.join("; ")}\n`);

const BASED_FILE = process.env.E2E_BASED_GGUF ? path.resolve(process.env.E2E_BASED_GGUF) : path.join(fixturesDir, "based-w16.gguf");
const FILES = [path.join(defaultModelsDir, "dense.gguf"), path.join(defaultModelsDir, "recurformer.gguf"), BASED_FILE];
const LANES = ["dense", "recurformer", "based"] as const;
/** long enough (about 100 tokens) that every lane runs well past the fixture's window of 16 (and a trained w64's) */
const PROMPT = "The lighthouse on the north cape was kept by Mara Quill for thirty years. Every night she climbed the " +
    "ninety-two steps, trimmed the wick, wound the clockwork that turned the lens, and wrote the weather in a green " +
    "logbook. In the great storm of the ninth winter the glass cracked, and she kept the light burning with a lantern " +
    "held in her own hands until dawn. Who kept the lighthouse, and what did she do in the great storm?";

suite("Compare: dense, RecurFormer and BASED on one prompt", () => {
    let served: Served;
    let browser: Awaited<ReturnType<typeof openBrowser>>;
    let page: Page;
    let modelsDir: string;
    let models: ModelInfo[];

    beforeAll(async () => {
        // the default pair is committed and the fixture is made by `npm run fixtures`: missing, this fails, it never skips
        const pairProblem = defaultPairProblem();
        if (pairProblem) throw new Error(pairProblem);
        if (!fs.existsSync(BASED_FILE)) throw new Error(`${path.relative(root, BASED_FILE)} is missing: run npm run fixtures`);
        modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-e2e-three-"));
        for (const f of FILES) fs.symlinkSync(f, path.join(modelsDir, path.basename(f)));
        served = await startServe({ modelsDir });
        browser = await openBrowser();
        page = browser.page;
        // tall enough for the whole view (controls, tiles, charts, lanes) in one screenshot
        await page.setViewportSize({ width: 1440, height: 1560 });
        page.on("pageerror", (e) => process.stdout.write(`[page error] ${e.message}\n`));
        await page.goto(served.url);
        await page.waitForSelector("[data-testid=engine-status][data-state=ready]", { timeout: 60_000 });
        const api = await apiClient(served);
        models = await inspectedModels(api);
        api.close();
    }, 200_000);

    afterAll(async () => {
        await browser?.close();
        await served?.stop();
        if (modelsDir) fs.rmSync(modelsDir, { recursive: true, force: true });
    });

    it("runs all three one after the other: each answers and ends, with its meters right", async () => {
        const ids = FILES.map((f) => models.find((m) => m.fileName === path.basename(f))!.id);
        expect(ids.map((id) => models.find((m) => m.id === id)!.kind)).toEqual([...LANES]);
        await page.click("[data-testid=nav-compare]");
        await page.click("[data-testid=mode-sequential]");
        for (const [lane, id] of ids.entries()) await page.selectOption(`[data-testid=compare-model-${lane}]`, id);
        expect(await page.textContent("[data-testid=compare-run]")).toContain("Run all three");
        await page.fill("[data-testid=compare-prompt]", PROMPT);
        await page.click("[data-testid=compare-run]");
        await expectLanesDoneWithCacheAsLogged(page, LANES, "e2e compare three");

        // BASED past its window: its cache is the fixed state plus w tokens of window KV, however many tokens it holds
        const based = models.find((m) => m.id === ids[2])!.shape!;
        const w = based.window!.tokens;
        const basedColumn = page.locator("[data-testid=compare-column-based]");
        expect(Number(await basedColumn.getAttribute("data-tokens"))).toBeGreaterThan(w);
        expect(Number(await basedColumn.getAttribute("data-cache"))).toBe(based.recurrentStateBytes + w * based.window!.kvBytesPerToken);
        expect(await basedColumn.locator(".stat").first().textContent()).toContain(formatBytes(based.recurrentStateBytes + w * based.window!.kvBytesPerToken));
        expect(await page.textContent("[data-testid=chart-cache-note]")).toContain(`BASED keeps KV of its last ${w} tokens and a fixed state: flat past ${w} tokens`);

        // ratios against the first model, one row per other lane, named
        expect(await page.textContent("[data-testid=summary-memory-recurformer]")).toMatch(/^RecurFormer [\d.]+% (less|more)both at [\d,]+ tokens: .* vs Dense /);
        // less than dense's cache when its fixed part is small against dense's KV at this length (the fixture), more
        // when it is not (a trained w64 at about 120 tokens): the tile says which and marks it so
        const basedLess = Number(await basedColumn.getAttribute("data-cache")) < Number(await page.getAttribute("[data-testid=compare-column-dense]", "data-cache"));
        if (!process.env.E2E_BASED_GGUF) expect(basedLess).toBe(true);
        expect(await page.textContent("[data-testid=summary-memory-based]")).toMatch(new RegExp(`^BASED [\\d.]+% ${basedLess ? "less" : "more"}both at [\\d,]+ tokens: .* vs Dense `));
        expect(await page.getAttribute("[data-testid=summary-memory-based]", "data-good")).toBe(basedLess ? "yes" : "no");
        for (const tile of ["summary-decode", "summary-prefill", "summary-first-token"])
            for (const key of ["recurformer", "based"]) expect(await page.textContent(`[data-testid=${tile}-${key}]`)).toMatch(/withheld|decoded tokens|prompt tokens/);

        // the charts: a line per lane, computed and measured, with values in units
        const legends = await page.locator(".u-legend").allTextContents();
        for (const name of ["Dense · computed", "RecurFormer · computed", "BASED · computed", "BASED · measured"]) expect(legends[0]).toContain(name);
        for (const name of ["Dense · decode", "RecurFormer · decode", "BASED · decode"]) expect(legends[1]).toContain(name);
        for (const legend of legends) expect(legend).not.toContain("--");

        // every lane's samples in the CSV
        const [csv] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=export-csv]")]);
        const csvText = fs.readFileSync((await csv.path())!, "utf8");
        for (const key of LANES) expect(csvText).toMatch(new RegExp(`^${key},`, "m"));
        const [png] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=export-png]")]);
        expect(fs.readFileSync((await png.path())!).subarray(1, 4).toString()).toBe("PNG");
        fs.copyFileSync((await png.path())!, path.join(artifacts, "compare-three-export.png"));

        await page.mouse.move(0, 0);
        const shot = await screenshot(page, "compare-three");
        if (!process.env.E2E_BASED_GGUF) fs.copyFileSync(shot, path.join(root, "docs", "compare-three.png"));
    }, 400_000);

    it("a chat with the BASED model answers, and its meters count window KV and a fixed state", async () => {
        const based = models.find((m) => m.fileName === path.basename(BASED_FILE))!;
        const w = based.shape!.window!.tokens;
        await page.setViewportSize({ width: 1440, height: 900 });
        await page.click("[data-testid=new-chat]");
        await page.selectOption("[data-testid=chat-model]", based.id);
        await page.fill("[data-testid=composer-input]", "Hello there, model.");
        await page.click("[data-testid=send]");
        await page.waitForSelector("[data-testid=message-assistant][data-status=done]", { timeout: 120_000 });
        expect((await page.textContent("[data-testid=message-assistant]"))!.trim().length).toBeGreaterThan(0);
        const cache = based.shape!.recurrentStateBytes + Math.min(w, Number(await page.getAttribute("[data-testid=meter-context]", "data-value"))) * based.shape!.window!.kvBytesPerToken;
        expect(await page.textContent("[data-testid=meter-cache]")).toBe(formatBytes(cache));
        expect(await page.textContent("[data-testid=meters]")).toContain("window KV of the last w tokens + fixed linear-attention state");
        expect(await page.textContent("[data-testid=meter-window]")).toContain(`Window KV (last ${w} tokens)`);
        // a BASED model is not a dense one: no dense source bar, and its chats are no dense baseline
        expect(await page.locator("[data-testid=bar-dense]").count()).toBe(0);
        expect(await page.locator("[data-testid=snapshot-dense]").count()).toBe(0);
        expect(await page.textContent("[data-testid=snapshot-card]")).toContain("BASED snapshot");
        expect(await page.textContent("[data-testid=baseline-note]")).toContain("A BASED model names no dense source");
        const api = await apiClient(served);
        expect((await api.call<{ denseModelId: string }[]>("baselines.list")).map((b) => b.denseModelId)).not.toContain(based.id);
        api.close();
        await screenshot(page, "chat-based");
    }, 180_000);
});
