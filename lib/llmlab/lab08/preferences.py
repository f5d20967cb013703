"""AI preference labels: a judge's verdicts on pairs of replies -> (chosen, rejected) pairs, and
simulated human labels (the hidden truth, with some labels flipped) to compare them with.

A language-model judge that sees two replies as "A" and "B" favours one position regardless of
the content (position bias: Zheng et al. 2023 measured it in GPT-4). So every pair is judged twice,
once in each order, and the two verdicts are averaged after flipping the second:

    p(first reply better) = ( P(A | first shown as A) + 1 − P(A | first shown as B) ) / 2

Pairs the judge cannot separate (the averaged probability within ``margin`` of 0.5) are dropped.
"""
from __future__ import annotations

import random
from typing import Sequence


def ai_preference_pairs(judged: Sequence[dict], margin: float = 0.1) -> list[dict]:
    """``judged`` rows hold prompt, first, second, p_a (the judge's P("A") with ``first`` shown as
    A) and p_a_swapped (its P("A") with ``second`` shown as A). Returns prompt / chosen / rejected
    dicts, with ``p_first`` (the order-debiased probability that ``first`` is better), for the rows
    whose debiased probability is at least ``margin`` away from 0.5, in the input order."""
    pairs = []
    for row in judged:
        p_first = (row["p_a"] + 1.0 - row["p_a_swapped"]) / 2
        if abs(p_first - 0.5) < margin:
            continue
        first_wins = p_first > 0.5
        pairs.append({"prompt": row["prompt"], "chosen": row["first"] if first_wins else row["second"],
                      "rejected": row["second"] if first_wins else row["first"], "p_first": p_first})
    return pairs


def simulated_human_pairs(rows: Sequence[dict], score, noise: float, seed: int = 0) -> list[dict]:
    """Pairs labelled by simulated annotators: ``score(row, text)`` is the hidden truth (higher is
    better); ties are dropped, and each remaining label is flipped with probability ``noise``."""
    rng = random.Random(seed)
    pairs = []
    for row in rows:
        s1, s2 = score(row, row["first"]), score(row, row["second"])
        if s1 == s2:
            continue
        first_wins = (s1 > s2) != (rng.random() < noise)
        pairs.append({"prompt": row["prompt"], "chosen": row["first"] if first_wins else row["second"],
                      "rejected": row["second"] if first_wins else row["first"]})
    return pairs
