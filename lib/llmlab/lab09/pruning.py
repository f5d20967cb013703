"""Magnitude pruning: zero the smallest weights (unstructured) or remove whole FFN neurons (structured).

Unstructured: ``torch.nn.utils.prune.l1_unstructured`` keeps a 0/1 mask beside each weight
(``weight = weight_orig * weight_mask``, recomputed before every forward), so a short fine-tune after
pruning keeps the pruned entries at zero. The matrix keeps its shape: a dense kernel multiplies the
zeros like any other number, so 90% sparsity is no faster.

Structured: ``prune.ln_structured(n=2, dim=1)`` on an MLP's input projection (GPT-2's ``Conv1D`` stores
weights as (in, out), so a neuron is a *column*) masks the neurons whose input weights have the
smallest L2 norm; ``shrink_mlp`` then cuts them out for real — a narrower ``c_fc`` (d, k), its bias
(k,) and the matching rows of ``c_proj`` (k, d) — and the matrices, and the time, shrink.
"""
from __future__ import annotations

import copy
import time
import warnings

import torch
from torch.nn.utils import prune
from transformers import PreTrainedModel
from transformers.pytorch_utils import Conv1D


# ---- the mask, by hand (the exercise's reference) ------------------------------------------------
def n_to_prune(amount: float, n: int) -> int:
    """How many entries a fraction ``amount`` of ``n`` prunes, rounded as torch does (Python's round)."""
    return round(amount * n)


def magnitude_mask(weight: torch.Tensor, amount: float) -> torch.Tensor:
    """0/1 mask (weight's shape and dtype) that zeros the ``round(amount · numel)`` entries of smallest
    |w| over the whole tensor, ties broken as ``torch.topk`` does == ``prune.l1_unstructured``'s mask."""
    k = n_to_prune(amount, weight.numel())
    mask = torch.ones_like(weight)
    if k > 0:
        smallest = torch.topk(weight.abs().flatten(), k, largest=False).indices     # (k,)
        mask.view(-1)[smallest] = 0
    return mask


def neuron_scores(w_in: torch.Tensor) -> torch.Tensor:
    """L2 norm of each neuron's input weights: w_in is GPT-2's c_fc weight (d, F) -> (F,)."""
    return w_in.norm(p=2, dim=0)


def kept_neurons(w_in: torch.Tensor, keep: int) -> torch.Tensor:
    """Indices (in increasing order) of the ``keep`` neurons with the largest input-weight norm."""
    return torch.topk(neuron_scores(w_in), keep).indices.sort().values


def shrink_mlp_weights(w_in: torch.Tensor, b_in: torch.Tensor, w_out: torch.Tensor, keep: int
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Cut an MLP down to its ``keep`` strongest neurons: (d, F), (F,), (F, d) -> (d, k), (k,), (k, d)."""
    idx = kept_neurons(w_in, keep)
    return w_in[:, idx].clone(), b_in[idx].clone(), w_out[idx, :].clone()


# ---- whole models -----------------------------------------------------------------------------
def prunable(model: PreTrainedModel) -> list[tuple[str, torch.nn.Module]]:
    """The transformer blocks' projections (attention qkv and output, MLP in and out). The token
    embedding (tied to the output head) and the position embedding stay dense."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, (Conv1D, torch.nn.Linear))
            and ".h." in f".{n}"]


def sparsity(model: PreTrainedModel) -> float:
    """Share of zeros in the prunable weights."""
    ws = [m.weight for _, m in prunable(model)]
    return sum(int((w == 0).sum()) for w in ws) / sum(w.numel() for w in ws)


def prune_unstructured(model: PreTrainedModel, amount: float, permanent: bool = False) -> PreTrainedModel:
    """A copy with ``amount`` of every prunable weight zeroed by |w| (per layer, l1_unstructured).
    The masks stay (``weight_orig``, ``weight_mask``) unless ``permanent``, so fine-tuning keeps the zeros."""
    model = copy.deepcopy(model)
    for _, m in prunable(model):
        prune.l1_unstructured(m, "weight", amount=amount)
        if permanent:
            prune.remove(m, "weight")
    return model


def make_permanent(model: PreTrainedModel) -> PreTrainedModel:
    """Fold every pruning mask into its weight (``prune.remove``): a plain model again."""
    for _, m in prunable(model):
        if prune.is_pruned(m):
            prune.remove(m, "weight")
    return model


def mlps(model: PreTrainedModel) -> list[torch.nn.Module]:
    return [block.mlp for block in model.transformer.h]


