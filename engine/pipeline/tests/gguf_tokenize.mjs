// Tokenizes texts with a GGUF's own vocabulary through the patched llama.cpp (node-llama-cpp's local build),
// for test_hf_data.py: node gguf_tokenize.mjs MODEL.gguf TEXTS.json -> JSON on stdout
// {special: [[ids]...] (special tokens parsed), plain: [[ids]...], bos, eos, eot, template}
import fs from "node:fs";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const [modelPath, textsPath] = process.argv.slice(2);
const texts = JSON.parse(fs.readFileSync(textsPath, "utf8"));
const llama = await getLlama({build: "never", usePrebuiltBinaries: false, gpu: false, logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath, vocabOnly: true});
const out = {
    special: texts.map((t) => Array.from(model.tokenize(t, true))),
    plain: texts.map((t) => Array.from(model.tokenize(t, false))),
    detokenized: texts.map((t) => model.detokenize(model.tokenize(t, true), true)),
    bos: model.tokens.bos, eos: model.tokens.eos, eot: model.tokens.eot,
    template: model.fileInfo.metadata?.tokenizer?.chat_template ?? null,
};
process.stdout.write(JSON.stringify(out));
await model.dispose();
await llama.dispose();
