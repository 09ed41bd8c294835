#!/usr/bin/env node
// `npm start`: the desktop app. Electron's binary is downloaded by electron's own install
// script; where that was skipped (ELECTRON_SKIP_BINARY_DOWNLOAD=1, or no network), say so
// plainly, say how to get it, and point at `npm run serve`, the same app in a browser.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(root, "package.json"));

function electronBinary() {
    let pkgDir;
    try {
        pkgDir = path.dirname(require.resolve("electron/package.json"));
    } catch {
        return { missing: "the `electron` npm package is not installed (node_modules/electron)" };
    }
    const pathFile = path.join(pkgDir, "path.txt");
    if (!fs.existsSync(pathFile)) {
        return { missing: `Electron's binary was never downloaded (${path.relative(root, pathFile)} is missing; the install ran with ELECTRON_SKIP_BINARY_DOWNLOAD=1 or without network)` };
    }
    const binary = path.join(pkgDir, "dist", fs.readFileSync(pathFile, "utf8").trim());
    if (!fs.existsSync(binary)) return { missing: `Electron's binary is missing (${binary})` };
    return { binary };
}

const found = electronBinary();
if (found.missing) {
    process.stderr.write(
        `\nCannot start the desktop app: ${found.missing}.\n\n` +
        `To get it, on a machine that can reach Electron's download server:\n` +
        `    node node_modules/electron/install.js        (or: npm rebuild electron)\n` +
        `or reinstall without the skip flag:\n` +
        `    unset ELECTRON_SKIP_BINARY_DOWNLOAD && npm install\n` +
        `(behind a mirror, set ELECTRON_MIRROR; see https://www.electronjs.org/docs/latest/tutorial/installation).\n\n` +
        `Meanwhile, the same app runs in a browser:\n` +
        `    npm run serve      then open the printed http://127.0.0.1:…/?token=… URL\n\n`,
    );
    process.exit(1);
}

if (!fs.existsSync(path.join(root, "dist", "main", "electron", "main.js")) || !fs.existsSync(path.join(root, "dist", "renderer", "index.html"))) {
    process.stdout.write("Building the app first (npm run build)…\n");
    const built = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
    if (built.status !== 0) process.exit(built.status ?? 1);
}

const env = { ...process.env };
delete env.ELECTRON_RUN_AS_NODE;
const child = spawn(found.binary, [root, ...process.argv.slice(2)], { cwd: root, stdio: "inherit", env });
child.on("exit", (code, signal) => process.exit(signal ? 1 : code ?? 0));
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
