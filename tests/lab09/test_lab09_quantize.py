"""Lab 09 quantization: Conv1D -> Linear is exact, torch dynamic int8 and bitsandbytes stay close, sizes add up."""
from __future__ import annotations

import copy

import pytest
import torch
from transformers import AutoModelForCausalLM, BitsAndBytesConfig

from llmlab.lab09 import pruning, quantize

from lab09_models import tiny_gpt


def test_conv1d_to_linear_is_exact(gpt, ids):
    converted = quantize.conv1d_to_linear(copy.deepcopy(gpt))
    assert not any(type(m).__name__ == "Conv1D" for m in converted.modules())
    assert torch.allclose(converted(ids).logits, gpt(ids).logits, atol=1e-5)


def test_dynamic_int8_quantizes_the_blocks_and_stays_close(gpt, ids, recwarn):
    q = quantize.dynamic_int8(gpt)
    kinds = {type(m).__module__ for m in q.transformer.h.modules()}
    assert any("quantized" in k for k in kinds)
    assert isinstance(q.lm_head, torch.nn.Linear)                 # the head stays fp32
    ref = gpt(ids).logits
    assert (q(ids).logits - ref).abs().max() < 0.05 * ref.abs().max()
    assert not [w for w in recwarn if "deprecated" in str(w.message)]   # the deprecation warning is silenced
    assert quantize.memory_bytes(q) < quantize.memory_bytes(gpt)
    assert quantize.disk_bytes(q) < quantize.disk_bytes(gpt)


def test_memory_bytes_counts_tied_weights_once(gpt):
    assert gpt.lm_head.weight.data_ptr() == gpt.transformer.wte.weight.data_ptr()
    n = sum(p.numel() for p in gpt.parameters())                   # parameters() also counts tied ones once
    buffers = sum(b.numel() * b.element_size() for b in gpt.buffers())
    assert quantize.memory_bytes(gpt) == 4 * n + buffers


@pytest.mark.parametrize("config,layer", [(BitsAndBytesConfig(load_in_8bit=True), "Linear8bitLt"),
                                          (BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4"),
                                           "Linear4bit")])
def test_bitsandbytes_on_cpu_is_smaller_and_close(ids, tmp_path, config, layer):
    import warnings
    gpt = tiny_gpt(n_embd=64)                  # NF4 packs blocks of 64 weights
    gpt.save_pretrained(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = AutoModelForCausalLM.from_pretrained(tmp_path, quantization_config=config, device_map="cpu")
    assert type(q.transformer.h[0].mlp.c_fc).__name__ == layer
    assert quantize.memory_bytes(q) < quantize.memory_bytes(gpt)
    ref = gpt(ids).logits
    with torch.no_grad():
        got = q(ids).logits
    assert torch.corrcoef(torch.stack([got.flatten(), ref.flatten()]))[0, 1] > 0.95


def test_latency_per_token_is_positive(gpt):
    class Tok:
        pad_token_id = 0

        def __call__(self, text, return_tensors=None):
            return type("E", (), {"input_ids": torch.tensor([[2, 3, 4]])})()
    assert 0 < quantize.latency_per_token(gpt, Tok(), ["a", "b"], new_tokens=4) < 1.0


def test_interleaved_latency_times_every_model(gpt):
    class Tok:
        pad_token_id = 0

        def __call__(self, text, return_tensors=None):
            return type("E", (), {"input_ids": torch.tensor([[2, 3, 4]])})()
    small = pruning.prune_neurons(gpt, 0.5)
    got = quantize.interleaved_latency({"dense": gpt, "half the neurons": small}, Tok(), ["a", "b", "c"],
                                       new_tokens=4, rounds=2)
    assert list(got) == ["dense", "half the neurons"]
    assert all(0 < s < 1.0 for s in got.values())
