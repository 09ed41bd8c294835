/**
 * Chats' saved sequence states on disk, in `<userData>/snapshots/`: per chat one llama.cpp state
 * file (`<chatId>.<8 hex>.state`, what llama_state_seq_save_file wrote) and its record
 * (`<chatId>.json`: the key it was saved under, its size and SHA-256). The record is the commit
 * point: a state file is written under a temporary name, synced, renamed to a fresh name, then the
 * record is written atomically and the previous state file removed; a crash at any moment leaves
 * either the old pair or the new one, and a state file without a record is removed at open.
 *
 * A state is handed out only when its key matches exactly (model file content, context size, KV
 * cache type, llama.cpp release) and its file has the recorded size and checksum; otherwise the
 * reason, in words. Model files are identified by their SHA-256, computed once per path, size and
 * modification time (`model-hashes.json`). Snapshots past the disk budget (`settings.json`) are
 * removed, least recently used first.
 */
import crypto from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { formatBytes } from "../../api/format.js";
import { WriteQueue, readJsonOrSetAside, setAsideMessage } from "./atomicFile.js";

/** What a state must have been saved under to be loaded again. */
export interface SnapshotKey {
    modelSha256: string;
    contextSize: number;
    cacheType: string;
    llamaCppRelease: string;
    /** the PyramidInfer schedule the context ran with (its layers hold thinned KV); absent: the full cache */
    pyramid?: string;
}

export interface SnapshotRecord extends SnapshotKey {
    chatId: string;
    /** the state file, in the snapshots folder */
    fileName: string;
    modelId: string;
    modelFileName: string;
    /** tokens the state holds */
    tokens: number;
    bytes: number;
    sha256: string;
    savedAt: number;
    lastUsedAt: number;
}

export type SnapshotLookup =
    | { found: "none" }
    | { found: "usable"; record: SnapshotRecord; file: string }
    | { found: "refused"; record: SnapshotRecord; reason: string };

/** default disk budget: 2 GiB (eight 16k-token states of the default dense model, or dozens of RecurFormer's) */
export const DEFAULT_SNAPSHOT_BUDGET_BYTES = 2 * 1024 ** 3;

const SAFE_ID = /^[A-Za-z0-9_.-]+$/;

function isRecord(value: unknown): boolean {
    const r = value as SnapshotRecord | null;
    return typeof r === "object" && r !== null && typeof r.chatId === "string" && SAFE_ID.test(r.chatId)
        && typeof r.fileName === "string" && /^[A-Za-z0-9_.-]+\.state$/.test(r.fileName)
        && typeof r.modelSha256 === "string" && typeof r.sha256 === "string" && typeof r.contextSize === "number"
        && typeof r.cacheType === "string" && typeof r.llamaCppRelease === "string" && (r.pyramid === undefined || typeof r.pyramid === "string")
        && Number.isInteger(r.bytes) && Number.isInteger(r.tokens) && typeof r.savedAt === "number" && typeof r.lastUsedAt === "number";
}

interface ModelHash { size: number; mtimeMs: number; sha256: string }

/** SHA-256 of a file, streamed (the event loop keeps turning between chunks). */
export async function sha256File(file: string): Promise<string> {
    const hash = crypto.createHash("sha256");
    for await (const chunk of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) hash.update(chunk as Buffer);
    return hash.digest("hex");
}

export class SnapshotStore {
    private readonly records = new Map<string, SnapshotRecord>();
    private readonly writes = new WriteQueue();
    private modelHashes: Record<string, ModelHash> = {};
    private budget = DEFAULT_SNAPSHOT_BUDGET_BYTES;
    /** what `open` set aside or removed, for the UI */
    readonly notices: string[] = [];

    constructor(readonly dir: string) {}

