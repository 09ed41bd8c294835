/**
 * Serve mode's upload folder (`<userData>/uploads`): a dropped document is streamed here by
 * `POST /upload`, then read by `documents.ingest({kind: "upload"})`, which deletes it.
 * Nothing stays behind: a partial upload (client gone, too large, disk error) is deleted at once;
 * one never ingested is deleted after `ttlMs` and when the server closes; the folder is emptied
 * at start (the user-data lock guarantees no other process is using it).
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type http from "node:http";
import { tooLargeMessage } from "../../api/limits.js";
import { newId } from "../core/ChatStore.js";

export class UploadTooLargeError extends Error {
    override name = "DocumentTooLargeError";
}
export class UploadAbortedError extends Error {
    override name = "UploadAbortedError";
}

export interface UploadHandOff {
    /** the core learns of a finished upload */
    register(uploadId: string, file: string, name: string): void;
    /** the core forgets an upload it has not ingested; true when it had not */
    forget(uploadId: string): boolean;
}

export class UploadFolder {
    private readonly expiry = new Map<string, NodeJS.Timeout>();

    constructor(
        readonly dir: string,
        private readonly maxBytes: () => number,
        private readonly core: UploadHandOff,
        private readonly ttlMs = 30 * 60_000,
    ) {}

    /** Deletes everything a previous run left here. */
    async clearLeftovers(): Promise<number> {
        await fsp.mkdir(this.dir, { recursive: true });
        const names = await fsp.readdir(this.dir);
        for (const name of names) await fsp.rm(path.join(this.dir, name), { recursive: true, force: true });
        return names.length;
    }

    /** Streams one request body to a new file; on any failure the partial file is deleted and the error thrown. */
    async receive(req: http.IncomingMessage, name: string): Promise<{ uploadId: string; bytes: number }> {
        const max = this.maxBytes();
        const declared = Number(req.headers["content-length"]);
        if (Number.isFinite(declared) && declared > max) throw new UploadTooLargeError(tooLargeMessage(name, declared, max));
        await fsp.mkdir(this.dir, { recursive: true });
        const uploadId = newId("doc");
        const file = path.join(this.dir, uploadId);
        const out = fs.createWriteStream(file, { mode: 0o600 });
        let bytes = 0;
        let failed = false;
        try {
            await new Promise<void>((resolve, reject) => {
                const fail = (error: Error) => { failed = true; reject(error); };
                req.on("data", (chunk: Buffer) => {
                    if (failed) return;
                    bytes += chunk.length;
                    if (bytes > max) return fail(new UploadTooLargeError(tooLargeMessage(name, bytes, max)));
                    if (!out.write(chunk)) { req.pause(); out.once("drain", () => req.resume()); }
                });
                req.once("end", () => { if (!failed) out.end(() => resolve()); });
                // a client that goes away mid-body: the request closes without ending
                req.once("close", () => { if (!req.complete) fail(new UploadAbortedError(`The upload of “${name}” was cut off before it ended.`)); });
                req.once("error", fail);
                out.once("error", fail);
            });
        } catch (error) {
            out.destroy();
            // wait until the file is closed (and, if it was still being opened, created) before deleting it
            await new Promise<void>((resolve) => (out.closed ? resolve() : out.once("close", () => resolve())));
            req.resume(); // the rest of a too-large body is read and dropped, so that the 413 reply can be sent
            await fsp.rm(file, { force: true });
            throw error;
        }
        this.core.register(uploadId, file, name);
        this.expiry.set(uploadId, setTimeout(() => void this.expire(uploadId, file), this.ttlMs).unref());
        return { uploadId, bytes };
    }

    /** Deletes every upload not ingested yet (server closing). */
    async close(): Promise<void> {
        for (const [uploadId, timer] of this.expiry) {
            clearTimeout(timer);
            await this.expire(uploadId, path.join(this.dir, uploadId));
        }
    }

    private async expire(uploadId: string, file: string): Promise<void> {
        this.expiry.delete(uploadId);
        if (this.core.forget(uploadId)) await fsp.rm(file, { force: true }).catch(() => undefined);
    }
}
