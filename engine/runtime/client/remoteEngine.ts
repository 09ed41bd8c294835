/**
 * The remote engine the environment names, for the app's entry points (Electron and serve mode):
 * `RECURFORMER_ENGINE_URL` (ws://HOST:PORT/engine, printed by `recurformer engine --listen`) and
 * `RECURFORMER_ENGINE_TOKEN`. Undefined when no URL is set: the engine runs on this machine, or on
 * the remote engine chosen in Settings. The app reaches it through `WebSocketTransport`.
 */
export function remoteEngineFromEnv(env: NodeJS.ProcessEnv = process.env): {url: string, token: string} | undefined {
    const url = env.RECURFORMER_ENGINE_URL;
    if (url == null || url.length === 0)
        return undefined;
    return {url, token: env.RECURFORMER_ENGINE_TOKEN ?? ""};
}
