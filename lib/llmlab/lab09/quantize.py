"""Post-training quantization for CPU deployment, and how to measure a variant: bytes, latency, quality.

- ``dynamic_int8``: torch's dynamic quantization (``torch.ao.quantization.quantize_dynamic``): each
  ``nn.Linear`` weight stored as int8 with one scale per tensor, activations quantized on the fly at
  every matmul. It only knows ``nn.Linear``, and GPT-2's projections are transformers' ``Conv1D``
  (the same affine map with the weight stored transposed), so ``conv1d_to_linear`` converts them first.
- bitsandbytes int8 (LLM.int8()) and NF4 (4-bit NormalFloat, QLoRA's format) load through
  ``llmlab.zoo.load(name, quantization="int8" | "nf4")``.
Embeddings and the (tied) output head stay fp32 in every variant: for a 2,048-token vocabulary and
d = 128 they are ~40% of the model, which caps what any of these schemes saves here.
"""
from __future__ import annotations

import copy
import io
import time
import warnings
from typing import Sequence

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase
from transformers.pytorch_utils import Conv1D

MB = 1e6


def conv1d_to_linear(model: torch.nn.Module) -> torch.nn.Module:
    """Replace every transformers ``Conv1D`` (weight (in, out)) by the equal ``nn.Linear`` (weight
    (out, in)), in place; returns the model."""
    for name, child in list(model.named_children()):
        if isinstance(child, Conv1D):
            d_in, d_out = child.weight.shape
            linear = torch.nn.Linear(d_in, d_out, device=child.weight.device, dtype=child.weight.dtype)
            linear.weight.data = child.weight.data.t().contiguous()
            linear.bias.data = child.bias.data.clone()
            setattr(model, name, linear)
        else:
            conv1d_to_linear(child)
    return model


def dynamic_int8(model: PreTrainedModel) -> PreTrainedModel:
    """A copy whose transformer blocks' Linear layers are torch dynamic int8 (``quantize_dynamic``).
    The output head stays fp32 (its weight is the token embedding's: quantizing it would add a copy)."""
    model = conv1d_to_linear(copy.deepcopy(model).float().cpu())
    with warnings.catch_warnings():   # torch.ao.quantization is deprecated (torchao is its successor)
        warnings.filterwarnings("ignore", message=r"torch\.ao\.quantization is deprecated", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=r"torch\.quantize_per_tensor.*deprecated", category=UserWarning)
        torch.ao.quantization.quantize_dynamic(model.transformer.h, {torch.nn.Linear}, dtype=torch.qint8,
                                               inplace=True)
    return model.eval()


# ---- measuring a variant ------------------------------------------------------------------------
def _tensors(value) -> list[torch.Tensor]:
    """The tensors inside a state-dict value: quantized modules keep (weight, bias) tuples."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    return []


def _nbytes(t: torch.Tensor) -> int:
    return t.numel() * t.element_size()


def memory_bytes(model: torch.nn.Module) -> int:
    """Bytes of the tensors a model holds (weights, scales, quantization state), each storage once
    (tied embedding and head count once)."""
    seen, total = set(), 0
    for value in model.state_dict().values():
        for t in _tensors(value):
            key = (t.data_ptr(), t.numel(), t.dtype) if not t.is_quantized else id(t)
            if key not in seen:
                seen.add(key)
                total += _nbytes(t)
    return total


def disk_bytes(model: torch.nn.Module) -> int:
    """Size of ``torch.save(model.state_dict())``: what a checkpoint of this variant costs on disk."""
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return len(buf.getvalue())


@torch.no_grad()
def latency_per_token(model: PreTrainedModel, tok: PreTrainedTokenizerBase, prompts: Sequence[str],
                      new_tokens: int = 32, repeats: int = 1) -> float:
    """Seconds per generated token, one prompt at a time (batch 1, greedy, exactly ``new_tokens`` each,
    the KV cache on): the latency a user of a chat endpoint waits per token. Median over prompts."""
    device = next(model.parameters()).device
    ids = [tok(p, return_tensors="pt").input_ids[:, -128:].to(device) for p in prompts]
    kwargs = dict(max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                  pad_token_id=tok.pad_token_id)
    model.generate(ids[0], **kwargs)                               # warm-up
    times = []
    for x in ids * repeats:
        start = time.perf_counter()
        model.generate(x, **kwargs)
        times.append((time.perf_counter() - start) / new_tokens)
    return sorted(times)[len(times) // 2]


@torch.no_grad()
def interleaved_latency(models: dict[str, PreTrainedModel], tok: PreTrainedTokenizerBase, prompts: Sequence[str],
                        new_tokens: int = 32, rounds: int = 3) -> dict[str, float]:
    """Seconds per generated token for several models, timed side by side: in each round every model generates
    for every prompt, so a burst of load on a shared machine hits all of them alike; per prompt the fastest round
    counts (bursts only ever add time), and the median over prompts is reported."""
    ids = [tok(p, return_tensors="pt").input_ids[:, -128:] for p in prompts]
    kwargs = dict(max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                  pad_token_id=tok.pad_token_id)
    best = {name: [float("inf")] * len(ids) for name in models}
    for name, model in models.items():                             # warm-up
        model.eval().generate(ids[0].to(next(model.parameters()).device), **kwargs)
    for _ in range(rounds):
        for name, model in models.items():
            device = next(model.parameters()).device
            for i, x in enumerate(ids):
                start = time.perf_counter()
                model.generate(x.to(device), **kwargs)
                best[name][i] = min(best[name][i], (time.perf_counter() - start) / new_tokens)
    return {name: sorted(t)[len(t) // 2] for name, t in best.items()}
