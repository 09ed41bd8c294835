/**
 * Live meters beside the chat: context use, cache bytes (ours computed / dense computed /
 * llama.cpp measured; with PyramidInfer each layer's kept tokens and allocated cells), speed
 * (prefill, decode, first token) each beside the dense baseline, and the snapshot size. Every
 * figure says whether it is computed or measured.
 */
import type { Chat, Metrics, ModelKind } from "../../../api/appApi";
import { formatBytes, formatMs, formatRate, formatTokens } from "../lib/format";
import { selectLiveDense, useCompare } from "../stores/compare";
import { cacheVersusDense, chooseBaseline, livePhaseLabel, measuredStateNote, meterFigures, snapshotFigures, timeAgo, useMetrics, type BaselineChoice, type SnapshotFigures } from "../stores/metrics";
import { KIND_LABEL, headsKeptText, kindWithCache, kvBufferText, modelLabel, useModels } from "../stores/models";
import { compareSnapshot, compareSpeed, type Comparison } from "../stores/ratios";
import { Icon } from "./Icon";
import { PyramidLayers } from "./PyramidLayers";
import { SavedStateCard } from "./SavedState";

/** what the cache meter counts, per kind of model */
const CACHE_WORDS: Record<ModelKind, string> = {
    dense: "this dense model's KV cache",
    recurformer: "KV of kept heads + recurrent state",
    based: "window KV of the last w tokens + fixed linear-attention state",
};

