"""Lab 06's benchmark helpers: intervals, contamination, the judge's features, and lm-eval offline."""
from __future__ import annotations

import socket

import numpy as np
import pytest
import torch

from llmlab import tinyworld, zoo
from llmlab.lab06 import benchmark, failures, harness, judge

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _result(values: np.ndarray, model: str) -> benchmark.Result:
    return benchmark.Result(model, "summarize", "ROUGE-L", float(values.mean()), 0.0, 1.0, len(values),
                            statistic=lambda i: values[i].mean())


def test_paired_difference_is_the_core_paired_bootstrap_on_results():
    """llmlab.intervals.paired_bootstrap is tested against scipy (tests/core/test_intervals.py); a model's Result
    carries its per-item statistic, and the difference of two must be exactly that bootstrap."""
    from llmlab import intervals
    rng = np.random.default_rng(1)
    difficulty = rng.uniform(0.1, 0.6, 100)                    # shared by both models: cancels when paired
    a, b = difficulty + rng.normal(0.05, 0.03, 100), difficulty + rng.normal(0.0, 0.03, 100)
    assert benchmark.paired_difference(_result(a, "a"), _result(b, "b"), iters=2000) == pytest.approx(
        intervals.paired_bootstrap(a, b, iters=2000))
    with pytest.raises(ValueError, match="one task, metric and item set"):
        benchmark.paired_difference(_result(a, "a"), _result(b[:50], "b"))


def test_items_are_test_splits_and_contamination_finds_a_planted_item():
    items = benchmark.items()
    assert {k: len(v) for k, v in items.items()} == {"sentiment": 200, "summarize": 100, "translate": 100, "qa": 120}
    for rows in items.values():
        assert all("-test-" in r["id"] for r in rows)
    index = benchmark.contamination_index(benchmark.training_texts())
    leaked = tinyworld.rows("translation", "train")[3]
    planted = dict(items, translate=items["translate"] + [{"id": "x", "input": leaked["en"], "target": leaked["toy"]}])
    res = {r["task"]: r for r in benchmark.contamination(planted, index)}
    assert res["translate"]["flagged ids"] == ["x"]
    assert res["summarize"]["flagged"] == 0 and res["qa"]["flagged"] == 0


def test_judge_learns_the_reader_on_held_out_dialogues():
    tr = failures.candidates(tinyworld.rows("dialogsum", "train")[:100], seed=0)
    te = failures.candidates(tinyworld.rows("dialogsum", "test")[:40], seed=1)
    j = judge.train(judge.features(tr), torch.tensor([e["good"] for e in tr]))
    acc = (j.predict(judge.features(te)) == torch.tensor([e["good"] for e in te])).float().mean()
    assert acc > 0.9
    assert set(e["kind"] for e in te) == set(failures.KINDS)


def test_lm_eval_equals_our_scoring_offline(tmp_path, monkeypatch):
    def refuse(self, address, *a, **k):
        raise OSError(f"network disabled in this test ({address})")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    model, tok = zoo.load("gpt-instruct")
    items = {k: v[:30] for k, v in benchmark.items().items() if k in ("sentiment", "qa")}
    prompts = {k: [benchmark.instruct(k, r["input"]) for r in rows] for k, rows in items.items()}
    tasks = harness.write_tasks(items, prompts, tmp_path)
    scores, samples = harness.evaluate(model, tok, tasks, tmp_path, samples=True)
    for k, rows in items.items():
        ours = benchmark.choice_logprobs(model, tok, prompts[k], [r["choices"] for r in rows])
        assert np.allclose(np.array(ours, dtype=object).tolist(), samples[f"tw_{k}"], atol=1e-4) or all(
            np.allclose(a, b, atol=1e-4) for a, b in zip(ours, samples[f"tw_{k}"]))
        acc = np.mean([r["choices"][int(np.argmax(x))] == r["target"] for r, x in zip(rows, ours)])
        assert scores[f"tw_{k}"] == pytest.approx(acc)
