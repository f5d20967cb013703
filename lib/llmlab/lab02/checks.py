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

from llmlab.checks import (allclose, fail, generator, gradients_match, passed, precision_lost, run_case,
                           single_threaded)
from llmlab.gpt import Block, GPTConfig
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
    q, k, v = qkv(2, T=5, S=5, D=8)
    q[:, 0] *= 80                                      # row 0's scores reach ~200, the other rows' stay near 1
    yield "one query 80x larger than the others (rows of very different scale), no mask", q, k, v, None
    base = torch.randn(2, 1, 8, generator=g)
    k = base + 0.1 * torch.randn(2, 5, 8, generator=g)
    yield ("every allowed score near -110 (q = -40 x the keys' common direction), causal",
           -40 * base.expand(2, 5, 8).clone(), k, torch.randn(2, 5, 8, generator=g), _causal(5))
    yield ("float64 inputs (B=2, H=2, T=5, D=8), causal: return float64",
           *(t.double() for t in qkv(2, 2, T=5, S=5, D=8)), _causal(5))
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
    T, S = q.size(-2), k.size(-2)
    out = {"no scale": _sdpa(q, k, v, allowed, scale=1.0),
           "scale 1/d": _sdpa(q, k, v, allowed, scale=1.0 / d),
           "multiplied by √d": _sdpa(q, k, v, allowed, scale=math.sqrt(d)),
           "no softmax": (scores.masked_fill(~allowed, 0.0) if allowed is not None else scores) @ v}
    if T != d:
        out["scale by √T"] = _sdpa(q, k, v, allowed, scale=1.0 / math.sqrt(T))
    if S != d and S != T:
        out["scale by √T"] = _sdpa(q, k, v, allowed, scale=1.0 / math.sqrt(S))
    if k.shape == v.shape:
        out["keys as values"] = _sdpa(q, k, k, allowed)
    if T == S > 1:
        out["a causal mask of your own"] = _sdpa(q, k, v, _causal(T))
    masked = scores.masked_fill(~allowed, NEG_INF) if allowed is not None else scores
    e = (masked - masked.max()).exp()                                           # one max for the whole tensor
    out["global max"] = e / e.sum(-1, keepdim=True) @ v
    out["scaled after the softmax"] = (q @ k.transpose(-2, -1)).masked_fill(
        ~allowed if allowed is not None else torch.zeros((), dtype=torch.bool), NEG_INF).softmax(-1) / math.sqrt(d) @ v
    if v.size(-1) != d:
        out["scale by value width"] = _sdpa(q, k, v, allowed, scale=1.0 / math.sqrt(v.size(-1)))
    if q.size(-2) == k.size(-2):
        t_scores = k @ q.transpose(-2, -1) / math.sqrt(d)                       # (…, S, T) = scoresᵀ
        if allowed is not None:
            t_scores = t_scores.masked_fill(~allowed, NEG_INF)
        out["transposed scores"] = t_scores.softmax(-1) @ v
    if allowed is not None:
        out["mask ignored"] = _sdpa(q, k, v, None)
        if allowed.dim() >= 2 and allowed.size(-2) == T == S > 1:
            out["mask transposed"] = _sdpa(q, k, v, allowed.transpose(-2, -1))
        if T == S > 1:
            out["a causal mask of your own, and the mask"] = _sdpa(q, k, v, _causal(T) & allowed)
        out["mask added to the scores"] = (scores + allowed.to(scores.dtype)).softmax(-1) @ v
        for fill in (-1.0, -10.0, -100.0, -1e3):
            out[f"filled with {fill:g}"] = scores.masked_fill(~allowed, fill).softmax(-1) @ v
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
    "multiplied by √d": "you multiplied the scores by √d; divide them by it: q @ k.transpose(-2, -1) / "
                        "math.sqrt(q.size(-1)).",
    "scale by √T": "you scaled by the square root of the sequence length; the scale is 1/√d, d the width of "
                   "q and k (q.size(-1)), whatever the number of tokens.",
    "keys as values": "you multiplied the weights by k; the output is the weighted sum of the *values*: "
                      "weights @ v.",
    "global max": "you subtracted one maximum for the whole tensor before exp(): rows whose scores are far below "
                  "it underflow to 0/0. Subtract each row's own max (scores.max(dim=-1, keepdim=True)), or "
                  "just use torch.softmax(scores, dim=-1), which does.",
    "mask added to the scores": "you added the boolean mask to the scores (True counts as 1): a mask is not a bias. "
                                "Set the disallowed scores to -inf: scores.masked_fill(~allowed, float('-inf')).",
    "scaled after the softmax": "you divided by √d after the softmax; the scale goes on the scores, before it: "
                                "softmax(q @ kᵀ / √d) @ v.",
    "mask transposed": "the mask is transposed: `allowed[..., t, s]` says whether query t may see key s; use it "
                       "as given, on scores of shape (…, T, S).",
    "a causal mask of your own": "you applied a causal mask of your own: use the `allowed` passed in (it may be "
                                 "None, causal, padding, or any pattern), nothing else.",
    "a causal mask of your own, and the mask": "you added a causal mask of your own to `allowed`: use the mask "
                                               "passed in as it is (it need not be causal).",
    "filled with -1": "you filled disallowed scores with a finite number (-1), which still gives them weight. Fill "
                      "with float('-inf') so that softmax gives them exactly 0.",
    "filled with -10": "you filled disallowed scores with a finite number (-10), which still gives them weight "
                      "when the scores are large or very negative. Fill with float('-inf') so that softmax gives "
                      "them exactly 0.",
    "filled with -100": "you filled disallowed scores with a finite number (-100), which still gives them weight "
                      "when the scores are large or very negative. Fill with float('-inf') so that softmax gives "
                      "them exactly 0.",
    "filled with -1000": "you filled disallowed scores with a finite number (-1000), which still gives them weight "
                      "when the scores are large or very negative. Fill with float('-inf') so that softmax gives "
                      "them exactly 0.",
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
    if torch.isnan(got).any() or torch.isinf(got).any():
        fail(ex, f"your output has NaN or inf (case: {desc}). It appears when a row of scores is all -inf "
                 "(nothing allowed) or when you compute exp() yourself without subtracting each row's max "
                 "(dim=-1, keepdim=True); use torch.softmax(scores, dim=-1), and mask with "
                 "masked_fill(~allowed, float('-inf')).")
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
        if "scaled_dot_product" in getattr(func, "__name__", ""):   # F.…, torch.ops.aten._…_math, _…_flash_…
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
        precision_lost(ex, got, expected, desc)
        n += 1
    for desc, q, k, v, allowed in list(_attention_cases(0))[2:7:2]:
        gradients_match(ex, fn, f"{desc}, gradients", (q, k, v, allowed), _sdpa, {0: "q", 1: "k", 2: "v"})
    passed(ex, f"{n} cases agree with torch.nn.functional.scaled_dot_product_attention (no mask, causal, "
               "padded keys, causal + padding, T ≠ S, Dv ≠ D, D = 1, large scores, rows of unequal scale, "
               "float64), and so do the gradients")


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
    x, c_attn, c_proj, H = case(2, 5, 16, 4)
    yield ("float64 x and layers (B=2, T=5, C=16), 4 heads, causal: return float64", x.double(), c_attn.double(),
           c_proj.double(), H, _causal(5))
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


