/** Chat: the conversation, the composer with its documents, and the live meters beside them. */
import { useEffect, useRef, useState } from "react";
import type { ChatMessageRecord } from "../../../api/appApi";
import { Composer } from "../components/Composer";
import { Icon } from "../components/Icon";
import { Markdown } from "../components/Markdown";
import { MetersPanel } from "../components/MetersPanel";
import { ResumedLine } from "../components/SavedState";
import { copyText } from "../lib/copy";
import { downloadText } from "../lib/download";
import { formatBytes, formatMs, formatRate } from "../lib/format";
import { useApp } from "../stores/app";
import { selectActiveChat, selectIsGenerating, useChats } from "../stores/chats";
import { useDocuments } from "../stores/documents";
import { KIND_LABEL, modelCacheLabel, modelHoverTitle, modelLabel, modelShortName, useModels } from "../stores/models";

export function ChatView() {
    const chat = useChats(selectActiveChat);
    const generating = useChats(selectIsGenerating(chat?.id));
    const models = useModels((s) => s.models);
    const setModel = useChats((s) => s.setModel);
    const rename = useChats((s) => s.rename);
    const exportChat = useChats((s) => s.exportChat);
    const listRef = useRef<HTMLDivElement>(null);
    const stickToBottom = useRef(true);
    const lastContent = chat?.messages[chat.messages.length - 1]?.content.length ?? 0;

    useEffect(() => {
        const el = listRef.current;
        if (el && stickToBottom.current) el.scrollTop = el.scrollHeight;
    }, [chat?.id, chat?.messages.length, lastContent]);

    const doExport = async (format: "md" | "json") => {
        const file = await exportChat(format);
        if (file) downloadText(file.content, file.fileName, format === "json" ? "application/json" : "text/markdown");
    };

    const usable = models.filter((m) => m.shape);
    const chatModel = models.find((m) => m.id === chat?.modelId);
    const lastAssistant = [...(chat?.messages ?? [])].reverse().find((m) => m.role === "assistant");

    return (
        <div className="chat-view">
            <section className="chat-column">
                <header className="view-header">
                    <input
                        className="title-input"
                        key={`${chat?.id}:${chat?.title}`}
                        defaultValue={chat?.title ?? ""}
                        aria-label="Chat title"
                        onBlur={(e) => { if (chat && e.target.value.trim() && e.target.value !== chat.title) void rename(chat.id, e.target.value); }}
                        onKeyDown={(e) => { if (e.key === "Enter") (e.target as HTMLInputElement).blur(); }}
                    />
                    <div className="header-actions">
                        <label className="select-wrap" title={chatModel ? modelHoverTitle(chatModel) : "Model for this chat"}>
                            <Icon name="cube" size={14} />
                            <select value={chat?.modelId ?? ""} onChange={(e) => void setModel(e.target.value)} disabled={generating} data-testid="chat-model">
                                {!chat?.modelId && <option value="">Choose a model…</option>}
                                {usable.map((m) => (
                                    <option key={m.id} value={m.id} title={modelHoverTitle(m)}>{modelCacheLabel(m)} · {modelShortName(m)}</option>
                                ))}
                            </select>
                        </label>
                        <button type="button" className="button ghost" onClick={() => void doExport("md")} disabled={!chat?.messages.length} title="Export as Markdown" data-testid="export-md">
                            <Icon name="download" size={14} /> MD
                        </button>
                        <button type="button" className="button ghost" onClick={() => void doExport("json")} disabled={!chat?.messages.length} title="Export as JSON" data-testid="export-json">
                            <Icon name="download" size={14} /> JSON
                        </button>
                    </div>
                </header>
                <ResumedLine chat={chat} />
                <div
                    className="messages"
                    ref={listRef}
                    data-testid="messages"
                    onScroll={(e) => {
                        const el = e.currentTarget;
                        stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
                    }}
                >
                    {!chat?.messages.length && <EmptyChat />}
                    {chat?.messages.map((m) => (
                        <Message key={m.id} message={m} isLastAssistant={m.id === lastAssistant?.id} generating={generating} />
                    ))}
                </div>
                <Composer chatId={chat?.id} generating={generating} />
            </section>
            <MetersPanel chat={chat} />
        </div>
    );
}

/** The first screen: what the default pair is and a first thing to try, in its model card's words. */
function EmptyChat() {
    const welcome = useApp((s) => s.info?.welcome);
    const addSample = useDocuments((s) => s.addSample);
    const [card, setCard] = useState(false);
    return (
        <div className="empty-chat" data-testid="welcome">
            <div className="empty-mark" aria-hidden="true"><span /><span /><span /></div>
            <h2>Long context, without the memory bill</h2>
            {welcome ? (
                <>
                    <div className="welcome-text" data-testid="welcome-text"><Markdown source={welcome.text} /></div>
                    <div className="welcome-actions">
                        {welcome.sample && (
                            <button type="button" className="button primary" onClick={() => void addSample()} data-testid="try-sample" title={`Reads ${welcome.sample.name} into this chat and puts its question in the box`}>
                                <Icon name="file" size={14} /> Try it: {welcome.sample.name}, then ask “{welcome.sample.question}”
                            </button>
                        )}
                        <button type="button" className="button ghost" onClick={() => setCard(!card)} data-testid="model-card-link" title={welcome.modelCardPath}>
                            {card ? "Hide the model card" : "The model card: how they were trained, how well they do"}
                        </button>
                    </div>
                    {card && <div className="model-card-text" data-testid="model-card"><Markdown source={welcome.modelCard} /></div>}
                </>
            ) : (
                <p>Drop a whole document on the window and ask about it: it is read into the context, not chopped into snippets.</p>
            )}
            <p className="empty-sub">The meters on the right show, live, how much cache this model holds next to the dense model it came from.</p>
            <div className="empty-hints">
                <span><Icon name="file" size={14} /> .txt .md .pdf .docx .html</span>
                <span><Icon name="memory" size={14} /> cache bytes: computed &amp; measured</span>
                <span><Icon name="bolt" size={14} /> prefill, decode, first token</span>
            </div>
        </div>
    );
}

