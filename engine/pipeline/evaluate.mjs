#!/usr/bin/env node
// Evaluation of shipped GGUFs through the patched llama.cpp (the engine's own backend, CPU):
// held-out perplexity, document Q&A exact match at 1k..16k, HashHop 1/2-hop at 1k..8k, cache bytes.
// Writes engine/pipeline/RESULTS.json, then runs `python3 -m engine.pipeline.results` on it, which writes
// RESULTS.md (table + targets) and RESULTS.png (trade-off) beside it (--no-report: the JSON only).
//
//   npm run evaluate -- --models A.gguf,B.gguf,... [...]          (the same as:)
//   node engine/pipeline/evaluate.mjs --models A.gguf,B.gguf,... [--eval-dir engine/pipeline/build/eval]
//        [--shards engine/pipeline/build/shards] [--samples docqa_1k=20,docqa_4k=10,...] [--ppl-windows 8]
//        [--threads 2] [--out engine/pipeline/RESULTS.json] [--no-report]      env: PYTHON=/path/to/python3
//
// Exact match: the greedy answer (up to <|im_end|>), trimmed, equals the planted value, as the
// training samples teach (the assistant turn is the bare value).
import fs from "node:fs";
import {execFileSync, spawnSync} from "node:child_process";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";
import {LlamaBackend} from "../../dist/engine/runtime/llama/LlamaBackend.js";
import {LlamaLog} from "../../dist/engine/runtime/llama/LlamaLog.js";
import {GgufShape} from "../../dist/engine/runtime/gguf/GgufShape.js";
import {CacheMeter} from "../../dist/engine/runtime/CacheMeter.js";

const {values: args} = parseArgs({options: {
    "models": {type: "string"},
    "eval-dir": {type: "string", default: "engine/pipeline/build/eval"},
    "shards": {type: "string", default: "engine/pipeline/build/shards"},
    "samples": {type: "string", default: "docqa_1k=20,docqa_4k=10,docqa_8k=6,docqa_16k=4,hashhop_1k=20,hashhop_4k=10,hashhop_8k=6"},
    "ppl-windows": {type: "string", default: "8"},
    "ppl-window": {type: "string", default: "1024"},
    "threads": {type: "string", default: "2"},
    "out": {type: "string", default: "engine/pipeline/RESULTS.json"},
    "no-report": {type: "boolean", default: false}
}});
if (!args.models) {
    process.stderr.write("usage: node engine/pipeline/evaluate.mjs --models A.gguf,B.gguf [...]\n");
    process.exit(2);
}
const threads = Number(args.threads);
const samples = Object.fromEntries(args.samples.split(",").map((s) => s.split("=")).map(([k, v]) => [k, Number(v)]));
const maxTarget = Math.max(...Object.keys(samples).map((k) => Number(k.split("_")[1].replace("k", "")) * 1024));

function readTasks(name, limit) {
    const file = path.join(args["eval-dir"], `${name}.jsonl`);
    return fs.readFileSync(file, "utf8").split("\n").filter(Boolean).slice(0, limit).map((l) => JSON.parse(l));
}

function heldoutTokens() {
    const files = fs.readdirSync(args.shards).filter((f) => /^heldout_.*\.bin\.xz$/.test(f)).sort();
    const parts = files.map((f) => execFileSync("xz", ["-dc", path.join(args.shards, f)], {maxBuffer: 1 << 30}));
    const buf = Buffer.concat(parts);
    return new Uint16Array(buf.buffer, buf.byteOffset, buf.length / 2);
}

/** mean negative log-likelihood over windows spread evenly through the held-out tokens */
async function perplexity(sequence, tokens, windows, size) {
    let nll = 0, count = 0;
    const stride = Math.floor((tokens.length - size - 1) / windows);
    for (let w = 0; w < windows; w++) {
        const win = Array.from(tokens.subarray(w * stride, w * stride + size + 1));
        await sequence.clearHistory();
        const input = win.slice(0, size).map((t, i) => [t, {generateNext: {
            logits: {filter: {tokens: [win[i + 1]], includeMax: true}}, totalLogitWeight: true}}]);
        const out = await sequence.controlledEvaluate(input);
        for (let i = 0; i < size; i++) {
            const next = out[i]?.next;
            if (!next) continue;
            const max = Math.max(...next.logits.values());
            nll -= next.logits.get(win[i + 1]) - max - Math.log(next.totalLogitWeight);
            count++;
        }
    }
    return {perplexity: Math.exp(nll / count), tokens: count};
}

