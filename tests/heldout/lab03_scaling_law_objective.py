"""Held-out student variants for Lab 03, Exercise 5:
scaling_law_objective(theta, log_N, log_D, log_L, delta=1e-3) -> float."""
import numpy as np
from scipy.special import logsumexp


def _huber(r, delta):
    return np.where(np.abs(r) <= delta, 0.5 * r ** 2, delta * (np.abs(r) - 0.5 * delta))


def _pred(theta, log_N, log_D):
    a, b, e, alpha, beta = theta
    return np.logaddexp.reduce(np.stack([a - alpha * log_N, b - beta * log_D, np.full_like(log_N, e)]), axis=0)


# ---------------------------------------------------------------- correct
def c_reference(theta: np.ndarray, log_N: np.ndarray, log_D: np.ndarray, log_L: np.ndarray,
                delta: float = 1e-3) -> float:
    a, b, e, alpha, beta = theta
    terms = np.stack([a - alpha * log_N, b - beta * log_D, np.full_like(log_N, e, dtype=float)])
    r = np.logaddexp.reduce(terms, axis=0) - log_L
    return float(np.where(np.abs(r) <= delta, 0.5 * r ** 2, delta * (np.abs(r) - 0.5 * delta)).sum())


def c_scipy_logsumexp(theta: np.ndarray, log_N: np.ndarray, log_D: np.ndarray, log_L: np.ndarray,
                      delta: float = 1e-3) -> float:
    a, b, e, alpha, beta = (float(t) for t in theta)
    log_N, log_D, log_L = (np.asarray(v, dtype=float) for v in (log_N, log_D, log_L))
    pred = logsumexp(np.stack([a - alpha * log_N, b - beta * log_D, e + 0 * log_N], axis=-1), axis=-1)
    r = np.abs(pred - log_L)
    quad = r <= delta
    loss = np.sum(0.5 * r[quad] ** 2) + np.sum(delta * r[~quad] - 0.5 * delta ** 2)
    return float(loss)


def c_manual_stable(theta: np.ndarray, log_N: np.ndarray, log_D: np.ndarray, log_L: np.ndarray,
                    delta: float = 1e-3) -> float:
    a, b, e, alpha, beta = theta
    t1, t2 = a - alpha * log_N, b - beta * log_D
    t3 = np.full_like(t1, e, dtype=float)
    m = np.maximum(np.maximum(t1, t2), t3)
    pred = m + np.log(np.exp(t1 - m) + np.exp(t2 - m) + np.exp(t3 - m))
    total = 0.0
    for r in pred - log_L:
        total += 0.5 * r * r if abs(r) <= delta else delta * (abs(r) - delta / 2)
    return float(total)


# ---------------------------------------------------------------- wrong
def w_squared_error(theta, log_N, log_D, log_L, delta=1e-3):
    r = _pred(theta, log_N, log_D) - log_L
    return float(np.sum(0.5 * r ** 2))


def w_huber_no_half(theta, log_N, log_D, log_L, delta=1e-3):
    r = _pred(theta, log_N, log_D) - log_L
    return float(np.where(np.abs(r) <= delta, r ** 2, delta * (np.abs(r) - 0.5 * delta)).sum())


def w_huber_linear_no_offset(theta, log_N, log_D, log_L, delta=1e-3):
    r = _pred(theta, log_N, log_D) - log_L
    return float(np.where(np.abs(r) <= delta, 0.5 * r ** 2, delta * np.abs(r)).sum())


def w_linear_space_residual(theta, log_N, log_D, log_L, delta=1e-3):
    r = np.exp(_pred(theta, log_N, log_D)) - np.exp(log_L)   # L-hat - L, not their logs
    return float(_huber(r, delta).sum())


def w_no_exp_of_coefficients(theta, log_N, log_D, log_L, delta=1e-3):
    a, b, e, alpha, beta = theta
    pred = np.log(a / np.exp(alpha * log_N) + b / np.exp(beta * log_D) + e)   # a, b, e used as A, B, E
    return float(_huber(pred - log_L, delta).sum())


def w_naive_log_sum_exp(theta, log_N, log_D, log_L, delta=1e-3):
    a, b, e, alpha, beta = theta
    pred = np.log(np.exp(a - alpha * log_N) + np.exp(b - beta * log_D) + np.exp(e))   # overflow / underflow
    return float(_huber(pred - log_L, delta).sum())


def w_mean_not_sum(theta, log_N, log_D, log_L, delta=1e-3):
    return float(_huber(_pred(theta, log_N, log_D) - log_L, delta).mean())


def w_exponent_sign(theta, log_N, log_D, log_L, delta=1e-3):
    a, b, e, alpha, beta = theta
    pred = np.logaddexp.reduce(np.stack([a + alpha * log_N, b + beta * log_D, np.full_like(log_N, e)]), axis=0)
    return float(_huber(pred - log_L, delta).sum())


