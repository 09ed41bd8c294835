import {EngineError} from "./EngineError.js";

/** The RecurFormer-patched llama.cpp build is missing (the engine never falls back to a prebuilt binary). */
export class LocalBuildMissingError extends EngineError {
    /** node-llama-cpp's own message */
    public readonly nodeLlamaCppMessage?: string;

    public constructor(nodeLlamaCppMessage?: string) {
        super(
            "The local llama.cpp build with the RecurFormer architecture was not found " +
            "(node_modules/node-llama-cpp/llama/localBuilds/). Run `npm run build:engine` to build it; " +
            "the engine never uses node-llama-cpp's prebuilt binaries, which lack the recurformer architecture." +
            (nodeLlamaCppMessage != null ? ` (node-llama-cpp: ${nodeLlamaCppMessage})` : "")
        );
        this.nodeLlamaCppMessage = nodeLlamaCppMessage;
    }
}
