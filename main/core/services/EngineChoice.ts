/**
 * Where the engine runs: on this machine (a utility process in Electron, a child process in serve
 * mode), on another one (`recurformer engine --listen`, reached through `WebSocketTransport`), or in a
 * running llama.cpp `llama-server` built from the same patch (http://, `LlamaServerTransport`).
 * At start RECURFORMER_ENGINE_URL / _TOKEN win; without them, what Settings chose last. Connect and
 * Disconnect switch the supervisor's transport (the running engine ends as by Restart; the models
 * that were loaded load again in the new one) and are remembered in `ConnectionSettings`.
 */
import type { EngineStatus } from "../../../api/appApi.js";
import type { EngineTransportFactory } from "../../../engine/runtime/client/EngineTransport.js";
import { WebSocketTransport } from "../../../engine/runtime/client/WebSocketTransport.js";
import { LlamaServerTransport } from "../../../engine/runtime/llama-server/LlamaServerTransport.js";
import { type ConnectionSettings, tokenHint } from "../ConnectionSettings.js";
import type { EngineSupervisor } from "../EngineSupervisor.js";
import { UserError } from "../UserError.js";

export interface LocalEngine {
    transport: EngineTransportFactory;
    /** "utility-process" (Electron) or "child-process" (serve mode) */
    hostKind: string;
}

export class EngineChoice {
    constructor(
        private readonly settings: ConnectionSettings,
        private readonly supervisor: EngineSupervisor,
        private readonly local: LocalEngine,
        /** RECURFORMER_ENGINE_URL / _TOKEN, when set */
        private readonly fromEnvironment?: { url: string; token: string },
    ) {}

    /** Chooses the engine the app starts with (before the supervisor's first start). */
    chooseAtStart(): void {
        const saved = this.settings.remoteEngine;
        if (this.fromEnvironment) this.useRemote(this.fromEnvironment.url, this.fromEnvironment.token, "environment");
        else if (saved?.connected && (saved.token || kindOf(saved.url) === "llama-server")) this.useRemote(saved.url, saved.token ?? "", "settings");
        else this.supervisor.choose(this.local.transport, this.local.hostKind);
    }

    /** Settings → Connect: the engine at `url` from now on; without a token, the one stored for that URL. */
    async connect(url: string, token?: string): Promise<EngineStatus> {
        const address = checkedUrl(url);
        const saved = this.settings.remoteEngine;
        const useToken = token ?? (saved?.url === address ? saved.token : undefined);
        if (!useToken && kindOf(address) === "engine") throw new UserError("Give the token the remote engine was started with (recurformer engine --token).");
        await this.settings.setRemoteEngine(address, true, useToken ?? "");
        await this.supervisor.use(...this.remote(address, useToken ?? "", "settings"));
        return this.supervisor.getStatus();
    }

    /** Settings → Disconnect: the engine on this machine again (the URL and token stay stored for the next Connect). */
    async disconnect(): Promise<EngineStatus> {
        const saved = this.settings.remoteEngine;
        if (saved) await this.settings.setRemoteEngine(saved.url, false);
        await this.supervisor.use(this.local.transport, this.local.hostKind);
        return this.supervisor.getStatus();
    }

    /** What fills the Settings fields: the URL last chosen, and the stored token only as a hint. */
    remoteSetting(): { url?: string; tokenHint?: string } {
        const saved = this.settings.remoteEngine;
        return saved ? { url: saved.url, ...(saved.token ? { tokenHint: tokenHint(saved.token) } : {}) } : {};
    }

    private useRemote(url: string, token: string, source: "settings" | "environment"): void {
        this.supervisor.choose(...this.remote(url, token, source));
    }

    private remote(url: string, token: string, source: "settings" | "environment"): [EngineTransportFactory, string, EngineStatus["remote"]] {
        const kind = kindOf(url);
        const hint = token ? tokenHint(token) : "none";
        if (kind === "llama-server")
            return [() => new LlamaServerTransport(url, token || undefined), `llama-server ${url}`, { url, kind, tokenHint: hint, source }];
        return [() => new WebSocketTransport(url, token), `remote engine ${url}`, { url, kind, tokenHint: hint, source }];
    }
}

/** ws(s):// is `recurformer engine --listen`; http(s):// is a llama-server. */
function kindOf(url: string): "engine" | "llama-server" {
    return /^https?:/i.test(url) ? "llama-server" : "engine";
}

/** The URL as the transports take it, or a UserError saying what an engine's address looks like. */
function checkedUrl(text: string): string {
    const trimmed = text.trim();
    let url: URL | undefined;
    try { url = new URL(trimmed); } catch { url = undefined; }
    if (!url || !["ws:", "wss:", "http:", "https:"].includes(url.protocol) || !url.hostname)
        throw new UserError(`“${trimmed}” is not an engine address: a remote engine is ws://HOST:PORT/engine (what recurformer engine --listen prints; wss:// behind TLS), a llama-server is http://HOST:PORT.`);
    return trimmed;
}
