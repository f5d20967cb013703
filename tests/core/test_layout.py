"""The shape of the repository: folders mirror the course, the import rule holds, the answer keys
are paired with their sources and quiet, and nothing points outside the repository."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from llmlab.config import repo_root

ROOT = repo_root()
PKG = ROOT / "lib" / "llmlab"
LAB_PKG = re.compile(r"^lab(\d\d)$")
TEXT_FILES = (".py", ".md", ".sh", ".toml", ".yml", ".txt", "Makefile", "run")


def _lab_numbers() -> list[str]:
    return sorted(p.stem[:2] for p in (ROOT / "solutions").glob("[0-9][0-9]_*.py"))


def _imports(path: Path) -> set[str]:
    """Every llmlab module a file imports, at any depth (functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("llmlab")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("llmlab"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}   # `from llmlab import lab01`
    return found


def _lab_of(module: str) -> str | None:
    parts = module.split(".")
    m = LAB_PKG.match(parts[1]) if len(parts) > 1 else None
    return m.group(1) if m else None


def test_folders_show_the_same_sequence_of_labs():
    labs = _lab_numbers()
    assert labs[:3] == ["01", "02", "03"]
    for nn in labs:
        stem = next((ROOT / "solutions").glob(f"{nn}_*.py")).stem
        assert (ROOT / "solutions" / f"{stem}.ipynb").is_file(), f"{stem}.ipynb (answer key) is missing"
        assert (ROOT / "labs" / f"{stem}.ipynb").is_file(), f"labs/{stem}.ipynb is missing: run `make labs`"
        assert (PKG / f"lab{nn}" / "__init__.py").is_file(), f"lib/llmlab/lab{nn}/ is missing"
        assert (ROOT / "tests" / f"lab{nn}").is_dir(), f"tests/lab{nn}/ is missing"
    for folder in ("tinyworld", "course"):
        assert (PKG / folder / "__init__.py").is_file() and (ROOT / "tests" / folder).is_dir()


def test_test_modules_have_unique_names():
    """pytest imports test folders without packages by basename: two `test_checks.py` in different
    folders stop the whole collection ("import file mismatch"), so every module name is unique."""
    seen: dict[str, Path] = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name == "conftest.py":
            continue
        assert path.stem not in seen, (
            f"{path.relative_to(ROOT)} and {seen[path.stem].relative_to(ROOT)} share a module name: "
            f"rename one (e.g. test_labNN_{path.stem.removeprefix('test_')}.py)")
        seen[path.stem] = path


def test_import_rule():
    """A lab imports the core and never another lab; the core never imports a lab."""
    broken = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent)
        here = _lab_of(".".join(rel.with_suffix("").parts))
        for module in sorted(_imports(path)):
            there = _lab_of(module)
            if there is not None and there != here:
                who = f"lab {here}" if here else "the core"
                broken.append(f"{rel} ({who}) imports {module}")
    assert not broken, "import rule broken (move what two labs share into the core):\n" + "\n".join(broken)


def test_import_rule_check_can_fail(tmp_path):
    """The rule's parser sees imports inside functions and `from llmlab import labNN`."""
    f = tmp_path / "m.py"
    f.write_text("def g():\n    from llmlab import lab02\n    import llmlab.lab03.crawl\n")
    assert {_lab_of(m) for m in _imports(f)} >= {"02", "03"}


def test_importing_the_core_loads_no_lab():
    code = ("import sys, llmlab, llmlab.zoo, llmlab.prompts, llmlab.train, llmlab.report, llmlab.checks, "
            "llmlab.tinyworld, llmlab.course.generate, llmlab.course.execute\n"
            "print(sorted(m for m in sys.modules if m.startswith('llmlab.lab')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_nothing_refers_to_files_outside_the_repository():
    """The project explains itself: ARCHITECTURE.md exists, and no file cites the design notes
    (or any path) that live outside it."""
    assert (ROOT / "ARCHITECTURE.md").is_file()
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    pattern = re.compile(r"DESIGN(\.md|:)|\.\./shared|/work/|drafts/")
    bad = []
    for name in tracked:
        if name.startswith("data/") or not name.endswith(TEXT_FILES):
            continue
        for i, line in enumerate((ROOT / name).read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if pattern.search(line) and name != "tests/core/test_layout.py":
                bad.append(f"{name}:{i}: {line.strip()[:100]}")
    assert not bad, "references to files outside the repository:\n" + "\n".join(bad)


@pytest.mark.parametrize("stem", [p.stem for p in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.py"))])
def test_answer_key_is_quiet(stem):
    """Committed outputs carry no warnings, no progress bars, no widget state."""
    import nbformat
    nb = nbformat.read(str(ROOT / "solutions" / f"{stem}.ipynb"), as_version=4)
    assert "widgets" not in nb.metadata, f"{stem}.ipynb keeps widget state: re-execute with `make solutions`"
    noisy = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                noisy.append(f"cell {i} ({cell.get('id')}): stderr {''.join(out['text'])[:80]!r}")
            if "application/vnd.jupyter.widget-view+json" in out.get("data", {}):
                noisy.append(f"cell {i} ({cell.get('id')}): a widget view")
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            if re.search(r"\d+/\d+ \[\d\d:\d\d<|it/s\]|Warning:", text):
                noisy.append(f"cell {i} ({cell.get('id')}): {text.strip()[:80]!r}")
    assert not noisy, f"{stem}.ipynb has noisy outputs:\n" + "\n".join(noisy)


def test_ruff_is_clean():
    """The linter runs with the tests, so CI enforces it (config in pyproject.toml)."""
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "--quiet", "lib", "tests", "solutions", "gpu"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
