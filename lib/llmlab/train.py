"""A small, explicit training loop (AdamW, warm-up + cosine, clipping) and the batchers it eats.

Every zoo recipe trains through ``train``; Lab 03 reads it as "the training loop". A batcher is
just ``step -> dict`` of tensors that the Hugging Face model accepts (``labels`` included), so the
same loop trains a causal LM, an instruction-tuned LM and an encoder-decoder.
"""
from __future__ import annotations

import math
import random
import time
from pathlib import Path
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
from tqdm.auto import tqdm

Batch = dict[str, torch.Tensor]
IGNORE = -100  # label value that cross-entropy skips (prompt and padding positions)


@dataclass
class TrainLog:
    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    tokens: int = 0                 # tokens seen (padding excluded)
    seconds: float = 0.0            # wall time of the whole run, compilation and warm-up included
    timed_tokens: int = 0           # tokens after the warm-up steps ...
    timed_seconds: float = 0.0      # ... and the time they took: the steady-state speed
    flops_per_token: float = 0.0    # training FLOPs per token (6N + attention), if given
    peak_flops: float = 0.0         # the device's peak FLOP/s for the dtype used, if known
    amp: str = "fp32"               # the autocast dtype the run used ("bfloat16"), or "fp32"

    @property
    def tokens_per_second(self) -> float:
        if self.timed_seconds > 0:
            return self.timed_tokens / self.timed_seconds
        return self.tokens / max(self.seconds, 1e-9)

    @property
    def mfu(self) -> float | None:
        """Model FLOPs utilisation: achieved training FLOP/s over the device's peak (PaLM's definition)."""
        if not (self.flops_per_token and self.peak_flops):
            return None
        return self.tokens_per_second * self.flops_per_token / self.peak_flops


# Dense (no sparsity) peak FLOP/s from the vendors' data sheets, per compute dtype.
PEAK_FLOPS = {
    "H100": {torch.bfloat16: 989.4e12, torch.float16: 989.4e12, torch.float32: 494.7e12},  # SXM; fp32 = TF32
    "H200": {torch.bfloat16: 989.4e12, torch.float16: 989.4e12, torch.float32: 494.7e12},
    "A100": {torch.bfloat16: 312e12, torch.float16: 312e12, torch.float32: 156e12},
    "L4": {torch.bfloat16: 121e12, torch.float16: 121e12, torch.float32: 60e12},
    "T4": {torch.float16: 65e12, torch.float32: 8.1e12},
    "V100": {torch.float16: 125e12, torch.float32: 15.7e12},
}


def peak_flops(device: torch.device | str, dtype: torch.dtype) -> float:
    """The data-sheet peak for this GPU and dtype; 0.0 when unknown (then no MFU is reported)."""
    device = torch.device(device)
    if device.type != "cuda":
        return 0.0
    name = torch.cuda.get_device_name(device)
    for key, table in PEAK_FLOPS.items():
        if key in name:
            return table.get(dtype, 0.0)
    return 0.0


def cpu_has_fast_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware (AVX-512 BF16 or AMX): there bf16
    autocast trains the zoo's models ~1.4-1.8x faster (``python -m llmlab.bench``); elsewhere bf16
    is emulated and slower than fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:          # not Linux: trust torch's own detection only
        flags = ""
    has_flag = any(f in flags for f in (" avx512_bf16", " amx_bf16"))
    return has_flag and torch.backends.mkldnn.is_available()


# Below this width bf16 autocast costs more in casts than it saves in matmuls on a CPU (measured with
# llmlab.bench on AVX-512 BF16: d=128 GPT 1.4x faster, d=96 T5 1.2x, Lab 03's d<=64 models ~10% slower).
CPU_BF16_MIN_WIDTH = 96


def model_width(model: torch.nn.Module) -> int:
    """The hidden size: ``config.n_embd`` / ``d_model`` / ``hidden_size``, else the widest Linear input."""
    config = getattr(model, "config", None)
    for attr in ("n_embd", "d_model", "hidden_size"):
        if isinstance(getattr(config, attr, None), int):
            return getattr(config, attr)
    return max((m.in_features for m in model.modules() if isinstance(m, torch.nn.Linear)), default=0)


