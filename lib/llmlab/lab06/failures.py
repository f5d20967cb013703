"""Where n-gram metrics fail: the course's sentence pairs, and TinyWorld summaries whose truth is known.

    failures.COURSE_PAIRS            # (reference, candidate, same meaning?) — "Mike really loves drinking tea." ...
    failures.candidates(rows)        # per dialogue: lightly edited, paraphrase, wrong fact, negated, copied, vague
    failures.KINDS                   # kind -> would a reader accept it as a summary? (known by construction)

The "reader" here is a rule, not a person: each candidate is made by a known edit of the gold summary (or of
the dialogue), and whether a careful reader would accept it follows from the edit — a paraphrase that keeps
every fact, or the gold summary behind "In short:": yes; a changed fact, a negation, the dialogue pasted back,
a vague sentence: no.
"""
from __future__ import annotations

import random
import re
from typing import Mapping, Sequence

# (reference, candidate, does the candidate say the same thing?) — the course's examples and their kin
COURSE_PAIRS = [
    ("Mike really loves drinking tea.", "Mike really loves drinking tea.", True),
    ("Mike really loves drinking tea.", "Mike adores sipping tea.", True),
    ("Mike really loves drinking tea.", "Mike loves tea.", True),
    ("Mike really loves drinking tea.", "Mike really loves drinking coffee.", False),
    ("Mike really loves drinking tea.", "Mike really does not love drinking tea.", False),
    ("Mike really loves drinking tea.", "Drinking tea really loves Mike.", False),
    ("Mike really loves drinking tea.", "tea tea tea tea tea.", False),
    ("Mike does not drink coffee.", "Mike does drink coffee.", False),
    ("Mike does not drink coffee.", "Coffee is not something Mike drinks.", True),
    ("It is cold outside.", "It is very cold outside.", True),
    ("It is cold outside.", "It is not cold outside.", False),
    ("It is cold outside.", "The weather out there is freezing.", True),
]

# kind -> would a reader accept it as a summary of the dialogue?
KINDS = {"lightly edited": True, "paraphrase": True, "wrong fact": False, "negated": False, "copied dialogue": False,
         "vague": False}

# A second wording per topic, with the same facts (no TinyWorld summary template uses these words).
PARAPHRASES = {
    "booking": "{person} has reserved a room at {inn} for {nights}, from {day}.",
    "borrowing": "{other} lends {person} the {item}; it comes back by {day}.",
    "buying": "For {price}, {person} purchased the {item} from {shop}.",
    "complaint": "{shop} settles {person}'s grievance about the {item} with {remedy}.",
    "delivery": "{person} of {town} ordered {order} from {shop}, costing {price} altogether, due {day}.",
    "directions": "To reach {shop} in {town}, {person} is told to head past {landmark}.",
    "invitation": "{person} and {other} plan to attend the {event} on {date}; {other} contributes a {item}.",
    "job": "{shop} hires {person} as a {role} for {wage}, beginning {day}.",
    "lost item": "{person} misplaced a {item} near {place} in {town} on {day}.",
    "meeting plans": "On {day} at {time}, {person} will see {other} by {place} in {town}.",
    "repair": "Fixing the {item} of {person} costs {price}; it will be done by {day}.",
}
VAGUE = ["Two people talk and agree on what to do next.", "The dialogue is about a plan.",
         "Someone asks for help and gets an answer.", "A short conversation takes place."]
_NEGATIONS = [(r"\bwill\b", "will not"), (r"\bagree\b", "do not agree"), (r"\bbuys\b", "does not buy"),
              (r"\bgets\b", "does not get"), (r"\bpays\b", "does not pay"), (r"\basks\b", "does not ask"),
              (r"\bis\b", "is not"), (r"\bcomplains\b", "does not complain"), (r"\binvites\b", "does not invite"),
              (r"\blost\b", "did not lose"), (r"\barranges\b", "does not arrange"), (r"\bbrings\b", "does not bring"),
              (r"\breturns\b", "does not return"), (r"\btells\b", "does not tell"), (r"\bgoes\b", "does not go"),
              (r"\bbargains\b", "does not bargain"), (r"\bstarts\b", "does not start"), (r"\bgets\b", "does not get")]


def negate(summary: str) -> str | None:
    """The summary with its first matching verb negated ("buys" -> "does not buy"), or None."""
    best = None
    for pattern, repl in _NEGATIONS:
        m = re.search(pattern, summary)
        if m and (best is None or m.start() < best[0].start()):
            best = (m, repl)
    if best is None:
        return None
    m, repl = best
    return summary[:m.start()] + repl + summary[m.end():]


def wrong_fact(row: Mapping, others: Sequence[Mapping], rng: random.Random) -> str | None:
    """The gold summary with one fact (a slot value) replaced by the same slot's value in another dialogue."""
    keys = [k for k, v in row["slots"].items() if v in row["summary"]]
    rng.shuffle(keys)
    for key in keys:
        values = sorted({o["slots"][key] for o in others if key in o["slots"]} - {row["slots"][key]})
        values = [v for v in values if v not in row["summary"]]
        if values:
            return row["summary"].replace(row["slots"][key], rng.choice(values))
    return None


def candidates(rows: Sequence[Mapping], seed: int = 0) -> list[dict]:
    """Every kind of candidate for each dialogue (kinds that cannot be made for a row are skipped):
    {"id", "kind", "good", "candidate", "reference", "dialogue", "slots"}."""
    rng = random.Random(seed)
    out = []
    for row in rows:
        made = {"lightly edited": "In short: " + row["summary"],
                "paraphrase": PARAPHRASES[row["topic"]].format(**row["slots"]) if row["topic"] in PARAPHRASES
                else None,
                "wrong fact": wrong_fact(row, rows, rng),
                "negated": negate(row["summary"]),
                "copied dialogue": row["dialogue"],
                "vague": rng.choice(VAGUE)}
        for kind, text in made.items():
            if text is not None:
                out.append({"id": row["id"], "kind": kind, "good": KINDS[kind], "candidate": text,
                            "reference": row["summary"], "dialogue": row["dialogue"], "slots": row["slots"]})
    return out
