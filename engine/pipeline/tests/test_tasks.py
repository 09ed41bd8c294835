"""Task generators: answers are really in their documents, hop chains resolve,
the chat template's Python and Jinja forms agree, evaluation text is held out."""
import json
import os
import random
import re
import tempfile
import unittest

from engine.pipeline.corpus.text import DOC_SEP
from engine.pipeline.tasks import chat_qa, doc_qa, eval_split, hashhop, text_pool
from engine.pipeline.tasks.chat_template import CHAT_TEMPLATE_JINJA, assistant_spans, format_chat

PARAS = [f"Paragraph {i} tells of the long road and the river that runs past the mill." for i in range(400)]


def render_jinja_subset(template, messages, add_generation_prompt):
    """A tiny renderer for exactly the constructs CHAT_TEMPLATE_JINJA uses (for-loop over
    messages, string concatenation of literals and message fields, one if)."""
    m = re.fullmatch(r"\{% for message in messages %\}\{\{ (.*?) \}\}\{% endfor %\}"
                     r"\{% if add_generation_prompt %\}\{\{ (.*?) \}\}\{% endif %\}", template)
    assert m, "template shape changed: update this test renderer"

    def ev(expr, message):
        out = ""
        for part in expr.split(" + "):
            part = part.strip()
            if part.startswith("'"):
                out += part[1:-1].encode().decode("unicode_escape")
            else:
                out += message[re.fullmatch(r"message\['(\w+)'\]", part).group(1)]
        return out

    text = "".join(ev(m.group(1), msg) for msg in messages)
    return text + (ev(m.group(2), {}) if add_generation_prompt else "")


