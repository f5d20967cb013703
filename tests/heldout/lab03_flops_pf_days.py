"""Held-out student variants for Lab 03, Exercise 4: flops(n_params, n_tokens) and pf_days(c), checked together.
Each entry is a tuple (flops_fn, pf_days_fn)."""
import numpy as np

PF_DAY = 1e15 * 24 * 3600   # 8.64e19


def _flops(n_params: float, n_tokens: float) -> float:
    return 6.0 * n_params * n_tokens


def _pf_days(c: float) -> float:
    return c / PF_DAY


# ---------------------------------------------------------------- correct
def c_flops_ref(n_params: float, n_tokens: float) -> float:
    return 6.0 * n_params * n_tokens


def c_pf_days_ref(c: float) -> float:
    return c / (1e15 * 86400)


def c_flops_explicit(n_params: float, n_tokens: float) -> float:
    forward = 2 * n_params * n_tokens                    # one multiply-add per parameter and token
    backward = 2 * forward
    return float(forward + backward)


def c_pf_days_chain(c: float) -> float:
    seconds_at_one_petaflop = c / 1e15
    return seconds_at_one_petaflop / 3600 / 24


def c_flops_product(n_params: float, n_tokens: float) -> float:
    return float(n_params) * float(n_tokens) * 6


def c_pf_days_multiply(c: float) -> float:
    return c * 1e-15 / 86_400


# ---------------------------------------------------------------- wrong
def w_flops_forward_only(n_params, n_tokens):
    return 2.0 * n_params * n_tokens


def w_pf_days_hours(c):
    return c / (1e15 * 3600)


def w_pf_days_seconds(c):
    return c / 1e15


def w_pf_days_off_by_ten(c):
    return c / 8.64e18


def w_pf_days_floor(c):
    return c // PF_DAY                                   # GPT-3's 3640.4 -> 3640.0; small runs -> 0


def w_flops_8nd(n_params, n_tokens):
    return 8.0 * n_params * n_tokens                     # counts activation recomputation


def w_pf_days_multiplies(c):
    return c * PF_DAY


def w_pf_days_binary_peta(c):
    return c / (2 ** 50 * 86400)


def w_flops_float32(n_params, n_tokens):
    return np.float32(6) * np.float32(n_params) * np.float32(n_tokens)   # overflows beyond 3.4e38


def w_pf_days_rounded(c):
    return round(c / PF_DAY)


def w_flops_sum(n_params, n_tokens):
    return 6.0 * (n_params + n_tokens)


def w_flops_3nd(n_params, n_tokens):
    return 3.0 * n_params * n_tokens                     # multiply-adds, not FLOPs


def w_pf_days_per_24(c):
    return c / 1e15 / 24                                 # forgot hours -> seconds


def w_flops_hard_coded_tokens(n_params, n_tokens):
    return 6.0 * n_params * 300e9                        # GPT-3's token count


def w_flops_in_petaflops(n_params, n_tokens):
    return 6.0 * n_params * n_tokens / 1e15              # then pf_days divides by 1e15 again


def w_pf_days_minutes(c):
    return c / (1e15 * 24 * 60)


def w_flops_int64(n_params, n_tokens):
    return float(np.int64(6) * np.int64(n_params) * np.int64(n_tokens))   # overflows past 9.2e18


def w_pf_days_1e12(c):
    return c / (1e12 * 86400)                            # teraFLOP/s-days



CORRECT = {
    "reference: 6 N D and c / 8.64e19": (c_flops_ref, c_pf_days_ref),
    "forward 2ND + backward 4ND; c / 1e15 / 3600 / 24": (c_flops_explicit, c_pf_days_chain),
    "float(N) * float(D) * 6; c * 1e-15 / 86400": (c_flops_product, c_pf_days_multiply),
}

WRONG = {
    "flops forward only (2ND)": (w_flops_forward_only, _pf_days),
    "pf_days in PF-hours": (_flops, w_pf_days_hours),
    "pf_days in PF-seconds": (_flops, w_pf_days_seconds),
    "pf_days divides by 8.64e18": (_flops, w_pf_days_off_by_ten),
    "pf_days floor division": (_flops, w_pf_days_floor),
    "flops 8ND": (w_flops_8nd, _pf_days),
    "pf_days multiplies by 8.64e19": (_flops, w_pf_days_multiplies),
    "pf_days with 2^50 FLOP/s": (_flops, w_pf_days_binary_peta),
    "flops in float32 (overflow / 7 digits)": (w_flops_float32, _pf_days),
    "pf_days rounded to an integer": (_flops, w_pf_days_rounded),
    "flops 6(N + D)": (w_flops_sum, _pf_days),
    "flops 3ND": (w_flops_3nd, _pf_days),
    "pf_days forgets 3600 s/h": (_flops, w_pf_days_per_24),
    "flops hard-codes 300B tokens": (w_flops_hard_coded_tokens, _pf_days),
    "flops returned in petaFLOPs": (w_flops_in_petaflops, _pf_days),
    "pf_days with 24*60 seconds per day": (_flops, w_pf_days_minutes),
    "flops in np.int64 (overflow)": (w_flops_int64, _pf_days),
    "pf_days in teraFLOP/s-days": (_flops, w_pf_days_1e12),
}
