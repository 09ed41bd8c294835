#!/usr/bin/env node
// `npm test`: every suite, real engine and real browser, in one command.
//   1. test fixtures (tiny random models + reference logits) when missing,
//   2. the Python pipeline's CPU tests (Debian's python3-torch),
//   3. vitest: unit, engine parity, bad GGUF files, runtime, UI stores, end-to-end in Chromium.
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {findTorchPython} from "./python.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const failures = [];

function step(name, cmd, args, env = {}) {
    process.stdout.write(`\n=== ${name}: ${cmd} ${args.join(" ")}\n`);
    const res = spawnSync(cmd, args, {cwd: root, stdio: "inherit", env: {...process.env, ...env}});
    if (res.status !== 0) failures.push(`${name} (exit ${res.status})`);
    return res.status === 0;
}

if (!fs.existsSync(path.join(root, "test", "fixtures", "models")))
    step("fixtures", "npm", ["run", "fixtures"]);

const python = findTorchPython();
if (python)
    step("pipeline (python)", python, ["-m", "unittest", "discover", "-s", "engine/pipeline/tests", "-t", "."]);
else
    failures.push("pipeline (python): no python3 with torch found; install Debian's python3-torch");

step("vitest", "npx", ["--no", "vitest", "run", ...process.argv.slice(2)]);

if (failures.length > 0) {
    process.stdout.write(`\nFAILED: ${failures.join(", ")}\n`);
    process.exit(1);
}
process.stdout.write("\nall test suites passed\n");
