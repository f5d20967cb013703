"""Labs 01-03's exercise checks against wrong (and right) implementations written by a reviewer who did not
read the checks: every ``lab*_*.py`` here defines ``WRONG`` and ``CORRECT`` dicts of the exercise's function
(a tuple of two functions for Lab 03's Exercise 4), each keyed by what it does.

Measured when they were written (2026-12-06), before the checks saw them: 250 of 271 wrong ones rejected (92%),
194 named (72%). The checks were then hardened on them; this test keeps that from slipping back. The few wrong
ones still accepted are listed in ``ACCEPTED`` with the reason, so that any other acceptance fails.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import re
from pathlib import Path

import pytest
import torch

from llmlab.checks import failure_message
from llmlab.lab01 import checks as c1
from llmlab.lab02 import checks as c2
from llmlab.lab03 import checks as c3

CHECKS = {
    "lab01_temperature": c1.check_temperature, "lab01_top_k": c1.check_top_k, "lab01_top_p": c1.check_top_p,
    "lab01_repetition_penalty": c1.check_repetition_penalty, "lab02_attention": c2.check_attention,
    "lab02_multi_head_attention": c2.check_multi_head_attention, "lab02_layer_norm": c2.check_layer_norm,
    "lab02_transformer_block": c2.check_transformer_block, "lab03_exact_dedup": c3.check_exact_dedup,
    "lab03_minhash": c3.check_minhash, "lab03_accumulation_step": c3.check_accumulation_step,
    "lab03_flops_pf_days": c3.check_compute, "lab03_scaling_law_objective": c3.check_scaling_law_objective,
    "lab03_compute_optimal": c3.check_compute_optimal,
}

# Wrong by the reviewer's reading, accepted on purpose: the answer is right on every input the exercise admits.
ACCEPTED = {
    ("lab01_temperature", "numpy round trip"): "right values and dtype on CPU tensors (the lab's logits)",
    ("lab01_top_p", "p >= 1 returns early (keeps underflowed tokens HF removes)"):
        "differs from HF only on tokens of probability exactly 0, which sampling never draws",
    ("lab02_attention", "masked scores -1e4 instead of -inf"):
        "exp(-1e4 - max) is exactly 0 in float32 for any score above -1e4",
    ("lab03_accumulation_step", "returns a tensor"): "a 0-d tensor loss is accepted by design",
    ("lab03_flops_pf_days", "flops in float32 (overflow / 7 digits)"): "1e-7 relative error; 6·N·D is an estimate",
    ("lab03_scaling_law_objective", "log(sum(exp)) without logsumexp (overflow/underflow for extreme theta)"):
        "exact wherever the lab's fit goes (exp overflows only beyond a = 709)",
    ("lab03_scaling_law_objective", "clips the exponents of theta in place"):
        "the clip never binds on the parameters an L-BFGS fit from the lab's grid visits",
    ("lab03_compute_optimal", "float32 arithmetic"): "1e-7 relative error",
}

# A failure message that only says "differs" without naming a bug.
GENERIC = re.compile(r"values differ from|differs from the reference in|entry \d+ is|kept indices|Keep every token "
                     r"whose logit|Keep the most likely tokens until|Seen tokens:|linear in both|one PF-day is 1e15 "
                     r"FLOP/s sustained|kept the right number of tokens \(\d+\) but not the most likely ones \(case")


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"heldout_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    with contextlib.redirect_stdout(io.StringIO()):
        spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _message(name: str, fn) -> str | None:
    fns = fn if isinstance(fn, tuple) else (fn,)
    with contextlib.redirect_stderr(io.StringIO()):
        return failure_message(CHECKS[name], *fns)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_every_correct_variant_passes(name):
    for desc, fn in _module(name).CORRECT.items():
        assert _message(name, fn) is None, f"{name}: the check rejects a correct variant ({desc})"


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_every_wrong_variant_is_rejected_but_the_listed_ones(name):
    accepted = [desc for desc, fn in _module(name).WRONG.items() if _message(name, fn) is None]
    assert sorted(accepted) == sorted(d for n, d in ACCEPTED if n == name), f"{name}: accepted {accepted}"


def test_most_rejections_name_the_bug():
    rejected = named = 0
    for name in CHECKS:
        for fn in _module(name).WRONG.values():
            msg = _message(name, fn)
            rejected += msg is not None
            named += msg is not None and not GENERIC.search(msg)
    assert named / rejected >= 0.9, f"{named} of {rejected} rejections name the bug"
