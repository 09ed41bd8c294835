/**
 * Documents dropped on the window: read (with progress and cancel), measured in tokens for
 * every model, optionally cut to fit, then handed to a chat. Their text is kept in memory
 * until sent, then saved under `<userData>/documents/<id>.txt` so that a chat can be
 * regenerated or re-read after a restart.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { DocumentInfo, TokenCount } from "../../../api/appApi.js";
import { DocumentCancelledError } from "../../../documents/errors.js";
import { readDocument } from "../../../documents/readDocument.js";
import { writeFileAtomic } from "../atomicFile.js";

export class DocumentNotFoundError extends Error {
    override name = "DocumentNotFoundError";
}

export type ProgressPhase = "reading" | "extracting" | "counting" | "done" | "error" | "cancelled";

interface Entry {
    info: DocumentInfo;
    text: string;
    fullText: string;
}

export class DocumentStore {
    private readonly docs = new Map<string, Entry>();
    private readonly inFlight = new Map<string, AbortController>();

    constructor(private readonly dir: string, readonly maxBytes: number) {}

    async ingest(
        documentId: string,
        file: string,
        name: string,
        count: (text: string) => Promise<Record<string, TokenCount>>,
        progress: (phase: ProgressPhase, fraction: number, message?: string) => void,
    ): Promise<DocumentInfo> {
        const controller = new AbortController();
        this.inFlight.set(documentId, controller);
        try {
            progress("reading", 0);
            // in a worker thread, with the size, unpacked-bytes, character and time limits (documents/)
            const read = await readDocument({ path: file, name }, {
                signal: controller.signal,
                limits: { maxFileBytes: this.maxBytes },
                onProgress: (f) => progress("extracting", 0.05 + 0.8 * f),
            });
            const text = read.text;
            if (controller.signal.aborted) throw new DocumentCancelledError(name);
            progress("counting", 0.9);
            const tokens = await count(text);
            if (controller.signal.aborted) throw new DocumentCancelledError(name);
            const info: DocumentInfo = {
                id: documentId,
                name,
                mime: read.mime,
                fileBytes: read.fileBytes,
                chars: text.length,
                preview: text.slice(0, 400),
                tokens,
            };
            this.docs.set(documentId, { info, text, fullText: text });
            progress("done", 1);
            return info;
        } catch (error) {
            progress(error instanceof DocumentCancelledError ? "cancelled" : "error", 0, (error as Error).message);
            throw error;
        } finally {
            this.inFlight.delete(documentId);
        }
    }

    cancel(documentId: string): boolean {
        const controller = this.inFlight.get(documentId);
        controller?.abort();
        return Boolean(controller);
    }

    get(documentId: string): DocumentInfo {
        return this.entry(documentId).info;
    }

    text(documentId: string): string {
        return this.entry(documentId).text;
    }

    /** Keeps the first part of the text so that it is about `maxTokens` tokens for `modelId`. */
    async cut(documentId: string, modelId: string, maxTokens: number, count: (text: string) => Promise<Record<string, TokenCount>>): Promise<DocumentInfo> {
        const entry = this.entry(documentId);
        const full = entry.info.tokens[modelId]?.tokens;
        if (!full) throw new DocumentNotFoundError(`“${entry.info.name}” has no token count for that model.`);
        let chars = Math.floor(entry.fullText.length * Math.min(1, maxTokens / full));
        let text = entry.fullText.slice(0, chars);
        let tokens = await count(text);
        // a proportional cut can overshoot by a little: shrink until it fits
        for (let i = 0; i < 4 && (tokens[modelId]?.tokens ?? 0) > maxTokens; i++) {
            chars = Math.floor(chars * 0.97 * maxTokens / tokens[modelId]!.tokens);
            text = entry.fullText.slice(0, chars);
            tokens = await count(text);
        }
        entry.text = text;
        entry.info = { ...entry.info, chars: text.length, tokens, cut: { chars: text.length, tokens: tokens[modelId]?.tokens } };
        return entry.info;
    }

    discard(documentId: string): boolean {
        this.cancel(documentId);
        return this.docs.delete(documentId);
    }

    /** Saves the text a chat used, so that it survives a restart. */
    async persist(documentId: string): Promise<void> {
        await writeFileAtomic(this.file(documentId), this.text(documentId));
    }

    /** Forgets a document and deletes its saved text (its chat was deleted). */
    async deleteSaved(documentId: string): Promise<void> {
        this.discard(documentId);
        await fs.rm(this.file(documentId), { force: true });
    }

    /** Text of a document a chat used (memory first, then disk). */
    async load(documentId: string): Promise<string> {
        const entry = this.docs.get(documentId);
        if (entry) return entry.text;
        try {
            return await fs.readFile(this.file(documentId), "utf8");
        } catch {
            throw new DocumentNotFoundError(`The text of a document in this chat is missing from ${this.dir}.`);
        }
    }

    private entry(documentId: string): Entry {
        const entry = this.docs.get(documentId);
        if (!entry) throw new DocumentNotFoundError("That document is no longer open; drop it again.");
        return entry;
    }

    private file(documentId: string): string {
        return path.join(this.dir, `${documentId.replace(/[^A-Za-z0-9_.-]/g, "_")}.txt`);
    }
}
