"""Rehearse the `gpu` profile's budgets on a CPU: do the labs' lessons still hold with 4x the steps?

    .venv/bin/python gpu/rehearse_budgets.py 02 03        # -> runs/rehearse-gpu/REPORT.md

A GPU run is scarce (minutes of a lent machine); a lesson that flips with longer training should be
found before. Each solution is copied with its `profile = llmlab.setup(PROFILE)` line replaced by the
cpu profile with the gpu profile's `steps_scale` and `eval_size`, then executed by `llmlab.course.execute`.
Not a GPU run: no CUDA kernels, no bf16, other random draws. Slow: Lab 02 took 302 s, Lab 03 502 s (quiet, 2 cores).
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETUP = "profile = llmlab.setup(PROFILE)"


def rehearsal_copy(src: Path, dst_dir: Path, steps_scale: float, eval_size: int) -> Path:
    nb = json.loads(src.read_text())
    replacement = (f"profile = llmlab.config.with_overrides(llmlab.setup(PROFILE), steps_scale={steps_scale}, "
                   f"eval_size={eval_size})  # rehearsal of the gpu budgets on CPU")
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and SETUP in "".join(c["source"])]
    if len(cells) != 1:
        raise SystemExit(f"{src.name}: expected one cell with {SETUP!r}, found {len(cells)}")
    cells[0]["source"] = "".join(cells[0]["source"]).replace(SETUP, replacement).splitlines(True)
    dst = dst_dir / src.name
    dst.write_text(json.dumps(nb))
    return dst


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT / "lib"))
    from llmlab.config import PROFILES
    gpu = PROFILES["gpu"]
    wanted = argv or ["*"]
    with tempfile.TemporaryDirectory() as tmp:
        for pattern in wanted:
            for src in sorted((ROOT / "solutions").glob(f"{pattern}_*.ipynb" if pattern != "*"
                                                        else "[0-9][0-9]_*.ipynb")):
                rehearsal_copy(src, Path(tmp), gpu.steps_scale, gpu.eval_size)
        cmd = [sys.executable, "-m", "llmlab.course.execute", "--src", tmp, "--out", str(ROOT / "runs/rehearse-gpu"),
               "--timeout", "4000"]
        return subprocess.run(cmd, cwd=ROOT).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
