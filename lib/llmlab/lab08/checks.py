"""Checks for Lab 08's exercises: the critique → revision loop, turning an AI judge's verdicts into
preference pairs, and the DPO loss.

Each check runs the student's function on cases with known answers and, when a case disagrees,
compares the answer with what the usual bugs produce, to name the bug. The loop is run against a
stub model whose every output names the prompt it answered, so a wrong prompt or a wrong chaining
of rounds shows in the output. The DPO reference is the formula of trl's ``loss_type="sigmoid"``
(``tests/lab08`` checks that it equals ``trl.DPOTrainer``'s loss on a real batch).
"""
from __future__ import annotations

import hashlib
import math
from typing import Callable

import torch
import torch.nn.functional as F

from llmlab.checks import fail, generator, passed, run_case, single_threaded, tensor_like
from llmlab.checks import yours_or_reference  # noqa: F401 - the labs call checks.yours_or_reference
from llmlab.lab08 import critique as critique_mod
from llmlab.lab08 import dpo, preferences
from llmlab.tinyworld.constitution import critique_prompt, revision_prompt


# ----------------------------------------------------------------------------------------------
# Exercise 1: the critique -> revision loop

def _tag(prompt: str) -> str:
    return hashlib.sha256(prompt.encode()).hexdigest()[:6]


def stub_generate(prompts: list[str]) -> list[str]:
    """A fake model: its answer names the kind of prompt and a hash of the whole prompt."""
    out = []
    for p in prompts:
        kind = "critique" if p.endswith("Critique:") else "revision" if p.endswith("Revision:") else "other"
        out.append(f"<{kind} {_tag(p)}>")
    return out


def _loop_bugs(requests, replies, principles) -> list[tuple[str, list]]:
    def run(step):
        current, rounds = list(replies), []
        for i, pr in enumerate(principles):
            crit, rev, nxt = step(i, pr, current)
            rounds.append({"principle": pr, "critique": crit, "revision": rev})
            current = nxt
        return [(r["principle"], r["critique"], r["revision"]) for r in rounds]

    g = stub_generate

    def no_chain(i, pr, cur):
        c = g([critique_prompt(q, r, pr) for q, r in zip(requests, replies)])
        v = g([revision_prompt(q, r, pr, k) for q, r, k in zip(requests, replies, c)])
        return c, v, cur

    def chain_critique(i, pr, cur):
        c = g([critique_prompt(q, r, pr) for q, r in zip(requests, cur)])
        v = g([revision_prompt(q, r, pr, k) for q, r, k in zip(requests, cur, c)])
        return c, v, c

    def revision_without_critique(i, pr, cur):
        c = g([critique_prompt(q, r, pr) for q, r in zip(requests, cur)])
        v = g([critique_prompt(q, r, pr)[:-len("Critique:")] + "Revision:" for q, r in zip(requests, cur)])
        return c, v, v

    def revision_of_original(i, pr, cur):
        c = g([critique_prompt(q, r, pr) for q, r in zip(requests, cur)])
        v = g([revision_prompt(q, r, pr, k) for q, r, k in zip(requests, replies, c)])
        return c, v, v

    def critique_of_original(i, pr, cur):
        c = g([critique_prompt(q, r, pr) for q, r in zip(requests, replies)])
        v = g([revision_prompt(q, r, pr, k) for q, r, k in zip(requests, cur, c)])
        return c, v, v

    def first_principle_only(i, pr, cur):
        p0 = principles[0]
        c = g([critique_prompt(q, r, p0) for q, r in zip(requests, cur)])
        v = g([revision_prompt(q, r, p0, k) for q, r, k in zip(requests, cur, c)])
        return c, v, v

    return [
        ("every round revises the *original* replies: the next round must critique and revise the previous "
         "round's revisions (set the current replies to the revisions at the end of each round).", run(no_chain)),
        ("the next round works on the critiques, not the revisions: feed each round's *revisions* forward.",
         run(chain_critique)),
        ("your revision prompt lacks the critique: build it with revision_prompt(request, reply, principle, "
         "critique), so the model revises in the light of what it found wrong.", run(revision_without_critique)),
        ("the revision prompt holds the original reply, not the one just critiqued: revise the current reply.",
         run(revision_of_original)),
        ("the critique prompt holds the original reply in later rounds: critique the current (revised) reply.",
         run(critique_of_original)),
        ("every round uses the first principle: round i critiques against principles[i].", run(first_principle_only)),
    ]


