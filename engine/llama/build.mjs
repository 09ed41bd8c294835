#!/usr/bin/env node
// Builds the RecurFormer-patched llama.cpp that the engine loads, offline:
//   1. clone the llama.cpp source bundled inside the node-llama-cpp package (no network),
//   2. copy recurformer.cpp into src/models/ and apply registration.patch,
//   3. build it with node-llama-cpp's own build command (CPU here; CUDA/Metal/Vulkan where found),
//   4. write a stamp, so an unchanged patch and llama.cpp version are not rebuilt.
// Usage: node engine/llama/build.mjs [--force]     env: RECURFORMER_GPU=auto|false|cuda|vulkan|metal
import {spawnSync} from "node:child_process";
import {createHash} from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const nlcDir = path.join(root, "node_modules", "node-llama-cpp");
const llamaDir = path.join(nlcDir, "llama");
const srcDir = path.join(llamaDir, "llama.cpp");
const stampFile = path.join(llamaDir, "recurformer-build.json");
const patchFile = path.join(here, "registration.patch");
const modelFile = path.join(here, "recurformer.cpp");
/** llama.cpp files the registration patch edits (node-llama-cpp's own patches touch none of them) */
const patchedFiles = ["src/llama-arch.h", "src/llama-arch.cpp", "src/llama-model.cpp", "src/models/models.h"];

class BuildError extends Error {}

function log(message) {
    process.stdout.write(`[engine] ${message}\n`);
}

function run(cmd, args, opts = {}) {
    const res = spawnSync(cmd, args, {cwd: root, stdio: "inherit", ...opts});
    if (res.status !== 0)
        throw new BuildError(`'${cmd} ${args.join(" ")}' failed with exit code ${res.status}`);
}

function git(args, opts = {}) {
    return spawnSync("git", args, {cwd: srcDir, encoding: "utf8", ...opts});
}

/** GPU backend to build: RECURFORMER_GPU, else what this machine clearly has, else CPU. */
function chooseGpu() {
    const asked = process.env.RECURFORMER_GPU;
    if (asked) return asked;
    if (process.platform === "darwin") return "metal";
    const smi = spawnSync("nvidia-smi", ["-L"], {encoding: "utf8"});
    if (smi.status === 0 && /GPU \d/.test(smi.stdout)) return "cuda";
    return "false";
}

function stampOf(gpu) {
    const info = JSON.parse(fs.readFileSync(path.join(llamaDir, "llama.cpp.info.json"), "utf8"));
    const nlcVersion = JSON.parse(fs.readFileSync(path.join(nlcDir, "package.json"), "utf8")).version;
    const hash = createHash("sha256")
        .update(fs.readFileSync(modelFile))
        .update(fs.readFileSync(patchFile))
        .digest("hex");
    return {llamaCpp: info.tag, nodeLlamaCpp: nlcVersion, patch: hash, gpu, platform: `${process.platform}-${process.arch}`};
}

function builtBinaryExists() {
    const dir = path.join(llamaDir, "localBuilds");
    if (!fs.existsSync(dir)) return false;
    return fs.readdirSync(dir, {recursive: true}).some((f) => String(f).endsWith("llama-addon.node"));
}

function ensureSource() {
    if (fs.existsSync(path.join(srcDir, "src", "llama-model.cpp"))) return;
    log("cloning the llama.cpp source bundled in node-llama-cpp (offline)");
    run("npx", ["--no", "node-llama-cpp", "source", "download", "--gpu", "false", "--skipBuild", "--noUsageExample"]);
    if (!fs.existsSync(path.join(srcDir, "src", "llama-model.cpp")))
        throw new BuildError(`node-llama-cpp did not produce the llama.cpp source in ${srcDir}`);
}

/** Resets the files we patch, then applies recurformer.cpp and registration.patch; names the hunk that fails. */
function applyPatch() {
    git(["checkout", "--", ...patchedFiles]);
    fs.copyFileSync(modelFile, path.join(srcDir, "src", "models", "recurformer.cpp"));
    const check = git(["apply", "--check", "--verbose", patchFile]);
    if (check.status !== 0) {
        const failed = (check.stderr.match(/error: patch failed: ([^\n]+)/g) ?? []).join("\n  ");
        throw new BuildError(
            `engine/llama/registration.patch no longer applies to this llama.cpp:\n  ${failed || check.stderr.trim()}\n` +
            "Update the hunks named above against the new source (see engine/llama/README.md), then run `npm run build:engine`.");
    }
    const applied = git(["apply", patchFile]);
    if (applied.status !== 0) throw new BuildError(`git apply failed: ${applied.stderr}`);
    log(`applied registration.patch (${patchedFiles.length} files) and src/models/recurformer.cpp`);
}

function main() {
    const force = process.argv.includes("--force");
    if (!fs.existsSync(nlcDir))
        throw new BuildError("node-llama-cpp is not installed: run `npm install` first.");

    ensureSource();
    const gpu = chooseGpu();
    const stamp = stampOf(gpu);
    const previous = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, "utf8") : "";
    if (!force && previous === JSON.stringify(stamp) && builtBinaryExists()) {
        log(`up to date (llama.cpp ${stamp.llamaCpp}, patch ${stamp.patch.slice(0, 12)}, gpu ${gpu}); nothing to build`);
        return;
    }

    applyPatch();
    log(`building llama.cpp ${stamp.llamaCpp} with the recurformer architecture (gpu: ${gpu}, ${os.cpus().length} cores); this takes a few minutes`);
    const started = Date.now();
    run("npx", ["--no", "node-llama-cpp", "source", "build", "--gpu", gpu, "--noUsageExample"], {
        env: {...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: "true"}
    });
    if (!builtBinaryExists())
        throw new BuildError("the build finished but no llama-addon.node was found under node_modules/node-llama-cpp/llama/localBuilds");
    fs.writeFileSync(stampFile, JSON.stringify(stamp));
    log(`built in ${Math.round((Date.now() - started) / 1000)} s`);
}

try {
    main();
} catch (err) {
    process.stderr.write(`\n[engine] build failed: ${err instanceof BuildError ? err.message : err?.stack ?? err}\n`);
    process.exit(1);
}
