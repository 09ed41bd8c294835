/**
 * `readDocument(input, {signal, limits, onProgress})`: one document to text in a worker thread of
 * its own, so that no file can block the caller's event loop (Electron main, serve mode, the
 * CLI). The worker is terminated on cancel, on the time limit and after its answer; a worker
 * that runs out of heap is a DocumentTooLargeError. Every failure is a named error (errors.ts).
 */
import { Worker } from "node:worker_threads";
import { DocumentCancelledError, DocumentFormatError, DocumentTimeoutError, DocumentTooLargeError, reviveDocumentError, type DocumentErrorPayload } from "./errors.js";
import { displayName, type DocumentInput, type DocumentText } from "./extractText.js";
import { documentLimits, type DocumentLimits } from "./limits.js";

export type { DocumentInput, DocumentText } from "./extractText.js";

export interface ReadOptions {
    signal?: AbortSignal;
    limits?: Partial<DocumentLimits>;
    /** 0..1 as the text comes out (PDFs page by page) */
    onProgress?: (fraction: number) => void;
}

type WorkerMessage =
    | { type: "progress"; fraction: number }
    | { type: "done"; result: DocumentText }
    | { type: "error"; error: DocumentErrorPayload };

export function readDocument(input: DocumentInput, options: ReadOptions = {}): Promise<DocumentText> {
    const name = displayName(input);
    const limits = documentLimits(options.limits);
    const { signal, onProgress } = options;
    if (signal?.aborted) return Promise.reject(new DocumentCancelledError(name));
    return new Promise((resolve, reject) => {
        const worker = startWorker({ input, limits }, limits.maxWorkerHeapMb);
        let settled = false;
        const settle = (outcome: () => void) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
            void worker.terminate();
            outcome();
        };
        const onAbort = () => settle(() => reject(new DocumentCancelledError(name)));
        const timer = setTimeout(() => settle(() => reject(new DocumentTimeoutError(name, limits.timeoutMs))), limits.timeoutMs);
        signal?.addEventListener("abort", onAbort, { once: true });
        worker.on("message", (message: WorkerMessage) => {
            if (message.type === "progress") { if (!settled) onProgress?.(message.fraction); }
            else if (message.type === "done") settle(() => resolve(message.result));
            else settle(() => reject(reviveDocumentError(message.error)));
        });
        worker.on("error", (error: Error & { code?: string }) => settle(() => reject(
            error.code === "ERR_WORKER_OUT_OF_MEMORY"
                ? new DocumentTooLargeError(`“${name}” needs more than ${limits.maxWorkerHeapMb} MiB of memory to read; it may be damaged or built to exhaust memory.`, 0, limits.maxFileBytes)
                : new DocumentFormatError(`“${name}” could not be read (the reader failed: ${error.message.split("\n")[0]}).`),
        )));
        worker.on("exit", (code) => settle(() => reject(new DocumentFormatError(`“${name}” could not be read (the reader stopped with code ${code}).`))));
    });
}

/** The compiled worker beside this file; from TypeScript sources (tests, tsx) the same worker through tsx. */
function startWorker(workerData: unknown, maxHeapMb: number): Worker {
    const options = { workerData, resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } };
    if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./readerWorker.js", import.meta.url), options);
    const entry = new URL("./readerWorker.ts", import.meta.url).href;
    return new Worker(`import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`, { ...options, eval: true });
}
