/** The window: sidebar (views, chats, engine state), the open view, notices, and file drops. */
import { useEffect, useState, type ComponentType, type DragEvent } from "react";
import { call, getApi } from "./api/client";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { Icon } from "./components/Icon";
import { Notices } from "./components/Notices";
import { Sidebar } from "./components/Sidebar";
import { useApp, type View } from "./stores/app";
import { useChats } from "./stores/chats";
import { useDocuments } from "./stores/documents";
import { useModels } from "./stores/models";
import { ChatView } from "./views/ChatView";
import { CompareView } from "./views/CompareView";
import { ModelsView } from "./views/ModelsView";
import { ProjectionView } from "./views/ProjectionView";
import { SettingsView } from "./views/SettingsView";

const VIEWS: Record<View, ComponentType> = { chat: ChatView, compare: CompareView, projection: ProjectionView, models: ModelsView, settings: SettingsView };

/** Shown while the engine cannot run: what is wrong, and a way to try again. */
function EngineBanner() {
    const engine = useApp((s) => s.engine);
    const connection = useApp((s) => s.connection);
    if (connection === "closed") {
        return <div className="engine-banner" role="alert" data-testid="engine-banner"><Icon name="alert" size={15} /> The connection to the app server was lost; reconnecting…</div>;
    }
    const stuck = engine.state === "missing" || (engine.state === "crashed" && /Restart/.test(engine.message ?? ""));
    if (!stuck) return null;
    return (
        <div className="engine-banner" role="alert" data-testid="engine-banner">
            <Icon name="alert" size={15} />
            <span>{engine.message ?? "The engine is not running."}</span>
            <button type="button" className="button small" onClick={() => void call("engine.restart").catch(() => undefined)}>Restart engine</button>
        </div>
    );
}

export function App() {
    const view = useApp((s) => s.view);
    const [dragging, setDragging] = useState(false);
    const Current = VIEWS[view];

    useEffect(() => {
        const unsubscribe = window.recurformer?.onMenu?.((command) => {
            if (command.view) useApp.getState().setView(command.view as View);
            if (command.action === "new-chat") { useApp.getState().setView("chat"); void useChats.getState().create(); }
            if (command.action === "add-model") void useModels.getState().pick();
        });
        return unsubscribe;
    }, []);

    const onDrop = (event: DragEvent) => {
        event.preventDefault();
        setDragging(false);
        const files = [...event.dataTransfer.files];
        if (!files.length) return;
        const models = files.filter((f) => f.name.toLowerCase().endsWith(".gguf"));
        const documents = files.filter((f) => !f.name.toLowerCase().endsWith(".gguf"));
        const api = getApi();
        for (const model of models) {
            if (api.transport === "electron" && api.pathForFile) void useModels.getState().addByPath(api.pathForFile(model));
            else useApp.getState().notify({ kind: "info", title: `To add ${model.name} in the browser`, text: "Open Models and type its path under “Add by path” (the server reads it in place; nothing is uploaded)." });
        }
        if (documents.length) {
            if (useApp.getState().view !== "compare") useApp.getState().setView("chat");
            void useDocuments.getState().addFiles(documents);
        }
    };

    return (
        <div
            className="app"
            onDragOver={(e) => { if (e.dataTransfer.types.includes("Files")) { e.preventDefault(); setDragging(true); } }}
            onDragLeave={(e) => { if (e.currentTarget === e.target || !e.relatedTarget) setDragging(false); }}
            onDrop={onDrop}
        >
            <Sidebar />
            <main className="main" data-view={view}>
                <EngineBanner />
                <ErrorBoundary key={view}>
                    <Current />
                </ErrorBoundary>
            </main>
            <Notices />
            {dragging && (
                <div className="drop-overlay" onDragLeave={() => setDragging(false)}>
                    <div className="drop-card">
                        <Icon name="file" size={32} />
                        <div className="drop-title">Drop to read into the context</div>
                        <div className="drop-sub">.txt · .md · .pdf · .docx · .html — or a .gguf model to add it</div>
                    </div>
                </div>
            )}
        </div>
    );
}
