/**
 * The renderer's only door: `window.recurformer`, a small typed API over two IPC channels.
 * Sandboxed preload (CommonJS, only `electron` may be required): it forwards calls and events
 * and does nothing else (but telling main which paths the user dropped). The main process
 * validates every payload.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from "electron";
import type { ApiMethod, AppEvent, ParamsOf, RecurformerApi, ResultOf } from "../../api/appApi.js";

type Envelope = { ok: true; value: unknown } | { ok: false; error: { name: string; message: string; advice?: string } };

const api: RecurformerApi & { onMenu(listener: (command: { view?: string; action?: string }) => void): () => void } = {
    transport: "electron",
    async invoke<M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
        const reply = (await ipcRenderer.invoke("rf:invoke", method, params)) as Envelope;
        if (reply.ok) return reply.value as ResultOf<M>;
        const error = new Error(reply.error.message);
        error.name = reply.error.name;
        if (reply.error.advice != null) Object.assign(error, { advice: reply.error.advice });
        throw error;
    },
    onEvent(listener: (event: AppEvent) => void) {
        const handler = (_e: IpcRendererEvent, event: AppEvent) => listener(event);
        ipcRenderer.on("rf:event", handler);
        return () => { ipcRenderer.removeListener("rf:event", handler); };
    },
    onMenu(listener) {
        const handler = (_e: IpcRendererEvent, command: { view?: string; action?: string }) => listener(command);
        ipcRenderer.on("rf:menu", handler);
        return () => { ipcRenderer.removeListener("rf:menu", handler); };
    },
    pathForFile(file: File): string {
        // only a File the user dropped or picked has a path (a script-made File gives ""); main reads only paths told here.
        // `send` and the `invoke` that follows travel in order on one channel, so main knows the path before it is asked to read it.
        const filePath = webUtils.getPathForFile(file);
        if (filePath) ipcRenderer.send("rf:dropped-path", filePath);
        return filePath;
    },
};

contextBridge.exposeInMainWorld("recurformer", api);