export function MetersPanel({ chat }: { chat?: Chat }) {
    const live = useMetrics((s) => (chat ? s.live[chat.id] : undefined));
    const baselines = useMetrics((s) => s.baselines);
    const models = useModels((s) => s.models);
    const compareDense = useCompare(selectLiveDense);
    const model = models.find((m) => m.id === chat?.modelId);
    const dense = model?.pairedDenseId ? models.find((m) => m.id === model.pairedDenseId) : undefined;

    const lastAssistant = [...(chat?.messages ?? [])].reverse().find((m) => m.role === "assistant");
    const metrics: Metrics | undefined = live && lastAssistant && live.messageId === lastAssistant.id && (lastAssistant.status === "streaming" || !lastAssistant.metrics)
        ? live.metrics
        : lastAssistant?.metrics ?? (live?.metrics);
    const f = meterFigures(metrics);
    const streaming = lastAssistant?.status === "streaming";
    const isDense = model?.kind === "dense";
    const baseline = !isDense && f ? chooseBaseline(dense?.id, f.tokensInContext, baselines, compareDense) : undefined;
    const heads = model ? headsKeptText(model) : undefined;
    const slots = kvBufferText(model?.loaded);
    const pyramid = model?.loaded?.pyramid;
    const versus = cacheVersusDense(f?.savedFraction);
    const pill = livePhaseLabel(streaming, f?.phase);
    const measuredNote = measuredStateNote(f);

    const maxBar = Math.max(f?.denseCacheBytesComputed ?? 0, f?.cacheBytesComputed ?? 0, f?.stateBytesMeasured ?? 0, 1);

    return (
        <aside className="meters" data-testid="meters" data-live={streaming ? "yes" : "no"}>
            <div className="meters-head">
                <div>
                    <div className="meters-title">Live meters</div>
                    <div className="meters-sub">{model ? modelLabel(model) : "no model"}</div>
                    {pyramid && <div className="meters-sub" data-testid="meters-cache-mode">{kindWithCache(model!.kind, pyramid)}</div>}
                </div>
                <span className={`live-pill ${streaming ? "on" : ""}`}>{pill}</span>
            </div>

            <section className="meter-card">
                <div className="meter-label">Tokens in context</div>
                <div className="meter-big mono" data-testid="meter-context" data-value={f?.tokensInContext ?? ""} data-phase={f?.phase ?? ""}>
                    {f ? formatTokens(f.tokensInContext) : "—"}<span className="meter-of"> / {f ? formatTokens(f.contextSize) : model ? formatTokens(model.settings.contextSize) : "—"}</span>
                </div>
                <div className="progress thin"><div className="progress-fill" style={{ width: `${(f?.contextFill ?? 0) * 100}%` }} /></div>
            </section>

            <section className="meter-card" data-testid="meter-cache-card">
                <div className="meter-label"><Icon name="memory" size={14} /> Cache memory</div>
                <div className="meter-big mono" data-testid="meter-cache">{formatBytes(f?.cacheBytesComputed)}</div>
                <div className="meter-note">{CACHE_WORDS[model?.kind ?? "dense"]}{pyramid ? ", thinned per layer by PyramidInfer" : ""} · <b>computed</b></div>
                <div className="cache-bars">
                    <CacheBar label={pyramid ? kindWithCache(model!.kind, pyramid) : isDense ? "Dense (this model)" : KIND_LABEL[model?.kind ?? "recurformer"]} tag="computed" value={f?.cacheBytesComputed} max={maxBar} kind="ours" testId="bar-ours" />
                    {model?.kind === "recurformer" && <CacheBar label={`Dense source${dense ? "" : " (from provenance)"}`} tag="computed" value={f?.denseCacheBytesComputed} max={maxBar} kind="dense" testId="bar-dense" />}
                    {isDense && pyramid && <CacheBar label="Dense, full cache" tag="computed" value={f?.denseCacheBytesComputed} max={maxBar} kind="dense" testId="bar-dense" />}
                    <CacheBar label={measuredNote ? `llama.cpp state size · ${measuredNote}` : "llama.cpp state size"} tag="measured" value={f?.stateBytesMeasured} max={maxBar} kind="measured" testId="bar-measured" at={f?.stateBytesMeasuredAtTokens} />
                </div>
                {f && versus && (!isDense || pyramid) && (
                    <div className={`saved ${versus.saves ? "" : "worse"}`} data-testid="meter-saved" data-saves={versus.saves ? "yes" : "no"}>
                        <span className="saved-value">{versus.percent}</span> {versus.words} cache than dense at {formatTokens(f.tokensInContext)} tokens
                        {!versus.saves && <>: the fixed recurrent state outweighs the KV saved this early</>}
                    </div>
                )}
                {f?.kvBufferBytesMeasured != null && (
                    <div className="meter-row" data-testid="meter-kv-buffer"><span>KV buffer allocated{slots ? `: ${slots}` : " for the context"}</span><span className="mono">{formatBytes(f.kvBufferBytesMeasured)} <em>measured</em></span></div>
                )}
                {pyramid && model?.shape && <PyramidLayers shape={model.shape} settings={model.settings} loaded={model.loaded!} tokens={f?.tokensInContext ?? 0} testId="meter-pyramid" />}
            </section>

            <section className="meter-card">
                <div className="meter-label"><Icon name="bolt" size={14} /> Speed</div>
                <SpeedRow label="Prefill" unit="tok/s" ours={f?.prefillTokensPerSecond} dense={baseline?.figure.prefillTokensPerSecond} versus={baseline && !streaming ? compareSpeed("prefill", metrics, baseline.figure) : undefined} testId="meter-prefill" format={formatRate} />
                <SpeedRow label="Decode" unit="tok/s" ours={f?.decodeTokensPerSecond} dense={baseline?.figure.decodeTokensPerSecond} versus={baseline && !streaming ? compareSpeed("decode", metrics, baseline.figure) : undefined} testId="meter-decode" format={formatRate} />
                <SpeedRow label="First token" unit="" ours={f?.timeToFirstTokenMs} dense={baseline?.figure.timeToFirstTokenMs} versus={baseline && !streaming ? compareSpeed("firstToken", metrics, baseline.figure) : undefined} testId="meter-ttft" format={formatMs} />
                <BaselineNote kind={model?.kind ?? "recurformer"} baseline={baseline} hasDense={Boolean(dense)} />
            </section>

            {pyramid ? <PyramidRollbackCard /> : <SnapshotCard kind={model?.kind ?? "recurformer"} snapshot={snapshotFigures(metrics, isDense, lastAssistant?.snapshotBytes)} heldBytes={f?.checkpointBytesMeasured} lost={streaming ? undefined : lastAssistant?.snapshotLost} />}

            <SavedStateCard chat={chat} model={model} dense={dense} />

            {model?.shape && (
                <section className="meter-card subtle">
                    <div className="meter-row"><span>Architecture</span><span className="mono">{model.shape.architecture}</span></div>
                    {heads && model.kind === "recurformer" && <div className="meter-row"><span>KV groups kept</span><span className="mono" data-testid="meter-heads-kept">{heads}</span></div>}
                    <div className="meter-row"><span>KV bytes per token</span><span className="mono">{formatBytes(model.shape.kvBytesPerToken)}</span></div>
                    {model.shape.window && <div className="meter-row" data-testid="meter-window"><span>Window KV (last {formatTokens(model.shape.window.tokens)} tokens)</span><span className="mono">{formatBytes(model.shape.window.kvBytesPerToken)} per token</span></div>}
                    {!isDense && <div className="meter-row"><span>Recurrent state (fixed)</span><span className="mono">{formatBytes(model.shape.recurrentStateBytes)}</span></div>}
                </section>
            )}
        </aside>
    );
}

