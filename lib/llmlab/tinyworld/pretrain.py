"""The ``pretrain`` family: a weighted mixture of encyclopedia paragraphs, stories, news and other prose."""
from __future__ import annotations

import random

from llmlab.tinyworld.encyclopedia import all_entities, entity_doc, entity_facets
from llmlab.tinyworld.prose import (
    prose_almanac,
    prose_dialogue,
    prose_history,
    prose_letter,
    prose_nature,
    prose_notice,
    prose_ordinary,
    prose_proverb,
    prose_recipe,
    prose_review,
    prose_sums,
    prose_trade,
)
from llmlab.tinyworld.registry import SIZES, family, fill_splits
from llmlab.tinyworld.stories import (
    news_event,
    news_local,
    shop_description,
    story_errand,
    story_journey,
    story_pet,
    story_workday,
)
from llmlab.tinyworld.world import World

PRETRAIN_KINDS = [(entity_doc, 18), (story_errand, 9), (story_pet, 5), (story_journey, 6),
                  (story_workday, 5), (news_event, 8), (news_local, 6), (shop_description, 6),
                  (prose_review, 8), (prose_dialogue, 12), (prose_letter, 4), (prose_ordinary, 8),
                  (prose_recipe, 2), (prose_almanac, 2), (prose_sums, 3), (prose_nature, 3),
                  (prose_proverb, 2), (prose_history, 3), (prose_notice, 4), (prose_trade, 4)]


def pretrain_doc(world: World, rng: random.Random, entities: list[tuple[str, dict]],
                 held_out: frozenset = frozenset()) -> str:
    fns, weights = zip(*PRETRAIN_KINDS)
    fn = rng.choices(fns, weights=weights)[0]
    if fn in (prose_review, prose_dialogue):
        return fn(world, rng, held_out)
    if fn is entity_doc:
        kind, e = rng.choice(entities)
        facets = entity_facets(kind, e)
        rest = [f for f in facets if f != "identity"]
        keep = ["identity"] + rng.sample(rest, rng.randint(1, len(rest)))
        return entity_doc(world, kind, e, rng, facets=keep)
    return fn(world, rng)


@family("pretrain")
def gen_pretrain(world: World, rng: random.Random) -> dict[str, list[dict]]:
    entities = all_entities(world)
    held_out = frozenset(r[key] for fam, key in (("reviews", "text"), ("dialogsum", "dialogue"))
                         for split in ("validation", "test") for r in world.family(fam)[split])
    return fill_splits(lambda split, i: {"text": pretrain_doc(world, rng, entities, held_out)},
                       SIZES["pretrain"], key=lambda r: r["text"])
