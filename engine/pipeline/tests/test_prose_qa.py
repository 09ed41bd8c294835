"""tasks/prose_qa.py: questions about real sentences, asked of the sentence's own parts, answered once."""
import random
import re
import unittest

from engine.pipeline.tasks import prose_qa as P
from engine.pipeline.tasks import skills

VERBS = {"hide", "walk", "stop", "carry", "bake", "keep", "set"}


class ProseQaTest(unittest.TestCase):
    def test_base_forms(self):
        for past, base in (("hid", "hide"), ("walked", "walk"), ("stopped", "stop"), ("carried", "carry"),
                           ("baked", "bake"), ("kept", "keep")):
            self.assertEqual(P.base_form(past, VERBS), base, past)
        self.assertIsNone(P.base_form("red", VERBS))
        self.assertIsNone(P.base_form("wandered", VERBS))            # not a known verb: the sentence is skipped

    def test_who_what_where_of_a_sentence(self):
        qa = dict(P.questions("Greta hid the spare key inside a hollow gnome.", VERBS))
        self.assertEqual(qa, {"Who hid the spare key inside a hollow gnome?": "Greta",
                              "What did Greta hide inside a hollow gnome?": "the spare key",
                              "Where did Greta hide the spare key?": "a hollow gnome"})
        qa = dict(P.questions("Tomas carried the lamp to the tower, and the night was calm.", VERBS))
        self.assertEqual(qa["What did Tomas carry to the tower?"], "the lamp")
        self.assertNotIn("Where did Tomas carry the lamp?", qa)     # "to" is not a place
        self.assertEqual(P.questions("The result of the vote was a narrow defeat.", VERBS),
                         [("What was the result of the vote?", "a narrow defeat")])

    def test_no_question_of_the_wrong_shapes(self):
        for s in ("She hid the key in the box.",                       # a pronoun, not a name
                  "When hid the key in the box.",                      # not a name
                  "The mountains were covered with its shadow.",      # no determiner: a participle
                  "The water puts it on like it was a breastplate.",   # a pronoun in the subject
                  "Greta wandered the streets in the rain.",           # an unknown verb
                  "The newspaper too is the habitat of the anatomical.",  # an adverb in the subject
                  "The second student was a man who commented.",      # a clause in the answer
                  "The voyage was a skilful and lucky one and long."):  # an answer of over six words
            self.assertEqual(P.questions(s, VERBS), [], s)
        self.assertEqual(P.questions("The pretenders were the priests and the false prophets.", VERBS),
                         [("What were the pretenders?", "the priests and the false prophets")])

    def test_pick_asks_only_what_the_passage_tells_once(self):
        once = ["It rained all week.", "Greta hid the spare key inside a hollow gnome."]
        twice = once + ["Later a hollow gnome was sold at the fair and Greta was sad."]
        rng = random.Random(0)
        self.assertEqual({P.pick(rng, once, VERBS)[1] for _ in range(30)}, {"Greta", "the spare key", "a hollow gnome"})
        self.assertEqual({P.pick(rng, twice, VERBS)[1] for _ in range(30)}, {"the spare key"})
        self.assertIsNone(P.pick(rng, ["Nothing of the kind here."], VERBS))

    def test_a_prose_row_asks_about_its_passage_and_answers_from_it(self):
        definitions = [{"word": "hide", "pos": "verb", "definition": "x"}]
        repeated = {"brown": ["It rained all week in the valley.", "Greta hid the spare key inside a hollow gnome."]}
        rng = random.Random(1)
        # the passage repeats its sentence, so no answer is told once: the row falls back to a planted fact
        for _ in range(5):
            row = skills.s_doc_prose(rng, skills.SkillData(repeated, [], definitions, []))
            answer = row.text[row.spans[0][0]:row.spans[0][1]].replace("<|im_end|>", "")
            self.assertNotIn(answer, ("Greta", "the spare key", "a hollow gnome"))
        letters = "abcdefghijklmnopqrstuvwxyz"
        names = [f"Zor{a}{b}" for a in letters for b in letters][:400]
        told = {"brown": [f"{n} hid the lamp of {n.lower()} inside the tower of {n.lower()}." for n in names]}
        for _ in range(5):
            row = skills.s_doc_prose(rng, skills.SkillData(told, [], definitions, []))
            answer = row.text[row.spans[0][0]:row.spans[0][1]].replace("<|im_end|>", "")
            question = row.text[:row.spans[0][0]].rsplit("\n", 3)[-3]
            n = re.search(r"Zor[a-z]{2}", question + answer).group(0)
            self.assertIn(answer, (n, f"the lamp of {n.lower()}", f"the tower of {n.lower()}"), question)
            self.assertIn(f"{n} hid the lamp of {n.lower()} inside the tower of {n.lower()}.", row.text)


if __name__ == "__main__":
    unittest.main()
