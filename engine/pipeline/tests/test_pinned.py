"""tasks/pinned.py and its users: the pinned sets unpack to the fingerprints results.py checks, replies made
on other versions of a set (or never stamped) are refused, and the repository's pinned copy is whole."""
import json
import os
import tarfile
import tempfile
import unittest

from engine.pipeline import results as R
from engine.pipeline.tasks import pinned


def write_sets(d, docs="one\n"):
    os.makedirs(d, exist_ok=True)
    for name, text in (("docqa_1k.jsonl", docs), ("facts.jsonl", "two\n"), ("heldout_text.txt", "text")):
        with open(os.path.join(d, name), "w") as f:
            f.write(text)


class PinnedTest(unittest.TestCase):
    def test_pin_unpack_and_fingerprints(self):
        with tempfile.TemporaryDirectory() as d:
            write_sets(os.path.join(d, "a"))
            archive = os.path.join(d, "pinned.tar.xz")
            pinned.pin(os.path.join(d, "a"), archive)
            got = pinned.unpack(os.path.join(d, "b"), archive)
            self.assertEqual(got, pinned.fingerprints(os.path.join(d, "a")))
            self.assertEqual(set(got), {"docqa_1k", "facts", "heldout_text"})
            write_sets(os.path.join(d, "c"), docs="one, from a newer package\n")
            self.assertEqual(pinned.mismatches(got, pinned.fingerprints(os.path.join(d, "c")), got), ["docqa_1k"])

    def test_unpack_writes_set_files_only_inside_the_folder(self):
        with tempfile.TemporaryDirectory() as d:
            archive = os.path.join(d, "hostile.tar.xz")
            evil = os.path.join(d, "evil.jsonl")
            with open(evil, "w") as f:
                f.write("x\n")
            with tarfile.open(archive, "w:xz") as tar:
                tar.add(evil, arcname="../../escaped.jsonl")
                tar.add(evil, arcname="heldout/run.sh")
            pinned.unpack(os.path.join(d, "out"), archive)
            self.assertEqual(os.listdir(os.path.join(d, "out")), ["escaped.jsonl"])
            self.assertFalse(os.path.exists(os.path.join(d, "..", "escaped.jsonl")))

    def test_results_refuses_replies_made_on_other_sets(self):
        with tempfile.TemporaryDirectory() as d:
            held = os.path.join(d, "held")
            write_sets(held)
            current = pinned.fingerprints(held)

            def replies(name, sets):
                p = os.path.join(d, name)
                with open(p, "w") as f:
                    json.dump({"label": "x", **({"sets": sets} if sets is not None else {}),
                               "replies": {"docqa_1k_0": {"reply": "a", "ended": True}},
                               "perplexity": {"value": 9.0}}, f)
                return p

            R.check_sets([replies("same.json", current)], current)
            with self.assertRaisesRegex(ValueError, "no fingerprints"):
                R.check_sets([replies("old.json", None)], current)
            with self.assertRaisesRegex(ValueError, "other versions of docqa_1k"):
                R.check_sets([replies("other.json", {**current, "docqa_1k": "0" * 16})], current)
            # a set the file did not answer may differ
            R.check_sets([replies("facts-differ.json", {**current, "facts": "0" * 16})], current)

    def test_the_repositorys_pinned_sets_are_whole(self):
        with tempfile.TemporaryDirectory() as d:
            got = pinned.unpack(d)
        for name in ("docqa_1k", "docqa_4k", "docqa_8k", "docqa_16k", "hop1_1k", "hop1_4k", "hop2_1k", "hop2_4k",
                     "docqa_hand_2k", "facts", "open", "heldout_text"):
            self.assertIn(name, got)


if __name__ == "__main__":
    unittest.main()
