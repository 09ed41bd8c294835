/** Chats' states saved on disk: the list with sizes per chat, the disk budget, and freeing them. */
import { create } from "zustand";
import type { Chat, ChatMessageRecord, SnapshotsState } from "../../../api/appApi";
import { call } from "../api/client";
import { reportError } from "./app";

interface SnapshotsStore {
    state?: SnapshotsState;
    set(state: SnapshotsState): void;
    refresh(): Promise<void>;
    /** frees one chat's saved state, or all of them */
    free(chatId?: string): Promise<void>;
    setBudget(bytes: number): Promise<void>;
}

export const useSnapshots = create<SnapshotsStore>((set) => ({
    set: (state) => set({ state }),
    async refresh() {
        const state = await call("snapshots.list").catch(reportError("Could not list the saved states"));
        if (state) set({ state });
    },
    async free(chatId) {
        const state = await call("snapshots.free", chatId ? { chatId } : undefined).catch(reportError("Could not free the saved states"));
        if (state) set({ state });
    },
    async setBudget(bytes) {
        const state = await call("snapshots.setBudget", { bytes }).catch(reportError("Could not change the budget"));
        if (state) set({ state });
    },
}));

/** The chat's last answer, where saved-state figures live. */
export function lastAnswer(chat: Chat | undefined): ChatMessageRecord | undefined {
    return [...(chat?.messages ?? [])].reverse().find((m) => m.role === "assistant");
}

/** The chat header's line: "resumed from a saved state (8.61 MiB, saved 5 Dec, 05:21)", or undefined. */
export function resumedText(answer: ChatMessageRecord | undefined, formatBytes: (n: number) => string): string | undefined {
    const from = answer?.resumedFrom;
    if (!from) return undefined;
    const saved = new Date(from.savedAt).toLocaleString(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    return `resumed from a saved state (${formatBytes(from.bytes)}, saved ${saved})`;
}
