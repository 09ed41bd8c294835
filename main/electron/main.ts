/// <reference path="./preload.cts" />
// (the reference above makes tsc compile the CommonJS preload beside this file: tsconfig includes only *.ts)
/**
 * Electron's entry point (package.json "main": dist/main/electron/main.js), the main process: one window, a menu, the app core behind IPC, the engine in a
 * `utilityProcess`. Security (Electron's checklist): contextIsolation and sandbox on, no
 * nodeIntegration, a strict Content-Security-Policy on every response, navigation and new
 * windows denied, links open in the browser only after asking (http/https only), permission
 * requests denied but clipboard writes from our page, every IPC payload validated by the core,
 * document paths read only when main handed them out (dropped files). One app per user-data
 * folder (main/core/userDataLock.ts), also against serve mode.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell, utilityProcess, type IpcMainInvokeEvent, type MenuItemConstructorOptions } from "electron";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { AppCore } from "../core/AppCore.js";
import { modelFolders } from "../../engine/runtime/defaultModel.js";
import { UtilityProcessTransport } from "../../engine/runtime/client/UtilityProcessTransport.js";
import { remoteEngineFromEnv } from "../../engine/runtime/client/remoteEngine.js";
import { APP_NAME, appVersion, maxDocumentBytes, userDataDir } from "../core/paths.js";
import type { AppEvent } from "../../api/appApi.js";
import { isApiMethod } from "../../api/validate.js";
import { toApiError } from "../../api/apiError.js";
import { claimUserData, UserDataLockedError, type UserDataClaim } from "../core/userDataLock.js";
import { openExternalAfterAsking, permissionAllowed } from "./windowPolicy.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const appRoot = path.resolve(here, "..", "..", "..");
/** packaged: models and native files are unpacked next to app.asar */
const resourcesRoot = app.isPackaged ? path.join(process.resourcesPath, "app.asar.unpacked") : appRoot;
const rendererIndex = path.join(appRoot, "dist", "renderer", "index.html");
const preloadScript = path.join(here, "preload.cjs");

const CSP = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
].join("; ");

app.setName(APP_NAME);
process.env.RECURFORMER_USER_DATA ??= userDataDir();
app.setPath("userData", process.env.RECURFORMER_USER_DATA);

let core: AppCore | undefined;
let claim: UserDataClaim | undefined;
let mainWindow: BrowserWindow | undefined;

function createWindow(): BrowserWindow {
    const win = new BrowserWindow({
        width: 1440,
        height: 920,
        minWidth: 980,
        minHeight: 640,
        title: APP_NAME,
        backgroundColor: "#0d1117",
        show: false,
        webPreferences: {
            preload: preloadScript,
            contextIsolation: true,
            sandbox: true,
            nodeIntegration: false,
            nodeIntegrationInWorker: false,
            webviewTag: false,
            spellcheck: false,
        },
    });
    win.once("ready-to-show", () => win.show());
    // the only page this window may show is the bundled renderer
    win.webContents.on("will-navigate", (event) => event.preventDefault());
    win.webContents.on("will-redirect", (event) => event.preventDefault());
    win.webContents.setWindowOpenHandler(({ url }) => {
        void openExternalAfterAsking(url, async (href) => {
            const answer = await dialog.showMessageBox(win, {
                type: "question",
                buttons: ["Open in Browser", "Cancel"],
                defaultId: 1,
                cancelId: 1,
                message: "Open this link in your web browser?",
                detail: href,
            });
            return answer.response === 0;
        }, (href) => shell.openExternal(href));
        return { action: "deny" };
    });
    void win.loadFile(rendererIndex);
    win.on("closed", () => { if (mainWindow === win) mainWindow = undefined; });
    return win;
}

function send(event: AppEvent): void {
    for (const win of BrowserWindow.getAllWindows()) {
        if (!win.isDestroyed()) win.webContents.send("rf:event", event);
    }
}

/** Only our own window's main frame may call the API. */
function trustedSender(event: IpcMainInvokeEvent): boolean {
    const url = event.senderFrame?.url ?? "";
    return url.startsWith("file://") && BrowserWindow.fromWebContents(event.sender) !== null;
}

