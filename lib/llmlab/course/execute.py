"""``make run``: execute the solution notebooks headless with papermill and report the numbers.

    python -m llmlab.course.execute [--profile cpu] [--only 01 03] [--out runs/<profile>] [--src solutions]
                         [--inplace] [--timeout S] [--jobs N]

Each ``NN_*.ipynb`` in ``--src`` (the answer keys: the labs in ``labs/`` have stubs) runs in a
fresh ``python3`` kernel of this Python, in the notebook's own folder, with ``PROFILE`` injected
as a papermill parameter and ``$LLMLAB_PROFILE`` set. The executed copies go to ``--out``
together with ``REPORT.md`` (a table per notebook: status, time, the numbers it recorded with
``llmlab.report.record``) and ``report.json``. A failed notebook does not stop the run; the
exit status is 1 if any failed.

``--inplace`` also writes each successfully executed notebook back over its source (without
papermill's injected cell and metadata): this is how the answer keys get the committed outputs
that ``pytest --nbval-lax`` compares. A failed notebook's source is never touched, and the write
is atomic. It is allowed only with the cpu profile, the one the tests check outputs under.

``--jobs N`` runs N notebooks at once (N kernels), each kernel with ``LLMLAB_THREADS=1``: two
torch processes with 2 threads each on 2 cores run ~10x slower than one (ARCHITECTURE.md).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from llmlab import report
from llmlab.course import LAB_GLOB
from llmlab.config import PROFILE_ENV, PROFILES, repo_root

INJECTED_TAG = "injected-parameters"


@dataclass
class Result:
    name: str                      # file stem, e.g. "01_prompting"
    source: str                    # the notebook that ran
    output: str                    # the executed copy
    status: str = "ok"             # "ok" or "failed"
    error: str | None = None       # the error's last line (e.g. "CheckFailed: ✗ ..."), if failed
    failed_cell: int | None = None
    seconds: float = 0.0
    records: dict[str, Any] = field(default_factory=dict)
    details: list[dict[str, Any]] = field(default_factory=list)  # records with unit and note
    written_back: bool = False     # --inplace wrote the executed notebook over the source
    expected_errors: int = 0       # cells tagged raises-exception that failed (a student lab's unsolved checks)


# ---- the kernel: python3 of *this* interpreter -------------------------------------------
def _kernel_manager_class(env: dict[str, str]):
    """An AsyncKernelManager whose ``python3`` is this interpreter's ipykernel, started with
    ``env`` added to its environment.

    A ``python3`` kernel spec found first on the Jupyter path (e.g. ~/.local/share/jupyter)
    may point to another Python; the labs must run with the one that has llmlab installed.
    Passing the environment through the kernel spec leaves this process's os.environ alone.
    """
    import ipykernel.kernelspec
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class CurrentEnvKernelSpecManager(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            if kernel_name == "python3":
                spec = ipykernel.kernelspec.get_kernel_dict()
                spec["env"] = dict(spec.get("env") or {}, **env)
                return KernelSpec(resource_dir=ipykernel.kernelspec.RESOURCES, **spec)
            return super().get_kernel_spec(kernel_name)

    class CurrentEnvKernelManager(AsyncKernelManager):
        def _kernel_spec_manager_default(self):
            return CurrentEnvKernelSpecManager(data_dir=self.data_dir)

    return CurrentEnvKernelManager


# ---- one notebook ------------------------------------------------------------------------
def _one_line(text: str) -> str:
    """An error message on one line (its lines joined), at most 400 characters."""
    lines = [ln.strip() for ln in str(text).strip().splitlines()
             if ln.strip() and not set(ln.strip()) <= set("-=")]
    line = " ".join(lines) or "unknown error"
    return line if len(line) <= 400 else line[:397] + "..."


WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_PROGRESS_RE = re.compile(r"\d+/\d+ \[|it/s\]|s/it\]|\r")   # what tqdm leaves in a text stream


def quiet_outputs(outputs: list) -> list:
    """A cell's outputs without the noise that must not be committed: widget views (tqdm bars, the
    explorer's sliders: without a live kernel they are dead text like "0/100 [00:00<?, ?it/s]")
    and progress-bar text on stderr. Anything else on stderr is kept, so that a real warning
    shows up in review (and fails the quiet-notebook test) instead of vanishing."""
    kept = []
    for out in outputs:
        if WIDGET_MIME in (out.get("data") or {}):
            continue
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            text = "".join(out.get("text", ""))
            lines = [ln for ln in text.splitlines() if ln.strip() and not _PROGRESS_RE.search(ln)]
            if not lines:
                continue
        kept.append(out)
    return kept


def clean_executed(nb):
    """An executed notebook fit to commit over its source: papermill's injected cell and
    metadata and nbclient's timing metadata removed, widget state and progress bars dropped
    (``quiet_outputs``), execution counts renumbered 1..n, the Python patch version dropped."""
    import copy

    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if INJECTED_TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in nb.cells:
        md = cell.get("metadata", {})
        for key in ("papermill", "execution"):
            md.pop(key, None)
        tags = [t for t in md.get("tags", []) if t != "papermill-error-cell-tag"]
        if "tags" in md:
            if tags:
                md["tags"] = tags
            else:
                md.pop("tags")
        if cell.get("cell_type") == "code":
            cell["outputs"] = quiet_outputs(cell.get("outputs", []))
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)                             # no widget state in a committed notebook
    nb.metadata.get("language_info", {}).pop("version", None)  # no diff per Python patch release
    count = 0  # renumber without the injected cell's gap
    for cell in nb.cells:
        if cell.get("cell_type") == "code" and cell.get("execution_count") is not None:
            count += 1
            cell["execution_count"] = count
            for out in cell.get("outputs", []):
                if out.get("output_type") == "execute_result":
                    out["execution_count"] = count
    return nb


def _atomic_write(nb, path: Path) -> None:
    import nbformat

    tmp = path.with_name(f".{path.name}.tmp")
    text = nbformat.writes(nb, version=4)
    tmp.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    tmp.replace(path)


def run_notebook(source: Path, output: Path, profile: str, *, timeout: float | None = None,
                 inplace: bool = False, threads: int | None = None,
                 progress: bool = False) -> Result:
    """Execute one notebook with papermill; never raises for a notebook error.

    The kernel gets ``PROFILE`` as a papermill parameter and ``$LLMLAB_PROFILE``; with
    ``threads``, also ``$LLMLAB_THREADS`` (which ``llmlab.setup`` applies to torch).
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    source, output = Path(source).resolve(), Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    result = Result(name=source.stem, source=str(source), output=str(output))
    env = {PROFILE_ENV: profile}
    if threads:
        env["LLMLAB_THREADS"] = str(threads)
    output.unlink(missing_ok=True)  # never report a previous run's records
    source_bytes = source.read_bytes()
    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(source), str(output), parameters={"PROFILE": profile}, kernel_name="python3",
            progress_bar=progress, execution_timeout=timeout,
            kernel_manager_class=_kernel_manager_class(env),
            # the kernel starts in the notebook's folder; papermill's cwd= would os.chdir() the
            # whole process, which threads (--jobs) cannot share
            resources={"metadata": {"path": str(source.parent)}})
    except PapermillExecutionError as err:
        expected = _expected_errors(output)
        if expected:   # it ran to the end; only cells tagged raises-exception failed (unsolved exercises)
            result.expected_errors = expected
        else:
            result.status = "failed"
            # the traceback's last line, "ValueError: ...", is what a reader needs first
            result.error = _one_line(f"{err.ename}: {err.evalue}" if err.ename else err)
            result.failed_cell = err.exec_count
    except Exception as err:  # noqa: BLE001 - kernel death, timeout, bad notebook: report it
        result.status = "failed"
        result.error = _one_line(f"{type(err).__name__}: {err}")
    result.seconds = round(time.perf_counter() - start, 2)
    if output.is_file():
        try:
            executed = nbformat.read(str(output), as_version=4)
            result.details = report.read_records(executed)
            result.records = report.read(executed)
        except Exception as err:  # noqa: BLE001
            if result.status == "ok":
                result.status, result.error = "failed", _one_line(f"reading output: {err}")
        else:
            if inplace and result.status == "ok" and not result.expected_errors:
                if source.read_bytes() != source_bytes:  # edited while it ran: keep the edit
                    result.status = "failed"
                    result.error = ("the source changed while it ran, so it was not written "
                                    "back; run again")
                else:
                    _atomic_write(clean_executed(executed), source)
                    result.written_back = True
    elif result.status == "ok":
        result.status, result.error = "failed", "papermill wrote no output notebook"
    return result


