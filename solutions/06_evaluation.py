# %% [markdown]
# # Lab 06 — Evaluating what a model learned: ROUGE, BLEU, their failures, and a held-out benchmark
#
# **Topics:** ROUGE-1/2/L and BLEU, built from scratch and checked against `rouge_score` and `sacrebleu` ·
# Hugging Face `evaluate` with metric modules shipped in this repository (offline) · where n-gram metrics fail
# (the course's "Mike really loves drinking tea" pairs; a negation, a paraphrase, a copied dialogue) · metrics
# that know the facts (slot accuracy) and a learned judge, compared with what a reader would say · a held-out
# benchmark over TinyWorld skills with confidence intervals · a contamination check · EleutherAI's
# lm-evaluation-harness on the same items.
#
# **After this lab you can**
# - write ROUGE-N, ROUGE-L and corpus BLEU (clipping, brevity penalty, geometric mean, smoothing) that agree with
#   the reference libraries to the last digit, and say which tokenization each uses;
# - show with numbers why a high ROUGE does not mean a good summary, and measure something closer to a reader;
# - build a small benchmark from held-out data, report each score with its 95% interval, and check that the
#   benchmark's items were not in the training data;
# - run the same multiple-choice tasks through lm-evaluation-harness and get the same numbers.
#
# **Time.** Running top to bottom: about 1 minute on 2 CPU cores (`PROFILE = "cpu"`). Working through it:
# 60–90 minutes. Three exercises (§1 and §2), each followed by a check cell.
#
# ROUGE here is rouge_score's **without stemming** (`use_stemmer=False`, as `llmlab.metrics` and the zoo report
# it); BLEU is sacrebleu's default (13a tokenization, case-sensitive, `exp` smoothing).

# %% tags=["parameters"]
PROFILE = "cpu"  # "cpu" (2 cores, minutes), "gpu" (CUDA), "hub" (the Hub's evaluate modules; needs internet)

# %%
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import sacrebleu
import torch
from rouge_score import rouge_scorer

import llmlab
from llmlab import metrics as core_metrics, report, tinyworld
from llmlab.lab06 import benchmark, checks, failures, harness, judge, metrics
from llmlab.lab06 import bleu as bleu_ref
from llmlab.lab06 import rouge as rouge_ref

profile = llmlab.setup(PROFILE)
pd.set_option("display.precision", 3)
pd.set_option("display.max_colwidth", 70)
SCORER = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=False)

# %% [markdown]
# ## 1. ROUGE from scratch
#
# **ROUGE** (Lin 2004) compares a generated summary with a human one by the words they share. ROUGE-N counts
# n-grams: **recall** = shared n-grams / the reference's n-grams, **precision** = shared / the prediction's, and
# the **F-measure** is their harmonic mean 2PR/(P+R). An n-gram shared counts at most as often as it occurs on
# *both* sides (*clipped*): "the the the" shares one "the" with "the cat". Before counting, rouge_score
# tokenizes: lowercase, then every run of characters other than a–z and 0–9 becomes a space (so "Mike's tea!"
# is `mike s tea`, and "café" is `caf`).
#
# ### Exercise 1: ROUGE-N
# Return `(precision, recall, fmeasure)` for n-grams of size `n`, equal to rouge_score's. An empty side has no
# n-grams: rouge_score then divides by 1 (all three are 0). `collections.Counter` does the counting.

# %%
import re
from collections import Counter


def rouge_n(prediction: str, reference: str, n: int) -> tuple[float, float, float]:
    # Exercise 1: ROUGE-N
    ### BEGIN SOLUTION
    def grams(text):
        tokens = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
        return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    pred, ref = grams(prediction), grams(reference)
    overlap = sum((pred & ref).values())                     # & keeps the smaller count: clipping
    p = overlap / max(1, sum(pred.values()))
    r = overlap / max(1, sum(ref.values()))
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_rouge_n(rouge_n, name="Exercise 1: ROUGE-N")

# %% [markdown]
# **ROUGE-L** rewards words in the same *order*: its count is the length of the **longest common subsequence**
# (LCS) of the two token lists — words in order, gaps allowed ("the cat sat" and "the big cat really sat" share
# `the cat sat`, 3 tokens). Precision = LCS / prediction length, recall = LCS / reference length.
#
# ### Exercise 2: ROUGE-L
# Return `(precision, recall, fmeasure)`, tokenizing as in Exercise 1. The LCS by dynamic programming:
# `L[i][j] = L[i-1][j-1] + 1` if the i-th and j-th tokens match, else `max(L[i-1][j], L[i][j-1])`.

# %%
def rouge_l(prediction: str, reference: str) -> tuple[float, float, float]:
    # Exercise 2: ROUGE-L
    ### BEGIN SOLUTION
    pred = re.sub(r"[^a-z0-9]+", " ", prediction.lower()).split()
    ref = re.sub(r"[^a-z0-9]+", " ", reference.lower()).split()
    if not pred or not ref:
        return 0.0, 0.0, 0.0
    L = [[0] * (len(ref) + 1) for _ in range(len(pred) + 1)]
    for i, a in enumerate(pred, 1):
        for j, b in enumerate(ref, 1):
            L[i][j] = L[i - 1][j - 1] + 1 if a == b else max(L[i - 1][j], L[i][j - 1])
    p, r = L[-1][-1] / len(pred), L[-1][-1] / len(ref)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_rouge_l(rouge_l, name="Exercise 2: ROUGE-L")

