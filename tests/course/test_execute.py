"""llmlab.course.execute (`make run`) and the `llmlab` command dispatcher."""
from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from llmlab import report
from llmlab.course import execute as run
from llmlab.course import generate as labs
from llmlab.__main__ import main as llmlab_main

FIXTURE = Path(__file__).parents[1] / "fixtures" / "00_fixture.ipynb"


def test_run_writes_executed_copies_and_reports(fixture_run):
    out, rc = fixture_run["out"], fixture_run["rc"]
    assert rc == 1, "one notebook failed, so the run must exit non-zero"
    assert sorted(p.name for p in out.iterdir()) == [
        "00_fixture.ipynb", "01_fails.ipynb", "REPORT.md", "report.json"]

    data = json.loads((out / "report.json").read_text())
    assert data["profile"] == "cpu" and data["ok"] is False
    ok, failed = data["notebooks"]
    assert ok["name"] == "00_fixture" and ok["status"] == "ok" and ok["error"] is None
    assert ok["records"] == report.read(out / "00_fixture.ipynb") == {"softmax_entropy": 0.8467}
    assert ok["details"][0]["unit"] == "nats"
    assert 0 < ok["seconds"] < 120
    # the failure is reported with its last line, and the run went on after it
    assert failed["name"] == "01_fails" and failed["status"] == "failed"
    assert failed["error"] == "ValueError: boom: the lesson broke"
    assert failed["records"] == {"partial": 1}, "records made before the failure are kept"

    md = (out / "REPORT.md").read_text()
    assert "profile `cpu`" in md and "1/2 ok" in md
    assert "| 00_fixture | ✅ ok |" in md and "| 01_fails | ❌ failed |" in md
    assert "| softmax_entropy | 0.8467 | nats | H(softmax([2, 1, 0.1])) |" in md
    assert "ValueError: boom: the lesson broke" in md

    # the executed copy: PROFILE injected as a parameter, LLMLAB_PROFILE set for the kernel
    executed = nbformat.read(str(out / "00_fixture.ipynb"), as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'PROFILE = "cpu"' in injected[0].source
    assert "profile=cpu" in executed.cells[3].outputs[0]["text"]  # llmlab.setup's printout
    fails = nbformat.read(str(out / "01_fails.ipynb"), as_version=4)
    printed = [o for c in fails.cells for o in c.get("outputs", []) if o.get("name") == "stdout"]
    # --jobs 2: each kernel pinned to one thread
    assert printed[0]["text"] == (f"kernel sees LLMLAB_PROFILE = cpu LLMLAB_THREADS = 1\n"
                                  f"{fixture_run['src']}\n")  # cwd: the notebook's folder
    assert "LLMLAB_THREADS" not in os.environ, "the runner leaves this process's env alone"
    assert not any("never runs" in o.get("text", "") for o in printed)


def test_inplace_writes_back_only_what_succeeded(fixture_run):
    src, before = fixture_run["src"], fixture_run["before"]
    # the failed notebook's source is untouched, byte for byte
    assert (src / "01_fails.ipynb").read_bytes() == before["01_fails.ipynb"]
    # the fixture got its outputs back, without papermill's traces
    written = nbformat.read(str(src / "00_fixture.ipynb"), as_version=4)
    original = nbformat.read(str(FIXTURE), as_version=4)
    assert [c.id for c in written.cells] == [c.id for c in original.cells]
    assert [c.source for c in written.cells] == [c.source for c in original.cells]
    assert "papermill" not in written.metadata
    assert all(set(c.metadata) <= {"tags"} for c in written.cells)
    counts = [c.execution_count for c in written.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
    assert report.read(written) == {"softmax_entropy": 0.8467}
    assert not list(src.glob(".*.tmp"))
    # outputs do not leak into the generated lab: same lab as from the committed fixture
    assert labs.notebook_text(labs.generate(src / "00_fixture.ipynb", "fixtures/00_fixture.ipynb")) \
        == labs.notebook_text(labs.generate(FIXTURE))


def test_clean_executed_drops_only_papermill_traces():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('PROFILE = "cpu"', metadata={"tags": ["parameters"]},
                                  execution_count=1),
        nbformat.v4.new_code_cell('PROFILE = "cpu"', metadata={"tags": ["injected-parameters"]},
                                  execution_count=2),
        nbformat.v4.new_code_cell("1 + 1", execution_count=3, metadata={
            "papermill": {"duration": 1.0}, "execution": {"iopub.status.busy": "x"},
            "tags": ["papermill-error-cell-tag", "keep"]},
            outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "2"},
                                            execution_count=3)])],
        metadata={"papermill": {"parameters": {}}, "language_info": {"name": "python",
                                                                     "version": "3.11.7"}})
    clean = run.clean_executed(nb)
    assert [c.execution_count for c in clean.cells] == [1, 2]
    assert clean.cells[1].outputs[0]["execution_count"] == 2
    assert clean.cells[1].metadata == {"tags": ["keep"]}
    assert clean.metadata == {"language_info": {"name": "python"}}
    assert nb.cells[1].metadata["tags"] == ["injected-parameters"]  # the input is not modified


