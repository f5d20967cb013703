"""llmlab.course.generate: the solutions -> labs generator, and the committed labs/ being in sync with it."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
import torch

from llmlab.checks import CheckFailed, call
from llmlab.course import generate as labs

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parents[1] / "fixtures" / "00_fixture.ipynb"
PARAMS = ("code", 'PROFILE = "cpu"', ["parameters"])


def sources(nb) -> list[str]:
    return [c.source for c in nb.cells]


def test_fixture_lab_has_stubs_answers_and_nothing_else():
    solution = labs.load_notebook(FIXTURE)
    lab = labs.generate(FIXTURE)
    text = labs.notebook_text(lab)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert "x - x.max(dim=-1" not in text            # the code answer
    assert "invariant to adding a constant" not in text  # the written answer
    assert "NBVAL_CHECK_OUTPUT" not in text          # test plumbing
    assert "naive_softmax" not in text               # the solution_only cell
    # the note comes first and names its source
    assert lab.cells[0].cell_type == "markdown" and "fixtures/00_fixture.ipynb" in lab.cells[0].source
    # the stub keeps the marker's indentation and names the exercise
    stub = next(c for c in lab.cells if c.source.startswith("def softmax"))
    assert stub.source.splitlines() == [
        "def softmax(x: torch.Tensor) -> torch.Tensor:",
        "    # Exercise 1: a stable softmax",
        '    raise NotImplementedError("Exercise 1: a stable softmax")']
    assert any(c.source.endswith("*Your answer here.*") for c in lab.cells if c.cell_type == "markdown")
    # outputs, counts and metadata cleared; tags and ids kept
    assert solution.cells[9].outputs, "the fixture carries committed outputs (make run --inplace)"
    for cell in lab.cells:
        assert set(cell.metadata) <= {"tags"}
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert lab.cells[2].metadata == {"tags": ["parameters"]} and lab.cells[2].id == "fixture-01"
    assert lab.metadata == {"kernelspec": labs.KERNELSPEC, "language_info": labs.LANGUAGE_INFO}
    # same cells otherwise, in order (minus the dropped solution_only cell)
    kept = [c.id for c in solution.cells if "solution_only" not in c.metadata.get("tags", [])]
    assert [c.id for c in lab.cells[1:]] == kept


def test_stub_fails_the_check_with_a_helpful_message():
    """The student's starting point: running the stub gives the check's 'not implemented yet'."""
    lab = labs.generate(FIXTURE)
    stub = next(c for c in lab.cells if c.source.startswith("def softmax"))
    namespace = {"torch": torch}
    exec(stub.source, namespace)  # noqa: S102 - our own generated code
    with pytest.raises(CheckFailed, match=r"Exercise 1: not implemented yet \(Exercise 1: a "
                                          r"stable softmax\)"):
        call("Exercise 1", namespace["softmax"], torch.zeros(2))


def test_exercise_names_come_from_comments_headings_or_counting(notebook_factory):
    nb = notebook_factory([
        PARAMS,
        ("code", "def a():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
        ("markdown", "## Exercise 3: top-p filtering\nKeep the smallest set with mass ≥ p."),
        ("code", "def b(x):\n    if x:\n        ### BEGIN SOLUTION\n        return 2\n"
                 "        ### END SOLUTION\n    return 0"),
        ("code", "# Exercise 3b: top-p, batched\n### BEGIN SOLUTION\ny = 1\n### END SOLUTION\n"
                 "z = 2\n### BEGIN SOLUTION\nw = 3\n### END SOLUTION\n"),
        ("markdown", "## Next section"),
        ("code", "### BEGIN SOLUTION\nv = 1\n### END SOLUTION\n### BEGIN SOLUTION\nu = 1\n"
                 "### END SOLUTION"),
        ("markdown", "### Exercise: a title without a number"),
        ("code", "### BEGIN SOLUTION\nq = 1\n### END SOLUTION"),
    ])
    lab = labs.generate(nb, "solutions/99_demo.ipynb")
    got = sources(lab)[1:]
    assert got[1] == 'def a():\n    raise NotImplementedError("Exercise 1")'
    assert got[3] == ('def b(x):\n    if x:\n        raise NotImplementedError('
                      '"Exercise 3: top-p filtering")\n    return 0')
    assert got[4] == ('# Exercise 3b: top-p, batched\n'
                      'raise NotImplementedError("Exercise 3b: top-p, batched")\nz = 2\n'
                      'raise NotImplementedError("Exercise 3b: top-p, batched")\n')
    assert got[6] == ('raise NotImplementedError("Exercise 4")\n'
                      'raise NotImplementedError("Exercise 4")')
    assert got[8] == 'raise NotImplementedError("Exercise 5: a title without a number")'


def test_markdown_answers_are_replaced(notebook_factory):
    nb = notebook_factory([
        PARAMS,
        ("markdown", "Why?\n\n### BEGIN SOLUTION\nBecause.\n\nReally.\n### END SOLUTION\n\nAnd how?\n"
                     "### BEGIN SOLUTION\nLike so.\n### END SOLUTION"),
    ])
    assert sources(labs.generate(nb))[2] == ("Why?\n\n*Your answer here.*\n\nAnd how?\n"
                                             "*Your answer here.*")


def test_outputs_and_metadata_are_cleared(notebook_factory):
    nb = notebook_factory([PARAMS, ("code", "print(1)", ["keep-me"]), ("markdown", "text")])
    nb.cells[1].execution_count = 7
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nb.cells[1].metadata.update({"scrolled": True, "execution": {"x": 1}, "collapsed": False})
    nb.cells[2].metadata["jupyter"] = {"source_hidden": True}
    nb.metadata.update({"language_info": {"name": "python", "version": "3.11.7"}, "widgets": {}})
    lab = labs.generate(nb)
    assert lab.cells[2].outputs == [] and lab.cells[2].execution_count is None
    assert lab.cells[2].metadata == {"tags": ["keep-me"]} and lab.cells[3].metadata == {}
    assert lab.metadata == {"kernelspec": labs.KERNELSPEC, "language_info": labs.LANGUAGE_INFO}


@pytest.mark.parametrize("cells, words, where", [
    ([PARAMS, ("code", "### BEGIN SOLUTION\nx = 1")], "has no '### END SOLUTION'", "cell 1 (id c1)"),
    ([PARAMS, ("code", "x = 1\n### END SOLUTION")], "without a '### BEGIN SOLUTION'",
     "cell 1 (id c1): line 2"),
    ([PARAMS, ("code", "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION")],
     "still open", "cell 1 (id c1): line 2"),
    ([PARAMS, ("markdown", "### BEGIN SOLUTION\nanswer")], "has no '### END SOLUTION'",
     "cell 1 (id c1)"),
    ([PARAMS, ("code", "## BEGIN SOLUTION\nx = 1\n## END SOLUTION")],
     "looks like a solution marker", "cell 1 (id c1): line 1"),
    ([PARAMS, ("markdown", "Answer:\n### end solution")], "looks like a solution marker",
     "cell 1 (id c1): line 2"),
    ([PARAMS, ("raw", "### BEGIN SOLUTION\nx\n### END SOLUTION")], "in a raw cell", "cell 1"),
    ([PARAMS, ("code", "### BEGIN SOLUTION\nx\n### END SOLUTION", ["solution_only"])],
     "solution_only", "cell 1"),
    ([("code", "x = 1")], "no cell is tagged 'parameters'", ""),
    ([("code", "import os"), PARAMS], "must be the first code cell", "cell 1 (id c1)"),
    ([PARAMS, ("code", 'PROFILE = "gpu"', ["parameters"])], "cells [0, 1] are all tagged", ""),
    ([("code", "STEPS = 3", ["parameters"])], "must set PROFILE", "cell 0 (id c0)"),
    ([PARAMS, ("code", "helper = 1", ["solution_only"]), ("code", "print(helper + 1)")],
     "uses helper, defined only in the 'solution_only' cell 1", "cell 2 (id c2)"),
])
def test_bad_solutions_fail_naming_notebook_and_cell(notebook_factory, cells, words, where):
    nb = notebook_factory(cells)
    with pytest.raises(labs.SolutionError) as err:
        labs.generate(nb, "solutions/07_rlhf.ipynb")
    message = str(err.value)
    assert words in message
    assert message.startswith(f"solutions/07_rlhf.ipynb{', ' + where if where else ''}")


def test_solution_only_cells_that_feed_nothing_are_fine(notebook_factory):
    nb = notebook_factory([
        PARAMS, ("code", "import math\nhelper = 1"),
        ("code", "%time probe = helper * 2\nprint(probe)", ["solution_only"]),
        ("code", "print(helper, math.pi)")])
    assert len(labs.generate(nb).cells) == 4  # note + 3 kept


def test_build_is_deterministic_and_check_catches_every_drift(tmp_path):
    solutions, out = tmp_path / "solutions", tmp_path / "labs"
    solutions.mkdir()
    shutil.copy(FIXTURE, solutions / FIXTURE.name)
    assert labs.check(solutions, out) == ["missing: labs/00_fixture.ipynb (generated from "
                                          "solutions/00_fixture.ipynb)"]
    assert labs.build(solutions, out) == [out / "00_fixture.ipynb"]
    first = (out / "00_fixture.ipynb").read_bytes()
    assert first.endswith(b"}\n") and b'\n "cells": [\n  {\n' in first  # indent 1
    assert labs.check(solutions, out) == []
    assert labs.build(solutions, out) == []  # nothing rewritten
    # same bytes from a fresh build elsewhere, and from a solution with different outputs
    other = tmp_path / "labs2"
    nb = json.loads((solutions / FIXTURE.name).read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    (solutions / FIXTURE.name).write_text(json.dumps(nb, indent=2))
    labs.build(solutions, other)
    assert (other / "00_fixture.ipynb").read_bytes() == first
    # a solution edited without `make labs` -> stale; a lab without solution -> extra
    nb["cells"][4]["source"] = "".join(nb["cells"][4]["source"]).replace("softmax", "soft_max")
    (solutions / FIXTURE.name).write_text(json.dumps(nb))
    shutil.copy(out / "00_fixture.ipynb", out / "05_orphan.ipynb")
    assert labs.check(solutions, out) == [
        "stale: labs/00_fixture.ipynb differs from what solutions/00_fixture.ipynb generates",
        "extra: labs/05_orphan.ipynb has no solutions/05_orphan.ipynb"]
    # a lab edited by hand (e.g. saved from Jupyter with outputs) is stale too
    labs.build(solutions, out)
    assert not (out / "05_orphan.ipynb").exists() and labs.check(solutions, out) == []
    lab = nbformat.read(str(out / "00_fixture.ipynb"), as_version=4)
    nbformat.write(lab, str(out / "00_fixture.ipynb"))  # read + write alone changes no byte
    assert labs.check(solutions, out) == []
    lab.cells[2].execution_count = 1
    lab.cells[2].outputs = [nbformat.v4.new_output("stream", text="hi\n")]
    nbformat.write(lab, str(out / "00_fixture.ipynb"))
    assert labs.check(solutions, out) == [
        "stale: labs/00_fixture.ipynb differs from what solutions/00_fixture.ipynb generates"]


def test_cli_check_fails_naming_make_labs(tmp_path, capsys):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    shutil.copy(FIXTURE, solutions)
    shutil.copy(FIXTURE.with_suffix(".py"), solutions)
    argv = ["--solutions", str(solutions), "--labs", str(tmp_path / "labs")]
    assert labs.main(["check", *argv]) == 1
    assert "make labs" in capsys.readouterr().err
    assert labs.main(["build", *argv]) == 0
    assert labs.main(["check", *argv]) == 0
    (solutions / "01_broken.ipynb").write_text(json.dumps(nbformat.v4.new_notebook()))
    (solutions / "01_broken.py").write_text("# %%\nx = 1\n")
    assert labs.main(["build", *argv]) == 1
    assert "no cell is tagged 'parameters'" in capsys.readouterr().err
    assert labs.check(solutions, tmp_path / "labs") == [
        "invalid solution: solutions/01_broken.ipynb: no cell is tagged 'parameters'. The first "
        "code cell must be `PROFILE = \"cpu\"` tagged 'parameters' (papermill injects the "
        "profile after it)."]
    assert not (tmp_path / "labs" / "01_broken.ipynb").exists()


def test_check_cells_and_top_level_stubs_may_fail_in_the_lab(notebook_factory):
    """A student lab runs on past an unsolved exercise: its check cell (and a stub outside any
    function) is tagged raises-exception; other cells are not."""
    nb = notebook_factory([
        ("code", 'PROFILE = "cpu"', ["parameters"]),
        ("code", "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"),
        ("code", "checks.check_f(f, name='Exercise 1')"),
        ("code", "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION"),
        ("code", "print(checks.check_f)  # mentions a check, does not call one at the start of a line"),
    ])
    lab = labs.generate(nb, "solutions/01_x.ipynb")
    tags = [c.metadata.get("tags", []) for c in lab.cells[1:]]
    assert tags == [["parameters"], [], [labs.RAISES], [labs.RAISES], []]


# ---- source <-> answer key ----------------------------------------------------------------------
def _pair(tmp_path: Path) -> Path:
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    for suffix in (".py", ".ipynb"):
        shutil.copy(FIXTURE.with_suffix(suffix), solutions)
    return solutions


def test_sync_keeps_ids_and_outputs_of_unchanged_cells(tmp_path):
    solutions = _pair(tmp_path)
    key, source = solutions / FIXTURE.name, solutions / f"{FIXTURE.stem}.py"
    before = labs.load_notebook(key)
    assert labs.pair_problems(solutions) == [] and labs.sync(solutions) == []
    text = source.read_text()
    first_code = text.index("# %%", text.index("# %%") + 1)           # insert before the second cell
    source.write_text(text[:first_code] + "# %% [markdown]\n# An inserted cell.\n\n" + text[first_code:])
    problems = labs.pair_problems(solutions)
    assert len(problems) == 1 and problems[0].startswith("stale: solutions/00_fixture.ipynb differs from")
    assert labs.sync(solutions) == [key] and labs.pair_problems(solutions) == []
    after = labs.load_notebook(key)
    assert len(after.cells) == len(before.cells) + 1
    old = [(c.id, c.get("outputs")) for c in before.cells]
    new = [(c.id, c.get("outputs")) for c in after.cells]
    assert new[:1] + new[2:] == old, "an inserted cell must not renumber or clear the others"
    assert new[1][0] not in {i for i, _ in old}


def test_pair_problems_name_missing_and_orphaned_files(tmp_path):
    solutions = _pair(tmp_path)
    (solutions / f"{FIXTURE.stem}.py").rename(solutions / "05_new_lab.py")
    assert labs.pair_problems(solutions) == [
        "no source: solutions/00_fixture.ipynb has no 00_fixture.py",
        "missing: solutions/05_new_lab.ipynb (the answer key of 05_new_lab.py)"]
    labs.sync(solutions)   # a new lab gets a fresh answer key with the standard kernel
    nb = labs.load_notebook(solutions / "05_new_lab.ipynb")
    assert nb.metadata["kernelspec"]["name"] == "python3" and all(c.get("id") for c in nb.cells)


# ---- the committed course --------------------------------------------------------------------
def test_committed_labs_are_generated_from_solutions():
    """SYNC: every answer key has the cells of its source, and labs/ is exactly what `make labs`
    generates from them."""
    problems = labs.pair_problems(REPO / "solutions") + labs.check(REPO / "solutions", REPO / "labs")
    assert problems == [], "\n".join(problems + ["Run `make labs` and commit labs/."])


def test_committed_labs_have_no_outputs():
    for path in sorted((REPO / "labs").glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        dirty = [i for i, c in enumerate(nb.cells)
                 if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
        assert not dirty, f"{path.name}: cells {dirty} have outputs; run `make labs`."


@pytest.mark.parametrize("folder", ["solutions", "tests/fixtures"])
def test_solutions_have_parameters_first_and_outputs_for_nbval(folder):
    """Every answer key starts with the papermill `parameters` cell, and every cell nbval compares
    (`# NBVAL_CHECK_OUTPUT`) has committed outputs: nbval silently skips the comparison of a cell
    that was never run (commit the outputs with `python -m llmlab.course.execute --inplace`)."""
    for path in sorted((REPO / folder).glob(labs.LAB_GLOB)):
        nb = labs.load_notebook(path)
        labs.validate(nb, f"{folder}/{path.name}")
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert "parameters" in code[0].metadata.get("tags", [])
        unrun = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                 and "NBVAL_CHECK_OUTPUT" in labs._source(c) and c.execution_count is None]
        assert not unrun, (f"{folder}/{path.name}: cells {unrun} are marked NBVAL_CHECK_OUTPUT "
                           "but have no committed output; run `python -m llmlab.course.execute --inplace "
                           f"--only {path.name[:2]}`.")
