"""Lab 10's PAL pieces: answer extraction, scoring by digit bucket, the word problems' own arithmetic,
and the two exercise checks against the reference and plausible wrong implementations."""
from __future__ import annotations

import re

import pytest

from llmlab import tinyworld
from llmlab.checks import rejects
from llmlab.lab10 import pal, pal_checks
from llmlab.lab10.sandbox import Limits, SandboxResult, kernel_limits, run_python
from llmlab.tinyworld.word_problems import MAX_DIGITS, cot_add, cot_multiply, cot_subtract



# ---- the data: every trace and program is right --------------------------------------------------
def _replay(trace: str) -> int:
    """Recompute a trace's answer from its digit steps only (not from the stated answer)."""
    value = None
    for op, body in re.findall(r"(Multiply|Add|Subtract) [^:]*: ([^.]*)\.", trace):
        sums = [int(s.split("=")[1]) for s in body.split(", ")]
        if op == "Subtract":
            value = int("".join(str(s) for s in reversed(sums)))
        else:   # each step leaves its last digit; the final step leaves all of it
            value = int(str(sums[-1]) + "".join(str(s % 10) for s in reversed(sums[:-1])))
    return value


def test_digit_traces_compute_the_right_numbers():
    for a in (2, 9, 10, 99, 4738, 100000, 999999):
        for q in (2, 7, 9):
            assert _replay(cot_multiply(a, q)) == a * q
        for b in (1, 9, 596, 4738):
            assert _replay(cot_add(a, b)) == a + b
            if b <= a:
                assert _replay(cot_subtract(a, b)) == a - b


def test_every_row_is_consistent_and_buckets_are_balanced():
    for split in ("train", "test"):
        rows = tinyworld.rows("word_problems", split)
        counts = {d: sum(r["digits"] == d for r in rows) for d in range(1, MAX_DIGITS + 1)}
        assert len(set(counts.values())) == 1, counts
        for r in rows[:300]:
            assert pal.cot_answer(r["cot"]) == r["answer"] == _replay(r["cot"])
            assert r["answer"] > 0
            nums = [int(n) for n in re.findall(r"\d+", r["question"])]
            assert len(str(max(nums))) == r["digits"]
    for r in tinyworld.rows("word_problems", "test")[:24]:
        assert pal.pal_answer(run_python(r["program"])) == r["answer"]


# ---- answer extraction and scoring --------------------------------------------------------------
def test_cot_answer():
    assert pal.cot_answer(" Multiply 8 by 8: 8*8+0=64. The answer is 64.") == 64
    assert pal.cot_answer("The answer is 3. No wait. The answer is 12.") == 12
    assert pal.cot_answer("8*8+0=64") is None


def test_program_of_cuts_at_a_blank_line():
    assert pal.program_of("\nx = 1\nprint(x)\n\nprint('more')") == "x = 1\nprint(x)"


def test_pal_answer_reference_passes_its_check():
    pal_checks.check_pal_answer(pal.pal_answer)


def test_solve_and_accuracy_with_scripted_completions(monkeypatch):
    rows = pal.problems("test", per_bucket=2)
    assert [r["digits"] for r in rows] == [d for d in range(1, MAX_DIGITS + 1) for _ in range(2)]

    def fake_complete(model, tok, prompts, max_new_tokens, stop_at_newline, batch_size):
        by_q = {r["question"]: r for r in rows}
        out = []
        for p in prompts:
            q, cue = p.rsplit("\n", 2)[0], p
            row = by_q[q.split("\n")[0]]
            if cue.endswith(tinyworld.word_problems.PAL_CUE + "\n"):
                out.append(row["program"] if row["digits"] != 6 else "print(1/0)")
            else:
                out.append(row["cot"] if row["digits"] <= 2 else " The answer is 0.")
        return out
    monkeypatch.setattr(pal.inference, "complete", fake_complete)
    records = pal.solve(None, None, rows)
    table = pal.accuracy_by_digits(records)
    assert table["cot"] == {1: 1.0, 2: 1.0, 3: 0.0, 4: 0.0, 5: 0.0, 6: 0.0}
    assert table["pal"] == {1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 1.0, 6: 0.0}
    assert table["program_exact"][6] == 0.0 and table["program_exact"][1] == 1.0
    assert pal.sandbox_kinds(records) == {"ok": 10, "error": 2}


# ---- Exercise: the program's answer, against wrong implementations ------------------------------
def first_line(r):
    return int(r.stdout.split()[0]) if r.ok and r.stdout.strip() else None


def no_ok_check(r):
    v = r.stdout.strip().splitlines()
    try:
        return int(float(v[-1])) if v and float(v[-1]).is_integer() else None
    except ValueError:
        return None


def plain_int(r):
    return int(r.value) if r.ok and r.value else None


def rounds(r):
    try:
        return round(float(r.value)) if r.ok and r.value else None
    except ValueError:
        return None


def string_back(r):
    return r.value if r.ok else None


def isdigit_only(r):
    return int(r.value) if r.ok and r.value and r.value.isdigit() else None


def fishes(r):
    m = re.findall(r"-?\d+(?:\.0+)?", r.stdout) if r.ok else []
    return int(float(m[-1])) if m and float(m[-1]).is_integer() else None


def zero_for_nothing(r):
    if not r.ok:
        return None
    return pal.pal_answer(r) if r.stdout.strip() else 0


