/**
 * PyramidInfer through the page, in Debian's Chromium against serve mode with the real engine and the trained
 * default pair (assets/models): the dense model's setting refuses a bad schedule before it is sent, takes a preset and
 * loads with it ("Dense + PyramidInfer r0 0.8/0.7", one chat slot); a chat on it (the model card's 3.8k-token sample and
 * its question) answers and its cache meter shows the tokens each layer keeps (pyramidRetained at the chat's token
 * count) beside the cells llama.cpp allocated, and the bytes; Compare runs dense, dense + PyramidInfer, RecurFormer and
 * RecurFormer + PyramidInfer on the same prompt (the same two files twice, four lanes two by two), and each lane's
 * context cache as computed is llama.cpp's logged buffer within 1%.
 * Screenshots: test/artifacts/pyramid-setting.png, pyramid-meter.png and compare-pyramid.png (copied to docs/), and
 * pyramid-setting-error.png.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { ModelInfo } from "../../api/appApi";
import { formatBytes } from "../../api/format";
import { pyramidCells, pyramidRetained } from "../../api/pyramidCache";
import { pyramidCacheBytesAt } from "../../api/pyramidShape";
import { DEFAULT_PAIR, apiClient, artifacts, defaultModelsDir, defaultPairProblem, inspectedModels, missingPrerequisites, openBrowser, root, screenshot, startServe, type Served } from "./support/harness";
import { expectLanesDoneWithCacheAsLogged } from "./support/compareLanes";

const missing = missingPrerequisites();
const suite = missing.length ? describe.skip : describe;
if (missing.length) process.stdout.write(`\n[e2e pyramid] SKIPPED: ${missing.join("; ")}\n`);

const STEEP = { r0: 0.8, decay: 0.7, recent: 64 };
const LANES = ["dense", "dense-pyramid", "recurformer", "recurformer-pyramid"] as const;
/** the model card's sample (3.8k tokens, four vault codes planted in it) and its question: seven prompt batches, so each layer thins to its share */
const PROMPT = `${fs.readFileSync(path.join(defaultModelsDir, "sample-vault-codes.txt"), "utf8")}\n\nWhat is the access code for the Pine Forge vault?`;
const numbers = (text: string | null) => (text ?? "").split(",").map(Number);

