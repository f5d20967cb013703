"""Lab 07's exercise checks: the references pass, plausible wrong implementations fail with a message
that names the bug."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from llmlab.checks import CheckFailed
from llmlab.lab07 import checks, ppo, rewards


def _fails(check, fn, *words):
    with pytest.raises(CheckFailed) as err:
        check(fn)
    msg = str(err.value)
    for w in words:
        assert w in msg, msg
    return msg


def test_references_pass(capsys):
    checks.check_pairwise_loss(rewards.pairwise_loss)
    checks.check_kl_penalised_rewards(ppo.kl_penalised_rewards)
    checks.check_advantages(ppo.advantages)
    checks.check_clipped_policy_loss(ppo.clipped_policy_loss)
    assert capsys.readouterr().out.count("✓") == 4


def test_stub_names_the_fix():
    def stub(*a):
        raise NotImplementedError("Exercise 1")
    _fails(checks.check_pairwise_loss, stub, "not implemented yet")


@pytest.mark.parametrize("fn, words", [
    (lambda w, l: -F.logsigmoid(l - w).mean(), ("sign is reversed",)),
    (lambda w, l: F.logsigmoid(w - l).mean(), ("minus sign is missing",)),
    (lambda w, l: -F.logsigmoid(w - l).sum(), ("summed",)),
    (lambda w, l: -torch.sigmoid(w - l).mean(), ("log is missing",)),
    (lambda w, l: -torch.log(torch.sigmoid(w - l)).mean(), ("logsigmoid",)),
    (lambda w, l: -F.logsigmoid(w.mean() - l.mean()), ("after averaging",)),
    (lambda w, l: F.relu(1 - (w - l)).mean(), ("hinge",)),
    (lambda w, l: (-F.logsigmoid(w - l).mean()).detach(), ("autograd",)),
])
def test_pairwise_bugs(fn, words):
    _fails(checks.check_pairwise_loss, fn, *words)


def _shaping(kind):
    def fn(score, logp, ref, mask, beta):
        B, R = mask.shape
        last = mask.sum(1).long() - 1
        kl = (logp - ref)
        out = (-beta * kl * mask) if kind != "sign" else (beta * kl * mask)
        if kind == "pad":
            out = -beta * kl
        if kind == "nokl":
            out = torch.zeros_like(kl)
        idx = {"lastcol": torch.full((B,), R - 1), "first": torch.zeros(B, dtype=torch.long)}.get(kind, last)
        out = out.clone()
        if kind == "every":
            out = out + score[:, None] * mask
        else:
            out[torch.arange(B), idx] += beta * score if kind == "betascore" else score
        return out if kind == "pad" else out * mask
    return fn


@pytest.mark.parametrize("kind, words", [("sign", ("KL sign",)), ("lastcol", ("last *column*",)),
                                         ("first", ("first response token",)), ("every", ("every token",)),
                                         ("pad", ("padding is penalised",)), ("betascore", ("β also scales",)),
                                         ("nokl", ("penalty is missing",))])
def test_shaping_bugs(kind, words):
    _fails(checks.check_kl_penalised_rewards, _shaping(kind), *words)


def _gae(kind):
    def fn(r, v, m, gamma, lam):
        B, R = r.shape
        vv = v if kind == "nomask_values" else v * m
        rr = r * m
        adv = torch.zeros_like(rr)
        last = torch.zeros(B)
        steps = range(R) if kind == "forward" else reversed(range(R))
        for t in steps:
            if kind == "same":
                nv = vv[:, t]
            elif kind == "prev":
                nv = vv[:, t - 1] if t > 0 else torch.zeros(B)
            else:
                nv = vv[:, t + 1] if t + 1 < R else torch.zeros(B)
            lam_ = 1.0 if kind == "nolam" else lam
            last = rr[:, t] + gamma * nv - vv[:, t] + gamma * lam_ * last
            adv[:, t] = last
        adv = adv * m
        vm = v * m
        if kind == "nowhiten":
            return adv, adv + vm
        if kind == "ret_whitened":
            return ppo.whiten(adv, m), (ppo.whiten(adv, m) + vm) * m
        if kind == "ret_adv":
            return ppo.whiten(adv, m), adv
        if kind == "whiten_all":
            return (adv - adv.mean()) / (adv.std() + 1e-8), adv + vm
        return ppo.whiten(adv, m), adv + vm
    return fn


@pytest.mark.parametrize("kind, words", [
    ("same", ("off by one", "V_t in place of V_{t+1}")), ("prev", ("off by one", "V_{t−1}")),
    ("nomask_values", ("padding must count as 0",)), ("nolam", ("λ is missing",)),
    ("nowhiten", ("not whitened",)), ("ret_whitened", ("returns come from the whitened",)),
    ("ret_adv", ("returns are the advantages alone",)), ("whiten_all", ("padding included",)),
    ("forward", ("forwards",))])
def test_gae_bugs(kind, words):
    _fails(checks.check_advantages, _gae(kind), *words)


def _clip(kind):
    def fn(logp, old, adv, mask, eps):
        ratio = torch.exp(logp - old)
        u, c = -adv * ratio, -adv * ratio.clamp(1 - eps, 1 + eps)
        mm = lambda x: (x * mask).sum() / mask.sum()  # noqa: E731
        return {"noclip": lambda: mm(u), "min": lambda: mm(torch.min(u, c)), "clipped_only": lambda: mm(c),
                "sign": lambda: mm(-torch.max(u, c)), "pad": lambda: torch.max(u, c).mean(),
                "sum": lambda: (torch.max(u, c) * mask).sum(),
                "inverted": lambda: mm(torch.max(-adv * torch.exp(old - logp),
                                                 -adv * torch.exp(old - logp).clamp(1 - eps, 1 + eps))),
                "per_seq": lambda: ((torch.max(u, c) * mask).sum(1) / mask.sum(1)).mean(),
                "detached": lambda: mm(torch.max(-adv * ratio.detach(),
                                                 -adv * ratio.detach().clamp(1 - eps, 1 + eps))) + 0 * logp.sum(),
                }[kind]()
    return fn


@pytest.mark.parametrize("kind, words", [
    ("noclip", ("no clipping",)), ("min", ("min of the two loss terms",)), ("clipped_only", ("only the clipped term",)),
    ("sign", ("sign is flipped",)), ("pad", ("padding counts",)), ("sum", ("summed",)),
    ("inverted", ("ratio is inverted",)), ("per_seq", ("per reply",)), ("detached", ("gradient",))])
def test_clip_bugs(kind, words):
    _fails(checks.check_clipped_policy_loss, _clip(kind), *words)


def test_yours_or_reference_falls_back(capsys):
    fn = checks.yours_or_reference("Exercise 1: pairwise loss", lambda w, l: F.logsigmoid(w - l).mean(),
                                   rewards.pairwise_loss, checks.check_pairwise_loss)
    assert fn is rewards.pairwise_loss
    assert "not solved yet" in capsys.readouterr().out
