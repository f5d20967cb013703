"""llmlab.checks: the shared helpers, and the stuck-student fallback every lab uses."""
from __future__ import annotations

import pytest
import torch

from llmlab import checks


def _check_double(fn, name="Exercise 9: double"):
    got = checks.call(name, fn, 3)
    checks.expect(got == 6, name, f"double(3) gave {got}, expected 6: did you add instead of multiply?")
    checks.passed(name)


def _reference(x):
    return 2 * x


def test_yours_or_reference_keeps_a_correct_answer_quietly(capsys):
    def yours(x):
        return x + x
    assert checks.yours_or_reference("Exercise 9: double", yours, _reference, _check_double) is yours
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("wrong, why", [
    (lambda x: (_ for _ in ()).throw(NotImplementedError("Exercise 9")), "not implemented yet"),
    (lambda x: x + 2, "did you add instead of multiply"),
    (lambda x: 1 / 0, "ZeroDivisionError"),
])
def test_yours_or_reference_stands_in_and_says_so_in_one_line(capsys, wrong, why):
    def checked(fn, name="Exercise 9: double"):
        try:
            _check_double(fn, name)
        except checks.CheckFailed:
            raise
        except Exception as err:           # a crash inside a check is a failure too
            checks.fail(name, f"your function raised {type(err).__name__}: {err}")
    got = checks.yours_or_reference("Exercise 9: double", wrong, _reference, checked)
    assert got is _reference
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("⚠ Exercise 9: double is not solved yet (")
    assert why in lines[0] and lines[0].endswith("_reference` instead.")


def test_yours_or_reference_checks_tuples_together(capsys):
    def check_pair(f, g, name="Exercise 3"):
        checks.expect(f(1) == 2 and g(1) == 3, name, "wrong pair")
    refs = (lambda x: 2 * x, lambda x: 3 * x)
    assert checks.yours_or_reference("Exercise 3", (refs[0], lambda x: 0), refs, check_pair) is refs
    assert "Exercise 3 is not solved yet (wrong pair)" in capsys.readouterr().out


def test_allclose_treats_matching_infinities_as_equal_and_checks_shape():
    inf = float("-inf")
    assert checks.allclose(torch.tensor([inf, 1.0]), torch.tensor([inf, 1.0 + 1e-7]))
    assert not checks.allclose(torch.tensor([inf, 1.0]), torch.tensor([1.0, 1.0]))
    assert not checks.allclose(torch.zeros(2), torch.zeros(1, 2))


def test_single_threaded_restores_the_thread_count():
    before = torch.get_num_threads()
    seen = checks.single_threaded(lambda: torch.get_num_threads())()
    assert seen == 1 and torch.get_num_threads() == before


def test_failure_message_and_rejects():
    def check(fn, name="exercise"):
        checks.expect(fn(2) == 4, name, "doubling 2 should give 4: did you add instead of multiply?")

    assert checks.failure_message(check, lambda x: 2 * x) is None
    assert "add instead of multiply" in checks.failure_message(check, lambda x: x + 3)
    assert "multiply" in checks.rejects(check, lambda x: x + 3, "Multiply")
    with pytest.raises(AssertionError, match="accepted a wrong implementation"):
        checks.rejects(check, lambda x: 2 * x)
    with pytest.raises(AssertionError, match="expected 'sign'"):
        checks.rejects(check, lambda x: x + 3, "sign")
