"""ReAct (Yao et al. 2022): the model alternates Thought / Action / Observation; the program runs the
action on a tool and writes the observation back into the prompt.

Actions: ``search[entity]`` (the entry's first sentence), ``lookup[word]`` (the next sentence of the
current entry that contains the word), ``finish[answer]``. A step limit stops a loop that never
finishes; an action the parser cannot read becomes an observation that says so, and the loop goes on.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from llmlab import inference
from llmlab.lab10.retrieval import BM25Retriever
from llmlab.tinyworld.knowledge import ACTIONS, lookup_sentence, react_prompt, search_doc, sentences

INVALID = "Invalid action. Use search[entity], lookup[word] or finish[answer]."


def parse_action(text: str) -> tuple[str, str] | None:
    """The first ``Action: name[argument]`` line of a model's step -> ``(name, argument)``; None if
    there is none, the name is not a known action, or the argument is empty."""
    for line in text.splitlines():
        line = line.strip()
        if not line.lower().startswith("action:"):
            continue
        m = re.fullmatch(r"action:\s*(\w+)\[(.*)\]", line, flags=re.I)
        if m is None:
            return None
        name, arg = m.group(1).lower(), m.group(2).strip()
        return (name, arg) if name in ACTIONS and arg else None
    return None


class Encyclopedia:
    """The tools over the knowledge base, with the state ReAct needs (the current entry, lookup cursor)."""

    def __init__(self, docs: list[dict], titles: BM25Retriever | None = None):
        self.docs = docs
        self.titles = titles or BM25Retriever([d["title"] for d in docs])
        self.current: dict | None = None
        self.cursor: dict[str, int] = {}

    def search(self, query: str) -> str:
        doc = search_doc(self.docs, query)
        if doc is None:
            similar = [self.docs[i]["title"] for i in self.titles.search([query], 3)[0]]
            return f"Could not find [{query}]. Similar: {similar}."
        self.current, self.cursor = doc, {}
        return sentences(doc["text"])[0]

    def lookup(self, word: str) -> str:
        if self.current is None:
            return "Search for an entry first."
        n = self.cursor.get(word.lower(), 0)
        self.cursor[word.lower()] = n + 1
        hit = lookup_sentence(self.current, word, n)
        return hit if hit is not None else "No more results."


@dataclass
class Trace:
    question: str
    steps: list[dict] = field(default_factory=list)   # thought, action (raw), observation
    answer: str | None = None
    status: str = "running"                            # finished | step limit
    malformed: int = 0


def react(model, tok, questions: list[str], docs: list[dict], max_steps: int = 6,
          parse=parse_action) -> list[Trace]:
    """Run the ReAct loop on every question, in lockstep (one batched generation per step)."""
    titles = BM25Retriever([d["title"] for d in docs])
    traces = [Trace(q) for q in questions]
    tools = [Encyclopedia(docs, titles) for _ in questions]
    for _ in range(max_steps):
        active = [i for i, t in enumerate(traces) if t.status == "running"]
        if not active:
            break
        outs = inference.complete(model, tok, [react_prompt(traces[i].question, traces[i].steps) for i in active],
                                  max_new_tokens=48, stop_at_newline=False)
        for i, out in zip(active, outs):
            t, tool = traces[i], tools[i]
            lines = out.strip().splitlines()
            thought = lines[0].strip() if lines else ""
            action_line = next((ln.strip() for ln in lines if ln.strip().lower().startswith("action:")), "Action: ?")
            parsed = parse(out)
            if parsed is None:
                t.malformed += 1
                obs = INVALID
            elif parsed[0] == "finish":
                t.answer, t.status = parsed[1], "finished"
                obs = None
            else:
                obs = tool.search(parsed[1]) if parsed[0] == "search" else tool.lookup(parsed[1])
            t.steps.append({"thought": thought, "action": action_line.split(":", 1)[1].strip(), "observation": obs})
    for t in traces:
        if t.status == "running":
            t.status = "step limit"
    return traces


def format_trace(t: Trace) -> str:
    lines = [f"Question: {t.question}"]
    for n, s in enumerate(t.steps, 1):
        lines += [f"Thought {n}: {s['thought']}", f"Action {n}: {s['action']}"]
        if s["observation"] is not None:
            lines.append(f"Observation {n}: {s['observation']}")
    lines.append(f"-> {t.status}, answer: {t.answer!r}")
    return "\n".join(lines)
