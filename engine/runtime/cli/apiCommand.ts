import {randomBytes} from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {defaultModelCandidates} from "../defaultModel.js";
import {DefaultModelMissingError} from "../errors/DefaultModelMissingError.js";
import {GgufShape} from "../gguf/GgufShape.js";
import {ApiServer} from "../api-server/ApiServer.js";
import {ServedEngine, type ModelSpec} from "../api-server/ServedEngine.js";
import {UsageError} from "./UsageError.js";
import {isLoopback, parseModelsOption, parsePositiveInt, parsePyramidOption} from "./format.js";
import type {ModelVariant} from "../modelVariant.js";
import type {CliCommand, CliContext} from "./CliCommand.js";

/** Defaults: a context most machines hold for two sequences of a large model; two sequences, as the app has chat slots. */
const defaultContext = 8192;
const defaultParallel = 2;
const defaultPort = 8089;

/**
 * `recurformer api [--port N] [--host H --allow-remote] [--api-key KEY] [--models A.gguf,B.gguf] [--context N] [--parallel N] [--pyramid SCHEDULE]`
 *
 * A model may carry options (modelVariant.ts): `B.gguf@pyramid:r0=0.8,decay=0.7` serves it with PyramidInfer (one
 * request at a time: its context holds one sequence), `@q8_0` with a q8_0 KV cache; the id says so (`B-pyramid`,
 * `B-q8_0`). --pyramid gives every served model without its own schedule that one.
 */
export const apiCommand: CliCommand = {
    options: {
        port: {type: "string"},
        host: {type: "string"},
        "allow-remote": {type: "boolean"},
        "api-key": {type: "string"},
        models: {type: "string"},
        context: {type: "string"},
        parallel: {type: "string"},
        threads: {type: "string"},
        "gpu-layers": {type: "string"},
        pyramid: {type: "string"}
    },
    async run({values, positionals, startEngine, stdout, stderr}: CliContext): Promise<void> {
        if (positionals.length > 0)
            throw new UsageError(`api takes no positional arguments (got: ${positionals.join(" ")}); use --models`);
        const port = values.port != null ? parsePort(values.port as string) : defaultPort;
        const host = (values.host as string | undefined) ?? "127.0.0.1";
        if (!isLoopback(host) && values["allow-remote"] !== true)
            throw new UsageError(`--host ${host} would let other machines reach the models; add --allow-remote to mean it ` +
                "(and put TLS or an SSH tunnel in front: the API key travels in plain text over HTTP)");
        const contextSize = parsePositiveInt("context", values.context as string | undefined);
        const parallel = parsePositiveInt("parallel", values.parallel as string | undefined, defaultParallel);
        const threads = parsePositiveInt("threads", values.threads as string | undefined);
        const gpuLayers = values["gpu-layers"] != null ? parseWhole("gpu-layers", values["gpu-layers"] as string) : undefined;
        const given = (values["api-key"] as string | undefined) ?? process.env.RECURFORMER_API_KEY;
        if (given != null && given.length === 0)
            throw new UsageError("--api-key must not be empty");
        const apiKey = given ?? `rf-${randomBytes(24).toString("base64url")}`;

        const specs: ModelSpec[] = [];
        for (const file of modelFiles(values.models as string | undefined, parsePyramidOption(values.pyramid as string | undefined))) {
            // the trained context caps the default, as in the app
            const trained = (await GgufShape.read(file.path)).shape.contextLength;
            specs.push({id: file.id, options: {
                modelPath: file.path,
                contextSize: contextSize ?? Math.min(defaultContext, trained || defaultContext),
                // PyramidInfer keeps one sequence per context
                sequences: file.pyramid != null ? 1 : parallel,
                ...(threads != null ? {threads} : {}),
                ...(gpuLayers != null ? {gpuLayers} : {}),
                ...(file.cacheType != null ? {cacheType: file.cacheType} : {}),
                ...(file.pyramid != null ? {pyramid: file.pyramid} : {})
            }});
        }

        const served = new ServedEngine(() => startEngine(), specs, (line) => stderr.write(line + "\n"));
        const {loaded} = await served.ready();
        const server = new ApiServer({engine: served, apiKey, log: (line) => stderr.write(line + "\n")});
        const address = await server.listen(port, host);
        const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
        stdout.write(`RecurFormer API: http://${shownHost}:${address.port}/v1\n`);
        for (const spec of specs) {
            const load = loaded.get(spec.id)!;
            stdout.write(`  model ${spec.id}: ${load.shape.name} (${load.shape.architecture}), context ${load.contextSize} tokens, ` +
                `${spec.options.sequences} at once${load.pyramid != null ? `, PyramidInfer ${load.pyramid.schedule}` : ""}, ${spec.options.modelPath}\n`);
        }
        stdout.write(given != null ? "API key: the one given\n" : `API key (shown once): ${apiKey}\n`);
        if (!isLoopback(host))
            stderr.write(`warning: listening on ${host}, reachable from other machines; put TLS or an SSH tunnel in front.\n`);

        await new Promise<void>((resolve) => {
            process.once("SIGINT", resolve);
            process.once("SIGTERM", resolve);
        });
        stderr.write("stopping\n");
        await server.close();
    }
};

/**
 * The models to serve: --models (ids from the file names, "-q8_0" and "-pyramid" added for those options), else the
 * default pair found in the model folders; `pyramid`: the schedule of every model without its own.
 */
function modelFiles(list: string | undefined, pyramid: string | undefined): (ModelVariant & {id: string})[] {
    if (list != null) {
        const variants = parseModelsOption(list, pyramid).map((v) => ({...v, path: path.resolve(v.path)}));
        if (variants.length === 0)
            throw new UsageError("--models needs at least one GGUF file");
        const ids = new Set<string>();
        return variants.map((variant) => {
            if (!fs.existsSync(variant.path))
                throw new UsageError(`--models: no file ${variant.path}`);
            const id = path.basename(variant.path).replace(/\.gguf$/i, "") +
                (variant.cacheType === "q8_0" ? "-q8_0" : "") + (variant.pyramid != null ? "-pyramid" : "");
            if (ids.has(id))
                throw new UsageError(`--models: two models would be named ${id}; model ids come from the file names and their options`);
            ids.add(id);
            return {...variant, id};
        });
    }
    const found = (["recurformer", "dense"] as const)
        .map((kind) => ({id: kind, path: defaultModelCandidates(kind).find((file) => fs.existsSync(file)), ...(pyramid != null ? {pyramid} : {})}))
        .filter((file): file is {id: "recurformer" | "dense", path: string, pyramid?: string} => file.path != null);
    if (found.length === 0)
        throw new DefaultModelMissingError(defaultModelCandidates("recurformer"), "recurformer");
    return found;
}

function parsePort(value: string): number {
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port must be 0 to 65535, not '${value}'`);
    return port;
}

function parseWhole(name: string, value: string): number {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
        throw new UsageError(`--${name} must be a whole number >= 0, not '${value}'`);
    return n;
}
