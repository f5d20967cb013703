"""Checks for Lab 06's exercises: ROUGE-N, ROUGE-L and corpus BLEU, against rouge_score and sacrebleu.

    check_rouge_n(fn)       # fn(prediction, reference, n) -> (precision, recall, fmeasure)
    check_rouge_l(fn)       # fn(prediction, reference) -> (precision, recall, fmeasure)
    check_corpus_bleu(fn)   # fn(hypotheses, references, smooth_method="exp", effective_order=False) -> 0-100

Every case is scored by the reference library itself (``rouge_score.RougeScorer(use_stemmer=False)``,
``sacrebleu.corpus_bleu``) on random and adversarial texts: empty, punctuation only, non-ASCII letters, very
long, repeated words. On a mismatch the check recomputes the usual wrong versions on the failing case (counts
not clipped, precision and recall swapped, an arithmetic mean, a longest common substring, no lowercasing,
whitespace tokens, the brevity penalty missing or the wrong way round, smoothing off, a mean of sentence
scores, …) and names the one that reproduces the student's number.
"""
from __future__ import annotations

import math
import random
import re
from collections import Counter
from typing import Any, Callable, Sequence

import sacrebleu
from rouge_score import rouge_scorer

from llmlab.checks import call, fail, passed
from llmlab.checks import yours_or_reference  # noqa: F401 - the labs call checks.yours_or_reference
from llmlab.lab06 import bleu as B
from llmlab.lab06 import rouge as R

_SCORER = {n: rouge_scorer.RougeScorer([f"rouge{n}"], use_stemmer=False) for n in (1, 2, 3)}
_SCORER_L = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
_WORDS = ("the a cat dog sat on mat Mike really loves drinking tea coffee does not it is cold outside "
          "The Cat MIKE Tea").split()
_PUNCT = [",", ".", "!", "?", "'s", "--", "(", ")", "3.5", "1,000", "x-ray", "don't", "café", "naïve", "日本"]


def _random_text(rng: random.Random, lo: int = 0, hi: int = 25) -> str:
    out = []
    for _ in range(rng.randint(lo, hi)):
        out.append(rng.choice(_PUNCT) if rng.random() < 0.2 else rng.choice(_WORDS))
    return " ".join(out)


