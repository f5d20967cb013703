"""The scaling-law objective exercise: the check accepts correct variants written differently from the reference,
and names the bug of each wrong one (written as a student would, not derived from the check's own table)."""
from __future__ import annotations

import numpy as np
import pytest

from llmlab.checks import CheckFailed
from llmlab.lab03 import checks, scaling


def _failure(fn) -> str | None:
    try:
        checks.check_scaling_law_objective(fn)
    except CheckFailed as err:
        return str(err)
    return None


def _huber(r, delta):
    return np.where(np.abs(r) <= delta, 0.5 * r ** 2, delta * (np.abs(r) - 0.5 * delta))


def naive(theta, log_N, log_D, log_L, delta=1e-3):           # exp, add, log: fine at these magnitudes
    a, b, e, alpha, beta = theta
    pred = np.exp(a) / np.exp(log_N) ** alpha + np.exp(b) / np.exp(log_D) ** beta + np.exp(e)
    return float(_huber(np.log(pred) - log_L, delta).sum())


def with_scipy_huber(theta, log_N, log_D, log_L, delta=1e-3):
    from scipy.special import huber, logsumexp
    a, b, e, alpha, beta = theta
    terms = np.stack([a - alpha * log_N, b - beta * log_D, e + 0 * log_N])
    return float(huber(delta, logsumexp(terms, axis=0) - log_L).sum())


def loop(theta, log_N, log_D, log_L, delta=1e-3):
    import math
    a, b, e, alpha, beta = (float(x) for x in theta)
    total = 0.0
    for n, d, ll in zip(log_N, log_D, log_L):
        r = math.log(math.exp(a - alpha * n) + math.exp(b - beta * d) + math.exp(e)) - ll
        total += 0.5 * r * r if abs(r) <= delta else delta * (abs(r) - delta / 2)
    return total


def in_torch(theta, log_N, log_D, log_L, delta=1e-3):
    import torch
    t = torch.as_tensor(theta, dtype=torch.float64)
    n, d, ll = (torch.as_tensor(x, dtype=torch.float64) for x in (log_N, log_D, log_L))
    pred = torch.logsumexp(torch.stack([t[0] - t[3] * n, t[1] - t[4] * d, t[2].expand_as(n)]), dim=0)
    return torch.nn.functional.huber_loss(pred, ll, reduction="sum", delta=delta).item()


@pytest.mark.parametrize("fn", [scaling.scaling_law_objective, naive, with_scipy_huber, loop, in_torch])
def test_correct_variants_pass(fn):
    assert _failure(fn) is None


def _student(residual=None, loss=None, reduce=np.sum, pred=None, fixed_delta=None):
    """A student's objective with one thing changed."""
    def fn(theta, log_N, log_D, log_L, delta=1e-3):
        a, b, e, alpha, beta = theta
        d = fixed_delta or delta
        p = pred(a, b, e, alpha, beta, log_N, log_D) if pred else \
            np.log(np.exp(a - alpha * log_N) + np.exp(b - beta * log_D) + np.exp(e))
        r = residual(p, log_L) if residual else p - log_L
        return float(reduce(loss(r, d) if loss else _huber(r, d)))
    return fn


