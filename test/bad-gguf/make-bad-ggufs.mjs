#!/usr/bin/env node
// Writes broken GGUF files, each from a valid fixture with one defect, into test/bad-gguf/generated/
// (git-ignored), with manifest.json saying what each one is and which named error it must get.
//   node test/bad-gguf/make-bad-ggufs.mjs [--out DIR]
// Sources: test/fixtures/models/rf-gqa-r4.gguf (recurformer) and dense-llama-gqa.gguf (llama),
// written by `npm run fixtures`. This script has its own small GGUF reader/writer on purpose: it must
// not share code with the engine's parser that it tests.
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const fixtures = path.join(root, "test", "fixtures", "models");
const outArg = process.argv.indexOf("--out");
const out = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(here, "generated");

const sources = {
    recurformer: path.join(fixtures, "rf-gqa-r4.gguf"),
    llama: path.join(fixtures, "dense-llama-gqa.gguf")
};
for (const file of Object.values(sources))
    if (!fs.existsSync(file)) {
        process.stderr.write(`make-bad-ggufs: ${path.relative(root, file)} is missing; run \`npm run fixtures\` first.\n`);
        process.exit(1);
    }

// ---- a minimal GGUF reader / writer (little-endian, v3) ----
const T = {U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12};
const scalarBytes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8};

function readGguf(file) {
    const b = fs.readFileSync(file);
    let p = 0;
    const u32 = () => { const v = b.readUInt32LE(p); p += 4; return v; };
    const u64 = () => { const v = Number(b.readBigUInt64LE(p)); p += 8; return v; };
    const str = () => { const n = u64(); const s = b.toString("utf8", p, p + n); p += n; return s; };
    const skipValue = (type) => {
        if (type === T.STRING) { str(); return; }
        if (type === T.ARRAY) { const it = u32(); const n = u64(); for (let i = 0; i < n; i++) skipValue(it); return; }
        p += scalarBytes[type];
    };
    if (b.toString("latin1", 0, 4) !== "GGUF") throw new Error(`${file}: not GGUF`);
    p = 4;
    const version = u32();
    const nTensors = u64();
    const nKv = u64();
    const kvs = [];
    for (let i = 0; i < nKv; i++) {
        const key = str();
        const type = u32();
        const start = p;
        skipValue(type);
        kvs.push({key, type, raw: b.subarray(start, p)});
    }
    const tensors = [];
    for (let i = 0; i < nTensors; i++) {
        const name = str();
        const nd = u32();
        const dims = [];
        for (let d = 0; d < nd; d++) dims.push(u64());
        const type = u32();
        const offset = u64();
        tensors.push({name, dims, type, offset});
    }
    const alignKv = kvs.find((kv) => kv.key === "general.alignment");
    const alignment = alignKv ? alignKv.raw.readUInt32LE(0) : 32;
    const dataStart = Math.ceil(p / alignment) * alignment;
    const ends = tensors.map((t) => t.offset).concat([b.length - dataStart]).sort((x, y) => x - y);
    for (const t of tensors) {
        const next = ends.find((e) => e > t.offset);
        t.data = b.subarray(dataStart + t.offset, dataStart + next);
        t.bytes = tensorBytes(t);
        t.data = t.data.subarray(0, t.bytes);
    }
    return {version, kvs, tensors, alignment};
}

/** only the types the fixtures use */
function tensorBytes(t) {
    const elements = t.dims.reduce((a, d) => a * d, 1);
    const per = {0: 4, 1: 2, 30: 2}[t.type];
    if (per == null) throw new Error(`tensor ${t.name}: type ${t.type} not handled by this script`);
    return elements * per;
}

