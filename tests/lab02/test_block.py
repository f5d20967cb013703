"""Lab 02, Exercise 3: LayerNorm and the transformer block, against torch's F.layer_norm and llmlab.gpt.Block
(itself tested against Hugging Face GPT-2), and the checks against the usual wrong implementations."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from llmlab.checks import failure_message, rejects
from llmlab.gpt import GPT, GPTConfig
from llmlab.lab02 import block as B
from llmlab.lab02 import checks
from llmlab.lab02.attention import causal_allowed, multi_head_attention


def test_reference_layer_norm_equals_torch():
    g = torch.Generator().manual_seed(0)
    x, w, b = torch.randn(3, 5, 12, generator=g) * 4 + 2, torch.randn(12, generator=g), torch.randn(12, generator=g)
    for eps in (1e-5, 0.3):
        assert torch.allclose(B.layer_norm(x, w, b, eps), F.layer_norm(x, (12,), w, b, eps), atol=1e-6)


def test_reference_block_equals_gpt_block_and_plugs_into_a_gpt():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=50, block_size=16, n_layer=2, n_head=4, n_embd=32)).eval()
    ids = torch.randint(0, 50, (2, 9))
    x = torch.randn(2, 9, 32)
    assert torch.allclose(B.transformer_block(x, model.h[0]), model.h[0](x), atol=1e-5)
    with torch.no_grad():
        before = model(ids).logits
        after = B.use_block(model, B.transformer_block)(ids, attention_mask=torch.ones(2, 9)).logits
    assert torch.allclose(before, after, atol=1e-5)
    with pytest.raises(ValueError, match="right padding"):
        model(ids, attention_mask=torch.tensor([[0] * 3 + [1] * 6, [1] * 9]))


def test_checks_accept_the_references_and_correct_variants():
    assert failure_message(checks.check_layer_norm, B.layer_norm) is None
    assert failure_message(checks.check_transformer_block, B.transformer_block) is None

    def ln_by_hand(x, weight, bias, eps=1e-5):
        mu = x.sum(-1, keepdim=True) / x.size(-1)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        return weight * (x - mu) * torch.rsqrt(var + eps) + bias

    def block_by_hand(x, block):
        T = x.size(1)
        a = ln_by_hand(x, block.ln_1.weight, block.ln_1.bias, block.ln_1.eps)
        x = x + multi_head_attention(a, block.attn.c_attn, block.attn.c_proj, block.attn.n_head,
                                     torch.ones(T, T, dtype=torch.bool).tril())
        h = block.mlp.c_fc(ln_by_hand(x, block.ln_2.weight, block.ln_2.bias, block.ln_2.eps))
        h = 0.5 * h * (1 + torch.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h ** 3)))
        return x + block.mlp.c_proj(h)

    assert failure_message(checks.check_layer_norm, ln_by_hand) is None
    assert failure_message(checks.check_transformer_block, block_by_hand) is None


def _ln(bug: str):
    def fn(x, weight, bias, eps=1e-5):
        dims = {"dim 0": 0, "all": None}.get(bug, -1)
        if dims is None:
            mean, var = x.mean(), x.var(unbiased=False)
        else:
            mean = x.mean(dims, keepdim=True)
            var = x.var(dims, keepdim=True, unbiased=bug == "unbiased")
        if bug == "std unbiased":
            var = x.std(-1, keepdim=True) ** 2
        e = 1e-5 if bug == "fixed eps" else 0.0 if bug == "no eps" else eps
        if bug == "detached stats":
            mean, var = mean.detach(), var.detach()
        if bug == "E[x2]":
            var = (x * x).mean(-1, keepdim=True) - mean * mean
        centred = x if bug == "rms" else x - mean
        if bug == "rms":
            var = (x * x).mean(-1, keepdim=True)
        denom = (var.sqrt() + e) if bug == "eps outside" else (var + e) if bug == "variance" else (var + e).sqrt()
        xhat = centred / denom
        out = {"no affine": xhat, "swapped": xhat * bias + weight, "shift first": (xhat + bias) * weight,
               "one plus": xhat * (1 + weight) + bias, "to float32": (xhat * weight + bias).float(),
               "weight only": xhat * weight}.get(bug, xhat * weight + bias)
        if bug == "float64":
            out = out.double()
        if bug == "in place":
            x -= mean
        if bug == "torch":
            out = F.layer_norm(x, x.shape[-1:], weight, bias, eps)
        if bug == "aten":
            out = torch.ops.aten.native_layer_norm(x, [x.size(-1)], weight, bias, eps)[0]
        if bug == "numpy":
            a = x.numpy()
            m, v = a.mean(-1, keepdims=True), a.var(-1, keepdims=True)
            out = torch.from_numpy((a - m) / (v + eps) ** 0.5) * weight + bias
        if bug == "no grad":
            with torch.no_grad():
                out = xhat * weight + bias
        return out
    fn.__name__ = f"layer_norm_{bug.replace(' ', '_')}"
    return fn


@pytest.mark.parametrize("bug, needle", [
    ("unbiased", "unbiased"), ("std unbiased", "unbiased"), ("eps outside", "outside the square root"),
    ("no eps", "eps"), ("fixed eps", "`eps` argument"), ("variance", "standard deviation"),
    ("no affine", "weight and bias are missing"), ("weight only", "bias is missing"), ("swapped", "swapped"),
    ("shift first", "before scaling"), ("rms", "RMSNorm"), ("dim 0", "first dimension"),
    ("all", "whole tensor"), ("float64", "dtype"), ("in place", "in place"), ("torch", "torch's own layer_norm"),
    ("aten", "torch's own native_layer_norm"), ("detached stats", "gradient with respect to `x`"),
    ("numpy", "numpy"), ("no grad", "carries no gradient"), ("E[x2]", "E[x²] - E[x]²"), ("one plus", "(1 + weight)"),
    ("to float32", "expected torch.float64"),
])
def test_layer_norm_check_names_each_bug(bug, needle):
    rejects(checks.check_layer_norm, _ln(bug), needle)


def _block(bug: str):
    def fn(x, block):
        T = x.size(1)
        mask = {"not causal": None, "anti-causal": causal_allowed(T).T}.get(bug, causal_allowed(T))

        def ln(h, m):
            return h if bug == "no ln" else B.layer_norm(h, m.weight, m.bias, 1e-5 if bug == "fixed eps" else m.eps)

        def attn(h):
            return multi_head_attention(h, block.attn.c_attn, block.attn.c_proj, block.attn.n_head, mask)

        act = {"exact gelu": F.gelu, "relu": F.relu, "no act": lambda t: t}.get(
            bug, lambda t: F.gelu(t, approximate="tanh"))

        def mlp(h):
            return block.mlp.c_proj(act(block.mlp.c_fc(h)))

        ln_a, ln_m = block.ln_1, block.ln_2
        if bug == "ln_1 twice":
            ln_m = block.ln_1
        if bug == "ln_2 twice":
            ln_a = block.ln_2
        if bug == "post-ln":
            h = ln(x + attn(x), ln_a)
            return ln(h + mlp(h), ln_m)
        if bug == "parallel":
            return x + attn(ln(x, ln_a)) + mlp(ln(x, ln_m))
        if bug == "mlp first":
            h = x + mlp(ln(x, ln_m))
            return h + attn(ln(h, ln_a))
        if bug == "call block":
            return block(x)
        if bug == "modules":                 # the block's own LayerNorm and attention modules
            h = x + block.attn(block.ln_1(x))
            return h + block.mlp(block.ln_2(h))
        if bug == "ln swapped":
            ln_a, ln_m = block.ln_2, block.ln_1
        if bug == "gelu after":
            h = x + attn(ln(x, ln_a))
            return h + act(block.mlp.c_proj(block.mlp.c_fc(ln(h, ln_m))))
        base = ln(x, ln_a) if bug == "normalised residual" else x
        h = (0 if bug in ("no attn residual", "no residuals") else base) + attn(ln(x, ln_a))
        if bug == "attention only":
            return h
        if bug == "float64":
            return (h + mlp(ln(h, ln_m))).double()
        return (0 if bug in ("no mlp residual", "no residuals") else h) + mlp(ln(h, ln_m))
    fn.__name__ = f"block_{bug.replace(' ', '_')}"
    return fn


@pytest.mark.parametrize("bug, needle", [
    ("post-ln", "post-LN"), ("no attn residual", "attention's residual"), ("no mlp residual", "MLP's residual"),
    ("no residuals", "both residual"), ("normalised residual", "instead of to x"), ("parallel", "parallel"),
    ("ln_1 twice", "ln_1 before the MLP"), ("ln_2 twice", "ln_2 before the attention"),
    ("no ln", "LayerNorms are missing"),
    ("mlp first", "wrong order"), ("exact gelu", "exact GELU"), ("relu", "ReLU"), ("no act", "nonlinearity"),
    ("not causal", "not causal"), ("anti-causal", "transposed"), ("attention only", "returned after the attention"),
    ("call block", "calls the block itself"), ("float64", "dtype"), ("modules", "calls block.ln_1(...)"),
    ("ln swapped", "swapped"), ("gelu after", "wrong place"), ("fixed eps", "block.ln_1.eps"),
])
def test_block_check_names_each_bug(bug, needle):
    rejects(checks.check_transformer_block, _block(bug), needle)
