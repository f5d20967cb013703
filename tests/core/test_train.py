"""The training loop's speed accounting: FLOPs per token against torch's own FLOP counter, MFU, checkpoints."""
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from llmlab.gpt import GPT, GPTConfig, flops_per_token
from llmlab.train import TrainLog, peak_flops, stream_batcher, train


@pytest.mark.parametrize("n_layer,n_embd,T", [(2, 64, 32), (3, 96, 128)])
def test_flops_per_token_matches_torch_flop_counter(n_layer, n_embd, T):
    """6N + 12·L·C·T must equal what torch counts for one forward + backward (matmuls and SDPA)."""
    # manual attention: its matmuls are visible to the counter on any device (CPU SDPA is not counted)
    model = GPT(GPTConfig(vocab_size=512, block_size=T, n_layer=n_layer, n_head=4, n_embd=n_embd, attn="manual"))
    x = torch.randint(0, 512, (2, T))
    with FlopCounterMode(display=False) as counter:
        model(x, labels=x).loss.backward()
    counted = counter.get_total_flops() / x.numel()
    # the formula also counts LayerNorm gains and biases as matmul weights (a fraction of a percent)
    assert model.flops_per_token(T) == pytest.approx(counted, rel=0.03)


def test_gpt2_124m_flops_figure():
    """GPT-2 124M at T=1024: N = 123.6M non-position parameters, ≈ 0.85 GFLOPs per trained token."""
    model = GPT(GPTConfig(vocab_size=50257))
    assert model.num_params() == 124_439_808 - 1024 * 768
    assert model.flops_per_token(1024) == pytest.approx(6 * 123_653_376 + 12 * 12 * 768 * 1024)
    assert flops_per_token(123_653_376, 12, 768, 1024) / 1e9 == pytest.approx(0.855, abs=0.001)


def test_mfu_is_achieved_over_peak():
    log = TrainLog(timed_tokens=1000, timed_seconds=2.0, flops_per_token=1e9, peak_flops=1e12)
    assert log.tokens_per_second == 500
    assert log.mfu == pytest.approx(0.5)
    assert TrainLog(timed_tokens=10, timed_seconds=1.0).mfu is None     # unknown peak: no MFU claimed
    assert peak_flops("cpu", torch.float32) == 0.0


def test_train_lowers_loss_times_after_warmup_and_checkpoints(tmp_path, one_torch_thread):
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=64, block_size=32, n_layer=1, n_head=2, n_embd=32))
    ids = [i % 17 for i in range(4000)]                     # a periodic stream: easy to learn
    log = train(model, stream_batcher(ids, 32, 8), 60, lr=3e-3, warmup=5, progress=False,
                timing_warmup=10, checkpoint=str(tmp_path / "ckpt"), log_every=5)
    assert log.loss[-1] < 0.5 * log.loss[0]
    assert log.tokens == 60 * 8 * 32 and log.timed_tokens == 50 * 8 * 32
    assert 0 < log.timed_seconds <= log.seconds
    saved = torch.load(tmp_path / "ckpt" / "model.pt", weights_only=False)
    assert saved["config"].n_embd == 32
    fresh = GPT(saved["config"])
    fresh.load_state_dict(saved["state_dict"])
    x = torch.tensor([ids[:32]])
    assert torch.equal(fresh(x).logits, model(x).logits)


def test_schedules_and_callback(one_torch_thread):
    from llmlab.train import lr_at
    assert lr_at(0, 100, 1.0, 10) == pytest.approx(0.1)
    assert lr_at(99, 100, 1.0, 10) == pytest.approx(0.1, abs=0.01)              # cosine ends at 10%
    assert lr_at(99, 100, 1.0, 10, "constant") == 1.0
    with pytest.raises(ValueError, match="cosine"):
        lr_at(5, 100, 1.0, 10, "linear")
    model = GPT(GPTConfig(vocab_size=32, block_size=16, n_layer=1, n_head=2, n_embd=16))
    seen = []
    train(model, stream_batcher(list(range(32)) * 20, 16, 4), 5, progress=False,
          callback=lambda n, m: seen.append((n, m.training)))
    assert seen == [(i, True) for i in range(1, 6)]


