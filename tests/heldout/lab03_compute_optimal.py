"""Held-out student variants for Lab 03, Exercise 6:
compute_optimal(c, tokens_per_param=20.0) -> (N, D) with C = 6 N D and D = tokens_per_param * N."""
import math

import numpy as np


# ---------------------------------------------------------------- correct
def c_reference(c: float, tokens_per_param: float = 20.0) -> tuple[float, float]:
    n = math.sqrt(c / (6 * tokens_per_param))
    return n, tokens_per_param * n


def c_power_half(c: float, tokens_per_param: float = 20.0) -> tuple[float, float]:
    n = math.pow(c / 6.0, 0.5) / math.pow(tokens_per_param, 0.5)
    d = c / (6.0 * n) if n > 0 else 0.0
    return float(n), float(d)


def c_solve_d_first(c: float, tokens_per_param: float = 20.0) -> tuple[float, float]:
    d = math.sqrt(c * tokens_per_param / 6)              # D^2 = r C / 6
    return d / tokens_per_param, d


# ---------------------------------------------------------------- wrong
def w_no_sqrt(c, tokens_per_param=20.0):
    n = c / (6 * tokens_per_param)
    return n, tokens_per_param * n


def w_d_over_r(c, tokens_per_param=20.0):
    n = math.sqrt(c / (6 * tokens_per_param))
    return n, n / tokens_per_param


def w_forgets_6(c, tokens_per_param=20.0):
    n = math.sqrt(c / tokens_per_param)
    return n, tokens_per_param * n


def w_hard_coded_20(c, tokens_per_param=20.0):
    n = math.sqrt(c / (6 * 20))
    return n, 20 * n


def w_swapped(c, tokens_per_param=20.0):
    n = math.sqrt(c / (6 * tokens_per_param))
    return tokens_per_param * n, n                       # (D, N)


def w_rounded_ints(c, tokens_per_param=20.0):
    n = round(math.sqrt(c / (6 * tokens_per_param)))
    return n, round(tokens_per_param * n)                # integers; small budgets give (0, 0)


def w_isqrt(c, tokens_per_param=20.0):
    n = math.isqrt(int(c / (6 * tokens_per_param)))
    return float(n), float(tokens_per_param * n)


def w_returns_list(c, tokens_per_param=20.0):
    n = math.sqrt(c / (6 * tokens_per_param))
    return [n, tokens_per_param * n]


def w_float32(c, tokens_per_param=20.0):
    n = np.sqrt(np.float32(c) / np.float32(6 * tokens_per_param))   # inf above 3.4e38, 7 digits
    return n, np.float32(tokens_per_param) * n


def w_forward_only(c, tokens_per_param=20.0):
    n = math.sqrt(c / (2 * tokens_per_param))            # C = 2ND
    return n, tokens_per_param * n


def w_precedence_times_r(c, tokens_per_param=20.0):
    n = math.sqrt(c / 6 * tokens_per_param)              # C / 6 * r, not C / (6 r)
    return n, tokens_per_param * n


def w_precedence_sqrt_r_only(c, tokens_per_param=20.0):
    n = c / 6 / tokens_per_param ** 0.5                  # square root of r only
    return n, tokens_per_param * n


def w_times_r(c, tokens_per_param=20.0):
    n = math.sqrt(c / 6) * tokens_per_param
    return n, tokens_per_param * n


def w_cube_root(c, tokens_per_param=20.0):
    n = (c / (6 * tokens_per_param)) ** (1 / 3)
    return n, tokens_per_param * n


def w_d_from_c_without_6(c, tokens_per_param=20.0):
    n = math.sqrt(c / (6 * tokens_per_param))
    return n, c / n                                      # D = C / N forgets the 6


def w_returns_only_n(c, tokens_per_param=20.0):
    return math.sqrt(c / (6 * tokens_per_param))


def w_r_squared(c, tokens_per_param=20.0):
    n = math.sqrt(c / (6 * tokens_per_param ** 2))
    return n, tokens_per_param * n


def w_int_ratio(c, tokens_per_param=20.0):
    r = int(tokens_per_param)                            # 2.5 tokens/param -> 2
    n = math.sqrt(c / (6 * r))
    return n, r * n


def w_kaplan_exponent(c, tokens_per_param=20.0):
    n = (c / (6 * tokens_per_param)) ** 0.73 if c > 1 else math.sqrt(c / (6 * tokens_per_param))
    return n, tokens_per_param * n                       # "N grows as C^0.73" mixed into the rule


CORRECT = {
    "reference: N = sqrt(C / 6r), D = r N": c_reference,
    "math.pow(C/6, 0.5) / math.pow(r, 0.5), D = C / (6N)": c_power_half,
    "solve for D first: D = sqrt(r C / 6), N = D / r": c_solve_d_first,
}

WRONG = {
    "no square root": w_no_sqrt,
    "D = N / r": w_d_over_r,
    "forgets the 6": w_forgets_6,
    "tokens_per_param ignored (20 hard-coded)": w_hard_coded_20,
    "returns (D, N)": w_swapped,
    "rounds to integers": w_rounded_ints,
    "integer square root": w_isqrt,
    "returns a list": w_returns_list,
    "float32 arithmetic": w_float32,
    "C = 2ND": w_forward_only,
    "sqrt(C / 6 * r) precedence": w_precedence_times_r,
    "C / 6 / sqrt(r)": w_precedence_sqrt_r_only,
    "sqrt(C / 6) * r": w_times_r,
    "cube root": w_cube_root,
    "D = C / N (forgets the 6)": w_d_from_c_without_6,
    "returns only N": w_returns_only_n,
    "divides by r squared": w_r_squared,
    "int(tokens_per_param)": w_int_ratio,
    "Kaplan-style C^0.73 exponent": w_kaplan_exponent,
}
