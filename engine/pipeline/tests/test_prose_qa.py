"""tasks/prose_qa.py: questions about real sentences, asked of the sentence's own parts, answered once."""
import random
import re
import unittest

from engine.pipeline.tasks import families as F
from engine.pipeline.tasks import prose_qa as P
from engine.pipeline.tasks import skills

VERBS = {"hide", "walk", "stop", "carry", "bake", "keep", "set", "buy", "name", "become", "send", "write", "sit"}
LEX = P.Lexicon(VERBS)


def answers(rng, passage, lex, picks=300):
    """The answers that `picks` picks of the passage ask (a pick may ask nothing)."""
    return {p[1] for p in (P.pick(rng, passage, lex) for _ in range(picks)) if p}


class ProseQaTest(unittest.TestCase):
    def test_base_forms(self):
        for past, base in (("hid", "hide"), ("walked", "walk"), ("stopped", "stop"), ("carried", "carry"),
                           ("baked", "bake"), ("kept", "keep")):
            self.assertEqual(P.base_form(past, VERBS), base, past)
        self.assertIsNone(P.base_form("red", VERBS))
        self.assertIsNone(P.base_form("wandered", VERBS))            # not a known verb: the sentence is skipped
        for present, base in (("walks", "walk"), ("carries", "carry"), ("bakes", "bake"), ("hides", "hide")):
            self.assertEqual(P.present_base(present, VERBS | {"walk"}), base, present)
        self.assertIsNone(P.present_base("glass", {"glas"}))

    def test_who_what_where_of_a_sentence(self):
        qa = dict(P.questions("Greta hid the spare key inside a hollow gnome.", LEX))
        self.assertEqual(qa, {"Who hid the spare key inside a hollow gnome?": "Greta",
                              "What did Greta hide inside a hollow gnome?": "the spare key",
                              "Where did Greta hide the spare key?": "a hollow gnome"})
        qa = dict(P.questions("Tomas carried the lamp to the tower, and the night was calm.", LEX))
        self.assertEqual(qa["What did Tomas carry to the tower?"], "the lamp")
        self.assertNotIn("Where did Tomas carry the lamp?", qa)     # "to" is not a place
        self.assertEqual(dict(P.questions("The result of the vote was a narrow defeat.", LEX)),
                         {"What was the result of the vote?": "a narrow defeat",
                          "What was a narrow defeat?": "The result of the vote"})

    def test_more_shapes(self):
        def asked(sentence, lex=LEX):
            return dict(P.questions(sentence, lex))
        self.assertEqual(asked("Marta bought an old fishing boat last spring, and she named it the Heron.")
                         ["What did Marta buy last spring?"], "an old fishing boat")       # no preposition needed
        qa = asked("In 1987, the old mill by the river became a museum of clocks.")
        self.assertEqual(qa["What did the old mill by the river become?"], "a museum of clocks")
        self.assertEqual(qa["When did the old mill by the river become a museum of clocks?"], "in 1987")
        self.assertEqual(qa["What became a museum of clocks?"], "the old mill by the river")
        self.assertEqual(asked("The king sent three messengers to the city.")
                         ["How many messengers did the king send to the city?"], "three")
        self.assertEqual(asked("The king sent three messengers to the city.")
                         ["Who sent three messengers to the city?"], "The king")          # a person noun: who
        self.assertEqual(asked("The ship's cat, a one-eyed tabby called Admiral, once caught a rat.")
                         ["What was the one-eyed tabby called?"], "Admiral")
        self.assertEqual(asked("Ahab, the captain of the Pequod, stood on the deck.")
                         ["Who was the captain of the Pequod?"], "Ahab")
        self.assertEqual(asked("Ishmael was a sailor.")["Who was Ishmael?"], "a sailor")
        self.assertEqual(asked("Kenji's first bicycle was a red bicycle.")["What was Kenji's first bicycle?"],
                         "a red bicycle")                                                   # a name keeps its capital
        qa = asked("Priya walks her greyhound along the canal.", P.Lexicon({"walk"}))       # the present, after a name
        self.assertEqual(qa["What does Priya walk along the canal?"], "her greyhound")
        self.assertEqual(qa["Who walks her greyhound along the canal?"], "Priya")
        self.assertEqual(asked("The dogs walks the canal.", P.Lexicon({"walk"})), {})         # only after a name
        self.assertEqual(asked("Hugo wrote his novels with a green fountain pen.")
                         ["What did Hugo write his novels with?"], "a green fountain pen")
        self.assertEqual(asked("And David took the spear from the bolster.", P.Lexicon({"take"}))
                         ["What did David take from the bolster?"], "the spear")           # "And" is no name
        # a second object would make "what did she name" ask two things
        self.assertNotIn("What did Marta name the Silver Heron?", asked("Marta named her boat the Silver Heron."))
        # with a lexicon of nouns, a phrase must end in one: "the door closed" is no object
        lex = P.Lexicon({"slam"}, nouns={"door", "salesman"})
        self.assertNotIn("What did the salesman slam?", asked("The salesman slammed the door closed.", lex))
        self.assertEqual(asked("The salesman slammed the door.", lex)["What did the salesman slam?"], "the door")
        self.assertEqual(asked("The boat soon sank.", P.Lexicon({"sink"}, nouns={"boat"})), {})   # "soon" no noun

    def test_the_lexicon_of_the_definitions(self):
        lex = P.lexicon([{"word": "steward", "pos": "noun", "definition": "someone who manages property"},
                         {"word": "lamp", "pos": "noun", "definition": "a source of light"},
                         {"word": "hunter", "pos": "noun", "definition": "a person who hunts"},
                         {"word": "carry", "pos": "verb", "definition": "move while supporting"}])
        self.assertEqual(dict(P.questions("The steward carried the lamp.", lex))["Who carried the lamp?"], "The steward")
        self.assertEqual(dict(P.questions("The lamp carried the steward.", lex))["What carried the steward?"], "The lamp")
        self.assertEqual(P.questions("Hunters carried the lamp.", lex), [])     # a dictionary word is no name

    def test_wordings_vary_but_ask_the_same(self):
        rng = random.Random(0)
        wordings = {P.questions("Greta hid the spare key inside a hollow gnome.", LEX, rng)[0] for _ in range(60)}
        self.assertGreater(len(wordings), 3)
        self.assertTrue(all(a == "Greta" and "hid the spare key inside a hollow gnome" in q for q, a in wordings))
        where = {P.questions("Greta hid the spare key inside a hollow gnome.", LEX, rng)[2] for _ in range(60)}
        self.assertEqual(where, {("Where did Greta hide the spare key?", "a hollow gnome"),
                                 ("In what place did Greta hide the spare key?", "a hollow gnome")})

    def test_no_question_of_the_wrong_shapes(self):
        for s in ("She hid the key in the box.",                       # a pronoun, not a name
                  "When hid the key in the box.",                      # not a name
                  "The water puts it on like it was a breastplate.",   # a pronoun in the subject
                  "Greta wandered the streets in the rain.",           # an unknown verb
                  "The newspaper too is the habitat of the anatomical.",  # an adverb in the subject
                  "I hid the key in the box.",                         # about the speaker
                  "Greta hid the key in the Church of St. Paul.",      # cut at an abbreviation's full stop
                  "The voyage was a skilful and lucky one and long."):  # a vague answer
            self.assertEqual(P.questions(s, LEX), [], s)

    def test_pick_asks_only_what_the_passage_tells_once(self):
        once = ["It rained all week.", "Greta hid the spare key inside a hollow gnome."]
        twice = once + ["Later a hollow gnome was sold at the fair and Greta was sad."]
        rng = random.Random(0)
        self.assertEqual(answers(rng, once, LEX), {"Greta", "the spare key", "a hollow gnome"})
        self.assertEqual(answers(rng, twice, LEX), {"the spare key"})
        self.assertIsNone(P.pick(rng, ["Nothing of the kind here."], LEX))
        # the same question of two sentences has two answers: neither is asked
        two = ["Greta hid the key.", "Greta hid the spoon.", "Tomas sat near the fire."]
        self.assertEqual(answers(rng, two, LEX), {"Tomas"})

    def test_subject_questions_are_a_small_share(self):
        # "Who hid the spare key ...?" is answered by the sentence's opening words; left at half the picks, such
        # questions taught a tuned model to answer any question with a sentence's subject
        rng = random.Random(1)
        picks = [P.pick(rng, ["Greta hid the spare key inside a hollow gnome."], LEX) for _ in range(2000)]
        subject = sum(1 for p in picks if p[1] == "Greta")
        self.assertLess(subject, 2000 * P.SUBJECT_SHARE)
        self.assertGreater(subject, 0)
        only = [P.pick(rng, ["Tomas sat near the fire."], LEX) for _ in range(2000)]
        self.assertLess(sum(p is not None for p in only), 2000 * (P.SUBJECT_SHARE + 0.03))
        self.assertTrue(all(p is None or p[1] == "Tomas" for p in only))

    def test_no_question_in_a_held_out_wording(self):
        # "What did {e} take on the journey?" is a held-out family's question (families.HELDOUT_KINDS)
        passage = ["Ahab took a compass on the journey."]
        self.assertIn(("What did Ahab take on the journey?", "a compass"), P.questions(passage[0], P.Lexicon({"take"})))
        rng = random.Random(0)
        picked = {P.pick(rng, passage, P.Lexicon({"take"})) for _ in range(60)} - {None}
        self.assertNotIn(("What did Ahab take on the journey?", "a compass"), picked)
        self.assertIn("a compass", {a for _, a in picked})             # asked in the other wordings
        self.assertFalse(any(F.held_out_wording(q) for q, _ in picked))
        self.assertTrue(F.held_out_wording("Where is Greta's spare key?"))
        self.assertFalse(F.held_out_wording("Where did Greta hide the spare key?"))

    def test_vague_answers_and_questions_that_find_nothing_are_not_asked(self):
        definitions = [{"word": w, "pos": "verb", "definition": "x"} for w in ("murmur", "hide")] + \
            [{"word": w, "pos": "noun", "definition": "x"} for w in ("people", "key", "gnome", "gift", "love", "life")]
        filler = ["The people and the love of life and the greatest gift. " * 25]
        lex = P.lexicon(definitions, filler)
        self.assertTrue({"people", "love", "life", "greatest", "gift"} <= lex.common)
        self.assertNotIn("gnome", lex.common)
        passage = ["The people murmured against Moses.", "The love of life was the greatest gift.",
                   "Greta hid the spare key inside a hollow gnome."]
        everything = {a for s in passage for _, a in P.questions(s, lex)}
        self.assertTrue({"The people", "the greatest gift", "Greta", "a hollow gnome"} <= everything, everything)
        picked = {P.pick(random.Random(i), passage, lex) for i in range(300)} - {None}
        answers = {a for _, a in picked}
        self.assertTrue({"Greta", "a hollow gnome"} <= answers, answers)
        self.assertFalse({"The people", "the greatest gift", "The love of life"} & answers, picked)
        self.assertFalse([q for q, _ in picked if "love of life" in q], picked)
        self.assertEqual(P.lexicon(definitions).common, frozenset())           # no prose: every word may single out

    def test_a_word_the_prose_writes_in_lower_case_is_no_name(self):
        lex = P.lexicon([], ["They made a solemn vow.", "A solemn hush fell.", "Tobias came home.",
                             "Solemn subjects ought not to be hurried over.", "Then Tobias wept."])
        self.assertFalse(lex.names_ok("Solemn"))
        self.assertTrue(lex.names_ok("Tobias"))
        self.assertNotIn("Solemn", {a for _, a in P.questions("Solemn subjects ought not to be hurried over.", lex)})
        self.assertIn(("Who wept bitterly?", "Tobias"), P.questions("Tobias wept bitterly.", lex))

    def test_a_prose_row_asks_about_its_passage_and_answers_from_it(self):
        definitions = [{"word": "hide", "pos": "verb", "definition": "x"}] + \
            [{"word": w, "pos": "noun", "definition": "x"} for w in ("key", "gnome", "lamp", "tower")]
        repeated = {"brown": ["It rained all week in the valley.", "Greta hid the spare key inside a hollow gnome."]}
        rng = random.Random(1)
        # a long passage repeats its sentence, so no answer is told once: the row falls back to a planted fact
        share, skills.PROSE_SHORT_SHARE = skills.PROSE_SHORT_SHARE, 0.0
        self.addCleanup(setattr, skills, "PROSE_SHORT_SHARE", share)
        for _ in range(5):
            row = skills.s_doc_prose(rng, skills.SkillData(repeated, [], definitions, []))
            answer = row.text[row.spans[0][0]:row.spans[0][1]].replace("<|im_end|>", "")
            self.assertNotIn(answer, ("Greta", "the spare key", "a hollow gnome"))
        letters = "abcdefghijklmnopqrstuvwxyz"
        names = [f"Zor{a}{b}" for a in letters for b in letters][:400]
        told = {"brown": [f"{n} hid the lamp of {n}a inside the tower of {n}b." for n in names]}
        for _ in range(5):
            row = skills.s_doc_prose(rng, skills.SkillData(told, [], definitions, []))
            answer = row.text[row.spans[0][0]:row.spans[0][1]].replace("<|im_end|>", "")
            question = next(line for line in row.text[:row.spans[0][0]].split("\n")
                            if "Zor" in line and not any(p.startswith(line) for p in told["brown"]))
            n = re.search(r"Zor[a-z]{2}", question + " " + answer).group(0)
            self.assertIn(answer, (n, f"the lamp of {n}a", f"the tower of {n}b"), question)
            self.assertIn(f"{n} hid the lamp of {n}a inside the tower of {n}b.", row.text)


    def test_short_passages_are_a_few_whole_sentences_of_one_paragraph(self):
        para = "Greta hid the spare key inside a hollow gnome. It rained. Tobias wept bitterly. The end came."
        data = skills.SkillData({"brown": [para]}, [], [{"word": w, "pos": "noun", "definition": "x"}
                                                         for w in ("key", "gnome")], [])
        rng = random.Random(4)
        passages = {skills.short_passage(rng, data)[0] for _ in range(200)}
        whole = P.sentences(para)
        self.assertTrue(all(" ".join(whole[i:i + n]) in passages for i in range(4) for n in (1, 2, 3) if i + n <= 4))
        self.assertTrue(all(p in para and P.sentences(p)[0] in whole and len(P.sentences(p)) <= 3 for p in passages))
        share, skills.PROSE_SHORT_SHARE = skills.PROSE_SHORT_SHARE, 1.0
        self.addCleanup(setattr, skills, "PROSE_SHORT_SHARE", share)
        row = skills.s_doc_prose(rng, data)
        self.assertNotIn("It rained. Tobias wept bitterly. The end came.", row.text)        # never the whole paragraph
        self.assertIn(row.text[row.spans[0][0]:row.spans[0][1]].replace("<|im_end|>", ""),
                      ("Greta", "the spare key", "a hollow gnome", "Tobias"))

if __name__ == "__main__":
    unittest.main()
