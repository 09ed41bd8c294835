/**
 * Models: what each GGUF is (architecture, size, trained context, kept/replaced heads, the dense
 * model it came from), load / unload, and its settings (context, threads, GPU layers, KV type,
 * PyramidInfer KV retention).
 */
import { useState } from "react";
import type { ModelInfo, ModelSettings, PyramidSetting } from "../../../api/appApi";
import { PYRAMID_PRESETS, pyramidProblem, pyramidSettingOf, pyramidUnsupported } from "../../../api/pyramidSetting";
import { Icon } from "../components/Icon";
import { SavedStatesPanel } from "../components/SavedState";
import { formatBytes, formatTokens } from "../lib/format";
import { useApp } from "../stores/app";
import { KIND_LABEL, headsKeptText, kindWithCache, kvBufferText, modelCacheLabel, modelLabel, useModels } from "../stores/models";

export function ModelsView() {
    const models = useModels((s) => s.models);
    const pick = useModels((s) => s.pick);
    const addByPath = useModels((s) => s.addByPath);
    const info = useApp((s) => s.info);
    const [path, setPath] = useState("");
    const electron = info?.transport === "electron";

    return (
        <div className="models-view">
            <header className="view-header">
                <div>
                    <h1>Models</h1>
                    <div className="view-sub">From {info?.modelDirs.join(", ") ?? "…"}, plus the files you add. RecurFormer models pair with their dense source by GGUF metadata.</div>
                </div>
                <div className="header-actions">
                    {electron && <button type="button" className="button primary" onClick={() => void pick()}><Icon name="plus" size={14} /> Add GGUF…</button>}
                </div>
            </header>
            <form className="add-path" onSubmit={(e) => { e.preventDefault(); if (path.trim()) void addByPath(path.trim()).then(() => setPath("")); }}>
                <Icon name="cube" size={15} />
                <input value={path} onChange={(e) => setPath(e.target.value)} placeholder={electron ? "…or type a path, or drop a .gguf on the window" : "Add by path: /path/to/model.gguf (read in place on this machine)"} data-testid="add-model-path" />
                <button type="submit" className="button" disabled={!path.trim()}>Add</button>
            </form>
            {models.length === 0 && <div className="empty-note">No models yet. The default pair ships in assets/models; for tests, run <code>npm run fixtures</code>.</div>}
            <div className="model-grid">
                {models.map((m) => <ModelCard key={m.id} model={m} models={models} />)}
            </div>
            <SavedStatesPanel />
        </div>
    );
}