# %%
# Stuck? The references stand in below (one line says so); the checks above still fail until yours pass.
rouge_n = checks.yours_or_reference("Exercise 1: ROUGE-N", rouge_n, rouge_ref.rouge_n, checks.check_rouge_n)
rouge_l = checks.yours_or_reference("Exercise 2: ROUGE-L", rouge_l, rouge_ref.rouge_l, checks.check_rouge_l)

# %% [markdown]
# ## 2. BLEU from scratch
#
# **BLEU** (Papineni et al. 2002) scores translations by n-gram *precision*, n = 1…4, each clipped by the
# reference counts (*modified* precision), combined by their **geometric mean** and multiplied by a **brevity
# penalty** BP = exp(1 − r/c) when the hypothesis (c tokens) is shorter than the reference (r tokens) — without
# it, a one-word hypothesis that matches would score 100. It is a **corpus** metric: the counts and lengths are
# summed over all sentences, then one score is computed. One zero precision makes the geometric mean 0, which
# is common for a single sentence, so sacrebleu **smooths**: `exp` (its default) replaces the k-th zero precision
# by 100 / (2^k · total); `floor` by 100 · 0.1 / total; `add-k` adds 1 to the matches and totals for n ≥ 2.
# With `effective_order=True` (sacrebleu's sentence default), the mean runs only over the orders the hypothesis
# has at all (a 2-word sentence has no 3-grams).
#
# sacrebleu tokenizes with **13a** (WMT's mteval-v13a): punctuation is split off, except the points and commas
# inside numbers, and case is kept. That tokenizer is given: `bleu_ref.tokenize_13a`.

# %%
for s in ["Mike's tea, really!", "It costs 3.5 or 1,000 coins.", "(x-ray) & <skipped>"]:
    print(f"{s!r:34} -> {bleu_ref.tokenize_13a(s)!r}")

# %% [markdown]
# ### Exercise 3: corpus BLEU
# Return sacrebleu's corpus BLEU (0–100) of `hypotheses` against one reference each, with `smooth_method` one of
# `"exp"`, `"none"`, `"floor"`, `"add-k"`. sacrebleu's details: BLEU is 0 when no n-gram matches at all; the
# log of a zero precision (no smoothing) counts as −9,999,999,999; with `effective_order`, stop at the first
# order with no hypothesis n-grams. Without `effective_order`, an order with no hypothesis n-grams at all (a
# two-word hypothesis has no 3-grams) is never smoothed: it counts as −9,999,999,999 whatever `smooth_method`
# says — only orders that have n-grams but no matches are smoothed. Do not change the input lists.

# %%
import math

tokenize_13a = bleu_ref.tokenize_13a


def corpus_bleu(hypotheses: list[str], references: list[str], smooth_method: str = "exp",
                effective_order: bool = False) -> float:
    # Exercise 3: corpus BLEU
    ### BEGIN SOLUTION
    c = r = 0
    matches, totals = [0] * 4, [0] * 4
    for hyp, ref in zip(hypotheses, references):
        h, g = tokenize_13a(hyp).split(), tokenize_13a(ref).split()
        c, r = c + len(h), r + len(g)
        for n in range(1, 5):
            hg = Counter(tuple(h[i:i + n]) for i in range(len(h) - n + 1))
            rg = Counter(tuple(g[i:i + n]) for i in range(len(g) - n + 1))
            matches[n - 1] += sum((hg & rg).values())
            totals[n - 1] += sum(hg.values())
    if not any(matches):
        return 0.0
    bp = 1.0 if c >= r else math.exp(1 - r / c)
    logs, k, order = [], 1, 4
    for n in range(4):
        m, t = matches[n], totals[n]
        if smooth_method == "add-k" and n > 0:
            m, t = m + 1, t + 1
        if t == 0:
            break
        if effective_order:
            order = n + 1
        if m > 0:
            p = 100 * m / t
        elif smooth_method == "exp":
            k *= 2
            p = 100 / (k * t)
        elif smooth_method == "floor":
            p = 100 * 0.1 / t
        else:
            p = 0.0
        logs.append(math.log(p) if p > 0 else -9999999999)
    logs += [-9999999999] * (4 - len(logs))                   # orders never reached count as zero precisions
    return bp * math.exp(sum(logs[:order]) / order)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_corpus_bleu(corpus_bleu, name="Exercise 3: corpus BLEU")

# %%
# Stuck? The reference stands in below (one line says so); the check above still fails until yours passes.
corpus_bleu = checks.yours_or_reference("Exercise 3: corpus BLEU", corpus_bleu, bleu_ref.corpus_bleu,
                                        checks.check_corpus_bleu)


def sentence_bleu(hypothesis: str, reference: str, smooth_method: str = "exp") -> float:
    """BLEU of one sentence: a corpus of one, with sacrebleu's sentence defaults (effective order on)."""
    return corpus_bleu([hypothesis], [reference], smooth_method=smooth_method, effective_order=True)


# %% [markdown]
# Yours against sacrebleu's `sentence_bleu` and `corpus_bleu`, on pairs chosen to make each part matter:

# %%
ref = "I am very happy to say that I am drinking a warm cup of tea."
pairs = {"the same": ref, "short": "I am happy.", "repeats": "tea tea tea tea tea tea tea tea tea tea tea tea tea",
         "longer": ref + " And then I drink another cup.", "paraphrase": "Happily, I sip a hot mug of tea right now."}
