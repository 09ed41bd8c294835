"""Data-parallel training under torchrun (stages/distributed.py): two CPU processes (gloo) pre-train
a tiny model, stopped by the time box and resumed, then convert it (stage 1 trains only the Mamba
parameters, stage 2 all). Rank 0 alone writes one checkpoint; the ranks draw different rows, and
DDP averages their gradients: the 2 x 2-row run ends where a single process with the 4-row union
batch ends, and far from where rank 0's 2 rows alone would have led. Time-boxed schedules and stops
are rank 0's decisions, taken alike by both ranks."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import torch

from engine.pipeline.stages import checkpoint, pretrain
from engine.pipeline.tests.test_stages import write_tokens

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SHAPE = json.dumps(dict(n_layer=2, n_embd=64, n_head=4, n_kv_head=4, ffn_hidden=96))
STEPS = 8


def torchrun(stage, args, log_dir, timeout=120):
    """`python -m torch.distributed.run --nproc_per_node 2 -m engine.pipeline.stages.<stage> args`"""
    from torch.distributed.elastic.multiprocessing.api import Std
    launcher = ["--standalone", "--nproc_per_node", "2"]
    if Std.from_str("0") is None:    # torch 1.13 under Python 3.11 parses the default "--redirects 0" to None
        launcher += ["--redirects", "1", "--tee", "1", "--log_dir", log_dir]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", *launcher,
                           "-m", f"engine.pipeline.stages.{stage}", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def distance(a: str, b: str) -> float:
    wa, wb = checkpoint.load(a)[0].state_dict(), checkpoint.load(b)[0].state_dict()
    return sum(float((wa[k] - wb[k]).pow(2).sum()) for k in wa) ** 0.5


class DistributedTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name
        write_tokens(self.d)
        self.logs = os.path.join(self.d, "logs")

    def tearDown(self):
        self.tmp.cleanup()

    def pretrain_args(self, out, batch, minutes="2"):
        return ["--data", self.d, "--out", out, "--seq-len", "32", "--batch", str(batch), "--warmup", "3",
                "--lr", "3e-3", "--minutes", minutes, "--vocab", "256", "--steps", str(STEPS), "--shape", SHAPE]

    def check_run(self, run):
        self.assertEqual(run.returncode, 0, run.stdout[-3000:] + run.stderr[-3000:])

    def test_pretrain_and_convert_on_two_processes(self):
        ddp = os.path.join(self.d, "ddp")
        # time box of 6 ms: stops before step STEPS, checkpoints; the second run resumes there
        first = torchrun("pretrain", self.pretrain_args(ddp, 2, minutes="0.0001"), self.logs)
        self.check_run(first)
        stopped_at = checkpoint.train_state(ddp)["step"]
        self.assertLess(stopped_at, STEPS)
        second = torchrun("pretrain", self.pretrain_args(ddp, 2), self.logs)
        self.check_run(second)
        self.assertEqual(second.stdout.count(f"resumed at step {stopped_at}/{STEPS}"), 1, second.stdout)
        self.assertEqual(second.stdout.count("parameters"), 1, second.stdout)      # rank 0 alone prints
        self.assertEqual(sorted(os.listdir(ddp)), ["config.json", "model.pt", "train.pt"])   # one checkpoint
        state = checkpoint.train_state(ddp)
        self.assertEqual((state["step"], state["total_steps"]), (STEPS, STEPS))
        self.assertEqual(state["tokens_seen"], STEPS * 2 * 2 * 32)                 # both ranks' rows counted

        union, alone = os.path.join(self.d, "union"), os.path.join(self.d, "alone")
        pretrain.main(self.pretrain_args(union, 4))      # one process, the 4 rows both ranks drew together
        pretrain.main(self.pretrain_args(alone, 2))      # one process, rank 0's 2 rows only
        self.assertEqual(checkpoint.train_state(union)["tokens_seen"], state["tokens_seen"])
        near, far = distance(ddp, union), distance(ddp, alone)
        self.assertLess(near, 1e-3 * far, (near, far))

        # convert: a frozen teacher on each rank, DDP around the student, a new wrapper per stage;
        # stage 2 is sized to the time box by rank 0's clock (--stage2-steps 0), all ranks stop together
        recency = os.path.join(self.d, "recency.json")
        scores = [[0.9, 0.1, 0.5, 0.7], [0.2, 0.8, 0.6, 0.4]]
        with open(recency, "w") as f:
            json.dump({"window": 16, "recency": scores, "sink": [[0.0] * 4] * 2}, f)
        rf = os.path.join(self.d, "rf")
        run = torchrun("convert", ["--dense", ddp, "--recency", recency, "--keep", "2", "--data", self.d, "--out", rf,
                                   "--seq-len", "32", "--batch", "2", "--d-state", "8", "--stage1-steps", "3",
                                   "--stage2-steps", "0", "--minutes", "0.1"], self.logs)
        self.check_run(run)
        model, meta = checkpoint.load(rf)
        self.assertEqual(meta["stage_index"], 3)
        self.assertEqual(checkpoint.train_state(os.path.join(rf, "stage1"))["step"], 3)
        stage2 = checkpoint.train_state(os.path.join(rf, "stage2"))
        self.assertTrue(20 <= stage2["step"] <= stage2["total_steps"] < 10 ** 9, stage2)   # calibrated after 5 + 20
        self.assertEqual(run.stdout.count(f"schedule set to {stage2['total_steps']} steps"), 1, run.stdout)
        self.assertEqual(run.stdout.count("trainable parameters"), 2, run.stdout)
        teacher = checkpoint.load(ddp)[0].state_dict()
        ffn = [k for k in teacher if ".ffn." in k]
        self.assertTrue(ffn and all(not torch.equal(model.state_dict()[k], teacher[k]) for k in ffn),
                        "stage 2 trains every parameter, the FFN too")


if __name__ == "__main__":
    unittest.main()
