"""Every Lab 08 check passes the reference and rejects plausible wrong implementations, naming the bug."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from llmlab.checks import rejects
from llmlab.lab08 import checks, critique, dpo, preferences
from llmlab.tinyworld.constitution import critique_prompt, revision_prompt



# ---- Exercise 1: critique -> revision ---------------------------------------------------------------
def loop_no_chain(generate, requests, replies, principles):
    out = []
    for pr in principles:
        c = generate([critique_prompt(q, r, pr) for q, r in zip(requests, replies)])
        v = generate([revision_prompt(q, r, pr, k) for q, r, k in zip(requests, replies, c)])
        out.append({"principle": pr, "critique": c, "revision": v})
    return out


def loop_per_item(generate, requests, replies, principles):      # correct, one prompt per call
    cur, out = list(replies), []
    for pr in principles:
        c = [generate([critique_prompt(q, r, pr)])[0] for q, r in zip(requests, cur)]
        v = [generate([revision_prompt(q, r, pr, k)])[0] for q, r, k in zip(requests, cur, c)]
        out.append({"principle": pr, "critique": c, "revision": v})
        cur = v
    return out


def loop_forgets_critique(generate, requests, replies, principles):
    cur, out = list(replies), []
    for pr in principles:
        c = generate([critique_prompt(q, r, pr) for q, r in zip(requests, cur)])
        v = generate([critique_prompt(q, r, pr).removesuffix("Critique:") + "Revision:" for q, r in zip(requests, cur)])
        out.append({"principle": pr, "critique": c, "revision": v})
        cur = v
    return out


def loop_chains_critique(generate, requests, replies, principles):
    cur, out = list(replies), []
    for pr in principles:
        c = generate([critique_prompt(q, r, pr) for q, r in zip(requests, cur)])
        v = generate([revision_prompt(q, r, pr, k) for q, r, k in zip(requests, cur, c)])
        out.append({"principle": pr, "critique": c, "revision": v})
        cur = c
    return out


def loop_one_principle(generate, requests, replies, principles):
    cur, out = list(replies), []
    for pr in principles:
        c = generate([critique_prompt(q, r, principles[0]) for q, r in zip(requests, cur)])
        v = generate([revision_prompt(q, r, principles[0], k) for q, r, k in zip(requests, cur, c)])
        out.append({"principle": pr, "critique": c, "revision": v})
        cur = v
    return out


def loop_swapped(generate, requests, replies, principles):
    return [{"principle": r["principle"], "critique": r["revision"], "revision": r["critique"]}
            for r in critique.critique_revise(generate, requests, replies, principles)]


def loop_own_format(generate, requests, replies, principles):
    cur, out = list(replies), []
    for pr in principles:
        c = generate([f"Rule: {pr}\nRequest: {q}\nReply: {r}\nCritique:" for q, r in zip(requests, cur)])
        v = generate([revision_prompt(q, r, pr, k) for q, r, k in zip(requests, cur, c)])
        out.append({"principle": pr, "critique": c, "revision": v})
        cur = v
    return out


def loop_one_round(generate, requests, replies, principles):
    return critique.critique_revise(generate, requests, replies, principles[:1])


def test_loop_check_passes_the_reference_and_a_per_item_loop(capsys):
    checks.check_critique_revise(critique.critique_revise)
    checks.check_critique_revise(loop_per_item)
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("fn, needles", [
    (loop_no_chain, ("original",)), (loop_forgets_critique, ("lacks the critique",)),
    (loop_chains_critique, ("critiques, not the revisions",)), (loop_one_principle, ("first principle",)),
    (loop_swapped, ("swapped",)), (loop_own_format, ("exact format",)), (loop_one_round, ("one per principle",)),
])
def test_loop_check_names_the_bug(fn, needles):
    rejects(checks.check_critique_revise, fn, *needles)


def test_loop_check_explains_the_stub():
    def stub(generate, requests, replies, principles):
        raise NotImplementedError("Exercise 1")
    rejects(checks.check_critique_revise, stub, "not implemented")


# ---- Exercise 2: preference pairs -------------------------------------------------------------------
def _pairs(rows, score, keep, flip=False):
    out = []
    for r in rows:
        s = score(r)
        if keep(s):
            win = (s > 0.5) != flip
            out.append({"prompt": r["prompt"], "chosen": r["first"] if win else r["second"],
                        "rejected": r["second"] if win else r["first"]})
    return out


def debias(r):
    return (r["p_a"] + 1 - r["p_a_swapped"]) / 2


def pairs_swapped(rows, margin):
    return _pairs(rows, debias, lambda s: abs(s - 0.5) >= margin, flip=True)


def pairs_no_flip(rows, margin):
    return _pairs(rows, lambda r: (r["p_a"] + r["p_a_swapped"]) / 2, lambda s: abs(s - 0.5) >= margin)


def pairs_first_order(rows, margin):
    return _pairs(rows, lambda r: r["p_a"], lambda s: abs(s - 0.5) >= margin)


def pairs_keep_all(rows, margin):
    return _pairs(rows, debias, lambda s: True)


def pairs_sorted(rows, margin):
    return sorted(preferences.ai_preference_pairs(rows, margin), key=lambda p: p["chosen"])


def pairs_wrong_keys(rows, margin):
    return [{"prompt": p["prompt"], "preferred": p["chosen"], "other": p["rejected"]}
            for p in preferences.ai_preference_pairs(rows, margin)]


def pairs_inverted_margin(rows, margin):
    return _pairs(rows, debias, lambda s: abs(s - 0.5) < margin)


def test_pairs_check_passes_the_reference(capsys):
    checks.check_preference_pairs(preferences.ai_preference_pairs)
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("fn, needles", [
    (pairs_swapped, ("swapped",)), (pairs_no_flip, ("without flipping",)), (pairs_first_order, ("first order",)),
    (pairs_keep_all, ("uncertain",)), (pairs_sorted, ("order",)), (pairs_wrong_keys, ("keys",)),
    (pairs_inverted_margin, ("dropped the clear",)),
])
def test_pairs_check_names_the_bug(fn, needles):
    rejects(checks.check_preference_pairs, fn, *needles)


# ---- Exercise 3: the DPO loss -----------------------------------------------------------------------
def dpo_reversed(pc, pr, rc, rr, beta):
    return -F.logsigmoid(beta * ((pr - rr) - (pc - rc))).mean()


def dpo_no_ref(pc, pr, rc, rr, beta):
    return -F.logsigmoid(beta * (pc - pr)).mean()


def dpo_no_beta(pc, pr, rc, rr, beta):
    return -F.logsigmoid((pc - rc) - (pr - rr)).mean()


def dpo_beta_outside(pc, pr, rc, rr, beta):
    return -(beta * F.logsigmoid((pc - rc) - (pr - rr))).mean()


def dpo_sigmoid(pc, pr, rc, rr, beta):
    return -torch.sigmoid(beta * ((pc - rc) - (pr - rr))).mean()


def dpo_sum(pc, pr, rc, rr, beta):
    return -F.logsigmoid(beta * ((pc - rc) - (pr - rr))).sum()


def dpo_plus_ref(pc, pr, rc, rr, beta):
    return -F.logsigmoid(beta * ((pc + rc) - (pr + rr))).mean()


def dpo_no_minus(pc, pr, rc, rr, beta):
    return F.logsigmoid(beta * ((pc - rc) - (pr - rr))).mean()


def dpo_detached(pc, pr, rc, rr, beta):
    return torch.tensor(float(-F.logsigmoid(beta * ((pc - rc) - (pr - rr))).mean()))


def dpo_float(pc, pr, rc, rr, beta):
    return float(-F.logsigmoid(beta * ((pc - rc) - (pr - rr))).mean())


def dpo_log_of_sigmoid(pc, pr, rc, rr, beta):            # correct, less stable
    return -torch.log(torch.sigmoid(beta * ((pc - rc) - (pr - rr)))).mean()


def test_dpo_check_passes_the_reference_and_an_equivalent(capsys):
    checks.check_dpo_loss(dpo.dpo_loss)
    checks.check_dpo_loss(dpo_log_of_sigmoid)
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("fn, needles", [
    (dpo_reversed, ("sign is reversed",)), (dpo_no_ref, ("reference",)), (dpo_no_beta, ("β is missing",)),
    (dpo_beta_outside, ("β multiplies",)), (dpo_sigmoid, ("take the log",)), (dpo_sum, ("summed",)),
    (dpo_plus_ref, ("wrong sign",)), (dpo_no_minus, ("minus sign",)), (dpo_detached, ("gradient",)),
    (dpo_float, ("torch.tensor",)),
])
def test_dpo_check_names_the_bug(fn, needles):
    rejects(checks.check_dpo_loss, fn, *needles)
