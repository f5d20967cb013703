"""Held-out student variants for Lab 02, Exercise 1: attention_fn(q, k, v, allowed=None)."""
import math

import numpy as np
import torch
import torch.nn.functional as F


# ---------------------------------------------------------------- correct
def c_reference(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                allowed: torch.Tensor | None = None) -> torch.Tensor:
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(dim=-1) @ v


def c_einsum_where(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                   allowed: torch.Tensor | None = None) -> torch.Tensor:
    d = q.shape[-1]
    scores = torch.einsum("...td,...sd->...ts", q, k) / d ** 0.5
    if allowed is not None:
        scores = torch.where(allowed, scores, torch.full_like(scores, float("-inf")))
    weights = torch.softmax(scores, dim=-1)
    return torch.einsum("...ts,...se->...te", weights, v)


def c_prescaled_query(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                      allowed: torch.Tensor | None = None) -> torch.Tensor:
    q = q * (1.0 / math.sqrt(q.size(-1)))               # a new tensor; the caller's q is untouched
    scores = torch.matmul(q, k.mT)
    if allowed is not None:
        scores = scores.masked_fill(allowed.logical_not(), -math.inf)
    return torch.matmul(F.softmax(scores, dim=-1), v)


# ---------------------------------------------------------------- wrong
def w_no_scaling(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1)
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(-1) @ v


def w_scale_by_d(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1) / q.size(-1)
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(-1) @ v


def w_scale_by_value_dim(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(v.size(-1))  # Dv, not D: wrong when they differ
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(-1) @ v


def w_scale_by_seq_len(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(k.size(-2))
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(-1) @ v


def w_softmax_over_queries(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(-2) @ v


def w_mask_after_softmax(q, k, v, allowed=None):
    w = (q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))).softmax(-1)
    if allowed is not None:
        w = w * allowed                                  # no renormalisation
    return w @ v


def w_fill_minus_1e4(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if allowed is not None:
        scores = scores.masked_fill(~allowed, -1e4)      # large-magnitude scores beat the "mask"
    return scores.softmax(-1) @ v


def w_mask_inverted(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if allowed is not None:
        scores = scores.masked_fill(allowed, float("-inf"))
    return scores.softmax(-1) @ v


def w_additive_bool_mask(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if allowed is not None:
        scores = scores + allowed.to(scores.dtype)       # treats the boolean mask as an additive bias
    return scores.softmax(-1) @ v


def w_transpose_1_2(q, k, v, allowed=None):
    scores = q @ k.transpose(1, 2) / math.sqrt(q.size(-1))  # right only for 3-D inputs
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(-1) @ v


def w_returns_weights(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(-1)


def w_float64_output(q, k, v, allowed=None):
    q, k, v = q.double(), k.double(), v.double()
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(-1) @ v


def w_always_float32(q, k, v, allowed=None):
    q, k, v = q.float(), k.float(), v.float()            # float64 inputs lose precision and dtype
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(-1) @ v


def w_calls_sdpa(q, k, v, allowed=None):
    return F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)  # forbidden


def w_naive_softmax(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    e = torch.exp(scores)                                # overflows for large scores
    if allowed is not None:
        e = e * allowed
    return (e / e.sum(-1, keepdim=True)) @ v


def w_detached_weights(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(-1).detach() @ v               # no gradient reaches q and k


def w_numpy_round_trip(q, k, v, allowed=None):
    qn, kn, vn = (t.detach().cpu().numpy() for t in (q, k, v))
    scores = qn @ np.swapaxes(kn, -1, -2) / math.sqrt(qn.shape[-1])
    if allowed is not None:
        scores = np.where(allowed.cpu().numpy(), scores, -np.inf)
    scores = scores - scores.max(-1, keepdims=True)
    w = np.exp(scores)
    w = w / w.sum(-1, keepdims=True)
    return torch.from_numpy(w @ vn).to(q.device)


def w_no_none_check(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    scores = scores.masked_fill(~allowed, float("-inf"))  # crashes for allowed=None
    return scores.softmax(-1) @ v


def w_mask_transposed(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if allowed is not None:
        scores = scores.masked_fill(~allowed.transpose(-2, -1), float("-inf"))
    return scores.softmax(-1) @ v


def w_scale_after_softmax(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1)
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(-1) / math.sqrt(q.size(-1)) @ v


def w_weights_times_keys(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(-1) @ k                        # keys where the values belong


def w_in_place_scaling(q, k, v, allowed=None):
    q /= math.sqrt(q.size(-1))                            # modifies the caller's q
    scores = q @ k.transpose(-2, -1)
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(-1) @ v


def w_mask_unsqueezed(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if allowed is not None:
        scores = scores.masked_fill(~allowed.unsqueeze(0).unsqueeze(0), float("-inf"))  # adds dims
    return scores.softmax(-1) @ v


CORRECT = {
    "reference: matmul, masked_fill -inf, softmax, matmul": c_reference,
    "einsum with torch.where mask": c_einsum_where,
    "pre-scaled query (new tensor), .mT, F.softmax": c_prescaled_query,
}

WRONG = {
    "no 1/sqrt(d) scaling": w_no_scaling,
    "divides by d instead of sqrt(d)": w_scale_by_d,
    "scales by sqrt of the value dim Dv": w_scale_by_value_dim,
    "scales by sqrt of the number of keys": w_scale_by_seq_len,
    "softmax over the query axis": w_softmax_over_queries,
    "mask multiplied in after the softmax (no renormalisation)": w_mask_after_softmax,
    "masked scores -1e4 instead of -inf": w_fill_minus_1e4,
    "mask inverted (attends to the disallowed keys)": w_mask_inverted,
    "boolean mask added as a float bias": w_additive_bool_mask,
    "k.transpose(1, 2): wrong for 4-D inputs": w_transpose_1_2,
    "returns the attention weights, not the output": w_returns_weights,
    "returns float64": w_float64_output,
    "casts to float32 (dtype/precision of float64 inputs)": w_always_float32,
    "calls F.scaled_dot_product_attention (forbidden)": w_calls_sdpa,
    "exp without max subtraction (overflow to nan)": w_naive_softmax,
    "detaches the attention weights": w_detached_weights,
    "numpy round trip (detached: no gradients; fails for bf16)": w_numpy_round_trip,
    "no None check on allowed": w_no_none_check,
    "mask transposed": w_mask_transposed,
    "1/sqrt(d) applied after the softmax": w_scale_after_softmax,
    "weighted sum of the keys instead of the values": w_weights_times_keys,
    "scales q in place": w_in_place_scaling,
    "mask gets two extra leading dims": w_mask_unsqueezed,
}