rows = []
for kind, hyp in pairs.items():
    sb = sacrebleu.sentence_bleu(hyp, [ref])
    rows.append({"hypothesis": kind, "yours": sentence_bleu(hyp, ref), "sacrebleu": sb.score, "BP": sb.bp,
                 "1-gram %": sb.precisions[0], "no smoothing": sentence_bleu(hyp, ref, "none")})
hyps, refs = list(pairs.values()), [ref] * len(pairs)
mean_sentence = np.mean([sentence_bleu(h, r) for h, r in zip(hyps, refs)])
print(f"corpus BLEU of the five: yours {corpus_bleu(hyps, refs):.2f}, sacrebleu "
      f"{sacrebleu.corpus_bleu(hyps, [refs]).score:.2f}; the mean of their sentence BLEUs is {mean_sentence:.2f}")
pd.DataFrame(rows).set_index("hypothesis")

# %% [markdown]
# "tea tea tea …" gets 1/13 unigram precision, not 13/13, because clipping lets one "tea" match; "I am happy."
# keeps a perfect unigram precision but its brevity penalty is 0.05 (exp(1 − 16/4)); a longer hypothesis pays no
# length penalty but loses precision. Without smoothing, any sentence missing a matching 4-gram scores (almost) 0.
# And the corpus score is not the mean of the sentence scores.
#
# ## 3. The same numbers through Hugging Face `evaluate`, offline
#
# `evaluate.load("rouge")` downloads a script from the Hub; offline it fails. This repository ships the two
# modules as files (`llmlab/lab06/metrics/rouge.py` and `sacrebleu.py`, each an `evaluate.Metric` with `_info`
# and `_compute`, interface-compatible with the Hub's), and `evaluate.load(<path>)` works without a network.
# Under `PROFILE = "hub"` the Hub's own modules are loaded instead.

# %%
rouge_metric = metrics.load("rouge", hub=profile.hub)
bleu_metric = metrics.load("sacrebleu", hub=profile.hub)
dialogs = tinyworld.rows("dialogsum", "test")[:50]
preds = [failures.PARAPHRASES[d["topic"]].format(**d["slots"]) for d in dialogs]    # some candidate summaries
golds = [d["summary"] for d in dialogs]
ev_rouge = rouge_metric.compute(predictions=preds, references=golds, use_aggregator=False)
ev_mean = {k: float(np.mean(v)) for k, v in ev_rouge.items() if k != "rougeLsum"}
ours_mean = {"rouge1": np.mean([rouge_n(p, g, 1)[2] for p, g in zip(preds, golds)]),
             "rouge2": np.mean([rouge_n(p, g, 2)[2] for p, g in zip(preds, golds)]),
             "rougeL": np.mean([rouge_l(p, g)[2] for p, g in zip(preds, golds)])}
aggregated = rouge_metric.compute(predictions=preds, references=golds)             # the default: bootstrap median
toy = tinyworld.rows("translation", "test")[:50]
toy_hyp = [" ".join(t["toy"].split()[:-2]) + "." for t in toy]                       # translations missing two words
ev_bleu = bleu_metric.compute(predictions=toy_hyp, references=[[t["toy"]] for t in toy])["score"]
ours_bleu = corpus_bleu(toy_hyp, [t["toy"] for t in toy])
evaluate_gap = max(abs(ev_mean[k] - ours_mean[k]) for k in ours_mean)
pd.DataFrame({"evaluate (use_aggregator=False, mean)": ev_mean, "yours": ours_mean,
              "evaluate default (bootstrap median)": {k: float(aggregated[k]) for k in ours_mean},
              "llmlab.metrics.rouge": core_metrics.rouge(preds, golds)}).T.assign(
    BLEU=[ev_bleu, ours_bleu, float("nan"), core_metrics.bleu(toy_hyp, [t["toy"] for t in toy])])

# %% [markdown]
# The per-pair scores averaged agree with yours to ~1e-16. The module's default (`use_aggregator=True`, as on the
# Hub) is rouge_score's `BootstrapAggregator`: the *median of 1,000 bootstrap means*, close to the mean but not it,
# and random (here it agrees with the mean to the digits shown, but it is a different statistic) — one reason two
# papers' "ROUGE" for the same outputs need not be the same number.
#
# ## 4. Where the metrics fail
#
# The course's example pairs, scored (a reader's verdict in the last column: does the candidate say what the
# reference says?):

# %%
course = pd.DataFrame([{"reference": r, "candidate": c, "ROUGE-1": rouge_n(c, r, 1)[2],
                        "ROUGE-2": rouge_n(c, r, 2)[2], "ROUGE-L": rouge_l(c, r)[2],
                        "BLEU": sentence_bleu(c, r), "same meaning": same} for r, c, same in failures.COURSE_PAIRS])
course

# %% [markdown]
# "It is not cold outside." scores exactly what "It is very cold outside." scores — one word added either way —
# though it says the opposite; "Mike really does not love drinking tea." keeps ROUGE-1 0.67, while the faithful
# "Mike adores sipping tea." gets 0.44 and "The weather out there is freezing." 0.20. Reordering the words
# ("Drinking tea really loves Mike.") keeps ROUGE-1 at 1.0; only ROUGE-2, ROUGE-L and BLEU notice. N-gram metrics
# measure shared words, not shared meaning.
#
# **On TinyWorld the truth is known.** For each held-out dialogue we build candidates by known edits of its gold
# summary: *lightly edited* ("In short: " + gold) and a *paraphrase* with every fact (good), a *wrong fact* (one
# slot's value swapped for another dialogue's), a *negated* verb, the *copied dialogue* itself, a *vague* sentence
# (bad). Which ones a reader would accept follows from the edit — the "reader" is that rule, not a person.
# Three ways to decide "good summary": ROUGE-L above a threshold, slot accuracy above a threshold (the fraction
# of the dialogue's facts — names, items, prices, days — that the candidate contains; `llmlab.metrics`), each
# threshold chosen to agree best with the reader on *training* dialogues; and a **learned judge**, a logistic
# regression on nine features (ROUGE, slot accuracy, length ratios, extra negations, dialogue markup, names and
# numbers the dialogue does not support; `judge.FEATURES`), trained on the candidates of 300 training dialogues.

