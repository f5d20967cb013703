"""llmlab.report: records survive a real kernel and the notebook file; bad values are refused."""
from __future__ import annotations

import json
import math

import nbformat
import numpy as np
import pytest
import torch

from llmlab import report


@pytest.fixture(autouse=True)
def _fresh_records():
    saved, lessons = dict(report.RECORDS), list(report.LESSONS)
    report.RECORDS.clear()
    report.LESSONS.clear()
    yield
    report.RECORDS.clear()
    report.RECORDS.update(saved)
    report.LESSONS[:] = lessons


def test_round_trip_through_an_executed_notebook(fixture_run):
    """record() + expect() + summary() in a kernel -> one display output in the saved notebook ->
    read() and read_lessons() give them back."""
    executed = fixture_run["out"] / "00_fixture.ipynb"
    # the value is computed, not copied: H(softmax([2, 1, 0.1])) in nats
    p = torch.softmax(torch.tensor([2.0, 1.0, 0.1]), dim=-1)
    expected = round(float(-(p * p.log()).sum()), 4)
    assert report.read(executed) == {"softmax_entropy": expected}
    assert report.read_records(str(executed)) == [
        {"name": "softmax_entropy", "value": expected, "unit": "nats",
         "note": "H(softmax([2, 1, 0.1]))"}]
    assert report.read_lessons(executed) == [
        {"lesson": "a peaked distribution has less entropy than uniform", "held": True,
         "detail": f"{expected:.4f} < ln 3 = {math.log(3):.4f} nats"}]
    # one output for the whole summary: the table front ends show, the JSON riding along
    nb = nbformat.read(str(executed), as_version=4)
    assert report.read(nb) == {"softmax_entropy": expected}
    shown = [out for cell in nb.cells for out in cell.get("outputs", [])
             if report.SUMMARY_MIME in out.get("data", {})]
    assert len(shown) == 1 and shown[0]["output_type"] == "display_data"
    text = shown[0]["data"]["text/plain"]
    assert text.startswith("What you should see: 1 of 1 lessons held") and f"softmax_entropy = {expected} nats" in text
    assert "<table>" in shown[0]["data"]["text/html"]
    assert isinstance(shown[0]["data"][report.SUMMARY_MIME], dict)   # stored as JSON, not as a string
    assert not [out for cell in nb.cells for out in cell.get("outputs", []) if report.MIME in out.get("data", {})]


def test_summary_shows_everything_then_fails_on_a_broken_lesson(capsys):
    report.record("acc", 0.81, note="100 reviews")
    assert report.expect(True, "few-shot beats zero-shot", detail="0.81 vs 0.62") is True
    assert report.expect(np.bool_(False), "LoRA trains <2% of parameters", detail="3.1%") is False
    assert capsys.readouterr().out == "", "record and expect are quiet; summary shows them"
    with pytest.raises(report.LessonFailed, match=r"^Lesson did not hold: LoRA trains <2% of parameters \(3.1%\)$"):
        report.summary()
    out = capsys.readouterr().out
    assert out.splitlines()[:3] == ["What you should see: 1 of 2 lessons held",
                                    "  ✔ few-shot beats zero-shot  (0.81 vs 0.62)",
                                    "  ✘ LoRA trains <2% of parameters  (3.1%)"]
    assert "acc = 0.81  (100 reviews)" in out
    report.expect(True, "LoRA trains <2% of parameters")   # re-running a cell replaces its verdict
    report.summary()
    assert "2 of 2 lessons held" in capsys.readouterr().out


def test_read_collects_in_order_and_last_wins():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x") for _ in range(2)])
    out = lambda name, value: nbformat.v4.new_output(  # noqa: E731
        "display_data", data={report.MIME: {"name": name, "value": value}})
    nb.cells[0].outputs = [out("a", 1), out("b", 2)]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="hi"), out("a", 3)]
    nb.cells[1].outputs.append(nbformat.v4.new_output(
        "execute_result", data={report.MIME: json.dumps({"name": "c", "value": [1, 2]})},
        execution_count=1))
    assert report.read(nb) == {"a": 3, "b": 2, "c": [1, 2]}
    assert [r["name"] for r in report.read_records(nb)] == ["a", "b", "a", "c"]


def test_record_is_quiet_and_converts(capsys):
    assert report.record("acc", np.float32(0.8125)) is None
    report.record("n", np.int64(3), unit="tokens")
    report.record("loss", torch.tensor(2.5), note="held-out")
    report.record("ok", np.bool_(True))
    report.record("curve", [np.float64(0.5), torch.tensor(1)])
    report.record("cfg", {"r": 8, "alpha": 16.0, "name": "lora"})
    got = report.records()
    assert got == {"acc": 0.8125, "n": 3, "loss": 2.5, "ok": True, "curve": [0.5, 1],
                   "cfg": {"r": 8, "alpha": 16.0, "name": "lora"}}
    assert [type(got[k]) for k in ("acc", "n", "ok")] == [float, int, bool]
    assert capsys.readouterr().out == ""
    assert report.format_record(report.RECORDS["n"]) == "📌 n = 3 tokens"
    assert report.format_record(report.RECORDS["loss"]) == "📌 loss = 2.5  (held-out)"
    json.dumps(report.RECORDS, allow_nan=False)


@pytest.mark.parametrize("value, error, words", [
    (torch.tensor([1.0, 2.0]), TypeError, "shape (2,)"),
    (np.zeros((2, 2)), TypeError, ".tolist()"),
    (object(), TypeError, "not JSON-serialisable"),
    ({1: 2.0}, TypeError, "non-string key"),
    ([1, {2, 3}], TypeError, "not JSON-serialisable"),
    (float("nan"), ValueError, "finite"),
    (np.float32("inf"), ValueError, "finite"),
    (torch.tensor(float("nan")), ValueError, "finite"),
])
def test_record_rejects_what_json_cannot_hold(value, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        report.record("bad", value)
    assert "bad" not in report.RECORDS


@pytest.mark.parametrize("name", ["", "1st", "has space", None])
def test_record_rejects_bad_names(name):
    with pytest.raises(ValueError, match="record name"):
        report.record(name, 1)


def test_timer_measures_and_records(capsys):
    with report.timer() as t:
        sum(range(1000))
    assert t.seconds is not None and 0 <= t.seconds < 1 and t.elapsed == t.seconds
    with report.timer("step_time", note="one step") as t:
        pass
    assert report.records()["step_time"] == round(t.seconds, 3)
    assert report.RECORDS["step_time"]["unit"] == "s"
    with pytest.raises(RuntimeError):
        with report.timer("crashed"):
            raise RuntimeError("no record for a block that failed")
    assert "crashed" not in report.RECORDS
    assert math.isfinite(t.seconds)
