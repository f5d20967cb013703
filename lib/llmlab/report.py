"""The numbers a lab stands on: record them, check its lessons, show one summary at the end.

In a lab's "What you should see" section::

    from llmlab import report
    report.record("few_shot_rouge_l", rouge_few, note="2 shots, 100 held-out dialogues")
    report.expect(rouge_few > rouge_zero + 0.05, "few-shot prompting beats zero-shot",
                  detail=f"{rouge_zero:.2f} -> {rouge_few:.2f}")
    report.summary()        # one table: every lesson's verdict, then every measurement

``record`` and ``expect`` only collect (a lab's outputs stay quiet); ``summary`` shows what was
collected as one table and raises ``LessonFailed`` if a lesson did not hold, so a failed lesson
fails the notebook (and the tests) after the whole table is on screen. Inside a Jupyter kernel the
table is one display output that also carries the records as JSON under the MIME type
``application/vnd.llmlab.summary+json`` (front ends show the table; the JSON rides along in the
saved notebook), so ``read(executed_notebook)`` gets ``{"few_shot_rouge_l": 0.812, ...}`` back;
``python -m llmlab.course.execute`` uses it to write the report of a run.
"""
from __future__ import annotations

import json
import math
import re
import time
from contextlib import contextmanager
from os import PathLike
from typing import Any, Iterator, Mapping

MIME = "application/vnd.llmlab.record+json"          # one record (older notebooks, hand-made outputs)
SUMMARY_MIME = "application/vnd.llmlab.summary+json"  # summary(): every record and lesson of a lab
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")

#: Records made in this process, in order (name -> payload); the last record of a name wins.
RECORDS: dict[str, dict[str, Any]] = {}
#: Lessons checked in this process, in order: ``{"lesson", "held", "detail"}``.
LESSONS: list[dict[str, Any]] = []


class LessonFailed(AssertionError):
    """A lab's "What you should see" assertion did not hold."""


# ---- values ---------------------------------------------------------------------------------
def to_json_value(value: Any, what: str = "value") -> Any:
    """``value`` as plain JSON data: numpy/torch scalars become Python numbers.

    Accepts None, bool, int, float (finite), str, numpy/torch scalars and 0-d arrays/tensors,
    and lists/tuples/dicts (string keys) of those. Anything else raises TypeError; NaN or
    infinity raises ValueError (a recorded number must be a number).
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{what} is {value!r}; record finite numbers only "
                             "(a NaN usually means training diverged: check the loss).")
        return float(value)
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{what} has a non-string key {key!r}; JSON keys are strings.")
            out[key] = to_json_value(item, f"{what}[{key!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [to_json_value(item, f"{what}[{i}]") for i, item in enumerate(value)]
    # numpy scalars, 0-d numpy arrays, 0-d torch tensors: duck-typed, so no torch import here
    item = getattr(value, "item", None)
    ndim = getattr(value, "ndim", None)
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    if callable(item) and ndim == 0:
        plain = item()
        if isinstance(plain, (bool, int, float, str)) or plain is None:
            return to_json_value(plain, what)
        raise TypeError(f"{what} of type {kind} holds {type(plain).__name__} {plain!r}, "
                        "which is not a JSON number or string.")
    if callable(item) and ndim is not None:
        shape = tuple(getattr(value, "shape", ()))
        raise TypeError(f"{what} is a {kind} of shape {shape}; record a scalar "
                        "(e.g. `.item()` or `.mean().item()`), or a list with `.tolist()`.")
    raise TypeError(f"{what} of type {kind} is not JSON-serialisable; record a number, string, "
                    "bool, None, or a list/dict of those.")


def _format(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_format(v)}" for k, v in value.items()) + "}"
    return str(value)


def format_record(payload: Mapping[str, Any]) -> str:
    """The readable line of a record: ``📌 name = value unit — note``."""
    line = f"📌 {payload['name']} = {_format(payload['value'])}"
    if payload.get("unit"):
        line += f" {payload['unit']}"
    if payload.get("note"):
        line += f"  ({payload['note']})"
    return line


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of every notebook setup
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


# ---- the API used in labs ---------------------------------------------------------------------
def record(name: str, value: Any, *, unit: str | None = None, note: str | None = None) -> None:
    """Record one of the lab's key numbers (stored as plain JSON data; see ``records()``).

    Shows nothing: ``summary()`` lists every record at the end of the lab. Returns None, so that a
    ``record(...)`` ending a cell adds no ``Out[n]`` echo.

    ``name`` is an identifier-like key (letters, digits, ``_ . - /``); ``unit`` (e.g. "s",
    "MiB", "tokens/s") and ``note`` are shown next to it in the summary and the run report.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"record name {name!r} must start with a letter or underscore and use "
                         "only letters, digits and _ . - /")
    for label, text in (("unit", unit), ("note", note)):
        if text is not None and not isinstance(text, str):
            raise TypeError(f"{label} must be a string or None, got {type(text).__name__}.")
    payload = {"name": name, "value": to_json_value(value, f"record {name!r}"),
               "unit": unit, "note": note}
    json.dumps(payload, allow_nan=False)  # belt and braces: what we store must round-trip
    RECORDS.pop(name, None)               # a re-recorded name moves to the end
    RECORDS[name] = payload


def records() -> dict[str, Any]:
    """The records made so far in this process: name -> value."""
    return {name: p["value"] for name, p in RECORDS.items()}


