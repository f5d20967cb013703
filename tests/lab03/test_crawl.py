"""llmlab.lab03.crawl: the planted crawl, the quality filters, exact dedup, and MinHash/LSH against brute force."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from llmlab import tinyworld
from llmlab.lab03 import crawl


@pytest.fixture(scope="module")
def docs():
    return crawl.make_crawl(seed=0)


@pytest.fixture(scope="module")
def cleaned(docs):
    return crawl.clean(docs)


def test_crawl_is_reproducible_and_planted_as_specified(docs):
    again = crawl.make_crawl(seed=0)
    assert [d.text for d in again] == [d.text for d in docs]
    assert [d.text for d in crawl.make_crawl(seed=1)] != [d.text for d in docs]
    n_clean = len(tinyworld.rows("pretrain", "train"))
    kinds = {k: sum(d.kind == k for d in docs) for k in crawl.KINDS}
    assert kinds["clean"] == n_clean
    for kind, share in crawl.DEFAULT_MIX.items():
        assert kinds[kind] == round(share * n_clean), kind
    # ids follow crawl order, and a crawler meets every original before its copies
    assert [d.id for d in docs] == list(range(len(docs)))
    for d in docs:
        if d.kind in ("exact_duplicate", "near_duplicate"):
            assert d.source < d.id and docs[d.source].kind == "clean"
        else:
            assert d.source is None


def test_planted_copies_are_what_they_claim(docs):
    for d in docs:
        if d.kind == "exact_duplicate":
            assert crawl.normalize(d.text) == crawl.normalize(docs[d.source].text)
    near = [d for d in docs if d.kind == "near_duplicate"]
    changed = sum(crawl.normalize(d.text) != crawl.normalize(docs[d.source].text) for d in near)
    assert changed >= 0.99 * len(near)


@pytest.mark.parametrize("text, reason", [
    ("Home | About", "too_short"),
    ("Home | About us | Contact | Privacy policy | Terms of use | Cookie settings", "boilerplate"),
    ("Buy cheap hats now, click here for the best price on all the hats in the town.", "spam"),
    ("hat hat hat sale sale sale hat hat hat sale sale sale hat hat hat sale sale sale", "spam"),
    ("Th# b@k$r s%lls fr&sh br*ad ~n the m^rk<t ev>ry d{y of the w}ek.", "garbled"),
    ("Reakko lok bosaku live kosh man pusish done lik makuron bok golenin.", "foreign"),
    ("The baker in Tickwell sells fresh bread every morning, and the queue is long.", None),
])
def test_quality_reasons(text, reason):
    assert crawl.quality_reason(text) == reason


def test_clean_text_passes_the_quality_filters():
    texts = ([r["text"] for r in tinyworld.rows("pretrain", "validation")]
             + [r["text"] for r in tinyworld.rows("domain", "test")])
    failed = [t for t in texts if crawl.quality_reason(t)]
    assert len(failed) <= 0.01 * len(texts), failed[:3]


def test_exact_dedup_normalises_and_keeps_the_first():
    texts = ["A b", "a  B", "c", "A b\n", "C ", "d"]
    assert crawl.exact_dedup(texts) == [0, 2, 5]
    assert crawl.exact_dedup([]) == []


def test_shingle_ids_are_the_shingles_hashed():
    text = "The baker sells bread. The baker sells buns."
    assert len(crawl.shingle_ids(text)) == len(crawl.shingles(text))   # no collisions on a short text
    a, b = "Anna paid five coins for the blue hat.", "Anna paid six coins for the blue hat."
    exact = crawl.jaccard(crawl.shingles(a), crawl.shingles(b))
    assert crawl.jaccard_ids(crawl.shingle_ids(a), crawl.shingle_ids(b)) == pytest.approx(exact)
    assert len(crawl.shingle_ids("hi")) == 1


def test_minhash_agreement_estimates_jaccard():
    """P(signature entries agree) = Jaccard: check the rate within 4 standard errors on sets of known overlap."""
    a, b = crawl.hash_params(2048, seed=5)
    rng = np.random.default_rng(0)
    universe = rng.choice(crawl.PRIME, size=1000, replace=False).astype(np.int64)
    for overlap in (0, 100, 300, 500):
        A, B = universe[:500], universe[500 - overlap:1000 - overlap]
        j = overlap / (1000 - overlap)
        agree = np.mean(crawl.minhash(A, a, b) == crawl.minhash(B, a, b))
        se = np.sqrt(max(j * (1 - j), 1e-4) / len(a))
        assert abs(agree - j) < 4 * se + 1e-3, (overlap, agree, j)


def test_lsh_candidates_match_a_brute_force_band_comparison():
    rng = np.random.default_rng(1)
    sig = rng.integers(0, 3, size=(60, 12))          # small alphabet: many bands collide
    want = {(i, j) for i, j in itertools.combinations(range(60), 2)
            if any(np.array_equal(sig[i, k:k + 3], sig[j, k:k + 3]) for k in range(0, 12, 3))}
    assert crawl.lsh_candidates(sig, bands=4) == want
    with pytest.raises(ValueError):
        crawl.lsh_candidates(sig, bands=5)


def test_near_pairs_agree_with_brute_force_jaccard(docs):
    """LSH + verification finds (nearly) every pair that all-pairs Jaccard finds, and nothing else."""
    by_id = {d.id: d for d in docs}
    near = [d for d in docs if d.kind == "near_duplicate"][:60]
    sample = [d.text for d in near] + [by_id[d.source].text for d in near] + [d.text for d in docs[:240]]
    for threshold in (0.5, 0.8):
        brute = crawl.brute_force_pairs(sample, threshold)
        found, n_cands = crawl.near_pairs(sample, threshold)
        assert found <= brute                                 # verification admits no false positive
        assert len(found) >= 0.97 * len(brute), (threshold, len(found), len(brute))
        assert n_cands < len(sample) * (len(sample) - 1) // 2 / 10   # and LSH compared few pairs
    # the S-curve: with 32 bands x 4 rows, a pair at Jaccard 0.8 is a candidate with probability > 0.999
    assert crawl.lsh_probability(0.8, 32, 4) > 0.999 and crawl.lsh_probability(0.2, 32, 4) < 0.05


def test_near_dedup_keeps_one_per_cluster():
    base = "The town council of Tickwell has agreed to repair the old stone bridge over the river."
    texts = [base, base.replace("old", "odl"), "Something else entirely, about goats and cheese in the hills.",
             base + " (Read more.)", base.replace("Tickwell", "Tikwell")]
    res = crawl.near_dedup(texts)
    assert res.keep == [0, 2]
    assert res.duplicate_of == {1: 0, 3: 0, 4: 0}


def test_clean_removes_the_planted_junk(cleaned):
    s = crawl.scores(cleaned)
    assert s["exact_duplicate_removed"] == 1.0
    assert s["near_duplicate_removed"] > 0.95
    for kind in ("spam", "boilerplate", "garbled", "too_short", "foreign"):
        assert s[f"{kind}_removed"] > 0.97, kind
    assert s["clean_lost"] < 0.04
    counts = cleaned.counts
    assert sum(counts.values()) == len(crawl.make_crawl(seed=0))
    # every near duplicate removed is within the threshold of another member of its cluster
    # (clusters are transitive, so not necessarily of the member that was kept)
    clusters: dict[int, list] = {}
    for d in cleaned.removed["near_duplicate"]:
        clusters.setdefault(cleaned.near_of[d.id].id, [cleaned.near_of[d.id]]).append(d)
    for d in cleaned.removed["near_duplicate"][:80]:
        members = clusters[cleaned.near_of[d.id].id]
        best = max(crawl.jaccard(crawl.shingles(d.text), crawl.shingles(m.text)) for m in members if m.id != d.id)
        assert best >= 0.8


def test_clean_uses_the_functions_it_is_given(docs):
    sample = docs[:400]
    keep_all = crawl.clean(sample, dedup_fn=lambda texts: list(range(len(texts))))
    assert keep_all.counts["exact_duplicate"] == 0
    default = crawl.clean(sample)
    assert default.counts["exact_duplicate"] > 0
    # a MinHash that ignores its input makes every pair a candidate; verification still decides
    constant = crawl.clean(sample, minhash_fn=lambda ids, a, b: np.zeros(len(a), dtype=np.int64))
    assert constant.near.candidates > default.near.candidates
    assert constant.counts == default.counts
