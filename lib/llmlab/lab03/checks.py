"""Checks for Lab 03's exercises: exact dedup, MinHash, a training step with gradient accumulation and clipping,
training compute, the compute-optimal split.

Each check runs the student's function on cases with known answers (from ``llmlab.lab03.crawl`` and
``llmlab.lab03.scaling``, and from the GPT-3 and Chinchilla papers' own numbers) and, when it is wrong,
says which case failed and what the usual bug is.
"""
from __future__ import annotations

from typing import Callable, Sequence

import copy

import numpy as np
import torch

from llmlab.lab03 import crawl, scaling
from llmlab.checks import call, fail, passed, run_case, single_threaded
from llmlab.checks import yours_or_reference  # noqa: F401 - the labs call checks.yours_or_reference



def _rel(got: float, want: float) -> float:
    return abs(got - want) / abs(want)


# ----------------------------------------------------------------------------------------------
# Exercise: exact deduplication

DEDUP_CASES: list[tuple[str, list[str]]] = [
    ("copies with changed case and spacing",
     ["The baker sells bread.", "the  baker sells BREAD.", "A cat sat.", "The baker sells bread.\n",
      "A dog ran.", "A cat sat."]),
    ("near but not exact copies must stay",
     ["Anna paid 5 coins.", "Anna paid 6 coins.", "anna paid 5 coins.", "Anna paid 5 coins!"]),
    ("no duplicates at all", ["one", "two", "three"]),
    ("every document the same", ["x y", "X Y", " x y ", "x\ty"]),
    ("empty crawl", []),
    ("empty and blank documents are one group (keep the first)", ["", "a", "   ", "\n", "b"]),
    ("spaces still separate words: 'a cat' and 'ac at' differ", ["a cat sat", "ac at sat", "a c a t s a t"]),
    ("long pages that share their first 300 characters, then differ",
     ["The weather report. " * 15 + "Rain on Monday.", "The weather report. " * 15 + "Sun on Monday.",
      "the weather report. " * 15 + "rain on monday."]),
    ("non-ASCII text: 'café' is not 'caf', 'Straße' is not 'strasse'",
     ["un café noir", "un caf noir", "UN CAFÉ NOIR", "Straße", "strasse", "STRASSE"]),
    ("other scripts and compatibility characters: Greek, Chinese, the ligature 'ﬁ' is not 'fi'",
     ["Καλημέρα κόσμε", "你好，世界", "καλημέρα  ΚΌΣΜΕ", "ﬁle", "file", "你好，世界"]),
]


def check_exact_dedup(fn: Callable[[Sequence[str]], Sequence[int]], name: str = "exact dedup") -> None:
    """``fn(texts) -> indices to keep``: the first document of each group whose texts are equal after
    lower-casing and collapsing whitespace (``crawl.normalize``), in increasing order."""
    ex, n = name, 0
    for desc, texts in DEDUP_CASES:
        want = crawl.exact_dedup(texts)
        given = list(texts)
        got = run_case(ex, fn, desc, given)
        if given != list(texts):
            fail(ex, f"you changed the list of texts you were given (case: {desc}): the crawl must stay as it is; "
                     "build a new list of indices instead.")
        if got is None:
            fail(ex, "your function returned None: return the list of indices to keep.")
        if isinstance(got, (set, frozenset, dict)):
            fail(ex, f"you returned a {type(got).__name__}; return a list of indices in increasing order: a set "
                     f"has no order you can rely on (case: {desc}).")
        got = list(got)
        if any(isinstance(g, str) for g in got):
            fail(ex, f"you returned texts ({got[:2]!r}...); return the *indices* of the documents to keep, "
                     f"e.g. {want} (case: {desc}).")
        try:
            got = [int(g) for g in got]
        except (TypeError, ValueError):
            fail(ex, f"expected a list of integer indices, got {got!r} (case: {desc}).")
        if got == want:
            n += 1
            continue
        raw_unique = list({t: i for i, t in reversed(list(enumerate(texts)))}.values())
        last = sorted({crawl.normalize(t): i for i, t in enumerate(texts)}.values())
        counts = {}
        for t in texts:
            counts[crawl.normalize(t)] = counts.get(crawl.normalize(t), 0) + 1
        singles = [i for i, t in enumerate(texts) if counts[crawl.normalize(t)] == 1]
        if sorted(got) == want:
            fail(ex, f"right documents, wrong order: return the indices in increasing order, {want} "
                     f"(case: {desc}).")
        if not texts and got:
            fail(ex, f"an empty crawl keeps nothing: return [], got {got} (case: {desc}).")
        adjacent = [i for i, t in enumerate(texts) if i == 0 or crawl.normalize(t) != crawl.normalize(texts[i - 1])]
        if got == adjacent:
            fail(ex, f"you kept {got}, expected {want} (case: {desc}): you removed only copies that follow each "
                     "other; a copy can come anywhere later in the crawl — remember every hash you have seen (a set).")
        if len(texts) - 1 in want and got == [i for i in want if i != len(texts) - 1]:
            fail(ex, f"you kept {got}, expected {want} (case: {desc}): the last document is missing — an off-by-one "
                     "in the loop (range(len(texts) - 1)?).")
        if got == [i + 1 for i in want]:
            fail(ex, f"you kept {got}, expected {want} (case: {desc}): indices count from 0 in Python "
                     "(`enumerate(texts)` gives them).")
        if want and got == [i for i in want if crawl.normalize(texts[i])]:
            fail(ex, f"you dropped the empty document(s) (case: {desc}): all empty texts are one group like "
                     "any other; keep the first (removing short pages is the quality filter's job, not dedup's).")
        why = _dedup_normaliser_bug(texts, got)
        if why:
            fail(ex, f"you kept {got}, expected {want} (case: {desc}): {why}")
        if sorted(got) == sorted(raw_unique):
            fail(ex, f"you kept {got}, expected {want} (case: {desc}): documents that differ only in case "
                     "or spacing are duplicates too. Hash `crawl.normalize(text)` (lower-case, whitespace "
                     "collapsed), not the raw text.")
        if sorted(got) == last and last != want:
            fail(ex, f"you kept {got}, expected {want} (case: {desc}): you kept the *last* copy of each "
                     "group; keep the first one you meet (a crawler keeps what it saw first).")
        if sorted(got) == singles and singles != want:
            fail(ex, f"you kept {got}, expected {want} (case: {desc}): you dropped every copy of a duplicated "
                     "document, the first one included. Keep one copy of each.")
        fail(ex, f"kept indices {got}, expected {want} (case: {desc}; texts {texts!r}).")
    passed(ex, f"{n} cases agree with crawl.exact_dedup (normalised text, first copy kept)")


