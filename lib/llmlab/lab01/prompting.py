"""Lab 01's decoding experiments: sweeps over decoding settings, the repetition penalty's
effect, and the next-token explorer (prompt building and few-shot evaluation are in
``llmlab.prompts``, shared with the zoo).

    from llmlab.lab01 import prompting
    prompting.decoding_sweep(model, tok, prompts, refs, [{"temperature": 0.7}, {"top_p": 0.9}])
    prompting.repetition_effect(model, tok, prompts, penalties=[1.0, 1.3])
    prompting.next_token_explorer(model, tok, "Pamen bought a")   # static figure + sliders
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import torch
from torch import Tensor
from transformers import LogitsProcessorList, PreTrainedModel, PreTrainedTokenizerBase

from llmlab import inference, metrics, prompts as P, tinyworld
from llmlab.lab01 import sampling
from llmlab.prompts import window_of

# ----------------------------------------------------------------------------------------------
# few-shot prompts that fit


def short_rows(tok: PreTrainedTokenizerBase, rows: Sequence[dict], key: str, max_tokens: int) -> list[dict]:
    """The rows whose ``key`` text is at most ``max_tokens`` tokens long."""
    return [r for r, m in zip(rows, P.prompt_lengths(tok, [r[key] for r in rows])) if m <= max_tokens]


def few_shot_eval_short(model: PreTrainedModel, tok: PreTrainedTokenizerBase, task: str, ks: Sequence[int], n: int,
                        max_input_tokens: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """``prompts.few_shot_eval`` on short rows only (queries from the test split, shots from train, each input
    at most ``max_input_tokens`` tokens), so that a shot fits in the window beside the query."""
    t = P.get_task(task)
    queries = short_rows(tok, tinyworld.rows(t.family, "test"), t.input_key, max_input_tokens)[:n]
    pool = short_rows(tok, tinyworld.rows(t.family, "train"), t.input_key, max_input_tokens)
    return P.few_shot_eval_on(model, tok, t, ks, queries, pool, seed=seed)


@dataclass(frozen=True)
class TemplateTask(P.Task):
    """A task with its own prompt template (``{input}``), for tasks the zoo was never evaluated on."""
    template: str = "{input}"

    def query(self, text: str, style: str = "canonical") -> str:
        return self.template.format(input=text)


# who introduces themselves in a dialogue's first line ("... I'm Neric Dryley. ..." -> "Neric"): a task in none of
# gpt-base's bursty documents (those hold sentiment, summaries and translations)
NAME_TASK = TemplateTask("name", "dialogsum", "line", "name", max_new_tokens=3, instruction="Who is speaking?",
                         label_key="name", template="{input}\nName:")


def use_case_tour(model: PreTrainedModel, tok: PreTrainedTokenizerBase, split: str = "test",
                  max_new_tokens: int = 48) -> list[dict]:
    """One held-out request of each task the instruction-tuned model was taught (classify, rewrite, translate,
    answer, summarize, extract facts), answered greedily: the use cases of one model, one line each."""
    first: dict[str, dict] = {}
    for row in tinyworld.rows("instructions", split):
        first.setdefault(row["task"], row)
    rows = list(first.values())
    answers = inference.complete(model, tok, [P.instruction_prompt(r["instruction"], r["input"]) for r in rows],
                                 max_new_tokens=max_new_tokens, stop_at_newline=False)
    return [{"task": r["task"], "request": f"{r['instruction']} {r['input']}", "answer": a.strip(),
             "reference": r["output"], "exact": a.strip() == r["output"].strip()} for r, a in zip(rows, answers)]


def name_rows(split: str) -> list[dict]:
    """Dialogue first lines in which the speaker says "I'm <First> <Last>", with the first name as the answer."""
    out = []
    for r in tinyworld.rows("dialogsum", split):
        line = r["dialogue"].split("\n")[0]
        m = re.search(r"I'm ([A-Z][a-z]+) [A-Z][a-z]+", line)
        if m:
            out.append({"id": r["id"], "line": line, "name": m.group(1)})
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
    short = {"temperature": "T", "top_k": "top-k", "top_p": "top-p", "repetition_penalty": "rep"}
    knobs = ", ".join(f"{short.get(k, k)}={v:g}" for k, v in setting.items() if k in short)
    if not setting or setting.get("greedy"):
        return "greedy" + (f", {knobs}" if knobs else "")
    return knobs


def decoding_sweep(model: PreTrainedModel, tok: PreTrainedTokenizerBase, prompts: Sequence[str],
                   references: Sequence[str], settings: Sequence[Mapping[str, Any]], *, samples: int = 4,
                   max_new_tokens: int = 48, n: int = 2, seed: int = 0,
                   impl: Mapping[str, Callable[..., Tensor]] | None = None) -> list[dict[str, Any]]:
    """Quality against diversity for each decoding setting.

    Each prompt is continued ``samples`` times. ``quality``: mean ROUGE-L of every continuation
    against its reference. ``diversity``: distinct-n among the continuations of one prompt (1.0:
    no n-gram shared; greedy repeats itself exactly, so it scores 1/samples), averaged over
    prompts. A setting is a dict of ``sampling.processors`` arguments; with ``"greedy": True`` it decodes
    greedily (only a repetition penalty then changes the output). ``impl`` swaps in other implementations
    (a student's) by name.
    """
    rows = []
    repeated = [p for p in prompts for _ in range(samples)]           # (P * samples,) prompt-major
    refs = [r for r in references for _ in range(samples)]
    for setting in settings:
        greedy = not setting or bool(setting.get("greedy"))
        procs = sampling.processors(**{k: v for k, v in setting.items() if k != "greedy"}, impl=impl) or None
        texts = generate_texts(model, tok, repeated, processors=procs, do_sample=not greedy,
                               max_new_tokens=max_new_tokens, seed=seed)
        groups = [texts[i:i + samples] for i in range(0, len(texts), samples)]   # (P, samples)
        rows.append({"setting": setting_name(setting), **{k: v for k, v in setting.items()},
                     "quality": metrics.rouge(texts, refs)["rougeL"],
                     "diversity": sum(sampling.distinct_n(g, n) for g in groups) / len(groups),
                     "example": groups[0][0]})
    return rows


def sweep_over_seeds(model: PreTrainedModel, tok: PreTrainedTokenizerBase, prompts: Sequence[str],
                     references: Sequence[str], settings: Sequence[Mapping[str, Any]], *, seeds: Sequence[int],
                     **kwargs: Any) -> list[dict[str, Any]]:
    """``decoding_sweep`` once per seed: each setting's mean quality and diversity over the seeds, and
    their standard deviations (``quality_sd``, ``diversity_sd``; 0 for greedy, which draws nothing)."""
    runs = [decoding_sweep(model, tok, prompts, references, settings, seed=s, **kwargs) for s in seeds]
    out = []
    for rows in zip(*runs):                                 # one setting, every seed
        row = dict(rows[0])
        for key in ("quality", "diversity"):
            vals = torch.tensor([r[key] for r in rows], dtype=torch.float64)
            row[key] = vals.mean().item()
            row[f"{key}_sd"] = vals.std().item() if len(vals) > 1 else 0.0
        row["seeds"] = len(seeds)
        out.append(row)
    return out


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
    """Bars of the ``n`` most likely next tokens after temperature, and what sampling does with them.

    A hollow bar is a token's probability after temperature (what top-k/top-p look at); a filled
    green bar, with its number, is the probability it is sampled with after the cut-off,
    renormalised over the kept tokens; a grey bar is a token the cut-off removed. Bar heights and
    numbers show the same thing.
    """
    import matplotlib.pyplot as plt

    logits = logits.reshape(-1).float()                                        # (V,)
    scaled = sampling.temperature(logits[None], temperature)[0]                # (V,)
    probs = scaled.softmax(-1)                                                 # (V,)
    kept = sampling.kept_mask(logits, temperature=temperature, top_k=top_k, top_p=top_p)  # (V,)
    final = torch.where(kept, probs, torch.zeros_like(probs))
    final = final / final.sum()                                                # (V,) what is sampled
    rows = sampling.next_token_table(probs, tok, n=n, kept=kept)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    names = [repr(r["token"])[1:-1] or "∅" for r in rows]
    x = range(len(rows))
    ax.bar(x, [r["prob"] for r in rows], color=["none" if r["kept"] else "lightgrey" for r in rows],
           edgecolor="grey", linewidth=0.8, label="after temperature")
    sampled = [float(final[r["id"]]) if r["kept"] else 0.0 for r in rows]
    ax.bar(x, sampled, width=0.55, color="tab:green", edgecolor="black", linewidth=0.5,
           label="sampled with (after the cut, renormalised)")
    for i, (r, q) in enumerate(zip(rows, sampled)):
        if r["kept"]:
            ax.text(i, q, f"{q:.2f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(rows)), names, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("probability")
    ax.set_ylim(0, max(max(r["prob"] for r in rows), max(sampled)) * 1.25 + 1e-6)
    ax.legend(fontsize=7, loc="upper right", frameon=False)
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

    wide = {"description_width": "initial"}   # the whole label, not "temperat…"
    return w.interactive(
        redraw,
        temperature=w.FloatSlider(value=1.0, min=0.1, max=3.0, step=0.1, description="temperature", style=wide),
        top_k=w.IntSlider(value=0, min=0, max=n, description="top-k (0 = off)", style=wide),
        top_p=w.FloatSlider(value=1.0, min=0.05, max=1.0, step=0.05, description="top-p", style=wide))


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
        if all(f"{y}_sd" in m for m in members):           # ± 1 standard deviation over seeds
            ax.errorbar([m[x] for m in members], [m[y] for m in members], yerr=[m[f"{y}_sd"] for m in members],
                        xerr=[m.get(f"{x}_sd", 0.0) for m in members], fmt="none", ecolor=f"C{i}", alpha=0.5)
        for m in members:
            ax.annotate(m["setting"], (m[x], m[y]), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xlabel(f"{x} (distinct-2 among samples of one prompt)" if x == "diversity" else x)
    ax.set_ylabel(f"{y} (ROUGE-L vs reference)" if y == "quality" else y)
    ax.legend(fontsize=8)
    return ax
