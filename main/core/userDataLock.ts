/**
 * One app process per user-data folder, whatever kind it is (the desktop app, serve mode): two
 * at once would overwrite each other's chats. `<userData>/app.lock` names the holder (pid, kind,
 * host, the process's start time where the OS tells it). It is claimed with a hard link, which
 * fails if the file exists, so two starting processes cannot both win. A lock whose process is
 * gone (killed, crashed) is taken over; a live holder makes `claimUserData` throw
 * `UserDataLockedError` before anything is written. Once claimed, temp files that a killed
 * write left are removed (nothing else may be writing then).
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { removeStaleTemps } from "./atomicFile.js";

export class UserDataLockedError extends Error {
    override name = "UserDataLockedError";
}

interface Holder {
    pid: number;
    kind: string;
    host: string;
    startedAt: number;
    /** /proc/<pid>/stat start time (Linux), so that a reused pid is not taken for the holder */
    processStart?: string;
}

export interface UserDataClaim {
    lockFile: string;
    /** temp files removed at the claim */
    staleTemps: string[];
    /** a lock left by a process that is gone, taken over */
    tookOver?: Holder;
    release(): void;
}

export const LOCK_NAME = "app.lock";

function processStart(pid: number | "self"): string | undefined {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    } catch {
        return undefined;
    }
}

function alive(holder: Holder): boolean {
    if (holder.host !== os.hostname()) return true; // a folder shared over a network: we cannot tell, so we do not take it
    if (holder.pid === process.pid || !pidAlive(holder.pid)) return false;
    const start = processStart(holder.pid);
    return !(holder.processStart && start && start !== holder.processStart);
}

async function readHolder(lockFile: string): Promise<Holder | undefined> {
    try {
        const holder = JSON.parse(await fsp.readFile(lockFile, "utf8")) as Holder;
        return Number.isInteger(holder?.pid) && typeof holder.host === "string" ? holder : undefined;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") throw error;
        return undefined; // unreadable content: no running app wrote it (the lock is written whole, by a link)
    }
}

/** Claim files (`app.lock.<pid>.<hex>.claim`, `app.lock.<pid>.stale`) of processes killed while claiming. */
async function removeDeadClaims(dir: string): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await fsp.readdir(dir)) {
        const pid = Number(/^app\.lock\.(\d+)\.(?:[0-9a-f]{8}\.claim|stale)$/.exec(name)?.[1]);
        if (!pid || pid === process.pid || pidAlive(pid)) continue;
        await fsp.rm(path.join(dir, name), { force: true });
        removed.push(path.join(dir, name));
    }
    return removed;
}

function pidAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM";
    }
}

function lockedMessage(dir: string, holder: Holder): string {
    return `The user data folder ${dir} is in use by another RecurFormer Desktop process (${holder.kind}, pid ${holder.pid}, ` +
        `started ${new Date(holder.startedAt).toLocaleString()}). Only one app may use a folder at a time: close that one first, ` +
        `or start this one with RECURFORMER_USER_DATA set to another folder. Nothing was written.`;
}

/** Claims `dir` for this process (`kind`: "desktop app", "serve mode"); throws UserDataLockedError when a live process holds it. */
export async function claimUserData(dir: string, kind: string): Promise<UserDataClaim> {
    const lockFile = path.join(dir, LOCK_NAME);
    // the usual refusal touches nothing: a live holder is found before anything is written
    const current = await readHolder(lockFile).catch(() => undefined);
    if (current && alive(current)) throw new UserDataLockedError(lockedMessage(dir, current));
    await fsp.mkdir(dir, { recursive: true });
    const me: Holder = { pid: process.pid, kind, host: os.hostname(), startedAt: Date.now(), processStart: processStart("self") };
    const claim = path.join(dir, `${LOCK_NAME}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.claim`);
    await fsp.writeFile(claim, JSON.stringify(me), { mode: 0o600 });
    let tookOver: Holder | undefined;
    try {
        for (let attempt = 0; ; attempt++) {
            if (attempt >= 20) throw new UserDataLockedError(`Could not claim ${lockFile}: other processes keep claiming and releasing it.`);
            try {
                await fsp.link(claim, lockFile);
                break;
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
            }
            let holder: Holder | undefined;
            try { holder = await readHolder(lockFile); } catch { continue; } // released meanwhile: try again
            if (holder && alive(holder)) throw new UserDataLockedError(lockedMessage(dir, holder));
            // stale: move it out of the way under a name of our own (one rename wins), then claim again
            const aside = `${lockFile}.${process.pid}.stale`;
            try { await fsp.rename(lockFile, aside); } catch { continue; }
            const moved = await readHolder(aside).catch(() => undefined);
            if (moved && alive(moved)) {
                // another process claimed it between our read and our rename: give it back and refuse
                await fsp.link(aside, lockFile).catch(() => undefined);
                await fsp.rm(aside, { force: true });
                throw new UserDataLockedError(lockedMessage(dir, moved));
            }
            await fsp.rm(aside, { force: true });
            tookOver = holder ?? moved;
        }
    } finally {
        await fsp.rm(claim, { force: true });
    }
    const release = () => {
        try {
            const holder = JSON.parse(fs.readFileSync(lockFile, "utf8")) as Holder;
            if (holder.pid === process.pid) fs.rmSync(lockFile, { force: true });
        } catch {
            // already gone
        }
    };
    process.once("exit", release);
    const staleTemps = [...await removeStaleTemps(dir), ...await removeDeadClaims(dir)];
    return { lockFile, staleTemps, tookOver, release };
}
