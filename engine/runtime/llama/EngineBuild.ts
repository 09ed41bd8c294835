import fs from "node:fs";
import {createRequire} from "node:module";
import path from "node:path";
import {LocalBuildMissingError} from "../errors/LocalBuildMissingError.js";
import {CpuVariantError} from "../errors/CpuVariantError.js";

/** How the engine was built (engine/llama/flavours.json): "portable" runs on any CPU of its family, "native" only on the builder's. */
export type EngineFlavour = "portable" | "native";

/** The stamp engine/llama/build.mjs writes beside node-llama-cpp's local builds, one per flavour. */
export interface EngineBuildStamp {
    llamaCpp: string;
    patch: string;
    gpu: string;
    platform: string;
    flavour: EngineFlavour;
    /** the CMake options it was built with; node-llama-cpp finds the build folder by them */
    cmakeOptions: Record<string, string>;
    /** its folder under node_modules/node-llama-cpp/llama/localBuilds */
    folder: string;
}

/**
 * The local llama.cpp build the engine loads: which flavour ($RECURFORMER_ENGINE_FLAVOUR, default
 * portable), the CMake options to hand to getLlama so node-llama-cpp picks exactly that folder,
 * and the CPU variant libraries it holds (libggml-cpu-<tag>.so, one per instruction-set level;
 * ggml loads the best one the CPU supports, or the one $RECURFORMER_CPU_VARIANT names).
 */
export class EngineBuild {
    public readonly stamp: EngineBuildStamp;
    /** the build's folder (where llama-addon.node and the ggml libraries are) */
    public readonly binDir: string;

    private constructor(stamp: EngineBuildStamp, binDir: string) {
        this.stamp = stamp;
        this.binDir = binDir;
    }

    public static flavourFromEnv(env: NodeJS.ProcessEnv = process.env): EngineFlavour {
        const asked = env.RECURFORMER_ENGINE_FLAVOUR;
        if (asked == null || asked === "" || asked === "portable") return "portable";
        if (asked === "native") return "native";
        throw new LocalBuildMissingError(`RECURFORMER_ENGINE_FLAVOUR=${asked} is not a build flavour (portable or native)`);
    }

    /** Reads the stamp of a flavour's build; a missing stamp or folder is a LocalBuildMissingError. */
    public static read(flavour: EngineFlavour = EngineBuild.flavourFromEnv()): EngineBuild {
        const llamaDir = nodeLlamaCppLlamaDir();
        const stampFile = path.join(llamaDir, `recurformer-build-${flavour}.json`);
        let stamp: EngineBuildStamp;
        try {
            stamp = JSON.parse(fs.readFileSync(stampFile, "utf8")) as EngineBuildStamp;
        } catch {
            throw new LocalBuildMissingError(
                `no ${flavour} build stamp at ${stampFile}` + (flavour === "native" ? " (build one with `node engine/llama/build.mjs --flavour native`)" : ""));
        }
        const binDir = path.join(llamaDir, "localBuilds", stamp.folder, "Release");
        if (!fs.existsSync(path.join(binDir, "llama-addon.node")))
            throw new LocalBuildMissingError(`the ${flavour} build's folder ${binDir} holds no llama-addon.node`);
        return new EngineBuild(stamp, binDir);
    }

    /** Tags of the CPU variant libraries in the build (empty for a native build: its CPU code is in ggml itself). */
    public cpuVariants(): string[] {
        return fs.readdirSync(this.binDir)
            .map((f) => /^(?:lib)?ggml-cpu-(.+)\.(?:so|dll|dylib)$/.exec(f)?.[1])
            .filter((tag): tag is string => tag != null)
            .sort();
    }

    /**
     * Checks a forced CPU variant ($RECURFORMER_CPU_VARIANT) against the build and hands it to ggml
     * (GGML_CPU_VARIANT, read by engine/llama/portable.patch) before the libraries load.
     */
    public applyCpuVariant(env: NodeJS.ProcessEnv = process.env): string | undefined {
        const asked = env.RECURFORMER_CPU_VARIANT;
        if (asked == null || asked === "" || asked === "best") {
            delete process.env.GGML_CPU_VARIANT;
            return undefined;
        }
        const built = this.cpuVariants();
        if (!built.includes(asked))
            throw new CpuVariantError(asked, built);
        process.env.GGML_CPU_VARIANT = asked;
        return asked;
    }
}

/** node_modules/node-llama-cpp/llama, found through module resolution (inside app.asar.unpacked when packaged). */
function nodeLlamaCppLlamaDir(): string {
    const entry = createRequire(import.meta.url).resolve("node-llama-cpp");
    let dir = path.dirname(entry);
    while (path.basename(dir) !== "node-llama-cpp" && path.dirname(dir) !== dir)
        dir = path.dirname(dir);
    return path.join(dir.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`), "llama");
}
