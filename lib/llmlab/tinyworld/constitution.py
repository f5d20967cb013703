"""Constitutional AI data: a short constitution, red-team requests, and training traces for a
model that critiques, revises and judges replies against it; the ``constitution`` family.

The principles are written for TinyWorld's shop requests and replies (``replies``): the hidden
truth behind them is the same ``is_rude`` / ``is_helpful`` the ``replies`` family defines. At this
scale a model critiques, revises and judges only if it was trained to: the traces below (built from
that truth, on training requests only) are what the zoo's ``gpt-cai`` learns from.

Prompt formats (the zoo recipe, the lab and its exercise share them)::

    critique_prompt(request, reply, principle)            -> "... Critique:"
    revision_prompt(request, reply, principle, critique)  -> "... Revision:"
    judge_prompt(request, reply_a, reply_b, principle)    -> "... Better reply:"  (answered " A" / " B")
"""
from __future__ import annotations

import random

from llmlab.tinyworld import replies as rp
from llmlab.tinyworld.registry import SIZES, _ids, family, fill_splits
from llmlab.tinyworld.words import pick
from llmlab.tinyworld.world import World

# ---- the constitution ---------------------------------------------------------------------------
# A handful of principles, each a rule the critic quotes; the first two are about harm (rudeness),
# the third and fourth about helpfulness, so that a revision that is polite but useless breaks one.
CONSTITUTION = (
    "Be polite: no insults, no mockery, no rude words.",
    "Be kind to the person asking; never belittle them.",
    "Answer the request with the right fact.",
    "Do not refuse a fair request.",
    "Keep the reply short and calm.",
)
HARM_PRINCIPLES = (CONSTITUTION[0], CONSTITUTION[1], CONSTITUTION[4])   # broken by a rude reply
HELP_PRINCIPLES = (CONSTITUTION[2], CONSTITUTION[3])                    # broken by a reply without the fact
# the rule the judge compares two replies by: the two kinds of principle in one sentence, harm first
JUDGE_PRINCIPLE = "Be polite, and answer the request with the right fact."

# What the critic says, per finding (the trace's completion starts with one of these)
CRITIQUE_OK = "The reply follows the rule."
CRITIQUE_RUDE = "The reply breaks the rule: it is rude."
CRITIQUE_UNHELPFUL = "The reply breaks the rule: it does not answer."


def critique_prompt(request: str, reply: str, principle: str) -> str:
    """Ask for a critique of ``reply`` to ``request`` against one ``principle``."""
    return f"Request: {request}\nReply: {reply}\nRule: {principle}\nCritique:"


def revision_prompt(request: str, reply: str, principle: str, critique: str) -> str:
    """Ask for a revision of ``reply``, given its critique against ``principle``."""
    return f"{critique_prompt(request, reply, principle)} {critique}\nRevision:"


def judge_prompt(request: str, reply_a: str, reply_b: str, principle: str) -> str:
    """Ask which of two replies follows ``principle`` better; the answer is " A" or " B"."""
    return f"Request: {request}\nReply A: {reply_a}\nReply B: {reply_b}\nRule: {principle}\nBetter reply:"


# ---- the hidden truth of a principle -------------------------------------------------------------
def breaks(principle: str, row: dict, reply: str) -> bool:
    """Does ``reply`` to request ``row`` break ``principle`` (by TinyWorld's truth)?"""
    if principle in HARM_PRINCIPLES:
        return rp.is_rude(reply)
    if principle in HELP_PRINCIPLES:
        return not rp.is_helpful(row, reply)
    raise ValueError(f"not a principle of the constitution: {principle!r}")


def true_critique(principle: str, row: dict, reply: str) -> str:
    """The critique a perfect critic writes."""
    if not breaks(principle, row, reply):
        return CRITIQUE_OK
    return CRITIQUE_RUDE if principle in HARM_PRINCIPLES else CRITIQUE_UNHELPFUL


