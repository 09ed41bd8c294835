/**
 * What the desktop window may do beyond showing the bundled renderer, as plain decisions that
 * main.ts wires into Electron: which links leave the app (http and https only, and only after the
 * user agrees in a dialog), and which permission requests are granted (writing to the clipboard,
 * for the Copy buttons, from the app's own page; nothing else).
 */

/** The URL a link may open in the user's browser, or undefined when it must not leave the app. */
export function externalUrl(raw: string): URL | undefined {
    let url: URL;
    try { url = new URL(raw); } catch { return undefined; }
    return url.protocol === "https:" || url.protocol === "http:" ? url : undefined;
}

/**
 * Opens `raw` with `open` after `ask` said yes; never for anything but http(s).
 * Returns what happened, for the caller to log or tell.
 */
export async function openExternalAfterAsking(
    raw: string,
    ask: (url: string) => Promise<boolean>,
    open: (url: string) => Promise<void>,
): Promise<"opened" | "declined" | "refused"> {
    const url = externalUrl(raw);
    if (!url) return "refused";
    if (!(await ask(url.href))) return "declined";
    await open(url.href);
    return "opened";
}

/** Permissions the app's own page gets: clipboard writes (Copy buttons). Everything else, and every other page, is denied. */
export function permissionAllowed(permission: string, requestingUrl: string | undefined, appPageUrl: string): boolean {
    return permission === "clipboard-sanitized-write" && requestingUrl !== undefined && samePage(requestingUrl, appPageUrl);
}

function samePage(a: string, b: string): boolean {
    try {
        const x = new URL(a);
        const y = new URL(b);
        return x.protocol === "file:" && x.protocol === y.protocol && x.pathname === y.pathname;
    } catch {
        return false;
    }
}
