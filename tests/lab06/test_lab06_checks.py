"""Lab 06's exercise checks against wrong implementations written as a student might (each its own code, one
bug each): every one is rejected, almost all with a message naming the bug; correct variants pass."""
from __future__ import annotations

import math
import re
from collections import Counter

import pytest

from llmlab.checks import failure_message
from llmlab.lab06 import bleu as B
from llmlab.lab06 import checks
from llmlab.lab06 import rouge as R



def toks(t):
    return re.sub(r"[^a-z0-9]+", " ", t.lower()).split()


def f1(p, r):
    return 2 * p * r / (p + r) if p + r else 0.0


# ---- ROUGE-N ----------------------------------------------------------------------------------------
def rn_generic(tok=toks, clip=True, unique=False, swap=False, fmean=f1, third="f", stop=1):
    def fn(prediction, reference, n):
        a, b = tok(prediction), tok(reference)
        pa = [tuple(a[i:i + n]) for i in range(len(a) - n + stop)]
        pb = [tuple(b[i:i + n]) for i in range(len(b) - n + stop)]
        if unique:
            pa, pb = list(set(pa)), list(set(pb))
        ca, cb = Counter(pa), Counter(pb)
        ov = sum((ca & cb).values()) if clip else sum(1 for g in pa if g in cb)
        ovr = ov if clip else sum(1 for g in pb if g in ca)
        p, r = ov / max(1, len(pa)), ovr / max(1, len(pb))
        if swap:
            p, r = r, p
        return p, r, {"f": fmean(p, r), "r": r, "p": p}[third]
    return fn


def rn_zero_division(prediction, reference, n):
    a, b = toks(prediction), toks(reference)
    ca = Counter(tuple(a[i:i + n]) for i in range(len(a) - n + 1))
    cb = Counter(tuple(b[i:i + n]) for i in range(len(b) - n + 1))
    ov = sum((ca & cb).values())
    p, r = ov / sum(ca.values()), ov / sum(cb.values())
    return p, r, 2 * p * r / (p + r)


ROUGE_N_WRONG = {
    "no clipping": rn_generic(clip=False),
    "set of n-grams": rn_generic(unique=True),
    "P and R swapped": rn_generic(swap=True),
    "arithmetic mean": rn_generic(fmean=lambda p, r: (p + r) / 2),
    "recall as F": rn_generic(third="r"),
    "no lowercasing": rn_generic(tok=lambda t: re.sub(r"[^A-Za-z0-9]+", " ", t).split()),
    "str.split": rn_generic(tok=lambda t: t.lower().split()),
    "\\w+ tokens": rn_generic(tok=lambda t: re.findall(r"\w+", t.lower())),
    "off by one": rn_generic(stop=0),
    "division by zero on empty": rn_zero_division,
    "strip punctuation only at the ends": rn_generic(tok=lambda t: [w.strip(".,!?") for w in t.lower().split()
                                                                    if w.strip(".,!?")]),
}
ROUGE_N_OK = {"library reference": lambda p, r, n: checks.ref_rouge_n(p, r, n),
              "Score tuple": R.rouge_n, "list": lambda p, r, n: list(rn_generic()(p, r, n))}


# ---- ROUGE-L ----------------------------------------------------------------------------------------
def rl_generic(tok=toks, mode="lcs", swap=False, fmean=f1, third="f"):
    def fn(prediction, reference):
        a, b = tok(prediction), tok(reference)
        if mode == "chars":
            a, b = list(" ".join(a)), list(" ".join(b))
        if not a or not b:
            return 0.0, 0.0, 0.0
        T = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
        best = 0
        for i in range(1, len(a) + 1):
            for j in range(1, len(b) + 1):
                if a[i - 1] == b[j - 1]:
                    T[i][j] = T[i - 1][j - 1] + 1
                elif mode != "substring":
                    T[i][j] = max(T[i - 1][j], T[i][j - 1])
                best = max(best, T[i][j])
        k = best if mode == "substring" else T[-1][-1]
        if mode == "bag":
            k = sum((Counter(a) & Counter(b)).values())
        p, r = k / len(a), k / len(b)
        if swap:
            p, r = r, p
        return p, r, {"f": fmean(p, r), "r": r, "p": p}[third]
    return fn


ROUGE_L_WRONG = {
    "longest common substring": rl_generic(mode="substring"),
    "bag of words": rl_generic(mode="bag"),
    "characters": rl_generic(mode="chars"),
    "P and R swapped": rl_generic(swap=True),
    "arithmetic mean": rl_generic(fmean=lambda p, r: (p + r) / 2),
    "recall as F": rl_generic(third="r"),
    "precision as F": rl_generic(third="p"),
    "no lowercasing": rl_generic(tok=lambda t: re.sub(r"[^A-Za-z0-9]+", " ", t).split()),
    "str.split": rl_generic(tok=lambda t: t.lower().split()),
    "\\w+ tokens": rl_generic(tok=lambda t: re.findall(r"\w+", t.lower())),
}
ROUGE_L_OK = {"library reference": checks.ref_rouge_l, "Score tuple": R.rouge_l, "generic": rl_generic()}


