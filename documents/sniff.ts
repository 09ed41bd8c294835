/**
 * Which reader a file gets, from its bytes: `%PDF-` near the start is a PDF, a ZIP local header
 * is a Word package (the DOCX reader then requires word/document.xml), a BOM or clean UTF-8 is
 * text, and text that opens like an HTML page is HTML. The client-supplied name never picks a
 * binary parser; it only words the error when a ".pdf" or ".docx" holds something else, and
 * keeps ".txt"/".md" files as plain text even when they start with a tag.
 */
import path from "node:path";
import { DocumentFormatError } from "./errors.js";

export type DocumentKind = "pdf" | "docx" | "html" | "text";

const OTHER_BINARIES: [magic: number[], what: string][] = [
    [[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], "an old Word (.doc) file or a password-protected Office document; save it as .docx or PDF"],
    [[0x89, 0x50, 0x4e, 0x47], "a PNG image"],
    [[0xff, 0xd8, 0xff], "a JPEG image"],
    [[0x47, 0x49, 0x46, 0x38], "a GIF image"],
    [[0x1f, 0x8b], "a gzip archive"],
    [[0x37, 0x7a, 0xbc, 0xaf], "a 7-Zip archive"],
    [[0x52, 0x61, 0x72, 0x21], "a RAR archive"],
    [[0x7f, 0x45, 0x4c, 0x46], "a program (ELF)"],
    [[0x4d, 0x5a], "a Windows program"],
];

const HTML_START = /^\s*<(!doctype\s+html|html|head|body|title|meta|p|div|h[1-6]|table|br|b|a|script|style|!--)[\s>/]/i;

function startsWith(bytes: Uint8Array, magic: number[], at = 0): boolean {
    return magic.every((b, i) => bytes[at + i] === b);
}

export function extension(name: string): string {
    return path.extname(name).toLowerCase();
}

/** The reader for these bytes; throws DocumentFormatError for a binary file or a ".pdf"/".docx" that is not one. */
export function sniffKind(bytes: Uint8Array, name: string): "pdf" | "docx" | "textual" {
    const ext = extension(name);
    const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024));
    if (head.indexOf("%PDF-", 0, "latin1") >= 0) return "pdf";
    if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) return "docx";
    for (const [magic, what] of OTHER_BINARIES)
        if (startsWith(bytes, magic)) throw new DocumentFormatError(`“${name}” is ${what}, not a document this app reads. Drop a .txt, .md, .pdf, .docx or .html file.`);
    if (ext === ".pdf") throw new DocumentFormatError(`“${name}” is not a valid PDF (no %PDF header); it may be damaged or another kind of file.`);
    if (ext === ".docx") throw new DocumentFormatError(`“${name}” could not be read as a Word document (it is not a ZIP package); it may be damaged or another kind of file.`);
    return "textual";
}

/** Between plain text and HTML: an .htm(l) name, or text that opens like an HTML page (never for .txt/.md). */
export function isHtml(text: string, name: string): boolean {
    const ext = extension(name);
    if (ext === ".html" || ext === ".htm") return true;
    if (ext === ".txt" || ext === ".md" || ext === ".markdown") return false;
    return HTML_START.test(text.slice(0, 1024));
}

export function mimeFor(kind: DocumentKind, name: string): string {
    switch (kind) {
        case "pdf": return "application/pdf";
        case "docx": return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        case "html": return "text/html";
        default: {
            const ext = extension(name);
            return ext === ".md" || ext === ".markdown" ? "text/markdown" : "text/plain";
        }
    }
}
