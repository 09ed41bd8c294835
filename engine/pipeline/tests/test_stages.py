"""The pipeline's stages end to end on a tiny model and synthetic tokens (CPU, seconds): pre-training
lowers the loss and resumes, analysis picks the highest-recency groups, conversion distils, and a
re-run of a finished stage does no more steps."""
import json
import os
import tempfile
import unittest

import numpy as np
import torch

from engine.pipeline.stages import analyze, checkpoint, convert, pretrain


def write_tokens(d):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 250, size=2000).astype(np.uint16)
    np.tile(base, 20).tofile(os.path.join(d, "train-000.bin"))
    base[:1500].tofile(os.path.join(d, "heldout-000.bin"))


class StagesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name
        write_tokens(self.d)
        self.shape = dict(pretrain.DEFAULT_SHAPE)
        pretrain.DEFAULT_SHAPE.update(n_layer=2, n_embd=64, n_head=4, n_kv_head=4, ffn_hidden=96)

    def tearDown(self):
        pretrain.DEFAULT_SHAPE.clear()
        pretrain.DEFAULT_SHAPE.update(self.shape)
        self.tmp.cleanup()

    def test_pretrain_analyze_convert(self):
        dense = os.path.join(self.d, "dense")
        args = ["--data", self.d, "--out", dense, "--seq-len", "64", "--batch", "4", "--warmup", "5",
                "--lr", "3e-3", "--minutes", "2", "--vocab", "256"]
        pretrain.main(args + ["--steps", "40"])
        history = checkpoint.train_state(dense)["history"]
        self.assertLess(history[-1]["loss"], history[0]["loss"] - 0.1)
        pretrain.main(args + ["--steps", "40"])                  # finished: resumes and does nothing
        self.assertEqual(checkpoint.train_state(dense)["step"], 40)

        out = os.path.join(self.d, "analysis")
        analyze.main(["--model", dense, "--data", self.d, "--out", out, "--sequences", "1", "--seq-len", "128",
                      "--window", "16"])
        result = json.load(open(os.path.join(out, "recency.json")))
        rec = result["recency"]
        for il, groups in enumerate(result["replaced_at_keep"]["1"]):
            kept = [g for g in range(4) if g not in groups]
            self.assertEqual(len(kept), 1)
            self.assertTrue(all(rec[il][kept[0]] <= rec[il][g] for g in groups))
        self.assertTrue(os.path.getsize(os.path.join(out, "recency.png")) > 100)

        rf = os.path.join(self.d, "rf")
        convert.main(["--dense", dense, "--recency", os.path.join(out, "recency.json"), "--keep", "2",
                      "--data", self.d, "--out", rf, "--seq-len", "64", "--batch", "2", "--d-state", "8",
                      "--stage1-steps", "6", "--stage2-steps", "4", "--minutes", "2"])
        model, meta = checkpoint.load(rf)
        self.assertEqual(meta["stage_index"], 3)
        self.assertEqual(model.config.replaced_groups, result["replaced_at_keep"]["2"])
        stage1 = checkpoint.train_state(os.path.join(rf, "stage1"))["history"]
        self.assertTrue(all(np.isfinite(h["loss"]) for h in stage1))

        # --student: go on converting from the converted model (as a later GPU session does from a GGUF):
        # no surgery, no stage 1, stage 2 from its weights
        more = os.path.join(self.d, "rf-more")
        common = ["--dense", dense, "--data", self.d, "--seq-len", "64", "--batch", "2", "--stage2-steps", "3",
                  "--minutes", "2"]
        convert.main(common + ["--student", rf, "--out", more])
        again, meta = checkpoint.load(more)
        self.assertEqual((meta["stage_index"], meta["keep"]), (3, 2))
        self.assertFalse(os.path.exists(os.path.join(more, "stage1")))
        self.assertEqual(checkpoint.train_state(os.path.join(more, "stage2"))["step"], 3)
        self.assertEqual(again.config.replaced_groups, model.config.replaced_groups)
        before, after = model.state_dict(), again.state_dict()
        self.assertEqual(before.keys(), after.keys())
        self.assertTrue(any(not torch.equal(before[k], after[k]) for k in before))
        with self.assertRaisesRegex(ValueError, "not a converted"):
            convert.main(common + ["--student", dense, "--out", os.path.join(self.d, "wrong")])

        # a time-sized schedule planned past this run's box: the checkpoint says stage 2 is not done, and a
        # re-run with the same --out resumes it to its planned end (before, any time-sized stage read as done)
        planned = os.path.join(self.d, "rf-planned")
        timed = ["--dense", dense, "--data", self.d, "--seq-len", "64", "--batch", "2", "--stage2-steps", "0",
                 "--student", rf, "--out", planned, "--plan-minutes", "0.15"]
        convert.main(timed + ["--minutes", "0.05"])
        state = checkpoint.train_state(os.path.join(planned, "stage2"))
        self.assertEqual(checkpoint.load(planned)[1]["stage_index"], 2)
        self.assertLess(state["step"], state["total_steps"])
        convert.main(timed + ["--minutes", "2"])
        finished = checkpoint.train_state(os.path.join(planned, "stage2"))
        self.assertEqual(checkpoint.load(planned)[1]["stage_index"], 3)
        self.assertEqual((finished["step"], finished["total_steps"]), (state["total_steps"],) * 2)


if __name__ == "__main__":
    unittest.main()
