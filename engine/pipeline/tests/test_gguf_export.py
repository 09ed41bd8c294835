"""GGUF export, read back with gguf-py's GGUFReader: the keys, tensor names, ggml shapes and types that
engine/llama/README.md specifies, exact tensor values at F32, and the same logits after reloading."""
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

from engine.pipeline.recurformer.dense import DenseConfig, DenseModel, init_weights
from engine.pipeline.recurformer.gguf_export import (export_dense, export_recurformer, gguf, permute_rope_rows,
                                                     tiny_byte_vocab)
from engine.pipeline.recurformer.gguf_load import load_gguf, read_gguf
from engine.pipeline.recurformer.surgery import recurformer_from_dense

TEMPLATE = "{% for m in messages %}{{ m['content'] }}{% endfor %}"


def dense(**kw) -> DenseModel:
    cfg = DenseConfig(**{"vocab_size": 300, "n_layer": 3, "n_embd": 64, "n_head": 8, "n_kv_head": 4, "head_dim": 8,
                         "ffn_hidden": 96, "name": "tiny-dense", **kw})
    m = DenseModel(cfg)
    init_weights(m, 0, norm_jitter=0.1, bias_std=0.1)
    return m.eval()


def logits(model, n=24):
    toks = torch.randint(3, 300, (1, n), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        return model.double()(toks)[0]


def ggml_shapes(path):
    return {t.name: [int(d) for d in t.shape] for t in gguf.GGUFReader(str(path)).tensors}


def field_type(path, key):
    f = gguf.GGUFReader(str(path)).fields[key]
    return f.types


class ExportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())

    def test_recurformer_file_follows_the_spec(self):
        d = dense(rope_type="neox")
        rf = recurformer_from_dense(d, [[1, 3], [], [0, 2]], d_state=16, window=32,
                                    recency_scores=[[0.1, 0.2, 0.3, 0.4]] * 3, sink_scores=[[0.5] * 4] * 3)
        path = self.tmp / "rf.gguf"
        types = export_recurformer(rf, path, chat_template=TEMPLATE)
        kv, tensors, _ = read_gguf(path)
        A = "recurformer"
        self.assertEqual(kv["general.architecture"], A)
        self.assertEqual(kv[f"{A}.attention.head_count"], [4, 8, 4])       # kept query heads
        self.assertEqual(kv[f"{A}.attention.head_count_kv"], [2, 4, 2])
        U32, ARR = gguf.GGUFValueType.UINT32, gguf.GGUFValueType.ARRAY
        self.assertEqual(field_type(path, f"{A}.attention.head_count"), [ARR, U32])
        self.assertEqual(field_type(path, f"{A}.provenance.replaced_kv_heads"), [ARR, U32])
        self.assertEqual(field_type(path, f"{A}.source.head_count"), [U32])
        self.assertEqual((kv[f"{A}.attention.key_length"], kv[f"{A}.attention.value_length"]), (8, 8))
        self.assertEqual(kv[f"{A}.rope.type"], "neox")
        self.assertEqual(kv[f"{A}.rope.dimension_count"], 8)
        self.assertEqual((kv[f"{A}.ssm.conv_kernel"], kv[f"{A}.ssm.inner_size"], kv[f"{A}.ssm.state_size"],
                          kv[f"{A}.ssm.time_step_rank"], kv[f"{A}.ssm.group_count"]), (4, 32, 16, 4, 2))
        self.assertEqual((kv[f"{A}.source.head_count"], kv[f"{A}.source.head_count_kv"]), (8, 4))
        self.assertEqual((kv[f"{A}.source.name"], kv[f"{A}.source.architecture"]), ("tiny-dense", "llama"))
        self.assertEqual(kv[f"{A}.provenance.replaced_count"], [2, 0, 2])
        self.assertEqual(kv[f"{A}.provenance.replaced_kv_heads"], [1, 3, 0, 2])
        np.testing.assert_allclose(kv[f"{A}.provenance.recency_scores"], [0.1, 0.2, 0.3, 0.4] * 3, rtol=1e-6)
        self.assertEqual(len(kv[f"{A}.provenance.sink_scores"]), 12)
        self.assertEqual(kv[f"{A}.provenance.window"], 32)
        self.assertEqual(kv["tokenizer.chat_template"], TEMPLATE)
        self.assertEqual(kv["tokenizer.ggml.model"], "llama")

        E, H, G, N, K, di = 64, 4, 2, 16, 4, 32
        shapes = ggml_shapes(path)
        want = {"token_embd.weight": [E, 300], "output.weight": [E, 300], "output_norm.weight": [E],
                "blk.0.attn_q.weight": [E, 4 * 8], "blk.0.attn_k.weight": [E, 2 * 8], "blk.0.attn_v.weight": [E, 16],
                "blk.0.attn_output.weight": [4 * 8, E], "blk.1.attn_q.weight": [E, 64],
                "blk.0.ssm_in.weight": [E, 2 * di + 2 * G * N + H], "blk.0.ssm_conv1d.weight": [K, di + 2 * G * N],
                "blk.0.ssm_conv1d.bias": [di + 2 * G * N], "blk.0.ssm_dt.bias": [H], "blk.0.ssm_a": [1, H],
                "blk.0.ssm_d": [1, H], "blk.0.ssm_norm.weight": [di // G, G], "blk.0.ssm_out.weight": [di, E],
                "blk.0.ffn_gate.weight": [E, 96], "blk.0.ffn_down.weight": [96, E]}
        for name, shape in want.items():
            self.assertEqual(shapes[name], shape, name)
        self.assertFalse(any(n.startswith("blk.1.ssm") for n in shapes))        # layer 1: no branch
        self.assertEqual(set(types.values()), {"F32"})

        m0 = rf.layers[0].mamba
        np.testing.assert_array_equal(tensors["blk.0.ssm_a"].reshape(-1), (-torch.exp(m0.A_log)).detach().numpy())
        np.testing.assert_array_equal(tensors["blk.0.ssm_conv1d.weight"], m0.conv_weight.detach().numpy())
        np.testing.assert_array_equal(tensors["blk.0.ssm_in.weight"], m0.in_proj.weight.detach().numpy())
        np.testing.assert_array_equal(tensors["blk.2.attn_k.weight"], rf.layers[2].attn.wk.weight.detach().numpy())

        back = load_gguf(path)
        self.assertEqual(back.config.replaced_groups, [[1, 3], [], [0, 2]])
        self.assertEqual(back.config.source.rope_type, "neox")
        torch.testing.assert_close(logits(back), logits(rf), rtol=1e-5, atol=1e-5)

    def test_dense_llama_export_permutes_an_hf_rope_layout_and_reloads(self):
        d = dense(rope_type="neox")     # Hugging Face rotate_half layout
        path = self.tmp / "llama.gguf"
        export_dense(d, path)
        kv, tensors, _ = read_gguf(path)
        self.assertEqual(kv["general.architecture"], "llama")
        self.assertEqual((kv["llama.attention.head_count"], kv["llama.attention.head_count_kv"]), (8, 4))
        self.assertEqual(kv["llama.attention.key_length"], 8)
        q = d.layers[1].attn.wq.weight.detach().numpy()
        np.testing.assert_array_equal(tensors["blk.1.attn_q.weight"], permute_rope_rows(q, 8, "neox", "norm"))
        self.assertFalse(np.array_equal(tensors["blk.1.attn_q.weight"], q))
        np.testing.assert_array_equal(tensors["blk.1.attn_v.weight"], d.layers[1].attn.wv.weight.detach().numpy())
        # the file is a norm-RoPE model computing the same function; loaded back in either layout
        as_norm = load_gguf(path)
        self.assertEqual(as_norm.config.rope_type, "norm")
        torch.testing.assert_close(logits(as_norm), logits(d), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(logits(load_gguf(path, rope_type="neox")), logits(d), rtol=1e-5, atol=1e-5)

    def test_dense_with_biases_is_qwen2_and_tied_output_is_omitted(self):
        d = dense(qkv_bias=True, tie_embeddings=True, rope_type="neox")
        path = self.tmp / "qwen2.gguf"
        export_dense(d, path)
        kv, tensors, _ = read_gguf(path)
        self.assertEqual(kv["general.architecture"], "qwen2")
        self.assertNotIn("output.weight", tensors)
        np.testing.assert_array_equal(tensors["blk.0.attn_q.bias"], d.layers[0].attn.wq.bias.detach().numpy())
        torch.testing.assert_close(logits(load_gguf(path)), logits(d), rtol=1e-5, atol=1e-5)

    def test_f16_and_q8_0_keep_what_ggml_needs_in_f32(self):
        rf = recurformer_from_dense(dense(ffn_hidden=72), [[0, 1], [2, 3], [1, 2]], d_state=16)
        for ftype, matrix, fallback in (("f16", "F16", "F16"), ("q8_0", "Q8_0", "F16")):
            with self.subTest(ftype=ftype):
                path = self.tmp / f"rf-{ftype}.gguf"
                types = export_recurformer(rf, path, ftype=ftype)
                kv, _, read_types = read_gguf(path)
                self.assertEqual(types, read_types)
                for name in ("blk.0.ssm_conv1d.weight", "blk.0.ssm_a", "blk.0.ssm_d", "blk.0.ssm_norm.weight",
                             "blk.0.ssm_dt.bias", "blk.0.attn_norm.weight", "output_norm.weight"):
                    self.assertEqual(types[name], "F32", name)
                self.assertEqual(types["blk.0.ssm_in.weight"], matrix)          # ne0 = E = 64
                self.assertEqual(types["blk.0.ffn_down.weight"], fallback)      # ne0 = 72: not a multiple of 32
                self.assertEqual(kv["general.file_type"], {"f16": 1, "q8_0": 7}[ftype])
                err = (logits(load_gguf(path)) - logits(rf)).abs().max() / logits(rf).abs().max()
                self.assertLess(err.item(), 0.05)
                self.assertGreater(err.item(), 0.0)

    def test_tiny_vocab_is_a_complete_spm_vocabulary(self):
        v = tiny_byte_vocab(320)
        T = gguf.TokenType
        self.assertEqual(len(v.tokens), 320)
        self.assertEqual(len(set(v.tokens)), 320)
        self.assertEqual(v.tokens[:3], ["<unk>", "<s>", "</s>"])
        self.assertEqual([v.tokens[3], v.tokens[258]], ["<0x00>", "<0xFF>"])
        self.assertEqual(v.token_types[:4], [T.UNKNOWN, T.CONTROL, T.CONTROL, T.BYTE])
        self.assertEqual(v.token_types[259:], [T.NORMAL] * 61)
        self.assertTrue(all(a > b for a, b in zip(v.scores[259:], v.scores[260:])))
        with self.assertRaises(ValueError):
            export_dense(dense(vocab_size=300), self.tmp / "bad.gguf", vocab=tiny_byte_vocab(320))

    def test_a_recurformer_without_any_branch_must_be_written_as_dense(self):
        rf = recurformer_from_dense(dense(), [[], [], []])
        with self.assertRaisesRegex(ValueError, "export_dense"):
            export_recurformer(rf, self.tmp / "none.gguf")


if __name__ == "__main__":
    unittest.main()
