import type {EngineTransportFactory} from "./EngineTransport.js";
import {WebSocketTransport} from "./WebSocketTransport.js";

/**
 * The remote engine the environment names, for the app's entry points (Electron and serve mode):
 * `RECURFORMER_ENGINE_URL` (ws://HOST:PORT/engine, printed by `recurformer engine --listen`) and
 * `RECURFORMER_ENGINE_TOKEN`. Undefined when no URL is set: the engine runs on this machine.
 */
export function remoteEngineFromEnv(env: NodeJS.ProcessEnv = process.env): {transport: EngineTransportFactory, hostKind: string} | undefined {
    const url = env.RECURFORMER_ENGINE_URL;
    if (url == null || url.length === 0)
        return undefined;
    const token = env.RECURFORMER_ENGINE_TOKEN ?? "";
    return {transport: () => new WebSocketTransport(url, token), hostKind: `remote engine ${url}`};
}