@pytest.mark.parametrize("fn, needles", [
    (first_line, ("last line",)),
    (no_ok_check, ("result.ok",)),
    (plain_int, ("raised valueerror",)),
    (rounds, ("not a whole number",)),
    (string_back, ("string", "int")),
    (isdigit_only, ("minus",)),
    (fishes, ("text",)),
    (zero_for_nothing, ("printed nothing",)),
])
def test_pal_answer_check_names_the_bug(fn, needles):
    rejects(pal_checks.check_pal_answer, fn, *needles)


def test_pal_answer_stub_is_not_implemented():
    def stub(r):
        raise NotImplementedError("Exercise")
    rejects(pal_checks.check_pal_answer, stub, "not implemented")


# ---- Exercise: the kernel limits, against wrong implementations ---------------------------------
def test_kernel_limits_reference_passes_with_live_bombs():
    pal_checks.check_kernel_limits(kernel_limits)


def _without(key):
    return lambda lim: {k: v for k, v in kernel_limits(lim).items() if k != key}


def _with(key, value):
    return lambda lim: {**kernel_limits(lim), key: value(lim)}


@pytest.mark.parametrize("fn, needles", [
    (_without("RLIMIT_AS"), ("RLIMIT_AS is missing", "memory")),
    (_without("RLIMIT_CPU"), ("RLIMIT_CPU is missing",)),
    (_without("RLIMIT_NPROC"), ("fork",)),
    (_without("RLIMIT_CORE"), ("core dump",)),
    (_without("RLIMIT_FSIZE"), ("disk",)),
    (_with("RLIMIT_AS", lambda l: (l.memory_mb, l.memory_mb)), ("bytes, not megabytes",)),
    (_with("RLIMIT_AS", lambda l: (l.memory_mb * 1024, l.memory_mb * 1024)), ("not kilobytes",)),
    (_with("RLIMIT_CPU", lambda l: (l.cpu_seconds * 1000, l.cpu_seconds * 1000 + 1)), ("milliseconds",)),
    (_with("RLIMIT_CPU", lambda l: (l.cpu_seconds + 1, l.cpu_seconds)), ("above the hard",)),
    (_with("RLIMIT_CPU", lambda l: (l.cpu_seconds, -1)), ("unlimited hard",)),
    (_with("RLIMIT_CPU", lambda l: (5, 6)), ("cpu_seconds",)),
    (_with("RLIMIT_NPROC", lambda l: (1, 1)), ("expected (0, 0)",)),
    (_with("RLIMIT_FSIZE", lambda l: (l.output_bytes // 1024, l.output_bytes // 1024)), ("output_bytes",)),
    (_with("RLIMIT_AS", lambda l: [l.memory_mb << 20]), ("(soft, hard) pair",)),
    (lambda lim: {**kernel_limits(lim), "CPU": (1, 2)}, ("not a resource limit name",)),
    (lambda lim: list(kernel_limits(lim).items()), ("return a dict",)),
])
def test_kernel_limits_check_names_the_bug(fn, needles):
    rejects(pal_checks.check_kernel_limits, fn, *needles, live=False)


def test_kernel_limits_live_part_catches_limits_that_do_not_bind():
    # statically plausible but useless: memory far above what the bomb reaches is caught by the static
    # part; here the live run itself must catch a CPU limit that the check's case does not exercise
    def loose(lim):
        out = kernel_limits(lim)
        if lim.cpu_seconds == 1:   # only the live run uses cpu_seconds=1
            out["RLIMIT_CPU"] = (60, 61)
        return out
    msg = rejects(pal_checks.check_kernel_limits, loose, "infinite loop")
    assert "timeout" in msg


def test_results_from_a_real_run_feed_the_answer_check():
    r = run_python("print(7 * 4738)", Limits())
    assert isinstance(r, SandboxResult) and pal.pal_answer(r) == 33166


def test_gpt_pal_learned_both_forms_and_cot_breaks_on_large_numbers():
    """The zoo's record of gpt-pal (held-out validation problems): programs stay right on 5-6 digit
    numbers while chain-of-thought answers do not, and the untrained twin gets nothing right."""
    from llmlab import zoo
    meta = zoo.metadata("gpt-pal")
    m, u = meta["metrics"], meta["untrained_metrics"]
    assert m["program_exact_small"] >= 0.9 and m["program_exact_large"] >= 0.6
    assert m["cot_acc_large"] <= 0.05 and m["program_exact_large"] >= m["cot_acc_large"] + 0.5
    assert m["cot_acc_small"] > m["cot_acc_large"]   # weak at every size (measured 0.1), but not at none
    assert max(u.values()) == 0.0


def test_arithmetic_facts_cover_every_step_of_the_traces():
    from llmlab.tinyworld.word_problems import arithmetic_facts
    facts = dict(arithmetic_facts())
    assert len(facts) == 1120
    for prompt, answer in facts.items():   # each fact is right: evaluate "x+y+c" / "d*q+c" / "a-y-b"
        assert int(answer) == eval(prompt.strip().rstrip("="))  # noqa: S307 - digits and + - * only
    for r in tinyworld.rows("word_problems", "train")[:500]:
        for step in re.findall(r"(\d+[*+-]\d+[+-]\d+)=(\d+)", r["cot"]):
            assert facts[f" {step[0]}="] == step[1]
