"""Held-out families are disjoint from the training ones by construction, every generated sample answers
itself (the answer is in its document, chains resolve, loss spans are the replies), scoring and Wilson
intervals are right at their edges."""
import os
import random
import re
import unittest

from engine.pipeline.tasks import families as F
from engine.pipeline.tasks import heldout, scoring, skills
from engine.pipeline.tasks.chat_template import parse_chatml

HAY = {s: [f"{s} paragraph {i} tells of the long road. It runs past the mill and the river." for i in range(300)]
       for s in ("sotu", "python-doc", "gcide")}
DATA = skills.SkillData(HAY, [{"country": "France", "field": "capital", "value": "Paris"},
                              {"country": "Peru", "field": "currency", "value": "nuevo sol"}],
                        [{"word": "ephemeral", "pos": "adjective", "definition": "lasting a very short time"}],
                        [{"question": "Is it free?", "answer": "Yes."}])


class DisjointTest(unittest.TestCase):
    def test_check_disjoint_passes(self):
        F.check_disjoint()

    def test_no_held_out_kind_shape_or_phrasing_in_training(self):
        train = {t.lower() for k in F.TRAIN_KINDS for t in k.statements + k.questions}
        for k in F.HELDOUT_KINDS:
            self.assertNotIn(k.name, {t.name for t in F.TRAIN_KINDS})
            for t in k.statements + k.questions:
                self.assertNotIn(t.lower(), train)
        self.assertFalse(set(F.HELDOUT_HOP_LINES) & set(F.TRAIN_HOP_LINES))
        self.assertFalse({g.lower() for g in F.HELDOUT_GREETINGS} & {g.lower() for g in F.TRAIN_GREETINGS})
        self.assertFalse(set(F.HELDOUT_CANNOT) & set(F.TRAIN_CANNOT))
        self.assertFalse(set(F.HELDOUT_HAY_SOURCES) & set(skills.TRAIN_HAY_SOURCES))

    def test_check_disjoint_catches_a_shared_phrasing(self):
        F.HELDOUT_GREETINGS.append(F.TRAIN_GREETINGS[0])
        try:
            with self.assertRaises(AssertionError):
                F.check_disjoint()
        finally:
            F.HELDOUT_GREETINGS.pop()

    def test_check_disjoint_catches_a_composed_frame_that_makes_a_held_out_question(self):
        from engine.pipeline.tasks import compose
        compose.QUESTIONS.append("Could you tell me the name of the {a} {e} keeps?")   # the boat question, noun open
        try:
            with self.assertRaises(AssertionError):
                F.check_disjoint()
        finally:
            compose.QUESTIONS.pop()

    def test_check_disjoint_catches_a_held_out_hop_connector_or_event_noun(self):
        from engine.pipeline.tasks import events, hop_shapes
        for pool, extra in ((hop_shapes.CONNECTORS, "goes to"), (events.POOLS["thing"], "a spare key"),
                            (events.ASK_OBJECT, "What does {e} put in the soup?"),
                            (events.ASK_OBJECT, "Remind me what {e} {did}{pp}.")):
            pool.append(extra)
            try:
                with self.assertRaises(AssertionError, msg=extra):
                    F.check_disjoint()
            finally:
                pool.pop()

    def test_event_facts_answer_from_their_sentence_and_ask_in_other_words(self):
        from engine.pipeline.tasks import events
        rng = random.Random(6)
        slots, synonyms = set(), 0
        for _ in range(500):
            kind = events.EventKind(rng)
            e, v, st, q = kind.fact(rng)
            slots.add(kind.slot)
            self.assertIn(v, st)
            self.assertIn(e, q)
            self.assertNotIn(v, q.replace(e, ""))
            synonyms += kind.verb[2] not in q and kind.verb[0] not in q and kind.verb[1] not in q
        self.assertEqual(slots, {"object", "place", "number", "time"})
        self.assertGreater(synonyms, 100)

    def test_some_event_facts_are_told_in_the_passive_and_asked_in_the_active(self):
        from engine.pipeline.tasks import events
        rng = random.Random(9)
        passive = 0
        for _ in range(600):
            kind = events.EventKind(rng)
            e, v, st, q = kind.fact(rng)
            m = re.search(rf"\b(was|were|is|are) ([a-z]+) {kind.verb[5]} .*by {re.escape(e)}$", st[:-1])
            if m:
                passive += 1
                pres, past, base = kind.verb[:3]
                self.assertEqual(m[2], events.PARTICIPLES.get(base, past), st)
                self.assertEqual(m[1] in ("was", "were"), kind.past, st)
                self.assertIn(e, q)
                self.assertNotRegex(q, rf"\b(was|were|is|are) {m[2]} by\b")                # asked in the active
        self.assertTrue(70 < passive < 150, passive)     # 40% of the 60% without a side clause, 13 openers in 17
        self.assertEqual(events.EventKind.__dict__["_be"](type("K", (), {"past": True})(), "molasses"), "was")
        self.assertEqual(events.EventKind.__dict__["_be"](type("K", (), {"past": False})(), "letters from home"), "are")

    def test_some_event_facts_share_their_sentence_with_a_distractor_of_the_same_kind(self):
        from engine.pipeline.tasks import events
        rng = random.Random(8)
        side, same_kind = 0, 0
        for _ in range(1000):
            kind = events.EventKind(rng)
            e, v, st, q = kind.fact(rng)
            self.assertEqual(len(re.findall(rf"\b{re.escape(v)}\b", st)), 1, st)     # the answer is told once
            if " who " in st or ", and " in st or "; " in st:
                side += 1
                pool = events.POOLS[kind.verb[4]]
                same_kind += kind.slot == "object" and any(x != v and re.search(rf"\b{re.escape(x)}\b", st)
                                                           for x in pool)
        self.assertGreater(side, 300)                            # 40% of 1,000
        self.assertGreater(same_kind, 100)                       # the tempting wrong answer is often of the kind asked

    def test_hand_written_probes_reach_the_held_out_sets_only(self):
        import glob
        from engine.pipeline.tasks import handwritten
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        readers = [p for p in glob.glob(os.path.join(here, "**", "*.py"), recursive=True)
                   if re.search(r"\bhandwritten\b(?!\.py)", open(p, encoding="utf-8").read())   # code, not a mention
                   and "/tests/" not in p]
        # a round's diagnostics (runs/DATE-.../*.py) may read them too: no training code can import those folders,
        # whose names are no Python identifiers
        self.assertEqual([os.path.relpath(p, here) for p in readers if not os.path.relpath(p, here).startswith("runs")],
                         [os.path.join("tasks", "heldout.py")])
        self.assertTrue(all(not os.path.basename(os.path.dirname(p)).isidentifier() for p in readers
                            if os.path.relpath(p, here).startswith("runs")))
        rng = random.Random(2)
        rows = " ".join(skills.make_sample(rng, DATA).text for _ in range(300))
        self.assertEqual(len(handwritten.PROBES), len({p[1] for p in handwritten.PROBES}))
        for sentence, question, answer in handwritten.PROBES:
            self.assertIn(answer, sentence)
            self.assertNotIn(sentence, rows)
            self.assertNotIn(question, rows)

    def test_composed_facts_never_name_a_held_out_kind(self):
        from engine.pipeline.tasks import compose
        defs = [{"word": w, "pos": "noun", "definition": "x"} for w in ("boat", "soup", "harp", "wedding")]
        pool = compose.nouns(skills.SkillData({}, [], defs, []))
        self.assertIn("harp", pool)
        self.assertFalse(set(pool) & compose.HELDOUT_NOUNS)

    def test_training_rows_never_use_held_out_text(self):
        # every literal stretch of 12+ characters of a held-out template (the text between its placeholders)
        held = [c for k in F.HELDOUT_KINDS for t in k.statements + k.questions for c in re.split(r"\{\w+\}", t)
                if len(c.strip()) >= 12] + F.HELDOUT_GREETINGS + F.HELDOUT_CANNOT
        rng = random.Random(1)
        for _ in range(400):
            s = skills.make_sample(rng, DATA)
            for h in held:
                self.assertNotIn(h, s.text)


