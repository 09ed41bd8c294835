import { useApp, type View } from "../stores/app";
import { chatRowMeta, chatRowTitle, useChats } from "../stores/chats";
import { useModels } from "../stores/models";
import { Icon } from "./Icon";

const NAV: { view: View; label: string; icon: string }[] = [
    { view: "chat", label: "Chat", icon: "chat" },
    { view: "compare", label: "Compare", icon: "compare" },
    { view: "projection", label: "Cache projection", icon: "chart" },
    { view: "models", label: "Models", icon: "cube" },
    { view: "settings", label: "Settings", icon: "settings" },
];

export function Sidebar() {
    const view = useApp((s) => s.view);
    const setView = useApp((s) => s.setView);
    const engine = useApp((s) => s.engine);
    const connection = useApp((s) => s.connection);
    const summaries = useChats((s) => s.summaries);
    const activeChatId = useChats((s) => s.activeChatId);
    const select = useChats((s) => s.select);
    const create = useChats((s) => s.create);
    const remove = useChats((s) => s.remove);
    const models = useModels((s) => s.models);

    // a crash that is not retried (a crash loop, a remote host that refused the token) says "use Engine → Restart"
    const stopped = engine.state === "crashed" && /Restart/.test(engine.message ?? "");
    const engineLabel = connection === "closed" ? "Disconnected from the app server"
        : engine.state === "ready" ? "Engine ready" : engine.state === "starting" ? "Engine starting…"
        : stopped ? "Engine stopped" : engine.state === "crashed" ? "Engine restarting…" : "Engine missing";
    const engineClass = connection === "closed" || stopped || engine.state === "missing" ? "bad" : engine.state === "ready" ? "good" : "warn";

    return (
        <aside className="sidebar">
            <div className="brand">
                <div className="brand-mark" aria-hidden="true"><span /><span /><span /></div>
                <div>
                    <div className="brand-name">RecurFormer</div>
                    <div className="brand-sub">long-context, small cache</div>
                </div>
            </div>
            <nav className="nav">
                {NAV.map((item) => (
                    <button key={item.view} type="button" className={`nav-item ${view === item.view ? "active" : ""}`} onClick={() => setView(item.view)} data-testid={`nav-${item.view}`}>
                        <Icon name={item.icon} size={17} />
                        {item.label}
                    </button>
                ))}
            </nav>
            <div className="sidebar-section">
                <span>Chats</span>
                <button type="button" className="icon-button" title="New chat" aria-label="New chat" data-testid="new-chat" onClick={() => { setView("chat"); void create(); }}>
                    <Icon name="plus" size={15} />
                </button>
            </div>
            <div className="chat-list" data-testid="chat-list">
                {summaries.map((c) => (
                    <div key={c.id} className={`chat-item ${c.id === activeChatId ? "active" : ""}`} onClick={() => { setView("chat"); void select(c.id); }} data-testid="chat-item">
                        <div className="chat-item-title">{c.generating && <span className="pulse-dot" title="answering" />}{c.title}</div>
                        <div className="chat-item-meta" data-testid="chat-item-meta" title={chatRowTitle(c, models)}>{chatRowMeta(c, models)}</div>
                        <button type="button" className="icon-button chat-item-delete" aria-label="Delete chat" title="Delete chat" onClick={(e) => { e.stopPropagation(); if (confirm(`Delete “${c.title}”?`)) void remove(c.id); }}>
                            <Icon name="trash" size={13} />
                        </button>
                    </div>
                ))}
            </div>
            <div className={`engine-status ${engineClass}`} data-testid="engine-status" data-state={engine.state} title={engine.message ?? ""}>
                <span className="status-dot" />
                <div>
                    <div>{engineLabel}</div>
                    <div className="engine-sub" title={engine.remote ? `the engine runs on another machine: ${engine.remote.url}` : "the engine runs on this machine"}>{engine.host === "utility-process" ? "utility process" : engine.host === "child-process" ? "child process" : engine.host}{engine.restarts ? ` · ${engine.restarts} restart${engine.restarts > 1 ? "s" : ""}` : ""}</div>
                </div>
            </div>
        </aside>
    );
}
