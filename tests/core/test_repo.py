"""Repository wiring: the README's test command is what CI runs, pins agree, caches stay in the clone."""
from __future__ import annotations

import re
from pathlib import Path

from llmlab.config import repo_root

ROOT = repo_root()


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert "make test" in commands


def test_ci_keeps_env_and_caches_inside_the_clone():
    ci = (ROOT / ".ci" / "run").read_text()
    for var in ("LLMLAB_CACHE", "HF_HOME", "VENV"):
        assert re.search(rf'{var}="\$PWD/', ci), f"{var} must point inside the clone"
    assert "HF_HUB_OFFLINE=1" in ci


def test_make_targets_exist():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("env", "run", "test", "lab", "labs", "zoo", "data"):
        assert re.search(rf"^{target}:", makefile, re.M), f"make {target} is missing"


def test_requirements_pin_everything_but_torch():
    lines = [l.split("#")[0].strip() for l in (ROOT / "requirements.txt").read_text().splitlines()]
    reqs = [l for l in lines if l]
    unpinned = [r for r in reqs if "==" not in r and not r.startswith("torch")]
    assert not unpinned, f"unpinned requirements: {unpinned}"
    torch_req = next(r for r in reqs if r.startswith("torch"))
    assert "==" not in torch_req, "torch must stay a range so Colab keeps its CUDA build"
    env = (ROOT / "environment.yml").read_text()
    assert "-r requirements.txt" in env and "torch==2.13.0" in env
    assert "TORCH_SPEC ?= torch==2.13.0" in (ROOT / "Makefile").read_text()


def test_gpu_budget_rehearsal_patches_every_solution(tmp_path):
    """gpu/rehearse_budgets.py finds each solution's one setup line and gives it the gpu budgets."""
    import importlib.util
    import json
    spec = importlib.util.spec_from_file_location("rehearse", repo_root() / "gpu/rehearse_budgets.py")
    rehearse = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rehearse)
    solutions = sorted((repo_root() / "solutions").glob("[0-9][0-9]_*.ipynb"))
    assert solutions
    for src in solutions:
        dst = rehearse.rehearsal_copy(src, tmp_path, 4.0, 400)
        code = "".join("".join(c["source"]) for c in json.loads(dst.read_text())["cells"] if c["cell_type"] == "code")
        assert "steps_scale=4.0, eval_size=400" in code and rehearse.SETUP not in code, src.name


def _torch_line() -> str:
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    return next(line for line in lines if line.startswith("torch"))


def test_every_pinned_package_admits_another_torch_in_the_range():
    """Colab and SageMaker ship their own CUDA torch; `pip install -r requirements.txt` keeps it only if
    no pinned package asks for a torch outside the range. Read from each package's installed metadata."""
    import importlib.metadata as md

    from packaging.requirements import Requirement
    from packaging.version import Version
    others = [Version(v) for v in ("2.9.1", "2.11.0")]   # a Colab image's and the lent GPU machines' torch
    assert all(Requirement(_torch_line()).specifier.contains(v) for v in others)
    pinned = [line.split("==")[0] for line in (ROOT / "requirements.txt").read_text().splitlines()
              if "==" in line and not line.startswith("#")]
    refusing = []
    for name in pinned:
        for req in map(Requirement, md.requires(name) or []):
            if req.name == "torch" and not (req.marker and "extra" in str(req.marker)):
                refusing += [f"{name} needs {req}" for v in others if not req.specifier.contains(v)]
    assert not refusing, refusing


def test_pip_keeps_an_installed_torch_in_the_range(tmp_path):
    """In a fresh venv whose torch is 2.9.1 (a stand-in distribution, no download), pip finds the
    requirements' torch line already satisfied and installs nothing."""
    import subprocess
    import sys
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    dist = Path(site) / "torch-2.9.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: torch\nVersion: 2.9.1\n")
    (dist / "INSTALLER").write_text("pip\n")
    (dist / "RECORD").write_text("")
    out = subprocess.run([str(py), "-m", "pip", "install", "--dry-run", "--no-index", "--no-deps", _torch_line()],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Requirement already satisfied: torch" in out.stdout and "Would install" not in out.stdout
