"""Checks for Lab 01's decoding exercises (temperature, top-k, top-p, repetition penalty, greedy, sampling).

Each ``check_*`` runs a student's function on a few hundred seeded random cases plus hand-made
edge cases (ties, an exact top-p crossing, p = 1, k larger than the vocabulary, -inf entries
already present, batches, negative logits), compares the answer with the Hugging Face processor
that ``model.generate`` uses, and on a mismatch names the likely bug. The checks build their own
tensors, so nothing of the caller's is touched.

    from llmlab.lab01.checks import check_top_p
    check_top_p(top_p)        # ✓ top-p: 236 cases agree with transformers.TopPLogitsWarper ...
"""
from __future__ import annotations

import inspect
import math
from typing import Any, Callable, Iterator

import torch
from torch import Tensor
from transformers import (RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper, TopKLogitsWarper,
                          TopPLogitsWarper)

from llmlab.checks import (CheckFailed, allclose, call, close, fail, generator, passed, run_case, single_threaded,
                           tensor_like)
from llmlab.checks import yours_or_reference  # noqa: F401 - the labs call checks.yours_or_reference

NEG_INF = float("-inf")
Case = tuple[str, tuple]  # (description, positional arguments for the student's function)

# ----------------------------------------------------------------------------------------------
# the references: exactly what model.generate applies


def _hf_temperature(logits: Tensor, t: float) -> Tensor:
    return TemperatureLogitsWarper(float(t))(None, logits.clone())


def _hf_top_k(logits: Tensor, k: int) -> Tensor:
    return TopKLogitsWarper(top_k=int(k))(None, logits.clone())


def _hf_top_p(logits: Tensor, p: float) -> Tensor:
    return TopPLogitsWarper(top_p=float(p))(None, logits.clone())


def _hf_repetition(logits: Tensor, input_ids: Tensor, penalty: float) -> Tensor:
    return RepetitionPenaltyLogitsProcessor(penalty=float(penalty))(input_ids.clone(), logits.clone())


# ----------------------------------------------------------------------------------------------
# shared machinery


def _fmt(values: Tensor | list, digits: int = 3) -> str:
    vals = values.tolist() if isinstance(values, Tensor) else list(values)
    return "[" + ", ".join("-inf" if v == NEG_INF else f"{v:.{digits}g}" if isinstance(v, float) else str(v)
                           for v in vals) + "]"


def _tokens(n: int) -> str:
    return f"{n} token" if n == 1 else f"{n} tokens"


def _row_hint(logits: Tensor, row: int) -> str:
    """The failing row itself when it is small enough to read."""
    return f" Row {row} of the logits: {_fmt(logits[row])}." if logits.shape[-1] <= 12 else ""


def _run(ex: str, fn: Callable, desc: str, *args: Any, crash_hint: str = "") -> Any:
    """Call ``fn`` on copies the check can compare afterwards; catch crashes and in-place edits."""
    out = run_case(ex, fn, desc, *args, names=("logits", "input_ids"), crash_hint=crash_hint,
                   inplace_hint="The caller still needs the original scores: return a new tensor (`x / t`, "
                                "`masked_fill`, `scatter`) instead of changing the input (`/=`, `masked_fill_`, "
                                "`scatter_`, `x[mask] = ...`), or `.clone()` it first.")
    if isinstance(out, Tensor) and out.numel() and out.data_ptr() == args[0].data_ptr():
        fail(ex, f"you returned the input tensor itself (or a view of it) (case: {desc}): the caller gets its own "
                 "logits back, and a later in-place edit of one changes the other. Return a new tensor, even "
                 "when nothing changes (`logits.clone()`).")
    return out


def _looks_like_probs(got: Tensor, expected: Tensor, logits: Tensor) -> bool:
    """Wrong, every value in [0, 1], and rows summing to 1 or the reference clearly not in [0, 1]."""
    if not got.is_floating_point() or got.numel() == 0 or not torch.isfinite(got).all():
        return False
    in_unit = bool(((got >= 0) & (got <= 1)).all())

    if not in_unit or allclose(got, expected):
        return False

    def outside(x: Tensor) -> bool:
        return bool((torch.isfinite(x) & ((x < 0) | (x > 1))).any())
    sums_to_one = bool(((got.double().sum(-1) - 1).abs() < 1e-4).all())
    return sums_to_one or (outside(expected) and outside(logits))


def _shape_and_probs(ex: str, got: Any, expected: Tensor, logits: Tensor, desc: str) -> Tensor:
    tensor_like(ex, got, expected)
    if _looks_like_probs(got, expected, logits):
        fail(ex, f"you returned probabilities, not logits (every value is in [0, 1]; case: {desc}). "
                 "Return the transformed logits and leave softmax to the sampling step.")
    return got


def _shift_only(got: Tensor, expected: Tensor) -> bool:
    """got = expected + a constant per row (e.g. log-softmax of the right logits), not equal."""
    fin = torch.isfinite(expected) & torch.isfinite(got)
    if not fin.any() or not torch.equal(torch.isfinite(got), torch.isfinite(expected)):
        return False
    diff = torch.where(fin, got.double() - expected.double(), torch.nan)
    lo = torch.nan_to_num(diff, nan=math.inf).min(-1).values
    hi = torch.nan_to_num(diff, nan=-math.inf).max(-1).values
    ok = torch.isfinite(lo) & torch.isfinite(hi)
    return bool((ok & ((hi - lo) < 1e-4)).all() and (lo[ok].abs() > 1e-4).any())


def _random_logits(g: torch.Generator, B: int, V: int, kind: str) -> Tensor:
    if kind == "ties":  # small integers: many exact ties
        return torch.randint(-3, 4, (B, V), generator=g).float()
    if kind == "negative":
        return -torch.rand(B, V, generator=g) * 6 - 0.1
    x = torch.randn(B, V, generator=g) * (0.5 + 3 * torch.rand(1, generator=g).item())
    if kind == "neginf":  # some entries already masked, never a whole row
        drop = torch.rand(B, V, generator=g) < 0.3
        drop[:, 0] = False
        x = x.masked_fill(drop, NEG_INF)
    return x


