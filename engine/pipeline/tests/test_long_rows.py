"""Long rows (stages/taskdata.py): at rows of 16,384 tokens half the task rows open with one document question whose
hay fills most of the row, so a fact 14,000 tokens back is trained; rows of 8,192 are as before."""
import random
import unittest
from unittest import mock

from engine.pipeline.stages import taskdata
from engine.pipeline.tasks import skills
from engine.pipeline.tasks.chat_template import parse_chatml
from engine.pipeline.tasks.lengths import approx_tokens


class CharTokenizer:
    def encode(self, text):
        return [ord(c) for c in text]


def hay():
    rng = random.Random(0)
    words = "river stone market window lantern harbour winter letter garden bridge".split()
    return {"brown": [" ".join(rng.choice(words) for _ in range(60)).capitalize() + "." for _ in range(800)]}


class LongRowsTest(unittest.TestCase):
    def rows(self, seq_len, n=200):
        calls = []

        def sample(rng, data, mix=None, length=None):
            calls[-1].append((mix, length))
            return skills.Sample("q" * 200 + "a", [(200, 201)])

        self.addCleanup(taskdata._state.clear)
        with mock.patch.object(taskdata, "load_tokenizer", return_value=CharTokenizer()), \
                mock.patch.object(taskdata, "load_skill_data", return_value=object()), \
                mock.patch.object(skills, "make_sample", side_effect=sample):
            taskdata._init("tok.json", "skills" + taskdata.SKILLS_SUFFIX)
            for seed in range(n):
                calls.append([])
                taskdata._row((seed, seq_len))
        return calls

    def test_half_the_task_rows_of_16k_open_with_a_long_document(self):
        calls = self.rows(16384)
        task = [row for row in calls if row[0][0] is not skills.CHAT_MIX]
        long = [row for row in task if row[0][1]]
        self.assertTrue(0.35 < len(long) / len(task) < 0.65, (len(long), len(task)))
        lo, hi = (int(16384 * s) for s in taskdata.LONG_DOC_SHARE)
        self.assertTrue(all(lo <= row[0][1] <= hi for row in long))
        self.assertTrue(all(length is None for row in calls for _, length in row[1:]))       # only the first sample
        self.assertTrue(all(row[0][1] is None for row in calls if row[0][0] is skills.CHAT_MIX))

    def test_rows_of_8k_have_no_long_document(self):
        self.assertTrue(all(length is None for row in self.rows(8192) for _, length in row))

    def test_a_long_sample_is_a_document_question_with_that_much_hay(self):
        data = skills.SkillData(hay(), [], [], [])
        rng = random.Random(3)
        for kind in ("doc_event", "doc_2hop", "doc_absent"):
            s = skills.make_sample(rng, data, {kind: 1, "hello": 5}, length=6000)
            user = next(m["content"] for m in parse_chatml(s.text)[0] if m["role"] == "user")
            self.assertTrue(5400 < approx_tokens(user) < 6600, (kind, approx_tokens(user)))
        picked = []
        makers = {k: (lambda k: lambda rng, data, length=None: picked.append((k, length)))(k) for k in skills.MAKERS}
        with mock.patch.dict(skills.MAKERS, makers):
            for _ in range(60):
                skills.make_sample(rng, data, {"hello": 1, "hop": 3, "doc_event": 0}, length=9000)
        self.assertTrue(all(k.startswith("doc") and length == 9000 for k, length in picked), picked[:5])
        self.assertGreater(len({k for k, _ in picked}), 3)          # no doc kind in the mix: TASK_MIX's doc kinds

    def test_a_long_row_holds_its_question_and_answer(self):
        class FourChars:                # one token per four characters, as approx_tokens counts
            def encode(self, text):
                return [1 + len(text[i:i + 4]) for i in range(0, len(text), 4)]

        data = skills.SkillData(hay(), [], [], [])
        self.addCleanup(taskdata._state.clear)
        with mock.patch.object(taskdata, "load_tokenizer", return_value=FourChars()), \
                mock.patch.object(taskdata, "load_skill_data", return_value=data), \
                mock.patch.object(skills, "chat_row", return_value=False):
            taskdata._init("tok.json", "skills" + taskdata.SKILLS_SUFFIX, {"doc_event": 1.0, "doc_2hop": 1.0})
            first = [list(taskdata._row((seed, 16384))[1]).index(1.0) for seed in range(24)]
        long = [i for i in first if i > 16384 * 0.4]
        self.assertTrue(6 <= len(long) <= 18, first)           # the answer of the long document is inside the row


if __name__ == "__main__":
    unittest.main()