def _loop_cases():
    reqs = ["How much is the red kettle?", "When does the Bell Inn open?", "Who makes the oak chair?"]
    reps = ["Ask someone else, fool.", "At nine.", "Work it out yourself."]
    return [("one request, one principle", reqs[:1], reps[:1], ["Be polite."]),
            ("three requests, two principles", reqs, reps, ["Be polite.", "Answer the request."]),
            ("two requests, three principles", reqs[:2], reps[:2], ["Be polite.", "Be kind.", "Answer."])]


@single_threaded
def check_critique_revise(fn: Callable, name: str = "Exercise 1: critique -> revision") -> None:
    for desc, reqs, reps, prins in _loop_cases():
        got = run_case(name, fn, desc, stub_generate, reqs, reps, prins)
        want = critique_mod.critique_revise(stub_generate, reqs, reps, prins)
        if not isinstance(got, list) or len(got) != len(prins):
            fail(name, f"expected a list of {len(prins)} rounds (one per principle), got "
                       f"{type(got).__name__}{f' of length {len(got)}' if isinstance(got, list) else ''} "
                       f"(case: {desc}).")
        if not all(isinstance(r, dict) and {"principle", "critique", "revision"} <= set(r) for r in got):
            fail(name, "each round should be a dict with keys 'principle', 'critique' and 'revision'.")
        flat = [(r["principle"], list(r["critique"]), list(r["revision"])) for r in got]
        if flat == [(r["principle"], r["critique"], r["revision"]) for r in want]:
            continue
        if any(len(c) != len(reqs) or len(v) != len(reqs) for _, c, v in flat):
            fail(name, f"each round needs one critique and one revision per request ({len(reqs)}) (case: {desc}).")
        if all(c[0].startswith("<revision") for _, c, _ in flat):
            fail(name, "'critique' and 'revision' are swapped.")
        for msg, value in _loop_bugs(reqs, reps, prins):
            if flat == value:
                fail(name, msg + f" (case: {desc})")
        for i, ((_, c, v), w) in enumerate(zip(flat, want)):
            if c != w["critique"]:
                fail(name, f"round {i + 1}'s critiques differ from the reference (case: {desc}): build each with "
                           "critique_prompt(request, current_reply, principle) — the model was trained on that "
                           "exact format.")
            if v != w["revision"]:
                fail(name, f"round {i + 1}'s revisions differ from the reference (case: {desc}): build each with "
                           "revision_prompt(request, current_reply, principle, critique).")
    passed(name, "every round critiques and revises the previous round's revisions, with the right prompts")


# ----------------------------------------------------------------------------------------------
# Exercise 2: AI judgements -> preference pairs

def _pairs_cases():
    g = generator(8)
    cases = []
    for desc, n in (("four clear verdicts", 4), ("ten verdicts, some near 0.5", 10), ("thirty verdicts", 30)):
        p_a = torch.rand(n, generator=g).tolist()
        p_b = torch.rand(n, generator=g).tolist()
        rows = [{"prompt": f"request {i}", "first": f"reply {i}a", "second": f"reply {i}b",
                 "p_a": round(a, 3), "p_a_swapped": round(b, 3)} for i, (a, b) in enumerate(zip(p_a, p_b))]
        rows = [r for r in rows if abs(abs((r["p_a"] + 1 - r["p_a_swapped"]) / 2 - 0.5) - 0.1) > 0.01]
        cases.append((desc, rows, 0.1))
    pos_bias = [{"prompt": "q", "first": "polite", "second": "rude", "p_a": 0.9, "p_a_swapped": 0.7},
                {"prompt": "r", "first": "rude", "second": "polite", "p_a": 0.7, "p_a_swapped": 0.9}]
    cases.insert(0, ("a judge that likes position A (0.9 / 0.7)", pos_bias, 0.05))
    return cases


