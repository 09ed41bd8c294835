/**
 * The models the app knows: every `.gguf` in the model folders (the bundled `assets/models/`,
 * or the folders in RECURFORMER_MODELS_DIR), plus files the user added. Each is inspected by
 * the engine (architecture, shape, provenance); a RecurFormer model is paired with the dense
 * model it came from by its `source.name` metadata. User additions and per-model settings
 * persist in `<userData>/models.json`.
 */
import fs from "node:fs/promises";
import path from "node:path";
import crypto from "node:crypto";
import type { ModelInfo, ModelOrigin, ModelSettings, ModelShape } from "../../api/appApi.js";
import { readJsonOrSetAside, setAsideMessage, writeFileAtomic } from "./atomicFile.js";
import { defaultContext, FALLBACK_CONTEXT } from "./contextSize.js";

export class ModelNotFoundError extends Error {
    override name = "ModelNotFoundError";
}
export class NotAModelError extends Error {
    override name = "NotAModelError";
}

interface Persisted {
    userModels: string[];
    removed: string[];
    settings: Record<string, Partial<ModelSettings>>;
}

function isPersisted(value: unknown): boolean {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
    const p = value as Partial<Record<keyof Persisted, unknown>>;
    const strings = (x: unknown) => x === undefined || (Array.isArray(x) && x.every((s) => typeof s === "string"));
    const settings = p.settings === undefined || (typeof p.settings === "object" && p.settings !== null && !Array.isArray(p.settings)
        && Object.values(p.settings).every((s) => typeof s === "object" && s !== null && !Array.isArray(s)));
    return strings(p.userModels) && strings(p.removed) && settings;
}

export function modelIdFor(file: string): string {
    const base = path.basename(file, ".gguf").replace(/[^A-Za-z0-9_-]+/g, "-").slice(0, 40);
    return `${base}-${crypto.createHash("sha1").update(path.resolve(file)).digest("hex").slice(0, 8)}`;
}

export class ModelRegistry {
    private readonly models = new Map<string, ModelInfo>();
    private persisted: Persisted = { userModels: [], removed: [], settings: {} };
    /** what `open` set aside, for the UI */
    readonly notices: string[] = [];

    constructor(private readonly stateFile: string, readonly modelDirs: string[], private readonly defaults: () => Omit<ModelSettings, "contextSize">) {}

    async open(): Promise<void> {
        // bad content is set aside and told; an unreadable file (EACCES…) stops the start, so that nothing writes over it
        const saved = await readJsonOrSetAside<Partial<Persisted>>(this.stateFile, {}, isPersisted, (n) => this.notices.push(setAsideMessage(n, "The model list")));
        this.persisted = { ...this.persisted, ...saved };
        for (const dir of this.modelDirs) {
            let names: string[] = [];
            try { names = await fs.readdir(dir); } catch { continue; }
            for (const name of names.sort()) {
                if (!name.toLowerCase().endsWith(".gguf")) continue;
                const file = path.resolve(dir, name);
                if (this.persisted.removed.includes(file)) continue;
                this.addEntry(file, dir.includes(`${path.sep}assets${path.sep}models`) ? "default" : "directory");
            }
        }
        for (const file of this.persisted.userModels) {
            try { await fs.access(file); } catch { continue; }
            this.addEntry(file, "user");
        }
    }

    list(): ModelInfo[] {
        return [...this.models.values()];
    }

    get(modelId: string): ModelInfo {
        const model = this.models.get(modelId);
        if (!model) throw new ModelNotFoundError(`No model with id ${modelId}.`);
        return model;
    }

    find(modelId: string | undefined): ModelInfo | undefined {
        return modelId ? this.models.get(modelId) : undefined;
    }

