"""Load the TinyWorld data sets from ``data/`` (see :mod:`llmlab.tinyworld.builder`), offline.

    from llmlab import tinyworld
    tinyworld.families()                       # ['dialogsum', 'domain', 'facts', ...]
    ds = tinyworld.load("dialogsum", "train")  # a datasets.Dataset
    dd = tinyworld.load("reviews")             # a DatasetDict with train/validation/test
    rows = tinyworld.rows("facts", "docs")     # plain list of dicts, no `datasets` needed
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from llmlab.tinyworld.registry import BUILD_HINT


def _data_dir(data_dir: str | os.PathLike | None) -> Path:
    if data_dir is not None:
        return Path(data_dir)
    from llmlab.config import data_dir as default
    return Path(default())


def _require(d: Path) -> None:
    if not d.is_dir() or not any(d.glob("*/*.jsonl")):
        raise ValueError(f"No TinyWorld data in {d}. Generate it with `{BUILD_HINT}` "
                         "(or set $LLMLAB_DATA to a folder that holds it).")


def families(data_dir: str | os.PathLike | None = None) -> list[str]:
    """The data families present in data/ (e.g. ``dialogsum``, ``reviews``)."""
    d = _data_dir(data_dir)
    _require(d)
    return sorted(p.name for p in d.iterdir() if p.is_dir() and any(p.glob("*.jsonl")))


def splits(family: str, data_dir: str | os.PathLike | None = None) -> list[str]:
    """The splits of a family, in the order train, validation, test, then any others."""
    d = _data_dir(data_dir)
    known = families(d)
    if family not in known:
        raise ValueError(f"Unknown data family {family!r}. Available: {', '.join(known)}. "
                         f"If it should exist, regenerate data/ with `{BUILD_HINT}`.")
    names = [p.stem for p in (d / family).glob("*.jsonl")]
    order = {"train": 0, "validation": 1, "test": 2}
    return sorted(names, key=lambda s: (order.get(s, 3), s))


def path(family: str, split: str, data_dir: str | os.PathLike | None = None) -> Path:
    """The JSONL file of one split; ValueError naming the choices if it does not exist."""
    d = _data_dir(data_dir)
    available = splits(family, d)
    if split not in available:
        raise ValueError(f"Unknown split {split!r} of data family {family!r}. "
                         f"Available: {', '.join(available)}.")
    return d / family / f"{split}.jsonl"


def rows(family: str, split: str, data_dir: str | os.PathLike | None = None) -> list[dict]:
    """The rows of one split as plain dicts (fast; no `datasets` import)."""
    with open(path(family, split, data_dir), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _cache_dir() -> str:
    """Where `datasets` may write its Arrow cache: never inside the repository."""
    from llmlab.config import cache_dir
    return str(Path(cache_dir()) / "datasets")


def load(family: str, split: str | None = None, data_dir: str | os.PathLike | None = None):
    """A ``datasets.Dataset`` (split given) or ``DatasetDict`` (all splits) of a family.

    Uses the local ``json`` builder only, so it works offline; the Arrow cache goes to
    ``llmlab.config.cache_dir()/datasets``, not into the repository.
    """
    import datasets

    def one(s: str):
        return datasets.load_dataset("json", data_files={s: str(path(family, s, data_dir))},
                                     split=s, cache_dir=_cache_dir())

    if split is not None:
        return one(split)
    # one builder per split: a family's splits may differ in columns (facts: docs vs questions)
    return datasets.DatasetDict({s: one(s) for s in splits(family, data_dir)})
