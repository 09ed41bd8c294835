/**
 * Settings: where the engine runs (this machine, or a remote engine by URL and token: Connect /
 * Disconnect, with the status in words) and the OpenAI-compatible API server the app can run
 * (off by default; port, key with a Copy button, running at URL or why not). Saved chat states
 * are under Models, beside the models they belong to.
 */
import { useEffect, useState } from "react";
import { Icon } from "../components/Icon";
import { copyText } from "../lib/copy";
import { useApp } from "../stores/app";
import { engineWhere, useSettings } from "../stores/settings";

export function SettingsView() {
    const refresh = useSettings((s) => s.refresh);
    useEffect(() => { void refresh(); }, [refresh]);
    return (
        <div className="settings-view">
            <header className="view-header">
                <div>
                    <h1>Settings</h1>
                    <div className="view-sub">Where the engine runs, and the API other programs can use. Both are remembered in the user-data folder.</div>
                </div>
            </header>
            <EnginePanel />
            <ApiServerPanel />
        </div>
    );
}

function EnginePanel() {
    const engine = useApp((s) => s.engine);
    const remote = useSettings((s) => s.remote);
    const switching = useSettings((s) => s.switching);
    const { connect, disconnect } = useSettings.getState();
    const [url, setUrl] = useState("");
    const [token, setToken] = useState("");
    useEffect(() => { if (remote.url && !url) setUrl(remote.url); }, [remote.url]); // eslint-disable-line react-hooks/exhaustive-deps
    const stateWords = engine.state === "ready" ? "ready" : engine.state === "starting" ? "starting…" : engine.state === "missing" ? "missing" : "not running";
    const storedFor = remote.tokenHint && remote.url === url.trim() ? remote.tokenHint : undefined;
    return (
        <section className="settings-panel" data-testid="settings-engine">
            <h2>Engine</h2>
            <div className={`settings-status ${engine.state === "ready" ? "good" : engine.state === "starting" ? "warn" : "bad"}`} role="status" data-testid="engine-where">
                <span className="status-dot" />
                <span>Runs on {engineWhere(engine.host, engine.remote)} · {stateWords}{engine.remote && engine.remote.tokenHint !== "none" ? ` · token ${engine.remote.tokenHint}` : ""}</span>
            </div>
            {engine.message && engine.state !== "ready" && <div className="message-note bad" data-testid="engine-message"><Icon name="alert" size={14} /> {engine.message}</div>}
            <form className="settings-row" onSubmit={(e) => { e.preventDefault(); if (url.trim()) void connect(url.trim(), token || undefined).then(() => setToken("")); }}>
                <label className="field grow"><span>Remote engine URL (or a llama-server's http://HOST:PORT)</span>
                    <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="ws://127.0.0.1:8090/engine" spellCheck={false} data-testid="remote-url" />
                </label>
                <label className="field"><span>Token</span>
                    <input type="password" value={token} onChange={(e) => setToken(e.target.value)} placeholder={storedFor ? `stored ${storedFor}` : "its --token (--api-key)"} autoComplete="off" data-testid="remote-token" />
                </label>
                <button type="submit" className="button primary" disabled={switching || !url.trim() || (!token && !storedFor && !/^https?:/i.test(url.trim()))} data-testid="remote-connect">{switching ? "Connecting…" : "Connect"}</button>
                <button type="button" className="button" disabled={switching || !engine.remote} onClick={() => void disconnect()} data-testid="remote-disconnect">Disconnect</button>
            </form>
            <div className="settings-note">
                Run <code>npx recurformer engine --listen 127.0.0.1:8090 --token T</code> on the other machine and reach it through an SSH tunnel
                (<code>ssh -N -L 8090:127.0.0.1:8090 host</code>): the token and every prompt travel in plain text. Or give the http:// address of a running{" "}
                <code>llama-server -m MODEL.gguf</code> built from the same patch (<code>npm run build:llama-server</code>): it serves its one model. Disconnect runs the engine on this machine again.
            </div>
        </section>
    );
}

function ApiServerPanel() {
    const server = useSettings((s) => s.apiServer);
    const setServer = useSettings((s) => s.setServer);
    const [port, setPort] = useState("");
    if (!server) return null;
    const portNumber = Number(port || server.port);
    const portValid = Number.isInteger(portNumber) && portNumber >= 1 && portNumber <= 65535;
    const status = server.state === "running" ? `Running at ${server.url}`
        : server.state === "starting" ? `Listening at ${server.url}; loading its models…`
        : server.state === "error" ? "Not running" : "Off";
    return (
        <section className="settings-panel" data-testid="settings-api">
            <h2>API server</h2>
            <label className="settings-toggle">
                <input type="checkbox" checked={server.enabled} onChange={(e) => void setServer(e.target.checked, portValid ? portNumber : undefined)} data-testid="api-toggle" />
                <span>Serve the loaded models to other programs through an OpenAI-compatible API on this machine (127.0.0.1 only)</span>
            </label>
            <div className={`settings-status ${server.state === "running" ? "good" : server.state === "starting" ? "warn" : server.state === "error" ? "bad" : ""}`} role="status" data-testid="api-status" data-state={server.state}>
                <span className="status-dot" />
                <span>{status}{server.models.length > 0 && server.state !== "off" ? ` · models: ${server.models.join(", ")}` : ""}</span>
            </div>
            {server.message && <div className={`message-note ${server.state === "error" ? "bad" : "warn"}`} data-testid="api-message"><Icon name="alert" size={14} /> {server.message}</div>}
            <form className="settings-row" onSubmit={(e) => { e.preventDefault(); if (portValid) void setServer(server.enabled, portNumber).then(() => setPort("")); }}>
                <label className="field"><span>Port</span>
                    <input type="number" min={1} max={65535} value={port} placeholder={String(server.port)} onChange={(e) => setPort(e.target.value)} data-testid="api-port" />
                </label>
                <button type="submit" className="button" disabled={!port || !portValid}>Set port</button>
                <label className="field grow"><span>API key (sent as Authorization: Bearer KEY)</span>
                    <input className="mono" value={server.apiKey} readOnly onFocus={(e) => e.target.select()} data-testid="api-key" />
                </label>
                <button type="button" className="button" onClick={() => void copyText(server.apiKey).then((ok) => ok && useApp.getState().notify({ kind: "success", title: "API key copied" }))} data-testid="api-key-copy"><Icon name="copy" size={14} /> Copy</button>
            </form>
            <div className="settings-note">
                It serves the models loaded when it is switched on (else the default RecurFormer model) from an engine process of its own, so they take their memory twice.
                Try it: <code>curl {server.url ?? `http://127.0.0.1:${server.port}/v1`}/models -H "Authorization: Bearer $KEY"</code> · fields and examples in docs/api.md.
            </div>
        </section>
    );
}
