"""One source per lab: ``solutions/NN_topic.py`` -> ``solutions/NN_topic.ipynb`` -> ``labs/NN_topic.ipynb``.

The source is ``solutions/NN_topic.py`` in jupytext's percent format (``# %%`` starts a code cell,
``# %% [markdown]`` a markdown cell whose lines are comments, tags in the header:
``# %% tags=["parameters"]``); instructors edit it in an editor, or in JupyterLab, where jupytext
pairs it with ``solutions/NN_topic.ipynb`` (``solutions/jupytext.toml``). That notebook is its
executed answer key: the same cells with the outputs of a cpu run (``make solutions``). The
student notebook ``labs/NN_topic.ipynb`` is generated from the answer key, exercises stubbed.

    python -m llmlab.course.generate build   # sync every answer key with its source, then write labs/
    python -m llmlab.course.generate check   # exit 1 if a pair or a lab is out of date (run by the tests)

Syncing keeps each matched cell's id, outputs and metadata (jupytext's ``combine_inputs_with_outputs``):
an edited or inserted cell does not renumber the others, and only the edited cells lose their
outputs until the next ``make solutions``.

Markers in a solution notebook
------------------------------
Code cell: the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` (markers included)
become one line, at the indentation of the BEGIN marker::

    raise NotImplementedError("Exercise 3: top-p filtering")

The exercise is named by the nearest ``# Exercise 3: top-p filtering`` comment above the marker
in the same cell, else by the nearest markdown heading above the cell that names an exercise
(``## Exercise 3: top-p filtering``; any other heading ends that exercise's scope), else it is
numbered in order ("Exercise 4"). A notebook's numbering continues from the last number given.

Markdown cell: the span from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` becomes
``*Your answer here.*``.

In the lab, an exercise's check cell (a line starting ``checks.check_...(``) and a cell with a stub
outside any function are tagged ``raises-exception``: they fail while the exercise is unsolved, and
the lab runs on past them — later cells use the reference implementation through
``checks.yours_or_reference`` (a stuck student can finish the lab; ``make run SRC=labs`` shows it).

Cells tagged ``solution_only`` are dropped. Use them for instructor-only checks that do not
feed later cells (e.g. proving that a check cell rejects a known bug); the generator refuses a
lab in which a later cell uses a name that only a ``solution_only`` cell defines.

nbval marker comments (``# NBVAL_CHECK_OUTPUT`` ...) are test plumbing and are left out of the
lab. The generated notebook has no outputs or execution counts, cells keep only their ``tags``
metadata (markdown cells also their attachments), the notebook keeps only a standard
``python3`` kernel spec, and a first markdown cell says where it came from. It is written as
stable JSON (``nbformat`` indent 1, sorted keys, trailing newline), so generating twice gives
the same bytes.

Solutions are validated first: unmatched or malformed markers, markers in raw cells, and a
missing/misplaced ``parameters`` cell (it must be the first code cell; papermill injects
``PROFILE`` after it) are errors that name the notebook and the cell.
"""
from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from llmlab.course import LAB_GLOB, SOURCE_GLOB

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
ANSWER = "*Your answer here.*"
SOLUTION_ONLY = "solution_only"
PARAMETERS = "parameters"
NOTE_ID = "llmlab-generated-note"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}

