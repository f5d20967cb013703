"""TinyWorld generation: reproducible data, independent families, clean splits, exact schemas."""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from llmlab import tinyworld
from llmlab.config import data_dir

DATA = data_dir()

SCHEMAS = {
    "pretrain": {"text"},
    "icl": {"text", "task"},
    "dialogsum": {"id", "dialogue", "summary", "topic", "slots"},
    "reviews": {"id", "text", "label", "product"},
    "translation": {"id", "en", "toy"},
    "facts": {"id", "question", "answer", "doc_id"},
    "domain": {"text"},
    "instructions": {"instruction", "input", "output", "task"},
}
SPLITS = {"pretrain": ("train", "validation"), "icl": ("train", "validation"),
          "facts": ("docs", "train", "validation", "test")}


@pytest.fixture(scope="module")
def rows():
    """All committed rows: {(family, split): [row, ...]} (plain JSON, no datasets)."""
    if not (DATA / "manifest.json").exists():
        pytest.fail(f"{DATA} has no manifest.json: run `python -m llmlab.tinyworld build`")
    return {(f, s): tinyworld.rows(f, s) for f in SCHEMAS for s in SPLITS.get(f, tinyworld.SPLITS)}


# ---- reproducibility --------------------------------------------------------------------------
def test_committed_data_is_byte_identical_to_a_fresh_generation():
    problems = tinyworld.check(DATA)
    assert not problems, ("data/ differs from the generator; run `python -m llmlab.tinyworld build`:\n"
                          + "\n".join(problems[:10]))


def test_manifest_matches_files():
    assert tinyworld.verify(DATA) == []
    manifest = json.loads((DATA / "manifest.json").read_text())
    assert manifest["seed"] == tinyworld.SEED and manifest["version"] == tinyworld.VERSION
    for fam, splits in ((f, SPLITS.get(f, tinyworld.SPLITS)) for f in SCHEMAS):
        for split in splits:
            info = manifest["files"][f"{fam}/{split}.jsonl"]
            raw = (DATA / fam / f"{split}.jsonl").read_bytes()
            assert info["rows"] == raw.count(b"\n") and info["sha256"] == hashlib.sha256(raw).hexdigest()
    text = (DATA / "manifest.json").read_text()
    assert text == json.dumps(manifest, indent=1, sort_keys=True) + "\n"


def test_data_size_is_small():
    total = sum(p.stat().st_size for p in DATA.glob("*/*.jsonl"))
    # 21.7 MB with all ten labs' families (stop 19): the families of Labs 07, 08 and 10 keep each row
    # self-contained (prompt and request both stored), which costs bytes but lets a student read a row alone
    assert total < 25_000_000, f"data/ is {total / 1e6:.1f} MB"


def test_a_new_or_subset_family_does_not_change_the_others(tmp_path):
    manifest = json.loads((DATA / "manifest.json").read_text())

    @tinyworld.family("zz_probe")
    def _probe(w, rng):
        return {"train": [{"text": str(rng.random())} for _ in range(3)]}

    try:
        out = tinyworld.build(tmp_path / "sub", families=["reviews", "zz_probe", "translation"])
    finally:
        del tinyworld.FAMILIES["zz_probe"]
    for rel in ("reviews/train.jsonl", "reviews/test.jsonl", "translation/validation.jsonl"):
        assert out["files"][rel]["sha256"] == manifest["files"][rel]["sha256"], rel
    assert "zz_probe/train.jsonl" in out["files"] and "dialogsum/train.jsonl" not in out["files"]
    assert tinyworld.verify(tmp_path / "sub") == []


