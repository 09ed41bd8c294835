/**
 * The named errors of document reading. Each keeps its facts as own enumerable fields, so it
 * crosses a thread or a process as `{name, message, details}` and comes back as the same class
 * (`documentErrorPayload` / `reviveDocumentError`); the UI tells them apart by `name`.
 */
export interface DocumentErrorPayload {
    name: string;
    message: string;
    details?: Record<string, unknown>;
}

export class DocumentError extends Error {
    constructor(message: string) {
        super(message);
        this.name = new.target.name;
    }
}

/** The file cannot be opened: moved, not accessible, or not a regular file. */
export class DocumentReadError extends DocumentError {}

/** The file is larger than the largest document the app reads, or needs more memory than a reader may use. */
export class DocumentTooLargeError extends DocumentError {
    constructor(message: string, readonly fileBytes: number, readonly maxBytes: number) {
        super(message);
    }
}

/** The bytes are not a document this app reads, or the document is damaged (truncated, binary, mislabelled). */
export class DocumentFormatError extends DocumentError {}

/** The document holds no text (an empty file, or a scanned PDF without a text layer). */
export class DocumentEmptyError extends DocumentError {}

/** The document is longer than a limit: characters of text, PDF pages or PDF drawing operations. */
export class DocumentTooLongError extends DocumentError {
    constructor(message: string, readonly limit: "chars" | "pages" | "operators", readonly count: number, readonly max: number) {
        super(message);
    }
}

/** A compressed part would inflate past its declared size or past the unpacked-bytes limit (a zip or stream bomb). */
export class ArchiveBombError extends DocumentError {
    constructor(message: string, readonly maxUnpackedBytes: number) {
        super(message);
    }
}

/** Reading took longer than the time limit; the reader was stopped. */
export class DocumentTimeoutError extends DocumentError {
    constructor(name: string, readonly timeoutMs: number) {
        super(`Reading “${name}” took longer than ${timeoutMs < 10_000 ? (timeoutMs / 1000).toFixed(1) : Math.round(timeoutMs / 1000)} s, so it was stopped. The file may be damaged or built to be slow to read.`);
    }
}

export class DocumentCancelledError extends DocumentError {
    constructor(name: string) {
        super(`Reading “${name}” was cancelled.`);
    }
}

export const documentErrors = {
    DocumentReadError, DocumentTooLargeError, DocumentFormatError, DocumentEmptyError,
    DocumentTooLongError, ArchiveBombError, DocumentTimeoutError, DocumentCancelledError
} as const;

export function documentErrorPayload(error: unknown): DocumentErrorPayload {
    if (!(error instanceof Error)) return { name: "Error", message: String(error) };
    const details: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(error))
        if (key !== "name" && key !== "message" && key !== "stack") details[key] = value;
    return { name: error.name || "Error", message: error.message, details };
}

/** The payload as the same named class (so `instanceof` works), or a plain Error with that name. */
export function reviveDocumentError(payload: DocumentErrorPayload): Error {
    const errorClass = (documentErrors as Record<string, { prototype: Error }>)[payload.name];
    const error: Error = errorClass ? Object.create(errorClass.prototype) as Error : new Error(payload.message);
    Object.defineProperty(error, "message", { value: payload.message, writable: true, configurable: true, enumerable: false });
    Object.defineProperty(error, "name", { value: payload.name, writable: true, configurable: true, enumerable: false });
    Object.defineProperty(error, "stack", { value: `${payload.name}: ${payload.message}\n    (in the document reader)`, writable: true, configurable: true, enumerable: false });
    if (payload.details) Object.assign(error, payload.details);
    return error;
}
