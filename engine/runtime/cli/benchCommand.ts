import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type {BenchRow} from "../protocol.js";
import type {EngineClient} from "../client/EngineClient.js";
import {benchDefaults} from "../BenchRun.js";
import {resolveModelPath} from "../defaultModel.js";
import {UsageError} from "./UsageError.js";
import {formatBytes} from "../../../api/format.js";
import {formatTable, parseModelsOption, parsePositiveInt, parsePyramidOption} from "./format.js";
import {formatModelVariant, type ModelVariant} from "../modelVariant.js";
import type {CliCommand, CliContext} from "./CliCommand.js";

/** A model's figures relative to the first model (A), or an engine build's relative to the first build, at one context size, same run. */
export interface BenchRatio {
    contextSize: number;
    /** the model variants (modelVariant.ts: a path, with @q8_0 / @pyramid:SCHEDULE where given) */
    model: string;
    baseline: string;
    /** when builds are compared: the build measured and the one it is compared with */
    engine?: string;
    baselineEngine?: string;
    prefill: number;
    decode: number;
    /** computed cache bytes, model / baseline */
    cache: number;
    /** llama.cpp's KV + RS buffers, model / baseline (measured) */
    buffersMeasured?: number;
}

/**
 * `recurformer bench [--models A.gguf,B.gguf[,C.gguf]] [--contexts 1024,4096,16384] [--threads 2] [--decode 32] [--batch 512] [--repeat N] [--engines E1,E2] [--pyramid SCHEDULE] [--json FILE]`
 *
 * A model may carry options (modelVariant.ts): `dense.gguf,dense.gguf@pyramid:r0=0.8,decay=0.7` benches the dense
 * model with its full KV cache (A) and with PyramidInfer; `@q8_0` a q8_0 KV cache. --pyramid gives every model
 * without its own schedule that one.
 *
 * Fair by construction: one engine, the same threads, batch size, prompt length and warm-up for
 * every model; the models run one after another at each context size (A, B, C at 1k, then at 4k, ...),
 * so slow drift of the machine hits all of them alike. Without --models: the default pair, dense (A)
 * then RecurFormer (B).
 *
 * --engines compares engine builds instead: each is `FLAVOUR[:CPU_VARIANT]` (portable, native,
 * portable:x64; see engine/llama/flavours.json), one engine process each, all running every model at
 * every context size in turn; ratios are each build's against the first, model by model.
 */
export const benchCommand: CliCommand = {
    options: {
        models: {type: "string"},
        contexts: {type: "string"},
        threads: {type: "string"},
        decode: {type: "string"},
        batch: {type: "string"},
        repeat: {type: "string"},
        json: {type: "string"},
        engines: {type: "string"},
        pyramid: {type: "string"}
    },
    async run({values, positionals, startEngine, stdout, stderr}: CliContext): Promise<void> {
        if (positionals.length > 0)
            throw new UsageError(`bench takes no positional arguments (got: ${positionals.join(" ")}); use --models A.gguf,B.gguf`);
        const pyramid = parsePyramidOption(values.pyramid as string | undefined);
        const models: ModelVariant[] = (values.models == null
            ? parseModelsOption([resolveModelPath(undefined, "dense"), resolveModelPath(undefined, "recurformer")].join(","), pyramid)
            : parseModelsOption(values.models as string, pyramid)).map((m) => ({...m, path: path.resolve(m.path)}));
        if (models.length === 0)
            throw new UsageError("bench needs --models A.gguf[,B.gguf[,C.gguf]] (or none, for the default pair)");
        const contexts = ((values.contexts as string | undefined) ?? "1024,4096,16384").split(",")
            .map((c) => parsePositiveInt("contexts", c.trim())!);
        const threads = parsePositiveInt("threads", values.threads as string | undefined, benchDefaults.threads);
        const decodeTokens = parsePositiveInt("decode", values.decode as string | undefined, benchDefaults.decodeTokens);
        const batchSize = parsePositiveInt("batch", values.batch as string | undefined, benchDefaults.batchSize);
        const repeats = parsePositiveInt("repeat", values.repeat as string | undefined, benchDefaults.repeats);

        const engineSpecs = values.engines == null ? [undefined] : (values.engines as string).split(",").map((e) => parseEngineSpec(e.trim()));
        const engines: {label?: string, client: EngineClient}[] = [];
        for (const spec of engineSpecs)
            engines.push({label: spec?.label, client: await startEngine(spec?.env)});
        const rows: BenchRow[] = [];
        const started = new Date();
        for (const contextSize of contexts)
            for (const model of models)
                for (const {label, client} of engines) {
                    const [row] = await client.bench(
                        {modelPath: model.path, contexts: [contextSize], threads, decodeTokens, batchSize, repeats,
                            ...(model.cacheType != null ? {cacheType: model.cacheType} : {}), ...(model.pyramid != null ? {pyramid: model.pyramid} : {})},
                        {onProgress: (message) => stderr.write(`  ${label != null ? `[${label}] ` : ""}${message}\n`)}
                    );
                    rows.push({...row!, variant: formatModelVariant(model), ...(label != null ? {engine: label} : {})});
                }

        const ratios = engines.length > 1
            ? engineRatios(rows, engines.map((e) => e.label!))
            : benchRatios(rows, models.map(formatModelVariant));
        stdout.write(formatBench(rows, ratios) + "\n");
        if (values.json != null) {
            const report = {
                date: started.toISOString(),
                machine: {cpu: os.cpus()[0]?.model, cores: os.cpus().length, platform: `${process.platform}-${process.arch}`},
                options: {models: models.map(formatModelVariant), contexts, threads, decodeTokens, batchSize, repeats,
                    engines: engines.map((e) => e.label ?? "default")},
                rows,
                ratios
            };
            await fs.writeFile(values.json as string, JSON.stringify(report, null, 2) + "\n");
            stderr.write(`wrote ${values.json as string}\n`);
        }
    }
};

