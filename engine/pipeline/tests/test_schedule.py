"""stages/schedule.py: a time-boxed run sizes its schedule from steady steps, not from its slow first ones."""
import tempfile
import time
import unittest

import torch

from engine.pipeline.recurformer.dense import DenseConfig, DenseModel
from engine.pipeline.stages import schedule


class ScheduleTest(unittest.TestCase):
    def test_the_time_box_is_sized_from_steps_after_the_warm_up(self):
        model = DenseModel(DenseConfig(vocab_size=16, context_length=8, n_layer=1, n_embd=8, n_head=2, n_kv_head=2,
                                       ffn_hidden=16))
        toks = torch.randint(0, 16, (1, 8))

        def loss_fn(step, net):
            # the first steps are slow, as on a GPU (kernels load, workers fill their queues); then 2 ms a step
            time.sleep(0.1 if step < schedule.CALIBRATION_SKIP else 0.002)
            logits = net(toks)[0]
            return torch.nn.functional.cross_entropy(logits.view(-1, 16), toks.view(-1)), toks.numel()

        with tempfile.TemporaryDirectory() as d:
            out = schedule.train(model, loss_fn, out=d, total_steps=0, peak_lr=1e-3, warmup=2, minutes=0.04)
        # 2.4 s box, 0.5 s of slow steps: the steady rate leaves room for hundreds of steps; timed over the slow
        # steps too (26 ms/step) it would plan about 80
        self.assertGreater(out["total_steps"], 200, out)
        self.assertGreaterEqual(out["step"], 0.7 * out["total_steps"], out)

    def test_a_planned_schedule_outlasts_the_run_and_a_resumed_run_finishes_it(self):
        model = DenseModel(DenseConfig(vocab_size=16, context_length=8, n_layer=1, n_embd=8, n_head=2, n_kv_head=2,
                                       ffn_hidden=16))
        toks = torch.randint(0, 16, (1, 8))

        def loss_fn(step, net):
            time.sleep(0.002)
            logits = net(toks)[0]
            return torch.nn.functional.cross_entropy(logits.view(-1, 16), toks.view(-1)), toks.numel()

        with tempfile.TemporaryDirectory() as d:
            first = schedule.train(model, loss_fn, out=d, total_steps=0, peak_lr=1e-3, warmup=2, minutes=0.02,
                                   plan_minutes=0.06)
            # planned for 3.6 s, stopped by its 1.2 s box: about a third of the schedule done
            self.assertLess(first["step"], 0.5 * first["total_steps"], first)
            second = schedule.train(model, loss_fn, out=d, total_steps=0, peak_lr=1e-3, warmup=2, minutes=1.0)
        self.assertEqual(second["total_steps"], first["total_steps"])
        self.assertEqual(second["step"], second["total_steps"])


if __name__ == "__main__":
    unittest.main()
