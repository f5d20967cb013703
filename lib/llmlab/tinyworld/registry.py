"""The family registry: the seed, the split sizes, ``@family`` and the helpers that fill splits.

Each family is a function ``gen(world, rng) -> {split: rows}`` registered by name with
:func:`family`; :meth:`llmlab.tinyworld.world.World.family` runs it once per world with the
family's own random stream.
"""
from __future__ import annotations

from collections.abc import Callable

SEED = 1234
VERSION = "1"
SPLITS = ("train", "validation", "test")
# rows per split of each family (the main knob on the size of data/)
SIZES = {
    "pretrain": {"train": 6000, "validation": 300},
    "icl": {"train": 3000, "validation": 150},
    "dialogsum": {"train": 4000, "validation": 200, "test": 200},
    "reviews": {"train": 4000, "validation": 200, "test": 200},
    "translation": {"train": 4000, "validation": 200, "test": 200},
    "facts": {"train": 1500, "validation": 150, "test": 150},
    "domain": {"train": 2000, "validation": 150, "test": 150},
    "instructions": {"train": 6000, "validation": 200, "test": 200},
    "word_problems": {"train": 3600, "validation": 120, "test": 600},
    "replies": {"train": 2000, "validation": 150, "test": 150},
    "rag": {"validation": 150, "test": 300},   # train: derived (reader + closed-book + ReAct rows)
    # requests; train/validation hold 3 traces (critique, revision, judge) per request
    "constitution": {"train": 1500, "validation": 60, "redteam": 300, "rlaif": 300, "test": 200},
}
BUILD_HINT = "python -m llmlab.tinyworld build"


# ---- the family registry -----------------------------------------------------------------------
# name -> gen(world: World, rng: random.Random) -> {split: rows}; typed loosely so that this module
# needs no import of llmlab.tinyworld.world (which imports FAMILIES from here)
FAMILIES: dict[str, Callable[..., dict[str, list[dict]]]] = {}


def family(name: str):
    """Register ``gen(world, rng) -> {split: rows}`` as the data family ``name``."""
    def register(fn):
        if name in FAMILIES:
            raise ValueError(f"family {name!r} is already registered")
        FAMILIES[name] = fn
        return fn
    return register


def fill_splits(make: Callable[[str, int], dict | None], sizes: dict[str, int],
                key: Callable[[dict], str], seen: set[str] | None = None) -> dict[str, list[dict]]:
    """Draw rows split by split, skipping any whose ``key`` was already drawn (in any split), so
    no validation/test input duplicates a train input."""
    seen = set() if seen is None else seen
    out: dict[str, list[dict]] = {}
    for split, n in sizes.items():
        rows: list[dict] = []
        tries = 0
        while len(rows) < n:
            tries += 1
            if tries > 50 * n + 1000:
                raise RuntimeError(f"could not draw {n} distinct rows for split {split!r}")
            row = make(split, len(rows))
            if row is None:
                continue
            k = key(row)
            if k in seen:
                continue
            seen.add(k)
            rows.append(row)
        out[split] = rows
    return out


def _ids(prefix: str, splits: dict[str, list[dict]]) -> dict[str, list[dict]]:
    for split, rows in splits.items():
        for i, r in enumerate(rows):
            r["id"] = f"{prefix}-{split}-{i:05d}"
    return splits