def _dedup_normaliser_bug(texts: Sequence[str], got: list[int]) -> str:
    """Which wrong notion of "equal text" gives the student's answer, if one of the usual ones does."""
    keys = {
        "you compared only the start of each text: hash the whole normalised text — pages that share a header "
        "can differ later.": lambda t: crawl.normalize(t)[:100],
        "you removed every space, so 'a cat' equals 'ac at': collapse runs of whitespace to one space "
        "(`crawl.normalize`), do not delete it.": lambda t: "".join(t.lower().split()),
        "you dropped the non-ASCII characters (encode('ascii', 'ignore')?): encode the text as UTF-8, "
        "`crawl.normalize(text).encode('utf-8')`.": lambda t: crawl.normalize(t).encode("ascii", "ignore"),
        "you normalised Unicode (NFKC?), which equates 'ﬁ' and 'fi'; the lab's rule is `crawl.normalize` "
        "(lower-case, whitespace collapsed) and nothing more.": lambda t: " ".join(
            __import__("unicodedata").normalize("NFKC", t).lower().split()),
        "you used casefold(), which also equates 'ß' and 'ss'; the lab's rule is `crawl.normalize` (lower()).":
            lambda t: " ".join(t.casefold().split()),
        "you did not lower-case or collapse whitespace the way `crawl.normalize` does (strip only? "
        "split(' ')?); use crawl.normalize(text).": lambda t: t.strip().lower(),
    }
    for why, key in keys.items():
        seen, keep = set(), []
        for i, t in enumerate(texts):
            if key(t) not in seen:
                seen.add(key(t))
                keep.append(i)
        if keep == got:
            return why
    return ""


# ----------------------------------------------------------------------------------------------
# Exercise: MinHash

def _minhash_cases() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(3)
    cases = []
    for desc, S, P in (("8 shingles, 16 hash functions", 8, 16), ("one shingle, 4 hash functions", 1, 4),
                       ("300 shingles, 128 hash functions", 300, 128)):
        ids = rng.integers(0, crawl.PRIME, size=S, dtype=np.int64)
        a, b = crawl.hash_params(P, seed=S)
        cases.append((desc, ids, a, b))
    return cases


def _minhash_bugs(ids: np.ndarray, a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    P = crawl.PRIME
    with np.errstate(over="ignore"):
        a32, ids32, b32 = a.astype(np.int32), ids.astype(np.int32), b.astype(np.int32)
        int32 = ((a32[:, None] * ids32[None, :] + b32[:, None]) % np.int32(P)).min(axis=1)
    table = (a[:, None] * ids[None, :] + b[:, None]) % P
    with np.errstate(over="ignore"):
        u32 = ((a.astype(np.uint32)[:, None] * ids.astype(np.uint32)[None, :] + b.astype(np.uint32)[:, None])
               % np.uint32(P)).min(axis=1)
    f64 = ((a.astype(np.float64)[:, None] * ids.astype(np.float64)[None, :] + b[:, None]) % P).min(axis=1)
    return {"argmin": table.argmin(axis=1),
            "float64": f64,
            "uint32": u32,
            "modulus after the minimum": (a[:, None] * ids[None, :] + b[:, None]).min(axis=1) % P,
            "a·(x + b)": ((a[:, None] * (ids[None, :] + b[:, None])) % P).min(axis=1),
            "int32": int32,
            "modulus 2**31": ((a[:, None] * ids[None, :] + b[:, None]) % (1 << 31)).min(axis=1),
            "b after the modulus": ((a[:, None] * ids[None, :]) % P + b[:, None]).min(axis=1),
            "no b": ((a[:, None] * ids[None, :]) % P).min(axis=1),
            "a and b swapped": ((b[:, None] * ids[None, :] + a[:, None]) % P).min(axis=1),
            "minimum over the hash functions first": (table.min(axis=0, keepdims=True).repeat(len(a), 0)
                                                      .min(axis=1))}


MINHASH_HINTS = {
    "argmin": "you returned *which* shingle has the smallest hash (argmin); the signature holds the smallest hash "
              "value itself (min).",
    "float64": "you computed in float64, which holds integers exactly only up to 2^53 while a·x reaches 2^62, so the "
               "low digits are lost: keep int64 arithmetic.",
    "uint32": "your products wrapped around 2^32 (uint32): a·x reaches 2^62; keep the int64 arrays you were given.",
    "modulus after the minimum": "you took the minimum before the modulus: hash first, h(x) = (a·x + b) % PRIME for "
                                 "every shingle, then take the minimum of the hashes.",
    "a·(x + b)": "you computed a·(x + b); the hash is a·x + b, then % PRIME.",
    "int32": "your products overflowed: a·x reaches 2^62, far beyond int32. Keep the int64 arrays you were given "
             "(no .astype(np.int32)).",
    "modulus 2**31": "you took the hash mod 2^31; the hash functions are mod crawl.PRIME = 2^31 - 1 (a prime, "
                     "which is what makes a·x + b a good random permutation).",
    "b after the modulus": "you added b after the modulus, so values can exceed PRIME: h(x) = (a·x + b) % PRIME, "
                           "the whole sum reduced.",
    "no b": "you left out b: h_j(x) = (a_j·x + b_j) % PRIME.",
    "a and b swapped": "a and b are swapped: h_j(x) = (a_j·x + b_j) % PRIME, a multiplies.",
    "minimum over the hash functions first": "every entry is the same value: take the minimum over the shingles "
                                             "for each hash function (axis=1 of the (P, S) table).",
}


def check_minhash(fn: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray], name: str = "MinHash") -> None:
    """``fn(ids (S,), a (P,), b (P,)) -> signature (P,)``: for each hash function
    h_j(x) = (a_j·x + b_j) mod PRIME, the smallest h_j over the document's shingle ids."""
    ex, n = name, 0
    for desc, ids, a, b in _minhash_cases():
        want = crawl.minhash(ids, a, b)
        given = (ids.copy(), a.copy(), b.copy())
        got = run_case(ex, fn, desc, *given)
        for arr, orig, what in zip(given, (ids, a, b), ("ids", "a", "b")):
            if not np.array_equal(arr, orig):
                fail(ex, f"you changed `{what}` in place (case: {desc}): the caller reuses the same hash functions "
                         "for every document. Compute into new arrays (`a[:, None] * ids[None, :]`, no `*=`).")
        if got is None:
            fail(ex, "your function returned None: return the signature array.")
        if not isinstance(got, np.ndarray):
            fail(ex, f"you returned a {type(got).__name__}; return a numpy array of shape (P,), as "
                     f"`table.min(axis=1)` gives (case: {desc}).")
        got = np.asarray(got)
        if got.shape != want.shape:
            hint = (" You took the minimum over the hash functions (axis 0) for each shingle; take it over "
                    "the shingles (axis=1 of the (P, S) table), one value per hash function."
                    if got.shape == ids.shape else "")
            fail(ex, f"signature has shape {got.shape}, expected {want.shape}: one value per hash function "
                     f"(case: {desc}).{hint}")
        if not np.issubdtype(got.dtype, np.integer):
            fail(ex, f"your signature has dtype {got.dtype}; hash values are integers — keep them so (int64): a "
                     f"float64 holds integers exactly only up to 2^53, and a·x reaches 2^62 (case: {desc}).")
        if np.array_equal(got.astype(np.int64), want):
            n += 1
            continue
        table = (a[:, None] * ids[None, :] + b[:, None]) % crawl.PRIME         # (P, S)
        for bug, wrong in _minhash_bugs(ids, a, b).items():
            if got.shape == wrong.shape and np.array_equal(got.astype(np.int64), wrong.astype(np.int64)):
                fail(ex, f"{MINHASH_HINTS[bug]} (case: {desc})")
        if np.array_equal(got, table.max(axis=1)):
            fail(ex, f"you took the maximum hash; MinHash keeps the *minimum* (case: {desc}). (A max-hash "
                     "works in principle too, but the lab's signatures must match.)")
        if np.array_equal(got, (a[:, None] * ids[None, :] + b[:, None]).min(axis=1)):
            fail(ex, f"you forgot `% PRIME` (case: {desc}): without the modulus a·x + b is monotone in x, so "
                     "every hash function picks the same shingle and the signature says nothing about "
                     "the rest of the set.")
        if np.all(got == got.flat[0]) and len(got) > 1:
            fail(ex, f"all {len(got)} signature entries are equal (case: {desc}): use a different hash "
                     "function (a[j], b[j]) for each entry.")
        j = int(np.nonzero(got != want)[0][0])
        fail(ex, f"entry {j} is {got[j]}, expected {want[j]} = min over shingles x of (a[{j}]·x + b[{j}]) % "
                 f"PRIME (case: {desc}).")
    # the property that makes it useful: agreement rate ≈ Jaccard
    A, B = set(range(0, 300)), set(range(150, 450))      # Jaccard = 150 / 450 = 1/3
    a, b = crawl.hash_params(512, seed=1)
    to_ids = lambda s: np.array([(x * 2654435761 + 12345) % crawl.PRIME for x in sorted(s)], dtype=np.int64)
    agree = float(np.mean(np.asarray(fn(to_ids(A), a, b)) == np.asarray(fn(to_ids(B), a, b))))
    passed(ex, f"{n} cases agree with the reference; two sets of Jaccard 0.333 agree on {agree:.3f} of 512 "
               "signature entries, as MinHash promises")


