"""results.py on replies files shaped as evaluate_torch.py and evaluate.mjs write them: cells with Wilson
intervals from the shared scorer, targets both ways."""
import json
import os
import tempfile
import unittest

from engine.pipeline import results as R

SETS = {"docqa_1k": [{"id": f"d{i}", "answer": f"v{i}", "score": "exact"} for i in range(10)],
        "facts": [{"id": f"f{i}", "answer": "Paris", "score": "contains"} for i in range(10)],
        "open": [{"id": f"o{i}", "answer": "", "score": "open"} for i in range(10)]}


def replies(doc_ok, fact_ok, leak=False):
    r = {f"d{i}": {"reply": f"v{i}" if i < doc_ok else "no", "ended": True} for i in range(10)}
    r.update({f"f{i}": {"reply": "It is Paris." if i < fact_ok else "Lyon", "ended": True} for i in range(10)})
    r.update({f"o{i}": {"reply": "Question: x" if leak and i == 0 else "Hello!", "ended": i != 1} for i in range(10)})
    return r


class ResultsTest(unittest.TestCase):
    def write(self, d, name, label, rep, ppl):
        p = os.path.join(d, name)
        with open(p, "w") as f:
            json.dump({"label": label, "model": label, "replies": rep, "perplexity": {"value": ppl}}, f)
        return p

    def test_cells_and_targets(self):
        with tempfile.TemporaryDirectory() as d:
            a = self.write(d, "a.json", "dense", replies(9, 7), 10.0)
            b = self.write(d, "b.json", "keep1", replies(6, 7, leak=True), 12.0)
            rows = R.model_rows(SETS, [a, b])
        self.assertEqual(rows[0]["cells"]["docqa_1k"]["correct"], 9)
        self.assertEqual(R.cell_text(rows[1]["cells"]["docqa_1k"]), "60 [31–83] (6/10)")
        t = {(x[0], x[1]): x for x in R.targets(rows)}
        self.assertIn("not met", t[("keep 1/8 held-out perplexity <= 1.10x dense", "pytorch")][3])
        self.assertIn("**met**", t[("dense plain questions >= 60%", "pytorch")][3])
        self.assertIn("not met", t[("keep1: doc-QA within 3 points of dense", "pytorch")][3])
        self.assertIn("not met", t[("keep1: open turns, 0 template leaks and >= 95% ending by themselves", "pytorch")][3])
        self.assertIn("not met", t[("dense: open turns, 0 template leaks and >= 95% ending by themselves", "pytorch")][3])

    def test_reference_and_llama_cpp_rows_of_one_model_are_compared_sample_by_sample(self):
        with tempfile.TemporaryDirectory() as d:
            a = self.write(d, "a.json", "dense", replies(9, 7), 10.0)
            b = self.write(d, "b.json", "keep1-mixed", replies(6, 7), 12.0)
            llama = os.path.join(d, "l.json")
            models = [{"model": "dense.gguf", "architecture": "llama", "replies": replies(8, 7),
                       "cacheBytes": {}, "denseCacheBytes": {}},
                      {"model": "rf.gguf", "architecture": "recurformer", "shape": {"kvHeadsPerLayer": [1]},
                       "replies": replies(6, 7), "cacheBytes": {}, "denseCacheBytes": {}}]
            with open(llama, "w") as f:
                json.dump({"models": models}, f)
            rows = R.model_rows(SETS, [a, b], llama)
        agree = {(x[0], x[1]): x[2:] for x in R.agreement(SETS, rows)}
        self.assertEqual(agree[("dense", "dense")], (30, 29, 29))          # d8: "v8" against "no"
        self.assertEqual(agree[("keep1-mixed", "keep 1/8")], (30, 30, 30))
        self.assertNotIn(("dense", "keep 1/8"), agree)
