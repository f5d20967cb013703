"""Instruction pairs for the encoder-decoder: each TinyWorld task asked in several phrasings.

    PHRASINGS["summarize"]                  # the first is the canonical T5 prefix the zoo's t5-base knows
    texts = examples("summarize", "train", n=4000, seed=0)   # (source text, target text), phrasings at random
    pairs = mixture(tok, {"summarize": 4000, "translate": 4000})   # token ids, shuffled together

Lab 05 fine-tunes on these pairs; the zoo builds Lab 05's summarizers (``t5-sum``, ``t5-sum-lora``) from them.
"""
from __future__ import annotations

import random
from typing import Mapping, Sequence

from llmlab import tinyworld
from llmlab.prompts import T5_PREFIX
from llmlab.tinyworld.instructions import INSTRUCTIONS

# task -> (family, input field, output field)
FIELDS = {"summarize": ("dialogsum", "dialogue", "summary"), "translate": ("translation", "en", "toy")}

# the canonical T5 prefix first (what t5-base was trained with), then TinyWorld's instruction phrasings
PHRASINGS = {
    "summarize": [T5_PREFIX["summarize"] + "{input}"] + [f"{p}\n{{input}}" for p in INSTRUCTIONS["summarize"]],
    "translate": [T5_PREFIX["translate"] + "{input}"] + [f"{p}\n{{input}}" for p in INSTRUCTIONS["translate"]],
}


def source(task: str, text: str, phrasing: int = 0) -> str:
    return PHRASINGS[task][phrasing].format(input=text)


def examples(task: str, split: str = "train", n: int | None = None, seed: int = 0,
             phrasings: Sequence[int] | None = None) -> list[tuple[str, str]]:
    """(source text, target text) pairs, each source in a phrasing drawn at random from ``phrasings``
    (default: all of the task's)."""
    family, inp, out = FIELDS[task]
    rows = tinyworld.rows(family, split)
    rng = random.Random(seed)
    rows = rows[:n] if n is not None else rows
    choices = list(phrasings) if phrasings is not None else list(range(len(PHRASINGS[task])))
    return [(source(task, r[inp], rng.choice(choices)), r[out]) for r in rows]


def tokenize_pairs(tok, texts: Sequence[tuple[str, str]], max_source: int = 256, max_target: int = 64):
    """Token ids as ``llmlab.train.seq2seq_batcher`` wants them: source and target, each ending in EOS."""
    eos = [tok.eos_token_id]
    src = tok([s for s, _ in texts], add_special_tokens=False)["input_ids"]
    tgt = tok([t for _, t in texts], add_special_tokens=False)["input_ids"]
    return [(s[:max_source - 1] + eos, t[:max_target - 1] + eos) for s, t in zip(src, tgt)]


def mixture(tok, tasks: Mapping[str, int], seed: int = 0) -> list[tuple[list[int], list[int]]]:
    """Training pairs: ``tasks[name]`` examples of each task (all phrasings), shuffled together."""
    texts = []
    for i, (task, n) in enumerate(tasks.items()):
        texts += examples(task, "train", n, seed=seed + i)
    random.Random(seed).shuffle(texts)
    return tokenize_pairs(tok, texts)
