"""Held-out student variants for Lab 01, Exercise 4: repetition_penalty(logits, input_ids, penalty)."""
import torch
import torch.nn.functional as F


# ---------------------------------------------------------------- correct
def c_reference(logits: torch.Tensor, input_ids: torch.Tensor, penalty: float) -> torch.Tensor:
    seen = torch.gather(logits, -1, input_ids)
    seen = torch.where(seen < 0, seen * penalty, seen / penalty)
    return logits.scatter(-1, input_ids, seen)


def c_one_hot_mask(logits: torch.Tensor, input_ids: torch.Tensor, penalty: float) -> torch.Tensor:
    mask = torch.zeros(logits.shape, dtype=torch.bool, device=logits.device)
    mask = mask.scatter(-1, input_ids, True)             # (B, V): seen at least once
    penalised = torch.where(logits < 0, logits * penalty, logits / penalty)
    return torch.where(mask, penalised, logits)


def c_row_loop_unique(logits: torch.Tensor, input_ids: torch.Tensor, penalty: float) -> torch.Tensor:
    out = logits.clone()
    for b in range(logits.size(0)):
        ids = torch.unique(input_ids[b])
        vals = out[b, ids]
        out[b, ids] = torch.where(vals < 0, vals * penalty, vals / penalty)
    return out


# ---------------------------------------------------------------- wrong
def w_always_divide(logits, input_ids, penalty):
    seen = torch.gather(logits, -1, input_ids)
    return logits.scatter(-1, input_ids, seen / penalty)  # negative logits move up


def w_signs_swapped(logits, input_ids, penalty):
    seen = torch.gather(logits, -1, input_ids)
    seen = torch.where(seen < 0, seen / penalty, seen * penalty)
    return logits.scatter(-1, input_ids, seen)


def w_per_occurrence(logits, input_ids, penalty):
    out = logits.clone()
    for b in range(input_ids.size(0)):
        for t in input_ids[b].tolist():                  # a token seen 3 times is penalised 3 times
            v = out[b, t]
            out[b, t] = v * penalty if v < 0 else v / penalty
    return out


def w_in_place(logits, input_ids, penalty):
    seen = torch.gather(logits, -1, input_ids)
    seen = torch.where(seen < 0, seen * penalty, seen / penalty)
    return logits.scatter_(-1, input_ids, seen)


def w_first_row_ids(logits, input_ids, penalty):
    ids = input_ids[0]                                   # row 0's context used for every row
    out = logits.clone()
    vals = out[:, ids]
    out[:, ids] = torch.where(vals < 0, vals * penalty, vals / penalty)
    return out


def w_inverted_mask(logits, input_ids, penalty):
    mask = torch.zeros_like(logits, dtype=torch.bool).scatter(-1, input_ids, True)
    penalised = torch.where(logits < 0, logits * penalty, logits / penalty)
    return torch.where(~mask, penalised, logits)         # penalises the tokens NOT seen


def w_penalise_probabilities(logits, input_ids, penalty):
    probs = torch.softmax(logits, dim=-1)
    seen = torch.gather(probs, -1, input_ids) / penalty
    return torch.log(probs.scatter(-1, input_ids, seen))  # returns log-probabilities, not the logits


def w_subtract(logits, input_ids, penalty):
    seen = torch.gather(logits, -1, input_ids)
    return logits.scatter(-1, input_ids, seen - penalty)  # additive, like a presence penalty


def w_isin_across_batch(logits, input_ids, penalty):
    V = logits.size(-1)
    mask = torch.isin(torch.arange(V, device=logits.device), input_ids)  # flattens: any row's ids
    mask = mask.expand_as(logits)
    penalised = torch.where(logits < 0, logits * penalty, logits / penalty)
    return torch.where(mask, penalised, logits)


def w_scatter_add(logits, input_ids, penalty):
    seen = torch.gather(logits, -1, input_ids)
    seen = torch.where(seen < 0, seen * penalty, seen / penalty)
    return logits.scatter_add(-1, input_ids, seen)       # adds to the old value (once per occurrence)


def w_gather_dim0(logits, input_ids, penalty):
    seen = torch.gather(logits, 0, input_ids)
    seen = torch.where(seen < 0, seen * penalty, seen / penalty)
    return logits.scatter(0, input_ids, seen)


def w_float32_cast(logits, input_ids, penalty):
    x = logits.float()
    seen = torch.gather(x, -1, input_ids)
    seen = torch.where(seen < 0, seen * penalty, seen / penalty)
    return x.scatter(-1, input_ids, seen)


def w_one_hot_inferred_classes(logits, input_ids, penalty):
    mask = F.one_hot(input_ids).sum(1) > 0                # num_classes = max id + 1, not V
    penalised = torch.where(logits < 0, logits * penalty, logits / penalty)
    return torch.where(mask, penalised, logits)


def w_int_penalty(logits, input_ids, penalty):
    penalty = int(penalty)                               # 1.3 -> 1: no effect
    seen = torch.gather(logits, -1, input_ids)
    seen = torch.where(seen < 0, seen * penalty, seen / penalty)
    return logits.scatter(-1, input_ids, seen)


def w_last_token_only(logits, input_ids, penalty):
    ids = input_ids[:, -1:]                              # only the most recent token
    seen = torch.gather(logits, -1, ids)
    seen = torch.where(seen < 0, seen * penalty, seen / penalty)
    return logits.scatter(-1, ids, seen)


def w_positive_only(logits, input_ids, penalty):
    seen = torch.gather(logits, -1, input_ids)
    seen = torch.where(seen > 0, seen / penalty, seen)   # negative logits left alone
    return logits.scatter(-1, input_ids, seen)


def w_squared_penalty(logits, input_ids, penalty):
    seen = torch.gather(logits, -1, input_ids)
    seen = torch.where(seen < 0, seen * penalty ** 2, seen / penalty ** 2)
    return logits.scatter(-1, input_ids, seen)


CORRECT = {
    "reference: gather, where(<0, *p, /p), scatter": c_reference,
    "boolean seen-mask via scatter, torch.where on all logits": c_one_hot_mask,
    "per-row loop over unique ids on a clone": c_row_loop_unique,
}

WRONG = {
    "always divides (negative logits rise)": w_always_divide,
    "multiply/divide swapped": w_signs_swapped,
    "penalises once per occurrence": w_per_occurrence,
    "scatter_ modifies logits in place": w_in_place,
    "uses row 0's input_ids for every row": w_first_row_ids,
    "penalises the unseen tokens": w_inverted_mask,
    "divides the probabilities and returns their log": w_penalise_probabilities,
    "subtracts penalty": w_subtract,
    "torch.isin over all rows' ids (batch leak)": w_isin_across_batch,
    "scatter_add adds instead of replacing": w_scatter_add,
    "gather/scatter along dim 0": w_gather_dim0,
    "casts to float32 (wrong dtype for float64/half)": w_float32_cast,
    "F.one_hot without num_classes=V (shape depends on max id)": w_one_hot_inferred_classes,
    "int(penalty)": w_int_penalty,
    "only penalises the last token": w_last_token_only,
    "only penalises positive logits; negative ones unchanged": w_positive_only,
    "squares the penalty": w_squared_penalty,
}
