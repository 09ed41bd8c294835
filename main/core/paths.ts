/**
 * Folders the app uses, the same in Electron and serve mode so that both see the same chats:
 *   user data: RECURFORMER_USER_DATA, else <OS app-data folder>/RecurFormer Desktop
 *   models:    RECURFORMER_MODELS_DIR (folders separated by the OS path delimiter), else
 *              <app>/assets/models: `modelFolders` in engine/runtime/defaultModel.ts, as for the CLI.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEFAULT_MAX_DOCUMENT_BYTES } from "../../api/limits.js";

export const APP_NAME = "RecurFormer Desktop";

export function appDataDir(): string {
    if (process.platform === "win32") return process.env.APPDATA ?? path.join(os.homedir(), "AppData", "Roaming");
    if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Application Support");
    return process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), ".config");
}

export function userDataDir(): string {
    return path.resolve(process.env.RECURFORMER_USER_DATA ?? path.join(appDataDir(), APP_NAME));
}

export function maxDocumentBytes(): number {
    const mb = Number(process.env.RECURFORMER_MAX_DOCUMENT_MB);
    return Number.isFinite(mb) && mb > 0 ? Math.round(mb * 1024 * 1024) : DEFAULT_MAX_DOCUMENT_BYTES;
}

export function appVersion(appRoot: string): string {
    try { return JSON.parse(fs.readFileSync(path.join(appRoot, "package.json"), "utf8")).version ?? "0.0.0"; } catch { return "0.0.0"; }
}