    async open(): Promise<void> {
        await fs.mkdir(this.dir, { recursive: true });
        const notice = (what: string) => (n: Parameters<typeof setAsideMessage>[0]) => this.notices.push(setAsideMessage(n, what));
        const settings = await readJsonOrSetAside<{ budgetBytes?: number }>(this.settingsFile, {}, (v) => typeof v === "object" && v !== null, notice("The snapshot settings"));
        if (typeof settings.budgetBytes === "number" && settings.budgetBytes >= 0) this.budget = settings.budgetBytes;
        this.modelHashes = await readJsonOrSetAside<Record<string, ModelHash>>(this.hashesFile, {}, (v) => typeof v === "object" && v !== null, notice("The model hash cache"));
        const names = await fs.readdir(this.dir);
        for (const name of names) {
            if (!name.endsWith(".json") || name.startsWith(".") || name === "settings.json" || name === "model-hashes.json") continue;
            const record = await readJsonOrSetAside<SnapshotRecord | null>(path.join(this.dir, name), null, isRecord, notice("A snapshot record")).catch(() => null);
            if (record && names.includes(record.fileName)) this.records.set(record.chatId, record);
            else if (record) await fs.rm(path.join(this.dir, name), { force: true });
        }
        // state files no record names: a crash between writing one and its record
        const named = new Set([...this.records.values()].map((r) => r.fileName));
        for (const name of names) if (name.endsWith(".state") && !named.has(name)) await fs.rm(path.join(this.dir, name), { force: true });
    }

    get budgetBytes(): number {
        return this.budget;
    }

    usedBytes(): number {
        return [...this.records.values()].reduce((sum, r) => sum + r.bytes, 0);
    }

    list(): SnapshotRecord[] {
        return [...this.records.values()].sort((a, b) => b.lastUsedAt - a.lastUsedAt);
    }

    get(chatId: string): SnapshotRecord | undefined {
        return this.records.get(chatId);
    }

    /** The SHA-256 of a model file: from the cache while its size and modification time are unchanged, else read once. */
    async modelSha256(modelPath: string): Promise<string> {
        const stat = await fs.stat(modelPath);
        const known = this.modelHashes[modelPath];
        if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.sha256;
        const sha256 = await sha256File(modelPath);
        this.modelHashes[modelPath] = { size: stat.size, mtimeMs: stat.mtimeMs, sha256 };
        await this.writes.write(this.hashesFile, () => JSON.stringify(this.modelHashes, null, 1));
        return sha256;
    }

