import readline from "node:readline/promises";
import type {ChatMessage, Metrics} from "../protocol.js";
import {resolveModelPath} from "../defaultModel.js";
import {UsageError} from "./UsageError.js";
import {formatBytes} from "../../../api/format.js";
import {parsePositiveInt, parsePyramidOption} from "./format.js";
import type {CliCommand, CliContext} from "./CliCommand.js";

/** `recurformer chat [--model MODEL.gguf] [--context N] [--max-tokens N] [--system TEXT] [--temperature T] [--pyramid SCHEDULE]` */
export const chatCommand: CliCommand = {
    options: {
        model: {type: "string"},
        context: {type: "string"},
        "max-tokens": {type: "string"},
        threads: {type: "string"},
        system: {type: "string"},
        temperature: {type: "string"},
        pyramid: {type: "string"}
    },
    async run({values, positionals, startEngine, stdout, stderr}: CliContext): Promise<void> {
        if (positionals.length > 0)
            throw new UsageError(`chat takes no positional arguments (got: ${positionals.join(" ")}); use --model`);
        const modelPath = resolveModelPath(values.model as string | undefined);
        const contextSize = parsePositiveInt("context", values.context as string | undefined, 4096);
        const maxTokens = parsePositiveInt("max-tokens", values["max-tokens"] as string | undefined, 512);
        const threads = parsePositiveInt("threads", values.threads as string | undefined);
        const pyramid = parsePyramidOption(values.pyramid as string | undefined);
        const temperature = values.temperature != null ? Number(values.temperature) : 0.7;
        if (!Number.isFinite(temperature) || temperature < 0)
            throw new UsageError(`--temperature must be a number >= 0, not '${String(values.temperature)}'`);

        const engine = await startEngine();
        const loaded = await engine.load("chat", {modelPath, contextSize, ...(threads != null ? {threads} : {}), ...(pyramid != null ? {pyramid} : {})});
        stderr.write(`${loaded.shape.name} (${loaded.shape.architecture}), context ${loaded.contextSize} tokens` +
            (loaded.pyramid != null ? `, PyramidInfer ${loaded.pyramid.schedule} (KV cells per layer ${loaded.pyramid.cellsPerLayer.join(" ")})` : "") + ". " +
            "/reset starts over, /exit leaves, Ctrl+C stops an answer.\n");

        const system: ChatMessage[] = values.system != null ? [{role: "system", content: values.system as string}] : [];
        let messages: ChatMessage[] = [...system];
        let chatNumber = 1;
        const rl = readline.createInterface({input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY});
        let controller: AbortController | undefined;
        rl.on("SIGINT", () => {
            if (controller != null)
                controller.abort();
            else
                rl.close();
        });
        const prompt = () => {
            if (process.stdin.isTTY)
                stdout.write("> ");
        };
        try {
            prompt();
            // the line iterator queues lines typed (or piped) while an answer is being generated
            for await (const line of rl) {
                const text = line.trim();
                if (text.length === 0) {
                    prompt();
                    continue;
                }
                if (text === "/exit" || text === "/quit")
                    break;
                if (text === "/reset") {
                    messages = [...system];
                    chatNumber++;
                    stderr.write("(new chat)\n");
                    prompt();
                    continue;
                }
                messages.push({role: "user", content: text});
                controller = new AbortController();
                let last: Metrics | undefined;
                try {
                    const result = await engine.chat(
                        {modelId: "chat", chatId: String(chatNumber), messages, maxTokens, temperature},
                        {signal: controller.signal, onToken: (piece) => stdout.write(piece), onMetrics: (m) => last = m}
                    );
                    stdout.write("\n");
                    messages.push({role: "assistant", content: result.text});
                    last = result.metrics;
                    if (result.stopReason === "stopped")
                        stderr.write("(stopped)\n");
                } finally {
                    controller = undefined;
                }
                if (last != null)
                    stderr.write(describeMetrics(last) + "\n");
                prompt();
            }
        } finally {
            rl.close();
        }
    }
};

function describeMetrics(m: Metrics): string {
    const parts = [
        `${m.tokensInContext}/${m.contextSize} tokens`,
        m.prefillTokensPerSecond != null ? `prefill ${m.prefillTokensPerSecond.toFixed(1)} tok/s` : undefined,
        m.decodeTokensPerSecond != null ? `decode ${m.decodeTokensPerSecond.toFixed(1)} tok/s` : undefined,
        m.timeToFirstTokenMs != null ? `first token ${Math.round(m.timeToFirstTokenMs)} ms` : undefined,
        `cache ${formatBytes(m.cacheBytesComputed)} computed` +
            (m.denseCacheBytesComputed != null ? ` (dense ${formatBytes(m.denseCacheBytesComputed)}, ${(100 * m.cacheBytesComputed / m.denseCacheBytesComputed).toFixed(1)}%)` : ""),
        m.stateBytesMeasured != null ? `llama.cpp state ${formatBytes(m.stateBytesMeasured)} measured` : undefined
    ];
    return `[${parts.filter((part) => part != null).join(" · ")}]`;
}
