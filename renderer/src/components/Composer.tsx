/**
 * The composer: documents waiting to be sent (with their token counts and fit per model),
 * the text box, and send / stop. While a prompt with a document is read in, a progress bar
 * with Cancel replaces the hint line.
 */
import { useEffect, useRef, useState } from "react";
import type { Chat, ModelInfo } from "../../../api/appApi";
import { ANSWER_RESERVE_TOKENS } from "../../../api/limits";
import { formatBytes, formatTokens } from "../lib/format";
import { useChats } from "../stores/chats";
import { contextFor, fitFor, useDocuments, type PendingDocument } from "../stores/documents";
import { meterFigures, useMetrics } from "../stores/metrics";
import { KIND_LABEL, modelLabel, useModels } from "../stores/models";
import { Icon } from "./Icon";

export function Composer({ chatId, generating }: { chatId?: string; generating: boolean }) {
    const [text, setText] = useState("");
    const fileInput = useRef<HTMLInputElement>(null);
    const items = useDocuments((s) => s.items);
    const addFiles = useDocuments((s) => s.addFiles);
    const send = useChats((s) => s.send);
    const stop = useChats((s) => s.stop);
    const chat = useChats((s) => (chatId ? s.chats[chatId] : undefined));
    const live = useMetrics((s) => (chatId ? s.live[chatId] : undefined));
    const models = useModels((s) => s.models);
    const chatModel = models.find((m) => m.id === chat?.modelId);
    const suggestion = useDocuments((s) => s.suggestion);
    useEffect(() => {
        if (!suggestion) return;
        const offered = useDocuments.getState().takeSuggestion();
        if (offered) setText((current) => current || offered);
    }, [suggestion]);

    const busyDocs = items.some((d) => d.status === "uploading" || d.status === "reading");
    const ready = items.filter((d) => d.status === "ready");
    const blocked = chatModel ? ready.some((d) => fitFor(chatModel, [d.info!], 0)?.verdict !== "fits") : false;
    const canSend = !generating && !busyDocs && !blocked && (text.trim().length > 0 || ready.length > 0);

    const submit = async () => {
        if (!canSend) return;
        const ids = useDocuments.getState().takeReady();
        const message = text;
        setText("");
        const ok = await send(message, ids);
        if (!ok) setText(message);
    };

    const lastMessage = chat?.messages[chat.messages.length - 1];
    const figures = live && lastMessage && live.messageId === lastMessage.id ? meterFigures(live.metrics) : undefined;
    const progress = readingProgress(chat, figures?.phase, figures?.promptTokens);
    const reading = generating && progress !== undefined;

    return (
        <div className="composer-wrap">
            {items.length > 0 && (
                <div className="doc-tray" data-testid="doc-tray">
                    {items.map((d) => <DocumentCard key={d.localId} doc={d} chatModel={chatModel} models={models} />)}
                </div>
            )}
            {reading && progress && (
                <div className="reading-bar" data-testid="reading-progress">
                    <div className="reading-label">
                        <span>Reading the document into the context</span>
                        <span className="mono">{progress.read.toLocaleString("en-US")} of ~{progress.expected.toLocaleString("en-US")} tokens</span>
                    </div>
                    <div className="progress"><div className="progress-fill" style={{ width: `${progress.fraction * 100}%` }} /></div>
                    <button type="button" className="button ghost small" onClick={() => void stop(chatId)} data-testid="cancel-reading">Cancel</button>
                </div>
            )}
            <div className={`composer ${generating ? "busy" : ""}`}>
                <button type="button" className="icon-button attach" title="Attach documents" aria-label="Attach documents" onClick={() => fileInput.current?.click()}>
                    <Icon name="paperclip" size={18} />
                </button>
                <input
                    ref={fileInput}
                    type="file"
                    multiple
                    hidden
                    accept=".txt,.md,.markdown,.pdf,.docx,.html,.htm"
                    data-testid="file-input"
                    onChange={(e) => { void addFiles([...(e.target.files ?? [])]); e.target.value = ""; }}
                />
                <textarea
                    value={text}
                    placeholder={ready.length ? "Ask about the document…" : "Message the model — Enter to send, Shift+Enter for a new line"}
                    rows={Math.min(8, Math.max(1, text.split("\n").length))}
                    onChange={(e) => setText(e.target.value)}
                    onKeyDown={(e) => { if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) { e.preventDefault(); void submit(); } }}
                    data-testid="composer-input"
                />
                {generating ? (
                    <button type="button" className="send-button stop" onClick={() => void stop(chatId)} title="Stop" aria-label="Stop" data-testid="stop">
                        <Icon name="stop" size={16} />
                    </button>
                ) : (
                    <button type="button" className="send-button" onClick={() => void submit()} disabled={!canSend} title="Send" aria-label="Send" data-testid="send">
                        <Icon name="send" size={16} />
                    </button>
                )}
            </div>
            <div className="composer-hint">
                {blocked ? "A document does not fit this model's context: choose below what to do." : busyDocs ? "Reading the document…" : chatModel ? `${modelLabel(chatModel)} · context ${formatTokens(chatModel.settings.contextSize)} tokens` : "No model loaded yet"}
            </div>
        </div>
    );
}

