#!/usr/bin/env node
// The held-out evaluation of GGUFs through the patched llama.cpp (the engine's own backend, CPU): greedy
// replies to the sets of engine/pipeline/tasks/heldout.py (held-out families only), held-out perplexity and
// cache bytes. Writes a replies JSON (the same shape stages/evaluate_torch.py writes for the PyTorch
// reference); results.py scores every replies file alike (tasks/scoring.py) and writes RESULTS.md/.json/.png.
//
//   npm run evaluate                                   (a small CPU subset of the default pair, the same as:)
//   node engine/pipeline/evaluate.mjs --models assets/models/dense.gguf,assets/models/recurformer.gguf
//        [--heldout engine/pipeline/build/heldout] [--samples docqa_1k=8,facts=20,...] [--threads 2]
//        [--out engine/pipeline/build/eval-cpu/replies-llama.json] [--no-report]
// The report (results.py: RESULTS.md/.json/.png) is written beside --out; the committed engine/pipeline/RESULTS.*
// combine the GPU run with a CPU run (the command is in RESULTS.md).            env: PYTHON=/path/to/python3
//   A model is PATH[@q8_0][@pyramid:SCHEDULE] (engine/runtime/modelVariant.ts; the suffixes in either order):
//   @q8_0 runs a q8_0 K/V cache (flash attention), e.g. recurformer.gguf@q8_0; @pyramid:SCHEDULE runs PyramidInfer KV
//   retention (engine/llama/PYRAMID.md), e.g. --models assets/models/dense.gguf,assets/models/dense.gguf@pyramid:r0=0.8,decay=0.7
//   (a schedule's r0=, decay=, recent=, queries=, every= items stay with the model before them in the comma list).
//   Each model's entry records its cache bytes at 1k/4k/8k/16k tokens: cacheBytes (what one sequence holds; with
//   PyramidInfer the tokens each layer retains right after a selection), allocatedBytes (what a context of that
//   many tokens allocates: with PyramidInfer its cells per layer) and, with PyramidInfer, the schedule the engine
//   took, the cells per layer of the evaluation's own context and the tokens each layer retains at each length.
//   results.py adds doc-QA accuracy by answer depth (answer_depth.py) for every model. The replies record each set's
//   fingerprint: results.py scores them only against the same sets (tasks/pinned.py: the sets are pinned).
import {createHash} from "node:crypto";
import fs from "node:fs";
import {spawnSync} from "node:child_process";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";
import {LlamaBackend} from "../../dist/engine/runtime/llama/LlamaBackend.js";
import {LlamaLog} from "../../dist/engine/runtime/llama/LlamaLog.js";
import {GgufShape} from "../../dist/engine/runtime/gguf/GgufShape.js";
import {CacheMeter} from "../../dist/engine/runtime/CacheMeter.js";
import {LoadedModel} from "../../dist/engine/runtime/LoadedModel.js";
import {formatModelVariant, parseModelVariants} from "../../dist/engine/runtime/modelVariant.js";
import {formatPyramidSchedule, parsePyramidSchedule} from "../../dist/api/pyramidCache.js";
import {perplexity} from "./perplexity.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const options = {
    "models": {type: "string", default: "assets/models/dense.gguf,assets/models/recurformer.gguf"},
    "heldout": {type: "string", default: "engine/pipeline/build/heldout"},
    "samples": {type: "string", default: "docqa_1k=10,docqa_4k=6,docqa_hand_2k=10,hop1_1k=10,hop2_1k=6,facts=30,open=50"},
    "ppl-windows": {type: "string", default: "4"},
    "ppl-window": {type: "string", default: "1024"},
    "threads": {type: "string", default: "2"},
    "out": {type: "string", default: "engine/pipeline/build/eval-cpu/replies-llama.json"},
    "no-report": {type: "boolean", default: false},
    "help": {type: "boolean", short: "h", default: false}
};
let args;
try {
    args = parseArgs({options}).values;
} catch (e) {
    process.stderr.write(`evaluate: ${e.message} (--help lists the options)\n`);
    process.exit(2);
}
if (args.help) {            // the usage is this file's opening comment
    const head = fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1);
    process.stdout.write(head.slice(0, head.findIndex((l) => !l.startsWith("//"))).map((l) => l.slice(3)).join("\n") + "\n");
    process.exit(0);
}
const threads = Number(args.threads);
const samples = Object.fromEntries(args.samples.split(",").map((s) => s.split("=")).map(([k, v]) => [k, Number(v)]));
for (const name of Object.keys(samples)) {
    const file = path.join(args.heldout, `${name}.jsonl`);
    if (!fs.existsSync(file)) {
        process.stderr.write(`evaluate: ${file} is missing: make the held-out sets first ` +
            "(/usr/bin/python3 -m engine.pipeline.tasks.heldout; engine/pipeline/README.md)\n");
        process.exit(2);
    }
}
const readSet = (name, limit) => fs.readFileSync(path.join(args.heldout, `${name}.jsonl`), "utf8").split("\n")
    .filter(Boolean).slice(0, limit).map((l) => JSON.parse(l));
const sets = Object.fromEntries(Object.entries(samples).map(([name, n]) => [name, readSet(name, n)]));
const longest = Math.max(...Object.values(sets).flat().map((s) => s.prompt.length / 2.5 + s.max_tokens));
const pplWindow = Number(args["ppl-window"]);      // the context holds a whole window: no context shift

