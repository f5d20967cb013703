"""Data parallelism across processes: DDP, ZeRO-1, and FSDP2 (ZeRO-2/3), on one model and one batch.

Run by ``torchrun`` (``python -m torch.distributed.run``), one process per rank; the notebook starts it
with :func:`launch` and reads back one JSON file. Every rank builds the same model from the same seed
and takes its share of the same global batch, so all strategies (and a single process holding the
whole batch) should produce the same losses; what differs is what each rank keeps in memory and what
it sends each step.

    torchrun --nproc_per_node=2 -m llmlab.lab04.sharding --strategy fsdp --data tokens.pt --out run.json
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import torch
import torch.distributed as dist

from llmlab.gpt import GPT, GPTConfig

STRATEGIES = {
    "ddp": "DDP: every rank holds everything; gradients all-reduced (ZeRO stage 0)",
    "zero1": "DDP + ZeroRedundancyOptimizer: optimizer state sharded (ZeRO stage 1)",
    "zero2": "FSDP2, reshard_after_forward=False: gradients and optimizer state sharded (ZeRO stage 2)",
    "fsdp": "FSDP2 fully_shard: parameters, gradients and optimizer state sharded (ZeRO stage 3)",
}


@dataclass
class RankReport:
    rank: int
    param_bytes: int
    grad_bytes: int
    optimizer_bytes: int
    comm_payload: dict[str, int] = field(default_factory=dict)   # collective -> bytes of its tensors, one step
    comm_calls: dict[str, int] = field(default_factory=dict)     # collective -> calls in that step

    def sent_bytes(self, world_size: int) -> float:
        """Bytes this rank sends per step if each collective runs as a ring (NCCL's and gloo's default for large
        tensors): an all-reduce sends 2(N−1)/N of its payload (a reduce-scatter, then an all-gather); an
        all-gather, a reduce-scatter or a pipelined broadcast (N−1)/N."""
        share = (world_size - 1) / world_size
        return sum(payload * (2 * share if kind == "allreduce" else share)
                   for kind, payload in self.comm_payload.items())


@dataclass
class RunReport:
    strategy: str
    world_size: int
    nnodes: int
    n_params: int
    losses: list[float]           # global mean loss after each step (averaged over ranks)
    seconds_per_step: float
    ranks: list[RankReport]


# ---- memory held by one rank -------------------------------------------------------------------
def _local(t: torch.Tensor) -> torch.Tensor:
    """The part of a (possibly sharded DTensor) tensor that lives on this rank."""
    return t.to_local() if hasattr(t, "to_local") else t


def _bytes(tensors) -> int:
    """Bytes of distinct tensors (tied weights count once)."""
    seen, total = set(), 0
    for t in tensors:
        t = _local(t)
        if t.numel() == 0 or t.data_ptr() in seen:
            continue
        seen.add(t.data_ptr())
        total += t.numel() * t.element_size()
    return total


def optimizer_bytes(opt: torch.optim.Optimizer) -> int:
    """Bytes of the optimizer state this rank holds (Adam: exp_avg and exp_avg_sq per parameter)."""
    inner = getattr(opt, "optim", opt)   # ZeroRedundancyOptimizer wraps the shard's optimizer
    return _bytes(v for state in inner.state.values() for v in state.values()
                  if isinstance(v, torch.Tensor) and v.dim() > 0)


# ---- the model and the batch -------------------------------------------------------------------
def build_model(cfg: GPTConfig, seed: int) -> GPT:
    torch.manual_seed(seed)                      # the same initial weights on every rank
    return GPT(cfg)


def global_batch(tokens: torch.Tensor, step: int, batch_size: int, seq_len: int, seed: int) -> torch.Tensor:
    """The step's global batch (B, T): the same on every rank, drawn from a step-seeded generator."""
    gen = torch.Generator().manual_seed(seed * 100_003 + step)
    starts = torch.randint(0, len(tokens) - seq_len, (batch_size,), generator=gen)
    return torch.stack([tokens[s:s + seq_len] for s in starts.tolist()])


