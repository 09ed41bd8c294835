/**
 * The Compare view's lanes after a run, as every Compare e2e test checks them: each lane ends, answers (several
 * metrics samples, a non-empty answer), and its context cache as the app computes it is llama.cpp's logged KV + state
 * buffers within 1%.
 */
import { expect } from "vitest";
import type { Page } from "playwright-core";

export async function expectLanesDoneWithCacheAsLogged(page: Page, lanes: readonly string[], tag: string): Promise<void> {
    for (const key of lanes) await page.waitForSelector(`[data-testid=compare-column-${key}][data-status=done]`, { timeout: 300_000 });
    for (const key of lanes) {
        const column = page.locator(`[data-testid=compare-column-${key}]`);
        expect(Number(await column.getAttribute("data-samples")), key).toBeGreaterThan(1);
        expect((await page.textContent(`[data-testid=compare-answer-${key}]`))!.trim().length, key).toBeGreaterThan(0);
        const buffers = page.locator(`[data-testid=compare-buffers-${key}]`);
        const computed = Number(await buffers.getAttribute("data-computed"));
        const measured = Number(await buffers.getAttribute("data-measured"));
        process.stdout.write(`[${tag}] ${key}: context cache computed ${computed} B, llama.cpp ${measured} B (${(100 * (computed / measured - 1)).toFixed(3)}%)\n`);
        expect(measured, key).toBeGreaterThan(0);
        expect(Math.abs(computed - measured) / measured, key).toBeLessThanOrEqual(0.01);
    }
}