def _mha_with_grad(x: Tensor, c_attn: nn.Linear, c_proj: nn.Linear, H: int, allowed: Tensor | None) -> Tensor:
    qkv = (_heads(t, H) for t in c_attn(x).split(x.size(-1), dim=-1))
    return c_proj(_merge(F.scaled_dot_product_attention(*qkv, attn_mask=allowed)))


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
    elif bug in ("split without transpose", "split and merge without transpose"):
        q, k, v = (t.reshape(B, H, T, D) for t in (q, k, v))
    elif bug in ("heads interleaved", "split interleaved"):                # channel c to head c % H
        q, k, v = (t.view(B, T, D, H).permute(0, 3, 1, 2) for t in (q, k, v))
    else:
        q, k, v = (_heads(t, H) for t in (q, k, v))
    scale = 1.0 / math.sqrt(C) if bug == "scale by C" else 1.0 / math.sqrt(D) if bug != "no scale" else 1.0
    if bug == "a causal mask of your own":
        allowed = _causal(T)
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=None if bug == "mask ignored" else allowed,
                                       scale=scale)                       # (B, H, T, D)
    if bug == "residual added":
        return c_proj(_merge(y)) + x
    y = (y.reshape(B, T, C) if bug in ("merge without transpose", "split and merge without transpose")
         else y.permute(0, 2, 3, 1).reshape(B, T, C) if bug == "heads interleaved" else _merge(y))
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
    "heads interleaved": "your heads take every n_head-th channel (a view of (B, T, D, n_head)): head h owns the "
                         "contiguous channels h*D .. (h+1)*D - 1, view(B, T, n_head, D).transpose(1, 2).",
    "split interleaved": "your heads take every n_head-th channel (a view of (B, T, D, n_head)), while the merge "
                         "puts them back side by side: head h owns the contiguous channels h*D .. (h+1)*D - 1, "
                         "view(B, T, n_head, D).transpose(1, 2).",
    "split and merge without transpose": "the heads were split and merged with plain reshapes between (B, T, C) and "
                                         "(B, n_head, T, D), which mixes tokens and channels. View as (B, T, n_head, "
                                         "D), then .transpose(1, 2) — and back: y.transpose(1, 2).reshape(B, T, C).",
    "a causal mask of your own": "you applied a causal mask of your own: pass the `allowed` you were given (None "
                                 "means every token sees every token).",
    "residual added": "you added x to the attention's output: the residual connection belongs to the block, not to "
                      "multi-head attention — return c_proj(merged heads) only.",
    "n_head and head size swapped": "you used C // n_head heads of n_head channels each: there are n_head heads, "
                                    "each of D = C // n_head channels.",
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
                    wrong = (_mha(x, c_attn, c_proj, C // H, allowed) if bug == "n_head and head size swapped"
                             else _mha(x, c_attn, c_proj, H, allowed, bug))
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
        precision_lost(ex, got, expected, desc)
        n += 1
    for desc, x, c_attn, c_proj, H, allowed in list(_mha_cases(0))[1:3]:
        gradients_match(ex, fn, f"{desc}, gradients", (x, c_attn, c_proj, H, allowed), _mha_with_grad, {0: "x"})
    passed(ex, f"{n} cases agree with GPT-2's multi-head attention on SDPA (1 to 8 heads, causal, causal + "
               "padding, one token, float64), and so do the gradients")


# ================================================================================================
# Exercise: LayerNorm by hand
# ================================================================================================
LNCase = tuple[str, Tensor, Tensor, Tensor, float]


def _ln_cases(n_random: int = 20) -> Iterator[LNCase]:
    g = generator(2)

    def affine(C: int) -> tuple[Tensor, Tensor]:
        return 1 + 0.5 * torch.randn(C, generator=g), 0.5 * torch.randn(C, generator=g)

    yield ("x (4, 8), unit weight and zero bias", torch.randn(4, 8, generator=g), torch.ones(8), torch.zeros(8), 1e-5)
    yield ("x (2, 3, 16) = (B, T, C), random weight and bias", torch.randn(2, 3, 16, generator=g), *affine(16), 1e-5)
    yield ("x (2, 5, 3): only C = 3 channels, where the unbiased variance is far off",
           torch.randn(2, 5, 3, generator=g) * 2 + 1, *affine(3), 1e-5)
    yield ("x (3, 4, 6) with means around 50 and spread 5", 50 + 5 * torch.randn(3, 4, 6, generator=g), *affine(6),
           1e-5)
    yield ("x (2, 8): nearly constant rows (variance 1e-6), where eps matters",
           0.01 + 1e-3 * torch.randn(2, 8, generator=g), *affine(8), 1e-5)
    yield ("x (2, 4, 8) with eps = 0.1 passed in", torch.randn(2, 4, 8, generator=g) * 0.3, *affine(8), 0.1)
    yield ("x (5, 7): T = 5 rows of C = 7 channels (normalise each row over its channels)",
           torch.randn(5, 7, generator=g) * 3, *affine(7), 1e-5)
    yield ("x (3, 4, 8) with means around 100 and spread 0.5, where E[x²] - E[x]² loses the variance",
           100 + 0.5 * torch.randn(3, 4, 8, generator=g), *affine(8), 1e-5)
    yield ("float64 x, weight, bias (2, 3, 8): return float64",
           *(t.double() for t in (torch.randn(2, 3, 8, generator=g), *affine(8))), 1e-5)
    for i in range(n_random):
        shape = [(3, 5), (2, 4, 6), (1, 3, 12), (2, 2, 2, 8)][i % 4]
        x = torch.randn(*shape, generator=g) * (0.5 + i % 3) + (i % 5 - 2)
        yield f"random x {tuple(shape)}", x, *affine(shape[-1]), 1e-5


def _ln_bugs(x: Tensor, w: Tensor, b: Tensor, eps: float) -> dict[str, Tensor]:
    mean, var = x.mean(-1, keepdim=True), x.var(-1, keepdim=True, unbiased=False)
    xhat = (x - mean) / torch.sqrt(var + eps)
    out = {"unbiased variance": (x - mean) / torch.sqrt(x.var(-1, keepdim=True, unbiased=True) + eps) * w + b,
           "eps outside the square root": (x - mean) / (torch.sqrt(var) + eps) * w + b,
           "eps ignored": (x - mean) / torch.sqrt(var + 1e-5) * w + b,
           "no eps": (x - mean) / torch.sqrt(var) * w + b,
           "divided by the variance": (x - mean) / (var + eps) * w + b,
           "no affine": xhat, "weight only": xhat * w, "bias only": xhat + b,
           "weight and bias swapped": xhat * b + w, "shift before scale": (xhat + b) * w,
           "one plus the weight": xhat * (1 + w) + b,
           "weight before normalising": (lambda y: (y - y.mean(-1, keepdim=True)) / torch.sqrt(
               y.var(-1, keepdim=True, unbiased=False) + eps) + b)(x * w),
           "E[x²] - E[x]²": (x - mean) / torch.sqrt((x * x).mean(-1, keepdim=True) - mean * mean + eps) * w + b,
           "no mean subtracted (RMSNorm)": x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w + b,
           "not normalised over the channels": ((x - x.mean(0, keepdim=True))
                                                / torch.sqrt(x.var(0, keepdim=True, unbiased=False) + eps) * w + b),
           "over every element": (x - x.mean()) / torch.sqrt(x.var(unbiased=False) + eps) * w + b}
    if x.dim() >= 3:
        m2, v2 = x.mean((-2, -1), keepdim=True), x.var((-2, -1), keepdim=True, unbiased=False)
        out["over the last two dimensions"] = (x - m2) / torch.sqrt(v2 + eps) * w + b
    return out


_LN_HINTS = {
    "unbiased variance": "you used the unbiased variance (divided by C - 1): torch.var and torch.std default to "
                         "it, LayerNorm does not. Use x.var(dim=-1, keepdim=True, unbiased=False) (or "
                         "((x - mean) ** 2).mean(-1, keepdim=True)).",
    "eps outside the square root": "eps is added outside the square root: divide by torch.sqrt(var + eps), not "
                                   "std + eps.",
    "no eps": "you left out eps: divide by torch.sqrt(var + eps) — without it a constant vector divides by 0.",
    "eps ignored": "you used eps = 1e-5 whatever eps was passed in: use the `eps` argument.",
    "divided by the variance": "you divided by the variance; divide by the standard deviation, "
                               "torch.sqrt(var + eps).",
    "no affine": "the weight and bias are missing: after normalising, return x_hat * weight + bias.",
    "weight only": "the bias is missing: return x_hat * weight + bias.",
    "bias only": "the weight is missing: return x_hat * weight + bias.",
    "weight and bias swapped": "weight and bias are swapped: x_hat * weight + bias.",
    "weight before normalising": "you multiplied by the weight before normalising, so the normalisation undoes it: "
                                 "normalise first, then x_hat * weight + bias.",
    "one plus the weight": "you scaled by (1 + weight) (Gemma's convention); nn.LayerNorm scales by the weight "
                           "itself: x_hat * weight + bias.",
    "E[x²] - E[x]²": "you computed the variance as E[x²] - E[x]²: when the mean is large next to the spread, the "
                     "two terms nearly cancel and float32 loses the difference. Subtract the mean first: "
                     "((x - mean) ** 2).mean(-1, keepdim=True), or x.var(-1, keepdim=True, unbiased=False).",
    "shift before scale": "you added the bias before scaling: x_hat * weight + bias, not (x_hat + bias) * weight.",
    "no mean subtracted (RMSNorm)": "you did not subtract the mean (that is RMSNorm, Llama's variant): LayerNorm "
                                    "computes (x - mean) / sqrt(var + eps).",
    "not normalised over the channels": "you normalised over the first dimension: each vector is normalised "
                                        "over its own C channels, the last dimension (dim=-1, keepdim=True).",
    "over every element": "you took one mean and variance over the whole tensor: take them per vector, over the "
                          "last dimension (dim=-1, keepdim=True).",
    "over the last two dimensions": "you normalised over (T, C); LayerNorm normalises each token's vector over "
                                    "its C channels only (dim=-1).",
}


@single_threaded
def check_layer_norm(fn: Callable[..., Tensor], name: str = "LayerNorm") -> None:
    """``fn(x (…, C), weight (C,), bias (C,), eps=1e-5) -> (…, C)`` against ``torch.nn.functional.layer_norm``,
    written by hand (a call of torch's own layer_norm is refused)."""
    ex, n = name, 0
    for desc, x, w, b, eps in _ln_cases():
        expected = F.layer_norm(x, (x.size(-1),), w, b, eps)
        # float rounding of x itself, magnified by the normalisation: large means over a small spread need more
        tol = 2e-5 + 8 * torch.finfo(x.dtype).eps * x.abs().max().item() / x.std(-1).min().item()
        with _Spy(*_NORMS) as spy:
            got = run_case(ex, fn, desc, x, w, b, eps, names=("x", "weight", "bias"),
                           crash_hint="Take the mean and variance over the last dimension with keepdim=True, "
                                      "so that they broadcast against x.",
                           inplace_hint="Use out-of-place ops (`x - mean`, not `x -= mean`).")
        if spy.called:
            fail(ex, f"your function calls torch's own {spy.called}: the exercise is to write it — mean and "
                     "variance over the last dimension, (x - mean) / sqrt(var + eps), then * weight + bias.")
        if not isinstance(got, Tensor):
            fail(ex, f"your function returned {type(got).__name__}, expected a torch.Tensor (case: {desc}).")
        if tuple(got.shape) != tuple(x.shape):
            fail(ex, f"output shape {tuple(got.shape)}, expected the shape of x, {tuple(x.shape)} (case: {desc}). "
                     "Use keepdim=True so that the mean and variance broadcast against x.")
        if got.dtype != x.dtype:
            fail(ex, f"your output has dtype {got.dtype}, expected {x.dtype}, the dtype of x (case: {desc}).")
        if not allclose(got, expected, atol=tol):
            for bug, wrong in _ln_bugs(x, w, b, eps).items():
                if allclose(got, wrong, atol=1e-4, rtol=1e-3, equal_nan=True) and not allclose(wrong, expected,
                                                                                             atol=tol):
                    fail(ex, f"{_LN_HINTS[bug]} (case: {desc})")
            if torch.isnan(got).any():
                fail(ex, f"your output has NaN (case: {desc}): is eps inside the square root, and the variance "
                         "taken over more than one value (and never negative: not E[x²] - E[x]²)?")
            bad = ~torch.isclose(got.double(), expected.double(), atol=tol, rtol=1e-4)
            idx = tuple(int(i) for i in bad.nonzero()[0])
            fail(ex, f"{int(bad.sum())} of {bad.numel()} values differ from F.layer_norm (case: {desc}); first at "
                     f"{idx}: got {got[idx].item():.5g}, expected {expected[idx].item():.5g}. LayerNorm is "
                     "(x - mean) / sqrt(var + eps) * weight + bias, mean and population variance over dim=-1.")
        precision_lost(ex, got, expected, desc)
        n += 1
    for desc, x, w, b, eps in list(_ln_cases(0))[1:6:2]:
        gradients_match(ex, fn, f"{desc}, gradients", (x, w, b, eps),
                        lambda x, w, b, eps: F.layer_norm(x, (x.size(-1),), w, b, eps),
                        {0: "x", 1: "weight", 2: "bias"})
    passed(ex, f"{n} cases agree with torch.nn.functional.layer_norm (C = 3 to 16, offsets, near-constant rows, "
               "eps passed in, float64), and so do the gradients")


_NORMS = ("layer_norm", "group_norm", "batch_norm", "instance_norm", "rms_norm")


class _Spy(TorchFunctionMode):
    """Notices a call of any torch function whose name contains one of ``names`` (F.layer_norm,
    torch.native_layer_norm, torch.ops.aten.native_layer_norm, an nn.LayerNorm module...)."""

    def __init__(self, *names: str) -> None:
        super().__init__()
        self.names, self.called = names, ""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if any(n in name for n in self.names):
            self.called = self.called or name
        return func(*args, **(kwargs or {}))


# ================================================================================================
# Exercise: a transformer block
# ================================================================================================
class _WatchedBlock(Block):
    """A real ``llmlab.gpt.Block`` that notices being called as a whole (the exercise is to write its forward)."""

    called = False

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__(cfg)
        self.parts_called: list[str] = []      # the modules of exercises 2 and 3a, called instead of written
        for part in ("ln_1", "ln_2", "attn"):
            getattr(self, part).register_forward_pre_hook(lambda *_, part=part: self.parts_called.append(part))

    def forward(self, x: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        self.called = True
        return super().forward(x, attention_mask)


def _random_block(C: int, H: int, g: torch.Generator, eps: float = 1e-5) -> _WatchedBlock:
    """A block whose every weight matters: unit-scale matmuls, random biases and LayerNorm gains (GPT-2's
    init would make the sub-layers' outputs tiny next to the residual, hiding most bugs)."""
    block = _WatchedBlock(GPTConfig(n_embd=C, n_head=H, block_size=64, vocab_size=8))
    with torch.no_grad():
        for name, p in block.named_parameters():
            if name.endswith("weight") and p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.size(1)))
            elif name.startswith(("ln_1", "ln_2")) and name.endswith("weight"):
                p.copy_(1 + 0.3 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
    block.ln_1.eps = block.ln_2.eps = eps
    return block.eval().requires_grad_(False)


def _block_cases(n_random: int = 12) -> Iterator[tuple[str, Tensor, _WatchedBlock]]:
    g = generator(3)
    yield "x (2, 5, 16), 4 heads", torch.randn(2, 5, 16, generator=g), _random_block(16, 4, g)
    yield "x (1, 7, 24), 3 heads", torch.randn(1, 7, 24, generator=g), _random_block(24, 3, g)
    yield "x (3, 4, 8), 1 head", torch.randn(3, 4, 8, generator=g), _random_block(8, 1, g)
    yield "x (2, 1, 16), one token", torch.randn(2, 1, 16, generator=g), _random_block(16, 2, g)
    yield ("x (2, 5, 16), 4 heads, LayerNorms with eps = 0.5 (block.ln_1.eps, block.ln_2.eps)",
           torch.randn(2, 5, 16, generator=g), _random_block(16, 4, g, eps=0.5))
    yield ("float64 x and block (2, 4, 8), 2 heads: return float64", torch.randn(2, 4, 8, generator=g).double(),
           _random_block(8, 2, g).double())
    for i in range(n_random):
        H = [1, 2, 4, 3][i % 4]
        C, B, T = H * [4, 8][i % 2], 1 + i % 3, 2 + (i * 3) % 7
        eps = 0.1 if i % 3 == 0 else 1e-5
        yield (f"random x ({B}, {T}, {C}), {H} heads, LayerNorm eps {eps:g}", torch.randn(B, T, C, generator=g) * 1.5,
               _random_block(C, H, g, eps))


def _block_bugs(x: Tensor, block: Block) -> dict[str, Tensor]:
    """Block.forward's usual wrong versions, computed from the block's own modules."""
    T = x.size(1)
    causal = _causal(T)

    def attn(h: Tensor, allowed: Tensor | None = causal) -> Tensor:
        return _mha(h, block.attn.c_attn, block.attn.c_proj, block.attn.n_head, allowed)

    def mlp(h: Tensor, act: Callable[[Tensor], Tensor] = lambda t: F.gelu(t, approximate="tanh")) -> Tensor:
        return block.mlp.c_proj(act(block.mlp.c_fc(h)))

    ln1, ln2 = block.ln_1, block.ln_2

    def ln_unbiased(h: Tensor, m: nn.LayerNorm) -> Tensor:
        return (h - h.mean(-1, keepdim=True)) / torch.sqrt(h.var(-1, keepdim=True) + m.eps) * m.weight + m.bias

    def ln_over_tokens(h: Tensor, m: nn.LayerNorm) -> Tensor:
        mu, var = h.mean(1, keepdim=True), h.var(1, keepdim=True, unbiased=False)
        return (h - mu) / torch.sqrt(var + m.eps) * m.weight + m.bias

    def ln1_default_eps(h: Tensor) -> Tensor:
        return F.layer_norm(h, h.shape[-1:], ln1.weight, ln1.bias, 1e-5)

    def ln2_default_eps(h: Tensor) -> Tensor:
        return F.layer_norm(h, h.shape[-1:], ln2.weight, ln2.bias, 1e-5)

    with torch.no_grad():
        h = x + attn(ln1(x))
        out = {"post-LN": ln2((y := ln1(x + attn(x))) + mlp(y)),
               "no attention residual": (a := attn(ln1(x))) + mlp(ln2(a)),
               "no MLP residual": mlp(ln2(h)),
               "no residuals": mlp(ln2(attn(ln1(x)))),
               "residual from the normalised x": (r := ln1(x) + attn(ln1(x))) + mlp(ln2(r)),
               "parallel attention and MLP": x + attn(ln1(x)) + mlp(ln2(x)),
               "ln_1 used twice": h + mlp(ln1(h)),
               "ln_2 used twice": (s := x + attn(ln2(x))) + mlp(ln2(s)),
               "ln_1 and ln_2 swapped": (s2 := x + attn(ln2(x))) + mlp(ln1(s2)),
               "eps ignored": (e := x + attn(ln1_default_eps(x))) + mlp(ln2_default_eps(e)),
               "GELU after the projection": h + F.gelu(block.mlp.c_proj(block.mlp.c_fc(ln2(h))), approximate="tanh"),
               "GELU after the projection too": h + F.gelu(mlp(ln2(h)), approximate="tanh"),
               "LayerNorm with the unbiased variance":
                   (hu := x + attn(ln_unbiased(x, ln1))) + mlp(ln_unbiased(hu, ln2)),
               "LayerNorm over the tokens": (ht := x + attn(ln_over_tokens(x, ln1))) + mlp(ln_over_tokens(ht, ln2)),
               "one head": (h1 := x + _mha(ln1(x), block.attn.c_attn, block.attn.c_proj, 1, causal)) + mlp(ln2(h1)),
               "no LayerNorm": (u := x + attn(x)) + mlp(u),
               "MLP before attention": (m := x + mlp(ln2(x))) + attn(ln1(m)),
               "exact GELU": h + mlp(ln2(h), F.gelu),
               "ReLU": h + mlp(ln2(h), F.relu),
               "no activation": h + mlp(ln2(h), lambda t: t),
               "not causal": (v := x + attn(ln1(x), None)) + mlp(ln2(v)),
               "only the attention half": h,
               "output before the MLP's projection":
                   h + F.gelu(block.mlp.c_fc(ln2(h)), approximate="tanh")[..., :x.size(-1)]}
        if T > 1:
            out["anti-causal mask"] = (w := x + attn(ln1(x), causal.T)) + mlp(ln2(w))
    return out


_BLOCK_HINTS = {
    "post-LN": "you normalised after the residual addition (the original 2017 'post-LN' layout). GPT-2 is pre-LN: "
               "x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)) — the residual stream itself is never normalised.",
    "no attention residual": "the attention's residual connection is missing: x = x + attn(ln_1(x)), not "
                             "x = attn(ln_1(x)).",
    "no MLP residual": "the MLP's residual connection is missing: return x + mlp(ln_2(x)), not mlp(ln_2(x)).",
    "no residuals": "both residual connections are missing: each sub-layer adds its result to x "
                    "(x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))).",
    "residual from the normalised x": "you added the attention's output to ln_1(x) instead of to x: the residual "
                                      "stream carries the un-normalised x (x = x + attn(ln_1(x))).",
    "parallel attention and MLP": "the MLP read the block's input instead of the attention's result (that is "
                                  "GPT-J's 'parallel' block): apply ln_2 and the MLP to x after x = x + attn(...).",
    "ln_1 used twice": "you used ln_1 before the MLP too: each sub-layer has its own LayerNorm (ln_2 before the MLP).",
    "ln_1 and ln_2 swapped": "ln_1 and ln_2 are swapped: ln_1 goes before the attention, ln_2 before the MLP.",
    "eps ignored": "you used eps = 1e-5 whatever the block's LayerNorms say: pass block.ln_1.eps and block.ln_2.eps "
                   "to your layer_norm.",
    "GELU after the projection too": "you applied GELU after c_proj as well: the MLP is c_proj(gelu(c_fc(h))), "
                                     "with nothing after c_proj.",
    "LayerNorm with the unbiased variance": "your LayerNorm uses the unbiased variance (torch.var's default): pass "
                                            "unbiased=False. Does your layer_norm pass its own check?",
    "LayerNorm over the tokens": "your LayerNorm takes its statistics over the tokens (dim 1): normalise each token's "
                                 "vector over its C channels (dim=-1).",
    "one head": "you ran the attention with one head: pass block.attn.n_head.",
    "GELU after the projection": "the GELU is in the wrong place: it goes between c_fc and c_proj, "
                                 "c_proj(gelu(c_fc(h))), not after c_proj.",
    "ln_2 used twice": "you used ln_2 before the attention: ln_1 goes before the attention, ln_2 before the MLP.",
    "no LayerNorm": "the LayerNorms are missing: normalise the input of each sub-layer (ln_1 before attention, "
                    "ln_2 before the MLP).",
    "MLP before attention": "the sub-layers are in the wrong order: attention first (mixing positions), then the MLP.",
    "exact GELU": "you used the exact GELU; GPT-2 uses the tanh approximation ('gelu_new'): "
                  "F.gelu(h, approximate='tanh'). The two differ by up to ~1e-3 — enough to change the logits.",
    "ReLU": "you used ReLU; GPT-2's MLP uses GELU (tanh approximation): F.gelu(h, approximate='tanh').",
    "no activation": "the MLP has no nonlinearity between c_fc and c_proj: F.gelu(c_fc(h), approximate='tanh'). "
                     "Without it the two linear layers collapse into one.",
    "not causal": "the attention is not causal: pass a causal mask (attention.causal_allowed(T)) so that no token "
                  "sees the tokens after it.",
    "anti-causal mask": "the causal mask is transposed: query t may see keys 0..t (a lower-triangular mask, tril).",
    "only the attention half": "you returned after the attention: the block goes on with x + mlp(ln_2(x)).",
    "output before the MLP's projection": "the MLP's output projection is missing: mlp(h) = c_proj(gelu(c_fc(h))).",
}


@single_threaded
def check_transformer_block(fn: Callable[..., Tensor], name: str = "transformer block") -> None:
    """``fn(x (B, T, C), block: llmlab.gpt.Block) -> (B, T, C)``, causal, against ``block(x)`` itself (written
    from the block's parts: calling the block as a whole is refused)."""
    ex, n = name, 0
    for desc, x, block in _block_cases():
        with torch.no_grad():
            expected = Block.forward(block, x)
        block.called, block.parts_called = False, []
        with torch.no_grad(), _Spy(*_NORMS) as spy:
            got = run_case(ex, fn, desc, x, block, names=("x",),
                           crash_hint="The parts are block.ln_1, block.attn.c_attn / c_proj / n_head, block.ln_2, "
                                      "block.mlp.c_fc / c_proj.",
                           inplace_hint="Use `x = x + ...`, not `x += ...`: the caller still needs its x.")
        if block.called:
            fail(ex, "your function calls the block itself (block(x) or block.forward): the exercise is to write "
                     "its forward from its parts.")
        if block.parts_called or spy.called:
            what = f"block.{block.parts_called[0]}(...)" if block.parts_called else f"torch's {spy.called}"
            fail(ex, f"your function calls {what}: write the block with your own `layer_norm` (with the block's "
                     "ln_1 / ln_2 weight, bias and eps) and your own `multi_head_attention` (with block.attn.c_attn, "
                     "c_proj, n_head and a causal mask) — the exercise puts your two earlier answers together.")
        if not isinstance(got, Tensor):
            fail(ex, f"your function returned {type(got).__name__}, expected a torch.Tensor (case: {desc}).")
        if tuple(got.shape) != tuple(x.shape):
            fail(ex, f"output shape {tuple(got.shape)}, expected (B, T, C) = {tuple(x.shape)} (case: {desc}).")
        if got.dtype != x.dtype:
            fail(ex, f"your output has dtype {got.dtype}, expected {x.dtype}, the dtype of x (case: {desc}).")
        if not allclose(got, expected, atol=5e-5, rtol=1e-4):
            for bug, wrong in _block_bugs(x, block).items():
                if allclose(got, wrong, atol=1e-4, rtol=1e-3) and not allclose(wrong, expected, atol=5e-5):
                    fail(ex, f"{_BLOCK_HINTS[bug]} (case: {desc})")
            bad = ~torch.isclose(got.double(), expected.double(), atol=5e-5, rtol=1e-4)
            idx = tuple(int(i) for i in bad.nonzero()[0])
            fail(ex, f"{int(bad.sum())} of {bad.numel()} values differ from the block's own forward (case: {desc}); "
                     f"first at {idx}: got {got[idx].item():.5g}, expected {expected[idx].item():.5g}. Steps: "
                     "x = x + mha(layer_norm(x) with ln_1's weights, c_attn, c_proj, n_head, causal); "
                     "x = x + c_proj(gelu_tanh(c_fc(layer_norm(x) with ln_2's weights))). Do your layer_norm and "
                     "multi_head_attention pass their own checks?")
        precision_lost(ex, got, expected, desc)
        n += 1
    for desc, x, block in list(_block_cases(0))[:2]:
        gradients_match(ex, fn, f"{desc}, gradients", (x, block), lambda x, block: Block.forward(block, x), {0: "x"})
    passed(ex, f"{n} cases agree with llmlab.gpt.Block (GPT-2's pre-LN block; 1 to 4 heads, one token, the "
               "block's eps, float64), and so do the gradients")


__all__ = ["check_attention", "check_multi_head_attention", "check_layer_norm", "check_transformer_block"]
