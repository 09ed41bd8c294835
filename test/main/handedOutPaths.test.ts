/**
 * The desktop app reads a document by path only when main handed that path out (a file dropped on
 * the window, told by the preload): any other path a renderer sends is refused with
 * PathNotHandedOutError before anything is read, and a grant is good for one read.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppCore } from "../../main/core/AppCore";
import { HandedOutFiles } from "../../main/core/HandedOutFiles";
import { ForkTransport } from "../../engine/runtime/client/ForkTransport";

let dir: string;
let core: AppCore;
let doc: string;

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-handed-out-"));
    doc = path.join(dir, "notes.txt");
    fs.writeFileSync(doc, "The meeting is on Tuesday.");
    core = new AppCore({
        userDataDir: path.join(dir, "data"), modelDirs: [], engine: () => new ForkTransport(), engineHostKind: "child-process",
        transport: "electron", version: "t", maxDocumentBytes: 1 << 20, autoload: false,
    });
    await core.open();
}, 60_000);

afterAll(async () => {
    await core.close();
    fs.rmSync(dir, { recursive: true, force: true });
});

const ingest = (p: string) => core.call("documents.ingest", { source: { kind: "path", path: p } });

describe("path-based document ingest", () => {
    it("refuses a path main did not hand out, naming the error", async () => {
        await expect(ingest(doc)).rejects.toMatchObject({ name: "PathNotHandedOutError", message: expect.stringMatching(/“notes\.txt” was not dropped on the window/) });
        await expect(ingest("/etc/passwd")).rejects.toMatchObject({ name: "PathNotHandedOutError" });
        await expect(ingest(path.join(os.homedir(), ".ssh", "id_rsa"))).rejects.toMatchObject({ name: "PathNotHandedOutError" });
    });

    it("reads a handed-out path once; the same path again needs a new drop", async () => {
        core.handedOut.grant(path.join(dir, "sub", "..", "notes.txt"));
        const info = await ingest(doc);
        expect(info).toMatchObject({ name: "notes.txt", chars: 26 });
        expect(info.preview).toBe("The meeting is on Tuesday.");
        await expect(ingest(doc)).rejects.toMatchObject({ name: "PathNotHandedOutError" });
    });

    it("a grant that is not used in time ends", () => {
        const files = new HandedOutFiles(-1);
        files.grant(doc);
        expect(() => files.take(doc)).toThrow(/was not dropped on the window/);
        const fresh = new HandedOutFiles();
        fresh.grant(doc);
        expect(fresh.take(path.join(dir, ".", "notes.txt"))).toBe(doc);
    });
});
