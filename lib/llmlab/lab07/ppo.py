"""PPO for a language-model policy, from scratch: rollouts, per-token log-probs under the policy and a
frozen reference, the KL-penalised reward, a value head, GAE, whitened advantages, the clipped policy
and value losses, an entropy bonus, several epochs per batch and an adaptive KL controller.

Shapes: B rollouts, P prompt tokens (left-padded), R response tokens (right-padded after EOS).
Every per-token tensor over the response is (B, R), with ``mask`` 1 on the response's real tokens
(up to and including its EOS) and 0 after.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F
from transformers import PreTrainedModel, PreTrainedTokenizerBase


# ---- small masked helpers ---------------------------------------------------------------------
def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``x`` over the entries where ``mask`` is 1 (every real token of the batch counts once)."""
    return (x * mask).sum() / mask.sum().clamp(min=1)


def whiten(x: torch.Tensor, mask: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """(x − mean) / std over the masked entries (unbiased variance, as trl's ``masked_whiten``); 0 elsewhere."""
    mean = masked_mean(x, mask)
    n = mask.sum()
    var = (((x - mean) ** 2) * mask).sum() / (n - 1).clamp(min=1)
    return (x - mean) / torch.sqrt(var + eps) * mask


# ---- the policy: a causal LM with a value head ------------------------------------------------
class PolicyWithValue(nn.Module):
    """A causal LM whose last hidden state also feeds a scalar value head (one trunk, two heads)."""

    def __init__(self, lm: PreTrainedModel):
        super().__init__()
        self.lm = lm
        width = lm.config.n_embd if hasattr(lm.config, "n_embd") else lm.config.hidden_size
        self.value_head = nn.Linear(width, 1)
        nn.init.zeros_(self.value_head.weight)   # start at V = 0 everywhere: no made-up values
        nn.init.zeros_(self.value_head.bias)

    def forward(self, input_ids, attention_mask, prompt_len: int):
        """Per response token: log-prob (B, R), value of the state before it (B, R), logits (B, R, V)."""
        out = self.lm(input_ids=input_ids, attention_mask=attention_mask,
                      position_ids=positions(attention_mask), output_hidden_states=True)
        logits = out.logits[:, prompt_len - 1:-1].float()                    # position t predicts token t+1
        values = self.value_head(out.hidden_states[-1][:, prompt_len - 1:-1]).squeeze(-1)
        logp = torch.gather(F.log_softmax(logits, -1), 2, input_ids[:, prompt_len:, None]).squeeze(-1)
        return logp, values, logits


def positions(attention_mask: torch.Tensor) -> torch.Tensor:
    """Position ids that skip left padding (what ``generate`` uses), so scores match generation."""
    return (attention_mask.cumsum(-1) - 1).clamp(min=0)


@torch.no_grad()
def token_logprobs(model: PreTrainedModel, input_ids, attention_mask, prompt_len: int) -> torch.Tensor:
    """log π(token | prefix) for each response token (B, R), under ``model`` (e.g. the frozen reference)."""
    logits = model(input_ids=input_ids, attention_mask=attention_mask,
                   position_ids=positions(attention_mask)).logits[:, prompt_len - 1:-1].float()
    return torch.gather(F.log_softmax(logits, -1), 2, input_ids[:, prompt_len:, None]).squeeze(-1)


def entropy(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of each next-token distribution (B, R, V) -> (B, R), in nats."""
    logp = F.log_softmax(logits, -1)
    return -(logp.exp() * logp).sum(-1)


# ---- rollouts ---------------------------------------------------------------------------------
@dataclass
class Rollout:
    input_ids: torch.Tensor       # (B, P+R) prompt (left-padded) + response
    attention_mask: torch.Tensor  # (B, P+R)
    mask: torch.Tensor            # (B, R) float: 1 on the response up to and including EOS
    prompt_len: int               # P
    texts: list[str]              # decoded responses (what the reward model and the truth read)


@torch.no_grad()
def rollout(lm: PreTrainedModel, tok: PreTrainedTokenizerBase, prompts: list[str], max_new_tokens: int = 32,
            temperature: float = 1.0) -> Rollout:
    """Sample one response per prompt from ``lm`` (pure sampling: no top-k/top-p, so the log-probs
    PPO computes are those of the distribution that sampled)."""
    lm.eval()
    tok.padding_side = "left"
    enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(next(lm.parameters()).device)
    out = lm.generate(**enc, max_new_tokens=max_new_tokens, do_sample=True, top_k=0, top_p=1.0,
                      temperature=temperature, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
    P = enc["input_ids"].shape[1]
    resp = out[:, P:]                                                         # (B, R)
    if resp.shape[1] < max_new_tokens:                                       # every row stopped early
        pad = torch.full((resp.shape[0], max_new_tokens - resp.shape[1]), tok.pad_token_id, device=resp.device)
        resp = torch.cat([resp, pad], 1)
    is_eos = resp == tok.eos_token_id
    after = (is_eos.cumsum(1) - is_eos.long()) > 0                           # strictly after the first EOS
    mask = (~after).float()
    input_ids = torch.cat([enc["input_ids"], resp], 1)
    attention_mask = torch.cat([enc["attention_mask"], mask.long()], 1)
    texts = [t.split("\n")[0].strip() for t in tok.batch_decode(resp.masked_fill(after, tok.pad_token_id),
                                                                  skip_special_tokens=True)]
    return Rollout(input_ids, attention_mask, mask, P, texts)


# ---- rewards, advantages, losses --------------------------------------------------------------
def kl_penalised_rewards(score: torch.Tensor, logp: torch.Tensor, ref_logp: torch.Tensor, mask: torch.Tensor,
                         beta: float) -> torch.Tensor:
    """Per-token rewards (B, R): −β·(log π − log π_ref) at every real response token, plus the reward
    model's ``score`` (B,) at each reply's last real token; 0 on padding."""
    rewards = -beta * (logp - ref_logp) * mask                               # (B, R)
    last = mask.sum(1).long().clamp(min=1) - 1                               # (B,) index of the last real token
    rewards[torch.arange(len(score)), last] += score
    return rewards * mask


def gae(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float = 1.0,
        lam: float = 0.95) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation (Schulman et al. 2016) over (B, R):
    δ_t = r_t + γ·V_{t+1} − V_t (V = 0 after the last real token), A_t = δ_t + γλ·A_{t+1};
    returns (advantages, returns = advantages + values), both 0 on masked tokens."""
    values, rewards = values * mask, rewards * mask
    R = rewards.shape[1]
    adv = torch.zeros_like(rewards)
    last = torch.zeros_like(rewards[:, 0])
    for t in reversed(range(R)):
        next_value = values[:, t + 1] if t + 1 < R else torch.zeros_like(last)
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        last = delta + gamma * lam * last
        adv[:, t] = last
    adv = adv * mask
    return adv, (adv + values) * mask


def advantages(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float = 1.0,
               lam: float = 0.95) -> tuple[torch.Tensor, torch.Tensor]:
    """GAE, then whitened over the batch's real tokens: (whitened advantages, returns). The returns
    (the value head's targets) come from the raw advantages: A + V."""
    adv, returns = gae(rewards, values, mask, gamma, lam)
    return whiten(adv, mask), returns


def clipped_policy_loss(logp: torch.Tensor, old_logp: torch.Tensor, advantages: torch.Tensor, mask: torch.Tensor,
                        clip: float = 0.2) -> torch.Tensor:
    """PPO's clipped surrogate, as a loss to minimise: mean over real tokens of
    max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε)) with ρ = exp(log π − log π_old)."""
    ratio = torch.exp(logp - old_logp)
    loss = torch.max(-advantages * ratio, -advantages * ratio.clamp(1 - clip, 1 + clip))
    return masked_mean(loss, mask)


def clip_fraction(logp, old_logp, advantages, mask, clip: float = 0.2) -> torch.Tensor:
    """Share of real tokens where the clipped term is the one in force (its gradient is zero)."""
    ratio = torch.exp(logp - old_logp)
    return masked_mean((-advantages * ratio.clamp(1 - clip, 1 + clip) > -advantages * ratio).float(), mask)


def clipped_value_loss(values: torch.Tensor, old_values: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor,
                       clip: float = 0.2) -> torch.Tensor:
    """½·mean max((V − G)², (V_clipped − G)²), V_clipped = V_old + clip(V − V_old, −ε, ε)."""
    clipped = old_values + (values - old_values).clamp(-clip, clip)
    return 0.5 * masked_mean(torch.max((values - returns) ** 2, (clipped - returns) ** 2), mask)


class AdaptiveKL:
    """Ziegler et al. (2019)'s controller: raise β when the KL overshoots ``target``, lower it below."""

    def __init__(self, beta: float, target: float, horizon: int = 10_000):
        self.value, self.target, self.horizon = beta, target, horizon

    def update(self, kl: float, n: int) -> float:
        error = max(-0.2, min(0.2, kl / self.target - 1))
        self.value *= 1 + error * n / self.horizon
        return self.value


# ---- training ---------------------------------------------------------------------------------
@dataclass
class PPOConfig:
    iterations: int = 30          # rollout batches
    batch_size: int = 64          # rollouts per batch
    minibatch_size: int = 16
    epochs: int = 4               # passes over each batch
    max_new_tokens: int = 32
    lr: float = 1e-4
    beta: float = 0.05            # KL penalty per token
    target_kl: float | None = None  # set to turn on the adaptive controller (nats per reply)
    kl_horizon: int = 2_000
    gamma: float = 1.0
    lam: float = 0.95
    clip: float = 0.2
    clip_value: float = 0.2
    vf_coef: float = 0.1
    ent_coef: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 0


@dataclass
class History:
    rows: list[dict] = field(default_factory=list)   # one dict per iteration

    def series(self, key: str) -> list[float]:
        return [r[key] for r in self.rows]


def reference_logprobs(ref: PreTrainedModel | None, policy: PolicyWithValue, roll: Rollout) -> torch.Tensor:
    """Log-probs under the reference; ``ref=None`` means the policy is a peft model whose reference is
    itself with its adapter disabled (one copy of the weights)."""
    if ref is None:
        with policy.lm.disable_adapter():
            return token_logprobs(policy.lm, roll.input_ids, roll.attention_mask, roll.prompt_len)
    return token_logprobs(ref, roll.input_ids, roll.attention_mask, roll.prompt_len)


def ppo_train(policy: PolicyWithValue, ref: PreTrainedModel | None, tok: PreTrainedTokenizerBase, rows: list[dict],
              reward_fn: Callable[[list[dict], list[str]], torch.Tensor], cfg: PPOConfig,
              reward_shaping_fn=kl_penalised_rewards, advantage_fn=advantages,
              policy_loss_fn=clipped_policy_loss, truth_fn=None, progress=None) -> History:
    """Run ``cfg.iterations`` PPO iterations on prompts drawn from ``rows``; ``reward_fn(rows, texts)``
    scores the sampled replies (B,). Returns the per-iteration curves."""
    rng = random.Random(cfg.seed)
    torch.manual_seed(cfg.seed)
    params = [p for p in policy.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=cfg.lr, eps=1e-5)
    ctl = AdaptiveKL(cfg.beta, cfg.target_kl, cfg.kl_horizon) if cfg.target_kl else None
    beta = cfg.beta
    hist = History()
    steps = range(cfg.iterations) if progress is None else progress(range(cfg.iterations))
    for it in steps:
        batch = rng.sample(rows, cfg.batch_size)
        torch.manual_seed(cfg.seed * 100_003 + it)
        roll = rollout(policy.lm, tok, [r["prompt"] for r in batch], cfg.max_new_tokens)
        mask = roll.mask
        with torch.no_grad():
            old_logp, old_values, _ = policy(roll.input_ids, roll.attention_mask, roll.prompt_len)
            ref_logp = reference_logprobs(ref, policy, roll)
            score = reward_fn(batch, roll.texts).float()
        kl = (old_logp - ref_logp) * mask                                    # (B, R) per-token KL estimate
        rewards = reward_shaping_fn(score, old_logp, ref_logp, mask, beta)
        adv, returns = advantage_fn(rewards, old_values, mask, cfg.gamma, cfg.lam)
        stats = {"pl": [], "vl": [], "ent": [], "clipfrac": [], "approx_kl": []}
        policy.train()
        for _ in range(cfg.epochs):
            order = list(range(cfg.batch_size))
            rng.shuffle(order)
            for k in range(0, cfg.batch_size, cfg.minibatch_size):
                mb = torch.tensor(order[k:k + cfg.minibatch_size])
                logp, values, logits = policy(roll.input_ids[mb], roll.attention_mask[mb], roll.prompt_len)
                m = mask[mb]
                pl = policy_loss_fn(logp, old_logp[mb], adv[mb], m, cfg.clip)
                vl = clipped_value_loss(values, old_values[mb], returns[mb], m, cfg.clip_value)
                ent = masked_mean(entropy(logits), m)
                loss = pl + cfg.vf_coef * vl - cfg.ent_coef * ent
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
                opt.step()
                with torch.no_grad():
                    stats["pl"].append(pl.item())
                    stats["vl"].append(vl.item())
                    stats["ent"].append(ent.item())
                    stats["clipfrac"].append(clip_fraction(logp, old_logp[mb], adv[mb], m, cfg.clip).item())
                    stats["approx_kl"].append(masked_mean(old_logp[mb] - logp, m).item())
        policy.eval()
        kl_reply = kl.sum(1).mean().item()                                    # nats per reply
        row = {"iteration": it, "score": score.mean().item(), "kl": kl_reply, "beta": beta,
               "reward": (score - beta * kl.sum(1)).mean().item(),
               "entropy": sum(stats["ent"]) / len(stats["ent"]),
               "clipfrac": sum(stats["clipfrac"]) / len(stats["clipfrac"]),
               "value_loss": sum(stats["vl"]) / len(stats["vl"]), "policy_loss": sum(stats["pl"]) / len(stats["pl"]),
               "approx_kl": sum(stats["approx_kl"]) / len(stats["approx_kl"]), "length": mask.sum(1).mean().item()}
        if truth_fn is not None:
            row.update(truth_fn(batch, roll.texts))
        hist.rows.append(row)
        if ctl is not None:
            beta = ctl.update(kl_reply, cfg.batch_size)
    return hist


@torch.no_grad()
def evaluate(lm: PreTrainedModel, ref: PreTrainedModel | None, tok, rows: list[dict], reward_fn, truth_fn,
             max_new_tokens: int = 32, seed: int = 1234, samples: int = 1) -> dict:
    """Sampled replies to held-out ``rows``: the hidden truth, the reward model's mean score, the KL to
    the reference (nats per reply: the sum over tokens of log π − log π_ref, averaged over replies),
    the reference's NLL per token of the replies (fluency) and the share of distinct replies."""
    out = {"score": 0.0, "kl": 0.0, "ref_nll": 0.0}
    texts_all, acc = [], {}
    for s in range(samples):
        torch.manual_seed(seed + s)
        roll = rollout(lm, tok, [r["prompt"] for r in rows], max_new_tokens)
        logp = token_logprobs(lm, roll.input_ids, roll.attention_mask, roll.prompt_len)
        if ref is None:
            with lm.disable_adapter():
                ref_logp = token_logprobs(lm, roll.input_ids, roll.attention_mask, roll.prompt_len)
        else:
            ref_logp = token_logprobs(ref, roll.input_ids, roll.attention_mask, roll.prompt_len)
        out["kl"] += ((logp - ref_logp) * roll.mask).sum(1).mean().item() / samples
        out["ref_nll"] += (-(ref_logp * roll.mask).sum() / roll.mask.sum()).item() / samples
        out["score"] += reward_fn(rows, roll.texts).float().mean().item() / samples
        for k, v in truth_fn(rows, roll.texts).items():
            acc[k] = acc.get(k, 0.0) + v / samples
        texts_all += roll.texts
    out.update(acc)
    out["distinct"] = len(set(texts_all)) / len(texts_all)
    out["texts"] = texts_all[:len(rows)]
    return out


def tensor_bytes(*objs) -> int:
    """Bytes held by the distinct tensors (parameters, buffers, optimizer state) of modules/optimizers."""
    seen, total = set(), 0
    for o in objs:
        if isinstance(o, nn.Module):
            tensors = list(o.parameters()) + list(o.buffers())
        else:   # an optimizer
            tensors = [t for st in o.state.values() for t in st.values() if torch.is_tensor(t)]
        for t in tensors:
            key = t.untyped_storage().data_ptr()
            if key not in seen:
                seen.add(key)
                total += t.untyped_storage().nbytes()
    return total


