"""The ``instructions`` family: instruction/input/output rows built from the other families' splits."""
from __future__ import annotations

import random

from llmlab.tinyworld.registry import SIZES, family
from llmlab.tinyworld.translation import past_tense
from llmlab.tinyworld.words import pick
from llmlab.tinyworld.world import World

# instruction tuning: the first phrasing of each task is the canonical one used elsewhere
INSTRUCTIONS = {
    "summarize": ["Summarize the dialogue:", "Write a short summary of this conversation.",
                  "Give the key facts of the dialogue in one or two sentences.",
                  "What happens in this dialogue? Summarize it.", "Sum up the following chat."],
    "sentiment": ["Classify this review:", "Is this review positive or negative?",
                  "Decide the sentiment of the review (positive or negative).",
                  "Did the customer like the product? Answer positive or negative.",
                  "Label the review as positive or negative."],
    "translate": ["Translate to Toy:", "Translate this sentence into Toy.", "How do you say this in Toy?",
                  "Render the English sentence in the Toy language.", "Give the Toy translation."],
    "qa": ["Answer the question:", "Answer briefly.", "Reply with a short answer.",
           "Use the text to answer the question.", "Give a short answer to the question."],
    "rewrite": ["Rewrite the sentence in the past tense:", "Put this sentence in the past tense.",
                "Change the sentence so it happened in the past.", "Rewrite in the past tense."],
    "extract": ["List the facts in the dialogue:", "Extract the key facts as field: value lines.",
                "Which names, places, times and prices appear in the dialogue? List them.",
                "Fill in the facts of this conversation, one per line."],
}


def instruction_rows(world: World, rng: random.Random, split: str, sizes: dict[str, int]) -> list[dict]:
    src = split  # validation/test rows come from the other families' validation/test splits
    docs = {d["id"]: d for d in world.family("facts")["docs"]}
    rows = []

    def add(task, inp, out):
        rows.append({"instruction": pick(rng, INSTRUCTIONS[task]), "input": inp, "output": out, "task": task})

    for e in rng.sample(world.family("dialogsum")[src], sizes["summarize"]):
        add("summarize", e["dialogue"], e["summary"])
    for e in rng.sample(world.family("reviews")[src], sizes["sentiment"]):
        add("sentiment", e["text"], e["label"])
    for e in rng.sample(world.family("translation")[src], sizes["translate"]):
        add("translate", e["en"], e["toy"])
    for e in rng.sample(world.family("facts")[src], sizes["qa"]):
        if rng.random() < 0.5:
            rows.append({"instruction": INSTRUCTIONS["qa"][3] if rng.random() < 0.5 else pick(rng, INSTRUCTIONS["qa"]),
                         "input": f"Text: {docs[e['doc_id']]['text']}\nQuestion: {e['question']}",
                         "output": e["answer"], "task": "qa"})
        else:
            add("qa", e["question"], e["answer"])
    for e in rng.sample(world.family("translation")[src], sizes["rewrite"]):
        add("rewrite", e["en"], past_tense(e["en"]))
    for e in rng.sample(world.family("dialogsum")[src], sizes["extract"]):
        add("extract", e["dialogue"], "\n".join(f"{k}: {v}" for k, v in e["slots"].items()))
    rng.shuffle(rows)
    return rows


@family("instructions")
def gen_instructions(world: World, rng: random.Random) -> dict[str, list[dict]]:
    share = {"summarize": 0.15, "sentiment": 0.24, "translate": 0.24, "qa": 0.24, "rewrite": 0.09, "extract": 0.04}
    out = {}
    for split, n in SIZES["instructions"].items():
        counts = {t: int(round(n * f)) for t, f in share.items()}
        counts["qa"] += n - sum(counts.values())
        out[split] = instruction_rows(world, rng, split, counts)
    return out