_BEGIN_RE = re.compile(r"^(\s*)###\s*BEGIN SOLUTION\s*$")
_END_RE = re.compile(r"^\s*###\s*END SOLUTION\s*$")
# near misses that would leak an answer: "## BEGIN SOLUTION", "### end solution", "BEGIN SOLUTION"
_ANY_MARKER_RE = re.compile(r"#+\s*(?i:BEGIN|END)[\s_]+(?i:SOLUTION)|\b(BEGIN|END)[\s_]+SOLUTION\b")
# "Exercise 3: top-p filtering", "Exercise 3b - title", "Exercise: title", "Exercise"
_EXERCISE = r"\bExercise\b\s*(\d+[A-Za-z]?)?\s*[:.)\-–—]?\s*(.*?)\s*$"
_EX_COMMENT_RE = re.compile(r"^\s*#+\s*" + _EXERCISE[2:], re.IGNORECASE)
_EX_HEADING_RE = re.compile(_EXERCISE, re.IGNORECASE)
_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*)$")
_CHECK_CALL_RE = re.compile(r"^checks\.check_\w+\(", re.M)          # an exercise's check cell
_TOP_LEVEL_STUB_RE = re.compile(r"^raise NotImplementedError\(", re.M)  # a stub outside any function
RAISES = "raises-exception"   # nbclient/papermill/nbval: an error here is expected, run on
_NBVAL_RE = re.compile(r"^\s*#\s*(NBVAL_[A-Z_]+|PYTEST_VALIDATE_IGNORE_OUTPUT)\s*$")


class SolutionError(ValueError):
    """A solution notebook cannot generate its lab; the message names the notebook and cell."""


@dataclass
class Exercise:
    number: str
    title: str

    def label(self) -> str:
        return f"Exercise {self.number}: {self.title}" if self.title else f"Exercise {self.number}"


# ---- helpers -------------------------------------------------------------------------------
def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _tags(cell) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return list(tags) if isinstance(tags, list) else []


def _where(nb_name: str, index: int, cell) -> str:
    cid = cell.get("id")
    return f"{nb_name}, cell {index}" + (f" (id {cid})" if cid else "")


def load_notebook(path: Path):
    """Read a notebook without nbformat's validation (which invents random cell ids)."""
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    if raw.get("nbformat") != 4:
        return nbformat.reads(json.dumps(raw), as_version=4)
    return nbformat.from_dict(raw)


def notebook_text(nb) -> str:
    """The canonical file contents of a notebook: stable JSON, indent 1, trailing newline."""
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def _exercise_from(match, numbering: "_Numbering") -> "Exercise":
    """An Exercise from a heading/comment match; an unnumbered one takes the next number."""
    number = match.group(1) or numbering.next()
    numbering.seen(number)
    return Exercise(number, (match.group(2) or "").strip().rstrip("#").strip())


class _Numbering:
    """Exercise numbers in one notebook: explicit numbers win, others continue the count."""

    def __init__(self) -> None:
        self.last = 0

    def seen(self, number: str) -> None:
        lead = re.match(r"\d+", number)
        if lead:
            self.last = max(self.last, int(lead.group()))

    def next(self) -> str:
        self.last += 1
        return str(self.last)


# ---- validation ----------------------------------------------------------------------------
def _marker_spans(lines: list[str], where: str) -> list[tuple[int, int]]:
    """(begin, end) line indices of the solution spans; SolutionError when unmatched/malformed."""
    spans, begin = [], None
    for i, line in enumerate(lines):
        if _BEGIN_RE.match(line):
            if begin is not None:
                raise SolutionError(f"{where}: line {i + 1} opens {BEGIN!r} while the one on "
                                    f"line {begin + 1} is still open (add {END!r}).")
            begin = i
        elif _END_RE.match(line):
            if begin is None:
                raise SolutionError(f"{where}: line {i + 1} has {END!r} without a "
                                    f"{BEGIN!r} above it.")
            spans.append((begin, i))
            begin = None
        elif _ANY_MARKER_RE.search(line):
            raise SolutionError(f"{where}: line {i + 1} looks like a solution marker but is not "
                                f"exactly {BEGIN!r} or {END!r}: {line.strip()!r}")
    if begin is not None:
        raise SolutionError(f"{where}: {BEGIN!r} on line {begin + 1} has no {END!r}; the "
                            "answer would leak into the lab.")
    return spans


