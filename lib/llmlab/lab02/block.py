"""Lab 02, Exercise 3's references: LayerNorm by hand, and GPT-2's pre-LN transformer block as a function.

``layer_norm`` is what ``torch.nn.functional.layer_norm`` computes; ``transformer_block(x, block, mha)`` is
what ``llmlab.gpt.Block.forward`` computes, written from the block's own weights so that a student's version
can be compared with it and plugged into a GPT (``use_block``).
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from llmlab.gpt import GPT, Block
from llmlab.lab02.attention import MHAFunction, causal_allowed, multi_head_attention


def layer_norm(x: Tensor, weight: Tensor, bias: Tensor, eps: float = 1e-5) -> Tensor:
    """Normalise each vector of x (…, C) to mean 0 and variance 1 over its C channels, then scale and shift."""
    mean = x.mean(dim=-1, keepdim=True)                                   # (…, 1)
    var = x.var(dim=-1, keepdim=True, unbiased=False)                     # the population variance, as torch
    return (x - mean) / torch.sqrt(var + eps) * weight + bias             # (…, C)


def transformer_block(x: Tensor, block: Block, mha: MHAFunction = multi_head_attention) -> Tensor:
    """GPT-2's pre-LN block on x (B, T, C), causal: x + attn(ln_1(x)), then + mlp(ln_2(·))."""
    ln_1, ln_2, attn, mlp = block.ln_1, block.ln_2, block.attn, block.mlp
    allowed = causal_allowed(x.size(1), x.device)                                      # (T, T)
    x = x + mha(layer_norm(x, ln_1.weight, ln_1.bias, ln_1.eps), attn.c_attn, attn.c_proj, attn.n_head, allowed)
    hidden = F.gelu(mlp.c_fc(layer_norm(x, ln_2.weight, ln_2.bias, ln_2.eps)), approximate="tanh")  # (B, T, 4C)
    return x + mlp.c_proj(hidden)                                                      # (B, T, C)


BlockFunction = Callable[[Tensor, Block], Tensor]


class FunctionBlock(nn.Module):
    """A drop-in for ``llmlab.gpt.Block`` that calls ``fn(x, block)`` with the original block's weights.
    The function is causal only, so padding must be on the right (a causal query never sees the pads after
    it); left padding is refused rather than silently computed wrong."""

    def __init__(self, original: Block, fn: BlockFunction):
        super().__init__()
        self.original, self.fn = original, fn

    def forward(self, x: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        if attention_mask is not None:
            m = attention_mask.bool()
            if (m[:, 1:] & ~m[:, :-1]).any():                                  # a real token after a pad
                raise ValueError("a block function written for causal attention needs right padding "
                                 "(tokenizer.padding_side = 'right')")
        return self.fn(x, self.original)


def use_block(model: GPT, fn: BlockFunction) -> GPT:
    """Replace every block of ``model`` (in place) by ``fn`` with that block's weights; returns the model."""
    model.h = nn.ModuleList(FunctionBlock(block, fn) for block in model.h)
    return model
