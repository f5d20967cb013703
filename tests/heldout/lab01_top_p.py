"""Held-out student variants for Lab 01, Exercise 3: top_p(logits, p)."""
import torch

NEG_INF = float("-inf")


# ---------------------------------------------------------------- correct
def c_reference(logits: torch.Tensor, p: float) -> torch.Tensor:
    sorted_logits, sorted_idx = torch.sort(logits, dim=-1, descending=False)
    tail = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    remove_sorted = tail <= (1 - p)
    remove_sorted[..., -1:] = False
    remove = remove_sorted.scatter(-1, sorted_idx, remove_sorted)
    return logits.masked_fill(remove, NEG_INF)


def c_argsort_gather(logits: torch.Tensor, p: float) -> torch.Tensor:
    sorted_logits, sorted_idx = torch.sort(logits, dim=-1, descending=False)
    cum = torch.cumsum(torch.softmax(sorted_logits, dim=-1), dim=-1)
    drop = cum <= 1 - p
    drop[..., -1] = False
    inverse = torch.argsort(sorted_idx, dim=-1)          # the inverse permutation
    drop = torch.gather(drop, -1, inverse)
    return torch.where(drop, torch.full_like(logits, NEG_INF), logits)


def c_scatter_into_zeros(logits: torch.Tensor, p: float) -> torch.Tensor:
    vals, idx = logits.sort(dim=-1)
    mass_from_bottom = vals.softmax(-1).cumsum(-1)
    keep_sorted = mass_from_bottom > (1 - p)
    keep_sorted[..., -1] = True                          # the most likely token always survives
    keep = torch.zeros_like(keep_sorted).scatter_(-1, idx, keep_sorted)
    out = logits.clone()
    out[~keep] = NEG_INF
    return out


# ---------------------------------------------------------------- wrong
def _ascending(logits):
    sorted_logits, sorted_idx = torch.sort(logits, dim=-1, descending=False)
    return sorted_logits, sorted_idx, sorted_logits.softmax(dim=-1).cumsum(dim=-1)


def w_drops_crossing_token(logits, p):
    sorted_logits, idx = torch.sort(logits, dim=-1, descending=True)
    cum = sorted_logits.softmax(-1).cumsum(-1)
    remove = cum > p                                     # the token that crosses p is removed
    remove[..., 0] = False
    return logits.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


def w_descending_shift(logits, p):
    sorted_logits, idx = torch.sort(logits, dim=-1, descending=True)
    cum = sorted_logits.softmax(-1).cumsum(-1)
    remove = cum > p
    remove[..., 1:] = remove[..., :-1].clone()           # shift right: keep the crossing token
    remove[..., 0] = False                               # ... but a sum landing exactly on p keeps one more
    return logits.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


def w_no_min_keep(logits, p):
    sorted_logits, idx, tail = _ascending(logits)
    remove = tail <= (1 - p)                             # p = 0 removes every token
    return logits.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


def w_strict_less(logits, p):
    sorted_logits, idx, tail = _ascending(logits)
    remove = tail < (1 - p)                              # exact crossings keep one token too many
    remove[..., -1:] = False
    return logits.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


def w_mask_not_unsorted(logits, p):
    sorted_logits, idx, tail = _ascending(logits)
    remove = tail <= (1 - p)
    remove[..., -1:] = False
    return logits.masked_fill(remove, NEG_INF)           # sorted-order mask applied in vocabulary order


def w_gather_instead_of_scatter(logits, p):
    sorted_logits, idx, tail = _ascending(logits)
    remove = tail <= (1 - p)
    remove[..., -1:] = False
    return logits.masked_fill(remove.gather(-1, idx), NEG_INF)  # applies the permutation, not its inverse


def w_no_sort(logits, p):
    cum = logits.softmax(-1).cumsum(-1)                  # cumulative mass in vocabulary order
    remove = cum > p
    remove[..., 1:] = remove[..., :-1].clone()
    remove[..., 0] = False
    return logits.masked_fill(remove, NEG_INF)


def w_softmax_over_batch(logits, p):
    sorted_logits, idx = torch.sort(logits, dim=-1, descending=False)
    tail = sorted_logits.softmax(dim=0).cumsum(dim=-1)
    remove = tail <= (1 - p)
    remove[..., -1:] = False
    return logits.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