def _kinds(i: int) -> str:
    return ("plain", "ties", "neginf", "negative", "plain")[i % 5]


# ----------------------------------------------------------------------------------------------
# Exercise: temperature


def _temperature_cases(n: int = 200) -> Iterator[Case]:
    ts = [0.1, 0.25, 0.5, 0.7, 1.0, 1.3, 2.0, 5.0, 10.0, 100.0, 0.01]
    g = generator(1)
    yield "one row (1, 5) of simple logits, t = 0.5", (torch.tensor([[2.0, 1.0, 0.0, -1.0, -2.0]]), 0.5)
    yield "one row (1, 5) of simple logits, t = 2.0", (torch.tensor([[2.0, 1.0, 0.0, -1.0, -2.0]]), 2.0)
    yield "t = 1 (no change)", (torch.tensor([[3.0, -1.0, 0.5]]), 1.0)
    yield "-inf entries already present, t = 0.5", (torch.tensor([[1.0, NEG_INF, 2.0, NEG_INF]]), 0.5)
    yield "float64 logits, t = 0.7: return float64", (torch.tensor([[2.0, -1.0, 0.5]], dtype=torch.float64), 0.7)
    for i in range(n):
        B, V = 1 + i % 4, 2 + (i * 7) % 40
        t = ts[i % len(ts)] if i % 3 else round(0.05 + 5 * torch.rand(1, generator=g).item(), 3)
        kind = _kinds(i) if _kinds(i) != "ties" else "plain"
        yield f"random logits {(B, V)} ({kind}), t = {t}", (_random_logits(g, B, V, kind), t)


@single_threaded
def check_temperature(fn: Callable[[Tensor, float], Tensor], name: str = "temperature") -> None:
    """``fn(logits (B, V), t) -> logits (B, V)``, compared with ``TemperatureLogitsWarper``."""
    ex, n = name, 0
    for desc, (logits, t) in _temperature_cases():
        got = _run(ex, fn, desc, logits, t)
        exp = _hf_temperature(logits, t)
        _shape_and_probs(ex, got, exp, logits, desc)
        n += 1
        if allclose(got, exp):
            continue
        if t != 1.0 and allclose(got, logits * t):
            fail(ex, f"you multiplied the logits by t instead of dividing (case: {desc}). Temperature "
                     "divides: logits / t, so t < 1 makes the distribution sharper.")
        if t != 1.0 and allclose(got, logits):
            fail(ex, f"the logits came back unchanged although t = {t} (case: {desc}).")
        if t != 1.0 and allclose(got, logits / t ** 2):
            fail(ex, f"you divided by t² (case: {desc}): temperature divides the logits by t once.")
        if allclose(got, torch.div(logits, t, rounding_mode="floor")) or (t != int(t) and int(t) > 0
                                                                           and allclose(got, logits / int(t))):
            fail(ex, f"your result is rounded (case: {desc}): use true division, logits / t, with t as the float it "
                     "is (no //, no int(t)).")
        if bool((torch.isinf(got) & torch.isfinite(logits)).any()):
            fail(ex, f"your result has inf where the logits were finite (case: {desc}): did t become 0 (int(t) of a "
                     "t below 1?) or an exp() overflow? Return logits / t.")
        if bool((torch.isinf(logits) & torch.isfinite(got)).any()):
            fail(ex, f"a masked (-inf) logit came back finite (case: {desc}): -inf / t is -inf; do not clamp or "
                     "replace it, or a token that was filtered out can be sampled again.")
        if _shift_only(got, exp):
            fail(ex, f"your result is the right distribution shifted by a constant per row (log-softmax?) "
                     f"(case: {desc}). Return just logits / t: no softmax, no log.")
        close(ex, got, exp, hint=f"Expected logits / t (case: {desc}).")
    for bad_t in (0.0, -1.0, -0.5):
        try:
            call(ex, fn, torch.tensor([[1.0, 2.0, 3.0]]), bad_t)
        except CheckFailed:
            raise
        except ValueError:
            n += 1
            continue
        except Exception as err:  # noqa: BLE001 - the wrong kind of error is named below
            fail(ex, f"t = {bad_t} raised {type(err).__name__} ({err}); raise a ValueError, the error Python uses "
                     "for an argument of the right type but a bad value: `if t <= 0: raise ValueError(...)` "
                     "(an `assert` disappears under python -O, and callers catch ValueError).")
        fail(ex, f"t = {bad_t} should raise an error (e.g. `raise ValueError(...)`), not return a result: "
                 "dividing by t <= 0 gives inf/nan or flips the ranking. Greedy decoding is the t -> 0 "
                 "limit; use argmax for it.")
    passed(ex, f"{n} cases agree with transformers.TemperatureLogitsWarper (and t <= 0 is refused)")


# ----------------------------------------------------------------------------------------------
# helpers shared by the two filters (top-k, top-p)


