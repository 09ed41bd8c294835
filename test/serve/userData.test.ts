/**
 * The user-data folder at start, with real processes: one app per folder (a second serve mode,
 * or serve mode while the desktop app holds it, is refused with a clear message and writes
 * nothing); a lock left by a killed process is taken over; temp files of interrupted writes and
 * uploads of a previous run are removed; damaged models.json and baselines.json are set aside and
 * the app starts and says so.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { apiSocket, call, root, spawnServe, type ServeProcess } from "./support/serveProcess";

const running: ServeProcess[] = [];
const folders: string[] = [];
afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    for (const d of folders.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function folder(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-userdata-"));
    folders.push(dir);
    return dir;
}

function serve(dir: string): ServeProcess {
    const p = spawnServe(dir);
    running.push(p);
    return p;
}

/** every file and folder under `dir` with its size and modification time */
function snapshot(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
        for (const name of fs.readdirSync(d).sort()) {
            const full = path.join(d, name);
            const st = fs.statSync(full);
            out.push(`${path.relative(dir, full)} ${st.size} ${st.mtimeMs}`);
            if (st.isDirectory()) walk(full);
        }
    };
    out.push(`. ${fs.statSync(dir).mtimeMs}`);
    walk(dir);
    return out;
}

/** Another process that claims the folder the way the desktop app does (main/electron/main.ts calls the same function). */
async function holder(dir: string, kind: string): Promise<{ pid: number; kill(): Promise<void> }> {
    const lockModule = path.join(root, "dist", "main", "core", "userDataLock.js");
    const child = spawn(process.execPath, ["-e", `import(${JSON.stringify(lockModule)}).then((m) => m.claimUserData(${JSON.stringify(dir)}, ${JSON.stringify(kind)})).then(() => { console.log("claimed"); setInterval(() => {}, 1000); })`], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (d) => { if (String(d).includes("claimed")) resolve(); });
        child.once("exit", (code) => reject(new Error(`holder exited ${code}`)));
    });
    return {
        pid: child.pid!,
        kill: () => new Promise<void>((resolve) => { child.once("exit", () => resolve()); child.kill("SIGKILL"); }),
    };
}

