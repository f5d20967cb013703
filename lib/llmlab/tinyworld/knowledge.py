"""What a retrieval-augmented model and a ReAct agent need: the ``rag`` family.

TinyWorld's encyclopedia (the ``facts`` family) is what every zoo model was pretrained on. This
family moves the world on *after* that "training cut-off":

- ``docs``: the knowledge base as it is *now*: every encyclopedia entity, some of them with one
  fact changed (``source: "update"``: a price went up, a shop closes on another day, a town has a
  new mayor ...), plus people the models never saw (``source: "new"``).
- ``test`` / ``validation`` rows, by ``kind``:
  ``updated`` (a question whose answer changed; ``old`` is the answer before the cut-off),
  ``unseen`` (a question about a new person), ``multihop`` (two hops through the encyclopedia, e.g.
  "Who is the mayor of the town where X lives?", with the ReAct trace that answers it).
- ``train`` rows that teach a small model the three skills Lab 10 uses:
  ``reader`` (answer from retrieved chunks; many about invented people, so the answer can only be
  read, not remembered), ``closed`` (answer with no context: the world *before* the cut-off) and
  ``react`` (Thought / Action / Observation traces).

The knowledge base stores one statement per fact ("The price of the tin lamp is 14 coins.", see ``FIELDS``):
a storage format chosen so that a 0.7M-parameter model can find an answer by the question's own words.

The prompt formats and the ReAct tools' semantics (``search`` shows an entry's first sentence,
``lookup`` the next sentence of the current entry that contains a word) live here, beside the data,
because the zoo trains on them and Lab 10 runs them.
"""
from __future__ import annotations

import random
import re

from llmlab.tinyworld.encyclopedia import all_entities, entity_slots, entity_title
from llmlab.tinyworld.registry import SIZES, family
from llmlab.tinyworld.words import fmt
from llmlab.tinyworld.world import World, invent_name

SENTENCES_PER_CHUNK = 3
CHANGEABLE = {"product": ["price"], "shop": ["day_off", "hours"], "town": ["mayor", "population"],
              "person": ["identity"]}   # identity of a person: the job changes (the town stays)
# The knowledge base's storage format: one statement per fact, "The <attribute> of <subject> is <value>.",
# the first naming the entity's town (what a multi-hop question hops through). A question asks for one
# attribute and the answer opens with the statement's words ("The price of the lamp is"), so reading an
# answer is copying what follows a phrase found in the context: a skill a 2-layer model learns quickly
# (an induction head), where free prose ("It sells for ...", "It costs ...") would need far more training.
FIELDS = {
    "person": [("town", "home town"), ("job", "job"), ("age", "age"), ("month", "birth month"), ("hobby", "hobby"),
               ("pet", "pet"), ("pet_name", "pet's name"), ("friend", "closest friend"),
               ("fav", "most treasured possession")],
    "town": [("region", "region"), ("mayor", "mayor"), ("river", "river"), ("founded", "founding year"),
             ("population", "population")],
    "shop": [("town", "town"), ("kind", "kind"), ("owner", "owner"), ("open", "opening time"),
             ("close", "closing time"),
             ("day_off", "closing day"), ("opened", "opening year")],
    "product": [("town", "town"), ("shop", "shop"), ("price", "price"), ("maker", "maker"), ("colour", "colour"),
                ("category", "category")],
    "event": [("town", "town"), ("date", "date"), ("organizer", "organiser"), ("first", "first year")],
}
WHO = {"mayor", "owner", "friend", "maker", "organizer"}
ACTIONS = ("search", "lookup", "finish")


# ---- formats shared by the zoo recipe and the lab ------------------------------------------------
def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=\.)\s+", text.strip()) if s]


def chunk_doc(doc: dict, size: int = SENTENCES_PER_CHUNK) -> list[dict]:
    """Split a document into chunks of ``size`` sentences, each prefixed with the title (a chunk
    that says "He is 46 years old." is useless without the name it is about)."""
    sents = sentences(doc["text"])
    return [{"id": f"{doc['id']}#{i}", "doc_id": doc["id"], "title": doc["title"],
             "text": f"{doc['title']}: " + " ".join(sents[j:j + size])}
            for i, j in enumerate(range(0, len(sents), size))]


