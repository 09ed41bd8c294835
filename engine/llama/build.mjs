#!/usr/bin/env node
// Builds the RecurFormer-patched llama.cpp that the engine loads, offline:
//   1. clone the llama.cpp source bundled inside the node-llama-cpp package (no network),
//   2. copy our source files (the model files recurformer.cpp, based.cpp into src/models/, PyramidInfer's memory
//      llama-memory-pyramid.* into src/) and apply every engine/llama/*.patch in name order,
//   3. build it with node-llama-cpp's own build command (CPU here; CUDA/Metal/Vulkan where found),
//      as the portable flavour: no -march=native, one CPU library per instruction-set level, the
//      best one picked at run time (flavours.json),
//   4. write a stamp per flavour, so an unchanged patch, llama.cpp version and flavour are not rebuilt.
// Usage: node engine/llama/build.mjs [--force] [--flavour portable|native] [--prune]
//   --flavour native: tuned to this CPU, for the bench comparison only (never packaged)
//   --prune: delete every local build but the portable one (run before packaging)
// env: RECURFORMER_GPU=auto|false|cuda|vulkan|metal
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
const localBuildsDir = path.join(llamaDir, "localBuilds");
/** our source files and where they go in the llama.cpp tree: the model files, PyramidInfer's memory (retention.patch) */
const sourceFiles = [["recurformer.cpp", "src/models"], ["based.cpp", "src/models"],
    ["llama-memory-pyramid.h", "src"], ["llama-memory-pyramid.cpp", "src"]].map(([f, dir]) => ({file: path.join(here, f), dir}));
const flavours = JSON.parse(fs.readFileSync(path.join(here, "flavours.json"), "utf8"));
/** our patches, applied in name order (registration, then the portable-build and GPU ones) */
const patchFiles = fs.readdirSync(here).filter((f) => f.endsWith(".patch")).sort().map((f) => path.join(here, f));

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

/** The CMake options of a flavour on this platform (node-llama-cpp takes them as NODE_LLAMA_CPP_CMAKE_OPTION_*). */
function cmakeOptionsOf(flavour) {
    const spec = flavours[flavour];
    if (!spec) throw new BuildError(`unknown flavour '${flavour}' (flavours.json has: ${Object.keys(flavours).filter((k) => k !== "//").join(", ")})`);
    const options = {...spec.common};
    const variants = spec.cpuVariants?.[process.arch === "x64" ? "x64" : `${process.arch}-${process.platform}`];
    if (spec.common.GGML_CPU_ALL_VARIANTS === "ON" && !variants) {
        // no chosen set for this CPU family: one library for its baseline ISA, still never -march=native
        delete options.GGML_CPU_ALL_VARIANTS;
    } else if (variants) {
        options.GGML_CPU_VARIANTS = variants;
    }
    return options;
}

function stampOf(gpu, flavour) {
    const info = JSON.parse(fs.readFileSync(path.join(llamaDir, "llama.cpp.info.json"), "utf8"));
    const nlcVersion = JSON.parse(fs.readFileSync(path.join(nlcDir, "package.json"), "utf8")).version;
    const hash = createHash("sha256");
    for (const {file} of sourceFiles) hash.update(fs.readFileSync(file));
    for (const file of patchFiles) hash.update(fs.readFileSync(file));
    return {
        llamaCpp: info.tag, nodeLlamaCpp: nlcVersion, patch: hash.digest("hex"), gpu,
        platform: `${process.platform}-${process.arch}`, flavour, cmakeOptions: cmakeOptionsOf(flavour)
    };
}

/** The stamp of a flavour's build: what it was built from and with which CMake options (the runtime reads it). */
function stampFileOf(flavour) {
    return path.join(llamaDir, `recurformer-build-${flavour}.json`);
}

/** The build folders node-llama-cpp made (one per set of CMake options), each holding llama-addon.node. */
function buildFolders() {
    if (!fs.existsSync(localBuildsDir)) return [];
    return fs.readdirSync(localBuildsDir).filter((name) =>
        fs.readdirSync(path.join(localBuildsDir, name), {recursive: true}).some((f) => String(f).endsWith("llama-addon.node")));
}

/** Records which folder a build went to: the one that did not exist before, else the newest. */
function folderOfBuild(before) {
    const after = buildFolders();
    const fresh = after.filter((f) => !before.includes(f));
    const pick = (fresh.length > 0 ? fresh : after)
        .map((f) => ({f, t: fs.statSync(path.join(localBuildsDir, f)).mtimeMs}))
        .sort((a, b) => b.t - a.t)[0];
    return pick?.f;
}