/** With PyramidInfer nothing is rolled back: a selection drops tokens for good (engine/llama/PYRAMID.md, "Rewinds"). */
function PyramidRollbackCard() {
    return (
        <section className="meter-card" data-testid="snapshot-card">
            <div className="meter-label"><Icon name="clock" size={14} /> Snapshot</div>
            <div className="meter-big mono" data-testid="meter-snapshot">none: reads afresh</div>
            <div className="meter-note">PyramidInfer drops tokens for good at each selection, so this cache is never rolled back: Regenerate or an edited question reads the chat again from its start; a follow-up that adds to everything the chat holds reads only the new turn.</div>
        </section>
    );
}

/**
 * The snapshot a follow-up or Regenerate resumes from (so a document is never read twice), beside
 * the dense model's state at the same point (computed).
 */
function SnapshotCard({ kind, snapshot, heldBytes, lost }: { kind: ModelKind; snapshot: SnapshotFigures; heldBytes?: number; lost?: string }) {
    const max = Math.max(snapshot.bytesMeasured ?? 0, snapshot.denseBytesComputed ?? 0, 1);
    const versus = compareSnapshot(snapshot.timesSmaller, KIND_LABEL[kind]);
    if (kind === "dense") {
        return (
            <section className="meter-card" data-testid="snapshot-card">
                <div className="meter-label"><Icon name="clock" size={14} /> Snapshot</div>
                <div className="meter-big mono" data-testid="meter-snapshot">not needed</div>
                <div className="meter-note">A dense model rolls back (Regenerate, a follow-up) by trimming its KV cache. A full snapshot of it would be that whole cache:</div>
                <div className="cache-bars">
                    <CacheBar label="Dense state at this point" tag="computed" value={snapshot.denseBytesComputed} max={max} kind="dense" testId="snapshot-dense" />
                </div>
            </section>
        );
    }
    return (
        <section className="meter-card" data-testid="snapshot-card">
            <div className="meter-label"><Icon name="clock" size={14} /> Snapshot</div>
            <div className="meter-big mono" data-testid="meter-snapshot" data-value={snapshot.bytesMeasured ?? ""}>
                {formatBytes(snapshot.bytesMeasured)}{snapshot.bytesMeasured != null && <span className="meter-of"> measured{lost ? ", now gone" : ""}</span>}
            </div>
            {lost && (
                <div className="message-note warn" data-testid="snapshot-lost">
                    <Icon name="alert" size={14} /> This snapshot is gone: {lost}. The next answer reads the chat again, unless a saved state of it is on disk (Models → Saved chat states).
                </div>
            )}
            <div className="cache-bars">
                <CacheBar label={`${KIND_LABEL[kind]} snapshot`} tag="measured" value={snapshot.bytesMeasured} max={max} kind="ours" testId="snapshot-ours" />
                {kind === "recurformer" && <CacheBar label="Dense state here" tag="computed" value={snapshot.denseBytesComputed} max={max} kind="dense" testId="snapshot-dense" />}
            </div>
            {versus && (
                <div className={`saved ${versus.good ? "" : "worse"}`} data-testid="snapshot-ratio" data-good={versus.good ? "yes" : "no"}>
                    <span className="saved-value">{versus.text}</span>{versus.good || /larger$/.test(versus.text) ? " than" : " as"} the dense model's state at {formatTokens(snapshot.tokensInContext)} tokens
                </div>
            )}
            {heldBytes != null && heldBytes > 0 && (
                <div className="meter-row"><span>All snapshots this chat holds</span><span className="mono">{formatBytes(heldBytes)} <em>measured</em></span></div>
            )}
            <div className="meter-note">
                Taken right after a document (the prompt) is read and after each answer, so follow-ups and Regenerate resume from it and never read the document again.
                {kind === "based"
                    ? " BASED's holds its fixed linear-attention state and the KV of its last w tokens: it stops growing past the window, while a dense model's state grows with every token."
                    : " RecurFormer's holds only the fixed-size recurrent state, since the KV of the kept heads is trimmed back like a dense model's cache: it does not grow with the context, while the dense model's state grows with every token."}
            </div>
        </section>
    );
}