def validate(nb, nb_name: str) -> None:
    """Raise SolutionError if the solution notebook cannot generate a lab."""
    code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.get("cell_type") == "code"]
    param_cells = [(i, c) for i, c in enumerate(nb.cells) if PARAMETERS in _tags(c)]
    if not param_cells:
        raise SolutionError(f"{nb_name}: no cell is tagged {PARAMETERS!r}. The first code cell "
                            "must be `PROFILE = \"cpu\"` tagged 'parameters' (papermill injects "
                            "the profile after it).")
    if len(param_cells) > 1:
        raise SolutionError(f"{nb_name}: cells {[i for i, _ in param_cells]} are all tagged "
                            f"{PARAMETERS!r}; tag only the first code cell.")
    p_index, p_cell = param_cells[0]
    if p_cell.get("cell_type") != "code":
        raise SolutionError(f"{_where(nb_name, p_index, p_cell)}: the {PARAMETERS!r} cell must "
                            "be a code cell.")
    if code_cells[0][0] != p_index:
        raise SolutionError(f"{_where(nb_name, p_index, p_cell)}: the {PARAMETERS!r} cell must be "
                            f"the first code cell, but cell {code_cells[0][0]} comes first.")
    if not re.search(r"^PROFILE\s*=", _source(p_cell), re.MULTILINE):
        raise SolutionError(f"{_where(nb_name, p_index, p_cell)}: the {PARAMETERS!r} cell must "
                            "set PROFILE (e.g. `PROFILE = \"cpu\"`).")
    for i, cell in enumerate(nb.cells):
        src, where = _source(cell), _where(nb_name, i, cell)
        spans = _marker_spans(src.splitlines(), where)
        if spans and cell.get("cell_type") not in ("code", "markdown"):
            raise SolutionError(f"{where}: solution markers in a {cell.get('cell_type')} cell; "
                                "use them in code or markdown cells only.")
        if spans and SOLUTION_ONLY in _tags(cell):
            raise SolutionError(f"{where}: a {SOLUTION_ONLY!r} cell is dropped from the lab, so "
                                "solution markers in it make no exercise; remove the tag or "
                                "the markers.")
        if spans and i == p_index:
            raise SolutionError(f"{where}: the {PARAMETERS!r} cell cannot hold an exercise.")
    _check_solution_only_names(nb, nb_name)


def _python(src: str) -> ast.Module | None:
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        src = TransformerManager().transform_cell(src)  # %magics and !shell lines
    except Exception:  # noqa: BLE001 - IPython missing or odd input: try the raw source
        pass
    try:
        return ast.parse(src)
    except SyntaxError:
        return None