class SampleTest(unittest.TestCase):
    def test_every_kind_answers_from_its_document(self):
        rng = random.Random(3)
        for kind, make in skills.MAKERS.items():
            for _ in range(30):
                s = make(rng, DATA)
                self.assertTrue(s.spans, kind)
                replies = [s.text[a:b] for a, b in s.spans]
                if kind == "hop_raw":
                    self.assertTrue(replies[0].endswith("\n"))
                    continue
                msgs, _ = parse_chatml(s.text)
                self.assertEqual([m["content"] + "<|im_end|>" for m in msgs if m["role"] == "assistant"], replies)
                if kind in ("doc", "doc_multi", "doc_2hop"):
                    for r in replies:
                        for part in r.replace("<|im_end|>", "").split(", born in "):
                            self.assertIn(part, msgs[0]["content"], kind)

    def test_hop_answers_follow_the_lines(self):
        rng = random.Random(4)
        from engine.pipeline.tasks import hop_shapes
        for hops in (1, 2, 3):
            for fmt in F.TRAIN_HOP_LINES + rng.sample(hop_shapes.LINES, 60):
                doc, chain = skills.hop_document(rng, 300, hops, fmt, "")
                table = {}
                pat = re.escape(fmt).replace(re.escape("{a}"), r"(\w+)").replace(re.escape("{b}"), r"(\w+)")
                self.assertIn("{s}", hop_shapes.question(rng, hops, "{s}"))
                for line in doc.split("\n"):
                    a, b = re.fullmatch(pat, line).groups()
                    self.assertNotIn(a, table)
                    table[a] = b
                x = chain[0]
                for _ in range(hops):
                    x = table[x]
                self.assertEqual(x, chain[-1])
                self.assertEqual(skills.hop_answer(chain).split(", then ")[-1], chain[-1])

    def test_held_out_samples_plant_their_answer(self):
        rng = random.Random(5)
        data = skills.SkillData({"postgresql-doc": HAY["sotu"]}, [], [], [])
        for _ in range(20):
            s = heldout.doc_sample(rng, data, 1024, lambda t: len(t) // 4 + 1)
            self.assertIn(s["answer"], s["prompt"])
            self.assertTrue(s["prompt"].endswith("<|im_start|>assistant\n"))
            self.assertIn("Read the document below", s["prompt"])

    def test_pod_to_text_drops_directives_and_code(self):
        src = "=head1 NAME\n\nperlfoo - B<bold> and C<code> text\n\n    my $x = 1;\n\n=cut\n"
        self.assertEqual(heldout.pod_to_text(src), ["NAME", "perlfoo - bold and code text"])


class ScoringTest(unittest.TestCase):
    def test_exact_match_is_normalized(self):
        s = {"score": "exact", "answer": "the Gull"}
        self.assertTrue(scoring.judge(s, " Gull.", True)["correct"])
        self.assertTrue(scoring.judge(s, "\"the gull\"", True)["correct"])
        self.assertFalse(scoring.judge(s, "The Gull is the boat.", True)["correct"])

    def test_last_word_contains_and_unknown(self):
        self.assertTrue(scoring.judge({"score": "last", "answer": "ab12"}, "x9, then ab12", True)["correct"])
        self.assertFalse(scoring.judge({"score": "last", "answer": "ab12"}, "ab12, then x9", True)["correct"])
        self.assertTrue(scoring.judge({"score": "contains", "answer": "Paris"}, "The capital is Paris.", 1)["correct"])
        self.assertFalse(scoring.judge({"score": "contains", "answer": "Paris"}, "Lyon.", 1)["correct"])
        for gold, reply, ok in (("pear", "It would appear so.", False), ("2", "In 2015.", False),
                                ("2", "2 million.", True), ("Silver Heron", "She named it the Silver Heron!", True),
                                ("21.5", "About 21.5%.", True), ("cigar box", "a cigar boxes", False),
                                (".gi", "The code of Gibraltar is.gi.", True),
                                ("Luxembourg", "Luxembourg's location is Western Europe.", True),
                                ("green", "the fencegreen", False)):
            verdict = scoring.judge({"score": "contains", "answer": gold}, reply, 1)["correct"]
            self.assertEqual(verdict, ok, (gold, reply))
        self.assertTrue(scoring.judge({"score": "unknown", "answer": ""}, "I don't know.", 1)["correct"])

    def test_leaks(self):
        self.assertTrue(scoring.leaks("Read the document below, then answer"))
        self.assertTrue(scoring.leaks("The access code for the Red Mill vault is 2290."))
        self.assertFalse(scoring.leaks("Hello! I am a small language model."))

    def test_an_open_turn_fits_when_a_greeting_gets_the_description_and_a_request_a_refusal(self):
        def turn(text):
            return {"score": "open", "answer": "", "prompt": heldout._chat_prompt(text)}
        greeting, request = turn(F.HELDOUT_GREETINGS[0]), turn(F.HELDOUT_CANNOT[0])
        for sample, reply, ok in ((greeting, F.SELF_DESCRIPTIONS[2], True), (greeting, F.CANNOT_ANSWERS[0], False),
                                  (greeting, "The location of Togo is Western Africa.", False),
                                  (request, F.CANNOT_ANSWERS[1], True), (request, "I don't know.", True),
                                  (request, "The global interpreter lock (GIL) is used internally", False)):
            self.assertEqual(scoring.judge(sample, reply, True)["fits"], ok, (sample["prompt"], reply))
        self.assertIsNone(scoring.judge({"score": "exact", "answer": "x"}, "x", True)["fits"])
        s = scoring.summarize([dict(greeting, id="a"), dict(request, id="b")],
                              {"a": {"reply": F.SELF_DESCRIPTIONS[0], "ended": True}, "b": {"reply": "Sure!", "ended": True}})
        self.assertEqual((s["fitting"], s["fit_graded"]), (1, 2))

    def test_wilson(self):
        self.assertEqual(scoring.wilson(0, 0), (0.0, 1.0))
        lo, hi = scoring.wilson(50, 50)
        self.assertAlmostEqual(hi, 1.0)
        self.assertAlmostEqual(lo, 0.9287, places=3)
        lo, hi = scoring.wilson(25, 50)
        self.assertAlmostEqual(lo, 0.3664, places=3)
        self.assertAlmostEqual(hi, 0.6336, places=3)