suite("PyramidInfer: the setting, the cache meter, and Compare with four lanes", () => {
    let served: Served;
    let browser: Awaited<ReturnType<typeof openBrowser>>;
    let page: Page;
    let modelsDir: string;
    let dense: ModelInfo;
    let rf: ModelInfo;

    beforeAll(async () => {
        // the default pair is committed: missing, this fails, it never skips
        const pairProblem = defaultPairProblem();
        if (pairProblem) throw new Error(pairProblem);
        modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-e2e-pyramid-"));
        for (const f of Object.values(DEFAULT_PAIR)) fs.symlinkSync(path.join(defaultModelsDir, f), path.join(modelsDir, f));
        served = await startServe({ modelsDir });
        browser = await openBrowser();
        page = browser.page;
        page.on("pageerror", (e) => process.stdout.write(`[page error] ${e.message}\n`));
        await page.goto(served.url);
        await page.waitForSelector("[data-testid=engine-status][data-state=ready]", { timeout: 60_000 });
        const api = await apiClient(served);
        const models = await inspectedModels(api);
        api.close();
        dense = models.find((m) => m.fileName === DEFAULT_PAIR.dense)!;
        rf = models.find((m) => m.fileName === DEFAULT_PAIR.recurformer)!;
    }, 200_000);

    afterAll(async () => {
        await browser?.close();
        await served?.stop();
        if (modelsDir) fs.rmSync(modelsDir, { recursive: true, force: true });
    });

    it("the dense model's setting refuses a bad schedule, takes a preset, and loads with it", async () => {
        await page.click("[data-testid=nav-models]");
        const card = page.locator("[data-testid=model-card][data-kind=dense]");
        await card.locator("[data-testid=pyramid-on]").check();
        await card.locator("[data-testid=pyramid-r0]").fill("1.5");
        expect(await card.locator("[data-testid=pyramid-problem]").textContent()).toMatch(/r0 must be a number above 0 and at most 1 \(the first layer's share of the tokens seen\), got "1.5"/);
        expect(await card.locator("[data-testid=apply-settings]").isDisabled()).toBe(true);
        await card.screenshot({ path: path.join(artifacts, "pyramid-setting-error.png") });
        await card.locator("[data-testid=pyramid-preset]").selectOption("r0 0.8 / decay 0.7");
        expect(await card.locator("[data-testid=pyramid-problem]").count()).toBe(0);
        expect(await card.locator("[data-testid=pyramid-r0]").inputValue()).toBe("0.8");
        await card.locator("[data-testid=apply-settings]").click();
        await card.locator("[data-testid=load-model]").click();
        await page.waitForSelector("[data-testid=model-card][data-kind=dense][data-status=loaded]", { timeout: 120_000 });
        expect(await card.locator("[data-testid=model-loaded-as]").textContent()).toBe("Loaded as Dense + PyramidInfer r0 0.8/0.7 · 1 chat slot × 16k tokens, thinned per layer");
        await card.screenshot({ path: path.join(artifacts, "pyramid-setting.png") });
        fs.copyFileSync(path.join(artifacts, "pyramid-setting.png"), path.join(root, "docs", "pyramid-setting.png"));
    }, 180_000);

    it("a chat on it answers, and its cache meter shows each layer's kept tokens beside llama.cpp's cells", async () => {
        await page.click("[data-testid=nav-chat]");
        await page.click("[data-testid=new-chat]");
        await page.selectOption("[data-testid=chat-model]", dense.id);
        await page.fill("[data-testid=composer-input]", PROMPT);
        await page.click("[data-testid=send]");
        await page.waitForSelector("[data-testid=message-assistant][data-status=done]", { timeout: 120_000 });
        expect(await page.textContent("[data-testid=meters-cache-mode]")).toBe("Dense + PyramidInfer r0 0.8/0.7");
        expect(await page.locator(`[data-testid=chat-model] option[value="${dense.id}"]`).textContent()).toBe("Dense + PyramidInfer r0 0.8/0.7 · dense");
        const meter = page.locator("[data-testid=meter-pyramid]");
        const tokens = Number(await page.getAttribute("[data-testid=meter-context]", "data-value"));
        expect(tokens).toBeGreaterThan(3000);
        // kept per layer at the chat's token count, and the cells llama.cpp allocated (its log), the schedule's
        expect(numbers(await meter.getAttribute("data-retained"))).toEqual(pyramidRetained(tokens, 8, STEEP));
        expect(numbers(await meter.getAttribute("data-cells"))).toEqual(pyramidCells(16_384, 8, STEEP, 512));
        expect(await page.locator("[data-testid^=layer-retained-]").count()).toBe(8);
        // in use: the meter's cache figure; allocated: computed from the schedule, measured by llama.cpp, within 1%
        const inUse = Number(await meter.getAttribute("data-in-use"));
        expect(inUse).toBe(pyramidCacheBytesAt(dense.shape!, STEEP, tokens));
        expect(await page.textContent("[data-testid=meter-cache]")).toBe(formatBytes(inUse));
        const computed = Number(await meter.getAttribute("data-allocated-computed"));
        const measured = Number(await meter.getAttribute("data-allocated-measured"));
        expect(Math.abs(computed - measured) / measured).toBeLessThanOrEqual(0.01);
        // beside the dense model's full cache at the same count
        expect(Number(await page.getAttribute("[data-testid=bar-dense]", "data-value"))).toBe(tokens * dense.shape!.kvBytesPerToken);
        // with PyramidInfer nothing rolls back, and the snapshot card says so
        expect(await page.textContent("[data-testid=meter-snapshot]")).toBe("none: reads afresh");
        await page.setViewportSize({ width: 1440, height: 1400 });
        await page.mouse.move(0, 0);
        const shot = path.join(artifacts, "pyramid-meter.png");
        await page.locator("[data-testid=meter-cache-card]").screenshot({ path: shot });
        fs.copyFileSync(shot, path.join(root, "docs", "pyramid-meter.png"));
    }, 180_000);

    it("Compare runs dense, dense + PyramidInfer, RecurFormer and RecurFormer + PyramidInfer on one prompt, two by two", async () => {
        // tall enough for the whole view (controls, tiles, charts, four lanes two by two) in one screenshot
        await page.setViewportSize({ width: 1440, height: 2800 });
        await page.click("[data-testid=nav-compare]");
        await page.click("[data-testid=mode-sequential]");
        const picks = [[dense.id, "full"], [dense.id, "pyramid"], [rf.id, "full"], [rf.id, "pyramid"]] as const;
        for (const [lane, [id, cache]] of picks.entries()) {
            await page.selectOption(`[data-testid=compare-model-${lane}]`, id);
            await page.selectOption(`[data-testid=compare-cache-${lane}]`, cache);
        }
        expect(await page.textContent("[data-testid=compare-run]")).toContain("Run all four");
        await page.fill("[data-testid=compare-prompt]", PROMPT);
        await page.click("[data-testid=compare-run]");
        await expectLanesDoneWithCacheAsLogged(page, LANES, "e2e pyramid");
        for (const [key, model] of [["dense-pyramid", dense], ["recurformer-pyramid", rf]] as const) {
            expect(await page.textContent(`[data-testid=compare-column-${key}] .model-badge`)).toBe(`${key.startsWith("dense") ? "Dense" : "RecurFormer"} + PyramidInfer`);
            expect(await page.textContent(`[data-testid=compare-cache-mode-${key}]`)).toMatch(/^PyramidInfer r0 0\.8\/0\.7 · /);
            // the lane's cache: the schedule's at its tokens, and its layers' kept tokens and cells drawn
            const column = page.locator(`[data-testid=compare-column-${key}]`);
            const tokens = Number(await column.getAttribute("data-tokens"));
            expect(Number(await column.getAttribute("data-cache")), key).toBe(pyramidCacheBytesAt(model.shape!, STEEP, tokens));
            const layers = page.locator(`[data-testid=compare-pyramid-${key}]`);
            expect(numbers(await layers.getAttribute("data-retained")), key).toEqual(pyramidRetained(tokens, 8, STEEP));
            expect(numbers(await layers.getAttribute("data-cells")), key).toEqual(pyramidCells(16_384, 8, STEEP, 512));
        }
        // the full-cache lanes draw no layer chart; the ratios are against the first lane, one row each
        expect(await page.locator("[data-testid=compare-pyramid-dense]").count()).toBe(0);
        expect(await page.textContent("[data-testid=summary-memory-dense-pyramid]")).toMatch(/^Dense \+ PyramidInfer [\d.]+% lessboth at [\d,]+ tokens: .* vs Dense /);
        expect(await page.textContent("[data-testid=summary-memory-recurformer-pyramid]")).toMatch(/^RecurFormer \+ PyramidInfer [\d.]+% (less|more)both at /);
        // four lanes, two by two
        expect(await page.getAttribute("[data-testid=compare-columns]", "class")).toContain("lanes-4");
        const boxes = await Promise.all(LANES.map((key) => page.locator(`[data-testid=compare-column-${key}]`).boundingBox()));
        expect(boxes[0]!.y).toBe(boxes[1]!.y);
        expect(boxes[2]!.y).toBeGreaterThan(boxes[0]!.y + boxes[0]!.height - 1);
        expect(boxes[2]!.x).toBe(boxes[0]!.x);
        // the cache chart draws the PyramidInfer lines and says how
        const legends = await page.locator(".u-legend").allTextContents();
        for (const name of ["Dense · computed", "Dense + PyramidInfer · computed", "RecurFormer · computed", "RecurFormer + PyramidInfer · computed"]) expect(legends[0]).toContain(name);
        expect(await page.textContent("[data-testid=chart-cache-pyramid-note]")).toContain("Dense + PyramidInfer (PyramidInfer r0 0.8/0.7): layer l keeps n × 0.8 × 0.7^l tokens, at least 64");
        const [csv] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=export-csv]")]);
        const csvText = fs.readFileSync((await csv.path())!, "utf8");
        for (const key of LANES) expect(csvText).toMatch(new RegExp(`^${key},`, "m"));
        const [png] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=export-png]")]);
        expect(fs.readFileSync((await png.path())!).subarray(1, 4).toString()).toBe("PNG");
        fs.copyFileSync((await png.path())!, path.join(artifacts, "compare-pyramid-export.png"));

        await page.mouse.move(0, 0);
        const shot = await screenshot(page, "compare-pyramid");
        // the copies are named on their models' cards: dense's full cache (its setting is on), RecurFormer's PyramidInfer
        await page.setViewportSize({ width: 1440, height: 900 });
        await page.click("[data-testid=nav-models]");
        expect(await page.textContent("[data-testid=model-card][data-kind=dense] [data-testid=model-compare-copy]")).toBe("Also loaded for Compare as Dense · 2 chat slots × 16k tokens (the same file, a context of its own)");
        expect(await page.textContent("[data-testid=model-card][data-kind=recurformer] [data-testid=model-compare-copy]")).toBe("Also loaded for Compare as RecurFormer + PyramidInfer r0 0.8/0.7 · 1 chat slot × 16k tokens, thinned per layer (the same file, a context of its own)");
        fs.copyFileSync(shot, path.join(root, "docs", "compare-pyramid.png"));
    }, 400_000);
});