def _triples(pairs):
    return [(p["prompt"], p["chosen"], p["rejected"]) for p in pairs]


def _pairs_bugs(rows, margin) -> list[tuple[str, list]]:
    def build(score, keep, flip=False):
        out = []
        for r in rows:
            s = score(r)
            if not keep(s):
                continue
            win = (s > 0.5) != flip
            out.append((r["prompt"], r["first"] if win else r["second"], r["second"] if win else r["first"]))
        return out
    debiased = lambda r: (r["p_a"] + 1 - r["p_a_swapped"]) / 2            # noqa: E731
    clear = lambda s: abs(s - 0.5) >= margin                               # noqa: E731
    return [
        ("chosen and rejected are swapped: the reply the judge prefers is `chosen`.", build(debiased, clear, True)),
        ("you averaged p_a and p_a_swapped without flipping the second: with `second` shown as A, p_a_swapped "
         "is the probability that *second* is better, so use 1 - p_a_swapped.",
         build(lambda r: (r["p_a"] + r["p_a_swapped"]) / 2, clear)),
        ("you used only the first order (p_a): a judge that favours position A then prefers whatever is shown "
         "first; average it with the swapped order (1 - p_a_swapped).", build(lambda r: r["p_a"], clear)),
        ("you used only the swapped order: average both orders.", build(lambda r: 1 - r["p_a_swapped"], clear)),
        ("you kept the uncertain pairs: drop those whose debiased probability is within `margin` of 0.5.",
         build(debiased, lambda s: True)),
        ("you dropped pairs by the first order's p_a alone: apply the margin to the debiased probability.",
         [t for r, t in zip(rows, build(debiased, lambda s: True)) if abs(r["p_a"] - 0.5) >= margin]),
        ("you kept the uncertain pairs and dropped the clear ones: keep a pair when |p - 0.5| >= margin.",
         build(debiased, lambda s: abs(s - 0.5) < margin)),
    ]


@single_threaded
def check_preference_pairs(fn: Callable, name: str = "Exercise 2: AI preference pairs") -> None:
    suspects: list[str] | None = None           # bugs consistent with every wrong case so far
    cases = _pairs_cases()
    for i, (desc, rows, margin) in enumerate(cases):
        got = run_case(name, fn, desc, [dict(r) for r in rows], margin)
        want = _triples(preferences.ai_preference_pairs(rows, margin))
        if not isinstance(got, list) or not all(isinstance(p, dict) for p in got):
            fail(name, f"return a list of dicts (prompt / chosen / rejected), got {type(got).__name__}.")
        if not all({"prompt", "chosen", "rejected"} <= set(p) for p in got):
            fail(name, "each pair needs the keys 'prompt', 'chosen' and 'rejected' (trl's DPOTrainer reads them).")
        mine = _triples(got)
        if mine == want:
            continue
        if sorted(mine) == sorted(want):
            fail(name, f"right pairs, wrong order (case: {desc}): keep the input order.")
        matching = [msg for msg, value in _pairs_bugs(rows, margin) if mine == value]
        suspects = matching if suspects is None else [m for m in suspects if m in matching]
        if len(suspects) > 1 and i < len(cases) - 1:
            continue                                  # several bugs fit this case: let the next one decide
        if suspects:
            fail(name, suspects[0] + f" (case: {desc})")
        fail(name, f"{len(mine)} pairs where the reference keeps {len(want)}, or different winners (case: {desc}): "
                   "p(first better) = (p_a + 1 - p_a_swapped) / 2; keep it if |p - 0.5| >= margin; the winner is "
                   "`chosen`.")
    if suspects:
        fail(name, suspects[0])
    passed(name, "verdicts debiased over both orders, uncertain pairs dropped, winners chosen")


