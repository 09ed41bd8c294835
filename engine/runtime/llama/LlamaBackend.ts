import fs from "node:fs";
import {getLlama, LlamaLogLevel, type Llama} from "node-llama-cpp";
import type {BackendInfo} from "../protocol.js";
import {LocalBuildMissingError} from "../errors/LocalBuildMissingError.js";
import {CpuVariantError} from "../errors/CpuVariantError.js";
import {EngineBuild} from "./EngineBuild.js";
import {LlamaLog} from "./LlamaLog.js";

export interface LlamaBackendOptions {
    /** "auto": the best GPU backend the local build has, else CPU; false: CPU only (default: $RECURFORMER_GPU, else "auto") */
    gpu?: "auto" | false;
    /** where llama.cpp's log goes */
    log: LlamaLog;
}

/**
 * The one llama.cpp of this process: node-llama-cpp bound to the local RecurFormer-patched build
 * (`npm run build:engine`). It never builds and never falls back to node-llama-cpp's prebuilt
 * binaries, which do not know the recurformer architecture. The build's stamp names its flavour and
 * CMake options (node-llama-cpp finds the folder by them); a portable build loads the best CPU
 * variant this machine supports, or the one $RECURFORMER_CPU_VARIANT forces, and says which.
 */
export class LlamaBackend {
    public readonly llama: Llama;
    public readonly log: LlamaLog;
    public readonly build: EngineBuild;
    /** the CPU variant ggml loaded (e.g. "haswell"), or "native" for a build tuned to its builder's CPU */
    public readonly cpuVariant: string;

    private constructor(llama: Llama, log: LlamaLog, build: EngineBuild, cpuVariant: string) {
        this.llama = llama;
        this.log = log;
        this.build = build;
        this.cpuVariant = cpuVariant;
    }

    public static async load({gpu = defaultGpu(), log}: LlamaBackendOptions): Promise<LlamaBackend> {
        const build = EngineBuild.read();
        const forced = build.applyCpuVariant();
        const mark = log.mark();
        let llama: Llama;
        try {
            llama = await getLlama({
                build: "never",
                usePrebuiltBinaries: false,
                skipDownload: true,
                progressLogs: false,
                gpu,
                logLevel: LlamaLogLevel.info,
                logger: log.logger,
                // threads are set per context (the bench needs exactly the number asked for)
                maxThreads: 0,
                cmakeOptions: build.stamp.cmakeOptions
            });
        } catch (err) {
            const message = err instanceof Error ? err.message : String(err);
            if (err instanceof Error && (err.name === "NoBinaryFoundError" || /no binary|binaries|not found|build/i.test(message)))
                throw new LocalBuildMissingError(message);
            throw err;
        }
        if (llama.buildType !== "localBuild") {
            await llama.dispose();
            throw new LocalBuildMissingError(`node-llama-cpp offered a ${llama.buildType} binary`);
        }
        const built = build.cpuVariants();
        const loaded = built.length === 0 ? "native" : LlamaLog.cpuVariantLoaded(log.since(mark)) ?? cpuVariantMapped();
        if (loaded == null && forced != null) {
            await llama.dispose();
            throw new CpuVariantError(forced, built, "this CPU cannot run it");
        }
        return new LlamaBackend(llama, log, build, loaded ?? "unknown");
    }

    public info(): BackendInfo {
        return {
            buildType: this.llama.buildType,
            gpu: this.llama.gpu,
            llamaCppRelease: this.llama.llamaCppRelease.release,
            flavour: this.build.stamp.flavour,
            cpuVariant: this.cpuVariant
        };
    }
}

/** Linux: the libggml-cpu-<tag> library mapped into this process (the log line can arrive late). */
function cpuVariantMapped(): string | undefined {
    try {
        return /ggml-cpu-([\w.-]+)\.so/.exec(fs.readFileSync("/proc/self/maps", "utf8"))?.[1];
    } catch {
        return undefined;
    }
}

function defaultGpu(): "auto" | false {
    const asked = process.env.RECURFORMER_GPU;
    return asked === "false" || asked === "0" || asked === "cpu" ? false : "auto";
}
