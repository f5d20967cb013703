"""Full fine-tuning, peft LoRA and peft prompt tuning on the same data and steps, each measured.

    run = tune(model, pairs, "lora", steps=200, lora_r=4, targets=("q", "v"))
    run.trainable, run.share, run.seconds, run.memory            # memory: bytes measured in one training step

Every method trains through ``llmlab.train.train`` (the package's loop: AdamW, warm-up + cosine,
clipping) on the same batches (the same batcher seed), so only the method differs. Lab 05 compares
the methods; the zoo builds two of its runs (``t5-sum``, ``t5-sum-lora``) with ``wrap`` for Lab 06.
"""
from __future__ import annotations

import copy
import time
import warnings
from dataclasses import dataclass, field

import torch
from torch import nn

from llmlab import activations, train as trainer

# learning rates per method: LoRA and prompt tuning update few, zero- or randomly-initialised
# parameters and want a larger step than full fine-tuning (as in the LoRA and prompt-tuning papers)
LR = {"full": 3e-3, "lora": 1e-2, "prompt": 3e-2}


@dataclass
class Run:
    method: str
    model: nn.Module
    trainable: int
    total: int
    seconds: float
    memory: dict[str, int] = field(default_factory=dict)
    loss: list[float] = field(default_factory=list)
    loss_steps: list[int] = field(default_factory=list)     # the step of each logged loss

    @property
    def share(self) -> float:
        return self.trainable / self.total


def count(model: nn.Module) -> tuple[int, int]:
    """(trainable, total) parameters; peft's prompt encoder counts among the trainable ones."""
    params = {id(p): p for p in model.parameters()}.values()
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)


def wrap(model: nn.Module, method: str, *, lora_r: int = 4, lora_alpha: float | None = None,
         targets: tuple[str, ...] = ("q", "v"), virtual_tokens: int = 20, adapter: str = "default") -> nn.Module:
    """``model`` ready for ``method``: itself ("full"), or a peft model with a LoRA adapter or a soft prompt."""
    from peft import LoraConfig, PromptTuningConfig, TaskType, get_peft_model
    seq2seq = bool(getattr(model.config, "is_encoder_decoder", False))
    task = TaskType.SEQ_2_SEQ_LM if seq2seq else TaskType.CAUSAL_LM
    if method == "full":
        return model
    if method == "lora":
        config = LoraConfig(task_type=task, r=lora_r, lora_alpha=lora_alpha or 2 * lora_r, lora_dropout=0.0,
                            target_modules=list(targets), fan_in_fan_out=not seq2seq)
    elif method == "prompt":
        config = PromptTuningConfig(task_type=task, num_virtual_tokens=virtual_tokens)
    else:
        raise ValueError(f"method {method!r}: use 'full', 'lora' or 'prompt'")
    with warnings.catch_warnings():   # peft 0.21 asks transformers 5 the deprecated is_gradient_checkpointing
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        return get_peft_model(model, config, adapter_name=adapter)


def training_memory(model: nn.Module, batch: trainer.Batch) -> dict[str, int]:
    """Bytes held during one AdamW training step, counted from the tensors themselves: parameters,
    gradients, the optimizer's state (two moments per trainable parameter) and the activations that
    autograd saves for the backward pass (``activations.saved_activation_bytes``: frozen weights and the
    batch are not activations; a tensor saved twice counts once)."""
    model = copy.deepcopy(model).train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-6)
    acts, _ = activations.saved_activation_bytes(model, batch, backward=True)
    opt.step()
    unique = {id(p): p for p in model.parameters()}.values()
    nbytes = lambda t: t.numel() * t.element_size()  # noqa: E731
    state = sum(nbytes(v) for s in opt.state.values() for v in s.values() if torch.is_tensor(v) and v.dim() > 0)
    return {"params": sum(nbytes(p) for p in unique),
            "grads": sum(nbytes(p.grad) for p in params if p.grad is not None),
            "optimizer": state, "activations": acts}