function buildMenu(): void {
    const isMac = process.platform === "darwin";
    const go = (view: string) => () => mainWindow?.webContents.send("rf:menu", { view });
    const template: MenuItemConstructorOptions[] = [
        ...(isMac ? [{ role: "appMenu" as const }] : []),
        {
            label: "File",
            submenu: [
                { label: "New Chat", accelerator: "CmdOrCtrl+N", click: () => mainWindow?.webContents.send("rf:menu", { action: "new-chat" }) },
                { label: "Add Model…", accelerator: "CmdOrCtrl+O", click: () => mainWindow?.webContents.send("rf:menu", { action: "add-model" }) },
                { type: "separator" },
                isMac ? { role: "close" } : { role: "quit" },
            ],
        },
        { role: "editMenu" },
        {
            label: "View",
            submenu: [
                { label: "Chat", accelerator: "CmdOrCtrl+1", click: go("chat") },
                { label: "Compare", accelerator: "CmdOrCtrl+2", click: go("compare") },
                { label: "Cache Projection", accelerator: "CmdOrCtrl+3", click: go("projection") },
                { label: "Models", accelerator: "CmdOrCtrl+4", click: go("models") },
                { label: "Settings", accelerator: "CmdOrCtrl+,", click: go("settings") },
                { type: "separator" },
                { role: "resetZoom" }, { role: "zoomIn" }, { role: "zoomOut" },
                { type: "separator" },
                { role: "togglefullscreen" },
                ...(app.isPackaged ? [] : [{ role: "toggleDevTools" as const }]),
            ],
        },
        {
            label: "Engine",
            submenu: [
                { label: "Restart Engine", click: () => void core?.call("engine.restart", undefined) },
                { label: "Open User Data Folder", click: () => void shell.openPath(app.getPath("userData")) },
            ],
        },
        { role: "windowMenu" },
    ];
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

async function start(): Promise<void> {
    // one instance: a second launch focuses the first window
    if (!app.requestSingleInstanceLock()) {
        app.quit();
        return;
    }
    app.on("second-instance", () => {
        if (mainWindow) { if (mainWindow.isMinimized()) mainWindow.restore(); mainWindow.focus(); }
    });
    // one app per user-data folder (a serve mode may hold it): say who has it and stop before the core writes anything
    try {
        claim = await claimUserData(app.getPath("userData"), "desktop app");
    } catch (error) {
        if (!(error instanceof UserDataLockedError)) throw error;
        dialog.showErrorBox(APP_NAME, error.message);
        app.exit(1);
        return;
    }
    await app.whenReady();

    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
        callback({ responseHeaders: { ...details.responseHeaders, "Content-Security-Policy": [CSP] } });
    });
    const appPage = pathToFileURL(rendererIndex).href;
    session.defaultSession.setPermissionRequestHandler((_wc, permission, callback, details) => callback(permissionAllowed(permission, details.requestingUrl, appPage)));
    session.defaultSession.setPermissionCheckHandler((_wc, permission, requestingOrigin, details) => permissionAllowed(permission, details.requestingUrl ?? requestingOrigin, appPage));

    core = new AppCore({
        userDataDir: app.getPath("userData"),
        modelDirs: modelFolders(resourcesRoot),
        engine: () => new UtilityProcessTransport(utilityProcess, { modulePath: process.env.RECURFORMER_ENGINE_ENTRY || undefined }),
        engineHostKind: "utility-process",
        // RECURFORMER_ENGINE_URL / _TOKEN: the engine of `recurformer engine --listen` on another machine (else Settings' choice)
        remoteEngine: remoteEngineFromEnv(),
        transport: "electron",
        version: appVersion(appRoot),
        maxDocumentBytes: maxDocumentBytes(),
        pickModelFile: async () => {
            const options = { title: "Add a GGUF model", properties: ["openFile" as const], filters: [{ name: "GGUF model", extensions: ["gguf"] }] };
            const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
            return result.canceled ? null : result.filePaths[0] ?? null;
        },
    });
    core.on("event", send);

    // the preload tells main the path of a file dropped on the window (webUtils.getPathForFile): the only paths documents.ingest reads
    ipcMain.on("rf:dropped-path", (event, file: unknown) => {
        if (trustedSender(event) && typeof file === "string" && path.isAbsolute(file)) core?.handedOut.grant(file);
    });

    ipcMain.handle("rf:invoke", async (event, method: unknown, params: unknown) => {
        if (!trustedSender(event)) throw new Error("Refused: the request did not come from the app's window.");
        if (!isApiMethod(method)) throw new Error(`Unknown method ${String(method)}`);
        try {
            return { ok: true, value: await core!.call(method, params) };
        } catch (error) {
            // errors cross IPC as data so that their name, message and advice survive intact
            return { ok: false, error: toApiError(error) };
        }
    });

    buildMenu();
    await core.open();
    mainWindow = createWindow();

    app.on("activate", () => {
        if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
    });
}

app.on("web-contents-created", (_event, contents) => {
    contents.on("will-attach-webview", (event) => event.preventDefault());
    contents.on("will-navigate", (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: "deny" }));
});

let quitting = false;
app.on("before-quit", (event) => {
    if (quitting || !core) return;
    event.preventDefault();
    quitting = true;
    void core.close().finally(() => { claim?.release(); app.quit(); });
});
app.on("window-all-closed", () => {
    if (process.platform !== "darwin") app.quit();
});

start().catch((error) => {
    dialog.showErrorBox(APP_NAME, `The app could not start:\n${(error as Error).stack ?? error}`);
    app.exit(1);
});
