// Tokenizes texts with a GGUF's own vocabulary through the patched llama.cpp (the engine's build, through engine/runtime's LlamaBackend; needs `npm run build`),
// for test_hf_data.py: node gguf_tokenize.mjs MODEL.gguf TEXTS.json -> JSON on stdout
// {special: [[ids]...] (special tokens parsed), plain: [[ids]...], bos, eos, eot, template}
import fs from "node:fs";
import {LlamaBackend} from "../../../dist/engine/runtime/llama/LlamaBackend.js";
import {LlamaLog} from "../../../dist/engine/runtime/llama/LlamaLog.js";

const [modelPath, textsPath] = process.argv.slice(2);
const texts = JSON.parse(fs.readFileSync(textsPath, "utf8"));
// the engine's own build, loaded as the app loads it (its CPU variant included)
const llama = (await LlamaBackend.load({gpu: false, log: new LlamaLog()})).llama;
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
