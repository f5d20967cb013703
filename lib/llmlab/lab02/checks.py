"""Checks for Lab 02's attention exercises, against ``torch.nn.functional.scaled_dot_product_attention``.

    from llmlab.lab02.checks import check_attention, check_multi_head_attention
    check_attention(attention)                    # fn(q, k, v, allowed=None) -> (…, T, Dv)
    check_multi_head_attention(mha)               # fn(x, c_attn, c_proj, n_head, allowed=None) -> (B, T, C)

``allowed`` is a boolean mask, True where a query may attend to a key, broadcastable to the
(…, T, S) scores (SDPA's convention). Each check runs the student's function on hand-made and
seeded random cases — no mask, causal, padded keys, causal + padding, cross-attention (T ≠ S),
values of another width, one head, one channel per head — compares it with SDPA, and on a
mismatch recomputes the usual wrong versions (no 1/√d, 1/d, mask after softmax, masked with 0
instead of -inf, inverted mask, softmax over queries, transposed scores, heads not split, heads
split or merged without the transpose, q/k/v split per head, no output projection) to name the bug.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.overrides import TorchFunctionMode

from llmlab.checks import allclose, fail, generator, passed, run_case, single_threaded
from llmlab.checks import yours_or_reference  # noqa: F401 - the labs call checks.yours_or_reference


NEG_INF = float("-inf")


def _shape_hint(err: Exception) -> str:
    if isinstance(err, RuntimeError) and ("size" in str(err) or "shape" in str(err)):
        return ("A shape error usually means a transpose on the wrong dimensions: the scores are "
                "q @ k.transpose(-2, -1), of shape (…, T, S); index dimensions from the end "
                "(-1, -2) so that any number of batch dimensions works.")
    return ""


def _run(ex: str, fn: Callable, desc: str, *args: Any) -> Any:
    """Call the student's function on the case; crashes and in-place edits become messages."""
    out = run_case(ex, fn, desc, *args, crash_hint=_shape_hint,
                   inplace_hint="Use out-of-place ops (`masked_fill`, not `masked_fill_`; `x / s`, not `x /= s`).")
    if isinstance(out, tuple):
        fail(ex, f"you returned a tuple of {len(out)} items (case: {desc}); return only the output "
                 "tensor (the weighted sum of the values), not the attention weights too.")
    if not isinstance(out, Tensor):
        fail(ex, f"your function returned {type(out).__name__}, expected a torch.Tensor (case: {desc}).")
    return out


def _padding(lengths: list[int], S: int) -> Tensor:
    """(B, 1, 1, S): True on each row's first ``length`` keys (right padding)."""
    return (torch.arange(S)[None, :] < torch.tensor(lengths)[:, None])[:, None, None, :]


def _causal(T: int) -> Tensor:
    return torch.ones(T, T, dtype=torch.bool).tril()


# ================================================================================================
# Exercise: scaled dot-product attention
# ================================================================================================
Case = tuple[str, Tensor, Tensor, Tensor, Tensor | None]


