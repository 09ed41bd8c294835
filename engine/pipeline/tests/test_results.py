"""results.py on replies files shaped as evaluate_torch.py and evaluate.mjs write them: cells with Wilson
intervals from the shared scorer, targets both ways."""
import json
import os
import tempfile
import unittest

from engine.pipeline import results as R
from engine.pipeline.tests.test_answer_depth import planted

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

    def test_a_pytorch_candidate_is_named_by_its_replies_file(self):
        with tempfile.TemporaryDirectory() as d:
            shipped = self.write(d, "a.json", "dense", replies(9, 7), 10.0)
            os.mkdir(os.path.join(d, "round"))
            candidate = self.write(d, os.path.join("round", "a.json"), "dense", replies(5, 3), 11.0)
            rows = R.model_rows(SETS, [shipped, candidate], candidates={candidate})
        self.assertEqual([r["label"] for r in rows], ["dense", "dense (candidate, not shipped)"])
        judged = [x[2] for x in R.targets(rows) if x[0] == "dense plain questions >= 60%"]
        self.assertEqual(judged, ["70%"])                   # the shipped row alone, not the candidate's 30%
        twins = [{**r, "evaluator": "llama.cpp"} for r in rows]     # candidates of one ablation share labels: none
        self.assertEqual([x[0] for x in R.agreement(SETS, rows + twins)], ["dense"])

    def test_two_dense_candidates_of_one_label_get_no_ratio_against_each_other(self):
        with tempfile.TemporaryDirectory() as d:
            files = [self.write(d, f"{n}.json", "dense", replies(5, 3), ppl) for n, ppl in (("a", 10.0), ("b", 8.0))]
            rows = R.model_rows(SETS, files, candidates=set(files))
            keep = self.write(d, "k.json", "keep 1/8", replies(5, 3), 12.0)
            rows += R.model_rows(SETS, [keep], candidates={keep})
        self.assertEqual(rows[0]["label"], rows[1]["label"])
        text = R.render(rows, [], [], "now")
        self.assertIn("| 8.000 |", text)                    # not "8.000 (0.80x)", a dense against the other dense
        self.assertIn("| 12.000 (1.20x) |", text)           # a keep 1/8 against its pair's dense

    def test_a_candidate_keep_is_compared_with_the_candidate_dense_of_its_own_run_folder(self):
        with tempfile.TemporaryDirectory() as d:
            for r in ("round12", "round13"):
                os.mkdir(os.path.join(d, r))
            files = [self.write(d, os.path.join(r, "dense.json"), "dense", replies(5, 3), ppl)
                     for r, ppl in (("round12", 10.0), ("round13", 8.0))]
            keep = self.write(d, os.path.join("round13", "k.json"), "keep 1/8", replies(5, 3), 12.0)
            rows = R.model_rows(SETS, files + [keep], candidates=set(files + [keep]))
        self.assertIs(R.dense_of(rows, rows[2]), rows[1])
        self.assertIn("| 12.000 (1.50x) |", R.render(rows, [], [], "now"))     # against round 13's 8.0, not 10.0

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
            rows = R.model_rows(SETS, [a, b], [llama])
            kept = R.model_rows(SETS, [], [llama], exclude={"rf.gguf"})
        self.assertEqual([r["label"] for r in kept], ["dense"])
        agree = {(x[0], x[1]): x[2:] for x in R.agreement(SETS, rows)}
        self.assertEqual(agree[("dense", "dense")], (30, 29, 29))          # d8: "v8" against "no"
        self.assertEqual(agree[("keep1-mixed", "keep 1/8")], (30, 30, 30))
        self.assertNotIn(("dense", "keep 1/8"), agree)

    def test_pyramid_rows_are_labelled_and_doc_qa_is_tabled_by_answer_depth(self):
        # 10 document questions at depths 5%, 15%, ..., 95%; dense answers all, dense + pyramid only the last 6
        docs = []
        for i in range(10):
            sample, _ = planted(1000 * i + 400, value=str(10 + i))
            docs.append({**sample, "id": f"q{i}", "score": "exact"})
        sets = {"docqa_1k": docs}
        entry = {"cacheBytes": {"16384": 80 * 2 ** 20}, "denseCacheBytes": {"16384": 256 * 2 ** 20}}
        models = [{"model": "dense.gguf", "architecture": "llama", "replies": {f"q{i}": {"reply": str(10 + i), "ended": True}
                                                                               for i in range(10)}, **entry},
                  {"model": "dense.gguf", "architecture": "llama", **entry,
                   "pyramid": {"schedule": "r0=0.8,decay=0.7,recent=64,queries=16,every=512", "r0": 0.8, "decay": 0.7,
                               "recent": 64, "queries": 16, "every": 512, "batchSize": 512},
                   "replies": {f"q{i}": {"reply": str(10 + i) if i >= 4 else "no", "ended": True} for i in range(10)}},
                  {"model": "rf.gguf", "architecture": "recurformer", "shape": {"kvHeadsPerLayer": [1]}, **entry,
                   "pyramid": {"r0": 1, "decay": 0.8, "recent": 32, "queries": 16, "every": 128, "batchSize": 512},
                   "replies": {}}]
        with tempfile.TemporaryDirectory() as d:
            llama = os.path.join(d, "l.json")
            with open(llama, "w") as f:
                json.dump({"models": models}, f)
            rows = R.model_rows(sets, [], [llama])
        self.assertEqual([r["label"] for r in rows],
                         ["dense", "dense + pyramid r0 0.8/0.7", "keep 1/8 + pyramid r0 1/0.8 (recent 32, every 128)"])
        self.assertEqual([c["correct"] for c in rows[1]["depth"]["docqa_1k"]], [0, 0, 2, 2, 2])
        self.assertEqual([c["graded"] for c in rows[1]["depth"]["docqa_1k"]], [2, 2, 2, 2, 2])
        text = R.render(rows, R.targets(rows), [], "now")
        section = text.split("## Doc-QA by answer depth")[1].split("## Targets")[0]
        self.assertIn("### dense + pyramid r0 0.8/0.7 (`dense.gguf`, llama.cpp)", section)
        self.assertIn("| length | 0–20% | 20–40% | 40–60% | 60–80% | 80–100% |", section)
        self.assertIn("| 1k | 0 [0–66] (0/2) | 0 [0–66] (0/2) | 100 [34–100] (2/2) |", section)
        self.assertNotIn("keep 1/8 + pyramid", section)                     # no replies, no table
        self.assertIn("| dense + pyramid r0 0.8/0.7 (`dense.gguf`) | llama.cpp |", text)
        self.assertIn("80.0 MiB (31.2%)", text)
        t = [x[0] for x in R.targets(rows)]
        self.assertIn("dense + pyramid r0 0.8/0.7: doc-QA within 3 points of dense", t)
        self.assertFalse([x for x in t if "pyramid" in x and "cache at 16k" in x])

    def test_a_model_in_two_llama_files_is_one_row_with_the_later_replies_where_both_answered(self):
        def entry(doc_ok, ids, ppl, bytes16k):
            r = replies(doc_ok, 7)
            return {"model": "dense.gguf", "architecture": "llama", "cacheType": "f16", "perplexity": {"value": ppl},
                    "replies": {k: v for k, v in r.items() if k in ids}, "cacheBytes": {"16384": bytes16k},
                    "denseCacheBytes": {"16384": bytes16k}}
        with tempfile.TemporaryDirectory() as d:
            first, second = os.path.join(d, "old.json"), os.path.join(d, "new.json")
            facts = {f"f{i}" for i in range(10)}
            docs = {f"d{i}" for i in range(10)}
            with open(first, "w") as f:                 # facts and docs; 9 of 10 docs right
                json.dump({"models": [entry(9, facts | docs, 10.0, 1)]}, f)
            with open(second, "w") as f:                # docs again, 5 right: the later replies count
                json.dump({"models": [entry(5, docs, 11.0, 2)]}, f)
            rows = R.model_rows(SETS, [], [first, second])
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["cells"]["docqa_1k"]["correct"], 5)
        self.assertEqual(rows[0]["cells"]["facts"]["graded"], 10)
        self.assertEqual(rows[0]["rerun"], {"samples": 10, "differ": 4})
        self.assertEqual((rows[0]["perplexity"], rows[0]["cache16k"], rows[0]["runs"]), (11.0, 2, ["old.json", "new.json"]))
        self.assertIn("dense: 10 samples answered twice, 4 replies differ", R.render(rows, [], [], "now"))
        with tempfile.TemporaryDirectory() as d:        # a third file that answers the facts again adds its reruns
            paths = [os.path.join(d, f"{n}.json") for n in ("a", "b", "c")]
            for p, e in zip(paths, (entry(9, facts | docs, 10.0, 1), entry(5, docs, 11.0, 2), entry(9, facts, 12.0, 3))):
                with open(p, "w") as f:
                    json.dump({"models": [e]}, f)
            rows = R.model_rows(SETS, [], paths)
        self.assertEqual(rows[0]["rerun"], {"samples": 20, "differ": 4})


if __name__ == "__main__":
    unittest.main()
