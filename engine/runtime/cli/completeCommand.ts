import fs from "node:fs/promises";
import {resolveModelPath} from "../defaultModel.js";
import {UsageError} from "./UsageError.js";
import {parsePositiveInt, parsePyramidOption} from "./format.js";
import type {CliCommand, CliContext} from "./CliCommand.js";

/** `recurformer complete [--model MODEL.gguf] --prompt-file FILE [--max-tokens N] [--context N] [--threads N] [--pyramid SCHEDULE]`: only the continuation goes to stdout. */
export const completeCommand: CliCommand = {
    options: {
        model: {type: "string"},
        "prompt-file": {type: "string"},
        prompt: {type: "string"},
        "max-tokens": {type: "string"},
        context: {type: "string"},
        threads: {type: "string"},
        pyramid: {type: "string"}
    },
    async run({values, positionals, startEngine, stdout}: CliContext): Promise<void> {
        if (positionals.length > 0)
            throw new UsageError(`complete takes no positional arguments (got: ${positionals.join(" ")}); use --model and --prompt-file`);
        const promptFile = values["prompt-file"] as string | undefined;
        if (promptFile == null && values.prompt == null)
            throw new UsageError("complete needs --prompt-file FILE");
        const maxTokens = parsePositiveInt("max-tokens", values["max-tokens"] as string | undefined, 64);
        const contextSize = parsePositiveInt("context", values.context as string | undefined);
        const threads = parsePositiveInt("threads", values.threads as string | undefined);
        const pyramid = parsePyramidOption(values.pyramid as string | undefined);
        const modelPath = resolveModelPath(values.model as string | undefined);
        let prompt: string;
        if (promptFile != null) {
            try {
                prompt = await fs.readFile(promptFile, "utf8");
            } catch (err) {
                throw new Error(`cannot read the prompt file ${promptFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
            }
        } else
            prompt = values.prompt as string;

        const engine = await startEngine();
        await engine.load("model", {
            modelPath,
            ...(contextSize != null ? {contextSize} : {}),
            ...(threads != null ? {threads} : {}),
            ...(pyramid != null ? {pyramid} : {})
        });
        const controller = new AbortController();
        const onSigint = () => controller.abort();
        process.once("SIGINT", onSigint);
        try {
            await engine.complete({modelId: "model", prompt, maxTokens}, {
                signal: controller.signal,
                onToken: (text) => stdout.write(text)
            });
        } finally {
            process.off("SIGINT", onSigint);
        }
    }
};