# ----------------------------------------------------------------------------------------------
# Exercise: training compute

FLOPS_HINTS = [
    (1 / 3, "that is the forward pass only (2·N·D). Training also runs the backward pass, which costs about "
            "twice the forward: 6·N·D in all."),
    (2 / 3, "that is 4·N·D, the backward pass alone: add the forward pass's 2·N·D."),
    (1 / 6, "you forgot the factor 6 (2 FLOPs per multiply-add forward, 4 backward)."),
    (1 / 2, "that is 3·N·D: a multiply-add is 2 FLOPs, so forward is 2·N·D and training 6·N·D."),
    (1e-9, "that is in billions of FLOPs: return plain FLOPs (6·N·D), format them when you print."),
    (1e-15, "that is in petaFLOPs: return plain FLOPs (6·N·D); pf_days does the unit conversion."),
    (1 / 12, "that is N·D / 2: training compute is 6·N·D."),
    (4 / 3, "that is 8·N·D, which counts recomputing the forward pass (activation checkpointing); the "
            "standard estimate is 6·N·D."),
]
PF_HINTS = [
    (24.0, "that is petaFLOP/s-*hours* (you divided by 1e15·3600): a day has 86,400 seconds."),
    (86400.0, "that is petaFLOP/s-*seconds*: divide by 1e15 FLOP/s × 86,400 s per day."),
    (1000.0, "that is teraFLOP/s-days (1e12): a petaFLOP is 1e15."),
    (1e-3, "that is exaFLOP/s-days (1e18): a petaFLOP is 1e15."),
    (1e6, "a factor of 1e6 too large: did you use 1e9 (giga) for peta? A petaFLOP is 1e15."),
    (1 / 365, "that is petaFLOP/s-*years*: a PF-day is 1e15 FLOP/s for one day, 86,400 s."),
    (1 / 7, "that is petaFLOP/s-*weeks*: a PF-day is 1e15 FLOP/s for one day, 86,400 s."),
    (8.64e19, "you returned the FLOPs unchanged: divide by 8.64e19, the FLOPs of one PF-day."),
    (10.0, "a factor of 10 too large: one PF-day is 8.64e19 FLOPs (1e15 × 86,400), not 8.64e18."),
    (60.0, "a factor of 60: a day has 24 × 60 × 60 = 86,400 seconds."),
    (3600.0, "a factor of 3,600: a day has 24 × 3,600 = 86,400 seconds."),
    (1e15 / 2 ** 50, "did you use 2^50 for peta? FLOP counts are decimal: a petaFLOP is 1e15."),
]


