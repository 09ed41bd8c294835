// Issue 18 before/after screenshots and the Regenerate-after-Compare first-token time.
// usage: node docs/issue18/shots.mjs ROOT PREFIX OUTDIR   (e.g. ROOT = a built `git archive` of the old commit, PREFIX before)
// ROOT: a built checkout (dist/), PREFIX: before|after
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
const require = createRequire(new URL("../../package.json", import.meta.url));
const { chromium } = require("playwright-core");
const WebSocket = require("ws");

const [root, prefix, outDir] = process.argv.slice(2);
fs.mkdirSync(outDir, { recursive: true });
const doc = JSON.parse(fs.readFileSync(new URL("../../test/e2e/support/planted-fact-4k.json", import.meta.url), "utf8"));
const docText = fs.readFileSync(new URL("../../test/e2e/support/planted-fact-4k.txt", import.meta.url), "utf8");
const userData = fs.mkdtempSync(path.join(os.tmpdir(), "rf-shots-"));
const env = { ...process.env, RECURFORMER_USER_DATA: userData };
delete env.RECURFORMER_MODELS_DIR;
const child = spawn(process.execPath, [path.join(root, "dist/main/serve/serve.js")], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
let log = "";
child.stdout.on("data", (d) => { log += d; });
child.stderr.on("data", (d) => { log += d; });
const url = await new Promise((resolve, reject) => {
    const t = setInterval(() => { const m = /open:\s+(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(log); if (m) { clearInterval(t); resolve(m[1]); } }, 100);
    child.on("exit", () => reject(new Error(log)));
});
const u = new URL(url);
const ws = new WebSocket(`${u.origin.replace("http", "ws")}/ws?token=${u.searchParams.get("token")}`, { headers: { origin: u.origin } });
await new Promise((r) => ws.once("open", r));
let id = 1; const waiting = new Map();
ws.on("message", (d) => { const m = JSON.parse(String(d)); if (m.event) return; const w = waiting.get(m.id); waiting.delete(m.id); m.error ? w.reject(new Error(m.error.message)) : w.resolve(m.result); });
const api = (method, params) => new Promise((resolve, reject) => { const i = id++; waiting.set(i, { resolve, reject }); ws.send(JSON.stringify({ id: i, method, params })); });

const profile = fs.mkdtempSync(path.join(os.tmpdir(), "rf-shots-chromium-"));
const context = await chromium.launchPersistentContext(profile, { executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"], headless: true, viewport: { width: 1440, height: 900 } });
const page = context.pages()[0] ?? await context.newPage();
page.on("pageerror", (e) => console.log("[page error]", e.message));
const shot = (name) => page.screenshot({ path: path.join(outDir, `${prefix}-${name}.png`) });
const drop = (name, content) => page.evaluate(([n, c]) => {
    const dt = new DataTransfer(); dt.items.add(new File([c], n, { type: "text/plain" }));
    const t = document.querySelector(".app");
    t.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    t.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
}, [name, content]);
const idle = () => page.waitForFunction(() => document.querySelectorAll("[data-testid=message-assistant]").length > 0 && !document.querySelector("[data-testid=message-assistant][data-status=streaming]") && document.querySelector("[data-testid=send]"), undefined, { timeout: 300_000 });

await page.goto(url);
await page.waitForSelector("[data-testid=engine-status][data-state=ready]", { timeout: 60_000 });
await page.waitForFunction(async () => true);
for (let i = 0; i < 600; i++) { const list = await api("models.list"); if (list.some((m) => m.kind === "recurformer" && m.status === "loaded")) break; await new Promise((r) => setTimeout(r, 200)); }
await page.click("[data-testid=new-chat]");
await page.waitForTimeout(800);
await shot("first-screen");

// a chat about the document with RecurFormer
await drop(doc.file, docText);
await page.waitForSelector("[data-testid=doc-card][data-status=ready]", { timeout: 120_000 });
await page.fill("[data-testid=composer-input]", doc.question);
await page.click("[data-testid=send]");
await page.waitForTimeout(500);
await idle();
const chatId = (await api("chats.list"))[0].id;
const first = (await api("chats.get", { chatId })).messages.at(-1);
console.log(`chat answer: ${JSON.stringify(first.content)} prompt tokens ${first.metrics?.promptTokens} first token ${first.metrics?.timeToFirstTokenMs} ms`);

// Compare: the document question, one after the other
await page.click("[data-testid=nav-compare]");
await drop(doc.file, docText);
await page.waitForSelector(`label.check:has-text("${doc.file}")`, { timeout: 60_000 });
await page.click("[data-testid=mode-sequential]");
await page.fill("[data-testid=compare-prompt]", doc.question);
await page.click("[data-testid=compare-run]");
await page.waitForTimeout(1000);
await page.waitForFunction(() => ["dense", "recurformer"].every((s) => ["done", "stopped", "error"].includes(document.querySelector(`[data-testid=compare-column-${s}]`)?.getAttribute("data-status") ?? "")), undefined, { timeout: 300_000 });
await page.waitForTimeout(3000);
await shot("compare");
// a short run: no document, a few tokens (the unlike ratios, the missing decode line)
await page.locator("label.check input").uncheck().catch(() => undefined);
await page.fill("[data-testid=compare-prompt]", "Hello! What can you do?");
await page.click("[data-testid=compare-run]");
await page.waitForTimeout(1000);
await page.waitForFunction(() => ["dense", "recurformer"].every((s) => ["done", "stopped", "error"].includes(document.querySelector(`[data-testid=compare-column-${s}]`)?.getAttribute("data-status") ?? "")), undefined, { timeout: 300_000 });
await page.waitForTimeout(3000);
await shot("compare-short");
await page.hover("[data-testid=chart-speed]");
await shot("compare-short-hover");

// back to the chat: Regenerate, the first token's time and what was read
await page.click("[data-testid=nav-chat]");
await page.click("[data-testid=chat-item] >> nth=0");
await page.waitForTimeout(500);
const t0 = Date.now();
await page.click("[data-testid=regenerate]");
await page.waitForTimeout(500);
await idle();
const regen = (await api("chats.get", { chatId })).messages.at(-1);
console.log(`REGENERATE AFTER COMPARE: first token ${regen.metrics?.timeToFirstTokenMs} ms, prompt tokens read ${regen.metrics?.promptTokens}, tokens in context ${regen.metrics?.tokensInContext}, answer ${JSON.stringify(regen.content)}, wall ${Date.now() - t0} ms`);
await shot("regenerate-after-compare");
await page.click("[data-testid=regenerate]");
await page.waitForTimeout(500);
await idle();
const regen2 = (await api("chats.get", { chatId })).messages.at(-1);
console.log(`second Regenerate: first token ${regen2.metrics?.timeToFirstTokenMs} ms, prompt tokens read ${regen2.metrics?.promptTokens}`);

await page.click("[data-testid=nav-projection]");
await page.waitForTimeout(1000);
await shot("projection");
await page.selectOption("[data-testid=projection-shape]", { label: "Qwen2-7B (real shape)" }).catch(() => undefined);
await page.waitForTimeout(500);
await shot("projection-qwen2");
await page.click("[data-testid=nav-models]");
await page.waitForTimeout(500);
await shot("models");

await context.close();
ws.close();
child.kill("SIGTERM");