function ModelCard({ model, models }: { model: ModelInfo; models: ModelInfo[] }) {
    const { load, unload, setSettings, remove } = useModels.getState();
    const gpu = useApp((s) => s.info?.gpu ?? false);
    const [draft, setDraft] = useState<ModelSettings>(model.settings);
    const s = model.shape;
    const heads = headsKeptText(model);
    const contextNote = model.contextNote && draft.contextSize === model.settings.contextSize ? model.contextNote : undefined;
    const dense = models.find((d) => d.id === model.pairedDenseId);
    const conversions = models.filter((r) => model.pairedRecurformerIds?.includes(r.id));
    const dirty = JSON.stringify(draft) !== JSON.stringify(model.settings);
    const busy = model.status === "loading" || model.status === "inspecting";
    const pyramid = pyramidSettingOf(draft);
    const problem = pyramid.on ? pyramidProblem(pyramid) : undefined;

    return (
        <section className={`model-card ${model.kind}`} data-testid="model-card" data-kind={model.kind} data-status={model.status}>
            <div className="model-card-head">
                <span className={`model-badge ${model.kind}`}>{KIND_LABEL[model.kind]}</span>
                <div className="model-title">
                    <div className="model-name">{modelLabel(model)}</div>
                    <div className="model-path" title={model.path}>{model.path}</div>
                </div>
                <span className={`status-chip ${model.status}`}>{model.status}</span>
            </div>
            {model.error && <div className="message-note bad"><Icon name="alert" size={14} /> {model.error}</div>}
            {model.loaded && (
                <div className="model-loaded" data-testid="model-loaded-as">Loaded as <b>{modelCacheLabel(model)}</b> · {kvBufferText(model.loaded)}</div>
            )}
            {model.compareCopy && (
                <div className="model-loaded" data-testid="model-compare-copy">Also loaded for Compare as <b>{kindWithCache(model.kind, model.compareCopy.pyramid)}</b> · {kvBufferText(model.compareCopy)} (the same file, a context of its own)</div>
            )}
            {s && (
                <dl className="model-facts">
                    <div><dt>Architecture</dt><dd className="mono">{s.architecture}</dd></div>
                    <div><dt>File size</dt><dd className="mono">{formatBytes(s.fileBytes)}</dd></div>
                    <div><dt>Parameters</dt><dd className="mono">{s.parameterCount ? `${(s.parameterCount / 1e6).toFixed(1)} M` : "—"}</dd></div>
                    <div><dt>Trained context</dt><dd className="mono">{formatTokens(s.contextLength)}</dd></div>
                    <div><dt>Layers · width</dt><dd className="mono">{s.layers} · {s.embeddingLength}</dd></div>
                    <div><dt>Head dim</dt><dd className="mono">{s.headDim}</dd></div>
                    {model.kind === "recurformer" && heads ? (
                        <div><dt>KV groups kept</dt><dd className="mono" data-testid="heads-kept">{heads}</dd></div>
                    ) : (
                        <div><dt>Heads (Q / KV)</dt><dd className="mono">{Math.max(...s.headsPerLayer)} / {Math.max(...s.kvHeadsPerLayer)}</dd></div>
                    )}
                    <div><dt>KV bytes / token</dt><dd className="mono">{formatBytes(s.kvBytesPerToken)}</dd></div>
                    {model.kind === "recurformer" && <div><dt>Recurrent state</dt><dd className="mono">{formatBytes(s.recurrentStateBytes)}</dd></div>}
                    {model.kind === "recurformer" && (
                        <div className="wide"><dt>Made from</dt><dd>{dense ? <span className="pair-link">{modelLabel(dense)}</span> : s.sourceName ? <span className="muted">{s.sourceName} (not in the list)</span> : "—"}{s.recencyWindow ? <span className="muted"> · recency window {s.recencyWindow}</span> : null}</dd></div>
                    )}
                    {model.kind === "dense" && conversions.length > 0 && (
                        <div className="wide"><dt>RecurFormer conversions</dt><dd>{conversions.map((c) => modelLabel(c)).join(", ")}</dd></div>
                    )}
                </dl>
            )}
            <div className="settings-grid">
                <label className="field"><span>Context (tokens)</span>
                    <input type="number" min={256} step={256} value={draft.contextSize} onChange={(e) => setDraft({ ...draft, contextSize: Number(e.target.value) || 256 })} data-testid="setting-context" />
                    {s && <small className="field-note" data-testid="context-note">{contextNote ?? (draft.contextSize === s.contextLength ? "the trained context" : `trained for ${formatTokens(s.contextLength)}`)}</small>}
                </label>
                <label className="field"><span>Threads (0 = auto)</span>
                    <input type="number" min={0} max={256} value={draft.threads} onChange={(e) => setDraft({ ...draft, threads: Math.max(0, Number(e.target.value) || 0) })} />
                </label>
                <label className="field" title={gpu ? "" : "No GPU backend in use on this machine"}><span>GPU layers</span>
                    <input type="number" min={0} max={999} value={draft.gpuLayers} disabled={!gpu} onChange={(e) => setDraft({ ...draft, gpuLayers: Math.max(0, Number(e.target.value) || 0) })} />
                </label>
                <label className="field"><span>KV cache type</span>
                    <select value={draft.cacheType} onChange={(e) => setDraft({ ...draft, cacheType: e.target.value as ModelSettings["cacheType"] })}>
                        <option value="f16">f16</option>
                        <option value="q8_0">q8_0</option>
                    </select>
                </label>
            </div>
            <PyramidFields value={pyramid} saved={pyramidSettingOf(model.settings)} unsupported={pyramidUnsupported(s?.architecture)} problem={problem} onChange={(p) => setDraft({ ...draft, pyramid: p })} />
            <div className="model-actions">
                {model.origin === "user" && <button type="button" className="button ghost small" onClick={() => void remove(model.id)}>Remove from list</button>}
                <span className="spacer" />
                {dirty && <button type="button" className="button small" onClick={() => void setSettings(model.id, draft)} disabled={Boolean(problem)} title={problem} data-testid="apply-settings">Apply{model.status === "loaded" ? " and reload" : ""}</button>}
                {model.status === "loaded"
                    ? <button type="button" className="button ghost small" onClick={() => void unload(model.id)} disabled={busy}>Unload</button>
                    : <button type="button" className="button primary small" onClick={() => void load(model.id)} disabled={busy || !s} data-testid="load-model">{busy ? `${model.status}…` : "Load"}</button>}
            </div>
        </section>
    );
}

