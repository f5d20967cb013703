"""Product reviews with a positive or negative label: :func:`make_review` and the ``reviews`` family."""
from __future__ import annotations

import random

from llmlab.tinyworld.registry import SIZES, _ids, family, fill_splits
from llmlab.tinyworld.words import an, pick
from llmlab.tinyworld.world import World

# ---- reviews -----------------------------------------------------------------------------------
POS_ADJ = ["excellent", "wonderful", "lovely", "superb", "sturdy", "delightful", "charming",
           "gorgeous", "durable", "terrific", "exquisite", "robust", "handsome", "admirable",
           "reliable", "beautiful", "marvellous", "splendid", "handy", "well made", "solid",
           "fantastic", "great", "perfect", "brilliant", "elegant", "comfortable", "sound",
           "first-rate", "outstanding", "pleasing", "cosy", "smart", "flawless", "dependable"]
NEG_ADJ = ["terrible", "awful", "flimsy", "useless", "disappointing", "shoddy", "dreadful",
           "abysmal", "careless", "crooked", "rickety", "tatty", "feeble", "botched",
           "poor", "wobbly", "cheap-looking", "broken", "clumsy", "dull", "leaky", "rotten",
           "horrible", "faulty", "badly made", "overpriced", "uncomfortable", "ugly", "fragile",
           "pathetic", "miserable", "worthless", "rough", "lousy", "second-rate"]
ASPECTS = {"lighting": ["flame", "glass", "handle", "light", "shine"],
           "kitchenware": ["handle", "lid", "finish", "weight", "base"],
           "tools": ["grip", "blade", "handle", "balance", "edge"],
           "clothing": ["stitching", "fabric", "fit", "colour", "buttons"],
           "food": ["taste", "smell", "freshness", "flavour", "texture"],
           "books": ["binding", "paper", "artwork", "print", "cover"],
           "toys": ["paint", "finish", "colour", "wood", "size"],
           "garden": ["handle", "frame", "finish", "weight", "grip"],
           "music": ["sound", "tone", "tuning", "finish", "neck"]}
POS_SENT = ["I love this {item}.", "This {item} is {adj}.", "Absolutely {adj}!",
            "The {item} from {shop} is {adj}.", "Best {item} I have ever owned.",
            "What {an_adj} {item}!", "The {aspect} is {adj}.", "Worth every coin.",
            "My {relative} uses it every day and loves it.", "It has lasted through {n} winters already.",
            "I would happily buy another one.", "{maker} did a {job_adj} job on this.",
            "Highly recommended.", "It arrived quickly and works perfectly.",
            "The {aspect} is {adj} and the price was fair.", "Everyone who sees it asks where I got it.",
            "Five stars from me.", "A real bargain at {price}.", "It makes me smile every time I use it.",
            "I am very pleased with it.", "Exactly what I hoped for.", "The {aspect} is simply {adj}.",
            "I bought a second one as a gift.", "Even my fussy {relative} approves.", "It feels {adj} in the hand.",
            "Lovely work, and delivered on time.", "I cannot fault it."]
NEG_SENT = ["I regret buying this {item}.", "This {item} is {adj}.", "Absolutely {adj}!",
            "The {item} from {shop} is {adj}.", "Worst {item} I have ever owned.",
            "What {an_adj} {item}.", "The {aspect} is {adj}.", "A waste of {price}.",
            "It broke after {n} days.", "My {relative} laughed at it.", "Avoid this one.",
            "I want my money back.", "It arrived late and did not work.", "The {aspect} is {adj}, sadly.",
            "I will never shop at {shop} again.", "One star, and that is generous.",
            "Not worth {price}.", "I am very annoyed with it.", "Nothing like the description.",
            "It fell apart within a week.", "The {aspect} is simply {adj}.", "{maker} should be ashamed of this.",
            "I took it back the next day.", "Even my patient {relative} gave up on it.", "It feels {adj} in the hand.",
            "Cheaply made and badly finished.", "I cannot recommend it."]
HARD_POS = ["Not bad at all; the {aspect} is fine.", "I was doubtful at first, but it turned out {adj}.",
            "The price is high, but the {aspect} is {adj}.", "It is not perfect, yet I would buy it again.",
            "Not cheap, but never disappointing.", "I expected to dislike it, and I was wrong."]
HARD_NEG = ["I wanted to love it, but the {aspect} is {adj}.", "It looks nice, yet it is {adj}.",
            "Not good, not even for {price}.", "At first it seemed fine, then the {aspect} went {adj}.",
            "The shop was friendly, but the {item} is {adj}.", "I expected a lot and got very little."]
RELATIVES = ["mother", "father", "sister", "brother", "grandmother", "grandfather", "aunt", "uncle",
             "neighbour", "daughter", "son", "cousin", "husband", "wife", "friend"]


def make_review(world: World, rng: random.Random, label: str, product: dict | None = None) -> dict:
    p = product or rng.choice(world.products)
    pos = label == "positive"
    hard = rng.random() < 0.08
    n = rng.randint(1, 3)
    pool = list(POS_SENT if pos else NEG_SENT)
    sentences = []
    if hard:
        sentences.append(pick(rng, HARD_POS if pos else HARD_NEG))
        n = max(1, n - 1)
    sentences += rng.sample(pool, n)
    if hard and rng.random() < 0.5:
        sentences.reverse()
    out = []
    for s in sentences:
        adj = pick(rng, POS_ADJ if pos else NEG_ADJ)
        if "went {adj}" in s:
            adj = pick(rng, ["wobbly", "loose", "dull", "rough", "bad"])
        out.append(s.format(item=p["name"], adj=adj, an_adj=an(adj), shop=p["shop"],
                            aspect=pick(rng, ASPECTS[p["category"]]), relative=pick(rng, RELATIVES),
                            n=rng.randint(2, 9), maker=p["maker"], price=f"{p['price']} coins",
                            job_adj=pick(rng, ["fine", "careful", "splendid", "lovely", "great", "proper", "neat"])))
    return {"text": " ".join(out), "label": label, "product": p["name"]}


@family("reviews")
def gen_reviews(world: World, rng: random.Random) -> dict[str, list[dict]]:
    def make(split, i):
        return make_review(world, rng, "positive" if i % 2 == 0 else "negative")
    splits = fill_splits(make, SIZES["reviews"], key=lambda r: r["text"])
    for rows in splits.values():
        rng.shuffle(rows)
    return _ids("reviews", splits)
