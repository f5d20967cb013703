"""Checks for Lab 10's PAL exercises: reading a program's answer, and the sandbox's kernel limits.

Each check runs the student's function on cases with known answers and, when one disagrees, names
the likely bug. The answer check needs no subprocess (it is given :class:`SandboxResult` objects);
the limits check compares with the reference first and only then runs two hostile programs under
the student's limits (a memory bomb under missing limits would take the machine's memory).
"""
from __future__ import annotations

import resource
from typing import Callable

from llmlab.checks import fail, passed, run_case
from llmlab.checks import yours_or_reference  # noqa: F401 - the lab calls pal_checks.yours_or_reference
from llmlab.lab10.pal import pal_answer as reference_pal_answer
from llmlab.lab10.sandbox import HOSTILE, Limits, SandboxResult, kernel_limits, run_python


# ----------------------------------------------------------------------------------------------
# Exercise: the program's answer

def _run(stdout: str, kind: str = "ok", message: str = "") -> SandboxResult:
    return SandboxResult(ok=kind == "ok", kind=kind, message=message, stdout=stdout)


# (description, result, expected, hint when the answer differs)
ANSWER_CASES: list[tuple[str, SandboxResult, int | None, str]] = [
    ("a clean run that printed 33166", _run("33166\n"), 33166, ""),
    ("a run that printed a working line, then the answer", _run("quantity * price\n33166\n"), 33166,
     "the answer is the LAST line printed; the lines before it are the program's working."),
    ("the answer with spaces and a trailing blank line", _run("  42  \n\n"), 42,
     "strip the line and skip blank lines at the end."),
    ("a negative answer", _run("-7\n"), -7, "a minus sign belongs to the number (str.isdigit() says no to '-7')."),
    ("a whole number printed as a float", _run("33166.0\n"), 33166,
     "a program that divides prints 33166.0; it is the whole number 33166."),
    ("text around a number", _run("total: 55\n"), None,
     "only a line that IS a number counts; fishing a number out of text accepts anything the program says."),
    ("a fraction of a coin", _run("12.5\n"), None,
     "12.5 is not a whole number of coins: return None, do not round or truncate it."),
    ("no output at all", _run(""), None, "a program that printed nothing has no answer: return None, not 0."),
    ("a run killed by the wall-clock limit after printing", _run("33166\n", "timeout", "wall-clock limit"), None,
     "check result.ok first: a program that was killed (or raised) has no answer, whatever it printed before."),
    ("a run that raised after printing", _run("5\n", "error", "ZeroDivisionError: division by zero"), None,
     "check result.ok first: a program that raised has no answer, whatever it printed before."),
]


def check_pal_answer(fn: Callable[[SandboxResult], int | None], name: str = "the program's answer") -> None:
    """``fn(result) -> int | None``: the whole number on the last non-empty line of a clean run."""
    ex = name
    for desc, result, want, hint in ANSWER_CASES:
        got = run_case(ex, fn, desc, result, crash_hint=f"{hint} Where the last line is not a whole number, return "
                                                          "None rather than letting int() raise.".strip())
        if want is not None and isinstance(got, str):
            fail(ex, f"returned the string {got!r} (case: {desc}); return an int, so it compares with the answer.")
        if isinstance(got, bool) or (got is not None and not isinstance(got, int)):
            fail(ex, f"returned {got!r} of type {type(got).__name__} (case: {desc}); return an int or None.")
        if got != want:
            fail(ex, f"returned {got!r}, expected {want!r} (case: {desc}, stdout={result.stdout!r}, "
                     f"kind={result.kind!r}). {hint}".rstrip())
    passed(ex, f"{len(ANSWER_CASES)} cases agree with the reference")


def reference_pal_answer_fn(result: SandboxResult) -> int | None:
    return reference_pal_answer(result)


# ----------------------------------------------------------------------------------------------
# Exercise: the sandbox's kernel limits

REQUIRED = {
    "RLIMIT_CPU": "without it an infinite loop runs until the wall-clock kill, using a whole core meanwhile",
    "RLIMIT_AS": "without it a memory bomb takes the machine's memory before anything stops it",
    "RLIMIT_FSIZE": "without it a program prints (or writes into scratch) until the disk is full",
    "RLIMIT_NPROC": "without it a fork bomb that gets past the audit hook fills the process table",
    "RLIMIT_CORE": "without it a program killed by SIGXCPU writes a core dump (its whole memory) to disk",
}
LIMIT_CASES = [Limits(), Limits(cpu_seconds=3, memory_mb=128, output_bytes=10_000, open_files=16)]


def _pair(ex: str, key: str, value, desc: str) -> tuple[int, int]:
    if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value)):
        fail(ex, f"{key} is {value!r}; each limit is a (soft, hard) pair of ints, as resource.setrlimit takes "
                 f"(case: {desc}).")
    soft, hard = value
    if hard != resource.RLIM_INFINITY and soft > hard:
        fail(ex, f"{key} = {value}: the soft limit is above the hard one, and setrlimit raises ValueError "
                 f"(case: {desc}).")
    if hard == resource.RLIM_INFINITY:
        fail(ex, f"{key} has an unlimited hard limit (case: {desc}): a process may raise its own soft limit up "
                 "to the hard one, so the program could lift the limit again. Make hard = soft (CPU: soft + 1).")
    return soft, hard


