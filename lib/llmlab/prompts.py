"""Prompt formats and in-context-learning evaluation: what the zoo is trained and scored with.

    from llmlab import prompts
    prompts.prompt("sentiment", text)                          # the canonical zero-shot prompt
    prompts.few_shot_prompts("sentiment", queries, pool, k=4, seed=0)
    prompts.few_shot_eval(model, tok, "sentiment", ks=[0, 1, 2, 4], n=100)
    prompts.fit_to_window(tok, prompt, 256, 48)                # what left truncation drops

A few-shot prompt is ``k`` solved examples ("shots") in a task's canonical format, separated by a
blank line, followed by the query in the same format with its answer left open::

    Classify this review: Great kettle.\\nSentiment: positive\\n\\nClassify this review: ...\\nSentiment:

Zero-shot (``k = 0``) is exactly ``prompt(task, text)``, the format the zoo models are evaluated
with. Shots are drawn from the task's training split with a seeded ``random.Random``, so every run
(and every model) sees the same prompts. The zoo (training data and evaluations) and Lab 01 both
use this module, so it lives in the core.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from llmlab import inference, metrics, tinyworld

Row = Mapping[str, Any]

# ---- prompt formats shared by training data, evaluations and the labs -------------------------
PROMPTS = {
    "sentiment": "Classify this review: {input}\nSentiment:",
    "summarize": "Summarize the dialogue:\n{input}\nSummary:",
    "translate": "Translate to Toy: {input}\nToy:",
    "qa": "Answer the question: {input}\nAnswer:",
}
T5_PREFIX = {"summarize": "summarize: ", "translate": "translate English to Toy: "}


def prompt(task: str, text: str) -> str:
    """The canonical zero-shot prompt of a task, as the base and instruct models are evaluated."""
    return PROMPTS[task].format(input=text)


def instruction_prompt(instruction: str, text: str) -> str:
    """How the instruction-tuned model sees a request (any phrasing of the instruction)."""
    return f"{instruction.strip()}\n{text}\nResponse:"


# ----------------------------------------------------------------------------------------------
# tasks and prompt building


@dataclass(frozen=True)
class Task:
    """A TinyWorld task as the lab prompts it: which data family, fields and answer length."""
    name: str                 # key of PROMPTS ("sentiment", "summarize")
    family: str               # TinyWorld data family
    input_key: str            # field that fills {input}
    output_key: str           # field that is the answer
    max_new_tokens: int       # answer budget when generating
    instruction: str          # how gpt-instruct is asked (instruction_prompt)
    sep: str = "\n\n"         # between shots
    label_key: str | None = None  # balance shots over this field (both labels shown when k >= 2)

    def query(self, text: str, style: str = "canonical") -> str:
        """The prompt for one input, answer left open."""
        if style == "canonical":
            return prompt(self.name, text)
        if style == "instruction":
            return instruction_prompt(self.instruction, text)
        raise ValueError(f"unknown prompt style {style!r}: use 'canonical' or 'instruction'")

    def example(self, row: Row, style: str = "canonical") -> str:
        """One solved example (a shot): the query followed by its answer."""
        return f"{self.query(row[self.input_key], style)} {row[self.output_key]}"


TASKS: dict[str, Task] = {
    "sentiment": Task("sentiment", "reviews", "text", "label", max_new_tokens=3,
                      instruction="Classify this review:", label_key="label"),
    "summarize": Task("summarize", "dialogsum", "dialogue", "summary", max_new_tokens=48,
                      instruction="Summarize the dialogue:"),
}


def get_task(task: str | Task) -> Task:
    if isinstance(task, Task):
        return task
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    return TASKS[task]


def draw_shots(pool: Sequence[Row], k: int, rng: random.Random, label_key: str | None = None) -> list[Row]:
    """``k`` distinct examples from ``pool``; with ``label_key`` and k >= 2, at least two labels appear."""
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if k > len(pool):
        raise ValueError(f"cannot draw {k} shots from a pool of {len(pool)}")
    shots = rng.sample(list(pool), k)
    if label_key and k >= 2 and len({s[label_key] for s in shots}) < 2:
        others = [r for r in pool if r[label_key] != shots[0][label_key]]
        if others:
            shots[rng.randrange(k)] = rng.choice(others)
    return shots


def build_prompt(task: str | Task, query: str, shots: Sequence[Row] = (), style: str = "canonical") -> str:
    """``len(shots)`` solved examples, then the query with its answer left open."""
    t = get_task(task)
    return t.sep.join([t.example(s, style) for s in shots] + [t.query(query, style)])


def few_shot_prompts(task: str | Task, queries: Sequence[Row], pool: Sequence[Row], k: int, *,
                     seed: int = 0, style: str = "canonical") -> list[str]:
    """One k-shot prompt per query row, shots drawn (seeded by ``seed`` and ``k``) from ``pool``."""
    t = get_task(task)
    rng = random.Random(seed * 1009 + k)
    return [build_prompt(t, q[t.input_key], draw_shots(pool, k, rng, t.label_key), style) for q in queries]


# ----------------------------------------------------------------------------------------------
# tokens and the context window


def show_tokens(tok: PreTrainedTokenizerBase, text: str) -> list[str]:
    """The pieces a text is cut into, as strings (a leading space belongs to the piece)."""
    return [tok.decode([i]) for i in tok(text, add_special_tokens=False)["input_ids"]]


def token_stats(tok: PreTrainedTokenizerBase, texts: Iterable[str]) -> dict[str, float]:
    """Characters, words and tokens of some texts, and the ratios the "≈4 chars/token" rule is about."""
    texts = list(texts)
    ids = tok(texts, add_special_tokens=False)["input_ids"]
    chars = sum(len(t) for t in texts)
    words = sum(len(t.split()) for t in texts)
    tokens = sum(len(x) for x in ids)
    return {"texts": len(texts), "chars": chars, "words": words, "tokens": tokens,
            "chars_per_token": chars / max(1, tokens), "tokens_per_word": tokens / max(1, words)}


def window_of(model: PreTrainedModel, tok: PreTrainedTokenizerBase | None = None) -> int:
    """The context window in tokens (GPT-2: ``n_positions``)."""
    for attr in ("n_positions", "max_position_embeddings"):
        if getattr(model.config, attr, None):
            return int(getattr(model.config, attr))
    return int(tok.model_max_length) if tok is not None else 512


@dataclass(frozen=True)
class WindowFit:
    prompt_tokens: int        # tokens in the whole prompt
    budget: int               # window - max_new_tokens: room left for the prompt
    dropped_tokens: int       # tokens cut from the start (0 if it fits)
    dropped_text: str         # what the model never sees
    kept_text: str            # what it does see

    @property
    def fits(self) -> bool:
        return self.dropped_tokens == 0


def fit_to_window(tok: PreTrainedTokenizerBase, prompt: str, window: int, max_new_tokens: int) -> WindowFit:
    """What ``llmlab.inference.complete`` feeds the model: the last ``window - max_new_tokens`` tokens."""
    ids = tok(prompt, add_special_tokens=False)["input_ids"]
    budget = max(1, window - max_new_tokens)
    cut = max(0, len(ids) - budget)
    return WindowFit(len(ids), budget, cut, tok.decode(ids[:cut]), tok.decode(ids[cut:]))


def prompt_lengths(tok: PreTrainedTokenizerBase, prompts: Sequence[str]) -> list[int]:
    return [len(x) for x in tok(list(prompts), add_special_tokens=False)["input_ids"]]


def count_truncated(tok: PreTrainedTokenizerBase, prompts: Sequence[str], window: int, max_new_tokens: int) -> int:
    """How many prompts lose their first tokens because prompt + answer exceed the window."""
    budget = max(1, window - max_new_tokens)
    return sum(n > budget for n in prompt_lengths(tok, prompts))


# ----------------------------------------------------------------------------------------------
# scoring and few-shot evaluation


def first_word(text: str) -> str:
    """The first word of a generated answer, lower-cased, punctuation stripped ('' if none)."""
    words = text.strip().split()
    return words[0].strip(".,;:!?\"'").lower() if words else ""


def score(task: str | Task, predictions: Sequence[str], rows: Sequence[Row]) -> dict[str, float]:
    """Sentiment: accuracy (first word == label) and how often the answer is a label word at all.
    Summaries: ROUGE-L and slot accuracy (facts copied verbatim)."""
    t = get_task(task)
    golds = [r[t.output_key] for r in rows]
    if t.label_key:
        words = [first_word(p) for p in predictions]
        labels = {str(g).lower() for g in golds}
        n = max(1, len(rows))
        return {"accuracy": sum(w == str(g).lower() for w, g in zip(words, golds)) / n,
                "label_word_rate": sum(w in labels for w in words) / n}
    return {"rougeL": metrics.rouge(predictions, golds)["rougeL"],
            "slot_acc": metrics.slot_accuracy(predictions, [r["slots"] for r in rows])}


def few_shot_eval(model: PreTrainedModel, tok: PreTrainedTokenizerBase, task: str | Task, ks: Sequence[int],
                  n: int, *, seed: int = 0, split: str = "test", pool_split: str = "train",
                  style: str = "canonical", batch_size: int = 50) -> list[dict[str, Any]]:
    """Score ``model`` on the first ``n`` held-out rows with k-shot prompts, for each k in ``ks``.

    Returns one row per k: ``k``, the scores of ``score``, ``truncated`` (prompts that lost
    their start to the context window), ``mean_prompt_tokens`` and ``n``. Greedy decoding.
    """
    t = get_task(task)
    queries, pool = tinyworld.rows(t.family, split)[:n], tinyworld.rows(t.family, pool_split)
    return few_shot_eval_on(model, tok, t, ks, queries, pool, seed=seed, style=style, batch_size=batch_size)


def few_shot_eval_on(model: PreTrainedModel, tok: PreTrainedTokenizerBase, task: str | Task, ks: Sequence[int],
                     queries: Sequence[dict], pool: Sequence[dict], *, seed: int = 0, style: str = "canonical",
                     batch_size: int = 50) -> list[dict[str, Any]]:
    """``few_shot_eval`` on given rows: ``queries`` answered with k shots drawn from ``pool``."""
    t = get_task(task)
    window = window_of(model, tok)
    out = []
    for k in ks:
        prompts = few_shot_prompts(t, queries, pool, k, seed=seed, style=style)
        preds = inference.complete(model, tok, prompts, max_new_tokens=t.max_new_tokens, batch_size=batch_size)
        lengths = prompt_lengths(tok, prompts)
        out.append({"k": k, **score(t, preds, queries),
                    "truncated": sum(x > window - t.max_new_tokens for x in lengths),
                    "mean_prompt_tokens": sum(lengths) / len(lengths), "n": len(queries)})
    return out
