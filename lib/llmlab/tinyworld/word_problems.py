"""Arithmetic word problems at TinyWorld shops, each with a chain-of-thought trace and a PAL program:
the ``word_problems`` family.

A row holds the question, the answer, ``digits`` (how many digits the largest number in the question
has: 1 to 6, the same count of rows in every bucket), and two ways to reach the answer:

- ``cot``: chain of thought at digit level, right to left, every carry and borrow written out —
  the arithmetic a language model has to do *in tokens*. It grows with the numbers:
  ``Multiply 4738 by 7: 8*7+0=56, 3*7+5=26, 7*7+2=51, 4*7+5=33. The answer is 33166.``
- ``program``: a short Python program (program-aided language model, PAL) that names the
  quantities, lets the interpreter do the arithmetic and prints the answer. Its length does not
  depend on the numbers: the model only has to copy them.

The prompts that ask for either form (``cot_prompt`` / ``pal_prompt``) live here, beside the data,
because the zoo trains on them and Lab 10 prompts with them.
"""
from __future__ import annotations

import random

from llmlab.tinyworld.registry import SIZES, _ids, family, fill_splits
from llmlab.tinyworld.words import an, plural
from llmlab.tinyworld.world import World

MAX_DIGITS = 6
KINDS = ("total", "sum", "discount", "bill")
COT_CUE = "Reasoning:"
PAL_CUE = "Program:"
ANSWER_PREFIX = "The answer is"


def cot_prompt(question: str) -> str:
    """How a model is asked for a chain of thought (the zoo's ``gpt-pal`` is trained on it)."""
    return f"{question}\n{COT_CUE}"


def pal_prompt(question: str) -> str:
    """How a model is asked for a program (the zoo's ``gpt-pal`` is trained on it)."""
    return f"{question}\n{PAL_CUE}\n"


# ---- digit-level traces ------------------------------------------------------------------------
def _digits(n: int) -> list[int]:
    """Digits from the right: 4738 -> [8, 3, 7, 4]."""
    return [int(c) for c in reversed(str(n))]


def cot_multiply(n: int, q: int) -> str:
    """``n * q`` (q one digit) the schoolbook way: one step per digit of n, from the right; each
    step adds the carry (the tens of the step before) and leaves its last digit in the answer."""
    steps, carry = [], 0
    for d in _digits(n):
        s = d * q + carry
        steps.append(f"{d}*{q}+{carry}={s}")
        carry = s // 10
    return f"Multiply {n} by {q}: {', '.join(steps)}."


def cot_add(a: int, b: int) -> str:
    """``a + b`` digit by digit from the right, with the carry; a missing digit counts as 0."""
    da, db = _digits(a), _digits(b)
    steps, carry = [], 0
    for i in range(max(len(da), len(db))):
        x, y = (da[i] if i < len(da) else 0), (db[i] if i < len(db) else 0)
        s = x + y + carry
        steps.append(f"{x}+{y}+{carry}={s}")
        carry = s // 10
    return f"Add {a} and {b}: {', '.join(steps)}."


def cot_subtract(a: int, b: int) -> str:
    """``a - b`` (a >= b) digit by digit from the right: a digit that runs short borrows 10
    (written ``13-9-0=4``) and the next step pays the borrow back (``6-0-1=5``)."""
    da, db = _digits(a), _digits(b)
    steps, borrow = [], 0
    for i in range(len(da)):
        x, y = da[i], (db[i] if i < len(db) else 0)
        short = int(x - y - borrow < 0)
        s = 10 * short + x - y - borrow
        steps.append(f"{10 * short + x}-{y}-{borrow}={s}")
        borrow = short
    return f"Subtract {b} from {a}: {', '.join(steps)}."


def arithmetic_facts() -> list[tuple[str, str]]:
    """Every one-digit step the traces use, as (prompt, answer): `` 7*9+4=`` -> ``67`` — addition with a
    carry of 0 or 1, multiplication by 2-9 with a carry of 0-8, subtraction with a borrow (1,120 facts).
    A model that writes the traces must know them by heart. (``gpt-pal`` is not drilled on them: mixed into
    its data twice, they cost it its programs at the same budget — measured.)"""
    facts = [(f" {x}+{y}+{c}=", str(x + y + c)) for x in range(10) for y in range(10) for c in (0, 1)]
    facts += [(f" {d}*{q}+{c}=", str(d * q + c)) for d in range(10) for q in range(2, 10) for c in range(9)]
    facts += [(f" {10 * s + x}-{y}-{b}=", str(10 * s + x - y - b)) for x in range(10) for y in range(10)
              for b in (0, 1) for s in (0, 1) if (x - y - b < 0) == bool(s)]
    return facts