def _match(ratio: float, hints: list[tuple[float, str]]) -> str | None:
    for r, hint in hints:
        if abs(ratio / r - 1) < 1e-3:
            return hint
    return None


def check_compute(flops_fn: Callable[[float, float], float], pf_days_fn: Callable[[float], float],
                  name: str = "training compute") -> None:
    """``flops_fn(N, D)`` = 6·N·D and ``pf_days_fn(C)`` = C / (1e15 · 86,400), checked on GPT-3."""
    ex = name
    for N, D in ((175e9, 300e9), (125e6, 300e9), (70e9, 1.4e12), (3.0, 5.0)):
        got = run_case(ex, flops_fn, f"flops({N:g}, {D:g})", N, D)
        try:
            got = float(got)
        except (TypeError, ValueError):
            fail(ex, f"flops({N:g}, {D:g}) returned {got!r}; return a number.")
        want = scaling.train_flops(N, D)
        if _rel(got, want) > 1e-6 and _rel(got, 6 * (N + D)) < 1e-6:
            fail(ex, f"flops({N:.3g}, {D:.3g}) = {got:.4g} = 6·(N + D): compute is a product, 6·N·D — every parameter "
                     "does its multiply-adds for every token.")
        if _rel(got, want) > 1e-6 and D != 300e9 and _rel(got, 6 * N * 300e9) < 1e-6:
            fail(ex, f"flops({N:.3g}, {D:.3g}) = {got:.4g} counts 300B tokens whatever D is: use the n_tokens "
                     "argument.")
        if _rel(got, want) > 1e-6:
            hint = _match(got / want, FLOPS_HINTS) or (
                "an integer overflow? 6·N·D is beyond int64 (9.2e18); compute with Python floats."
                if abs(got) < 2 ** 63 < want else None)
            fail(ex, f"flops(N={N:.3g}, D={D:.3g}) = {got:.4g}, expected {want:.4g}: "
                     + (hint or "training compute is C ≈ 6·N·D, linear in both N and D."))
    for C in (3.15e23, 8.64e19, 1.0):
        got = run_case(ex, pf_days_fn, f"pf_days({C:g})", C)
        try:
            got = float(got)
        except (TypeError, ValueError):
            fail(ex, f"pf_days({C:g}) returned {got!r}; return a number.")
        want = scaling.pf_days(C)
        if _rel(got, want) > 1e-6 and got == round(got) and _rel(got, want) < 1e-2:
            fail(ex, f"pf_days({C:.3g}) = {got:g}, expected {want:.6g}: you rounded (or used //); return the exact "
                     "quotient and round only when you print.")
        if _rel(got, want) > 1e-6:
            hint = _match(got / want, PF_HINTS)
            fail(ex, f"pf_days({C:.3g}) = {got:.4g}, expected {want:.4g}: "
                     + (hint or "one PF-day is 1e15 FLOP/s sustained for 86,400 s = 8.64e19 FLOPs."))
    rows = scaling.gpt3_compute_table(flops_fn=flops_fn, pf_days_fn=pf_days_fn)
    worst = max(abs(r["ratio"] - 1) for r in rows)
    if worst > 0.03:  # cannot happen once the cases above pass; kept as the lesson's statement
        fail(ex, f"your numbers differ from GPT-3's Table D.1 by up to {worst:.0%}.")
    big = rows[-1]
    passed(ex, f"6·N·D and PF-days agree; GPT-3 175B: {big['flops']:.3g} FLOPs = {big['pf_days']:,.0f} PF-days "
               f"(paper: {big['paper_pf_days']:,.0f}); all 8 GPT-3 sizes within {worst:.1%} of Table D.1")


# ----------------------------------------------------------------------------------------------
# Exercise: the compute-optimal split (Chinchilla's rule of thumb)

