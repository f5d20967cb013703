"""Attention written out: the references Lab 02's exercises are checked against, and attention maps.

Masks follow ``torch.nn.functional.scaled_dot_product_attention``'s boolean convention: ``allowed``
is True where a query may attend to a key, and it broadcasts against the (…, T, S) score matrix:

    causal_allowed(T)                 # (T, T)        query t sees keys 0..t
    padding_allowed(attention_mask)   # (B, 1, 1, S)  no query sees a padding key
    causal_allowed(T) & padding_allowed(mask)   # both (a decoder on a padded batch)

``scaled_dot_product_attention`` and ``multi_head_attention`` are the textbook formulas,
softmax(q kᵀ / √d) v, per head; the package tests prove them equal to torch's SDPA and to
``llmlab.gpt.CausalSelfAttention``. ``attention_maps`` and ``plot_attention`` read and draw the
attention weights of a Hugging Face model.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn as nn
from torch import Tensor

from llmlab.gpt import GPT, attention_weights, causal_mask, manual_attention

# ---- masks ---------------------------------------------------------------------------------------


def causal_allowed(T: int, device: torch.device | str | None = None) -> Tensor:
    """(T, T) booleans, True where query t may see key s: s <= t (no peeking at later tokens)."""
    return causal_mask(T, torch.device(device or "cpu"), None, force=True)[0, 0]


def padding_allowed(attention_mask: Tensor) -> Tensor:
    """(B, S) of 1 (token) / 0 (padding) -> (B, 1, 1, S): every query may see the real keys only."""
    return attention_mask.bool()[:, None, None, :]


# ---- the references ------------------------------------------------------------------------------


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, allowed: Tensor | None = None) -> Tensor:
    """softmax(q kᵀ / √d) v. q: (…, T, D), k and v: (…, S, D), allowed: broadcastable to (…, T, S).
    The same formula ``llmlab.gpt`` runs with ``attn="manual"``."""
    return manual_attention(q, k, v, allowed)


def split_heads(x: Tensor, n_head: int) -> Tensor:
    """(B, T, C) -> (B, H, T, C // H): each head gets its own slice of the channels."""
    B, T, C = x.shape
    return x.view(B, T, n_head, C // n_head).transpose(1, 2)


def merge_heads(y: Tensor) -> Tensor:
    """(B, H, T, D) -> (B, T, H * D): the heads' outputs side by side again."""
    B, H, T, D = y.shape
    return y.transpose(1, 2).reshape(B, T, H * D)


def multi_head_attention(x: Tensor, c_attn: nn.Linear, c_proj: nn.Linear, n_head: int,
                         allowed: Tensor | None = None) -> Tensor:
    """GPT-2's multi-head self-attention. x: (B, T, C); c_attn: C -> 3C (q, k, v); c_proj: C -> C."""
    q, k, v = c_attn(x).split(x.size(-1), dim=-1)                       # 3 × (B, T, C)
    q, k, v = (split_heads(t, n_head) for t in (q, k, v))               # 3 × (B, H, T, D)
    y = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=allowed)   # (B, H, T, D)
    return c_proj(merge_heads(y))                                        # (B, T, C)


# ---- plugging an attention function into llmlab.gpt -----------------------------------------------
MHAFunction = Callable[[Tensor, nn.Linear, nn.Linear, int, Tensor | None], Tensor]


class FunctionAttention(nn.Module):
    """A drop-in for ``llmlab.gpt.CausalSelfAttention`` that calls ``fn`` with the block's own weights."""

    def __init__(self, original: nn.Module, fn: MHAFunction):
        super().__init__()
        self.c_attn, self.c_proj, self.n_head, self.fn = original.c_attn, original.c_proj, original.n_head, fn

    def forward(self, x: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        allowed = causal_mask(x.size(1), x.device, attention_mask, force=True)   # (B|1, 1, T, T)
        return self.fn(x, self.c_attn, self.c_proj, self.n_head, allowed)


def use_attention(model: GPT, fn: MHAFunction) -> GPT:
    """Replace every block's attention of ``model`` (in place) by ``fn``; returns the model."""
    for block in model.h:
        block.attn = FunctionAttention(block.attn, fn)
    return model


# ---- attention maps ------------------------------------------------------------------------------


@torch.no_grad()
def gpt_attention_maps(model: GPT, ids: Tensor) -> Tensor:
    """Attention weights (L, H, T, T) of an ``llmlab.gpt.GPT`` on ``ids`` (1, T), recomputed from each
    block's own q and k (the fused kernel never materialises them): softmax(q kᵀ / √d), causal."""
    inputs: list[Tensor] = []
    hooks = [b.attn.register_forward_pre_hook(lambda mod, args: inputs.append(args[0])) for b in model.h]
    try:
        model(ids)
    finally:
        for h in hooks:
            h.remove()
    maps = []
    for block, x in zip(model.h, inputs):                                # x: (1, T, C), after ln_1
        C = x.size(-1)
        q, k, _ = block.attn.c_attn(x).split(C, dim=-1)
        q, k = split_heads(q, block.attn.n_head), split_heads(k, block.attn.n_head)   # (1, H, T, D)
        maps.append(attention_weights(q, k, causal_allowed(x.size(1), x.device))[0])   # (H, T, T)
    return torch.stack(maps).float().cpu()                               # (L, H, T, T)


@torch.no_grad()
def head_roles(model: GPT, windows: Tensor) -> list[dict]:
    """What each head of ``model`` does on average over text ``windows`` (N, T): the attention weight a
    query puts on the previous token, on the first token (an attention "sink") and on itself, and the
    entropy of its attention row in bits (0 = one key, log2(t+1) = uniform). Queries t >= 2 only: before
    that, "previous" and "first" are the same token. One row per (block, head)."""
    device = next(model.parameters()).device
    total = None
    for ids in windows:
        maps = gpt_attention_maps(model, ids[None].to(device))[:, :, 2:]    # (L, H, T-2, T) queries t >= 2
        t = torch.arange(2, ids.numel())                                      # query positions
        roles = torch.stack([maps[..., range(len(t)), t - 1],                 # previous token
                             maps[..., 0],                                    # first token
                             maps[..., range(len(t)), t],                     # itself
                             -(maps * maps.clamp_min(1e-12).log2()).sum(-1)])  # entropy, (4, L, H, T-2)
        total = roles.mean(-1) if total is None else total + roles.mean(-1)  # (4, L, H)
    total = total / len(windows)
    L, H = total.shape[1:]
    return [{"block": l + 1, "head": h, "previous token": float(total[0, l, h]), "first token": float(total[1, l, h]),
             "itself": float(total[2, l, h]), "entropy (bits)": float(total[3, l, h])}
            for l in range(L) for h in range(H)]


def _readable(tokens: Sequence[str]) -> list[str]:
    return [t.replace("Ġ", " ").replace("Ċ", "\\n") for t in tokens]


@torch.no_grad()
def attention_maps(model: nn.Module, tokenizer, text: str) -> tuple[list[str], Tensor]:
    """The tokens of ``text`` and the model's attention weights, (L, H, T, T), for one sequence.

    Works for ``llmlab.gpt.GPT`` and for Hugging Face models that return ``attentions`` (BERT,
    GPT-2, ... built or loaded with ``attn_implementation="eager"``: fused kernels never
    materialise the weights).
    """
    device = next(model.parameters()).device
    enc = tokenizer(text, return_tensors="pt", add_special_tokens=False).to(device)
    tokens = _readable(tokenizer.convert_ids_to_tokens(enc["input_ids"][0]))
    if isinstance(model, GPT):
        return tokens, gpt_attention_maps(model, enc["input_ids"])
    out = model(**enc, output_attentions=True)
    if not out.attentions or out.attentions[0] is None:
        raise ValueError("the model returned no attention weights: build or load it with "
                         "attn_implementation='eager'")
    return tokens, torch.stack([a[0] for a in out.attentions]).float().cpu()     # (L, H, T, T)


def token_index(tokens: Sequence[str], word: str, occurrence: int = 0) -> int:
    """Index of the token that starts ``word`` (its n-th occurrence) in ``tokens`` from ``attention_maps``."""
    hits = [i for i, t in enumerate(tokens) if t.strip().lower() == word.lower()]
    if len(hits) <= occurrence:
        hits = [i for i, t in enumerate(tokens) if t.strip() and word.lower().startswith(t.strip().lower())]
    if len(hits) <= occurrence:
        raise ValueError(f"{word!r} is not a token of {''.join(tokens)!r}")
    return hits[occurrence]


def plot_attention(weights: Tensor, tokens: Sequence[str], ax=None, title: str = "",
                   highlight: int | None = None, cmap: str = "viridis"):
    """Heatmap of one (T, T) attention matrix: row = query token, column = key token."""
    import matplotlib.pyplot as plt
    ax = ax or plt.subplots(figsize=(4.5, 4.5))[1]
    w = weights.detach().float().cpu()
    vmax = float(w[1:].max()) if len(w) > 1 else 1.0        # row 0 of a causal map is always [1, 0, ...]
    ax.imshow(w.numpy(), cmap=cmap, vmin=0.0, vmax=vmax)
    labels = [t.strip() or repr(t) for t in tokens]
    ax.set_xticks(range(len(tokens)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(tokens)), labels, fontsize=7)
    if highlight is not None:
        ax.add_patch(plt.Rectangle((-0.5, highlight - 0.5), len(tokens), 1, fill=False, ec="red", lw=1.5))
    ax.set_xlabel("attends to (key)", fontsize=8)
    ax.set_ylabel("query", fontsize=8)
    ax.set_title(title, fontsize=9)
    return ax


def plot_query_rows(maps: Tensor, tokens: Sequence[str], query: int, ax=None, title: str = "", cmap: str = "magma"):
    """Where one token looks, in every head: rows = (block, head), columns = the keys it may see.
    ``maps`` is (L, H, T, T) from ``attention_maps``; ``query`` the token's index."""
    import matplotlib.pyplot as plt
    L, H = maps.shape[:2]
    rows = maps[:, :, query, :query + 1].reshape(L * H, query + 1).detach().float().cpu()   # (L·H, query + 1)
    ax = ax or plt.subplots(figsize=(0.45 * (query + 1) + 1.5, 0.3 * L * H + 1))[1]
    ax.imshow(rows.numpy(), cmap=cmap, vmin=0.0, vmax=float(rows.max()), aspect="auto")
    ax.set_xticks(range(query + 1), [t.strip() or repr(t) for t in tokens[:query + 1]], rotation=90, fontsize=8)
    ax.set_yticks(range(L * H), [f"block {l + 1} head {h}" for l in range(L) for h in range(H)], fontsize=7)
    ax.set_title(title or f"where {tokens[query].strip()!r} looks", fontsize=9)
    return ax
