"""Held-out student variants for Lab 01, Exercise 1: temperature(logits, t)."""
import math

import torch


# ---------------------------------------------------------------- correct
def c_reference(logits: torch.Tensor, t: float) -> torch.Tensor:
    if not t > 0:
        raise ValueError(f"temperature must be > 0, got {t}")
    return logits / t


def c_torch_div(logits: torch.Tensor, t: float) -> torch.Tensor:
    if t <= 0 or math.isnan(t):
        raise ValueError("temperature must be positive")
    return torch.div(logits, t)


def c_method_clone_style(logits: torch.Tensor, t: float) -> torch.Tensor:
    if not (t > 0):
        raise ValueError("t <= 0 is greedy decoding, not a temperature")
    out = logits.clone()
    out.div_(t)  # in place on the copy only
    return out


# ---------------------------------------------------------------- wrong
def w_multiply(logits, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    return logits * t


def w_no_validation(logits, t):
    return logits / t


def w_allows_negative(logits, t):
    if t == 0:
        raise ValueError("t must not be 0")
    return logits / t


def w_allows_zero(logits, t):
    if t < 0:
        raise ValueError("t must be >= 0")
    return logits / t


def w_assert_instead_of_valueerror(logits, t):
    assert t > 0, "temperature must be positive"
    return logits / t


def w_zero_division_error(logits, t):
    if t <= 0:
        raise ZeroDivisionError("temperature must be positive")
    return logits / t


def w_in_place(logits, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    logits.div_(t)
    return logits


def w_float64_output(logits, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    return logits.double() / t


def w_always_float32(logits, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    return logits.float() / t  # float64 / half inputs change dtype and precision


def w_softmax_probs(logits, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    return torch.softmax(logits / t, dim=-1)


def w_log_softmax(logits, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    return torch.log_softmax(logits / t, dim=-1)


def w_int_temperature(logits, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    return logits / int(t)  # 0.5 -> division by zero, 1.7 -> 1


def w_subtract_max_first(logits, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    return (logits - logits.max(dim=-1, keepdim=True).values) / t


def w_floor_division(logits, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    return torch.div(logits, t, rounding_mode="floor")


def w_clamp_resurrects_masked(logits, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    return (logits / t).clamp(-1e4, 1e4)  # -inf (masked) tokens come back at -1e4


def w_numpy_round_trip(logits, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    return torch.from_numpy(logits.numpy() / t)  # fails for bf16/CUDA; numpy decides the dtype


def w_first_row_only(logits, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    return logits[0] / t  # (V,) instead of (B, V)


def w_t_squared(logits, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    return logits / (t * t)


def w_exp_space(logits, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    return torch.log(torch.exp(logits) ** (1.0 / t))  # overflows to inf for logits > ~88


CORRECT = {
    "reference: validate t > 0, divide": c_reference,
    "torch.div with explicit <= 0 / NaN check": c_torch_div,
    "clone then in-place divide on the copy": c_method_clone_style,
}

WRONG = {
    "multiplies by t instead of dividing": w_multiply,
    "no validation: t <= 0 gives inf/nan or flips the order": w_no_validation,
    "only rejects t == 0, accepts negative t": w_allows_negative,
    "only rejects t < 0, accepts t == 0": w_allows_zero,
    "assert instead of ValueError": w_assert_instead_of_valueerror,
    "raises ZeroDivisionError instead of ValueError": w_zero_division_error,
    "modifies logits in place and returns them": w_in_place,
    "returns float64 (.double())": w_float64_output,
    "casts to float32 (wrong dtype for float64/half inputs)": w_always_float32,
    "returns softmax probabilities, not logits": w_softmax_probs,
    "returns log_softmax (shifted logits)": w_log_softmax,
    "int(t): fractional temperatures truncated": w_int_temperature,
    "subtracts the row max before dividing": w_subtract_max_first,
    "floor division": w_floor_division,
    "clamps to +-1e4, un-masks -inf tokens": w_clamp_resurrects_masked,
    "numpy round trip": w_numpy_round_trip,
    "returns only the first row": w_first_row_only,
    "divides by t squared": w_t_squared,
    "exp/log round trip (overflow for large logits)": w_exp_space,
}