/**
 * While a message with documents is read in (prefill), the engine reports the prompt tokens read
 * so far; the total is about the documents' token counts (the chat template adds a few).
 */
export function readingProgress(chat: Chat | undefined, phase: string | undefined, readSoFar: number | undefined): { read: number; expected: number; fraction: number } | undefined {
    if (!chat || phase !== "prefill") return undefined;
    const lastUser = [...chat.messages].reverse().find((m) => m.role === "user");
    const expected = lastUser?.documents?.reduce((sum, d) => sum + (d.tokens ?? 0), 0) ?? 0;
    if (expected <= 0) return undefined;
    const read = readSoFar ?? 0;
    return { read, expected: Math.max(read, expected), fraction: Math.min(0.99, read / Math.max(read, expected)) };
}

function DocumentCard({ doc, chatModel, models }: { doc: PendingDocument; chatModel?: ModelInfo; models: ModelInfo[] }) {
    const cancel = useDocuments((s) => s.cancel);
    const discard = useDocuments((s) => s.discard);
    const cut = useDocuments((s) => s.cut);
    const setSettings = useModels((s) => s.setSettings);
    const info = doc.info;
    const fits = info ? models.map((m) => fitFor(m, [info], 0)).filter((f) => f !== undefined) : [];
    const mine = chatModel && info ? fitFor(chatModel, [info], 0) : undefined;

    return (
        <div className={`doc-card ${doc.status}`} data-testid="doc-card" data-status={doc.status}>
            <div className="doc-card-head">
                <Icon name="file" size={16} />
                <div className="doc-card-title">
                    <div className="doc-name">{doc.name}</div>
                    <div className="doc-sub">{formatBytes(doc.bytes)}{info ? ` · ${info.chars.toLocaleString("en-US")} characters` : ""}{info?.cut ? " · cut" : ""}</div>
                </div>
                {(doc.status === "uploading" || doc.status === "reading") ? (
                    <button type="button" className="button ghost small" onClick={() => void cancel(doc.localId)} data-testid="doc-cancel">Cancel</button>
                ) : (
                    <button type="button" className="icon-button" title="Remove" aria-label="Remove document" onClick={() => void discard(doc.localId)} data-testid="doc-remove"><Icon name="x" size={14} /></button>
                )}
            </div>
            {(doc.status === "uploading" || doc.status === "reading") && (
                <div className="doc-progress" data-testid="doc-progress">
                    <div className="progress"><div className="progress-fill" style={{ width: `${Math.max(4, doc.progress * 100)}%` }} /></div>
                    <span>{doc.status === "uploading" ? "uploading" : doc.phase ?? "reading"}…</span>
                </div>
            )}
            {doc.status === "error" && <div className="doc-error" data-testid="doc-error"><Icon name="alert" size={14} /> {doc.error}</div>}
            {doc.status === "cancelled" && <div className="doc-sub">Cancelled.</div>}
            {info && (
                <>
                    <div className="fit-list" data-testid="fit-list">
                        {fits.map((f) => {
                            const m = models.find((x) => x.id === f.modelId)!;
                            return (
                                <div key={f.modelId} className={`fit-row ${f.verdict}`} data-testid="fit-row" data-verdict={f.verdict}>
                                    <span className={`model-badge ${m.kind}`}>{m.kind === "recurformer" ? "RF" : KIND_LABEL[m.kind]}</span>
                                    <span className="fit-model">{modelLabel(m)}</span>
                                    <span className="fit-tokens mono" data-testid="doc-tokens">{f.tokens.toLocaleString("en-US")} tokens{f.how === "estimated" ? " (estimated)" : ""}</span>
                                    <span className="fit-verdict">{f.verdict === "fits" ? `fits ${formatTokens(f.contextSize)}` : f.verdict === "needs-larger-context" ? `needs ${formatTokens(contextFor(f.needed))} context` : `longer than trained ${formatTokens(f.trainedContext)}`}</span>
                                </div>
                            );
                        })}
                    </div>
                    {mine && mine.verdict !== "fits" && chatModel && (
                        <div className="overflow-choice" data-testid="overflow-choice">
                            <div className="overflow-text">
                                <Icon name="alert" size={14} /> {mine.tokens.toLocaleString("en-US")} tokens + {ANSWER_RESERVE_TOKENS} for the answer do not fit the {formatTokens(mine.contextSize)} context of {modelLabel(chatModel)}. Nothing is cut unless you say so.
                            </div>
                            <div className="overflow-actions">
                                {mine.verdict === "needs-larger-context" && (
                                    <button type="button" className="button primary small" onClick={() => void setSettings(chatModel.id, { contextSize: contextFor(mine.needed) })} data-testid="overflow-larger">
                                        Use a {formatTokens(contextFor(mine.needed))} context
                                    </button>
                                )}
                                <button type="button" className="button small" onClick={() => void cut(doc.localId, chatModel.id, mine.roomForDocument)} data-testid="overflow-cut">
                                    Cut to the first {mine.roomForDocument.toLocaleString("en-US")} tokens
                                </button>
                                <button type="button" className="button ghost small" onClick={() => void discard(doc.localId)} data-testid="overflow-cancel">Cancel</button>
                            </div>
                        </div>
                    )}
                </>
            )}
        </div>
    );
}
