"""The ``icl`` family: "bursty" documents of several examples of one task in one of many formats."""
from __future__ import annotations

import random

from llmlab.tinyworld.registry import SIZES, family, fill_splits
from llmlab.tinyworld.words import pick
from llmlab.tinyworld.world import World

# in-context learning: "bursty" documents holding several examples of one task in one format.
# (template, separator): a multi-line example is always followed by a blank line, a one-line
# example by a newline, so splitting a document on "\n\n" (if present) else "\n" gives its examples.
SENTIMENT_FORMATS = [
    ("Classify this review: {x}\nSentiment: {y}", "\n\n"),   # canonical
    ("Review: {x}\nLabel: {y}", "\n\n"),
    ("{x} => {y}", "\n"),
    ("Input: {x}\nOutput: {y}", "\n\n"),
    ("Text: {x} | Verdict: {y}", "\n"),
    ("{x}\nAnswer: {y}", "\n\n"),
    ("Customer says: \"{x}\"\nMood: {y}", "\n\n"),
    ("Q: {x}\nA: {y}", "\n\n"),
]
LABEL_PAIRS = [("positive", "negative", False), ("good", "bad", False), ("yes", "no", False),
               ("happy", "sad", False), ("great", "awful", False), ("like", "dislike", False),
               ("pleased", "annoyed", False), ("A", "B", True), ("blue", "red", True), ("1", "0", True),
               ("foo", "bar", True)]
SUMMARIZE_FORMATS = [
    ("Summarize the dialogue:\n{x}\nSummary: {y}", "\n\n"),  # canonical
    ("Dialogue:\n{x}\nTL;DR: {y}", "\n\n"),
    ("{x}\nIn short: {y}", "\n\n"),
    ("Conversation:\n{x}\n---\nWhat happened: {y}", "\n\n"),
    ("### Dialogue\n{x}\n### Summary\n{y}", "\n\n"),
    ("Read the chat and sum it up.\n{x}\nSum-up: {y}", "\n\n"),
]
TRANSLATE_FORMATS = [
    ("Translate to Toy: {x}\nToy: {y}", "\n\n"),  # canonical
    ("English: {x}\nToy: {y}", "\n\n"),
    ("{x} = {y}", "\n"),
    ("en: {x}\ntoy: {y}", "\n\n"),
    ("In Toy, \"{x}\" is \"{y}\".", "\n"),
]
CANONICAL = {"sentiment": SENTIMENT_FORMATS[0][0], "summarize": SUMMARIZE_FORMATS[0][0],
             "translate": TRANSLATE_FORMATS[0][0]}


def _fill(template: str, x: str, y: str) -> str:
    return template.replace("{x}", x).replace("{y}", y)


def icl_doc(world: World, rng: random.Random, task: str, pools: dict[str, list[dict]]) -> dict:
    if task == "sentiment":
        template, sep = pick(rng, SENTIMENT_FORMATS)
        pos, neg, neutral = pick(rng, LABEL_PAIRS)
        if neutral and rng.random() < 0.5:
            pos, neg = neg, pos
        k = rng.randint(3, 7)
        exs = rng.sample(pools["reviews"], k)
        if len({e["label"] for e in exs}) < 2:  # show both labels
            other = rng.choice(pools["reviews"])
            while other["label"] == exs[0]["label"]:
                other = rng.choice(pools["reviews"])
            exs[rng.randrange(k)] = other
        items = [_fill(template, e["text"], pos if e["label"] == "positive" else neg) for e in exs]
    elif task == "summarize":
        template, sep = pick(rng, SUMMARIZE_FORMATS)
        exs = rng.sample(pools["dialogsum"], 3)
        items = [_fill(template, e["dialogue"], e["summary"]) for e in exs]
    else:
        template, sep = pick(rng, TRANSLATE_FORMATS)
        exs = rng.sample(pools["translation"], rng.randint(3, 7))
        items = [_fill(template, e["en"], e["toy"]) for e in exs]
    return {"text": sep.join(items), "task": task}


@family("icl")
def gen_icl(world: World, rng: random.Random) -> dict[str, list[dict]]:
    pools = {f: world.family(f)["train"] for f in ("reviews", "dialogsum", "translation")}
    pools["dialogsum"] = [r for r in pools["dialogsum"] if len(r["dialogue"]) <= 300]
    tasks, weights = ["sentiment", "summarize", "translate"], [4, 2, 3]
    return fill_splits(lambda split, i: icl_doc(world, rng, rng.choices(tasks, weights)[0], pools),
                       SIZES["icl"], key=lambda r: r["text"])