def test_mfu_setups_build_and_run_on_a_tiny_shape():
    """Every setup of `python -m llmlab.mfu` builds and trains (CPU, tiny shape, no compile), so a
    lent GPU's minutes are not lost to a typo; the MFU itself is measured on the GPU (tests/core/test_gpu.py)."""
    from dataclasses import replace

    from llmlab.gpt import GPTConfig
    from llmlab.mfu import SETUPS, measure
    cfg = GPTConfig(vocab_size=128, block_size=16, n_layer=1, n_head=2, n_embd=16)
    for setup in SETUPS:
        out = measure(replace(setup, compile=False, batch_size=2), steps=2, seq_len=16, device="cpu", cfg=cfg)
        assert out["bias"] == setup.bias and out["final_loss"] > 0, setup.name


def test_length_grouped_batches_pad_less_and_cover_every_example():
    """Batches of similar length (HF's group_by_length idea) waste less padding than random batches,
    and every example is still drawn (uniformly, with replacement)."""
    import random

    from llmlab.train import length_grouped, pad, sft_batcher
    rng = random.Random(0)
    pairs = [([1] * rng.randint(5, 120), [2] * rng.randint(1, 30)) for _ in range(400)]
    lengths = [len(p) + len(r) for p, r in pairs]
    draw = length_grouped(lengths, 16, random.Random(1))
    batches = [draw() for _ in range(400)]
    assert all(len(b) == 16 for b in batches)
    useful = sum(lengths[i] for b in batches for i in b) / sum(16 * max(lengths[i] for i in b) for b in batches)
    plain_rng = random.Random(1)
    plain = [[plain_rng.randrange(400) for _ in range(16)] for _ in range(400)]
    useful_plain = sum(lengths[i] for b in plain for i in b) / sum(16 * max(lengths[i] for i in b) for b in plain)
    assert useful > 0.9 > 0.7 > useful_plain, (useful, useful_plain)
    seen = {i for b in batches for i in b}
    assert len(seen) > 0.95 * 400                                # 6,400 draws of 400 examples: all but a few
    batch = sft_batcher(pairs, 16, pad_id=0, seed=3)(0)
    assert batch["input_ids"].shape == batch["labels"].shape == batch["attention_mask"].shape
    assert torch.equal(batch["attention_mask"].sum(1), torch.tensor([len(r) for r in batch["input_ids"].tolist()])
                       - (batch["input_ids"] == 0).sum(1))
    assert pad([[1, 2], [3]], 0).tolist() == [[1, 2], [3, 0]]


def test_autocast_policy_and_amp_argument(one_torch_thread, monkeypatch):
    from llmlab import train as trainer
    monkeypatch.setattr(trainer, "cpu_has_fast_bf16", lambda: True)
    assert trainer.autocast_dtype("cpu", 128) is torch.bfloat16
    assert trainer.autocast_dtype("cpu", 64) is None                 # tiny models: casts cost more
    monkeypatch.setattr(trainer, "cpu_has_fast_bf16", lambda: False)
    assert trainer.autocast_dtype("cpu", 4096) is None                # no bf16 hardware: fp32
    wide = GPT(GPTConfig(vocab_size=32, block_size=16, n_layer=1, n_head=2, n_embd=128))
    assert trainer.model_width(wide) == 128
    monkeypatch.setattr(trainer, "cpu_has_fast_bf16", lambda: True)
    log = train(wide, stream_batcher(list(range(32)) * 20, 16, 4), 2, progress=False)
    assert log.amp == "bfloat16"
    log = train(wide, stream_batcher(list(range(32)) * 20, 16, 4), 2, progress=False, amp_dtype=None)
    assert log.amp == "fp32"
    with pytest.raises(ValueError, match="auto"):
        train(wide, stream_batcher(list(range(32)) * 20, 16, 4), 2, progress=False, amp_dtype="bf16")
