/** Models: the list from the core, and the actions on it. Derived figures live in selectors. */
import { create } from "zustand";
import type { LoadedContext, ModelInfo, ModelKind, ModelSettings, PyramidSchedule } from "../../../api/appApi";
import { activePyramid, pyramidLabel } from "../../../api/pyramidSetting";
import { call } from "../api/client";
import { formatTokens } from "../lib/format";
import { reportError, useApp } from "./app";

interface ModelsState {
    models: ModelInfo[];
    setModels(models: ModelInfo[]): void;
    refresh(): Promise<void>;
    load(modelId: string): Promise<void>;
    unload(modelId: string): Promise<void>;
    setSettings(modelId: string, settings: Partial<ModelSettings>): Promise<boolean>;
    addByPath(path: string): Promise<void>;
    pick(): Promise<void>;
    remove(modelId: string): Promise<void>;
}

export const useModels = create<ModelsState>((set) => ({
    models: [],
    setModels: (models) => set({ models }),
    async refresh() {
        set({ models: await call("models.list") });
    },
    async load(modelId) {
        await call("models.load", { modelId }).catch(reportError("Could not load the model"));
    },
    async unload(modelId) {
        await call("models.unload", { modelId }).catch(reportError("Could not unload the model"));
    },
    async setSettings(modelId, settings) {
        const ok = await call("models.setSettings", { modelId, settings }).then(() => true, reportError("Settings were not applied"));
        return Boolean(ok);
    },
    async addByPath(path) {
        const model = await call("models.add", { path }).catch(reportError("Could not add the model"));
        if (model) useApp.getState().notify({ kind: model.error ? "error" : "success", title: model.error ? `${model.fileName} was added but cannot be used` : `Added ${model.fileName}`, text: model.error });
    },
    async pick() {
        const model = await call("models.pickFile").catch(reportError("Could not add the model"));
        if (model) useApp.getState().notify({ kind: "success", title: `Added ${model.fileName}` });
    },
    async remove(modelId) {
        await call("models.remove", { modelId }).catch(reportError("Could not remove the model"));
    },
}));

// ---- selectors

/** A model kind in words: badges, pickers, comparison lanes. */
export const KIND_LABEL: Record<ModelKind, string> = { dense: "Dense", recurformer: "RecurFormer", based: "BASED" };

export const selectModel = (id: string | undefined) => (s: ModelsState) => s.models.find((m) => m.id === id);

export function modelLabel(model: ModelInfo | undefined): string {
    if (!model) return "no model";
    return model.shape?.name && model.shape.name !== model.fileName.replace(/\.gguf$/i, "") ? `${model.shape.name} · ${model.fileName}` : model.fileName;
}

/** A kind with its cache mode: "Dense", "Dense + PyramidInfer r0 0.8/0.7". */
export function kindWithCache(kind: ModelKind, pyramid?: PyramidSchedule): string {
    return pyramid ? `${KIND_LABEL[kind]} + ${pyramidLabel(pyramid)}` : KIND_LABEL[kind];
}

/** How a model runs: as loaded when it is (its context's schedule), else as its settings say. */
export function modelCacheLabel(model: ModelInfo): string {
    return kindWithCache(model.kind, model.loaded ? model.loaded.pyramid : activePyramid(model.settings));
}

/** What a model picker shows: its file's name without ".gguf", short enough never to be cut. */
export function modelShortName(model: ModelInfo): string {
    return model.fileName.replace(/\.gguf$/i, "");
}

/** The hover text of a model in a picker: its full name and its file. */
export function modelHoverTitle(model: ModelInfo): string {
    return `${model.shape?.name ?? model.fileName} — ${model.path}`;
}

/** Kept KV groups in the words the rest of the app uses: "1 of 8 per layer (8 layers)". */
export function headsKeptText(model: ModelInfo): string | undefined {
    const shape = model.shape;
    if (!shape) return undefined;
    const perLayer = shape.kvHeadsPerLayer;
    const lo = Math.min(...perLayer);
    const hi = Math.max(...perLayer);
    const of = shape.sourceKvHeads ?? hi;
    const layers = `${shape.layers} layer${shape.layers === 1 ? "" : "s"}`;
    return lo === hi ? `${lo} of ${of} per layer (${layers})` : `${lo}–${hi} of ${of} per layer (${layers}, ${perLayer.reduce((a, b) => a + b, 0)} in all)`;
}

/** What the KV buffer holds: "2 chat slots × 16k tokens" (with PyramidInfer: "1 chat slot × 16k tokens, thinned per layer"). */
export function kvBufferText(loaded: LoadedContext | undefined): string | undefined {
    if (!loaded) return undefined;
    return `${loaded.chatSlots} chat slot${loaded.chatSlots === 1 ? "" : "s"} × ${formatTokens(loaded.contextSize)} tokens${loaded.pyramid ? ", thinned per layer" : ""}`;
}

/** Dense/RecurFormer pairs, paired by the core from the GGUF provenance. */
export function modelPairs(models: ModelInfo[]): { dense: ModelInfo; recurformer: ModelInfo }[] {
    const pairs: { dense: ModelInfo; recurformer: ModelInfo }[] = [];
    for (const m of models) {
        if (m.kind !== "recurformer" || !m.pairedDenseId) continue;
        const dense = models.find((d) => d.id === m.pairedDenseId);
        if (dense) pairs.push({ dense, recurformer: m });
    }
    return pairs;
}