def check_compute_optimal(fn: Callable[..., tuple[float, float]], name: str = "compute-optimal split") -> None:
    """``fn(C, tokens_per_param=20) -> (N, D)`` with 6·N·D = C and D = tokens_per_param · N."""
    ex = name
    cases = [(scaling.train_flops(70e9, 1.4e12), 20.0, "Chinchilla's budget, 20 tokens/param"),
             (1e21, 20.0, "C = 1e21, 20 tokens/param"),
             (1e15, 5.0, "C = 1e15, 5 tokens/param"),
             (1e3, 5.0, "a tiny budget C = 1000, 5 tokens/param: N = 5.77, not a whole number"),
             (2.5e25, 40.0, "C = 2.5e25, 40 tokens/param"),
             (1e20, 12.5, "C = 1e20, 12.5 tokens/param (not a whole number)")]
    for C, r, desc in cases:
        got = run_case(ex, lambda c: fn(c, tokens_per_param=r), desc, C)
        if isinstance(got, (list, np.ndarray)):
            fail(ex, f"you returned a {type(got).__name__}; return a tuple, `return n, d` (case: {desc}).")
        try:
            N, D = (float(v) for v in got)
        except (TypeError, ValueError):
            fail(ex, f"expected a pair (N, D), got {got!r} (case: {desc}).")
        wN, wD = scaling.chinchilla_optimal(C, r)
        if _rel(N, wN) < 1e-6 and _rel(D, wD) < 1e-6:
            continue
        if _rel(N, wD) < 1e-6 and _rel(D, wN) < 1e-6:
            fail(ex, f"you returned (D, N); return (N, D): parameters first (case: {desc}).")
        spent = 6 * N * D
        if _rel(N, wN) < 0.1 and (N == round(N) or D == round(D)) and _rel(N, wN) > 1e-9:
            fail(ex, f"(N, D) = ({N:g}, {D:g}), expected ({wN:.6g}, {wD:.6g}) (case: {desc}): did you round? Return "
                     "the exact floats; round only when you print.")
        for unit, scale in (("billions", 1e-9), ("millions", 1e-6), ("thousands", 1e-3)):
            if _rel(N, wN * scale) < 1e-6:
                fail(ex, f"N = {N:.4g} is N in {unit} (expected {wN:.4g}) (case: {desc}): return plain counts of "
                         "parameters and tokens; format them when you print.")
        wrong_rules = {"C = 2·N·D": (C / (2 * r)) ** 0.5, "C / 6 · r (precedence)": (C / 6 * r) ** 0.5,
                       "√(C / 6) · r": (C / 6) ** 0.5 * r, "√(C / 6) / r": (C / 6) ** 0.5 / r,
                       "C / (6r²)": (C / (6 * r * r)) ** 0.5, "cube root": (C / (6 * r)) ** (1 / 3),
                       "C / 6 / √r": C / 6 / r ** 0.5}
        for rule, n_wrong in wrong_rules.items():
            if _rel(N, n_wrong) < 1e-6:
                fail(ex, f"N = {N:.4g}, expected {wN:.4g} (case: {desc}): your N follows {rule}. From C = 6·N·D and "
                         "D = r·N: C = 6·r·N², so N = (C / (6·r)) ** 0.5 — mind the parentheses.")
        if N == int(N) and abs(N - wN) < 1 and _rel(N, wN) > 1e-9:
            fail(ex, f"N = {N:g}, expected {wN:.6g} (case: {desc}): an integer square root (math.isqrt?) rounds "
                     "it down; use ** 0.5 or math.sqrt on floats.")
        if _rel(N, C / (6 * r)) < 1e-6:
            fail(ex, f"N = {N:.4g} = C / 6r: you forgot the square root. With D = r·N, C = 6·r·N², so "
                     f"N = √(C / 6r) (case: {desc}).")
        if _rel(D / N, r) > 1e-6:
            hint = " Did you ignore `tokens_per_param` and use 20?" if _rel(D / N, 20) < 1e-6 else ""
            fail(ex, f"D / N = {D / N:.4g}, expected tokens_per_param = {r:g} (case: {desc}).{hint}")
        if _rel(spent, 6 * C) < 1e-6:
            fail(ex, f"6·N·D = 6·C: you solved N·D = C and forgot that C = 6·N·D. With D = r·N, "
                     f"N = √(C / 6r) (case: {desc}).")
        fail(ex, f"(N, D) = ({N:.4g}, {D:.4g}) spends 6·N·D = {spent:.4g} FLOPs, expected C = {C:.4g} "
                 f"(case: {desc}): with D = r·N, C = 6·r·N², so N = √(C / 6r).")
    try:
        N, D = (float(v) for v in call(ex, fn, cases[1][0]))
    except TypeError as err:
        fail(ex, f"compute_optimal(C) without tokens_per_param failed ({err}): give it the default 20.")
    if _rel(D / N, 20.0) > 1e-6:
        fail(ex, f"compute_optimal(C) with the default tokens_per_param gave D / N = {D / N:.4g}: the default is "
                 "Chinchilla's 20 tokens per parameter (`tokens_per_param: float = 20.0`).")
    N, D = call(ex, fn, cases[0][0], tokens_per_param=20.0)
    passed(ex, f"Chinchilla's budget {cases[0][0]:.3g} FLOPs -> N = {float(N) / 1e9:.0f}B parameters, "
               f"D = {float(D) / 1e12:.2f}T tokens (the paper: 70B, 1.4T)")


# ----------------------------------------------------------------------------------------------
# Exercise: one training step with gradient accumulation and clipping

class _CountingSGD(torch.optim.SGD):
    """Plain SGD (so an update is the gradient itself, scaled: a wrong gradient scale shows as a wrong step
    size, which Adam would hide) that counts its steps."""
    def __init__(self, params, lr: float = 0.5):
        super().__init__(params, lr=lr)
        self.steps = 0

    def step(self, closure=None):
        self.steps += 1
        return super().step(closure)


def _tiny_lm() -> tuple[torch.nn.Module, list[dict]]:
    torch.manual_seed(0)
    model = scaling.build_model(scaling.ModelSize(1, 16), 64, 16)
    g = torch.Generator().manual_seed(1)
    batches = [{"input_ids": (ids := torch.randint(0, 64, (3, 16), generator=g)), "labels": ids} for _ in range(8)]
    return model, batches