def _defined(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
    return names


def _used(tree: ast.Module) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _check_solution_only_names(nb, nb_name: str) -> None:
    """A lab must not use a name that only a dropped ``solution_only`` cell defines."""
    only: dict[str, int] = {}
    kept_defined: set[str] = set()
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        tree = _python(_source(cell))
        if tree is None:
            continue
        if SOLUTION_ONLY in _tags(cell):
            for name in _defined(tree) - kept_defined:
                only.setdefault(name, i)
            continue
        missing = sorted(n for n in _used(tree) - _defined(tree) if n in only)
        if missing:
            raise SolutionError(
                f"{_where(nb_name, i, cell)} uses {', '.join(missing)}, defined only in the "
                f"{SOLUTION_ONLY!r} cell {only[missing[0]]}, which the lab drops; define it in a "
                "kept cell or drop the tag.")
        kept_defined |= _defined(tree)
        for name in _defined(tree):
            only.pop(name, None)


# ---- generation ----------------------------------------------------------------------------
def _stub_code(src: str, exercise_for, where: str) -> str:
    lines = src.splitlines()
    spans = _marker_spans(lines, where)
    out, pos = [], 0
    for begin, end in spans:
        out.extend(lines[pos:begin])
        indent = _BEGIN_RE.match(lines[begin]).group(1)
        label = exercise_for(lines[:begin])
        out.append(f"{indent}raise NotImplementedError({json.dumps(label, ensure_ascii=False)})")
        pos = end + 1
    out.extend(lines[pos:])
    out = [line for line in out if not _NBVAL_RE.match(line)]  # test plumbing, not for students
    return "\n".join(out) + ("\n" if src.endswith("\n") and out else "")


def _stub_markdown(src: str, where: str) -> str:
    lines = src.splitlines()
    spans = _marker_spans(lines, where)
    if not spans:
        return src
    out, pos = [], 0
    for begin, end in spans:
        out.extend(lines[pos:begin])
        out.append(ANSWER)
        pos = end + 1
    out.extend(lines[pos:])
    return "\n".join(out) + ("\n" if src.endswith("\n") else "")


def _cell_id(cell, index: int, used: set[str]) -> str:
    cid = cell.get("id")
    if not isinstance(cid, str) or not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", cid) or cid in used:
        digest = hashlib.sha1(_source(cell).encode("utf-8")).hexdigest()[:8]
        cid = f"cell-{index}-{digest}"
    used.add(cid)
    return cid


def generate(solution, source_name: str | None = None):
    """The lab notebook (an nbformat node) generated from a solution notebook.

    ``solution`` is a path or an nbformat node; ``source_name`` is how errors and the lab's
    first note name it (default: ``<folder>/<file>`` of the path).
    """
    if isinstance(solution, (str, Path)):
        path = Path(solution)
        source_name = source_name or f"{path.parent.name}/{path.name}"
        solution = load_notebook(path)
    nb_name = source_name or "the solution notebook"
    validate(solution, nb_name)

    note = nbformat.v4.new_markdown_cell(
        f"> **Generated file.** This lab is generated from `{nb_name}` by `make labs` "
        f"(`python -m llmlab.course.generate build`); instructors edit its source "
        f"`{nb_name.removesuffix('.ipynb')}.py`, not this file.")
    note["id"] = NOTE_ID
    cells, used_ids = [note], {NOTE_ID}
    numbering = _Numbering()
    heading_exercise: Exercise | None = None

    for index, cell in enumerate(solution.cells):
        kind, tags, src = cell.get("cell_type"), _tags(cell), _source(cell)
        where = _where(nb_name, index, cell)
        if kind == "markdown":
            for line in src.splitlines():  # the last heading above a code cell sets its scope
                h = None if _ANY_MARKER_RE.search(line) else _HEADING_RE.match(line)
                if h:
                    m = _EX_HEADING_RE.search(h.group(2))
                    heading_exercise = _exercise_from(m, numbering) if m else None
        if SOLUTION_ONLY in tags:
            continue

        auto: list[Exercise] = []  # one automatic number per cell, however many spans

        def exercise_for(lines_above: list[str]) -> str:
            for line in reversed(lines_above):
                m = _EX_COMMENT_RE.match(line)
                if m:
                    return _exercise_from(m, numbering).label()
            if heading_exercise is not None:
                return heading_exercise.label()
            if not auto:
                auto.append(Exercise(numbering.next(), ""))
            return auto[0].label()

        metadata = {"tags": tags} if tags else {}
        if kind == "code":
            code = _stub_code(src, exercise_for, where)
            if (_CHECK_CALL_RE.search(code) or _TOP_LEVEL_STUB_RE.search(code)) and RAISES not in tags:
                metadata = {"tags": tags + [RAISES]}   # a failing check must not stop the rest of the lab
            new = nbformat.v4.new_code_cell(code, metadata=metadata)
        elif kind == "markdown":
            new = nbformat.v4.new_markdown_cell(_stub_markdown(src, where), metadata=metadata)
            if cell.get("attachments"):
                new["attachments"] = copy.deepcopy(cell["attachments"])
        else:
            new = nbformat.v4.new_raw_cell(src, metadata=metadata)
        new["id"] = _cell_id(cell, index, used_ids)
        cells.append(new)

    lab = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)})
    lab.nbformat, lab.nbformat_minor = 4, 5
    leaked = [i for i, c in enumerate(lab.cells) if _ANY_MARKER_RE.search(_source(c))]
    if leaked:  # cannot happen after validate(); a last guard against leaking answers
        raise SolutionError(f"{nb_name}: solution markers survived in lab cells {leaked}.")
    nbformat.validate(lab)
    return lab