function encodeString(s) {
    const bytes = Buffer.from(s, "utf8");
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(bytes.length));
    return Buffer.concat([len, bytes]);
}
const u32b = (v) => { const x = Buffer.alloc(4); x.writeUInt32LE(v); return x; };
const u64b = (v) => { const x = Buffer.alloc(8); x.writeBigUInt64LE(BigInt(v)); return x; };
const f32b = (v) => { const x = Buffer.alloc(4); x.writeFloatLE(v); return x; };
const kvU32 = (key, v) => ({key, type: T.U32, raw: u32b(v)});
const kvStr = (key, s) => ({key, type: T.STRING, raw: encodeString(s)});
const kvU32Array = (key, items) => ({key, type: T.ARRAY, raw: Buffer.concat([u32b(T.U32), u64b(items.length), ...items.map(u32b)])});
const readU32Array = (kv) => { const n = Number(kv.raw.readBigUInt64LE(4)); return Array.from({length: n}, (_, i) => kv.raw.readUInt32LE(12 + 4 * i)); };

function writeGguf(file, model, {version = model.version, magic = "GGUF", tensorCount, kvCount} = {}) {
    const parts = [Buffer.from(magic, "latin1"), u32b(version), u64b(tensorCount ?? model.tensors.length), u64b(kvCount ?? model.kvs.length)];
    for (const kv of model.kvs)
        parts.push(encodeString(kv.key), u32b(kv.type), kv.raw);
    let offset = 0;
    const layout = [];
    for (const t of model.tensors) {
        const at = t.forceOffset ?? offset;
        parts.push(encodeString(t.name), u32b(t.dims.length), ...t.dims.map(u64b), u32b(t.type), u64b(at));
        layout.push(at);
        offset = at + Math.ceil(t.data.length / model.alignment) * model.alignment;
    }
    let header = Buffer.concat(parts);
    const pad = Math.ceil(header.length / model.alignment) * model.alignment - header.length;
    const body = [header, Buffer.alloc(pad)];
    let written = 0;
    model.tensors.forEach((t, i) => {
        if (t.forceOffset != null) return; // leave its (bogus) place empty
        body.push(Buffer.alloc(layout[i] - written));
        body.push(t.data, Buffer.alloc(Math.ceil(t.data.length / model.alignment) * model.alignment - t.data.length));
        written = layout[i] + Math.ceil(t.data.length / model.alignment) * model.alignment;
    });
    fs.writeFileSync(file, Buffer.concat(body));
    return header.length;
}

function clone(model) {
    return {
        version: model.version,
        alignment: model.alignment,
        kvs: model.kvs.map((kv) => ({...kv})),
        tensors: model.tensors.map((t) => ({...t, dims: [...t.dims]}))
    };
}
const setKv = (m, kv) => { const i = m.kvs.findIndex((x) => x.key === kv.key); if (i >= 0) m.kvs[i] = kv; else m.kvs.push(kv); };
const dropKv = (m, key) => { m.kvs = m.kvs.filter((x) => x.key !== key); };
const tensor = (m, name) => { const t = m.tensors.find((x) => x.name === name); if (!t) throw new Error(`no tensor ${name}`); return t; };
/** a tensor reshaped (data re-made as zeros of the new size) */
const reshape = (m, name, dims) => { const t = tensor(m, name); t.dims = dims; t.data = Buffer.alloc(tensorBytes(t)); };

// ---- the cases ----
fs.rmSync(out, {recursive: true, force: true});
fs.mkdirSync(out, {recursive: true});
const manifest = [];
const rf = readGguf(sources.recurformer);
const llama = readGguf(sources.llama);
const rfBytes = fs.readFileSync(sources.recurformer);

/** @param expect the engine error class name; message: a regex source the message must match */
function add(name, description, expect, message, write) {
    const file = path.join(out, `${name}.gguf`);
    write(file);
    manifest.push({file: path.relative(root, file), name, description, expect, message});
}

// a valid file for the "still works afterwards" checks
const headerBytes = writeGguf(path.join(out, "good-recurformer.gguf"), clone(rf));
const dataStart = Math.ceil(headerBytes / rf.alignment) * rf.alignment;

