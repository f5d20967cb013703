"""Lab 10's exercise checks: the reference passes; plausible wrong implementations fail, each with a
message that names its bug."""
from __future__ import annotations

import math
import re
from collections import Counter

import pytest

from llmlab.checks import CheckFailed
from llmlab.lab10 import checks, react, retrieval


# ---- Exercise 1: BM25 ------------------------------------------------------------------------------
def _bm25(idf="lucene", saturate=True, norm=True, df_docs=True, avg_tokens=True):
    def fn(query, docs, k1=1.5, b=0.75):
        n = len(docs)
        lens = [len(d) if avg_tokens else len(set(d)) for d in docs]
        avgdl = sum(lens) / n
        df = Counter(t for d in docs for t in (set(d) if df_docs else d))
        out = []
        for d, L in zip(docs, lens):
            tf = Counter(d)
            s = 0.0
            for t in query:
                if not tf[t]:
                    continue
                w = {"lucene": math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)),
                     "robertson": math.log((n - df[t] + 0.5) / (df[t] + 0.5)), "none": 1.0,
                     "plain": math.log(n / df[t])}[idf]
                denom = tf[t] + k1 * ((1 - b + b * L / avgdl) if norm else 1)
                s += w * (tf[t] * (k1 + 1) / denom if saturate else tf[t])
            out.append(s)
        return out
    return fn


def test_bm25_reference_passes(capsys):
    checks.check_bm25(retrieval.bm25_scores)
    checks.check_bm25(_bm25())
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, phrase", [
    (_bm25(idf="none"), "no idf"),
    (_bm25(idf="robertson"), "without the 1 +"),
    (_bm25(idf="plain"), "ln(N / df)"),
    (_bm25(saturate=False), "not saturated"),
    (_bm25(norm=False), "no length normalisation"),
    (_bm25(df_docs=False), "count *documents*"),
    (_bm25(avg_tokens=False), "count tokens"),
    (lambda q, docs, k1=1.5, b=0.75: [1.0] * len(docs), "scores differ"),
    (lambda q, docs, k1=1.5, b=0.75: 0.0, "one score per document"),
    (lambda q, docs, k1=1.5, b=0.75: [sum(d.count(t) for t in q) for d in docs], "raw term counts"),
])
def test_bm25_bugs_are_named(wrong, phrase):
    with pytest.raises(CheckFailed, match=re.escape(phrase)):
        checks.check_bm25(wrong)


def test_bm25_stub_says_not_implemented():
    def stub(query, docs, k1=1.5, b=0.75):
        raise NotImplementedError("Exercise 1")
    with pytest.raises(CheckFailed, match="not implemented"):
        checks.check_bm25(stub)


def test_bm25s_index_ranks_as_the_reference():
    texts = ["anna lives in millford", "the mayor of millford is anna bell", "a lamp shop sells lamps and oil"]
    r = retrieval.BM25Retriever(texts)
    ref = retrieval.bm25_scores(retrieval.tokenize("who is the mayor of millford"),
                                [retrieval.tokenize(t) for t in texts])
    assert r.search(["who is the mayor of millford"], 1)[0][0] == max(range(3), key=ref.__getitem__) == 1


# ---- Exercise 2: recall@k and MRR ----------------------------------------------------------------------
def _recall_hit(ranked, relevant, k):
    return sum(bool(set(r[:k]) & rel) for r, rel in zip(ranked, relevant)) / len(ranked)


def _recall_k1(ranked, relevant, k):
    return sum(len(set(r[:k + 1]) & rel) / len(rel) for r, rel in zip(ranked, relevant)) / len(ranked)


def _recall_precision(ranked, relevant, k):
    return sum(len(set(r[:k]) & rel) / k for r, rel in zip(ranked, relevant)) / len(ranked)


def _recall_micro(ranked, relevant, k):
    return sum(len(set(r[:k]) & rel) for r, rel in zip(ranked, relevant)) / sum(map(len, relevant))


def _mrr_hits_only(ranked, relevant):
    rr = [next((1 / (i + 1) for i, x in enumerate(r) if x in rel), None) for r, rel in zip(ranked, relevant)]
    rr = [x for x in rr if x is not None]
    return sum(rr) / len(rr)


def _mrr_zero_based(ranked, relevant):
    return sum(next((1 / i if i else 1.0 for i, x in enumerate(r) if x in rel), 0.0)
               for r, rel in zip(ranked, relevant)) / len(ranked)


def _mrr_all(ranked, relevant):
    return sum(sum(1 / (i + 1) for i, x in enumerate(r) if x in rel) for r, rel in zip(ranked, relevant)) / len(ranked)


def test_metrics_reference_passes(capsys):
    checks.check_retrieval_metrics(retrieval.recall_at_k, retrieval.mrr)
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("recall, phrase", [(_recall_hit, "hit rate"), (_recall_k1, "k+1"),
                                            (_recall_precision, "precision@k"), (_recall_micro, "micro-average")])
