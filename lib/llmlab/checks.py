"""Exercise checks: run a student's function on cases with known answers and explain a failure.

Each lab's checks live in its own package (``llmlab.lab01.checks``, ...) and are built on the few
helpers below, so every check in the course fails the same way: a ``CheckFailed`` whose message
says what was expected, what came back, and the likely bug.
"""
from __future__ import annotations

import contextlib
import functools
import io
from typing import Any, Callable, NoReturn

import torch


class CheckFailed(AssertionError):
    """An exercise gave a wrong answer; the message says what and, where we can tell, why."""


def fail(exercise: str, message: str) -> NoReturn:
    raise CheckFailed(f"✗ {exercise}: {message}")


def passed(exercise: str, message: str = "all cases agree with the reference") -> None:
    print(f"✓ {exercise}: {message}")


def expect(condition: bool, exercise: str, message: str) -> None:
    if not condition:
        fail(exercise, message)


def call(exercise: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a student's function, turning the stub's NotImplementedError into a clear message."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as err:
        fail(exercise, f"not implemented yet ({err}). Replace the `raise NotImplementedError` "
                       "in the exercise cell with your code, run that cell, then this one.")


def run_case(exercise: str, fn: Callable[..., Any], desc: str, *args: Any, names: tuple[str, ...] = (),
             crash_hint: Callable[[Exception], str] | str = "", inplace_hint: str = "") -> Any:
    """Call a student's function on one case: a crash becomes a message naming the case, and so
    does an input tensor changed in place (the caller still needs it)."""
    before = [a.clone() if isinstance(a, torch.Tensor) else None for a in args]
    try:
        out = call(exercise, fn, *args)
    except CheckFailed:
        raise
    except Exception as err:  # noqa: BLE001 - any crash of the student's code becomes a message
        hint = crash_hint(err) if callable(crash_hint) else crash_hint
        fail(exercise, f"your function raised {type(err).__name__}: {err}\n  on the case: {desc}."
                       + (f" {hint}" if hint else ""))
    for i, (a, b) in enumerate(zip(args, before)):
        if b is not None and not torch.equal(a, b):
            name = f"`{names[i]}`" if i < len(names) else "an input tensor"
            fail(exercise, f"you modified {name} in place (case: {desc}). {inplace_hint}".rstrip())
    return out


def gradients_match(exercise: str, fn: Callable[..., Any], desc: str, args: tuple, reference: Callable[..., Any],
                    wrt: dict[int, str], atol: float = 1e-4, rtol: float = 1e-3) -> None:
    """Backpropagate one random weighting of ``fn(*args)``'s output and of ``reference(*args)``'s to the
    arguments ``wrt`` ({position: name}) and compare the gradients: training needs them, and a ``.detach()``,
    a ``torch.no_grad()`` or a round trip through NumPy loses them while leaving the values right."""
    def leaves() -> list:
        return [a.detach().clone().requires_grad_(i in wrt) if isinstance(a, torch.Tensor) else a
                for i, a in enumerate(args)]
    ours, theirs = leaves(), leaves()
    expected = reference(*theirs)
    got = run_case(exercise, fn, desc, *ours, crash_hint="Stay in torch operations on the inputs: `.numpy()`, "
                   "`.item()` or `torch.tensor(...)` of an input cut the graph that training backpropagates through.")
    weighting = torch.randn(expected.shape, generator=generator(7), dtype=expected.dtype)
    if not isinstance(got, torch.Tensor) or not got.requires_grad:
        fail(exercise, f"your output carries no gradient (case: {desc}): something cut the graph — "
                       "`.detach()`, `torch.no_grad()`, `.numpy()` or `.item()` inside your function. Training "
                       "backpropagates through it; use torch operations only.")
    want = torch.autograd.grad((expected * weighting).sum(), [theirs[i] for i in wrt])
    grads = torch.autograd.grad((got * weighting).sum(), [ours[i] for i in wrt], allow_unused=True)
    for (i, name), g, w in zip(wrt.items(), grads, want):
        if g is None:
            fail(exercise, f"no gradient reaches `{name}` through your function (case: {desc}): it was detached or "
                           "replaced by a constant.")
        if not torch.isclose(g.double(), w.double(), atol=atol, rtol=rtol).all():
            fail(exercise, f"your values are right but the gradient with respect to `{name}` is not (case: {desc}): "
                           "did you `.detach()` an intermediate (the mean or the variance, say)? "
                           "Every step must stay in the graph, as in the reference.")


def precision_lost(exercise: str, got: torch.Tensor, expected: torch.Tensor, desc: str) -> None:
    """A float64 answer must carry float64's precision: one computed in float32 and cast back is 1e-7 off."""
    if expected.dtype == torch.float64 and not allclose(got, expected, atol=1e-9, rtol=1e-9, equal_nan=True):
        fail(exercise, f"your float64 result has only float32 precision (case: {desc}): something inside casts to "
                       "float32 (`.float()`, `torch.float32`, a float32 tensor you made). Keep the input's dtype.")


def tensor_like(exercise: str, got: Any, expected: torch.Tensor, what: str = "result") -> torch.Tensor:
    """Check type, shape and dtype before comparing values: a floating result must have the
    reference's (the input's) dtype, an integer result any integer dtype."""
    if not isinstance(got, torch.Tensor):
        fail(exercise, f"{what} should be a torch.Tensor, got {type(got).__name__}.")
    if tuple(got.shape) != tuple(expected.shape):
        fail(exercise, f"{what} has shape {tuple(got.shape)}, expected {tuple(expected.shape)}. "
                       "Keep the batch and vocabulary dimensions; work along the last one.")
    if got.is_floating_point() != expected.is_floating_point():
        fail(exercise, f"{what} has dtype {got.dtype}, expected a {expected.dtype}-like tensor.")
    if expected.is_floating_point() and got.dtype != expected.dtype:
        fail(exercise, f"{what} has dtype {got.dtype}, expected {expected.dtype}, the dtype of the input: keep "
                       "the input's precision (no .double() or float64 constants; `torch.full_like`, "
                       "`x.new_tensor(...)` and `masked_fill` keep the dtype).")
    return got


def close(exercise: str, got: torch.Tensor, expected: torch.Tensor, what: str = "result",
          atol: float = 1e-5, rtol: float = 1e-4, hint: str = "") -> None:
    """Values equal within tolerance, treating matching infinities (masked logits) as equal."""
    tensor_like(exercise, got, expected, what)
    got_f, exp_f = got.double(), expected.double()
    same_inf = torch.isinf(got_f) & torch.isinf(exp_f) & (torch.sign(got_f) == torch.sign(exp_f))
    finite = torch.isfinite(got_f) & torch.isfinite(exp_f)
    bad = ~(same_inf | (finite & torch.isclose(got_f, exp_f, atol=atol, rtol=rtol)))
    if bad.any():
        idx = tuple(int(i) for i in bad.nonzero()[0])
        fail(exercise, f"{what} differs from the reference in {int(bad.sum())} of {bad.numel()} "
                       f"entries; first at index {idx}: got {got_f[idx].item():.6g}, expected "
                       f"{exp_f[idx].item():.6g}." + (f" {hint}" if hint else ""))


def allclose(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-5, rtol: float = 1e-4,
             equal_nan: bool = False) -> bool:
    """Same shape and values within tolerance; matching infinities (masked logits) count as equal."""
    if a.shape != b.shape:
        return False
    a, b = a.double(), b.double()
    same_inf = torch.isinf(a) & torch.isinf(b) & (torch.sign(a) == torch.sign(b))
    near = torch.isclose(a, b, atol=atol, rtol=rtol, equal_nan=equal_nan)
    return bool((same_inf | near).all())


def single_threaded(check: Callable) -> Callable:
    """Run a check with one intra-op thread: tiny tensors are fastest so, and far faster on a busy
    2-core machine; the caller's thread count is restored afterwards."""
    @functools.wraps(check)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return check(*args, **kwargs)
        finally:
            torch.set_num_threads(before)
    return wrapper


def generator(seed: int) -> torch.Generator:
    """A CPU generator seeded with ``seed``: every check draws its cases from one of these."""
    return torch.Generator().manual_seed(seed)


def yours_or_reference(exercise: str, yours: Any, reference: Any, check: Callable[..., None]) -> Any:
    """What the cells after an exercise use: ``yours`` if its check passes, else ``reference``,
    announced in one visible line — so a student stuck on one exercise can still finish the lab,
    while that exercise's own check cell keeps failing. ``yours`` and ``reference`` may be tuples of
    functions that one check tests together (``check(*yours)``). The check runs silently."""
    fns = yours if isinstance(yours, tuple) else (yours,)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check(*fns, name=exercise)
    except Exception as err:  # noqa: BLE001 - any failure (stub, wrong answer, crash) means: not solved yet
        refs = reference if isinstance(reference, tuple) else (reference,)
        names = ", ".join(f"`{f.__module__}.{f.__qualname__}`" for f in refs)
        why = str(err).splitlines()[0].removeprefix(f"✗ {exercise}: ").strip()
        why = why if len(why) <= 90 else why[:87] + "..."
        print(f"⚠ {exercise} is not solved yet ({why}); the cells below use the reference {names} instead.")
        return reference
    return yours


def failure_message(check: Callable[..., None], *fns: Any, name: str = "exercise", **kwargs: Any) -> str | None:
    """What ``check`` says of ``fns``: its ``CheckFailed`` message, or None when they pass (the check's own
    printout swallowed). For the tests that run a check against many wrong implementations."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check(*fns, name=name, **kwargs)
    except CheckFailed as err:
        return str(err)
    return None


def rejects(check: Callable[..., None], fn: Any, *needles: str, **kwargs: Any) -> str:
    """Assert that ``check`` rejects ``fn`` with a message naming each of ``needles`` (case-insensitive);
    return the message."""
    msg = failure_message(check, fn, **kwargs)
    assert msg is not None, f"the check accepted a wrong implementation ({getattr(fn, '__name__', fn)})"
    for needle in needles:
        assert needle.lower() in msg.lower(), f"expected {needle!r} in: {msg}"
    return msg