def test_generation_does_not_depend_on_python_hash_seed():
    """Import llmlab.tinyworld on its own (a bare ``llmlab`` package: no torch) under another
    PYTHONHASHSEED and regenerate everything."""
    lib = Path(tinyworld.__file__).parent.parent  # lib/llmlab
    code = ("import sys,types;"
            f"p=types.ModuleType('llmlab');p.__path__=[{str(lib)!r}];sys.modules['llmlab']=p;"
            "import llmlab.tinyworld as m;assert 'torch' not in sys.modules;"
            "sys.stdout.write(m.manifest_bytes(m.generate()).decode())")
    env = dict(os.environ, PYTHONHASHSEED="4242")
    got = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert got.stdout == (DATA / "manifest.json").read_text()


def test_check_reports_stale_data_and_names_the_fix(tmp_path, capsys):
    stale = tmp_path / "data"
    tinyworld.build(stale, families=["reviews"])
    problems = tinyworld.check(stale)
    assert any(p.startswith("dialogsum/train.jsonl: missing") for p in problems)
    assert tinyworld.main(["check", "--data", str(stale)]) == 1
    assert "python -m llmlab.tinyworld build" in capsys.readouterr().err
    # a corrupted file is caught by verify too
    p = stale / "reviews" / "test.jsonl"
    p.write_bytes(p.read_bytes().replace(b"positive", b"negative", 1))
    assert any("reviews/test.jsonl" in x for x in tinyworld.verify(stale))


def test_a_failing_build_leaves_the_old_data_untouched(tmp_path):
    out = tmp_path / "data"
    tinyworld.build(out, families=["translation"])
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    @tinyworld.family("zz_broken")
    def _broken(w, rng):
        raise RuntimeError("boom")

    try:
        with pytest.raises(RuntimeError, match="boom"):
            tinyworld.build(out, families=["reviews", "zz_broken"])
    finally:
        del tinyworld.FAMILIES["zz_broken"]
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == ["data"]  # no temp folder left behind


# ---- schemas and sizes --------------------------------------------------------------------------
def test_schemas(rows):
    for (fam, split), rs in rows.items():
        want = {"id", "title", "text"} if (fam, split) == ("facts", "docs") else SCHEMAS[fam]
        assert rs, (fam, split)
        for r in rs:
            assert set(r) == want, (fam, split, sorted(r))
            for k, v in r.items():
                assert isinstance(v, dict if k == "slots" else str), (fam, split, k)
    sizes = {("pretrain", "train"): 6000, ("pretrain", "validation"): 300,
             ("icl", "train"): 3000, ("dialogsum", "train"): 4000, ("dialogsum", "test"): 200,
             ("reviews", "train"): 4000, ("translation", "train"): 4000, ("domain", "train"): 2000,
             ("facts", "train"): 1500, ("instructions", "train"): 6000, ("instructions", "test"): 200}
    for key, n in sizes.items():
        assert len(rows[key]) == n, key
    assert len(rows[("facts", "docs")]) >= 300


def test_world_entities():
    w = tinyworld.World()
    assert len(w.people) >= 150 and len(w.towns) >= 20 and len(w.shops) >= 40 and len(w.products) >= 80
    assert len({p["name"] for p in w.people}) == len(w.people)
    assert len({p["category"] for p in w.products}) >= 8
    assert all(isinstance(p["price"], int) and p["price"] > 1 for p in w.products)
    assert w.people == tinyworld.World().people  # deterministic
    assert w.people != tinyworld.World(seed=7).people


# ---- clean splits -------------------------------------------------------------------------------
@pytest.mark.parametrize("fam,key", [("dialogsum", "dialogue"), ("reviews", "text"),
                                     ("translation", "en"), ("facts", "question"),
                                     ("domain", "text"), ("pretrain", "text"), ("icl", "text"),
                                     ("instructions", "input")])
def test_no_heldout_input_appears_in_train(rows, fam, key):
    train = {r[key] for r in rows[(fam, "train")]}
    for split in ("validation", "test"):
        if (fam, split) in rows:
            leaked = [r[key] for r in rows[(fam, split)] if r[key] in train]
            assert not leaked, f"{fam}/{split}: {len(leaked)} inputs also in train, e.g. {leaked[0]!r}"


