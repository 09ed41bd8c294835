"""stages/taskdata.py's --task-mix: weights that replace tasks/skills.py's TASK_MIX in every row generator."""
import argparse
import unittest
from unittest import mock

from engine.pipeline.stages import taskdata
from engine.pipeline.tasks import skills


class CharTokenizer:
    def encode(self, text):
        return [ord(c) for c in text]


class TaskMixTest(unittest.TestCase):
    def test_parse(self):
        self.assertEqual(taskdata.parse_task_mix("doc_prose=0, hop=20"), {"doc_prose": 0.0, "hop": 20.0})
        self.assertEqual(taskdata.parse_task_mix(""), {})
        for bad, why in (("prose=1", "the kinds are"), ("hop", "a number >= 0"), ("hop=x", "a number >= 0"),
                         ("hop=-1", "a number >= 0"), ("hop=nan", "a number >= 0"),
                         (",".join(f"{k}=0" for k in skills.TASK_MIX), "every task kind at weight 0")):
            with self.assertRaisesRegex(argparse.ArgumentTypeError, why):
                taskdata.parse_task_mix(bad)

    def test_rows_draw_from_the_replaced_weights(self):
        seen, before = [], dict(skills.TASK_MIX)

        def sample(rng, data, mix=None, length=None):
            seen.append(mix)
            return skills.Sample("q a", [(2, 3)])

        self.addCleanup(taskdata._state.clear)
        with mock.patch.object(taskdata, "load_tokenizer", return_value=CharTokenizer()), \
                mock.patch.object(taskdata, "load_skill_data", return_value=object()), \
                mock.patch.object(skills, "make_sample", side_effect=sample):
            taskdata._init("tok.json", "skills" + taskdata.SKILLS_SUFFIX, {"doc_prose": 0.0, "hop": 50.0})
            for seed in range(12):
                taskdata._row((seed, 64))
        wanted = {**skills.TASK_MIX, "doc_prose": 0.0, "hop": 50.0}
        self.assertTrue(all(m in (wanted, skills.CHAT_MIX) for m in seen), seen[:3])
        self.assertIn(wanted, seen)
        self.assertIn(skills.CHAT_MIX, seen)
        self.assertEqual(skills.TASK_MIX, before)                      # the module's own mix is left alone


if __name__ == "__main__":
    unittest.main()
