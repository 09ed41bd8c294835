/**
 * The models the app knows (the registry on disk) and what the engine has loaded of them:
 * inspect, add, remove, load with their settings, unload, token counts. When the engine goes
 * away every loaded model is marked unloaded and remembered; when an engine comes back (after
 * a crash or Engine → Restart, however many crashes came before) those models are loaded again.
 *
 * A comparison may also ask for a model in the other cache mode (PyramidInfer on where its setting has it off,
 * or off where on): that is a second load of the same file under its own engine id, the model's "compare copy"
 * (the weights are memory-mapped, so mostly shared). Chats never use it; it goes when the model's settings change,
 * when the model is unloaded, and with the engine.
 */
import type { AppEvent, CacheBuffers, LoadedContext, ModelInfo, ModelSettings, TokenCount } from "../../../api/appApi.js";
import { estimateTokens } from "../../../api/limits.js";
import { formatPyramidSchedule, parsePyramidSchedule } from "../../../api/pyramidCache.js";
import { activePyramid, pyramidSettingOf, pyramidUnsupported } from "../../../api/pyramidSetting.js";
import type { LoadOptions, LoadResult } from "../../../engine/runtime/protocol.js";
import type { EngineSupervisor } from "../EngineSupervisor.js";
import type { ModelRegistry } from "../ModelRegistry.js";
import { UserError } from "../UserError.js";
import { CHAT_SLOTS } from "../contextSize.js";


export class Models {
    private readonly loadResults = new Map<string, LoadResult>();
    private readonly loading = new Map<string, Promise<ModelInfo>>();
    /** told when a model's sequences (and the chats' snapshots in them) are thrown away, and why */
    private readonly stateLostListeners: ((modelId: string, why: string) => void)[] = [];
    /** models that were loaded when the engine went away, to load again in the next one */
    private readonly toReload = new Set<string>();
    /** each model's compare copy: what the engine said when it loaded it, with the settings it was loaded with (as `loadResults`) */
    private readonly copies = new Map<string, LoadResult>();

    /** `cpuThreads`: what a model whose threads setting is 0 (auto) computes with */
    constructor(readonly registry: ModelRegistry, private readonly engine: EngineSupervisor, private readonly emit: (event: AppEvent) => void, private readonly cpuThreads = 0) {
        engine.on("crashed", () => this.engineGone());
        engine.on("restarted", () => void this.engineBack());
    }

    list(): ModelInfo[] {
        return this.registry.list();
    }

    get(modelId: string): ModelInfo {
        return this.registry.get(modelId);
    }

    /** What the engine said when it loaded the model, with the settings it was loaded with; undefined when not loaded. */
    loaded(modelId: string): LoadResult | undefined {
        return this.loadResults.get(modelId);
    }

    /** whether any loaded model runs on a GPU */
    onGpu(): boolean {
        return [...this.loadResults.values()].some((r) => Boolean(r.backend?.gpu));
    }

    /** Inspects every model not inspected yet (after the engine first says it is ready). */
    async inspectAll(): Promise<void> {
        for (const model of this.list()) if (!model.shape) await this.inspect(model.id);
    }

    /** The model new chats use: a loaded RecurFormer model, else the default one, else any RecurFormer, else any usable model. */
    defaultChatModel(): ModelInfo | undefined {
        const usable = this.list().filter((m) => m.shape);
        return usable.find((m) => m.kind === "recurformer" && m.status === "loaded")
            ?? usable.find((m) => m.kind === "recurformer" && m.origin === "default")
            ?? usable.find((m) => m.kind === "recurformer")
            ?? usable[0];
    }

    async autoload(): Promise<void> {
        const model = this.defaultChatModel();
        if (model && model.status === "unloaded") await this.load(model.id).catch(() => undefined);
    }

    async add(file: string): Promise<ModelInfo> {
        const model = await this.registry.addUserFile(file);
        this.changed();
        if (!model.shape) await this.inspect(model.id);
        return this.get(model.id);
    }

    async remove(modelId: string): Promise<ModelInfo[]> {
        await this.dropCopy(modelId);
        if (this.get(modelId).status === "loaded") await this.unload(modelId);
        await this.registry.remove(modelId);
        this.changed();
        return this.list();
    }

