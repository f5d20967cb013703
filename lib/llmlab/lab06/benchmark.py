"""A held-out TinyWorld benchmark: tasks, contenders, confidence intervals and a contamination check.

    items = benchmark.items()                                 # task -> held-out rows (test splits)
    table = benchmark.run(benchmark.CONTENDERS, items)        # one row per (model, task): score, CI, n
    benchmark.wilson(97, 100)                                 # (0.915, 0.990): 95% interval of a proportion
    benchmark.contamination(items, benchmark.training_texts())

Every task reads a *test* split, which no zoo recipe trains on (the zoo trains on ``train`` splits only;
``contamination`` measures it). A contender says how it is prompted for each task; a task a model was
never built for is ``None`` and shows as "–". Adding a model is one line in ``CONTENDERS`` (Lab 05's
fine-tuned summarizers joined that way, as the zoo's ``t5-sum`` and ``t5-sum-lora``).
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch

from llmlab import inference, tinyworld, zoo
from llmlab.intervals import bootstrap, wilson  # noqa: F401  (benchmark.wilson, as Lab 06 calls it)
from llmlab.lab06 import bleu as B
from llmlab.lab06 import rouge as R
from llmlab.prompts import PROMPTS, T5_PREFIX, instruction_prompt
from llmlab.tinyworld.instructions import INSTRUCTIONS

Row = Mapping[str, Any]
LABELS = ("positive", "negative")


# ---- tasks ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    name: str
    family: str                  # TinyWorld family; the test split is the benchmark
    metric: str                  # "accuracy" (multiple choice), "ROUGE-L" (+ slot accuracy), "BLEU"
    max_new_tokens: int
    inp: Callable[[Row], str]
    target: Callable[[Row], str]
    n: int                       # items used (the first n of the test split)


TASKS = {
    "sentiment": Task("sentiment", "reviews", "accuracy", 0, lambda r: r["text"], lambda r: r["label"], 200),
    "summarize": Task("summarize", "dialogsum", "ROUGE-L", 48, lambda r: r["dialogue"], lambda r: r["summary"], 100),
    "translate": Task("translate", "translation", "BLEU", 48, lambda r: r["en"], lambda r: r["toy"], 100),
    "qa": Task("qa", "facts", "accuracy", 0, lambda r: r["question"], lambda r: r["answer"], 150),
}
SKILL = {"sentiment": "sentiment", "summarize": "summarization", "translate": "translation", "qa": "fact recall"}
N_CHOICES = 4   # fact recall: the answer and 3 distractors of the same kind


def question_kind(question: str) -> str:
    """The question with its names blanked: "Which town does X live in?" (distractors come from the same kind)."""
    return re.sub(r"[A-Z][\w']*(?:\s+[A-Z][\w']*)*", "X", question[0].lower() + question[1:])


def _choices(task: str, row: Row, pool: Mapping[str, list[str]]) -> list[str] | None:
    if task == "sentiment":
        return list(LABELS)
    if task != "qa":
        return None
    others = sorted(set(pool.get(question_kind(row["question"]), ())) - {row["answer"]})
    if len(others) < N_CHOICES - 1:
        return None
    choices = random.Random(row["id"]).sample(others, N_CHOICES - 1) + [row["answer"]]
    return sorted(choices)


def items(split: str = "test", n: int | None = None) -> dict[str, list[dict]]:
    """task -> its benchmark items: {"id", "input", "target"} (+ "choices" for multiple choice, "slots" for
    summaries). Fact-recall items whose kind of question has fewer than 3 other answers are left out."""
    pool: dict[str, list[str]] = {}
    for r in tinyworld.rows("facts", "train"):          # distractors: training answers to the same kind of question
        pool.setdefault(question_kind(r["question"]), []).append(r["answer"])
    out = {}
    for name, t in TASKS.items():
        rows = tinyworld.rows(t.family, split)[:n or t.n]
        out[name] = []
        for r in rows:
            item = {"id": r["id"], "input": t.inp(r), "target": t.target(r)}
            if t.metric == "accuracy":
                item["choices"] = _choices(name, r, pool)
                if item["choices"] is None:
                    continue
            if "slots" in r:
                item["slots"] = r["slots"]
            out[name].append(item)
    return out


# ---- how each model is asked --------------------------------------------------------------------
BASE_FORMATS = dict(PROMPTS)
BASE_SHOTS = {"sentiment": 4, "summarize": 0, "translate": 1, "qa": 0}


def few_shot(task: str, text: str, seed: int = 0) -> str:
    """A base LM's prompt: ``BASE_SHOTS[task]`` solved training examples, then the query (seeded per input)."""
    t = TASKS[task]
    rng = random.Random(f"{seed}-{task}-{text}")
    pool = tinyworld.rows(t.family, "train")
    shots = rng.sample(pool, BASE_SHOTS[task])
    fmt = BASE_FORMATS[task]
    parts = [fmt.format(input=t.inp(s)) + " " + t.target(s) for s in shots]
    return "\n\n".join(parts + [fmt.format(input=text)])


