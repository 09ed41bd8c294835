import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type {BenchRow} from "../protocol.js";
import {benchDefaults} from "../BenchRun.js";
import {resolveModelPath} from "../defaultModel.js";
import {UsageError} from "./UsageError.js";
import {formatBytes} from "../../../api/format.js";
import {formatTable, parsePositiveInt} from "./format.js";
import type {CliCommand, CliContext} from "./CliCommand.js";

/** A model's figures relative to the first model (A) at one context size, measured in the same run. */
export interface BenchRatio {
    contextSize: number;
    model: string;
    baseline: string;
    prefill: number;
    decode: number;
    /** computed cache bytes, model / baseline */
    cache: number;
    /** llama.cpp's KV + RS buffers, model / baseline (measured) */
    buffersMeasured?: number;
}

/**
 * `recurformer bench [--models A.gguf,B.gguf[,C.gguf]] [--contexts 1024,4096,16384] [--threads 2] [--decode 32] [--batch 512] [--repeat N] [--json FILE]`
 *
 * Fair by construction: one engine, the same threads, batch size, prompt length and warm-up for
 * every model; the models run one after another at each context size (A, B, C at 1k, then at 4k, ...),
 * so slow drift of the machine hits all of them alike. Without --models: the default pair, dense (A)
 * then RecurFormer (B).
 */
export const benchCommand: CliCommand = {
    options: {
        models: {type: "string"},
        contexts: {type: "string"},
        threads: {type: "string"},
        decode: {type: "string"},
        batch: {type: "string"},
        repeat: {type: "string"},
        json: {type: "string"}
    },
    async run({values, positionals, startEngine, stdout, stderr}: CliContext): Promise<void> {
        if (positionals.length > 0)
            throw new UsageError(`bench takes no positional arguments (got: ${positionals.join(" ")}); use --models A.gguf,B.gguf`);
        const models = values.models == null
            ? [resolveModelPath(undefined, "dense"), resolveModelPath(undefined, "recurformer")]
            : (values.models as string).split(",").map((m) => m.trim()).filter((m) => m.length > 0);
        if (models.length === 0)
            throw new UsageError("bench needs --models A.gguf[,B.gguf[,C.gguf]] (or none, for the default pair)");
        const contexts = ((values.contexts as string | undefined) ?? "1024,4096,16384").split(",")
            .map((c) => parsePositiveInt("contexts", c.trim())!);
        const threads = parsePositiveInt("threads", values.threads as string | undefined, benchDefaults.threads);
        const decodeTokens = parsePositiveInt("decode", values.decode as string | undefined, benchDefaults.decodeTokens);
        const batchSize = parsePositiveInt("batch", values.batch as string | undefined, benchDefaults.batchSize);
        const repeats = parsePositiveInt("repeat", values.repeat as string | undefined, benchDefaults.repeats);

        const engine = await startEngine();
        const rows: BenchRow[] = [];
        const started = new Date();
        for (const contextSize of contexts)
            for (const model of models) {
                const [row] = await engine.bench(
                    {modelPath: path.resolve(model), contexts: [contextSize], threads, decodeTokens, batchSize, repeats},
                    {onProgress: (message) => stderr.write(`  ${message}\n`)}
                );
                rows.push(row!);
            }

        const ratios = benchRatios(rows, models.map((m) => path.resolve(m)));
        stdout.write(formatBench(rows, ratios) + "\n");
        if (values.json != null) {
            const report = {
                date: started.toISOString(),
                machine: {cpu: os.cpus()[0]?.model, cores: os.cpus().length, platform: `${process.platform}-${process.arch}`},
                options: {models: models.map((m) => path.resolve(m)), contexts, threads, decodeTokens, batchSize, repeats},
                rows,
                ratios
            };
            await fs.writeFile(values.json as string, JSON.stringify(report, null, 2) + "\n");
            stderr.write(`wrote ${values.json as string}\n`);
        }
    }
};

export function benchRatios(rows: BenchRow[], models: string[]): BenchRatio[] {
    const [baseline, ...others] = models;
    const ratios: BenchRatio[] = [];
    for (const row of rows) {
        if (row.modelPath === baseline || !others.includes(row.modelPath))
            continue;
        const base = rows.find((r) => r.modelPath === baseline && r.contextSize === row.contextSize);
        if (base == null)
            continue;
        const buffers = (r: BenchRow) => (r.buffers.kvBufferBytesMeasured ?? 0) + (r.buffers.recurrentBufferBytesMeasured ?? 0);
        ratios.push({
            contextSize: row.contextSize,
            model: row.modelPath,
            baseline: baseline!,
            prefill: row.prefillTokensPerSecond / base.prefillTokensPerSecond,
            decode: row.decodeTokensPerSecond / base.decodeTokensPerSecond,
            cache: row.cacheBytesComputed / base.cacheBytesComputed,
            ...(buffers(base) > 0 ? {buffersMeasured: buffers(row) / buffers(base)} : {})
        });
    }
    return ratios;
}

export function formatBench(rows: BenchRow[], ratios: BenchRatio[]): string {
    const name = (p: string) => path.basename(p);
    const table = formatTable(
        ["model", "arch", "context", "prompt", "prefill tok/s", "decode tok/s", "cache (computed)", "KV+RS buffers (measured)", "state (measured)"],
        rows.map((r) => [
            name(r.modelPath), r.architecture, String(r.contextSize), String(r.promptTokens),
            r.prefillTokensPerSecond.toFixed(1), r.decodeTokensPerSecond.toFixed(2),
            formatBytes(r.cacheBytesComputed),
            formatBytes((r.buffers.kvBufferBytesMeasured ?? 0) + (r.buffers.recurrentBufferBytesMeasured ?? 0)),
            formatBytes(r.stateBytesMeasured)
        ])
    );
    const threads = rows[0]?.threads;
    const passes = rows[0]?.samples.length ?? 1;
    const lines = [table, "", `threads ${threads}, batch ${rows[0]?.batchSize}, ${rows[0]?.decodeTokens} decoded tokens after a prompt that fills the context; ` +
        `models run one after another at each context size${passes > 1 ? `; fastest of ${passes} passes` : ""}.`];
    if (ratios.length > 0) {
        lines.push("", `ratios against ${name(ratios[0]!.baseline)} (A), same run:`);
        lines.push(formatTable(
            ["context", "model", "prefill", "decode", "cache (computed)", "buffers (measured)"],
            ratios.map((r) => [
                String(r.contextSize), name(r.model), `${r.prefill.toFixed(2)}x`, `${r.decode.toFixed(2)}x`,
                `${(100 * r.cache).toFixed(1)}%`, r.buffersMeasured != null ? `${(100 * r.buffersMeasured).toFixed(1)}%` : "-"
            ])
        ));
    }
    return lines.join("\n");
}
