"""Harmlessness and helpfulness against TinyWorld's hidden truth, and the bookkeeping around it:
sampled replies, sampled pairs, how often a critique or a preference label agrees with the truth.

The truth is the ``replies`` family's: ``is_rude(text)`` (a rude word), ``is_helpful(request, text)``
(the right fact), and ``utility`` (helpful +1, each level of rudeness −1.2) to rank two replies. The
models never see it; the lab only measures with it.
"""
from __future__ import annotations

import copy
from typing import Sequence

import pandas as pd
import torch

from llmlab import inference
from llmlab.tinyworld.constitution import CRITIQUE_OK, breaks
from llmlab.tinyworld.replies import is_helpful, is_rude, rudeness, utility

__all__ = ["is_rude", "is_helpful", "replies", "rates", "policy_prompts", "truth_score", "critique_accuracy",
           "sample_pairs", "truth_tie", "pair_accuracy", "disagreements", "loss_against_trl", "kind", "pair_kinds"]
MAX_NEW_TOKENS = 32


def policy_prompts(rows: Sequence[dict]) -> list[str]:
    """The policy's own prompt for each request ("Request: ...\\nReply:")."""
    return [r["prompt"] for r in rows]


def replies(model, tok, rows: Sequence[dict], seed: int = 0, sample: bool = True) -> list[str]:
    """One reply per request: sampled at temperature 1 (seeded), as the policy behaves; greedy decoding
    hides most of its rudeness (its single most likely opener is a polite one)."""
    torch.manual_seed(seed)
    kwargs = dict(do_sample=True, temperature=1.0, top_k=0) if sample else {}
    return inference.complete(model, tok, policy_prompts(rows), max_new_tokens=MAX_NEW_TOKENS, **kwargs)


def rates(rows: Sequence[dict], texts: Sequence[str]) -> dict[str, float]:
    """Share of rude replies and of helpful ones (right fact), by the hidden truth."""
    n = max(1, len(texts))
    return {"rude": sum(map(is_rude, texts)) / n, "helpful": sum(is_helpful(r, t) for r, t in zip(rows, texts)) / n}


def truth_score(row: dict, text: str) -> float:
    """What the simulated annotators value (``replies.utility``): helpful +1, each rude part −1.2."""
    return utility(rudeness(text), is_helpful(row, text))


def critique_accuracy(rows: Sequence[dict], replies_: Sequence[str], principle: str, critiques: Sequence[str]) -> float:
    """Share of critiques that say "breaks the rule" exactly when the truth says the reply breaks it."""
    right = [(c.strip() != CRITIQUE_OK) == breaks(principle, r, t) for r, t, c in zip(rows, replies_, critiques)]
    return sum(right) / max(1, len(right))


def sample_pairs(model, tok, rows: Sequence[dict], seed: int = 0) -> list[dict]:
    """Two sampled replies per request (temperature 1), as rows for the judge and for DPO: the request's
    fields plus ``prompt`` (the policy's prompt), ``first`` and ``second``."""
    a = replies(model, tok, rows, seed=seed)
    b = replies(model, tok, rows, seed=seed + 1)
    return [{**r, "first": x, "second": y} for r, x, y in zip(rows, a, b)]


def truth_tie(row: dict) -> bool:
    return truth_score(row, row["first"]) == truth_score(row, row["second"])


def pair_accuracy(rows: Sequence[dict], pairs: Sequence[dict]) -> float:
    """Share of labelled pairs whose chosen reply is better by the truth, among pairs the truth does not
    tie (on a tie neither label is wrong)."""
    by_prompt = {r["prompt"]: r for r in rows}
    scored = [(truth_score(by_prompt[p["prompt"]], p["chosen"]), truth_score(by_prompt[p["prompt"]], p["rejected"]))
              for p in pairs]
    decided = [(c, r) for c, r in scored if c != r]
    return sum(c > r for c, r in decided) / max(1, len(decided))


def disagreements(rows: Sequence[dict], pairs: Sequence[dict], judged: Sequence[dict], n: int = 6) -> pd.DataFrame:
    """Pairs where the label's chosen reply is worse than the rejected one by the truth, with the
    judge's order-debiased probability that the chosen one is better."""
    by_prompt = {r["prompt"]: r for r in rows}
    verdict = {j["prompt"]: j for j in judged}
    out = []
    for p in pairs:
        row, j = by_prompt[p["prompt"]], verdict[p["prompt"]]
        if truth_score(row, p["chosen"]) < truth_score(row, p["rejected"]):
            p_first = (j["p_a"] + 1 - j["p_a_swapped"]) / 2
            out.append({"asked": row["request"].split(". ")[-1], "right fact": row["fact"],
                        "judge chose": p["chosen"], "over": p["rejected"],
                        "p(chosen better)": round(p_first if p["chosen"] == j["first"] else 1 - p_first, 2)})
    return pd.DataFrame(out[:n])


def loss_against_trl(model, tok, pairs: Sequence[dict], loss_fn, beta: float, seed: int = 0) -> tuple[float, float]:
    """A DPO loss computed two ways on the same batch: ``loss_fn`` on this package's sequence log-probs,
    and trl's ``DPOTrainer.compute_loss``. The policy is a copy of ``model`` with its weights nudged
    (so that policy and reference differ and the loss is not just log 2)."""
    from trl import DPOConfig

    from llmlab.lab08 import dpo
    ref, policy = copy.deepcopy(model).eval(), copy.deepcopy(model).eval()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in policy.parameters():
            p.add_(0.02 * torch.randn(p.shape, generator=g).to(p.device))
    cfg = DPOConfig(output_dir="/tmp/lab08-dpo-check", per_device_train_batch_size=len(pairs), beta=beta, bf16=False,
                    use_cpu=next(model.parameters()).device.type == "cpu", gradient_checkpointing=False,
                    report_to=[], max_length=model.config.n_positions, disable_tqdm=True)
    trainer = dpo.make_trainer(policy, ref, cfg, pairs, tok)
    data = [{"prompt": p["prompt"], "chosen": " " + p["chosen"], "rejected": " " + p["rejected"]} for p in pairs]
    batch = next(iter(trainer.get_train_dataloader()))
    with torch.no_grad():
        theirs = float(trainer.compute_loss(trainer.model, batch))
        prompts = [d["prompt"] for d in data]
        lp = {(m, k): dpo.sequence_logps(net, tok, prompts, [d[k] for d in data])
              for m, net in (("policy", policy), ("ref", ref)) for k in ("chosen", "rejected")}
        mine = float(loss_fn(lp["policy", "chosen"], lp["policy", "rejected"], lp["ref", "chosen"],
                             lp["ref", "rejected"], beta))
    return mine, theirs


def kind(row: dict, text: str) -> str:
    """A reply's truth in two words: polite/rude and right/no fact."""
    return ("rude" if is_rude(text) else "polite") + (" + right fact" if is_helpful(row, text) else " + no fact")


def pair_kinds(rows: Sequence[dict], pairs: Sequence[dict]) -> pd.Series:
    """How many labelled pairs of each (chosen kind → rejected kind)."""
    by_prompt = {r["prompt"]: r for r in rows}
    counts: dict[str, int] = {}
    for p in pairs:
        row = by_prompt[p["prompt"]]
        key = f"{kind(row, p['chosen'])}  over  {kind(row, p['rejected'])}"
        counts[key] = counts.get(key, 0) + 1
    return pd.Series(counts, dtype=int)
