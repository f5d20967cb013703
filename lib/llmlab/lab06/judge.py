"""A learned judge: a logistic regression on a few features of (dialogue, reference, candidate).

    X = judge.features(examples)            # (N, F) float tensor, columns FEATURES
    j = judge.train(X, labels)              # seconds on a CPU; j.predict(X) -> bool tensor
    judge.threshold_rule(scores, labels)    # the best single threshold on one metric (the fair baseline)

The features are what a reader checks: n-gram overlap with the reference (ROUGE), the facts copied (slot
accuracy), length relative to the reference and to the dialogue, negation words the reference does not have,
dialogue markup ("Name:" turns) in the candidate, and the share of the candidate's names and numbers that the
dialogue supports. The judge learns how to weigh them from labelled examples, so it only knows the failures
that its training examples show — the lab measures what happens on a kind it has never seen.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

import torch

from llmlab import metrics
from llmlab.lab06 import rouge as R

FEATURES = ("rouge1", "rouge2", "rougeL", "slot accuracy", "log length / reference", "log length / dialogue",
            "extra negations", "turn markers", "unsupported names and numbers")
_NEG = re.compile(r"\b(not|no|never|none|nobody|nothing)\b|n't\b", re.I)
_TURN = re.compile(r"(^|\n)[#\w' ]+:\s")
_NAMES = re.compile(r"\b[A-Z][a-z']+\b|\b\d+\b")


def feature_row(ex: Mapping) -> list[float]:
    cand, ref, dia = ex["candidate"], ex["reference"], ex["dialogue"]
    s = R.score(cand, ref)
    n_c, n_r, n_d = (max(1, len(R.tokenize(x))) for x in (cand, ref, dia))
    names = _NAMES.findall(cand)
    unsupported = sum(w not in dia for w in names) / max(1, len(names))
    return [s["rouge1"].fmeasure, s["rouge2"].fmeasure, s["rougeL"].fmeasure,
            metrics.slot_accuracy([cand], [ex["slots"]]), math.log(n_c / n_r), math.log(n_c / n_d),
            float(len(_NEG.findall(cand)) - len(_NEG.findall(ref))), float(len(_TURN.findall(cand))), unsupported]


def features(examples: Sequence[Mapping]) -> torch.Tensor:
    return torch.tensor([feature_row(ex) for ex in examples], dtype=torch.float32)


@dataclass
class Judge:
    weight: torch.Tensor   # (F,)
    bias: torch.Tensor     # ()
    mean: torch.Tensor     # (F,) feature standardisation
    std: torch.Tensor

    def prob(self, X: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(((X - self.mean) / self.std) @ self.weight + self.bias)

    def predict(self, X: torch.Tensor) -> torch.Tensor:
        return self.prob(X) > 0.5


def train(X: torch.Tensor, y: torch.Tensor, steps: int = 300, lr: float = 0.1, l2: float = 1e-3,
          seed: int = 0) -> Judge:
    """Logistic regression by full-batch LBFGS-free gradient descent (Adam), standardised features."""
    g = torch.Generator().manual_seed(seed)
    mean, std = X.mean(0), X.std(0).clamp_min(1e-6)
    Z = (X - mean) / std
    w = (0.01 * torch.randn(X.shape[1], generator=g)).requires_grad_()
    b = torch.zeros((), requires_grad=True)
    opt = torch.optim.Adam([w, b], lr=lr)
    target = y.float()
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(Z @ w + b, target) + l2 * (w * w).sum()
        loss.backward()
        opt.step()
    return Judge(w.detach(), b.detach(), mean, std)


def threshold_rule(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """The threshold t on one score that best matches the labels with ``score >= t`` (chosen on training data)."""
    best_t, best = 0.0, -1.0
    for t in sorted(set(scores.tolist())):
        acc = ((scores >= t) == labels.bool()).float().mean().item()
        if acc > best:
            best_t, best = t, acc
    return best_t