/** `FLAVOUR[:CPU_VARIANT]` -> the engine process's environment. */
export function parseEngineSpec(spec: string): {label: string, env: NodeJS.ProcessEnv} {
    const match = /^(portable|native)(?::([\w.-]+))?$/.exec(spec);
    if (match == null)
        throw new UsageError(`--engines takes FLAVOUR[:CPU_VARIANT] items such as portable, native, portable:x64 (got '${spec}')`);
    return {label: spec, env: {RECURFORMER_ENGINE_FLAVOUR: match[1], RECURFORMER_CPU_VARIANT: match[2] ?? "best"}};
}

/** The model variant a row ran (the bench command names it; a row without one: its file). */
function variantOf(row: BenchRow): string {
    return row.variant ?? row.modelPath;
}

/** Each engine build's figures against the first build's, for the same model and context size. */
export function engineRatios(rows: BenchRow[], engines: string[]): BenchRatio[] {
    const [baseline, ...others] = engines;
    return rows.filter((r) => others.includes(r.engine!)).flatMap((row) => {
        const base = rows.find((r) => r.engine === baseline && variantOf(r) === variantOf(row) && r.contextSize === row.contextSize);
        return base == null ? [] : [{
            contextSize: row.contextSize, model: variantOf(row), baseline: variantOf(row), engine: row.engine, baselineEngine: baseline,
            prefill: row.prefillTokensPerSecond / base.prefillTokensPerSecond,
            decode: row.decodeTokensPerSecond / base.decodeTokensPerSecond,
            cache: row.cacheBytesComputed / base.cacheBytesComputed
        }];
    });
}

export function benchRatios(rows: BenchRow[], models: string[]): BenchRatio[] {
    const [baseline, ...others] = models;
    const ratios: BenchRatio[] = [];
    for (const row of rows) {
        if (variantOf(row) === baseline || !others.includes(variantOf(row)))
            continue;
        const base = rows.find((r) => variantOf(r) === baseline && r.contextSize === row.contextSize);
        if (base == null)
            continue;
        const buffers = (r: BenchRow) => (r.buffers.kvBufferBytesMeasured ?? 0) + (r.buffers.recurrentBufferBytesMeasured ?? 0);
        ratios.push({
            contextSize: row.contextSize,
            model: variantOf(row),
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
            name(variantOf(r)) + (r.engine != null ? ` [${r.engine}]` : ""), r.architecture, String(r.contextSize), String(r.promptTokens),
            r.prefillTokensPerSecond.toFixed(1), r.decodeTokensPerSecond.toFixed(2),
            formatBytes(r.cacheBytesComputed),
            formatBytes((r.buffers.kvBufferBytesMeasured ?? 0) + (r.buffers.recurrentBufferBytesMeasured ?? 0)),
            formatBytes(r.stateBytesMeasured)
        ])
    );
    const threads = rows[0]?.threads;
    const passes = rows[0]?.samples.length ?? 1;
    const builds = [...new Set(rows.map((r) => r.backend != null
        ? `${r.engine != null ? `[${r.engine}] ` : ""}${r.backend.flavour ?? "?"} build, CPU variant ${r.backend.cpuVariant ?? "?"}${r.backend.gpu ? `, GPU ${r.backend.gpu}` : ""}`
        : undefined).filter((b) => b != null))];
    const lines = [table, "", ...(builds.length > 0 ? [`engine: ${builds.join("; ")}`] : []), `threads ${threads}, batch ${rows[0]?.batchSize}, ${rows[0]?.decodeTokens} decoded tokens after a prompt that fills the context; ` +
        `models run one after another at each context size${passes > 1 ? `; fastest of ${passes} passes` : ""}.`];
    if (ratios.length > 0 && ratios[0]!.engine != null) {
        lines.push("", `ratios against the ${ratios[0]!.baselineEngine} build, same model, same run:`);
        lines.push(formatTable(
            ["context", "model", "build", "prefill", "decode"],
            ratios.map((r) => [String(r.contextSize), name(r.model), r.engine!, `${r.prefill.toFixed(3)}x`, `${r.decode.toFixed(3)}x`])
        ));
    } else if (ratios.length > 0) {
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
