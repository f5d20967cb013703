"""Knowledge distillation (Hinton et al. 2015): a small student learns from a big teacher's softened
next-token distributions as well as from the hard labels.

    loss = α · T² · KL(softmax(z_t / T) ‖ softmax(z_s / T))  +  (1 − α) · CE(z_s, labels)

averaged over the positions that have a label (``labels != IGNORE``). Dividing the logits by a
temperature T > 1 flattens both distributions, so the teacher's "dark knowledge" — how much it
prefers the runner-up answers — carries weight; the gradient of the softened KL shrinks as 1/T²,
so the T² factor keeps the soft term's size independent of T (and α means what it says).

``DistillationModel`` wraps student and frozen teacher into one module whose ``forward(**batch)``
returns that loss, so the course's one training loop (``llmlab.train.train``) trains the student
unchanged; ``train_student`` runs the distilled student and its hard-label twin on the same
batches from the same initial weights.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedModel, PreTrainedTokenizerBase

from llmlab import train as trainer
from llmlab.lab09.measure import SENTIMENT_INSTRUCTION, instruction_pairs
from llmlab.train import IGNORE


# ---- the loss ---------------------------------------------------------------------------------
def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor,
                      temperature: float = 2.0, alpha: float = 0.5) -> torch.Tensor:
    """Soft-target KL · T² blended with hard-label cross-entropy; a scalar.

    ``student_logits``, ``teacher_logits``: (B, T, V), position t predicting ``labels[:, t]`` (B, T)
    (already shifted); positions whose label is ``IGNORE`` (prompt, padding) count in neither term.
    """
    keep = labels != IGNORE                                                     # (B, T)
    s = student_logits[keep]                                                    # (N, V)
    t = teacher_logits[keep].detach()                                           # (N, V)
    log_p_s = F.log_softmax(s / temperature, dim=-1)
    log_p_t = F.log_softmax(t / temperature, dim=-1)
    kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(-1).mean()                  # KL(teacher ‖ student) per token
    ce = F.cross_entropy(s, labels[keep])
    return alpha * temperature ** 2 * kl + (1 - alpha) * ce


def shift(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Align a causal LM's logits (B, T, V) with its labels (B, T): position t predicts token t + 1."""
    return logits[:, :-1], labels[:, 1:]


class DistillationModel(torch.nn.Module):
    """Student + frozen teacher; ``forward(**batch).loss`` is ``distillation_loss`` on the batch.

    The teacher is held outside the module's registry (not a submodule), so ``parameters()`` — what
    ``llmlab.train.train`` optimises and clips — is the student's alone, the teacher object is left
    as it was, and it stays in eval mode whatever ``train()`` is called with.
    """

    def __init__(self, student: PreTrainedModel, teacher: PreTrainedModel | None, temperature: float = 2.0,
                 alpha: float = 0.5, loss_fn=distillation_loss, positions: str = "response"):
        super().__init__()
        self.student = student
        self.__dict__["teacher"] = teacher.eval() if teacher is not None else None   # not a submodule
        self.config = student.config           # train() reads the width from here (autocast choice)
        self.temperature, self.alpha, self.loss_fn, self.positions = temperature, alpha, loss_fn, positions

    def train(self, mode: bool = True):
        self.student.train(mode)
        if self.teacher is not None:
            self.teacher.eval()
        self.training = mode
        return self

    def forward(self, input_ids, attention_mask=None, labels=None) -> SimpleNamespace:
        if self.positions == "all":     # every real token is a target, the prompt's too
            labels = input_ids.masked_fill(attention_mask == 0, IGNORE)
        student_logits = self.student(input_ids=input_ids, attention_mask=attention_mask).logits
        s, y = shift(student_logits, labels)
        if self.teacher is None:
            return SimpleNamespace(loss=F.cross_entropy(s[y != IGNORE], y[y != IGNORE]), logits=student_logits)
        with torch.no_grad():
            teacher_logits = self.teacher(input_ids=input_ids, attention_mask=attention_mask).logits
        t, _ = shift(teacher_logits, labels)
        return SimpleNamespace(loss=self.loss_fn(s, t, y, self.temperature, self.alpha), logits=student_logits)


# ---- student, data and training ----------------------------------------------------------------
def make_student(teacher: PreTrainedModel, n_embd: int = 48, n_layer: int = 2, n_head: int = 4,
                 seed: int = 0) -> GPT2LMHeadModel:
    """A randomly initialised GPT-2 with the teacher's vocabulary and window, narrower and/or shallower."""
    cfg = teacher.config.to_dict()
    cfg.update(n_embd=n_embd, n_layer=n_layer, n_head=n_head)
    for k in ("architectures", "transformers_version", "dtype", "torch_dtype", "model_type"):
        cfg.pop(k, None)
    torch.manual_seed(seed)
    return GPT2LMHeadModel(GPT2Config(**cfg)).to(next(teacher.parameters()).device)


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def sentiment_pairs(tok: PreTrainedTokenizerBase, rows: list[dict]) -> list[tuple[list[int], list[int]]]:
    """(prompt ids, answer ids + EOS) in the instruct model's format: the answer is the label word."""
    return instruction_pairs(tok, [{"instruction": SENTIMENT_INSTRUCTION, "input": r["text"], "output": r["label"]}
                                   for r in rows])


@dataclass
class StudentRun:
    kind: str                  # "distilled" or "hard labels"
    seed: int
    model: PreTrainedModel
    log: trainer.TrainLog


def train_student(student: PreTrainedModel, teacher: PreTrainedModel | None, pairs, steps: int, *,
                  pad_id: int, batch_size: int = 16, lr: float = 3e-3, temperature: float = 2.0,
                  alpha: float = 0.5, seed: int = 0, loss_fn=distillation_loss, progress: bool = False,
                  positions: str = "response", **train_kwargs) -> trainer.TrainLog:
    """Train ``student`` in place: distilled from ``teacher`` or, with ``teacher=None``, on hard labels
    (the model's own cross-entropy). Batches depend only on ``seed``, so twins see the same data."""
    batches = trainer.sft_batcher(pairs, batch_size, pad_id, seed=seed)
    model = DistillationModel(student, teacher, temperature, alpha, loss_fn, positions)
    return trainer.train(model, batches, steps, lr=lr, warmup=min(20, steps // 10), progress=progress,
                         desc="distill" if teacher is not None else "hard labels", **train_kwargs)


def twins(teacher: PreTrainedModel, pairs, steps: int, *, pad_id: int, seed: int = 0, student_kwargs=None,
          **kwargs) -> tuple[StudentRun, StudentRun]:
    """The distilled student and its hard-label twin: same initial weights, batches and steps."""
    base = make_student(teacher, seed=seed, **(student_kwargs or {}))
    runs = []
    for kind, t in (("distilled", teacher), ("hard labels", None)):
        model = copy.deepcopy(base)
        log = train_student(model, t, pairs, steps, pad_id=pad_id, seed=seed, **kwargs)
        runs.append(StudentRun(kind, seed, model.eval(), log))
    return runs[0], runs[1]