// truncated at many offsets
const cuts = [
    [0, "empty file"], [3, "inside the magic"], [6, "inside the version"], [15, "inside the tensor count"],
    [30, "inside the first key"], [Math.floor(headerBytes * 0.25), "inside the metadata"],
    [Math.floor(headerBytes * 0.6), "inside the metadata or tensor table"], [headerBytes - 10, "inside the tensor table"],
    [dataStart + 100, "at the start of the tensor data"], [Math.floor(rfBytes.length / 2), "half the tensor data"],
    [rfBytes.length - 1, "one byte short"]
];
for (const [at, where] of cuts)
    add(`truncated-${at}`, `truncated at byte ${at} (${where})`, "InvalidGgufError", at <= 3 ? "only \\d+ bytes long" : "ends inside|runs past the end|more than (its|the rest)",
        (file) => fs.writeFileSync(file, fs.readFileSync(path.join(out, "good-recurformer.gguf")).subarray(0, at)));

add("wrong-magic", "magic GGUG instead of GGUF", "InvalidGgufError", "not \"GGUF\"",
    (file) => writeGguf(file, clone(rf), {magic: "GGUG"}));
add("not-gguf-text", "a text file named .gguf", "InvalidGgufError", "not \"GGUF\"",
    (file) => fs.writeFileSync(file, "this is not a model, just some text that happens to be long enough\n".repeat(20)));
add("version-1", "GGUF version 1", "InvalidGgufError", "version 1",
    (file) => writeGguf(file, clone(rf), {version: 1}));
add("version-big-endian", "version field byte-swapped (a big-endian file)", "InvalidGgufError", "big-endian",
    (file) => writeGguf(file, clone(rf), {version: 0x03000000}));
add("absurd-tensor-count", "tensor count 2^40", "InvalidGgufError", "claims \\d+ tensors",
    (file) => writeGguf(file, clone(rf), {tensorCount: 2 ** 40}));
add("absurd-key-count", "metadata key count 2^40", "InvalidGgufError", "claims \\d+ metadata keys",
    (file) => writeGguf(file, clone(rf), {kvCount: 2 ** 40}));
add("absurd-string-length", "a key whose string value claims 2^50 bytes", "InvalidGgufError", "past the end of the file",
    (file) => { const m = clone(rf); const kv = m.kvs.find((x) => x.key === "general.name"); kv.raw = Buffer.concat([u64b(2 ** 50), kv.raw.subarray(8)]); writeGguf(file, m); });
add("absurd-array-length", "the tokenizer's token array claims 2^40 items", "InvalidGgufError", "claims \\d+ items",
    (file) => { const m = clone(rf); const kv = m.kvs.find((x) => x.key === "tokenizer.ggml.tokens"); kv.raw = Buffer.concat([kv.raw.subarray(0, 4), u64b(2 ** 40), kv.raw.subarray(12)]); writeGguf(file, m); });
add("unknown-value-type", "a key with value type 77", "InvalidGgufError", "unknown value type 77",
    (file) => { const m = clone(rf); m.kvs.find((x) => x.key === "general.name").type = 77; writeGguf(file, m); });
add("duplicate-key", "general.name twice", "InvalidGgufError", "appears twice",
    (file) => { const m = clone(rf); m.kvs.push(kvStr("general.name", "again")); writeGguf(file, m); });
add("unknown-tensor-type", "a tensor of ggml type 200", "InvalidGgufError", "unknown ggml type 200",
    (file) => { const m = clone(rf); m.tensors[1].type = 200; writeGguf(file, m); });
add("too-many-dims", "a tensor with 7 dimensions", "InvalidGgufError", "7 dimensions",
    (file) => { const m = clone(rf); const t = m.tensors[1]; t.dims = [...t.dims, 1, 1, 1, 1, 1, 1, 1].slice(0, 7); writeGguf(file, m); });
add("tensor-past-end", "the last tensor's data offset points past the end of the file", "InvalidGgufError", "runs past the end|data starts at",
    (file) => { const m = clone(rf); m.tensors.at(-1).forceOffset = 1 << 30; writeGguf(file, m); });
add("tensor-misaligned", "a tensor data offset not aligned to 32", "InvalidGgufError", "not aligned",
    (file) => { const m = clone(rf); m.tensors.at(-1).forceOffset = m.tensors.at(-2).offset + 8; writeGguf(file, m); });
