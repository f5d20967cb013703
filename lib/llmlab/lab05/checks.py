"""Checks for Lab 05's exercise: a LoRA layer from scratch, compared with peft's ``LoraLayer``.

    check_lora_layer(LoRALinear)     # __init__(base, r, alpha, dropout), forward, merge, unmerge

The reference is peft itself (``lora.peft_twin``: peft's layer around a copy of the same base, with the
same A, B and scaling, dropout off). On a mismatch the check recomputes the usual wrong versions (no
scaling, r/alpha instead of alpha/r, B A transposed, dropout on the wrong branch, ...) to name the bug.
"""
from __future__ import annotations

import copy

import torch
from torch import nn
from transformers.pytorch_utils import Conv1D

from llmlab.checks import allclose, fail, generator, passed, run_case, single_threaded
from llmlab.checks import yours_or_reference  # noqa: F401 - the labs call checks.yours_or_reference
from llmlab.lab05 import lora as L

R, ALPHA = 2, 6.0            # scaling 3: neither 1 (missing) nor 1/3 (inverted)


class _Double(nn.Module):
    """Stands in for dropout in the check: doubles what goes through it, so the branch it sits on shows."""

    def forward(self, x):
        return 2 * x


def _bases(g: torch.Generator) -> list[tuple[str, nn.Module]]:
    torch.manual_seed(int(torch.randint(0, 2**31, (1,), generator=g)))
    return [("nn.Linear(6 -> 10)", nn.Linear(6, 10)), ("GPT-2 Conv1D(6 -> 10), weight stored (in, out)", Conv1D(10, 6)),
            ("nn.Linear(8 -> 8)", nn.Linear(8, 8)), ("GPT-2 Conv1D(8 -> 8)", Conv1D(8, 8))]


def _build(ex, cls, base, desc, dropout=0.0):
    layer = run_case(ex, cls, f"{cls.__name__}({desc}, r={R}, alpha={ALPHA:g}, dropout={dropout})", base, R, ALPHA,
                     dropout)
    for attr, shape in (("lora_A", (R, L.in_out(base)[0])), ("lora_B", (L.in_out(base)[1], R))):
        p = getattr(layer, attr, None)
        if not isinstance(p, nn.Parameter):
            fail(ex, f"the layer needs an nn.Parameter `{attr}` (got {type(p).__name__}); peft's names and shapes: "
                     f"lora_A (r, in), lora_B (out, r).")
        if tuple(p.shape) != shape:
            fail(ex, f"`{attr}` has shape {tuple(p.shape)} for {desc}, expected {shape} (lora_A is (r, in), lora_B "
                     "is (out, r)). For a Conv1D, in and out are weight.shape[0] and weight.shape[1].")
    return layer


def _set(layer, A, B):
    with torch.no_grad():
        layer.lora_A.copy_(A)
        layer.lora_B.copy_(B)


def _fwd(ex, layer, x, desc):
    return run_case(ex, layer, desc, x, names=("x",), inplace_hint="Compute new tensors (x * s, not x.mul_(s)): "
                    "the base branch needs the original x.")


def _diagnose(ex, got, base, x, A, B, desc):
    """Name the bug behind a wrong forward, from the usual wrong versions."""
    y = base(x)
    delta = x @ A.T @ B.T
    s = ALPHA / R
    if allclose(got, y):
        fail(ex, f"on {desc} your output equals the base layer's alone: the LoRA branch is missing (or multiplied "
                 "by zero).")
    for wrong, why in ((y + delta, "the update is not multiplied by scaling = alpha / r"),
                       (y + delta / s, "the update is multiplied by r / alpha; scaling is alpha / r"),
                       (y + delta * ALPHA, "the update is multiplied by alpha; scaling is alpha / r"),
                       (y + s * s * delta, "scaling is applied twice")):
        if allclose(got, wrong):
            fail(ex, f"on {desc}: {why}.")
    if A.shape[1] == B.shape[0]:
        for wrong, why in ((y + s * (x @ B @ A), "B A is applied transposed (x Bᵀ... ): the update is x Aᵀ Bᵀ, "
                            "A first"), (y + s * (x @ (B @ A)), "the update (out, in) is applied without "
                                         "transposing it: x (B A)ᵀ, i.e. x Aᵀ Bᵀ")):
            if allclose(got, wrong):
                fail(ex, f"on {desc}: {why}.")
    fail(ex, f"on {desc} your output differs from peft's LoRA layer (same A, B, scaling, dropout off) by up to "
             f"{(got - (y + s * delta)).abs().max().item():.3g}; expected base(x) + (alpha / r) · x Aᵀ Bᵀ.")


