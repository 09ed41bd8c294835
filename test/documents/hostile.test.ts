/**
 * The hostile-document suite: every generated document (hostileDocuments.ts) read by the
 * compiled reader, as the app reads it, from a real file; each must give its expected named
 * error or text in under 2 s. Prints the counts and the slowest.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compiledReader, type ReaderModule } from "./compiledReader";
import { hostileDocuments, type Expected } from "./hostileDocuments";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-hostile-"));
const documents = hostileDocuments();
const outcomes: { name: string; ms: number; ok: boolean }[] = [];
let reader: ReaderModule;

beforeAll(async () => { reader = await compiledReader(); }, 180_000);
afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    const slowest = outcomes.reduce((a, b) => (b.ms > a.ms ? b : a), { name: "-", ms: 0, ok: true });
    const formats = new Set(documents.map((d) => path.extname(d.name) || "(none)"));
    console.log(`hostile documents: ${documents.length} files (${[...formats].join(" ")}), ${outcomes.filter((o) => o.ok).length} expected outcomes, max ${(slowest.ms / 1000).toFixed(2)} s (${slowest.name})`);
});

function check(expected: Expected, outcome: { text?: string; kind?: string; error?: Error }): void {
    if ("error" in expected) {
        expect(outcome.error, `expected ${expected.error}, got text`).toBeDefined();
        expect(outcome.error!.name).toBe(expected.error);
        expect(outcome.error).toBeInstanceOf(Error);
        if (expected.message) expect(outcome.error!.message).toMatch(expected.message);
        return;
    }
    if (outcome.error) throw new Error(`expected text, got ${outcome.error.name}: ${outcome.error.message}`);
    const want = expected.text;
    if (typeof want === "string") expect(outcome.text).toBe(want);
    else if (want instanceof RegExp) expect(outcome.text).toMatch(want);
    else expect(want(outcome.text!), `text check failed for ${JSON.stringify(outcome.text!.slice(0, 80))}… (${outcome.text!.length} chars)`).toBe(true);
    if (expected.kind) expect(outcome.kind).toBe(expected.kind);
}

describe("hostile documents", () => {
    it("has at least 100 generated documents over every format, each named once", () => {
        expect(documents.length).toBeGreaterThanOrEqual(100);
        expect(new Set(documents.map((d) => d.name)).size).toBe(documents.length);
        for (const ext of [".txt", ".md", ".html", ".docx", ".pdf"]) expect(documents.some((d) => d.name.endsWith(ext))).toBe(true);
    });

    for (const doc of documents) {
        it(`${doc.name}: ${doc.what}`, async () => {
            const file = path.join(dir, doc.name);
            fs.writeFileSync(file, doc.bytes());
            const started = performance.now();
            let outcome: { text?: string; kind?: string; error?: Error };
            try {
                const result = await reader.readDocument({ path: file }, { limits: doc.limits });
                outcome = { text: result.text, kind: result.kind };
            } catch (error) {
                outcome = { error: error as Error };
            }
            const ms = performance.now() - started;
            fs.rmSync(file);
            outcomes.push({ name: doc.name, ms, ok: false });
            check(doc.expect, outcome);
            expect(ms, `${doc.name} took ${ms.toFixed(0)} ms`).toBeLessThan(2000);
            outcomes[outcomes.length - 1]!.ok = true;
        }, 30_000);
    }
});
