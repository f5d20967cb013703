"""llmlab.lab04.quantize against the libraries: absmax per row == bitsandbytes' int8_vectorwise_quant,
zero-point == torch's qint8 MinMaxObserver + quantize_per_tensor / per_channel; fake quantization's
straight-through gradient; QAT parametrizations come off cleanly."""
from __future__ import annotations

import logging
import warnings

import pytest
import torch

from llmlab.gpt import GPT, GPTConfig
from llmlab.lab04 import quantize as Q

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _matrices(n: int = 20):
    g = torch.Generator().manual_seed(0)
    for i in range(n):
        w = torch.randn(32, 48, generator=g) * torch.rand(32, 1, generator=g) * 3 + (torch.rand(1, generator=g) - 0.5)
        if i % 5 == 0:
            w[3, 5] = 25.0
        yield w


def _mismatch(a: torch.Tensor, b: torch.Tensor) -> tuple[int, int]:
    """(entries that differ, largest difference in levels): float rounding at exact halves may differ by one."""
    d = (a.to(torch.int32) - b.to(torch.int32)).abs()
    return int((d > 0).sum()), int(d.max())


def test_absmax_per_row_equals_bitsandbytes():
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
    bnb_f = pytest.importorskip("bitsandbytes.functional")
    differ = total = 0
    for w in _matrices():
        q, scale = Q.absmax_quantize(w, dim=0)
        q_ref, absmax_ref, _ = bnb_f.int8_vectorwise_quant(w)
        torch.testing.assert_close(scale.squeeze(1), absmax_ref / 127)
        n, worst = _mismatch(q, q_ref)
        assert worst <= 1
        differ, total = differ + n, total + w.numel()
    assert differ / total < 1e-3


def _torch_affine(w: torch.Tensor, dim: int | None):
    from torch.ao.quantization.observer import MinMaxObserver, PerChannelMinMaxObserver
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # torch's quantized tensors are deprecated, still correct
        if dim is None:
            obs = MinMaxObserver(dtype=torch.qint8, qscheme=torch.per_tensor_affine)
            obs(w)
            scale, zero = obs.calculate_qparams()
            q = torch.quantize_per_tensor(w, float(scale), int(zero), torch.qint8).int_repr()
        else:
            obs = PerChannelMinMaxObserver(ch_axis=dim, dtype=torch.qint8, qscheme=torch.per_channel_affine)
            obs(w)
            scale, zero = obs.calculate_qparams()
            q = torch.quantize_per_channel(w, scale, zero, dim, torch.qint8).int_repr()
    return q, scale, zero


@pytest.mark.parametrize("dim", [None, 0])
def test_zeropoint_equals_torch_observers(dim):
    differ = total = 0
    for w in _matrices():
        q, scale, zero = Q.zeropoint_quantize(w, dim)
        q_ref, scale_ref, zero_ref = _torch_affine(w, dim)
        torch.testing.assert_close(scale.flatten(), scale_ref.flatten().float())
        assert torch.equal(zero.flatten().to(torch.int64), zero_ref.flatten().to(torch.int64))
        n, worst = _mismatch(q, q_ref)
        assert worst <= 1
        differ, total = differ + n, total + w.numel()
    assert differ / total < 1e-3


def test_round_trip_error_is_at_most_half_a_step():
    for w in _matrices(5):
        q, s = Q.absmax_quantize(w, dim=0)
        assert ((Q.dequantize(q, s) - w).abs() <= s / 2 + 1e-7).all()
        zq, zs, zz = Q.zeropoint_quantize(w, dim=0)
        assert ((Q.dequantize(zq, zs, zz) - w).abs() <= zs / 2 + 1e-6).all()


def test_all_zero_rows_and_zero_itself_are_exact():
    w = torch.randn(4, 6)
    w[1] = 0
    q, s = Q.absmax_quantize(w, dim=0)
    assert torch.isfinite(s).all() and (Q.dequantize(q, s)[1] == 0).all()
    zq, zs, zz = Q.zeropoint_quantize(torch.rand(5, 5) + 1.0)          # all positive: 0 still representable
    assert Q.dequantize(torch.tensor(int(zz), dtype=torch.int8), zs, zz) == 0


def test_fake_quantize_forward_and_straight_through_gradient():
    w = torch.randn(8, 16, requires_grad=True)
    out = Q.fake_quantize(w, 4, 0)
    torch.testing.assert_close(out.detach(), Q.absmax_round_trip(w.detach(), 4, 0))
    assert out.detach().unique(dim=None).numel() <= 8 * 15          # at most 15 levels per row
    g = torch.randn(8, 16)
    out.backward(g)
    torch.testing.assert_close(w.grad, g)


def test_fake_quant_parametrization_and_removal():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=64, block_size=16, n_layer=2, n_head=2, n_embd=16))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    x = torch.randint(0, 64, (2, 16))
    ref = Q.quantize_weights_(GPT(model.config), 4)               # a structure to compare names with
    del ref
    Q.add_fake_quant(model, bits=4, dim=None)
    layer = model.h[0].mlp.c_fc
    torch.testing.assert_close(layer.weight, Q.absmax_round_trip(before["h.0.mlp.c_fc.weight"], 4, None))
    model(x, labels=x).loss.backward()
    assert layer.parametrizations.weight.original.grad is not None
    Q.remove_fake_quant(model)
    after = dict(model.named_parameters())
    assert set(after) == set(before)                                # latent weights back under their names
    assert torch.equal(after["h.0.mlp.c_fc.weight"], before["h.0.mlp.c_fc.weight"])
    assert len(Q.linear_layers(model)) == 2 * 4                     # qkv, proj, fc, proj per block; no head


def test_quantize_weights_touches_only_block_linears():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=64, block_size=16, n_layer=1, n_head=2, n_embd=16))
    emb = model.wte.weight.detach().clone()
    Q.quantize_weights_(model, bits=3, dim=0)
    assert torch.equal(model.wte.weight, emb)
    assert model.h[0].attn.c_attn.weight.unique().numel() <= 48 * 7