add("unknown-architecture", "general.architecture = 'notanarch' (keys renamed too)", "UnsupportedArchitectureError", "architecture 'notanarch'",
    (file) => { const m = clone(llama); m.kvs = m.kvs.map((kv) => ({...kv, key: kv.key.replace(/^llama\./, "notanarch.")})); setKv(m, kvStr("general.architecture", "notanarch")); writeGguf(file, m); });
add("missing-architecture", "no general.architecture key", "GgufShapeError", "general.architecture is missing",
    (file) => { const m = clone(llama); dropKv(m, "general.architecture"); writeGguf(file, m); });
add("missing-block-count", "no llama.block_count key", "GgufShapeError", "block_count is missing",
    (file) => { const m = clone(llama); dropKv(m, "llama.block_count"); writeGguf(file, m); });
add("absurd-block-count", "llama.block_count = 1000000", "GgufShapeError", "block_count is 1000000",
    (file) => { const m = clone(llama); setKv(m, kvU32("llama.block_count", 1_000_000)); writeGguf(file, m); });
add("absurd-head-count", "llama.attention.head_count = 0", "GgufShapeError", "head_count is 0",
    (file) => { const m = clone(llama); setKv(m, kvU32("llama.attention.head_count", 0)); writeGguf(file, m); });
add("llama-wrong-k-shape", "blk.1.attn_k.weight has one KV head fewer than the metadata says", "GgufShapeError", "blk\\.1\\.attn_k\\.weight is \\[",
    (file) => { const m = clone(llama); const t = tensor(m, "blk.1.attn_k.weight"); reshape(m, t.name, [t.dims[0], t.dims[1] - 8]); writeGguf(file, m); });
add("vocab-mismatch", "token_embd.weight has fewer rows than the tokenizer has tokens", "GgufShapeError", "tokenizer has \\d+ tokens",
    (file) => { const m = clone(llama); const t = tensor(m, "token_embd.weight"); reshape(m, t.name, [t.dims[0], t.dims[1] - 16]); writeGguf(file, m); });
// defects only llama.cpp finds: our error must carry its reason from the log
add("missing-ffn-norm", "blk.0.ffn_norm.weight removed", "ModelLoadError", "tensor 'blk\\.0\\.ffn_norm\\.weight' not found|missing tensor 'blk\\.0\\.ffn_norm",
    (file) => { const m = clone(llama); m.tensors = m.tensors.filter((t) => t.name !== "blk.0.ffn_norm.weight"); writeGguf(file, m); });
add("wrong-ffn-shape", "blk.0.ffn_up.weight with 8 columns too few", "ModelLoadError", "blk\\.0\\.ffn_up\\.weight.*wrong shape|wrong shape.*blk\\.0\\.ffn_up",
    (file) => { const m = clone(llama); const t = tensor(m, "blk.0.ffn_up.weight"); reshape(m, t.name, [t.dims[0], t.dims[1] - 8]); writeGguf(file, m); });
add("wrong-key-type", "llama.attention.layer_norm_rms_epsilon stored as a string", "ModelLoadError", "layer_norm_rms_epsilon",
    (file) => { const m = clone(llama); setKv(m, kvStr("llama.attention.layer_norm_rms_epsilon", "1e-5")); writeGguf(file, m); });

// metadata on which llama.cpp aborts (GGML_ASSERT) instead of failing: we must catch it first.
// (engine tests load this one with RECURFORMER_UNCHECKED_LOAD=1 to prove a real abort kills only the engine)
add("abort-expert-used-count", "llama.expert_used_count = 2 with no experts (llama.cpp: GGML_ASSERT)", "GgufShapeError", "expert_used_count is 2",
    (file) => { const m = clone(llama); setKv(m, kvU32("llama.expert_used_count", 2)); writeGguf(file, m); });
add("abort-nextn-layers", "llama.nextn_predict_layers larger than block_count (llama.cpp: GGML_ASSERT)", "GgufShapeError", "nextn_predict_layers is 99",
    (file) => { const m = clone(llama); setKv(m, kvU32("llama.nextn_predict_layers", 99)); writeGguf(file, m); });

