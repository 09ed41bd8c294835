/**
 * Chats' saved states (SnapshotStore on disk) around one answer: before it, the chat's state if it
 * may be loaded (else the reason, logged and put on the answer) and where the engine saves the new
 * one; after it, the new state committed under the model file's hash and the context settings.
 * Also the Settings list (sizes per chat), freeing states, and the disk budget.
 */
import fs from "node:fs/promises";
import type { AppEvent, SnapshotsState } from "../../../api/appApi.js";
import type { SavedStateResult, StateFileOptions } from "../../../engine/runtime/protocol.js";
import { SnapshotStore, type SnapshotKey } from "../SnapshotStore.js";
import type { Models } from "./Models.js";

/** a turn that reads at least this many prompt tokens (a document, a long history) saves its state */
export const SAVE_MIN_TOKENS = 256;

/** what `prepare` found, for `settle` */
export interface PreparedState {
    chatId: string;
    modelId: string;
    options: StateFileOptions;
    key?: SnapshotKey;
    /** the saved state handed to the engine */
    offered?: { bytes: number; savedAt: number; tokens: number };
    /** why no saved state was handed to the engine */
    refused?: string;
}

/** what an answer's record says about saved states */
export interface StateOutcome {
    resumedFrom?: { bytes: number; savedAt: number; tokens: number; loadMs?: number };
    savedStateBytes?: number;
    stateNote?: string;
}

export class Snapshots {
    constructor(
        readonly store: SnapshotStore,
        private readonly models: Models,
        private readonly chatTitle: (chatId: string) => string | undefined,
        private readonly emit: (event: AppEvent) => void,
        private readonly log: (line: string) => void = (line) => console.error(`[snapshots] ${line}`),
    ) {}

    /** The state options of the next answer of `chatId` on `modelId` (a loaded model). Never throws: a failure is the note. */
    async prepare(chatId: string, modelId: string): Promise<PreparedState> {
        const prepared: PreparedState = { chatId, modelId, options: {} };
        try {
            const key = await this.keyOf(modelId);
            if (!key) return prepared;
            prepared.key = key;
            const found = await this.store.lookup(chatId, key);
            if (found.found === "usable") {
                prepared.options.resume = found.file;
                prepared.offered = { bytes: found.record.bytes, savedAt: found.record.savedAt, tokens: found.record.tokens };
            } else if (found.found === "refused") {
                prepared.refused = found.reason;
                this.log(`chat ${chatId}: saved state refused: ${found.reason}`);
                this.changed();
            }
            // a budget of 0 turns saving off
            if (this.store.budgetBytes > 0) prepared.options.save = { path: this.store.tempPath(chatId), minTokens: SAVE_MIN_TOKENS };
        } catch (error) {
            prepared.refused = `the saved state could not be checked (${(error as Error).message})`;
            this.log(`chat ${chatId}: ${prepared.refused}`);
        }
        return prepared;
    }

    /** After the answer: what it resumed from, the new state committed (or why not), in the answer's words. */
    async settle(prepared: PreparedState, result: SavedStateResult | undefined): Promise<StateOutcome> {
        const outcome: StateOutcome = {};
        const notes: string[] = [];
        const read = "the chat was read again";
        if (prepared.refused) notes.push(`The saved state was not used: ${prepared.refused}; ${read}.`);
        const resume = result?.resume;
        if (resume?.status === "resumed" && prepared.offered) {
            outcome.resumedFrom = { ...prepared.offered, ...(resume.loadMs != null ? { loadMs: resume.loadMs } : {}) };
            await this.store.touch(prepared.chatId);
            this.log(`chat ${prepared.chatId}: resumed from a saved state of ${resume.tokens} tokens in ${Math.round(resume.loadMs ?? 0)} ms`);
        } else if (resume?.status === "refused") {
            notes.push(`The saved state was not used: ${resume.reason}; ${read}.`);
            this.log(`chat ${prepared.chatId}: the engine refused the saved state: ${resume.reason}`);
        }
        const save = prepared.options.save;
        // a chat deleted while it answered keeps no state
        if (result?.saved && save && prepared.key && this.chatTitle(prepared.chatId) == null) {
            await this.discard(prepared);
        } else if (result?.saved && save && prepared.key) {
            const model = this.models.registry.find(prepared.modelId);
            const kept = await this.store.commit(prepared.chatId, save.path, {
                ...prepared.key, modelId: prepared.modelId, modelFileName: model?.fileName ?? prepared.modelId, tokens: result.saved.tokens,
            }).catch((error: Error) => `it could not be written (${error.message})`);
            if (typeof kept === "string") {
                notes.push(`This chat's state was not saved: ${kept}.`);
                this.log(`chat ${prepared.chatId}: state not saved: ${kept}`);
            } else {
                outcome.savedStateBytes = kept.bytes;
            }
            this.changed();
        } else if (result?.saveError) {
            notes.push(`This chat's state was not saved: ${result.saveError}.`);
        }
        if (notes.length) outcome.stateNote = notes.join(" ");
        return outcome;
    }

    /** Removes a run's temporary state file when the run never reached `settle` (an error, a crash). */
    async discard(prepared: PreparedState | undefined): Promise<void> {
        const temp = prepared?.options.save?.path;
        if (temp) await fs.rm(temp, { force: true });
    }

    state(): SnapshotsState {
        return {
            budgetBytes: this.store.budgetBytes,
            usedBytes: this.store.usedBytes(),
            snapshots: this.store.list().map((r) => ({
                chatId: r.chatId,
                chatTitle: this.chatTitle(r.chatId) ?? "(deleted chat)",
                modelId: r.modelId,
                modelFileName: r.modelFileName,
                bytes: r.bytes,
                tokens: r.tokens,
                savedAt: r.savedAt,
                lastUsedAt: r.lastUsedAt,
            })),
        };
    }

    /** Frees one chat's saved state, or every one. */
    async free(chatId?: string): Promise<SnapshotsState> {
        for (const id of chatId ? [chatId] : this.store.list().map((r) => r.chatId)) await this.store.remove(id);
        this.changed();
        return this.state();
    }

    async setBudget(bytes: number): Promise<SnapshotsState> {
        await this.store.setBudget(bytes);
        this.changed();
        return this.state();
    }

    /** The key a state of `modelId` is saved and loaded under: its file's hash and its loaded settings. */
    private async keyOf(modelId: string): Promise<SnapshotKey | undefined> {
        const model = this.models.registry.find(modelId);
        const loaded = this.models.loaded(modelId);
        if (!model || !loaded) return undefined;
        return {
            modelSha256: await this.store.modelSha256(model.path),
            contextSize: loaded.contextSize,
            cacheType: loaded.cacheType,
            llamaCppRelease: loaded.backend.llamaCppRelease,
            ...(loaded.pyramid ? { pyramid: loaded.pyramid.schedule } : {}),
        };
    }

    private changed(): void {
        this.emit({ type: "snapshots.changed", snapshots: this.state() });
    }
}