def _check_filtered(ex: str, logits: Tensor, got: Any, exp: Tensor, desc: str) -> Tensor:
    """Shape, probabilities, un-sorted order, mask value and untouched kept logits; returns kept mask."""
    _shape_and_probs(ex, got, exp, logits, desc)
    got_kept = got > NEG_INF
    # sorted but never scattered back: the surviving values sit in sorted order
    for descending in (True, False):
        srt = logits.sort(dim=-1, descending=descending).values
        if not torch.equal(srt, logits) and bool(((got == srt) | ~got_kept).all()) \
                and not bool(((got == logits) | ~got_kept).all()):
            fail(ex, f"your output is in sorted order (case: {desc}): you sorted but never un-sorted. "
                     "Scatter the mask (or the values) back to vocabulary order, e.g. "
                     "`mask.scatter(-1, sorted_idx, sorted_mask)`, so position j still means token j.")
    removed = exp == NEG_INF
    leak = removed & got_kept & (got != logits)
    if leak.any():
        r, j = (int(i) for i in leak.nonzero()[0])
        fail(ex, f"tokens you remove must be set to -inf (filter_value), so that softmax gives them "
                 f"probability exactly 0; token {j} of row {r} became {got[r, j].item():.4g} "
                 f"(case: {desc}). Use `logits.masked_fill(remove, float('-inf'))`.")
    changed = got_kept & (got != logits)
    if changed.any():
        r, j = (int(i) for i in changed.nonzero()[0])
        fail(ex, f"the tokens you keep must keep their original logits: token {j} of row {r} was "
                 f"{logits[r, j].item():.4g} and came back as {got[r, j].item():.4g} (case: {desc}). "
                 "Only mask; do not rescale or renormalise.")
    return got_kept


# ----------------------------------------------------------------------------------------------
# Exercise: top-k


def _top_k_cases(n: int = 200) -> Iterator[Case]:
    g = generator(2)
    yield "one row, k = 2", (torch.tensor([[1.0, 3.0, 2.0, 0.0]]), 2)
    yield "ties at the k-th largest: [3, 2, 2, 2, 1], k = 2", (torch.tensor([[3.0, 2.0, 2.0, 2.0, 1.0]]), 2)
    yield "ties at the top: [5, 5, 1, 0], k = 1", (torch.tensor([[5.0, 5.0, 1.0, 0.0]]), 1)
    yield "k = 1 (greedy)", (torch.tensor([[0.1, -0.3, 0.9, 0.2]]), 1)
    yield "k = V (keep all)", (torch.tensor([[0.1, -0.3, 0.9, 0.2]]), 4)
    yield "k > V: k = 10 with 4 tokens", (torch.tensor([[0.1, -0.3, 0.9, 0.2]]), 10)
    yield "all logits equal, k = 2", (torch.zeros(2, 5), 2)
    yield "-inf already present, k = 3", (torch.tensor([[1.0, NEG_INF, 2.0, NEG_INF, 0.5, 0.7]]), 3)
    yield "more -inf than V - k, k = 4", (torch.tensor([[1.0, NEG_INF, 2.0, NEG_INF, NEG_INF]]), 4)
    yield "batch of 3 with different rows, k = 2", (torch.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0],
                                                                   [2.0, 3.0, 1.0]]), 2)
    yield "negative logits only, k = 2", (torch.tensor([[-4.0, -1.0, -2.5, -0.5]]), 2)
    yield "logits far apart (probabilities underflow to 0): [0, -200, -300, -400, -500], k = 2", \
        (torch.tensor([[0.0, -200.0, -300.0, -400.0, -500.0]]), 2)
    yield "float64 logits, k = 2: return float64", (torch.tensor([[1.0, 3.0, 2.0, 0.0]], dtype=torch.float64), 2)
    for i in range(n):
        B, V = 1 + i % 4, 2 + (i * 5) % 40
        k = 1 + int(torch.randint(0, V + 3, (1,), generator=g))  # sometimes > V
        kind = _kinds(i)
        yield f"random logits {(B, V)} ({kind}), k = {k}", (_random_logits(g, B, V, kind), k)


def _diagnose_top_k(ex: str, logits: Tensor, k: int, got_kept: Tensor, exp_kept: Tensor, desc: str) -> None:
    V = logits.shape[-1]
    kk = min(k, V)
    kth = torch.topk(logits, kk, dim=-1).values[..., -1:]
    probs = logits.softmax(-1)
    if torch.equal(got_kept, probs >= torch.topk(probs, kk, dim=-1).values[..., -1:]):
        fail(ex, f"you compared probabilities (case: {desc}): very unlikely tokens all underflow to probability 0 "
                 "and tie. Compare the logits themselves with the k-th largest logit.")
    if logits.shape[0] > 1 and torch.equal(got_kept, logits >= kth[:1]):
        fail(ex, f"every row used row 0's threshold (case: {desc}): take the k-th largest of each row, "
                 "torch.topk(logits, k, dim=-1).values[..., -1:], shape (B, 1).")
    if logits.shape[0] >= kk and torch.equal(got_kept, logits >= torch.topk(logits, kk, dim=0).values[-1:]):
        fail(ex, f"you took the top k over the batch dimension (case: {desc}): use dim=-1, the vocabulary.")
    bad_rows = (got_kept != exp_kept).any(-1).nonzero()
    r = int(bad_rows[0])
    n_got, n_exp = int(got_kept[r].sum()), int(exp_kept[r].sum())
    head = f"top-k kept {_tokens(n_got)} in row {r}, expected {n_exp} (k = {k}; case: {desc})."
    if torch.equal(got_kept, logits > kth) and not torch.equal(exp_kept, logits > kth):
        fail(ex, f"{head} Did you use `>` instead of `>=` against the k-th largest value? The k-th "
                 "largest itself, and every token tied with it, must be kept." + _row_hint(logits, r))
    ties = int((logits[r] == kth[r]).sum())
    if n_got == kk and n_exp > kk and bool((got_kept[r] <= exp_kept[r]).all()):
        fail(ex, f"{head} Row {r} has {ties} tokens tied at the k-th largest value "
                 f"{kth[r].item():.4g}; HF keeps every token >= the k-th largest, so the row keeps "
                 f"{n_exp}. Compare the logits with the k-th largest value (`logits < kth` -> remove) "
                 "instead of scattering exactly k indices." + _row_hint(logits, r))
    if n_got == n_exp:
        smallest = torch.topk(logits[r], kk, largest=False).indices
        if bool(got_kept[r, smallest].all()) and kk < V:
            fail(ex, f"row {r} kept the k *smallest* logits (case: {desc}): keep the k largest "
                     "(torch.topk's default, largest=True)." + _row_hint(logits, r))
        fail(ex, f"row {r} kept the right number of tokens ({n_got}) but not the k largest (case: {desc}). "
                 "If you sorted, map the mask back with scatter(-1, sorted_idx, ...)." + _row_hint(logits, r))
    if abs(n_got - n_exp) == 1 and ties == 1:
        fail(ex, f"{head} Off by one? `torch.topk(logits, k).values[..., -1]` (or the sorted value at "
                 "index k - 1) is the k-th largest." + _row_hint(logits, r))
    if n_got < kk and k > V:
        fail(ex, f"{head} k = {k} is larger than the vocabulary ({V}): clamp it, min(k, V), which keeps "
                 "every token." + _row_hint(logits, r))
    fail(ex, f"{head} Keep every token whose logit is >= the k-th largest of its row; set the rest "
             "to -inf." + _row_hint(logits, r))