def wrap(model: GPT, strategy: str, device: torch.device, lr: float):
    """Apply a strategy; returns the model to call and its optimizer."""
    from torch.distributed.fsdp import fully_shard
    from torch.distributed.optim import ZeroRedundancyOptimizer
    from torch.nn.parallel import DistributedDataParallel as DDP

    if strategy in ("ddp", "zero1"):
        ddp = DDP(model, device_ids=[device.index] if device.type == "cuda" else None)
        if strategy == "ddp":
            return ddp, torch.optim.AdamW(model.parameters(), lr=lr)
        return ddp, ZeroRedundancyOptimizer(model.parameters(), optimizer_class=torch.optim.AdamW, lr=lr)
    if strategy in ("zero2", "fsdp"):
        reshard = strategy == "fsdp"             # ZeRO-3 frees the gathered weights after each forward
        for block in model.h:
            fully_shard(block, reshard_after_forward=reshard)
        fully_shard(model, reshard_after_forward=reshard)    # the root: embeddings (tied to lm_head), ln_f
        return model, torch.optim.AdamW(model.parameters(), lr=lr)
    raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")


_ELEMENT_BYTES = {"float": 4, "c10::BFloat16": 2, "c10::Half": 2, "double": 8}


def _numel(dims) -> int:
    """Elements of one tensor's dims, or of the largest tensor in a list of them (a TensorList)."""
    if dims and isinstance(dims[0], list):
        return max((_numel(d) for d in dims), default=0)
    n = 1
    for d in dims:
        n *= d
    return n


