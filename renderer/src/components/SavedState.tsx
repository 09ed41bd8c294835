/**
 * Chats' states saved on disk, where the user meets them: the chat header's "resumed from a saved
 * state" line (and why one was not used), the meter of the state on disk beside the dense model's,
 * and the Settings list with sizes per chat, the disk budget and the buttons that free them.
 */
import { useEffect, useState } from "react";
import type { Chat, ModelInfo } from "../../../api/appApi";
import { formatBytes, formatMs, formatTokens } from "../lib/format";
import { lastAnswer, resumedText, useSnapshots } from "../stores/snapshots";
import { Icon } from "./Icon";

/** Under the chat header: what the last answer resumed from, or why a saved state was not used. */
export function ResumedLine({ chat }: { chat?: Chat }) {
    const answer = lastAnswer(chat);
    const resumed = resumedText(answer, formatBytes);
    if (!resumed && !answer?.stateNote) return null;
    return (
        <div className="saved-state-line" role="status" data-testid="saved-state-line">
            {resumed && (
                <span data-testid="chat-resumed" title={`${formatTokens(answer!.resumedFrom!.tokens)} tokens loaded from disk${answer!.resumedFrom!.loadMs != null ? ` in ${formatMs(answer!.resumedFrom!.loadMs)}` : ""} instead of being read again`}>
                    <Icon name="clock" size={13} /> {resumed}
                </span>
            )}
            {answer?.stateNote && <span className="saved-state-note" data-testid="chat-state-note"><Icon name="alert" size={13} /> {answer.stateNote}</span>}
        </div>
    );
}

/** The chat's state on disk (measured: the file), beside the dense model's state at the same tokens (computed). */
export function SavedStateCard({ chat, model, dense }: { chat?: Chat; model?: ModelInfo; dense?: ModelInfo }) {
    const saved = useSnapshots((s) => s.state?.snapshots.find((x) => x.chatId === chat?.id));
    const refresh = useSnapshots((s) => s.refresh);
    const loaded = useSnapshots((s) => s.state != null);
    useEffect(() => { if (!loaded) void refresh(); }, [loaded, refresh]);
    if (!saved) return null;
    const denseShape = model?.kind === "dense" ? model.shape : dense?.shape;
    const denseBytes = denseShape ? saved.tokens * denseShape.kvBytesPerToken : undefined;
    const max = Math.max(saved.bytes, denseBytes ?? 0, 1);
    const resumed = lastAnswer(chat)?.resumedFrom;
    return (
        <section className="meter-card" data-testid="saved-state-card">
            <div className="meter-label"><Icon name="file" size={14} /> Saved on disk</div>
            <div className="meter-big mono" data-testid="meter-saved-state" data-value={saved.bytes}>{formatBytes(saved.bytes)}<span className="meter-of"> measured</span></div>
            <div className="cache-bars">
                <Bar label={`This chat's state at ${formatTokens(saved.tokens)} tokens`} tag="measured" value={saved.bytes} max={max} kind="ours" />
                {model?.kind !== "dense" && <Bar label="Dense model's state there" tag="computed" value={denseBytes} max={max} kind="dense" />}
            </div>
            {resumed?.loadMs != null && <div className="meter-row"><span>Loaded after the restart in</span><span className="mono">{formatMs(resumed.loadMs)} <em>measured</em></span></div>}
            <div className="meter-note">Written after the document was read, so after a restart a follow-up reads only the new turn. Used only with the same model file (by content), context settings and text.</div>
        </section>
    );
}

function Bar({ label, tag, value, max, kind }: { label: string; tag: "computed" | "measured"; value?: number; max: number; kind: string }) {
    return (
        <div className={`cache-bar ${kind}`} data-value={value ?? ""}>
            <div className="cache-bar-top"><span>{label} <em className={`tag ${tag}`}>{tag}</em></span><span className="mono">{formatBytes(value)}</span></div>
            <div className="progress thin"><div className="progress-fill" style={{ width: `${value ? Math.max(1.5, (value / max) * 100) : 0}%` }} /></div>
        </div>
    );
}

/** Settings: every chat's saved state with its size, the disk budget, and freeing them. */
export function SavedStatesPanel() {
    const state = useSnapshots((s) => s.state);
    const { refresh, free, setBudget } = useSnapshots.getState();
    const [budgetMiB, setBudgetMiB] = useState("");
    useEffect(() => { void refresh(); }, [refresh]);
    const budget = state ? Math.round(state.budgetBytes / 1024 / 1024) : undefined;
    const draft = Number(budgetMiB);
    return (
        <section className="saved-states" data-testid="saved-states">
            <div className="saved-states-head">
                <div>
                    <h2>Saved chat states</h2>
                    <div className="view-sub">
                        {state ? `${formatBytes(state.usedBytes)} of ${formatBytes(state.budgetBytes)} used` : "…"} · the least recently used go first when a new one does not fit; a budget of 0 saves none.
                    </div>
                </div>
                <form className="saved-states-budget" onSubmit={(e) => { e.preventDefault(); if (budgetMiB !== "" && draft >= 0) void setBudget(Math.round(draft * 1024 * 1024)).then(() => setBudgetMiB("")); }}>
                    <label>Budget <input type="number" min={0} step={64} value={budgetMiB} placeholder={budget != null ? String(budget) : ""} onChange={(e) => setBudgetMiB(e.target.value)} data-testid="snapshot-budget" /> MiB</label>
                    <button type="submit" className="button small" disabled={budgetMiB === "" || !(draft >= 0)}>Set</button>
                    <button type="button" className="button ghost small" onClick={() => void free()} disabled={!state?.snapshots.length} data-testid="free-all-states">Free all</button>
                </form>
            </div>
            {state && state.snapshots.length === 0 && <div className="empty-note">No chat has a saved state. One is written when a chat reads a document (or a long history).</div>}
            {state && state.snapshots.length > 0 && (
                <table className="saved-states-table" data-testid="saved-states-table">
                    <thead><tr><th>Chat</th><th>Model</th><th className="num">Tokens</th><th className="num">On disk</th><th>Saved</th><th>Last used</th><th /></tr></thead>
                    <tbody>
                        {state.snapshots.map((s) => (
                            <tr key={s.chatId} data-testid="saved-state-row">
                                <td>{s.chatTitle}</td>
                                <td className="mono">{s.modelFileName}</td>
                                <td className="num mono">{formatTokens(s.tokens)}</td>
                                <td className="num mono">{formatBytes(s.bytes)}</td>
                                <td>{new Date(s.savedAt).toLocaleString()}</td>
                                <td>{new Date(s.lastUsedAt).toLocaleString()}</td>
                                <td><button type="button" className="button ghost small" onClick={() => void free(s.chatId)}>Free</button></td>
                            </tr>
                        ))}
                    </tbody>
                </table>
            )}
        </section>
    );
}