@single_threaded
def check_top_k(fn: Callable[[Tensor, int], Tensor], name: str = "top-k") -> None:
    """``fn(logits (B, V), k) -> logits (B, V)``, compared with ``TopKLogitsWarper``."""
    ex, n = name, 0
    for desc, (logits, k) in _top_k_cases():
        clamp = "k is larger than the vocabulary here: clamp it, k = min(k, logits.size(-1))." \
            if k > logits.shape[-1] else ""
        got = _run(ex, fn, desc, logits, k, crash_hint=clamp)
        exp = _hf_top_k(logits, k)
        got_kept = _check_filtered(ex, logits, got, exp, desc)
        exp_kept = exp > NEG_INF
        if not torch.equal(got_kept, exp_kept):
            _diagnose_top_k(ex, logits, k, got_kept, exp_kept, desc)
        n += 1
    passed(ex, f"{n} cases agree with transformers.TopKLogitsWarper (ties, k > V, -inf entries, batches)")


# ----------------------------------------------------------------------------------------------
# Exercise: top-p


def _safe_p(probs_desc: Tensor, g: torch.Generator, margin: float = 1e-3) -> float:
    """A p that no cumulative sum comes within ``margin`` of, so float32 rounding (~1e-6 here) cannot flip the
    answer; a margin of 2e-4 is still far above it, and below what float16 (3 digits) resolves."""
    cum = probs_desc.double().cumsum(-1)
    for _ in range(100):
        p = round(0.05 + 0.93 * torch.rand(1, generator=g).item(), 5)
        if not bool(((cum - p).abs() < margin).any()):
            return p
    return 0.999999  # pragma: no cover - practically unreachable


