"""Grading: every exercise of a student notebook comes back passed / failed / not attempted / not run,
with the check's message; crashing and looping notebooks are reported, not fatal."""
from __future__ import annotations

import json

import nbformat
import pytest

from llmlab.config import repo_root
from llmlab.course import grade
from llmlab.course.generate import RAISES

REPO = repo_root()

SETUP = ("import torch\nfrom llmlab.lab01 import checks\nfrom llmlab.lab01 import sampling")
RIGHT = "def temperature(logits, t):\n    if t <= 0:\n        raise ValueError('t must be > 0')\n    return logits / t"
WRONG = ("def top_k(logits, k):\n    kth = logits.topk(k, dim=-1).values[..., -1:]\n"
         "    return logits.masked_fill(logits <= kth, float('-inf'))")   # keeps only what is > the k-th
STUB = "def top_p(logits, p):\n    raise NotImplementedError('Exercise 3: top-p')"


def _submission(cells, path):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source, metadata={"tags": tags} if tags else {})
        nb.cells.append(cell)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i}"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One grading run over a folder: planted mistakes, a crash and an endless loop."""
    base = tmp_path_factory.mktemp("grade")
    subs = base / "submissions"
    _submission([('PROFILE = "cpu"', ["parameters"]), (SETUP, None),
                 (RIGHT, None), ('checks.check_temperature(temperature, name="Exercise 1: temperature")', [RAISES]),
                 (WRONG, None), ('checks.check_top_k(top_k, name="Exercise 2: top-k")', [RAISES]),
                 (STUB, None), ('checks.check_top_p(top_p, name="Exercise 3: top-p")', [RAISES])],
                subs / "alice" / "01_prompting_and_sampling.ipynb")
    _submission([('PROFILE = "cpu"', ["parameters"]), (SETUP, None), (RIGHT, None),
                 ("import os\nos._exit(3)   # the kernel dies", None),
                 ('checks.check_temperature(temperature, name="Exercise 1: temperature")', [RAISES])],
                subs / "bob" / "01_prompting_and_sampling.ipynb")
    _submission([('PROFILE = "cpu"', ["parameters"]), (SETUP, None), ("while True:\n    pass", None),
                 ('checks.check_temperature(temperature, name="Exercise 1: temperature")', [RAISES])],
                subs / "carol" / "01_prompting_and_sampling.ipynb")
    out = base / "out"
    rc = grade.main([str(subs), "--out", str(out), "--timeout", "20"])
    return rc, {g["notebook"].split("/")[-2]: g for g in json.loads((out / "grades.json").read_text())}, out


def test_planted_mistakes_are_named(graded):
    rc, grades, _ = graded
    assert rc == 0
    alice = grades["alice"]
    assert alice["status"] == "ok"
    got = {e["name"]: (e["status"], e["message"]) for e in alice["exercises"]}
    assert got["Exercise 1: temperature"][0] == "passed"
    assert got["Exercise 2: top-k"][0] == "failed" and "`>` instead of `>=`" in got["Exercise 2: top-k"][1]
    assert got["Exercise 3: top-p"][0] == "not attempted"


def test_crashing_and_looping_notebooks_are_reported(graded):
    _, grades, out = graded
    assert grades["bob"]["status"] == "crashed" and grades["bob"]["exercises"][0]["status"] == "not run"
    assert grades["carol"]["status"] == "timed out" and grades["carol"]["exercises"][0]["status"] == "not run"
    table = (out / "GRADES.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ") and "01_prompting" in line]
    assert len(rows) == 3                                   # one row per student notebook
    assert "| ✓ | ✗ | – |" in next(r for r in rows if "alice" in r)


def test_answer_keys_pass_every_exercise_and_labs_attempt_none():
    """The committed answer keys (executed) pass every check; the generated labs, unexecuted, have
    the same exercises and none has run."""
    for key in sorted((REPO / "solutions").glob("[0-9][0-9]_*.ipynb")):
        found = grade.exercises(nbformat.read(str(key), as_version=4))
        assert found and all(e.status == "passed" for e in found), (key.name, found)
        lab = grade.exercises(nbformat.read(str(REPO / "labs" / key.name), as_version=4))
        assert [e.name for e in lab] == [e.name for e in found] and all(e.status == "not run" for e in lab)