    /** Adds a file the user picked or dropped; returns the entry (existing if already known). */
    async addUserFile(file: string): Promise<ModelInfo> {
        const resolved = path.resolve(file);
        if (!resolved.toLowerCase().endsWith(".gguf")) throw new NotAModelError(`“${path.basename(file)}” is not a .gguf model file.`);
        let stat;
        try { stat = await fs.stat(resolved); } catch { throw new NotAModelError(`“${resolved}” does not exist or cannot be read.`); }
        if (!stat.isFile()) throw new NotAModelError(`“${resolved}” is not a file.`);
        const existing = [...this.models.values()].find((m) => m.path === resolved);
        if (existing) return existing;
        const model = this.addEntry(resolved, "user");
        this.persisted.userModels = [...new Set([...this.persisted.userModels, resolved])];
        this.persisted.removed = this.persisted.removed.filter((p) => p !== resolved);
        await this.persist();
        return model;
    }

    async remove(modelId: string): Promise<void> {
        const model = this.get(modelId);
        this.models.delete(modelId);
        this.persisted.userModels = this.persisted.userModels.filter((p) => p !== model.path);
        if (model.origin !== "user") this.persisted.removed.push(model.path);
        this.pair();
        await this.persist();
    }

    setShape(modelId: string, shape: ModelShape): void {
        const model = this.get(modelId);
        model.shape = shape;
        model.kind = shape.architecture === "recurformer" || shape.architecture === "based" ? shape.architecture : "dense";
        model.error = undefined;
        if (model.status === "inspecting" || model.status === "error") model.status = "unloaded";
        if (!this.persisted.settings[modelId]?.contextSize) {
            const choice = defaultContext(shape);
            model.settings.contextSize = choice.contextSize;
            model.contextNote = choice.note;
        }
        this.pair();
    }

    setError(modelId: string, message: string): void {
        const model = this.get(modelId);
        model.status = "error";
        model.error = message;
    }

    setStatus(modelId: string, status: ModelInfo["status"], error?: string): void {
        const model = this.get(modelId);
        model.status = status;
        if (status !== "loaded") model.loaded = undefined;
        model.error = error;
    }

    async updateSettings(modelId: string, change: Partial<ModelSettings>): Promise<ModelInfo> {
        const model = this.get(modelId);
        model.settings = { ...model.settings, ...change };
        if (change.contextSize != null) model.contextNote = undefined;
        this.persisted.settings[modelId] = { ...this.persisted.settings[modelId], ...change };
        await this.persist();
        return model;
    }

    /** The dense model paired with a RecurFormer model, if it is in the list. */
    denseFor(modelId: string | undefined): ModelInfo | undefined {
        const model = this.find(modelId);
        return model?.pairedDenseId ? this.models.get(model.pairedDenseId) : undefined;
    }

    /** Pairs each RecurFormer model with the dense model whose general.name is its source.name. */
    private pair(): void {
        const dense = [...this.models.values()].filter((m) => m.kind === "dense" && m.shape);
        for (const m of this.models.values()) m.pairedRecurformerIds = undefined;
        for (const m of this.models.values()) {
            if (m.kind !== "recurformer" || !m.shape?.sourceName) { m.pairedDenseId = undefined; continue; }
            const source = dense.find((d) => d.shape!.name === m.shape!.sourceName);
            m.pairedDenseId = source?.id;
            if (source) source.pairedRecurformerIds = [...(source.pairedRecurformerIds ?? []), m.id];
        }
    }

    private addEntry(file: string, origin: ModelOrigin): ModelInfo {
        const id = modelIdFor(file);
        const existing = this.models.get(id);
        if (existing) return existing;
        const model: ModelInfo = {
            id,
            path: file,
            fileName: path.basename(file),
            origin,
            kind: "dense",
            status: "inspecting",
            settings: { contextSize: FALLBACK_CONTEXT, ...this.defaults(), ...this.persisted.settings[id] },
        };
        this.models.set(id, model);
        return model;
    }

    private async persist(): Promise<void> {
        await writeFileAtomic(this.stateFile, JSON.stringify(this.persisted, null, 1));
    }
}