def w_float64_output(logits, p):
    x = logits.double()
    sorted_logits, idx, tail = _ascending(x)
    remove = tail <= (1 - p)
    remove[..., -1:] = False
    return x.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


def w_in_place(logits, p):
    sorted_logits, idx, tail = _ascending(logits)
    remove = tail <= (1 - p)
    remove[..., -1:] = False
    return logits.masked_fill_(remove.scatter(-1, idx, remove), NEG_INF)


def w_per_token_threshold(logits, p):
    probs = logits.softmax(-1)
    remove = probs < (1 - p)                             # thresholds each token's own probability
    remove[probs == probs.max(-1, keepdim=True).values] = False
    return logits.masked_fill(remove, NEG_INF)


def w_filter_minus_1e9(logits, p):
    sorted_logits, idx, tail = _ascending(logits)
    remove = tail <= (1 - p)
    remove[..., -1:] = False
    return logits.masked_fill(remove.scatter(-1, idx, remove), -1e9)


def w_confuses_p_and_1_minus_p(logits, p):
    sorted_logits, idx, tail = _ascending(logits)
    remove = tail <= p
    remove[..., -1:] = False
    return logits.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


def w_naive_softmax_overflow(logits, p):
    sorted_logits, idx = torch.sort(logits, dim=-1, descending=False)
    e = torch.exp(sorted_logits)                         # no max subtraction: inf/inf = nan for large logits
    tail = (e / e.sum(-1, keepdim=True)).cumsum(-1)
    remove = tail <= (1 - p)
    remove[..., -1:] = False
    return logits.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


def w_keeps_least_likely(logits, p):
    sorted_logits, idx, tail = _ascending(logits)
    remove = tail <= (1 - p)
    remove[..., :1] = False                              # "keep the first": in ascending order that is the least likely
    return logits.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


def w_early_return_p_one(logits, p):
    if p >= 1.0:
        return logits.clone()                            # HF still drops tokens whose probability underflows to 0
    sorted_logits, idx, tail = _ascending(logits)
    remove = tail <= (1 - p)
    remove[..., -1:] = False
    return logits.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


def w_first_row_cutoff(logits, p):
    sorted_logits, idx, tail = _ascending(logits)
    n_drop = int((tail[0] <= (1 - p)).sum().clamp(max=logits.size(-1) - 1))
    remove = torch.zeros_like(tail, dtype=torch.bool)
    remove[..., :n_drop] = True                          # row 0's cut-off count used for every row
    return logits.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


CORRECT = {
    "reference: ascending sort, drop tail mass <= 1-p, scatter back": c_reference,
    "argsort inverse permutation + gather, torch.where": c_argsort_gather,
    "keep-mask scattered into zeros, boolean indexing on a clone": c_scatter_into_zeros,
}

WRONG = {
    "descending cumsum > p removes the crossing token": w_drops_crossing_token,
    "descending cumsum shifted right (disagrees on exact crossings, e.g. uniform rows)": w_descending_shift,
    "no minimum of one token: p = 0 removes everything": w_no_min_keep,
    "< instead of <= (one token too many on exact crossings)": w_strict_less,
    "sorted-order mask applied without mapping back": w_mask_not_unsorted,
    "gather instead of scatter to map back": w_gather_instead_of_scatter,
    "cumulative mass in vocabulary order (no sort)": w_no_sort,
    "softmax over the batch dimension": w_softmax_over_batch,
    "returns float64": w_float64_output,
    "masked_fill_ modifies logits in place": w_in_place,
    "thresholds each token's own probability": w_per_token_threshold,
    "filter value -1e9": w_filter_minus_1e9,
    "uses p where 1-p belongs": w_confuses_p_and_1_minus_p,
    "hand-written softmax without max subtraction (overflow)": w_naive_softmax_overflow,
    "always keeps the least likely token instead of the most likely": w_keeps_least_likely,
    "p >= 1 returns early (keeps underflowed tokens HF removes)": w_early_return_p_one,
    "uses the first row's number of dropped tokens for all rows": w_first_row_cutoff,
}