def _attention_cases(n_random: int = 60) -> Iterator[Case]:
    g = generator(0)

    def qkv(*batch: int, T: int, S: int, D: int, Dv: int | None = None, scale: float = 1.0):
        q = torch.randn(*batch, T, D, generator=g) * scale
        k = torch.randn(*batch, S, D, generator=g) * scale
        v = torch.randn(*batch, S, Dv or D, generator=g)
        return q, k, v

    yield ("(B=2, T=5, D=8), no mask", *qkv(2, T=5, S=5, D=8), None)
    yield ("(B=2, H=3, T=6, D=16), no mask: with D=16 the 1/√d scale matters", *qkv(2, 3, T=6, S=6, D=16), None)
    yield ("(B=2, H=2, T=5, D=8), causal mask (T, T)", *qkv(2, 2, T=5, S=5, D=8), _causal(5))
    yield ("cross-attention: T=3 queries, S=7 keys, (B=2, T, D=8), no mask", *qkv(2, T=3, S=7, D=8), None)
    yield ("values of another width: D=8, Dv=5, (B=2, T=4)", *qkv(2, T=4, S=4, D=8, Dv=5), None)
    yield ("padded keys: (B=3, H=2, S=6) with real lengths 6, 4, 2, mask (B, 1, 1, S)",
           *qkv(3, 2, T=6, S=6, D=8), _padding([6, 4, 2], 6))
    yield ("causal + padding (right padding, lengths 5, 3), mask (B, 1, T, T)",
           *qkv(2, 2, T=5, S=5, D=8), _causal(5) & _padding([5, 3], 5))
    yield ("one query, one key (T=S=1)", *qkv(2, T=1, S=1, D=4), None)
    yield ("large scores (inputs x 6), causal", *qkv(1, 2, T=6, S=6, D=8, scale=6.0), _causal(6))
    for i in range(n_random):
        B, H = 1 + i % 3, 1 + (i // 3) % 3
        T = 1 + (i * 5) % 9
        S = T if i % 3 else 1 + (i * 7) % 11
        D = [1, 2, 4, 8, 16, 32][i % 6]
        q, k, v = qkv(B, H, T=T, S=S, D=D)
        kind = i % 4
        if kind == 1 and T == S:
            allowed, what = _causal(T), "causal"
        elif kind == 2:
            lengths = [1 + int(torch.randint(0, S, (1,), generator=g)) for _ in range(B)]
            allowed, what = _padding(lengths, S), f"padding, lengths {lengths}"
        elif kind == 3 and T == S:
            lengths = [1 + int(torch.randint(0, S, (1,), generator=g)) for _ in range(B)]
            allowed, what = _causal(T) & _padding(lengths, S), f"causal + padding, lengths {lengths}"
        else:
            allowed = torch.rand(T, S, generator=g) < 0.7
            allowed[:, int(torch.randint(0, S, (1,), generator=g))] = True   # no query left with no key
            allowed, what = (allowed, "a random (T, S) mask") if kind else (None, "no mask")
        yield f"random (B={B}, H={H}, T={T}, S={S}, D={D}), {what}", q, k, v, allowed


def _sdpa(q: Tensor, k: Tensor, v: Tensor, allowed: Tensor | None, scale: float | None = None) -> Tensor:
    return F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, scale=scale)


def _attention_bugs(q: Tensor, k: Tensor, v: Tensor, allowed: Tensor | None) -> dict[str, Tensor]:
    """What the usual wrong versions return on this case (those that make sense for it)."""
    d = q.size(-1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)                            # (…, T, S)
    out = {"no scale": _sdpa(q, k, v, allowed, scale=1.0),
           "scale 1/d": _sdpa(q, k, v, allowed, scale=1.0 / d),
           "no softmax": (scores.masked_fill(~allowed, 0.0) if allowed is not None else scores) @ v}
    if v.size(-1) != d:
        out["scale by value width"] = _sdpa(q, k, v, allowed, scale=1.0 / math.sqrt(v.size(-1)))
    if q.size(-2) == k.size(-2):
        t_scores = k @ q.transpose(-2, -1) / math.sqrt(d)                       # (…, S, T) = scoresᵀ
        if allowed is not None:
            t_scores = t_scores.masked_fill(~allowed, NEG_INF)
        out["transposed scores"] = t_scores.softmax(-1) @ v
    if allowed is not None:
        out["mask ignored"] = _sdpa(q, k, v, None)
        out["mask after softmax"] = (scores.softmax(-1) * allowed) @ v
        w = scores.softmax(-1) * allowed
        out["mask after softmax, renormalised"] = (w / w.sum(-1, keepdim=True)) @ v  # correct, in fact
        out["masked with 0"] = scores.masked_fill(~allowed, 0.0).softmax(-1) @ v
        out["mask inverted"] = scores.masked_fill(allowed, NEG_INF).softmax(-1) @ v   # NaN where all masked
        out["softmax over queries"] = scores.masked_fill(~allowed, NEG_INF).softmax(-2).nan_to_num(0.0) @ v
    else:
        out["softmax over queries"] = scores.softmax(-2) @ v
    return out


