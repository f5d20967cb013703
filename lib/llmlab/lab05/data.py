"""Instruction data from TinyWorld: each task asked in several phrasings, tokenized for a T5-style model.

    PHRASINGS["summarize"]                  # the first is the canonical one the zoo's t5-base knows
    pairs = mixture(tok, {"summarize": 4000}, seed=0)   # (source ids, target ids), from llmlab.instruction_data
    score_summaries(model, tok, rows)       # ROUGE-1/2/L and slot accuracy on held-out dialogues
"""
from __future__ import annotations

from typing import Mapping, Sequence

from llmlab import inference, metrics, tinyworld
# the instruction data itself is core (the zoo builds Lab 05's summarizers from it for Lab 06); the lab reads it here
from llmlab.instruction_data import FIELDS, PHRASINGS, examples, mixture, source, tokenize_pairs  # noqa: F401


def test_rows(task: str, n: int, split: str = "test") -> list[dict]:
    return tinyworld.rows(FIELDS[task][0], split)[:n]


def score_summaries(model, tok, rows: Sequence[Mapping], phrasing: int = 0, **generate_kwargs) -> dict:
    """Greedy summaries of held-out dialogues: ROUGE-1/2/L (rouge_score) and slot accuracy, the first summary,
    and each dialogue's ROUGE-L (for paired intervals between two models)."""
    preds = inference.complete(model, tok, [source("summarize", r["dialogue"], phrasing) for r in rows],
                               max_new_tokens=48, **generate_kwargs)
    refs = [r["summary"] for r in rows]
    return {**metrics.rouge(preds, refs), "slot_acc": metrics.slot_accuracy(preds, [r["slots"] for r in rows]),
            "example": preds[0], "rougeL_per_item": metrics.rouge_per_item(preds, refs)}


def score_translation(model, tok, rows: Sequence[Mapping], **generate_kwargs) -> float:
    """Corpus BLEU (sacrebleu) of greedy English -> Toy translations."""
    preds = inference.complete(model, tok, [source("translate", r["en"]) for r in rows], max_new_tokens=48,
                               **generate_kwargs)
    return metrics.bleu(preds, [r["toy"] for r in rows])
