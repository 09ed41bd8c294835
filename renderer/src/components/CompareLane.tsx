/**
 * One lane of a comparison: its answer as it streams, its figures (cache computed, state and
 * speed measured), the whole context's cache as computed beside what llama.cpp allocated (with
 * PyramidInfer, layer by layer), and the snapshot a follow-up would resume from.
 */
import type { LoadedContext, ModelInfo, ModelKind, PyramidSchedule } from "../../../api/appApi";
import { pyramidLabel } from "../../../api/pyramidSetting";
import { formatBytes, formatMs, formatPercent, formatRate, formatTokens } from "../lib/format";
import type { LaneState } from "../stores/compare";
import { measuredStateNote, meterFigures, snapshotFigures } from "../stores/metrics";
import { kindWithCache, kvBufferText, modelLabel } from "../stores/models";
import { compareSnapshot } from "../stores/ratios";
import { Icon } from "./Icon";
import { Markdown } from "./Markdown";
import { PyramidLayers } from "./PyramidLayers";

export interface LaneView {
    /** "dense", "recurformer", "based", "dense-pyramid", "recurformer-2": test ids and CSS */
    key: string;
    /** "Dense", "RecurFormer", "BASED", "Dense + PyramidInfer", "RecurFormer 2" */
    name: string;
    kind: ModelKind;
    color: string;
    model?: ModelInfo;
    /** the lane runs with this PyramidInfer schedule */
    pyramid?: PyramidSchedule;
    /** the context it runs on: as the run said once it was ready, else the model's context in this cache mode, if loaded */
    loaded?: LoadedContext;
    state: LaneState;
}

export function CompareLaneColumn({ lane, waitingNote }: { lane: LaneView; waitingNote: string }) {
    const { key, name, kind, color, model, pyramid, loaded, state } = lane;
    const m = state.last;
    const stateNote = measuredStateNote(meterFigures(m));
    return (
        <section className={`compare-column ${kind}`} style={{ borderTopColor: color }} data-testid={`compare-column-${key}`} data-kind={kind} data-status={state.status} data-samples={state.samples.length} data-tokens={m?.tokensInContext ?? ""} data-cache={m?.cacheBytesComputed ?? ""}>
            <div className="column-head">
                <span className={`model-badge ${kind}`}>{name}</span>
                <span className="column-model" title={model ? `${kindWithCache(kind, pyramid)} · ${modelLabel(model)}` : undefined} data-testid={`compare-cache-mode-${key}`}>{model ? `${pyramid ? `${pyramidLabel(pyramid)} · ` : ""}${modelLabel(model)}` : "—"}</span>
                <span className={`column-status ${state.status}`}>{state.status === "streaming" ? (m?.phase === "prefill" ? "reading…" : "answering…") : state.status}</span>
            </div>
            <div className="column-stats">
                <Stat label="cache" value={formatBytes(m?.cacheBytesComputed)} tag="computed" />
                <Stat label="state" value={`${formatBytes(m?.stateBytesMeasured)}${stateNote ? ` (${stateNote})` : ""}`} tag="measured" />
                <Stat label="prefill" value={`${formatRate(m?.prefillTokensPerSecond)} t/s`} tag="measured" />
                <Stat label="decode" value={`${formatRate(m?.decodeTokensPerSecond)} t/s`} tag="measured" />
                <Stat label="first token" value={formatMs(m?.timeToFirstTokenMs)} tag="measured" />
                <Stat label="tokens" value={m ? formatTokens(m.tokensInContext) : "—"} tag="" />
            </div>
            <BuffersLine laneKey={key} loaded={loaded} />
            {loaded?.pyramid && model?.shape && (
                <div className="column-pyramid"><PyramidLayers shape={model.shape} settings={model.settings} loaded={loaded} tokens={m?.tokensInContext ?? 0} testId={`compare-pyramid-${key}`} /></div>
            )}
            {loaded?.pyramid ? (
                <div className="column-snapshot" data-testid={`compare-snapshot-${key}`}>
                    <span className="stat-label">snapshot</span>
                    <span className="mono snapshot-value">none</span>
                    <span className="snapshot-beside">PyramidInfer drops tokens for good, so nothing rolls back: Regenerate reads the prompt afresh</span>
                </div>
            ) : <SnapshotLine laneKey={key} name={name} kind={kind} state={state} />}
            <div className="column-answer" data-testid={`compare-answer-${key}`}>
                {state.text ? <Markdown source={state.text} /> : <div className="column-empty">{state.status === "waiting" ? waitingNote : state.status === "streaming" ? "Reading the prompt…" : ""}</div>}
                {state.error && <div className="message-note bad"><Icon name="alert" size={14} /> {state.error}</div>}
            </div>
        </section>
    );
}

