"""Shared pytest fixtures for the notebook machinery (report, labs generator, runner).

Notebook kernels cost 5-9 s each here, so the one papermill run that several tests inspect
(``fixture_run``) happens once per session.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
import torch

from llmlab import report
from llmlab.config import repo_root

REPO = repo_root()
FIXTURE = Path(__file__).parent / "fixtures" / "00_fixture.ipynb"


def make_notebook(cells: list[tuple], *, kernel: bool = True):
    """A notebook from ``(kind, source)`` or ``(kind, source, tags)`` tuples, with stable ids."""
    out = []
    for i, spec in enumerate(cells):
        kind, source, tags = (*spec, None) if len(spec) == 2 else spec
        maker = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
                 "raw": nbformat.v4.new_raw_cell}[kind]
        cell = maker(source, metadata={"tags": list(tags)} if tags else {})
        cell["id"] = f"c{i}"
        out.append(cell)
    metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                               "name": "python3"}} if kernel else {}
    return nbformat.v4.new_notebook(cells=out, metadata=metadata)


def write_notebook(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


# A notebook that fails on purpose, cheaply (no torch): it shows the kernel's profile, records a
# number by hand-made display output (as llmlab.report.record does in a kernel), then raises.
FAILING_CELLS = [
    ("markdown", "# A notebook that fails on purpose"),
    ("code", 'PROFILE = "cpu"', ["parameters"]),
    ("code", 'import os\nprint("kernel sees LLMLAB_PROFILE =", os.environ.get("LLMLAB_PROFILE"),\n'
             '      "LLMLAB_THREADS =", os.environ.get("LLMLAB_THREADS"))\nprint(os.getcwd())'),
    ("code", "from IPython.display import display\n"
             f"display({{'text/plain': 'partial = 1', {report.MIME!r}: "
             "{'name': 'partial', 'value': 1, 'unit': None, 'note': None}}, raw=True)"),
    ("code", 'raise ValueError("boom: the lesson broke")'),
    ("code", 'print("never runs")'),
]


@pytest.fixture(scope="session")
def fixture_run(tmp_path_factory):
    """One ``llmlab.course.execute --inplace --jobs 2`` over copies of the fixture and a failing notebook.

    Returns a dict: ``src`` (the copies, written back where they succeeded), ``out`` (executed
    copies, REPORT.md, report.json), ``rc`` (exit status), ``before`` (source bytes before).
    """
    from llmlab.course import execute as run

    base = tmp_path_factory.mktemp("fixture_run")
    src, out = base / "src", base / "out"
    src.mkdir()
    shutil.copy(FIXTURE, src / FIXTURE.name)
    write_notebook(make_notebook(FAILING_CELLS), src / "01_fails.ipynb")
    before = {p.name: p.read_bytes() for p in src.glob("*.ipynb")}
    rc = run.main(["--src", str(src), "--out", str(out), "--profile", "cpu", "--inplace",
                   "--jobs", "2"])
    return {"src": src, "out": out, "rc": rc, "before": before}


@pytest.fixture
def notebook_factory():
    return make_notebook


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny tensors: one thread avoids OpenMP stalls on a shared 2-core box (2 procs x 2 threads: ~10x slower)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def pytest_collection_modifyitems(config, items):
    """Without CUDA, deselect (not skip) the tests marked ``gpu``: they run in gpu/run.sh."""
    if torch.cuda.is_available():
        return
    gpu = [item for item in items if item.get_closest_marker("gpu")]
    if gpu:
        config.hook.pytest_deselected(items=gpu)
        items[:] = [item for item in items if not item.get_closest_marker("gpu")]
