"""trl's trainers on zoo models with CPU-safe settings, for the labs that run them beside their own code
(Lab 07: DPO and GRPO beside PPO; Lab 08: DPO on AI labels).

trl 1.16's configs default to ``bf16=True`` (which raises on a CPU) and to gradient checkpointing; every
config here switches both off on every device (fp32: at a million parameters neither pays), prints nothing per
log step and keeps ``datasets`` quiet. Both trainers load their frozen reference from
``model.config._name_or_path`` — the checkpoint on disk, which is the starting model only if ``model`` was not
changed in memory before the call.
"""
from __future__ import annotations

import contextlib
import logging
from typing import Iterator, Sequence

from transformers import PreTrainedModel, PreTrainedTokenizerBase


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


def train_grpo(model: PreTrainedModel, tok: PreTrainedTokenizerBase, prompts: Sequence[str], reward_fn, *,
               steps: int, generations: int = 8, batch_size: int = 64, max_new_tokens: int = 32, lr: float = 5e-4,
               beta: float = 0.5, seed: int = 0, out_dir: str):
    """GRPO (Shao et al. 2024) with trl's ``GRPOTrainer``: per step, ``batch_size // generations`` prompts,
    ``generations`` sampled replies each; a reply's advantage is its reward minus its group's mean, over the
    group's standard deviation — no value head. ``reward_fn(prompts, replies) -> list[float]`` scores replies
    cut at their first newline (as the labs' rollouts read them). Pure sampling (no top-k / top-p), one update
    per batch, a constant learning rate, ``beta`` × KL to the starting model in the loss (Lab 07: 0.04 let the
    policy hack its reward at 48 steps, 0.5 held), trl's default token-level loss normalisation (``loss_type
    "dapo"``, not the paper's per-reply mean). Returns the trainer (``trainer.model``)."""
    import datasets
    from transformers.trainer_callback import PrinterCallback
    from trl import GRPOConfig, GRPOTrainer
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
    logging.getLogger("trl").setLevel(logging.ERROR)
    on_cpu = next(model.parameters()).device.type == "cpu"

    def rewards(completions, prompts=None, **_):
        return [float(x) for x in reward_fn(list(prompts), [c.split("\n")[0].strip() for c in completions])]

    cfg = GRPOConfig(output_dir=out_dir, max_steps=steps, per_device_train_batch_size=batch_size,
                     num_generations=generations, max_completion_length=max_new_tokens, learning_rate=lr, beta=beta,
                     temperature=1.0, top_k=0, top_p=1.0, lr_scheduler_type="constant", warmup_steps=0,
                     weight_decay=0.0, logging_steps=1, save_strategy="no", report_to=[], seed=seed, data_seed=seed,
                     bf16=False, use_cpu=on_cpu, gradient_checkpointing=False, disable_tqdm=True,
                     dataloader_num_workers=0)
    side, tok.padding_side = tok.padding_side, "left"    # trl generates a batch of prompts: pad them on the left
    data = datasets.Dataset.from_list([{"prompt": p} for p in prompts])
    try:
        with quiet_trl():
            trainer = GRPOTrainer(model=model, reward_funcs=rewards, args=cfg, train_dataset=data,
                                  processing_class=tok)
        trainer.remove_callback(PrinterCallback)
        trainer.train()
    finally:
        tok.padding_side = side
    trainer.model.eval()
    return trainer