def check_kernel_limits(fn: Callable[[Limits], dict[str, tuple[int, int]]], name: str = "the sandbox's limits",
                        live: bool = True) -> None:
    """``fn(limits) -> {"RLIMIT_CPU": (soft, hard), ...}``: what the child sets on itself with
    ``resource.setrlimit`` before the program runs. Then (``live``) a memory bomb and an infinite loop
    run under ``fn``'s limits and must be stopped by them."""
    ex = name
    for lim in LIMIT_CASES:
        desc = (f"Limits(cpu_seconds={lim.cpu_seconds}, memory_mb={lim.memory_mb}, "
                f"output_bytes={lim.output_bytes})")
        got = run_case(ex, fn, desc, lim)
        if not isinstance(got, dict):
            fail(ex, f"return a dict such as {{'RLIMIT_CPU': (soft, hard), ...}}, got {type(got).__name__}.")
        for key in got:
            if not (isinstance(key, str) and key.startswith("RLIMIT_") and hasattr(resource, key)):
                fail(ex, f"{key!r} is not a resource limit name; use the names of the resource module "
                         "('RLIMIT_CPU', 'RLIMIT_AS', ...), as strings.")
        for key, why in REQUIRED.items():
            if key not in got:
                fail(ex, f"{key} is missing: {why}.")
        want = kernel_limits(lim)
        cpu, hard_cpu = _pair(ex, "RLIMIT_CPU", got["RLIMIT_CPU"], desc)
        if cpu == lim.cpu_seconds * 1000:
            fail(ex, f"RLIMIT_CPU = {cpu}: it counts seconds, not milliseconds (case: {desc}).")
        if cpu != lim.cpu_seconds:
            fail(ex, f"RLIMIT_CPU's soft limit is {cpu}, expected limits.cpu_seconds = {lim.cpu_seconds} "
                     f"(case: {desc}).")
        if not lim.cpu_seconds <= hard_cpu <= lim.cpu_seconds + 2:
            fail(ex, f"RLIMIT_CPU's hard limit is {hard_cpu}; make it a second above the soft one: the kernel "
                     f"sends SIGXCPU at the soft limit and SIGKILL at the hard one (case: {desc}).")
        mem, _ = _pair(ex, "RLIMIT_AS", got["RLIMIT_AS"], desc)
        if mem == lim.memory_mb:
            fail(ex, f"RLIMIT_AS = {mem}: it counts bytes, not megabytes — {lim.memory_mb} MB is "
                     f"{lim.memory_mb} * 2**20 = {lim.memory_mb << 20} (case: {desc}). With {mem} bytes the "
                     "interpreter could not even start.")
        if mem == lim.memory_mb * 1024:
            fail(ex, f"RLIMIT_AS = {mem}: it counts bytes, not kilobytes — use limits.memory_mb * 2**20 "
                     f"(case: {desc}).")
        if not lim.memory_mb * 10 ** 6 <= mem <= lim.memory_mb << 20:
            fail(ex, f"RLIMIT_AS's soft limit is {mem} bytes, expected {lim.memory_mb} MB = {want['RLIMIT_AS'][0]} "
                     f"(case: {desc}).")
        size, _ = _pair(ex, "RLIMIT_FSIZE", got["RLIMIT_FSIZE"], desc)
        if size != lim.output_bytes:
            fail(ex, f"RLIMIT_FSIZE's soft limit is {size}, expected limits.output_bytes = {lim.output_bytes} bytes "
                     f"(stdout and stderr are files: this limit caps them too) (case: {desc}).")
        for key in ("RLIMIT_NPROC", "RLIMIT_CORE"):
            soft, hard = _pair(ex, key, got[key], desc)
            if (soft, hard) != (0, 0):
                what = "no new processes at all: the program is already running, it needs none" \
                    if key == "RLIMIT_NPROC" else "no core dumps"
                fail(ex, f"{key} = {(soft, hard)}, expected (0, 0): {what} (case: {desc}).")
        for key, value in got.items():
            _pair(ex, key, value, desc)
    if live:
        fast = Limits(cpu_seconds=1, wall_seconds=5)
        for bomb, kind in (("memory bomb", "memory"), ("infinite loop", "cpu_time")):   # the kernel's verdicts
            r = run_python(HOSTILE[bomb][0], fast, rlimits=fn)
            if r.kind != kind:
                fail(ex, f"under your limits the {bomb} ended as {r.kind!r} ({r.message}), expected {kind!r}: "
                         "the kernel limit should stop it, not the wall-clock kill.")
    passed(ex, "the limits agree with the reference" + (", and a memory bomb and an infinite loop are stopped"
                                                       " by them" if live else ""))
