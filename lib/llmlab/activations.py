"""What autograd keeps for the backward pass, counted from the tensors themselves.

    acts, weight_copies = saved_activation_bytes(model, input_ids)     # bytes saved by one forward with a loss
    acts, _ = saved_activation_bytes(model, {"input_ids": x, "labels": y})   # any model's keyword arguments
    storage_bytes(tensors)                                           # distinct storages, each once

Lab 04 measures memory with them, Lab 03 what gradient accumulation saves, Lab 05 what PEFT saves.
"""
from __future__ import annotations

import torch


def storage_bytes(tensors) -> int:
    """Bytes of the distinct storages behind ``tensors`` (a view or a tensor listed twice counts once)."""
    seen, total = set(), 0
    for t in tensors:
        st = t.untyped_storage()
        if st.data_ptr() not in seen:
            seen.add(st.data_ptr())
            total += st.nbytes()
    return total


def saved_activation_bytes(model: torch.nn.Module, batch: torch.Tensor | dict[str, torch.Tensor],
                           amp_dtype: torch.dtype | None = None, *, backward: bool = False) -> tuple[int, int]:
    """Bytes autograd saves during one forward pass with a loss: (activations, weight copies).

    ``batch`` is a causal LM's ``input_ids`` (its own labels) or the keyword arguments of ``model``
    (``input_ids``, ``labels``, ...). Parameters themselves, trainable or frozen, and the batch's
    tensors are not activations; low-precision copies of parameters (autocast) are reported apart,
    recognised by their shape. ``backward=True`` also runs the backward pass (gradients land in ``.grad``).
    """
    inputs = {"input_ids": batch, "labels": batch} if torch.is_tensor(batch) else batch
    not_saved = {t.untyped_storage().data_ptr() for t in (*model.parameters(), *inputs.values()) if torch.is_tensor(t)}
    matrices = [p.detach() for p in model.parameters() if p.dim() == 2]
    saved: dict[int, tuple[int, bool]] = {}

    def is_weight_copy(t: torch.Tensor) -> bool:     # autocast's cast of a weight (or its transpose)
        if amp_dtype is None or t.dtype != amp_dtype or t.dim() != 2:
            return False
        return any(tuple(w.shape) == tuple(c.shape) and torch.equal(w.to(amp_dtype), c)
                   for w in matrices for c in (t, t.t()))

    def pack(t: torch.Tensor) -> torch.Tensor:
        st = t.untyped_storage()
        if st.data_ptr() not in not_saved:
            saved[st.data_ptr()] = (st.nbytes(), is_weight_copy(t.detach()))
        return t

    device = next(model.parameters()).device.type
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), \
            torch.autocast(device, dtype=amp_dtype or torch.bfloat16, enabled=amp_dtype is not None):
        loss = model(**inputs).loss
    if backward:
        loss.backward()
    del loss
    acts = sum(b for b, copy in saved.values() if not copy)
    copies = sum(b for b, copy in saved.values() if copy)
    return acts, copies