def test_facts_questions_about_heldout_facts_are_not_in_train(rows):
    train = {(r["doc_id"], r["answer"]) for r in rows[("facts", "train")]}
    held = [(r["doc_id"], r["answer"]) for s in ("validation", "test") for r in rows[("facts", s)]]
    assert not [h for h in held if h in train]


def test_icl_and_instructions_never_show_heldout_examples(rows):
    icl = "\n".join(r["text"] for r in rows[("icl", "train")] + rows[("icl", "validation")])
    ins = "\n".join(r["input"] for r in rows[("instructions", "train")])

    def whole(text: str, hay: str) -> bool:
        """``text`` occurs in ``hay`` as a whole example, not inside a longer one."""
        i = hay.find(text)
        while i >= 0:
            before, after = hay[max(0, i - 2):i], hay[i + len(text):i + len(text) + 3]
            if (i == 0 or before.endswith(("\n", '"')) or before == ": ") and \
                    (after[:1] in ("", "\n", '"') or after in (" =>", " | ")):
                return True
            i = hay.find(text, i + 1)
        return False

    for fam, key in (("dialogsum", "dialogue"), ("reviews", "text"), ("translation", "en")):
        for r in rows[(fam, "test")] + rows[(fam, "validation")]:
            assert not whole(r[key], icl), f"icl shows held-out {fam} example {r[key]!r}"
            assert not whole(r[key], ins), f"instructions/train shows held-out {fam} example {r[key]!r}"
    # sanity: the check does find train examples
    assert sum(whole(r["text"], icl) for r in rows[("reviews", "train")][:200]) > 50


# ---- family contents ----------------------------------------------------------------------------
def test_dialogsum_copies_facts(rows):
    topics = set()
    for split in tinyworld.SPLITS:
        for r in rows[("dialogsum", split)]:
            topics.add(r["topic"])
            lines = r["dialogue"].split("\n")
            assert 3 <= len(lines) <= 8, r["dialogue"]
            speakers = {line.split(":", 1)[0] for line in lines}
            assert 2 <= len(speakers) <= 4, r["dialogue"]
            assert r["slots"] and all(isinstance(v, str) for v in r["slots"].values())
            for k, v in r["slots"].items():
                assert v in r["summary"], (k, v, r["summary"])
                assert v in r["dialogue"], (k, v, r["dialogue"])
            assert 1 <= r["summary"].count(". ") + 1 <= 2
    assert len(topics) >= 8
    styles = {r["dialogue"].startswith("#Person") for r in rows[("dialogsum", "train")]}
    assert styles == {True, False}


def test_reviews_balanced(rows):
    for split in tinyworld.SPLITS:
        labels = [r["label"] for r in rows[("reviews", split)]]
        assert set(labels) == {"positive", "negative"}
        assert labels.count("positive") == labels.count("negative")


def test_translation_is_deterministic_and_reorders():
    w = tinyworld.World()
    name = w.people[0]["first"]
    toy = tinyworld.to_toy(f"{name} buys the red kettle.")
    words = toy.rstrip(".").split()
    lex = tinyworld.TOY_LEXICON
    assert words == [name, lex["the"], lex["kettle"], lex["red"], lex["buys"]]  # noun adj, verb last
    assert tinyworld.to_toy(f"{name} buys the red kettle.") == toy
    assert "Brindle" in tinyworld.to_toy("The old boat is in Brindle.")  # names are copied


def test_translation_rows_match_to_toy(rows):
    for r in rows[("translation", "test")]:
        assert r["toy"] == tinyworld.to_toy(r["en"])
    assert len({r["en"] for r in rows[("translation", "train")]}) == 4000


def test_facts_answers_are_spans_of_their_docs(rows):
    docs = {d["id"]: d["text"] for d in rows[("facts", "docs")]}
    assert len(docs) == len(rows[("facts", "docs")])
    for split in tinyworld.SPLITS:
        for q in rows[("facts", split)]:
            assert q["answer"] in docs[q["doc_id"]], q


