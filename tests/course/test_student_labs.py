"""The student notebooks, every exercise unsolved, run to the end: each check cell fails with its
message, the cells after it use the reference implementation and say so, and the lessons still hold
(`make run SRC=labs`)."""
from __future__ import annotations

import json

import nbformat
import pytest

from llmlab import report
from llmlab.config import repo_root
from llmlab.course import execute
from llmlab.course.generate import RAISES

REPO = repo_root()


@pytest.fixture(scope="module")
def student_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("student_run")
    # two kernels at one torch thread each: on the 2-core machine all ten labs ran in 548 s this way against
    # 1,178 s one after the other (2026-12-03, Intel Xeon), every lesson holding
    rc = execute.main(["--src", str(REPO / "labs"), "--out", str(out), "--profile", "cpu", "--jobs", "2"])
    return rc, out


def test_every_student_lab_runs_to_the_end(student_run):
    rc, out = student_run
    runs = {r["name"]: r for r in json.loads((out / "report.json").read_text())["notebooks"]}
    labs = sorted(p.stem for p in (REPO / "labs").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(runs) == labs
    for name in labs:
        assert runs[name]["status"] == "ok", (name, runs[name]["error"])
        assert runs[name]["expected_errors"] > 0, f"{name}: no unsolved exercise failed its check"
    assert rc == 0


@pytest.mark.parametrize("name", sorted(p.stem for p in (REPO / "labs").glob("[0-9][0-9]_*.ipynb")))
def test_unsolved_checks_fail_and_the_references_stand_in(student_run, name):
    _, out = student_run
    nb = nbformat.read(str(out / f"{name}.ipynb"), as_version=4)
    checks = [c for c in nb.cells if RAISES in c.metadata.get("tags", [])]
    for cell in checks:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert errors and errors[0].ename == "CheckFailed" and "not implemented yet" in errors[0].evalue, cell.source
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream")
    stand_ins = [line for line in text.splitlines() if line.startswith("⚠ ") and "is not solved yet" in line]
    assert len(stand_ins) == len(checks), stand_ins       # one line per exercise, none silent
    assert all("the cells below use the reference `llmlab." in line for line in stand_ins)
    lessons = report.read_lessons(nb)
    assert lessons and all(x["held"] for x in lessons), [x for x in lessons if not x["held"]]
    assert not [c for c in nb.cells if "papermill-error-cell-tag" in c.metadata.get("tags", [])]
