/**
 * readDocument as the app, serve mode and the CLI call it: every format to text, named errors
 * that arrive as their own classes, a worker per document that Cancel and the time limit
 * terminate at any point, a heap limit, and a main thread that stays responsive meanwhile.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import JSZip from "jszip";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as errors from "../../documents/errors";
import { readDocument as readFromSource } from "../../documents/readDocument";
import { pdfFromObjects, pdfWith, stream } from "./builders";
import { compiledReader, type ReaderModule } from "./compiledReader";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-docs-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, data: string | Buffer) => { const f = path.join(dir, name); fs.writeFileSync(f, data); return f; };
let reader: ReaderModule;
let compiledErrors: typeof errors;
beforeAll(async () => {
    reader = await compiledReader();
    compiledErrors = await import(new URL("../../dist/documents/errors.js", import.meta.url).href);
}, 180_000);
const read = (file: string, options?: Parameters<ReaderModule["readDocument"]>[1]) => reader.readDocument({ path: file }, options);

/** Three pages that pdf.js needs seconds for (500,000 text operations each, 1.5 million in all, under the 2 million limit), to cancel and time out. */
const slowPdf = () => pdfFromObjects([
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [4 0 R 6 0 R 8 0 R] /Count 3 >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ...[4, 6, 8].flatMap((page) => [
        `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 144] /Contents ${page + 1} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`,
        stream("", `BT /F1 1 Tf 1 Tz 10 100 Td ${"(a) Tj ".repeat(500_000)} ET`),
    ]),
]);

