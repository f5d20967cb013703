"""llmlab.lab04.memory: the calculator against the measurement on GPTs of several shapes, fp32 and bf16
autocast, fused and textbook attention; the course's rule of thumb."""
from __future__ import annotations

import pytest
import torch

from llmlab.gpt import GPT, GPTConfig
from llmlab.lab04 import memory

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SHAPES = [  # (config, batch, seq_len)
    (GPTConfig(vocab_size=512, block_size=64, n_layer=2, n_head=4, n_embd=32), 4, 64),
    (GPTConfig(vocab_size=300, block_size=128, n_layer=3, n_head=2, n_embd=48, attn="manual"), 2, 96),
    (GPTConfig(vocab_size=1024, block_size=64, n_layer=1, n_head=8, n_embd=64, bias=False), 3, 40),
]


def test_n_params_matches_the_model():
    for cfg, _, _ in SHAPES:
        assert memory.n_params(cfg) == sum(p.numel() for p in GPT(cfg).parameters())


@pytest.mark.parametrize("amp", [None, torch.bfloat16])
@pytest.mark.parametrize("shape", range(len(SHAPES)))
def test_estimate_predicts_measurement(shape, amp):
    cfg, B, T = SHAPES[shape]
    torch.manual_seed(0)
    x = torch.randint(0, cfg.vocab_size, (B, T))
    got = memory.measure(GPT(cfg), x, amp_dtype=amp).as_dict()
    want = memory.estimate(cfg, B, T, mixed=amp is not None).as_dict()
    for part in ("weights", "gradients", "optimizer", "weight_copies"):
        assert got[part] == want[part], part
    assert got["activations"] == pytest.approx(want["activations"], rel=0.02)


def test_manual_attention_keeps_the_attention_matrix():
    cfg = GPTConfig(vocab_size=128, block_size=256, n_layer=2, n_head=4, n_embd=32, attn="manual")
    small, large = memory.activation_bytes(cfg, 1, 64), memory.activation_bytes(cfg, 1, 256)
    fused = GPTConfig(**{**cfg.__dict__, "attn": "sdpa"})
    assert memory.activation_bytes(fused, 1, 256) == 4 * memory.activation_bytes(fused, 1, 64)
    assert large - 4 * small == 4 * 4 * 2 * (256 * 256 - 4 * 64 * 64)    # fp32 · heads · layers · (T² terms)


def test_course_rule_of_thumb():
    rule = memory.course_rule(1e9)
    assert rule["weights"] / memory.GB == 4
    assert (sum(rule.values()) - rule["weights"]) / 1e9 == 20
    assert sum(rule.values()) / memory.GB == 24