def instruct(task: str, text: str) -> str:
    """The instruction-tuned model's prompt: the task's first (canonical) instruction."""
    key = "summarize" if task == "summarize" else task
    return instruction_prompt(INSTRUCTIONS[key][0], text)


def t5(task: str, text: str) -> str | None:
    return T5_PREFIX[task] + text if task in T5_PREFIX else None


@dataclass
class Contender:
    """A model in the benchmark: how to load it and how to prompt it (``None``: not a task it was built for)."""
    name: str
    load: Callable[[], tuple]                       # () -> (model, tokenizer)
    prompt: Callable[[str, str], str | None]        # (task, input) -> prompt or None
    note: str = ""
    tasks: Sequence[str] | None = None              # restrict to these tasks (default: all it can prompt)


def zoo_contender(name: str, prompt: Callable[[str, str], str | None], note: str = "", **kw) -> Contender:
    return Contender(name, lambda: zoo.load(name), prompt, note, **kw)


CONTENDERS = [  # one line per model
    zoo_contender("gpt-base", few_shot, "base LM, few-shot prompts"),
    zoo_contender("gpt-plain", few_shot, "base LM without bursty data, few-shot prompts"),
    zoo_contender("gpt-instruct", lambda task, x: instruct(task, x), "instruction-tuned, zero-shot"),
    zoo_contender("t5-base", t5, "encoder-decoder: summaries and translation only"),
    zoo_contender("t5-sum", t5, "t5-base fully fine-tuned on summaries (Lab 05)"),
    zoo_contender("t5-sum-lora", t5, "t5-base + a LoRA adapter trained on summaries, merged (Lab 05)"),
]


# ---- scoring ------------------------------------------------------------------------------------------
@torch.no_grad()
def choice_logprobs(model, tok, prompts: Sequence[str], choices: Sequence[Sequence[str]],
                    batch_size: int = 64) -> list[list[float]]:
    """Per prompt, the summed log-probability of " " + each of its choices — lm-evaluation-harness's
    ``loglikelihood`` for a multiple-choice task (context and continuation tokenized as it does)."""
    model.eval()
    window = model.config.n_positions
    device = next(model.parameters()).device
    seqs, spans = [], []
    for p, options in zip(prompts, choices):
        ctx = tok(p, add_special_tokens=False).input_ids
        for c in options:
            whole = tok(p + " " + c, add_special_tokens=False).input_ids
            cont = whole[len(ctx):]
            ids = (ctx + cont)[-(window + 1):]
            seqs.append(ids)
            spans.append(len(cont))
    out = []
    for i in range(0, len(seqs), batch_size):
        chunk, lens = seqs[i:i + batch_size], spans[i:i + batch_size]
        width = max(len(s) for s in chunk) - 1
        inp = torch.full((len(chunk), width), tok.pad_token_id, dtype=torch.long)
        mask = torch.zeros_like(inp)
        for j, s in enumerate(chunk):
            inp[j, :len(s) - 1] = torch.tensor(s[:-1])
            mask[j, :len(s) - 1] = 1
        logits = model(input_ids=inp.to(device), attention_mask=mask.to(device)).logits
        logp = torch.log_softmax(logits.float(), -1).cpu()                                   # (b, T, V)
        for j, (s, k) in enumerate(zip(chunk, lens)):
            pos = torch.arange(len(s) - 1 - k, len(s) - 1)
            out.append(logp[j, pos, torch.tensor(s[-k:])].sum().item())
    flat, start = [], 0
    for options in choices:
        flat.append(out[start:start + len(options)])
        start += len(options)
    return flat


