"""Batched generation and scoring for the zoo's models (decoder-only and encoder-decoder alike)."""
from __future__ import annotations

from typing import Sequence

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase


def is_seq2seq(model: PreTrainedModel) -> bool:
    return bool(getattr(model.config, "is_encoder_decoder", False))


@torch.no_grad()
def complete(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str], *,
             max_new_tokens: int = 48, batch_size: int = 32, stop_at_newline: bool = True,
             **generate_kwargs) -> list[str]:
    """Greedy (unless told otherwise) continuations of ``prompts``, prompt text removed.

    Decoder-only prompts are left-padded so every row's continuation starts at the same column.
    Prompts longer than the context window keep their last tokens (the window slides).
    """
    model.eval()
    device = next(model.parameters()).device
    seq2seq = is_seq2seq(model)
    window = getattr(model.config, "n_positions", None) or tokenizer.model_max_length
    outputs: list[str] = []
    for i in range(0, len(prompts), batch_size):
        chunk = list(prompts[i:i + batch_size])
        tokenizer.padding_side = "right" if seq2seq else "left"
        limit = window if seq2seq else max(1, window - max_new_tokens)
        tokenizer.truncation_side = "left"
        enc = tokenizer(chunk, return_tensors="pt", padding=True, truncation=True, max_length=limit)
        if seq2seq:
            enc = _append_eos(enc, tokenizer)
        enc = {k: v.to(device) for k, v in enc.items() if k in ("input_ids", "attention_mask")}
        kwargs = dict(max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id,
                      eos_token_id=tokenizer.eos_token_id)
        kwargs.update(generate_kwargs)
        out = model.generate(**enc, **kwargs)
        new = out if seq2seq else out[:, enc["input_ids"].shape[1]:]
        for text in tokenizer.batch_decode(new, skip_special_tokens=True):
            text = text.strip()
            if stop_at_newline:
                text = text.split("\n")[0].strip()
            outputs.append(text)
    return outputs


def _append_eos(enc, tokenizer):
    """T5-style inputs end with EOS; insert it right after each row's last real token."""
    ids, mask = enc["input_ids"], enc["attention_mask"]
    B, T = ids.shape
    ids = torch.cat([ids, torch.full((B, 1), tokenizer.pad_token_id)], dim=1)
    mask = torch.cat([mask, torch.zeros(B, 1, dtype=mask.dtype)], dim=1)
    lengths = enc["attention_mask"].sum(1)
    ids[torch.arange(B), lengths] = tokenizer.eos_token_id
    mask[torch.arange(B), lengths] = 1
    return {"input_ids": ids, "attention_mask": mask}


@torch.no_grad()
def mean_nll(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], *,
             batch_size: int = 16) -> float:
    """Mean next-token negative log-likelihood (nats/token) of ``texts`` under a causal LM."""
    model.eval()
    device = next(model.parameters()).device
    window = model.config.n_positions
    total, count = 0.0, 0
    tokenizer.padding_side = "right"
    for i in range(0, len(texts), batch_size):
        enc = tokenizer(list(texts[i:i + batch_size]), return_tensors="pt", padding=True,
                        truncation=True, max_length=window)
        ids, mask = enc.input_ids.to(device), enc.attention_mask.to(device)
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]        # (B, T-1, V)
        target, keep = ids[:, 1:], mask[:, 1:].bool()
        nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), target, reduction="none")
        total += nll[keep].sum().item()
        count += int(keep.sum())
    return total / max(1, count)