def _top_p_cases(n: int = 200) -> Iterator[Case]:
    g = generator(3)
    # exact: softmax of equal logits is exactly 1/V for V a power of two, and so are the sums
    yield "probs [0.25, 0.25, 0.25, 0.25] (equal logits), p = 0.5: mass reaches p exactly at 2 tokens", \
        (torch.zeros(1, 4), 0.5)
    yield "equal logits over 8 tokens, p = 0.75: mass reaches p exactly at 6 tokens", (torch.zeros(1, 8), 0.75)
    yield "equal logits over 4 tokens, p = 0.3 (crossing token is the 2nd)", (torch.zeros(1, 4), 0.3)
    yield "[0, 0, -inf, -inf] with p = 0.5: exactly one token's mass", \
        (torch.tensor([[0.0, 0.0, NEG_INF, NEG_INF]]), 0.5)
    yield "probs ~ [0.5, 0.3, 0.2], p = 0.6: the crossing token (2nd) must be kept", \
        (torch.tensor([[0.5, 0.3, 0.2]]).log(), 0.6)
    yield "probs ~ [0.5, 0.3, 0.2], p = 0.9: keep all three", (torch.tensor([[0.5, 0.3, 0.2]]).log(), 0.9)
    yield "p = 1.0 keeps every token", (torch.tensor([[2.0, 1.0, 0.0, -1.0, -3.0]]), 1.0)
    yield "very small p = 1e-6 keeps only the most likely token", (torch.tensor([[0.3, 2.0, -1.0, 1.9]]), 1e-6)
    yield "p = 0 still keeps the most likely token (as Hugging Face does)", (torch.tensor([[0.3, 2.0, -1.0]]), 0.0)
    yield "very small p with a tie at the top keeps one of the tied tokens", \
        (torch.tensor([[2.0, 0.0, 2.0, -1.0]]), 1e-6)
    yield "most likely token alone has mass > p: keep exactly 1", (torch.tensor([[5.0, 0.0, 0.0, 0.0]]), 0.5)
    yield "-inf already present, p = 0.8", (torch.tensor([[1.0, NEG_INF, 2.0, 0.5, NEG_INF, 1.5]]), 0.8)
    yield "a single token (V = 1), p = 0.5", (torch.tensor([[0.7]]), 0.5)
    yield "large logits (exp overflows float32 without subtracting the max): [100, 99.5, 98, 60], p = 0.7", \
        (torch.tensor([[100.0, 99.5, 98.0, 60.0]]), 0.7)
    yield "float64 logits, p = 0.6: return float64", (torch.tensor([[0.5, 0.3, 0.2]], dtype=torch.float64).log(), 0.6)
    yield "batch of 3 rows needing 1, 2 and 3 tokens, p = 0.7", \
        (torch.tensor([[0.9, 0.05, 0.05], [0.5, 0.4, 0.1], [0.34, 0.33, 0.33]]).log(), 0.7)
    for i in range(n):
        B, V = 1 + i % 4, 2 + (i * 3) % 40
        kind = _kinds(i)
        logits = _random_logits(g, B, V, kind)
        probs_desc = logits.softmax(-1).sort(-1, descending=True).values  # (B, V)
        p = 1.0 if i % 40 == 7 else _safe_p(probs_desc, g)
        yield f"random logits {(B, V)} ({kind}), p = {p}", (logits, p)
    for i in range(n // 2):                    # p close to a cumulative sum: float32 resolves it, float16 not
        B, V = 1 + i % 3, 20 + (i * 7) % 30
        logits = _random_logits(g, B, V, "plain")
        cum = logits.double().softmax(-1).sort(-1, descending=True).values.cumsum(-1)
        p = round(float(cum[0, min(3 + i % 5, V - 2)]) + (2e-4 if i % 2 else -2e-4), 6)
        if bool(((cum - p).abs() < 1e-4).any()):
            continue
        yield f"random logits {(B, V)}, p = {p}, within 2e-4 of a cumulative sum", (logits, p)


def _top_p_masks(logits: Tensor, p: float) -> dict[str, Tensor]:
    """Kept-token counts per row for the right rule and for the usual wrong ones (float64)."""
    probs = logits.double().softmax(-1).sort(-1, descending=True).values
    cum = probs.cumsum(-1)
    before = cum - probs
    eps = 1e-9
    return {
        "right": (before < p - eps).sum(-1).clamp(min=1),          # mass before token < p
        "exclusive": (cum <= p + eps).sum(-1),                      # only tokens with cum <= p
        "strict": (before <= p + eps).sum(-1).clamp(min=1),         # stops only once mass > p
    }


def _top_p_bug_mask(logits: Tensor, p: float, bug: str) -> Tensor:
    """The kept mask of plausible wrong versions: un-sorting with gather, sorting ascending, probabilities
    computed in float16 or bfloat16."""
    sorted_logits, idx = logits.sort(dim=-1, descending=(bug != "ascending"))
    low = {"float16": torch.float16, "bfloat16": torch.bfloat16}.get(bug)
    probs = sorted_logits.to(low).softmax(-1) if low else sorted_logits.softmax(-1)
    remove = (probs.cumsum(-1) - probs) >= p
    remove[..., 0] = False
    remove = remove.gather(-1, idx) if bug == "gather" else remove.scatter(-1, idx, remove)
    return ~remove & (logits > NEG_INF)


def _diagnose_top_p(ex: str, logits: Tensor, p: float, got_kept: Tensor, exp_kept: Tensor,
                    desc: str) -> None:
    n_got, n_exp = got_kept.sum(-1), exp_kept.sum(-1)
    for low in ("float16", "bfloat16"):
        if torch.equal(got_kept, _top_p_bug_mask(logits, p, low)):
            fail(ex, f"your nucleus is what {low} probabilities give (case: {desc}): with ~3 significant digits the "
                     "cumulative sums land on the wrong side of p. Compute softmax and cumsum in the logits' own "
                     "dtype (float32 here).")
    counts = _top_p_masks(logits, p)
    bad = (n_got != n_exp).nonzero()
    probs = logits.softmax(-1)
    if len(bad) == 0:  # right counts, wrong tokens
        r = int(((got_kept != exp_kept).any(-1)).nonzero()[0])
        if torch.equal(got_kept, _top_p_bug_mask(logits, p, "gather")):
            fail(ex, f"row {r} kept the right number of tokens ({int(n_got[r])}) but not the most likely "
                     f"ones (case: {desc}): the mask is un-sorted the wrong way round. `gather(-1, "
                     "sorted_idx)` applies the sort permutation again; use `sorted_mask.scatter(-1, "
                     "sorted_idx, sorted_mask)` to put position j back at token j." + _row_hint(logits, r))
        if torch.equal(got_kept, _top_p_bug_mask(logits, p, "ascending")):
            fail(ex, f"row {r} kept the least likely tokens (case: {desc}): sort in descending order "
                     "(most likely first) before accumulating probability." + _row_hint(logits, r))
        fail(ex, f"row {r} kept the right number of tokens ({int(n_got[r])}) but not the most likely "
                 f"ones (case: {desc}). If you sorted, map the mask back to vocabulary order with "
                 "`sorted_mask.scatter(-1, sorted_idx, sorted_mask)`, and sort most likely first."
             + _row_hint(logits, r))
    r = int(bad[0])
    g_, e_ = int(n_got[r]), int(n_exp[r])
    mass = float(probs[r][got_kept[r]].sum())
    head = f"top-p kept {_tokens(g_)} in row {r}, expected {e_} (p = {p}; case: {desc})."
    if g_ == 0:
        fail(ex, f"{head} A row must never lose every token: the most likely token alone can already "
                 "hold more than p, and it is kept anyway (the crossing token is always kept)."
             + _row_hint(logits, r))
    if g_ == int(counts["exclusive"][r]) and g_ < e_:
        fail(ex, f"{head[:-1]}: did you include the token that crosses p? You kept tokens whose cumulative "
                 f"mass is ≤ p only (kept mass {mass:.3f} < p) — include the crossing token: "
                 "remove a token only if the mass *before* it already reaches p." + _row_hint(logits, r))
    if g_ == int(counts["strict"][r]) and g_ == e_ + 1:
        fail(ex, f"{head} The first {e_} tokens already reach p exactly; HF keeps the smallest set whose "
                 "mass is >= p, so it stops there. You kept one more: test `mass_before >= p` "
                 "(remove), not `> p`." + _row_hint(logits, r))
    if g_ == int((logits[r] > NEG_INF).sum()) and g_ > e_:
        fail(ex, f"{head} Nothing was removed from row {r}. Accumulate *probabilities* (softmax, "
                 "then cumsum over tokens sorted most-likely first) and compare with p."
             + _row_hint(logits, r))
    if g_ == int(_top_p_masks(logits, 1 - p)["right"][r]) and g_ != e_:
        fail(ex, f"{head} You kept what 1 - p = {1 - p:.3g} would keep: p is the mass to keep (the ascending-sort "
             "trick removes the tokens whose cumulative mass from the bottom is <= 1 - p)." + _row_hint(logits, r))
    overflow = " exp() of logits this large overflows float32: subtract each row's max first (torch.softmax " \
        "does)." if float(logits[torch.isfinite(logits)].max()) > 80 else ""
    fail(ex, f"{head} Keep the most likely tokens until their probability mass reaches p, the "
             f"crossing token included (you kept mass {mass:.3f}). Did you cumsum probabilities "
             "(softmax) rather than logits, sorted most-likely first?" + overflow + _row_hint(logits, r))


def _same_kept_values(got: Tensor, exp: Tensor, got_kept: Tensor, exp_kept: Tensor) -> bool:
    """Same number of each kept value per row: equal up to which of several tied tokens survives."""
    for r in range(got.shape[0]):
        a = got[r][got_kept[r]].sort().values
        b = exp[r][exp_kept[r]].sort().values
        if not torch.equal(a, b):
            return False
    return True


@single_threaded
def check_top_p(fn: Callable[[Tensor, float], Tensor], name: str = "top-p") -> None:
    """``fn(logits (B, V), p) -> logits (B, V)``, compared with ``TopPLogitsWarper``.

    Where tokens tie, HF's choice among them depends on sort order, so a row passes if it keeps
    the same number of tokens of each value.
    """
    ex, n = name, 0
    for desc, (logits, p) in _top_p_cases():
        got = _run(ex, fn, desc, logits, p)
        exp = _hf_top_p(logits, p)
        got_kept = _check_filtered(ex, logits, got, exp, desc)
        exp_kept = exp > NEG_INF
        empty = ~got_kept.any(-1)
        if bool(empty.any()):
            fail(ex, f"row {int(empty.nonzero()[0])} kept no token at all (case: {desc}), so nothing can be "
                     "sampled: always keep at least the most likely token, even when p = 0 or p is tiny "
                     "(Hugging Face's min_tokens_to_keep = 1).")
        if not _same_kept_values(got, exp, got_kept, exp_kept):
            _diagnose_top_p(ex, logits, p, got_kept, exp_kept, desc)
        n += 1
    passed(ex, f"{n} cases agree with transformers.TopPLogitsWarper (exact crossings, ties, p = 1, "
               "tiny p, -inf entries, batches)")


# ----------------------------------------------------------------------------------------------
# Exercise: repetition penalty


def _repetition_cases(n: int = 200) -> Iterator[Case]:
    g = generator(4)
    pens = [1.2, 1.5, 2.0, 1.0, 0.8, 1.3]
    yield "positive and negative logits, ids [0, 2], penalty 2", \
        (torch.tensor([[2.0, 1.0, -1.0, 0.5]]), torch.tensor([[0, 2]]), 2.0)
    yield "a token that occurs twice, penalty 2", \
        (torch.tensor([[2.0, 1.0, -1.0, 0.5]]), torch.tensor([[1, 3, 1]]), 2.0)
    yield "a negative logit that occurs 3 times, penalty 1.5", \
        (torch.tensor([[2.0, 1.0, -1.0, 0.5]]), torch.tensor([[2, 2, 0, 2]]), 1.5)
    yield "negative logits only, penalty 1.5", \
        (torch.tensor([[-2.0, -1.0, -0.5, -3.0]]), torch.tensor([[0, 3, 3]]), 1.5)
    yield "a zero logit, penalty 1.5", (torch.tensor([[0.0, 1.0, -1.0]]), torch.tensor([[0, 1, 2]]), 1.5)
    yield "batch of 2 with different histories", \
        (torch.tensor([[1.0, 2.0, -1.0, -2.0], [1.0, 2.0, -1.0, -2.0]]), torch.tensor([[0, 0, 2], [1, 3, 3]]), 2.0)
    yield "penalty < 1 (encourages repeats)", (torch.tensor([[1.0, -1.0, 3.0]]), torch.tensor([[0, 1]]), 0.5)
    yield "float64 logits, penalty 1.5: return float64", \
        (torch.tensor([[2.0, 1.0, -1.0, 0.5]], dtype=torch.float64), torch.tensor([[0, 2]]), 1.5)
    yield "-inf already present", (torch.tensor([[1.0, NEG_INF, -1.0]]), torch.tensor([[1, 2]]), 1.5)
    for i in range(n):
        B, V = 1 + i % 4, 2 + (i * 3) % 40
        T = 1 + (i * 7) % (2 * V + 1)
        kind = _kinds(i) if _kinds(i) != "neginf" else "plain"
        logits = _random_logits(g, B, V, kind)
        ids = torch.randint(0, V, (B, T), generator=g)
        pen = pens[i % len(pens)]
        yield f"random logits {(B, V)} ({kind}), input_ids {(B, T)}, penalty {pen}", (logits, ids, pen)


def _diagnose_repetition(ex: str, logits: Tensor, ids: Tensor, pen: float, got: Tensor, exp: Tensor,
                         desc: str) -> None:
    B, V = logits.shape
    seen = torch.zeros(B, V, dtype=torch.bool).scatter(-1, ids, True)
    count = torch.zeros(B, V, dtype=torch.long).scatter_add(-1, ids, torch.ones_like(ids))
    ok = torch.isclose(got.double(), exp.double(), atol=1e-5, rtol=1e-4) | (got == exp)
    x = logits
    # unseen tokens must not change
    bad_unseen = ~seen & ~ok
    if bad_unseen.any():
        r, j = (int(i) for i in bad_unseen.nonzero()[0])
        elsewhere = seen.any(0)
        if B > 1 and bool(elsewhere[bad_unseen.nonzero()[:, 1]].all()):
            fail(ex, f"row {r} penalised token {j}, which appears only in another row's input_ids "
                     f"(case: {desc}). Each row has its own history: use gather/scatter along the last "
                     "dimension with that row's ids.")
        fail(ex, f"you penalised token {j} of row {r}, which never appeared in input_ids "
                 f"(case: {desc}): only tokens in that row's input_ids are penalised; the rest keep "
                 "their logits.")
    # seen tokens: which wrong formula fits?
    r, j = (int(i) for i in (~ok).nonzero()[0])
    v, gv, c = x[r, j].item(), got[r, j].item(), int(count[r, j])
    def near(a: float, b: float) -> bool:
        return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-5)
    where = f"token {j} of row {r} (logit {v:.4g}, seen {c}x, penalty {pen}) became {gv:.4g}, " \
            f"expected {exp[r, j].item():.4g} (case: {desc})."
    if c > 1 and (near(gv, v / pen ** c) if v > 0 else near(gv, v * pen ** c)):
        times = "twice" if c == 2 else f"{c} times"
        fail(ex, f"you penalised a token {times} because it appeared {times}: {where} Penalise every "
                 "seen token once, however often it occurred (gather/scatter, or a set of ids).")
    if v > 0 and near(gv, v * pen):
        fail(ex, f"you multiplied instead of dividing positive logits: {where} A positive logit is "
                 "divided by the penalty (which lowers it when penalty > 1).")
    if v < 0 and near(gv, v / pen):
        fail(ex, f"sign bug: {where} A negative logit must be *multiplied* by the penalty; dividing "
                 "moves it towards 0 and makes the token more likely. "
                 "Use torch.where(score < 0, score * penalty, score / penalty).")
    if near(gv, v - pen) or near(gv, v + pen):
        fail(ex, f"you added or subtracted the penalty: {where} The penalty is a factor: positive logits / penalty, "
                 "negative logits * penalty.")
    if near(gv, v + (v / pen if v > 0 else v * pen)):
        fail(ex, f"the penalised logit was added to the old one (scatter_add?): {where} Replace the seen logits: "
                 "logits.scatter(-1, input_ids, penalised).")
    if near(gv, v / pen ** 2) or near(gv, v * pen ** 2):
        fail(ex, f"you applied the penalty twice (penalty²): {where} Once per seen token.")
    if near(gv, v):
        fail(ex, f"a token from input_ids was left unchanged: {where}")
    fail(ex, f"{where} Seen tokens: positive logit / penalty, negative logit * penalty.")