# ---- source <-> answer key ---------------------------------------------------------------------
def read_source(path: Path):
    """The notebook a percent-format source describes (inputs only, no ids)."""
    import jupytext
    return jupytext.read(path, fmt="py:percent")


def _inputs(nb) -> list[tuple[str, str, list[str]]]:
    """What a source decides about each cell: its kind, its text and its tags."""
    return [(c.get("cell_type"), _source(c).rstrip("\n"), _tags(c)) for c in nb.cells]


def synced_answer_key(source: Path):
    """The answer key for ``source``: its cells, with the id, outputs and metadata of every cell
    that the existing ``.ipynb`` already has (a new lab gets a fresh notebook)."""
    from jupytext.combine import combine_inputs_with_outputs
    nb = read_source(source)
    key = source.with_suffix(".ipynb")
    if key.is_file():
        old = load_notebook(key)
        for cell in old.cells:
            cell["source"] = _source(cell)      # JSON may hold a list of lines; jupytext wants one string
        nb = combine_inputs_with_outputs(nb, old, fmt="py:percent")
    nb.metadata.setdefault("kernelspec", dict(KERNELSPEC))
    nb.metadata.setdefault("language_info", dict(LANGUAGE_INFO))
    nb.nbformat, nb.nbformat_minor = 4, 5
    used: set[str] = set()
    for index, cell in enumerate(nb.cells):
        cell["id"] = _cell_id(cell, index, used)
    return nb


def _sources(solutions_dir: Path) -> list[Path]:
    return sorted(Path(solutions_dir).glob(SOURCE_GLOB)) if Path(solutions_dir).is_dir() else []


