"""Grading: execute student notebooks headless and report every exercise's check.

    python -m llmlab.course.grade labs/01_prompting_and_sampling.ipynb      # one notebook
    python -m llmlab.course.grade submissions/                              # a folder, one row per notebook
    make grade SUBMISSIONS=submissions/

Each notebook runs in a fresh kernel (papermill, the cpu profile unless ``--profile``), with a time
limit per cell, so a notebook that crashes or loops is reported, not fatal. An exercise is what a
check cell tests (a line starting ``checks.check_...(``, named by its ``name="Exercise N: ..."``);
its verdict comes from that cell's output:

    passed         the check printed its ✓ line
    failed         the check raised: the message names the likely bug
    not attempted  the exercise is still the stub (NotImplementedError)
    not run        the notebook stopped (crash, time limit) before the check cell ran

Executed copies, ``GRADES.md`` and ``grades.json`` go to ``--out`` (default ``runs/grade``).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from llmlab.config import repo_root

CHECK_CALL = re.compile(r"^checks\.check_\w+\(.*?name=\"([^\"]+)\"", re.M | re.S)
STATUSES = ("passed", "failed", "not attempted", "not run")
MARK = {"passed": "✓", "failed": "✗", "not attempted": "–", "not run": "·"}


@dataclass
class Exercise:
    name: str                   # "Exercise 3: top-p"
    status: str                 # one of STATUSES
    message: str = ""           # the check's verdict (first line)


@dataclass
class Grade:
    notebook: str               # the submission, as given
    status: str = "ok"          # "ok" (ran to the end), "crashed" or "timed out"
    error: str | None = None
    seconds: float = 0.0
    exercises: list[Exercise] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(e.status == status for e in self.exercises)


def _source(cell: Any) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _verdict(cell: Any) -> tuple[str, str]:
    """(status, message) of one check cell from its outputs."""
    outputs = cell.get("outputs", []) or []
    for out in outputs:
        if out.get("output_type") == "error":
            message = str(out.get("evalue", "")).splitlines()[0] if out.get("evalue") else out.get("ename", "")
            if "not implemented yet" in message or out.get("ename") == "NotImplementedError":
                return "not attempted", message
            return "failed", f"{out.get('ename')}: {message}" if out.get("ename") != "CheckFailed" else message
    text = "".join("".join(o.get("text", "")) for o in outputs if o.get("output_type") == "stream")
    passed = [line for line in text.splitlines() if line.startswith("✓")]
    if passed:
        return "passed", passed[-1]
    return "not run", ""


def exercises(nb: Any) -> list[Exercise]:
    """Every exercise check of an executed notebook, in order, with its verdict."""
    found = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for name in CHECK_CALL.findall(_source(cell)):
            found.append(Exercise(name, *_verdict(cell)))
    return found


def grade_notebook(path: Path, out_dir: Path, *, profile: str = "cpu", timeout: float = 600) -> Grade:
    """Execute one submission (never raises for the notebook's own errors) and grade it."""
    import nbformat

    from llmlab.course.execute import run_notebook

    output = out_dir / f"{path.parent.name}__{path.name}"
    result = run_notebook(path, output, profile, timeout=timeout)
    grade = Grade(notebook=str(path), seconds=result.seconds)
    if result.status != "ok":
        grade.status = "timed out" if "Timeout" in (result.error or "") else "crashed"
        grade.error = result.error
    if output.is_file():
        grade.exercises = exercises(nbformat.read(str(output), as_version=4))
    else:   # not even a notebook papermill could run: list the exercises it names, none run
        try:
            grade.exercises = [Exercise(e.name, "not run") for e in exercises(nbformat.read(str(path), as_version=4))]
        except Exception as err:  # noqa: BLE001 - not a notebook at all: say so
            grade.error = f"{grade.error or ''} (unreadable: {err})".strip()
    return grade


def submissions(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        elif p.is_file():
            found.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such notebook or folder")
    return found


def summary_markdown(grades: list[Grade]) -> str:
    """One row per notebook, one column per exercise (✓ passed, ✗ failed, – not attempted, · not run),
    then each notebook's messages."""
    names = list(dict.fromkeys(e.name for g in grades for e in g.exercises))
    short = [n.split(":")[0] for n in names]
    lines = ["| notebook | run | " + " | ".join(short) + " | passed |", "|---|---|" + "---|" * len(names) + "---:|"]
    for g in grades:
        marks = {e.name: MARK[e.status] for e in g.exercises}
        lines.append(f"| {g.notebook} | {g.status} | " + " | ".join(marks.get(n, "") for n in names)
                     + f" | {g.count('passed')}/{len(g.exercises)} |")
    lines += ["", "✓ passed · ✗ failed · – not attempted · · not run", ""]
    for g in grades:
        ran = f"{g.status} in {g.seconds:.0f} s" + (f": `{g.error}`" if g.error else "")
        lines += [f"## {g.notebook}", "", ran, ""]
        lines += [f"- {MARK[e.status]} **{e.name}** — {e.status}" + (f": {e.message}" if e.message else "")
                  for e in g.exercises] + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m llmlab.course.grade", description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", type=Path, help="student notebooks, or folders of them")
    parser.add_argument("--out", type=Path, default=repo_root() / "runs" / "grade")
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--timeout", type=float, default=600, metavar="S", help="time limit per cell (default 600 s)")
    args = parser.parse_args(argv)
    try:
        paths = submissions(args.paths)
    except FileNotFoundError as err:
        parser.error(str(err))
    if not paths:
        parser.error("no .ipynb notebooks found in " + ", ".join(map(str, args.paths)))
    args.out.mkdir(parents=True, exist_ok=True)
    grades = []
    for path in paths:
        print(f"▶ grading {path} ...", flush=True)
        g = grade_notebook(path, args.out, profile=args.profile, timeout=args.timeout)
        grades.append(g)
        print(f"  {g.status} in {g.seconds:.0f} s: " + ", ".join(f"{g.count(s)} {s}" for s in STATUSES if g.count(s)))
        for e in g.exercises:
            why = f" — {e.message}" if e.message and e.status != "passed" else ""
            print(f"  {MARK[e.status]} {e.name}: {e.status}{why}")
    text = summary_markdown(grades)
    (args.out / "GRADES.md").write_text(text, encoding="utf-8")
    (args.out / "grades.json").write_text(json.dumps([asdict(g) for g in grades], indent=1), encoding="utf-8")
    print("\n" + text.split("\n\n✓ passed")[0])
    print(f"\nwrote {args.out / 'GRADES.md'} and grades.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
