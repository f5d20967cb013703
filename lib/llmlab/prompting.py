"""Prompting and decoding experiments for Lab 01: tokens, the context window, in-context
learning (zero/one/few-shot), decoding sweeps and the next-token explorer.

    from llmlab import prompting
    prompting.token_stats(tok, texts)                          # chars/token, tokens/word
    prompting.fit_to_window(tok, prompt, 256, 48)              # what left truncation drops
    prompting.few_shot_prompts("sentiment", queries, pool, k=4, seed=0)
    prompting.few_shot_eval(model, tok, "sentiment", ks=[0, 1, 2, 4], n=100)
    prompting.decoding_sweep(model, tok, prompts, refs, [{"temperature": 0.7}, {"top_p": 0.9}])
    prompting.repetition_effect(model, tok, prompts, penalties=[1.0, 1.3])
    prompting.next_token_explorer(model, tok, "Pamen bought a")   # static figure + sliders

A few-shot prompt is ``k`` solved examples ("shots") in a task's canonical format, separated by a
blank line, followed by the query in the same format with its answer left open::

    Classify this review: Great kettle.\\nSentiment: positive\\n\\nClassify this review: ...\\nSentiment:

Zero-shot (``k = 0``) is exactly ``llmlab.zoo.prompt(task, text)``, the format the zoo models are
evaluated with. Shots are drawn from the task's training split with a seeded ``random.Random``,
so every run (and every model) sees the same prompts.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import torch
from torch import Tensor
from transformers import LogitsProcessorList, PreTrainedModel, PreTrainedTokenizerBase

from llmlab import data as tw_data
from llmlab import inference, metrics, sampling, zoo

Row = Mapping[str, Any]

# ----------------------------------------------------------------------------------------------
# tasks and prompt building


@dataclass(frozen=True)
class Task:
    """A TinyWorld task as the lab prompts it: which data family, fields and answer length."""
    name: str                 # key of llmlab.zoo.PROMPTS ("sentiment", "summarize")
    family: str               # TinyWorld data family
    input_key: str            # field that fills {input}
    output_key: str           # field that is the answer
    max_new_tokens: int       # answer budget when generating
    instruction: str          # how gpt-instruct is asked (llmlab.zoo.instruction_prompt)
    sep: str = "\n\n"         # between shots
    label_key: str | None = None  # balance shots over this field (both labels shown when k >= 2)

    def query(self, text: str, style: str = "canonical") -> str:
        """The prompt for one input, answer left open."""
        if style == "canonical":
            return zoo.prompt(self.name, text)
        if style == "instruction":
            return zoo.instruction_prompt(self.instruction, text)
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
    queries = tw_data.rows(t.family, split)[:n]
    pool = tw_data.rows(t.family, pool_split)
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


# ----------------------------------------------------------------------------------------------
# decoding experiments


def generate_texts(model: PreTrainedModel, tok: PreTrainedTokenizerBase, prompts: Sequence[str], *,
                   processors: LogitsProcessorList | None = None, do_sample: bool = False,
                   max_new_tokens: int = 48, seed: int = 0, stop_at_newline: bool = True,
                   batch_size: int = 64) -> list[str]:
    """Continuations of ``prompts`` with extra logits processors (e.g. ``sampling.processors(...)``).

    Sampling draws from torch's global RNG, seeded with ``seed`` first, so a call is reproducible.
    """
    torch.manual_seed(seed)
    kwargs: dict[str, Any] = {"do_sample": do_sample}
    if processors:
        kwargs["logits_processor"] = processors
    return inference.complete(model, tok, list(prompts), max_new_tokens=max_new_tokens,
                              stop_at_newline=stop_at_newline, batch_size=batch_size, **kwargs)


def setting_name(setting: Mapping[str, Any]) -> str:
    """'greedy', 'T=0.7', 'top-p=0.9', 'top-k=5', combined with ', '."""
    if not setting or setting.get("greedy"):
        return "greedy"
    short = {"temperature": "T", "top_k": "top-k", "top_p": "top-p", "repetition_penalty": "rep"}
    return ", ".join(f"{short.get(k, k)}={v:g}" for k, v in setting.items() if k in short)


def decoding_sweep(model: PreTrainedModel, tok: PreTrainedTokenizerBase, prompts: Sequence[str],
                   references: Sequence[str], settings: Sequence[Mapping[str, Any]], *, samples: int = 4,
                   max_new_tokens: int = 48, n: int = 2, seed: int = 0,
                   impl: Mapping[str, Callable[..., Tensor]] | None = None) -> list[dict[str, Any]]:
    """Quality against diversity for each decoding setting.

    Each prompt is continued ``samples`` times. ``quality``: mean ROUGE-L of every continuation
    against its reference. ``diversity``: distinct-n among the continuations of one prompt (1.0:
    no n-gram shared; greedy repeats itself exactly, so it scores 1/samples), averaged over
    prompts. A setting is a dict of ``sampling.processors`` arguments, or ``{"greedy": True}``.
    ``impl`` swaps in other implementations (a student's) by name.
    """
    rows = []
    repeated = [p for p in prompts for _ in range(samples)]           # (P * samples,) prompt-major
    refs = [r for r in references for _ in range(samples)]
    for setting in settings:
        greedy = not setting or bool(setting.get("greedy"))
        procs = None if greedy else sampling.processors(**{k: v for k, v in setting.items() if k != "greedy"},
                                                        impl=impl)
        texts = generate_texts(model, tok, repeated, processors=procs, do_sample=not greedy,
                               max_new_tokens=max_new_tokens, seed=seed)
        groups = [texts[i:i + samples] for i in range(0, len(texts), samples)]   # (P, samples)
        rows.append({"setting": setting_name(setting), **{k: v for k, v in setting.items()},
                     "quality": metrics.rouge(texts, refs)["rougeL"],
                     "diversity": sum(sampling.distinct_n(g, n) for g in groups) / len(groups),
                     "example": groups[0][0]})
    return rows


def repetition_effect(model: PreTrainedModel, tok: PreTrainedTokenizerBase, prompts: Sequence[str],
                      penalties: Sequence[float], *, max_new_tokens: int = 60, n: int = 3,
                      fn: Callable[..., Tensor] = sampling.repetition_penalty) -> list[dict[str, Any]]:
    """Greedy open-ended continuations under each repetition penalty (1.0 = none).

    ``repeated``: the mean fraction of each continuation's word n-grams that already occurred in
    it (``sampling.repeated_ngram_rate``); ``distinct``: distinct-n over all continuations.
    ``fn`` is the penalty implementation plugged in with ``sampling.as_processor``.
    """
    rows = []
    for penalty in penalties:
        procs = LogitsProcessorList([sampling.as_processor(fn, penalty=penalty)]) if penalty != 1.0 else None
        texts = generate_texts(model, tok, prompts, processors=procs, max_new_tokens=max_new_tokens,
                               stop_at_newline=False)
        rows.append({"penalty": penalty,
                     "repeated": sum(sampling.repeated_ngram_rate(t, n) for t in texts) / len(texts),
                     "distinct": sampling.distinct_n(texts, n), "example": texts[0]})
    return rows


# ----------------------------------------------------------------------------------------------
# the next-token explorer


@torch.no_grad()
def next_token_logits(model: PreTrainedModel, tok: PreTrainedTokenizerBase, prompt: str) -> Tensor:
    """The model's scores (V,) for the token after ``prompt``."""
    model.eval()
    device = next(model.parameters()).device
    ids = tok(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"][:, -window_of(model, tok):]
    return model(input_ids=ids.to(device)).logits[0, -1].float().cpu()  # (V,)


def plot_next_token(logits: Tensor, tok: PreTrainedTokenizerBase | None = None, *, temperature: float = 1.0,
                    top_k: int | None = None, top_p: float | None = None, n: int = 12, ax: Any = None,
                    title: str | None = None) -> Any:
    """Bars of the ``n`` most likely next tokens after temperature; kept tokens coloured, dropped grey.

    The bar height is the probability after temperature (what top-k/top-p look at); the label
    above a kept bar is its probability after the cut-off, renormalised (what is sampled).
    """
    import matplotlib.pyplot as plt

    logits = logits.reshape(-1).float()                                        # (V,)
    scaled = sampling.temperature(logits[None], temperature)[0]                # (V,)
    probs = scaled.softmax(-1)                                                 # (V,)
    kept = sampling.kept_mask(logits, temperature=temperature, top_k=top_k, top_p=top_p)  # (V,)
    final = torch.where(kept, probs, torch.zeros_like(probs))
    final = final / final.sum()
    rows = sampling.next_token_table(probs, tok, n=n, kept=kept)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    names = [repr(r["token"])[1:-1] or "∅" for r in rows]
    colors = ["tab:green" if r["kept"] else "lightgrey" for r in rows]
    ax.bar(range(len(rows)), [r["prob"] for r in rows], color=colors, edgecolor="black", linewidth=0.5)
    for i, r in enumerate(rows):
        if r["kept"]:
            ax.text(i, r["prob"], f"{final[r['id']]:.2f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(rows)), names, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("probability")
    ax.set_ylim(0, max(r["prob"] for r in rows) * 1.2 + 1e-6)
    settings = [f"T={temperature:g}"] + ([f"top-k={top_k}"] if top_k else []) + \
               ([f"top-p={top_p:g}"] if top_p is not None and top_p < 1 else [])
    ax.set_title(title or f"{', '.join(settings)}: {int(kept.sum())} token(s) can be sampled", fontsize=9)
    return ax


STATIC_PANELS = ({"temperature": 1.0}, {"temperature": 0.5}, {"temperature": 1.0, "top_k": 3},
                 {"temperature": 1.0, "top_p": 0.75})


def next_token_explorer(model: PreTrainedModel, tok: PreTrainedTokenizerBase, prompt: str, *, n: int = 12,
                        panels: Sequence[Mapping[str, Any]] = STATIC_PANELS, interactive: bool = True) -> Any:
    """The next-token distribution of ``prompt`` as bars, under several temperature/top-k/top-p settings.

    Draws a static figure (one panel per setting, so it shows when the notebook runs headless),
    then, if ``interactive`` and ipywidgets is installed, returns sliders that redraw one panel.
    Returns the widget (or the figure when there is none).
    """
    import matplotlib.pyplot as plt

    logits = next_token_logits(model, tok, prompt)                             # (V,)
    cols = min(2, len(panels))
    nrows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(5.5 * cols, 2.8 * nrows), squeeze=False)
    for ax, setting in zip(axes.flat, panels):
        plot_next_token(logits, tok, n=n, ax=ax, **setting)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"next token after {prompt[-60:]!r}", fontsize=10)
    fig.tight_layout()
    if not interactive:
        return fig
    try:
        import ipywidgets as w
    except ImportError:
        return fig
    plt.show()

    def redraw(temperature: float, top_k: int, top_p: float) -> None:
        _, ax = plt.subplots(figsize=(7, 3))
        plot_next_token(logits, tok, temperature=temperature, top_k=top_k or None, top_p=top_p, n=n, ax=ax)
        plt.show()

    return w.interactive(
        redraw,
        temperature=w.FloatSlider(value=1.0, min=0.1, max=3.0, step=0.1, description="temperature"),
        top_k=w.IntSlider(value=0, min=0, max=n, description="top-k (0=off)"),
        top_p=w.FloatSlider(value=1.0, min=0.05, max=1.0, step=0.05, description="top-p"))


# ----------------------------------------------------------------------------------------------
# plots of the lab's measurements


def plot_icl_curves(results: Mapping[str, Sequence[Mapping[str, Any]]], metric: str, *, ax: Any = None,
                    title: str = "", baselines: Mapping[str, float] | None = None) -> Any:
    """``metric`` against the number of shots, one line per model; hollow markers where some prompts
    were truncated by the context window. ``baselines`` draws dashed horizontal reference lines."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.5))
    for i, (name, rows) in enumerate(results.items()):
        color = f"C{i}"
        ks, ys = [r["k"] for r in rows], [r[metric] for r in rows]
        ax.plot(ks, ys, "-", color=color, label=name)
        for r in rows:
            ax.plot(r["k"], r[metric], "o", color=color, markerfacecolor="white" if r.get("truncated") else color)
    for j, (name, y) in enumerate((baselines or {}).items()):
        ax.axhline(y, ls="--", lw=1, color=f"C{len(results) + j}", label=name)
    ax.set_xticks(sorted({r["k"] for rows in results.values() for r in rows}))
    ax.set_xlabel("shots in the prompt (k)")
    ax.set_ylabel(metric)
    ax.set_title(title + ("\n(hollow: some prompts truncated by the window)" if any(
        r.get("truncated") for rows in results.values() for r in rows) else ""), fontsize=9)
    ax.legend(fontsize=8)
    return ax


def plot_sweep(rows: Sequence[Mapping[str, Any]], *, ax: Any = None, x: str = "diversity", y: str = "quality",
               group: Callable[[Mapping[str, Any]], str] | None = None) -> Any:
    """Each decoding setting as a point (diversity, quality), points of one family joined by a line."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    group = group or (lambda r: "top-p" if "top_p" in r else "temperature" if "temperature" in r else "greedy")
    families: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        families.setdefault(group(r), []).append(r)
    for i, (name, members) in enumerate(families.items()):
        ax.plot([m[x] for m in members], [m[y] for m in members], "o-" if len(members) > 1 else "s",
                color=f"C{i}", label=name)
        for m in members:
            ax.annotate(m["setting"], (m[x], m[y]), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xlabel(f"{x} (distinct-2 among samples of one prompt)" if x == "diversity" else x)
    ax.set_ylabel(f"{y} (ROUGE-L vs reference)" if y == "quality" else y)
    ax.legend(fontsize=8)
    return ax
