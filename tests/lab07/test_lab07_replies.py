"""The replies family: its hidden truth is exact on the generator's own replies, and stable."""
from __future__ import annotations

import random

from llmlab import tinyworld
from llmlab.tinyworld import replies as R


def test_truth_is_exact_on_generated_replies():
    rows = tinyworld.rows("replies", "validation")
    for row in rows:
        assert R.rudeness(row["reply"]) == row["rudeness"] and R.is_helpful(row, row["reply"]) == row["helpful"]
        for c in row["completions"]:
            assert R.rudeness(c["text"]) == c["rudeness"] and R.is_helpful(row, c["text"]) == c["helpful"]
        assert sorted(row["ranking"]) == [0, 1, 2, 3]


def test_lexicon_separates_parts():
    for part in R.POLITE_OPENERS + R.POLITE_CLOSERS + R.NO_ANSWER + sum(R.ANSWERS.values(), []):
        assert not R.is_rude(part), part
    for part in R.RUDE_OPENERS + R.RUDE_CLOSERS:
        assert R.rudeness(part) == 1, part


def test_helpful_ignores_the_shop_name_and_needs_the_fact():
    row = {"fact": "Bastead", "shop": "Bastead Kitchen Shop"}
    assert not R.is_helpful(row, "Bastead Kitchen Shop is in Fosholm.")
    assert R.is_helpful(row, "It is in bastead.")
    assert not R.is_helpful({"fact": "2 coins", "shop": "X"}, "It is 12 coins.")


def test_make_reply_truth_and_mix():
    w = tinyworld.World()
    rng = random.Random(0)
    req = R.make_request(w, rng, "price")
    assert req["prompt"] == R.reply_prompt(req["request"]) and req["fact"].endswith("coins")
    for lvl in (0, 1, 2):
        for hlp in (True, False):
            text = R.make_reply(rng, req, lvl, hlp)
            assert R.rudeness(text) == lvl and R.is_helpful(req, text) == hlp
    rows = tinyworld.rows("replies", "train")
    rude = sum(r["rude"] for r in rows) / len(rows)
    assert 0.3 <= rude <= 0.5
