"""Checks for Lab 07's exercises: the pairwise reward-model loss, the KL-penalised per-token reward,
GAE with whitening, and PPO's clipped policy loss.

Each check runs the student's function on cases with known answers (hand-computed ones first, then
random ones against the reference in :mod:`llmlab.lab07.ppo` / :mod:`llmlab.lab07.rewards`, itself
tested against trl and by hand) and, when a case disagrees, compares the answer with what the usual
bugs produce, to name the bug.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from llmlab.checks import allclose, fail, generator, passed, run_case, single_threaded
from llmlab.checks import yours_or_reference  # noqa: F401 - the labs call checks.yours_or_reference
from llmlab.lab07 import ppo


def _tensor(ex: str, got, shape: tuple, what: str, desc: str) -> torch.Tensor:
    if not isinstance(got, torch.Tensor):
        fail(ex, f"{what} must be a torch.Tensor, got {type(got).__name__} (case: {desc}).")
    if tuple(got.shape) != tuple(shape):
        fail(ex, f"{what} has shape {tuple(got.shape)}, expected {tuple(shape)} (case: {desc}).")
    return got.detach().double()


def _diagnose(got: torch.Tensor, bugs: list[tuple[str, torch.Tensor]], default: str) -> str:
    for msg, val in bugs:
        v = torch.as_tensor(val).double()
        if v.shape == got.shape and allclose(got, v, atol=1e-5, rtol=1e-4):
            return msg
    return default


# ---- Exercise 1: the pairwise loss ---------------------------------------------------------------
def _pairwise_bugs(rw, rl):
    d = rw - rl
    return [
        ("the sign is reversed: you computed −log σ(r_l − r_w), which rewards ranking the *rejected* reply "
         "higher. The preferred reply's reward comes first: −log σ(r_chosen − r_rejected).", -F.logsigmoid(-d).mean()),
        ("the minus sign is missing: log σ(r_w − r_l) is a log-likelihood to maximise; the loss is its negative.",
         F.logsigmoid(d).mean()),
        ("you summed over the pairs: average instead (.mean()), so the step size does not grow with the batch.",
         -F.logsigmoid(d).sum()),
        ("the log is missing: −σ(r_w − r_l) is not the Bradley–Terry negative log-likelihood.",
         -torch.sigmoid(d).mean()),
        ("you took the difference after averaging: −log σ(mean(r_w) − mean(r_l)) is not the mean of the per-pair "
         "losses.", -F.logsigmoid(rw.mean() - rl.mean())),
        ("you scored each reply on its own (binary cross-entropy of r_w with 1 and of r_l with 0): the pairwise "
         "loss only sees the difference r_w − r_l.",
         (F.binary_cross_entropy_with_logits(rw, torch.ones_like(rw)) +
          F.binary_cross_entropy_with_logits(rl, torch.zeros_like(rl)))),
        ("you used a hinge (max(0, 1 − (r_w − r_l))), not −log σ(r_w − r_l).", F.relu(1 - d).mean()),
    ]


@single_threaded
def check_pairwise_loss(fn: Callable, name: str = "pairwise loss") -> None:
    """``fn(r_chosen (B,), r_rejected (B,)) -> scalar`` = mean over pairs of −log σ(r_chosen − r_rejected)."""
    ex = name
    g = generator(7)
    cases = [("hand case: equal rewards (loss = log 2 = 0.693)", torch.zeros(3), torch.zeros(3)),
             ("hand case: r_w − r_l = 2 (loss = log(1 + e^−2) = 0.127)", torch.tensor([1.0]), torch.tensor([-1.0]))]
    cases += [(f"random rewards, B={b}", torch.randn(b, generator=g) * 2, torch.randn(b, generator=g) * 2)
              for b in (4, 9, 16)]
    cases += [("a confident wrong ranking: r_w − r_l = −200 (the loss must be ≈ 200, not inf)",
               torch.tensor([-100.0, 0.0]), torch.tensor([100.0, 0.0]))]
    for desc, rw, rl in cases:
        want = -F.logsigmoid(rw - rl).mean()
        a, b = rw.clone().requires_grad_(True), rl.clone().requires_grad_(True)
        got = run_case(ex, fn, desc, a, b, names=("r_chosen", "r_rejected"))
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.reshape(())
        gv = _tensor(ex, got, (), "the loss", desc)
        if not torch.isfinite(gv):
            fail(ex, f"the loss is {gv.item()} on the case: {desc}. torch.log(torch.sigmoid(x)) underflows to "
                     "log(0) for very negative x: use F.logsigmoid (or -F.softplus(-x)), which is stable.")
        if not allclose(gv, want, atol=1e-5, rtol=1e-4):
            fail(ex, f"loss {gv.item():.6g}, expected {want.item():.6g} (case: {desc}). "
                 + _diagnose(gv, _pairwise_bugs(rw, rl), "The loss is the mean over pairs of −log σ(r_w − r_l)."))
        if not got.requires_grad:
            fail(ex, f"the loss is cut off from autograd (case: {desc}): no .item(), .detach() or torch.no_grad().")
    passed(ex, f"{len(cases)} cases agree with −F.logsigmoid(r_w − r_l).mean(), the extreme one included")


# ---- Exercise 2: the KL-penalised per-token reward ---------------------------------------------------
def _mask(lengths, R):
    return (torch.arange(R)[None, :] < torch.tensor(lengths)[:, None]).float()


def _shaping_bugs(score, logp, ref, mask, beta):
    B, R = mask.shape
    last = mask.sum(1).long() - 1
    kl = (logp - ref) * mask

    def put(base, where, val):
        out = base.clone()
        out[torch.arange(B), where] += val
        return out
    return [
        ("the KL sign is flipped: the penalty is −β·(log π − log π_ref), so drifting from the reference costs "
         "reward. You added +β·(log π − log π_ref) (or used log π_ref − log π).", put(beta * kl, last, score) * mask),
        ("the score is at the last *column*, not at each reply's last real token: replies end at different "
         "lengths (mask.sum(1) − 1 is the index of the last real token).",
         put(-beta * kl, torch.full((B,), R - 1), score) * mask),
        ("the score is placed one token late (index mask.sum(1), the first padding token): the last real token "
         "is mask.sum(1) − 1.", put(-beta * kl, (last + 1).clamp(max=R - 1), score) * mask),
        ("the score is at the first response token: the reward model scores the whole reply, so it belongs to "
         "the last one.", put(-beta * kl, torch.zeros(B, dtype=torch.long), score) * mask),
        ("the score is added at every token: it is given once, at the reply's last real token.",
         (-beta * kl + score[:, None]) * mask),
        ("the padding is penalised too: multiply the per-token KL by the mask.",
         put(-beta * (logp - ref), last, score)),
        ("β also scales the reward model's score: β multiplies only the KL term.",
         put(-beta * kl, last, beta * score) * mask),
        ("the KL penalty is missing: every token gets −β·(log π − log π_ref).",
         put(torch.zeros(B, R), last, score) * mask),
    ]


@single_threaded
def check_kl_penalised_rewards(fn: Callable, name: str = "KL-penalised reward") -> None:
    """``fn(score (B,), logp (B,R), ref_logp (B,R), mask (B,R), beta) -> rewards (B,R)``."""
    ex = name
    g = generator(11)
    hand = (torch.tensor([2.0]), torch.tensor([[-1.0, -2.0, -0.5]]), torch.tensor([[-1.5, -1.0, -0.5]]),
            torch.tensor([[1.0, 1.0, 0.0]]), 0.5)
    # hand: KL per token = [0.5, -1.0, (pad)] -> −β·KL = [−0.25, 0.5, 0]; score 2 at index 1 -> [−0.25, 2.5, 0]
    cases = [("hand case: B=1, 2 real tokens of 3, β=0.5 (answer [[-0.25, 2.5, 0]])", *hand)]
    for B, R, beta in ((3, 5, 0.1), (4, 6, 0.3), (2, 4, 0.0)):
        lengths = torch.randint(1, R + 1, (B,), generator=g).tolist()
        lengths[0] = R
        if B > 1:
            lengths[1] = max(1, R - 2)
        cases.append((f"random B={B}, R={R}, β={beta}, reply lengths {lengths}", torch.randn(B, generator=g),
                      -torch.rand(B, R, generator=g) * 3, -torch.rand(B, R, generator=g) * 3, _mask(lengths, R), beta))
    for desc, score, logp, ref, mask, beta in cases:
        want = ppo.kl_penalised_rewards(score, logp, ref, mask, beta)
        got = run_case(ex, fn, desc, score.clone(), logp.clone(), ref.clone(), mask.clone(), beta,
                       names=("score", "logp", "ref_logp", "mask"),
                       inplace_hint="Build the rewards in a new tensor (torch.zeros_like, or -beta * ... ).")
        gv = _tensor(ex, got, mask.shape, "the rewards", desc)
        if not allclose(gv, want, atol=1e-5, rtol=1e-4):
            fail(ex, f"rewards {gv.numpy().round(4).tolist()}, expected {want.numpy().round(4).tolist()} "
                     f"(case: {desc}). "
                 + _diagnose(gv, _shaping_bugs(score, logp, ref, mask, beta),
                             "Every real token gets −β·(log π − log π_ref); the last real one also gets the score."))
    passed(ex, f"{len(cases)} cases agree (a hand-computed one first)")


# ---- Exercise 3: GAE + whitening ----------------------------------------------------------------------
def _gae_variants(rewards, values, mask, gamma, lam):
    """(message, (advantages, returns)) for plausible wrong GAE implementations."""
    B, R = rewards.shape
    v, r = values * mask, rewards * mask

    def recursion(v_next_fn, lam_=lam, gamma_=gamma, mask_values=True, r_=r, v_=v):
        adv = torch.zeros_like(r_)
        last = torch.zeros(B)
        for t in reversed(range(R)):
            delta = r_[:, t] + gamma_ * v_next_fn(v_, t) - v_[:, t]
            last = delta + gamma_ * lam_ * last
            adv[:, t] = last
        return adv * mask

    nxt = lambda vv, t: vv[:, t + 1] if t + 1 < R else torch.zeros(B)   # noqa: E731
    same = lambda vv, t: vv[:, t]                                        # noqa: E731
    prev = lambda vv, t: vv[:, t - 1] if t > 0 else torch.zeros(B)      # noqa: E731
    good = recursion(nxt)
    w = ppo.whiten
    out = [
        ("off by one: δ_t uses V_t in place of V_{t+1} (δ_t = r_t + γ·V_{t+1} − V_t: the *next* state's value).",
         (w(recursion(same), mask), recursion(same) + v)),
        ("off by one: δ_t uses V_{t−1} (the previous state's value); it must bootstrap from V_{t+1}.",
         (w(recursion(prev), mask), recursion(prev) + v)),
        ("the values after each reply's end are used: V on padding must count as 0 (mask the values first), "
         "so the last real token's δ is r − V.", None),
        ("λ is missing from the recursion (A_t = δ_t + γ·A_{t+1}): it is A_t = δ_t + γλ·A_{t+1}.",
         (w(recursion(nxt, lam_=1.0), mask), recursion(nxt, lam_=1.0) + v)),
        ("γ is missing from the recursion (A_t = δ_t + λ·A_{t+1}): it is A_t = δ_t + γλ·A_{t+1}.",
         (w(recursion(nxt, gamma_=1.0 if gamma != 1.0 else gamma), mask), None)),
        ("the advantages are not whitened: subtract their mean and divide by their std over the real tokens "
         "(ppo.whiten / masked mean and variance).", (good, good + v)),
        ("the returns come from the whitened advantages: the value head's target is the raw A + V.",
         (w(good, mask), (w(good, mask) + v) * mask)),
        ("the returns are the advantages alone: the value target is A + V.", (w(good, mask), good)),
        ("you whitened over every entry, padding included: mean and std over the real tokens only, and 0 on "
         "padding.", ((good - good.mean()) / (good.std() + 1e-8), good + v)),
        ("the recursion runs forwards: GAE accumulates from the end of the reply backwards (t = R−1 … 0).", None),
    ]
    # values not masked
    adv_u = torch.zeros_like(r)
    last = torch.zeros(B)
    for t in reversed(range(R)):
        nv = values[:, t + 1] if t + 1 < R else torch.zeros(B)
        last = r[:, t] + gamma * nv - values[:, t] + gamma * lam * last
        adv_u[:, t] = last
    out[2] = (out[2][0], (w(adv_u * mask, mask), None))
    fwd = torch.zeros_like(r)
    last = torch.zeros(B)
    for t in range(R):
        delta = r[:, t] + gamma * nxt(v, t) - v[:, t]
        last = delta + gamma * lam * last
        fwd[:, t] = last
    out[-1] = (out[-1][0], (w(fwd * mask, mask), None))
    return out


@single_threaded
def check_advantages(fn: Callable, name: str = "GAE") -> None:
    """``fn(rewards (B,R), values (B,R), mask (B,R), gamma, lam) -> (whitened advantages (B,R), returns (B,R))``."""
    ex = name
    g = generator(5)
    cases = []
    # hand: one reply of 3 tokens, γ = λ = 1: A_t = (sum of rewards from t) − V_t = [0.5, 0.8, 0.9]
    # before whitening; returns = A + V = [1, 1, 1]
    cases.append(("hand case: rewards [0, 0, 1], values [0.5, 0.2, 0.1], γ = λ = 1 (raw A = [0.5, 0.8, 0.9], "
                  "returns [1, 1, 1])", torch.tensor([[0.0, 0.0, 1.0]]), torch.tensor([[0.5, 0.2, 0.1]]),
                  torch.ones(1, 3), 1.0, 1.0))
    cases.append(("hand case: two replies, the second 2 tokens long with value 9 on its padding (which must "
                  "count as 0)", torch.tensor([[0.0, 1.0, 0.0], [1.0, 2.0, 5.0]]),
                  torch.tensor([[0.3, 0.1, -0.2], [0.5, 0.5, 9.0]]), torch.tensor([[1.0, 1, 1], [1, 1, 0]]), 0.9, 0.8))
    for B, R, gamma, lam in ((3, 6, 1.0, 0.95), (4, 7, 0.9, 0.8), (2, 5, 0.99, 0.5)):
        lengths = torch.randint(2, R + 1, (B,), generator=g).tolist()
        lengths[0] = R
        cases.append((f"random B={B}, R={R}, γ={gamma}, λ={lam}, lengths {lengths}", torch.randn(B, R, generator=g),
                      torch.randn(B, R, generator=g) * 2, _mask(lengths, R), gamma, lam))
    for desc, r, v, m, gamma, lam in cases:
        want_a, want_r = ppo.advantages(r, v, m, gamma, lam)
        got = run_case(ex, fn, desc, r.clone(), v.clone(), m.clone(), gamma, lam, names=("rewards", "values", "mask"))
        if not (isinstance(got, tuple) and len(got) == 2):
            fail(ex, f"return a tuple (advantages, returns), got {type(got).__name__} (case: {desc}).")
        ga = _tensor(ex, got[0], m.shape, "the advantages", desc)
        gr = _tensor(ex, got[1], m.shape, "the returns", desc)
        ok_a, ok_r = allclose(ga, want_a, atol=1e-4, rtol=1e-3), allclose(gr, want_r, atol=1e-4, rtol=1e-3)
        if ok_a and ok_r:
            continue
        hint = ("A_t = δ_t + γλ·A_{t+1} backwards from each reply's end, δ_t = r_t + γ·V_{t+1} − V_t, "
                "V = 0 on padding; whiten A over the real tokens; returns = raw A + V.")
        close = lambda x, y: y is not None and allclose(x, y.double(), atol=1e-4, rtol=1e-3)  # noqa: E731
        variants = _gae_variants(r, v, m, gamma, lam)
        if ok_a:      # the advantages are right: name the returns' bug
            hint = next((msg for msg, (ba, br) in variants if close(ga, ba) and close(gr, br)), hint)
        else:
            hint = next((msg for msg, (ba, br) in variants if close(ga, ba) and not close(want_a, ba)), hint)
        what = "returns" if ok_a else "advantages"
        gotv, wantv = (gr, want_r) if ok_a else (ga, want_a)
        fail(ex, f"the {what} are {gotv.numpy().round(4).tolist()}, expected {wantv.numpy().round(4).tolist()} "
                 f"(case: {desc}). {hint}")
    passed(ex, f"{len(cases)} cases agree (two hand-computed ones first)")


# ---- Exercise 4: the clipped policy loss ------------------------------------------------------------
def _clip_bugs(logp, old, adv, mask, eps):
    ratio = torch.exp(logp - old)
    mm = ppo.masked_mean
    u, c = -adv * ratio, -adv * ratio.clamp(1 - eps, 1 + eps)
    per_seq = (torch.max(u, c) * mask).sum(1) / mask.sum(1)
    return [
        ("no clipping: −A·ρ alone lets one batch push the ratio far from 1. Take the max of −A·ρ and "
         "−A·clip(ρ, 1−ε, 1+ε).", mm(u, mask)),
        ("you took the min of the two loss terms: PPO's objective is the min of the two *objectives*, i.e. the max "
         "of the two *losses* (−A·ρ, −A·clip(ρ)), the pessimistic one.", mm(torch.min(u, c), mask)),
        ("you used only the clipped term: −A·clip(ρ) alone has zero gradient whenever ρ is outside [1−ε, 1+ε], "
         "even where moving back would help. Take the max with the unclipped −A·ρ.", mm(c, mask)),
        ("the sign is flipped: you returned the objective A·ρ (to maximise); the loss is its negative.",
         mm(-torch.max(u, c), mask)),
        ("the ratio is inverted: ρ = exp(log π_new − log π_old).",
         mm(torch.max(-adv * torch.exp(old - logp), -adv * torch.exp(old - logp).clamp(1 - eps, 1 + eps)), mask)),
        ("you used the log-ratio (log π − log π_old) instead of the ratio ρ = exp(log π − log π_old).",
         mm(torch.max(-adv * (logp - old), -adv * (logp - old).clamp(1 - eps, 1 + eps)), mask)),
        ("the padding counts: average over the real tokens only (sum of loss·mask / sum of mask).",
         torch.max(u, c).mean()),
        ("you averaged per reply, then over replies: average over every real token of the batch at once "
         "(replies of different lengths weigh by their length).", per_seq.mean()),
        ("you summed instead of averaging over the real tokens.", (torch.max(u, c) * mask).sum()),
        ("you clipped the advantages, not the ratio.", mm(torch.max(u, -adv.clamp(1 - eps, 1 + eps) * ratio), mask)),
    ]


@single_threaded
def check_clipped_policy_loss(fn: Callable, name: str = "clipped policy loss") -> None:
    """``fn(logp (B,R), old_logp (B,R), advantages (B,R), mask (B,R), clip) -> scalar``."""
    ex = name
    g = generator(3)
    import math
    # hand: ρ = 2, A = +1 -> max(−2, −1.2) = −1.2 (clipped); ρ = 0.5, A = −1 -> max(0.5, 0.8) = 0.8 (clipped);
    # ρ = 0.5, A = +1 -> max(−0.5, −0.8) = −0.5 (the unclipped term, the pessimistic one); mean −0.3
    hand = (torch.tensor([[math.log(2.0), math.log(0.5), math.log(0.5)]]), torch.zeros(1, 3),
            torch.tensor([[1.0, -1.0, 1.0]]), torch.ones(1, 3), 0.2)
    cases = [("hand case: ρ = [2, 0.5, 0.5], A = [+1, −1, +1], ε = 0.2 (losses −1.2, 0.8, −0.5; mean −0.3)", *hand)]
    for B, R, eps in ((3, 5, 0.2), (4, 6, 0.1), (2, 7, 0.3)):
        lengths = torch.randint(2, R + 1, (B,), generator=g).tolist()
        lengths[0] = R
        old = -torch.rand(B, R, generator=g) * 3
        cases.append((f"random B={B}, R={R}, ε={eps}, lengths {lengths}, ratios in [0.5, 2]",
                      old + (torch.rand(B, R, generator=g) * 1.4 - 0.7), old, torch.randn(B, R, generator=g),
                      _mask(lengths, R), eps))
    for desc, logp, old, adv, m, eps in cases:
        want = ppo.clipped_policy_loss(logp, old, adv, m, eps)
        lp = logp.clone().requires_grad_(True)
        got = run_case(ex, fn, desc, lp, old.clone(), adv.clone(), m.clone(), eps,
                       names=("logp", "old_logp", "advantages", "mask"))
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.reshape(())
        gv = _tensor(ex, got, (), "the loss", desc)
        if not allclose(gv, want, atol=1e-5, rtol=1e-4):
            fail(ex, f"loss {gv.item():.6g}, expected {want.item():.6g} (case: {desc}). "
                 + _diagnose(gv, _clip_bugs(logp, old, adv, m, eps),
                             "Mean over real tokens of max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε)), ρ = exp(logp − old_logp)."))
        if not got.requires_grad:
            fail(ex, f"the loss is cut off from autograd (case: {desc}): the gradient flows through logp.")
        got.backward()
        ref = logp.clone().requires_grad_(True)
        ppo.clipped_policy_loss(ref, old, adv, m, eps).backward()
        if lp.grad is None or not allclose(lp.grad, ref.grad, atol=1e-5, rtol=1e-4):
            fail(ex, f"the value is right but the gradient is not (case: {desc}): did you detach the ratio, "
                     "or compute it from old_logp alone?")
    passed(ex, f"{len(cases)} cases agree, gradients too (a hand-computed one first)")


