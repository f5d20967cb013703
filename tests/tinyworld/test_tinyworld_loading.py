"""TinyWorld loading: rows and datasets from data/, and errors that name the fix."""
from __future__ import annotations

import pytest

from llmlab import tinyworld

REVIEW_COLUMNS = {"id", "text", "label", "product"}
FAMILIES = ["constitution", "dialogsum", "domain", "facts", "icl", "instructions", "pretrain", "rag", "replies",
            "reviews", "translation", "word_problems"]


def test_load_returns_datasets():
    import datasets

    ds = tinyworld.load("reviews", "test")
    assert isinstance(ds, datasets.Dataset)
    assert set(ds.column_names) == REVIEW_COLUMNS and ds.num_rows == 200
    dd = tinyworld.load("dialogsum")
    assert isinstance(dd, datasets.DatasetDict) and set(dd) == set(tinyworld.SPLITS)
    assert dd["validation"].num_rows == 200 and dd["train"][0]["slots"]["person"]
    assert tinyworld.families() == FAMILIES
    assert tinyworld.load("facts", "docs").num_rows == len(tinyworld.rows("facts", "docs"))


def test_bad_family_or_split_errors_name_the_fix(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown data family 'nope'.*dialogsum.*python -m llmlab.tinyworld build"):
        tinyworld.load("nope")
    with pytest.raises(ValueError, match=r"Unknown split 'dev'.*train, validation, test"):
        tinyworld.load("reviews", "dev")
    with pytest.raises(ValueError, match=r"python -m llmlab.tinyworld build"):
        tinyworld.rows("reviews", "train", data_dir=tmp_path / "empty")