def _flat(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


class _Watched(torch.nn.Module):
    """The model as the student's step sees it: records each forward's batch size, and whether the previous
    micro-batch had been back-propagated before the next forward (its activations could then be freed)."""
    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.inner = model
        self.sizes: list[int] = []
        self.forward_before_backward = False
        self._pending = False                        # the last forward's loss has not been back-propagated yet

    def forward(self, **batch):
        if self._pending:
            self.forward_before_backward = True
        self.sizes.append(int(batch["input_ids"].shape[0]))
        out = self.inner(**batch)
        if out.loss is not None and out.loss.requires_grad:
            self._pending = True
            out.loss.register_hook(self._backpropagated)
        return out

    def _backpropagated(self, grad: torch.Tensor) -> torch.Tensor:
        self._pending = False
        return grad


def _run(fn, model, batches_per_step: list[list[dict]], clip: float, stale_grads: bool = False, exercise: str = ""):
    model = copy.deepcopy(model)
    opt = _CountingSGD(model.parameters())
    if stale_grads:                                   # what an earlier step or an evaluation may have left behind
        for p in model.parameters():
            p.grad = torch.full_like(p, 0.3)
    before = _flat(model)
    losses = []
    watched = _Watched(model)
    for i, micro in enumerate(batches_per_step):
        if not exercise:
            losses.append(fn(model, opt, micro, clip))
            continue
        given = [{k: v.clone() for k, v in b.items()} for b in micro]     # the student gets copies
        watched.sizes, watched.forward_before_backward, watched._pending = [], False, False
        losses.append(call(exercise, fn, watched, opt, given, clip))
        if len(given) != len(micro) or any(set(g) != set(b) or any(not torch.equal(g[k], b[k]) for k in b)
                                           for g, b in zip(given, micro)):
            fail(exercise, "you modified `micro_batches` (the list, its dicts or their tensors) in place: the "
                           "caller still needs them; read the batches, do not change them.")
        if max(watched.sizes, default=0) > micro[0]["input_ids"].shape[0]:
            fail(exercise, "you ran the micro-batches as one concatenated batch: that is the big batch that does not "
                           "fit in memory; run model(**batch) on each micro-batch on its own.")
        if watched.forward_before_backward and i == 0 and not stale_grads:
            fail(exercise, "you ran a forward pass before back-propagating the previous micro-batch, so every "
                           "micro-batch's activations are held at once: call backward() on each micro-batch's "
                           "scaled loss before the next forward.")
    return model, opt, _flat(model) - before, losses


@single_threaded
def check_accumulation_step(fn: Callable, name: str = "gradient accumulation") -> None:
    """``fn(model, optimizer, micro_batches, clip) -> float``: one optimizer step from all micro-batches (each
    loss divided by their number, back-propagated one by one), the global gradient norm clipped to ``clip``
    before the step, gradients zeroed first; returns the mean of the micro-batch losses."""
    ex = name
    model, batches = _tiny_lm()
    big = {"input_ids": torch.cat([b["input_ids"] for b in batches[:4]]),
           "labels": torch.cat([b["labels"] for b in batches[:4]])}
    ref = scaling.accumulation_step
    cases = [("4 micro-batches, no clipping", [batches[:4]], 1e9, False),
             ("4 micro-batches, clipped to norm 0.05", [batches[:4]], 0.05, False),
             ("two steps in a row (2 micro-batches each)", [batches[:2], batches[2:4]], 1e9, False),
             ("gradients left over from before the step", [batches[:4]], 1e9, True)]
    for desc, steps, clip, stale in cases:
        try:
            got_model, opt, got, losses = _run(fn, model, steps, clip, stale, exercise=ex)
        except Exception as err:  # noqa: BLE001 - a crash in the student's code becomes a message
            if "CheckFailed" in type(err).__name__:
                raise
            fail(ex, f"your function raised {type(err).__name__}: {err} (case: {desc}).")
        _, _, want, want_losses = _run(ref, model, steps, clip, stale)
        if opt.steps == 0:
            fail(ex, f"the optimizer never stepped (case: {desc}): call optimizer.step() once, after clipping.")
        if opt.steps != len(steps):
            fail(ex, f"the optimizer stepped {opt.steps} time(s) for {len(steps)} call(s) (case: {desc}): call "
                     "optimizer.step() once per call, after all micro-batches — not once per micro-batch.")
        loss = losses[0]
        if isinstance(loss, torch.Tensor):
            if loss.requires_grad:
                fail(ex, "you returned a loss tensor that still holds its autograd graph (and with it the "
                         "activations): add up loss.item() — plain floats — instead.")
            loss = loss.item()
        if not isinstance(loss, (float, int)):
            fail(ex, f"return the mean loss as a float (loss.item()), got {type(losses[0]).__name__}.")
        if abs(loss - want_losses[0]) > 1e-5:
            k = len(steps[0])
            hint = ("you returned the sum of the micro-batch losses: divide by their number"
                    if abs(loss - k * want_losses[0]) < 1e-4 else
                    "you returned the last micro-batch's loss, not the mean over all of them"
                    if abs(loss - float(fn_loss(model, steps[0][-1]))) < 1e-4 else
                    "return the mean of the micro-batches' (unscaled) losses")
            fail(ex, f"returned loss {loss:.5f}, expected {want_losses[0]:.5f} (case: {desc}): {hint}.")
        if torch.allclose(got, want, atol=1e-6, rtol=1e-4):
            continue
        if got.abs().max() == 0:
            fail(ex, f"the parameters did not change (case: {desc}): no gradient reached them — was the forward run "
                     "under torch.no_grad(), or backward() skipped?")
        ratio = (got.norm() / want.norm()).item()
        cos = torch.nn.functional.cosine_similarity(got, want, dim=0).item()
        # what common mistakes produce, computed with the reference on modified inputs
        last_only = _run(ref, model, [[s[-1]] for s in steps], clip)[2] / len(steps[0])
        if stale:
            fail(ex, "the result depends on gradients left in .grad before the call: zero the gradients first "
                     "(optimizer.zero_grad()), before the first backward.")
        if len(steps) > 1:
            fail(ex, "the first step was right but the second was not: clear the gradients after the step (or "
                     "before the first backward), or the first step's gradients leak into the next.")
        if torch.allclose(got, last_only, atol=1e-6, rtol=1e-3) or torch.allclose(got, last_only * len(steps[0]),
                                                                                 atol=1e-6, rtol=1e-3):
            fail(ex, "only the last micro-batch's gradient reached the step: do not zero the gradients between "
                     "micro-batches; backward() adds each micro-batch's gradient into .grad.")
        if clip < 1e8:
            unclipped = _run(ref, model, steps, 1e9)[2]
            if torch.allclose(got, unclipped, atol=1e-6, rtol=1e-3):
                fail(ex, f"the step was not clipped (case: {desc}): call torch.nn.utils.clip_grad_norm_("
                         "model.parameters(), clip) after the backward passes and before optimizer.step().")
            if torch.nn.functional.cosine_similarity(got, unclipped, dim=0).item() > 0.9999:
                norm = (got.norm() / opt.param_groups[0]["lr"]).item()      # SGD: update = -lr * clipped gradient
                fail(ex, f"the gradient was clipped to norm {norm:.3g}, not to clip = {clip} (case: {desc}): pass "
                         "max_norm=clip to clip_grad_norm_, unchanged.")
            for mode, hint in _CLIP_MISTAKES.items():
                if torch.allclose(got, _run(_clip_variant(mode), model, steps, clip)[2], atol=1e-6, rtol=1e-3):
                    fail(ex, f"{hint} (case: {desc}).")
            fail(ex, f"the clipped step differs from the reference (update {ratio:.2f}× its size, cosine {cos:.3f}; "
                     f"case: {desc}): clip once, the global norm over all parameters together (clip_grad_norm_), "
                     "after every micro-batch's backward and before the step.")
        if cos > 0.9999 and abs(ratio - len(steps[0])) < 1e-3:
            fail(ex, f"the step is {len(steps[0])}× too large: divide each micro-batch's loss by the number of "
                     "micro-batches, so the gradients add up to the gradient of the mean loss.")
        micro_size = steps[0][0]["input_ids"].shape[0]
        if cos > 0.9999 and abs(ratio - len(steps[0]) / micro_size) < 1e-3:
            fail(ex, f"you divided each loss by the micro-batch's size ({micro_size}) — the loss is already a mean "
                     f"over it; divide by the number of micro-batches ({len(steps[0])}).")
        if cos > 0.9999:
            fail(ex, f"the step points the right way but is {ratio:.3g}× the reference's size: scale each "
                     "micro-batch's loss by 1 / (number of micro-batches), nothing else.")
        fail(ex, f"the update differs from the reference (size {ratio:.2f}×, cosine {cos:.3f}; case: {desc}).")
    # the point of accumulation: the same step as one big batch
    same = _run(ref, model, [[big]], 1e9)[2]
    got = _run(fn, model, [batches[:4]], 1e9, exercise=ex)[2]
    if not torch.allclose(got, same, atol=1e-6, rtol=1e-3):
        fail(ex, "4 micro-batches of 3 should give the step of one batch of 12.")
    passed(ex, "one step from 4 micro-batches equals one step on their concatenation; clipping, zeroing and the "
               "returned mean loss agree with the reference")


_CLIP_MISTAKES = {
    "per-micro": "you clipped after each micro-batch's backward: clip once, after all of them, before the step",
    "per-param": "you clipped each parameter's gradient on its own: clip the global norm over all parameters "
                 "together (one clip_grad_norm_ call on model.parameters())",
    "value": "you clipped each gradient value (clip_grad_value_): clip the gradient's norm (clip_grad_norm_)",
}


def _clip_variant(mode: str) -> Callable:
    """The reference step with one of the clipping mistakes above (to recognise them)."""
    def step(model, opt, micro, clip):
        opt.zero_grad(set_to_none=True)
        for batch in micro:
            (model(**batch).loss / len(micro)).backward()
            if mode == "per-micro":
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        if mode == "per-param":
            for p in model.parameters():
                torch.nn.utils.clip_grad_norm_([p], clip)
        if mode == "value":
            torch.nn.utils.clip_grad_value_(model.parameters(), clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return 0.0
    return step


def fn_loss(model: torch.nn.Module, batch: dict) -> float:
    with torch.no_grad():
        return model(**batch).loss.item()


# ----------------------------------------------------------------------------------------------
# Exercise: the scaling-law fit's objective (Chinchilla approach 3)

def _fit_cases() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray, float, list[np.ndarray]]]:
    """(desc, log N, log D, log L, delta, thetas): sweeps like the lab's, parameters near and far from a fit."""
    rng = np.random.default_rng(4)
    N = np.repeat([3.2e3, 1.28e4, 6.1e4, 1.5e5], 4)
    D = np.tile([0.8e6, 1.1e6, 1.4e6, 1.9e6], 4)
    L = 2.0 + 400 / N ** 0.4 + 300 / D ** 0.35 + rng.normal(0, 0.02, 16)
    near = np.array([np.log(400), np.log(300), np.log(2.0), 0.4, 0.35])
    thetas = [near, near + [0.0, 0.0, 0.0, 0.001, 0.0], np.array([5.0, 5.0, 0.5, 0.5, 0.5]),
              np.array([10.0, 2.0, -1.0, 1.0, 0.2]), np.array([0.0, 8.0, 1.2, 0.1, 0.9])]
    thetas += [rng.uniform([-2, -2, -2, 0, 0], [20, 20, 2, 2, 2]) for _ in range(6)]
    small = [rng.uniform(1e2, 1e9, 7), rng.uniform(1e3, 1e10, 7)]
    small_L = 1.5 + rng.uniform(0.1, 3, 7)
    logs = (np.log(N), np.log(D), np.log(L))
    return [("16 runs like the lab's sweep, delta = 1e-3", *logs, 1e-3, thetas),
            ("the same runs, delta = 0.05 passed in", *logs, 0.05, thetas),
            ("the same runs, delta = 10 (every residual on the quadratic branch)", *logs, 10.0, thetas),
            ("7 runs over many decades of N and D", np.log(small[0]), np.log(small[1]), np.log(small_L), 1e-3,
             thetas[2:])]


