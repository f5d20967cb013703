"""Confidence intervals for scores measured on a finite set of items (Lab 05 compares two fine-tuning runs with
them, Lab 06 builds its benchmark on them).

    wilson(97, 100)                              # (0.915, 0.990): 95% interval of a proportion
    bootstrap(lambda i: x[i].mean(), len(x))     # percentile bootstrap of any statistic of the items
    paired_bootstrap(a, b)                       # (mean a − mean b, low, high): two systems on the same items
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np


def wilson(successes: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (better than p ± z·√(p(1−p)/n) near 0 and 1, and never outside [0, 1])."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap(statistic: Callable[[np.ndarray], float], n: int, iters: int = 1000, seed: int = 0,
              level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval: ``statistic(indices)`` recomputed on ``iters`` resamples of the n items."""
    rng = np.random.default_rng(seed)
    values = np.array([statistic(rng.integers(0, n, n)) for _ in range(iters)])
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return (float(lo), float(hi))


def paired_bootstrap(a: np.ndarray, b: np.ndarray, iters: int = 1000, seed: int = 0,
                     level: float = 0.95) -> tuple[float, float, float]:
    """(mean(a) − mean(b), low, high) for per-item scores of two systems on the *same* items: each resample draws
    the items once for both, so difficulty the two share cancels in the difference."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired_bootstrap needs one score per item for both systems, on the same items: got "
                         f"shapes {a.shape} and {b.shape}")
    return (float(a.mean() - b.mean()), *bootstrap(lambda i: a[i].mean() - b[i].mean(), len(a), iters, seed, level))