@single_threaded
def check_lora_layer(cls, name: str = "Exercise: LoRA layer") -> None:
    ex = name
    g = generator(5)
    for desc, base in _bases(g):
        conv = L.is_conv1d(base)
        layer = _build(ex, cls, copy.deepcopy(base), desc)
        x = torch.randn(3, 4, L.in_out(base)[0], generator=g)
        # --- a fresh layer is its base; the base is frozen; A and B train
        got = _fwd(ex, layer.eval(), x, f"a fresh layer around {desc}")
        if not isinstance(got, torch.Tensor) or got.shape != base(x).shape:
            fail(ex, f"a fresh layer around {desc} returned {getattr(got, 'shape', type(got).__name__)}, expected a "
                     f"tensor of shape {tuple(base(x).shape)}.")
        if not allclose(got, base(x)):
            fail(ex, f"a fresh layer around {desc} does not give the base layer's output: initialise lora_B with "
                     "zeros (A random) so that training starts from the pretrained model.")
        base_params = list(layer.base.parameters()) if hasattr(layer, "base") else []
        if not base_params:
            fail(ex, "keep the wrapped layer as `self.base` (the check reads its weight).")
        if any(p.requires_grad for p in base_params):
            fail(ex, f"the base layer's parameters still require gradients ({desc}): freeze them "
                     "(p.requires_grad_(False)) — LoRA trains only A and B.")
        if not (layer.lora_A.requires_grad and layer.lora_B.requires_grad):
            fail(ex, "lora_A and lora_B must require gradients: they are what LoRA trains.")
        # --- the same A, B as peft
        A = torch.randn(R, L.in_out(base)[0], generator=g) * 0.5
        B = torch.randn(L.in_out(base)[1], R, generator=g) * 0.5
        _set(layer, A, B)
        ref = L.peft_twin(base, A, B, ALPHA)
        with torch.no_grad():
            expected = ref(x)
            got = _fwd(ex, layer, x, f"{desc} with random A, B")
        if not allclose(got, expected, atol=1e-5):
            _diagnose(ex, got.detach(), base, x, A, B, desc)
        # --- gradients: only A and B, equal to peft's
        layer.train()
        if hasattr(layer, "dropout"):
            layer.dropout = nn.Identity()
        out = _fwd(ex, layer, x, f"{desc} in training mode")
        out.pow(2).sum().backward()
        ref_layer = ref.base_model.model.layer
        ref(x).pow(2).sum().backward()
        for mine, theirs, what in ((layer.lora_A.grad, ref_layer.lora_A["default"].weight.grad, "lora_A"),
                                   (layer.lora_B.grad, ref_layer.lora_B["default"].weight.grad, "lora_B")):
            if mine is None or not allclose(mine, theirs, atol=1e-4):
                fail(ex, f"the gradient of {what} differs from peft's ({desc}): does the forward use the parameters "
                         "themselves (not a detached copy or .data)?")
        if any(p.grad is not None for p in base_params):
            fail(ex, "the base weight received a gradient: freeze it.")
        # --- dropout belongs on the LoRA branch's input
        layer.dropout = _Double()
        with torch.no_grad():
            got = _fwd(ex, layer, x, f"{desc} with a dropout module")
            y, s, d = base(x), ALPHA / R, x @ A.T @ B.T
        if not allclose(got, y + s * 2 * d):
            if allclose(got, base(2 * x) + s * 2 * d) or allclose(got, base(2 * x) + s * d):
                fail(ex, "dropout is applied to the base branch's input too: only the LoRA branch sees dropout(x).")
            if allclose(got, 2 * (y + s * d)):
                fail(ex, "dropout is applied to the layer's output: only the LoRA branch's input goes through it.")
            if allclose(got, y + s * d):
                fail(ex, "self.dropout is never called: the LoRA branch is base(x) + scaling · dropout(x) Aᵀ Bᵀ.")
            fail(ex, "with dropout in the LoRA branch the output is wrong: expected "
                     "base(x) + scaling · dropout(x) Aᵀ Bᵀ.")
        layer.dropout = nn.Identity()
        layer.eval()
        # --- merge: the weight becomes W + scaling · B A (transposed for Conv1D), the output stays
        w0 = layer.base.weight.detach().clone()
        with torch.no_grad():
            before = layer(x)
        run_case(ex, layer.merge, f"merge() on {desc}",
                 crash_hint="For a Conv1D the weight is (in, out) and B A is (out, in): transpose it." if conv else "")
        ref_layer.merge()
        if not allclose(layer.base.weight.detach(), ref_layer.base_layer.weight.detach(), atol=1e-5):
            dw = layer.base.weight.detach() - w0
            true = (B @ A).T if conv else B @ A
            if allclose(dw, true):
                fail(ex, "merge() adds B A without the scaling alpha / r.")
            if allclose(dw, true / (ALPHA / R) ** 2) or allclose(dw, true * R / ALPHA):
                fail(ex, "merge() scales B A by r / alpha; scaling is alpha / r.")
            if dw.shape[0] == dw.shape[1] and allclose(dw, (ALPHA / R) * true.T):
                fail(ex, "merge() adds B A transposed the wrong way " + (
                    "(a Conv1D weight is (in, out): add (B A)ᵀ)." if conv
                    else "(an nn.Linear weight is (out, in): add B A)."))
            fail(ex, f"after merge() the weight of {desc} differs from peft's merged weight (W + scaling · B A"
                     + (", transposed for Conv1D)." if conv else ")."))
        with torch.no_grad():
            after = _fwd(ex, layer, x, f"{desc} after merge()")
        if not allclose(after, before, atol=1e-5):
            fail(ex, "after merge() the output changed: once B A is in the weight, forward must not add the LoRA "
                     "branch again (keep a `merged` flag).")
        run_case(ex, layer.unmerge, f"unmerge() on {desc}")
        if not allclose(layer.base.weight.detach(), w0, atol=1e-5):
            fail(ex, "unmerge() does not restore the original weight: subtract exactly what merge() added "
                     "(scaling · B A, laid out like the weight).")
        with torch.no_grad():
            again = _fwd(ex, layer, x, f"{desc} after unmerge()")
        if not allclose(again, before, atol=1e-5):
            fail(ex, "after unmerge() the output differs from before merge(): the LoRA branch must be added again "
                     "(reset the `merged` flag).")
    passed(ex, "forward, gradients, dropout, merge and unmerge equal peft's LoRA layer (nn.Linear and GPT-2 "
               "Conv1D, scaling alpha / r)")
