"""Run model-written Python in a separate, limited process: the interpreter of a PAL system.

    result = run_python("print(7 * 4738)")
    result.ok, result.value, result.kind, result.message      # True, '33166', 'ok', ''

A program never runs in the calling process. :func:`run_python` starts ``python -I`` (isolated: no
user site, no ``PYTHON*`` variables, no script directory on the path) in a fresh session, with a
minimal environment, stdin from /dev/null and a new, empty scratch directory as its working
directory. A bootstrap (:data:`BOOTSTRAP`) runs first and, before the program's first line:

1. sets kernel resource limits on itself: CPU seconds (``RLIMIT_CPU``: the kernel sends SIGXCPU),
   address space (``RLIMIT_AS``: allocations fail with MemoryError), file size (``RLIMIT_FSIZE``,
   which also caps the stdout and stderr files), processes (``RLIMIT_NPROC = 0``: ``fork`` fails —
   for an unprivileged user; root ignores it, hence step 2), open files, and no core dumps;
2. installs an audit hook (PEP 578) that refuses, with :class:`SandboxViolation`, the events a
   program needs to do harm: starting processes (``os.system``, ``subprocess.Popen``, ``os.fork``,
   ``os.exec*``, ``os.posix_spawn``, ...), any socket, opening, listing, creating, renaming or
   deleting a path outside the scratch directory (reads included: no ``/etc/passwd``, no repository),
   ``ctypes``, ``mmap``, changing limits, signals to other processes, and imports beyond an allow-list;
3. runs the program with restricted builtins: ``__import__`` admits only pure-computation modules
   (math, fractions, decimal, statistics, itertools, functools, collections, re, json, string,
   random, heapq, bisect, operator, datetime), ``eval``/``exec``/``compile``/``input``/``breakpoint``/
   ``exit`` are gone, and ``open`` stays (the hook keeps it inside the scratch directory).

The parent waits for a wall-clock timeout and then kills the whole process group (SIGKILL), reads
at most ``output_bytes`` of stdout and stderr, and returns a :class:`SandboxResult` whose ``kind``
names what happened: ``ok``, ``error`` (the program raised), ``syntax``, ``forbidden`` (the audit
hook or the import allow-list refused something), ``cpu_time``, ``timeout`` (wall clock),
``memory``, ``recursion``, ``output`` (the output cap) or ``crashed`` (killed by another signal).

What this does not stop is stated in Lab 10: the hook lives inside the interpreter it guards, so a
bug in CPython or a C extension can get past it; the process keeps the user's identity, the
machine's filesystem permissions and network namespace (only the hook keeps it off them); and
nothing here limits what it can learn from timing. Production systems add a kernel boundary:
containers (namespaces, cgroups), seccomp-bpf system-call filters, gVisor, or a microVM.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

KINDS = ("ok", "error", "syntax", "forbidden", "cpu_time", "timeout", "memory", "recursion", "output",
         "crashed")
ALLOWED_MODULES = ("math", "cmath", "fractions", "decimal", "statistics", "itertools", "functools",
                   "collections", "re", "json", "string", "random", "heapq", "bisect", "operator", "datetime")


@dataclass(frozen=True)
class Limits:
    """What one program may use. The defaults fit a PAL program (a few lines of arithmetic)."""
    cpu_seconds: int = 2          # RLIMIT_CPU: CPU time, then SIGXCPU
    wall_seconds: float = 5.0     # the parent kills the process group after this long
    memory_mb: int = 256          # RLIMIT_AS: address space (the interpreter itself needs ~30 MB)
    output_bytes: int = 65_536    # RLIMIT_FSIZE: stdout, stderr and every scratch file
    open_files: int = 32          # RLIMIT_NOFILE
    recursion: int = 200          # sys.setrecursionlimit: a Python-level depth, far below the C stack


@dataclass(frozen=True)
class SandboxResult:
    ok: bool
    kind: str                     # one of KINDS
    message: str                  # what went wrong, one line ("" when ok)
    stdout: str
    stderr: str = ""
    returncode: int = 0
    seconds: float = 0.0
    details: dict = field(default_factory=dict)

    @property
    def value(self) -> str | None:
        """The last line the program printed (a PAL program prints its answer), or None."""
        lines = [line.strip() for line in self.stdout.splitlines() if line.strip()]
        return lines[-1] if lines else None


# The child's first code. It reads its arguments and the program, sets its own limits, installs the
# audit hook and runs the program; the verdict goes to a pipe the parent reads (fd in argv[1]).
BOOTSTRAP = r'''
import builtins, json, os, resource, sys
RESULT_FD, PROGRAM, SCRATCH = int(sys.argv[1]), sys.argv[2], os.path.realpath(sys.argv[3])
LIMITS, ALLOWED = json.loads(sys.argv[4]), frozenset(json.loads(sys.argv[5]))
with open(PROGRAM, encoding="utf-8") as f:
    source = f.read()
result = os.fdopen(RESULT_FD, "w")
for name in sorted(ALLOWED):               # imported now, while imports may still read the stdlib
    __import__(name)
import traceback  # noqa: F401 (loaded before the hook: formatting an exception must not open files)


class SandboxViolation(PermissionError):
    """Raised by the audit hook: the program tried something the sandbox does not allow."""


def report(kind, message, line=None):
    try:
        sys.stdout.flush()
    except BaseException:
        pass
    result.write(json.dumps({"kind": kind, "message": message[:500], "line": line}))
    result.flush()


try:
    code = compile(source, "<program>", "exec")
except (SyntaxError, ValueError) as e:
    report("syntax", f"{type(e).__name__}: {e}", getattr(e, "lineno", None))
    sys.exit(0)

for name, (soft, hard) in json.loads(sys.argv[6]).items():   # kernel_limits(limits), from the parent
    resource.setrlimit(getattr(resource, name), (soft, hard))
sys.setrecursionlimit(LIMITS["recursion"])

PROCESS_EVENTS = ("os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "os.forkpty",
                  "os.kill", "os.killpg", "subprocess.Popen", "pty.spawn", "os.startfile", "os.chdir",
                  "os.putenv", "os.unsetenv", "resource.setrlimit", "resource.prlimit", "signal.pthread_kill",
                  "ctypes.dlopen", "ctypes.dlsym", "ctypes.cdata", "ctypes.call_function", "mmap.__new__",
                  "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys.addaudithook",
                  "sys._current_frames", "webbrowser.open", "urllib.Request", "os.chroot")
PATH_EVENTS = ("os.listdir", "os.scandir", "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.link",
               "os.symlink", "os.truncate", "os.chmod", "os.chown", "os.utime", "os.chflags", "os.lchflags",
               "os.setxattr", "os.removexattr", "os.listxattr", "os.getxattr", "shutil.rmtree",
               "shutil.copyfile", "shutil.move", "glob.glob", "os.walk", "os.fwalk")
realpath, sep, busy = os.path.realpath, os.sep, [False]


def inside(path):
    if isinstance(path, int):
        return path in (0, 1, 2)           # stdio only: no other inherited descriptor
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str):
        return False
    full = realpath(os.path.join(SCRATCH, path))
    return full == SCRATCH or full.startswith(SCRATCH + sep)


def hook(event, args):
    if busy[0]:
        return
    busy[0] = True
    try:
        if event in PROCESS_EVENTS or event.startswith(("socket.", "subprocess.", "os.exec", "os.spawn")):
            what = "network access" if event.startswith("socket.") else "starting processes" \
                if event.startswith(("os.", "subprocess.", "pty.")) and event not in (
                    "os.chdir", "os.putenv", "os.unsetenv", "os.chroot") else event
            raise SandboxViolation(f"{event} refused: {what} is not allowed in the sandbox")
        if event == "import" and args[0].split(".")[0] not in ALLOWED:
            raise SandboxViolation(f"import of {args[0]!r} refused: not on the sandbox's allow-list")
        if event == "open" and not inside(args[0]):
            raise SandboxViolation(f"open({args[0]!r}) refused: only files inside the scratch directory")
        if event in PATH_EVENTS:
            for a in args[:2]:
                if isinstance(a, (str, bytes, int)) and not inside(a):
                    raise SandboxViolation(f"{event}({a!r}) refused: outside the scratch directory")
    finally:
        busy[0] = False


real_import = builtins.__import__


def safe_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level != 0 or name.split(".")[0] not in ALLOWED:
        raise SandboxViolation(f"import of {name!r} refused: not on the sandbox's allow-list")
    return real_import(name, globals, locals, fromlist, level)


safe = {k: v for k, v in vars(builtins).items()
        if k not in ("eval", "exec", "compile", "input", "breakpoint", "exit", "quit", "help",
                     "__import__", "__loader__", "__spec__", "copyright", "credits", "license")}
safe["__import__"] = safe_import
namespace = {"__builtins__": safe, "__name__": "__main__"}
sys.addaudithook(hook)


def line_of(e):
    tb, line = e.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<program>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


try:
    exec(code, namespace)
except SandboxViolation as e:
    report("forbidden", str(e), line_of(e))
except MemoryError as e:
    del e
    report("memory", f"MemoryError: the program needed more than {LIMITS['memory_mb']} MB")
except RecursionError as e:
    report("recursion", f"RecursionError: deeper than {LIMITS['recursion']} calls", line_of(e))
except OSError as e:
    if e.errno == 27:                      # EFBIG: RLIMIT_FSIZE (Python ignores SIGXFSZ)
        report("output", f"output limit: more than {LIMITS['output_bytes']} bytes written")
    else:
        report("error", f"{type(e).__name__}: {e}", line_of(e))
except SystemExit as e:
    code_ = e.code
    if code_ in (None, 0):
        report("ok", "")
    else:
        report("error", f"SystemExit: {code_}", line_of(e))
except BaseException as e:
    report("error", f"{type(e).__name__}: {e}", line_of(e))
else:
    report("ok", "")
'''


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def kernel_limits(limits: Limits) -> dict[str, tuple[int, int]]:
    """The ``resource`` limits the child sets on itself: name -> (soft, hard).

    CPU in seconds: at the soft limit the kernel sends SIGXCPU, at the hard one SIGKILL (one second
    later, for a program that survives SIGXCPU). Address space and file size in bytes. No child
    processes, no core dumps (a program killed by SIGXCPU would otherwise write one to disk). Soft
    and hard limits equal elsewhere: a process may raise its soft limit up to the hard one.
    """
    mem = limits.memory_mb << 20
    return {"RLIMIT_CPU": (limits.cpu_seconds, limits.cpu_seconds + 1), "RLIMIT_AS": (mem, mem),
            "RLIMIT_FSIZE": (limits.output_bytes, limits.output_bytes), "RLIMIT_NPROC": (0, 0),
            "RLIMIT_NOFILE": (limits.open_files, limits.open_files), "RLIMIT_CORE": (0, 0)}


def run_python(source: str, limits: Limits | None = None, modules: tuple[str, ...] = ALLOWED_MODULES,
               rlimits: Callable[[Limits], dict[str, tuple[int, int]]] = kernel_limits) -> SandboxResult:
    """Run ``source`` in a fresh sandboxed interpreter and say what happened (never raises for the
    program's sake: every failure is a :class:`SandboxResult` with ``ok=False``). ``modules`` is the
    import allow-list; ``rlimits`` turns ``limits`` into the kernel limits (:func:`kernel_limits`)."""
    limits = limits or Limits()
    rlimit_json = json.dumps({name: [int(soft), int(hard)] for name, (soft, hard) in rlimits(limits).items()})
    private = tempfile.mkdtemp(prefix="llmlab-sandbox-run-")   # program, stdout, stderr: not the program's
    scratch = tempfile.mkdtemp(prefix="llmlab-sandbox-")       # the program's working directory
    program = os.path.join(private, "program.py")
    with open(program, "w", encoding="utf-8") as f:
        f.write(source)
    out_path, err_path = os.path.join(private, "stdout"), os.path.join(private, "stderr")
    read_fd, write_fd = os.pipe()
    limits_json = json.dumps({k: getattr(limits, k) for k in limits.__dataclass_fields__})
    argv = [sys.executable, "-I", "-c", BOOTSTRAP, str(write_fd), program, scratch, limits_json,
            json.dumps(list(modules)), rlimit_json]
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "HOME": scratch, "TMPDIR": scratch}
    start = time.perf_counter()
    timed_out = False
    try:
        with open(out_path, "wb") as out, open(err_path, "wb") as err, open(os.devnull, "rb") as devnull:
            proc = subprocess.Popen(argv, stdin=devnull, stdout=out, stderr=err, cwd=scratch, env=env,
                                    pass_fds=(write_fd,), start_new_session=True)
        os.close(write_fd)
        write_fd = -1
        try:
            proc.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(proc)
        seconds = time.perf_counter() - start
        with os.fdopen(read_fd, "rb") as r:
            read_fd = -1
            verdict_bytes = r.read(4096)
        stdout, out_size = _read_capped(out_path, limits.output_bytes)
        stderr, _ = _read_capped(err_path, limits.output_bytes)
    finally:
        for fd in (read_fd, write_fd):
            if fd >= 0:
                os.close(fd)
        shutil.rmtree(private, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
    return _verdict(verdict_bytes, proc.returncode, timed_out, out_size, stdout, stderr, seconds, limits)


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the program's whole session (anything it started, too), then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _read_capped(path: str, cap: int) -> tuple[str, int]:
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        data = f.read(cap)
    return data.decode("utf-8", errors="replace"), size


def _verdict(verdict_bytes: bytes, rc: int, timed_out: bool, out_size: int, stdout: str, stderr: str,
             seconds: float, limits: Limits) -> SandboxResult:
    details: dict = {}
    try:
        verdict = json.loads(verdict_bytes.decode("utf-8")) if verdict_bytes else None
    except ValueError:
        verdict = None
    if timed_out:
        kind, message = "timeout", f"wall-clock limit: still running after {limits.wall_seconds:g} s (killed)"
    elif rc in (-signal.SIGXCPU, -signal.SIGKILL) and verdict is None:
        kind, message = "cpu_time", f"CPU limit: more than {limits.cpu_seconds} s of CPU time (killed)"
    elif rc == -signal.SIGXFSZ or out_size >= limits.output_bytes:
        kind, message = "output", f"output limit: more than {limits.output_bytes} bytes written"
    elif verdict is not None:
        kind, message = verdict["kind"], verdict["message"]
        details["line"] = verdict.get("line")
    elif rc < 0:
        kind, message = "crashed", f"the interpreter was killed by {_signal_name(-rc)}"
    else:
        kind, message = "crashed", f"the interpreter exited with status {rc} and no verdict"
    if kind == "error" and details.get("line"):
        message = f"{message} (line {details['line']})"
    return SandboxResult(ok=kind == "ok", kind=kind, message=message, stdout=stdout, stderr=stderr,
                         returncode=rc, seconds=round(seconds, 3), details=details)


# ---- hostile programs: what a sandbox must contain (Lab 10 runs them; tests/lab10 tests them) ---------
_OS = "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0].__init__.__globals__"
HOSTILE: dict[str, tuple[str, tuple[str, ...]]] = {   # name -> (program, the kinds that count as contained)
    "infinite loop": ("while True:\n    pass", ("cpu_time", "timeout")),
    "fork bomb": ("import os\nwhile True:\n    os.fork()", ("forbidden",)),
    "fork bomb (os reached without import)": (f"fork = {_OS}['fork']\nwhile True:\n    fork()", ("forbidden",)),
    "memory bomb": ("blocks = []\nwhile True:\n    blocks.append(bytearray(10 ** 7))", ("memory",)),
    "write outside the scratch dir": ("open('/tmp/llmlab-sandbox-escaped.txt', 'w').write('pwned')", ("forbidden",)),
    "write via ../": ("open('../llmlab-sandbox-escaped.txt', 'w').write('pwned')", ("forbidden",)),
    "read /etc/passwd": ("print(open('/etc/passwd').read())", ("forbidden",)),
    "read the repository": (f"print(open({str(Path(__file__).resolve())!r}).read())", ("forbidden",)),
    "network access": ("import socket\nsocket.create_connection(('93.184.215.14', 80), timeout=2)", ("forbidden",)),
    "network (socket reached without import)": (
        f"imp = {_OS}['__builtins__']['__import__']\nimp('socket').socket()", ("forbidden",)),
    "import os; os.system": ("import os\nos.system('echo pwned > /tmp/llmlab-sandbox-escaped.txt')", ("forbidden",)),
    "os.system reached without import": (f"{_OS}['system']('echo pwned > /tmp/llmlab-sandbox-escaped.txt')",
                                         ("forbidden",)),
    "subprocess": ("import subprocess\nsubprocess.run(['ls', '/'])", ("forbidden",)),
    "deep recursion": ("def f(n):\n    return f(n + 1)\nf(0)", ("recursion",)),
    "huge output": ("while True:\n    print('x' * 1000)", ("output",)),
}
ESCAPE_MARKERS = ("/tmp/llmlab-sandbox-escaped.txt",)   # files a contained program never creates


def contained(name: str, result: SandboxResult) -> bool:
    """Whether a hostile program ended the way the sandbox means it to (a clear, expected kind)."""
    return not result.ok and result.kind in HOSTILE[name][1]