/** The whole context's cache (every chat slot): computed from the shape (and schedule) for the context created, and what llama.cpp logged it allocated. */
function BuffersLine({ laneKey, loaded }: { laneKey: string; loaded?: LoadedContext }) {
    const b = loaded?.cacheBuffers;
    const off = b?.measuredBytes ? b.computedBytes / b.measuredBytes - 1 : undefined;
    return (
        <div className="column-buffers" data-testid={`compare-buffers-${laneKey}`} data-computed={b?.computedBytes ?? ""} data-measured={b?.measuredBytes ?? ""}>
            <span className="stat-label">context cache</span>
            {b ? (
                <span className="buffers-figures">
                    <b className="mono">{formatBytes(b.computedBytes)}</b> <em className="tag computed">computed</em>
                    {" · "}<b className="mono">{formatBytes(b.measuredBytes)}</b> <em className="tag measured">measured</em>
                    {off != null && <span className="buffers-off"> ({off === 0 ? "equal" : `${off > 0 ? "+" : "−"}${formatPercent(Math.abs(off), 2)}`})</span>}
                    <span className="buffers-what">{kvBufferText(loaded)}</span>
                </span>
            ) : (
                <span className="buffers-figures">loaded at the first run</span>
            )}
        </div>
    );
}

/** The snapshot a follow-up or regenerate would resume from, beside the dense model's state at the same point (computed, where known). */
function SnapshotLine({ laneKey, name, kind, state }: { laneKey: string; name: string; kind: ModelKind; state: LaneState }) {
    const dense = kind === "dense";
    const s = snapshotFigures(state.last, dense);
    const versus = compareSnapshot(s.timesSmaller, name);
    return (
        <div className="column-snapshot" data-testid={`compare-snapshot-${laneKey}`} data-value={s.bytesMeasured ?? ""} data-dense={s.denseBytesComputed ?? ""}>
            <span className="stat-label">snapshot</span>
            {dense ? (
                <>
                    <span className="mono snapshot-value">not needed</span>
                    <span className="snapshot-beside">rolls back by trimming its KV; a full snapshot here: <b className="mono">{formatBytes(s.denseBytesComputed)}</b> <em className="tag computed">computed</em></span>
                </>
            ) : (
                <>
                    <span className="mono snapshot-value">{formatBytes(s.bytesMeasured)} <em className="tag measured">measured</em></span>
                    {s.denseBytesComputed != null && (
                        <span className="snapshot-beside">dense state at the same point: <b className="mono">{formatBytes(s.denseBytesComputed)}</b> <em className="tag computed">computed</em>{versus ? <> · <b className={versus.good ? "good" : "bad"} data-testid={`compare-snapshot-versus-${laneKey}`}>{versus.text}</b></> : null}</span>
                    )}
                </>
            )}
        </div>
    );
}

function Stat({ label, value, tag }: { label: string; value: string; tag: string }) {
    return (
        <div className="stat">
            <div className="stat-label">{label}{tag && <em className={`tag ${tag}`}>{tag}</em>}</div>
            <div className="stat-value mono">{value}</div>
        </div>
    );
}
