"""Chain of thought vs program-aided language models (PAL) on TinyWorld word problems.

    rows = pal.problems(per_bucket=30)                        # balanced over 1..6-digit numbers
    records = pal.solve(model, tok, rows)                     # both methods, programs run in the sandbox
    table = pal.accuracy_by_digits(records)                   # {"cot": {1: 0.9, ...}, "pal": {...}}

Chain of thought (CoT): the model writes the digit-level arithmetic and ends with "The answer is N";
:func:`cot_answer` reads N. PAL: the model writes a short program; :func:`sandbox.run_python` runs it
in a separate, limited process and :func:`pal_answer` reads the integer it printed. Prompts come
from :mod:`llmlab.tinyworld.word_problems`, the format ``gpt-pal`` was trained on.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from llmlab import inference, tinyworld
from llmlab.lab10.sandbox import Limits, SandboxResult, run_python
from llmlab.tinyworld.word_problems import ANSWER_PREFIX, MAX_DIGITS, cot_prompt, pal_prompt

METHODS = ("cot", "pal")
COT_TOKENS = 200      # the longest trace (a 6-digit bill: 13 digit steps) is ~150 tokens
PAL_TOKENS = 64       # the longest program is ~45 tokens


def problems(split: str = "test", per_bucket: int = 30) -> list[dict]:
    """The first ``per_bucket`` problems of each digit bucket (1..6) of a word_problems split."""
    rows = tinyworld.rows("word_problems", split)
    return [r for d in range(1, MAX_DIGITS + 1) for r in [x for x in rows if x["digits"] == d][:per_bucket]]


def cot_answer(text: str) -> int | None:
    """The number after the last "The answer is" in a chain of thought, or None."""
    found = re.findall(re.escape(ANSWER_PREFIX) + r"\s+(-?\d+)", text)
    return int(found[-1]) if found else None


def pal_answer(result: SandboxResult) -> int | None:
    """The integer a program printed last, if it ran cleanly: None for a failed run, no output, or
    a last line that is not a whole number (``"33166.0"`` counts as 33166; ``"12.5"`` does not)."""
    if not result.ok or result.value is None:
        return None
    text = result.value.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.0*", text):
        return int(text.split(".")[0])
    return None


def program_of(text: str) -> str:
    """The program in a completion: everything up to the first blank line."""
    return text.strip().split("\n\n")[0].strip()


def solve(model: PreTrainedModel, tok: PreTrainedTokenizerBase, rows: Sequence[dict], *,
          limits: Limits | None = None, answer: Callable[[SandboxResult], int | None] = pal_answer,
          batch_size: int = 32) -> list[dict]:
    """Ask the model for a chain of thought and for a program for every row (greedy); score both.

    Each record: the row's id, digits, kind and answer; ``cot`` (the trace), ``cot_answer``,
    ``cot_ok``; ``program``, ``program_exact`` (the program equals the reference one character for
    character), ``run`` (the :class:`SandboxResult`), ``pal_answer``, ``pal_ok``.
    """
    questions = [r["question"] for r in rows]
    cots = inference.complete(model, tok, [cot_prompt(q) for q in questions], max_new_tokens=COT_TOKENS,
                              stop_at_newline=True, batch_size=batch_size)
    outs = inference.complete(model, tok, [pal_prompt(q) for q in questions], max_new_tokens=PAL_TOKENS,
                              stop_at_newline=False, batch_size=batch_size)
    records = []
    for row, cot, out in zip(rows, cots, outs):
        program = program_of(out)
        run = run_python(program, limits)
        got_cot, got_pal = cot_answer(cot), answer(run)
        records.append({"id": row["id"], "digits": row["digits"], "kind": row["kind"], "answer": row["answer"],
                        "cot": cot, "cot_answer": got_cot, "cot_ok": got_cot == row["answer"],
                        "program": program, "program_exact": program == row["program"], "run": run,
                        "pal_answer": got_pal, "pal_ok": got_pal == row["answer"]})
    return records


def accuracy_by_digits(records: Sequence[dict]) -> dict[str, dict[int, float]]:
    """Accuracy of each method, and the share of exactly right programs, per digit bucket."""
    groups: dict[int, list[dict]] = defaultdict(list)
    for r in records:
        groups[r["digits"]].append(r)
    keys = {"cot": "cot_ok", "pal": "pal_ok", "program_exact": "program_exact"}
    return {name: {d: sum(bool(r[key]) for r in rs) / len(rs) for d, rs in sorted(groups.items())}
            for name, key in keys.items()}


def sandbox_kinds(records: Sequence[dict]) -> dict[str, int]:
    """How the model's programs ended in the sandbox: {"ok": 171, "error": 4, ...}."""
    out: dict[str, int] = defaultdict(int)
    for r in records:
        out[r["run"].kind] += 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def plot_accuracy(ax, table: dict[str, dict[int, float]], n_per_bucket: int | None = None) -> None:
    """CoT and PAL accuracy (and exactly right programs) against the numbers' digit count."""
    styles = {"cot": ("chain of thought", "o-"), "pal": ("PAL (program + sandbox)", "s-"),
              "program_exact": ("program exactly as the reference", "k:")}
    for name, (label, style) in styles.items():
        xs = sorted(table[name])
        ax.plot(xs, [table[name][x] for x in xs], style, label=label)
    n = f", {n_per_bucket} problems per bucket" if n_per_bucket else ""
    ax.set(xlabel="digits in the largest number of the question", ylabel="accuracy", ylim=(-0.03, 1.03),
           title=f"Chain of thought vs PAL by number size (held-out{n})")
    ax.legend(loc="lower left")
    ax.grid(alpha=0.3)
