import {parseArgs, type ParseArgsConfig} from "node:util";
import {EngineClient} from "../client/EngineClient.js";
import {ForkTransport} from "../client/ForkTransport.js";
import {EngineError} from "../errors/EngineError.js";
import {UsageError} from "./UsageError.js";
import {inspectCommand} from "./inspectCommand.js";
import {completeCommand} from "./completeCommand.js";
import {chatCommand} from "./chatCommand.js";
import {askCommand} from "./askCommand.js";
import {benchCommand} from "./benchCommand.js";
import {apiCommand} from "./apiCommand.js";
import {engineCommand} from "./engineCommand.js";
import type {CliCommand, CliContext} from "./CliCommand.js";

export const usage = `recurformer — RecurFormer Desktop's engine on the command line

  recurformer inspect [MODEL.gguf] [--tokens N] [--dense DENSE.gguf] [--cache-type f16|q8_0] [--pyramid SCHEDULE] [--no-measure]
      JSON: architecture, shape, KV bytes per token, recurrent state bytes, cache bytes at N tokens,
      the dense figure and ratio, and llama.cpp's own KV buffer for a context of N tokens (measured);
      with --pyramid, the tokens each layer keeps at N and the KV cells per layer llama.cpp allocates.
  recurformer complete [--model MODEL.gguf] --prompt-file FILE [--max-tokens N] [--context N] [--threads N] [--pyramid SCHEDULE]
      the greedy continuation of a raw prompt (no chat template; special tokens written as text,
      such as <|im_start|>, are read as those tokens), nothing else on stdout.
  recurformer ask [--model MODEL.gguf] --document FILE --question TEXT [--context N] [--max-tokens N] [--threads N] [--pyramid SCHEDULE]
      the greedy answer to a question about a document (.txt .md .html .pdf .docx), composed as the
      app composes it and sent through the model's chat template; only the answer on stdout.
      A document and question longer than the context are refused, never cut.
  recurformer chat [--model MODEL.gguf] [--context N] [--max-tokens N] [--system TEXT] [--temperature T] [--pyramid SCHEDULE]
      a terminal chat; /reset starts over, /exit (or Ctrl+D) leaves, Ctrl+C stops an answer.
  recurformer bench [--models A.gguf,B.gguf[,C.gguf]] [--contexts 1024,4096,16384] [--threads 2]
                    [--decode 32] [--batch 512] [--repeat N] [--engines E1,E2] [--pyramid SCHEDULE] [--json FILE]
      prefill and decode tokens/s and cache bytes per model and context, with B/A (C/A) ratios
      measured in the same run. Without --models: the default pair, dense (A) and RecurFormer (B).
      A model may carry options: A.gguf,A.gguf@pyramid:r0=0.8,decay=0.7 compares the dense model with
      and without PyramidInfer; @q8_0 runs a q8_0 KV cache.
      --engines portable,native (or portable,portable:x64) runs every model on each engine build
      and gives each build's ratios against the first (engine/llama/README.md, "Portable build").
  recurformer api [--port 8089] [--api-key KEY] [--models A.gguf,B.gguf] [--context N] [--parallel 2]
                  [--threads N] [--gpu-layers N] [--pyramid SCHEDULE] [--host 127.0.0.1 [--allow-remote]]
      an OpenAI-compatible HTTP API (GET /v1/models, POST /v1/chat/completions, POST /v1/completions,
      GET /health) on loopback; without --api-key (or RECURFORMER_API_KEY) a random key is printed once.
      Without --models: the default pair, ids "recurformer" and "dense". docs/api.md. A model given as
      B.gguf@pyramid:SCHEDULE is served with PyramidInfer, one request at a time, as id B-pyramid.
  recurformer engine [--listen 127.0.0.1:8090] [--token T] [--allow-remote]
      the engine, headless, for an app or client on another machine (WebSocket at /engine; one engine
      process per connection); without --token (or RECURFORMER_ENGINE_TOKEN) a random token is printed once.

  --pyramid SCHEDULE: PyramidInfer KV retention (engine/llama/PYRAMID.md), llama and recurformer models,
      e.g. r0=0.8,decay=0.7[,recent=64][,queries=16][,every=BATCH]: layer l keeps round(n r0 decay^l) of
      the n tokens seen (never fewer than the recent newest), chosen by the last queries' attention.
  Every command: --cpu (no GPU backend), --verbose (echo the engine's log to stderr).
  RECURFORMER_CPU_VARIANT=x64 (or haswell, ...) makes the engine load that CPU variant of its build
  instead of the best one this CPU runs (the variant in use is in every load result).
  Without --model, every command uses the default RecurFormer model, assets/models/recurformer.gguf
  (dense: assets/models/dense.gguf); RECURFORMER_MODELS_DIR names other model folders, as for the app.`;

/** Options every command takes. */
const commonOptions = {
    cpu: {type: "boolean"},
    verbose: {type: "boolean"},
    help: {type: "boolean", short: "h"}
} as const satisfies ParseArgsConfig["options"];

const commands: Record<string, CliCommand> = {
    inspect: inspectCommand,
    complete: completeCommand,
    chat: chatCommand,
    ask: askCommand,
    bench: benchCommand,
    api: apiCommand,
    engine: engineCommand
};

/** Runs the CLI; returns the exit code (0 ok, 1 error, 2 usage). */
export async function main(argv: string[]): Promise<number> {
    const [name, ...rest] = argv;
    if (name == null || name === "--help" || name === "-h" || name === "help") {
        process.stdout.write(usage + "\n");
        return name == null ? 2 : 0;
    }
    const command = commands[name];
    if (command == null) {
        process.stderr.write(`recurformer: unknown command '${name}'\n\n${usage}\n`);
        return 2;
    }

    const engines: EngineClient[] = [];
    try {
        let parsed;
        try {
            parsed = parseArgs({args: rest, options: {...commonOptions, ...command.options}, allowPositionals: true, strict: true});
        } catch (err) {
            throw new UsageError(err instanceof Error ? err.message : String(err));
        }
        if (parsed.values.help === true) {
            process.stdout.write(usage + "\n");
            return 0;
        }
        const verbose = parsed.values.verbose === true;
        if (parsed.values.cpu === true)
            process.env.RECURFORMER_GPU = "false";

        await command.run({
            values: parsed.values as CliContext["values"],
            positionals: parsed.positionals,
            startEngine: async (env?: NodeJS.ProcessEnv) => {
                const engine = await EngineClient.start({
                    onLog: verbose ? (line) => process.stderr.write(line + "\n") : undefined,
                    ...(env != null ? {transport: () => new ForkTransport({env: {...process.env, ...env}})} : {})
                });
                engines.push(engine);
                return engine;
            },
            stdout: process.stdout,
            stderr: process.stderr
        });
        return 0;
    } catch (err) {
        if (err instanceof UsageError) {
            process.stderr.write(`recurformer: ${err.message}\n\n${usage}\n`);
            return 2;
        }
        const message = err instanceof EngineError || (err instanceof Error && err.name.endsWith("Error") && err.name !== "Error")
            ? `${err.name}: ${err.message}`
            : err instanceof Error ? err.message : String(err);
        process.stderr.write(`recurformer: ${message}\n`);
        return 1;
    } finally {
        await Promise.all(engines.filter((e) => e.running).map((e) => e.shutdown().catch(() => undefined)));
    }
}