# %%
with report.timer() as t_judge:
    train_ex = failures.candidates(tinyworld.rows("dialogsum", "train")[:300], seed=0)
    test_ex = failures.candidates(tinyworld.rows("dialogsum", "test")[:100], seed=1)
    X_train, X_test = judge.features(train_ex), judge.features(test_ex)
    y_train = torch.tensor([e["good"] for e in train_ex])
    y_test = torch.tensor([e["good"] for e in test_ex])
    col = {f: i for i, f in enumerate(judge.FEATURES)}
    t_rouge = judge.threshold_rule(X_train[:, col["rougeL"]], y_train)
    t_slot = judge.threshold_rule(X_train[:, col["slot accuracy"]], y_train)
    the_judge = judge.train(X_train, y_train)
verdicts = pd.DataFrame({"kind": [e["kind"] for e in test_ex], "reader": y_test.numpy(),
                         "ROUGE-L": X_test[:, col["rougeL"]].numpy(),
                         "slot accuracy": X_test[:, col["slot accuracy"]].numpy(),
                         f"ROUGE-L ≥ {t_rouge:.2f}": (X_test[:, col["rougeL"]] >= t_rouge).numpy(),
                         f"slots ≥ {t_slot:.2f}": (X_test[:, col["slot accuracy"]] >= t_slot).numpy(),
                         "judge": the_judge.predict(X_test).numpy()})
rules = [f"ROUGE-L ≥ {t_rouge:.2f}", f"slots ≥ {t_slot:.2f}", "judge"]
agree = pd.DataFrame({r: verdicts[r] == verdicts["reader"] for r in rules}).assign(kind=verdicts["kind"])
by_kind = pd.concat([verdicts.groupby("kind")[["reader", "ROUGE-L", "slot accuracy"]].mean(),
                     agree.groupby("kind")[rules].mean().add_prefix("agrees: ")], axis=1)
overall = agree[rules].mean()
print(f"{len(train_ex)} training and {len(test_ex)} held-out candidates; judge trained in {t_judge.seconds:.1f} s; "
      "agreement with the reader: " + ", ".join(f"{r} {v:.2f}" for r, v in overall.items()))
by_kind.loc[list(failures.KINDS)]

# %% [markdown]
# No ROUGE-L threshold can be right: the negated and wrong-fact summaries score as high as the lightly edited
# ones (~0.9), and the paraphrase lower than all three. Slot accuracy catches the wrong fact and the vague
# sentence, but a negation keeps every fact and the pasted dialogue contains them all, so it accepts both.
# The judge, which sees both and a few cheap cues, agrees with the reader on almost every held-out candidate —
# which is close to built in: the "reader" is the rule that made each edit, and the judge has a hand-made feature
# for each kind of edit (negation words, dialogue markup). A real reader and real failures are harder.
#
# **But a learned judge knows only the failures it was shown.** Train it again, each time without one kind of
# bad candidate, and score it on that kind alone:

# %%
unseen = {}
for kind in ("wrong fact", "negated", "copied dialogue"):
    keep = torch.tensor([e["kind"] != kind for e in train_ex])
    j2 = judge.train(X_train[keep], y_train[keep])
    mask = torch.tensor([e["kind"] == kind for e in test_ex])
    unseen[kind] = {"seen in training": (the_judge.predict(X_test[mask]) == y_test[mask]).float().mean().item(),
                    "never seen": (j2.predict(X_test[mask]) == y_test[mask]).float().mean().item()}
pd.DataFrame(unseen).T

# %% [markdown]
# A judge that never saw a kind of failure lets it through: every negation, every wrong fact and every pasted
# dialogue of the held-out set passes a judge trained without that kind, although each is caught when seen.
# The same holds for LLM judges and reward models (Lab 07): they reward what their training preferred, and a
# new way of being wrong can pass them. Audit a judge on failure kinds it was not trained on.
#
# ## 5. A held-out benchmark over TinyWorld skills
#
# Four skills, each from a **test** split that no zoo recipe trains on: review **sentiment** (200 reviews,
# positive/negative), dialogue **summarization** (100 dialogues: ROUGE-L and slot accuracy), English→Toy
# **translation** (100 sentences, corpus BLEU), and **fact recall** (120 closed-book questions about TinyWorld's
# people and places, 4 choices: the answer and 3 answers to the same kind of question). Multiple choice is scored
# as lm-evaluation-harness does: the choice with the highest log-likelihood after the prompt wins. Each model is
# asked its own way (`benchmark.CONTENDERS`: the base LMs with few-shot prompts, gpt-instruct with instructions,
# t5-base with its task prefixes); a task a model was never built for is left out. Every score comes with a 95%
# interval from the number of items: **Wilson**'s for accuracies, a **bootstrap** over items (1,000 resamples)
# for ROUGE-L, slot accuracy and corpus BLEU. A model joins with one line in `CONTENDERS`: Lab 05's two
# summarizers did, as the zoo's `t5-sum` (t5-base fully fine-tuned on 4,000 dialogues, 200 steps) and `t5-sum-lora`
# (the same with a LoRA adapter, r = 4 on `q` and `v`, merged into the weights) — the zoo trains them with Lab 05's
# own `llmlab.finetune.tune` recipe, bit for bit at one thread (Lab 05's notebook trains at two threads, which
# sums floats in another order: its runs differ from these by about 0.01 ROUGE-L).

