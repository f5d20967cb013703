"""Catastrophic forgetting and the two cures: multi-task data, and adapters that leave the base untouched.

    skills(model, tok, dialogues, pairs)         # {"summary ROUGE-L", "slot acc", "translation BLEU"}
    add_adapter(peft_model, "translate", pairs, steps, pad_id=...)   # a second LoRA adapter, trained alone
    with_adapter(peft_model, "translate") / without_adapter(peft_model)
"""
from __future__ import annotations

import contextlib

import torch

from llmlab import finetune, train as trainer
from llmlab.lab05 import data


def skills(model, tok, dialogues, pairs) -> dict[str, float]:
    s = data.score_summaries(model, tok, dialogues)
    return {"ROUGE-L": s["rougeL"], "slot acc": s["slot_acc"],
            "translation BLEU": data.score_translation(model, tok, pairs)}


def add_adapter(peft_model, name: str, pairs, steps: int, *, pad_id: int, r: int = 4,
                targets: tuple[str, ...] = ("q", "v"), seed: int = 0, lr: float | None = None) -> float:
    """Add a LoRA adapter ``name`` to a peft model and train it alone (the others frozen); seconds taken."""
    import time

    from peft import LoraConfig, TaskType
    peft_model.add_adapter(name, LoraConfig(task_type=TaskType.SEQ_2_SEQ_LM, r=r, lora_alpha=2 * r,
                                            lora_dropout=0.0, target_modules=list(targets)))
    before = peft_model.active_adapter
    peft_model.set_adapter(name)            # the active adapter is the only trainable one
    torch.manual_seed(seed)
    start = time.perf_counter()
    trainer.train(peft_model, trainer.seq2seq_batcher(pairs, 16, pad_id, seed=seed), steps,
                  lr=lr or finetune.LR["lora"], warmup=10, progress=False, amp_dtype=None)
    peft_model.set_adapter(before)
    return time.perf_counter() - start


@contextlib.contextmanager
def with_adapter(peft_model, name: str):
    """Run with adapter ``name`` active, restoring the previously active one afterwards."""
    before = peft_model.active_adapter
    peft_model.set_adapter(name)
    try:
        yield peft_model
    finally:
        peft_model.set_adapter(before)


def base_logits_equal(peft_model, base_model, batch) -> bool:
    """Adapter off (``disable_adapter``) gives exactly the base model's logits."""
    with torch.no_grad(), peft_model.disable_adapter():
        a = peft_model(**batch).logits
    with torch.no_grad():
        b = base_model(**batch).logits
    return torch.equal(a, b)
