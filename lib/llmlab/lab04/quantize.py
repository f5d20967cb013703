"""Integer quantization of weights: absmax (symmetric) and zero-point (asymmetric), per tensor or per
channel; the reference for the lab's exercises, and fake quantization for quantization-aware training.

absmax:     scale = max|x| / 127,            q = round(x / scale)                  ∈ [-127, 127]
zero-point: scale = (max − min) / 255,       q = round(x / scale) + zero            ∈ [-128, 127]
            zero  = −128 − round(min / scale)   (the integer that stands for 0.0)
Both read back as x̂ = scale · (q − zero). The range always includes 0, so 0.0 is stored exactly (as
torch's observers do). ``dim`` gives one scale per slice along that dimension (per output channel:
``dim=0`` for a (out, in) weight); ``None``, one scale for the whole tensor.

The same conventions as the libraries: absmax per row equals bitsandbytes' ``int8_vectorwise_quant``
(LLM.int8()'s vector-wise quantization), zero-point equals torch's ``MinMaxObserver`` /
``quantize_per_tensor`` with ``qint8`` (package tests).
"""
from __future__ import annotations

import torch
from torch.nn.utils import parametrize


def _amax(x: torch.Tensor, dim: int | None) -> torch.Tensor:
    """max |x| over everything (shape ()) or over every dimension but ``dim`` (keepdim, broadcastable)."""
    if dim is None:
        return x.abs().amax()
    other = [d for d in range(x.dim()) if d != dim % x.dim()]
    return x.abs().amax(dim=other, keepdim=True)


def _minmax(x: torch.Tensor, dim: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    if dim is None:
        return x.amin().clamp(max=0), x.amax().clamp(min=0)
    other = [d for d in range(x.dim()) if d != dim % x.dim()]
    return x.amin(dim=other, keepdim=True).clamp(max=0), x.amax(dim=other, keepdim=True).clamp(min=0)


def absmax_quantize(x: torch.Tensor, dim: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8: (q int8, scale float), x ≈ scale · q."""
    scale = (_amax(x, dim) / 127).clamp(min=torch.finfo(x.dtype).tiny)    # an all-zero slice keeps scale > 0
    q = torch.round(x / scale).clamp(-127, 127).to(torch.int8)
    return q, scale


def zeropoint_quantize(x: torch.Tensor, dim: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Asymmetric int8: (q int8, scale float, zero int), x ≈ scale · (q − zero)."""
    lo, hi = _minmax(x, dim)
    scale = ((hi - lo) / 255).clamp(min=torch.finfo(x.dtype).tiny)
    zero = (-128 - torch.round(lo / scale)).clamp(-128, 127).to(torch.int32)
    q = (torch.round(x / scale) + zero).clamp(-128, 127).to(torch.int8)
    return q, scale, zero


def dequantize(q: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor | int = 0) -> torch.Tensor:
    """x̂ = scale · (q − zero), in the scale's dtype."""
    return scale * (q.to(scale.dtype) - zero)


def quantize_error(x: torch.Tensor, x_hat: torch.Tensor) -> dict[str, float]:
    """How much quantizing lost: relative Frobenius error, and the mean |error| on the typical entries."""
    err = (x - x_hat).abs()
    return {"relative error": float(err.norm() / x.norm()), "mean |error|": float(err.mean()),
            "max |error|": float(err.max())}


# ---- fewer bits, fake quantization and the straight-through estimator -----------------------------------
def absmax_round_trip(w: torch.Tensor, bits: int = 8, dim: int | None = 0) -> torch.Tensor:
    """``w`` quantized to ``bits``-bit symmetric integers (levels −(2^(b−1)−1) … 2^(b−1)−1) and read back."""
    qmax = 2 ** (bits - 1) - 1
    scale = (_amax(w, dim) / qmax).clamp(min=torch.finfo(w.dtype).tiny)
    return torch.round(w / scale).clamp(-qmax, qmax) * scale


def fake_quantize(w: torch.Tensor, bits: int = 4, dim: int | None = 0) -> torch.Tensor:
    """Forward: the quantized-and-read-back weight. Backward: the identity (straight-through estimator),
    because round() has zero gradient almost everywhere and training would otherwise stop."""
    return w + (absmax_round_trip(w, bits, dim) - w).detach()


class FakeQuant(torch.nn.Module):
    """A parametrization: the layer's weight is seen through ``fake_quantize`` in every forward."""

    def __init__(self, bits: int = 4, dim: int | None = 0, fn=fake_quantize):
        super().__init__()
        self.bits, self.dim, self.fn = bits, dim, fn

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return self.fn(w, self.bits, self.dim)


def linear_layers(model: torch.nn.Module) -> list[torch.nn.Linear]:
    """The transformer blocks' Linear layers (embeddings and the tied output head stay full precision,
    as in bitsandbytes and most deployments)."""
    return [m for name, m in model.named_modules() if isinstance(m, torch.nn.Linear) and ".h." in f".{name}"]


def add_fake_quant(model: torch.nn.Module, bits: int = 4, dim: int | None = 0, fn=fake_quantize) -> torch.nn.Module:
    """Quantization-aware training: every block Linear's weight goes through fake quantization."""
    for layer in linear_layers(model):
        parametrize.register_parametrization(layer, "weight", FakeQuant(bits, dim, fn))
    return model


def remove_fake_quant(model: torch.nn.Module) -> torch.nn.Module:
    """Drop the parametrizations, keeping the latent full-precision weights."""
    for layer in linear_layers(model):
        if parametrize.is_parametrized(layer, "weight"):
            parametrize.remove_parametrizations(layer, "weight", leave_parametrized=False)
    return model


@torch.no_grad()
def quantize_weights_(model: torch.nn.Module, bits: int = 4, dim: int | None = 0) -> torch.nn.Module:
    """Post-training quantization, simulated: every block Linear's weight replaced (in place) by its
    ``bits``-bit round trip. The values are exactly those an integer kernel would use."""
    for layer in linear_layers(model):
        layer.weight.copy_(absmax_round_trip(layer.weight, bits, dim))
    return model
