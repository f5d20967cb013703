"""Direct preference optimisation: the loss from scratch and sequence log-probabilities; trl's
``DPOTrainer`` on a zoo model (CPU-safe settings) is :mod:`llmlab.trl_runs`.

DPO (Rafailov et al. 2023) skips the reward model and the rollouts of RLHF: for a preferred reply
y_w and a rejected one y_l to the same prompt x, with the policy π and a frozen reference π_ref,

    loss = −log σ( β · [ (log π(y_w|x) − log π_ref(y_w|x)) − (log π(y_l|x) − log π_ref(y_l|x)) ] )

averaged over pairs; log π(y|x) sums the reply's token log-probabilities.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from llmlab.trl_runs import make_trainer, quiet_trl, train_dpo  # noqa: F401  (trl's DPOTrainer, shared with Lab 07)


def dpo_loss(policy_chosen_logps: torch.Tensor, policy_rejected_logps: torch.Tensor,
             ref_chosen_logps: torch.Tensor, ref_rejected_logps: torch.Tensor, beta: float = 0.1) -> torch.Tensor:
    """The DPO loss (trl's ``loss_type="sigmoid"``), a scalar: the mean over the (B,) pairs."""
    margin = (policy_chosen_logps - ref_chosen_logps) - (policy_rejected_logps - ref_rejected_logps)   # (B,)
    return -F.logsigmoid(beta * margin).mean()


def sequence_logps(model: PreTrainedModel, tok: PreTrainedTokenizerBase, prompts: Sequence[str],
                   completions: Sequence[str], batch_size: int = 32) -> torch.Tensor:
    """log π(completion | prompt) for each pair, summed over the completion's tokens (and its EOS, as
    trl appends one), with gradients if the caller wants them. Returns (N,)."""
    device = next(model.parameters()).device
    out = []
    for i in range(0, len(prompts), batch_size):
        p_ids = tok(list(prompts[i:i + batch_size]), add_special_tokens=False).input_ids
        c_ids = [c + [tok.eos_token_id] for c in
                 tok(list(completions[i:i + batch_size]), add_special_tokens=False).input_ids]
        seqs = [p + c for p, c in zip(p_ids, c_ids)]
        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), tok.pad_token_id, dtype=torch.long)
        mask = torch.zeros_like(ids)
        comp = torch.zeros_like(ids, dtype=torch.bool)                  # (B, T): completion tokens
        for r, (p, s) in enumerate(zip(p_ids, seqs)):
            ids[r, :len(s)] = torch.tensor(s)
            mask[r, :len(s)] = 1
            comp[r, len(p):len(s)] = True
        ids, mask, comp = ids.to(device), mask.to(device), comp.to(device)
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]          # (B, T-1, V)
        logp = torch.log_softmax(logits.float(), -1).gather(-1, ids[:, 1:, None])[..., 0]  # (B, T-1)
        out.append((logp * comp[:, 1:]).sum(-1))
    return torch.cat(out)