async function answer(model, sequence, prompt, maxTokens = 24) {
    await sequence.clearHistory();
    const tokens = model.tokenize(prompt, true);
    const started = performance.now();
    const out = [];
    for await (const token of sequence.evaluate(tokens, {temperature: 0})) {
        if (model.isSpecialToken(token) || token === model.tokens.eos || out.length >= maxTokens) break;
        out.push(token);
    }
    return {text: model.detokenize(out).trim(), promptTokens: tokens.length, seconds: (performance.now() - started) / 1000};
}

const log = new LlamaLog();
const backend = await LlamaBackend.load({gpu: false, log});
const heldout = heldoutTokens();
const results = {created: new Date().toISOString(), command: `node engine/pipeline/evaluate.mjs ${process.argv.slice(2).join(" ")}`,
    threads, samples, models: []};

for (const modelPath of args.models.split(",")) {
    const shape = (await GgufShape.read(modelPath)).shape;
    const meter = new CacheMeter(shape, {cacheType: "f16"});
    const model = await backend.llama.loadModel({modelPath});
    const context = await model.createContext({contextSize: maxTarget + 512, sequences: 1, threads, batchSize: 512});
    const sequence = context.getSequence();
    // the shape tells the models apart (results.py: dense, RecurFormer keep k/G), not the file name
    const entry = {model: path.basename(modelPath), architecture: shape.architecture, tasks: {}, cacheBytes: {},
        shape: {name: shape.name, layers: shape.layers, headDim: shape.headDim,
            headsPerLayer: shape.headsPerLayer, kvHeadsPerLayer: shape.kvHeadsPerLayer,
            sourceKvHeads: shape.sourceKvHeads, sourceName: shape.sourceName,
            replacedKvGroupsPerLayer: shape.replacedKvGroupsPerLayer, recurrentLayers: shape.recurrentLayers,
            kvBytesPerToken: meter.kvBytesPerToken, recurrentStateBytes: meter.recurrentStateBytes,
            denseKvBytesPerToken: meter.denseKvBytesPerToken}};
    for (const n of [1024, 4096, 8192, 16384]) entry.cacheBytes[n] = meter.bytesAt(n);
    process.stderr.write(`${entry.model}: perplexity...\n`);
    entry.heldout = await perplexity(sequence, heldout, Number(args["ppl-windows"]), Number(args["ppl-window"]));
    for (const [name, limit] of Object.entries(samples)) {
        const tasks = readTasks(name, limit);
        let correct = 0, seconds = 0;
        const byHops = {};
        for (const task of tasks) {
            const res = await answer(model, sequence, task.prompt);
            const ok = res.text === task.answer;
            correct += ok ? 1 : 0;
            seconds += res.seconds;
            if (task.hops) (byHops[task.hops] ??= [0, 0])[ok ? 0 : 1]++;
        }
        entry.tasks[name] = {n: tasks.length, exactMatch: correct / tasks.length, seconds,
            ...(Object.keys(byHops).length ? {byHops: Object.fromEntries(Object.entries(byHops).map(([h, [c, w]]) => [h, c / (c + w)])),
                hopSamples: Object.fromEntries(Object.entries(byHops).map(([h, [c, w]]) => [h, c + w]))} : {})};
        process.stderr.write(`${entry.model} ${name}: ${correct}/${tasks.length} (${seconds.toFixed(0)} s)\n`);
    }
    results.models.push(entry);
    fs.writeFileSync(args.out, JSON.stringify(results, null, 1));
    await context.dispose();
    await model.dispose();
}
process.stdout.write(`wrote ${args.out}\n`);
if (!args["no-report"]) {
    // RESULTS.md + RESULTS.png beside the JSON (stdlib + numpy; matplotlib for a labelled PNG)
    const python = process.env.PYTHON ?? "/usr/bin/python3";
    const res = spawnSync(python, ["-m", "engine.pipeline.results", "--json", path.resolve(args.out)], {
        cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", ".."), stdio: "inherit"});
    if (res.status !== 0) {
        process.stderr.write(`evaluate: the report failed (${res.error?.message ?? `exit ${res.status}`}); ` +
            `RESULTS.json is complete: rerun \`${python} -m engine.pipeline.results --json ${args.out}\`\n`);
        process.exit(1);
    }
}
