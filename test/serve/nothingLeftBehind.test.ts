/**
 * Nothing left behind, with a real serve process: a deleted chat takes the saved text of the
 * documents only it used; a serve process killed (SIGKILL) in the middle of writes leaves valid
 * files, loses no acknowledged write, and the next start takes its lock over and removes the
 * temp files the kill left.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { apiSocket, call, request, root, spawnServe, type ServeProcess } from "./support/serveProcess";

const running: ServeProcess[] = [];
const folders: string[] = [];
afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    for (const d of folders.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function folder(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-leftovers-"));
    folders.push(dir);
    return dir;
}

function serve(dir: string, env: Record<string, string> = {}): ServeProcess {
    const p = spawnServe(dir, env);
    running.push(p);
    return p;
}

describe("a deleted chat's documents", () => {
    it("the saved text goes with the last chat that used it", async () => {
        const dir = folder();
        // the default pair: a chat needs a model to take a message (its answer is not what this test is about)
        const p = serve(dir, { RECURFORMER_MODELS_DIR: path.join(root, "assets", "models") });
        const { origin, port, token } = await p.ready;
        const ws = await apiSocket(origin, token);
        for (let i = 0; !(await call<{ shape?: unknown }[]>(ws, 0, "models.list")).some((m) => m.shape); i++) {
            if (i > 300) throw new Error("no model was inspected in 60 s");
            await new Promise((r) => setTimeout(r, 200));
        }
        const upload = async (name: string, text: string) => {
            const res = await request(port, { path: `/upload?name=${name}&token=${token}`, method: "POST", body: Buffer.from(text) });
            expect(res.status).toBe(200);
            const { uploadId } = JSON.parse(res.body);
            return (await call<{ id: string }>(ws, 1, "documents.ingest", { source: { kind: "upload", uploadId, name } })).id;
        };
        const shared = await upload("shared.txt", "Used by two chats.");
        const own = await upload("own.txt", "Used by one chat.");
        const a = await call<{ id: string }>(ws, 2, "chats.create");
        const b = await call<{ id: string }>(ws, 3, "chats.create");
        await call(ws, 4, "chats.send", { chatId: a.id, text: "Read these.", documentIds: [shared, own] });
        await call(ws, 5, "chats.send", { chatId: b.id, text: "Read this.", documentIds: [shared] });
        const saved = (id: string) => fs.existsSync(path.join(dir, "documents", `${id}.txt`));
        expect([saved(shared), saved(own)]).toEqual([true, true]);
        await call(ws, 8, "chats.stop", { chatId: a.id });
        await call(ws, 9, "chats.stop", { chatId: b.id });
        await call(ws, 6, "chats.delete", { chatId: a.id });
        expect([saved(shared), saved(own)]).toEqual([true, false]);
        await call(ws, 7, "chats.delete", { chatId: b.id });
        expect([saved(shared), saved(own)]).toEqual([false, false]);
        expect(fs.readdirSync(path.join(dir, "documents"))).toEqual([]);
        expect(fs.readdirSync(path.join(dir, "uploads"))).toEqual([]);
        ws.close();
    }, 60_000);
});

describe("killed in the middle of writes", () => {
    it("five SIGKILLs under renames: every file valid, every acknowledged write kept, lock taken over, temp files removed", async () => {
        const dir = folder();
        /** per chat, the newest acknowledged rename (titles carry their request number, which only grows) */
        const acknowledged = new Map<string, number>();
        const sentTitles = new Set<string>();
        const numberOf = (title: string) => Number(/write (\d+)$/.exec(title)?.[1] ?? -1);
        const stillThere = async (ws: import("ws").WebSocket) => {
            for (const [chatId, n] of acknowledged) {
                const title = (await call<{ title: string }>(ws, 1, "chats.get", { chatId })).title;
                // what is on disk is the acknowledged write or a newer one that was sent, never older
                expect(numberOf(title)).toBeGreaterThanOrEqual(n);
                if (n >= 0) expect(sentTitles.has(title)).toBe(true);
            }
        };
        let writes = 0;
        let nextRequest = 100;
        let leftByKills = 0;
        const temps = () => [dir, path.join(dir, "chats")].flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d) : []).filter((n) => n.endsWith(".tmp")));
        for (let round = 0; round < 5; round++) {
            const p = serve(dir);
            const { origin, token } = await p.ready;
            expect(temps()).toEqual([]);
            const ws = await apiSocket(origin, token);
            // what was acknowledged before the last kill is all there
            await stillThere(ws);
            if (acknowledged.size === 0) {
                for (let i = 0; i < 4; i++) acknowledged.set((await call<{ id: string }>(ws, 2, "chats.create")).id, -1);
            }
            // many renames in flight; the process is killed while they are being written
            const ids = [...acknowledged.keys()];
            const inFlight = new Map<number, string>();
            ws.on("message", (data) => {
                const m = JSON.parse(String(data));
                const chatId = inFlight.get(m.id);
                if (chatId && m.result) acknowledged.set(chatId, Math.max(acknowledged.get(chatId)!, m.id));
            });
            const fire = setInterval(() => {
                for (const chatId of ids) {
                    const n = nextRequest++;
                    const title = `round ${round} write ${n}`;
                    sentTitles.add(title);
                    inFlight.set(n, chatId);
                    ws.send(JSON.stringify({ id: n, method: "chats.rename", params: { chatId, title } }));
                }
                writes += ids.length;
            }, 2);
            await new Promise((r) => setTimeout(r, 400 + round * 97));
            p.child.kill("SIGKILL");
            await p.exited;
            clearInterval(fire);
            leftByKills += temps().length;
            for (const name of fs.readdirSync(path.join(dir, "chats"))) {
                if (name.endsWith(".json")) expect(() => JSON.parse(fs.readFileSync(path.join(dir, "chats", name), "utf8"))).not.toThrow();
            }
        }
        const last = serve(dir);
        await last.ready;
        const ws = await apiSocket((await last.ready).origin, (await last.ready).token);
        await stillThere(ws);
        ws.close();
        expect(temps()).toEqual([]);
        expect(fs.readdirSync(dir).filter((n) => n.endsWith(".damaged"))).toEqual([]);
        process.stdout.write(`\nkilled 5 times under ${writes} rename calls: ${acknowledged.size} chats, every acknowledged title kept, ${leftByKills} temp files left by the kills, 0 after each next start\n`);
    }, 120_000);
});
