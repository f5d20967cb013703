"""A small orchestrator: what frameworks such as LangChain provide, in ~80 lines.

- ``PromptTemplate``: a string with named slots, and the slots it needs.
- ``Memory``: the last few turns of a conversation, rendered into the next prompt.
- ``Tool``: a named function the application (or an agent) can call.
- ``LLM``: the model behind one call, ``llm(prompt) -> text`` (greedy, one prompt at a time).
- ``Chain``: steps run in order, each taking the previous one's output; ``a | b`` composes.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any, Callable

from llmlab import inference


@dataclass(frozen=True)
class PromptTemplate:
    template: str

    @property
    def variables(self) -> list[str]:
        return [name for _, name, _, _ in string.Formatter().parse(self.template) if name]

    def format(self, **values: Any) -> str:
        missing = set(self.variables) - set(values)
        if missing:
            raise KeyError(f"the template needs {sorted(missing)}")
        return self.template.format(**values)


@dataclass
class Memory:
    """A window of the last ``turns`` exchanges (the simplest of LangChain's memories)."""
    turns: int = 3
    history: list[tuple[str, str]] = field(default_factory=list)

    def add(self, user: str, assistant: str) -> None:
        self.history = (self.history + [(user, assistant)])[-self.turns:]

    def render(self) -> str:
        return "".join(f"User: {u}\nAssistant: {a}\n" for u, a in self.history)


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    fn: Callable[[str], str]

    def __call__(self, arg: str) -> str:
        return self.fn(arg)


@dataclass
class LLM:
    model: Any
    tok: Any
    max_new_tokens: int = 12

    def __call__(self, prompt: str) -> str:
        return inference.complete(self.model, self.tok, [prompt], max_new_tokens=self.max_new_tokens, batch_size=1)[0]


@dataclass
class Chain:
    steps: list[Callable[[Any], Any]]

    def __or__(self, other: Callable[[Any], Any] | "Chain") -> "Chain":
        return Chain(self.steps + (other.steps if isinstance(other, Chain) else [other]))

    def __call__(self, x: Any) -> Any:
        for step in self.steps:
            x = step(x)
        return x


def rag_chain(llm: LLM, retriever, chunks: list[dict], k: int, template: PromptTemplate) -> Chain:
    """question -> {question, context} -> prompt -> answer: retrieval-augmented generation as a chain."""
    def retrieve(question: str) -> dict:
        ids = retriever.search([question], k)[0]
        context = "\n".join(f"[{n + 1}] {chunks[i]['text']}" for n, i in enumerate(ids))
        return {"question": question, "context": context}
    return Chain([retrieve, lambda slots: template.format(**slots), llm, str.strip])