@dataclass
class Result:
    model: str
    task: str
    metric: str
    score: float
    low: float
    high: float
    n: int
    extra: dict = field(default_factory=dict)
    # the score as a function of item indices (what the bootstrap resamples); paired_difference reuses it
    statistic: Callable[[np.ndarray], float] | None = field(default=None, repr=False, compare=False)

    def row(self) -> dict:
        return {"model": self.model, "skill": SKILL[self.task], "metric": self.metric, "score": self.score,
                "low": self.low, "high": self.high, "n": self.n, **self.extra}


def score_task(name: str, task: str, model, tok, prompts: list[str], rows: list[dict],
               iters: int = 1000, generated_too: bool = False) -> list[Result]:
    """Score one model on one task. Multiple choice: the choice with the highest log-likelihood (lm-eval's
    ``acc``); with ``generated_too``, also whether the generated answer starts with the right choice."""
    t = TASKS[task]
    targets = [r["target"] for r in rows]
    if t.metric == "accuracy":
        lp = choice_logprobs(model, tok, prompts, [r["choices"] for r in rows])
        pred = [r["choices"][int(np.argmax(x))] for r, x in zip(rows, lp)]
        right = np.array([p == y for p, y in zip(pred, targets)], dtype=float)
        k = int(right.sum())
        out = [Result(name, task, "accuracy", k / len(rows), *wilson(k, len(rows)), len(rows),
                      {"chance": 1 / len(rows[0]["choices"])}, lambda i: right[i].mean())]
        if generated_too:    # the same items, scored by the answer the model writes instead of by likelihood
            said = inference.complete(model, tok, prompts, max_new_tokens=4)
            g = sum(s.lower().startswith(y.lower()) for s, y in zip(said, targets))
            out.append(Result(name, task, "accuracy (generated)", g / len(rows), *wilson(g, len(rows)), len(rows)))
        return out
    preds = inference.complete(model, tok, prompts, max_new_tokens=t.max_new_tokens)
    if t.metric == "ROUGE-L":
        f = np.array([R.rouge_l(p, y).fmeasure for p, y in zip(preds, targets)])
        hits = np.array([sum(str(v).lower() in p.lower() for v in r["slots"].values()) for p, r in zip(preds, rows)])
        total = np.array([len(r["slots"]) for r in rows])
        rouge_of, slots_of = (lambda i: f[i].mean()), (lambda i: hits[i].sum() / total[i].sum())
        return [Result(name, task, "ROUGE-L", float(f.mean()), *bootstrap(rouge_of, len(f), iters), len(rows),
                       statistic=rouge_of),
                Result(name, task, "slot accuracy", float(hits.sum() / total.sum()),
                       *bootstrap(slots_of, len(f), iters), len(rows), statistic=slots_of)]
    if t.metric == "BLEU":
        stats = [B.segment_stats(p, y) for p, y in zip(preds, targets)]
        arr = np.array([[s.hyp_len, s.ref_len, *s.matches, *s.totals] for s in stats])

        def corpus(idx):
            tot = arr[idx].sum(0)
            return B.bleu_from_stats(B.Stats(int(tot[0]), int(tot[1]), tuple(tot[2:6]), tuple(tot[6:10]))).score
        return [Result(name, task, "BLEU", corpus(np.arange(len(arr))), *bootstrap(corpus, len(arr), iters),
                       len(rows), statistic=corpus)]
    raise ValueError(f"unknown metric {t.metric!r}")


