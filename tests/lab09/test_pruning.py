"""Lab 09 pruning against torch.nn.utils.prune, and structured pruning that really shrinks the model."""
from __future__ import annotations

import torch
from torch.nn.utils import prune

from llmlab.lab09 import pruning


def test_magnitude_mask_equals_l1_unstructured():
    g = torch.Generator().manual_seed(0)
    for shape, amount in (((16, 24), 0.3), ((7,), 0.5), ((9, 9), 0.9), ((4, 4), 0.0), ((3, 5), 1.0)):
        w = torch.randn(*shape, generator=g)
        layer = torch.nn.Linear(1, 1)
        layer.weight = torch.nn.Parameter(w.clone())
        prune.l1_unstructured(layer, "weight", amount=amount)
        assert torch.equal(pruning.magnitude_mask(w, amount), layer.weight_mask)


def test_prune_unstructured_hits_the_sparsity_and_keeps_the_original(gpt, ids):
    before = gpt(ids).logits
    pruned = pruning.prune_unstructured(gpt, 0.6)
    assert abs(pruning.sparsity(pruned) - 0.6) < 0.01
    assert torch.equal(gpt(ids).logits, before)                      # a copy: the original is untouched
    assert all(prune.is_pruned(m) for _, m in pruning.prunable(pruned))
    pruning.make_permanent(pruned)
    assert not any(prune.is_pruned(m) for _, m in pruning.prunable(pruned))
    assert abs(pruning.sparsity(pruned) - 0.6) < 0.01
    assert pruned.transformer.wte.weight.ne(0).all()               # embeddings stay dense


def test_prunable_layers_are_the_blocks_projections(gpt):
    names = [n for n, _ in pruning.prunable(gpt)]
    assert len(names) == 4 * gpt.config.n_layer and not any("wte" in n or "lm_head" in n for n in names)


def test_shrunk_mlp_equals_masked_mlp_without_the_neurons(gpt):
    """Cutting neurons out == ln_structured's choice of neurons with their bias and output rows zeroed too."""
    x = torch.randn(5, gpt.config.n_embd, generator=torch.Generator().manual_seed(2))
    mlp = gpt.transformer.h[0].mlp
    width = mlp.c_fc.weight.shape[1]
    fc = type(mlp.c_fc)(width, gpt.config.n_embd)
    fc.weight.data, fc.bias.data = mlp.c_fc.weight.data.clone(), mlp.c_fc.bias.data.clone()
    prune.ln_structured(fc, "weight", amount=0.75, n=2, dim=1)
    alive = fc.weight_mask[0] != 0                                   # (F,)
    ref = mlp.act(x @ (mlp.c_fc.weight * alive) + mlp.c_fc.bias * alive) @ (mlp.c_proj.weight * alive[:, None]) \
        + mlp.c_proj.bias
    import copy
    small = copy.deepcopy(mlp)
    pruning.shrink_mlp(small, int(alive.sum()))
    assert small.c_fc.weight.shape == (gpt.config.n_embd, int(alive.sum()))
    assert torch.allclose(small(x), ref, atol=1e-5)


def test_prune_neurons_shrinks_every_mlp(gpt, ids):
    small = pruning.prune_neurons(gpt, 0.5)
    width = 4 * gpt.config.n_embd
    assert all(m.c_fc.weight.shape[1] == width // 2 and m.c_proj.weight.shape[0] == width // 2
               for m in pruning.mlps(small))
    assert small(ids).logits.shape == gpt(ids).logits.shape
    assert sum(p.numel() for p in small.parameters()) < sum(p.numel() for p in gpt.parameters())
    assert torch.equal(pruning.prune_neurons(gpt, 0.0)(ids).logits, gpt(ids).logits)


def test_mask_neurons_zeros_whole_columns(gpt):
    masked = pruning.mask_neurons(gpt, 0.5)
    w = masked.transformer.h[0].mlp.c_fc.weight
    assert int((w == 0).all(0).sum()) == w.shape[1] // 2


def test_finetune_keeps_pruned_entries_at_zero(gpt, ids):
    pruned = pruning.prune_unstructured(gpt, 0.5)
    batch = {"input_ids": ids, "labels": ids.clone()}
    pruning.finetune(pruned, lambda step: batch, 3, lr=1e-2)
    assert abs(pruning.sparsity(pruned) - 0.5) < 0.01
    assert not any(prune.is_pruned(m) for _, m in pruning.prunable(pruned))


def test_sparsity_speed_rows():
    rows = pruning.sparsity_speed(d_in=64, d_out=128, tokens=16, amounts=(0.0, 0.9), repeats=2)
    assert [r["sparsity"] for r in rows] == [0.0, 0.9]
    assert all(v > 0 for r in rows for k, v in r.items() if k != "sparsity")
