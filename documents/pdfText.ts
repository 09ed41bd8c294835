/**
 * The text of a PDF, page by page, through pdf.js (no eval, no fonts, stop at errors) after the
 * stream-bomb check, with the page and character limits.
 */
import { DocumentError, DocumentFormatError, DocumentTooLongError } from "./errors.js";
import type { DocumentLimits } from "./limits.js";
import { checkPdfStreams } from "./pdfStreams.js";

export async function pdfText(data: Buffer, name: string, limits: DocumentLimits, onProgress: (fraction: number) => void): Promise<{ text: string; pages: number }> {
    checkPdfStreams(data, name, limits);
    const pdfjs = await import("pdfjs-dist/legacy/build/pdf.mjs");
    const task = pdfjs.getDocument({
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        isEvalSupported: false,
        useSystemFonts: false,
        disableFontFace: true,
        verbosity: 0,
        stopAtErrors: true,
    });
    try {
        const doc = await task.promise;
        if (doc.numPages > limits.maxPages)
            throw new DocumentTooLongError(`“${name}” has ${doc.numPages.toLocaleString("en")} pages; documents up to ${limits.maxPages.toLocaleString("en")} pages are read. Split it.`, "pages", doc.numPages, limits.maxPages);
        const pages: string[] = [];
        let chars = 0;
        for (let i = 1; i <= doc.numPages; i++) {
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
            const pageText = lines.join("\n");
            chars += pageText.length + 2;
            if (chars > limits.maxChars)
                throw new DocumentTooLongError(`“${name}” has more than ${limits.maxChars.toLocaleString("en")} characters of text, more than a document may hold here; split it.`, "chars", chars, limits.maxChars);
            pages.push(pageText);
            page.cleanup();
            onProgress(i / doc.numPages);
        }
        return { text: pages.join("\n\n"), pages: doc.numPages };
    } catch (error) {
        if (error instanceof DocumentError) throw error;
        if ((error as { name?: string }).name === "PasswordException")
            throw new DocumentFormatError(`“${name}” is password-protected; save it without a password to read it.`);
        throw new DocumentFormatError(`“${name}” is not a valid PDF or is damaged (${shortReason(error)}).`);
    } finally {
        await task.destroy().catch(() => undefined);
    }
}

export function shortReason(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    return message.split("\n")[0]!.slice(0, 160);
}