@single_threaded
def check_repetition_penalty(fn: Callable[[Tensor, Tensor, float], Tensor],
                             name: str = "repetition penalty") -> None:
    """``fn(logits (B, V), input_ids (B, T), penalty) -> logits (B, V)``, compared with
    ``RepetitionPenaltyLogitsProcessor``."""
    ex, n = name, 0
    for desc, (logits, ids, pen) in _repetition_cases():
        got = _run(ex, fn, desc, logits, ids, pen)
        exp = _hf_repetition(logits, ids, pen)
        _shape_and_probs(ex, got, exp, logits, desc)
        if not allclose(got, exp):
            _diagnose_repetition(ex, logits, ids, pen, got, exp, desc)
        n += 1
    passed(ex, f"{n} cases agree with transformers.RepetitionPenaltyLogitsProcessor (repeats, negative "
               "logits, penalty < 1, batches)")


# ----------------------------------------------------------------------------------------------
# Exercise: greedy


def _greedy_cases(n: int = 100) -> Iterator[tuple[str, Tensor]]:
    g = generator(5)
    yield "one row", torch.tensor([[0.1, 2.0, -1.0, 0.5]])
    yield "batch of 3 with different winners", torch.tensor([[3.0, 1.0, 2.0], [1.0, 3.0, 2.0], [1.0, 2.0, 3.0]])
    yield "tie at the top (either index is fine)", torch.tensor([[1.0, 4.0, 4.0, 0.0]])
    yield "-inf entries", torch.tensor([[NEG_INF, -5.0, NEG_INF, -7.0]])
    yield "B = V = 4 (a batch as large as the vocabulary)", torch.randn(4, 4, generator=g)
    for i in range(n):
        B, V = 1 + i % 5, 2 + (i * 3) % 40
        kind = _kinds(i)
        yield f"random logits {(B, V)} ({kind})", _random_logits(g, B, V, kind)


