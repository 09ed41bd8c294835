/**
 * Text out of a document file: .txt/.md (UTF-8), .html (tags stripped, blocks kept as lines),
 * .pdf (pdfjs-dist, page by page), .docx (mammoth). Each failure becomes a
 * `DocumentReadError` whose message says which file and what is wrong with it.
 */
import fs from "node:fs/promises";
import path from "node:path";

export class DocumentReadError extends Error {
    override name = "DocumentReadError";
}
export class DocumentCancelledError extends Error {
    override name = "DocumentCancelledError";
    constructor(name: string) {
        super(`Reading “${name}” was cancelled.`);
    }
}

export const SUPPORTED_EXTENSIONS = [".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm"] as const;

export interface ExtractOptions {
    /** called with 0..1 as the text comes out */
    onProgress?: (fraction: number) => void;
    signal?: AbortSignal;
}

export function mimeFor(name: string): string {
    switch (path.extname(name).toLowerCase()) {
        case ".txt": return "text/plain";
        case ".md": case ".markdown": return "text/markdown";
        case ".pdf": return "application/pdf";
        case ".docx": return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        case ".html": case ".htm": return "text/html";
        default: return "application/octet-stream";
    }
}

export async function extractText(file: string, displayName: string, options: ExtractOptions = {}): Promise<string> {
    const ext = path.extname(displayName).toLowerCase();
    if (!(SUPPORTED_EXTENSIONS as readonly string[]).includes(ext)) {
        throw new DocumentReadError(`“${displayName}” is not a document this app reads. Drop a .txt, .md, .pdf, .docx or .html file.`);
    }
    const data = await fs.readFile(file);
    options.signal?.throwIfAborted?.();
    let text: string;
    switch (ext) {
        case ".pdf": text = await pdfText(data, displayName, options); break;
        case ".docx": text = await docxText(data, displayName); break;
        case ".html": case ".htm": text = htmlToText(decodeUtf8(data, displayName)); break;
        default: text = decodeUtf8(data, displayName);
    }
    options.onProgress?.(1);
    text = text.replace(/\r\n?/g, "\n").replace(/\n{3,}/g, "\n\n").trim();
    if (text.length === 0) throw new DocumentReadError(`“${displayName}” has no text in it${ext === ".pdf" ? " (a scanned PDF needs OCR first)" : ""}.`);
    return text;
}

function decodeUtf8(data: Uint8Array, name: string): string {
    // a text file with NUL bytes in its first 8 KiB is almost surely binary
    if (data.subarray(0, 8192).includes(0)) throw new DocumentReadError(`“${name}” looks like a binary file, not text.`);
    return new TextDecoder("utf-8", { fatal: false }).decode(data).replace(/^\uFEFF/, "");
}

const BLOCK_TAGS = /<\/?(p|div|br|li|ul|ol|h[1-6]|tr|table|section|article|header|footer|pre|blockquote|hr)\b[^>]*>/gi;
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'", nbsp: " " };

export function htmlToText(html: string): string {
    return html
        .replace(/<!--[\s\S]*?-->/g, "")
        .replace(/<(script|style|noscript|template|svg)\b[\s\S]*?<\/\1\s*>/gi, "")
        .replace(BLOCK_TAGS, "\n")
        .replace(/<[^>]+>/g, "")
        .replace(/&(#x?[0-9a-f]+|\w+);/gi, (whole, code: string) => {
            if (code[0] === "#") {
                const n = code[1]?.toLowerCase() === "x" ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
                return Number.isFinite(n) && n > 0 && n < 0x110000 ? String.fromCodePoint(n) : whole;
            }
            return ENTITIES[code.toLowerCase()] ?? whole;
        })
        .replace(/[ \t]+/g, " ")
        .replace(/ *\n */g, "\n");
}

async function docxText(data: Buffer, name: string): Promise<string> {
    const mammoth = await import("mammoth");
    try {
        const result = await (mammoth.default ?? mammoth).extractRawText({ buffer: data });
        return result.value;
    } catch (error) {
        throw new DocumentReadError(`“${name}” could not be read as a Word document (${shortReason(error)}).`);
    }
}

async function pdfText(data: Buffer, name: string, options: ExtractOptions): Promise<string> {
    if (data.subarray(0, 1024).indexOf("%PDF-") < 0) {
        throw new DocumentReadError(`“${name}” is not a valid PDF (no %PDF header); it may be damaged or another kind of file.`);
    }
    const pdfjs = await import("pdfjs-dist/legacy/build/pdf.mjs");
    const task = pdfjs.getDocument({
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        isEvalSupported: false,
        useSystemFonts: false,
        disableFontFace: true,
        verbosity: 0,
        stopAtErrors: true,
    });
    const onAbort = () => void task.destroy();
    options.signal?.addEventListener("abort", onAbort);
    try {
        const doc = await task.promise;
        const pages: string[] = [];
        for (let i = 1; i <= doc.numPages; i++) {
            if (options.signal?.aborted) throw new DocumentCancelledError(name);
            const page = await doc.getPage(i);
            const content = await page.getTextContent();
            let line = "";
            const lines: string[] = [];
            for (const item of content.items) {
                if (!("str" in item)) continue;
                line += item.str;
                if (item.hasEOL) { lines.push(line); line = ""; }
            }
            if (line) lines.push(line);
            pages.push(lines.join("\n"));
            page.cleanup();
            options.onProgress?.(i / doc.numPages);
        }
        await doc.destroy();
        return pages.join("\n\n");
    } catch (error) {
        if (error instanceof DocumentCancelledError || options.signal?.aborted) throw new DocumentCancelledError(name);
        throw new DocumentReadError(`“${name}” is not a valid PDF or is damaged (${shortReason(error)}).`);
    } finally {
        options.signal?.removeEventListener("abort", onAbort);
    }
}

function shortReason(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    return message.split("\n")[0]!.slice(0, 160);
}
