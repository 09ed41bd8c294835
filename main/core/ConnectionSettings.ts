/**
 * What Settings chose about connections, in the user-data folder: `connections.json` (the API
 * server on or off and its port; the remote engine's URL and whether the app uses it) and, apart,
 * the two secrets in files only the user can read (0600): `api-key` (made once at random, the key
 * of the API server the app starts) and `engine-token` (the remote engine's token, never sent
 * back to the UI in full).
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { readJsonOrSetAside, setAsideMessage, writeFileAtomic } from "./atomicFile.js";

/** the port `recurformer api` also listens on by default */
export const DEFAULT_API_PORT = 8089;

interface Stored {
    apiServer: { enabled: boolean; port: number };
    remoteEngine?: { url: string; connected: boolean };
}

const isStored = (value: unknown): boolean => {
    const v = value as Partial<Stored> | null;
    return typeof v === "object" && v !== null && typeof v.apiServer?.enabled === "boolean" && Number.isInteger(v.apiServer?.port)
        && (v.remoteEngine === undefined || (typeof v.remoteEngine.url === "string" && typeof v.remoteEngine.connected === "boolean"));
};

export class ConnectionSettings {
    private stored: Stored = { apiServer: { enabled: false, port: DEFAULT_API_PORT } };
    private key = "";
    private token?: string;
    /** connections.json set aside at start (damaged content), for `info().notices` */
    readonly notices: string[] = [];
    private readonly file: string;

    constructor(private readonly dir: string) {
        this.file = path.join(dir, "connections.json");
    }

    async open(): Promise<void> {
        this.stored = await readJsonOrSetAside<Stored>(this.file, this.stored, isStored,
            (n) => this.notices.push(setAsideMessage(n, "The connection settings")));
        this.key = (await readSecret(path.join(this.dir, "api-key"))) ?? "";
        if (!this.key) {
            this.key = `rf-${randomBytes(24).toString("base64url")}`;
            await writeFileAtomic(path.join(this.dir, "api-key"), this.key);
        }
        this.token = await readSecret(path.join(this.dir, "engine-token"));
    }

    get apiServer(): Readonly<Stored["apiServer"]> {
        return this.stored.apiServer;
    }

    get apiKey(): string {
        return this.key;
    }

    /** the remote engine last chosen in Settings, with its token when one is stored */
    get remoteEngine(): { url: string; connected: boolean; token?: string } | undefined {
        return this.stored.remoteEngine ? { ...this.stored.remoteEngine, token: this.token } : undefined;
    }

    setApiServer(change: Partial<Stored["apiServer"]>): Promise<void> {
        this.stored = { ...this.stored, apiServer: { ...this.stored.apiServer, ...change } };
        return this.save();
    }

    /** Remembers the remote engine (and its token, when given) and whether the app uses it. */
    async setRemoteEngine(url: string, connected: boolean, token?: string): Promise<void> {
        if (token !== undefined && token !== (this.token ?? "")) {
            await writeFileAtomic(path.join(this.dir, "engine-token"), token);
            this.token = token || undefined;
        }
        this.stored = { ...this.stored, remoteEngine: { url, connected } };
        await this.save();
    }

    private save(): Promise<void> {
        return writeFileAtomic(this.file, JSON.stringify(this.stored, null, 2));
    }
}

/** A secret's text, or undefined when the file is missing or empty. */
async function readSecret(file: string): Promise<string | undefined> {
    try {
        return (await fs.readFile(file, "utf8")).trim() || undefined;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
    }
}

/** How a token is shown back: its last four characters when it is long enough to keep the rest secret, else dots. */
export function tokenHint(token: string): string {
    return token.length >= 16 ? `••••${token.slice(-4)}` : "••••";
}
