"""What autograd keeps for the backward pass, counted from the tensors themselves.

    acts, weight_copies = saved_activation_bytes(model, input_ids)     # bytes saved by one forward with a loss
    storage_bytes(tensors)                                           # distinct storages, each once

Lab 04 measures memory with them, Lab 03 what gradient accumulation saves.
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


def saved_activation_bytes(model: torch.nn.Module, input_ids: torch.Tensor,
                           amp_dtype: torch.dtype | None = None) -> tuple[int, int]:
    """Bytes autograd saves during one forward pass with a loss: (activations, weight copies).
    Parameters themselves and the input ids are not activations; low-precision copies of parameters
    (autocast) are reported apart, recognised by their shape."""
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    matrices = [p.detach() for p in model.parameters() if p.dim() == 2]
    saved: dict[int, tuple[int, bool]] = {}

    def is_weight_copy(t: torch.Tensor) -> bool:     # autocast's cast of a weight (or its transpose)
        if amp_dtype is None or t.dtype != amp_dtype or t.dim() != 2:
            return False
        return any(tuple(w.shape) == tuple(c.shape) and torch.equal(w.to(amp_dtype), c)
                   for w in matrices for c in (t, t.t()))

    def pack(t: torch.Tensor) -> torch.Tensor:
        st = t.untyped_storage()
        if st.data_ptr() not in params and st.data_ptr() != input_ids.untyped_storage().data_ptr():
            saved[st.data_ptr()] = (st.nbytes(), is_weight_copy(t.detach()))
        return t

    device = input_ids.device.type
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), \
            torch.autocast(device, dtype=amp_dtype or torch.bfloat16, enabled=amp_dtype is not None):
        loss = model(input_ids, labels=input_ids).loss
    del loss
    acts = sum(b for b, copy in saved.values() if not copy)
    copies = sum(b for b, copy in saved.values() if copy)
    return acts, copies
