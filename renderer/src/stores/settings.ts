/** Settings: the API server the app runs (on/off, port, key, status) and the remote engine's URL as last chosen. */
import { create } from "zustand";
import type { ApiServerStatus } from "../../../api/appApi";
import { call } from "../api/client";
import { reportError, useApp } from "./app";

interface SettingsStore {
    apiServer?: ApiServerStatus;
    /** the remote engine last chosen (fills the URL field), the stored token as a hint */
    remote: { url?: string; tokenHint?: string };
    /** a Connect or Disconnect is under way */
    switching: boolean;
    setApiServer(status: ApiServerStatus): void;
    refresh(): Promise<void>;
    setServer(enabled: boolean, port?: number): Promise<void>;
    connect(url: string, token?: string): Promise<void>;
    disconnect(): Promise<void>;
}

export const useSettings = create<SettingsStore>((set, get) => ({
    remote: {},
    switching: false,
    setApiServer: (apiServer) => set({ apiServer }),
    async refresh() {
        const [apiServer, remote] = await Promise.all([call("apiServer.status"), call("engine.remoteSetting")]).catch(reportError("Could not read the settings")) ?? [];
        if (apiServer && remote) set({ apiServer, remote });
    },
    async setServer(enabled, port) {
        const status = await call("apiServer.set", { enabled, ...(port ? { port } : {}) }).catch(reportError("Could not change the API server"));
        if (status) set({ apiServer: status });
    },
    async connect(url, token) {
        set({ switching: true });
        const status = await call("engine.connect", { url, ...(token ? { token } : {}) }).catch(reportError("Could not connect to the remote engine"));
        if (status) useApp.getState().setEngine(status);
        set({ switching: false });
        await get().refresh();
    },
    async disconnect() {
        set({ switching: true });
        const status = await call("engine.disconnect").catch(reportError("Could not switch to this machine's engine"));
        if (status) useApp.getState().setEngine(status);
        set({ switching: false });
    },
}));

/** Where the engine runs, in words: "this machine (child process)", "another machine: ws://…" or "llama-server at http://…", with where that choice came from. */
export function engineWhere(host: string, remote?: { url: string; kind: "engine" | "llama-server"; source: "settings" | "environment" }): string {
    const from = remote?.source === "environment" ? " (from RECURFORMER_ENGINE_URL)" : "";
    if (remote?.kind === "llama-server") return `llama-server at ${remote.url}${from} (cache figures computed, none measured)`;
    if (remote) return `another machine: ${remote.url}${from}`;
    return `this machine (${host === "utility-process" ? "utility process" : host === "child-process" ? "child process" : host})`;
}