# ----------------------------------------------------------------------------------------------
# Exercise 3: the DPO loss

def _dpo_bugs(pc, pr, rc, rr, beta) -> list[tuple[str, float]]:
    m = (pc - rc) - (pr - rr)
    return [
        ("the sign is reversed: the margin is (chosen log-ratio) − (rejected log-ratio), and the loss is "
         "−log σ(β·margin), which falls as the chosen reply gains.", -F.logsigmoid(-beta * m).mean()),
        ("you left out the reference: each log-probability is measured against the frozen reference, "
         "log π(y|x) − log π_ref(y|x).", -F.logsigmoid(beta * (pc - pr)).mean()),
        ("the reference enters with the wrong sign: subtract the reference's log-probabilities, "
         "(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l)).",
         -F.logsigmoid(beta * ((pc + rc) - (pr + rr))).mean()),
        ("β is missing: the margin is scaled by β inside the sigmoid.", -F.logsigmoid(m).mean()),
        ("β multiplies the loss, not the margin: −log σ(β·margin), with β inside.", -(beta * F.logsigmoid(m)).mean()),
        ("you used −σ(β·margin) instead of −log σ(β·margin): take the log (F.logsigmoid).",
         -torch.sigmoid(beta * m).mean()),
        ("the minus sign is missing: the loss is −log σ(β·margin), a positive number.",
         F.logsigmoid(beta * m).mean()),
        ("you summed over the pairs: average them (.mean()).", -F.logsigmoid(beta * m).sum()),
        ("you used 1 − σ(β·margin): DPO's loss is −log σ(β·margin).", (1 - torch.sigmoid(beta * m)).mean()),
    ]


def _dpo_cases():
    g = generator(3)
    cases = []
    for desc, B, beta in (("one pair, β = 0.1", 1, 0.1), ("eight pairs, β = 0.1", 8, 0.1),
                          ("sixteen pairs, β = 0.5", 16, 0.5), ("five pairs, β = 2", 5, 2.0)):
        pc, pr, rc, rr = (-20 * torch.rand(B, generator=g) - 2 for _ in range(4))   # (B,) sequence log-probs
        cases.append((desc, pc, pr, rc, rr, beta))
    return cases


@single_threaded
def check_dpo_loss(fn: Callable, name: str = "Exercise 3: the DPO loss") -> None:
    for desc, pc, pr, rc, rr, beta in _dpo_cases():
        got = run_case(name, fn, desc, pc, pr, rc, rr, beta,
                       names=("policy_chosen_logps", "policy_rejected_logps", "ref_chosen_logps", "ref_rejected_logps"))
        want = dpo.dpo_loss(pc, pr, rc, rr, beta)
        tensor_like(name, got, want, "the loss")
        g, w = float(got), float(want)
        if math.isfinite(g) and abs(g - w) <= 1e-5 * max(1.0, abs(w)):
            continue
        for msg, value in _dpo_bugs(pc, pr, rc, rr, beta):
            if abs(g - float(value)) <= 1e-5 * max(1.0, abs(float(value))):
                fail(name, msg + f" (case: {desc}: got {g:.5f}, expected {w:.5f})")
        fail(name, f"the loss is {g:.5f}, expected {w:.5f} (case: {desc}): "
                   "−mean(log σ(β·[(π_c − ref_c) − (π_r − ref_r)])).")
    pc = torch.tensor([-5.0, -7.0], requires_grad=True)
    loss = run_case(name, fn, "gradient case", pc, torch.tensor([-6.0, -6.0]), torch.tensor([-5.0, -7.0]),
                    torch.tensor([-6.0, -6.0]), 0.1)
    if not isinstance(loss, torch.Tensor) or not loss.requires_grad:
        fail(name, "the loss carries no gradient to the policy's log-probabilities: keep it a torch expression "
                   "(no .item(), no float(), no torch.no_grad()).")
    passed(name, "equals −log σ(β·margin) on every case, gradients flow to the policy")
