"""ROUGE-1/2/L from scratch, equal to Google's ``rouge_score`` (``RougeScorer(..., use_stemmer=False)``).

    tokenize("Mike's tea!")            # ['mike', 's', 'tea']: lowercase, every non-[a-z0-9] run is a space
    rouge_n("the cat", "the cat sat", 1)  # Score(precision=1.0, recall=0.667, fmeasure=0.8)
    rouge_l(prediction, reference)      # from the longest common *subsequence*
    rouge(predictions, references)      # mean F-measures over a corpus, as ``llmlab.metrics.rouge``

Note the argument order: ``(prediction, reference)`` here, ``scorer.score(target, prediction)`` in rouge_score.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple, Sequence

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


class Score(NamedTuple):
    precision: float
    recall: float
    fmeasure: float


def tokenize(text: str) -> list[str]:
    """rouge_score's default tokenizer without a stemmer: lowercase, non-alphanumerics -> spaces, split.

    Only ASCII letters and digits survive: "café" -> ["caf"], "naïve" -> ["na", "ve"], "日本" -> [].
    """
    return _NON_ALNUM.sub(" ", text.lower()).split()


def ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def f_measure(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def rouge_n(prediction: str, reference: str, n: int) -> Score:
    """ROUGE-N: n-gram overlap, each n-gram counted at most as often as it occurs in the other text (clipped)."""
    pred, ref = ngrams(tokenize(prediction), n), ngrams(tokenize(reference), n)
    overlap = sum(min(count, pred[g]) for g, count in ref.items())
    p = overlap / max(1, sum(pred.values()))
    r = overlap / max(1, sum(ref.values()))
    return Score(p, r, f_measure(p, r))


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (in order, gaps allowed), by dynamic programming."""
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l(prediction: str, reference: str) -> Score:
    """ROUGE-L: precision and recall of the longest common subsequence."""
    pred, ref = tokenize(prediction), tokenize(reference)
    if not pred or not ref:
        return Score(0.0, 0.0, 0.0)
    lcs = lcs_length(ref, pred)
    p, r = lcs / len(pred), lcs / len(ref)
    return Score(p, r, f_measure(p, r))


def score(prediction: str, reference: str) -> dict[str, Score]:
    return {"rouge1": rouge_n(prediction, reference, 1), "rouge2": rouge_n(prediction, reference, 2),
            "rougeL": rouge_l(prediction, reference)}


def rouge(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Mean ROUGE-1/2/L F-measures over pairs (what ``llmlab.metrics.rouge`` and the evaluate module report)."""
    if len(predictions) != len(references):
        raise ValueError(f"got {len(predictions)} predictions for {len(references)} references")
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    for p, r in zip(predictions, references):
        for k, s in score(p, r).items():
            totals[k] += s.fmeasure
    return {k: v / max(1, len(predictions)) for k, v in totals.items()}
