/**
 * The renderer's one handle on the app: the preload's `window.recurformer` in Electron, or the
 * WebSocket bridge in a browser. Stores call `call()`; nothing else talks to the outside.
 */
import type { ApiMethod, ParamsOf, RecurformerApi, ResultOf } from "../../../api/appApi";
import { reviveApiError } from "../../../api/apiError";
import { createWsBridge, type ConnectionState } from "./wsBridge";

declare global {
    interface Window {
        recurformer?: RecurformerApi & { onMenu?(listener: (command: { view?: string; action?: string }) => void): () => void };
    }
}

let api: RecurformerApi | undefined;
const connectionListeners = new Set<(state: ConnectionState) => void>();

export function getApi(): RecurformerApi {
    if (!api) api = window.recurformer ?? createWsBridge((state) => connectionListeners.forEach((l) => l(state)));
    return api;
}

/** Tests replace the transport with a fake. */
export function setApi(replacement: RecurformerApi): void {
    api = replacement;
}

export function onConnection(listener: (state: ConnectionState) => void): () => void {
    connectionListeners.add(listener);
    return () => connectionListeners.delete(listener);
}

/** One API call; a failure arrives as its own named error class (api/apiError.ts), message and advice intact. */
export async function call<M extends ApiMethod>(method: M, ...params: ParamsOf<M> extends undefined ? [] : [ParamsOf<M>]): Promise<ResultOf<M>> {
    try {
        return await getApi().invoke(method, params[0] as ParamsOf<M>);
    } catch (error) {
        const e = error as { name?: string; message?: string; advice?: string };
        throw reviveApiError({ name: e?.name ?? "Error", message: e?.message ?? String(error), advice: e?.advice });
    }
}