function prune() {
    const keep = fs.existsSync(stampFileOf("portable")) ? JSON.parse(fs.readFileSync(stampFileOf("portable"), "utf8")).folder : undefined;
    if (!keep) throw new BuildError("no portable build to keep: run `npm run build:engine` first");
    for (const folder of fs.readdirSync(localBuildsDir)) {
        if (folder === keep) continue;
        fs.rmSync(path.join(localBuildsDir, folder), {recursive: true, force: true});
        log(`pruned ${folder}`);
    }
    fs.rmSync(stampFileOf("native"), {force: true});
}

function ensureSource() {
    if (fs.existsSync(path.join(srcDir, "src", "llama-model.cpp"))) return;
    log("cloning the llama.cpp source bundled in node-llama-cpp (offline)");
    run("npx", ["--no", "node-llama-cpp", "source", "download", "--gpu", "false", "--skipBuild", "--noUsageExample"]);
    if (!fs.existsSync(path.join(srcDir, "src", "llama-model.cpp")))
        throw new BuildError(`node-llama-cpp did not produce the llama.cpp source in ${srcDir}`);
}

/** The llama.cpp files a patch edits, from its `diff --git a/X b/X` lines. */
function filesOfPatch(file) {
    return [...fs.readFileSync(file, "utf8").matchAll(/^diff --git a\/(\S+) b\//gm)].map((m) => m[1]);
}

/** Resets the files our patches edit, then copies our source files and applies every patch; names the hunk that fails. */
function applyPatches() {
    git(["checkout", "--", ...patchFiles.flatMap(filesOfPatch)]);
    for (const {file, dir} of sourceFiles) fs.copyFileSync(file, path.join(srcDir, dir, path.basename(file)));
    for (const file of patchFiles) {
        const name = path.basename(file);
        const check = git(["apply", "--check", "--verbose", file]);
        if (check.status !== 0) {
            const failed = (check.stderr.match(/error: patch failed: ([^\n]+)/g) ?? []).join("\n  ");
            throw new BuildError(
                `engine/llama/${name} no longer applies to this llama.cpp:\n  ${failed || check.stderr.trim()}\n` +
                "Update the hunks named above against the new source (see engine/llama/README.md), then run `npm run build:engine`.");
        }
        const applied = git(["apply", file]);
        if (applied.status !== 0) throw new BuildError(`git apply ${name} failed: ${applied.stderr}`);
        log(`applied ${name} (${filesOfPatch(file).length} files)`);
    }
    log(`copied ${sourceFiles.map(({file, dir}) => `${dir}/${path.basename(file)}`).join(", ")}`);
}

function argValue(name, fallback) {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : fallback;
}

function main() {
    const force = process.argv.includes("--force");
    const flavour = argValue("--flavour", "portable");
    if (!fs.existsSync(nlcDir))
        throw new BuildError("node-llama-cpp is not installed: run `npm install` first.");
    if (process.argv.includes("--prune")) return prune();

    ensureSource();
    const gpu = chooseGpu();
    const stamp = stampOf(gpu, flavour);
    const stampFile = stampFileOf(flavour);
    const previous = fs.existsSync(stampFile) ? JSON.parse(fs.readFileSync(stampFile, "utf8")) : undefined;
    const {folder: previousFolder, builtSeconds: _s, ...previousStamp} = previous ?? {};
    if (!force && JSON.stringify(previousStamp) === JSON.stringify(stamp) && buildFolders().includes(previousFolder)) {
        log(`up to date (llama.cpp ${stamp.llamaCpp}, patch ${stamp.patch.slice(0, 12)}, gpu ${gpu}, ${flavour} build); nothing to build`);
        return;
    }

    applyPatches();
    const options = Object.entries(stamp.cmakeOptions);
    log(`building llama.cpp ${stamp.llamaCpp} with the recurformer architecture (gpu: ${gpu}, ${flavour}: ` +
        `${options.map(([k, v]) => `${k}=${v}`).join(" ")}; ${os.cpus().length} cores); this takes a few minutes`);
    const started = Date.now();
    const before = buildFolders();
    fs.rmSync(stampFile, {force: true});
    run("npx", ["--no", "node-llama-cpp", "source", "build", "--gpu", gpu, "--noUsageExample"], {
        env: {
            ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: "true",
            ...Object.fromEntries(options.map(([k, v]) => [`NODE_LLAMA_CPP_CMAKE_OPTION_${k}`, v]))
        }
    });
    const folder = folderOfBuild(before);
    if (!folder)
        throw new BuildError("the build finished but no llama-addon.node was found under node_modules/node-llama-cpp/llama/localBuilds");
    const builtSeconds = Math.round((Date.now() - started) / 1000);
    fs.writeFileSync(stampFile, JSON.stringify({...stamp, folder, builtSeconds}, null, 1));
    log(`built in ${builtSeconds} s into localBuilds/${folder}`);
}

try {
    main();
} catch (err) {
    process.stderr.write(`\n[engine] build failed: ${err instanceof BuildError ? err.message : err?.stack ?? err}\n`);
    process.exit(1);
}