async function docxWith(paragraphs: string[]): Promise<Buffer> {
    const zip = new JSZip();
    zip.file("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`);
    zip.file("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`);
    zip.file("word/document.xml", `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${paragraphs.map((p) => `<w:p><w:r><w:t>${p}</w:t></w:r></w:p>`).join("")}</w:body></w:document>`);
    return zip.generateAsync({ type: "nodebuffer", compression: "DEFLATE" });
}

describe("reading documents", () => {
    it("reads plain text and Markdown as UTF-8 (BOM dropped, line ends normalised)", async () => {
        expect((await read(write("a.txt", "\uFEFFhello\r\nwörld\r\n"))).text).toBe("hello\nwörld");
        const md = await read(write("a.md", "# Title\n\n\n\nBody"));
        expect(md).toMatchObject({ text: "# Title\n\nBody", kind: "text", mime: "text/markdown", encoding: "utf-8", replacedChars: 0 });
    });

    it("strips HTML to its text, keeping blocks as lines and dropping scripts and styles", async () => {
        const { htmlToText } = await import("../../documents/htmlText");
        expect(htmlToText("<h1>Title</h1><p>One &amp; two</p><script>alert(1)</script><style>p{}</style><li>x&#233;</li>")).toBe("\nTitle\n\nOne & two\n\nxé\n");
        expect(await read(write("p.html", "<html><body><p>Para</p></body></html>"))).toMatchObject({ text: "Para", kind: "html", mime: "text/html" });
    });

    it("reads a PDF page by page with progress", async () => {
        const progress: number[] = [];
        const result = await read(write("ok.pdf", pdfWith("The cat is Biscuit", "page two")), { onProgress: (f) => progress.push(f) });
        expect(result).toMatchObject({ text: "The cat is Biscuit\n\npage two", kind: "pdf", pages: 2 });
        expect(progress).toEqual([0.5, 1, 1]);
    });

    it("reads a Word document written by JSZip", async () => {
        expect(await read(write("w.docx", await docxWith(["First paragraph.", "Second paragraph."])))).toMatchObject({ text: "First paragraph.\n\nSecond paragraph.", kind: "docx" });
    });

    it("reads bytes handed over instead of a path (the name only words messages)", async () => {
        const result = await reader.readDocument({ bytes: pdfWith("from bytes"), name: "upload.bin" });
        expect(result).toMatchObject({ text: "from bytes", kind: "pdf", name: "upload.bin" });
    });

    it("names the file and the problem, and each error arrives as its own class", async () => {
        const cases: [string, string | Buffer, RegExp, keyof typeof errors][] = [
            ["bad.pdf", "%PDF-1.7\n1 0 obj << >> garbage", /“bad.pdf” is not a valid PDF or is damaged/, "DocumentFormatError"],
            ["text.pdf", "hello", /“text.pdf” is not a valid PDF \(no %PDF header\)/, "DocumentFormatError"],
            ["bad.docx", "not a zip", /“bad.docx” could not be read as a Word document/, "DocumentFormatError"],
            ["bin.txt", Buffer.from([1, 2, 0, 3]), /looks like a binary file/, "DocumentFormatError"],
            ["x.exe", Buffer.concat([Buffer.from("MZ"), Buffer.alloc(64)]), /is a Windows program, not a document this app reads/, "DocumentFormatError"],
            ["empty.md", "   \n", /has no text in it/, "DocumentEmptyError"],
        ];
        for (const [name, data, message, className] of cases) {
            const error = await read(write(name, data)).then(() => undefined, (e: Error) => e);
            expect(error?.message, name).toMatch(message);
            expect(error, name).toBeInstanceOf(compiledErrors[className] as unknown as typeof Error);
            expect(error?.name).toBe(className);
        }
        await expect(read(path.join(dir, "missing.txt"))).rejects.toThrow(/“missing.txt” cannot be read \(it was moved or is not accessible\)/);
        await expect(read(dir)).rejects.toMatchObject({ name: "DocumentReadError", message: expect.stringMatching(/is not a file/) });
        if (fs.existsSync("/dev/zero")) await expect(read("/dev/zero")).rejects.toMatchObject({ name: "DocumentReadError", message: "“zero” is not a file." });
    });

    it("keeps the app's file limit (64 MiB unless RECURFORMER_MAX_DOCUMENT_MB) and its message", async () => {
        const { documentLimits, maxDocumentBytes } = await import("../../documents/limits");
        expect(maxDocumentBytes({})).toBe(64 * 1024 * 1024);
        expect(maxDocumentBytes({ RECURFORMER_MAX_DOCUMENT_MB: "2" })).toBe(2 * 1024 * 1024);
        expect(documentLimits({ maxFileBytes: 1000 })).toMatchObject({ maxFileBytes: 1000, maxChars: 1000, maxUnpackedBytes: 2000 });
        const big = write("big.txt", Buffer.alloc(2 * 1024 * 1024, 65));
        await expect(read(big, { limits: { maxFileBytes: 1024 * 1024 } })).rejects.toMatchObject({
            name: "DocumentTooLargeError", fileBytes: 2 * 1024 * 1024, maxBytes: 1024 * 1024,
            message: expect.stringMatching(/^“big.txt” is 2.00 MiB; documents up to 1.00 MiB can be read/),
        });
    });

    it("Cancel stops the worker at any point: before it starts, while it starts, while pdf.js reads", async () => {
        const file = write("slow.pdf", slowPdf());
        const before = new AbortController();
        before.abort();
        await expect(read(file, { signal: before.signal })).rejects.toBeInstanceOf(compiledErrors.DocumentCancelledError);
        for (const when of [0, 50, "after page 1"] as const) {
            const controller = new AbortController();
            let pageRead: () => void = () => undefined;
            const firstPage = new Promise<void>((r) => { pageRead = r; });
            const reading = read(file, { signal: controller.signal, onProgress: () => pageRead() });
            await (when === "after page 1" ? firstPage : new Promise((r) => setTimeout(r, when)));
            const aborted = performance.now();
            controller.abort();
            await expect(reading).rejects.toMatchObject({ name: "DocumentCancelledError", message: "Reading “slow.pdf” was cancelled." });
            expect(performance.now() - aborted).toBeLessThan(100);
        }
    }, 30_000);

    it("the time limit stops a slow document with DocumentTimeoutError", async () => {
        const started = performance.now();
        await expect(read(write("slow2.pdf", slowPdf()), { limits: { timeoutMs: 500 } })).rejects.toMatchObject({ name: "DocumentTimeoutError", timeoutMs: 500, message: "Reading “slow2.pdf” took longer than 0.5 s, so it was stopped. The file may be damaged or built to be slow to read." });
        expect(performance.now() - started).toBeLessThan(1000);
    }, 30_000);

    it("the main thread stays responsive while a hostile document is read (event-loop lag measured)", async () => {
        const file = write("flood.html", Buffer.alloc(8 * 1024 * 1024, "<div>&amp;"));
        const slow = write("slow3.pdf", slowPdf());
        const lag = monitorEventLoopDelay({ resolution: 10 });
        let ticks = 0;
        const timer = setInterval(() => ticks++, 10);
        lag.enable();
        const started = performance.now();
        const outcomes = await Promise.allSettled([read(file), read(slow)]);
        const ms = performance.now() - started;
        lag.disable();
        clearInterval(timer);
        const maxLagMs = lag.max / 1e6;
        console.log(`event loop while reading 8 MiB of HTML markup and a slow PDF (${(ms / 1000).toFixed(2)} s): max lag ${maxLagMs.toFixed(0)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms, ${ticks} ticks of 10 ms`);
        expect(outcomes[0]).toMatchObject({ status: "fulfilled" });
        expect(outcomes[1]).toMatchObject({ status: "fulfilled", value: { pages: 3 } });
        expect(ms).toBeGreaterThan(1000);
        expect(maxLagMs).toBeLessThan(250);
        expect(ticks).toBeGreaterThan(ms / 10 / 3);
    }, 30_000);

    it("works from the TypeScript sources too (tests and tsx start the same worker through tsx)", async () => {
        const result = await readFromSource({ path: write("src.html", "<p>from source</p>") });
        expect(result).toMatchObject({ text: "from source", kind: "html" });
        await expect(readFromSource({ path: write("src.txt", Buffer.from([0, 1, 2])) })).rejects.toBeInstanceOf(errors.DocumentFormatError);
    }, 30_000);
});