def tune(model: nn.Module, pairs, method: str, steps: int, *, pad_id: int, batch_size: int = 16, seed: int = 0,
         lr: float | None = None, **wrap_kwargs) -> Run:
    """Fine-tune a copy of ``model`` with ``method`` on ``pairs`` for ``steps`` steps; measured."""
    torch.manual_seed(seed)
    tuned = wrap(copy.deepcopy(model), method, **wrap_kwargs)
    trainable, total = count(tuned)
    batcher = trainer.seq2seq_batcher(pairs, batch_size, pad_id, seed=seed)
    memory = training_memory(tuned, batcher(0))
    batcher = trainer.seq2seq_batcher(pairs, batch_size, pad_id, seed=seed)   # the same batches for every method
    start = time.perf_counter()
    log = trainer.train(tuned, batcher, steps, lr=lr or LR[method], warmup=10, progress=False, amp_dtype=None)
    return Run(method, tuned.eval(), trainable, total, time.perf_counter() - start, memory, log.loss, log.steps)


def tune_with_hf_trainer(model: nn.Module, pairs, steps: int, *, pad_id: int, batch_size: int = 16, seed: int = 0,
                         lr: float = LR["full"], warmup: int = 10, our_schedule: bool = False) -> Run:
    """Full fine-tuning of a copy of ``model`` through transformers' ``Trainer`` instead of ``llmlab.train.train``.

    Everything that decides the result is set to what ``tune`` uses: the same batches in the same order (the
    batcher's, handed over one per step), AdamW (betas 0.9 / 0.98, weight decay 0.01 on all but the norms, the
    same groups as ours), gradients clipped at 1, fp32, and warm-up + cosine decay to 10% of the peak
    (``cosine_with_min_lr``). One difference is left in on purpose, because it is the library's own: its warm-up
    starts at 0 and reaches the peak one step later than ours (``lr * step / warmup`` against ``lr * (step + 1) /
    warmup``). ``our_schedule=True`` hands the Trainer our optimizer and ``llmlab.train.lr_at`` instead: then the
    two loops compute the same steps (tested). ``Run.loss`` holds every step's loss (``tune`` logs every 10th).
    """
    import tempfile

    from transformers import PrinterCallback, ProgressCallback, Trainer, TrainingArguments

    torch.manual_seed(seed)
    tuned = copy.deepcopy(model)
    batcher = trainer.seq2seq_batcher(pairs, batch_size, pad_id, seed=seed)

    class Batches(torch.utils.data.IterableDataset):   # our batches, in our order (no sampler, no shuffling)
        def __iter__(self):
            return (batcher(step) for step in range(steps))

    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out, max_steps=steps, per_device_train_batch_size=1, learning_rate=lr, weight_decay=0.01,
            adam_beta1=0.9, adam_beta2=0.98, adam_epsilon=1e-8, max_grad_norm=1.0, optim="adamw_torch_fused",
            lr_scheduler_type="cosine_with_min_lr", lr_scheduler_kwargs={"min_lr_rate": 0.1}, warmup_steps=warmup,
            bf16=False, fp16=False, logging_steps=1, save_strategy="no", report_to=[], seed=seed,
            dataloader_num_workers=0, disable_tqdm=True, use_cpu=next(model.parameters()).device.type == "cpu")
        optimizers = (None, None)
        if our_schedule:
            opt = trainer.adamw(tuned, lr, weight_decay=0.01)
            schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: trainer.lr_at(s, steps, lr, warmup) / lr)
            optimizers = (opt, schedule)
        hf = Trainer(model=tuned, args=args, train_dataset=Batches(), data_collator=lambda one: one[0],
                     optimizers=optimizers)
        for quiet in (PrinterCallback, ProgressCallback):   # the notebook prints its own summary
            hf.remove_callback(quiet)
        start = time.perf_counter()
        hf.train()
        seconds = time.perf_counter() - start
    trainable, total = count(tuned)
    losses = [h["loss"] for h in hf.state.log_history if "loss" in h]
    return Run("full (transformers Trainer)", tuned.eval(), trainable, total, seconds, loss=losses,
               loss_steps=list(range(len(losses))))
