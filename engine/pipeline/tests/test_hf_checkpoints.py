"""Hugging Face checkpoints: our dense model round-trips through an HF directory, and checkpoints the
pipeline cannot convert fail early with a message naming the problem."""
import json
import os
import tempfile
import unittest

import torch

from engine.pipeline.recurformer.dense import DenseConfig, DenseModel, init_weights
from engine.pipeline.stages import checkpoint, hf


def tiny(qkv_bias=False):
    cfg = DenseConfig(vocab_size=300, n_layer=2, n_embd=64, n_head=4, n_kv_head=2, ffn_hidden=96,
                      rope_type="neox", qkv_bias=qkv_bias, tie_embeddings=not qkv_bias)
    m = DenseModel(cfg)
    init_weights(m, seed=3, norm_jitter=0.1, bias_std=0.1)
    return m


class HfCheckpointTest(unittest.TestCase):
    def test_llama_and_qwen2_round_trip_with_identical_logits(self):
        for bias in (False, True):
            with tempfile.TemporaryDirectory() as d:
                m = tiny(bias)
                hf.save_hf(m, d)
                loaded, meta = checkpoint.load(d)
                self.assertEqual(meta["source"], "huggingface")
                tokens = torch.tensor([[5, 9, 200, 3, 17]])
                with torch.no_grad():
                    self.assertTrue(torch.allclose(m(tokens)[0], loaded(tokens)[0], atol=1e-6))

    def test_other_architecture_is_refused_by_name(self):
        with tempfile.TemporaryDirectory() as d:
            hf.save_hf(tiny(), d)
            cfg = json.load(open(os.path.join(d, "config.json")))
            cfg["architectures"] = ["MistralForCausalLM"]
            json.dump(cfg, open(os.path.join(d, "config.json"), "w"))
            with self.assertRaisesRegex(hf.CheckpointError, "MistralForCausalLM is not supported"):
                hf.load_hf(d)

    def test_missing_tensor_and_wrong_shape_are_named(self):
        with tempfile.TemporaryDirectory() as d:
            m = tiny()
            hf.save_hf(m, d)
            state = hf.read_safetensors(os.path.join(d, "model.safetensors"))
            del state["model.layers.1.mlp.up_proj.weight"]
            hf.write_safetensors(os.path.join(d, "model.safetensors"), state)
            with self.assertRaisesRegex(hf.CheckpointError, "model.layers.1.mlp.up_proj.weight is missing"):
                hf.load_hf(d)
            cfg = json.load(open(os.path.join(d, "config.json")))
            cfg["intermediate_size"] = 100
            json.dump(cfg, open(os.path.join(d, "config.json"), "w"))
            with self.assertRaisesRegex(hf.CheckpointError, "has shape"):
                hf.load_hf(d)

    def test_truncated_safetensors_is_reported(self):
        with tempfile.TemporaryDirectory() as d:
            hf.save_hf(tiny(), d)
            f = os.path.join(d, "model.safetensors")
            data = open(f, "rb").read()
            open(f, "wb").write(data[: len(data) // 2])
            with self.assertRaisesRegex(hf.CheckpointError, "truncated"):
                hf.load_hf(d)

    def test_missing_config_is_reported(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaisesRegex(hf.CheckpointError, "config.json is missing"):
                hf.config_of(d)

    def test_too_little_gpu_memory_is_refused_with_the_figures(self):
        qwen05 = DenseConfig(vocab_size=151936, n_layer=24, n_embd=896, n_head=14, n_kv_head=2, head_dim=64,
                             ffn_hidden=4864, rope_type="neox", qkv_bias=True, tie_embeddings=True)
        self.assertAlmostEqual(hf.parameter_count(qwen05) / 1e9, 0.494, places=2)    # Qwen2.5-0.5B's published size
        with self.assertRaisesRegex(hf.CheckpointError, r"convert of a 0.49B-parameter model needs about 10.\d GiB"
                                                        r" of GPU memory, 8.0 GiB is free"):
            hf.check_memory(qwen05, "convert", torch.device("cuda"), free_bytes=8 * 2**30)
        hf.check_memory(qwen05, "analyze", torch.device("cuda"), free_bytes=8 * 2**30)     # 2.4 GiB: fits

if __name__ == "__main__":
    unittest.main()