def autocast_dtype(device: torch.device | str, width: int | None = None) -> torch.dtype | None:
    """The autocast dtype ``train(amp_dtype="auto")`` uses: bf16 on GPUs that support it, and on
    CPUs with bf16 hardware for models at least ``CPU_BF16_MIN_WIDTH`` wide (``width=None``: any
    width); else None (fp32). Results differ slightly between the two paths, so the zoo's cache key
    includes this choice."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    if device.type == "cpu" and cpu_has_fast_bf16() and (width is None or width >= CPU_BF16_MIN_WIDTH):
        return torch.bfloat16
    return None


def lr_at(step: int, steps: int, lr: float, warmup: int, schedule: str = "cosine") -> float:
    """Linear warm-up, then cosine decay to 10% of the peak (or, with ``schedule="constant"``, the
    peak throughout: a run whose intermediate checkpoints are fair stand-ins for shorter runs)."""
    if schedule not in ("cosine", "constant"):
        raise ValueError(f"unknown schedule {schedule!r}: use 'cosine' or 'constant'")
    if step < warmup:
        return lr * (step + 1) / warmup
    if schedule == "constant":
        return lr
    progress = (step - warmup) / max(1, steps - warmup)
    return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def adamw(model: torch.nn.Module, lr: float, weight_decay: float = 0.01) -> torch.optim.AdamW:
    """The course's optimizer: AdamW, betas 0.9 / 0.98, weight decay on matrices only (not on norms or biases)."""
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    fused = next(model.parameters()).device.type in ("cuda", "cpu")   # one kernel (CPU: one loop) per step
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.98),
                             fused=fused or None)