def rag_prompt(question: str, chunks: list[str], prefix: str = "") -> str:
    """Retrieved chunks, the question, and the answer's opening words (``prefix``, see ``fact``)."""
    context = "\n".join(f"[{i + 1}] {c}" for i, c in enumerate(chunks))
    return f"Context:\n{context}\nQuestion: {question}\nAnswer:" + (f" {prefix}" if prefix else "")


def closed_book_prompt(question: str, prefix: str = "") -> str:
    return f"Question: {question}\nAnswer:" + (f" {prefix}" if prefix else "")


def react_prompt(question: str, steps: list[dict]) -> str:
    """The question and the steps so far; the model continues with " <thought>\\nAction: ...\\n"."""
    lines = [f"Question: {question}"]
    for s in steps:
        lines += [f"Thought: {s['thought']}", f"Action: {s['action']}"]
        if s.get("observation") is not None:
            lines.append(f"Observation: {s['observation']}")
    return "\n".join(lines) + "\nThought:"


def react_target(step: dict) -> str:
    return f" {step['thought']}\nAction: {step['action']}\n"


def search_doc(docs: list[dict], query: str) -> dict | None:
    """The entry whose title is ``query`` (case and a leading "the" ignored), else None."""
    norm = lambda s: re.sub(r"^the\s+", "", s.strip().lower())   # noqa: E731
    q = norm(query)
    return next((d for d in docs if norm(d["title"]) == q), None)


def lookup_sentence(doc: dict, word: str, seen: int = 0) -> str | None:
    """The ``seen``-th sentence after the first one of ``doc`` that contains ``word``."""
    hits = [s for s in sentences(doc["text"])[1:] if word.lower() in s.lower()]
    return hits[seen] if seen < len(hits) else None


# ---- the world after the cut-off -------------------------------------------------------------------
def _changed(world: World, kind: str, e: dict, facet: str, rng: random.Random) -> tuple[dict, str]:
    """A copy of ``e`` with ``facet`` changed, and the field whose answer changed."""
    e2 = dict(e)
    if kind == "product":
        # never clamp back onto the old price (a cheap product cannot drop by 5 coins)
        e2["price"] = rng.choice([p for p in (e["price"] + d for d in (-5, -4, -3, 3, 4, 6, 8, 11)) if p >= 2])
        return e2, "price"
    if kind == "shop" and facet == "day_off":
        e2["day_off"] = rng.choice([d for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                                "Saturday", "Sunday") if d != e["day_off"]])
        return e2, "day_off"
    if kind == "shop":
        e2["close"] = rng.choice([h for h in range(4, 10) if h != e["close"]])
        return e2, "close"
    if kind == "town" and facet == "mayor":
        e2["mayor"] = rng.choice([p["name"] for p in world.people if p["name"] != e["mayor"]])
        return e2, "mayor"
    if kind == "town":
        e2["population"] = e["population"] + rng.randrange(1000, 9000, 50)
        return e2, "population"
    e2["job"] = rng.choice(sorted({p["job"] for p in world.people} - {e["job"]}))
    return e2, "job"


def subject(kind: str, e: dict) -> str:
    return f"the {e['name']}" if kind in ("product", "event") else e["name"]


def fact(world: World, kind: str, e: dict, field: str) -> dict | None:
    """One fact as ``{question, prefix, answer, statement}``, or None if the entity lacks it."""
    value = entity_slots(world, kind, e).get(field)
    if value in (None, ""):
        return None
    attr = dict(FIELDS[kind])[field]
    prefix = f"The {attr} of {subject(kind, e)} is"
    question = f"{'Who' if field in WHO else 'What'} is the {attr} of {subject(kind, e)}?"
    return {"question": question, "prefix": prefix, "answer": str(value), "statement": f"{prefix} {value}.",
            "field": field}


def record(world: World, kind: str, e: dict) -> str:
    """An entity's entry in the knowledge base: one statement per fact, the town first."""
    return " ".join(f["statement"] for f, _ in ((fact(world, kind, e, k), k) for k, _ in FIELDS[kind]) if f)


