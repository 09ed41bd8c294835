/**
 * Serve mode: the same `RecurformerApi` as the preload, over a WebSocket to the server that
 * served this page. The access token travels as the HttpOnly cookie the server set, so no
 * script (and no injected one) can read it; that cookie is scoped to the app's path, so the
 * socket and uploads use addresses relative to the page.
 */
import type { ApiMethod, AppEvent, ParamsOf, RecurformerApi, ResultOf } from "../../../api/appApi";
import { reviveApiError } from "../../../api/apiError";

interface Waiting { resolve(value: unknown): void; reject(error: Error): void }

export type ConnectionState = "connecting" | "open" | "closed";

export function createWsBridge(onConnection: (state: ConnectionState) => void = () => undefined): RecurformerApi {
    let socket: WebSocket | undefined;
    let nextId = 1;
    let retry = 0;
    const waiting = new Map<number, Waiting>();
    const listeners = new Set<(event: AppEvent) => void>();
    let opened: Promise<WebSocket>;

    const connect = (): Promise<WebSocket> => {
        onConnection("connecting");
        opened = new Promise((resolve, reject) => {
            // relative to the page: the server's cookie is scoped to the app's own path, so the socket must be under it
            const ws = new WebSocket(new URL("ws", location.href.replace(/^http/, "ws")));
            ws.onopen = () => {
                retry = 0;
                socket = ws;
                onConnection("open");
                resolve(ws);
            };
            ws.onmessage = (message) => {
                const data = JSON.parse(String(message.data));
                if (data.event) {
                    for (const listener of listeners) listener(data.event as AppEvent);
                    return;
                }
                const w = waiting.get(data.id);
                if (!w) return;
                waiting.delete(data.id);
                if (data.error) w.reject(reviveApiError(data.error));
                else w.resolve(data.result);
            };
            ws.onclose = () => {
                socket = undefined;
                onConnection("closed");
                for (const [id, w] of waiting) {
                    waiting.delete(id);
                    w.reject(new Error("The connection to the app server was lost."));
                }
                reject(new Error("The app server refused the connection (is the token right?)."));
                retry++;
                setTimeout(() => void connect().catch(() => undefined), Math.min(5000, 300 * retry));
            };
        });
        return opened;
    };
    void connect().catch(() => undefined);

    return {
        transport: "browser",
        async invoke<M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
            const ws = socket ?? (await opened);
            const id = nextId++;
            return new Promise<ResultOf<M>>((resolve, reject) => {
                waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
                ws.send(JSON.stringify({ id, method, params }));
            });
        },
        onEvent(listener) {
            listeners.add(listener);
            return () => listeners.delete(listener);
        },
    };
}

/** Streams a dropped file to the server (serve mode); returns its upload id. */
export async function uploadFile(file: File): Promise<string> {
    const response = await fetch(`upload?name=${encodeURIComponent(file.name)}`, { method: "POST", body: file, credentials: "same-origin" });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(body?.error?.message ?? `Upload failed (${response.status}).`), { name: body?.error?.name ?? "UploadError" });
    return body.uploadId as string;
}
