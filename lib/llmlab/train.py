"""A small, explicit training loop (AdamW, warm-up + cosine, clipping) and the batchers it eats.

Every zoo recipe trains through ``train``; Lab 03 reads it as "the training loop". A batcher is
just ``step -> dict`` of tensors that the Hugging Face model accepts (``labels`` included), so the
same loop trains a causal LM, an instruction-tuned LM and an encoder-decoder.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
from tqdm.auto import tqdm

Batch = dict[str, torch.Tensor]
IGNORE = -100  # label value that cross-entropy skips (prompt and padding positions)


@dataclass
class TrainLog:
    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    tokens: int = 0
    seconds: float = 0.0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / max(self.seconds, 1e-9)


def lr_at(step: int, steps: int, lr: float, warmup: int) -> float:
    """Linear warm-up, then cosine decay to 10% of the peak."""
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def train(model: torch.nn.Module, next_batch: Callable[[int], Batch], steps: int, *, lr: float = 3e-3,
          warmup: int = 50, weight_decay: float = 0.01, clip: float = 1.0, desc: str = "train",
          log_every: int = 10, progress: bool = True) -> TrainLog:
    """Train ``model`` for ``steps`` optimizer steps on batches from ``next_batch(step)``."""
    device = next(model.parameters()).device
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.98))
    log = TrainLog()
    model.train()
    start = time.perf_counter()
    bar = tqdm(range(steps), desc=desc, disable=not progress, mininterval=1.0)
    for step in bar:
        for group in opt.param_groups:
            group["lr"] = lr_at(step, steps, lr, warmup)
        batch = {k: v.to(device) for k, v in next_batch(step).items()}
        loss = model(**batch).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        log.tokens += int(batch["attention_mask"].sum()) if "attention_mask" in batch else batch["input_ids"].numel()
        if step % log_every == 0 or step == steps - 1:
            log.steps.append(step)
            log.loss.append(loss.item())
            log.seconds = time.perf_counter() - start
            bar.set_postfix(loss=f"{loss.item():.3f}", tok_s=f"{log.tokens_per_second:,.0f}")
    log.seconds = time.perf_counter() - start
    model.eval()
    return log


# ---- batchers -------------------------------------------------------------------------------
def stream_batcher(ids: Sequence[int], seq_len: int, batch_size: int, seed: int = 0) -> Callable[[int], Batch]:
    """Causal-LM batches: random windows of one long token stream (documents joined by EOS)."""
    data = torch.tensor(ids, dtype=torch.long)
    if len(data) <= seq_len + 1:
        raise ValueError(f"token stream of {len(data)} tokens is shorter than seq_len={seq_len}")
    gen = torch.Generator().manual_seed(seed)

    def next_batch(step: int) -> Batch:
        starts = torch.randint(0, len(data) - seq_len, (batch_size,), generator=gen)
        x = torch.stack([data[s:s + seq_len] for s in starts.tolist()])  # (B, T)
        return {"input_ids": x, "labels": x.clone()}
    return next_batch


def pad(seqs: Sequence[Sequence[int]], value: int, left: bool = False) -> torch.Tensor:
    """Pad lists of ids into a (B, T) tensor."""
    width = max(len(s) for s in seqs)
    rows = [([value] * (width - len(s)) + list(s)) if left else (list(s) + [value] * (width - len(s)))
            for s in seqs]
    return torch.tensor(rows, dtype=torch.long)


def sft_batcher(pairs: Sequence[tuple[list[int], list[int]]], batch_size: int, pad_id: int,
                seed: int = 0) -> Callable[[int], Batch]:
    """Causal-LM fine-tuning on (prompt, response) pairs; the loss counts response tokens only."""
    rng = random.Random(seed)

    def next_batch(step: int) -> Batch:
        chosen = [pairs[rng.randrange(len(pairs))] for _ in range(batch_size)]
        ids = [p + r for p, r in chosen]
        labels = [[IGNORE] * len(p) + r for p, r in chosen]
        x = pad(ids, pad_id)                                   # (B, T)
        return {"input_ids": x, "attention_mask": (pad([[1] * len(s) for s in ids], 0)),
                "labels": pad(labels, IGNORE)}
    return next_batch


def seq2seq_batcher(pairs: Sequence[tuple[list[int], list[int]]], batch_size: int, pad_id: int,
                    seed: int = 0) -> Callable[[int], Batch]:
    """Encoder-decoder batches of (source ids, target ids); the model shifts labels itself."""
    rng = random.Random(seed)

    def next_batch(step: int) -> Batch:
        chosen = [pairs[rng.randrange(len(pairs))] for _ in range(batch_size)]
        src = [s for s, _ in chosen]
        return {"input_ids": pad(src, pad_id), "attention_mask": pad([[1] * len(s) for s in src], 0),
                "labels": pad([t for _, t in chosen], IGNORE)}
    return next_batch
