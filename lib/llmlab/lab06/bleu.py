"""BLEU from scratch, equal to ``sacrebleu`` (13a tokenization, case-sensitive, one reference per hypothesis).

    tokenize_13a("Hello, world.")            # 'Hello , world .' (mteval-v13a, as WMT scores)
    corpus_bleu(hypotheses, references)       # == sacrebleu.corpus_bleu(hypotheses, [references]).score
    sentence_bleu(hypothesis, reference)      # == sacrebleu.sentence_bleu(hypothesis, [reference]).score

BLEU (Papineni et al. 2002) = brevity penalty × geometric mean of the modified n-gram precisions, n = 1..4.
*Modified*: a hypothesis n-gram counts at most as often as it occurs in the reference (clipping). Over a
corpus, the counts and lengths are summed first and the score is computed once (not a mean of sentence
scores). The brevity penalty exp(1 − r/c) applies when the hypothesis is *shorter* (c < r) than the
reference. A precision of 0 makes the geometric mean 0, so single sentences need smoothing: sacrebleu's
``exp`` (its default, NIST's method 3) replaces the k-th zero precision by 1 / (2^k · total).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import NamedTuple, Sequence

MAX_ORDER = 4
SMOOTH_DEFAULTS = {"none": None, "floor": 0.1, "add-k": 1, "exp": None}

_13A = [(re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),
        (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
        (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
        (re.compile(r"([0-9])(-)"), r"\1 \2 ")]


def tokenize_13a(line: str) -> str:
    """sacrebleu's default tokenizer (mteval-v13a): punctuation split off, except inside numbers (3.5, 1,000)."""
    line = line.rstrip().replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    line = f" {line} "
    for pattern, repl in _13A:
        line = pattern.sub(repl, line)
    return " ".join(line.split())


class Stats(NamedTuple):
    """What BLEU needs from one segment (or, summed, from a corpus)."""
    hyp_len: int
    ref_len: int
    matches: tuple[int, ...]   # clipped n-gram matches, n = 1..4
    totals: tuple[int, ...]    # hypothesis n-grams, n = 1..4

    def __add__(self, other: "Stats") -> "Stats":   # type: ignore[override]
        return Stats(self.hyp_len + other.hyp_len, self.ref_len + other.ref_len,
                     tuple(a + b for a, b in zip(self.matches, other.matches)),
                     tuple(a + b for a, b in zip(self.totals, other.totals)))


def _ngrams(tokens: list[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def segment_stats(hypothesis: str, reference: str, lowercase: bool = False) -> Stats:
    if lowercase:
        hypothesis, reference = hypothesis.lower(), reference.lower()
    hyp, ref = tokenize_13a(hypothesis).split(), tokenize_13a(reference).split()
    matches, totals = [], []
    for n in range(1, MAX_ORDER + 1):
        h, r = _ngrams(hyp, n), _ngrams(ref, n)
        matches.append(sum(min(c, r[g]) for g, c in h.items()))
        totals.append(sum(h.values()))
    return Stats(len(hyp), len(ref), tuple(matches), tuple(totals))


def brevity_penalty(hyp_len: int, ref_len: int) -> float:
    if hyp_len >= ref_len:
        return 1.0
    return math.exp(1 - ref_len / hyp_len) if hyp_len > 0 else 0.0


class BLEUResult(NamedTuple):
    score: float               # 0-100
    precisions: tuple[float, ...]   # 0-100, after smoothing
    bp: float
    hyp_len: int
    ref_len: int


def smoothed_precisions(matches: Sequence[float], totals: Sequence[float], smooth_method: str,
                        smooth_value: float | None, effective_order: bool) -> tuple[list[float], int]:
    """sacrebleu's per-order precisions (0-100) after smoothing, and how many orders the mean runs over.
    An order with no hypothesis n-grams ends the loop unsmoothed (its precision stays 0)."""
    matches, totals = list(matches), list(totals)
    max_order = len(matches)
    precisions, smooth_exp, order = [0.0] * max_order, 1.0, max_order
    for n in range(1, max_order + 1):
        if smooth_method == "add-k" and n > 1:
            matches[n - 1] += smooth_value
            totals[n - 1] += smooth_value
        if totals[n - 1] == 0:
            break
        if effective_order:
            order = n
        if matches[n - 1] == 0:
            if smooth_method == "exp":
                smooth_exp *= 2
                precisions[n - 1] = 100.0 / (smooth_exp * totals[n - 1])
            elif smooth_method == "floor":
                precisions[n - 1] = 100.0 * smooth_value / totals[n - 1]
        else:
            precisions[n - 1] = 100.0 * matches[n - 1] / totals[n - 1]
    return precisions, order


def bleu_from_stats(stats: Stats, smooth_method: str = "exp", smooth_value: float | None = None,
                    effective_order: bool = False) -> BLEUResult:
    """sacrebleu's ``BLEU.compute_bleu``: smoothing, effective order, the geometric mean, the brevity penalty."""
    if smooth_method not in SMOOTH_DEFAULTS:
        raise ValueError(f"smooth_method must be one of {list(SMOOTH_DEFAULTS)}, got {smooth_method!r}")
    if smooth_value is None:
        smooth_value = SMOOTH_DEFAULTS[smooth_method]
    matches, totals = list(stats.matches), list(stats.totals)
    bp = brevity_penalty(stats.hyp_len, stats.ref_len)
    precisions = [0.0] * MAX_ORDER
    if not any(matches):
        return BLEUResult(0.0, tuple(precisions), bp, stats.hyp_len, stats.ref_len)
    precisions, order = smoothed_precisions(matches, totals, smooth_method, smooth_value, effective_order)
    log_mean = sum(math.log(p) if p > 0 else -9999999999 for p in precisions[:order]) / order
    return BLEUResult(bp * math.exp(log_mean), tuple(precisions), bp, stats.hyp_len, stats.ref_len)


def corpus_stats(hypotheses: Sequence[str], references: Sequence[str], lowercase: bool = False) -> Stats:
    if len(hypotheses) != len(references):
        raise ValueError(f"got {len(hypotheses)} hypotheses for {len(references)} references")
    total = Stats(0, 0, (0,) * MAX_ORDER, (0,) * MAX_ORDER)
    for h, r in zip(hypotheses, references):
        total = total + segment_stats(h, r, lowercase)
    return total


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str], smooth_method: str = "exp",
                smooth_value: float | None = None, lowercase: bool = False, effective_order: bool = False) -> float:
    """Corpus BLEU, 0-100 (sacrebleu's defaults: smoothing ``exp``, case-sensitive, 13a)."""
    return bleu_from_stats(corpus_stats(hypotheses, references, lowercase), smooth_method, smooth_value,
                           effective_order).score


def sentence_bleu(hypothesis: str, reference: str, smooth_method: str = "exp", smooth_value: float | None = None,
                  lowercase: bool = False) -> float:
    """Sentence BLEU, 0-100: one segment, with sacrebleu's sentence defaults (``exp`` smoothing, effective order)."""
    return bleu_from_stats(segment_stats(hypothesis, reference, lowercase), smooth_method, smooth_value,
                           effective_order=True).score
