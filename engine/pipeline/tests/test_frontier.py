"""frontier.py: one key per model across evaluators, llama.cpp rows joined with the PyTorch row of the same model
for 16k, pooled recall with Wilson intervals, bytes as % of dense, the PNG written."""
import os
import tempfile
import unittest

from engine.pipeline import frontier as F

MiB = 2 ** 20


def cell(correct, graded):
    return {"correct": correct, "graded": graded}


def llama_row(label, mib16k, cells):
    return {"label": label, "evaluator": "llama.cpp", "cells": cells,
            "cacheBytes": {"1024": mib16k * MiB // 16, "4096": mib16k * MiB // 4, "8192": mib16k * MiB // 2,
                           "16384": mib16k * MiB}}


class FrontierTest(unittest.TestCase):
    def test_model_keys_agree_across_evaluators(self):
        self.assertEqual(F.model_key("keep1-mixed"), F.model_key("keep 1/8"))
        self.assertEqual(F.model_key("keep 2/8 q8_0 KV"), "keep2+q8_0")
        self.assertEqual(F.model_key("based-w64-d16"), F.model_key("BASED w64 d'16"))
        self.assertEqual(F.model_key("dense (previous pair)"), "dense")
        self.assertNotEqual(F.model_key("BASED w64 d'16"), F.model_key("BASED w256 d'16"))
        self.assertEqual(F.model_key("dense + pyramid r0 0.8/0.7"), "dense+pyramid-r0.8-d0.7")
        self.assertEqual(F.model_key("keep 1/8 q8_0 KV + pyramid r0 1/0.8 (recent 32)"), "keep1+q8_0+pyramid-r1-d0.8")

    def test_a_pyramid_row_is_its_own_point_without_the_dense_models_pytorch_recall(self):
        rows = [llama_row("dense", 256, {"docqa_1k": cell(9, 50)}),
                llama_row("dense + pyramid r0 0.8/0.7", 80, {"docqa_1k": cell(5, 50)}),
                {"label": "dense", "evaluator": "pytorch", "cells": {"docqa_16k": cell(2, 20)}}]
        points = {p["key"]: p for p in F.frontier_rows(rows)}
        self.assertEqual(set(points), {"dense", "dense+pyramid-r0.8-d0.7"})
        self.assertEqual(points["dense+pyramid-r0.8-d0.7"]["recall"], {1024: (5, 50, "llama.cpp")})
        self.assertEqual(points["dense"]["recall"][16384], (2, 20, "pytorch"))
        line = next(l for l in F.frontier_table(list(points.values())) if "pyramid" in l)
        self.assertTrue(line.startswith("| dense + pyramid r0 0.8/0.7 | 5.0 MiB (31.2%) |"), line)

    def test_rows_join_and_table(self):
        rows = [llama_row("dense", 256, {"docqa_1k": cell(9, 50), "hop1_1k": cell(19, 50), "docqa_4k": cell(2, 20)}),
                llama_row("BASED w64 d'16", 4, {"docqa_1k": cell(1, 50), "hop1_1k": cell(3, 50)}),
                llama_row("keep 1/8 q8_0 KV", 18, {"docqa_1k": cell(4, 50)}),
                llama_row("dense (previous pair)", 256, {"docqa_1k": cell(3, 50)}),
                llama_row("keep 1/8 (candidate, not shipped)", 33, {"docqa_1k": cell(40, 50)}),
                {"label": "dense", "evaluator": "pytorch", "cells": {"docqa_16k": cell(2, 20)}},
                {"label": "based-w64-d16", "evaluator": "pytorch", "cells": {"docqa_16k": cell(0, 20)}}]
        points = {p["key"]: p for p in F.frontier_rows(rows)}
        self.assertEqual(set(points), {"dense", "based-w64-d16", "keep1+q8_0"})      # previous pair, candidate: out
        self.assertEqual(F.aside("keep 1/8 (candidate, not shipped)"), " (candidate, not shipped)")
        self.assertEqual(F.aside("keep 1/8 q8_0 KV"), "")
        self.assertEqual(points["dense"]["recall"][1024], (28, 100, "llama.cpp"))   # doc-QA and 1-hop pooled
        self.assertEqual(points["dense"]["recall"][16384], (2, 20, "pytorch"))
        self.assertEqual(points["based-w64-d16"]["recall"][16384], (0, 20, "pytorch"))
        self.assertNotIn(16384, points["keep1+q8_0"]["recall"])                      # no PyTorch twin of a q8_0 cache
        table = F.frontier_table(list(points.values()))
        self.assertEqual(table[2], "| dense | 16.0 MiB | 64.0 MiB | 256.0 MiB | 28 [20–37] (28/100) | "
                                   "10 [3–30] (2/20) | 10 [3–30] (2/20, PyTorch) |")
        based = next(l for l in table if l.startswith("| BASED"))
        self.assertIn("| 4.0 MiB (1.6%) |", based)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "f.png")
            F.write_frontier_png(list(points.values()), path)
            with open(path, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


if __name__ == "__main__":
    unittest.main()