/**
 * PyramidInfer KV retention: off by default; on, layer l keeps round(n × r0 × decay^l) of the n tokens seen (never
 * fewer than the `recent` newest), so deeper layers hold fewer. Presets or own numbers; a bad value is said here
 * and Apply waits for a good one (turned off, the last saved numbers come back).
 */
function PyramidFields({ value, saved, unsupported, problem, onChange }: { value: PyramidSetting; saved: PyramidSetting; unsupported?: string; problem?: string; onChange(p: PyramidSetting): void }) {
    const preset = PYRAMID_PRESETS.find((p) => p.r0 === value.r0 && p.decay === value.decay)?.label ?? "";
    const number = (text: string) => (text.trim() === "" ? Number.NaN : Number(text));
    return (
        <div className="pyramid-fields" data-testid="pyramid-fields" data-on={value.on ? "yes" : "no"}>
            <label className="check" title={unsupported}>
                <input type="checkbox" checked={value.on} disabled={Boolean(unsupported) && !value.on} onChange={(e) => onChange(!e.target.checked && pyramidProblem(value) ? { ...saved, on: false } : { ...value, on: e.target.checked })} data-testid="pyramid-on" />
                <span><b>PyramidInfer KV retention</b> · deeper layers keep fewer tokens</span>
            </label>
            {unsupported && <small className="field-note">{unsupported}</small>}
            {value.on && (
                <div className="pyramid-grid">
                    <label className="field"><span>Preset</span>
                        <select value={preset} onChange={(e) => { const p = PYRAMID_PRESETS.find((x) => x.label === e.target.value); if (p) onChange({ ...value, r0: p.r0, decay: p.decay }); }} data-testid="pyramid-preset">
                            {!preset && <option value="">own numbers</option>}
                            {PYRAMID_PRESETS.map((p) => <option key={p.label} value={p.label}>{p.label}</option>)}
                        </select>
                    </label>
                    <label className="field"><span>r0 (layer 0 keeps)</span>
                        <input type="number" step={0.05} min={0.05} max={1} value={Number.isNaN(value.r0) ? "" : value.r0} onChange={(e) => onChange({ ...value, r0: number(e.target.value) })} data-testid="pyramid-r0" />
                    </label>
                    <label className="field"><span>decay (per layer)</span>
                        <input type="number" step={0.05} min={0.05} max={1} value={Number.isNaN(value.decay) ? "" : value.decay} onChange={(e) => onChange({ ...value, decay: number(e.target.value) })} data-testid="pyramid-decay" />
                    </label>
                    <label className="field"><span>recent (kept)</span>
                        <input type="number" step={1} min={1} value={Number.isNaN(value.recent) ? "" : value.recent} onChange={(e) => onChange({ ...value, recent: number(e.target.value) })} data-testid="pyramid-recent" />
                    </label>
                </div>
            )}
            {problem && <div className="message-note bad" data-testid="pyramid-problem"><Icon name="alert" size={14} /> {problem}</div>}
            {value.on && !problem && <small className="field-note">One chat slot (PyramidInfer's cache holds one sequence); the model reloads when this changes.</small>}
        </div>
    );
}
