/**
 * What one document may cost to read. The file limit is the app's (api/limits.ts, shown in the
 * UI); the others bound what a small file can unpack into, so a hostile file fails fast by name.
 */
import { DEFAULT_MAX_DOCUMENT_BYTES } from "../api/limits.js";

export interface DocumentLimits {
    /** largest file read (bytes); RECURFORMER_MAX_DOCUMENT_MB changes the default */
    maxFileBytes: number;
    /** most bytes inflated out of a DOCX's document.xml or a PDF's compressed non-image streams */
    maxUnpackedBytes: number;
    /** most characters of text out of one document */
    maxChars: number;
    /** most pages of a PDF */
    maxPages: number;
    /** most drawing operations in a PDF's content streams (pdf.js spends time and memory on each) */
    maxPdfOperators: number;
    /** wall time for one document, worker start included */
    timeoutMs: number;
    /** heap of the reading worker (MiB); past it the worker dies and the file is DocumentTooLargeError */
    maxWorkerHeapMb: number;
}

/** The largest document file: RECURFORMER_MAX_DOCUMENT_MB, else 64 MiB. */
export function maxDocumentBytes(env: NodeJS.ProcessEnv = process.env): number {
    const mb = Number(env.RECURFORMER_MAX_DOCUMENT_MB);
    return Number.isFinite(mb) && mb > 0 ? Math.round(mb * 1024 * 1024) : DEFAULT_MAX_DOCUMENT_BYTES;
}

export function documentLimits(overrides: Partial<DocumentLimits> = {}): DocumentLimits {
    const maxFileBytes = overrides.maxFileBytes ?? maxDocumentBytes();
    return {
        maxFileBytes,
        maxUnpackedBytes: 2 * maxFileBytes,
        // every byte of a text file can be a character: a file under the size limit always fits
        maxChars: maxFileBytes,
        maxPages: 10_000,
        maxPdfOperators: 2_000_000,
        timeoutMs: 60_000,
        maxWorkerHeapMb: 2048,
        ...overrides,
    };
}
