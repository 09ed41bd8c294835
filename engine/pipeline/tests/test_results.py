"""results.py on a synthetic RESULTS.json shaped as evaluate.mjs writes it: the table's cells, which row is
which model (from the shape, not the file name), and the target verdicts, both ways and at the boundaries."""
import contextlib
import io
import json
import os
import tempfile
import unittest

from engine.pipeline import results as R

KV_DENSE = 8 * 8 * 64 * 2 * 2          # 8 layers x 8 KV heads x hd 64 x (K + V) x F16 bytes, per token
STATE = 1_046_528                       # the bench RecurFormer's recurrent state (conv + SSM, F32)
DOCQA_N = {"1k": 20, "4k": 10, "8k": 6, "16k": 4}
HASHHOP_N = {"1k": 20, "4k": 10, "8k": 6}


def entry(file, arch, keep, ppl, docqa, hashhop, shape=True):
    """docqa: {length: correct}; hashhop: {length: (correct 1-hop, correct 2-hop)}; keep: kept KV groups of 8."""
    e = {"model": file, "architecture": arch, "tasks": {}, "cacheBytes": {},
         "heldout": {"perplexity": ppl, "tokens": 8192}}
    kv = KV_DENSE * keep // 8
    state = 0 if arch in ("llama", "qwen2") else STATE
    for n in (1024, 4096, 8192, 16384):
        e["cacheBytes"][str(n)] = n * kv + state
    for length, correct in docqa.items():
        n = DOCQA_N[length]
        e["tasks"][f"docqa_{length}"] = {"n": n, "exactMatch": correct / n, "seconds": 1.0}
    for length, (c1, c2) in hashhop.items():
        n = HASHHOP_N[length]
        n1, n2 = (n + 1) // 2, n // 2
        e["tasks"][f"hashhop_{length}"] = {"n": n, "exactMatch": (c1 + c2) / n, "seconds": 1.0,
                                           "byHops": {"1": c1 / n1, "2": c2 / n2}, "hopSamples": {"1": n1, "2": n2}}
    if shape:
        e["shape"] = {"name": file, "layers": 8, "headDim": 64, "kvHeadsPerLayer": [keep] * 8,
                      "headsPerLayer": [keep] * 8, "kvBytesPerToken": kv, "recurrentStateBytes": state}
        if arch == "recurformer":
            e["shape"]["sourceKvHeads"] = 8
            e["shape"]["denseKvBytesPerToken"] = KV_DENSE
    return e


DENSE_QA = {"1k": 19, "4k": 9, "8k": 5, "16k": 3}
DENSE_HH = {"1k": (10, 9), "4k": (5, 4), "8k": (3, 2)}


def sample(shape=True):
    # file names deliberately misleading: the rows must come from the shape
    models = [
        entry("model-c.gguf", "recurformer", 4, 10.1, DENSE_QA, DENSE_HH, shape),
        entry("keep4.gguf", "recurformer", 1, 10.4, DENSE_QA, DENSE_HH, shape),       # keep 1/8 really
        entry("model-a.gguf", "llama", 8, 10.0, DENSE_QA, DENSE_HH, shape),
        entry("model-b.gguf", "recurformer", 2, 10.2, DENSE_QA, DENSE_HH, shape),
    ]
    return {"created": "2026-11-25T10:00:00.000Z",
            "command": "node engine/pipeline/evaluate.mjs --models a.gguf,b.gguf",
            "threads": 2, "samples": {**{f"docqa_{k}": v for k, v in DOCQA_N.items()},
                                      **{f"hashhop_{k}": v for k, v in HASHHOP_N.items()}},
            "models": models}


def verdicts(res):
    rows, dense = R.build_rows(res)
    return [t.verdict for t in R.targets(rows, dense)], rows, dense


def keep1(res):
    return next(m for m in res["models"] if m["model"] == "keep4.gguf")


