"""The supervised phase of constitutional AI: the model critiques its own reply against a principle
and revises it, round after round; then it is fine-tuned on the final revisions.

``generate(prompts) -> texts`` is any batched completion function (``inference.complete`` on a
model, or a stub in a test), so the loop is the same for the lab's model and for the checks.
"""
from __future__ import annotations

from typing import Callable, Sequence

from llmlab import train as trainer
from llmlab.tinyworld.constitution import critique_prompt, revision_prompt

Generate = Callable[[list[str]], list[str]]


def critique_revise(generate: Generate, requests: Sequence[str], replies: Sequence[str],
                    principles: Sequence[str]) -> list[dict[str, list[str]]]:
    """One round per principle, in order: critique every current reply against the principle, then
    revise it given that critique; the revisions are the next round's replies. Returns one dict per
    round with the round's ``principle``, its ``critique`` and ``revision`` lists (one per request)."""
    current = list(replies)
    rounds = []
    for principle in principles:
        critiques = generate([critique_prompt(q, r, principle) for q, r in zip(requests, current)])
        revisions = generate([revision_prompt(q, r, principle, c) for q, r, c in zip(requests, current, critiques)])
        rounds.append({"principle": principle, "critique": critiques, "revision": revisions})
        current = revisions
    return rounds


def sft_on_revisions(model, tok, prompts: Sequence[str], revisions: Sequence[str], steps: int, *,
                     lr: float = 1e-3, batch_size: int = 16, seed: int = 0, progress: bool = True):
    """Fine-tune ``model`` (in place) to answer each prompt with its revision: the loss counts the
    revision's tokens only (the core's SFT batcher). Returns the training log."""
    p_ids = tok(list(prompts), add_special_tokens=False).input_ids
    r_ids = tok([" " + r for r in revisions], add_special_tokens=False).input_ids
    pairs = [(p, r[:63] + [tok.eos_token_id]) for p, r in zip(p_ids, r_ids)]
    return trainer.train(model, trainer.sft_batcher(pairs, batch_size, tok.pad_token_id, seed=seed), steps,
                         lr=lr, warmup=max(1, steps // 10), desc="SFT on revisions", progress=progress)