// RecurFormer head arrays that disagree with the tensors (or with each other)
const kvKey = "recurformer.attention.head_count_kv";
const qKey = "recurformer.attention.head_count";
add("rf-kv-heads-vs-tensors", "head_count_kv[0] + 1 (blk.0.attn_k still has the old KV heads)", "GgufShapeError", "layer 0|head",
    (file) => { const m = clone(rf); const kv = readU32Array(m.kvs.find((x) => x.key === kvKey)); const q = readU32Array(m.kvs.find((x) => x.key === qKey)); kv[0] += 1; q[0] += 2; setKv(m, kvU32Array(kvKey, kv)); setKv(m, kvU32Array(qKey, q)); writeGguf(file, m); });
add("rf-q-heads-not-multiple", "head_count[1] not a multiple of head_count_kv[1]", "GgufShapeError", "layer 1",
    (file) => { const m = clone(rf); const q = readU32Array(m.kvs.find((x) => x.key === qKey)); q[1] += 1; setKv(m, kvU32Array(qKey, q)); writeGguf(file, m); });
add("rf-head-array-short", "head_count_kv has one entry fewer than the layers", "GgufShapeError", "entries, but the model has",
    (file) => { const m = clone(rf); const kv = readU32Array(m.kvs.find((x) => x.key === kvKey)); setKv(m, kvU32Array(kvKey, kv.slice(0, -1))); writeGguf(file, m); });
add("rf-group-count", "ssm.group_count disagrees with the replaced KV groups", "GgufShapeError", "group_count|groups",
    (file) => { const m = clone(rf); const g = m.kvs.find((x) => x.key === "recurformer.ssm.group_count").raw.readUInt32LE(0); setKv(m, kvU32("recurformer.ssm.group_count", g / 2)); writeGguf(file, m); });
add("rf-ssm-in-shape", "blk.2.ssm_in.weight one row short", "GgufShapeError", "blk\\.2\\.ssm_in\\.weight is \\[",
    (file) => { const m = clone(rf); const t = tensor(m, "blk.2.ssm_in.weight"); reshape(m, t.name, [t.dims[0], t.dims[1] - 1]); writeGguf(file, m); });
add("rf-attn-q-shape", "blk.0.attn_q.weight holds all source heads though head_count says kept heads", "GgufShapeError", "blk\\.0\\.attn_q\\.weight is \\[",
    (file) => { const m = clone(rf); const t = tensor(m, "blk.0.attn_q.weight"); reshape(m, t.name, [t.dims[0], t.dims[1] * 2]); writeGguf(file, m); });
add("rf-provenance", "provenance.replaced_count disagrees with the head arrays", "GgufShapeError", "provenance",
    (file) => { const m = clone(rf); const key = "recurformer.provenance.replaced_count"; const r = readU32Array(m.kvs.find((x) => x.key === key)); r[0] += 1; setKv(m, kvU32Array(key, r)); writeGguf(file, m); });
add("rf-conv-f16", "blk.1.ssm_conv1d.weight stored as F16 (ggml's ssm_conv needs F32)", "GgufShapeError", "ssm_conv1d\\.weight is stored as F16",
    (file) => { const m = clone(rf); const t = tensor(m, "blk.1.ssm_conv1d.weight"); t.type = 1; t.data = Buffer.alloc(tensorBytes(t)); writeGguf(file, m); });
add("rf-missing-source", "no recurformer.source.head_count", "GgufShapeError", "source\\.head_count is missing",
    (file) => { const m = clone(rf); dropKv(m, "recurformer.source.head_count"); writeGguf(file, m); });

fs.writeFileSync(path.join(out, "manifest.json"), JSON.stringify({good: path.relative(root, path.join(out, "good-recurformer.gguf")), cases: manifest}, null, 2) + "\n");
process.stdout.write(`make-bad-ggufs: wrote ${manifest.length} broken GGUF files (and one good one) to ${path.relative(root, out)}/\n`);