def test_recall_bugs_are_named(recall, phrase):
    with pytest.raises(CheckFailed, match=re.escape(phrase)):
        checks.check_retrieval_metrics(recall, retrieval.mrr)


@pytest.mark.parametrize("mrr, phrase", [(_mrr_hits_only, "only over queries that found"),
                                         (_mrr_zero_based, "ranks start at 1"),
                                         (_mrr_all, "only the first one")])
def test_mrr_bugs_are_named(mrr, phrase):
    with pytest.raises(CheckFailed, match=re.escape(phrase)):
        checks.check_retrieval_metrics(retrieval.recall_at_k, mrr)


# ---- Exercise 5: the ReAct action parser ---------------------------------------------------------------
def _parse_first_brackets(text):
    m = re.search(r"(\w+)\[(.*?)\]", text)
    return (m.group(1).lower(), m.group(2).strip()) if m and m.group(1).lower() in react.ACTIONS else None


def _parse_no_strip(text):
    m = re.search(r"^Action:\s*(\w+)\[(.*)\]", text, flags=re.M | re.I)
    return (m.group(1).lower(), m.group(2)) if m and m.group(1).lower() in react.ACTIONS and m.group(2) else None


def _parse_case_sensitive(text):
    m = re.search(r"^\s*Action:\s*(\w+)\[(.*)\]\s*$", text, flags=re.M)
    return (m.group(1), m.group(2).strip()) if m and m.group(1) in react.ACTIONS and m.group(2).strip() else None


def _parse_any_name(text):
    m = re.search(r"^\s*Action:\s*(\w+)\[(.*)\]\s*$", text, flags=re.M | re.I)
    return (m.group(1).lower(), m.group(2).strip()) if m and m.group(2).strip() else None


def _parse_last_line(text):
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().lower().startswith("action:")]
    return react.parse_action(lines[-1]) if lines else None


def _parse_empty_ok(text):
    m = re.search(r"^\s*Action:\s*(\w+)\[(.*)\]\s*$", text, flags=re.M | re.I)
    return (m.group(1).lower(), m.group(2).strip()) if m and m.group(1).lower() in react.ACTIONS else None


def test_parser_reference_passes(capsys):
    checks.check_parse_action(react.parse_action)
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, phrase", [
    (_parse_first_brackets, "not the first [...]"), (_parse_no_strip, "strip the argument"),
    (_parse_case_sensitive, "in any case"), (_parse_any_name, "unknown action name"),
    (_parse_last_line, "take the first Action line"), (_parse_empty_ok, "an empty argument"),
    (lambda text: ("search", text), "should give ('search', 'Wona Ream')"),
    (lambda text: "search", "return a (name, argument) tuple or None"),
    (lambda text: None, "should give ('search', 'Wona Ream')"),
])
def test_parser_bugs_are_named(wrong, phrase):
    with pytest.raises(CheckFailed, match=re.escape(phrase)):
        checks.check_parse_action(wrong)


# ---- the ReAct loop's tools and guards (no model needed) --------------------------------------------------
DOCS = [{"id": "p1", "title": "Wona Ream",
         "text": "The home town of Wona Ream is Bastead. The job of Wona Ream is brewer."},
        {"id": "t1", "title": "Bastead",
         "text": "The region of Bastead is the Low Marches. The mayor of Bastead is Ila Tylwood. "
                 "The river of Bastead is Tranla."}]


def test_tools_search_and_lookup():
    tools = react.Encyclopedia(DOCS)
    assert tools.lookup("mayor") == "Search for an entry first."
    assert tools.search("bastead") == "The region of Bastead is the Low Marches."
    assert tools.lookup("mayor") == "The mayor of Bastead is Ila Tylwood."
    assert tools.lookup("mayor") == "No more results."
    assert tools.search("Wona Reem").startswith("Could not find [Wona Reem]. Similar: ['Wona Ream'")


def test_loop_handles_malformed_actions_and_the_step_limit(monkeypatch):
    script = iter([[" hmm\nAction: jump[high]"], [" ok\nAction: search[Bastead]"], [" ok\nAction: lookup[mayor]"],
                   [" done\nAction: finish[Ila Tylwood]"]])
    monkeypatch.setattr(react.inference, "complete", lambda *a, **k: next(script))
    t = react.react(None, None, ["Who is the mayor of Bastead?"], DOCS, max_steps=6)[0]
    assert t.status == "finished" and t.answer == "Ila Tylwood" and t.malformed == 1
    assert t.steps[0]["observation"] == react.INVALID
    assert t.steps[2]["observation"] == "The mayor of Bastead is Ila Tylwood."
    monkeypatch.setattr(react.inference, "complete", lambda *a, **k: [" ok\nAction: search[Bastead]"])
    t = react.react(None, None, ["Who is the mayor of Bastead?"], DOCS, max_steps=3)[0]
    assert t.status == "step limit" and t.answer is None and len(t.steps) == 3