function CacheBar({ label, tag, value, max, kind, testId, at }: { label: string; tag: "computed" | "measured"; value?: number; max: number; kind: string; testId: string; at?: number }) {
    return (
        <div className={`cache-bar ${kind}`} data-testid={testId} data-value={value ?? ""} data-at={at ?? undefined}>
            <div className="cache-bar-top">
                <span>{label} <em className={`tag ${tag}`}>{tag}</em></span>
                <span className="mono">{formatBytes(value)}</span>
            </div>
            <div className="progress thin"><div className="progress-fill" style={{ width: `${value ? Math.max(1.5, (value / max) * 100) : 0}%` }} /></div>
        </div>
    );
}

/** Our figure, the dense baseline's, and the ratio only where both did like work (else why not, on hover). */
function SpeedRow({ label, unit, ours, dense, versus, testId, format }: { label: string; unit: string; ours?: number; dense?: number; versus?: Comparison; testId: string; format: (n?: number) => string }) {
    return (
        <div className="speed-row" data-testid={testId} data-value={ours ?? ""}>
            <span className="speed-label">{label}</span>
            <span className="speed-ours mono">{format(ours)}{ours != null && unit ? <small> {unit}</small> : null}</span>
            <span className="speed-dense mono" title="dense baseline">{dense != null ? `dense ${format(dense)}` : ""}</span>
            {versus && (versus.withheld
                ? <span className="ratio withheld" title={versus.note} data-testid={`${testId}-ratio`}>no ratio</span>
                : <span className={`ratio ${versus.good ? "good" : "bad"}`} title={versus.note} data-testid={`${testId}-ratio`}>{versus.text}</span>)}
        </div>
    );
}

function BaselineNote({ kind, baseline, hasDense }: { kind: ModelKind; baseline?: BaselineChoice; hasDense: boolean }) {
    let text: string;
    if (kind === "dense") text = "This is a dense model: its figures become the baseline for its RecurFormer conversions.";
    else if (kind === "based") text = "A BASED model names no dense source: Compare runs it beside a dense model on the same prompt.";
    else if (!hasDense) text = "The dense source model is not in the model list, so its speed cannot be measured; cache figures are computed from provenance.";
    else if (!baseline) text = "No dense measurement at this context length (within a factor of two) yet: run Compare to measure the dense model here.";
    else if (baseline.source === "live") text = "Dense figures: measured now, in the running comparison.";
    else text = `Dense figures: last measured ${timeAgo(baseline.measuredAt!)} at ${formatTokens(baseline.figure.tokensInContext)} tokens (${new Date(baseline.measuredAt!).toLocaleString()}).`;
    return <div className="meter-note" data-testid="baseline-note">{text} All rates <b>measured</b>.</div>;
}