def test_sequential_run_timeout_and_edit_guard(tmp_path, notebook_factory):
    """The default path (--jobs 1, in this process): --timeout fails a slow cell, keeping the
    records made before it; --inplace does not overwrite a source edited during its run."""
    slow = notebook_factory([
        ("code", 'PROFILE = "cpu"', ["parameters"]),
        ("code", "import os, time\nfrom IPython.display import display\n"
                 f"display({{{report.MIME!r}: {{'name': 'threads', "
                 "'value': os.environ.get('LLMLAB_THREADS')}}, raw=True)"),
        ("code", "time.sleep(30)")])
    nbformat.write(slow, str(tmp_path / "01_slow.ipynb"))
    edits = notebook_factory([
        ("code", 'PROFILE = "cpu"', ["parameters"]),
        ("code", 'with open("02_edits.ipynb", "a") as f:\n    f.write("\\n")  # an editor saves')])
    nbformat.write(edits, str(tmp_path / "02_edits.ipynb"))
    edited_by_run = (tmp_path / "02_edits.ipynb").read_text() + "\n"

    rc = run.main(["--src", str(tmp_path), "--out", str(tmp_path / "out"), "--timeout", "2",
                   "--inplace"])
    assert rc == 1
    slow_r, edits_r = json.loads((tmp_path / "out" / "report.json").read_text())["notebooks"]
    assert slow_r["status"] == "failed" and "timed out" in slow_r["error"]
    assert slow_r["error"].startswith("CellTimeoutError: ")
    assert slow_r["records"] == {"threads": None}, "no thread pinning without --jobs"
    assert slow_r["seconds"] < 25
    assert edits_r["status"] == "failed" and "changed while it ran" in edits_r["error"]
    assert (tmp_path / "02_edits.ipynb").read_text() == edited_by_run


def test_select_by_number_or_name(tmp_path):
    for name in ("01_prompting", "03_pretraining", "10_rag", "notes"):
        (tmp_path / f"{name}.ipynb").write_text("{}")
    names = lambda only: [p.stem for p in run.select(tmp_path, only)]  # noqa: E731
    assert names(None) == ["01_prompting", "03_pretraining", "10_rag"]
    assert names(["1", "03"]) == ["01_prompting", "03_pretraining"]
    assert names(["10"]) == ["10_rag"]
    assert names(["03_pre", "solutions/10_rag.ipynb"]) == ["03_pretraining", "10_rag"]


def test_empty_and_bad_invocations(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run.main(["--src", str(empty), "--out", str(tmp_path / "out")]) == 0
    assert "No notebooks matching" in (tmp_path / "out" / "REPORT.md").read_text()
    with pytest.raises(SystemExit) as err:
        run.main(["--src", str(empty), "--only", "04"])
    assert err.value.code == 2 and "matches no" in capsys.readouterr().err
    with pytest.raises(SystemExit) as err:
        run.main(["--src", str(empty), "--inplace", "--profile", "gpu"])
    assert err.value.code == 2 and "--profile cpu" in capsys.readouterr().err


def test_llmlab_command_dispatches_to_module_mains(tmp_path, capsys):
    assert llmlab_main(["--help"]) == 0
    assert "generate" in capsys.readouterr().out
    assert llmlab_main([]) == 2
    assert llmlab_main(["nonsense"]) == 2
    assert "unknown command" in capsys.readouterr().err
    argv = ["--solutions", str(tmp_path), "--labs", str(tmp_path / "labs")]
    assert llmlab_main(["generate", "check", *argv]) == 0
    assert "in sync" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        llmlab_main(["execute", "--help"])
    assert "--inplace" in capsys.readouterr().out