@single_threaded
def check_greedy(fn: Callable[[Tensor], Tensor], name: str = "greedy") -> None:
    """``fn(logits (B, V)) -> token ids (B,)``: the argmax of each row, as ``model.generate`` picks."""
    ex, n = name, 0
    for desc, logits in _greedy_cases():
        got = _run(ex, fn, desc, logits)
        exp = torch.argmax(logits, dim=-1)
        if isinstance(got, Tensor) and got.is_floating_point() and got.shape == exp.shape \
                and torch.equal(got, logits.max(-1).values):
            fail(ex, f"you returned the largest logit, not its index (case: {desc}). Use argmax "
                     "(or `.max(-1).indices`).")
        if isinstance(got, Tensor) and tuple(got.shape) == (*exp.shape, 1):
            fail(ex, f"result has shape {tuple(got.shape)}, expected {tuple(exp.shape)} (case: {desc}): one "
                     "token id per row; drop the last dimension (no keepdim, or .squeeze(-1)).")
        B, V = logits.shape
        if isinstance(got, Tensor) and got.dim() == 1 and got.shape[0] == V and B != V:
            fail(ex, f"result has shape {tuple(got.shape)}: you took the argmax over the batch "
                     "dimension. Use dim=-1 (over the vocabulary).")
        tensor_like(ex, got, exp, "token ids")
        row_max = logits.max(-1).values
        picked = logits.gather(-1, got.long().clamp(0, V - 1)[:, None]).squeeze(-1)
        if not (bool(((got >= 0) & (got < V)).all()) and torch.equal(picked, row_max)):
            if torch.equal(got, torch.argmin(logits, dim=-1)):
                fail(ex, f"you picked the least likely token (argmin) (case: {desc}).")
            if B > 1 and B == V and torch.equal(got, torch.argmax(logits, dim=0)):
                fail(ex, f"you took the argmax over the batch dimension (case: {desc}): use dim=-1.")
            r = int((picked != row_max).nonzero()[0]) if torch.equal(got, got.clamp(0, V - 1)) else 0
            fail(ex, f"row {r}: you picked token {int(got[r])}, but the largest logit is at "
                     f"{int(exp[r])} (case: {desc})." + _row_hint(logits, r))
        n += 1
    passed(ex, f"{n} cases agree with argmax decoding (model.generate with do_sample=False)")


