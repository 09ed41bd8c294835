// Allocated KV bytes per layer with PyramidInfer on, from the engine's own log (one `llama_kv_cache: size = ...`
// line per layer), against api/pyramidCache.ts: pyramidCells (what the design allocates) and pyramidKvBytes (the
// schedule's amount at n_ctx tokens).
// usage (from the repository root): npx tsx engine/llama/pyramid_bytes.ts TOOL [N_CTX] [BATCH...]
//   TOOL: pyramid_eval (engine/llama/pyramid_eval.cpp); models: the default pair in assets/models, KV in F16
import {spawnSync} from "node:child_process";
import {pyramidCells, pyramidKeep, pyramidKvBytes} from "../../api/pyramidCache.js";

const [tool, ctxArg, ...batchArgs] = process.argv.slice(2);
const nCtx = Number(ctxArg ?? 16384);
const batches = batchArgs.length ? batchArgs.map(Number) : [512, 128];
const models = {dense: 2048, recurformer: 256}; // F16 KV bytes per layer-token: 8 and 1 KV heads of 64
const schedules = [{r0: 1.0, decay: 0.8, recent: 64}, {r0: 0.8, decay: 0.7, recent: 64}];
const L = 8;
const MiB = 1024 * 1024;

function allocated(model: string, schedule: string, batch: number) {
    const res = spawnSync(tool, [`assets/models/${model}.gguf`, String(nCtx), String(batch), schedule, "f16", "0", "/tmp/pyramid-bytes"],
        {input: "", encoding: "utf8"});
    const log = res.stdout + res.stderr;
    const layers = [...log.matchAll(/llama_kv_cache: size = +([\d.]+) MiB \( *(\d+) cells/g)].map((m) => ({mib: Number(m[1]), cells: Number(m[2])}));
    const recurrent = [...log.matchAll(/llama_memory_recurrent: .*size = +([\d.]+) MiB/g)].map((m) => Number(m[1]));
    return {layers, recurrent: recurrent[0] ?? 0};
}

for (const [model, perToken] of Object.entries(models)) {
    const plain = allocated(model, "off", 512);
    console.log(`${model}: plain ${plain.layers[0].mib.toFixed(2)} MiB KV (${plain.layers[0].cells} cells), recurrent ${plain.recurrent.toFixed(2)} MiB`);
    for (const s of schedules) {
        for (const batch of batches) {
            const spec = `r0=${s.r0},decay=${s.decay},recent=${s.recent},queries=16,every=${batch}`;
            const got = allocated(model, spec, batch);
            const bytes = got.layers.reduce((a, l) => a + l.mib, 0);
            const cells = pyramidCells(nCtx, L, s, batch);
            const designed = cells.reduce((a, c) => a + c * perToken, 0) / MiB;
            const schedule = pyramidKvBytes(nCtx, Array(L).fill(perToken), s) / MiB;
            const sameCells = JSON.stringify(got.layers.map((l) => l.cells)) === JSON.stringify(cells);
            console.log(`  r0 ${s.r0} decay ${s.decay} batch ${batch}: cells ${got.layers.map((l) => l.cells).join(" ")}` +
                ` (pyramidCells ${sameCells ? "equal" : cells.join(" ")}); KV ${bytes.toFixed(2)} MiB = ${(100 * bytes / plain.layers[0].mib).toFixed(1)}% of plain;` +
                ` vs pyramidCells ${designed.toFixed(2)} MiB (${(100 * (bytes / designed - 1)).toFixed(2)}%),` +
                ` vs pyramidKvBytes at ${nCtx} ${schedule.toFixed(2)} MiB (${(100 * (bytes / schedule - 1)).toFixed(1)}%);` +
                ` kept ${Array.from({length: L}, (_, l) => pyramidKeep(nCtx, l, s)).join(" ")}; recurrent ${got.recurrent.toFixed(2)} MiB`);
        }
    }
}
