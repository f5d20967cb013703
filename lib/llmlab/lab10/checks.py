"""Checks for Lab 10's exercises 1, 2 and 5: BM25 scoring, recall@k and MRR, the ReAct action parser
(exercises 3 and 4, the PAL answer and the sandbox's limits, are in ``pal_checks``).

Each check runs the student's function on cases with known answers — BM25 against the ``bm25s``
library's own scores — and, when a case disagrees, compares the answer with what the usual bugs
produce, to name the bug.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Callable

import bm25s
import numpy as np

from llmlab.checks import fail, passed, run_case
from llmlab.checks import yours_or_reference  # noqa: F401 - the lab calls checks.yours_or_reference
from llmlab.lab10.retrieval import bm25_scores as reference_bm25_scores
from llmlab.lab10.retrieval import mrr as reference_mrr
from llmlab.lab10.retrieval import recall_at_k as reference_recall_at_k


def _close(a, b, tol: float = 1e-4) -> bool:
    try:
        a = [float(x) for x in a]
    except (TypeError, ValueError):
        return False
    return len(a) == len(b) and all(math.isfinite(x) and abs(x - y) <= tol * max(1.0, abs(y)) for x, y in zip(a, b))


# ----------------------------------------------------------------------------------------------
# Exercise 1: BM25

def _bm25_variant(query, docs, k1, b, *, idf="lucene", tf="bm25", norm=True, df_count="docs", avgdl="tokens"):
    n = len(docs)
    lengths = [len(d) if avgdl == "tokens" else len(set(d)) for d in docs]
    mean = sum(lengths) / n
    df = Counter(t for d in docs for t in (set(d) if df_count == "docs" else d))
    out = []
    for d, L in zip(docs, lengths):
        c = Counter(d)
        s = 0.0
        for t in query:
            if not c[t]:
                continue
            i = {"lucene": math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)),
                 "robertson": math.log((n - df[t] + 0.5) / (df[t] + 0.5)),
                 "none": 1.0, "plain": math.log(n / df[t])}[idf]
            ln = (1 - b + b * L / mean) if norm else 1.0
            f = c[t] * (k1 + 1) / (c[t] + k1 * ln) if tf == "bm25" else c[t]
            s += i * f
        out.append(s)
    return out


BM25_BUGS = [
    (dict(idf="none", tf="raw"), "you summed raw term counts: BM25 weights each query word by its idf and saturates "
                                 "its count, tf * (k1 + 1) / (tf + k1 * (1 - b + b * |d| / avgdl))."),
    (dict(idf="none"), "no idf: every query word counts the same, so common words ('lives', 'shop') "
                       "outweigh the rare name that identifies the entry. Multiply by idf(t)."),
    (dict(idf="robertson"), "your idf is ln((N - df + 0.5) / (df + 0.5)) without the 1 +: it goes negative "
                            "for words in more than half the documents. Use ln(1 + (N - df + 0.5) / (df + 0.5))."),
    (dict(idf="plain"), "your idf is ln(N / df); BM25's is ln(1 + (N - df + 0.5) / (df + 0.5))."),
    (dict(tf="raw"), "the term frequency is not saturated: use tf * (k1 + 1) / (tf + k1 * (1 - b + b * |d| / avgdl)), "
                     "so the tenth occurrence of a word adds far less than the first."),
    (dict(norm=False), "no length normalisation: the denominator needs k1 * (1 - b + b * |d| / avgdl), so long "
                       "documents do not win just by containing more words."),
    (dict(df_count="tokens"), "df(t) counts occurrences; it must count *documents* containing t (use set(d))."),
    (dict(avgdl="types"), "|d| and avgdl must count tokens (len(d)), not distinct words."),
]


def _bm25_cases():
    docs = [["anna", "lives", "millford", "baker", "lives"], ["millford", "town", "river", "mayor", "anna", "bell"],
            ["shop", "sells", "lamp", "lamp", "lamp", "oil"], ["anna", "shop", "lamp"],
            ["river", "flows", "town", "town", "town", "bridge", "old", "stone"], ["bell", "baker"]]
    return [(["anna", "lamp"], docs, 1.5, 0.75), (["town", "river", "mayor"], docs, 1.2, 0.75),
            (["lives", "baker", "bell"], docs, 1.5, 0.3), (["lamp"], docs, 2.0, 1.0), (["zebra"], docs, 1.5, 0.75)]


def check_bm25(fn: Callable, name: str = "Exercise 1: BM25 scores") -> None:
    for query, docs, k1, b in _bm25_cases():
        desc = f"query {query}, {len(docs)} documents, k1={k1}, b={b}"
        got = run_case(name, fn, desc, query, docs, k1, b)
        want = reference_bm25_scores(query, docs, k1, b)
        if not isinstance(got, (list, tuple, np.ndarray)) or len(got) != len(docs):
            fail(name, f"return one score per document (a list of {len(docs)} floats); got {type(got).__name__}"
                       + (f" of length {len(got)}" if hasattr(got, '__len__') else "") + f" (case: {desc}).")
        if _close(got, want):
            continue
        for kw, msg in BM25_BUGS:
            if _close(got, _bm25_variant(query, docs, k1, b, **kw)):
                fail(name, f"{msg} (case: {desc}).")
        fail(name, f"scores differ from BM25: got {[round(float(x), 4) for x in got]}, expected "
                   f"{[round(x, 4) for x in want]} (case: {desc}).")
    # and the library agrees with the reference
    query, docs, k1, b = _bm25_cases()[0]
    lib = bm25s.BM25(k1=k1, b=b, method="lucene")
    lib.index(docs, show_progress=False)
    # bm25s, like Lucene since version 8, leaves out the constant factor (k1 + 1): same ranking
    if not _close(list(lib.get_scores(query) * (k1 + 1)), reference_bm25_scores(query, docs, k1, b), tol=1e-3):
        fail(name, "internal: bm25s disagrees with the reference; report this.")
    passed(name, "your scores match BM25 (and bm25s' scores times the constant k1 + 1 it leaves out)")


# ----------------------------------------------------------------------------------------------
# Exercise 2: recall@k and MRR

RANKED = [[3, 1, 4], [0, 2, 5], [7, 8, 9], [2, 6, 1], [5, 4, 3], [4, 8, 1], [7, 3, 0]]
RELEVANT = [{1}, {0, 5}, {6}, {1, 6}, {9}, {1, 2}, {0}]


def _recall_bugs(ranked, relevant, k):
    hit = sum(bool(set(r[:k]) & rel) for r, rel in zip(ranked, relevant)) / len(ranked)
    return [
        (sum(len(set(r[:k]) & rel) for r, rel in zip(ranked, relevant)) / sum(len(x) for x in relevant),
         "you pooled all relevant chunks over all queries (micro-average); average each query's recall instead."),
        (hit, "that is the hit rate (a query counts 1 if any relevant chunk is in the top k); recall@k is the "
              "share of each query's relevant chunks found in its top k, averaged over queries."),
        (sum(len(set(r[:k + 1]) & rel) / len(rel) for r, rel in zip(ranked, relevant)) / len(ranked),
         "off by one: you looked at the top k+1 (r[:k+1]); the top k is r[:k]."),
        (sum(len(set(r[:k - 1]) & rel) / len(rel) for r, rel in zip(ranked, relevant)) / len(ranked),
         "off by one: you looked at the top k-1; the top k is r[:k]."),
        (sum(len(set(r[:k]) & rel) / k for r, rel in zip(ranked, relevant)) / len(ranked),
         "you divided by k: that is precision@k. Recall divides by the number of relevant chunks."),
    ]


def _mrr_bugs(ranked, relevant):
    def first(r, rel):
        return next((i for i, x in enumerate(r) if x in rel), None)
    ranks = [first(r, rel) for r, rel in zip(ranked, relevant)]
    hits = [1 / (i + 1) for i in ranks if i is not None]
    last = [max([i for i, x in enumerate(r) if x in rel], default=None) for r, rel in zip(ranked, relevant)]
    return [
        (sum(hits) / len(hits), "you averaged only over queries that found something; a query with no relevant "
                                "chunk retrieved counts 0 and stays in the average."),
        (sum(1 / i if i else 1.0 for i in ranks if i is not None) / len(ranked),
         "ranks start at 1: the first position scores 1/1, the second 1/2 (use 1 / (index + 1))."),
        (sum(1 / (i + 1) for i in last if i is not None) / len(ranked),
         "MRR uses the *first* relevant chunk of each ranking, not the last."),
        (sum(sum(1 / (i + 1) for i, x in enumerate(r) if x in rel) for r, rel in zip(ranked, relevant)) / len(ranked),
         "you summed 1/rank over every relevant chunk; MRR takes only the first one."),
    ]


def check_retrieval_metrics(recall_fn: Callable, mrr_fn: Callable, name: str = "Exercise 2: recall@k and MRR") -> None:
    for k in (2, 3, 1):
        desc = f"5 queries, k={k}"
        got = run_case(name, recall_fn, desc, RANKED, RELEVANT, k)
        want = reference_recall_at_k(RANKED, RELEVANT, k)
        if not isinstance(got, (int, float)) or abs(got - want) > 1e-9:
            for v, msg in _recall_bugs(RANKED, RELEVANT, k):
                if isinstance(got, (int, float)) and abs(got - v) < 1e-9:
                    fail(name, f"recall_at_k: {msg} (case: {desc}; got {got:.4f}, expected {want:.4f}).")
            fail(name, f"recall_at_k gave {got!r}, expected {want:.4f} (case: {desc}).")
    got = run_case(name, mrr_fn, "5 queries", RANKED, RELEVANT)
    want = reference_mrr(RANKED, RELEVANT)
    if not isinstance(got, (int, float)) or abs(got - want) > 1e-9:
        for v, msg in _mrr_bugs(RANKED, RELEVANT):
            if isinstance(got, (int, float)) and abs(got - v) < 1e-9:
                fail(name, f"mrr: {msg} (got {got:.4f}, expected {want:.4f}).")
        fail(name, f"mrr gave {got!r}, expected {want:.4f}.")
    passed(name, "recall@k and MRR agree with the reference")


# ----------------------------------------------------------------------------------------------
# Exercise 3: the ReAct action parser

PARSE_CASES = [
    (" I need to find the town where Wona Ream lives.\nAction: search[Wona Ream]\n", ("search", "Wona Ream"),
     "a plain search step"),
    (" I need to look up the mayor.\nAction: lookup[mayor]", ("lookup", "mayor"), "a lookup step"),
    (" The answer is the Low Marches.\nAction: finish[the Low Marches]\n", ("finish", "the Low Marches"),
     "a finish step whose answer has spaces"),
    ("I could search[Bastead] later.\nAction: lookup[river]\n", ("lookup", "river"),
     "the thought mentions search[...] before the Action line"),
    (" ok\nAction:   search[ Bastead ]  \n", ("search", "Bastead"), "extra spaces around the action and argument"),
    (" ok\nAction: Search[Bastead]\n", ("search", "Bastead"), "a capitalised action name"),
    (" ok\nAction: search[Bastead]\nAction: finish[x]\n", ("search", "Bastead"), "two Action lines (take the first)"),
    (" I am not sure what to do.", None, "no Action line at all"),
    (" ok\nAction: search Bastead\n", None, "an action without brackets"),
    (" ok\nAction: fly[to the moon]\n", None, "an unknown action name"),
    (" ok\nAction: search[]\n", None, "an empty argument"),
    (" ok\nAction: search[Bastead\n", None, "a missing closing bracket"),
]


def check_parse_action(fn: Callable, name: str = "Exercise 5: the ReAct action parser") -> None:
    for text, want, desc in PARSE_CASES:
        got = run_case(name, fn, desc, text)
        if got is not None and not (isinstance(got, tuple) and len(got) == 2):
            fail(name, f"return a (name, argument) tuple or None; got {got!r} (case: {desc}).")
        if got == want:
            continue
        if want is None:
            fail(name, f"{desc}: {text!r} should give None (a malformed action the loop reports back), got {got!r}.")
        if got is None and desc == "a capitalised action name":
            fail(name, f"accept the action name in any case (Search, SEARCH) and lower-case it: {text!r} should "
                       f"give {want!r}, got None.")
        if got is None:
            fail(name, f"{desc}: {text!r} should give {want!r}, got None.")
        if got[1] != want[1] and got[1].strip() == want[1]:
            fail(name, f"strip the argument: got {got[1]!r} (case: {desc}).")
        if got[0] != want[0] and got[0].lower() == want[0]:
            fail(name, f"lower-case the action name: got {got[0]!r} (case: {desc}).")
        if desc.startswith("the thought"):
            fail(name, f"read the action from the line that starts with 'Action:', not the first [...] in the "
                       f"text: got {got!r} (case: {desc}).")
        if desc.startswith("two"):
            fail(name, f"take the first Action line (the model's next step), got {got!r}.")
        fail(name, f"{desc}: {text!r} should give {want!r}, got {got!r}.")
    passed(name, "every step parsed as the reference parses it, malformed ones as None")


# Exercises 4 and 5 (the PAL answer, the sandbox's kernel limits) are checked in ``pal_checks``
from llmlab.lab10.pal_checks import check_kernel_limits, check_pal_answer  # noqa: E402,F401