def expect(condition: Any, lesson: str, *, detail: str | None = None) -> bool:
    """Check that one of the lab's lessons held, for ``summary()`` to show; returns the verdict.

    ``expect(few > zero, "few-shot beats zero-shot", detail=f"{few:.3f} vs {zero:.3f}")``.
    A lesson that did not hold makes ``summary()`` raise ``LessonFailed``, after the table is shown.
    """
    held = bool(condition)
    LESSONS[:] = [x for x in LESSONS if x["lesson"] != lesson]   # re-running a cell replaces, not repeats
    LESSONS.append({"lesson": lesson, "held": held, "detail": detail})
    return held


def _summary_text(lessons: list[dict[str, Any]], recs: list[dict[str, Any]]) -> str:
    held = sum(x["held"] for x in lessons)
    lines = [f"What you should see: {held} of {len(lessons)} lessons held"]
    lines += [f"  {'✔' if x['held'] else '✘'} {x['lesson']}" + (f"  ({x['detail']})" if x["detail"] else "")
              for x in lessons]
    if recs:
        lines += ["", "Measured:"] + [f"  {format_record(r)[2:]}" for r in recs]
    return "\n".join(lines)


def _summary_html(lessons: list[dict[str, Any]], recs: list[dict[str, Any]]) -> str:
    from html import escape
    held = sum(x["held"] for x in lessons)
    rows = "".join(f"<tr><td>{'✔' if x['held'] else '✘'}</td><td style='text-align:left'>{escape(x['lesson'])}</td>"
                   f"<td style='text-align:left'>{escape(x['detail'] or '')}</td></tr>" for x in lessons)
    def value(r: Mapping[str, Any]) -> str:
        return escape(_format(r["value"]) + (f" {r['unit']}" if r["unit"] else ""))
    meas = "".join(f"<tr><td style='text-align:left'><code>{escape(r['name'])}</code></td>"
                   f"<td style='text-align:left'>{value(r)}</td>"
                   f"<td style='text-align:left'>{escape(r['note'] or '')}</td></tr>" for r in recs)
    out = (f"<p><b>What you should see: {held} of {len(lessons)} lessons held</b></p>"
           f"<table><tr><th></th><th>lesson</th><th>measured</th></tr>{rows}</table>")
    if recs:
        out += (f"<details><summary>{len(recs)} recorded measurements</summary><table><tr><th>name</th>"
                f"<th>value</th><th>note</th></tr>{meas}</table></details>")
    return out


def summary() -> None:
    """Show every lesson's verdict and every record as one table; raise if a lesson failed."""
    lessons, recs = list(LESSONS), list(RECORDS.values())
    text = _summary_text(lessons, recs)
    if _in_kernel():
        from IPython.display import display
        display({"text/plain": text, "text/html": _summary_html(lessons, recs),
                 SUMMARY_MIME: {"records": recs, "lessons": lessons}}, raw=True)
    else:
        print(text)
    failed = [x for x in lessons if not x["held"]]
    if failed:
        raise LessonFailed("Lesson did not hold: " + "; ".join(
            x["lesson"] + (f" ({x['detail']})" if x["detail"] else "") for x in failed))


class Timer:
    """Wall-clock seconds of a ``with timer():`` block (``.seconds``, set when it ends)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.seconds: float | None = None

    @property
    def elapsed(self) -> float:
        """Seconds so far (or in total once the block ended)."""
        return self.seconds if self.seconds is not None else time.perf_counter() - self.start


@contextmanager
def timer(name: str | None = None, *, note: str | None = None) -> Iterator[Timer]:
    """Time a block; with a ``name``, record the seconds (unit "s") when the block ends.

    ``with report.timer("lora_train_time") as t: train(...)`` then ``t.seconds``.
    """
    t = Timer()
    try:
        yield t
    finally:
        t.seconds = time.perf_counter() - t.start
    if name is not None:  # only when the block succeeded
        record(name, round(t.seconds, 3), unit="s", note=note)


# ---- reading an executed notebook ------------------------------------------------------------
def _load(notebook: Any):
    if isinstance(notebook, (str, PathLike)):
        import nbformat
        return nbformat.read(str(notebook), as_version=4)
    return notebook


def read_records(notebook: Any) -> list[dict[str, Any]]:
    """Every record in an executed notebook's outputs, in order, as ``{name, value, unit, note}``.

    ``notebook`` is a path or an nbformat node (a dict-like notebook).
    """
    nb = _load(notebook)
    found = []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") not in ("display_data", "execute_result"):
                continue
            data = out.get("data") or {}
            payloads = [data[MIME]] if MIME in data else []
            if SUMMARY_MIME in data:
                table = data[SUMMARY_MIME]
                payloads = json.loads(table)["records"] if isinstance(table, str) else table["records"]
            for payload in payloads:
                if isinstance(payload, str):  # JSON stored as text by some writers
                    payload = json.loads(payload)
                found.append({"name": payload["name"], "value": payload.get("value"),
                              "unit": payload.get("unit"), "note": payload.get("note")})
    return found


def read_lessons(notebook: Any) -> list[dict[str, Any]]:
    """The lessons of an executed notebook's summary, in order: ``{lesson, held, detail}``."""
    found = []
    for cell in _load(notebook).get("cells", []):
        for out in cell.get("outputs", []) or []:
            table = (out.get("data") or {}).get(SUMMARY_MIME)
            if table is not None:
                found += (json.loads(table) if isinstance(table, str) else table)["lessons"]
    return found


def read(notebook: Any) -> dict[str, Any]:
    """The records of an executed notebook: name -> value (a later record of a name wins)."""
    return {p["name"]: p["value"] for p in read_records(notebook)}