def test_icl_documents_vary_format_and_include_canonical(rows):
    docs = rows[("icl", "train")]
    by_task = {}
    for d in docs:
        by_task.setdefault(d["task"], []).append(d["text"])
    assert set(by_task) == {"sentiment", "summarize", "translate"}
    canon = {"sentiment": r"(^|\n\n)Classify this review: [^\n]+\nSentiment: \S+",
             "summarize": r"^Summarize the dialogue:\n.+\nSummary: ",
             "translate": r"^Translate to Toy: [^\n]+\nToy: "}
    for task, texts in by_task.items():
        n_canon = sum(bool(re.search(canon[task], t, re.S)) for t in texts)
        assert 0.05 * len(texts) < n_canon < 0.5 * len(texts), (task, n_canon)
        heads = {re.sub(r"[^A-Za-z#-]+.*", "", t.split("\n")[0][:12]) for t in texts}
        assert len(heads) >= 3, (task, heads)
    # sentiment: label words vary per document; 3-8 examples of one task per document
    label_sets = set()
    for t in by_task["sentiment"]:
        if t.startswith("Classify this review:"):
            exs = t.split("\n\n")
            assert 3 <= len(exs) <= 8
            label_sets.add(frozenset(e.rsplit("Sentiment: ", 1)[1] for e in exs))
    assert len(label_sets) >= 8
    assert {"positive", "negative"} in [set(s) for s in label_sets]


def test_icl_documents_split_into_their_examples(rows):
    """Examples are separated by a blank line, or by a newline when every example is one line."""
    fmts = {"sentiment": tinyworld.SENTIMENT_FORMATS, "summarize": tinyworld.SUMMARIZE_FORMATS,
            "translate": tinyworld.TRANSLATE_FORMATS}
    for fmt_list in fmts.values():
        for template, sep in fmt_list:
            assert sep == ("\n\n" if "\n" in template else "\n"), template
    for d in rows[("icl", "train")][:600]:
        parts = d["text"].split("\n\n") if "\n\n" in d["text"] else d["text"].split("\n")
        assert 3 <= len(parts) <= 8, d
        assert sum(re.fullmatch(re.escape(t).replace(r"\{x\}", "(.+)").replace(r"\{y\}", "(.+)"), parts[0], re.S)
                   is not None for t, _ in fmts[d["task"]]) >= 1, parts[0]


def test_instructions_cover_tasks_and_canonical_phrasings(rows):
    train = rows[("instructions", "train")]
    tasks = {}
    for r in train:
        tasks.setdefault(r["task"], set()).add(r["instruction"])
    assert {"summarize", "sentiment", "translate", "qa"} <= set(tasks)
    assert all(len(v) >= 4 for v in tasks.values()), {k: len(v) for k, v in tasks.items()}
    for task, canon in (("summarize", "Summarize the dialogue:"), ("sentiment", "Classify this review:"),
                        ("translate", "Translate to Toy:"), ("qa", "Answer the question:")):
        assert canon in tasks[task]
    test_inputs = {r["input"] for r in rows[("instructions", "test")]}
    assert {r["dialogue"] for r in rows[("dialogsum", "test")]} & test_inputs


def test_domain_jargon_also_has_ordinary_meanings_in_pretrain(rows):
    pre = " ".join(r["text"] for r in rows[("pretrain", "train")]).lower()
    dom = " ".join(r["text"] for r in rows[("domain", "train")]).lower()
    for word in ("bank", "float", "strike", "bull", "bear", "crown", "wick", "draft", "shade", "ghost"):
        assert len(re.findall(rf"\b{word}s?\b", dom)) >= 20, word
        assert len(re.findall(rf"\b{word}s?\b", pre)) >= 10, word
    assert "river bank" not in dom  # the guild's banks are vaults, never river banks


def test_vocabulary_is_varied():
    assert tinyworld.stats(DATA)["distinct_words"] >= 2000
