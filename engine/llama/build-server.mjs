#!/usr/bin/env node
// Builds llama.cpp's own `llama-server` from the same RecurFormer-patched source the engine is built
// from (node_modules/node-llama-cpp/llama/llama.cpp after `npm install` / `npm run build:engine`), for
// the app's `llama-server` engine kind and its test. CPU only, tuned to this machine (-march=native),
// static, without the web UI (it would be downloaded); the engine's own build is not touched.
//   output: node_modules/.cache/recurformer-llama-server/bin/llama-server
// Usage: node engine/llama/build-server.mjs [--jobs N]      (npm run build:llama-server)
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const srcDir = path.join(root, "node_modules", "node-llama-cpp", "llama", "llama.cpp");
const buildDir = path.join(root, "node_modules", ".cache", "recurformer-llama-server");
const jobsAt = process.argv.indexOf("--jobs");
const jobs = jobsAt > 0 ? Number(process.argv[jobsAt + 1]) : os.availableParallelism();

function run(cmd, args) {
    process.stdout.write(`[llama-server] ${cmd} ${args.join(" ")}\n`);
    const res = spawnSync(cmd, args, {cwd: root, stdio: "inherit"});
    if (res.status !== 0) {
        process.stderr.write(`[llama-server] '${cmd}' failed with exit code ${res.status}\n`);
        process.exit(1);
    }
}

if (!fs.existsSync(path.join(srcDir, "src", "models", "recurformer.cpp"))) {
    process.stderr.write(`[llama-server] ${srcDir} is not the patched llama.cpp source: run \`npm run build:engine\` first\n`);
    process.exit(1);
}
const ninja = spawnSync("ninja", ["--version"]).status === 0;
run("cmake", ["-S", srcDir, "-B", buildDir, ...(ninja ? ["-G", "Ninja"] : []),
    "-DCMAKE_BUILD_TYPE=Release", "-DBUILD_SHARED_LIBS=OFF", "-DGGML_NATIVE=ON", "-DGGML_CUDA=OFF", "-DGGML_VULKAN=OFF", "-DGGML_METAL=OFF",
    "-DLLAMA_BUILD_TOOLS=ON", "-DLLAMA_BUILD_SERVER=ON", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF", "-DLLAMA_BUILD_UI=OFF", "-DLLAMA_CURL=OFF", "-DLLAMA_OPENSSL=OFF"]);
run("cmake", ["--build", buildDir, "--target", "llama-server", "-j", String(jobs)]);
process.stdout.write(`[llama-server] built ${path.join(buildDir, "bin", "llama-server")}\n`);
