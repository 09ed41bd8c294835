/**
 * Paths the main process handed out: files the user dropped on the window (the preload turns a
 * dropped File into its path with `webUtils.getPathForFile`, which gives no path for a File a
 * script made, and tells main) or picked in a dialog. Path-based document ingest reads only
 * these, each once, within `ttlMs`; any other path from the renderer is refused with
 * `PathNotHandedOutError`, so a compromised page cannot make the app read ~/.ssh/id_rsa.
 */
import path from "node:path";

export class PathNotHandedOutError extends Error {
    override name = "PathNotHandedOutError";
}

export class HandedOutFiles {
    /** resolved path -> when its grant ends */
    private readonly granted = new Map<string, number>();

    constructor(private readonly ttlMs = 10 * 60_000) {}

    grant(file: string): void {
        const now = Date.now();
        for (const [p, until] of this.granted) if (until < now) this.granted.delete(p);
        this.granted.set(path.resolve(file), now + this.ttlMs);
    }

    /** The resolved path, if it was handed out (and not used or expired yet); the grant is used up. */
    take(file: string): string {
        const resolved = path.resolve(file);
        const until = this.granted.get(resolved);
        this.granted.delete(resolved);
        if (until === undefined || until < Date.now()) {
            throw new PathNotHandedOutError(`“${path.basename(file)}” was not dropped on the window or picked in a dialog in this session, so the app does not read it. Drop the file on the window.`);
        }
        return resolved;
    }
}
