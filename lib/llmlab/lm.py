"""Causal-LM data and held-out loss, shared by the labs that train or compress language models.

A corpus becomes one token stream (documents joined by EOS); held-out text becomes fixed, non-overlapping
windows; ``eval_loss`` is the mean next-token cross-entropy over them (its exp is the perplexity).
"""
from __future__ import annotations

import random
from typing import Sequence

import torch


def token_stream(tok, texts: Sequence[str], seed: int | None = 0) -> list[int]:
    """Documents (shuffled with ``seed``; None keeps the order) joined into one stream, EOS between."""
    texts = list(texts)
    if seed is not None:
        random.Random(seed).shuffle(texts)
    ids: list[int] = []
    for enc in tok(texts, add_special_tokens=False)["input_ids"]:
        ids.extend(enc + [tok.eos_token_id])
    return ids


def eval_windows(ids: Sequence[int], seq_len: int, n: int | None = None) -> torch.Tensor:
    """Consecutive, non-overlapping windows of a held-out stream: a fixed evaluation set, (n, seq_len)."""
    usable = (len(ids) // seq_len) * seq_len
    x = torch.tensor(ids[:usable], dtype=torch.long).view(-1, seq_len)   # (W, T)
    return x if n is None else x[:n]


@torch.no_grad()
def eval_loss(model: torch.nn.Module, windows: torch.Tensor, batch_size: int = 64) -> float:
    """Mean next-token cross-entropy (nats/token) of a causal LM on (W, T) windows."""
    model.eval()
    device = next(model.parameters()).device
    total, count = 0.0, 0
    for i in range(0, len(windows), batch_size):
        x = windows[i:i + batch_size].to(device)                   # (B, T)
        n = x.numel() - x.shape[0]                                 # the last position has no target
        total += model(input_ids=x, labels=x).loss.float().item() * n
        count += n
    return total / max(1, count)