# ---- problems ----------------------------------------------------------------------------------
def _number(rng: random.Random, digits: int) -> int:
    """A number with exactly ``digits`` digits (1 digit: 2-9, so that nothing is trivial)."""
    return rng.randint(2, 9) if digits == 1 else rng.randint(10 ** (digits - 1), 10 ** digits - 1)


def _at_most(rng: random.Random, digits: int, below: int) -> int:
    """A number of 1..``digits`` digits (each length equally likely where it fits) below ``below``:
    a discount smaller than the price."""
    d = rng.randint(1, min(digits, len(str(below - 1))))
    return rng.randint(10 ** (d - 1), min(10 ** d - 1, below - 1))


def make_problem(world: World, rng: random.Random, digits: int, kind: str) -> dict:
    """One word problem whose largest number has ``digits`` digits, of one of :data:`KINDS`."""
    person = rng.choice(world.people)
    name, she = person["first"], person["pron"][0]
    shop = rng.choice(world.shops)
    items = [p for p in world.products if p["shop"] == shop["name"]] or world.products
    item = rng.choice(items)["name"]
    if kind == "total":          # quantity x unit price
        q, n = rng.randint(2, 9), _number(rng, digits)
        question = (f"{name} buys {q} {plural(item)} at {shop['name']} for {n} coins each. "
                    f"How many coins does {she} pay in all?")
        answer, cot = q * n, cot_multiply(n, q)
        program = f"quantity = {q}\nprice = {n}\ntotal = quantity * price\nprint(total)"
    elif kind == "sum":          # two prices added
        others = [p["name"] for p in items if p["name"] != item] or [p["name"] for p in world.products
                                                                     if p["name"] != item]
        other = rng.choice(others)
        a, b = _number(rng, digits), _number(rng, rng.randint(1, digits))
        if rng.random() < 0.5:
            a, b = b, a
        question = (f"{name} buys {an(item)} for {a} coins and {an(other)} for {b} coins at "
                    f"{shop['name']}. How many coins is that altogether?")
        answer, cot = a + b, cot_add(a, b)
        program = f"first = {a}\nsecond = {b}\ntotal = first + second\nprint(total)"
    elif kind == "discount":     # a price less a discount
        a = _number(rng, digits)
        b = _at_most(rng, digits, a)
        question = (f"At {shop['name']}, {an(item)} costs {a} coins, and {shop['owner'].split()[0]} "
                    f"takes {b} coins off. How many coins does {name} pay?")
        answer, cot = a - b, cot_subtract(a, b)
        program = f"price = {a}\ndiscount = {b}\ntotal = price - discount\nprint(total)"
    elif kind == "bill":         # quantity x price, then a discount off the bill (two steps)
        q, n = rng.randint(2, 9), _number(rng, digits)
        d = _at_most(rng, digits, q * n)
        question = (f"{name} buys {q} {plural(item)} for {n} coins each, and {shop['name']} takes "
                    f"{d} coins off the bill. How many coins does {she} pay?")
        answer = q * n - d
        cot = f"{cot_multiply(n, q)} {cot_subtract(q * n, d)}"
        program = (f"quantity = {q}\nprice = {n}\ndiscount = {d}\n"
                   f"total = quantity * price - discount\nprint(total)")
    else:
        raise ValueError(f"unknown kind {kind!r}: one of {KINDS}")
    return {"question": question, "answer": answer, "digits": digits, "kind": kind,
            "cot": f" {cot} {ANSWER_PREFIX} {answer}.", "program": program}


@family("word_problems")
def gen_word_problems(world: World, rng: random.Random) -> dict[str, list[dict]]:
    def make(split, i):   # cycles through every (digits, kind) pair: each bucket equally filled
        digits = 1 + i % MAX_DIGITS
        return make_problem(world, rng, digits, KINDS[(i // MAX_DIGITS) % len(KINDS)])
    splits = fill_splits(make, SIZES["word_problems"], key=lambda r: r["question"])
    for rows in splits.values():
        rng.shuffle(rows)
    return _ids("word_problems", splits)
