/**
 * One document to text, inside the reading worker: the file is opened and its size checked
 * before a byte is read, the reader is picked from the bytes (sniff.ts), and the text comes
 * back with line ends normalised. Every failure is one of the named errors in errors.ts.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { tooLargeMessage } from "../api/limits.js";
import { decodeText } from "./decodeText.js";
import { docxText } from "./docxText.js";
import { DocumentEmptyError, DocumentError, DocumentFormatError, DocumentReadError, DocumentTooLargeError, DocumentTooLongError } from "./errors.js";
import { htmlToText } from "./htmlText.js";
import type { DocumentLimits } from "./limits.js";
import { pdfText, shortReason } from "./pdfText.js";
import { isHtml, mimeFor, sniffKind, type DocumentKind } from "./sniff.js";

export type DocumentInput = { path: string; name?: string } | { bytes: Uint8Array; name: string };

export interface DocumentText {
    /** the name shown for it (the given name, else the file's base name) */
    name: string;
    kind: DocumentKind;
    mime: string;
    text: string;
    fileBytes: number;
    /** text documents: the encoding their bytes were decoded from */
    encoding?: string;
    /** text documents: invalid UTF-8 sequences replaced by U+FFFD */
    replacedChars: number;
    pages?: number;
}

export function displayName(input: DocumentInput): string {
    return input.name ?? path.basename((input as { path: string }).path);
}

export async function extractText(input: DocumentInput, limits: DocumentLimits, onProgress: (fraction: number) => void): Promise<DocumentText> {
    const name = displayName(input);
    const bytes = "bytes" in input ? Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength) : await readFileLimited(input.path, name, limits.maxFileBytes);
    if (bytes.length > limits.maxFileBytes) throw tooLarge(name, bytes.length, limits.maxFileBytes);
    const sniffed = sniffKind(bytes, name);
    let kind: DocumentKind;
    let text: string;
    let encoding: string | undefined;
    let replacedChars = 0;
    let pages: number | undefined;
    try {
        if (sniffed === "pdf") {
            kind = "pdf";
            ({ text, pages } = await pdfText(bytes, name, limits, onProgress));
        } else if (sniffed === "docx") {
            kind = "docx";
            text = docxText(bytes, name, limits);
        } else {
            const decoded = decodeText(bytes, name);
            ({ encoding, replacedChars } = decoded);
            kind = isHtml(decoded.text, name) ? "html" : "text";
            text = kind === "html" ? htmlToText(decoded.text) : decoded.text;
        }
    } catch (error) {
        if (error instanceof DocumentError) throw error;
        if (error instanceof RangeError && /call stack/i.test(error.message))
            throw new DocumentFormatError(`“${name}” is nested too deeply to read; it may be damaged or built to crash readers.`);
        throw new DocumentFormatError(`“${name}” could not be read (${shortReason(error)}).`);
    }
    onProgress(1);
    text = text.replace(/\r\n?/g, "\n").replace(/\n{3,}/g, "\n\n").trim();
    if (text.length === 0) throw new DocumentEmptyError(`“${name}” has no text in it${kind === "pdf" ? " (a scanned PDF needs OCR first)" : ""}.`);
    if (text.length > limits.maxChars)
        throw new DocumentTooLongError(`“${name}” has more than ${limits.maxChars.toLocaleString("en")} characters of text, more than a document may hold here; split it.`, "chars", text.length, limits.maxChars);
    return { name, kind, mime: mimeFor(kind, name), text, fileBytes: bytes.length, encoding, replacedChars, pages };
}

function tooLarge(name: string, bytes: number, max: number): DocumentTooLargeError {
    return new DocumentTooLargeError(tooLargeMessage(name, bytes, max), bytes, max);
}

/** The whole file, its size checked first; anything but a regular file (a folder, /dev/zero, a pipe) is refused. */
async function readFileLimited(file: string, name: string, maxBytes: number): Promise<Buffer> {
    let handle: fs.FileHandle;
    try {
        handle = await fs.open(file, "r");
    } catch {
        throw new DocumentReadError(`“${name}” cannot be read (it was moved or is not accessible).`);
    }
    try {
        const stat = await handle.stat();
        if (!stat.isFile()) throw new DocumentReadError(`“${name}” is not a file.`);
        if (stat.size > maxBytes) throw tooLarge(name, stat.size, maxBytes);
        const data = Buffer.allocUnsafe(stat.size);
        let filled = 0;
        while (filled < data.length) {
            const { bytesRead } = await handle.read(data, filled, data.length - filled, filled);
            if (bytesRead === 0) break;
            filled += bytesRead;
        }
        return data.subarray(0, filled);
    } catch (error) {
        if (error instanceof DocumentError) throw error;
        throw new DocumentReadError(`“${name}” cannot be read (${shortReason(error)}).`);
    } finally {
        await handle.close();
    }
}
