"""How close training on this CPU gets to the machine's own limit, as ratios: ``python -m llmlab.bench``.

Measured in one run, on the machine it runs on, with the same torch thread count throughout:

1. **matmul peak**: achieved GFLOP/s of ``torch.matmul`` in fp32 (and bf16 where the CPU does bf16 fast)
   at a large square (2048³) and at every product the zoo models compute in a training step: each
   Linear/Conv1D's forward, input-gradient and weight-gradient matmul, and attention's batched QKᵀ and AV
   (forward and backward), at the recipe's real batch size and (mean padded) sequence lengths;
2. **ours**: each zoo recipe trained through ``llmlab.train.train`` for a few steps on its real batches
   (the recipe's data builder, batch size, sequence length and model config), warm-up steps excluded;
3. **theirs**: the same model, batches and steps through ``transformers.Trainer``, the loop a user would
   otherwise pick (a Dataset whose rows, read in order, rebuild exactly our batches).

Why ratios: a CPU has no honest data-sheet peak (AVX-512 clocks, turbo, cores shared with other work),
and tokens/s on a loaded 2-core box say little about another machine. What transfers is how far a step
is from the limit measured on the same machine in the same minute: CPU MFU = achieved model FLOP/s ÷
measured matmul FLOP/s (vs the large square, and vs the model's own shapes, FLOP-weighted), and
ours ÷ Trainer in tokens/s on identical batches.

Model FLOPs per step, PaLM's convention (App. B), on useful tokens only (padding costs time, not FLOPs);
a row of the batch has l useful tokens (s source and u target tokens for the encoder-decoder):

    causal    6·N·Σl + 12·L·C·Σl²       N: parameters less position embeddings = llmlab.gpt.flops_per_token
                                         at T = Σl²/Σl (= seq_len for unpadded stream batches)
    seq2seq   6·(W_enc·Σs + W_dec·Σu) + 12·H·D·(L_enc·Σs² + L_dec·Σu² + L_dec·Σs·u)
              W_enc: weights applied to source positions (encoder, and the decoder's cross-attention K, V);
              W_dec: those applied to target positions (decoder, cross-attention Q and O, the LM head)

Tokens/s counts tokens as ``train()`` does (the attention mask's sum, else every position): for T5 that is
source tokens only; the JSON also records target tokens.

    python -m llmlab.bench [--recipes gpt-base t5-base] [--steps 30] [--amp bf16] [--compile] [--threads 2]
    python -m llmlab.bench --tiny          # tiny shapes, 3 steps: checks that it runs (tests)
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import json
import logging
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
import transformers
from transformers.pytorch_utils import Conv1D

from llmlab.gpt import flops_per_token
from llmlab.train import IGNORE, Batch, train
from llmlab.zoo import DATA, RECIPES, Recipe, load_tokenizer, untrained

Batcher = Callable[[int], Batch]

# --tiny: shapes that train in milliseconds (seq_len > 64: instruction_pairs keeps seq_len - 64 prompt tokens)
TINY_CONFIG = {"causal": {"n_embd": 32, "n_layer": 1, "n_head": 2, "n_positions": 96},
               "seq2seq": {"d_model": 32, "d_kv": 8, "d_ff": 64, "num_layers": 1, "num_decoder_layers": 1,
                           "num_heads": 4}}
TINY = {"batch_size": 2, "seq_len": 96}


# ---- the machine ------------------------------------------------------------------------------------
def cpu_model() -> str:
    """lscpu's "Model name", else /proc/cpuinfo's, else platform.processor()."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=5).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine() -> dict:
    return {"cpu": cpu_model(), "processor": platform.processor(), "platform": platform.platform(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(), "cpu_count": os.cpu_count(),
            "threads": torch.get_num_threads(), "torch": torch.__version__, "transformers": transformers.__version__,
            "python": platform.python_version(), "load_avg": list(os.getloadavg()),
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}


# ---- matmul peak -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Matmul:
    """One product: ``batch`` × (m, k) @ (k, n). ``layout`` "nt": the right operand is a transposed view
    (x @ Wᵀ, an input gradient); "tn": the left one is (xᵀ @ dy, a weight gradient)."""
    batch: int
    m: int
    k: int
    n: int
    layout: str = "nn"

    @property
    def flops(self) -> float:
        return 2.0 * self.batch * self.m * self.k * self.n

    def __str__(self) -> str:
        b = f"{self.batch}×" if self.batch > 1 else ""
        return f"{b}{self.m}×{self.k} @ {self.k}×{self.n}" + ("" if self.layout == "nn" else f" ({self.layout})")


def operands(mm: Matmul, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    lead = (mm.batch,) if mm.batch > 1 else ()
    a = torch.randn(*lead, mm.k, mm.m, dtype=dtype).transpose(-2, -1) if mm.layout == "tn" \
        else torch.randn(*lead, mm.m, mm.k, dtype=dtype)                                   # (…, m, k)
    b = torch.randn(*lead, mm.n, mm.k, dtype=dtype).transpose(-2, -1) if mm.layout == "nt" \
        else torch.randn(*lead, mm.k, mm.n, dtype=dtype)                                   # (…, k, n)
    return a, b


def time_matmul(mm: Matmul, dtype: torch.dtype, seconds: float = 0.3, repeats: int = 3) -> float:
    """Achieved GFLOP/s of ``torch.matmul`` on ``mm``: warm up, then the best of ``repeats`` timings of
    enough calls to fill ``seconds / repeats`` each."""
    a, b = operands(mm, dtype)
    for _ in range(3):
        torch.matmul(a, b)
    t0 = time.perf_counter()
    for _ in range(5):
        torch.matmul(a, b)
    per_call = (time.perf_counter() - t0) / 5
    calls = max(1, math.ceil(seconds / repeats / max(per_call, 1e-7)))
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            torch.matmul(a, b)
        best = min(best, (time.perf_counter() - t0) / calls)
    return mm.flops / best / 1e9


class Peaks:
    """Measured GFLOP/s per (product, dtype), each shape timed once per run."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.rates: dict[tuple[Matmul, torch.dtype], float] = {}

    def __call__(self, mm: Matmul, dtype: torch.dtype) -> float:
        if (mm, dtype) not in self.rates:
            self.rates[(mm, dtype)] = time_matmul(mm, dtype, self.seconds)
        return self.rates[(mm, dtype)]


def bf16_is_fast(peaks: Peaks, size: int = 512) -> tuple[bool, str]:
    """bf16 counts as supported when the CPU has AVX-512 (or AMX), oneDNN says bf16 works, and a
    ``size``³ bf16 matmul is at least 0.8× as fast as fp32 (emulated bf16 is far slower)."""
    cap = torch.backends.cpu.get_cpu_capability()
    if not ("AVX512" in cap or "AMX" in cap):
        return False, f"cpu capability {cap}: no AVX-512"
    if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return False, "oneDNN reports no bf16 support"
    sq = Matmul(1, size, size, size)
    fp32, bf16 = peaks(sq, torch.float32), peaks(sq, torch.bfloat16)
    fast = bf16 >= 0.8 * fp32
    return fast, f"{cap}; {size}³ bf16 {bf16:.0f} vs fp32 {fp32:.0f} GFLOP/s"


# ---- what a model multiplies, and its FLOPs -----------------------------------------------------------
@dataclass(frozen=True)
class Dense:
    """``count`` layers of one name pattern mapping k → n features at every position of one side."""
    name: str           # e.g. "transformer.h.*.mlp.c_fc"
    count: int
    k: int
    n: int
    side: str           # "enc" (source positions) or "dec" (target positions; a causal LM is all decoder)


@dataclass(frozen=True)
class Attention:
    """``count`` attention layers, queries from side ``q`` over keys from side ``kv``."""
    name: str
    count: int
    q: str
    kv: str
    heads: int
    head_dim: int


@dataclass(frozen=True)
class ModelSpec:
    kind: str                         # "causal" | "seq2seq"
    dense: tuple[Dense, ...]
    attention: tuple[Attention, ...]
    n_params: int                     # causal: parameters less position embeddings (the N of 6N)
    n_layer: int = 0
    n_embd: int = 0


def dense_layers(model: torch.nn.Module, encoder_decoder: bool) -> tuple[Dense, ...]:
    """Every Linear / Conv1D, grouped by name with layer indices as ``*``."""
    groups: dict[str, list] = {}
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear):
            k, n = module.in_features, module.out_features
        elif isinstance(module, Conv1D):                     # GPT-2: weight (in, out)
            k, n = module.weight.shape
        else:
            continue
        side = "enc" if encoder_decoder and (name.startswith("encoder.") or
                                            name.endswith(("EncDecAttention.k", "EncDecAttention.v"))) else "dec"
        pattern = re.sub(r"\.\d+\.", ".*.", name)
        g = groups.setdefault(pattern, [0, k, n, side])
        g[0] += 1
    return tuple(Dense(p, c, k, n, s) for p, (c, k, n, s) in groups.items())


def model_spec(model: torch.nn.Module) -> ModelSpec:
    cfg = model.config
    if cfg.is_encoder_decoder:   # T5
        h, d = cfg.num_heads, cfg.d_kv
        attn = (Attention("encoder self-attention", cfg.num_layers, "enc", "enc", h, d),
                Attention("decoder self-attention", cfg.num_decoder_layers, "dec", "dec", h, d),
                Attention("cross-attention", cfg.num_decoder_layers, "dec", "enc", h, d))
        return ModelSpec("seq2seq", dense_layers(model, True), attn, 0)
    positions = sum(p.numel() for n, p in model.named_parameters() if "wpe" in n.split("."))
    n_params = sum(p.numel() for p in model.parameters()) - positions      # tied wte/lm_head counted once
    attn = (Attention("attention", cfg.n_layer, "dec", "dec", cfg.n_head, cfg.n_embd // cfg.n_head),)
    return ModelSpec("causal", dense_layers(model, False), attn, n_params, cfg.n_layer, cfg.n_embd)


@dataclass
class BatchStats:
    """What a batch holds, for the FLOP count and the shapes: useful lengths per row, padded widths."""
    tokens: int                 # as train() counts them: attention_mask.sum(), else input_ids.numel()
    dec: list[int]              # target (causal: sequence) tokens per row
    enc: list[int]              # source tokens per row (seq2seq; empty for a causal LM)
    dec_width: int
    enc_width: int
    checksum: int               # to check that two loops saw the same batches
    seconds: float = 0.0        # time the batcher took


def batch_stats(batch: Batch, kind: str) -> BatchStats:
    ids = batch["input_ids"]                                                # (B, T) or (B, S)
    mask = batch.get("attention_mask")
    lens = (mask.sum(1) if mask is not None else torch.full((ids.shape[0],), ids.shape[1])).tolist()
    tokens = int(mask.sum()) if mask is not None else ids.numel()
    checksum = int(ids.sum()) + 7 * int(batch["labels"].clamp(min=0).sum())
    if kind == "seq2seq":
        labels = batch["labels"]                                            # (B, U)
        return BatchStats(tokens, (labels != IGNORE).sum(1).tolist(), lens, labels.shape[1], ids.shape[1], checksum)
    return BatchStats(tokens, lens, [], ids.shape[1], 0, checksum)


def step_flops(spec: ModelSpec, s: BatchStats) -> float:
    """Model FLOPs of one training step (forward + backward) on the useful tokens of one batch."""
    rows = {"enc": s.enc, "dec": s.dec}
    attn = sum(12 * a.count * a.heads * a.head_dim * sum(q * k for q, k in zip(rows[a.q], rows[a.kv]))
               for a in spec.attention)
    if spec.kind == "causal":   # = Σl · llmlab.gpt.flops_per_token(N, L, C, T = Σl²/Σl)
        n_tok, sq = sum(s.dec), sum(x * x for x in s.dec)
        return n_tok * flops_per_token(spec.n_params, spec.n_layer, spec.n_embd, sq / max(n_tok, 1))
    return 6.0 * sum(d.count * d.k * d.n * sum(rows[d.side]) for d in spec.dense) + attn


def products(spec: ModelSpec, batch_size: int, widths: dict[str, int]) -> list[tuple[str, int, tuple[Matmul, ...]]]:
    """(name, count, matmuls) of one training step at the given padded widths: a dense layer's forward
    x @ W, input gradient dy @ Wᵀ and weight gradient xᵀ @ dy; attention's QKᵀ, AV and their gradients."""
    out = []
    for d in spec.dense:
        m = batch_size * widths[d.side]
        out.append((d.name, d.count, (Matmul(1, m, d.k, d.n), Matmul(1, m, d.n, d.k, "nt"),
                                      Matmul(1, d.k, m, d.n, "tn"))))
    for a in spec.attention:
        bh, tq, tk, hd = batch_size * a.heads, widths[a.q], widths[a.kv], a.head_dim
        qk, av = Matmul(bh, tq, hd, tk, "nt"), Matmul(bh, tq, tk, hd)          # scores, weighted values
        out.append((a.name, a.count, (qk, av, qk,                              # forward; dA = dO Vᵀ
                                      Matmul(bh, tk, tq, hd, "tn"), av,        # dV = Aᵀ dO; dQ = dS K
                                      Matmul(bh, tk, tq, hd, "tn"))))          # dK = dSᵀ Q
    return out


def own_peak(prods: list[tuple[str, int, tuple[Matmul, ...]]], peaks: Peaks, dtype: torch.dtype) -> float:
    """The GFLOP/s the step's matmuls would reach if each ran at its measured speed: Σ FLOPs ÷ Σ time."""
    flops = sum(c * mm.flops for _, c, mms in prods for mm in mms)
    seconds = sum(c * mm.flops / (peaks(mm, dtype) * 1e9) for _, c, mms in prods for mm in mms)
    return flops / seconds / 1e9


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


# ---- the two training loops ---------------------------------------------------------------------------
class Recorder:
    """A batcher that remembers what it served (and how long it took), step by step."""

    def __init__(self, next_batch: Batcher, kind: str):
        self.next_batch, self.kind = next_batch, kind
        self.stats: dict[int, BatchStats] = {}

    def __call__(self, step: int) -> Batch:
        t0 = time.perf_counter()
        batch = self.next_batch(step)
        seconds = time.perf_counter() - t0
        self.stats[step] = dataclasses.replace(batch_stats(batch, self.kind), seconds=seconds)
        return batch


class BatchRows(torch.utils.data.Dataset):
    """Row i is row i % B of batch i // B: read in order, B at a time, it gives the batches back."""

    def __init__(self, next_batch: Batcher, batch_size: int, steps: int):
        self.next_batch, self.batch_size, self.steps = next_batch, batch_size, steps
        self._step, self._batch = -1, {}

    def __len__(self) -> int:
        return self.steps * self.batch_size

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        step, row = divmod(i, self.batch_size)
        if step != self._step:
            self._step, self._batch = step, self.next_batch(step)
        return {k: v[row] for k, v in self._batch.items()}                  # (T,) each


@dataclass
class Run:
    wall_s: float                    # the whole loop: set-up, compilation and warm-up steps included
    timed_s: float                   # steps after the warm-up ...
    timed_tokens: int                # ... and their tokens
    final_loss: float
    stats: dict[int, BatchStats] = field(repr=False)

    @property
    def tokens_per_s(self) -> float:
        return self.timed_tokens / self.timed_s if self.timed_s > 0 else 0.0


def run_ours(model: torch.nn.Module, batcher: Batcher, r: Recipe, steps: int, warmup_steps: int,
             amp: torch.dtype | None, compile: bool) -> Run:
    rec = Recorder(batcher, r.kind)
    log = train(model, rec, steps, lr=r.lr, warmup=r.warmup, progress=False, amp_dtype=amp, compile=compile,
                timing_warmup=warmup_steps, log_every=10, desc=r.name)
    return Run(log.seconds, log.timed_seconds, log.timed_tokens, log.loss[-1], rec.stats)


def run_hf(model: torch.nn.Module, batcher: Batcher, r: Recipe, steps: int, warmup_steps: int,
           amp: torch.dtype | None, compile: bool) -> Run:
    """The same steps through ``transformers.Trainer`` (AdamW, cosine with warm-up, clipping, CPU)."""
    from transformers import Trainer, TrainerCallback, TrainingArguments
    from transformers.trainer_callback import PrinterCallback

    class StepClock(TrainerCallback):
        def __init__(self):
            self.begin, self.ends = 0.0, []

        def on_train_begin(self, args, state, control, **kwargs):
            self.begin = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            self.ends.append(time.perf_counter())

    rec, clock, threads = Recorder(batcher, r.kind), StepClock(), torch.get_num_threads()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(
            output_dir=tmp, per_device_train_batch_size=r.batch_size, max_steps=steps, learning_rate=r.lr,
            warmup_steps=r.warmup, lr_scheduler_type="cosine", weight_decay=0.01, max_grad_norm=1.0,
            report_to=[], logging_steps=10, save_strategy="no", use_cpu=True, dataloader_num_workers=0,
            dataloader_pin_memory=False, disable_tqdm=True, train_sampling_strategy="sequential",
            bf16=amp == torch.bfloat16, torch_compile=compile)
        trainer = Trainer(model=model, args=args, train_dataset=BatchRows(rec, r.batch_size, steps),
                          callbacks=[clock])
        trainer.remove_callback(PrinterCallback)                            # it prints every log to stdout
        trainer.train()
    wall = time.perf_counter() - start
    torch.set_num_threads(threads)                                          # in case accelerate changed it
    t0 = clock.ends[warmup_steps - 1] if warmup_steps > 0 else clock.begin
    # Trainer logs the mean loss since its previous log (train_loss: the run's mean), not the last step's
    history = trainer.state.log_history
    losses = [h["loss"] for h in history if "loss" in h] or [h["train_loss"] for h in history if "train_loss" in h]
    timed = sum(s.tokens for step, s in rec.stats.items() if step >= warmup_steps)
    return Run(wall, clock.ends[-1] - t0, timed, losses[-1] if losses else math.nan, rec.stats)


# ---- one recipe -------------------------------------------------------------------------------------
def tiny_recipe(r: Recipe) -> Recipe:
    return dataclasses.replace(r, config={**r.config, **TINY_CONFIG[r.kind]}, **TINY)


def build_model(r: Recipe, tok) -> torch.nn.Module:
    """``zoo.untrained`` for the recipe; a modified (tiny) recipe is registered under a temporary name."""
    if RECIPES.get(r.name) is r:
        return untrained(r.name, tok)
    name = f"{r.name}~bench"
    RECIPES[name] = dataclasses.replace(r, name=name)
    try:
        return untrained(name, tok)
    finally:
        del RECIPES[name]


def timed_stats(run: Run, warmup_steps: int) -> list[BatchStats]:
    return [s for step, s in sorted(run.stats.items()) if step >= warmup_steps]


def useful_fraction(stats: list[BatchStats], batch_size: int) -> dict[str, float]:
    """Useful tokens ÷ positions computed, per side: what padding to the batch's longest row costs."""
    out = {"dec": sum(sum(s.dec) for s in stats) / (batch_size * sum(s.dec_width for s in stats))}
    if any(s.enc for s in stats):
        out["enc"] = sum(sum(s.enc) for s in stats) / (batch_size * sum(s.enc_width for s in stats))
    return {k: round(v, 3) for k, v in out.items()}


def speed(run: Run, spec: ModelSpec, warmup_steps: int, peak: dict[str, float]) -> dict:
    stats = timed_stats(run, warmup_steps)
    flops = sum(step_flops(spec, s) for s in stats)
    gflops = flops / run.timed_s / 1e9 if run.timed_s > 0 else 0.0
    return {"tokens_per_s": round(run.tokens_per_s, 1), "gflops": round(gflops, 2),
            "mfu_square": round(gflops / peak["square"], 4) if peak.get("square") else None,
            "mfu_own": round(gflops / peak["own"], 4) if peak.get("own") else None,
            "wall_s": round(run.wall_s, 2), "timed_s": round(run.timed_s, 3),
            "warmup_s": round(run.wall_s - run.timed_s, 2), "timed_tokens": run.timed_tokens,
            "timed_dec_tokens": sum(sum(s.dec) for s in stats),
            "batcher_ms_per_step": round(1e3 * sum(s.seconds for s in run.stats.values()) / len(run.stats), 3),
            "final_loss": round(run.final_loss, 4)}


def product_record(name: str, count: int, mms: tuple[Matmul, ...], total_flops: float, peaks: Peaks,
                   dtypes: list[torch.dtype]) -> dict:
    """A layer's matmuls with their measured GFLOP/s, and the layer's own (Σ FLOPs ÷ Σ time) per dtype."""
    names = [dtype_name(dt) for dt in dtypes]
    flops = sum(mm.flops for mm in mms)
    layer = {k: flops / sum(mm.flops / peaks(mm, dt) for mm in mms) for k, dt in zip(names, dtypes)}
    return {"name": name, "count": count, "flop_share": round(count * flops / total_flops, 4),
            "gflops": {k: round(v, 2) for k, v in layer.items()},
            "matmuls": [{"shape": str(mm), "gflop": mm.flops / 1e9,
                         **{k: round(peaks(mm, dt), 2) for k, dt in zip(names, dtypes)}} for mm in mms]}


def bench_recipe(r: Recipe, tok, args, peaks: Peaks, square: dict[torch.dtype, float],
                 dtypes: list[torch.dtype], amp: torch.dtype | None) -> dict:
    steps, warm = args.steps, args.warmup_steps
    log = lambda msg: print(f"bench: {r.name}: {msg}", file=sys.stderr, flush=True)   # noqa: E731
    log(f"ours, {steps} steps ({warm} warm-up)")
    model = build_model(r, tok)
    spec = model_spec(model)
    info = {"attn_implementation": model.config._attn_implementation,
            "dropout": {k: getattr(model.config, k) for k in ("resid_pdrop", "embd_pdrop", "attn_pdrop",
                                                               "dropout_rate") if hasattr(model.config, k)}}
    ours = run_ours(model, DATA[r.data](r, tok), r, steps, warm, amp, args.compile)
    stats = timed_stats(ours, warm)
    widths = {"dec": round(sum(s.dec_width for s in stats) / len(stats)),
              "enc": round(sum(s.enc_width for s in stats) / len(stats))}
    log(f"matmuls at B={r.batch_size}, widths {widths}")
    prods = products(spec, r.batch_size, widths)
    peak = {dtype_name(dt): {"square": square[dt], "own": own_peak(prods, peaks, dt)} for dt in dtypes}
    compute = dtype_name(amp or torch.float32)
    hf = None
    if not args.no_hf:
        log("transformers.Trainer")
        hf = run_hf(build_model(r, tok), DATA[r.data](r, tok), r, steps, warm, amp, args.compile)
    total_flops = sum(c * mm.flops for _, c, mms in prods for mm in mms)
    out = {"recipe": r.name, "kind": r.kind, "config": r.config, "batch_size": r.batch_size, "seq_len": r.seq_len,
           "params": sum(p.numel() for p in model.parameters()), "steps": steps, "warmup_steps": warm,
           "amp": str(amp) if amp else None, "compile": args.compile, "compute_dtype": compute, **info,
           "flops_per_step": round(sum(step_flops(spec, s) for s in stats) / len(stats)),
           "mean_padded_widths": widths, "useful_fraction": useful_fraction(stats, r.batch_size),
           "own_peak_gflops": {k: round(v["own"], 2) for k, v in peak.items()},
           "ours": speed(ours, spec, warm, peak.get(compute, {})),
           "products": [product_record(n, c, mms, total_flops, peaks, dtypes) for n, c, mms in prods]}
    if hf is not None:
        out["hf"] = speed(hf, spec, warm, peak.get(compute, {}))
        out["same_batches"] = all(ours.stats[i].checksum == hf.stats[i].checksum and
                                  ours.stats[i].tokens == hf.stats[i].tokens for i in range(steps))
        out["ours_over_hf"] = round(ours.tokens_per_s / hf.tokens_per_s, 3) if hf.tokens_per_s else None
    return out


# ---- output -----------------------------------------------------------------------------------------
def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def _rate(report: dict, key: str, dt: str) -> str:
    v = report.get(key, {}).get(dt) if isinstance(report.get(key), dict) else None
    return "n/a" if v is None else f"{v:,.1f}"


def matmul_table(report: dict) -> list[str]:
    dts = ["float32", "bfloat16"]
    lines = [f"matmul GFLOP/s (torch.matmul, best of 3; bf16: {report['bf16']['note']})",
             f"  {'product (layer ×count, forward shape)':68s} {'FLOPs':>6s} {'fp32':>8s} {'bf16':>8s}"]
    sq = report["square"]
    lines.append(f"  {'square ' + sq['shape']:68s} {'':6s} " + " ".join(f"{_rate(sq, 'gflops', d):>8s}" for d in dts))
    seen: dict[str, str] = {}
    for rec in report["recipes"]:
        key = json.dumps(rec["products"], sort_keys=True)
        if key in seen:
            lines.append(f"  {rec['recipe']}: the same products as {seen[key]}")
            continue
        seen[key] = rec["recipe"]
        lines.append(f"  {rec['recipe']} (B={rec['batch_size']}, padded widths {rec['mean_padded_widths']})")
        for p in merged_products(rec["products"]):
            label = f"{p['name']} ×{p['count']}  {p['matmuls'][0]['shape']}"
            lines.append(f"    {label[:66]:66s} {p['flop_share']:>6.0%} "
                         + " ".join(f"{_rate(p, 'gflops', d):>8s}" for d in dts))
        lines.append(f"    {'own-shape peak (FLOP-weighted)':66s} {'':6s} "
                     + " ".join(f"{_rate(rec, 'own_peak_gflops', d):>8s}" for d in dts))
    return lines


def short_name(name: str) -> str:
    """transformer.h.*.attn.c_attn -> attn.c_attn; encoder.block.*.layer.*.SelfAttention.q -> encoder.SelfAttention.q"""
    return re.sub(r"^transformer\.|(h|block|layer)\.\*\.", "", name)


def merged_products(prods: list[dict]) -> list[dict]:
    """For display: layers whose matmuls have the same shapes in one row (encoder.SelfAttention.{q,k,v,o})."""
    groups: dict[str, list[dict]] = {}
    for p in prods:
        groups.setdefault(json.dumps(p["matmuls"], sort_keys=True), []).append(p)
    out = []
    for same in groups.values():
        names = [short_name(p["name"]) for p in same]
        head = os.path.commonprefix(names).rpartition(".")[0]
        label = names[0] if len(names) == 1 else \
            f"{head}.{{{','.join(n[len(head) + 1:] for n in names)}}}" if head else " + ".join(names)
        out.append({**same[0], "name": label, "count": sum(p["count"] for p in same),
                    "flop_share": sum(p["flop_share"] for p in same)})
    return out


def training_table(report: dict) -> list[str]:
    lines = [f"{'recipe':14s} {'tok/s':>8s} {'GFLOP/s':>8s} {'MFU sq':>7s} {'MFU own':>7s} {'HF tok/s':>9s} "
             f"{'ours/HF':>7s} {'wall s ours/HF':>15s} {'untimed s ours/HF':>18s}"]
    for rec in report["recipes"]:
        o, h = rec["ours"], rec.get("hf")
        hf_tok = f"{h['tokens_per_s']:,.0f}" if h else "-"
        ratio = f"{rec['ours_over_hf']:.2f}×" if h and rec.get("ours_over_hf") else "-"
        wall = f"{o['wall_s']:.1f} / {h['wall_s']:.1f}" if h else f"{o['wall_s']:.1f}"
        warm = f"{o['warmup_s']:.1f} / {h['warmup_s']:.1f}" if h else f"{o['warmup_s']:.1f}"
        lines.append(f"{rec['recipe']:14s} {o['tokens_per_s']:>8,.0f} {o['gflops']:>8,.1f} {_pct(o['mfu_square']):>7s} "
                     f"{_pct(o['mfu_own']):>7s} {hf_tok:>9s} {ratio:>7s} {wall:>15s} {warm:>18s}")
    return lines


def print_report(report: dict) -> None:
    m = report["machine"]
    print(f"llmlab.bench · {m['cpu']} · {m['cpu_capability']} · torch {m['torch']} · "
          f"transformers {m['transformers']} · {m['threads']} thread(s) · load {m['load_avg'][0]:.1f} · {m['date']}")
    o = report["options"]
    print(f"{o['steps']} steps, {o['warmup_steps']} warm-up steps untimed · amp {o['amp'] or 'none'} · "
          f"compile {o['compile']}{' · TINY shapes' if o['tiny'] else ''}")
    print("Ratios are the result; absolute numbers depend on this machine and its load.\n")
    print("\n".join(matmul_table(report)))
    dt = "bf16" if o["amp"] else "fp32"
    print(f"\ntraining (MFU = model FLOP/s ÷ measured {dt} matmul GFLOP/s at the large square | at the model's "
          "own shapes;\n tok/s as train() counts tokens: for T5, source tokens)")
    print("\n".join(training_table(report)))
    odd = [r["recipe"] for r in report["recipes"] if r.get("same_batches") is False]
    if odd:
        print(f"WARNING: Trainer did not see the same batches for {', '.join(odd)}")


# ---- command line ----------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    models = [n for n, r in RECIPES.items() if r.kind in ("causal", "seq2seq")]
    ap = argparse.ArgumentParser(prog="python -m llmlab.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--recipes", nargs="+", default=models, choices=models, metavar="NAME",
                    help=f"zoo recipes to train (default: all of {', '.join(models)})")
    ap.add_argument("--steps", type=int, help="optimizer steps per loop (default 30; --tiny 3)")
    ap.add_argument("--warmup-steps", type=int, help="first steps left out of the timing (default 5; --tiny 1)")
    ap.add_argument("--amp", choices=["none", "bf16"], default="none", help="bf16 autocast in both loops")
    ap.add_argument("--compile", action="store_true",
                    help="torch.compile in both loops: compile time shows in wall and untimed s; padded recipes "
                         "(gpt-instruct, t5-base) recompile for new widths, so give them more --warmup-steps")
    ap.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's, e.g. $OMP_NUM_THREADS)")
    ap.add_argument("--matmul-seconds", type=float, help="time per matmul shape (default 0.3; --tiny 0.01)")
    ap.add_argument("--square", type=int, help="side of the large square matmul (default 2048; --tiny 256)")
    ap.add_argument("--no-hf", action="store_true", help="skip the transformers.Trainer baseline")
    ap.add_argument("--tiny", action="store_true", help="tiny models and shapes, 3 steps (for tests)")
    ap.add_argument("--out", default="runs/bench/bench.json", help="JSON results (default %(default)s)")
    args = ap.parse_args(argv)
    defaults = {"steps": (3, 30), "warmup_steps": (1, 5), "matmul_seconds": (0.01, 0.3), "square": (256, 2048)}
    for k, (tiny, full) in defaults.items():
        if getattr(args, k) is None:
            setattr(args, k, tiny if args.tiny else full)
    if not 0 <= args.warmup_steps < args.steps:
        ap.error(f"--warmup-steps must be in [0, --steps): got {args.warmup_steps} with --steps {args.steps}")
    return args


def quiet() -> None:
    """Keep the table readable: transformers' logging at error level, no progress bars."""
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)   # "Failed to load CPU gemm_4bit ..." on import
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet()
    if args.threads:
        torch.set_num_threads(args.threads)
    amp = torch.bfloat16 if args.amp == "bf16" else None
    report: dict = {"machine": machine(), "options": {k: v for k, v in vars(args).items()}}
    report["options"]["amp"] = None if args.amp == "none" else args.amp
    peaks = Peaks(args.matmul_seconds)
    fast, note = bf16_is_fast(peaks, min(512, args.square))
    dtypes = [torch.float32] + ([torch.bfloat16] if fast or amp else [])
    report["bf16"] = {"fast": fast, "note": note if fast else f"n/a ({note})"}
    sq = Matmul(1, args.square, args.square, args.square)
    print(f"bench: square {sq} …", file=sys.stderr, flush=True)
    square = {dt: peaks(sq, dt) for dt in dtypes}
    report["square"] = {"shape": str(sq), "gflops": {dtype_name(dt): round(v, 2)
                                                      for dt, v in square.items()}}
    tok = load_tokenizer()
    report["recipes"] = []
    for name in args.recipes:
        r = tiny_recipe(RECIPES[name]) if args.tiny else RECIPES[name]
        report["recipes"].append(bench_recipe(r, tok, args, peaks, square, dtypes, amp))
    report["machine"]["load_avg_end"] = list(os.getloadavg())
    print_report(report)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, default=str))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
