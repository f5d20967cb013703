"""The numbers a lab stands on: record them in the notebook, read them back from its outputs.

In a lab's "What you should see" section::

    from llmlab import report
    report.record("few_shot_rouge_l", rouge_few, note="2 shots, 100 held-out dialogues")
    report.expect(rouge_few > rouge_zero + 0.05, "few-shot prompting beats zero-shot")

``record`` prints a readable line (``📌 few_shot_rouge_l = 0.812``). Inside a Jupyter kernel it
emits that line as a display output that also carries the record as JSON under the MIME type
``application/vnd.llmlab.record+json`` (front ends show the text; the JSON rides along in the
saved notebook), so ``read(executed_notebook)`` gets ``{"few_shot_rouge_l": 0.812, ...}`` back.
``python -m llmlab.run`` uses it to write the report of a run.
"""
from __future__ import annotations

import json
import math
import re
import time
from contextlib import contextmanager
from os import PathLike
from typing import Any, Iterator, Mapping

MIME = "application/vnd.llmlab.record+json"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")

#: Records made in this process, in order (name -> payload); the last record of a name wins.
RECORDS: dict[str, dict[str, Any]] = {}


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

    Returns None, so that a ``record(...)`` ending a cell adds no ``Out[n]`` echo.

    ``name`` is an identifier-like key (letters, digits, ``_ . - /``); ``unit`` (e.g. "s",
    "MiB", "tokens/s") and ``note`` are shown next to it in the run report.
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
    RECORDS[name] = payload
    line = format_record(payload)
    if _in_kernel():
        from IPython.display import display
        display({"text/plain": line, MIME: payload}, raw=True)
    else:
        print(line)


def records() -> dict[str, Any]:
    """The records made so far in this process: name -> value."""
    return {name: p["value"] for name, p in RECORDS.items()}


def expect(condition: Any, lesson: str, *, detail: str | None = None) -> None:
    """Assert that a lab's lesson held; say so either way.

    ``expect(few > zero, "few-shot beats zero-shot", detail=f"{few:.3f} vs {zero:.3f}")``
    prints ``✔ Lesson held: ...`` or raises ``LessonFailed("Lesson did not hold: ...")``.
    """
    suffix = f" ({detail})" if detail else ""
    if not bool(condition):
        raise LessonFailed(f"Lesson did not hold: {lesson}{suffix}")
    print(f"✔ Lesson held: {lesson}{suffix}")


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
            payload = (out.get("data") or {}).get(MIME)
            if payload is None:
                continue
            if isinstance(payload, str):  # JSON stored as text by some writers
                payload = json.loads(payload)
            found.append({"name": payload["name"], "value": payload.get("value"),
                          "unit": payload.get("unit"), "note": payload.get("note")})
    return found


def read(notebook: Any) -> dict[str, Any]:
    """The records of an executed notebook: name -> value (a later record of a name wins)."""
    return {p["name"]: p["value"] for p in read_records(notebook)}