describe("one app per user-data folder", () => {
    it("a second serve mode on the same folder is refused with a clear message, writes nothing, and the first keeps its chats", async () => {
        const dir = folder();
        const first = serve(dir);
        const { origin, token } = await first.ready;
        const ws = await apiSocket(origin, token);
        const chat = await call<{ id: string }>(ws, 1, "chats.create");
        await call(ws, 2, "chats.rename", { chatId: chat.id, title: "Mine" });
        const before = snapshot(dir);
        const second = serve(dir);
        const code = await second.exited;
        expect(code).toBe(1);
        expect(second.log()).toMatch(new RegExp(`The user data folder .* is in use by another RecurFormer Desktop process \\(serve mode, pid ${first.child.pid},`));
        expect(second.log()).toMatch(/close that one first, or start this one with RECURFORMER_USER_DATA set to another folder\. Nothing was written\./);
        expect(second.log()).not.toMatch(/at .*\.js:\d+/); // a message, not a stack trace
        expect(snapshot(dir)).toEqual(before);
        expect(first.alive()).toBe(true);
        expect((await call<{ title: string }>(ws, 3, "chats.get", { chatId: chat.id })).title).toBe("Mine");
        ws.close();
        // stopped cleanly, the first gives the folder back
        await first.stop();
        expect(fs.existsSync(path.join(dir, "app.lock"))).toBe(false);
        const third = serve(dir);
        await third.ready;
    }, 90_000);

    it("three started at the same moment on a fresh folder: exactly one runs", async () => {
        const dir = folder();
        const trio = [serve(dir), serve(dir), serve(dir)];
        const outcomes = await Promise.all(trio.map((p) => Promise.race([p.ready.then(() => "runs"), p.exited.then((code) => `exited ${code}`)])));
        expect([...outcomes].sort()).toEqual(["exited 1", "exited 1", "runs"]);
        const winner = trio[outcomes.indexOf("runs")]!;
        expect(winner.alive()).toBe(true);
        expect(JSON.parse(fs.readFileSync(path.join(dir, "app.lock"), "utf8")).pid).toBe(winner.child.pid);
    }, 60_000);

    it("three started at the same moment on a folder with a stale lock: exactly one takes it over", async () => {
        const dir = folder();
        const dead = await holder(dir, "serve mode");
        await dead.kill();
        const trio = [serve(dir), serve(dir), serve(dir)];
        const outcomes = await Promise.all(trio.map((p) => Promise.race([p.ready.then(() => "runs"), p.exited.then((code) => `exited ${code}`)])));
        expect([...outcomes].sort()).toEqual(["exited 1", "exited 1", "runs"]);
        expect(JSON.parse(fs.readFileSync(path.join(dir, "app.lock"), "utf8")).pid).toBe(trio[outcomes.indexOf("runs")]!.child.pid);
        expect(fs.readdirSync(dir).filter((n) => n.startsWith("app.lock."))).toEqual([]);
    }, 60_000);

    it("serve mode is refused while the desktop app holds the folder", async () => {
        const dir = folder();
        const app = await holder(dir, "desktop app");
        try {
            const p = serve(dir);
            expect(await p.exited).toBe(1);
            expect(p.log()).toMatch(new RegExp(`in use by another RecurFormer Desktop process \\(desktop app, pid ${app.pid},`));
        } finally {
            await app.kill();
        }
    }, 60_000);

    it("a lock left by a killed process is taken over; temp files of interrupted writes and old uploads are removed at start", async () => {
        const dir = folder();
        const dead = await holder(dir, "serve mode");
        await dead.kill();
        expect(JSON.parse(fs.readFileSync(path.join(dir, "app.lock"), "utf8")).pid).toBe(dead.pid);
        for (const d of ["chats", "documents", "uploads"]) fs.mkdirSync(path.join(dir, d), { recursive: true });
        const temps = [".models.json.4242.0123abcd.tmp", "chats/.chat-x.json.17.deadbeef.tmp", "documents/.doc-1.txt.5.cafebabe.tmp", "chats/.chat-y.json.99.00ff00ff.tmp"];
        for (const t of temps) fs.writeFileSync(path.join(dir, t), "half a write");
        fs.writeFileSync(path.join(dir, "uploads", "doc-leftover"), "uploaded, never read");
        fs.writeFileSync(path.join(dir, "chats", ".keep"), "not a temp file");
        fs.writeFileSync(path.join(dir, `app.lock.${dead.pid}.0badc0de.claim`), "a claim its process never finished");
        const p = serve(dir);
        await p.ready;
        expect(p.log()).toMatch(new RegExp(`its lock was left by pid ${dead.pid}, which is gone: taken over`));
        expect(p.log()).toMatch(/cleaned: +5 temporary file\(s\) left by an interrupted write/);
        expect(fs.readdirSync(dir).filter((n) => n.startsWith("app.lock."))).toEqual([]);
        expect(JSON.parse(fs.readFileSync(path.join(dir, "app.lock"), "utf8"))).toMatchObject({ pid: p.child.pid, kind: "serve mode" });
        for (const t of temps) expect(fs.existsSync(path.join(dir, t))).toBe(false);
        expect(fs.readdirSync(path.join(dir, "uploads"))).toEqual([]);
        expect(fs.existsSync(path.join(dir, "chats", ".keep"))).toBe(true);
    }, 60_000);
});

describe("damaged files at start, in the running app", () => {
    it("a corrupt models.json and baselines.json are set aside; the app starts, prints it and app.info().notices says so", async () => {
        const dir = folder();
        fs.writeFileSync(path.join(dir, "models.json"), "{\"userModels\": [");
        fs.writeFileSync(path.join(dir, "baselines.json"), "[{\"denseModelId\": 1},");
        fs.writeFileSync(path.join(dir, "models.json.damaged"), "an older damaged copy");
        const p = serve(dir);
        const { origin, token } = await p.ready;
        const ws = await apiSocket(origin, token);
        const info = await call<{ notices: string[] }>(ws, 1, "app.info");
        expect(info.notices).toHaveLength(2);
        expect(info.notices.join("\n")).toMatch(/The model list \(models\.json\) was damaged: it is not valid JSON.*set aside as models\.json\.damaged-2/);
        expect(info.notices.join("\n")).toMatch(/The dense baselines file \(baselines\.json\) was damaged: it is not valid JSON.*set aside as baselines\.json\.damaged/);
        expect(await call(ws, 2, "baselines.list")).toEqual([]);
        expect(await call(ws, 3, "models.list")).toEqual([]);
        ws.close();
        expect(p.log()).toMatch(/notice: +The model list/);
        expect(fs.readFileSync(path.join(dir, "models.json.damaged"), "utf8")).toBe("an older damaged copy");
        expect(fs.readFileSync(path.join(dir, "models.json.damaged-2"), "utf8")).toBe("{\"userModels\": [");
        expect(fs.readFileSync(path.join(dir, "baselines.json.damaged"), "utf8")).toBe("[{\"denseModelId\": 1},");
    }, 60_000);
});
