"""Intervals against scipy's, and the per-item ROUGE that the paired bootstrap resamples against rouge_score's mean."""
from __future__ import annotations

import numpy as np
import pytest

from llmlab import intervals, metrics


def test_wilson_interval_known_values():
    lo, hi = intervals.wilson(8, 10)                      # textbook: (0.490, 0.943)
    assert (round(lo, 3), round(hi, 3)) == (0.49, 0.943)
    assert intervals.wilson(0, 20)[0] == 0.0 and intervals.wilson(20, 20)[1] == 1.0


def test_bootstrap_matches_scipys_percentile_bootstrap():
    from scipy import stats
    x = np.random.default_rng(0).normal(size=200)
    lo, hi = intervals.bootstrap(lambda i: x[i].mean(), len(x), iters=4000)
    ref = stats.bootstrap((x,), np.mean, n_resamples=4000, method="percentile", random_state=0).confidence_interval
    assert lo < x.mean() < hi
    assert lo == pytest.approx(ref.low, abs=0.01) and hi == pytest.approx(ref.high, abs=0.01)


def test_paired_bootstrap_matches_scipys_and_is_narrower_than_unpaired():
    from scipy import stats
    rng = np.random.default_rng(1)
    difficulty = rng.uniform(0.1, 0.6, 100)                    # shared by both systems: cancels when paired
    a, b = difficulty + rng.normal(0.05, 0.03, 100), difficulty + rng.normal(0.0, 0.03, 100)
    diff, lo, hi = intervals.paired_bootstrap(a, b, iters=4000)
    ref = stats.bootstrap((a, b), lambda x, y: x.mean() - y.mean(), paired=True, vectorized=False,
                          n_resamples=4000, method="percentile", random_state=0).confidence_interval
    assert diff == pytest.approx(a.mean() - b.mean())
    assert lo == pytest.approx(ref.low, abs=0.003) and hi == pytest.approx(ref.high, abs=0.003)
    unpaired = stats.bootstrap((a, b), lambda x, y: x.mean() - y.mean(), paired=False, vectorized=False,
                               n_resamples=2000, method="percentile", random_state=0).confidence_interval
    assert hi - lo < 0.5 * (unpaired.high - unpaired.low)
    with pytest.raises(ValueError, match="same items"):
        intervals.paired_bootstrap(a, b[:50])


def test_rouge_per_item_averages_to_rouge_scores_mean():
    preds = ["the cat sat on the mat", "a dog", "tea at noon with Mike"]
    refs = ["the cat is on the mat", "the dog barked", "Mike drinks tea at noon"]
    items = metrics.rouge_per_item(preds, refs)
    assert len(items) == 3 and np.mean(items) == pytest.approx(metrics.rouge(preds, refs)["rougeL"])
    with pytest.raises(ValueError, match="pair up"):
        metrics.rouge_per_item(preds, refs[:2])