# %%
bench_items = benchmark.items()
splits_used = {t.family: "test" for t in benchmark.TASKS.values()}
print("items per task:", {k: len(v) for k, v in bench_items.items()}, "| splits:", splits_used)
with report.timer() as t_bench:
    results = benchmark.run(benchmark.CONTENDERS, bench_items)
table = pd.DataFrame([r.row() for r in results])
table["95% CI"] = [f"{lo:.3g}–{hi:.3g}" for lo, hi in zip(table["low"], table["high"])]
print(f"{len(benchmark.CONTENDERS)} models scored in {t_bench.seconds:.0f} s")
table.pivot_table(index=["skill", "metric"], columns="model", values="score", aggfunc="first",
                  sort=False).round(3)

# %%
shown = table[table["metric"].isin(["accuracy", "ROUGE-L", "slot accuracy"])].copy()
shown["panel"] = shown["skill"] + "\n" + shown["metric"]
models = [c.name for c in benchmark.CONTENDERS]
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [4, 1.3]})
panels = list(dict.fromkeys(shown["panel"]))
width = 0.8 / len(models)
for i, m in enumerate(models):
    sub = shown[shown["model"] == m].set_index("panel").reindex(panels)
    x = np.arange(len(panels)) + (i - (len(models) - 1) / 2) * width
    axes[0].bar(x, sub["score"], width, yerr=[sub["score"] - sub["low"], sub["high"] - sub["score"]],
                capsize=2, label=m)
for j, p in enumerate(panels):
    chance = shown[shown["panel"] == p]["chance"].dropna()
    if len(chance):
        axes[0].hlines(chance.iloc[0], j - 0.45, j + 0.45, colors="k", linestyles=":", lw=1)
axes[0].set_xticks(np.arange(len(panels)), panels, fontsize=8); axes[0].set_ylim(0, 1)
axes[0].set_ylabel("score (95% CI)"); axes[0].legend(fontsize=7, ncol=2)
axes[0].set_title("dotted: chance", fontsize=8)
bl = table[table["metric"] == "BLEU"].set_index("model").reindex(models)
axes[1].bar(np.arange(len(models)), bl["score"], yerr=[bl["score"] - bl["low"], bl["high"] - bl["score"]],
            capsize=2, color=[f"C{i}" for i in range(len(models))])
axes[1].set_xticks(np.arange(len(models)), models, rotation=30, fontsize=7)
axes[1].set_title("translation BLEU", fontsize=9)
plt.tight_layout(); plt.show()

# %% [markdown]
# What the table says about the zoo, and what its intervals allow us to say:
# - **Sentiment** is solved by every decoder (0.94–0.96; their intervals overlap, so the table does not rank them).
# - **Summarization** separates the models: gpt-instruct and the T5 models were trained on it, the base LMs were
#   not. Slot accuracy is below 0.1 for the zoo's general models: they write summary-shaped text with the wrong
#   names and numbers; Lab 05's full fine-tuning (`t5-sum`) lifts it to 0.13 — a start.
# - **Translation** is weak everywhere but in t5-base and `t5-sum-lora`, whose BLEU intervals are wide (100
#   sentences, a corpus metric moved by a few long matches) — and `t5-sum` has lost it.
# - **Fact recall**: no model is distinguishable from chance (0.25) — every interval contains it: none of them
#   shows that it learnt the facts of TinyWorld closed-book at this size, although the encyclopedia is in
#   gpt-base's pretraining text.
#
# **Lab 05's summarizers against the model they started from.** Is `t5-sum` better at summaries than `t5-base`?
# Their two ROUGE-L intervals above overlap, which seems to say "can't tell". But both models were scored on the
# *same* 100 dialogues, and if a dialogue that is hard for one is hard for the other (the per-item correlation is
# printed below), that shared difficulty widens both intervals without saying anything about the difference. A
# **paired bootstrap** resamples
# the items once for both models and looks at the difference (`benchmark.paired_difference`; tested against
# `scipy.stats.bootstrap(paired=True)`): the shared difficulty cancels, and the interval of the difference is what
# answers the question.

# %%
by = {(r.model, r.task, r.metric): r for r in results}
paired_rows = []
for m in ("t5-sum", "t5-sum-lora"):
    for task, metric in (("summarize", "ROUGE-L"), ("summarize", "slot accuracy"), ("translate", "BLEU")):
        ft, start = by[(m, task, metric)], by[("t5-base", task, metric)]
        d, lo, hi = benchmark.paired_difference(ft, start)
        paired_rows.append({"model": m, "score": f"{benchmark.SKILL[task]} {metric}", "t5-base": start.score,
                            "fine-tuned": ft.score, "difference": d, "paired 95% CI": f"{lo:+.3g} to {hi:+.3g}",
                            "low": lo, "high": hi,
                            "separate CIs overlap": bool(ft.low <= start.high and start.low <= ft.high)})