_ATTENTION_HINTS = {
    "no scale": "you did not divide the scores by √d. Without it, the dot products of d-dimensional "
                "vectors grow like √d and the softmax saturates: scores = q @ k.transpose(-2, -1) / "
                "math.sqrt(q.size(-1)).",
    "scale 1/d": "you divided the scores by d; divide by √d (math.sqrt(q.size(-1))).",
    "scale by value width": "you scaled by the width of v; the scale is 1/√d with d the width of q and k "
                            "(q.size(-1)), which can differ from v's.",
    "no softmax": "the weights were not normalised: apply softmax over the keys (dim=-1) to the scores "
                  "before multiplying by v.",
    "transposed scores": "your scores are transposed: k @ q.transpose(-2, -1) puts the keys on the rows. "
                         "Use q @ k.transpose(-2, -1) — row t holds query t's score for every key.",
    "mask ignored": "the mask had no effect: set the scores of disallowed keys to -inf before the "
                    "softmax, scores.masked_fill(~allowed, float('-inf')).",
    "mask after softmax": "you applied the mask after the softmax, so the remaining weights no longer sum "
                          "to 1 (the masked keys' share of the probability is lost). Mask the *scores* "
                          "with -inf before the softmax.",
    "masked with 0": "you filled disallowed scores with 0, which still gives them weight (e⁰ = 1). Fill "
                     "with float('-inf') so that softmax gives them exactly 0.",
    "mask inverted": "the mask is inverted: `allowed` is True where attending IS allowed, so fill the "
                     "positions where it is False: scores.masked_fill(~allowed, float('-inf')).",
    "softmax over queries": "you took the softmax over the wrong dimension: each query's weights over "
                            "the keys must sum to 1, softmax(dim=-1) on scores of shape (…, T, S).",
}


def _explain_attention(ex: str, got: Tensor, q: Tensor, k: Tensor, v: Tensor, allowed: Tensor | None,
                       expected: Tensor, desc: str) -> None:
    for bug, out in _attention_bugs(q, k, v, allowed).items():
        if bug != "mask after softmax, renormalised" and allclose(got, out, atol=1e-4, rtol=1e-3, equal_nan=True):
            fail(ex, f"{_ATTENTION_HINTS[bug]} (case: {desc})")
    if torch.isnan(got).any():
        fail(ex, f"your output has NaN (case: {desc}). NaN appears when a row of scores is all -inf "
                 "(nothing allowed) or when you compute exp() of huge scores yourself; use "
                 "torch.softmax, and mask with masked_fill(~allowed, float('-inf')).")
    bad = ~torch.isclose(got.double(), expected.double(), atol=2e-5, rtol=1e-4)
    idx = tuple(int(i) for i in bad.nonzero()[0])
    fail(ex, f"{int(bad.sum())} of {bad.numel()} output values differ from SDPA (case: {desc}); first at "
             f"index {idx}: got {got[idx].item():.5g}, expected {expected[idx].item():.5g}. Attention is "
             "softmax(q kᵀ / √d, over the keys, with disallowed keys at -inf) @ v.")


def _shape(ex: str, got: Tensor, expected: Tensor, q: Tensor, k: Tensor, desc: str) -> None:
    if tuple(got.shape) == tuple(expected.shape):
        if not got.is_floating_point():
            fail(ex, f"your output has dtype {got.dtype}; expected floating point like the inputs.")
        if got.dtype != expected.dtype:
            fail(ex, f"your output has dtype {got.dtype}, expected {expected.dtype}, the dtype of q, k and v "
                     f"(case: {desc}): keep the inputs' precision (no .double() or float64 constants such as "
                     "torch.tensor(d).sqrt(); `math.sqrt(d)` or `q.new_tensor(d)` are fine).")
        return
    if tuple(got.shape) == (*q.shape[:-1], k.shape[-2]):
        fail(ex, f"your output has the shape of the attention weights, {tuple(got.shape)}; multiply the "
                 f"weights by v to get {tuple(expected.shape)} (case: {desc}).")
    fail(ex, f"output shape {tuple(got.shape)}, expected {tuple(expected.shape)} = (…, T, Dv) "
             f"(case: {desc}). Keep every leading batch dimension; index dimensions from the end.")


class _SDPASpy(TorchFunctionMode):
    """Notices a call of torch's own scaled_dot_product_attention, however it was imported."""

    def __init__(self) -> None:
        super().__init__()
        self.called = False

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") == "scaled_dot_product_attention":
            self.called = True
        return func(*args, **(kwargs or {}))


@single_threaded
def check_attention(fn: Callable[..., Tensor], name: str = "scaled dot-product attention") -> None:
    """``fn(q (…, T, D), k (…, S, D), v (…, S, Dv), allowed=None) -> (…, T, Dv)`` against SDPA,
    written by hand: a call of torch's own SDPA is refused."""
    ex, n = name, 0
    for desc, q, k, v, allowed in _attention_cases():
        expected = _sdpa(q, k, v, allowed)
        with _SDPASpy() as spy:
            got = _run(ex, fn, desc, q, k, v, allowed)
        if spy.called:
            fail(ex, "your function calls torch's scaled_dot_product_attention: the exercise is to write it "
                     "yourself — scores q @ kᵀ / √d, masked where not allowed, softmax over the keys, then @ v.")
        _shape(ex, got, expected, q, k, desc)
        if not allclose(got, expected, atol=2e-5):
            _explain_attention(ex, got, q, k, v, allowed, expected, desc)
        n += 1
    passed(ex, f"{n} cases agree with torch.nn.functional.scaled_dot_product_attention (no mask, causal, "
               "padded keys, causal + padding, T ≠ S, Dv ≠ D, D = 1, large scores)")