def paired_difference(a: Result, b: Result, iters: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """(a − b, low, high): the difference of two models' scores on the *same* items, with a percentile-bootstrap
    interval that draws each resample of items once for both models. Paired, it is much narrower than the two
    separate intervals suggest: an item that is hard for one model is usually hard for the other, and that shared
    difficulty cancels in the difference."""
    if (a.task, a.metric, a.n) != (b.task, b.metric, b.n):
        raise ValueError(f"paired_difference needs one task, metric and item set: got {a.task}/{a.metric}/{a.n} "
                         f"and {b.task}/{b.metric}/{b.n}")
    if a.statistic is None or b.statistic is None:
        raise ValueError("paired_difference needs results from score_task (they carry their per-item statistic)")
    return (a.score - b.score, *bootstrap(lambda i: a.statistic(i) - b.statistic(i), a.n, iters, seed))


def run(contenders: Sequence[Contender], bench: Mapping[str, list[dict]], iters: int = 1000,
        generated_too: Sequence[str] = ("sentiment",)) -> list[Result]:
    results = []
    for c in contenders:
        model, tok = c.load()
        for task, rows in bench.items():
            if c.tasks is not None and task not in c.tasks:
                continue
            prompts = [c.prompt(task, r["input"]) for r in rows]
            if any(p is None for p in prompts):
                continue
            results += score_task(c.name, task, model, tok, prompts, rows, iters, task in generated_too)
    return results


# ---- contamination ----------------------------------------------------------------------------------
def training_texts() -> list[str]:
    """Every text field of every TinyWorld *train* split: all that any zoo model could have trained on."""
    out = []
    for fam in tinyworld.families():
        if "train" not in tinyworld.splits(fam):
            continue
        for r in tinyworld.rows(fam, "train"):
            out += [v for k, v in r.items() if isinstance(v, str) and k not in ("id", "task", "label", "topic")]
    return out


def ngram_set(texts: Sequence[str], n: int) -> set[int]:
    grams: set[int] = set()
    for x in texts:
        w = R.tokenize(x)
        grams.update(hash(tuple(w[i:i + n])) for i in range(len(w) - n + 1))
    return grams


@dataclass
class Contamination:
    n: int
    threshold: float
    index: set[int]
    exact: set[str]

    def overlap(self, *texts: str) -> float:
        """Share of the item's word n-grams found in the training data, each field's n-grams taken on its own
        (no n-gram spans two fields); a field shorter than n words counts as one n-gram, found if it occurs
        verbatim (normalised) as a training text."""
        found = total = 0
        for text in texts:
            w = R.tokenize(text)
            grams = [hash(tuple(w[i:i + self.n])) for i in range(len(w) - self.n + 1)]
            if grams:
                found += sum(g in self.index for g in grams)
                total += len(grams)
            elif w:
                found += " ".join(w) in self.exact
                total += 1
        return found / max(1, total)


def contamination_index(train: Sequence[str], n: int = 13, threshold: float = 0.8) -> Contamination:
    """GPT-3's check (Brown et al. 2020, app. C), simplified: an item is contaminated when at least ``threshold``
    of its word ``n``-grams occur in the training data (items shorter than n: when they occur verbatim)."""
    return Contamination(n, threshold, ngram_set(train, n), {" ".join(R.tokenize(x)) for x in train})


def contamination(bench: Mapping[str, list[dict]], index: Contamination) -> list[dict]:
    """Per task: items, how many are flagged, the largest overlap, and the ids of flagged items. An item is its
    input and, when it is at least n words long, its target (a label or a one-word answer is no evidence)."""
    out = []
    for task, rows in bench.items():
        ov = [index.overlap(r["input"], *([r["target"]] if len(R.tokenize(r["target"])) >= index.n else []))
              for r in rows]
        flagged = [r["id"] for r, o in zip(rows, ov) if o >= index.threshold]
        out.append({"task": task, "items": len(rows), "flagged": len(flagged), "max overlap": max(ov),
                    "mean overlap": float(np.mean(ov)), "flagged ids": flagged})
    return out