    /** Loads (or reloads, when its settings changed) a model; concurrent calls share one load. Errors keep their class. */
    async load(modelId: string): Promise<ModelInfo> {
        await this.loading.get(modelId)?.catch(() => undefined);
        const model = this.get(modelId);
        if (!model.shape) {
            if (model.status !== "error") await this.inspect(modelId);
            if (!model.shape) throw new UserError(`${model.fileName} cannot be used: ${model.error}`);
        }
        const settings = model.settings;
        const current = this.loadResults.get(modelId);
        if (model.status === "loaded" && current && sameSettings(current, settings)) return model;
        const task = this.loadNow(model, settings);
        this.loading.set(modelId, task);
        try { return await task; } finally { if (this.loading.get(modelId) === task) this.loading.delete(modelId); }
    }

    /** `listener(modelId, why)` runs when a loaded model's sequences are thrown away (reload, unload, engine restart). */
    onStateLost(listener: (modelId: string, why: string) => void): void {
        this.stateLostListeners.push(listener);
    }

    async unload(modelId: string): Promise<ModelInfo> {
        const model = this.get(modelId);
        await this.dropCopy(modelId);
        if (model.status === "loaded") {
            await (await this.engine.engine()).unload(modelId).catch(() => undefined);
            this.stateLost(modelId, "the model was unloaded");
        }
        this.loadResults.delete(modelId);
        this.registry.setStatus(modelId, model.shape ? "unloaded" : "error", model.error);
        this.changed();
        return model;
    }

    async setSettings(modelId: string, change: Partial<ModelSettings>): Promise<ModelInfo> {
        const unsupported = change.pyramid?.on ? pyramidUnsupported(this.get(modelId).shape?.architecture) : undefined;
        if (unsupported) throw new UserError(unsupported);
        const model = await this.registry.updateSettings(modelId, change);
        await this.dropCopy(modelId);
        this.changed();
        if (model.status === "loaded") await this.load(modelId);
        return this.get(modelId);
    }

    /**
     * The context a comparison lane runs on: the model as loaded for chats when `pyramid` is its own setting, else its
     * compare copy (loaded now, with the model's settings but the other cache mode). Returns the engine's id for it.
     */
    async loadForLane(modelId: string, pyramid: boolean): Promise<{ engineId: string; loaded: LoadedContext; copy: boolean }> {
        const model = this.get(modelId);
        if (pyramid === Boolean(activePyramid(model.settings))) {
            await this.load(modelId);
            return { engineId: modelId, loaded: model.loaded!, copy: false };
        }
        if (pyramid) {
            const unsupported = pyramidUnsupported(model.shape?.architecture);
            if (unsupported) throw new UserError(unsupported);
        }
        const settings: ModelSettings = { ...model.settings, pyramid: { ...pyramidSettingOf(model.settings), on: pyramid } };
        const engineId = copyId(modelId);
        const existing = this.copies.get(modelId);
        if (!existing || !sameSettings(existing, settings)) {
            await this.dropCopy(modelId);
            const result = await (await this.engine.engine()).load(engineId, this.loadOptions(model, settings));
            this.copies.set(modelId, { ...result, threads: settings.threads, contextSize: settings.contextSize });
            model.compareCopy = loadedContext(result, slotsFor(settings));
            this.changed();
        }
        return { engineId, loaded: model.compareCopy!, copy: true };
    }

    /**
     * Token counts of `text` for every usable model: the engine's tokenizer for loaded models;
     * a model that is not loaded takes its pair's count (a RecurFormer conversion keeps its
     * source's tokenizer); otherwise an estimate, labelled as such.
     */
    async countTokens(text: string): Promise<Record<string, TokenCount>> {
        const counts: Record<string, TokenCount> = {};
        const usable = this.list().filter((m) => m.shape);
        for (const model of usable) {
            if (model.status !== "loaded") continue;
            const tokens = await this.engine.engine().then((client) => client.tokenize(model.id, text)).catch(() => undefined);
            if (tokens != null) counts[model.id] = { tokens, how: "counted" };
        }
        for (const model of usable) {
            if (counts[model.id]) continue;
            const pairIds = [model.pairedDenseId, ...(model.pairedRecurformerIds ?? [])].filter((id): id is string => Boolean(id));
            const pair = pairIds.map((id) => counts[id]).find((c) => c?.how === "counted");
            counts[model.id] = pair ? { ...pair } : { tokens: estimateTokens(text), how: "estimated" };
        }
        return counts;
    }

    changed(): void {
        this.emit({ type: "models.changed", models: this.list() });
    }

    private async inspect(modelId: string): Promise<void> {
        const model = this.get(modelId);
        model.status = "inspecting";
        this.changed();
        try {
            const report = await (await this.engine.engine()).inspect(model.path);
            this.registry.setShape(modelId, report.shape);
        } catch (error) {
            this.registry.setError(modelId, (error as Error).message);
        }
        this.changed();
    }