def w_logs_the_logs(theta, log_N, log_D, log_L, delta=1e-3):
    a, b, e, alpha, beta = theta
    lN, lD = np.log(log_N), np.log(log_D)                # treats log_N as N
    pred = np.logaddexp.reduce(np.stack([a - alpha * lN, b - beta * lD, np.full_like(lN, e)]), axis=0)
    return float(_huber(pred - np.log(log_L), delta).sum())


def w_alpha_beta_swapped(theta, log_N, log_D, log_L, delta=1e-3):
    a, b, e, beta, alpha = theta
    return float(_huber(_pred((a, b, e, alpha, beta), log_N, log_D) - log_L, delta).sum())


def w_theta_order(theta, log_N, log_D, log_L, delta=1e-3):
    a, alpha, b, beta, e = theta                         # (a, α, b, β, e) instead of (a, b, e, α, β)
    return float(_huber(_pred((a, b, e, alpha, beta), log_N, log_D) - log_L, delta).sum())


def w_huber_threshold_on_square(theta, log_N, log_D, log_L, delta=1e-3):
    r = _pred(theta, log_N, log_D) - log_L
    return float(np.where(r ** 2 <= delta, 0.5 * r ** 2, delta * (np.abs(r) - 0.5 * delta)).sum())


def w_hard_coded_delta(theta, log_N, log_D, log_L, delta=1e-3):
    return float(_huber(_pred(theta, log_N, log_D) - log_L, 1e-3).sum())


def w_returns_array(theta, log_N, log_D, log_L, delta=1e-3):
    return _huber(_pred(theta, log_N, log_D) - log_L, delta)   # one value per run


def w_logsumexp_wrong_axis(theta, log_N, log_D, log_L, delta=1e-3):
    a, b, e, alpha, beta = theta
    terms = np.stack([a - alpha * log_N, b - beta * log_D, np.full_like(log_N, e)])   # (3, R)
    pred = logsumexp(terms, axis=1)                      # sums over runs: (3,)
    return float(_huber(pred.sum() - log_L, delta).sum())


def w_e_not_exponentiated(theta, log_N, log_D, log_L, delta=1e-3):
    a, b, e, alpha, beta = theta
    pred = np.log(np.exp(a - alpha * log_N) + np.exp(b - beta * log_D) + e)   # E = e, not exp(e)
    return float(_huber(pred - log_L, delta).sum())


def w_clips_theta_in_place(theta, log_N, log_D, log_L, delta=1e-3):
    theta[3:] = np.clip(theta[3:], 0.0, 3.0)             # modifies the optimizer's array, changes the value
    return float(_huber(_pred(theta, log_N, log_D) - log_L, delta).sum())


def w_float32(theta, log_N, log_D, log_L, delta=1e-3):
    theta = np.asarray(theta, dtype=np.float32)
    log_N, log_D, log_L = (np.asarray(v, dtype=np.float32) for v in (log_N, log_D, log_L))
    return float(_huber(_pred(theta, log_N, log_D) - log_L, np.float32(delta)).sum())   # residuals ~1e-4 lose digits


def w_huber_of_total(theta, log_N, log_D, log_L, delta=1e-3):
    r = _pred(theta, log_N, log_D) - log_L
    return float(_huber(r.sum(), delta))                 # residuals of opposite sign cancel


def w_residual_ratio(theta, log_N, log_D, log_L, delta=1e-3):
    r = _pred(theta, log_N, log_D) / log_L - 1.0         # relative error of the logs
    return float(_huber(r, delta).sum())


CORRECT = {
    "reference: np.logaddexp.reduce, np.where Huber, sum": c_reference,
    "scipy.special.logsumexp, Huber split by boolean masks": c_scipy_logsumexp,
    "hand-written max-shifted logsumexp, Python loop Huber": c_manual_stable,
}

WRONG = {
    "plain squared error": w_squared_error,
    "Huber quadratic part without 1/2": w_huber_no_half,
    "Huber linear part without -delta/2": w_huber_linear_no_offset,
    "residual in linear space (L-hat - L)": w_linear_space_residual,
    "a, b, e used directly as A, B, E": w_no_exp_of_coefficients,
    "log(sum(exp)) without logsumexp (overflow/underflow for extreme theta)": w_naive_log_sum_exp,
    "mean instead of sum": w_mean_not_sum,
    "+alpha log N instead of -alpha log N": w_exponent_sign,
    "takes the log of log_N / log_D / log_L again": w_logs_the_logs,
    "alpha and beta swapped": w_alpha_beta_swapped,
    "theta unpacked as (a, alpha, b, beta, e)": w_theta_order,
    "Huber switch on r^2 <= delta": w_huber_threshold_on_square,
    "delta hard-coded to 1e-3": w_hard_coded_delta,
    "returns the per-run array": w_returns_array,
    "logsumexp over the runs axis": w_logsumexp_wrong_axis,
    "E = e instead of exp(e)": w_e_not_exponentiated,
    "clips the exponents of theta in place": w_clips_theta_in_place,
    "computes in float32": w_float32,
    "Huber of the summed residual": w_huber_of_total,
    "relative residual log L-hat / log L - 1": w_residual_ratio,
}