paired = pd.DataFrame(paired_rows).set_index(["model", "score"])
n_dialogues = len(bench_items["summarize"])
per_item = {m: np.array([by[(m, "summarize", "ROUGE-L")].statistic(np.array([i])) for i in range(n_dialogues)])
            for m in ("t5-base", "t5-sum")}
print(f"per-dialogue ROUGE-L, t5-base against t5-sum: correlation {np.corrcoef(*per_item.values())[0, 1]:.2f}")
paired.drop(columns=["low", "high"]).round(3)

# %% [markdown]
# ("separate CIs overlap": whether the two models' own 95% intervals, from the benchmark table, overlap.) The
# paired intervals settle it. `t5-sum`'s ROUGE-L gain over t5-base (+0.059) has a paired interval of +0.031
# to +0.090, clear of 0, although the two separate intervals overlap; its slot accuracy rises by 0.076. The same
# benchmark shows the price a summarization score alone would hide: translation BLEU falls from 9.97 to 0.06 —
# Lab 05's catastrophic forgetting, on the benchmark's items. `t5-sum-lora` (its adapter merged into the weights)
# gains nothing measurable on summaries (+0.008, interval −0.016 to +0.031) and loses 3.7 BLEU (−6.9 to −0.6)
# — a case where the separate intervals overlap and only the paired one shows a loss. That loss is smaller than
# full fine-tuning's by far, and how large it is depends on the build: the zoo built on CI's machine gave −1.4
# (−5.0 to +2.0), an interval that contains 0. So what this benchmark shows on every build is *less* forgetting
# with LoRA than with full fine-tuning (asserted), not a loss of a given size. A merged adapter is a change to the
# model like any other, and a benchmark over several skills is where its side effects show.
#
# **The scoring rule is part of the benchmark.** gpt-plain (gpt-base's twin trained without "bursty" few-shot
# documents, Lab 01) ranks the two labels by likelihood as well as gpt-base does, yet when it has to *write* the
# answer after four examples it never writes a label (the "generated" rows): it did not learn to read a task off
# its context. The same model, the same items, 0.96 or 0.0 by how the answer is taken.

# %%
gen = table[table["skill"] == "sentiment"].pivot_table(index="model", columns="metric", values="score").round(3)
gen

# %% [markdown]
# ## 6. The same tasks through lm-evaluation-harness
#
# EleutherAI's **lm-evaluation-harness** (`lm-eval`) is what most leaderboards run. It evaluates a model already in
# memory (`HFLM(pretrained=model, tokenizer=tok)`) on a task defined by a small YAML file; ours read the
# benchmark's items from a local JSONL file (`dataset_path: json`, `output_type: multiple_choice`), with the same
# prompts, so nothing is downloaded (the Hub's offline switches are set too, `harness.go_offline`).

# %%
mc_items = {k: v for k, v in bench_items.items() if "choices" in v[0]}
folder = tempfile.mkdtemp(prefix="lab06_lm_eval_")
harness_rows = []
with report.timer() as t_harness:
    for c in benchmark.CONTENDERS:
        if not all(c.prompt(k, mc_items[k][0]["input"]) for k in mc_items):
            continue
        model, tok = c.load()
        prompts = {k: [c.prompt(k, r["input"]) for r in rows] for k, rows in mc_items.items()}
        sub = f"{folder}/{c.name}"
        tasks = harness.write_tasks(mc_items, prompts, sub)
        lm_eval_scores = harness.evaluate(model, tok, tasks, sub)
        for k in mc_items:
            ours = table[(table["model"] == c.name) & (table["skill"] == benchmark.SKILL[k])
                         & (table["metric"] == "accuracy")]["score"].item()
            harness_rows.append({"model": c.name, "task": k, "ours": ours, "lm-eval acc": lm_eval_scores[f"tw_{k}"]})
harness_table = pd.DataFrame(harness_rows)
harness_gap = (harness_table["ours"] - harness_table["lm-eval acc"]).abs().max()
print(f"lm-eval ran {len(harness_table)} task evaluations in {t_harness.seconds:.1f} s; largest difference from "
      f"ours: {harness_gap:.2g}")
print(open(f"{folder}/gpt-instruct/tw_sentiment.yaml").read().replace(folder, "<tmp>"))
harness_table

# %% [markdown]
# The same items and the same rule give the same accuracies: an accuracy is a count over items, so "equal"
# here means equal to the item. lm-eval adds much that this lab does not: hundreds of published tasks, few-shot
# sampling, generation tasks with answer filters, normalised accuracy (`acc_norm`, dividing by the answer's length),
# and standard errors.
#
# ## 7. Was the benchmark in the training data? A contamination check
#
# A test item that leaked into the training data measures memory, not skill. GPT-3's paper (Brown et al. 2020,
# app. C) checked by **n-gram overlap**: an item is suspect when its word 13-grams occur in the training corpus.
# Here every text field of every TinyWorld *train* split is the corpus (all that any zoo model could have trained
# on), and an item is flagged when ≥ 80% of its 13-grams occur there (an item shorter than 13 words: when it occurs
# verbatim). To see that the check can fire, we plant one contaminated item: a training dialogue with its summary,
# added to the summarization task.

# %%
with report.timer() as t_cont:
    train_texts = benchmark.training_texts()
    index13 = benchmark.contamination_index(train_texts, n=13, threshold=0.8)
    clean = pd.DataFrame(benchmark.contamination(bench_items, index13))
    leaked = tinyworld.rows("dialogsum", "train")[7]
    planted_items = dict(bench_items, summarize=bench_items["summarize"] + [
        {"id": "PLANTED " + leaked["id"], "input": leaked["dialogue"], "target": leaked["summary"]}])
    planted = pd.DataFrame(benchmark.contamination(planted_items, index13))
    index8 = benchmark.contamination_index(train_texts, n=8, threshold=0.8)
    loose = pd.DataFrame(benchmark.contamination(bench_items, index8))
