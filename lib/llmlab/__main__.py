"""``llmlab <command> ...`` (or ``python -m llmlab <command> ...``): one entry point for the tools.

    llmlab world build     regenerate the TinyWorld data sets      (llmlab.world)
    llmlab zoo build       build the model zoo                     (llmlab.zoo)
    llmlab labs build      regenerate labs/ from solutions/        (llmlab.labs)
    llmlab run ...         execute the notebooks, write a report   (llmlab.run)

Each command is the ``main(argv)`` of the module ``llmlab.<command>``, imported only when
called (importing torch for ``llmlab labs check`` would be wasted time).
"""
from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "world": "generate or verify the TinyWorld data sets",
    "zoo": "build or list the model zoo",
    "labs": "generate labs/ from solutions/ (build | check)",
    "run": "execute the solution notebooks with papermill and write a report",
}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: llmlab <command> [args...]   (llmlab <command> --help for its options)",
             "", "commands:"]
    lines += [f"  {name:<{width}}  {text}" for name, text in COMMANDS.items()]
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
    try:
        module = importlib.import_module(f"llmlab.{command}")
    except ModuleNotFoundError as err:
        if err.name != f"llmlab.{command}":
            raise
        print(f"llmlab: the {command!r} command is not available (llmlab.{command} is missing).",
              file=sys.stderr)
        return 2
    code = module.main(rest)
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
