"""The model as a judge: which of two replies follows a principle better, read off its next-token
probabilities for " A" and " B" after ``judge_prompt`` (no sampling, so every verdict is a number)."""
from __future__ import annotations

from typing import Sequence

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from llmlab.tinyworld.constitution import judge_prompt


@torch.no_grad()
def p_a(model: PreTrainedModel, tok: PreTrainedTokenizerBase, requests: Sequence[str], replies_a: Sequence[str],
        replies_b: Sequence[str], principle: str, batch_size: int = 32) -> list[float]:
    """P(" A") / (P(" A") + P(" B")) at the answer position of each judge prompt."""
    a_id, b_id = (tok(w, add_special_tokens=False).input_ids[0] for w in (" A", " B"))
    device = next(model.parameters()).device
    prompts = [judge_prompt(q, a, b, principle) for q, a, b in zip(requests, replies_a, replies_b)]
    out: list[float] = []
    tok.padding_side, tok.truncation_side = "left", "left"
    for i in range(0, len(prompts), batch_size):
        enc = tok(prompts[i:i + batch_size], return_tensors="pt", padding=True, truncation=True,
                  max_length=model.config.n_positions).to(device)
        pos = (enc.attention_mask.cumsum(-1) - 1).clamp(min=0)        # (B, T): positions despite left padding
        logits = model(input_ids=enc.input_ids, attention_mask=enc.attention_mask, position_ids=pos).logits[:, -1]
        two = torch.stack([logits[:, a_id], logits[:, b_id]], -1).float()   # (B, 2)
        out += torch.softmax(two, -1)[:, 0].tolist()
    return out


def judge_both_orders(model, tok, rows: Sequence[dict], principle: str) -> list[dict]:
    """Judge each row's (first, second) replies in both orders; adds p_a and p_a_swapped to a copy of it."""
    q = [r["request"] for r in rows]
    first, second = [r["first"] for r in rows], [r["second"] for r in rows]
    pa = p_a(model, tok, q, first, second, principle)
    pb = p_a(model, tok, q, second, first, principle)
    return [{**r, "p_a": a, "p_a_swapped": b} for r, a, b in zip(rows, pa, pb)]
