"""Checks for Lab 04's exercises: the memory bill of training, absmax and zero-point int8, fake quantization.

    check_bytes_to_train(fn)        # fn(n_params, mixed) -> {"weights", "gradients", "adam", "master"} in bytes
    check_absmax(fn)                # fn(x, dim=None) -> (q int8, scale)
    check_zeropoint(fn)             # fn(x, dim=None) -> (q int8, scale, zero)
    check_fake_quantize(fn)         # fn(w, bits, dim=0) -> w quantized in the forward, identity gradient

The references are ``llmlab.lab04.quantize`` (itself tested against bitsandbytes and torch's observers)
and the ZeRO paper's accounting of mixed-precision Adam. On a mismatch a check recomputes the usual wrong
versions (one Adam moment, bits for bytes, 128 or 256 levels, truncation instead of rounding, the scale
over the wrong dimension, the zero point's sign, no straight-through estimator, …) to name the bug.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import torch
from torch import Tensor

from llmlab.checks import call, fail, generator, passed, run_case, single_threaded
from llmlab.checks import yours_or_reference  # noqa: F401 - the labs call checks.yours_or_reference
from llmlab.lab04 import quantize as Q

PARTS = ("weights", "gradients", "adam", "master")


def _num(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


# ================================================================================================
# Exercise: what training one parameter costs
# ================================================================================================
def reference_bytes_to_train(n_params: int, mixed: bool) -> dict[str, int]:
    """Adam in fp32: 4 + 4 + 8 bytes per parameter. Mixed precision (fp16/bf16 weights and gradients, an
    fp32 master copy that the optimizer updates, fp32 moments): 2 + 2 + 8 + 4. Both 16 bytes (ZeRO, §3.1)."""
    if mixed:
        return {"weights": 2 * n_params, "gradients": 2 * n_params, "adam": 8 * n_params, "master": 4 * n_params}
    return {"weights": 4 * n_params, "gradients": 4 * n_params, "adam": 8 * n_params, "master": 0}


_PART_BUGS = {
    "adam": {4: "Adam keeps *two* fp32 moments per parameter (m and v): 8 bytes, not 4.",
             2: "Adam's moments stay in fp32 under mixed precision: 2 × 4 = 8 bytes per parameter.",
             16: "Adam keeps two moments of 4 bytes each: 8 bytes per parameter (16 counts them twice).",
             12: "the 12 bytes of the ZeRO paper's K are master copy + two moments; count the master copy under "
                 "'master' and only the two moments (8 bytes) under 'adam'."},
    "master": {2: "the master copy is fp32 (4 bytes): it exists because small updates vanish in 16 bits."},
    "gradients": {8: "one gradient per parameter, in the weights' format: 4 bytes in fp32, 2 in mixed precision."},
}


@single_threaded
def check_bytes_to_train(fn: Callable[[int, bool], dict], name: str = "bytes to train") -> None:
    """``fn(n_params, mixed) -> {"weights", "gradients", "adam", "master"}``, each in bytes."""
    ex = name
    for n in (1_000_000_000, 7_000_000, 1):
        for mixed in (False, True):
            want = reference_bytes_to_train(n, mixed)
            got = call(ex, fn, n, mixed)
            desc = f"n_params={n:,}, mixed={mixed}"
            if not isinstance(got, dict):
                fail(ex, f"return a dict with keys {PARTS}, got {type(got).__name__} ({desc}).")
            missing = [k for k in PARTS if k not in got]
            if missing:
                fail(ex, f"the dict lacks {missing} ({desc}); expected exactly the keys {PARTS} "
                         "(use 0 for a part that does not exist).")
            extra = [k for k in got if k not in PARTS]
            if extra:
                fail(ex, f"unexpected keys {extra} ({desc}): keep to {PARTS}; the total is their sum.")
            for part in PARTS:
                g, w = got[part], want[part]
                try:
                    g = float(g)
                except (TypeError, ValueError):
                    fail(ex, f"{part!r} should be a number of bytes, got {g!r} ({desc}).")
                if abs(g - w) <= 1e-9 * max(1, w):
                    continue
                per = g / n
                hint = _PART_BUGS.get(part, {}).get(round(per, 6), "")
                swapped = reference_bytes_to_train(n, not mixed)
                if all(_num(got.get(k)) == swapped[k] for k in PARTS):
                    hint = ("these are the numbers of the *other* recipe: mixed=True means 16-bit weights and "
                            "gradients "
                            "plus an fp32 master copy; mixed=False, everything fp32 and no master copy.")
                elif g < 0 or (w and abs((g - w) % 2 ** 32) < 1):
                    hint = ("an integer overflow: 32-bit integers (numpy or torch int32) stop at 2.1e9; compute with "
                            "Python ints (`4 * n_params`).")
                if not hint and w and abs(g - 8 * w) < 1e-6 * w:
                    hint = "that is the size in bits: a byte holds 8 bits (fp32 = 4 bytes, bf16 = 2)."
                elif not hint and w and (abs(g - w / 1e9) < 1e-6 * w or abs(g - w / 2 ** 30) < 1e-6 * w):
                    hint = "return bytes, not GB or GiB; the lab converts for display."
                elif not hint and part == "master" and not mixed and g:
                    hint = "fp32 training needs no master copy: the weights are already fp32 (use 0)."
                elif not hint and part == "master" and mixed and not g:
                    hint = ("mixed precision keeps an fp32 master copy of the weights (4 bytes each): the optimizer "
                            "updates it, and the 16-bit weights are re-cast from it.")
                elif not hint and mixed and part in ("weights", "gradients") and abs(per - 4) < 1e-9:
                    hint = f"under mixed precision the {part} are 16-bit: 2 bytes per parameter."
                elif not hint and part == "adam" and abs(per - 8) > 1e-9:
                    hint = "Adam stores two fp32 moments per parameter: 2 × 4 bytes."
                fail(ex, f"{part!r} is {g:,.0f} bytes ({per:g} per parameter), expected {w:,} "
                         f"({w / n:g} per parameter) for {desc}. " + (hint or "Count bytes per parameter × n_params."))
    passed(ex, "fp32 and mixed-precision Adam both come to 16 bytes per parameter, before activations")


# ================================================================================================
# Exercises: absmax and zero-point int8
# ================================================================================================
Case = tuple[str, Tensor, int | None]


def _quant_cases() -> Iterator[Case]:
    g = generator(4)
    w = torch.randn(16, 24, generator=g) * 0.05
    yield "a (16, 24) weight matrix, one scale for the tensor (dim=None)", w, None
    yield "the same matrix, one scale per output row (dim=0)", w, 0
    rows = torch.randn(6, 40, generator=g) * torch.tensor([0.01, 0.1, 1.0, 3.0, 0.5, 0.2])[:, None]
    yield "rows of very different magnitude, per row (dim=0)", rows, 0
    yield "the same, per column (dim=1)", rows.t().contiguous(), 1
    outlier = torch.randn(8, 32, generator=g) * 0.02
    outlier[2, 7] = 1.5
    yield "a matrix with one outlier, per tensor", outlier, None
    yield "a batch of activations (B=2, T=5, C=12), per channel (dim=-1)", torch.randn(2, 5, 12, generator=g), -1
    shifted = torch.rand(10, 16, generator=g) * 2 + 0.3
    yield "all-positive values (post-ReLU activations), per tensor", shifted, None
    skewed = torch.randn(10, 16, generator=g) * 0.1 - 0.5
    yield "mostly negative values, per row (dim=0)", skewed, 0
    with_zero_row = torch.randn(5, 8, generator=g)
    with_zero_row[3] = 0
    yield "a matrix with an all-zero row, per row (scale must not be 0)", with_zero_row, 0


def _keepdim_hint(err: Exception) -> str:
    if isinstance(err, RuntimeError) and ("size of tensor" in str(err) or "shape" in str(err)):
        return ("A size mismatch usually means the per-slice statistics lost their reduced dimensions: reduce "
                "with keepdim=True so that they broadcast against x.")
    if "ambiguous" in str(err):
        return "Python's max()/min() work on numbers; on tensors use .clamp(min=...) or torch.maximum."
    return ""


def _zero_scale(ex: str, scale: Tensor, desc: str) -> None:
    if not torch.all(scale > 0):
        fail(ex, f"a scale is {scale.min().item():g} (case: {desc}): an all-zero slice gives max|x| = 0, and "
                 "x / 0 is NaN. Clamp the scale to a tiny positive number: `.clamp(min=torch.finfo(x.dtype).tiny)`.")


def _as_tuple(ex: str, out: Any, n: int, desc: str, what: str) -> tuple:
    if not isinstance(out, tuple) or len(out) != n:
        fail(ex, f"return a tuple {what}, got {type(out).__name__}"
                 + (f" of {len(out)} items" if isinstance(out, tuple) else "") + f" (case: {desc}).")
    return out


def _check_q(ex: str, q: Any, want: Tensor, desc: str) -> Tensor:
    if not isinstance(q, Tensor):
        fail(ex, f"q should be a torch.Tensor, got {type(q).__name__} (case: {desc}).")
    if tuple(q.shape) != tuple(want.shape):
        fail(ex, f"q has shape {tuple(q.shape)}, expected {tuple(want.shape)}, the input's (case: {desc}).")
    if q.dtype != torch.int8:
        hint = ("you returned the dequantized values or unrounded levels; q holds the integers themselves: "
                "`torch.round(...).clamp(...).to(torch.int8)`.") if q.is_floating_point() else \
               ("int8 holds −128 … 127: store q with `.to(torch.int8)`" +
                (" (uint8 is the 0 … 255 convention; this lab's zero-point uses signed int8)." if q.dtype == torch.uint8
                 else "."))
        fail(ex, f"q has dtype {q.dtype}, expected torch.int8 (case: {desc}). {hint}")
    return q


def _scale_broadcasts(ex: str, scale: Any, x: Tensor, dim: int | None, desc: str, what: str = "scale") -> Tensor:
    if not isinstance(scale, Tensor):
        try:
            scale = torch.tensor(float(scale))
        except (TypeError, ValueError):
            fail(ex, f"{what} should be a tensor (or a number), got {type(scale).__name__} (case: {desc}).")
    if dim is None and scale.numel() != 1:
        fail(ex, f"with dim=None there is one {what} for the whole tensor; yours has shape {tuple(scale.shape)} "
                 f"(case: {desc}).")
    if dim is not None:
        want_shape = [1] * x.dim()
        want_shape[dim] = x.shape[dim]
        if list(scale.shape) != want_shape:
            hint = ("reduce over every dimension except `dim`, with keepdim=True, so that the scales broadcast "
                    "against x" if scale.numel() == x.shape[dim] else
                    "there is one scale per slice along `dim`: reduce over all the *other* dimensions "
                    "(keepdim=True)")
            fail(ex, f"{what} has shape {tuple(scale.shape)}, expected {tuple(want_shape)} (case: {desc}): {hint}.")
    return scale


def _diagnose(ex: str, got: Tensor, x: Tensor, dim: int | None, candidates: dict[str, Callable[[], Tensor]],
              want: Tensor, desc: str, what: str = "q") -> None:
    for hint, make in candidates.items():
        try:
            bug = make()
        except Exception:  # noqa: BLE001 - a candidate that cannot be formed on this case does not apply
            continue
        if bug.shape == got.shape and torch.equal(bug.to(got.dtype), got):
            fail(ex, f"{what} differs from the reference (case: {desc}): {hint}")
    bad = got.to(torch.int32) != want.to(torch.int32)
    idx = tuple(int(i) for i in bad.nonzero()[0])
    fail(ex, f"{what} differs from the reference in {int(bad.sum())} of {bad.numel()} entries (case: {desc}); "
             f"first at {idx}: x = {x[idx].item():.5g}, got {got[idx].item()}, expected {want[idx].item()}.")


def _other_dims(x: Tensor, dim: int | None) -> list[int] | None:
    return None if dim is None else [d for d in range(x.dim()) if d != dim % x.dim()]


def _amax(x: Tensor, dims: list[int] | None) -> Tensor:
    return x.abs().amax() if dims is None else x.abs().amax(dim=dims, keepdim=True)


@single_threaded
def check_absmax(fn: Callable[..., tuple[Tensor, Tensor]], name: str = "absmax int8") -> None:
    """``fn(x, dim=None) -> (q, scale)``: q = round(x / scale) in int8, scale = max|x| / 127 (per ``dim``)."""
    ex = name
    for desc, x, dim in _quant_cases():
        out = run_case(ex, fn, desc, x, dim, names=("x", "dim"), crash_hint=_keepdim_hint)
        q, scale = _as_tuple(ex, out, 2, desc, "(q, scale)")
        want_q, want_scale = Q.absmax_quantize(x, dim)
        q = _check_q(ex, q, want_q, desc)
        scale = _scale_broadcasts(ex, scale, x, dim, desc)
        _zero_scale(ex, scale, desc)
        if not torch.allclose(scale.double(), want_scale.double(), rtol=1e-5, atol=0):
            dims, other = _other_dims(x, dim), None
            if dim is not None:
                other = _amax(x, [dim]) / 127
            ratio = (scale.double() / want_scale.double()).flatten()
            if torch.allclose(ratio, torch.full_like(ratio, 127 / 128), rtol=1e-5):
                hint = "divide max|x| by 127, not 128: symmetric int8 uses −127 … 127 so that +x and −x match."
            elif torch.allclose(ratio, torch.full_like(ratio, 127 / 255), rtol=1e-5):
                hint = "divide max|x| by 127 (half the range: the levels are symmetric around 0), not 255."
            elif torch.allclose(scale.double(), 1 / want_scale.double(), rtol=1e-5):
                hint = "that is 1/scale: scale = max|x| / 127, and q = x / scale."
            elif other is not None and other.shape == scale.shape and torch.allclose(scale, other, rtol=1e-5):
                hint = "you reduced over `dim` itself; per-channel scales reduce over all the *other* dimensions."
            elif torch.allclose(scale.double(), (x.amax() if dims is None else x.amax(dim=dims, keepdim=True))
                                .double() / 127, rtol=1e-5):
                hint = "use the largest *absolute* value (x.abs().amax()), not the largest value."
            else:
                hint = "scale = x.abs().amax(...) / 127."
            fail(ex, f"scale differs from the reference (case: {desc}): {hint}")
        if torch.equal(q, want_q):
            continue
        s = want_scale
        _diagnose(ex, q, x, dim, {
            "`.to(torch.int8)` truncates toward zero; round first (`torch.round(x / scale)`).":
                lambda: (x / s).to(torch.int8),
            "use round-to-nearest (`torch.round`), not floor.": lambda: torch.floor(x / s).clamp(-127, 127),
            "use round-to-nearest (`torch.round`), not ceil.": lambda: torch.ceil(x / s).clamp(-127, 127),
        }, want_q, desc)
    passed(ex, "equal to the reference (and to bitsandbytes' vector-wise int8) on 9 cases")


@single_threaded
def check_zeropoint(fn: Callable[..., tuple[Tensor, Tensor, Tensor]], name: str = "zero-point int8") -> None:
    """``fn(x, dim=None) -> (q, scale, zero)``: scale = (max − min) / 255 over a range that includes 0,
    zero = −128 − round(min / scale), q = round(x / scale) + zero, clamped to −128 … 127."""
    ex = name
    for desc, x, dim in _quant_cases():
        out = run_case(ex, fn, desc, x, dim, names=("x", "dim"), crash_hint=_keepdim_hint)
        q, scale, zero = _as_tuple(ex, out, 3, desc, "(q, scale, zero)")
        if isinstance(scale, Tensor) and not scale.is_floating_point() and isinstance(zero, Tensor) \
                and zero.is_floating_point():
            fail(ex, f"scale is an integer tensor and zero a float one (case: {desc}): return them in the order "
                     "(q, scale, zero).")
        want_q, want_scale, want_zero = Q.zeropoint_quantize(x, dim)
        q = _check_q(ex, q, want_q, desc)
        scale = _scale_broadcasts(ex, scale, x, dim, desc)
        zero = _scale_broadcasts(ex, zero, x, dim, desc, "zero")
        _zero_scale(ex, scale, desc)
        dims = _other_dims(x, dim)
        lo = x.amin() if dims is None else x.amin(dim=dims, keepdim=True)
        hi = x.amax() if dims is None else x.amax(dim=dims, keepdim=True)
        if not torch.allclose(scale.double(), want_scale.double(), rtol=1e-5, atol=0):
            if torch.allclose(scale.double(), ((hi - lo) / 255).double(), rtol=1e-5):
                hint = ("the range must include 0 (min = min(x.min(), 0), max = max(x.max(), 0)), so that 0.0 — "
                        "padding, ReLU outputs — is stored exactly; here all values have one sign.")
            elif torch.allclose(scale.double(), want_scale.double() * 255 / 256, rtol=1e-5):
                hint = "divide the range by 255 (the number of *steps* between 256 levels), not 256."
            elif torch.allclose(scale.double(), want_scale.double() * 255 / 127, rtol=1e-5):
                hint = "that is absmax's 127; zero-point spreads the range over all 256 levels: (max − min) / 255."
            elif torch.allclose(scale.double(), (_amax(x, dims) / 127).double(), rtol=1e-5):
                hint = "that is the absmax scale; zero-point uses (max − min) / 255."
            else:
                hint = "scale = (max − min) / 255, with min ≤ 0 ≤ max."
            fail(ex, f"scale differs from the reference (case: {desc}): {hint}")
        if zero.is_floating_point() and not torch.equal(zero, torch.round(zero)):
            fail(ex, f"zero is {zero.flatten()[0].item():g}, not an integer (case: {desc}): round the zero point — it "
                     "is the *integer* that stands for 0.0 (`torch.round(...)`, then `.to(torch.int32)`).")
        zero, want_zero = zero.reshape(want_zero.shape), want_zero
        if not torch.equal(zero.to(torch.int64), want_zero.to(torch.int64)):
            s = want_scale
            lo0 = lo.clamp(max=0)
            got_zero = zero.to(torch.int64)

            def same(t: Tensor) -> bool:
                return torch.equal(got_zero, t.to(torch.int64)) or \
                    torch.equal(got_zero, t.clamp(-128, 127).to(torch.int64))
            r = torch.round(lo0 / s)
            if same(128 + r) or same(-128 + r):
                hint = "the sign is flipped: zero = −128 − round(min / scale), so that min maps to −128."
            elif same(-r):
                hint = ("that is the zero point for uint8 (0 … 255); for int8 (−128 … 127) subtract 128: "
                        "zero = −128 − round(min / scale).")
            elif same(-128 - torch.floor(lo0 / s)) or same(-128 - torch.ceil(lo0 / s)) or \
                    same(-128 - torch.trunc(lo0 / s)):
                hint = "round min / scale to the nearest integer (`torch.round`), not floor, ceil or truncation."
            elif dim is not None and same(-128 - torch.round(x.amin().clamp(max=0) / s)):
                hint = "use each slice's own min with its own scale (the same reduction as for the scale)."
            else:
                hint = "zero = −128 − round(min / scale) (an integer in −128 … 127)."
            fail(ex, f"zero differs from the reference (case: {desc}): got {zero.flatten()[:4].tolist()}, "
                     f"expected {want_zero.flatten()[:4].tolist()}. {hint}")
        if torch.equal(q, want_q):
            continue
        s, z = want_scale, want_zero
        _diagnose(ex, q, x, dim, {
            "clamp to −128 … 127 *before* `.to(torch.int8)`: values past the range wrap around.":
                lambda: (torch.round(x / s) + z).to(torch.int8),
            "add the zero point, don't subtract it: q = round(x / scale) + zero.":
                lambda: (torch.round(x / s) - z).clamp(-128, 127),
            "`.to(torch.int8)` truncates toward zero; round first.":
                lambda: (x / s + z).clamp(-128, 127).to(torch.int8),
            "round x / scale, then add the zero point (rounding after adding differs by one at halves).":
                lambda: torch.round(x / s + z).clamp(-128, 127),
            "q = round(x / scale) + zero: the zero point already accounts for min (don't subtract min too).":
                lambda: (torch.round((x - lo.clamp(max=0)) / s) + z).clamp(-128, 127),
            "round(x / scale) + zero with *this* zero point; round((x − min) / scale) − 128 rounds differently "
            "(min / scale is not an integer). Use q = round(x / scale) + zero.":
                lambda: (torch.round((x - lo.clamp(max=0)) / s) - 128).clamp(-128, 127),
            "round to nearest (`torch.round`), not truncation or floor.":
                lambda: (torch.trunc(x / s) + z).clamp(-128, 127),
            "use round-to-nearest, not floor.": lambda: (torch.floor(x / s) + z).clamp(-128, 127),
            "zero-point int8 uses all of −128 … 127: clamp to −128, not −127.":
                lambda: (torch.round(x / s) + z).clamp(-127, 127),
            "round(x / scale) was cast to int8 before adding the zero point, so values past 127 wrapped around: add "
            "the zero point first, clamp, then cast.":
                lambda: (((torch.round(x / s) + 128) % 256 - 128) + z).clamp(-128, 127),
        }, want_q, desc)
    passed(ex, "equal to the reference (and to torch's qint8 observers) on 9 cases")


# ================================================================================================
# Exercise: fake quantization with a straight-through estimator
# ================================================================================================
@single_threaded
def check_fake_quantize(fn: Callable[..., Tensor], name: str = "fake quantization") -> None:
    """``fn(w, bits, dim=0) -> Tensor``: forward = ``quantize.absmax_round_trip(w, bits, dim)``,
    backward = the identity (the gradient reaching the output passes to ``w`` unchanged)."""
    ex = name
    g = generator(7)
    cases = [("a (12, 20) weight, 4 bits, per row", torch.randn(12, 20, generator=g) * 0.1, 4, 0),
             ("the same, 8 bits", torch.randn(12, 20, generator=g) * 0.1, 8, 0),
             ("2 bits (levels -1, 0, 1), per row", torch.randn(6, 10, generator=g), 2, 0),
             ("3 bits, one scale for the tensor (dim=None)", torch.randn(7, 9, generator=g) * 0.3, 3, None),
             ("4 bits, per column (dim=1)", torch.randn(5, 16, generator=g) * 0.2, 4, 1),
             ("4 bits, a (2, 3, 8) tensor per last-dim channel (dim=-1)", torch.randn(2, 3, 8, generator=g), 4, -1),
             ("4 bits, a row of zeros (scale must not be 0)",
              torch.cat([torch.zeros(1, 8), torch.randn(3, 8, generator=g)]), 4, 0),
             ("4 bits, bfloat16 weights (keep the dtype)", (torch.randn(6, 8, generator=g) * 0.1).bfloat16(), 4, 0)]
    for desc, w0, bits, dim in cases:
        w = w0.clone().requires_grad_(True)
        out = run_case(ex, fn, desc, w, bits, dim, names=("w", "bits", "dim"))
        want = Q.absmax_round_trip(w0, bits, dim)
        if not isinstance(out, Tensor) or out.shape != w0.shape:
            fail(ex, f"return a tensor shaped like w {tuple(w0.shape)}, got "
                     f"{tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__} (case: {desc}).")
        if out.dtype == w0.dtype and out.is_floating_point() and not torch.isfinite(out.detach().float()).all():
            fail(ex, f"the result has NaN or inf entries (case: {desc}): an all-zero slice gives scale 0, and 0 / 0 is "
                     "NaN. Clamp the scale to a tiny positive number: `.clamp(min=torch.finfo(w.dtype).tiny)`.")
        if out.dtype != w0.dtype:
            fail(ex, f"the result has dtype {out.dtype}; keep w's {w0.dtype} (fake quantization reads the "
                     f"integers back as floats) (case: {desc}).")
        tol = dict(atol=1e-6, rtol=1e-5) if w0.dtype == torch.float32 else dict(atol=1e-2, rtol=1e-2)
        if not torch.allclose(out.detach().float(), want.float(), **tol):
            qmax = 2 ** (bits - 1) - 1
            other = [d for d in range(w0.dim()) if d != dim % w0.dim()] if dim is not None else None
            candidates = {
                f"use 2^(bits−1) − 1 = {qmax} levels on each side of 0, not 2^bits − 1 = {2 ** bits - 1}: "
                f"a signed {bits}-bit integer spans −{qmax} … {qmax} here.":
                    lambda: _round_trip_levels(w0, 2 ** bits - 1, dim),
                f"use 2^(bits−1) − 1 = {qmax}, not 2^(bits−1) = {qmax + 1}.":
                    lambda: _round_trip_levels(w0, qmax + 1, dim),
                "the forward must round: quantize to integers, then multiply back by the scale.":
                    lambda: w0.clone(),
                "scale per `dim` (one per row for dim=0): reduce max|w| over the other dimensions, keepdim=True.":
                    lambda: Q.absmax_round_trip(w0, bits, None),
                "return the dequantized weight (levels × scale), not the integer levels.":
                    lambda: Q.absmax_round_trip(w0, bits, dim) / _scale(w0, bits, dim),
                "round to nearest (`torch.round`), not truncation.":
                    lambda: torch.trunc(w0 / _scale(w0, bits, dim)).clamp(-qmax, qmax) * _scale(w0, bits, dim),
                "with dim=None there is one scale for the whole tensor, not one per row.":
                    lambda: Q.absmax_round_trip(w0, bits, 0) if dim is None else None,
                "you reduced max|w| over `dim` itself; per-channel scales reduce over the *other* dimensions.":
                    lambda: Q.absmax_round_trip(w0, bits, other[0]) if other and len(other) == 1 else None,
                **{f"the number of levels must follow `bits`: for bits={bits}, qmax = 2^(bits−1) − 1 = {qmax}; yours "
                   f"behaves as qmax = {2 ** (b - 1) - 1} (bits={b}).": (lambda b=b: Q.absmax_round_trip(w0, b, dim))
                   for b in range(2, 9) if b != bits},
            }
            for hint, make in candidates.items():
                try:
                    bug = make()
                except Exception:  # noqa: BLE001
                    continue
                if bug is not None and bug.shape == out.shape and \
                        torch.allclose(out.detach().float(), bug.float(), **tol):
                    fail(ex, f"the forward values differ from the reference (case: {desc}): {hint}")
            bad = ~torch.isclose(out.detach().float(), want.float(), **tol)
            idx = tuple(int(i) for i in bad.nonzero()[0])
            fail(ex, f"the forward values differ in {int(bad.sum())} of {bad.numel()} entries (case: {desc}); first at "
                     f"{idx}: w = {w0[idx].item():.5g}, got {out[idx].item():.5g}, expected {want[idx].item():.5g}.")
        if not out.requires_grad:
            fail(ex, f"the result carries no gradient (case: {desc}): you detached everything. The trick is "
                     "w + (quantized − w).detach(): the forward sees the quantized value, the backward the identity.")
        upstream = torch.randn(w0.shape, generator=g).to(w0.dtype)
        (grad,) = torch.autograd.grad(out, w, upstream, allow_unused=True)
        if grad is None or (grad == 0).float().mean() > 0.5:
            fail(ex, f"the gradient reaching w is (mostly) zero (case: {desc}): round() has zero gradient almost "
                     "everywhere, so training would stop. Use the straight-through estimator: "
                     "w + (quantized − w).detach().")
        if not torch.allclose(grad.float(), upstream.float(), atol=1e-5, rtol=1e-4):
            fail(ex, f"the gradient is not passed straight through (case: {desc}): dL/dw should equal dL/dout "
                     "exactly. Detach the whole correction (quantized − w), scale included, so the backward is "
                     "the identity.")
    passed(ex, "forward equals the quantized weights, backward is the identity (straight-through) "
               f"on {len(cases)} cases")


def _scale(w: Tensor, bits: int, dim: int | None) -> Tensor:
    return (_amax(w, _other_dims(w, dim)) / (2 ** (bits - 1) - 1)).clamp(min=torch.finfo(w.dtype).tiny)


def _round_trip_levels(w: Tensor, levels: int, dim: int | None) -> Tensor:
    scale = (_amax(w, _other_dims(w, dim)) / levels).clamp(min=torch.finfo(w.dtype).tiny)
    return torch.round(w / scale).clamp(-levels, levels) * scale