def sync(solutions_dir: Path | str) -> list[Path]:
    """Bring every answer key in line with its source; returns the notebooks rewritten."""
    changed = []
    for source in _sources(Path(solutions_dir)):
        key = source.with_suffix(".ipynb")
        text = notebook_text(synced_answer_key(source))
        if key.is_file() and key.read_text(encoding="utf-8") == text:
            continue
        tmp = key.with_name(f".{key.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(key)
        changed.append(key)
    return changed


def pair_problems(solutions_dir: Path | str) -> list[str]:
    """Sources without an answer key, keys without a source, and pairs whose cells differ."""
    solutions_dir = Path(solutions_dir)
    problems = []
    sources = {p.stem: p for p in _sources(solutions_dir)}
    keys = {p.stem: p for p in (sorted(solutions_dir.glob(LAB_GLOB)) if solutions_dir.is_dir() else [])}
    for stem in sorted(set(keys) - set(sources)):
        problems.append(f"no source: {solutions_dir.name}/{stem}.ipynb has no {stem}.py")
    for stem, source in sorted(sources.items()):
        if stem not in keys:
            problems.append(f"missing: {solutions_dir.name}/{stem}.ipynb (the answer key of {source.name})")
            continue
        want, have = _inputs(read_source(source)), _inputs(load_notebook(keys[stem]))
        if want != have:
            first = next((i for i, (a, b) in enumerate(zip(want, have)) if a != b), min(len(want), len(have)))
            problems.append(f"stale: {solutions_dir.name}/{stem}.ipynb differs from {source.name} "
                            f"from cell {first} on ({len(want)} cells in the source, {len(have)} in the notebook)")
    return problems


# ---- build and check -----------------------------------------------------------------------
def _solutions(solutions_dir: Path) -> list[Path]:
    return sorted(Path(solutions_dir).glob(LAB_GLOB)) if Path(solutions_dir).is_dir() else []


def _expected(solutions_dir: Path) -> dict[str, str]:
    """lab file name -> generated text, for every solution notebook."""
    solutions_dir = Path(solutions_dir)
    return {path.name: notebook_text(generate(load_notebook(path),
                                              f"{solutions_dir.name}/{path.name}"))
            for path in _solutions(solutions_dir)}


def build(solutions_dir: Path | str, labs_dir: Path | str, *, prune: bool = True) -> list[Path]:
    """Write every lab generated from ``solutions_dir`` into ``labs_dir``; returns changed files.

    Files whose contents are already right are left untouched. With ``prune``, labs in
    ``labs_dir`` that no solution generates (``NN_*.ipynb``) are deleted. Every solution is
    validated before anything is written, so an error leaves ``labs_dir`` as it was.
    """
    labs_dir = Path(labs_dir)
    expected = _expected(Path(solutions_dir))
    changed = []
    labs_dir.mkdir(parents=True, exist_ok=True)
    for name, text in expected.items():
        target = labs_dir / name
        if target.is_file() and target.read_bytes() == text.encode("utf-8"):
            continue
        tmp = target.with_name(f".{name}.tmp")
        tmp.write_bytes(text.encode("utf-8"))
        tmp.replace(target)
        changed.append(target)
    if prune:
        for extra in sorted(labs_dir.glob(LAB_GLOB)):
            if extra.name not in expected:
                extra.unlink()
                changed.append(extra)
    return changed


def check(solutions_dir: Path | str, labs_dir: Path | str) -> list[str]:
    """What is wrong with ``labs_dir`` given ``solutions_dir``; empty when in sync."""
    solutions_dir, labs_dir = Path(solutions_dir), Path(labs_dir)
    problems = []
    try:
        expected = _expected(solutions_dir)
    except SolutionError as err:
        return [f"invalid solution: {err}"]
    for name, text in expected.items():
        target = labs_dir / name
        if not target.is_file():
            problems.append(f"missing: {labs_dir.name}/{name} (generated from "
                            f"{solutions_dir.name}/{name})")
        elif target.read_bytes() != text.encode("utf-8"):
            problems.append(f"stale: {labs_dir.name}/{name} differs from what "
                            f"{solutions_dir.name}/{name} generates")
    if labs_dir.is_dir():
        for extra in sorted(labs_dir.glob(LAB_GLOB)):
            if extra.name not in expected:
                problems.append(f"extra: {labs_dir.name}/{extra.name} has no "
                                f"{solutions_dir.name}/{extra.name}")
    return problems


def main(argv: list[str] | None = None) -> int:
    from llmlab.config import repo_root

    parser = argparse.ArgumentParser(
        prog="python -m llmlab.course.generate",
        description="Sync the answer keys with their sources and generate the student labs.")
    parser.add_argument("command", choices=["build", "check"],
                        help="build: sync solutions/*.ipynb with solutions/*.py, then (re)write labs/; "
                             "check: exit 1 if either is out of date")
    parser.add_argument("--solutions", type=Path, default=repo_root() / "solutions")
    parser.add_argument("--labs", type=Path, default=repo_root() / "labs")
    args = parser.parse_args(argv)

    if args.command == "build":
        try:
            changed = sync(args.solutions) + build(args.solutions, args.labs)
        except SolutionError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        n = len(_sources(args.solutions))
        for path in changed:
            print(f"wrote {path}" if path.exists() else f"removed {path}")
        print(f"{n} lab(s) from {args.solutions}: {len(changed)} file(s) changed.")
        return 0
    problems = pair_problems(args.solutions) + check(args.solutions, args.labs)
    if problems:
        print(f"{args.solutions} and {args.labs} are out of date:", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        print("Run `make labs` (python -m llmlab.course.generate build) and commit the result.",
              file=sys.stderr)
        return 1
    print(f"{args.labs} and the answer keys are in sync with {args.solutions} "
          f"({len(_sources(args.solutions))} lab(s)).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
