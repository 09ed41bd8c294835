/** App-wide UI state: which view is open, the engine's state, the connection, notices. */
import { create } from "zustand";
import type { AppInfo, EngineStatus } from "../../../api/appApi";
import { call } from "../api/client";

export type View = "chat" | "compare" | "projection" | "models" | "settings";

export interface Notice {
    id: number;
    kind: "error" | "info" | "success";
    title: string;
    text?: string;
}

interface AppState {
    view: View;
    info?: AppInfo;
    engine: EngineStatus;
    connection: "connecting" | "open" | "closed";
    notices: Notice[];
    setView(view: View): void;
    setEngine(status: EngineStatus): void;
    setConnection(state: AppState["connection"]): void;
    notify(notice: Omit<Notice, "id">, timeoutMs?: number): void;
    dismiss(id: number): void;
    init(): Promise<void>;
}

let noticeId = 1;

export const useApp = create<AppState>((set, get) => ({
    view: "chat",
    engine: { state: "starting", restarts: 0, host: "" },
    connection: "connecting",
    notices: [],
    setView: (view) => set({ view }),
    setEngine: (engine) => set({ engine }),
    setConnection: (connection) => set({ connection }),
    notify(notice, timeoutMs = notice.kind === "error" ? 12_000 : 5_000) {
        const id = noticeId++;
        set({ notices: [...get().notices.slice(-3), { ...notice, id }] });
        if (timeoutMs > 0) setTimeout(() => get().dismiss(id), timeoutMs);
    },
    dismiss: (id) => set({ notices: get().notices.filter((n) => n.id !== id) }),
    async init() {
        const [info, engine] = await Promise.all([call("app.info"), call("engine.status")]);
        set({ info, engine });
        // damaged files set aside at start stay on screen until dismissed
        for (const text of info.notices ?? []) get().notify({ kind: "error", title: "Found at start", text }, 0);
    },
}));

/** Reports a failed call as a notice; returns undefined. */
export function reportError(title: string) {
    return (error: unknown) => {
        useApp.getState().notify({ kind: "error", title, text: error instanceof Error ? error.message : String(error) });
        return undefined;
    };
}