def _new_people(world: World, rng: random.Random, n: int, taken: set[str], prefix: str = "new") -> list[dict]:
    """People who are in no pretraining text: fresh names, attributes drawn from the world's."""
    out = []
    lows = {w.lower() for p in world.people for w in (p["first"], p["last"])} | taken
    while len(out) < n:
        first, last = invent_name(rng), invent_name(rng, last=True)
        if first.lower() in lows or last.lower() in lows or not (3 <= len(first) <= 9):
            continue
        lows |= {first.lower(), last.lower()}
        p = dict(rng.choice(world.people))
        pick_from = lambda field: rng.choice([q[field] for q in world.people if q[field]])   # noqa: E731
        p.update(id=f"{prefix}-person-{len(out):03d}", first=first, last=last, name=f"{first} {last}",
                 age=rng.randint(18, 84), town=rng.choice(world.towns)["name"], job=pick_from("job"),
                 hobby=pick_from("hobby"), month=pick_from("month"), fav=pick_from("fav"), pet=pick_from("pet"),
                 pet_name=invent_name(rng), friend=rng.choice(world.people)["name"], shop=None)
        out.append(p)
    return out


# multi-hop: entity -> its town (its first statement names it) -> a fact of the town
HOPS = {
    "mayor": "Who is the mayor of the town where {x}?",
    "river": "Which river flows through the town where {x}?",
    "region": "Which region is the town where {x} in?",   # the town's first statement
}
WHERE = {"person": "{name} lives", "shop": "{name} is", "product": "the {name} is sold"}


def _trace(world: World, docs: dict[str, dict], now: dict[str, dict], kind: str, e: dict, hop: str) -> dict:
    town = now.get(world.by_name[e["town"]]["id"], world.by_name[e["town"]])   # after the cut-off
    tdoc, edoc = docs[town["id"]], docs[e["id"]]
    x = fmt(WHERE[kind], name=e["name"])
    steps = [{"thought": f"I need to find the town where {x}.", "action": f"search[{entity_title(kind, e)}]",
              "observation": sentences(edoc["text"])[0]},
             {"thought": f"It is {town['name']}. I need to search {town['name']}.", "action": f"search[{town['name']}]",
              "observation": sentences(tdoc["text"])[0]}]
    if hop != "region":
        steps.append({"thought": f"I need to look up the {hop}.", "action": f"lookup[{hop}]",
                      "observation": lookup_sentence(tdoc, hop)})
    answer = town[hop]
    steps.append({"thought": f"The answer is {answer}.", "action": f"finish[{answer}]", "observation": None})
    assert town["name"] in steps[0]["observation"] and answer in steps[-2]["observation"], steps
    return {"kind": "multihop", "question": fmt(HOPS[hop], x=x), "answer": answer, "doc_id": town["id"],
            "hops": [e["id"], town["id"]], "steps": steps}


def _reader_row(q: dict, chunks: list[dict], all_chunks: list[dict], rng: random.Random) -> dict | None:
    """A reader example: the gold chunk among up to three others (siblings of the same entry included)."""
    gold = [c for c in chunks if q["statement"] in c["text"]]
    if not gold:
        return None
    k = rng.choice([1, 2, 2, 3, 3])
    siblings = [c for c in chunks if c is not gold[0]]
    others = rng.sample(siblings, min(len(siblings), rng.randint(0, 1)))
    others += [c for c in rng.sample(all_chunks, 4) if c["doc_id"] != gold[0]["doc_id"]]
    ctx = [gold[0]] + others[:k - 1]
    rng.shuffle(ctx)
    return {"kind": "reader", "question": q["question"], "prefix": q["prefix"], "answer": q["answer"],
            "chunks": [c["text"] for c in ctx]}


