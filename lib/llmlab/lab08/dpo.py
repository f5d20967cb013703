"""Direct preference optimisation: the loss from scratch, sequence log-probabilities, and trl's
``DPOTrainer`` on a zoo model (CPU-safe settings).

DPO (Rafailov et al. 2023) skips the reward model and the rollouts of RLHF: for a preferred reply
y_w and a rejected one y_l to the same prompt x, with the policy π and a frozen reference π_ref,

    loss = −log σ( β · [ (log π(y_w|x) − log π_ref(y_w|x)) − (log π(y_l|x) − log π_ref(y_l|x)) ] )

averaged over pairs; log π(y|x) sums the reply's token log-probabilities.
"""
from __future__ import annotations

import contextlib
import logging
from typing import Iterator, Sequence

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel, PreTrainedTokenizerBase


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


@contextlib.contextmanager
def quiet_trl() -> Iterator[None]:
    """No ``datasets`` progress bars (trl maps the data set three times) while trl sets up."""
    from datasets.utils import logging as ds_logging
    was = ds_logging.is_progress_bar_enabled()
    ds_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was:
            ds_logging.enable_progress_bar()


def make_trainer(model, ref_model, cfg, pairs: Sequence[dict], tok):
    """trl's ``DPOTrainer`` on prompt / chosen / rejected replies, without its per-log printouts (with
    ``disable_tqdm`` transformers prints every log dict; the history stays in ``trainer.state``)."""
    import datasets
    from transformers.trainer_callback import PrinterCallback
    from trl import DPOTrainer
    # the policy was trained on prompt + " " + reply: the replies keep that leading space
    data = datasets.Dataset.from_list([{"prompt": p["prompt"], "chosen": " " + p["chosen"],
                                        "rejected": " " + p["rejected"]} for p in pairs])
    with quiet_trl():
        trainer = DPOTrainer(model=model, ref_model=ref_model, args=cfg, train_dataset=data, processing_class=tok)
    trainer.remove_callback(PrinterCallback)
    return trainer


def train_dpo(model: PreTrainedModel, tok: PreTrainedTokenizerBase, pairs: Sequence[dict], *, steps: int,
              beta: float = 0.1, lr: float = 5e-4, batch_size: int = 16, seed: int = 0, out_dir: str):
    """DPO with trl's ``DPOTrainer`` on ``pairs`` (dicts with prompt / chosen / rejected replies), ``steps``
    optimizer steps; ``ref_model=None`` makes trl keep a frozen copy of ``model`` as the reference.
    Returns the trainer (``trainer.model`` is the tuned policy, ``trainer.state.log_history`` its log).
    trl 1.16's configs default to bf16 and gradient checkpointing, which a CPU run must switch off."""
    from trl import DPOConfig
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
    device = next(model.parameters()).device
    cfg = DPOConfig(output_dir=out_dir, max_steps=steps, per_device_train_batch_size=batch_size,
                    learning_rate=lr, beta=beta, lr_scheduler_type="cosine", warmup_steps=max(1, steps // 10),
                    logging_steps=max(1, steps // 10), save_strategy="no", report_to=[], seed=seed,
                    data_seed=seed, bf16=False, use_cpu=device.type == "cpu", gradient_checkpointing=False,
                    max_length=model.config.n_positions, disable_tqdm=True, dataloader_num_workers=0)
    trainer = make_trainer(model, None, cfg, pairs, tok)
    trainer.train()
    trainer.model.eval()
    return trainer