class RowsTest(unittest.TestCase):
    def check_rows(self, res):
        rows, dense = R.build_rows(res)
        self.assertEqual([r.label for r in rows],
                         ["dense", "RecurFormer keep 1/8", "RecurFormer keep 2/8", "RecurFormer keep 4/8"])
        self.assertEqual([r.short for r in rows], ["dense", "keep1", "keep2", "keep4"])
        self.assertEqual(rows[1].entry["model"], "keep4.gguf")
        self.assertIs(dense, rows[0])
        return rows

    def test_rows_from_shape(self):
        self.check_rows(sample(shape=True))

    def test_rows_from_cache_growth_without_shape(self):
        """an older RESULTS.json (no shape, no hopSamples): the KV share from the cache bytes' growth"""
        res = sample(shape=False)
        for m in res["models"]:
            for t in m["tasks"].values():
                t.pop("hopSamples", None)
        rows = self.check_rows(res)
        self.assertEqual(rows[1].hashhop[("1", "8k")].n, 3)       # alternating hops: ceil/floor of n/2
        self.assertEqual(rows[1].hashhop[("2", "4k")].n, 5)

    def test_cells(self):
        res = sample()
        res["models"][1]["heldout"]["perplexity"] = 10.5
        rows, _ = R.build_rows(res)
        k1 = rows[1]
        self.assertAlmostEqual(k1.ppl_ratio, 1.05)
        self.assertEqual(k1.docqa["1k"].text(), "95.0 (19/20)")
        self.assertEqual(k1.docqa["16k"].text(), "75.0 (3/4)†")          # 4 samples: flagged
        self.assertEqual(k1.hashhop[("1", "8k")].text(), "100.0 (3/3)†")
        self.assertEqual(k1.hashhop[("2", "1k")].text(), "90.0 (9/10)")
        # 16k: 2048 B/token x 16384 + state, over 16384 B/token x 16384
        self.assertAlmostEqual(k1.cache_pct[16384], 100 * (16384 * 2048 + STATE) / (16384 * KV_DENSE))
        self.assertAlmostEqual(rows[0].cache_pct[1024], 100.0)
        table = R.table(rows)
        line = next(l for l in table.splitlines() if l.startswith("| RecurFormer keep 1/8 "))
        cells = [c.strip() for c in line.strip("|").split("|")]
        self.assertEqual(cells[1], "`keep4.gguf`")
        self.assertEqual(cells[2], "10.500")
        self.assertEqual(cells[3], "1.050×")
        self.assertEqual(cells[4:8], ["95.0 (19/20)", "90.0 (9/10)", "83.3 (5/6)†", "75.0 (3/4)†"])
        self.assertEqual(cells[8:11], ["100.0 (10/10)", "100.0 (5/5)†", "100.0 (3/3)†"])
        self.assertEqual(cells[11:14], ["90.0 (9/10)", "80.0 (4/5)†", "66.7 (2/3)†"])
        self.assertEqual(cells[17], "33.00 MiB (12.9%)")
        self.assertEqual(len(cells), 18)

    def test_missing_task_is_a_dash(self):
        res = sample()
        del keep1(res)["tasks"]["docqa_16k"]
        rows, _ = R.build_rows(res)
        self.assertEqual(rows[1].docqa["16k"].text(), "—")