print(f"{len(train_texts):,} training texts indexed, three checks in {t_cont.seconds:.1f} s")
pd.concat({"13-grams, clean splits": clean.set_index("task")[["items", "flagged", "max overlap", "mean overlap"]],
           "13-grams, one planted item": planted.set_index("task")[["items", "flagged", "max overlap"]],
           "8-grams, clean splits": loose.set_index("task")[["items", "flagged", "max overlap", "mean overlap"]]},
          axis=1)

# %% [markdown]
# With 13-grams, summarization, translation and fact recall come out clean (largest overlaps well under the
# threshold) and the planted dialogue is found with overlap 1.0. Know what this check can see: a translation or
# question shorter than 13 words has no 13-gram, so it is flagged only if it equals a whole training text — for
# those splits "clean" means little more than "no duplicated rows". The sentiment split is *not* entirely clean, and
# the check says so: a few short reviews (count in the table) consist wholly of word sequences that occur in
# the training data — the test split shares no whole row with the training split, but TinyWorld writes reviews
# from a few dozen stock sentences, and the same sentences in the same order recur inside training documents
# (few-shot documents, instruction inputs). For a model those items are memory, not skill; at ~1.5% of the split
# they cannot move the sentiment scores beyond their intervals. With 8-grams many more reviews are flagged, and
# some summaries: short templated texts share whole sentences with training ones. Real benchmarks have the same
# problem with boilerplate, which is why n must be long enough (GPT-3 used 13 words) and why a flag is a reason
# to look, not proof of a leak. The check also cannot see a *paraphrased* leak.

# %%
flagged13 = clean.set_index("task").loc["sentiment", "flagged ids"]
for r in bench_items["sentiment"]:
    if r["id"] in flagged13:
        inside = sum(r["input"] in t for t in train_texts)
        print(f"flagged: {r['input']!r} — verbatim inside {inside} training text(s)")

# %% [markdown]
# ## 8. Try it for real
#
# - `PROFILE = "hub"`: `metrics.load` loads the Hub's `rouge` and `sacrebleu` modules (the same interface, the same
#   numbers). With internet, `lm-eval --model hf --model_args pretrained=google/flan-t5-base --tasks ...` runs
#   published tasks; on FLAN-T5 base and DialogSum (the course's Lab 2), compare ROUGE-1/L with slot-free
#   measures such as BERTScore, and with an LLM judge, on outputs you label yourself.
# - `PROFILE = "gpu"`: the same lab; the benchmark's evaluation sizes are what would change (`profile.eval_size`),
#   and intervals narrow as 1/√n — four times the items halve them.
# - Beyond this lab: HELM (many metrics per scenario, not only accuracy), MMLU and BIG-bench (knowledge and
#   reasoning at scale), chrF and COMET for translation, G-Eval and MT-Bench for LLM judges (and their biases:
#   position, length, self-preference), and paired bootstrap tests for "is model A better than model B?".
#
# ## What you should see
#
# The lab records its key numbers and checks that each lesson held; `report.summary()` shows them as one table
# (a lesson that did not hold is marked ✘ and stops the notebook with `LessonFailed`).

# %%
def score(model, skill, metric):
    return table[(table["model"] == model) & (table["skill"] == skill) & (table["metric"] == metric)].iloc[0]


c = course.set_index("candidate")
report.record("course_pairs", {r.candidate: [round(r["ROUGE-1"], 3), round(r["ROUGE-L"], 3), round(r.BLEU, 1)]
                               for _, r in course.iterrows()}, note="[ROUGE-1, ROUGE-L, sentence BLEU]")
report.record("evaluate_vs_yours_max_gap", float(evaluate_gap))
report.record("evaluate_bleu", [round(ev_bleu, 4), round(ours_bleu, 4)], note="[evaluate module, yours]")
report.record("judge_agreement", {r: round(float(v), 3) for r, v in overall.items()},
              note=f"{len(test_ex)} held-out candidates, rule-labelled reader")
report.record("judge_by_kind", {k: [round(float(v), 2) for v in row] for k, row in
                                agree.groupby("kind")[rules].mean().iterrows()}, note=str(rules))
report.record("judge_unseen_kind", {k: round(v["never seen"], 2) for k, v in unseen.items()})
report.record("benchmark", {f"{r.model} {r.skill} {r.metric}": [round(r.score, 3), round(r.low, 3), round(r.high, 3)]
                            for r in table.itertuples()}, note="[score, 95% low, high]")
report.record("lab05_paired", {f"{m} {k}": [round(r.difference, 3), round(r.low, 3), round(r.high, 3)]
                               for (m, k), r in paired.iterrows()}, note="vs t5-base: [difference, paired 95% CI]")
report.record("lm_eval", {f"{r.model} {r.task}": [round(r.ours, 4), round(r['lm-eval acc'], 4)]
                          for _, r in harness_table.iterrows()}, note="[ours, lm-eval]")
report.record("contamination_13", {r.task: [r.flagged, round(r["max overlap"], 2)] for _, r in clean.iterrows()},
              note="[flagged, max overlap]")
