import {getLlama, LlamaLogLevel, type Llama} from "node-llama-cpp";
import type {BackendInfo} from "../protocol.js";
import {LocalBuildMissingError} from "../errors/LocalBuildMissingError.js";
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
 * binaries, which do not know the recurformer architecture.
 */
export class LlamaBackend {
    public readonly llama: Llama;
    public readonly log: LlamaLog;

    private constructor(llama: Llama, log: LlamaLog) {
        this.llama = llama;
        this.log = log;
    }

    public static async load({gpu = defaultGpu(), log}: LlamaBackendOptions): Promise<LlamaBackend> {
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
                maxThreads: 0
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
        return new LlamaBackend(llama, log);
    }

    public info(): BackendInfo {
        return {
            buildType: this.llama.buildType,
            gpu: this.llama.gpu,
            llamaCppRelease: this.llama.llamaCppRelease.release
        };
    }
}

function defaultGpu(): "auto" | false {
    const asked = process.env.RECURFORMER_GPU;
    return asked === "false" || asked === "0" || asked === "cpu" ? false : "auto";
}
