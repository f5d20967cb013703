"""Task metrics used across labs, computed with the field's reference libraries.

Lab 06 re-implements ROUGE and BLEU from scratch and checks them against these.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

from rouge_score import rouge_scorer

_SCORER = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=False)


def rouge(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Mean ROUGE-1/2/L F1 (rouge_score, no stemming)."""
    _same_length(predictions, references)
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    for pred, ref in zip(predictions, references):
        for key, score in _SCORER.score(ref, pred).items():
            totals[key] += score.fmeasure
    return {k: v / max(1, len(predictions)) for k, v in totals.items()}


def rouge_per_item(predictions: Sequence[str], references: Sequence[str], key: str = "rougeL") -> list[float]:
    """One ROUGE F1 per (prediction, reference) pair: what a paired bootstrap resamples."""
    _same_length(predictions, references)
    return [_SCORER.score(ref, pred)[key].fmeasure for pred, ref in zip(predictions, references)]


def bleu(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU (sacrebleu, one reference per sentence), 0-100."""
    import sacrebleu
    _same_length(predictions, references)
    return sacrebleu.corpus_bleu(list(predictions), [list(references)]).score


def slot_accuracy(predictions: Sequence[str], slots: Sequence[Mapping[str, str]]) -> float:
    """Fraction of the facts (names, items, prices...) that the prediction copied verbatim."""
    _same_length(predictions, slots)
    hits = total = 0
    for pred, facts in zip(predictions, slots):
        for value in facts.values():
            total += 1
            hits += str(value).lower() in pred.lower()
    return hits / max(1, total)


def exact_match(predictions: Sequence[str], references: Sequence[str]) -> float:
    _same_length(predictions, references)
    norm = lambda s: " ".join(s.lower().strip().rstrip(".").split())  # noqa: E731
    return sum(norm(p) == norm(r) for p, r in zip(predictions, references)) / max(1, len(predictions))


def perplexity(mean_nll: float) -> float:
    return math.exp(mean_nll)


def _same_length(a: Sequence, b: Sequence) -> None:
    if len(a) != len(b):
        raise ValueError(f"got {len(a)} predictions for {len(b)} references; they must pair up one to one")