def _expected_errors(output: Path) -> int:
    """How many cells failed in an executed notebook if every failure is in a cell tagged
    ``raises-exception`` (then the notebook ran to the end: papermill still raises, and marks the
    first error with cells of its own, which are removed here); 0 otherwise."""
    import nbformat
    from llmlab.course.generate import RAISES

    if not output.is_file():
        return 0
    nb = nbformat.read(str(output), as_version=4)
    failed = [c for c in nb.cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    if not failed or any(RAISES not in c.get("metadata", {}).get("tags", []) for c in failed):
        return 0
    nb.cells = [c for c in nb.cells if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])]
    _atomic_write(nb, output)
    return len(failed)


def _worker(args: tuple) -> Result:
    source, output, profile, timeout, inplace, threads = args
    return run_notebook(Path(source), Path(output), profile, timeout=timeout, inplace=inplace,
                        threads=threads)


# ---- the report --------------------------------------------------------------------------
def _md(value: Any) -> str:
    text = report.format_record({"name": "", "value": value})[len("📌  = "):]
    return text.replace("|", "\\|").replace("\n", " ")


def write_report(results: list[Result], out_dir: Path, meta: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``REPORT.md`` and ``report.json`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = dict(meta, ok=all(r.status == "ok" for r in results),
                notebooks=[asdict(r) for r in results])
    json_path = out_dir / "report.json"
    json_path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    n_ok = sum(r.status == "ok" for r in results)
    lines = [f"# LLM Labs run: profile `{meta['profile']}`", "",
             f"{meta['started']} · {meta['machine']} · Python {meta['python']} · "
             f"{n_ok}/{len(results)} ok · {meta['total_seconds']:.0f} s in all", ""]
    if not results:
        lines += [f"No notebooks matching `{LAB_GLOB}` in `{meta['src']}`.", ""]
    else:
        lines += ["| notebook | status | time (s) | records |", "|---|---|---:|---:|"]
        for r in results:
            status = "✅ ok" if r.status == "ok" else "❌ failed"
            if r.expected_errors:
                status += f" ({r.expected_errors} unsolved exercise checks failed, as expected)"
            lines.append(f"| {r.name} | {status} | {r.seconds:.1f} | {len(r.records)} |")
        lines.append("")
    for r in results:
        lines += [f"## {r.name}", "",
                  f"Status: **{r.status}** · time {r.seconds:.1f} s · executed copy "
                  f"`{Path(r.output).name}`" + (" · written back to the source" if r.written_back
                                                else ""), ""]
        if r.error:
            where = f" (cell execution {r.failed_cell})" if r.failed_cell is not None else ""
            lines += [f"Error{where}: `{r.error.replace('`', chr(39))}`", ""]
        if r.details:
            latest = {d["name"]: d for d in r.details}
            lines += ["| record | value | unit | note |", "|---|---:|---|---|"]
            for d in latest.values():
                lines.append(f"| {d['name']} | {_md(d['value'])} | {d.get('unit') or ''} | "
                             f"{(d.get('note') or '').replace('|', '/')} |")
            lines.append("")
        else:
            lines += ["No records.", ""]
    md_path = out_dir / "REPORT.md"
    md_path.write_text("\n".join(lines), encoding="utf-8")
    return md_path, json_path


# ---- the command -------------------------------------------------------------------------
def select(src: Path, only: list[str] | None) -> list[Path]:
    """The notebooks to run: ``NN_*.ipynb`` in ``src``, filtered by number or name prefix."""
    notebooks = sorted(src.glob(LAB_GLOB)) if src.is_dir() else []
    if only:
        def chosen(stem: str, w: str) -> bool:
            w = Path(w).name.removesuffix(".ipynb")
            if w.isdigit():  # "3" or "03" picks 03_*
                return stem.split("_", 1)[0] == w.zfill(2)
            return stem.startswith(w)

        notebooks = [nb for nb in notebooks if any(chosen(nb.stem, w) for w in only)]
    return notebooks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m llmlab.course.execute",
        description="Execute the solution notebooks with papermill; write executed copies, "
                    "REPORT.md and report.json.")
    parser.add_argument("--profile", default=os.environ.get(PROFILE_ENV) or "cpu",
                        help="cpu (default, or $LLMLAB_PROFILE), gpu or hub")
    parser.add_argument("--only", nargs="+", metavar="NN",
                        help="run only these notebooks (numbers like 01 or 3, or name prefixes)")
    parser.add_argument("--src", type=Path, default=repo_root() / "solutions",
                        help="folder of NN_*.ipynb notebooks (default: solutions/)")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for executed copies and the report (default: runs/<profile>)")
    parser.add_argument("--inplace", action="store_true",
                        help="also write each successful run back over its source notebook")
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="fail a cell that runs longer than S seconds (default: no limit)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="notebooks run at once, each with LLMLAB_THREADS=1 (default 1)")
    args = parser.parse_args(argv)

    profile = args.profile.strip().lower()
    src = args.src.resolve()
    out = (args.out or repo_root() / "runs" / profile).resolve()
    if args.inplace and profile != "cpu":
        parser.error("--inplace writes the answer keys' committed outputs, which the tests check "
                     "under the cpu profile; run it with --profile cpu.")
    if profile not in PROFILES:
        parser.error(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    notebooks = select(src, args.only)
    if args.only and not notebooks:
        parser.error(f"--only {' '.join(args.only)} matches no {LAB_GLOB} in {src}")

    meta = {"profile": profile, "src": str(src), "out": str(out),
            "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
            "jobs": args.jobs, "timeout": args.timeout, "inplace": args.inplace}
    print(f"Running {len(notebooks)} notebook(s) from {src} with PROFILE={profile!r} "
          f"-> {out}", flush=True)

    return _run_all(notebooks, out, profile, args, meta)


def _run_all(notebooks: list[Path], out: Path, profile: str, args, meta: dict) -> int:
    from tqdm.auto import tqdm

    start = time.perf_counter()
    results: dict[str, Result] = {}
    threads = 1 if args.jobs > 1 else None  # N kernels x N threads on N cores crawl (ARCHITECTURE.md)
    tasks = [(str(nb), str(out / nb.name), profile, args.timeout, args.inplace, threads)
             for nb in notebooks]
    bar = tqdm(total=len(tasks), unit="nb", desc="notebooks", file=sys.stdout,
               disable=None if tasks else True)  # None: no bar when not a terminal (CI logs)

    def done(r: Result) -> None:
        results[r.name] = r
        mark = "✓" if r.status == "ok" else "✗"
        line = f"{mark} {r.name}: {r.status} in {r.seconds:.1f} s, {len(r.records)} record(s)"
        if r.expected_errors:
            line += f"; {r.expected_errors} check cell(s) failed as expected (exercises not solved)"
        bar.write(line + (f"\n    {r.error}" if r.error else ""), file=sys.stdout)
        bar.update(1)

    if args.jobs == 1:
        for task in tasks:
            bar.set_postfix_str(Path(task[0]).stem)
            if bar.disable:  # no live bar (not a terminal): say what is running
                print(f"▶ {Path(task[0]).stem} ...", flush=True)
            done(_worker(task))
    else:
        # Threads are enough: the work happens in the kernels (separate processes), and
        # run_notebook() changes no process-wide state (the kernel's cwd is passed explicitly).
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = {pool.submit(_worker, task): task for task in tasks}
            for future in as_completed(futures):
                try:
                    done(future.result())
                except Exception as err:  # noqa: BLE001 - a bug in the runner: report, go on
                    source, output = futures[future][:2]
                    done(Result(name=Path(source).stem, source=source, output=output,
                                status="failed", error=_one_line(f"worker: {err!r}")))
    bar.close()

    ordered = [results[nb.stem] for nb in notebooks]
    meta["total_seconds"] = round(time.perf_counter() - start, 2)
    md_path, _ = write_report(ordered, out, meta)
    failed = [r.name for r in ordered if r.status != "ok"]
    print(f"{len(ordered) - len(failed)}/{len(ordered)} ok in {meta['total_seconds']:.0f} s; "
          f"report: {md_path}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
