"""The tokenizer.json of a model this project exported, read back from its GGUF (tokens + merges are
written there by bpe.Tokenizer.to_gguf_fields), so a shipped model can be tuned further without the
build folder that trained its tokenizer:

    /usr/bin/python3 -m engine.pipeline.tokenizer.from_gguf assets/models/dense.gguf build/tokenizer/tokenizer.json
"""
import sys
from pathlib import Path

from .bpe import TOKEN_TYPE_CONTROL, Tokenizer

BUNDLED_GGUF_PY = Path(__file__).resolve().parents[3] / "node_modules" / "node-llama-cpp" / "llama" / "llama.cpp" / "gguf-py"


def tokenizer_from_gguf(path):
    sys.path.insert(0, str(BUNDLED_GGUF_PY))           # gguf-py without torch (gguf_export imports torch)
    import gguf
    reader = gguf.GGUFReader(str(path))
    f = reader.fields
    if "tokenizer.ggml.tokens" not in f or "tokenizer.ggml.merges" not in f:
        raise ValueError(f"{path}: no BPE vocabulary (tokenizer.ggml.tokens / merges) in this GGUF")
    tokens = list(f["tokenizer.ggml.tokens"].contents())
    types = list(f["tokenizer.ggml.token_type"].contents())
    merges = [tuple(m.split(" ")) for m in f["tokenizer.ggml.merges"].contents()]
    specials = [t for t, ty in zip(tokens, types) if ty == TOKEN_TYPE_CONTROL]
    return Tokenizer(tokens, merges, specials)


def main(argv=None):
    a = sys.argv[1:] if argv is None else argv
    if len(a) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    tok = tokenizer_from_gguf(a[0])
    tok.save(a[1])
    print(f"{tok.vocab_size} tokens, {len(tok.merges)} merges -> {a[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