@family("rag")
def gen_rag(world: World, rng: random.Random) -> dict[str, list[dict]]:
    entities = all_entities(world)
    sizes = SIZES["rag"]
    n_each = sizes["test"] // 3 + sizes["validation"] // 3

    # 1. the world after the cut-off: one fact changed for some entities, and people nobody has seen
    candidates = [(k, e) for k, e in entities if k in CHANGEABLE]
    changed: dict[str, tuple[str, dict, dict, str]] = {}
    for kind, e in rng.sample(candidates, n_each):
        e2, field = _changed(world, kind, e, rng.choice(CHANGEABLE[kind]), rng)
        changed[e["id"]] = (kind, e, e2, field)
    new_people = _new_people(world, rng, n_each, set())
    docs, current = [], {}
    for kind, e in entities + [("person", p) for p in new_people]:
        now = changed[e["id"]][2] if e["id"] in changed else e
        source = "update" if e["id"] in changed else "new" if e["id"].startswith("new-") else "encyclopedia"
        d = {"id": e["id"], "title": entity_title(kind, e), "text": record(world, kind, now), "source": source}
        docs.append(d)
        current[e["id"]] = d
    updated = [dict(fact(world, kind, e2, field), kind="updated", old=fact(world, kind, e, field)["answer"], doc_id=eid)
               for eid, (kind, e, e2, field) in changed.items()]
    unseen = []
    for p in new_people:
        f = fact(world, "person", p, rng.choice([k for k, _ in FIELDS["person"] if k != "town"]))
        unseen.append(dict(f, kind="unseen", doc_id=p["id"]))

    # 2. multi-hop questions with their ReAct traces, over the current knowledge base
    now = {i: c[2] for i, c in changed.items()}
    traces = [_trace(world, current, now, kind, e, hop) for kind, e in entities if kind in WHERE for hop in HOPS]
    rng.shuffle(traces)
    held_traces, train_traces = traces[:n_each], traces[n_each:]

    # 3. train rows. reader: facts of the world *before* the cut-off and of invented people (whose facts can
    # only be read, not remembered); closed: questions with no context, answered as before the cut-off; react
    old_chunks = {e["id"]: chunk_doc({"id": e["id"], "title": entity_title(k, e), "text": record(world, k, e)})
                  for k, e in entities}
    pretend = _new_people(world, rng, 700, {w.lower() for p in new_people for w in (p["first"], p["last"])},
                          prefix="invented")
    for p in pretend:
        old_chunks[p["id"]] = chunk_doc({"id": p["id"], "title": p["name"], "text": record(world, "person", p)})
    all_chunks = [c for cs in old_chunks.values() for c in cs]
    train = []
    # a fact held out by the `facts` family (Lab 06's benchmark asks it) is never trained on here, in any wording
    held_out = {(q["doc_id"], q["answer"]) for s in ("validation", "test") for q in world.family("facts")[s]}
    trainable = lambda x: x[2] is not None and (x[1]["id"], x[2]["answer"]) not in held_out  # noqa: E731
    old_facts = [x for x in [(k, e, fact(world, k, e, f)) for k, e in entities for f, _ in FIELDS[k]] if trainable(x)]
    for k, e, q in rng.sample(old_facts, 1200):
        row = _reader_row(q, old_chunks[e["id"]], all_chunks, rng)
        if row:
            train.append(row)
    for p in pretend:
        for f in rng.sample([k for k, _ in FIELDS["person"]], 3):
            row = _reader_row(fact(world, "person", p, f), old_chunks[p["id"]], all_chunks, rng)
            if row:
                train.append(row)
    closed = rng.sample(old_facts, 400) + [x for x in [(k, e, fact(world, k, e, f)) for k, e, _, f in changed.values()]
                                           if trainable(x)]
    for k, e, q in closed:
        train.append({"kind": "closed", "question": q["question"], "prefix": q["prefix"], "answer": q["answer"]})
    for t in train_traces:
        train.append({"kind": "react", "question": t["question"], "answer": t["answer"], "steps": t["steps"]})
    rng.shuffle(train)

    n_val = sizes["validation"] // 3
    out = {"docs": docs, "train": train,
           "validation": updated[:n_val] + unseen[:n_val] + held_traces[:n_val],
           "test": updated[n_val:] + unseen[n_val:] + held_traces[n_val:]}
    for split in ("train", "validation", "test"):
        for i, r in enumerate(out[split]):
            r["id"] = f"rag-{split}-{i:05d}"
    return out
