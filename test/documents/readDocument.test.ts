/** Text out of every supported format, and clear errors for the ones that are broken. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import JSZip from "jszip";
import { afterAll, describe, expect, it } from "vitest";
import { extractText, htmlToText } from "../../main/core/documents/extractText";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-docs-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, data: string | Buffer) => { const f = path.join(dir, name); fs.writeFileSync(f, data); return f; };

/** A minimal valid one-page PDF with the given text (offsets computed, so the xref is right). */
function pdfWith(text: string): Buffer {
    const objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        null,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ];
    const stream = `BT /F1 12 Tf 20 100 Td (${text}) Tj ET`;
    objects[3] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
    let out = "%PDF-1.4\n";
    const offsets: number[] = [];
    objects.forEach((body, i) => { offsets.push(out.length); out += `${i + 1} 0 obj\n${body}\nendobj\n`; });
    const xref = out.length;
    out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
    out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
    return Buffer.from(out, "latin1");
}

async function docxWith(paragraphs: string[]): Promise<Buffer> {
    const zip = new JSZip();
    zip.file("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`);
    zip.file("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`);
    zip.file("word/document.xml", `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${paragraphs.map((p) => `<w:p><w:r><w:t>${p}</w:t></w:r></w:p>`).join("")}</w:body></w:document>`);
    return zip.generateAsync({ type: "nodebuffer" });
}

describe("document text extraction", () => {
    it("reads plain text and Markdown as UTF-8 (BOM dropped, line ends normalised)", async () => {
        expect(await extractText(write("a.txt", "\uFEFFhello\r\nwörld\r\n"), "a.txt")).toBe("hello\nwörld");
        expect(await extractText(write("a.md", "# Title\n\nBody"), "a.md")).toBe("# Title\n\nBody");
    });

    it("strips HTML to its text, keeping blocks as lines and dropping scripts and styles", async () => {
        expect(htmlToText("<h1>Title</h1><p>One &amp; two</p><script>alert(1)</script><style>p{}</style><li>x&#233;</li>")).toBe("\nTitle\n\nOne & two\n\nxé\n");
        expect(await extractText(write("p.html", "<html><body><p>Para</p></body></html>"), "p.html")).toBe("Para");
    });

    it("reads a PDF page by page with progress", async () => {
        const progress: number[] = [];
        const text = await extractText(write("ok.pdf", pdfWith("The cat is Biscuit")), "ok.pdf", { onProgress: (f) => progress.push(f) });
        expect(text).toContain("The cat is Biscuit");
        expect(progress[progress.length - 1]).toBe(1);
    });

    it("reads a Word document", async () => {
        expect(await extractText(write("w.docx", await docxWith(["First paragraph.", "Second paragraph."])), "w.docx")).toBe("First paragraph.\n\nSecond paragraph.");
    });

    it("names the file and the problem for a corrupt PDF, a file that is not a PDF, a broken DOCX, binary data and unsupported types", async () => {
        await expect(extractText(write("bad.pdf", "%PDF-1.7\n1 0 obj << >> garbage"), "bad.pdf")).rejects.toThrow(/“bad.pdf” is not a valid PDF or is damaged/);
        await expect(extractText(write("text.pdf", "hello"), "text.pdf")).rejects.toThrow(/“text.pdf” is not a valid PDF \(no %PDF header\)/);
        await expect(extractText(write("bad.docx", "not a zip"), "bad.docx")).rejects.toThrow(/“bad.docx” could not be read as a Word document/);
        await expect(extractText(write("bin.txt", Buffer.from([1, 2, 0, 3])), "bin.txt")).rejects.toThrow(/looks like a binary file/);
        await expect(extractText(write("x.exe", "MZ"), "x.exe")).rejects.toThrow(/not a document this app reads/);
        await expect(extractText(write("empty.md", "   \n"), "empty.md")).rejects.toThrow(/has no text in it/);
    });

    it("stops reading a PDF when cancelled", async () => {
        const controller = new AbortController();
        controller.abort();
        await expect(extractText(write("c.pdf", pdfWith("x")), "c.pdf", { signal: controller.signal })).rejects.toThrow();
    });
});
