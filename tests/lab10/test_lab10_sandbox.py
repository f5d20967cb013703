"""The PAL interpreter's sandbox: benign programs run; every hostile program is contained, reported
with a clear kind, and leaves the calling process (and the filesystem outside the scratch dir) intact."""
from __future__ import annotations

import os
import resource
import time

import pytest

from llmlab.lab10 import sandbox
from llmlab.lab10.sandbox import ALLOWED_MODULES, HOSTILE, Limits, contained, kernel_limits, run_python

FAST = Limits(cpu_seconds=1, wall_seconds=4)


@pytest.fixture(autouse=True)
def no_escape():
    for marker in sandbox.ESCAPE_MARKERS:
        if os.path.exists(marker):
            os.remove(marker)
    yield
    for marker in sandbox.ESCAPE_MARKERS:
        assert not os.path.exists(marker), f"a sandboxed program wrote {marker}"


# ---- benign programs -----------------------------------------------------------------------------
def test_a_pal_program_runs_and_prints_its_answer():
    r = run_python("quantity = 7\nprice = 4738\ntotal = quantity * price\nprint(total)")
    assert r.ok and r.kind == "ok" and r.value == "33166" and r.message == ""


def test_allowed_imports_and_scratch_files_work():
    r = run_python("import math, fractions, statistics\n"
                   "with open('notes.txt', 'w') as f:\n    f.write(str(math.factorial(10)))\n"
                   "print(open('notes.txt').read(), fractions.Fraction(1, 3) * 3, statistics.mean([1, 2, 3]))")
    assert r.ok, r.message
    assert r.stdout.split() == ["3628800", "1", "2"]


def test_the_program_runs_in_an_empty_scratch_dir_with_a_minimal_environment():
    os_globals = sandbox._OS   # the os module's globals, reached without an import (the hook still applies)
    r = run_python(f"g = {os_globals}\nprint(g['getcwd']())\nprint(sorted(g['environ']))")
    assert r.ok, r.message
    cwd, env = r.stdout.splitlines()
    assert "llmlab-sandbox-" in cwd and cwd != os.getcwd()
    assert env == str(sorted(["PATH", "LC_ALL", "HOME", "TMPDIR"])), "the caller's environment leaked in"


def test_errors_are_reported_with_type_and_line():
    r = run_python("x = 1\ny = x / 0")
    assert not r.ok and r.kind == "error"
    assert "ZeroDivisionError" in r.message and "line 2" in r.message
    s = run_python("print(")
    assert s.kind == "syntax" and "SyntaxError" in s.message


def test_dangerous_builtins_are_gone():
    for src in ("eval('1+1')", "exec('x=1')", "compile('1', 'f', 'eval')", "breakpoint()", "exit(3)"):
        r = run_python(src)
        assert r.kind == "error" and "NameError" in r.message, (src, r)


# ---- hostile programs ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(HOSTILE))
def test_every_hostile_program_is_contained(name):
    source, kinds = HOSTILE[name]
    start = time.perf_counter()
    r = run_python(source, FAST)
    assert contained(name, r), f"{name}: {r.kind} {r.message!r}"
    assert r.message, "a contained program must say why it was stopped"
    assert time.perf_counter() - start < FAST.wall_seconds + 3


def test_each_kind_names_its_limit():
    assert "CPU" in run_python("while True: pass", FAST).message
    assert "MB" in run_python("x = bytearray(10 ** 10)").message
    assert "bytes" in run_python("while True: print('x' * 1000)").message
    assert "deeper" in run_python("def f(): return f()\nf()").message
    assert "scratch" in run_python("open('/etc/passwd')").message
    assert "not allowed" in run_python(f"{sandbox._OS}['fork']()").message


def test_wall_clock_timeout_kills_a_program_that_sleeps():
    r = run_python("import time\ntime.sleep(60)", Limits(wall_seconds=1), modules=ALLOWED_MODULES + ("time",))
    assert r.kind == "timeout" and 0.9 < r.seconds < 3


def test_wall_clock_catches_a_loop_below_the_cpu_limit():
    r = run_python("while True: pass", Limits(cpu_seconds=30, wall_seconds=1))
    assert r.kind == "timeout"


def test_the_audit_hook_holds_even_when_the_allow_list_admits_os_socket_subprocess():
    mods = ALLOWED_MODULES + ("os", "socket", "subprocess")
    cases = {"import os\nos.system('true')": "os.system", "import os\nos.fork()": "os.fork",
             "import subprocess\nsubprocess.run(['true'])": "subprocess.Popen",
             "import socket\nsocket.socket()": "socket", "import os\nos.listdir('/')": "os.listdir",
             "import os\nos.remove('/tmp/nothing-here')": "os.remove",
             "import os\nos.execv('/bin/true', ['true'])": "os.exec"}
    for src, event in cases.items():
        r = run_python(src, FAST, modules=mods)
        assert r.kind == "forbidden" and event in r.message, (src, r)


def test_output_is_capped_in_the_result():
    r = run_python("while True: print('x' * 1000)", Limits(output_bytes=4096))
    assert r.kind == "output" and len(r.stdout) <= 4096


def test_the_caller_survives_many_hostile_runs():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for name in ("memory bomb", "fork bomb (os reached without import)", "deep recursion", "huge output"):
        assert contained(name, run_python(HOSTILE[name][0], FAST))
    assert run_python("print(2 + 2)").value == "4"
    # the memory bomb ran in the child: the caller's peak memory did not grow by its size
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000   # KiB


def test_kernel_limits_units():
    lim = kernel_limits(Limits(cpu_seconds=3, memory_mb=128, output_bytes=1000, open_files=16))
    assert lim["RLIMIT_CPU"] == (3, 4) and lim["RLIMIT_AS"] == (128 * 2 ** 20,) * 2
    assert lim["RLIMIT_FSIZE"] == (1000, 1000) and lim["RLIMIT_NPROC"] == (0, 0) and lim["RLIMIT_CORE"] == (0, 0)
    for name in lim:
        assert hasattr(resource, name)


def test_no_scratch_or_private_dir_is_left_behind(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    run_python("open('a', 'w').write('x')")
    run_python("while True: pass", Limits(cpu_seconds=10, wall_seconds=0.5))
    assert list(tmp_path.iterdir()) == []
