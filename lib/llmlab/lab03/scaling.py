"""Compute and scaling laws (Lab 03): FLOPs, petaFLOP/s-days, a scaling sweep and its L(N, D) fit.

Compute::

    C = train_flops(N, D)            # ≈ 6·N·D: forward 2N + backward 4N FLOPs per token
    pf_days(C)                       # in petaFLOP/s-days (1e15 FLOP/s for a day = 8.64e19 FLOPs)
    gpt3_compute_table()             # Brown et al. 2020, Table D.1: 175B on 300B tokens ≈ 3,640 PF-days

Scaling: train tiny GPTs of several sizes N, one constant-learning-rate run each, and measure held-out
loss at several token budgets D along it (``sweep``: with a constant learning rate, the point at D is
what a run of D tokens reaches; see ``sweep`` on why a cosine schedule breaks that), fit
``L(N, D) = E + A/N^α + B/D^β`` (``fit_loss``: Hoffmann et al. 2022's "approach 3", a Huber loss on
log-loss from a grid of starting points), and read off the compute-optimal split of a budget C
(``LossFit.optimal``) and its tokens per parameter, set beside Chinchilla's ≈ 20.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from llmlab import train as trainer
from llmlab.gpt import GPT, GPTConfig
from llmlab.lm import eval_loss, eval_windows, token_stream  # noqa: F401 - shared with other labs; Lab 03 calls them as scaling.*

# ---- compute -----------------------------------------------------------------------------------------
PETAFLOP = 1e15                      # FLOP/s
SECONDS_PER_DAY = 24 * 3600
PF_DAY = PETAFLOP * SECONDS_PER_DAY  # FLOPs in one petaFLOP/s-day: 8.64e19


def train_flops(n_params: float, n_tokens: float) -> float:
    """Training compute C ≈ 6·N·D: per token and parameter, 2 FLOPs forward (a multiply and an add)
    and 4 backward (gradients for the activations and for the weights)."""
    return 6.0 * n_params * n_tokens


def pf_days(flops: float) -> float:
    """FLOPs expressed in petaFLOP/s-days: the work of a machine doing 1e15 FLOP/s for 24 hours."""
    return flops / PF_DAY


@dataclass(frozen=True)
class PaperModel:
    name: str
    params: float          # N, parameters
    tokens: float          # D, training tokens
    pf_days: float | None  # the compute the paper reports (None if it reports none)


# Brown et al. 2020 ("Language Models are Few-Shot Learners"), Table 2.1 (sizes) and Table D.1
# (total training compute, PF-days). Every model saw 300B tokens; the paper's FLOPs are 6·N·D.
GPT3 = [
    PaperModel("GPT-3 Small", 125e6, 300e9, 2.60),
    PaperModel("GPT-3 Medium", 350e6, 300e9, 7.42),
    PaperModel("GPT-3 Large", 760e6, 300e9, 15.8),
    PaperModel("GPT-3 XL", 1.3e9, 300e9, 27.5),
    PaperModel("GPT-3 2.7B", 2.7e9, 300e9, 55.2),
    PaperModel("GPT-3 6.7B", 6.7e9, 300e9, 139.0),
    PaperModel("GPT-3 13B", 13e9, 300e9, 268.0),
    PaperModel("GPT-3 175B", 175e9, 300e9, 3640.0),
]
# Hoffmann et al. 2022: Gopher and Chinchilla were trained with (about) the same compute.
GOPHER = PaperModel("Gopher 280B", 280e9, 300e9, None)
CHINCHILLA = PaperModel("Chinchilla 70B", 70e9, 1.4e12, None)
CHINCHILLA_TOKENS_PER_PARAM = 20.0


def gpt3_compute_table(models: Sequence[PaperModel] = GPT3,
                       flops_fn: Callable[[float, float], float] = train_flops,
                       pf_days_fn: Callable[[float], float] = pf_days) -> list[dict]:
    """C = 6·N·D for each model, in FLOPs and PF-days, beside what the paper reports."""
    rows = []
    for m in models:
        c = flops_fn(m.params, m.tokens)
        rows.append({"model": m.name, "params": m.params, "tokens": m.tokens, "flops": c,
                     "pf_days": pf_days_fn(c), "paper_pf_days": m.pf_days,
                     "ratio": pf_days_fn(c) / m.pf_days if m.pf_days else None})
    return rows


# Data-sheet peaks in FLOP/s (dense unless said). "8 V100s or 2 A100s make a PF-day" uses V100 fp16
# tensor cores (125 TFLOP/s) and, for the A100, its fp16/bf16 peak *with* 2:4 structured sparsity
# (624 TFLOP/s); at the dense 312 TFLOP/s it takes 3.2 A100s.
ACCELERATORS = {   # the same data sheets the training loop's MFU uses (llmlab.train.PEAK_FLOPS)
    "V100 (fp16 tensor cores)": trainer.PEAK_FLOPS["V100"][torch.float16],
    "A100 (bf16, dense)": trainer.PEAK_FLOPS["A100"][torch.bfloat16],
    "A100 (bf16, 2:4 sparsity)": 2 * trainer.PEAK_FLOPS["A100"][torch.bfloat16],
    "H100 SXM (bf16, dense)": trainer.PEAK_FLOPS["H100"][torch.bfloat16],
}


def devices_for_one_petaflop(peak_flops: float) -> float:
    """How many devices at ``peak_flops`` (FLOP/s, 100% utilisation) deliver 1 PFLOP/s."""
    return PETAFLOP / peak_flops


def days_on(flops: float, n_devices: int, peak_flops: float, mfu: float = 1.0) -> float:
    """Wall-clock days for ``flops`` on ``n_devices`` at a model-FLOPs utilisation ``mfu``."""
    return flops / (n_devices * peak_flops * mfu) / SECONDS_PER_DAY


# ---- tiny GPTs on a token stream ------------------------------------------------------------------
@dataclass(frozen=True)
class ModelSize:
    n_layer: int
    n_embd: int
    n_head: int = 0          # 0: one head per 16 channels

    @property
    def label(self) -> str:
        return f"L{self.n_layer}-d{self.n_embd}"

    def config(self, vocab_size: int, block_size: int) -> GPTConfig:
        heads = self.n_head or max(1, self.n_embd // 16)
        return GPTConfig(vocab_size=vocab_size, block_size=block_size, n_layer=self.n_layer,
                         n_head=heads, n_embd=self.n_embd)


def width_lr(size: ModelSize, base: float = 0.2, cap: float = 1e-2) -> float:
    """Peak learning rate ∝ 1 / width (as in μP): 0.2 / d, at most 1e-2 (d=64 -> 3.1e-3)."""
    return min(cap, base / size.n_embd)


def build_model(size: ModelSize, vocab_size: int, block_size: int, seed: int = 0,
                device: str = "cpu") -> GPT:
    torch.manual_seed(seed)
    return GPT(size.config(vocab_size, block_size)).to(device)


def non_embedding_params(model: GPT) -> int:
    """Parameters outside the token and position embeddings (Kaplan et al. 2020's N).

    At this scale the 2,048 × d token embedding is most of a model (a d=16 model: 33k of 36k), yet it
    costs almost nothing per token; counting it would hide the power law (Kaplan et al., Fig. 6).
    """
    return sum(p.numel() for p in model.parameters()) - model.wte.weight.numel() - model.wpe.weight.numel()


# ---- pretraining with held-out snapshots, and the sweep -----------------------------------------------
@dataclass
class SweepRun:
    size: str              # e.g. "L2-d48"
    n_layer: int
    n_embd: int
    params: int            # N: non-embedding parameters
    total_params: int      # all parameters (embeddings included)
    steps: int             # optimizer steps taken when the loss was measured
    tokens: int            # D: training tokens seen by then
    flops: float           # C = 6·N·D
    val_loss: float        # held-out loss (nats/token)
    tokens_per_second: float
    schedule: str = "cosine"   # the learning-rate schedule of the run the point was measured in
    lr: float = 0.0            # that run's peak learning rate


def accumulation_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, micro_batches: Sequence[dict],
                      clip: float) -> float:
    """One optimizer step from several micro-batches, as if they were one batch (Lab 03's exercise reference).

    Gradients start from zero; each micro-batch's mean loss, divided by the number of micro-batches, is
    back-propagated on its own (its activations are freed before the next, which is the point: the memory
    of one micro-batch, the gradient of all); the global gradient norm is clipped to ``clip``; one
    optimizer step; gradients cleared. Returns the mean of the micro-batches' losses.
    """
    optimizer.zero_grad(set_to_none=True)
    k = len(micro_batches)
    total = 0.0
    for batch in micro_batches:
        loss = model(**batch).loss / k           # mean over the whole (virtual) batch, not over one micro-batch
        loss.backward()                          # gradients add up in .grad
        total += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)   # one norm over all parameters, before the step
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return total


def pretrain(size: ModelSize, train_ids: Sequence[int], val: torch.Tensor, steps: int,
             snapshots: Sequence[int] = (), *, seq_len: int = 64, batch_size: int = 16, vocab_size: int | None = None,
             lr: float | Callable[[ModelSize], float] = width_lr, schedule: str = "cosine",
             warmup: int | None = None, device: str = "cpu", amp_dtype: torch.dtype | str | None = "auto",
             seed: int = 0, progress: bool = True, desc: str | None = None, checkpoint: str | None = None
             ) -> tuple[GPT, trainer.TrainLog, list[SweepRun]]:
    """Pretrain a fresh GPT of ``size`` on random windows of ``train_ids`` with ``llmlab.train.train``,
    measuring held-out loss on ``val`` after each step count in ``snapshots`` and at the end.

    ``schedule`` is ``train``'s: "cosine" (warm-up, then decay to 10% of the peak at ``steps``) or
    "constant" (warm-up, then the peak throughout); ``warmup`` defaults to ``steps // 10``. The snapshots
    are taken by ``train``'s ``callback`` after the optimizer step, so a snapshot at ``s`` sees the
    model after ``s`` updates; the time they take is left out of the log's tokens/s (and MFU).

    Returns the model, the training log (loss curve, tokens/s, MFU on a GPU) and one ``SweepRun`` per
    measurement.
    """
    import time

    vocab = vocab_size or int(max(max(train_ids), int(val.max())) + 1)
    model = build_model(size, vocab, seq_len, seed, device)
    measured: dict[int, float] = {}
    wanted = {s for s in snapshots if 0 < s < steps}
    eval_seconds = 0.0

    def snapshot(done: int, m: torch.nn.Module) -> None:
        nonlocal eval_seconds
        if done in wanted:
            trainer._sync(next(m.parameters()).device)
            start = time.perf_counter()
            measured[done] = eval_loss(m, val)                    # .item() inside: synchronised
            eval_seconds += time.perf_counter() - start

    peak = lr(size) if callable(lr) else lr
    log = trainer.train(model, trainer.stream_batcher(train_ids, seq_len, batch_size, seed=seed), steps, lr=peak,
                        warmup=max(1, steps // 10) if warmup is None else warmup, schedule=schedule,
                        callback=snapshot if wanted else None, progress=progress,
                        desc=desc or f"pretrain {size.label} ({schedule})", amp_dtype=amp_dtype,
                        flops_per_token=model.flops_per_token(seq_len), checkpoint=checkpoint)
    # snapshots are not training: keep their time out of tokens/s (on a GPU, the few taken during the
    # timing warm-up are subtracted too; a slight overestimate of the speed there)
    log.seconds = max(1e-9, log.seconds - eval_seconds)
    if log.timed_seconds:
        log.timed_seconds = max(1e-9, log.timed_seconds - eval_seconds)
    measured[steps] = eval_loss(model, val)
    n, total = non_embedding_params(model), sum(p.numel() for p in model.parameters())
    runs = []
    for s in sorted(measured):
        tokens = s * seq_len * batch_size
        runs.append(SweepRun(size.label, size.n_layer, size.n_embd, n, total, s, tokens,
                             train_flops(n, tokens), measured[s], log.tokens_per_second, schedule, peak))
    return model, log, runs


def sweep(sizes: Sequence[ModelSize], steps: Sequence[int], train_ids: Sequence[int], val: torch.Tensor,
          progress: bool = True, schedule: str = "constant", **kwargs) -> list[SweepRun]:
    """Every size trained once for ``max(steps)`` steps, its held-out loss measured at every budget.

    Kaplan et al. (2020) read L(N, D) off learning curves like these. That is fair only if the point at
    ``s`` steps is what a run of ``s`` steps would reach: with the default ``schedule="constant"`` (the
    same warm-up for every run, ``max(steps) // 10`` unless ``warmup=`` says otherwise, then a constant
    learning rate) it is exactly that, step for step. With ``"cosine"`` an intermediate snapshot has not
    had its learning-rate decay, so it is not what a run ending there reaches: for runs trained long enough
    for the decay to pay (Chinchilla's), it overstates that loss and tilts the fitted data exponent —
    which Hoffmann et al. (2022) corrected by training a separate, fully decayed run per budget (the sum
    of the budgets in compute, not the largest). Far from convergence (Lab 03's CPU runs) the sign can
    flip: a higher learning rate buys more than the decay does.
    """
    from tqdm.auto import tqdm

    runs: list[SweepRun] = []
    budgets = set(steps)
    bar = tqdm(sizes, desc=f"scaling sweep ({schedule} LR)", disable=not progress)
    for size in bar:
        bar.set_postfix(model=size.label)
        _, _, rs = pretrain(size, train_ids, val, max(steps), steps, progress=False, schedule=schedule, **kwargs)
        runs += [r for r in rs if r.steps in budgets]
    return runs


def lr_sweep(sizes: Sequence[ModelSize], factors: Sequence[float], steps: Sequence[int], train_ids: Sequence[int],
             val: torch.Tensor, progress: bool = True, **kwargs) -> list[SweepRun]:
    """``sweep`` once per peak learning rate ``factor × width_lr(size)``: every size at every rate, each
    run measured at every budget (``SweepRun.lr`` says which rate)."""
    runs: list[SweepRun] = []
    for f in factors:
        runs += sweep(sizes, steps, train_ids, val, progress=progress, lr=lambda size, f=f: f * width_lr(size),
                      **kwargs)
    return runs


def best_lr_runs(runs: Sequence[SweepRun]) -> list[SweepRun]:
    """Per size, the runs of the peak learning rate whose loss at the largest budget is lowest (sizes in
    their order of appearance, budgets in order)."""
    out = []
    for size in dict.fromkeys(r.size for r in runs):
        mine = [r for r in runs if r.size == size]
        last = max(r.steps for r in mine)
        best = min((r for r in mine if r.steps == last), key=lambda r: r.val_loss).lr
        out += sorted((r for r in mine if r.lr == best), key=lambda r: r.steps)
    return out


def steps_for_compute(size: ModelSize, compute: float, vocab_size: int, seq_len: int = 64,
                      batch_size: int = 16) -> int:
    """Optimizer steps at which a model of ``size`` has used ``compute`` = 6·N·D FLOPs (N non-embedding)."""
    n = non_embedding_params(build_model(size, vocab_size, seq_len))
    return max(1, round(compute / (6 * n * seq_len * batch_size)))


def isoflop_runs(sizes: Sequence[ModelSize], compute: float, train_ids: Sequence[int], val: torch.Tensor, *,
                 vocab_size: int, seq_len: int = 64, batch_size: int = 16, progress: bool = True,
                 **kwargs) -> list[SweepRun]:
    """One measured iso-FLOP curve: every size trained for the steps that spend the same ``compute``
    (6·N·D), so smaller models see more tokens; one run per size, its loss measured at its end."""
    from tqdm.auto import tqdm

    runs = []
    for size in tqdm(sizes, desc=f"iso-FLOP runs, C = {compute:.2g}", disable=not progress):
        steps = steps_for_compute(size, compute, vocab_size, seq_len, batch_size)
        runs += pretrain(size, train_ids, val, steps, (), vocab_size=vocab_size, seq_len=seq_len,
                         batch_size=batch_size, progress=False, **kwargs)[2]
    return runs


def continue_pretraining(model: GPT, ids: Sequence[int], steps: int, *, lr: float = 1e-3, seq_len: int = 64,
                         batch_size: int = 16, amp_dtype: torch.dtype | str | None = "auto", seed: int = 1,
                         desc: str = "continue pretraining", progress: bool = True) -> tuple[GPT, trainer.TrainLog]:
    """A copy of ``model`` trained ``steps`` more steps on ``ids`` (domain-adaptive pretraining when the
    stream holds domain text; the original model is left as it was)."""
    import copy
    adapted = copy.deepcopy(model)
    log = trainer.train(adapted, trainer.stream_batcher(ids, seq_len, batch_size, seed=seed), steps, lr=lr,
                        warmup=max(1, steps // 10), amp_dtype=amp_dtype, desc=desc, progress=progress)
    return adapted, log


@torch.no_grad()
def token_nll(model: torch.nn.Module, windows: torch.Tensor, batch_size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-position next-token loss on (W, T) windows: (targets (W, T-1), nll (W, T-1)), on the CPU."""
    model.eval()
    device = next(model.parameters()).device
    targets, losses = [], []
    for i in range(0, len(windows), batch_size):
        x = windows[i:i + batch_size].to(device)                              # (B, T)
        logits = model(input_ids=x).logits[:, :-1].float()                     # (B, T-1, V)
        nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), x[:, 1:], reduction="none")
        targets.append(x[:, 1:].cpu())
        losses.append(nll.cpu())
    return torch.cat(targets), torch.cat(losses)


def word_surprise(models: dict[str, torch.nn.Module], tok, windows: torch.Tensor, words: Sequence[str]) -> list[dict]:
    """For each word (one token when preceded by a space), each model's mean loss where it is the next token."""
    rows = []
    results = {name: token_nll(m, windows) for name, m in models.items()}
    for w in words:
        ids = tok(" " + w, add_special_tokens=False)["input_ids"]
        if len(ids) != 1:
            continue
        row: dict = {"word": w}
        for name, (targets, nll) in results.items():
            hit = targets == ids[0]
            row["count"] = int(hit.sum())
            row[name] = float(nll[hit].mean()) if hit.any() else float("nan")
        rows.append(row)
    return rows


@torch.no_grad()
def sample(model: GPT, tok, prompt: str, max_new_tokens: int = 40, temperature: float = 0.8,
           seed: int = 0) -> str:
    """Continue ``prompt`` by sampling from a ``GPT`` (no KV cache: fine for a few dozen tokens)."""
    model.eval()
    device = next(model.parameters()).device
    gen = torch.Generator(device="cpu").manual_seed(seed)
    ids = tok(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"].to(device)    # (1, T)
    for _ in range(max_new_tokens):
        logits = model(input_ids=ids[:, -model.config.block_size:]).logits[0, -1].float().cpu()  # (V,)
        nxt = torch.multinomial((logits / temperature).softmax(-1), 1, generator=gen)
        if int(nxt) == tok.eos_token_id:
            break
        ids = torch.cat([ids, nxt.to(device)[None]], dim=1)
    return tok.decode(ids[0], skip_special_tokens=True)


def as_records(runs: Sequence[SweepRun]) -> list[dict]:
    return [asdict(r) for r in runs]


# ---- the fit: L(N, D) = E + A/N^α + B/D^β ------------------------------------------------------------
@dataclass(frozen=True)
class LossFit:
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    objective: float = float("nan")   # the Huber objective at the optimum

    def predict(self, N, D) -> np.ndarray:
        N, D = np.asarray(N, dtype=float), np.asarray(D, dtype=float)
        return self.E + self.A / N ** self.alpha + self.B / D ** self.beta

    def optimal(self, C) -> tuple[np.ndarray, np.ndarray]:
        """Compute-optimal N and D for budget C = 6·N·D (Hoffmann et al. 2022, eq. 4):
        N_opt = G·(C/6)^(β/(α+β)), D_opt = (C/6)/N_opt, with G = (αA / βB)^(1/(α+β))."""
        C = np.asarray(C, dtype=float)
        G = (self.alpha * self.A / (self.beta * self.B)) ** (1 / (self.alpha + self.beta))
        N = G * (C / 6) ** (self.beta / (self.alpha + self.beta))
        return N, (C / 6) / N

    def tokens_per_param(self, C) -> np.ndarray:
        N, D = self.optimal(C)
        return D / N

    @property
    def a(self) -> float:
        """N_opt ∝ C^a: the share of extra compute that should go into parameters (Chinchilla: ≈ 0.5)."""
        return self.beta / (self.alpha + self.beta)


# Published fits, for comparison: Hoffmann et al. 2022 (approach 3, as printed) and the refit of the same
# data by Besiroglu et al. 2024 ("Chinchilla Scaling: A replication attempt"), which agrees with
# Chinchilla's other two approaches (≈ 20 tokens per parameter) where the printed one does not.
CHINCHILLA_FIT = LossFit(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
EPOCH_REFIT = LossFit(E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658)


def _objective(theta: np.ndarray, logN: np.ndarray, logD: np.ndarray, logL: np.ndarray,
               delta: float) -> tuple[float, np.ndarray]:
    """Huber(log L̂ − log L) summed over runs, and its gradient in (a, b, e, α, β)."""
    a, b, e, alpha, beta = theta
    terms = np.stack([a - alpha * logN, b - beta * logD, np.full_like(logN, e)])   # (3, R)
    pred = np.logaddexp.reduce(terms, axis=0)        # log(A/N^α + B/D^β + E), A = e^a, B = e^b, E = e^e
    w = np.exp(terms - pred)                         # (3, R): each term's share of the prediction
    r = pred - logL
    huber = np.where(np.abs(r) <= delta, 0.5 * r ** 2, delta * (np.abs(r) - 0.5 * delta))
    g = np.clip(r, -delta, delta)                    # dHuber/dr
    grad = np.array([(g * w[0]).sum(), (g * w[1]).sum(), (g * w[2]).sum(),
                     -(g * w[0] * logN).sum(), -(g * w[1] * logD).sum()])
    return float(huber.sum()), grad


def scaling_law_objective(theta: np.ndarray, log_N: np.ndarray, log_D: np.ndarray, log_L: np.ndarray,
                          delta: float = 1e-3) -> float:
    """Lab 03's exercise: Chinchilla's fitting objective. theta = (a, b, e, α, β) with A = e^a, B = e^b, E = e^e;
    the sum over runs of Huber_δ(log L̂ − log L), L̂ = E + A/N^α + B/D^β computed in log space (logsumexp)."""
    return _objective(np.asarray(theta, dtype=float), log_N, log_D, log_L, delta)[0]


def fit_loss(N: Sequence[float], D: Sequence[float], L: Sequence[float], *, delta: float = 1e-3,
             grid: dict[str, Sequence[float]] | None = None,
             objective: Callable[..., float] | None = None) -> LossFit:
    """Fit L(N, D) = E + A/N^α + B/D^β (Chinchilla approach 3).

    Minimises the Huber loss (δ = 1e-3: robust to outliers) between log-predicted and log-observed
    loss with L-BFGS from every point of a grid of starting values, and keeps the best. Exponents
    are bounded to [0, 3]. ``objective(theta, log_N, log_D, log_L, delta) -> float`` replaces the built-in
    one (the exercise's); it is minimised with finite-difference gradients, the built-in with exact ones.
    """
    from scipy.optimize import minimize

    logN, logD, logL = (np.log(np.asarray(v, dtype=float)) for v in (N, D, L))
    if objective is None:
        fun, jac = _objective, True
    else:
        def fun(theta, *args):
            return float(objective(theta, *args))
        jac = None
    g = {"a": [0.0, 5.0, 10.0], "b": [0.0, 5.0, 10.0], "e": [-1.0, 0.0, 1.0, 1.5],
         "alpha": [0.2, 0.5, 1.0], "beta": [0.2, 0.5, 1.0]}
    g.update(grid or {})
    bounds = [(-10, 40), (-10, 40), (-5, 5), (0.0, 3.0), (0.0, 3.0)]
    best = None
    for theta0 in itertools.product(g["a"], g["b"], g["e"], g["alpha"], g["beta"]):
        res = minimize(fun, np.array(theta0), args=(logN, logD, logL, delta), method="L-BFGS-B",
                       jac=jac, bounds=bounds)
        if best is None or res.fun < best.fun:
            best = res
    a, b, e, alpha, beta = best.x
    return LossFit(E=math.exp(e), A=math.exp(a), B=math.exp(b), alpha=float(alpha), beta=float(beta),
                   objective=float(best.fun))


def fit_runs(runs: Sequence[SweepRun], **kwargs) -> LossFit:
    return fit_loss([r.params for r in runs], [r.tokens for r in runs], [r.val_loss for r in runs], **kwargs)


def chinchilla_optimal(C: float, tokens_per_param: float = CHINCHILLA_TOKENS_PER_PARAM) -> tuple[float, float]:
    """Chinchilla's rule of thumb: with D = r·N and C = 6·N·D, N = √(C / 6r) and D = r·N."""
    N = math.sqrt(C / (6 * tokens_per_param))
    return N, tokens_per_param * N


# ---- plots -------------------------------------------------------------------------------------------
def plot_loss_curves(logs: dict[str, trainer.TrainLog], ax=None, tokens_per_step: int | None = None):
    import matplotlib.pyplot as plt
    ax = ax or plt.gca()
    for name, log in logs.items():
        x = np.array(log.steps) * (tokens_per_step or 1)
        ax.plot(x, log.loss, label=name)
    ax.set_xlabel("tokens seen" if tokens_per_step else "step")
    ax.set_ylabel("training loss (nats/token)")
    ax.legend(fontsize=8)
    return ax


def _size_colors(runs: Sequence[SweepRun]) -> dict[str, tuple]:
    import matplotlib.pyplot as plt
    sizes = list(dict.fromkeys(r.size for r in runs))
    return {s: plt.cm.viridis(i / max(1, len(sizes) - 1)) for i, s in enumerate(sizes)}


def plot_sweep(runs: Sequence[SweepRun], fit: LossFit | None = None, ax=None):
    """Held-out loss against tokens, one line per model size, with the fitted L(N, D) dashed."""
    import matplotlib.pyplot as plt
    ax = ax or plt.gca()
    colors = _size_colors(runs)
    D_all = np.array([r.tokens for r in runs], dtype=float)
    grid = np.geomspace(D_all.min() / 1.5, D_all.max() * 1.5, 50)
    for size, color in colors.items():
        rs = [r for r in runs if r.size == size]
        ax.plot([r.tokens for r in rs], [r.val_loss for r in rs], "o-", color=color,
                label=f"{size} (N={rs[0].params / 1e3:.0f}k)")
        if fit is not None:
            ax.plot(grid, fit.predict(rs[0].params, grid), "--", color=color, alpha=0.7)
    ax.set_xscale("log")
    ax.set_xlabel("training tokens D")
    ax.set_ylabel("held-out loss (nats/token)")
    ax.set_title("scaling sweep (dashed: fitted L(N, D))", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def plot_isoflop(runs: Sequence[SweepRun], fit: LossFit, budgets: Sequence[float], ax=None,
                 measured: Sequence[SweepRun] = ()):
    """For fixed compute C, the fitted loss as N varies (D = C / 6N), drawn only across the sizes that were
    measured, on a loss axis that keeps every measured point in view. A ★ marks the fit's compute-optimal N
    where it lies inside that range. ``measured``: one real iso-FLOP curve (``isoflop_runs``), drawn beside
    the fitted curve of its own C."""
    import matplotlib.pyplot as plt
    ax = ax or plt.gca()
    N_all = np.array([r.params for r in runs], dtype=float)
    Ns = np.geomspace(N_all.min(), N_all.max(), 100)
    cmap = plt.cm.plasma
    logc = np.log10(np.asarray(budgets, dtype=float))
    span = max(1e-9, logc.max() - logc.min())
    for C, lc in zip(budgets, logc):
        color = cmap(0.85 * (lc - logc.min()) / span)
        ax.plot(Ns, fit.predict(Ns, C / (6 * Ns)), color=color, label=f"fit, C = {C:.1e} FLOPs")
        n_opt, d_opt = fit.optimal(C)
        if N_all.min() <= n_opt <= N_all.max():
            ax.plot([n_opt], [fit.predict(n_opt, d_opt)], "*", color=color, ms=12, mec="k")
    allc = np.log10([r.flops for r in runs])
    ax.scatter([r.params for r in runs], [r.val_loss for r in runs],
               c=[cmap(0.85 * (c - logc.min()) / span) for c in np.clip(allc, logc.min(), logc.max())],
               edgecolors="k", s=25, zorder=3, label="sweep runs")
    losses = [r.val_loss for r in runs]
    if measured:
        C = measured[0].flops
        ax.plot([r.params for r in measured], [r.val_loss for r in measured], "D-", color="k", ms=6, zorder=4,
                label=f"measured iso-FLOP, C = {C:.1e}")
        losses += [r.val_loss for r in measured]
    ax.set_ylim(min(losses) - 0.3, max(losses) + 0.3)   # the fit may shoot off; the measurements stay in view
    ax.set_xscale("log")
    ax.set_xlabel("parameters N (non-embedding)")
    ax.set_ylabel("loss (nats/token)")
    ax.set_title("iso-FLOP curves within the measured sizes (★ = the fit's optimum)", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def plot_lr_sweep(runs: Sequence[SweepRun], ax=None):
    """Held-out loss at the largest budget against the peak learning rate, one line per size."""
    import matplotlib.pyplot as plt
    ax = ax or plt.gca()
    colors = _size_colors(runs)
    for size, color in colors.items():
        mine = [r for r in runs if r.size == size]
        last = max(r.steps for r in mine)
        pts = sorted((r.lr, r.val_loss) for r in mine if r.steps == last)
        ax.plot(*zip(*pts), "o-", color=color, label=size)
        best = min(pts, key=lambda p: p[1])
        ax.plot(*best, "*", color=color, ms=12, mec="k")
    ax.set_xscale("log")
    rates = sorted({r.lr for r in runs})
    ax.minorticks_off()
    ax.set_xticks(rates, [f"{x:.2g}" for x in rates], fontsize=7, rotation=45)
    ax.set_xlabel("peak learning rate")
    ax.set_ylabel("held-out loss at the largest budget")
    ax.set_title("a learning-rate sweep per width (★ = best)", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def plot_optimal(fit: LossFit, budgets: Sequence[float], runs: Sequence[SweepRun] | None = None, ax=None):
    """N_opt(C) and D_opt(C) from the fit, beside Chinchilla's D = 20·N rule."""
    import matplotlib.pyplot as plt
    ax = ax or plt.gca()
    Cs = np.geomspace(min(budgets), max(budgets), 50)
    N, D = fit.optimal(Cs)
    ax.plot(Cs, N, label="N_opt (fit)")
    ax.plot(Cs, D, label="D_opt (fit)")
    n20 = np.sqrt(Cs / (6 * CHINCHILLA_TOKENS_PER_PARAM))
    ax.plot(Cs, n20, ":", color="C0", label="N, Chinchilla 20 tokens/param")
    ax.plot(Cs, 20 * n20, ":", color="C1", label="D, Chinchilla 20 tokens/param")
    if runs:
        ax.scatter([r.flops for r in runs], [r.params for r in runs], s=12, color="C0", alpha=0.5)
        ax.scatter([r.flops for r in runs], [r.tokens for r in runs], s=12, color="C1", alpha=0.5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("compute C (FLOPs)")
    ax.set_ylabel("parameters / tokens")
    ax.set_title("compute-optimal allocation", fontsize=9)
    ax.legend(fontsize=7)
    return ax
