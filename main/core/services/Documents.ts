/**
 * Documents on their way into a chat: read from an upload (serve mode) or a path (the desktop
 * app), measured in tokens for every model, cut to fit, discarded, and saved once a chat uses them.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { AppEvent, DocumentInfo, DocumentRef, DocumentSource } from "../../../api/appApi.js";
import { newId } from "../ChatStore.js";
import type { DocumentStore } from "../documents/DocumentStore.js";
import type { HandedOutFiles } from "../HandedOutFiles.js";
import { UserError } from "../UserError.js";
import type { Models } from "./Models.js";

export class Documents {
    /** files uploaded over HTTP (serve mode), by upload id, until they are read */
    private readonly uploads = new Map<string, { path: string; name: string }>();

    constructor(
        readonly store: DocumentStore,
        private readonly models: Models,
        private readonly transport: "electron" | "browser",
        private readonly emit: (event: AppEvent) => void,
        /** paths main handed out (drop, dialog): the only ones a path-based ingest reads */
        private readonly handedOut: HandedOutFiles,
    ) {}

    /** the largest document file read */
    get maxBytes(): number {
        return this.store.maxBytes;
    }

    /** Serve mode: a file uploaded over HTTP, to be read by `ingest`. */
    registerUpload(uploadId: string, file: string, name: string): void {
        this.uploads.set(uploadId, { path: file, name });
    }

    /** Serve mode: forgets an upload not read yet; true when it had not been read. */
    forgetUpload(uploadId: string): boolean {
        return this.uploads.delete(uploadId);
    }

    async ingest(source: DocumentSource): Promise<DocumentInfo> {
        let file: string;
        let name: string;
        if (source.kind === "upload") {
            const upload = this.uploads.get(source.uploadId);
            if (!upload) throw new UserError("That upload is not known (it may have expired); drop the file again.");
            file = upload.path;
            name = source.name || upload.name;
        } else {
            if (this.transport !== "electron") throw new UserError("In the browser, documents are uploaded; paths are accepted only from the desktop app.");
            file = this.handedOut.take(source.path);
            name = source.name ?? path.basename(source.path);
        }
        return this.read(source.kind === "upload" ? source.uploadId : newId("doc"), file, name, source.kind === "upload" ? source.uploadId : undefined);
    }

    /** Reads a file the core itself chose (the sample document the model card names), in either transport. */
    ingestOwn(file: string): Promise<DocumentInfo> {
        return this.read(newId("doc"), file, path.basename(file));
    }

    private async read(documentId: string, file: string, name: string, uploadId?: string): Promise<DocumentInfo> {
        try {
            return await this.store.ingest(documentId, file, name, (text) => this.models.countTokens(text), (phase, fraction, message) => {
                this.emit({ type: "document.progress", documentId, name, phase, fraction, message });
            });
        } finally {
            // an uploaded copy is not needed once its text is out (the text is saved when a chat uses it)
            if (uploadId) {
                this.uploads.delete(uploadId);
                await fs.rm(file, { force: true }).catch(() => undefined);
            }
        }
    }

    cancel(documentId: string): { cancelled: boolean } {
        return { cancelled: this.store.cancel(documentId) };
    }

    cut(documentId: string, modelId: string, maxTokens: number): Promise<DocumentInfo> {
        return this.store.cut(documentId, modelId, maxTokens, (text) => this.models.countTokens(text));
    }

    discard(documentId: string): { discarded: boolean } {
        return { discarded: this.store.discard(documentId) };
    }

    /** Saves the documents a message is sent with and describes them for the chat. */
    async refsFor(documentIds: string[], modelId: string): Promise<DocumentRef[]> {
        const refs: DocumentRef[] = [];
        for (const id of documentIds) {
            const info = this.store.get(id);
            await this.store.persist(id);
            refs.push({ id, name: info.name, chars: info.chars, tokens: info.tokens[modelId]?.tokens, cut: Boolean(info.cut) });
        }
        return refs;
    }

    /** Deletes the saved text of documents no chat uses any more. */
    async deleteSaved(documentIds: string[]): Promise<void> {
        for (const id of documentIds) await this.store.deleteSaved(id);
    }

    /** The text a chat used (memory first, then disk). */
    savedText(documentId: string): Promise<string> {
        return this.store.load(documentId);
    }

    /** Name and text of open documents, for a comparison prompt. */
    attached(documentIds: string[]): { name: string; text: string }[] {
        return documentIds.map((id) => ({ name: this.store.get(id).name, text: this.store.text(id) }));
    }
}