def _fit_bugs(theta: np.ndarray, logN: np.ndarray, logD: np.ndarray, logL: np.ndarray, delta: float) -> dict:
    a, b, e, alpha, beta = theta
    N, D, L = np.exp(logN), np.exp(logD), np.exp(logL)

    def huber(r: np.ndarray, d: float = delta) -> float:
        return float(np.where(np.abs(r) <= d, 0.5 * r ** 2, d * (np.abs(r) - 0.5 * d)).sum())

    pred = np.exp(a) / N ** alpha + np.exp(b) / D ** beta + np.exp(e)
    r = np.log(pred) - logL
    return {
        "squared error": float((0.5 * r ** 2).sum()),
        "squared error, no 1/2": float((r ** 2).sum()),
        "absolute error": float(np.abs(r).sum()),
        "Huber without the 1/2": float(np.where(np.abs(r) <= delta, r ** 2, delta * (np.abs(r) - 0.5 * delta)).sum()),
        "Huber's linear part without -delta/2": float(np.where(np.abs(r) <= delta, 0.5 * r ** 2,
                                                               delta * np.abs(r)).sum()),
        "mean instead of sum": huber(r) / len(r),
        "delta ignored": huber(r, 1e-3),
        "residual of L, not log L": huber(pred - L),
        "log of the prediction only": huber(np.log(pred) - L),
        "E, A, B not exponentiated": huber(np.log(np.abs(a / N ** alpha + b / D ** beta + e) + 1e-300) - logL),
        "E not exponentiated": huber(np.log(np.abs(np.exp(a) / N ** alpha + np.exp(b) / D ** beta + e) + 1e-300)
                                     - logL),
        "exponents with the wrong sign": huber(np.log(np.exp(a) * N ** alpha + np.exp(b) * D ** beta + np.exp(e))
                                               - logL),
        "sum of the log terms": huber((a - alpha * logN) + (b - beta * logD) + e - logL),
        "no E": huber(np.logaddexp(a - alpha * logN, b - beta * logD) - logL),
        "largest term only": huber(np.maximum.reduce([a - alpha * logN, b - beta * logD, np.full_like(logN, e)])
                                   - logL),
        "log10": huber(np.log10(pred) - np.log10(L)),
        "alpha and beta swapped": huber(np.log(np.exp(a) / N ** beta + np.exp(b) / D ** alpha + np.exp(e)) - logL),
        "A and B swapped": huber(np.log(np.exp(b) / N ** alpha + np.exp(a) / D ** beta + np.exp(e)) - logL),
        "theta read as (e, a, b, alpha, beta)": huber(np.log(np.exp(b) / N ** alpha + np.exp(e) / D ** beta
                                                             + np.exp(a)) - logL),
    }


