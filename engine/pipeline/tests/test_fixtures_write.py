"""test/fixtures/fixtures.py's file handling and its Falcon-H1 twin, on a tiny model (CPU, seconds): files appear under their
final names only when complete, a failure leaves none, and the falcon-h1 twin holds exactly the RecurFormer's
numbers (Q/K in falcon-h1's RoPE layout) and so gets the RecurFormer's expected logits."""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest
from dataclasses import replace
from pathlib import Path
from unittest import mock

import numpy as np

from engine.pipeline.recurformer.falcon_h1_export import export_falcon_h1
from engine.pipeline.recurformer.gguf_load import read_gguf

# the fixture generator lives with the tests it feeds (test/fixtures/), outside any package
_spec = importlib.util.spec_from_file_location("fixtures", Path(__file__).resolve().parents[3] / "test" / "fixtures" / "fixtures.py")
F = importlib.util.module_from_spec(_spec)
sys.modules["fixtures"] = F
_spec.loader.exec_module(F)

TINY = replace(F.TINY_GQA, n_layer=2, name="tiny")
DENSE = F.DenseSpec("tiny-dense", TINY, seed=5)
RF = F.RecurFormerSpec("tiny-rf", "tiny-dense", keep=2, seed=6, ftype="f16")


def build_rf():
    return F.build_recurformer(RF, F.build_dense(DENSE))


class FixtureWriteTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.out = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def names(self):
        return sorted(p.name for p in self.out.iterdir())

    def test_falcon_twin_gets_the_recurformers_logits(self):
        model = build_rf()
        F.write_fixture(self.out, "rf", model, "f16", None, RF.seed, {"kind": "recurformer"})
        meta = F.write_fixture(self.out, "twin", model, "f16", None, RF.seed, {"kind": "falcon-h1"}, falcon_h1=True)
        self.assertEqual(self.names(), ["rf.gguf", "rf.json", "rf.logits.bin", "twin.gguf", "twin.json",
                                        "twin.logits.bin"])
        self.assertEqual(meta["architecture"], "falcon-h1")
        self.assertEqual(json.loads((self.out / "twin.json").read_text())["gguf"], "twin.gguf")
        self.assertEqual((self.out / "twin.logits.bin").read_bytes(), (self.out / "rf.logits.bin").read_bytes())
        kv, tensors, _ = read_gguf(self.out / "twin.gguf")
        self.assertEqual(kv["general.architecture"], "falcon-h1")
        self.assertEqual(int(kv["falcon-h1.attention.head_count_kv"]), 2)
        self.assertIn("blk.0.ffn_norm", tensors)
        F.check_falcon_twin(self.out / "twin.gguf", self.out / "rf.gguf")

    def test_twin_check_fails_on_a_different_model(self):
        model = build_rf()
        export_falcon_h1(model, self.out / "a.gguf", ftype="f32")
        F.export_recurformer(model, self.out / "b.gguf", ftype="f32")
        F.check_falcon_twin(self.out / "a.gguf", self.out / "b.gguf")
        with __import__("torch").no_grad():
            model.layers[1].attn.wk.weight[0, 0] += 1.0
        F.export_recurformer(model, self.out / "c.gguf", ftype="f32")
        with self.assertRaisesRegex(AssertionError, "blk.1.attn_k.weight"):
            F.check_falcon_twin(self.out / "a.gguf", self.out / "c.gguf")

    def test_falcon_q_k_rows_are_in_neox_layout(self):
        model = build_rf()
        export_falcon_h1(model, self.out / "a.gguf", ftype="f32")
        _, tensors, _ = read_gguf(self.out / "a.gguf")
        wq = model.layers[0].attn.wq.weight.detach().numpy()      # "norm" layout: pairs (2i, 2i+1)
        hd = TINY.head_dim
        np.testing.assert_array_equal(tensors["blk.0.attn_q.weight"][:hd // 2], wq[0:hd:2])
        np.testing.assert_array_equal(tensors["blk.0.attn_q.weight"][hd // 2:hd], wq[1:hd:2])

    def test_a_failed_write_leaves_no_file_under_a_final_name(self):
        model = build_rf()
        with mock.patch.object(F, "replay", side_effect=RuntimeError("killed")):
            with self.assertRaises(RuntimeError):
                F.write_fixture(self.out, "rf", model, "f16", None, RF.seed, {}, falcon_h1=True)
        self.assertEqual(self.names(), [])

    def test_pyramid_script_is_the_reference_fed_chunk_by_chunk(self):
        model = F.build_dense(DENSE)
        meta = F.write_fixture(self.out, "d", model, "f32", None, DENSE.seed, {"kind": "dense"}, with_pyramid=True)
        self.assertEqual(self.names(), ["d.gguf", "d.json", "d.logits.bin", "d.pyramid.logits.bin"])
        p = json.loads((self.out / "d.json").read_text())["pyramid"]
        self.assertEqual(p, meta["pyramid"])
        self.assertEqual((p["schedule"], p["batchSize"], sum(p["chunks"]), p["selections"]), (F.PYRAMID_SCHEDULE, 16, 120, 7))
        logits = np.fromfile(self.out / p["logits"], dtype="<f4").reshape(120, TINY.vocab_size)
        self.assertGreater(p["thinningMoves"], 0.05)
        # the same tokens fed in one piece: the first chunk's logits equal (nothing is dropped before its end), the
        # rest differ by what thinning dropped
        import torch
        with torch.no_grad():
            plain = model.double()(torch.tensor([p["tokens"]]))[0][0].numpy()
        self.assertLess(F.relative_error(logits[:16], plain[:16]), 1e-5)
        self.assertAlmostEqual(F.relative_error(plain, logits), p["thinningMoves"], delta=1e-5)

    def test_stale_temporaries_of_dead_runs_only(self):
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout.strip()
        self.assertTrue(F.stale_temp(f".bench-dense.gguf.{dead}.tmp"))
        self.assertFalse(F.stale_temp(f".bench-dense.gguf.{os.getpid()}.tmp"))     # a running process's
        self.assertFalse(F.stale_temp("bench-dense.gguf"))
        self.assertFalse(F.stale_temp(".bench-dense.gguf.tmp"))


if __name__ == "__main__":
    unittest.main()