def mask_neurons(model: PreTrainedModel, amount: float) -> PreTrainedModel:
    """A copy whose MLPs have ``amount`` of their neurons masked (``ln_structured``, L2 over each
    column of c_fc): the weights are zeros, the shapes unchanged."""
    model = copy.deepcopy(model)
    for mlp in mlps(model):
        prune.ln_structured(mlp.c_fc, "weight", amount=amount, n=2, dim=1)
        prune.remove(mlp.c_fc, "weight")
    return model


def shrink_mlp(mlp: torch.nn.Module, keep: int, shrink_fn=shrink_mlp_weights) -> None:
    """Replace an MLP's c_fc / c_proj (in place) by narrower Conv1Ds holding the ``keep`` strongest neurons."""
    w_in, b_in, w_out = shrink_fn(mlp.c_fc.weight.data, mlp.c_fc.bias.data, mlp.c_proj.weight.data, keep)
    d = w_in.shape[0]
    fc, proj = Conv1D(keep, d), Conv1D(d, keep)
    fc.weight.data, fc.bias.data = w_in, b_in
    proj.weight.data, proj.bias.data = w_out, mlp.c_proj.bias.data.clone()
    mlp.c_fc, mlp.c_proj = fc, proj


def prune_neurons(model: PreTrainedModel, amount: float, shrink_fn=shrink_mlp_weights) -> PreTrainedModel:
    """A copy with ``amount`` of every MLP's neurons removed: physically smaller matrices."""
    model = copy.deepcopy(model)
    for mlp in mlps(model):
        width = mlp.c_fc.weight.shape[1]
        shrink_mlp(mlp, width - n_to_prune(amount, width), shrink_fn)
    model.config.n_inner = mlps(model)[0].c_fc.weight.shape[1]
    return model


# ---- does sparsity buy speed? ---------------------------------------------------------------------
def _min_seconds(fns: dict, repeats: int) -> dict:
    """Fastest wall time of each ``fn()`` over ``repeats`` rounds, the functions interleaved within a round
    so that a burst of load on a shared machine hits all of them alike (the minimum ignores such bursts)."""
    for fn in fns.values():
        fn()                                                   # warm-up
    best = {k: float("inf") for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - start)
    return best


KINDS = ("dense zeros (unstructured)", "neurons removed (structured)", "CSR sparse kernel")


def sparsity_speed(d_in: int = 1024, d_out: int = 4096, tokens: int = 256, amounts=(0.0, 0.5, 0.9),
                   repeats: int = 10, seed: int = 0) -> list[dict]:
    """One layer's matmul time (seconds): with ``amount`` of its entries zeroed (same shape, dense kernel),
    with ``amount`` of its output neurons removed (a (d_in, (1-amount)·d_out) matrix), and as a CSR
    sparse tensor (a sparse kernel)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(tokens, d_in, generator=g)                  # (N, d_in)
    x_t = x.t().contiguous()                                     # (d_in, N)
    w = torch.randn(d_in, d_out, generator=g)                    # (d_in, d_out), GPT-2's Conv1D layout
    fns = {}
    for a in amounts:
        zeroed = w * magnitude_mask(w, a)
        cut = w[:, kept_neurons(w, d_out - n_to_prune(a, d_out))]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta", category=UserWarning)
            sparse = zeroed.t().contiguous().to_sparse_csr()               # (d_out, d_in): y^T = W^T x^T
        fns[a, KINDS[0]] = lambda z=zeroed: x @ z
        fns[a, KINDS[1]] = lambda c=cut: x @ c
        fns[a, KINDS[2]] = lambda sp=sparse: torch.sparse.mm(sp, x_t)
    best = _min_seconds(fns, repeats)
    return [{"sparsity": a, **{k: best[a, k] for k in KINDS}} for a in amounts]


# ---- recovering with a short fine-tune ------------------------------------------------------------
def finetune(model: PreTrainedModel, next_batch, steps: int, lr: float = 1e-3, **train_kwargs) -> PreTrainedModel:
    """A short fine-tune after pruning, in place. Unstructured masks are still attached
    (``weight = weight_orig * weight_mask``), so pruned entries stay zero; then they are folded in."""
    from llmlab import train as trainer
    trainer.train(model, next_batch, steps, lr=lr, warmup=min(10, steps // 5), progress=False,
                  desc="recover", **train_kwargs)
    return make_permanent(model).eval()


def removed_share(model: PreTrainedModel, base: PreTrainedModel) -> float:
    """Share of the base model's block weights that are gone: zeroed (unstructured) or cut out (structured)."""
    def alive(m):
        return sum(int((mod.weight != 0).sum()) for _, mod in prunable(m))
    return 1 - alive(model) / alive(base)