class TargetsTest(unittest.TestCase):
    def test_all_met(self):
        v, _, _ = verdicts(sample())
        self.assertEqual(v, [R.MET] * 4)

    def test_perplexity(self):
        res = sample()
        keep1(res)["heldout"]["perplexity"] = 10.5                 # exactly 1.05x: met
        self.assertEqual(verdicts(res)[0][0], R.MET)
        keep1(res)["heldout"]["perplexity"] = 10.51
        self.assertEqual(verdicts(res)[0][0], R.NOT_MET)

    def test_points_doc_qa(self):
        res = sample()
        t = keep1(res)["tasks"]["docqa_1k"]
        t["exactMatch"] = (19 - 0.6) / 20                          # 92.0 vs 95.0: exactly 3 points below: met
        self.assertEqual(verdicts(res)[0][1], R.MET)
        t["exactMatch"] = 18 / 20                                  # 90.0 vs 95.0: 5 points below
        v, rows, dense = verdicts(res)
        self.assertEqual(v[1], R.NOT_MET)
        self.assertIn("doc-QA 1k (-5.0)", R.targets(rows, dense)[1].numbers)
        self.assertEqual(v[0], R.MET)                              # the others do not move

    def test_points_better_than_dense_is_fine(self):
        res = sample()
        next(m for m in res["models"] if m["architecture"] == "llama")["tasks"]["docqa_8k"]["exactMatch"] = 0.5
        self.assertEqual(verdicts(res)[0][1], R.MET)

    def test_points_hashhop_two_hop(self):
        res = sample()
        t = keep1(res)["tasks"]["hashhop_8k"]
        t["byHops"]["2"] = 1 / 3                                   # 33.3 vs 66.7
        v, rows, dense = verdicts(res)
        self.assertEqual(v[1], R.NOT_MET)
        self.assertIn("HashHop 2-hop 8k", R.targets(rows, dense)[1].numbers)

    def test_points_only_keep1_decides(self):
        res = sample()
        next(m for m in res["models"] if m["model"] == "model-c.gguf")["tasks"]["docqa_4k"]["exactMatch"] = 0.1
        v, rows, dense = verdicts(res)
        self.assertEqual(v[1], R.MET)
        self.assertIn("keep 4/8 NOT met", R.targets(rows, dense)[1].numbers)

    def test_points_missing_length(self):
        res = sample()
        del keep1(res)["tasks"]["docqa_16k"]
        self.assertEqual(verdicts(res)[0][1], R.NOT_MEASURED)

    def test_cache(self):
        res = sample()
        k = keep1(res)
        v, rows, _ = verdicts(res)
        self.assertEqual(v[2], R.MET)                               # 12.9 %
        for n in k["cacheBytes"]:
            k["cacheBytes"][n] += 4 * 1024 * 1024                   # a bigger state: 14.4 % at 16k
        k["shape"]["recurrentStateBytes"] += 4 * 1024 * 1024
        v, rows, _ = verdicts(res)
        self.assertGreater(rows[1].cache_pct[16384], 13.0)
        self.assertEqual(v[2], R.NOT_MET)

    def test_dense_doc_qa_4k(self):
        res = sample()
        d = next(m for m in res["models"] if m["architecture"] == "llama")["tasks"]["docqa_4k"]
        d["exactMatch"] = 0.9                                      # exactly 90 %: met
        self.assertEqual(verdicts(res)[0][3], R.MET)
        d["exactMatch"] = 0.89
        self.assertEqual(verdicts(res)[0][3], R.NOT_MET)

    def test_no_keep1_model(self):
        res = sample()
        res["models"] = [m for m in res["models"] if m["model"] != "keep4.gguf"]
        v, _, _ = verdicts(res)
        self.assertEqual(v[:3], [R.NOT_MEASURED] * 3)
        self.assertEqual(v[3], R.MET)


class ReportTest(unittest.TestCase):
    def test_main_writes_markdown_and_png(self):
        res = sample()
        keep1(res)["heldout"]["perplexity"] = 11.0
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "RESULTS.json")
            with open(path, "w") as f:
                json.dump(res, f)
            with contextlib.redirect_stdout(io.StringIO()) as printed:
                self.assertEqual(R.main(["--json", path]), 0)
            self.assertIn("NOT met: keep 1/8 held-out perplexity", printed.getvalue())
            md = open(os.path.join(d, "RESULTS.md"), encoding="utf-8").read()
            with open(os.path.join(d, "RESULTS.png"), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertIn("node engine/pipeline/evaluate.mjs --models a.gguf,b.gguf", md)
        self.assertIn("python3 -m engine.pipeline.results --json", md)
        self.assertIn("2026-11-25 10:00 UTC", md)
        self.assertIn("docqa_16k = 4", md)
        self.assertIn("| keep 1/8 held-out perplexity ≤ 1.05× dense | **NOT met** | 11.000 vs dense 10.000 = 1.100× |",
                      md)
        self.assertIn("| keep 1/8 cache at 16k ≤ 13% of dense | **met** |", md)
        self.assertIn("![cache at 16k against quality](RESULTS.png)", md)
        self.assertEqual(md.count("| RecurFormer keep "), 3)

    def test_plain_png_without_matplotlib(self):
        rows, _ = R.build_rows(sample())
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "plain.png")
            R._write_plain_png(R._points(rows), path)
            data = open(path, "rb").read()
        self.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n")
        self.assertEqual(int.from_bytes(data[16:20], "big"), 640)


if __name__ == "__main__":
    unittest.main()
