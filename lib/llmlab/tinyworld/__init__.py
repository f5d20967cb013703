"""TinyWorld: a seeded, fictional small world from which every data set of the course is generated.

A :class:`World` built from a seed holds people, towns, shops, products and events. Data *families*
(``pretrain``, ``icl``, ``dialogsum``, ``reviews``, ``translation``, ``facts``, ``domain``,
``instructions``) are registered with :func:`family` and turn the world into JSONL rows::

    @family("dialogsum")
    def gen(world, rng) -> dict[str, list[dict]]:   # split name -> rows
        ...

Each family draws from its own ``random.Random`` seeded by a stable hash of (seed, family name), so
adding a family never changes another family's bytes. Everything is standard library only and
byte-for-byte reproducible. Importing this package registers every family.

Command line::

    python -m llmlab.tinyworld build [--out DIR]   # write data/<family>/<split>.jsonl + manifest.json
    python -m llmlab.tinyworld check               # regenerate and compare with data/ (exit 1 if stale)
    python -m llmlab.tinyworld verify              # compare data/ with its manifest.json
    python -m llmlab.tinyworld stats               # rows per split, distinct words

Loading (offline, from data/ or $LLMLAB_DATA)::

    from llmlab import tinyworld
    tinyworld.rows("facts", "docs")            # plain list of dicts, no `datasets` needed
    tinyworld.load("dialogsum", "train")       # a datasets.Dataset (all splits: a DatasetDict)

Modules (each imports only the ones above it in this list, and ``llmlab.config``):

- ``words``: shared helpers (stable_seed, an, cap, plural, join_and, pick, fmt) and general word lists
- ``registry``: SEED, VERSION, SPLITS, SIZES, BUILD_HINT, the ``@family`` registry, fill_splits
- ``toy``: the Toy language: lexicon, parts of speech, ``to_toy``
- ``world``: the ``World`` (people, towns, shops, products, events, inns) and invented names
- ``encyclopedia``: entity paragraphs and questions; the ``facts`` family
- ``dialogue_topics``: the dialogue scenarios (buying, booking, lost item, repair, ...)
- ``dialogues``: ``make_dialogue`` (small talk, extra speakers, labels); the ``dialogsum`` family
- ``reviews``: ``make_review``, POS_ADJ / NEG_ADJ; the ``reviews`` family
- ``translation``: English sentences Toy covers, ``past_tense``; the ``translation`` family
- ``stories``: pretraining prose, part 1: stories, news, shop descriptions
- ``prose``: pretraining prose, part 2: letters, recipes, nature notes, notices, trades, ...
- ``pretrain``: the weighted mixture of all prose; the ``pretrain`` family
- ``domain``: the Lanternwrights' Guild jargon (GLOSSARY); the ``domain`` family
- ``icl``: in-context learning documents in many formats; the ``icl`` family
- ``instructions``: instruction-tuning rows; the ``instructions`` family
- ``word_problems``: shop arithmetic with digit-level chain-of-thought traces and PAL programs
- ``replies``: shop requests and polite/rude, helpful/unhelpful replies with hidden truth and rankings
- ``knowledge``: the world after the training cut-off (changed facts, new people), multi-hop ReAct traces,
  RAG prompts; the ``rag`` family
- ``constitution``: a short constitution, critique/revision/judge prompts and traces, red-team requests
- ``builder``: generate, build into data/ (JSONL + manifest.json), verify, check, stats, ``main``
- ``loading``: families, splits, path, rows, load (a ``datasets.Dataset``) from data/
"""
from __future__ import annotations

from llmlab.tinyworld.builder import build, check, generate, main, manifest_bytes, stats, verify
from llmlab.tinyworld.constitution import CONSTITUTION
from llmlab.tinyworld.dialogue_topics import DIALOGUE_TOPICS
from llmlab.tinyworld.dialogues import make_dialogue
from llmlab.tinyworld.domain import GLOSSARY, domain_doc
from llmlab.tinyworld.encyclopedia import all_entities, entity_doc, entity_title
from llmlab.tinyworld.icl import CANONICAL, SENTIMENT_FORMATS, SUMMARIZE_FORMATS, TRANSLATE_FORMATS, icl_doc
from llmlab.tinyworld.instructions import INSTRUCTIONS
from llmlab.tinyworld.knowledge import chunk_doc, closed_book_prompt, rag_prompt, react_prompt
from llmlab.tinyworld.loading import families, load, path, rows, splits
from llmlab.tinyworld.pretrain import PRETRAIN_KINDS, pretrain_doc
from llmlab.tinyworld.registry import BUILD_HINT, FAMILIES, SEED, SIZES, SPLITS, VERSION, family, fill_splits
from llmlab.tinyworld.replies import is_helpful, is_rude, make_reply, make_request, reply_prompt
from llmlab.tinyworld.reviews import NEG_ADJ, POS_ADJ, make_review
from llmlab.tinyworld.toy import TOY_LEXICON, TOY_POS, to_toy
from llmlab.tinyworld.translation import make_english, past_tense
from llmlab.tinyworld.word_problems import cot_prompt, make_problem, pal_prompt
from llmlab.tinyworld.words import an, cap, fmt, join_and, number_word, pick, plural, stable_seed
from llmlab.tinyworld.world import World

__all__ = [
    "BUILD_HINT", "CANONICAL", "CONSTITUTION", "DIALOGUE_TOPICS", "FAMILIES", "GLOSSARY", "INSTRUCTIONS", "NEG_ADJ",
    "POS_ADJ", "PRETRAIN_KINDS", "SEED", "SENTIMENT_FORMATS", "SIZES", "SPLITS",
    "SUMMARIZE_FORMATS", "TOY_LEXICON", "TOY_POS", "TRANSLATE_FORMATS", "VERSION", "World",
    "all_entities", "an", "build", "cap", "check", "cot_prompt", "domain_doc", "entity_doc", "entity_title",
    "families", "family", "fill_splits", "fmt", "generate", "icl_doc", "is_helpful", "is_rude", "join_and", "load",
    "main", "chunk_doc", "closed_book_prompt", "rag_prompt", "react_prompt",
    "make_dialogue", "make_english", "make_problem", "make_reply", "make_request", "make_review", "manifest_bytes",
    "number_word", "pal_prompt", "past_tense",
    "path", "pick", "plural", "pretrain_doc", "reply_prompt", "rows", "splits", "stable_seed", "stats", "to_toy",
    "verify",
]