    /** How the engine loads a model with these settings (the API server started from the app loads its models the same way). */
    loadOptions(model: ModelInfo, settings: ModelSettings = model.settings): LoadOptions {
        return {
            modelPath: model.path,
            contextSize: settings.contextSize,
            threads: settings.threads > 0 ? settings.threads : this.cpuThreads,
            gpuLayers: settings.gpuLayers,
            cacheType: settings.cacheType,
            sequences: slotsFor(settings),
            ...(activePyramid(settings) ? { pyramid: formatPyramidSchedule(activePyramid(settings)!) } : {}),
        };
    }

    private async loadNow(model: ModelInfo, settings: ModelSettings): Promise<ModelInfo> {
        const client = await this.engine.engine();
        if (model.status === "loaded") {
            await client.unload(model.id).catch(() => undefined);
            this.loadResults.delete(model.id);
            this.stateLost(model.id, "the model was reloaded with new settings");
        }
        this.registry.setStatus(model.id, "loading");
        this.changed();
        try {
            const result = await client.load(model.id, this.loadOptions(model, settings));
            this.loadResults.set(model.id, { ...result, threads: settings.threads, contextSize: settings.contextSize });
            this.registry.setShape(model.id, result.shape);
            this.registry.setStatus(model.id, "loaded");
            model.loaded = loadedContext(result, slotsFor(settings));
            return model;
        } catch (error) {
            this.registry.setStatus(model.id, "error", `Loading failed: ${(error as Error).message}`);
            throw error;
        } finally {
            this.changed();
        }
    }

    /** Unloads a model's compare copy, if it has one. */
    private async dropCopy(modelId: string): Promise<void> {
        if (!this.copies.delete(modelId)) return;
        this.registry.get(modelId).compareCopy = undefined;
        await (await this.engine.engine()).unload(copyId(modelId)).catch(() => undefined);
    }

    private stateLost(modelId: string, why: string): void {
        for (const listener of this.stateLostListeners) listener(modelId, why);
    }

    private engineGone(): void {
        for (const m of this.list()) {
            if (m.status !== "loaded" && m.status !== "loading") continue;
            if (m.status === "loaded") this.stateLost(m.id, "the engine stopped and was restarted");
            this.toReload.add(m.id);
            this.registry.setStatus(m.id, "unloaded");
            m.compareCopy = undefined;
        }
        this.loadResults.clear();
        this.copies.clear();
        this.changed();
    }

    private async engineBack(): Promise<void> {
        await this.inspectAll();
        const ids = [...this.toReload];
        this.toReload.clear();
        for (const id of ids) if (this.registry.find(id)) await this.load(id).catch(() => undefined);
    }
}

/** The engine id of a model's compare copy. */
const copyId = (modelId: string) => `${modelId}.copy`;

/** Chat slots of a context: PyramidInfer's memory holds one sequence (PYRAMID.md, "Departures"). */
function slotsFor(settings: ModelSettings): number {
    return activePyramid(settings) ? 1 : CHAT_SLOTS;
}

/** What the app shows of a context llama.cpp created (its cache computed from the shape and, with PyramidInfer, the schedule's cells per layer). */
function loadedContext(result: LoadResult, chatSlots: number): LoadedContext {
    return {
        contextSize: result.contextSize,
        chatSlots,
        cacheBuffers: cacheBuffers(result),
        ...(result.pyramid ? { pyramid: { ...parsePyramidSchedule(result.pyramid.schedule), schedule: result.pyramid.schedule, cellsPerLayer: result.pyramid.cellsPerLayer } } : {}),
    };
}

/** The context's cache as computed for the context created, beside what llama.cpp logged it allocated (KV + recurrent state). */
function cacheBuffers(result: LoadResult): CacheBuffers {
    const { kvBufferBytesMeasured: kv, recurrentBufferBytesMeasured: recurrent } = result.buffers;
    return { computedBytes: result.cacheBytesComputed, ...(kv != null || recurrent != null ? { measuredBytes: (kv ?? 0) + (recurrent ?? 0) } : {}) };
}

function sameSettings(loaded: LoadResult, wanted: ModelSettings): boolean {
    const want = activePyramid(wanted);
    const got = loaded.pyramid ? parsePyramidSchedule(loaded.pyramid.schedule) : undefined;
    const samePyramid = want && got ? got.r0 === want.r0 && got.decay === want.decay && got.recent === want.recent : !want && !got;
    return loaded.contextSize === wanted.contextSize && loaded.threads === wanted.threads && loaded.cacheType === wanted.cacheType && samePyramid;
}