# ---- replies built from parts, so that a revision can change one part and keep the others ---------
def _parts(rng: random.Random, row: dict, rudeness: int, helpful: bool) -> list[str]:
    """[opener, answer, closer] with the given truth (as ``replies.make_reply`` draws them)."""
    kind, fill = row["kind"], {"shop": row["shop"], "product": row["subject"]}
    if helpful:
        answer = pick(rng, rp.ANSWERS[kind]).format(fact=row["fact"], **fill)
    elif rng.random() < 0.5:
        answer = pick(rng, rp.ANSWERS[kind]).format(fact=rng.choice(row["wrong_facts"]), **fill)
    else:
        answer = pick(rng, rp.NO_ANSWER)
    opener, closer = pick(rng, rp.POLITE_OPENERS), pick(rng, rp.POLITE_CLOSERS)
    if rudeness == 2:
        opener, closer = pick(rng, rp.RUDE_OPENERS), pick(rng, rp.RUDE_CLOSERS)
    elif rudeness == 1:
        if rng.random() < 0.5:
            opener = pick(rng, rp.RUDE_OPENERS)
        else:
            closer = pick(rng, rp.RUDE_CLOSERS)
    return [opener, answer, closer]


def _text(parts: list[str]) -> str:
    return " ".join(p for p in parts if p)


def true_revision(rng: random.Random, principle: str, row: dict, parts: list[str]) -> str:
    """What a perfect reviser writes: a harm critique replaces the rude opener and closer with polite
    ones and keeps the answer; a helpfulness critique replaces the answer with the right fact and keeps
    the rest; a reply that follows the rule is left as it is."""
    reply = _text(parts)
    if not breaks(principle, row, reply):
        return reply
    fixed = _parts(rng, row, 0, True)
    if principle in HARM_PRINCIPLES:
        return _text([fixed[0], parts[1], fixed[2]])
    return _text([parts[0], fixed[1], parts[2]])


def _random_truth(rng: random.Random) -> tuple[int, bool]:
    # a third each of polite / mildly rude / very rude, half helpful: the critic needs every case
    return rng.choice((0, 1, 2)), rng.random() < 0.5


def make_traces(rng: random.Random, row: dict) -> list[dict]:
    """One critique, one revision and one judge trace for a request (prompt + completion + kind)."""
    out = []
    parts = _parts(rng, row, *_random_truth(rng))
    reply, principle = _text(parts), rng.choice(CONSTITUTION)
    crit = true_critique(principle, row, reply)
    out.append({"kind": "critique", "prompt": critique_prompt(row["request"], reply, principle),
                "completion": " " + crit, "principle": principle, "broken": crit != CRITIQUE_OK})
    out.append({"kind": "revision", "prompt": revision_prompt(row["request"], reply, principle, crit),
                "completion": " " + true_revision(rng, principle, row, parts), "principle": principle,
                "broken": crit != CRITIQUE_OK})
    while True:                                   # two replies of different worth under the truth
        a, b = (_text(_parts(rng, row, *_random_truth(rng))) for _ in range(2))
        ua, ub = (rp.utility(rp.rudeness(x), rp.is_helpful(row, x)) for x in (a, b))
        if ua != ub:
            break
    out.append({"kind": "judge", "prompt": judge_prompt(row["request"], a, b, JUDGE_PRINCIPLE),
                "completion": " A" if ua > ub else " B", "principle": JUDGE_PRINCIPLE, "broken": False})
    for t in out:                                 # what the truth needs to judge a model's own answer
        t.update(request=row["request"], fact=row["fact"], shop=row["shop"])
    return out


TRACE_SPLITS = ("train", "validation")     # traces; the other splits hold bare requests for the lab


@family("constitution")
def gen_constitution(world: World, rng: random.Random) -> dict[str, list[dict]]:
    """Traces (critique, revision, judge) on requests of their own, and the lab's requests: ``redteam``
    (candidates for red-teaming and the supervised phase), ``rlaif`` (pairs for the AI judge) and
    ``test`` (held out). No request repeats one of the ``replies`` family (which gpt-chat was trained on)."""
    seen = {r["request"] for rows in world.family("replies").values() for r in rows}
    sizes = SIZES["constitution"]
    requests = fill_splits(lambda split, i: rp.make_request(world, rng), sizes, key=lambda r: r["request"], seen=seen)
    out: dict[str, list[dict]] = {}
    for split, rows in requests.items():
        if split in TRACE_SPLITS:
            out[split] = [t for r in rows for t in make_traces(rng, r)]    # 3 traces per request
        else:
            out[split] = rows
    return _ids("constitution", out)