def _comm_stats(prof, default_bytes: int) -> tuple[dict[str, int], dict[str, int]]:
    """Payload bytes and calls per collective in a profiled step (torch's ``c10d::`` ops, recorded with
    their shapes). The payload of a collective is its largest tensor: the full gradient bucket of an
    all-reduce, the gathered output of an all-gather, the input of a reduce-scatter."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        path = f.name
    prof.export_chrome_trace(path)
    trace = json.loads(Path(path).read_text())
    os.unlink(path)
    payload, calls = {}, {}
    for ev in trace.get("traceEvents", []):
        name = ev.get("name", "")
        if not name.startswith("c10d::") or "barrier" in name:
            continue
        args = ev.get("args", {})
        dims, types = args.get("Input Dims", []), args.get("Input type", [])
        sizes = [(_numel(d), _ELEMENT_BYTES.get(t, default_bytes)) for d, t in zip(dims, types) if d]
        if not sizes:
            continue
        n, b = max(sizes)
        kind = name.removeprefix("c10d::").strip("_").removesuffix("_base").strip("_")
        payload[kind] = payload.get(kind, 0) + n * b
        calls[kind] = calls.get(kind, 0) + 1
    return payload, calls


def run(strategy: str, tokens: torch.Tensor, cfg: GPTConfig, steps: int, batch_size: int, seq_len: int,
        lr: float, seed: int) -> RunReport | None:
    """Train ``steps`` steps under ``strategy`` in this process group; rank 0 returns the report."""
    rank, world = dist.get_rank(), dist.get_world_size()
    if batch_size % world:
        raise ValueError(f"batch_size={batch_size} must divide by the {world} ranks")
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if use_cuda(world) else torch.device("cpu")
    model = build_model(cfg, seed).to(device)
    n_params = model.num_params(non_embedding=False)
    step_model, opt = wrap(model, strategy, device, lr)
    losses, comm, calls, grads = [], {}, {}, 0
    per_rank = batch_size // world
    start = time.perf_counter()
    for step in range(steps):
        x = global_batch(tokens, step, batch_size, seq_len, seed)[rank * per_rank:(rank + 1) * per_rank].to(device)
        profile = step == steps - 1              # profile the last step: allocations and buckets are settled
        ctx = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], record_shapes=True) \
            if profile else None
        if ctx:
            ctx.__enter__()
        loss = step_model(x, labels=x).loss      # (B/world, T) on this rank; mean over its tokens
        loss.backward()
        if profile:
            grads = _bytes(p.grad for p in model.parameters() if p.grad is not None)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if ctx:
            ctx.__exit__(None, None, None)
            comm, calls = _comm_stats(ctx, next(model.parameters()).element_size())
        mean = loss.detach().clone()
        dist.all_reduce(mean)                     # each rank's mean over equal token counts -> the global mean
        losses.append(mean.item() / world)
    seconds = (time.perf_counter() - start) / steps
    mine = RankReport(rank, _bytes(model.parameters()), grads, optimizer_bytes(opt), comm, calls)
    everyone: list = [None] * world
    dist.all_gather_object(everyone, asdict(mine))
    if rank:
        return None
    nnodes = int(os.environ.get("GROUP_WORLD_SIZE", os.environ.get("LLMLAB_NNODES", 1)))
    return RunReport(strategy, world, nnodes, n_params, losses, seconds, [RankReport(**r) for r in everyone])


def use_cuda(world_size: int) -> bool:
    """NCCL needs one GPU per rank; with fewer GPUs than ranks the processes share the CPU (gloo)."""
    return torch.cuda.is_available() and torch.cuda.device_count() >= world_size


# ---- launching -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun_command(strategy: str, data: Path, out: Path, nproc: int, nnodes: int = 1, node_rank: int = 0,
                     master_port: int = 29500, extra: tuple[str, ...] = ()) -> list[str]:
    """The command line ``torchrun`` would get (as ``python -m torch.distributed.run``, so the venv's
    torch is used even where ``torchrun`` is not on PATH)."""
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}"]
    if nnodes > 1:
        cmd += [f"--nnodes={nnodes}", f"--node_rank={node_rank}", "--master_addr=127.0.0.1",
                f"--master_port={master_port}"]
    else:
        cmd += ["--standalone"]
    return cmd + ["-m", "llmlab.lab04.sharding", "--strategy", strategy, "--data", str(data), "--out", str(out),
                  *extra]


def launch(strategies: Sequence[str], tokens: torch.Tensor, cfg: GPTConfig, *, nproc: int = 2, nnodes: int = 1,
           steps: int = 8, batch_size: int = 8, seq_len: int = 64, lr: float = 3e-3, seed: int = 0,
           timeout: float = 300) -> dict[str, RunReport]:
    """Start ``nnodes`` torchrun launchers of ``nproc`` processes each on this machine (more than one
    launcher plays several nodes); the processes run each strategy in turn (one start-up for all: starting
    Python and importing torch costs seconds per process). Returns rank 0's report per strategy; a failed
    rank raises with its log."""
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategy {unknown[0]!r}; choose from {', '.join(STRATEGIES)}")
    strategy = ",".join(strategies)
    with tempfile.TemporaryDirectory(prefix="llmlab-shard-") as tmp:
        data, out = Path(tmp) / "tokens.pt", Path(tmp) / "report.json"
        torch.save(tokens, data)
        torch.save(asdict(cfg), Path(tmp) / "config.pt")
        extra = ("--config", str(Path(tmp) / "config.pt"), "--steps", str(steps), "--batch-size", str(batch_size),
                 "--seq-len", str(seq_len), "--lr", str(lr), "--seed", str(seed))
        env = {**os.environ, "OMP_NUM_THREADS": "1", "LLMLAB_NNODES": str(nnodes), "PYTHONWARNINGS": "ignore"}
        port = free_port()
        procs = [subprocess.Popen(torchrun_command(strategy, data, out, nproc, nnodes, node, port, extra), env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for node in range(nnodes)]
        logs = [p.communicate(timeout=timeout)[0] for p in procs]
        if any(p.returncode for p in procs) or not out.exists():
            raise RuntimeError(f"torchrun ({strategy}) failed:\n" + "\n".join(log[-3000:] for log in logs))
        raw = json.loads(out.read_text())
    return {r["strategy"]: RunReport(**{**r, "ranks": [RankReport(**x) for x in r["ranks"]]}) for r in raw}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategy", required=True, help=f"comma-separated, of: {', '.join(STRATEGIES)}")
    parser.add_argument("--data", type=Path, required=True, help="a 1-D tensor of token ids (torch.save)")
    parser.add_argument("--config", type=Path, required=True, help="GPTConfig fields as a dict (torch.save)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", 1)))
    dist.init_process_group("nccl" if use_cuda(int(os.environ["WORLD_SIZE"])) else "gloo")
    try:
        tokens = torch.load(args.data)
        cfg = GPTConfig(**torch.load(args.config))
        reports = [run(s, tokens, cfg, args.steps, args.batch_size, args.seq_len, args.lr, args.seed)
                   for s in args.strategy.split(",")]
        if dist.get_rank() == 0:    # written whole or not at all
            tmp = args.out.with_suffix(".tmp")
            tmp.write_text(json.dumps([asdict(r) for r in reports]))
            tmp.replace(args.out)
    finally:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
