"""answer_depth.py: the depth of the asked fact, found from the held-out samples as tasks/heldout.py writes them
(kind, prompt, answer; no depth), where the generator planted it."""
import random
import unittest

from engine.pipeline import answer_depth as D
from engine.pipeline.tasks import families as F
from engine.pipeline.tasks import heldout, skills
from engine.pipeline.tasks.lengths import counter

HAY = {"manual": [f"Paragraph {i} of the manual says nothing that matters here, at some length. It goes on." for i in range(400)]}


def planted(depth_chars, total=10_000, kind="locker", entity="Marco Brandt", value="59"):
    """A sample whose planted sentence starts `depth_chars` into a document of `total` characters."""
    k = D.KINDS[kind]
    sentence = k.statements[0].format(e=entity, v=value)
    hay = "x" * (total - len(sentence))
    document = hay[:depth_chars] + sentence + hay[depth_chars:]
    prompt = heldout._chat_prompt(F.APP_WRAPPER.format(d=document, q=k.questions[1].format(e=entity)))
    return {"id": "d", "kind": kind, "prompt": prompt, "answer": value}, (depth_chars + len(sentence) / 2) / total


class AnswerDepthTest(unittest.TestCase):
    def test_depth_of_a_sentence_planted_where_known(self):
        for at in (0, 2_500, 9_000):
            sample, depth = planted(at)
            self.assertAlmostEqual(D.answer_depth(sample), depth)
        self.assertEqual([D.depth_bin(x) for x in (0.0, 0.19, 0.2, 0.5, 0.99, 1.0)], [0, 0, 1, 2, 4, 4])

    def test_the_fact_asked_not_another_of_its_kind(self):
        # two lockers in one document: the question names Leo Vance, whose sentence comes second
        sample, _ = planted(1_000, entity="Marco Brandt", value="59")
        other = D.KINDS["locker"].statements[0].format(e="Leo Vance", v="82")
        sample["prompt"] = sample["prompt"].replace("xxxx" * 500, "xxxx" * 250 + other + "xxxx" * 250, 1)
        sample["prompt"] = sample["prompt"].replace("Marco Brandt's spare key", "Leo Vance's spare key").replace(
            "spare key of Marco Brandt", "spare key of Leo Vance")
        sample["answer"] = "82"
        doc = sample["prompt"].split("<document>\n")[1].split("\n</document>")[0]
        self.assertAlmostEqual(D.answer_depth(sample), (doc.index(other) + len(other) / 2) / len(doc))

    def test_every_generated_sample_is_found_at_its_sentence(self):
        data = skills.SkillData(HAY, [], [], [])
        for k in range(40):
            s = heldout.doc_sample(random.Random(k), data, 1024, counter(None))
            depth = D.answer_depth(s)
            self.assertIsNotNone(depth, s["kind"])
            doc = s["prompt"].split("<document>\n")[1].split("\n</document>")[0]
            middle = int(depth * len(doc))
            self.assertIn(s["answer"], doc[max(0, middle - 80):middle + 80])

    def test_no_depth_for_other_samples(self):
        self.assertIsNone(D.answer_depth({"kind": "vault", "prompt": "<document>\nx\n</document>\n\nQuestion: y", "answer": "1"}))
        self.assertIsNone(D.answer_depth({"prompt": "hello", "answer": "1"}))


if __name__ == "__main__":
    unittest.main()
