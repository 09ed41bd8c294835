"""small_talk.py composes greetings and requests in many wordings, none near a held-out open turn, and the chat
rows built from them are answered with the model's description or refusal, ending their turn."""
import random
import unittest

from engine.pipeline.tasks import families as F
from engine.pipeline.tasks import skills, small_talk as T
from engine.pipeline.tasks.chat_template import parse_chatml
from engine.pipeline.tests.test_families import DATA


class SmallTalkTest(unittest.TestCase):
    def test_many_wordings_and_none_near_a_held_out_open_turn(self):
        rng = random.Random(7)
        greetings = [T.greeting(rng) for _ in range(4000)]
        requests = [T.request(rng) for _ in range(4000)]
        self.assertGreater(len(set(greetings)), 500)
        self.assertGreater(len(set(requests)), 1000)
        held = {T._plain(h) for h in F.HELDOUT_GREETINGS + F.HELDOUT_CANNOT}
        for text in greetings + requests:
            self.assertFalse(T.held_out_overlap(text), text)
            self.assertNotIn(T._plain(text), held)
        for h in F.HELDOUT_GREETINGS + F.HELDOUT_CANNOT:
            self.assertFalse(any(h.lower() in t.lower() for t in greetings + requests), h)

    def test_the_overlap_check_catches_a_held_out_turn_inside_a_longer_one(self):
        self.assertTrue(T.held_out_overlap("Hi! " + F.HELDOUT_CANNOT[0].lower()))
        self.assertTrue(T.held_out_overlap(F.HELDOUT_GREETINGS[-1].upper().rstrip("?")))
        self.assertFalse(T.held_out_overlap("Who made you?"))

    def test_every_kind_of_request_is_drawn_and_reads_as_a_sentence(self):
        rng = random.Random(3)
        drawn = [T.request(rng) for _ in range(3000)]
        for kind, (pattern, pools) in T.REQUESTS.items():
            first = next(v for v in pools.values())[0]
            self.assertTrue(any(first.split(" {")[0].lower() in d.lower() for d in drawn), kind)
        for d in drawn:
            self.assertNotIn("{", d)
            self.assertNotRegex(d.lower(), r"^(could|can|would) you (what|whats|do you)\b")

    def test_rows_are_answered_with_the_description_or_the_refusal_and_end_their_turn(self):
        rng = random.Random(5)
        for maker, answers in ((skills.s_hello, F.SELF_DESCRIPTIONS), (skills.s_cannot, F.CANNOT_ANSWERS)):
            for _ in range(200):
                s = maker(rng, DATA)
                msgs = parse_chatml(s.text)[0]
                self.assertEqual(msgs[0]["role"], "user")
                self.assertIn(msgs[1]["content"], answers)
                self.assertTrue(s.text.rstrip().endswith("<|im_end|>"), s.text[-80:])


if __name__ == "__main__":
    unittest.main()
