/**
 * Documents dropped on the window, on their way into a chat: read with progress (cancel),
 * measured per model, fit-checked, optionally cut. Fit is derived, never stored.
 */
import { create } from "zustand";
import type { DocumentInfo, ModelInfo } from "../../../api/appApi";
import { ANSWER_RESERVE_TOKENS, tooLargeMessage } from "../../../api/limits";
import { call, getApi } from "../api/client";
import { uploadFile } from "../api/wsBridge";
import { useApp } from "./app";

export interface PendingDocument {
    /** the core's document id once known */
    id?: string;
    localId: string;
    name: string;
    bytes: number;
    status: "uploading" | "reading" | "ready" | "error" | "cancelled";
    progress: number;
    phase?: string;
    info?: DocumentInfo;
    error?: string;
}

interface DocumentsState {
    items: PendingDocument[];
    addFiles(files: File[]): Promise<void>;
    /** reads the sample document the default pair's model card suggests */
    addSample(): Promise<void>;
    /** a message the composer should offer (the model card's question about its sample) */
    suggestion?: string;
    takeSuggestion(): string | undefined;
    onProgress(documentId: string, phase: string, fraction: number, message?: string): void;
    cancel(localId: string): Promise<void>;
    discard(localId: string): Promise<void>;
    cut(localId: string, modelId: string, maxTokens: number): Promise<void>;
    /** removes ready documents (after they were sent) and returns their ids */
    takeReady(): string[];
}

let localIds = 1;

export const useDocuments = create<DocumentsState>((set, get) => {
    const patch = (localId: string, change: Partial<PendingDocument>) =>
        set({ items: get().items.map((d) => (d.localId === localId ? { ...d, ...change } : d)) });

    return {
        items: [],
        async addSample() {
            const sample = useApp.getState().info?.welcome?.sample;
            if (!sample) return;
            const localId = `local-${localIds++}`;
            set({ items: [...get().items, { localId, name: sample.name, bytes: 0, status: "reading", progress: 0 }], suggestion: sample.question });
            try {
                const info = await call("documents.ingestSample");
                patch(localId, { id: info.id, status: "ready", progress: 1, info });
            } catch (error) {
                patch(localId, { status: "error", error: (error as Error).message });
            }
        },
        takeSuggestion() {
            const text = get().suggestion;
            if (text) set({ suggestion: undefined });
            return text;
        },
        async addFiles(files) {
            const max = useApp.getState().info?.maxDocumentBytes ?? Infinity;
            for (const file of files) {
                const localId = `local-${localIds++}`;
                const item: PendingDocument = { localId, name: file.name, bytes: file.size, status: "uploading", progress: 0 };
                set({ items: [...get().items, item] });
                if (file.size > max) {
                    patch(localId, { status: "error", error: tooLargeMessage(file.name, file.size, max) });
                    continue;
                }
                try {
                    const api = getApi();
                    let source: Parameters<typeof call<"documents.ingest">>[1]["source"];
                    if (api.transport === "electron" && api.pathForFile) {
                        source = { kind: "path", path: api.pathForFile(file), name: file.name };
                    } else {
                        const uploadId = await uploadFile(file);
                        patch(localId, { id: uploadId, status: "reading" });
                        source = { kind: "upload", uploadId, name: file.name };
                    }
                    if (get().items.find((d) => d.localId === localId)?.status === "cancelled") continue;
                    patch(localId, { status: "reading" });
                    const info = await call("documents.ingest", { source });
                    patch(localId, { id: info.id, status: "ready", progress: 1, info });
                } catch (error) {
                    const cancelled = (error as Error).name === "DocumentCancelledError";
                    patch(localId, { status: cancelled ? "cancelled" : "error", error: (error as Error).message });
                    if (cancelled) setTimeout(() => set({ items: get().items.filter((d) => d.localId !== localId) }), 1500);
                }
            }
        },
        onProgress(documentId, phase, fraction, message) {
            const item = get().items.find((d) => d.id === documentId);
            if (!item || item.status === "ready") return;
            patch(item.localId, { phase, progress: fraction, ...(phase === "error" ? { error: message } : {}) });
        },
        async cancel(localId) {
            const item = get().items.find((d) => d.localId === localId);
            if (!item) return;
            patch(localId, { status: "cancelled" });
            if (item.id) await call("documents.cancel", { documentId: item.id }).catch(() => undefined);
            setTimeout(() => set({ items: get().items.filter((d) => d.localId !== localId) }), 1200);
        },
        async discard(localId) {
            const item = get().items.find((d) => d.localId === localId);
            set({ items: get().items.filter((d) => d.localId !== localId) });
            if (item?.id) await call("documents.discard", { documentId: item.id }).catch(() => undefined);
        },
        async cut(localId, modelId, maxTokens) {
            const item = get().items.find((d) => d.localId === localId);
            if (!item?.id) return;
            const info = await call("documents.cut", { documentId: item.id, modelId, maxTokens }).catch((error: Error) => {
                useApp.getState().notify({ kind: "error", title: "Could not cut the document", text: error.message });
                return undefined;
            });
            if (info) patch(localId, { info });
        },
        takeReady() {
            const ready = get().items.filter((d) => d.status === "ready" && d.id);
            set({ items: get().items.filter((d) => !(d.status === "ready" && d.id)) });
            return ready.map((d) => d.id!);
        },
    };
});

// ---- derived: does it fit?

export type FitVerdict = "fits" | "needs-larger-context" | "too-long";

export interface Fit {
    modelId: string;
    tokens: number;
    how: "counted" | "estimated";
    /** tokens already in the chat plus the document plus room for an answer */
    needed: number;
    contextSize: number;
    trainedContext: number;
    verdict: FitVerdict;
    /** the largest document (tokens) that fits the current context */
    roomForDocument: number;
}

/** Fit of the given documents for a model, on top of `tokensAlready` in the chat. */
export function fitFor(model: ModelInfo, docs: DocumentInfo[], tokensAlready = 0): Fit | undefined {
    if (!model.shape) return undefined;
    let tokens = 0;
    let how: Fit["how"] = "counted";
    for (const d of docs) {
        const t = d.tokens[model.id];
        if (!t) return undefined;
        tokens += t.tokens;
        if (t.how === "estimated") how = "estimated";
    }
    const needed = tokensAlready + tokens + ANSWER_RESERVE_TOKENS;
    const contextSize = model.settings.contextSize;
    const trainedContext = model.shape.contextLength;
    const verdict: FitVerdict = needed <= contextSize ? "fits" : needed <= Math.max(trainedContext, contextSize) ? "needs-larger-context" : "too-long";
    return { modelId: model.id, tokens, how, needed, contextSize, trainedContext, verdict, roomForDocument: Math.max(0, contextSize - tokensAlready - ANSWER_RESERVE_TOKENS) };
}

/** The smallest "nice" context size (multiple of 1024) that holds `needed` tokens. */
export function contextFor(needed: number): number {
    return Math.ceil(needed / 1024) * 1024;
}
