/**
 * Crash-safe file writes: write a temporary file beside the target, fsync it, rename it over
 * the target (atomic on POSIX and on NTFS), then fsync the folder. A crash at any moment
 * leaves either the old file or the new one, never half of one.
 */
import fs from "node:fs/promises";
import path from "node:path";
import crypto from "node:crypto";

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
    const dir = path.dirname(target);
    await fs.mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
    const handle = await fs.open(tmp, "w", 0o600);
    try {
        await handle.writeFile(data);
        await handle.sync();
    } finally {
        await handle.close();
    }
    try {
        await fs.rename(tmp, target);
    } catch (error) {
        await fs.rm(tmp, { force: true });
        throw error;
    }
    try {
        const dirHandle = await fs.open(dir, "r");
        try { await dirHandle.sync(); } finally { await dirHandle.close(); }
    } catch {
        // fsync on a folder is not supported everywhere (Windows); the rename is still atomic
    }
}

/** Reads JSON; returns `fallback` when the file does not exist. Leftover temp files are ignored. */
export async function readJson<T>(file: string, fallback: T): Promise<T> {
    try {
        return JSON.parse(await fs.readFile(file, "utf8")) as T;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return fallback;
        throw error;
    }
}

/** Serialises writes per file so that a slow write never lands after a newer one. */
export class WriteQueue {
    private readonly tails = new Map<string, Promise<void>>();

    write(target: string, data: () => string | Uint8Array): Promise<void> {
        const previous = this.tails.get(target) ?? Promise.resolve();
        const next = previous.catch(() => undefined).then(() => writeFileAtomic(target, data()));
        this.tails.set(target, next);
        void next.finally(() => { if (this.tails.get(target) === next) this.tails.delete(target); }).catch(() => undefined);
        return next;
    }

    async flush(): Promise<void> {
        await Promise.allSettled([...this.tails.values()]);
    }
}