# ----------------------------------------------------------------------------------------------
# Exercise: sampling


@single_threaded
def check_sample(fn: Callable[..., Tensor], name: str = "sampling", draws: int = 20000) -> None:
    """``fn(logits (B, V), generator=None) -> token ids (B,)``, drawn from softmax(logits).

    Checks shape and dtype, that masked (-inf) tokens are never drawn, that ``generator`` makes
    draws reproducible, and that frequencies over ``draws`` rows match softmax (as
    ``torch.multinomial`` on HF's probabilities does).
    """
    ex, n = name, 0
    small = torch.tensor([[1.0, 2.0, 0.5, NEG_INF], [0.0, NEG_INF, 3.0, 1.0]])
    desc = "logits (2, 4) with -inf entries, generator seeded 0"
    got = _run(ex, fn, desc, small, generator(0)) if _accepts_generator(fn) else None
    if got is None:
        fail(ex, "your function should accept a `generator` argument, `fn(logits, generator=None)`, "
                 "and pass it on: `torch.multinomial(probs, 1, generator=generator)`.")
    if isinstance(got, Tensor) and tuple(got.shape) == (2, 1):
        fail(ex, "result has shape (2, 1), expected (2,): one token id per row; use .squeeze(-1) after "
                 "torch.multinomial(probs, num_samples=1).")
    tensor_like(ex, got, torch.zeros(2, dtype=torch.long), "token ids")
    n += 1
    # reproducible with a generator
    a = _run(ex, fn, "the same seed twice", small.repeat(50, 1), generator(123))
    b = _run(ex, fn, "the same seed twice", small.repeat(50, 1), generator(123))
    if not torch.equal(a, b):
        fail(ex, "two calls with generators seeded alike gave different tokens: pass `generator` on to "
                 "torch.multinomial(..., generator=generator) so results can be reproduced.")
    other = _run(ex, fn, "another seed", small.repeat(50, 1), generator(124))
    if torch.equal(a, other) and isinstance(a, Tensor) and torch.equal(a.long(), small.repeat(50, 1).argmax(-1)):
        fail(ex, "you always drew the most likely token — that is greedy decoding (case: 100 rows, two seeds). "
                 "Draw at random: torch.multinomial(softmax(logits), 1).")
    if torch.equal(a, other):
        fail(ex, "generators seeded 123 and 124 gave the same 100 tokens: your function ignores the generator "
                 "it is given (a fixed seed inside, or a generator of its own). Draw with "
                 "torch.multinomial(probs, 1, generator=generator).")
    n += 1
    # the distribution, rows alternating between two different distributions
    A = torch.tensor([2.0, 1.0, 0.0, -1.0, NEG_INF, 0.5])
    Bv = torch.tensor([-1.0, 0.0, 3.0, 0.5, 1.0, NEG_INF])
    for label, rows in (("two alternating rows", torch.stack([A, Bv]).repeat(draws // 2, 1)),
                        ("temperature-sharpened rows", (torch.stack([A, Bv]) / 0.5).repeat(draws // 2, 1))):
        desc = f"{draws} rows ({label}), generator seeded 7"
        got = _run(ex, fn, desc, rows, generator(7))
        tensor_like(ex, got, torch.zeros(rows.shape[0], dtype=torch.long), "token ids")
        got = got.long()
        if bool(((got < 0) | (got >= rows.shape[1])).any()):
            fail(ex, f"drew token ids outside 0..{rows.shape[1] - 1} (case: {desc}).")
        drawn = rows.gather(-1, got[:, None]).squeeze(-1)
        if bool((drawn == NEG_INF).any()):
            fail(ex, f"drew a token whose logit is -inf (probability 0) (case: {desc}). Sample from "
                     "softmax(logits), which gives masked tokens probability exactly 0.")
        for parity, logits in ((0, rows[0]), (1, rows[1])):
            ids = got[parity::2]
            freq = torch.bincount(ids, minlength=rows.shape[1]).double() / len(ids)
            probs = logits.double().softmax(-1)
            tol = 5 * (probs * (1 - probs) / len(ids)).sqrt() + 2e-3
            if bool(((freq - probs).abs() <= tol).all()):
                continue
            if freq.max() == 1.0 and int(freq.argmax()) == int(probs.argmax()):
                fail(ex, f"you always drew the most likely token — that is greedy decoding (case: {desc}). "
                         "Draw at random: torch.multinomial(softmax(logits), 1).")
            finite = torch.isfinite(logits)
            uniform = finite.double() / finite.sum()
            if bool(((freq - uniform).abs() < 0.02).all()):
                fail(ex, f"tokens came out roughly uniformly (case: {desc}): draw them in proportion to "
                         "softmax(logits), not uniformly.")
            j = int((freq - probs).abs().argmax())
            fail(ex, f"token {j} was drawn {freq[j]:.3f} of the time, expected softmax probability "
                     f"{probs[j]:.3f} (case: {desc}; row logits {_fmt(logits)}). Draw from "
                     "softmax(logits) with torch.multinomial (did you sample in proportion to the "
                     "logits themselves, or apply softmax over the wrong dimension?).")
        n += 1
    passed(ex, f"{n} checks passed: shape, reproducible with a generator, -inf never drawn, "
               f"frequencies over {draws} draws match softmax (as model.generate samples)")


def _accepts_generator(fn: Callable) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return True
    return "generator" in params or any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params.values()) \
        or len(params) >= 2


__all__ = ["check_temperature", "check_top_k", "check_top_p", "check_repetition_penalty", "check_greedy",
           "check_sample"]