_FIT_HINTS = {
    "squared error": "you summed ½·r² for every run: that is least squares. Chinchilla uses the Huber loss, "
                     "½·r² only where |r| <= delta and delta·(|r| − delta/2) beyond, so that outlying runs pull less.",
    "squared error, no 1/2": "you summed r²: use the Huber loss (½·r² where |r| <= delta, delta·(|r| − delta/2) "
                             "beyond).",
    "absolute error": "you summed |r|: use the Huber loss (½·r² where |r| <= delta, delta·(|r| − delta/2) beyond).",
    "Huber without the 1/2": "the quadratic branch is missing its ½: Huber is ½·r² where |r| <= delta.",
    "Huber's linear part without -delta/2": "the linear branch is delta·|r|; Huber's is delta·(|r| − delta/2), "
                                            "which meets ½·r² smoothly at |r| = delta.",
    "mean instead of sum": "you took the mean over runs; the objective is the sum (the same minimum, but the check "
                           "compares values).",
    "delta ignored": "you used delta = 1e-3 whatever delta was passed in: use the `delta` argument.",
    "residual of L, not log L": "your residual is L̂ − L; Chinchilla fits in log space: r = log L̂ − log L "
                                "(log_L is given as the log).",
    "log of the prediction only": "you compared log L̂ with exp(log_L), the loss itself: log_L is already a "
                                  "log, so r = log L̂ − log_L.",
    "E, A, B not exponentiated": "theta holds logs: A = exp(a), B = exp(b), E = exp(e) (so they stay positive "
                                 "whatever the optimizer tries).",
    "E not exponentiated": "theta's third entry is e = log E: use E = exp(e), as for A and B.",
    "exponents with the wrong sign": "the terms are A / N^alpha and B / D^beta — in log space a − alpha·log N, "
                                     "not a + alpha·log N.",
    "sum of the log terms": "you added the three terms' logs, log A − alpha·log N + log B − beta·log D + log E; "
                            "the log of a sum is not the sum of the logs: log L̂ = logsumexp(a − alpha·log N, "
                            "b − beta·log D, e).",
    "no E": "the irreducible term E is missing: log L̂ = logsumexp(a − alpha·log N, b − beta·log D, e).",
    "largest term only": "you kept the largest of the three terms (a max, not a logsumexp): "
                         "np.logaddexp.reduce([...], axis=0) adds them.",
    "log10": "you used log10; the data are natural logs (np.log): use np.log / np.logaddexp throughout.",
    "alpha and beta swapped": "alpha and beta are swapped: alpha is N's exponent, beta D's — theta = (a, b, e, "
                              "alpha, beta).",
    "A and B swapped": "A and B are swapped: a = log A goes with N, b = log B with D — theta = (a, b, e, alpha, beta).",
    "theta read as (e, a, b, alpha, beta)": "theta's order is (a, b, e, alpha, beta): a = log A, b = log B, "
                                            "e = log E.",
}


def check_scaling_law_objective(fn: Callable[..., float], name: str = "scaling-law objective") -> None:
    """``fn(theta, log_N, log_D, log_L, delta=1e-3) -> float`` equals Chinchilla's objective
    (``scaling.scaling_law_objective``) on sweeps like the lab's and parameters near and far from a fit."""
    ex, n = name, 0
    for desc, logN, logD, logL, delta, thetas in _fit_cases():
        for theta in thetas:
            args = [theta.copy(), logN.copy(), logD.copy(), logL.copy()]
            want = scaling.scaling_law_objective(theta, logN, logD, logL, delta)
            try:
                got = call(ex, fn, *args, delta)
            except Exception as err:  # noqa: BLE001 - a crash of the student's code becomes a message
                if isinstance(err, AssertionError):
                    raise
                fail(ex, f"your function raised {type(err).__name__}: {err} (case: {desc}). theta is a numpy array "
                         "(a, b, e, alpha, beta); log_N, log_D, log_L are numpy arrays of one value per run.")
            if any(not np.array_equal(x, y) for x, y in zip(args, [theta, logN, logD, logL])):
                fail(ex, f"you changed an input array in place (case: {desc}): compute new arrays instead.")
            if isinstance(got, tuple):
                fail(ex, f"you returned a tuple of {len(got)} items; return only the objective's value, a float.")
            arr = np.asarray(got, dtype=float) if got is not None else None
            if arr is None or arr.size != 1:
                shape = None if arr is None else arr.shape
                fail(ex, f"expected one float, got {shape if shape else got!r}" + (
                    " — one value per run: sum them." if arr is not None and arr.size == len(logN) else ".")
                     + f" (case: {desc})")
            got = float(arr)
            if np.isclose(got, want, rtol=1e-6, atol=1e-12):
                n += 1
                continue
            with np.errstate(all="ignore"):
                bugs = _fit_bugs(theta, logN, logD, logL, delta)
            for bug, wrong in bugs.items():
                if np.isclose(got, wrong, rtol=1e-6, atol=1e-12) and not np.isclose(wrong, want, rtol=1e-6,
                                                                                    atol=1e-12):
                    fail(ex, f"{_FIT_HINTS[bug]} (case: {desc}; theta = {np.round(theta, 3).tolist()})")
            if not np.isfinite(got):
                fail(ex, f"your objective is {got} (case: {desc}; theta = {np.round(theta, 3).tolist()}): did exp() "
                         "overflow (exp(800) is inf)? Compute log L̂ with a log-sum-exp (scipy.special.logsumexp, or "
                         "np.logaddexp), never log(exp(..) + ..). Or is a logarithm taken of a negative number?")
            fail(ex, f"got {got:.6g}, expected {want:.6g} (case: {desc}; theta = {np.round(theta, 3).tolist()}). "
                     "The objective: log L̂ = logsumexp(a − alpha·log N, b − beta·log D, e) per run, r = log L̂ − "
                     "log_L, then the sum of Huber_delta(r).")
    passed(ex, f"{n} cases agree with Chinchilla's objective (Huber on log loss; delta 1e-3 to 10; parameters near "
               "and far from a fit)")


__all__ = ["check_exact_dedup", "check_minhash", "check_compute", "check_compute_optimal",
           "check_accumulation_step", "check_scaling_law_objective"]