@pytest.mark.parametrize("fn, words", [
    (_student(loss=lambda r, d: 0.5 * r ** 2), "least squares"),
    (_student(loss=lambda r, d: r ** 2), "you summed r²"),
    (_student(loss=lambda r, d: np.abs(r)), "you summed |r|"),
    (_student(loss=lambda r, d: np.where(np.abs(r) <= d, r ** 2, d * (np.abs(r) - d / 2))), "missing its ½"),
    (_student(loss=lambda r, d: np.where(np.abs(r) <= d, 0.5 * r ** 2, d * np.abs(r))), "linear branch"),
    (_student(reduce=np.mean), "mean over runs"),
    (_student(fixed_delta=1e-3), "use the `delta` argument"),
    (_student(residual=lambda p, ll: np.exp(p) - np.exp(ll)), "log space"),
    (_student(residual=lambda p, ll: p - np.exp(ll)), "already a log"),
    (_student(pred=lambda a, b, e, al, be, n, d: np.log(np.abs(a / np.exp(n) ** al + b / np.exp(d) ** be + e))),
     "theta holds logs"),
    (_student(pred=lambda a, b, e, al, be, n, d: np.log(np.exp(a - al * n) + np.exp(b - be * d) + e)),
     "E = exp(e)"),
    (_student(pred=lambda a, b, e, al, be, n, d: np.log(np.exp(a + al * n) + np.exp(b + be * d) + np.exp(e))),
     "not a + alpha·log N"),
    (_student(pred=lambda a, b, e, al, be, n, d: (a - al * n) + (b - be * d) + e), "not the sum of the logs"),
    (_student(pred=lambda a, b, e, al, be, n, d: np.logaddexp(a - al * n, b - be * d)), "E is missing"),
    (_student(pred=lambda a, b, e, al, be, n, d: np.maximum(np.maximum(a - al * n, b - be * d), e)),
     "largest of the three"),
    (_student(pred=lambda a, b, e, al, be, n, d: np.log10(np.exp(a - al * n) + np.exp(b - be * d) + np.exp(e)),
              residual=lambda p, ll: p - ll / np.log(10)), "log10"),
    (_student(pred=lambda a, b, e, al, be, n, d: np.log(np.exp(a - be * n) + np.exp(b - al * d) + np.exp(e))),
     "alpha and beta are swapped"),
    (_student(pred=lambda a, b, e, al, be, n, d: np.log(np.exp(b - al * n) + np.exp(a - be * d) + np.exp(e))),
     "A and B are swapped"),
    (_student(pred=lambda a, b, e, al, be, n, d: np.log(np.exp(b - al * n) + np.exp(e - be * d) + np.exp(a))),
     "theta's order"),
])
def test_wrong_objectives_are_named(fn, words):
    msg = _failure(fn)
    assert msg is not None and words in msg, msg


def test_shape_dtype_and_in_place_mistakes_are_named():
    def per_run(theta, log_N, log_D, log_L, delta=1e-3):
        a, b, e, alpha, beta = theta
        return _huber(np.logaddexp.reduce([a - alpha * log_N, b - beta * log_D, e + 0 * log_N]) - log_L, delta)

    def with_grad(theta, *args):
        return scaling.scaling_law_objective(theta, *args), np.zeros(5)

    def in_place(theta, log_N, log_D, log_L, delta=1e-3):
        log_L -= 0.0
        log_N *= 1.0
        theta[0] += 1.0
        return scaling.scaling_law_objective(theta - [1.0, 0, 0, 0, 0], log_N, log_D, log_L, delta)

    def stub(theta, log_N, log_D, log_L, delta=1e-3):
        raise NotImplementedError("Exercise")

    assert "sum them" in _failure(per_run)
    assert "returned a tuple" in _failure(with_grad)
    assert "in place" in _failure(in_place)
    assert "not implemented yet" in _failure(stub)
    assert "expected" in _failure(lambda theta, *a, **k: scaling.scaling_law_objective(theta, *a, **k) * 1.01)


def test_fit_with_a_students_objective_matches_the_built_in_fit():
    rng = np.random.default_rng(0)
    N, D = np.repeat([3e3, 1.2e4, 5e4, 2e5], 3), np.tile([4e5, 8e5, 1.6e6], 4)
    L = scaling.LossFit(E=1.8, A=60.0, B=900.0, alpha=0.4, beta=0.5).predict(N, D) * np.exp(rng.normal(0, 2e-3, 12))
    grid = {"a": [2.0, 5.0], "b": [5.0], "e": [0.5], "alpha": [0.4], "beta": [0.5]}
    built_in = scaling.fit_loss(N, D, L, grid=grid)
    theirs = scaling.fit_loss(N, D, L, grid=grid, objective=naive)
    assert np.abs(theirs.predict(N, D) - built_in.predict(N, D)).max() < 2e-3
