"""llmlab.lab04.formats against torch.finfo and known IEEE values."""
from __future__ import annotations

import math

import pytest
import torch

from llmlab.lab04 import formats


def test_describe_known_values():
    fp16, bf16 = formats.describe("fp16"), formats.describe("bf16")
    assert fp16["largest"] == 65504 and fp16["step near 1"] == 2 ** -10
    assert bf16["largest"] == torch.finfo(torch.float32).max.__class__(torch.finfo(torch.bfloat16).max)
    assert bf16["step near 1"] == 2 ** -7 and bf16["smallest normal"] == torch.finfo(torch.float32).tiny
    assert formats.describe("fp8 e4m3")["largest"] == 448 and formats.describe("fp8 e5m2")["largest"] == 57344
    assert fp16["smallest subnormal"] == 2 ** -24
    assert formats.describe("fp32")["pi"] == torch.tensor(math.pi).item()
    assert fp16["pi"] == bf16["pi"] == 3.140625 and formats.describe("int8")["pi"] == 3
    for f, (s, e, m) in formats.LAYOUT.items():
        assert s + e + m == torch.finfo(formats.FORMATS[f]).bits


def test_fp16_overflow_and_bf16_survival():
    logits = torch.tensor([[12.0, 0.0, -3.0], [1.0, 2.0, 3.0]])
    t = torch.tensor([0, 2])
    ref = torch.nn.functional.cross_entropy(logits, t)
    assert math.isinf(formats.cross_entropy_in(logits, t, torch.float16).item())
    assert abs(formats.cross_entropy_in(logits, t, torch.bfloat16).item() - ref.item()) < 0.05
    assert abs(formats.cross_entropy_in(logits, t, torch.float32).item() - ref.item()) < 1e-6


def test_underflow_share():
    x = torch.tensor([1e-9, 1e-3, 0.0, 1e-30])
    assert formats.underflow_share(x, "fp16") == pytest.approx(2 / 3)
    assert formats.underflow_share(x, "bf16") == 0
    assert formats.round_trip(torch.tensor([3.6, -200.0]), "int8").tolist() == [4.0, -128.0]