class ChatTemplateTest(unittest.TestCase):
    def test_python_formatter_matches_jinja_template(self):
        msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi?"},
                {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Bye"}]
        for gen in (False, True):
            self.assertEqual(format_chat(msgs, gen), render_jinja_subset(CHAT_TEMPLATE_JINJA, msgs, gen))
        self.assertEqual(format_chat(msgs[1:2], True),
                         "<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\n")

    def test_assistant_spans_cover_replies(self):
        s = format_chat([{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A1"},
                         {"role": "user", "content": "Q2"}, {"role": "assistant", "content": "A2"}])
        self.assertEqual([s[a:b] for a, b in assistant_spans(s)], ["A1<|im_end|>", "A2<|im_end|>"])


class DocQATest(unittest.TestCase):
    def test_answer_is_planted_in_the_document_at_the_reported_depth(self):
        rng = random.Random(3)
        for target in (200, 1000, 4000):
            for _ in range(20):
                s = doc_qa.make_doc_qa(rng, PARAS, target)
                lines = s.document.split("\n")
                planted = [l for l in lines if s.answer in l and not l.startswith("Paragraph")]
                self.assertTrue(planted, s.question)
                # the planted sentence is about the asked entity, and only one fact line names it
                entity_line = [l for l in planted if doc_qa_statement_matches(l, s.question)]
                self.assertEqual(len(entity_line), 1, (s.question, planted))
                idx = lines.index(entity_line[0])
                self.assertAlmostEqual(s.depth, idx / max(1, len(lines) - 1))
                self.assertLessEqual(s.n_tokens, target + 30)
                self.assertTrue(s.sample.endswith(f"<|im_start|>assistant\n{s.answer}<|im_end|>\n"))
                self.assertTrue(s.sample.startswith(s.prompt))

    def test_same_seed_same_samples(self):
        a = [x.sample for x in doc_qa.generate(PARAS, [500, 1000], 5, seed=7)]
        b = [x.sample for x in doc_qa.generate(PARAS, [500, 1000], 5, seed=7)]
        c = [x.sample for x in doc_qa.generate(PARAS, [500, 1000], 5, seed=8)]
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)


def doc_qa_statement_matches(line, question):
    """Does the fact line name the entity the question asks about?"""
    for kind, (_, _, statement, q) in doc_qa.FACT_KINDS.items():
        qrx = "^" + re.escape(q).replace(re.escape("{e}"), "(?P<e>.+?)") + "$"
        m = re.match(qrx, question)
        if m:
            srx = "^" + re.escape(statement).replace(re.escape("{e}"), re.escape(m.group("e"))) \
                .replace(re.escape("{v}"), ".+") + "$"
            if re.match(srx, line):
                return True
    return False


class HashHopTest(unittest.TestCase):
    def test_chains_resolve_to_the_answer_in_one_and_two_hops(self):
        rng = random.Random(11)
        for hops in (1, 2):
            for target in (300, 1024, 4096):
                s = hashhop.make_hashhop(rng, target, hops)
                lines = s.document.split("\n\n", 1)[1].split("\n")
                lefts = [l.split(" = ")[0] for l in lines]
                self.assertEqual(len(lefts), len(set(lefts)), "a left side appears twice")
                self.assertEqual(hashhop.resolve(lines, s.chain[0], hops), s.answer)
                self.assertIn(s.chain[0], s.question)
                self.assertTrue(s.sample.endswith(f"{s.answer}<|im_end|>\n"))
                self.assertGreater(s.n_tokens, target * 0.8)
                self.assertLessEqual(s.n_tokens, target)

    def test_same_seed_same_samples(self):
        self.assertEqual([x.sample for x in hashhop.generate([300], [1, 2], 4, 5)],
                         [x.sample for x in hashhop.generate([300], [1, 2], 4, 5)])


class ChatQATest(unittest.TestCase):
    def test_templated_answers_carry_the_record_value(self):
        with tempfile.TemporaryDirectory() as corpus:
            os.makedirs(os.path.join(corpus, "records"))
            with open(os.path.join(corpus, "records/fact.jsonl"), "w") as f:
                f.write(json.dumps({"country": "France", "section": "Government", "field": "Capital - name",
                                    "value": "Paris"}) + "\n")
            with open(os.path.join(corpus, "records/definition.jsonl"), "w") as f:
                f.write(json.dumps({"word": "ephemeral", "pos": "adjective", "definition": "lasting a very short time",
                                    "examples": [], "synonyms": [], "source": "wordnet"}) + "\n")
            with open(os.path.join(corpus, "records/faq.jsonl"), "w") as f:
                f.write(json.dumps({"question": "Why?", "answer": "Because.", "source": "t"}) + "\n")
            out = list(chat_qa.generate(corpus, seed=1, repeats_faq=1))
        by = {k: (q, a, s) for q, a, s, k in out}
        self.assertIn("France", by["fact"][0])
        self.assertIn("capital", by["fact"][0])
        self.assertIn("Paris", by["fact"][1])
        self.assertIn("ephemeral", by["definition"][0])
        self.assertIn("lasting a very short time", by["definition"][1])
        self.assertEqual(by["faq"][:2], ("Why?", "Because."))
        self.assertEqual(by["faq"][2], "<|im_start|>user\nWhy?<|im_end|>\n<|im_start|>assistant\nBecause.<|im_end|>\n")


class EvalSplitTest(unittest.TestCase):
    def test_eval_sets_use_only_heldout_documents(self):
        with tempfile.TemporaryDirectory() as tmp:
            corpus = os.path.join(tmp, "corpus")
            os.makedirs(os.path.join(corpus, "text"))
            docs = [f"Document {i} line {j} about the sea and the ships of the harbour." for i in range(40)
                    for j in range(1)]
            docs = ["\n".join(f"Doc{i} sentence {j} about the sea and the ships." for j in range(60))
                    for i in range(40)]
            with open(os.path.join(corpus, "text/moby-dick.txt"), "w") as f:
                f.write("".join(d + "\n" + DOC_SEP for d in docs))
            train = set(text_pool.load_paragraphs(corpus, "train"))
            held = set(text_pool.load_paragraphs(corpus, "eval"))
            self.assertFalse(train & held)
            self.assertTrue(held)
            written = eval_split.build_eval(corpus, os.path.join(tmp, "eval"), n=3)
            self.assertEqual(len(written), 7)
            with open(os.path.join(tmp, "eval/docqa_4k.jsonl")) as f:
                rows = [json.loads(l) for l in f]
            for r in rows:
                self.assertIn(r["answer"], r["prompt"])
                doc_lines = r["prompt"].split("<document>\n")[1].split("\n</document>")[0].split("\n")
                for l in doc_lines:
                    if l.startswith("Doc"):
                        self.assertIn(l, held)
                        self.assertNotIn(l, train)
            with open(os.path.join(tmp, "eval/hashhop_8k.jsonl")) as f:
                rows = [json.loads(l) for l in f]
            self.assertEqual([r["hops"] for r in rows], [1, 2, 1])


if __name__ == "__main__":
    unittest.main()
