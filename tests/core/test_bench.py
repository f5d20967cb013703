"""llmlab.bench: the FLOP count against the package formula, a hand count and torch's FLOP counter; a tiny run."""
import json

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode
from transformers import GPT2Config, GPT2LMHeadModel, T5Config, T5ForConditionalGeneration

from llmlab import bench
from llmlab.gpt import flops_per_token

pytestmark = pytest.mark.usefixtures("one_torch_thread")

V = 512


def tiny_gpt(n_layer=2, n_embd=64, n_head=4, T=32) -> GPT2LMHeadModel:
    cfg = GPT2Config(vocab_size=V, n_positions=T, n_embd=n_embd, n_layer=n_layer, n_head=n_head,
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0)
    cfg._attn_implementation = "eager"           # plain matmuls: visible to torch's FLOP counter on CPU
    return GPT2LMHeadModel(cfg)


def tiny_t5(d=48, d_kv=16, d_ff=96, heads=3, enc_layers=2, dec_layers=3) -> T5ForConditionalGeneration:
    cfg = T5Config(vocab_size=V, d_model=d, d_kv=d_kv, d_ff=d_ff, num_heads=heads, num_layers=enc_layers,
                   num_decoder_layers=dec_layers, dropout_rate=0.0, feed_forward_proj="relu",
                   decoder_start_token_id=0, pad_token_id=0)
    cfg._attn_implementation = "eager"
    return T5ForConditionalGeneration(cfg)


def counted_flops(model, batch) -> float:
    """What torch counts for one forward + backward."""
    with FlopCounterMode(display=False) as counter:
        model(**batch).loss.backward()
    return counter.get_total_flops()


def test_causal_flops_are_the_package_formula_and_what_torch_counts():
    model, B, T = tiny_gpt(), 3, 32
    x = torch.randint(1, V, (B, T))
    batch = {"input_ids": x, "labels": x}
    spec = bench.model_spec(model)
    n = sum(p.numel() for p in model.parameters()) - T * 64              # less position embeddings
    assert spec.n_params == n
    flops = bench.step_flops(spec, bench.batch_stats(batch, "causal"))
    assert flops == pytest.approx(B * T * flops_per_token(n, 2, 64, T))
    assert flops == pytest.approx(6 * n * B * T + 12 * 2 * 64 * T * B * T)
    # torch does not count LayerNorm gains and biases, which 6N includes (a fraction of a percent)
    assert flops == pytest.approx(counted_flops(model, batch), rel=0.02)


def test_padding_adds_no_model_flops():
    """Rows of 3 and 5 useful tokens in a width-5 batch: 6N·8 + 12·L·C·(3² + 5²)."""
    model = tiny_gpt()
    x = torch.randint(1, V, (2, 5))
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    s = bench.batch_stats({"input_ids": x, "attention_mask": mask, "labels": x}, "causal")
    assert s.tokens == 8 and s.dec == [3, 5] and s.dec_width == 5
    spec = bench.model_spec(model)
    assert bench.step_flops(spec, s) == pytest.approx(6 * spec.n_params * 8 + 12 * 2 * 64 * (9 + 25))


def test_seq2seq_flops_hand_count_and_torch_counter():
    d, inner, d_ff, L_e, L_d = 48, 3 * 16, 96, 2, 3
    model, B, S, U = tiny_t5(), 2, 20, 7
    batch = {"input_ids": torch.randint(1, V, (B, S)), "attention_mask": torch.ones(B, S, dtype=torch.long),
             "labels": torch.randint(1, V, (B, U))}
    s = bench.batch_stats(batch, "seq2seq")
    assert (s.tokens, s.enc, s.dec) == (B * S, [S] * B, [U] * B)
    w_enc = L_e * (4 * d * inner + 2 * d * d_ff) + L_d * 2 * d * inner     # encoder; cross-attention K, V
    w_dec = L_d * (4 * d * inner + 2 * d * inner + 2 * d * d_ff) + d * V    # self, cross Q/O, FF; LM head
    attn = 12 * inner * (L_e * S * S + L_d * U * U + L_d * U * S) * B
    hand = 6 * (w_enc * B * S + w_dec * B * U) + attn
    spec = bench.model_spec(model)
    assert bench.step_flops(spec, s) == pytest.approx(hand)
    assert bench.step_flops(spec, s) == pytest.approx(counted_flops(model, batch), rel=0.02)
    # the matmuls the peak is measured on are the same FLOPs when nothing is padded
    prods = bench.products(spec, B, {"enc": S, "dec": U})
    assert sum(c * mm.flops for _, c, mms in prods for mm in mms) == pytest.approx(hand)


def test_matmul_timing_and_own_peak():
    peaks = bench.Peaks(seconds=0.003)
    mm = bench.Matmul(2, 16, 8, 4, "nt")
    a, b = bench.operands(mm, torch.float32)
    assert (a @ b).shape == (2, 16, 4) and mm.flops == 2 * 2 * 16 * 8 * 4
    assert peaks(mm, torch.float32) > 0
    prods = [("x", 1, (mm,)), ("y", 3, (bench.Matmul(1, 8, 8, 8),))]
    rates = [peaks(m, torch.float32) for m in (mm, bench.Matmul(1, 8, 8, 8))]
    flops = [mm.flops, 3 * 2 * 8 ** 3]
    expected = sum(flops) / (flops[0] / rates[0] + flops[1] / rates[1])     # Σ FLOPs ÷ Σ time
    assert bench.own_peak(prods, peaks, torch.float32) == pytest.approx(expected)
    assert min(rates) <= expected <= max(rates)


def test_tiny_benchmark_writes_the_report(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert bench.main(["--tiny", "--recipes", "gpt-base", "t5-base", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    for key in ("cpu", "cpu_capability", "torch", "threads", "date"):
        assert report["machine"][key] not in (None, "")
    assert report["machine"]["threads"] == 1
    assert report["square"]["gflops"]["float32"] > 0
    assert [r["recipe"] for r in report["recipes"]] == ["gpt-base", "t5-base"]
    for r in report["recipes"]:
        assert r["steps"] == 3 and r["warmup_steps"] == 1 and r["same_batches"]
        for side in ("ours", "hf"):
            assert r[side]["tokens_per_s"] > 0 and r[side]["gflops"] > 0 and r[side]["mfu_square"] > 0
            assert r[side]["timed_tokens"] > 0 and r[side]["wall_s"] >= r[side]["timed_s"] > 0
        assert r["ours"]["timed_tokens"] == r["hf"]["timed_tokens"]
        assert r["ours_over_hf"] == pytest.approx(r["ours"]["tokens_per_s"] / r["hf"]["tokens_per_s"], rel=1e-2)
        assert r["own_peak_gflops"]["float32"] > 0 and sum(p["flop_share"] for p in r["products"]) == \
            pytest.approx(1, abs=1e-3)
    t5 = report["recipes"][1]
    assert t5["kind"] == "seq2seq" and t5["mean_padded_widths"]["enc"] > 0 and 0 < t5["useful_fraction"]["enc"] <= 1
    table = capsys.readouterr().out
    assert "ours/HF" in table and "own-shape peak" in table and "gpt-base" in table
