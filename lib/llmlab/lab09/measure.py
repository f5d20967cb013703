"""What a compressed variant costs and keeps: bytes, latency per token, task accuracy, held-out NLL —
one row per variant, and the trade-off plot of all of them."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from llmlab import inference, tinyworld, train as trainer
from llmlab.lab09.quantize import disk_bytes, latency_per_token, memory_bytes
from llmlab.prompts import instruction_prompt
from llmlab.train import IGNORE

SENTIMENT_INSTRUCTION = "Classify this review:"


def sentiment_rows(split: str, n: int | None = None) -> list[dict]:
    rows = tinyworld.rows("reviews", split)
    return rows[:n] if n else rows


def sentiment_prompts(rows: Sequence[dict]) -> list[str]:
    return [instruction_prompt(SENTIMENT_INSTRUCTION, r["text"]) for r in rows]


def sentiment_accuracy(model: PreTrainedModel, tok: PreTrainedTokenizerBase, rows: Sequence[dict]) -> float:
    """Greedy answer's first word == the label (as the zoo scores gpt-instruct)."""
    preds = inference.complete(model, tok, sentiment_prompts(rows), max_new_tokens=3)
    return sum(p.strip().lower().startswith(r["label"]) for p, r in zip(preds, rows)) / len(rows)


def instruction_pairs(tok: PreTrainedTokenizerBase, rows: Sequence[dict], max_prompt: int = 192,
                      max_answer: int = 63) -> list[tuple[list[int], list[int]]]:
    """(prompt ids, answer ids + EOS) for instruction rows, as gpt-instruct was trained."""
    prompts = tok([instruction_prompt(r["instruction"], r["input"]) for r in rows], add_special_tokens=False)
    answers = tok([" " + r["output"] for r in rows], add_special_tokens=False)
    return [(p[-max_prompt:], a[:max_answer] + [tok.eos_token_id])
            for p, a in zip(prompts["input_ids"], answers["input_ids"])]


@torch.no_grad()
def response_nll(model: PreTrainedModel, tok: PreTrainedTokenizerBase, pairs, batch_size: int = 32) -> float:
    """Mean NLL (nats/token) of the gold answers given their prompts: held-out quality over every task
    of the instruction mix, not only the one the accuracy measures."""
    model.eval()
    device = next(model.parameters()).device
    total, count = 0.0, 0
    for i in range(0, len(pairs), batch_size):
        chunk = pairs[i:i + batch_size]
        ids = trainer.pad([p + a for p, a in chunk], tok.pad_token_id).to(device)                 # (B, T)
        mask = trainer.pad([[1] * (len(p) + len(a)) for p, a in chunk], 0).to(device)
        labels = trainer.pad([[IGNORE] * len(p) + a for p, a in chunk], IGNORE).to(device)
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()               # (B, T-1, V)
        target = labels[:, 1:]
        nll = F.cross_entropy(logits.transpose(1, 2), target, ignore_index=IGNORE, reduction="sum")
        total += nll.item()
        count += int((target != IGNORE).sum())
    return total / max(1, count)


@dataclass
class Variant:
    name: str
    family: str                 # "baseline", "quantized", "pruned", "distilled"
    params: int                 # parameters (non-zero ones for sparse variants are in `nonzero`)
    nonzero: int
    memory_mb: float
    disk_mb: float
    ms_per_token: float
    accuracy: float             # held-out sentiment accuracy
    nll: float                  # held-out answer NLL over the instruction mix

    def row(self) -> dict:
        return asdict(self)


def count_params(model: torch.nn.Module) -> tuple[int, int]:
    """(all, non-zero) entries of the model's floating tensors (quantized weights count as entries)."""
    seen, total, nonzero = set(), 0, 0
    for t in model.state_dict().values():
        if isinstance(t, torch.Tensor) and t.is_floating_point() and t.data_ptr() not in seen:
            seen.add(t.data_ptr())
            total += t.numel()
            nonzero += int((t != 0).sum())
    return total, nonzero


def measure(name: str, family: str, model: PreTrainedModel, tok: PreTrainedTokenizerBase, rows: Sequence[dict],
            pairs, latency_prompts: Sequence[str], new_tokens: int = 32, params: int | None = None) -> Variant:
    """Measure one variant. ``params`` overrides the count for quantized models, whose packed integer
    weights are not floating tensors (NF4 even packs two weights per byte)."""
    total, nonzero = count_params(model) if params is None else (params, params)
    return Variant(name, family, total, nonzero, memory_bytes(model) / 1e6, disk_bytes(model) / 1e6,
                   latency_per_token(model, tok, latency_prompts, new_tokens) * 1e3,
                   sentiment_accuracy(model, tok, rows), response_nll(model, tok, pairs))


FAMILY_MARKERS = {"baseline": "*", "quantized": "s", "pruned": "o", "distilled": "D"}


def plot_tradeoff(variants: Sequence[Variant], ax=None, quality: str = "accuracy", n_eval: int | None = None):
    """Size (x) vs quality (y), marker area ∝ latency per token: every variant on one picture. With ``n_eval``
    (the number of examples behind an accuracy) each point gets a ± 1 standard-error bar."""
    import matplotlib.pyplot as plt
    ax = ax or plt.gca()
    lat = [v.ms_per_token for v in variants]
    lo, hi = min(lat), max(lat)
    for i, v in enumerate(variants):
        y = getattr(v, quality)
        size = 30 + 270 * (v.ms_per_token - lo) / max(1e-9, hi - lo)
        if n_eval and quality == "accuracy":
            ax.errorbar(v.memory_mb, y, yerr=(y * (1 - y) / n_eval) ** 0.5, color="grey", lw=0.8, capsize=2)
        ax.scatter(v.memory_mb, y, s=size, marker=FAMILY_MARKERS.get(v.family, "o"), alpha=0.6, label=v.family)
        ax.annotate(v.name, (v.memory_mb, y), fontsize=7, xytext=(6, 8 if i % 2 else -10),   # alternate: less overlap
                    textcoords="offset points")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_xlabel("memory (MB)")
    ax.set_ylabel(f"held-out {quality}")
    ax.set_title(f"size vs quality; marker area ∝ latency per token ({lo:.2f}–{hi:.2f} ms)", fontsize=9)
    return ax
