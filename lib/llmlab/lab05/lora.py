"""LoRA from scratch: ``y = base(x) + scaling · dropout(x) Aᵀ Bᵀ`` with the base frozen, ``scaling = alpha / r``.

    layer = LoRALinear(nn.Linear(96, 384), r=4, alpha=8)       # or a GPT-2 Conv1D (weight stored (in, out))
    layer.merge(); layer.unmerge()                              # fold B A into the weight and back out
    peft_twin(layer)                                            # peft's LoraLayer with the same A, B, scaling

Shapes follow peft: ``lora_A`` is (r, in), ``lora_B`` is (out, r); B starts at zero, so a fresh layer
is exactly its base. transformers' ``Conv1D`` (GPT-2) stores its weight (in, out) and computes
``x @ W + b``, which is why peft needs ``fan_in_fan_out=True`` for it: the update B A is (out, in)
and must be transposed before it is added to such a weight.
"""
from __future__ import annotations

import copy
import math
import time
from typing import Callable

import torch
from torch import nn
from transformers.pytorch_utils import Conv1D


def is_conv1d(module: nn.Module) -> bool:
    return isinstance(module, Conv1D)


def in_out(base: nn.Module) -> tuple[int, int]:
    """(in_features, out_features) of an ``nn.Linear`` or a GPT-2 ``Conv1D``."""
    if is_conv1d(base):
        return base.weight.shape[0], base.weight.shape[1]
    return base.in_features, base.out_features


class LoRALinear(nn.Module):
    """A frozen ``nn.Linear`` / ``Conv1D`` plus a trainable low-rank update (the reference solution)."""

    def __init__(self, base: nn.Module, r: int, alpha: float, dropout: float = 0.0):
        super().__init__()
        fan_in, fan_out = in_out(base)
        self.base, self.r, self.alpha, self.scaling = base, r, alpha, alpha / r
        self.fan_in_fan_out = is_conv1d(base)
        self.lora_A = nn.Parameter(torch.empty(r, fan_in))            # (r, in)
        self.lora_B = nn.Parameter(torch.zeros(fan_out, r))           # (out, r): zero, so the layer starts as its base
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))          # peft's default init of A
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.merged = False
        for p in self.base.parameters():
            p.requires_grad_(False)

    def delta_weight(self) -> torch.Tensor:
        """scaling · B A, laid out like the base weight ((in, out) for Conv1D)."""
        delta = self.scaling * (self.lora_B @ self.lora_A)            # (out, in)
        return delta.T if self.fan_in_fan_out else delta

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.base(x)
        if self.merged:
            return y
        return y + self.scaling * (self.dropout(x) @ self.lora_A.T @ self.lora_B.T)

    @torch.no_grad()
    def merge(self) -> None:
        if not self.merged:
            self.base.weight += self.delta_weight()
            self.merged = True

    @torch.no_grad()
    def unmerge(self) -> None:
        if self.merged:
            self.base.weight -= self.delta_weight()
            self.merged = False


def peft_twin(base: nn.Module, A: torch.Tensor, B: torch.Tensor, alpha: float) -> nn.Module:
    """peft's LoRA layer around a copy of ``base`` with these A (r, in) and B (out, r), dropout off."""
    from peft import LoraConfig, get_peft_model

    class Wrap(nn.Module):
        def __init__(self, layer):
            super().__init__()
            self.layer = layer

        def forward(self, x):
            return self.layer(x)

    r = A.shape[0]
    model = get_peft_model(Wrap(copy.deepcopy(base)), LoraConfig(
        r=r, lora_alpha=alpha, lora_dropout=0.0, target_modules=["layer"], fan_in_fan_out=is_conv1d(base)))
    layer = model.base_model.model.layer
    with torch.no_grad():
        layer.lora_A["default"].weight.copy_(A)
        layer.lora_B["default"].weight.copy_(B)
    return model.eval()


def wrap_modules(model: nn.Module, names: tuple[str, ...], r: int, alpha: float,
                 layer_cls: type = LoRALinear) -> list[str]:
    """Replace every submodule whose name ends with one of ``names`` by ``layer_cls(module, r, alpha)``;
    freeze every other parameter. Returns the wrapped modules' names."""
    for p in model.parameters():
        p.requires_grad_(False)
    wrapped = []
    for full, module in list(model.named_modules()):
        if full.split(".")[-1] in names and (isinstance(module, nn.Linear) or is_conv1d(module)):
            parent = model.get_submodule(full.rsplit(".", 1)[0]) if "." in full else model
            setattr(parent, full.split(".")[-1], layer_cls(module, r, alpha))
            wrapped.append(full)
    return wrapped


def min_time(fns: dict[str, Callable[[], object]], repeats: int = 30, inner: int = 5) -> dict[str, float]:
    """Seconds per call of each function: the minimum over ``repeats`` rounds, the functions interleaved
    within a round (so a burst of noise on a shared machine hits them all alike, and the minimum is
    the least disturbed run)."""
    best = {k: math.inf for k in fns}
    with torch.no_grad():
        for fn in fns.values():
            fn()                                            # warm-up
        for _ in range(repeats):
            for k, fn in fns.items():
                t = time.perf_counter()
                for _ in range(inner):
                    fn()
                best[k] = min(best[k], (time.perf_counter() - t) / inner)
    return best


def latency(d_in: int = 1024, d_out: int = 1024, r: int = 8, tokens: int = 256, seed: int = 0,
            repeats: int = 30) -> dict[str, float]:
    """Seconds per forward of one layer: the base alone, LoRA unmerged (two extra matmuls) and merged."""
    g = torch.Generator().manual_seed(seed)
    base = nn.Linear(d_in, d_out)
    lora = LoRALinear(copy.deepcopy(base), r, 2 * r)
    with torch.no_grad():
        lora.lora_B.normal_(generator=g)
    merged = copy.deepcopy(lora)
    merged.merge()
    x = torch.randn(tokens, d_in, generator=g)
    return min_time({"base": lambda: base(x), "LoRA unmerged": lambda: lora(x), "LoRA merged": lambda: merged(x)},
                    repeats=repeats)
