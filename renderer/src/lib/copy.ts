/**
 * Copy buttons: write text to the clipboard, or say why it did not work (no clipboard in this
 * page, or the permission was refused) instead of failing silently.
 */
import { useApp } from "../stores/app";

export async function copyText(text: string): Promise<boolean> {
    try {
        if (typeof navigator === "undefined" || !navigator.clipboard) throw new Error("this page has no clipboard access (a browser gives it only to pages on https, 127.0.0.1 or localhost)");
        await navigator.clipboard.writeText(text);
        return true;
    } catch (error) {
        useApp.getState().notify({ kind: "error", title: "Could not copy", text: `The clipboard refused the text: ${(error as Error).message.replace(/\.$/, "")}. Select the text and copy it by hand.` });
        return false;
    }
}