    /** The chat's saved state when it may be loaded under `key`; else why not. A damaged state file is removed. */
    async lookup(chatId: string, key: SnapshotKey): Promise<SnapshotLookup> {
        const record = this.records.get(chatId);
        if (!record) return { found: "none" };
        const mismatch = keyMismatch(record, key);
        if (mismatch) return { found: "refused", record, reason: mismatch };
        const file = path.join(this.dir, record.fileName);
        let damage: string | undefined;
        try {
            const { size } = await fs.stat(file);
            if (size !== record.bytes) damage = `its file is ${size < record.bytes ? "truncated" : "longer than saved"} (${formatBytes(size)} of ${formatBytes(record.bytes)})`;
            else if (await sha256File(file) !== record.sha256) damage = "its file is damaged (the checksum differs from the one saved)";
        } catch (error) {
            damage = `its file cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
        }
        if (damage) {
            await this.remove(chatId);
            return { found: "refused", record, reason: damage };
        }
        return { found: "usable", record, file };
    }

    /** Marks the chat's state used now (least-recently-used order). */
    async touch(chatId: string): Promise<void> {
        const record = this.records.get(chatId);
        if (!record) return;
        record.lastUsedAt = Date.now();
        await this.writeRecord(record);
    }

    /** A temporary path in the folder for the engine to write a chat's state to (removed at start if left behind). */
    tempPath(chatId: string): string {
        if (!SAFE_ID.test(chatId)) throw new Error(`bad chat id ${chatId}`);
        return path.join(this.dir, `.${chatId}.state.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
    }

    /**
     * Makes a state the engine wrote to `tempFile` the chat's saved state, replacing the previous one,
     * then removes least recently used states until the total fits the budget. A state larger than the
     * whole budget is not kept; the sentence returned says so. Returns the record, or why none was kept.
     */
    async commit(chatId: string, tempFile: string, meta: SnapshotKey & { modelId: string; modelFileName: string; tokens: number }): Promise<SnapshotRecord | string> {
        try {
            const { size } = await fs.stat(tempFile);
            if (size > this.budget) return `the state (${formatBytes(size)}) is larger than the whole snapshot budget (${formatBytes(this.budget)}); it was not kept`;
            const handle = await fs.open(tempFile, "r+");
            try { await handle.sync(); } finally { await handle.close(); }
            const sha256 = await sha256File(tempFile);
            const fileName = `${chatId}.${crypto.randomBytes(4).toString("hex")}.state`;
            await fs.rename(tempFile, path.join(this.dir, fileName));
            const now = Date.now();
            const record: SnapshotRecord = { chatId, fileName, ...meta, bytes: size, sha256, savedAt: now, lastUsedAt: now };
            const previous = this.records.get(chatId);
            await this.writeRecord(record);
            this.records.set(chatId, record);
            if (previous && previous.fileName !== fileName) await fs.rm(path.join(this.dir, previous.fileName), { force: true });
            await this.evict(chatId);
            return record;
        } finally {
            await fs.rm(tempFile, { force: true });
        }
    }

    /** Removes a chat's saved state (record first, so a crash never leaves a record without its file). */
    async remove(chatId: string): Promise<boolean> {
        const record = this.records.get(chatId);
        if (!record) return false;
        this.records.delete(chatId);
        await this.writes.flush();
        await fs.rm(this.recordFile(chatId), { force: true });
        await fs.rm(path.join(this.dir, record.fileName), { force: true });
        return true;
    }

    async setBudget(bytes: number): Promise<void> {
        this.budget = bytes;
        await this.writes.write(this.settingsFile, () => JSON.stringify({ budgetBytes: bytes }, null, 1));
        await this.evict();
    }

    async close(): Promise<void> {
        await this.writes.flush();
    }

    /** Removes least recently used states until the total fits the budget, never `keep`. */
    private async evict(keep?: string): Promise<void> {
        const oldestFirst = this.list().reverse().filter((r) => r.chatId !== keep);
        for (const record of oldestFirst) {
            if (this.usedBytes() <= this.budget) break;
            await this.remove(record.chatId);
        }
        if (keep && this.usedBytes() > this.budget) await this.remove(keep);
    }

    private writeRecord(record: SnapshotRecord): Promise<void> {
        return this.writes.write(this.recordFile(record.chatId), () => JSON.stringify(record, null, 1));
    }

    private recordFile(chatId: string): string {
        if (!SAFE_ID.test(chatId)) throw new Error(`bad chat id ${chatId}`);
        return path.join(this.dir, `${chatId}.json`);
    }

    private get settingsFile(): string {
        return path.join(this.dir, "settings.json");
    }

    private get hashesFile(): string {
        return path.join(this.dir, "model-hashes.json");
    }
}

/** Why a state saved under `saved` may not be loaded under `now`, in words; undefined when it may. */
function keyMismatch(saved: SnapshotKey, now: SnapshotKey): string | undefined {
    if (saved.modelSha256 !== now.modelSha256)
        return `it was saved with another model file (SHA-256 ${saved.modelSha256.slice(0, 12)}…, this one is ${now.modelSha256.slice(0, 12)}…)`;
    if (saved.contextSize !== now.contextSize) return `it was saved with a context of ${saved.contextSize} tokens, the model now has ${now.contextSize}`;
    if (saved.cacheType !== now.cacheType) return `it was saved with a ${saved.cacheType} KV cache, the model now uses ${now.cacheType}`;
    if ((saved.pyramid ?? "") !== (now.pyramid ?? ""))
        return `it was saved ${saved.pyramid ? `with PyramidInfer (${saved.pyramid})` : "with the full KV cache"}, the model now runs ${now.pyramid ? `with PyramidInfer (${now.pyramid})` : "with the full KV cache"}`;
    if (saved.llamaCppRelease !== now.llamaCppRelease) return `it was saved by llama.cpp ${saved.llamaCppRelease}, the engine is now ${now.llamaCppRelease}`;
    return undefined;
}
