"""Number formats: how many bits go to the exponent (range) and to the mantissa (precision).

A floating-point number is sign × 2^exponent × 1.mantissa. fp16 and bf16 both use 16 bits, split
differently: fp16 keeps 10 mantissa bits (precision) and 5 exponent bits (range up to 65,504); bf16 keeps
fp32's 8 exponent bits (range up to 3.4e38) and only 7 mantissa bits. fp8 goes further (e4m3 for weights
and activations, e5m2 for gradients). int8 is not floating point at all: 256 evenly spaced levels, which
quantization maps onto a tensor's range with a scale.
"""
from __future__ import annotations

import math

import torch

FORMATS: dict[str, torch.dtype] = {
    "fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16,
    "fp8 e4m3": torch.float8_e4m3fn, "fp8 e5m2": torch.float8_e5m2, "int8": torch.int8,
}
# sign, exponent and mantissa bits of each floating-point format
LAYOUT = {"fp32": (1, 8, 23), "fp16": (1, 5, 10), "bf16": (1, 8, 7), "fp8 e4m3": (1, 4, 3), "fp8 e5m2": (1, 5, 2)}


def round_trip(x: torch.Tensor, fmt: str) -> torch.Tensor:
    """``x`` stored in ``fmt`` and read back as fp32 (int8: rounded to the nearest integer and clamped)."""
    dtype = FORMATS[fmt]
    if dtype == torch.int8:
        return x.round().clamp(-128, 127).to(torch.int8).float()
    return x.to(dtype).float()


def describe(fmt: str) -> dict[str, object]:
    """Bits, range and precision of a format, and π stored in it."""
    dtype = FORMATS[fmt]
    pi = round_trip(torch.tensor(math.pi), fmt).item()
    if dtype == torch.int8:
        info = torch.iinfo(dtype)
        return {"format": fmt, "bits": info.bits, "sign/exponent/mantissa": "integer", "largest": info.max,
                "smallest normal": 1, "smallest subnormal": None, "step near 1": 1.0, "decimal digits": 2.4,
                "pi": pi}
    info = torch.finfo(dtype)
    s, e, m = LAYOUT[fmt]
    return {"format": fmt, "bits": info.bits, "sign/exponent/mantissa": f"{s}/{e}/{m}", "largest": info.max,
            "smallest normal": info.tiny, "smallest subnormal": info.tiny * 2.0 ** -m, "step near 1": info.eps,
            "decimal digits": round(math.log10(2) * (m + 1), 1), "pi": pi}


def relative_error(x: torch.Tensor, y: torch.Tensor) -> float:
    """‖x − y‖ / ‖x‖ (Frobenius): the share of a matrix that rounding lost."""
    return float((x.float() - y.float()).norm() / x.float().norm())


def underflow_share(x: torch.Tensor, fmt: str) -> float:
    """Share of the nonzero entries of ``x`` that become exactly 0 when stored in ``fmt``."""
    nonzero = x != 0
    return float(((round_trip(x, fmt) == 0) & nonzero).sum() / nonzero.sum().clamp(min=1))


def cross_entropy_in(logits: torch.Tensor, targets: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Cross-entropy written out (exp, sum, log) and computed entirely in ``dtype``, the way a naive
    half-precision program would: exp(logit) overflows fp16 once a logit passes ln(65,504) ≈ 11.1."""
    z = logits.to(dtype)                                             # (N, V)
    log_norm = z.exp().sum(-1).log()                                  # (N,)
    picked = z.gather(-1, targets[:, None]).squeeze(-1)               # (N,)
    return (log_norm - picked).mean().float()