# ================================================================================================
# Exercise: multi-head attention
# ================================================================================================
MHACase = tuple[str, Tensor, nn.Linear, nn.Linear, int, Tensor | None]


def _linear(n_in: int, n_out: int, g: torch.Generator) -> nn.Linear:
    layer = nn.Linear(n_in, n_out)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(n_out, n_in, generator=g) / math.sqrt(n_in))
        layer.bias.copy_(torch.randn(n_out, generator=g) * 0.1)
    return layer.requires_grad_(False)


def _mha_cases(n_random: int = 30) -> Iterator[MHACase]:
    g = generator(1)

    def case(B: int, T: int, C: int, H: int):
        return torch.randn(B, T, C, generator=g), _linear(C, 3 * C, g), _linear(C, C, g), H

    yield ("(B=2, T=5, C=16), 4 heads, no mask", *case(2, 5, 16, 4), None)
    yield ("(B=2, T=6, C=24), 3 heads, causal", *case(2, 6, 24, 3), _causal(6))
    yield ("(B=3, T=5, C=16), 2 heads, causal + padding (lengths 5, 3, 1), mask (B, 1, T, T)",
           *case(3, 5, 16, 2), _causal(5) & _padding([5, 3, 1], 5))
    yield ("(B=2, T=4, C=12), 1 head, causal", *case(2, 4, 12, 1), _causal(4))
    yield ("(B=1, T=5, C=8), 8 heads of one channel each, causal", *case(1, 5, 8, 8), _causal(5))
    yield ("(B=2, T=1, C=16), 4 heads, one token", *case(2, 1, 16, 4), None)
    for i in range(n_random):
        H = [1, 2, 3, 4, 6][i % 5]
        C = H * [2, 4, 8][i % 3]
        B, T = 1 + i % 3, 1 + (i * 5) % 8
        x, c_attn, c_proj, H = case(B, T, C, H)
        kind = i % 3
        if kind == 0:
            allowed, what = None, "no mask"
        elif kind == 1:
            allowed, what = _causal(T), "causal"
        else:
            lengths = [1 + int(torch.randint(0, T, (1,), generator=g)) for _ in range(B)]
            allowed, what = _causal(T) & _padding(lengths, T), f"causal + padding, lengths {lengths}"
        yield f"random (B={B}, T={T}, C={C}), {H} heads, {what}", x, c_attn, c_proj, H, allowed


def _heads(t: Tensor, H: int) -> Tensor:
    B, T, C = t.shape
    return t.view(B, T, H, C // H).transpose(1, 2)                      # (B, H, T, D)


def _merge(y: Tensor) -> Tensor:
    B, H, T, D = y.shape
    return y.transpose(1, 2).reshape(B, T, H * D)


@torch.no_grad()
def _mha(x: Tensor, c_attn: nn.Linear, c_proj: nn.Linear, H: int, allowed: Tensor | None,
         bug: str | None = None) -> Tensor:
    """The reference (bug=None) and its usual wrong versions."""
    B, T, C = x.shape
    D = C // H
    qkv = c_attn(x)                                                       # (B, T, 3C)
    q, k, v = qkv.split(C, dim=-1)
    if bug == "qkv order":
        k, q, v = q, k, v
    if bug == "heads not split":
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed if allowed is None or allowed.dim() < 4
                                           else allowed[:, 0])          # one head of width C
        return c_proj(y)
    if bug == "split per head":                                           # (B, T, H, 3D) -> q, k, v per head
        q, k, v = (t.transpose(1, 2) for t in qkv.view(B, T, H, 3 * D).split(D, dim=-1))
    elif bug == "split without transpose":
        q, k, v = (t.reshape(B, H, T, D) for t in (q, k, v))
    else:
        q, k, v = (_heads(t, H) for t in (q, k, v))
    scale = 1.0 / math.sqrt(C) if bug == "scale by C" else 1.0 / math.sqrt(D) if bug != "no scale" else 1.0
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=None if bug == "mask ignored" else allowed,
                                       scale=scale)                       # (B, H, T, D)
    y = y.reshape(B, T, C) if bug == "merge without transpose" else _merge(y)
    return y if bug == "no output projection" else c_proj(y)


