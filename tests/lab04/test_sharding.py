"""llmlab.lab04.sharding: two torchrun processes (gloo) give one process's losses under DDP and FSDP2,
with the expected per-rank bytes and collectives. Starts real processes: about 15 s."""
from __future__ import annotations

import pytest
import torch

from llmlab.gpt import GPTConfig
from llmlab.lab04 import sharding


@pytest.fixture(scope="module")
def runs():
    cfg = GPTConfig(vocab_size=128, block_size=32, n_layer=2, n_head=2, n_embd=32)
    tokens = torch.arange(5000) % 13                     # a repeating pattern: learnable in a few steps
    single = sharding.launch(["ddp"], tokens, cfg, nproc=1, steps=3, batch_size=4, seq_len=32)["ddp"]
    multi = sharding.launch(["ddp", "zero1", "fsdp"], tokens, cfg, nproc=2, steps=3, batch_size=4, seq_len=32)
    return single, multi


def test_same_losses_as_one_process(runs):
    single, multi = runs
    for name, r in multi.items():
        assert r.world_size == 2 and len(r.losses) == 3
        assert max(abs(a - b) for a, b in zip(r.losses, single.losses)) < 1e-5, name
    assert single.losses[-1] < single.losses[0]


def test_per_rank_bytes_and_collectives(runs):
    single, multi = runs
    full = single.ranks[0]
    assert full.param_bytes == 4 * single.n_params and full.optimizer_bytes == 2 * full.param_bytes
    ddp, zero1, fsdp = multi["ddp"].ranks, multi["zero1"].ranks, multi["fsdp"].ranks
    assert all(r.param_bytes == full.param_bytes for r in ddp)
    assert sum(r.optimizer_bytes for r in zero1) == full.optimizer_bytes          # partitioned, not copied
    assert sum(r.param_bytes for r in fsdp) == pytest.approx(full.param_bytes, rel=0.02)   # dim-0 padding
    assert set(ddp[0].comm_calls) == {"allreduce"} and ddp[0].comm_payload["allreduce"] == full.param_bytes
    assert {"allgather", "reduce_scatter"} <= set(fsdp[0].comm_calls)
    assert fsdp[0].sent_bytes(2) == pytest.approx(1.5 * ddp[0].sent_bytes(2), rel=0.05)


def test_unknown_strategy_is_named():
    with pytest.raises(ValueError, match="unknown strategy 'zero4'"):
        sharding.launch(["zero4"], torch.zeros(100, dtype=torch.long), GPTConfig(n_layer=1))