# ---- BLEU --------------------------------------------------------------------------------------------------
def bl_generic(tok=B.tokenize_13a, clip=True, bp="ok", mean="geo", smooth=True, aggregate="corpus", order=4,
               scale=100.0, lower=False, eo_flip=False):
    def stats(h, r):
        if lower:
            h, r = h.lower(), r.lower()
        ht, rt = tok(h).split(), tok(r).split()
        m, t = [], []
        for n in range(1, order + 1):
            hc = Counter(tuple(ht[i:i + n]) for i in range(len(ht) - n + 1))
            rc = Counter(tuple(rt[i:i + n]) for i in range(len(rt) - n + 1))
            m.append(sum(min(c, rc[g]) if clip else c * (g in rc) for g, c in hc.items()))
            t.append(sum(hc.values()))
        return len(ht), len(rt), m, t

    def score(c, r, m, t, sm, eo):
        if not any(m):
            return 0.0
        if bp == "ok":
            pen = 1.0 if c >= r else (math.exp(1 - r / c) if c else 0.0)
        elif bp == "none":
            pen = 1.0
        else:
            pen = math.exp(1 - c / r) if c > r else 1.0
        sm = sm if smooth else "none"
        logs, k, used = [], 1, order
        for n in range(order):
            mm, tt = m[n], t[n]
            if sm == "add-k" and n > 0:
                mm, tt = mm + 1, tt + 1
            if tt == 0:
                break
            if eo:
                used = n + 1
            if mm:
                p = 100 * mm / tt
            elif sm == "exp":
                k *= 2
                p = 100 / (k * tt)
            elif sm == "floor":
                p = 10 / tt
            else:
                p = 0.0
            logs.append(p)
        logs += [0.0] * (order - len(logs))
        ps = logs[:used]
        if mean == "geo":
            val = math.exp(sum(math.log(p) if p > 0 else -9999999999 for p in ps) / used)
        else:
            val = sum(ps) / used
        return pen * val * scale / 100

    def fn(hypotheses, references, smooth_method="exp", effective_order=False):
        eo = (not effective_order) if eo_flip else effective_order
        st = [stats(h, r) for h, r in zip(hypotheses, references)]
        if aggregate == "mean":
            return sum(score(*s, smooth_method, eo) for s in st) / len(st)
        c, r = sum(s[0] for s in st), sum(s[1] for s in st)
        m = [sum(s[2][i] for s in st) for i in range(order)]
        t = [sum(s[3][i] for s in st) for i in range(order)]
        return score(c, r, m, t, smooth_method, eo)
    return fn


def bl_mutates(hypotheses, references, smooth_method="exp", effective_order=False):
    hypotheses.sort()
    return B.corpus_bleu(hypotheses, references, smooth_method, effective_order=effective_order)


BLEU_WRONG = {
    "no clipping": bl_generic(clip=False),
    "no brevity penalty": bl_generic(bp="none"),
    "brevity penalty on long hypotheses": bl_generic(bp="wrong"),
    "arithmetic mean": bl_generic(mean="arith"),
    "smoothing ignored": bl_generic(smooth=False),
    "mean of sentence BLEU": bl_generic(aggregate="mean"),
    "lowercased": bl_generic(lower=True),
    "whitespace tokens": bl_generic(tok=lambda s: s),
    "max order 3": bl_generic(order=3),
    "0-1 scale": bl_generic(scale=1.0),
    "effective order ignored": bl_generic(eo_flip=True),
    "sorts the input in place": bl_mutates,
}
BLEU_OK = {"library reference": checks.ref_corpus_bleu, "generic": bl_generic(),
           "module": lambda h, r, smooth_method="exp", effective_order=False: B.corpus_bleu(
               h, r, smooth_method, effective_order=effective_order)}

EXERCISES = {"rouge_n": (checks.check_rouge_n, ROUGE_N_WRONG, ROUGE_N_OK),
             "rouge_l": (checks.check_rouge_l, ROUGE_L_WRONG, ROUGE_L_OK),
             "corpus_bleu": (checks.check_corpus_bleu, BLEU_WRONG, BLEU_OK)}
GENERIC = "differs from the reference library"


@pytest.mark.parametrize("name", EXERCISES)
def test_correct_versions_pass(name):
    check, _, ok = EXERCISES[name]
    for desc, fn in ok.items():
        assert failure_message(check, fn) is None, desc


@pytest.mark.parametrize("name", EXERCISES)
def test_every_wrong_version_is_rejected_and_named(name):
    check, wrong, _ = EXERCISES[name]
    assert len(wrong) >= 8
    messages = {desc: failure_message(check, fn) for desc, fn in wrong.items()}
    assert not [d for d, m in messages.items() if m is None], messages
    generic = [d for d, m in messages.items() if GENERIC in m]
    assert len(generic) <= 0.2 * len(wrong), {d: messages[d] for d in generic}


@pytest.mark.parametrize("desc,keyword", [("no clipping", "clip"), ("P and R swapped", "swapped"),
                                          ("arithmetic mean", "harmonic"), ("str.split", "tokenization"),
                                          ("division by zero on empty", "empty")])
def test_rouge_n_messages_name_the_bug(desc, keyword):
    assert keyword in failure_message(checks.check_rouge_n, ROUGE_N_WRONG[desc])


@pytest.mark.parametrize("desc,keyword", [("longest common substring", "subsequence"), ("bag of words", "ROUGE-1"),
                                          ("recall as F", "F-measure")])
def test_rouge_l_messages_name_the_bug(desc, keyword):
    assert keyword in failure_message(checks.check_rouge_l, ROUGE_L_WRONG[desc])


@pytest.mark.parametrize("desc,keyword", [("no clipping", "clips"),
                                          ("no brevity penalty", "brevity penalty is missing"),
                                          ("brevity penalty on long hypotheses", "*short*"),
                                          ("arithmetic mean", "geometric"), ("smoothing ignored", "smoothing"),
                                          ("mean of sentence BLEU", "sums the n-gram counts"),
                                          ("lowercased", "case-sensitive"), ("sorts the input in place", "in place")])
def test_bleu_messages_name_the_bug(desc, keyword):
    assert keyword in failure_message(checks.check_corpus_bleu, BLEU_WRONG[desc])
