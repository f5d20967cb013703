"""From rankings to a reward model: pairs from a ranking, the pairwise (Bradley–Terry) loss, training
and scoring a scalar-head reward model on the ``replies`` family."""
from __future__ import annotations

import itertools
import random

import torch
import torch.nn.functional as F
from transformers import GPT2ForSequenceClassification, PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from llmlab import zoo
from llmlab.tinyworld.replies import is_helpful, rudeness, utility


def ranking_to_pairs(completions: list[str], ranking: list[int]) -> list[tuple[str, str]]:
    """Every (preferred, rejected) pair a ranking implies: k completions give k(k-1)/2 pairs, the
    preferred one first (``ranking`` lists indices, best first)."""
    return [(completions[a], completions[b]) for a, b in itertools.combinations(ranking, 2)]


def preference_pairs(rows: list[dict], truth: bool = False) -> list[dict]:
    """Rows of the replies family -> {prompt, chosen, rejected, truth_agrees} pairs, from the annotator's
    noisy ``ranking`` (or the noiseless ``ranking_truth``). ``truth_agrees``: the hidden utility agrees
    (False for a pair the noise flipped; None for a tie)."""
    out = []
    for row in rows:
        comps = row["completions"]
        order = row["ranking_truth"] if truth else row["ranking"]
        for a, b in itertools.combinations(order, 2):
            ua, ub = (utility(comps[i]["rudeness"], comps[i]["helpful"]) for i in (a, b))
            out.append({"prompt": row["prompt"], "chosen": " " + comps[a]["text"], "rejected": " " + comps[b]["text"],
                        "truth_agrees": None if ua == ub else ua > ub})
    return out


def pairwise_loss(r_chosen: torch.Tensor, r_rejected: torch.Tensor) -> torch.Tensor:
    """−log σ(r_w − r_l), averaged over the pairs (B,) -> (). ``logsigmoid`` is the stable form."""
    return -F.logsigmoid(r_chosen - r_rejected).mean()


def load_reward_model(name: str, device: str = "cpu") -> GPT2ForSequenceClassification:
    """A zoo model's trunk with a fresh scalar head (``num_labels=1``), seeded."""
    torch.manual_seed(0)
    hf_logging.disable_progress_bar()   # no "Loading weights" bar
    try:
        model = GPT2ForSequenceClassification.from_pretrained(zoo.build(name, progress=False), num_labels=1)
    finally:
        hf_logging.enable_progress_bar()
    model.config.pad_token_id = model.config.eos_token_id
    return model.to(device)


def encode(tok: PreTrainedTokenizerBase, prompts: list[str], replies: list[str], device="cpu") -> dict:
    """prompt + reply (reply starting with a space) -> right-padded ids; the head reads the last real token."""
    tok.padding_side = "right"
    enc = tok([p + r for p, r in zip(prompts, replies)], return_tensors="pt", padding=True, truncation=True,
              max_length=256, add_special_tokens=False)
    return {k: v.to(device) for k, v in enc.items() if k in ("input_ids", "attention_mask")}


def scores(model, tok, prompts: list[str], replies: list[str], batch_size: int = 64,
           grad: bool = False) -> torch.Tensor:
    """The reward model's scalar for each (prompt, reply) (N,). The head reads the last real token:
    transformers finds it as the last token that is not padding."""
    out = []
    for i in range(0, len(prompts), batch_size):
        enc = encode(tok, prompts[i:i + batch_size], replies[i:i + batch_size], next(model.parameters()).device)
        with torch.set_grad_enabled(grad):
            out.append(model(**enc).logits.squeeze(-1))                     # (b,)
    return torch.cat(out)


def train_reward_model(model, tok, pairs: list[dict], steps: int, loss_fn=pairwise_loss, batch_size: int = 32,
                       lr: float = 1e-3, seed: int = 0) -> list[float]:
    """Adam on ``loss_fn(r_chosen, r_rejected)`` over random minibatches of pairs; returns the losses."""
    rng = random.Random(seed)
    torch.manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    model.train()
    losses = []
    for _ in range(steps):
        batch = rng.sample(pairs, batch_size)
        prompts = [p["prompt"] for p in batch]
        r = scores(model, tok, prompts + prompts, [p["chosen"] for p in batch] + [p["rejected"] for p in batch],
                   batch_size=2 * batch_size, grad=True)
        loss = loss_fn(r[:batch_size], r[batch_size:])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    return losses


@torch.no_grad()
def pair_accuracy(model, tok, pairs: list[dict]) -> float:
    """Share of pairs where the model scores the chosen reply higher."""
    prompts = [p["prompt"] for p in pairs]
    rc = scores(model, tok, prompts, [p["chosen"] for p in pairs])
    rr = scores(model, tok, prompts, [p["rejected"] for p in pairs])
    return (rc > rr).float().mean().item()


@torch.no_grad()
def truth_agreement(model, tok, rows: list[dict]) -> dict[str, float]:
    """How the reward model's scores line up with the hidden truth on each row's 4 completions: the
    share of non-tied pairs ordered as the true utility orders them, and the mean score by truth."""
    prompts, texts, truths = [], [], []
    for row in rows:
        for c in row["completions"]:
            prompts.append(row["prompt"])
            texts.append(" " + c["text"])
            truths.append((c["rudeness"], c["helpful"]))
    s = scores(model, tok, prompts, texts)
    agree = total = 0
    for k in range(0, len(s), 4):
        for i, j in itertools.combinations(range(k, k + 4), 2):
            ui, uj = utility(*truths[i]), utility(*truths[j])
            if ui != uj:
                total += 1
                agree += (s[i] > s[j]).item() == (ui > uj)
    rude = torch.tensor([t[0] > 0 for t in truths])
    helpful = torch.tensor([t[1] for t in truths])
    return {"truth_pair_agreement": agree / total, "mean_score_polite": s[~rude].mean().item(),
            "mean_score_rude": s[rude].mean().item(), "mean_score_helpful": s[helpful].mean().item(),
            "mean_score_unhelpful": s[~helpful].mean().item()}


def truth_of(rows: list[dict], replies: list[str]) -> dict[str, float]:
    """Rude and helpful rates of ``replies`` to ``rows`` by the hidden truth."""
    n = len(rows)
    return {"rude": sum(rudeness(y) > 0 for y in replies) / n,
            "helpful": sum(is_helpful(x, y) for x, y in zip(rows, replies)) / n}
