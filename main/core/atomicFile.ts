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

/** What `readJsonOrSetAside` did with a file whose content was bad. */
export interface SetAsideNotice {
    file: string;
    setAsideAs: string;
    reason: string;
}

/** The file name a temporary write uses: `.<name>.<pid>.<8 hex>.tmp` (a dot-file beside the target). */
const TEMP_NAME = /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/;

/**
 * Renames a damaged file to `<file>.damaged` (or `.damaged-2`, `-3`, … when that is taken), never
 * over an older damaged copy: a hard link claims the new name atomically and fails if it exists.
 */
export async function setAside(file: string): Promise<string> {
    for (let n = 1; n < 10_000; n++) {
        const target = n === 1 ? `${file}.damaged` : `${file}.damaged-${n}`;
        try {
            await fs.link(file, target);
        } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code === "EEXIST") continue;
            if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EXDEV") throw error;
            // a file system without hard links: rename only to a name nobody holds yet
            try { await fs.access(target); continue; } catch { await fs.rename(file, target); return target; }
        }
        await fs.unlink(file);
        return target;
    }
    throw new Error(`Too many damaged copies of ${file}; remove some.`);
}

/**
 * Reads a JSON file that the app wrote. Missing: `fallback`. Bad content (not JSON, or `valid`
 * says no): the file is set aside (see `setAside`), `fallback` is returned and `onSetAside` hears
 * of it. Any other failure (EACCES, EMFILE, EISDIR…) is thrown: the file may be fine, so nothing
 * is moved and nothing may be written over it.
 */
export async function readJsonOrSetAside<T>(
    file: string,
    fallback: T,
    valid: (value: unknown) => boolean,
    onSetAside: (notice: SetAsideNotice) => void,
): Promise<T> {
    let text: string;
    try {
        text = await fs.readFile(file, "utf8");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return fallback;
        throw error;
    }
    let reason: string | undefined;
    let value: unknown;
    try {
        value = JSON.parse(text);
        if (!valid(value)) reason = "its content is not what the app writes there";
    } catch (error) {
        reason = `it is not valid JSON (${(error as Error).message})`;
    }
    if (reason === undefined) return value as T;
    const setAsideAs = await setAside(file);
    onSetAside({ file, setAsideAs, reason });
    return fallback;
}

/**
 * Deletes temporary files (`.<name>.<pid>.<hex>.tmp`) left by writes that a crash or kill cut
 * short, in `dir` and its sub-folders (a few levels). Call only while holding the user-data lock,
 * before anything writes: then every such file is stale. Returns the paths removed.
 */
export async function removeStaleTemps(dir: string, depth = 3): Promise<string[]> {
    const removed: string[] = [];
    let entries: import("node:fs").Dirent[];
    try { entries = await fs.readdir(dir, { withFileTypes: true }); } catch { return removed; }
    for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory() && depth > 0) removed.push(...await removeStaleTemps(full, depth - 1));
        else if (entry.isFile() && TEMP_NAME.test(entry.name)) {
            await fs.rm(full, { force: true });
            removed.push(full);
        }
    }
    return removed;
}

/** The sentence the UI shows about a file that was set aside at start. */
export function setAsideMessage(notice: SetAsideNotice, what: string): string {
    return `${what} (${path.basename(notice.file)}) was damaged: ${notice.reason}. It was set aside as ${path.basename(notice.setAsideAs)} ` +
        `in ${path.dirname(notice.file)}, and the app started without it.`;
}