# ---- cases ------------------------------------------------------------------------------------------
def rouge_cases(seed: int = 0) -> list[tuple[str, str, str]]:
    """(description, prediction, reference): adversarial ones first, then random pairs."""
    long_ref = " ".join(_WORDS * 40)
    cases = [
        ("the course's pair", "Mike adores sipping tea.", "Mike really loves drinking tea."),
        ("a negation", "It is not cold outside.", "It is cold outside."),
        ("repeated words in the prediction", "the the the the cat", "the cat sat on the mat"),
        ("repeated words in the reference", "the cat", "the the the cat the"),
        ("a shorter prediction (precision != recall)", "cat sat", "the cat sat on the mat today"),
        ("the same words in another order", "mat the on sat cat the", "the cat sat on the mat"),
        ("order with gaps (subsequence vs substring)", "the big cat really sat on a mat", "the cat sat on the mat"),
        ("mixed case", "The CAT Sat", "the cat sat"),
        ("punctuation glued to words", "Mike's tea, really!", "mike s tea really"),
        ("non-ASCII letters", "café naïve 日本 tea", "caf na ve tea"),
        ("an empty prediction", "", "the cat sat"),
        ("an empty reference", "the cat sat", ""),
        ("both empty", "", ""),
        ("punctuation only", "... !!! ,,,", "?!"),
        ("a very long text", long_ref[: len(long_ref) // 2], long_ref),
    ]
    rng = random.Random(seed)
    cases += [(f"random pair {i}", _random_text(rng), _random_text(rng)) for i in range(40)]
    return cases


def bleu_cases(seed: int = 0) -> list[tuple[str, list[str], list[str], str, bool]]:
    """(description, hypotheses, references, smooth_method, effective_order)."""
    rng = random.Random(seed)
    rand = [(_random_text(rng, 3, 25), _random_text(rng, 3, 25)) for _ in range(30)]
    H, Rf = [h for h, _ in rand], [r for _, r in rand]
    long = " ".join(_WORDS * 30)
    cases = [
        ("one sentence, exact match", ["the cat sat on the mat ."], ["the cat sat on the mat ."], "exp", False),
        ("repeated words (clipping)", ["the the the the the the the ."], ["the cat is on the mat ."], "none", False),
        ("a shorter hypothesis (brevity penalty)", ["the cat sat on the mat"],
         ["the cat sat on the mat by the door today"], "none", False),
        ("a longer hypothesis (no brevity penalty)", ["the cat sat on the mat by the door today"],
         ["the cat sat on the mat"], "none", False),
        ("several sentences (corpus, not a mean)", ["the cat sat on the mat", "a dog", "it is cold outside today"],
         ["the cat sat on a mat", "the dog barked at the cat", "it is cold outside"], "none", False),
        ("a zero 4-gram precision, smoothing exp", ["Mike adores sipping tea every day"],
         ["Mike really loves drinking tea every day"], "exp", False),
        ("a zero 4-gram precision, no smoothing", ["Mike adores sipping tea every day"],
         ["Mike really loves drinking tea every day"], "none", False),
        ("floor smoothing", ["Mike adores sipping tea every day"], ["Mike really loves drinking tea every day"],
         "floor", False),
        ("add-k smoothing", ["Mike adores sipping tea every day"], ["Mike really loves drinking tea every day"],
         "add-k", False),
        ("case matters", ["The Cat Sat On The Mat"], ["the cat sat on the mat"], "exp", False),
        ("punctuation split off (13a)", ["Mike's tea, really!"], ["Mike's tea , really !"], "exp", False),
        ("numbers keep their points and commas", ["It costs 3.5 or 1,000 coins."], ["It costs 3.5 or 1,000 coins ."],
         "none", False),
        ("a two-word hypothesis, effective order", ["the cat"], ["the cat sat"], "exp", True),
        ("a two-word hypothesis, no effective order", ["the cat"], ["the cat sat"], "exp", False),
        ("an empty hypothesis", [""], ["the cat sat"], "exp", False),
        ("punctuation only", ["... !!!"], ["?!"], "exp", False),
        ("non-ASCII text", ["café naïve 日本 tea ."], ["café naïve 日本 tea ."], "exp", False),
        ("a very long sentence", [long[: len(long) // 2]], [long], "exp", False),
        ("random corpus, exp", H, Rf, "exp", False),
        ("random corpus, none", H, Rf, "none", False),
        ("random corpus, floor", H, Rf, "floor", False),
        ("random corpus, add-k", H, Rf, "add-k", False),
    ]
    return cases


def ref_rouge_n(prediction: str, reference: str, n: int) -> tuple[float, float, float]:
    s = _SCORER[n].score(reference, prediction)[f"rouge{n}"]
    return (s.precision, s.recall, s.fmeasure)


def ref_rouge_l(prediction: str, reference: str) -> tuple[float, float, float]:
    s = _SCORER_L.score(reference, prediction)["rougeL"]
    return (s.precision, s.recall, s.fmeasure)


def ref_corpus_bleu(hypotheses, references, smooth_method="exp", effective_order=False) -> float:
    return sacrebleu.corpus_bleu(list(hypotheses), [list(references)], smooth_method=smooth_method,
                                 use_effective_order=effective_order).score


# ---- the usual wrong versions (for the diagnosis) ---------------------------------------------------
def _tok(kind: str) -> Callable[[str], list[str]]:
    return {"rouge": R.tokenize,
            "no lowercase": lambda t: re.sub(r"[^A-Za-z0-9]+", " ", t).split(),
            "whitespace": lambda t: t.lower().split(),
            "unicode words": lambda t: re.findall(r"\w+", t.lower()),
            "keep apostrophes": lambda t: re.findall(r"[a-z0-9']+", t.lower())}[kind]


def _f(p: float, r: float, mean: str) -> float:
    if mean == "arithmetic":
        return (p + r) / 2
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def _grams(tokens: Sequence[str], n: int, off_by_one: bool = False) -> Counter:
    stop = len(tokens) - n + (0 if off_by_one else 1)
    return Counter(tuple(tokens[i:i + n]) for i in range(max(0, stop)))


def _rouge_n_variant(pred: str, ref: str, n: int, tok: str = "rouge", clip: bool = True, unique: bool = False,
                     swap: bool = False, mean: str = "harmonic", off_by_one: bool = False, f_is: str = "f"):
    P, Rr = _grams(_tok(tok)(pred), n, off_by_one), _grams(_tok(tok)(ref), n, off_by_one)
    if unique:
        P, Rr = Counter(set(P)), Counter(set(Rr))
    if clip:
        overlap = sum(min(c, P[g]) for g, c in Rr.items())
        overlap_p = overlap
    else:  # every occurrence counts: in the prediction for precision, in the reference for recall
        overlap_p = sum(c for g, c in P.items() if g in Rr)
        overlap = sum(c for g, c in Rr.items() if g in P)
    p = overlap_p / max(1, sum(P.values()))
    r = overlap / max(1, sum(Rr.values()))
    if swap:
        p, r = r, p
    f = {"f": _f(p, r, mean), "recall": r, "precision": p}[f_is]
    return (p, r, f)


ROUGE_N_BUGS: dict[str, tuple[dict, str]] = {
    "no clipping": (dict(clip=False), "an n-gram that repeats counts only as often as it occurs in the other text "
                                      "(clip: min(count in prediction, count in reference))."),
    "unique n-grams": (dict(unique=True), "repeated n-grams count each time they occur: count with a Counter, "
                                          "not a set."),
    "precision and recall swapped": (dict(swap=True), "precision and recall are swapped: precision divides the "
                                                      "overlap by the *prediction's* n-grams, recall by the "
                                                      "reference's."),
    "arithmetic mean": (dict(mean="arithmetic"), "the F-measure is the harmonic mean 2PR/(P+R), not (P+R)/2."),
    "recall as F": (dict(f_is="recall"), "the third value is the F-measure, not the recall "
                                         "(rouge_score's fmeasure = 2PR/(P+R))."),
    "precision as F": (dict(f_is="precision"), "the third value is the F-measure, not the precision."),
    "no lowercase": (dict(tok="no lowercase"), "tokenization: rouge_score lowercases the text first."),
    "whitespace tokens": (dict(tok="whitespace"), "tokenization: rouge_score replaces every run of characters "
                                                  "other than a-z and 0-9 by a space (after lowercasing), so "
                                                  "'tea,' is 'tea' and 'Mike's' is 'mike s'."),
    "unicode words": (dict(tok="unicode words"), "tokenization: only ASCII a-z and 0-9 survive ('café' -> 'caf'); "
                                                 "\\w keeps accented letters and other scripts."),
    "apostrophes kept": (dict(tok="keep apostrophes"), "tokenization: an apostrophe is a separator too "
                                                       "('mike's' -> 'mike', 's')."),
    "last n-gram missing": (dict(off_by_one=True), "the last n-gram is missing: a text of T tokens has T - n + 1 "
                                                   "n-grams (range(len(tokens) - n + 1))."),
}


def _lcs(a, b) -> int:
    return R.lcs_length(a, b)


def _substring(a, b) -> int:
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else 0)
        best = max(best, max(cur))
        prev = cur
    return best


def _rouge_l_variant(pred: str, ref: str, tok: str = "rouge", length: str = "lcs", swap: bool = False,
                     mean: str = "harmonic", f_is: str = "f"):
    P, Rr = _tok(tok)(pred), _tok(tok)(ref)
    if length == "chars":
        P, Rr = list(" ".join(P)), list(" ".join(Rr))
    if not P or not Rr:
        return (0.0, 0.0, 0.0)
    k = {"lcs": _lcs, "chars": _lcs, "substring": _substring,
         "unigram overlap": lambda a, b: sum((Counter(a) & Counter(b)).values())}[length](Rr, P)
    p, r = k / len(P), k / len(Rr)
    if swap:
        p, r = r, p
    return (p, r, {"f": _f(p, r, mean), "recall": r, "precision": p}[f_is])


ROUGE_L_BUGS: dict[str, tuple[dict, str]] = {
    "longest common substring": (dict(length="substring"), "that is the longest common *substring* (contiguous); "
                                                           "ROUGE-L uses the longest common *subsequence*: the "
                                                           "words in order, gaps allowed "
                                                           "(dp[i][j] = max(dp[i-1][j], dp[i][j-1]) on a mismatch)."),
    "unigram overlap": (dict(length="unigram overlap"), "that is ROUGE-1 (word overlap, any order); ROUGE-L counts "
                                                        "only words that appear in the same order in both."),
    "characters": (dict(length="chars"), "the LCS runs over tokens (words), not characters."),
    "precision and recall swapped": ROUGE_N_BUGS["precision and recall swapped"],
    "arithmetic mean": ROUGE_N_BUGS["arithmetic mean"],
    "recall as F": ROUGE_N_BUGS["recall as F"],
    "precision as F": ROUGE_N_BUGS["precision as F"],
    "no lowercase": ROUGE_N_BUGS["no lowercase"],
    "whitespace tokens": ROUGE_N_BUGS["whitespace tokens"],
    "unicode words": ROUGE_N_BUGS["unicode words"],
    "apostrophes kept": ROUGE_N_BUGS["apostrophes kept"],
}


def _bleu_variant(hyps, refs, smooth_method="exp", effective_order=False, clip=True, bp="right",
                  mean="geometric", tokenize="13a", lowercase=False, aggregate="corpus", max_order=4,
                  scale=100.0, smoothing=True, ref_len="ref"):
    tok = {"13a": B.tokenize_13a, "whitespace": lambda s: s, "rouge": lambda s: " ".join(R.tokenize(s))}[tokenize]

    def stats(h, r):
        if lowercase:
            h, r = h.lower(), r.lower()
        ht, rt = tok(h).split(), tok(r).split()
        m, t = [], []
        for n in range(1, max_order + 1):
            hg, rg = _grams(ht, n), _grams(rt, n)
            m.append(sum(min(c, rg[g]) if clip else (c if g in rg else 0) for g, c in hg.items()))
            t.append(sum(hg.values()))
        return [len(ht), len(rt) if ref_len == "ref" else len(ht), m, t]

    def score(st, sm):
        c, r, m, t = st
        pen = {"right": (1.0 if c >= r else (math.exp(1 - r / c) if c > 0 else 0.0)),
               "none": 1.0,
               "wrong way": (1.0 if c <= r else math.exp(1 - c / r) if r > 0 else 0.0),
               "inverted": (1.0 if c >= r else math.exp(1 - c / r) if r > 0 else 0.0)}[bp]
        if not any(m):
            return 0.0
        sm = sm if smoothing else "none"
        prec, order = B.smoothed_precisions(m, t, sm, B.SMOOTH_DEFAULTS.get(sm), effective_order)
        if mean == "arithmetic":
            value = pen * sum(prec[:order]) / order
        else:
            value = pen * math.exp(sum(math.log(p) if p > 0 else -9999999999 for p in prec[:order]) / order)
        return value * scale / 100.0

    all_stats = [stats(h, r) for h, r in zip(hyps, refs)]
    if aggregate == "mean of sentences":
        return sum(score(s, smooth_method) for s in all_stats) / max(1, len(all_stats))
    tot = [sum(s[0] for s in all_stats), sum(s[1] for s in all_stats),
           [sum(s[2][i] for s in all_stats) for i in range(max_order)],
           [sum(s[3][i] for s in all_stats) for i in range(max_order)]]
    return score(tot, smooth_method)


BLEU_BUGS: dict[str, tuple[dict, str]] = {
    "no clipping": (dict(clip=False), "modified precision clips each hypothesis n-gram count to its count in the "
                                      "reference: 'the the the ...' must not score 7/7 unigrams."),
    "no brevity penalty": (dict(bp="none"), "the brevity penalty is missing: a hypothesis shorter than the "
                                            "reference (c < r) is multiplied by exp(1 - r/c)."),
    "brevity penalty the wrong way round": (dict(bp="wrong way"), "the brevity penalty punishes *short* "
                                                                  "hypotheses (c < r), not long ones."),
    "brevity penalty inverted": (dict(bp="inverted"), "the brevity penalty is exp(1 - r/c) (reference length over "
                                                      "hypothesis length), not exp(1 - c/r)."),
    "arithmetic mean": (dict(mean="arithmetic"), "BLEU combines the n-gram precisions by their *geometric* mean, "
                                                 "exp(mean(log p_n)), not the arithmetic mean."),
    "smoothing off": (dict(smoothing=False), "smoothing is ignored: with smooth_method='exp' the k-th zero "
                                             "precision becomes 100 / (2^k · total_n); 'floor' and 'add-k' differ."),
    "mean of sentence scores": (dict(aggregate="mean of sentences"), "corpus BLEU sums the n-gram counts and "
                                                                     "lengths over all sentences and computes one "
                                                                     "score; it is not the mean of sentence BLEUs."),
    "lowercased": (dict(lowercase=True), "sacrebleu's BLEU is case-sensitive by default: do not lowercase."),
    "whitespace tokens": (dict(tokenize="whitespace"), "tokenize with `tokenize_13a` first (punctuation split off), "
                                                       "not str.split() alone."),
    "rouge tokens": (dict(tokenize="rouge"), "BLEU keeps punctuation and case (13a); ROUGE's tokenizer drops them."),
    "effective order ignored": (dict(effective_order="flip"), "effective_order=True averages only over the orders "
                                                              "the hypothesis has (a 2-word sentence: n = 1, 2)."),
    "max order 3": (dict(max_order=3), "BLEU uses n-grams up to n = 4."),
    "scale 0-1": (dict(scale=1.0), "report BLEU on sacrebleu's 0-100 scale."),
}


# ---- comparing --------------------------------------------------------------------------------------------
def _triple(ex: str, got: Any, desc: str) -> tuple[float, float, float]:
    try:
        vals = tuple(float(v) for v in got)
    except (TypeError, ValueError):
        fail(ex, f"return (precision, recall, fmeasure) as three numbers, got {got!r} (case: {desc}).")
    if len(vals) != 3:
        fail(ex, f"return three numbers (precision, recall, fmeasure), got {len(vals)} (case: {desc}).")
    return vals


def _near(a: Sequence[float], b: Sequence[float], tol: float = 1e-6) -> bool:
    return all(abs(x - y) <= tol * max(1.0, abs(y)) for x, y in zip(a, b))


def _run(ex: str, fn: Callable, desc: str, *args, **kwargs):
    try:
        return call(ex, fn, *args, **kwargs)
    except Exception as err:  # noqa: BLE001 - a crash of the student's code becomes a message
        if type(err).__name__ == "CheckFailed":
            raise
        hint = (" An empty text has no n-grams: guard the divisions (rouge_score divides by max(count, 1) and "
                "returns 0 for an empty side)." if isinstance(err, ZeroDivisionError) else "")
        fail(ex, f"your function raised {type(err).__name__}: {err} on the case: {desc}.{hint}")


def _same(a, b) -> bool:
    return _near(a, b) if isinstance(a, tuple) else abs(a - b) <= 1e-6 * max(1.0, abs(b))


def _diagnose(ex: str, seen: list, failing: tuple, bugs: dict, variant: Callable, fmt) -> None:
    """``seen``: every (args, got, want) so far, the failing one last. Name the wrong version that reproduces the
    student's numbers on *all* of them (else the first that reproduces the failing case)."""
    def value(kw, args):
        if kw.get("effective_order") == "flip":
            return variant(*args[:3], **dict(kw, effective_order=not args[3]))
        return variant(*args, **kw)

    args, got, want, desc = failing
    on_case = []
    for _, (kw, message) in bugs.items():
        wrong = value(kw, args)
        if _same(got, wrong) and not _same(wrong, want):
            on_case.append((kw, message))
    for kw, message in on_case:
        if all(_same(g, value(kw, a)) for a, g, _, _ in seen):
            fail(ex, f"{message}\n  case: {desc}: got {fmt.format(got)}, expected {fmt.format(want)}.")
    if on_case:
        fail(ex, f"{on_case[0][1]}\n  case: {desc}: got {fmt.format(got)}, expected {fmt.format(want)}.")
    fail(ex, f"differs from the reference library on the case: {desc}: got {fmt.format(got)}, expected "
             f"{fmt.format(want)}.")


def _fmt_triple(t) -> str:
    return "(P {:.4f}, R {:.4f}, F {:.4f})".format(*t)


class _Fmt:
    def __init__(self, f):
        self.f = f

    def format(self, x):
        return self.f(x)


def check_rouge_n(fn: Callable[[str, str, int], Any], name: str = "ROUGE-N") -> None:
    """``fn(prediction, reference, n) -> (precision, recall, fmeasure)`` == rouge_score's ``rouge{n}``."""
    seen, bad = [], None
    for desc, pred, ref in rouge_cases():
        for n in (1, 2):
            d = f"{desc}, n={n}: prediction {pred[:60]!r}, reference {ref[:60]!r}"
            got = _triple(name, _run(name, fn, d, pred, ref, n), d)
            want = ref_rouge_n(pred, ref, n)
            seen.append(((pred, ref, n), got, want, d))
            bad = bad or (None if _near(got, want) else seen[-1])
    if bad:
        _diagnose(name, seen, bad, ROUGE_N_BUGS, _rouge_n_variant, _Fmt(_fmt_triple))
    passed(name, f"{len(seen)} cases (random and adversarial, n = 1 and 2) agree with rouge_score")


def check_rouge_l(fn: Callable[[str, str], Any], name: str = "ROUGE-L") -> None:
    """``fn(prediction, reference) -> (precision, recall, fmeasure)`` == rouge_score's ``rougeL``."""
    seen, bad = [], None
    for desc, pred, ref in rouge_cases(seed=1):
        d = f"{desc}: prediction {pred[:60]!r}, reference {ref[:60]!r}"
        got = _triple(name, _run(name, fn, d, pred, ref), d)
        want = ref_rouge_l(pred, ref)
        seen.append(((pred, ref), got, want, d))
        bad = bad or (None if _near(got, want) else seen[-1])
    if bad:
        _diagnose(name, seen, bad, ROUGE_L_BUGS, _rouge_l_variant, _Fmt(_fmt_triple))
    passed(name, f"{len(seen)} cases agree with rouge_score")


def check_corpus_bleu(fn: Callable[..., Any], name: str = "corpus BLEU") -> None:
    """``fn(hypotheses, references, smooth_method="exp", effective_order=False)`` == sacrebleu.corpus_bleu."""
    seen, bad = [], None
    for desc, hyps, refs, smooth, eo in bleu_cases():
        d = (f"{desc} (smooth_method={smooth!r}, effective_order={eo}): hypotheses {[h[:40] for h in hyps[:3]]}"
             f"{' ...' if len(hyps) > 3 else ''}, references {[r[:40] for r in refs[:3]]}")
        before = (list(hyps), list(refs))
        got = _run(name, fn, d, hyps, refs, smooth_method=smooth, effective_order=eo)
        if (list(hyps), list(refs)) != before:
            fail(name, f"you changed the input lists in place (case: {d}).")
        try:
            got = float(got)
        except (TypeError, ValueError):
            fail(name, f"return the score as one number (0-100), got {got!r} (case: {d}).")
        if not math.isfinite(got):
            fail(name, f"the score is {got} (case: {d}): a zero precision's log needs smoothing, or BLEU is 0 "
                       "when nothing matches.")
        want = ref_corpus_bleu(hyps, refs, smooth, eo)
        seen.append(((hyps, refs, smooth, eo), got, want, d))
        bad = bad or (None if _same(got, want) else seen[-1])
    if bad:
        _diagnose(name, seen, bad, BLEU_BUGS, _bleu_variant, _Fmt("{:.4f}".format))
    passed(name, f"{len(seen)} cases (one sentence and corpora, four smoothing methods) agree with sacrebleu")
