/** Serve mode's upload folder: an upload nobody reads is deleted after its time, and all are deleted when the server closes. */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { UploadFolder } from "../../main/serve/uploads";

let dir: string;
let server: http.Server | undefined;
afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    fs.rmSync(dir, { recursive: true, force: true });
});

async function serveFolder(folder: UploadFolder): Promise<(body: string) => Promise<string>> {
    server = http.createServer((req, res) => void folder.receive(req, "a.txt").then((r) => res.end(r.uploadId), (e) => { res.statusCode = 500; res.end(String(e)); }));
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as AddressInfo).port;
    return (body) => new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, method: "POST" }, (res) => { let t = ""; res.on("data", (d) => { t += d; }); res.on("end", () => resolve(t)); });
        req.on("error", reject);
        req.end(body);
    });
}

describe("upload folder", () => {
    it("deletes an upload never ingested after its time, and leaves the core's record consistent", async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-uploads-"));
        const known = new Map<string, string>();
        const folder = new UploadFolder(dir, () => 1000, { register: (id, file) => known.set(id, file), forget: (id) => known.delete(id) }, 150);
        const post = await serveFolder(folder);
        const unread = await post("never read");
        const read = await post("read at once");
        expect(fs.readdirSync(dir).sort()).toEqual([read, unread].sort());
        // the core reads one: it takes it off its list and deletes the file itself
        known.delete(read);
        fs.rmSync(path.join(dir, read));
        await new Promise((r) => setTimeout(r, 400));
        expect(fs.readdirSync(dir)).toEqual([]);
        expect([...known.keys()]).toEqual([]);
    });

    it("deletes every upload not read yet when the server closes, and clears a previous run's at start", async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-uploads-"));
        fs.writeFileSync(path.join(dir, "doc-from-last-run"), "x");
        const known = new Map<string, string>();
        const folder = new UploadFolder(dir, () => 1000, { register: (id, file) => known.set(id, file), forget: (id) => known.delete(id) });
        expect(await folder.clearLeftovers()).toBe(1);
        const post = await serveFolder(folder);
        await post("one");
        await post("two");
        expect(fs.readdirSync(dir)).toHaveLength(2);
        await folder.close();
        expect(fs.readdirSync(dir)).toEqual([]);
        expect(known.size).toBe(0);
    });
});