function Message({ message, isLastAssistant, generating }: { message: ChatMessageRecord; isLastAssistant: boolean; generating: boolean }) {
    const [editing, setEditing] = useState(false);
    const [draft, setDraft] = useState(message.content);
    const editResend = useChats((s) => s.editResend);
    const regenerate = useChats((s) => s.regenerate);
    const continueAnswer = useChats((s) => s.continueAnswer);
    const model = useModels((s) => s.models.find((x) => x.id === message.modelId));

    if (message.role === "user") {
        return (
            <div className="message user" data-testid="message-user">
                {message.documents?.map((d) => (
                    <div key={d.id} className="doc-chip" data-testid="message-document">
                        <Icon name="file" size={14} />
                        <span className="doc-chip-name">{d.name}</span>
                        <span className="doc-chip-meta">{d.tokens ? `${d.tokens.toLocaleString("en-US")} tokens` : `${d.chars.toLocaleString("en-US")} chars`}{d.cut ? " · cut to fit" : ""}</span>
                    </div>
                ))}
                {editing ? (
                    <div className="edit-box">
                        <textarea value={draft} onChange={(e) => setDraft(e.target.value)} rows={Math.min(10, draft.split("\n").length + 1)} autoFocus />
                        <div className="edit-actions">
                            <button type="button" className="button ghost" onClick={() => { setEditing(false); setDraft(message.content); }}>Cancel</button>
                            <button type="button" className="button primary" disabled={!draft.trim()} onClick={() => { setEditing(false); void editResend(message.id, draft); }} data-testid="resend">Resend</button>
                        </div>
                    </div>
                ) : (
                    <div className="bubble">
                        {message.content && <div className="plain">{message.content}</div>}
                        {!generating && (
                            <button type="button" className="icon-button edit-button" title="Edit and resend" aria-label="Edit and resend" onClick={() => { setDraft(message.content); setEditing(true); }} data-testid="edit-message">
                                <Icon name="edit" size={13} />
                            </button>
                        )}
                    </div>
                )}
            </div>
        );
    }

    const m = message.metrics;
    const streaming = message.status === "streaming";
    return (
        <div className={`message assistant status-${message.status ?? "done"}`} data-testid="message-assistant" data-status={message.status}>
            <div className="assistant-head">
                <span className={`model-badge ${model?.kind ?? ""}`}>{model ? KIND_LABEL[model.kind] : "Model"}</span>
                <span className="assistant-model">{model ? modelLabel(model) : "removed model"}</span>
            </div>
            <div className="assistant-body">
                {message.content ? <Markdown source={message.content} /> : streaming ? <div className="thinking"><span /><span /><span /></div> : null}
                {streaming && message.content && <span className="caret" />}
            </div>
            {message.error && (
                <div className={`message-note ${message.status === "interrupted" ? "warn" : "bad"}`} data-testid="message-error">
                    <Icon name="alert" size={14} /> {message.error}
                </div>
            )}
            {!streaming && message.tokenLimit != null && (
                <div className="message-note warn" data-testid="message-token-limit">
                    <Icon name="alert" size={14} /> Stopped at the {message.tokenLimit.toLocaleString("en-US")}-token limit, maybe mid-word.
                    {isLastAssistant && !generating && (
                        <button type="button" className="button small" onClick={() => void continueAnswer()} data-testid="continue">Continue</button>
                    )}
                </div>
            )}
            {!streaming && (
                <div className="assistant-foot">
                    {m && (
                        <span className="foot-stats">
                            {m.generatedTokens != null && <span>{m.generatedTokens} tokens</span>}
                            {m.decodeTokensPerSecond != null && <span>{formatRate(m.decodeTokensPerSecond)} tok/s</span>}
                            {m.timeToFirstTokenMs != null && <span>first token {formatMs(m.timeToFirstTokenMs)}</span>}
                            {message.snapshotBytes != null && (
                                <span data-testid="message-snapshot" title="Snapshot (sequence checkpoint) taken after the prompt was read and after this answer, measured: follow-ups and Regenerate resume from it. Beside it, the dense model's state at the same point, computed.">
                                    snapshot {formatBytes(message.snapshotBytes)}{m.denseCacheBytesComputed != null ? ` · dense ${formatBytes(m.denseCacheBytesComputed)}` : ""}
                                </span>
                            )}
                        </span>
                    )}
                    {message.status === "stopped" && <span className="foot-flag">stopped</span>}
                    <span className="foot-actions">
                        <button type="button" className="icon-button" title="Copy" aria-label="Copy answer" onClick={() => void copyText(message.content)}><Icon name="copy" size={13} /></button>
                        {isLastAssistant && !generating && (
                            <button type="button" className="icon-button" title="Regenerate" aria-label="Regenerate" onClick={() => void regenerate()} data-testid="regenerate"><Icon name="refresh" size={13} /></button>
                        )}
                    </span>
                </div>
            )}
        </div>
    );
}