_MHA_HINTS = {
    "heads not split": "you ran one attention over all C channels: split q, k and v into n_head heads of "
                       "D = C // n_head channels, (B, T, C) -> view(B, T, n_head, D).transpose(1, 2), "
                       "attend in each head (scaled by 1/√D), then merge them back.",
    "scale by C": "you scaled the scores by 1/√C; inside a head the width is D = C // n_head, so scale "
                  "by 1/√D (what your single-head attention does with q.size(-1)).",
    "no scale": "the scores were not scaled: divide by √D, D = C // n_head.",
    "split without transpose": "the heads were split with a reshape to (B, n_head, T, D) directly, which "
                               "mixes tokens and channels. View as (B, T, n_head, D) first, then "
                               ".transpose(1, 2).",
    "merge without transpose": "the heads were merged with a reshape of (B, n_head, T, D) straight to "
                               "(B, T, C), which mixes tokens and heads. Transpose back to "
                               "(B, T, n_head, D) first: y.transpose(1, 2).reshape(B, T, C).",
    "split per head": "q, k and v were cut per head from a (B, T, n_head, 3D) view. GPT-2's c_attn "
                      "output is [q | k | v] along the channels: c_attn(x).split(C, dim=-1) first, then "
                      "split each into heads.",
    "qkv order": "q and k are swapped: c_attn(x) holds [q | k | v] in that order.",
    "no output projection": "you forgot the output projection: return c_proj(merged_heads).",
    "mask ignored": "the mask had no effect: pass `allowed` to the attention of every head (its shape "
                    "broadcasts over the head dimension).",
}


@single_threaded
def check_multi_head_attention(fn: Callable[..., Tensor], name: str = "multi-head attention") -> None:
    """``fn(x (B, T, C), c_attn: Linear(C, 3C), c_proj: Linear(C, C), n_head, allowed=None) -> (B, T, C)``.

    The reference is GPT-2's: q, k, v = c_attn(x).split(C), n_head heads of C // n_head channels,
    SDPA in each, heads concatenated, then c_proj (as ``llmlab.gpt.CausalSelfAttention``).
    """
    ex, n = name, 0
    for desc, x, c_attn, c_proj, H, allowed in _mha_cases():
        expected = _mha(x, c_attn, c_proj, H, allowed)
        with torch.no_grad():
            got = _run(ex, fn, desc, x, c_attn, c_proj, H, allowed)
        B, T, C = x.shape
        if tuple(got.shape) == (B, H, T, C // H) and H > 1:
            fail(ex, f"output shape {tuple(got.shape)} is one output per head: merge the heads back to "
                     f"(B, T, C) = {(B, T, C)} and apply c_proj (case: {desc}).")
        if tuple(got.shape) != (B, T, C):
            fail(ex, f"output shape {tuple(got.shape)}, expected (B, T, C) = {(B, T, C)} (case: {desc}).")
        if got.dtype != x.dtype:
            fail(ex, f"your output has dtype {got.dtype}, expected {x.dtype}, the dtype of x (case: {desc}): "
                     "keep the input's precision.")
        if not allclose(got, expected, atol=2e-5):
            for bug in _MHA_HINTS:
                if bug == "mask ignored" and allowed is None:
                    continue
                try:
                    wrong = _mha(x, c_attn, c_proj, H, allowed, bug)
                except RuntimeError:
                    continue
                if allclose(got, wrong, atol=1e-4, rtol=1e-3):
                    fail(ex, f"{_MHA_HINTS[bug]} (case: {desc})")
            bad = ~torch.isclose(got.double(), expected.double(), atol=2e-5, rtol=1e-4)
            idx = tuple(int(i) for i in bad.nonzero()[0])
            fail(ex, f"{int(bad.sum())} of {bad.numel()} output values differ from the reference (case: "
                     f"{desc}); first at {idx}: got {got[idx].item():.5g}, expected {expected[idx].item():.5g}. "
                     "Steps: q, k, v = c_attn(x).split(C, dim=-1); each to (B, n_head, T, D); attention with "
                     "`allowed` per head; back to (B, T, C); c_proj. Does your single-head attention pass "
                     "its own check?")
        n += 1
    passed(ex, f"{n} cases agree with GPT-2's multi-head attention on SDPA (1 to 8 heads, causal, causal + "
               "padding, one token)")


__all__ = ["check_attention", "check_multi_head_attention"]