def train(model: torch.nn.Module, next_batch: Callable[[int], Batch], steps: int, *, lr: float = 3e-3,
          warmup: int = 50, weight_decay: float = 0.01, clip: float = 1.0, desc: str = "train",
          log_every: int = 10, progress: bool = True, amp_dtype: torch.dtype | str | None = "auto",
          compile: bool = False, flops_per_token: float = 0.0, timing_warmup: int | None = None,
          checkpoint: str | None = None, schedule: str = "cosine",
          callback: Callable[[int, torch.nn.Module], None] | None = None) -> TrainLog:
    """Train ``model`` for ``steps`` optimizer steps on batches from ``next_batch(step)``.

    The model stays where it is (move it to the GPU first); batches follow it. ``amp_dtype``
    (e.g. ``torch.bfloat16``) runs forward and backward under autocast, keeping fp32 master
    weights; ``"auto"`` (the default) picks ``autocast_dtype(device, model_width(model))`` — bf16
    where the hardware has it and the model is wide enough to gain — and ``None`` trains in plain
    fp32. ``compile`` wraps the model in ``torch.compile``. Speed is measured after
    ``timing_warmup`` steps (compilation and allocator warm-up excluded); with ``flops_per_token``
    the log reports model FLOPs utilisation on GPUs whose peak is known. ``checkpoint`` names a
    directory that receives the final weights (``save_pretrained`` or ``state_dict``).
    ``callback(n_done, model)`` runs after every optimizer step (e.g. held-out snapshots); the model
    is put back in training mode afterwards.
    """
    lr_at(0, steps, lr, warmup, schedule)   # an unknown schedule fails before any work
    device = next(model.parameters()).device
    if amp_dtype == "auto":
        amp_dtype = autocast_dtype(device, model_width(model))
    elif isinstance(amp_dtype, str):
        raise ValueError(f"amp_dtype={amp_dtype!r}: use 'auto', None (fp32) or a torch dtype such as torch.bfloat16")
    opt = adamw(model, lr, weight_decay)
    step_model = torch.compile(model) if compile else model
    if timing_warmup is None:
        timing_warmup = min(10, steps // 5) if (compile or device.type == "cuda") else 0
    log = TrainLog(flops_per_token=flops_per_token, amp=str(amp_dtype).removeprefix("torch.") if amp_dtype else "fp32",
                   peak_flops=peak_flops(device, amp_dtype or next(model.parameters()).dtype))
    model.train()
    start = timed_start = time.perf_counter()
    bar = tqdm(range(steps), desc=desc, disable=not progress, mininterval=1.0)
    for step in bar:
        if step == timing_warmup and step > 0:
            _sync(device)
            timed_start = time.perf_counter()
        for group in opt.param_groups:
            group["lr"] = lr_at(step, steps, lr, warmup, schedule)
        cpu_batch = next_batch(step)
        # count tokens on the CPU copy: .sum() on a GPU tensor would stall the pipeline every step
        mask = cpu_batch.get("attention_mask")
        n_tokens = int(mask.sum()) if mask is not None else cpu_batch["input_ids"].numel()
        batch = {k: v.to(device, non_blocking=True) for k, v in cpu_batch.items()}
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            loss = step_model(**batch).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        if callback is not None:
            callback(step + 1, model)
            model.train()
        log.tokens += n_tokens
        if step >= timing_warmup:
            log.timed_tokens += n_tokens
        if step % log_every == 0 or step == steps - 1:
            log.steps.append(step)
            log.loss.append(loss.item())            # .item() syncs: only every log_every steps
            now = time.perf_counter()
            log.seconds = now - start
            log.timed_seconds = now - timed_start if step >= timing_warmup else 0.0
            postfix = {"loss": f"{log.loss[-1]:.3f}", "tok_s": f"{log.tokens_per_second:,.0f}"}
            if log.mfu is not None and log.timed_seconds > 0:
                postfix["mfu"] = f"{log.mfu:.0%}"
            bar.set_postfix(postfix)
    _sync(device)
    now = time.perf_counter()
    log.seconds = now - start
    log.timed_seconds = now - timed_start if log.timed_tokens else 0.0
    model.eval()
    if checkpoint:
        save_checkpoint(model, checkpoint)
    return log


def save_checkpoint(model: torch.nn.Module, path: str) -> None:
    """Hugging Face models via ``save_pretrained``; plain modules as ``model.pt`` (state dict + config)."""
    from pathlib import Path
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    if hasattr(model, "save_pretrained"):
        model.save_pretrained(out)
    else:
        torch.save({"state_dict": model.state_dict(), "config": getattr(model, "config", None)}, out / "model.pt")


# ---- batchers -------------------------------------------------------------------------------
def stream_batcher(ids: Sequence[int], seq_len: int, batch_size: int, seed: int = 0) -> Callable[[int], Batch]:
    """Causal-LM batches: random windows of one long token stream (documents joined by EOS)."""
    data = torch.tensor(ids, dtype=torch.long)
    if len(data) <= seq_len + 1:
        raise ValueError(f"token stream of {len(data)} tokens is shorter than seq_len={seq_len}")
    gen = torch.Generator().manual_seed(seed)

    def next_batch(step: int) -> Batch:
        starts = torch.randint(0, len(data) - seq_len, (batch_size,), generator=gen)
        x = torch.stack([data[s:s + seq_len] for s in starts.tolist()])  # (B, T)
        return {"input_ids": x, "labels": x.clone()}
    return next_batch


def pad(seqs: Sequence[Sequence[int]], value: int, left: bool = False) -> torch.Tensor:
    """Pad lists of ids into a (B, T) tensor."""
    width = max(len(s) for s in seqs)
    rows = [([value] * (width - len(s)) + list(s)) if left else (list(s) + [value] * (width - len(s)))
            for s in seqs]
    return torch.tensor(rows, dtype=torch.long)


def length_grouped(lengths: Sequence[int], batch_size: int, rng: random.Random,
                   pool_batches: int = 32) -> Callable[[], list[int]]:
    """``draw() -> indices`` of one batch of examples of similar length (Hugging Face's
    ``group_by_length``, in miniature): draw ``pool_batches`` batches' worth of examples at random,
    sort them by length, cut the sorted pool into batches and serve those in random order. Padding
    to the longest row then wastes little (measured on the zoo's instruction and seq2seq mixes:
    useful positions 57% / 46% with plain random batches), while every example stays equally likely."""
    queue: list[list[int]] = []

    def draw() -> list[int]:
        if not queue:
            pool = sorted((rng.randrange(len(lengths)) for _ in range(pool_batches * batch_size)),
                          key=lambda i: lengths[i])
            queue.extend(pool[i:i + batch_size] for i in range(0, len(pool), batch_size))
            rng.shuffle(queue)
        return queue.pop()
    return draw


def sft_batcher(pairs: Sequence[tuple[list[int], list[int]]], batch_size: int, pad_id: int,
                seed: int = 0) -> Callable[[int], Batch]:
    """Causal-LM fine-tuning on (prompt, response) pairs; the loss counts response tokens only.
    Batches group pairs of similar length (``length_grouped``)."""
    draw = length_grouped([len(p) + len(r) for p, r in pairs], batch_size, random.Random(seed))

    def next_batch(step: int) -> Batch:
        chosen = [pairs[i] for i in draw()]
        ids = [p + r for p, r in chosen]
        labels = [[IGNORE] * len(p) + r for p, r in chosen]
        x = pad(ids, pad_id)                                   # (B, T)
        return {"input_ids": x, "attention_mask": (pad([[1] * len(s) for s in ids], 0)),
                "labels": pad(labels, IGNORE)}
    return next_batch


def seq2seq_batcher(pairs: Sequence[tuple[list[int], list[int]]], batch_size: int, pad_id: int,
                    seed: int = 0) -> Callable[[int], Batch]:
    """Encoder-decoder batches of (source ids, target ids); the model shifts labels itself.
    Batches group pairs of similar source length (``length_grouped``)."""
    draw = length_grouped([len(s) for s, _ in pairs], batch_size, random.Random(seed))

    def next_batch(step: int) -> Batch:
        chosen = [pairs[i] for i in draw()]
        src = [s for s, _ in chosen]
        return {"input_ids": pad(src, pad_id), "attention_mask": pad([[1] * len(s) for s in src], 0),
                "labels": pad([t for _, t in chosen], IGNORE)}
    return next_batch
