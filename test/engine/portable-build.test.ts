// The engine build runs on every CPU of its family (engine/llama/README.md, "Portable build"):
//  - it is the portable flavour (no -march=native; one CPU library per instruction-set level),
//  - the libraries every machine loads (llama, ggml, ggml-base, the addon) and the lowest CPU variant
//    hold no AVX-512 or AMX instruction, nor any AVX (they must run on a 2003 x86-64), by disassembly,
//  - the engine loads the variant ggml's own scoring picks for this CPU and says which,
//  - the packaged app carries every built library outside the asar (electron-builder.yml's globs).
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import yaml from "js-yaml";
import {minimatch} from "minimatch";
import {describe, expect, it} from "vitest";
import {EngineBuild} from "../../engine/runtime/llama/EngineBuild.js";
import {EngineClient} from "../../engine/runtime/client/EngineClient.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const flavours = JSON.parse(fs.readFileSync(path.join(root, "engine", "llama", "flavours.json"), "utf8"));
const build = EngineBuild.read("portable");
const x86 = os.arch() === "x64";

/** ggml's x86 CPU variants and the features each needs (ggml/src/CMakeLists.txt), as /proc/cpuinfo names them. */
const avx512 = ["avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"];
const haswell = ["sse4_2", "avx", "f16c", "fma", "avx2", "bmi2"];
const x86Variants: Record<string, string[]> = {
    x64: [],
    sse42: ["sse4_2"],
    sandybridge: ["sse4_2", "avx"],
    haswell,
    skylakex: [...haswell, ...avx512],
    cannonlake: [...haswell, ...avx512, "avx512vbmi"],
    cascadelake: [...haswell, ...avx512, "avx512_vnni"],
    icelake: [...haswell, ...avx512, "avx512vbmi", "avx512_vnni"],
    cooperlake: [...haswell, ...avx512, "avx512_vnni", "avx512_bf16"],
    zen4: [...haswell, ...avx512, "avx512vbmi", "avx512_vnni", "avx512_bf16"],
    alderlake: [...haswell, "avx_vnni"],
    sapphirerapids: [...haswell, ...avx512, "avx512vbmi", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_int8"]
};
/** ggml_backend_cpu_x86_score's weight of each feature (ggml-cpu/arch/x86/cpu-feats.cpp) */
const weight: Record<string, number> = {
    fma: 1, f16c: 2, sse4_2: 4, bmi2: 8, avx: 16, avx2: 32, avx_vnni: 64, avx512f: 128,
    avx512vbmi: 256, avx512_bf16: 512, avx512_vnni: 1024, amx_int8: 2048
};

/** The variant ggml picks on this CPU: the supported one with the highest score. */
function expectedVariant(built: string[]): string {
    const flags = new Set((/^flags\s*:(.*)$/m.exec(fs.readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "").trim().split(/\s+/));
    const score = (tag: string) => x86Variants[tag]!.every((f) => flags.has(f))
        ? 1 + x86Variants[tag]!.reduce((s, f) => s + (weight[f] ?? 0), 0) : 0;
    return [...built].sort((a, b) => score(b) - score(a))[0]!;
}

/** Instructions in a library that need AVX-512 (zmm, opmask, EVEX-only registers, embedded broadcast), AMX, or any AVX (VEX). */
function isaCounts(file: string): {avx512: number, amx: number, avx: number} {
    const res = spawnSync("objdump", ["-d", "--no-show-raw-insn", file], {encoding: "utf8", maxBuffer: 1 << 30});
    if (res.status !== 0) throw new Error(`objdump -d ${file} failed: ${res.stderr}`);
    const counts = {avx512: 0, amx: 0, avx: 0};
    for (const line of res.stdout.split("\n")) {
        const insn = line.split("\t")[1];
        if (insn == null) continue;
        if (/%zmm|%k[0-7]\b|%[xy]mm(1[6-9]|2\d|3[01])\b|\{1to\d+\}|^k(mov|and|or|xor|not|shift|test|add|unpck)/.test(insn)) counts.avx512++;
        else if (/^(ldtilecfg|sttilecfg|tileloadd|tileloaddt1|tilestored|tilerelease|tilezero|tdp)/.test(insn)) counts.amx++;
        if (/%ymm|^v[a-z]/.test(insn)) counts.avx++;
    }
    return counts;
}

describe("portable engine build", () => {
    it("is the portable flavour: GGML_NATIVE off, CPU code in loadable variants", () => {
        expect(build.stamp.flavour).toBe("portable");
        expect(build.stamp.cmakeOptions).toMatchObject({GGML_NATIVE: "OFF", GGML_BACKEND_DL: "ON"});
    });

    it.runIf(x86)("holds the chosen x86 variant set, AMX (sapphirerapids) left out", () => {
        const chosen = (flavours.portable.cpuVariants.x64 as string).split(",").sort();
        expect(build.cpuVariants()).toEqual(chosen);
        expect(build.cpuVariants()).not.toContain("sapphirerapids");
    });

    it.runIf(x86)("loads no AVX-512, AMX or AVX instruction where every CPU runs (llama, ggml, ggml-base, addon, the x64 variant)", () => {
        const files = fs.readdirSync(build.binDir).filter((f) =>
            /^lib(llama|ggml|ggml-base)[.\w-]*\.so$/.test(f) && !f.startsWith("libggml-cpu-") || f === "llama-addon.node" || f === "libggml-cpu-x64.so");
        expect(files.some((f) => f.startsWith("libllama"))).toBe(true);
        expect(files.some((f) => f.startsWith("libggml-base"))).toBe(true);
        expect(files).toContain("llama-addon.node");
        expect(files).toContain("libggml-cpu-x64.so");
        const found = Object.fromEntries(files.map((f) => [f, isaCounts(path.join(build.binDir, f))]));
        console.log(`instructions beyond x86-64 in the libraries every machine loads:\n${
            Object.entries(found).map(([f, c]) => `  ${f.padEnd(32)} AVX-512 ${c.avx512}, AMX ${c.amx}, AVX ${c.avx}`).join("\n")}`);
        for (const [file, counts] of Object.entries(found))
            expect(counts, file).toEqual({avx512: 0, amx: 0, avx: 0});
    }, 300_000);

    it.runIf(x86)("the variants above x64 do hold their instruction sets (the check above can fail)", () => {
        const skylakex = isaCounts(path.join(build.binDir, "libggml-cpu-skylakex.so"));
        expect(skylakex.avx512).toBeGreaterThan(100);
        expect(isaCounts(path.join(build.binDir, "libggml-cpu-haswell.so")).avx).toBeGreaterThan(100);
    }, 300_000);

    it.runIf(x86 && process.platform === "linux")("the engine loads the variant ggml scores best on this CPU, and reports it", async () => {
        const engine = await EngineClient.start();
        try {
            const {backend: info} = await engine.load("portable-check", {modelPath: path.join(root, "test", "fixtures", "models", "bench-recurformer.gguf"), contextSize: 512});
            expect(info.flavour).toBe("portable");
            expect(info.cpuVariant).toBe(expectedVariant(build.cpuVariants()));
            console.log(`this CPU loads the ${info.cpuVariant} variant`);
        } finally {
            await engine.shutdown();
        }
    }, 120_000);
});

describe("packaged app carries the engine build", () => {
    const config = yaml.load(fs.readFileSync(path.join(root, "electron-builder.yml"), "utf8")) as {files: string[], asarUnpack: string[]};
    const macros = {os: {linux: "linux", darwin: "mac", win32: "win"}[process.platform as string] ?? process.platform, arch: os.arch()};
    const expand = (glob: string) => glob.replace(/\$\{(os|arch)\}/g, (_m, k: "os" | "arch") => macros[k]);
    /** electron-builder's `files`: production dependencies are in unless a pattern says otherwise; the last matching pattern decides (a leading ! excludes) */
    const included = (file: string) => {
        let decision = file.startsWith("node_modules/");
        for (const pattern of config.files.map(expand))
            if (pattern.startsWith("!") ? minimatch(file, pattern.slice(1), {dot: true}) : minimatch(file, pattern, {dot: true}))
                decision = !pattern.startsWith("!");
        return decision;
    };
    const unpacked = (file: string) => config.asarUnpack.map(expand).some((p) => minimatch(file, p, {dot: true}));

    it("every built library and the build stamp are packed, outside the asar", () => {
        const llamaDir = path.relative(root, path.dirname(path.dirname(path.dirname(build.binDir))));
        const files = [
            ...fs.readdirSync(build.binDir).map((f) => path.relative(root, path.join(build.binDir, f))),
            path.join(llamaDir, "recurformer-build-portable.json")
        ].map((f) => f.split(path.sep).join("/"));
        const missing = files.filter((f) => !included(f) || !unpacked(f));
        expect(files.length).toBeGreaterThan(5);
        expect(missing).toEqual([]);
    });
});
