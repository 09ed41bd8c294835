import path from "node:path";
import type {CacheType} from "../protocol.js";
import {defaultInspectTokens} from "../engine/EngineProcess.js";
import {resolveModelPath} from "../defaultModel.js";
import {UsageError} from "./UsageError.js";
import {parsePositiveInt, parsePyramidOption} from "./format.js";
import type {CliCommand, CliContext} from "./CliCommand.js";

/** `recurformer inspect [MODEL.gguf] [--tokens N] [--dense DENSE.gguf] [--cache-type f16|q8_0] [--pyramid SCHEDULE] [--no-measure]` */
export const inspectCommand: CliCommand = {
    options: {
        model: {type: "string"},
        tokens: {type: "string"},
        dense: {type: "string"},
        "cache-type": {type: "string"},
        pyramid: {type: "string"},
        "no-measure": {type: "boolean"}
    },
    async run({values, positionals, startEngine, stdout}: CliContext): Promise<void> {
        if (positionals.length > (values.model != null ? 0 : 1))
            throw new UsageError(`inspect takes one model file, got: ${positionals.join(" ")}`);
        const cacheType = (values["cache-type"] as string | undefined) ?? "f16";
        if (cacheType !== "f16" && cacheType !== "q8_0")
            throw new UsageError(`--cache-type must be f16 or q8_0, not '${cacheType}'`);
        const tokens = parsePositiveInt("tokens", values.tokens as string | undefined, defaultInspectTokens);
        const pyramid = parsePyramidOption(values.pyramid as string | undefined);
        const model = resolveModelPath((values.model as string | undefined) ?? positionals[0]);

        const engine = await startEngine();
        const report = await engine.inspect(model, {
            tokens,
            cacheType: cacheType as CacheType,
            measure: values["no-measure"] !== true,
            ...(pyramid != null ? {pyramid} : {}),
            ...(values.dense != null ? {densePath: path.resolve(values.dense as string)} : {})
        });
        stdout.write(compactJson(report) + "\n");
    }
};

/** JSON with two-space indents, but arrays of plain values (per-layer head counts) on one line. */
export function compactJson(value: unknown): string {
    return JSON.stringify(value, null, 2)
        .replace(/\[\s+([^[\]{}]*?)\s+\]/g, (_, inner: string) => `[${inner.split(/,\s+/).join(", ")}]`);
}
