"""Held-out student variants for Lab 01, Exercise 2: top_k(logits, k)."""
import torch

NEG_INF = float("-inf")


# ---------------------------------------------------------------- correct
def c_reference(logits: torch.Tensor, k: int) -> torch.Tensor:
    k = min(k, logits.size(-1))
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, NEG_INF)


def c_sort_ascending(logits: torch.Tensor, k: int) -> torch.Tensor:
    V = logits.size(-1)
    k = min(k, V)
    kth = torch.sort(logits, dim=-1).values[..., V - k:V - k + 1]  # k-th largest
    return torch.where(logits >= kth, logits, torch.full_like(logits, NEG_INF))


def c_sort_descending(logits: torch.Tensor, k: int) -> torch.Tensor:
    sorted_vals = torch.sort(logits, dim=-1, descending=True).values
    kth = sorted_vals[..., min(k, logits.size(-1)) - 1].unsqueeze(-1)
    out = logits.clone()
    out[out < kth] = NEG_INF
    return out


# ---------------------------------------------------------------- wrong
def w_keeps_k_plus_1(logits, k):
    k = min(k + 1, logits.size(-1))
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, NEG_INF)


def w_strict_removes_kth(logits, k):
    k = min(k, logits.size(-1))
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits <= kth, NEG_INF)  # keeps only k-1


def w_exactly_k_ties_dropped(logits, k):
    k = min(k, logits.size(-1))
    idx = torch.topk(logits, k, dim=-1).indices
    keep = torch.zeros_like(logits, dtype=torch.bool).scatter(-1, idx, True)
    return logits.masked_fill(~keep, NEG_INF)


def w_no_min_with_vocab(logits, k):
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]  # k > V raises
    return logits.masked_fill(logits < kth, NEG_INF)


def w_filter_minus_1e9(logits, k):
    k = min(k, logits.size(-1))
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, -1e9)


def w_filter_zero(logits, k):
    k = min(k, logits.size(-1))
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, 0.0)


def w_in_place(logits, k):
    k = min(k, logits.size(-1))
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill_(logits < kth, NEG_INF)


def w_topk_over_batch_dim(logits, k):
    k = min(k, logits.size(0))
    kth = torch.topk(logits, k, dim=0).values[-1:, :]
    return logits.masked_fill(logits < kth, NEG_INF)


def w_no_keepdim(logits, k):
    k = min(k, logits.size(-1))
    kth = torch.topk(logits, k, dim=-1).values[..., -1]  # (B,) broadcasts against V, not B
    return logits.masked_fill(logits < kth, NEG_INF)


def w_smallest(logits, k):
    k = min(k, logits.size(-1))
    kth = torch.topk(logits, k, dim=-1, largest=False).values[..., -1:]
    return logits.masked_fill(logits > kth, NEG_INF)


def w_returns_input_when_k_large(logits, k):
    if k >= logits.size(-1):
        return logits  # not a new tensor
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, NEG_INF)


def w_threshold_on_probs(logits, k):
    probs = torch.softmax(logits, dim=-1)
    k = min(k, logits.size(-1))
    kth = torch.topk(probs, k, dim=-1).values[..., -1:]
    return logits.masked_fill(probs < kth, NEG_INF)  # underflowed probabilities tie at 0


def w_float64_output(logits, k):
    x = logits.double()
    k = min(k, x.size(-1))
    kth = torch.topk(x, k, dim=-1).values[..., -1:]
    return x.masked_fill(x < kth, NEG_INF)


def w_kthvalue_smallest(logits, k):
    k = min(k, logits.size(-1))
    kth = torch.kthvalue(logits, k, dim=-1, keepdim=True).values  # k-th smallest
    return logits.masked_fill(logits < kth, NEG_INF)


def w_first_row_threshold(logits, k):
    k = min(k, logits.size(-1))
    kth = torch.topk(logits[0], k).values[-1]
    return logits.masked_fill(logits < kth, NEG_INF)


def w_largest_instead_of_kth(logits, k):
    k = min(k, logits.size(-1))
    kth = torch.topk(logits, k, dim=-1).values[..., :1]  # the largest, not the k-th largest
    return logits.masked_fill(logits < kth, NEG_INF)


def w_float32_always(logits, k):
    x = logits.float()
    k = min(k, x.size(-1))
    kth = torch.topk(x, k, dim=-1).values[..., -1:]
    return x.masked_fill(x < kth, NEG_INF)


def w_keeps_everything_above_mean(logits, k):
    # "k" treated as nothing more than a switch
    if k >= logits.size(-1):
        return logits.clone()
    mean = logits.mean(dim=-1, keepdim=True)
    return logits.masked_fill(logits < mean, NEG_INF)


CORRECT = {
    "reference: k-th largest via topk, keep >= (ties kept)": c_reference,
    "sort ascending, take index V-k, torch.where": c_sort_ascending,
    "sort descending, index k-1, boolean-index a clone": c_sort_descending,
}

WRONG = {
    "keeps k+1 tokens (off by one)": w_keeps_k_plus_1,
    "uses <= so the k-th token is removed too": w_strict_removes_kth,
    "keeps exactly k via scatter of indices (ties dropped)": w_exactly_k_ties_dropped,
    "k larger than the vocabulary crashes": w_no_min_with_vocab,
    "filter value -1e9 instead of -inf": w_filter_minus_1e9,
    "filter value 0 instead of -inf": w_filter_zero,
    "masked_fill_ modifies logits in place": w_in_place,
    "topk over the batch dimension": w_topk_over_batch_dim,
    "kth value without keepdim (broadcasts over the vocabulary)": w_no_keepdim,
    "keeps the k smallest logits": w_smallest,
    "returns the input object itself when k >= V": w_returns_input_when_k_large,
    "threshold on softmax probabilities (underflow ties)": w_threshold_on_probs,
    "returns float64": w_float64_output,
    "kthvalue(k) = k-th smallest, keeps V-k+1": w_kthvalue_smallest,
    "uses the first row's threshold for every row": w_first_row_threshold,
    "takes values[..., :1] (the max) as threshold: greedy whatever k": w_largest_instead_of_kth,
    "casts to float32 (wrong dtype for float64/half)": w_float32_always,
    "keeps logits above the row mean, ignores k": w_keeps_everything_above_mean,
}
