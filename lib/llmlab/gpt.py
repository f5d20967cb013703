"""A GPT in one page, nanoGPT-style: the decoder-only transformer that Labs 02 and 03 read and train.

It is GPT-2's architecture (pre-LayerNorm blocks, learned positions, GELU MLP, tied embeddings), so
``GPT.from_hf(GPT2LMHeadModel)`` copies Hugging Face weights in and the logits agree (package test).
Attention runs through ``torch.nn.functional.scaled_dot_product_attention`` (flash / memory-efficient
kernels on GPU) or, with ``attn="manual"``, through the textbook softmax(QKᵀ/√d)V that Lab 02 teaches.
``forward`` returns an object with ``.logits`` and ``.loss`` like a Hugging Face model, so the same
training loop (``llmlab.train.train``) drives both.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from transformers.modeling_outputs import CausalLMOutput


@dataclass
class GPTConfig:
    vocab_size: int = 50304      # GPT-2's 50257 padded up to a multiple of 64: faster matmuls on GPU
    block_size: int = 1024       # longest sequence (learned position embeddings)
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    attn: str = "sdpa"           # "sdpa" (fused kernels) or "manual" (the formula, for teaching)
    bias: bool = True            # biases in Linear and LayerNorm, as GPT-2; False is nanoGPT's faster option

    @classmethod
    def gpt2_124m(cls, **overrides) -> "GPTConfig":
        return cls(**overrides)


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        assert cfg.n_embd % cfg.n_head == 0, f"n_embd={cfg.n_embd} must divide by n_head={cfg.n_head}"
        self.n_head, self.attn, self.dropout = cfg.n_head, cfg.attn, cfg.dropout
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=cfg.bias)   # q, k, v in one matmul
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd, bias=cfg.bias)

    def forward(self, x: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)                             # 3 × (B, T, C)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))  # (B, H, T, D)
        mask = causal_mask(T, x.device, attention_mask)                        # (B|1, 1, T, T) or None
        if self.attn == "sdpa":
            p = self.dropout if self.training else 0.0
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p, is_causal=mask is None)
        else:
            y = manual_attention(q, k, v, mask if mask is not None else causal_mask(T, x.device, None, force=True))
        y = y.transpose(1, 2).contiguous().view(B, T, C)                       # re-assemble heads
        return self.c_proj(y)


def causal_mask(T: int, device: torch.device, attention_mask: torch.Tensor | None,
                force: bool = False) -> torch.Tensor | None:
    """Boolean mask, True where a query may attend. None means "plain causal" (SDPA's fast path)."""
    if attention_mask is None and not force:
        return None
    allowed = torch.ones(T, T, dtype=torch.bool, device=device).tril()[None, None]   # (1, 1, T, T)
    if attention_mask is not None:
        allowed = allowed & attention_mask.bool()[:, None, None, :]                  # (B, 1, T, T)
        # a query row with nothing to attend to (left padding) would softmax over -inf: let it see itself
        allowed = allowed | torch.eye(T, dtype=torch.bool, device=device)
    return allowed


def attention_weights(q: torch.Tensor, k: torch.Tensor, allowed: torch.Tensor | None = None) -> torch.Tensor:
    """softmax(q kᵀ / √d) with disallowed keys at -inf (weight exactly 0). q: (…, T, D), k: (…, S, D)."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))    # (…, T, S)
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(dim=-1)


def manual_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                     allowed: torch.Tensor | None = None) -> torch.Tensor:
    """softmax(q kᵀ / √d) v, the formula SDPA fuses. q: (…, T, D), k and v: (…, S, D)."""
    return attention_weights(q, k, allowed) @ v                  # (…, T, D)


class MLP(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd, bias=cfg.bias)
        self.c_proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd, bias=cfg.bias)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")))   # GPT-2's "gelu_new"


class Block(nn.Module):
    """Pre-LN transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.ln_1, self.attn = nn.LayerNorm(cfg.n_embd, bias=cfg.bias), CausalSelfAttention(cfg)
        self.ln_2, self.mlp = nn.LayerNorm(cfg.n_embd, bias=cfg.bias), MLP(cfg)

    def forward(self, x: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), attention_mask)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.config = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)     # token embeddings
        self.wpe = nn.Embedding(cfg.block_size, cfg.n_embd)     # learned positions
        self.drop = nn.Dropout(cfg.dropout)
        self.h = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd, bias=cfg.bias)
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight                    # weight tying, as in GPT-2
        self.apply(self._init_weights)
        for name, p in self.named_parameters():                  # GPT-2: scale residual projections by 1/√(2L)
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, input_ids: torch.Tensor, labels: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None) -> CausalLMOutput:
        B, T = input_ids.shape
        if T > self.config.block_size:
            raise ValueError(f"sequence of {T} tokens is longer than block_size={self.config.block_size}")
        pos = torch.arange(T, device=input_ids.device)
        x = self.drop(self.wte(input_ids) + self.wpe(pos))         # (B, T, C)
        for block in self.h:
            x = block(x, attention_mask)
        logits = self.lm_head(self.ln_f(x))                         # (B, T, V)
        loss = None
        if labels is not None:   # next-token prediction: position t predicts token t+1
            # shift the (small) labels rather than slicing the (huge) logits, which would copy them
            targets = F.pad(labels[:, 1:], (0, 1), value=-100)     # (B, T), last position ignored
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-100)
        return CausalLMOutput(loss=loss, logits=logits)

    def num_params(self, non_embedding: bool = True) -> int:
        """Parameters; by default without position embeddings (token embeddings count: the head uses them)."""
        n = sum(p.numel() for p in self.parameters())
        return n - self.wpe.weight.numel() if non_embedding else n

    def flops_per_token(self, seq_len: int | None = None) -> float:
        """Training FLOPs per token: 6N for the weights + 12·L·C·T for attention scores (PaLM, App. B)."""
        T = seq_len or self.config.block_size
        return flops_per_token(self.num_params(), self.config.n_layer, self.config.n_embd, T)

    @classmethod
    def from_hf(cls, hf_model: nn.Module, **overrides) -> "GPT":
        """Copy a Hugging Face ``GPT2LMHeadModel``'s weights (its Conv1D stores weights transposed)."""
        c = hf_model.config
        if not overrides.get("bias", True):
            raise ValueError("GPT-2 checkpoints have biases: from_hf needs bias=True")
        cfg = GPTConfig(vocab_size=c.vocab_size, block_size=c.n_positions, n_layer=c.n_layer,
                        n_head=c.n_head, n_embd=c.n_embd, **overrides)
        model = cls(cfg)
        src = hf_model.transformer.state_dict()
        dst = model.state_dict()
        for name in dst:
            if name == "lm_head.weight":
                continue          # tied to wte
            w = src[name]
            if name.endswith(("c_attn.weight", "c_proj.weight", "c_fc.weight")):
                w = w.t()         # Conv1D (in, out) -> Linear (out, in)
            dst[name].copy_(w)
        return model


def flops_per_token(n_params: int, n_layer: int, n_embd: int, seq_len: int) -> float:
    """Training FLOPs per token: forward 2N + backward 4N, plus attention's QKᵀ and AV (12·L·C·T)."""
    return 6 * n_params + 12 * n_layer * n_embd * seq_len