/** greedy reply to a ChatML prompt (BOS first, as in training), up to the end of turn or maxTokens */
async function reply(model, sequence, prompt, maxTokens) {
    await sequence.clearHistory();
    const tokens = [...(model.tokens.bos != null ? [model.tokens.bos] : []), ...model.tokenize(prompt, true)];
    const out = [];
    let ended = true;          // node-llama-cpp ends the iteration itself at the end-of-turn token
    for await (const token of sequence.evaluate(tokens, {temperature: 0})) {
        if (model.isSpecialToken(token) || token === model.tokens.eos) break;
        if (out.length >= maxTokens) { ended = false; break; }
        out.push(token);
    }
    return {reply: model.detokenize(out), ended};
}

const log = new LlamaLog();
const backend = await LlamaBackend.load({gpu: false, log});
// each set's fingerprint (tasks/pinned.py: the first 16 hex digits of the file's sha256): results.py scores
// these replies only against the very same sets
const fingerprint = (file) => createHash("sha256").update(fs.readFileSync(file)).digest("hex").slice(0, 16);
const fingerprints = Object.fromEntries([...Object.keys(samples).map((name) => [name, `${name}.jsonl`]),
    ["heldout_text", "heldout_text.txt"]].map(([name, file]) => [name, fingerprint(path.join(args.heldout, file))]));
const result = {created: new Date().toISOString(), evaluator: "llama.cpp",
    command: `node engine/pipeline/evaluate.mjs ${process.argv.slice(2).join(" ")}`, threads, samples,
    sets: fingerprints, models: []};

const batchSize = 512;
for (const variant of parseModelVariants(args.models)) {
    const {path: modelPath, cacheType = "f16", pyramid: schedule} = variant;
    const spec = formatModelVariant({...variant, path: path.basename(modelPath)});
    const gguf = await GgufShape.read(modelPath);
    const shape = gguf.shape;
    const options = {contextSize: Math.ceil((Math.max(longest, pplWindow) + 256) / 256) * 256, sequences: 1, threads, batchSize,
        cacheType, ...(schedule != null ? {pyramid: schedule} : {})};
    LoadedModel.checkPyramid(gguf, options);
    const meter = new CacheMeter(shape, {cacheType, ...(schedule != null ? {pyramid: parsePyramidSchedule(schedule)} : {})});
    const model = await LoadedModel.loadModel(backend, modelPath, undefined, undefined, schedule);
    const {context, pyramid} = await LoadedModel.createContext(backend, model, modelPath, options);
    const sequence = context.getSequence();
    // results.py tells the models apart by their shape (dense, RecurFormer keep k/G, BASED window/feature dim), cache
    // type and PyramidInfer schedule
    const entry = {model: path.basename(modelPath), cacheType, architecture: shape.architecture, replies: {},
        cacheBytes: {}, allocatedBytes: {}, denseCacheBytes: {},
        ...(pyramid != null ? {pyramid: {...pyramid.schedule, schedule: formatPyramidSchedule(pyramid.schedule), batchSize,
            contextSize: context.contextSize, cellsPerLayer: pyramid.cellsPerLayer, retainedPerLayer: {}}} : {}),
        shape: {name: shape.name, layers: shape.layers, kvHeadsPerLayer: shape.kvHeadsPerLayer,
            sourceKvHeads: shape.sourceKvHeads, replacedKvGroupsPerLayer: shape.replacedKvGroupsPerLayer,
            kvBytesPerToken: meter.kvBytesPerToken, recurrentStateBytes: meter.recurrentStateBytes,
            ...(shape.window != null ? {window: shape.window.tokens} : {}),
            ...(shape.linearAttention != null ? {featureDim: shape.linearAttention.featureDim} : {})}};
    for (const n of [1024, 4096, 8192, 16384]) {
        entry.cacheBytes[n] = meter.bytesAt(n);
        const allocated = meter.contextBuffers({cells: n, batchSize});
        entry.allocatedBytes[n] = allocated.kvBufferBytes + allocated.recurrentBufferBytes;
        if (entry.pyramid != null)
            entry.pyramid.retainedPerLayer[n] = meter.retainedAt(n);
        entry.denseCacheBytes[n] = new CacheMeter(shape, {cacheType: "f16"}).denseBytesAt(n) ?? null;
    }
    const text = fs.readFileSync(path.join(args.heldout, "heldout_text.txt"), "utf8");
    entry.perplexity = await perplexity(sequence, model.tokenize(text), Number(args["ppl-windows"]), pplWindow);
    process.stderr.write(`${spec}: held-out perplexity ${entry.perplexity.value.toFixed(3)}\n`);
    for (const [name, rows] of Object.entries(sets)) {
        const started = performance.now();
        for (const row of rows) entry.replies[row.id] = await reply(model, sequence, row.prompt, row.max_tokens);
        process.stderr.write(`${spec} ${name}: ${rows.length} replies (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
    }
    result.models.push(entry);
    fs.mkdirSync(path.dirname(args.out), {recursive: true});
    fs.writeFileSync(args.out, JSON.stringify(result, null, 1));
    await context.dispose();
    await model.dispose();
}
process.stdout.write(`wrote ${args.out}\n`);
if (!args["no-report"]) {
    const python = process.env.PYTHON ?? "/usr/bin/python3";
    const res = spawnSync(python, ["-m", "engine.pipeline.results", "--llama", path.resolve(args.out),
        "--heldout", path.resolve(args.heldout), "--out-dir", path.resolve(path.dirname(args.out))],
        {cwd: root, stdio: "inherit"});
    if (res.status !== 0) {
        process.stderr.write(`evaluate: the report failed (${res.error?.message ?? `exit ${res.status}`}); ` +
            `${args.out} is complete: rerun \`${python} -m engine.pipeline.results --llama ${args.out}\`\n`);
        process.exit(1);
    }
}