report.record("contamination_8", {r.task: [r.flagged, round(r["max overlap"], 2)] for _, r in loose.iterrows()})
report.record("seconds", {"judge": round(t_judge.seconds, 1), "benchmark": round(t_bench.seconds),
                          "lm_eval": round(t_harness.seconds, 1), "contamination": round(t_cont.seconds, 1)})

# %%
report.expect(c.loc["It is not cold outside.", "ROUGE-1"] >= 0.8
              and c.loc["Mike adores sipping tea.", "ROUGE-1"] <= 0.5,
              "a negation keeps ROUGE high while a faithful paraphrase scores low",
              detail=f"negation {c.loc['It is not cold outside.', 'ROUGE-1']:.2f}, "
                     f"paraphrase {c.loc['Mike adores sipping tea.', 'ROUGE-1']:.2f}")
report.expect(evaluate_gap < 1e-9 and abs(ev_bleu - ours_bleu) < 1e-9,
              "evaluate with the repository's modules gives your numbers, offline",
              detail=f"max ROUGE gap {evaluate_gap:.1e}, BLEU {ev_bleu:.3f} vs {ours_bleu:.3f}")
report.expect(overall["judge"] >= overall.drop("judge").max() + 0.1,
              "the learned judge agrees with the reader better than ROUGE-L or slot accuracy (by > 0.1)",
              detail=", ".join(f"{r} {v:.2f}" for r, v in overall.items()))
report.expect(by_kind.loc["negated", f"agrees: slots ≥ {t_slot:.2f}"] < 0.5
              and by_kind.loc["copied dialogue", f"agrees: slots ≥ {t_slot:.2f}"] < 0.5,
              "slot accuracy accepts negations and copied dialogues (it only sees the facts)",
              detail=f"agreement on negated {by_kind.loc['negated', f'agrees: slots ≥ {t_slot:.2f}']:.2f}, "
                     f"copied {by_kind.loc['copied dialogue', f'agrees: slots ≥ {t_slot:.2f}']:.2f}")
report.expect(max(v["never seen"] for v in unseen.values()) < 0.5,
              "a judge misses each failure kind it was never trained on",
              detail=", ".join(f"{k} {v['never seen']:.2f}" for k, v in unseen.items()))
inst, base = score("gpt-instruct", "summarization", "ROUGE-L"), score("gpt-base", "summarization", "ROUGE-L")
report.expect(inst.low > base.high, "the benchmark separates a model trained on a skill from one that was not "
              "(summaries: non-overlapping intervals)", detail=f"gpt-instruct {inst.score:.3f} [{inst.low:.3f}, "
              f"{inst.high:.3f}] vs gpt-base {base.score:.3f} [{base.low:.3f}, {base.high:.3f}]")
sum_gain, bleu_cost = paired.loc[("t5-sum", "summarization ROUGE-L")], paired.loc[("t5-sum", "translation BLEU")]
report.expect(sum_gain["low"] > 0 and bleu_cost["high"] < 0,
              "across skills the benchmark shows Lab 05's trade: fine-tuning on summaries raises summarization and "
              "costs translation (paired intervals exclude 0)",
              detail=f"ROUGE-L {sum_gain['difference']:+.3f} [{sum_gain['low']:+.3f}, {sum_gain['high']:+.3f}], "
                     f"BLEU {bleu_cost['difference']:+.2f} [{bleu_cost['low']:+.2f}, {bleu_cost['high']:+.2f}]")
lora_bleu = paired.loc[("t5-sum-lora", "translation BLEU")]
report.expect(lora_bleu["difference"] > bleu_cost["high"],
              "the merged LoRA adapter forgets less translation than full fine-tuning (its BLEU change lies above "
              "full fine-tuning's paired interval)",
              detail=f"BLEU {lora_bleu['difference']:+.2f} [{lora_bleu['low']:+.2f}, {lora_bleu['high']:+.2f}] vs "
                     f"full fine-tuning's {bleu_cost['difference']:+.2f} [{bleu_cost['low']:+.2f}, "
                     f"{bleu_cost['high']:+.2f}]")
plain_mc = score("gpt-plain", "sentiment", "accuracy")
plain_gen = score("gpt-plain", "sentiment", "accuracy (generated)")
report.expect(plain_mc.score - plain_gen.score > 0.5,
              "the scoring rule changes the result: likelihood vs generated answer",
              detail=f"gpt-plain sentiment {plain_mc.score:.3f} vs {plain_gen.score:.3f}")
report.expect(harness_gap < 1e-9 and len(harness_table) >= 2,
              "lm-evaluation-harness gives the same accuracies on the same items",
              detail=f"{len(harness_table)} evaluations, max gap {harness_gap:.1e}")
planted_row = planted.set_index("task").loc["summarize"]
clean_by_task = clean.set_index("task")
report.expect(planted_row["flagged"] == clean_by_task.loc["summarize", "flagged"] + 1
              and any(i.startswith("PLANTED") for i in planted_row["flagged ids"])
              and clean_by_task["flagged"].sum() <= 0.02 * clean_by_task["items"].sum(),
              "the contamination check finds the planted item and flags at most 2% of the held-out items",
              detail=f"planted: {planted_row['flagged ids']}; held-out flagged: "
                     + ", ".join(f"{t} {int(r.flagged)}/{int(r['items'])}" for t, r in clean_by_task.iterrows()))
report.expect(loose["flagged"].sum() > clean["flagged"].sum(),
              "with short n-grams, templated text looks contaminated (8-grams flag more than 13-grams)",
              detail=f"{int(loose['flagged'].sum())} vs {int(clean['flagged'].sum())} items")
report.summary()
