/** Routes every app event from the core to the store that owns it. */
import type { AppEvent } from "../../api/appApi";
import { getApi, onConnection } from "./api/client";
import { useApp } from "./stores/app";
import { queueToken, useChats } from "./stores/chats";
import { useCompare } from "./stores/compare";
import { useDocuments } from "./stores/documents";
import { useMetrics } from "./stores/metrics";
import { useModels } from "./stores/models";
import { useSnapshots } from "./stores/snapshots";
import { useSettings } from "./stores/settings";

export function routeEvent(event: AppEvent): void {
    switch (event.type) {
        case "engine.status": {
            const before = useApp.getState().engine.state;
            useApp.getState().setEngine(event.status);
            if (event.status.state === "crashed" && before !== "crashed") {
                useApp.getState().notify({ kind: "error", title: "The engine stopped", text: event.status.message }, 15_000);
            } else if (event.status.state === "ready" && before === "crashed") {
                useApp.getState().notify({ kind: "success", title: "The engine is running again", text: "Loaded models are being reloaded; your chats are intact." });
            }
            break;
        }
        case "apiServer.status": useSettings.getState().setApiServer(event.status); break;
        case "models.changed": useModels.getState().setModels(event.models); break;
        case "chats.changed": useChats.getState().setSummaries(event.chats); break;
        case "chat.updated": useChats.getState().applyChat(event.chat); break;
        case "chat.token": queueToken(event.chatId, event.messageId, event.text); break;
        case "chat.answered": useChats.getState().applyAnswered(event); break;
        case "chat.metrics": useMetrics.getState().push(event.chatId, event.messageId, event.metrics); break;
        case "document.progress": useDocuments.getState().onProgress(event.documentId, event.phase, event.fraction, event.message); break;
        case "compare.started": useCompare.getState().onStarted(event.run); break;
        case "compare.lane": useCompare.getState().onLane(event.runId, event.lane, event.loaded); break;
        case "compare.token": useCompare.getState().onToken(event.runId, event.lane, event.text); break;
        case "compare.metrics": useCompare.getState().onMetrics(event.runId, event.lane, event.metrics); break;
        case "compare.done": useCompare.getState().onDone(event.runId, event.lane, event.status, event.error); break;
        case "baselines.changed": useMetrics.getState().setBaselines(event.baselines); break;
        case "snapshots.changed": useSnapshots.getState().set(event.snapshots); break;
    }
}

export async function connect(): Promise<void> {
    onConnection((state) => {
        const previous = useApp.getState().connection;
        useApp.getState().setConnection(state);
        // after a reconnect, re-read everything (events may have been missed)
        if (state === "open" && previous === "closed") void loadAll();
    });
    getApi().onEvent(routeEvent);
    if (getApi().transport === "electron") useApp.getState().setConnection("open");
    await loadAll();
}

async function loadAll(): Promise<void> {
    await Promise.all([useApp.getState().init(), useModels.getState().refresh(), useMetrics.getState().init()]);
    await useChats.getState().init();
}
