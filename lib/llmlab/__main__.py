"""``llmlab <command> ...`` (or ``python -m llmlab <command> ...``): one entry point for the tools.

    llmlab tinyworld build   regenerate the TinyWorld data sets        (llmlab.tinyworld)
    llmlab zoo build         build the model zoo                       (llmlab.zoo)
    llmlab generate build    solutions/*.py -> answer keys -> labs/    (llmlab.course.generate)
    llmlab execute ...       execute the notebooks, write a report     (llmlab.course.execute)
    llmlab grade PATH...     grade student notebooks, per exercise     (llmlab.course.grade)
    llmlab bench             training throughput on this CPU, as ratios (llmlab.bench)

Each command is the ``main(argv)`` of its module, imported only when called (importing torch for
``llmlab generate check`` would be wasted time).
"""
from __future__ import annotations

import importlib
import sys

COMMANDS = {  # command -> (module, what it does)
    "tinyworld": ("llmlab.tinyworld", "generate or verify the TinyWorld data sets"),
    "zoo": ("llmlab.zoo", "build or list the model zoo"),
    "generate": ("llmlab.course.generate", "sync solutions/*.py with their answer keys, generate labs/"),
    "execute": ("llmlab.course.execute", "execute notebooks with papermill and write a report"),
    "grade": ("llmlab.course.grade", "execute student notebooks and report each exercise's check"),
    "bench": ("llmlab.bench", "measure training throughput on this machine against its matmul peak"),
}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: llmlab <command> [args...]   (llmlab <command> --help for its options)",
             "", "commands:"]
    lines += [f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"llmlab: unknown command {command!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name = COMMANDS[command][0]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name != module_name:
            raise
        print(f"llmlab: the {command!r} command is not available ({module_name} is missing).",
              file=sys.stderr)
        return 2
    code = module.main(rest)
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
