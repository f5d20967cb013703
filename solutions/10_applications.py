# %% [markdown]
# # Lab 10 — LLM-powered applications: RAG, chain of thought, PAL, ReAct, an orchestrator
#
# **Topics:** knowledge cut-off and hallucination · retrieval-augmented generation (chunking, a sparse BM25 index,
# a dense retriever trained contrastively in a FAISS index, hybrid fusion, recall@k and MRR) · the context window
# as a budget · prompt injection through a retrieved document · chain of thought vs program-aided language models
# with a sandboxed interpreter · ReAct (thought, action, observation) · an orchestrator (prompt templates, memory,
# tools, chains) and the same chain in LangChain · the architecture of an LLM application · responsible AI.
#
# **After this lab you can**
# - show a model's knowledge cut-off: count the confident wrong answers it gives about facts that changed;
# - build and measure retrieval — BM25 (`bm25s`), a dense encoder trained on question/passage pairs (FAISS), their
#   fusion — with recall@k and MRR, and write BM25's scoring and the metrics yourself;
# - measure what retrieval buys a model, what the context window costs, and what a poisoned document does;
# - run a ReAct agent with a step limit and a parser that survives malformed actions;
# - assemble the same retrieval-augmented chain from small parts and from LangChain's runnables.
#
# **Time.** Running top to bottom: about 1 minute on 2 idle CPU cores (`PROFILE = "cpu"`, measured 49 s with the zoo
# built; building `gpt-rag` and `gpt-pal` first adds 3–5 minutes). Working through it: 90–120 minutes.
#
# **The model.** The zoo's `gpt-rag` is `gpt-base` (0.69M parameters, 256-token window) fine-tuned on TinyWorld's
# `rag` family for three jobs: answer from retrieved chunks, answer closed-book, and take ReAct steps. At this
# scale a model does none of these unless it was trained to, so it was. The knowledge base is TinyWorld's
# encyclopedia *after* a cut-off: some facts changed (a price, a shop's closing day, a town's mayor) and new people
# arrived; the model was trained on the world before. The knowledge base stores one statement per fact — "The price
# of the tin lamp is 14 coins." — and every answer opens with the statement's words, so that reading an answer is
# copying what follows a phrase found in the context. That storage format is a choice made for a 2-layer model;
# §3 says what it hides.

# %% tags=["parameters"]
PROFILE = "cpu"  # "cpu" (2 cores, minutes), "gpu" (CUDA: 4x the dense retriever's training steps)

# %%
import copy
import random

import matplotlib.pyplot as plt
import pandas as pd
import torch

import llmlab
from llmlab import report, tinyworld, zoo
from llmlab.lab10 import checks, lc, orchestrator, pal, rag, react, retrieval, sandbox
from llmlab.tinyworld.knowledge import rag_prompt

profile = llmlab.setup(PROFILE)
model, tok = zoo.load(profile.models["rag"])
WINDOW = model.config.n_positions
DOCS = tinyworld.rows("rag", "docs")
TEST = tinyworld.rows("rag", "test")
FACTS = [r for r in TEST if r["kind"] in ("updated", "unseen")]     # changed after the cut-off, or never seen
HOPS = [r for r in TEST if r["kind"] == "multihop"]
pd.set_option("display.precision", 3)
print(f"{profile.models['rag']}: {sum(p.numel() for p in model.parameters()):,} parameters, window {WINDOW} tokens")
print(f"knowledge base: {len(DOCS)} entries ({sum(d['source'] == 'update' for d in DOCS)} with a changed fact, "
      f"{sum(d['source'] == 'new' for d in DOCS)} new); questions: {len(FACTS)} facts, {len(HOPS)} multi-hop")

# %% [markdown]
# ## 1. Knowledge cut-off and hallucination
#
# A model knows what its training data said. Ask it, closed-book, about facts that changed after training or
# about people it never saw, and it still answers — fluently, in the right format, and wrong. Each changed fact
# below also carries its *old* value, so we can tell a stale answer (what the world used to say) from an
# invented one.

# %%
closed = rag.closed_book(model, tok, FACTS)
cb = pd.DataFrame({"kind": [r["kind"] for r in FACTS], "right": [p == r["answer"] for p, r in zip(closed, FACTS)],
                   "stale": [p == r.get("old") for p, r in zip(closed, FACTS)], "abstained": [p == "" for p in closed]})
cb_table = cb.groupby("kind")[["right", "stale", "abstained"]].mean()
cb_table["confidently wrong"] = 1 - cb_table["right"] - cb_table["abstained"]
n_wrong = int((~cb["right"] & ~cb["abstained"]).sum())
print(f"closed-book: {n_wrong} of {len(FACTS)} answers are wrong, and the model abstained on "
      f"{int(cb['abstained'].sum())}")
for r, p in list(zip(FACTS, closed))[:2] + list(zip(FACTS, closed))[-2:]:
    before = f", before: {r['old']!r}" if "old" in r else ""
    print(f"  {r['question']:60s} -> {p!r:22s} (now: {r['answer']!r}{before})")
cb_table

# %% [markdown]
# The model never says "I don't know" (0 abstentions): nothing in its training rewarded it. The stale column is the
# cut-off in its purest form — the model repeating what was true when it was trained (16% of the changed facts).
# A tiny model remembers few of the facts it was trained on, so most wrong answers are inventions (the most common
# job, "shopkeeper"; a plausible pet); a large model remembers many more, and its stale answers are the ones users
# believe.
#
# ## 2. Retrieval
#
# The fix is to look the answer up. Retrieval-augmented generation (RAG) splits documents into **chunks**,
# indexes them, retrieves the chunks closest to the question and puts them in the prompt. Each chunk here is three
# statements of one entry, prefixed with the entry's title (a chunk that says "He is 46." is useless without the
# name it is about).

# %%
CHUNKS = rag.chunk_corpus(DOCS)
GOLD = rag.gold_chunks(CHUNKS, FACTS)
print(f"{len(CHUNKS)} chunks from {len(DOCS)} entries; every question's fact is in exactly one chunk: "
      f"{all(len(g) == 1 for g in GOLD)}")
print(CHUNKS[0]["text"])

# %% [markdown]
# ### Sparse retrieval: BM25
#
# BM25 scores a chunk by the query words it contains, each weighted by its rarity (inverse document frequency),
# with repeated words saturating (k1) and long chunks penalised (b):
#
#   score(d) = Σ_t idf(t) · tf(t,d) · (k1 + 1) / (tf(t,d) + k1 · (1 − b + b · |d| / avgdl)),
#   idf(t) = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))
#
# **Exercise 1.** Write `bm25_scores(query, docs, k1, b)` for tokenized inputs (lists of words): one score per
# document. The check compares it with the `bm25s` library.

# %%
import math
from collections import Counter


def bm25_scores(query: list[str], docs: list[list[str]], k1: float = 1.5, b: float = 0.75) -> list[float]:
    # Exercise 1: BM25 scores
    ### BEGIN SOLUTION
    n = len(docs)
    avgdl = sum(len(d) for d in docs) / n
    df = Counter(t for d in docs for t in set(d))             # documents containing t
    scores = []
    for d in docs:
        tf = Counter(d)
        s = 0.0
        for t in query:
            if tf[t]:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                s += idf * tf[t] * (k1 + 1) / (tf[t] + k1 * (1 - b + b * len(d) / avgdl))
        scores.append(s)
    return scores
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_bm25(bm25_scores, name="Exercise 1: BM25 scores")

# %%
# Stuck? The reference stands in below (one line says so); the check above still fails until yours passes.
bm25_scores = checks.yours_or_reference("Exercise 1: BM25 scores", bm25_scores, retrieval.bm25_scores,
                                        checks.check_bm25)

# %% [markdown]
# Your function scores one query against every chunk in Python; `bm25s` does the same with a sparse matrix.
# The index is what the lab uses:

# %%
texts = [c["text"] for c in CHUNKS]
with report.timer() as t_bm25:
    bm25 = retrieval.BM25Retriever(texts)
q = FACTS[0]["question"]
mine = bm25_scores(retrieval.tokenize(q), [retrieval.tokenize(t) for t in texts])
print(f"bm25s indexed {len(texts)} chunks in {t_bm25.seconds:.2f} s; for {q!r} your top chunk is "
      f"{CHUNKS[max(range(len(mine)), key=mine.__getitem__)]['id']}, "
      f"bm25s's is {CHUNKS[bm25.search([q], 1)[0][0]]['id']}")

# %% [markdown]
# ### Dense retrieval: an encoder trained contrastively, in a FAISS index
#
# A dense retriever maps questions and chunks to vectors and retrieves by cosine similarity. Averaging a language
# model's hidden states does not give such vectors: nothing made a question land near its answer. So we train an
# encoder — `gpt-base`'s transformer, mean-pooled, plus a projection — with the InfoNCE loss on (question, chunk)
# pairs, every other chunk in the batch serving as a negative. The pairs come from the `rag` family's training
# rows: the world before the cut-off and invented people; no test question is among them.

# %%
base, _ = zoo.load(profile.models["base"])
train_rows = [r for r in tinyworld.rows("rag", "train") if r["kind"] == "reader"]
PAIRS = [(r["question"], next(c for c in r["chunks"] if f"{r['prefix']} {r['answer']}" in c)) for r in train_rows]
torch.manual_seed(0)
encoder = retrieval.DenseEncoder(copy.deepcopy(base.transformer), base.config.n_embd)
untrained_dense = retrieval.DenseRetriever(encoder, tok, texts)
DENSE_STEPS = profile.steps(60)
with report.timer() as t_dense:
    losses = retrieval.train_dense(encoder, tok, PAIRS, steps=DENSE_STEPS, batch_size=32, seed=0)
    dense = retrieval.DenseRetriever(encoder, tok, texts)
hybrid = retrieval.HybridRetriever(bm25, dense)
print(f"{DENSE_STEPS} contrastive steps on {len(PAIRS)} pairs + FAISS IndexFlatIP over {dense.index.ntotal} "
      f"vectors: {t_dense.seconds:.0f} s; InfoNCE loss {losses[0]:.2f} -> {sum(losses[-10:]) / 10:.2f}")

# %% [markdown]
# **Exercise 2.** Write the two metrics: `recall_at_k(ranked, relevant, k)` — for each query, the share of its
# relevant chunks that are in its top k, averaged over queries — and `mrr(ranked, relevant)`, the mean over
# queries of 1 / (rank of the first relevant chunk), 0 when none is retrieved. `ranked` is a list of ranked chunk
# indices per query, `relevant` a list of sets.

# %%
def recall_at_k(ranked: list[list[int]], relevant: list[set[int]], k: int) -> float:
    # Exercise 2: recall@k
    ### BEGIN SOLUTION
    return sum(len(set(r[:k]) & rel) / max(1, len(rel)) for r, rel in zip(ranked, relevant)) / len(ranked)
    ### END SOLUTION


def mrr(ranked: list[list[int]], relevant: list[set[int]]) -> float:
    # Exercise 2: MRR
    ### BEGIN SOLUTION
    return sum(next((1 / (i + 1) for i, x in enumerate(r) if x in rel), 0.0)
               for r, rel in zip(ranked, relevant)) / len(ranked)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_retrieval_metrics(recall_at_k, mrr, name="Exercise 2: recall@k and MRR")

# %%
recall_at_k, mrr = checks.yours_or_reference("Exercise 2: recall@k and MRR", (recall_at_k, mrr),
                                             (retrieval.recall_at_k, retrieval.mrr), checks.check_retrieval_metrics)

# %%
questions = [r["question"] for r in FACTS]
RETRIEVERS = {"BM25": bm25, "dense, untrained": untrained_dense, "dense": dense, "hybrid (RRF)": hybrid}
RANKED = {name: r.search(questions, 10) for name, r in RETRIEVERS.items()}
ret_table = pd.DataFrame({name: {"recall@1": recall_at_k(rk, GOLD, 1), "recall@3": recall_at_k(rk, GOLD, 3),
                                 "recall@5": recall_at_k(rk, GOLD, 5), "MRR": mrr(rk, GOLD)}
                          for name, rk in RANKED.items()}).T
ret_table

# %% [markdown]
# BM25 is perfect here, and for a reason worth knowing: every question names its entity (a rare word, high idf) and
# repeats the words of the statement it asks about ("job", "closing day") — the storage format again. Questions
# in other words than the documents' (synonyms, paraphrase) are where a dense retriever earns its keep; this data
# has none, so it cannot show that. What it shows is that a dense retriever must be *trained*: the untrained
# encoder ranks the right chunk first for a fifth of the questions, 60 steps of contrastive training make it
# nearly as good as BM25. Reciprocal-rank fusion (score = Σ 1 / (60 + rank)) needs no score calibration and lands
# between the two here.
#
# ## 3. Closed-book vs retrieval-augmented answers
#
# The reader prompt: the retrieved chunks, the question, and the answer's opening words. Two ways to decode the
# answer: **free** (greedy, any token) and **grounded** (extractive: each token must continue a span of the
# retrieved text — `rag.span_constraint` as `generate`'s `prefix_allowed_tokens_fn` — so the model chooses *which*
# span, and cannot say anything the context does not).

# %%
K = 3
print(rag_prompt(FACTS[0]["question"], [CHUNKS[i]["text"] for i in RANKED["hybrid (RRF)"][0][:K]], FACTS[0]["prefix"]))

# %%
with report.timer() as t_rag:
    preds = {"closed-book": closed}
    preds[f"RAG, hybrid, k={K}, free decoding"] = rag.answer(
        model, tok, rag.build_prompts(tok, FACTS, RANKED["hybrid (RRF)"], CHUNKS, K))
    for k in (1, K):
        for name in ("BM25", "dense", "hybrid (RRF)"):
            preds[f"RAG, {name}, k={k}"] = rag.answer_grounded(
                model, tok, rag.build_prompts(tok, FACTS, RANKED[name], CHUNKS, k))
    oracle = [[min(g)] for g in GOLD]
    preds["gold chunk only"] = rag.answer_grounded(model, tok, rag.build_prompts(tok, FACTS, oracle, CHUNKS, 1))
kinds = [r["kind"] for r in FACTS]
acc_table = pd.DataFrame({name: {kind: sum(x == r["answer"] for x, r, k in zip(p, FACTS, kinds) if k == kind) /
                                 kinds.count(kind) for kind in ("updated", "unseen")} for name, p in preds.items()}).T
acc_table["all"] = [rag.accuracy(p, FACTS) for p in preds.values()]
acc_table

# %%
fig, ax = plt.subplots(figsize=(7, 3))
acc_table[["updated", "unseen"]].plot.barh(ax=ax)
ax.set_xlabel("exact-match accuracy")
ax.set_xlim(0, 1)
ax.invert_yaxis()
ax.set_title("Facts that changed after training, and facts never seen")
plt.tight_layout()
plt.show()

# %% [markdown]
# Retrieval plus grounded decoding turns a model that cannot know into one that answers from the sources: the gain
# is the point of RAG. Two honest caveats, both measured above. First, this model does not *read* on its own: with
# free decoding its answers stay at closed-book level even with the right chunk in the prompt — 600 fine-tuning
# steps did not teach a 0.7M-parameter model to copy a value out of its context (an induction-head skill it did
# not learn in that budget). The grounded decoder supplies the copying; the model supplies the choice of span,
# guided by the kind of answer the question wants. A large model reads without such help (and is grounded by
# instructions and citations instead). Second, more chunks hurt here (k=1 vs k=3): every extra chunk offers spans of
# the same kind (another person's job, another price), and the model picks among them poorly.
#
# ## 4. The context window is a budget
#
# More chunks raise the chance that the right one is in the prompt, but the window is 256 tokens. Two policies when
# the chunks do not fit: **truncate** (hand the prompt to the model as is: the window keeps its last tokens and cuts
# the start — where the best-ranked chunk sits) and **fit** (keep as many whole chunks, best first, as fit).

# %%
rows_w = FACTS[::2]
ranked_w = [RANKED["hybrid (RRF)"][i] for i in range(0, len(FACTS), 2)]
gold_w = GOLD[::2]
window_rows = []
with report.timer() as t_window:
    for k in (1, 2, 4, 8):
        for policy in ("truncate", "fit"):
            prompts = rag.build_prompts(tok, rows_w, ranked_w, CHUNKS, k, policy=policy, window=WINDOW)
            lengths = rag.prompt_tokens(tok, prompts)
            window_rows.append({"k": k, "policy": policy,
                                "accuracy": rag.accuracy(rag.answer_grounded(model, tok, prompts), rows_w),
                                "gold retrieved": recall_at_k(ranked_w, gold_w, k),
                                "over the window": sum(n > WINDOW - 12 for n in lengths) / len(lengths),
                                "mean prompt tokens": sum(lengths) / len(lengths)})
window_table = pd.DataFrame(window_rows).set_index(["k", "policy"])
window_table

# %%
fig, ax = plt.subplots(figsize=(6, 3))
for policy, style in (("truncate", "o--"), ("fit", "s-")):
    w = window_table.xs(policy, level="policy")
    ax.plot(w.index, w["accuracy"], style, label=f"accuracy, {policy}")
ax.plot(window_table.xs("fit", level="policy").index, window_table.xs("fit", level="policy")["gold retrieved"],
        ":", color="grey", label="gold chunk in top k")
ax.set_xlabel("chunks retrieved (k)")
ax.set_ylim(0, 1.05)
ax.legend(fontsize=8)
ax.set_title(f"A {WINDOW}-token window")
plt.tight_layout()
plt.show()

# %% [markdown]
# Two effects, both measured. Most of the fall from k=1 to k=4 happens with either policy: more chunks mean more
# spans of the right kind to choose from wrongly (§3). On top of that, once the chunks overflow the window (half
# the prompts at k=4, all at k=8), truncation cuts the *best* chunks, at the start of the prompt, and does worse
# than fitting whole chunks (0.17 vs 0.25 at k=4, 0.11 vs 0.25 at k=8); fitting cannot use what it leaves out.
# Real systems face the same arithmetic at 8k–1M
# tokens: rerank, keep fewer and better chunks, compress them, or place the best ones where the model attends
# (long-context models lose facts in the middle of the window).
#
# ## 5. A document that carries an instruction
#
# A knowledge base is input from strangers: a web page, an e-mail, a shared file. An attacker plants a chunk that
# names the entity — so it is retrieved — carries an instruction, and states a false answer in the knowledge
# base's own words. We plant one per question (a wrong value of the same attribute, taken from another question),
# retrieve the top 3 with BM25 (prompts built as they come, without §4's fitting, so the clean row differs a little
# from §3's), and measure how often the model repeats the planted answer. The mitigation: a guard
# that drops retrieved chunks that talk *to* the model ("ignore", "instructions", ...) instead of stating facts.

# %%
rng = random.Random(0)
by_field: dict[str, list[str]] = {}
for r in FACTS:
    by_field.setdefault(r["field"], []).append(r["answer"])
fakes = [rng.choice([v for v in by_field[r["field"]] if v != r["answer"]] or ["nobody"]) for r in FACTS]
poison = [rag.poison_chunk(r, next(d["title"] for d in DOCS if d["id"] == r["doc_id"]), f)
          for r, f in zip(FACTS, fakes)]
print(poison[0]["text"])
P_CHUNKS = CHUNKS + poison
p_bm25 = retrieval.BM25Retriever([c["text"] for c in P_CHUNKS])
p_ranked = p_bm25.search(questions, K)
poison_ids = set(range(len(CHUNKS), len(P_CHUNKS)))
inj = {}
with report.timer() as t_inj:
    for name, guarded in (("clean knowledge base", None), ("poisoned", False), ("poisoned + guard", True)):
        ranked_i, chunks_i = (RANKED["BM25"], CHUNKS) if guarded is None else (p_ranked, P_CHUNKS)
        prompts = []
        for r, ids in zip(FACTS, ranked_i):
            ctx = [chunks_i[i]["text"] for i in ids[:K]]
            prompts.append(rag_prompt(r["question"], rag.guard(ctx) if guarded else ctx, r["prefix"]))
        p = rag.answer_grounded(model, tok, prompts)
        inj[name] = {"accuracy": rag.accuracy(p, FACTS),
                     "says the planted answer": sum(x == f for x, f in zip(p, fakes)) / len(FACTS)}
inj_table = pd.DataFrame(inj).T
print(f"the planted chunk is retrieved in the top {K} for "
      f"{sum(bool(set(r) & poison_ids) for r in p_ranked) / len(p_ranked):.0%} of the questions")
inj_table

# %% [markdown]
# The planted chunk reaches the top 3 for about half the questions (55%), and then the model — which copies whatever
# follows the phrase it matched — often repeats the lie: 17% of all answers are the planted one. The guard brings that
# back to the clean run's 0.5% and accuracy recovers, even above the clean run's, because the prompt then holds fewer
# distracting chunks. Note what did *not* happen: this model does not obey the instruction as such — it was never
# trained to follow instructions in a context; a large instruction-tuned model does, which makes injection worse
# (exfiltrating data, calling tools). The guard restores accuracy here because the attacker used the word "ignore"; a
# reworded attack passes it. Defences that do not depend on the attacker's wording: provenance (retrieve only from
# trusted sources), keeping instructions and retrieved data in separate channels, least privilege for tools, and
# checking outputs against sources.

# %% [markdown]
# ## 6. Chain of thought vs program-aided language models
#
# Ask a model for the answer to *"Reakko buys 9 brass lamps for 58532 coins each, and The Busy Anchor takes 3496
# coins off the bill. How many coins does he pay?"* and it has to produce 523292 one token at a time. **Chain of
# thought** (CoT; Wei et al. 2022) lets it write the working first: here, at digit level, the schoolbook way —
# `Multiply 58532 by 9: 2*9+0=18, 3*9+1=28, 5*9+2=47, 8*9+4=76, 5*9+7=52. Subtract 3496 from 526788: ...` — every
# step a small fact the model must get right, and this one has eleven of them (a six-digit price: thirteen).
# **Program-aided language models** (PAL; Gao et al. 2023) ask for a program instead and let an interpreter do the
# arithmetic:
#
#     quantity = 9
#     price = 58532
#     discount = 3496
#     total = quantity * price - discount
#     print(total)
#
# The program is as long for 5 coins as for 58,532: the model only has to copy the numbers into the right places.
#
# TinyWorld's `word_problems` family holds shop problems (totals, sums, discounts, bills) in six buckets by the
# number of digits of the largest number, each with both answers written out. The zoo's `gpt-pal` is `gpt-base`
# fine-tuned for 1,800 steps on both forms of every training problem (same problems, same number sizes), so the
# comparison is fair in what the model saw. Be clear about what it learned: it writes programs because it was
# trained on programs — a 0.7M-parameter model does not discover PAL — and it learned to copy numbers into them
# late (no exactly right program after 800 training steps). Below, held-out problems are answered both ways, greedily;
# every program runs in a sandbox (§6.1).

# %%
pal_model, pal_tok = zoo.load(profile.models["pal"], device=profile.device)
PAL_PER_BUCKET = 30 if profile.name == "cpu" else 100
PAL_ROWS = pal.problems("test", per_bucket=PAL_PER_BUCKET)
example = next(r for r in PAL_ROWS if r["digits"] == 4 and r["kind"] == "bill")
shown = pal.solve(pal_model, pal_tok, [example])[0]
print(example["question"], "\n")
print("chain of thought:", shown["cot"], "\n  ->", shown["cot_answer"], "(right)" if shown["cot_ok"] else
      f"(wrong: the answer is {example['answer']})")
print("\nprogram:\n" + shown["program"])
print("  -> sandbox:", shown["run"].kind, "| printed", shown["run"].value, "(right)" if shown["pal_ok"] else "(wrong)")

# %%
with report.timer() as t_pal:
    pal_records = pal.solve(pal_model, pal_tok, PAL_ROWS)
pal_table = pal.accuracy_by_digits(pal_records)
pal_frame = pd.DataFrame(pal_table).rename_axis("digits")
fig, ax = plt.subplots(figsize=(7, 3.8))
pal.plot_accuracy(ax, pal_table, PAL_PER_BUCKET)
plt.show()
print(pal_frame.round(2).to_string())
print("how the model's programs ended in the sandbox:", pal.sandbox_kinds(pal_records),
      f"({t_pal.seconds:.0f} s for {len(PAL_ROWS)} problems, both ways)")
miss = next((r for r in reversed(pal_records) if not r["program_exact"]), None)
if miss:   # the largest-number miss: which line of the program went wrong
    needed = next(r["program"] for r in PAL_ROWS if r["id"] == miss["id"])
    wrong = [(a, b) for a, b in zip(miss["program"].splitlines(), needed.splitlines()) if a != b]
    print(f"a miss ({miss['digits']} digits): the model wrote {wrong[0][0]!r} where the problem needs {wrong[0][1]!r}"
          if wrong else f"a miss ({miss['digits']} digits): {miss['program']!r}")

# %% [markdown]
# **Reading the plot.** Chain of thought is right on 3 of the 30 one-digit problems, 1 of the 30 two-digit ones and none
# from three digits up. Even the smallest numbers mostly go wrong: this 0.7M-parameter model has not learned its
# one-digit facts at this budget (above it writes `3*9+0=24`), and every extra digit adds a step at which a fact or a
# carry can go wrong, so the errors compound and accuracy stays at nothing. (Drilling the 1,120 digit facts into its
# training data as well was tried: at the same budget it then failed to learn the programs.) PAL needs none of that
# arithmetic. It is right on every problem up to four digits and on 90% and 83% of the five- and six-digit ones —
# exactly the share of programs that are exactly right: all 180 programs ran cleanly in the sandbox, and a miss is a
# program with a number miscopied (the line printed above): the longer the numbers, the more there is to miscopy. What
# this does not show: that PAL wins on questions that need judgement rather than arithmetic, or how fast a large model's
# chain of thought degrades (much later — it knows its digit facts — but it does: Nogueira et al. 2021, Dziri et al.
# 2023).
#
# ### 6.1 The interpreter is a sandbox
#
# PAL runs code a model wrote. A model can be wrong, and — through an injected document or a hostile user — it
# can be steered, so its code must be treated as untrusted. `sandbox.run_python` never runs it in the notebook's
# process. It starts a fresh `python -I` (isolated mode) in its own session, with an empty scratch directory as
# working directory, a three-variable environment and stdin from /dev/null; a bootstrap then, before the
# program's first line,
#
# 1. sets **kernel limits** on itself with `resource.setrlimit` (Exercise 4): CPU seconds, address space, file
#    size (stdout and stderr are files, so this caps output too), processes, no core dumps;
# 2. installs an **audit hook** (PEP 578: CPython raises an event before `open`, `os.system`, `socket.connect`,
#    `subprocess.Popen`, `os.fork`, ... and a hook may refuse it) that refuses processes, sockets, and any path
#    outside the scratch directory — reading as well as writing;
# 3. runs the program with **restricted builtins**: no `eval`/`exec`/`compile`/`input`, and `import` limited to
#    pure-computation modules (math, fractions, statistics, ...).
#
# The parent waits with a wall-clock timeout, kills the whole process group when it expires, and reads at most a
# capped number of bytes back. Every outcome is a `SandboxResult` whose `kind` says what happened — `ok`, `error`,
# `forbidden`, `cpu_time`, `timeout`, `memory`, `recursion`, `output`, `crashed` — never an exception here.
#
# ### Exercise 3: the program's answer
# A PAL answer is whatever the program printed last — if the run was clean. Return the whole number on the last
# non-empty line of `result.stdout` (surrounding spaces allowed; a minus sign is part of the number;
# `"33166.0"` is the whole number 33166), and `None` when the run did not succeed (`result.ok` is false — a killed
# program may have printed half an answer), printed nothing, or its last line is not a whole number
# (`"12.5"`, `"total: 55"`).

# %%
def program_answer(result: sandbox.SandboxResult) -> int | None:
    # Exercise 3: the program's answer
    ### BEGIN SOLUTION
    if not result.ok or not result.stdout.strip():
        return None
    last = result.stdout.strip().splitlines()[-1].strip()
    try:
        value = float(last)
    except ValueError:
        return None
    if not value.is_integer() or not last.lstrip("-").replace(".", "", 1).isdigit():
        return None
    return int(value)
    ### END SOLUTION


# %%
checks.check_pal_answer(program_answer, name="Exercise 3: the program's answer")

# %%
program_answer = checks.yours_or_reference("Exercise 3: the program's answer", program_answer, pal.pal_answer,
                                           checks.check_pal_answer)

# %% [markdown]
# ### Exercise 4: the sandbox's kernel limits
# The audit hook is one line of defence; the kernel is the other, and it does not care what Python thinks.
# Return the limits the child sets on itself, as `{"RLIMIT_CPU": (soft, hard), ...}` for the `resource` module:
#
# - `RLIMIT_CPU` in **seconds**: soft = `limits.cpu_seconds` (the kernel sends SIGXCPU), hard one second more
#   (SIGKILL, for a program that survives the first signal);
# - `RLIMIT_AS` (address space) in **bytes**: `limits.memory_mb` MB, soft = hard — a process may raise its own
#   soft limit up to the hard one, so a hard limit left unlimited is no limit;
# - `RLIMIT_FSIZE` in bytes: `limits.output_bytes`;
# - `RLIMIT_NPROC`: (0, 0) — no new processes (the kernel ignores this one for root, which is why the hook also
#   refuses `fork`);
# - `RLIMIT_CORE`: (0, 0) — a program killed by SIGXCPU would otherwise dump its memory to disk;
# - optionally `RLIMIT_NOFILE`: `limits.open_files`.
#
# The check compares your limits with the reference, then runs a memory bomb and an infinite loop under them.

# %%
def kernel_limits(limits: sandbox.Limits) -> dict[str, tuple[int, int]]:
    # Exercise 4: the sandbox's kernel limits
    ### BEGIN SOLUTION
    mem = limits.memory_mb * 2 ** 20
    return {"RLIMIT_CPU": (limits.cpu_seconds, limits.cpu_seconds + 1), "RLIMIT_AS": (mem, mem),
            "RLIMIT_FSIZE": (limits.output_bytes, limits.output_bytes), "RLIMIT_NPROC": (0, 0),
            "RLIMIT_CORE": (0, 0), "RLIMIT_NOFILE": (limits.open_files, limits.open_files)}
    ### END SOLUTION


# %%
checks.check_kernel_limits(kernel_limits, name="Exercise 4: the sandbox's kernel limits")

# %%
kernel_limits = checks.yours_or_reference("Exercise 4: the sandbox's kernel limits", kernel_limits,
                                          sandbox.kernel_limits, checks.check_kernel_limits)

# %% [markdown]
# Now the hostile programs — what a model steered by an attacker (or just a bad sample) might write: an infinite
# loop, a fork bomb, a memory bomb, writes outside the scratch directory, reads of `/etc/passwd` and of this
# repository, network access, `import os; os.system(...)`, `subprocess`, deep recursion, endless output — and,
# for each barrier the import allow-list puts up, a variant that walks around it (reaching the `os` module
# through `object.__subclasses__()` without importing anything), so that the audit hook is tested too. All run
# under your limits (Exercise 4), with a 1-second CPU budget.

# %%
PAL_FAST = sandbox.Limits(cpu_seconds=1, wall_seconds=4)
hostile_rows = []
with report.timer() as t_hostile:
    for name, (source, expected) in sandbox.HOSTILE.items():
        r = sandbox.run_python(source, PAL_FAST, rlimits=kernel_limits)
        hostile_rows.append({"program": name, "kind": r.kind, "contained": sandbox.contained(name, r),
                             "seconds": r.seconds, "message": r.message[:70]})
hostile = pd.DataFrame(hostile_rows).set_index("program")
after = sandbox.run_python("print(sum(range(10)))", rlimits=kernel_limits)
escaped = [m for m in sandbox.ESCAPE_MARKERS if __import__("os").path.exists(m)]
with pd.option_context("display.max_colwidth", 70, "display.width", 160):
    print(hostile.to_string())
print(f"\ntried {len(hostile)}, contained {int(hostile.contained.sum())}; files written outside: {escaped or 'none'}; "
      f"a benign program afterwards: {after.kind}, printed {after.value}; this kernel is still here.")

# %% [markdown]
# **What a process sandbox does not stop.** Everything above runs *inside* the interpreter it guards or relies on
# per-process limits, and that bounds what it can promise:
#
# - The audit hook is Python code in the same process as the attacker. CPython's audit hooks are meant for
#   *auditing*, not as a security boundary (PEP 578 says so): a bug in the interpreter or in a C extension, or
#   any way of writing to memory (`ctypes`, which the hook refuses — but the list of such doors is never known to
#   be complete), gets past it. The `object.__subclasses__()` walk above shows how porous Python's own name
#   hiding is; only the hook stopped those programs.
# - The child keeps the user's identity. The kernel would let it read every file that user can read and open any
#   socket; only the hook says no. Run as root (as this notebook may be), `RLIMIT_NPROC` does nothing.
# - Limits are per process: CPU *time*, not CPU *share*; nothing limits disk I/O, the number of runs an attacker
#   asks for, or what a program learns from timing (side channels).
# - The network is "blocked" by refusing socket events, not by taking the network away.
#
# Production systems put a kernel boundary around the code: **containers** (Linux namespaces give the process
# its own filesystem view, no network interface, its own PID space; cgroups cap memory, CPU share and process
# count for the whole group), **seccomp-bpf** filters that make the kernel refuse system calls the interpreter
# never needs (`socket`, `execve`, `ptrace`), an unprivileged user, a read-only root filesystem; then
# **gVisor** (a user-space kernel that intercepts every system call) or a **microVM** (Firecracker) when the code
# is truly hostile. Tools such as nsjail and bubblewrap package the namespace-and-seccomp part; hosted code
# interpreters for LLMs run in such VMs or containers, with no network by default.

# %%
pal_small = (pal_table["cot"][1] + pal_table["cot"][2]) / 2
pal_large = (pal_table["cot"][5] + pal_table["cot"][6]) / 2
pal_pal_small = (pal_table["pal"][1] + pal_table["pal"][2]) / 2
pal_pal_large = (pal_table["pal"][5] + pal_table["pal"][6]) / 2
pal_exact = {str(d): round(v, 3) for d, v in pal_table["program_exact"].items()}
report.record("cot_accuracy_by_digits", {str(d): round(v, 3) for d, v in pal_table["cot"].items()},
              note=f"{PAL_PER_BUCKET} held-out word problems per bucket, greedy")
report.record("pal_accuracy_by_digits", {str(d): round(v, 3) for d, v in pal_table["pal"].items()},
              note="program run in the sandbox")
report.record("pal_program_exact_by_digits", pal_exact)
report.record("pal_sandbox_kinds", pal.sandbox_kinds(pal_records))
report.record("hostile_programs", {"tried": len(hostile), "contained": int(hostile.contained.sum())},
              note=", ".join(f"{n}: {k}" for n, k in hostile.kind.items()))
report.record("pal_seconds", {"cot_and_pal": round(t_pal.seconds), "hostile": round(t_hostile.seconds)}, unit="s")

# %%
report.expect(pal_small > pal_large and pal_large <= 0.05 and max(pal_table["cot"][d] for d in (4, 5, 6)) <= 0.05,
              "chain-of-thought accuracy falls to nothing as the numbers grow (none right from 4 digits up)",
              detail=f"CoT {pal_small:.2f} at 1-2 digits -> {pal_large:.2f} at 5-6")
report.expect(pal_pal_large >= 0.5 and pal_pal_large >= pal_large + 0.4,
              "PAL keeps most of its accuracy on large numbers, far above chain of thought",
              detail=f"PAL {pal_pal_small:.2f} -> {pal_pal_large:.2f}, CoT at 5-6 digits {pal_large:.2f}")
report.expect(all(pal_table["pal"][d] >= pal_table["program_exact"][d] - 0.05 for d in pal_table["pal"]),
              "PAL is as accurate as its programs: every exactly right program gives the right answer",
              detail=f"exact programs {pal_exact}")
pal_contained = report.expect(bool(hostile.contained.all()) and not escaped and after.ok,
                             "every hostile program is contained with a clear verdict, and the kernel survives",
                             detail=f"{int(hostile.contained.sum())}/{len(hostile)} contained")

# %% [markdown]
# ## 7. ReAct: reasoning and acting over the encyclopedia
#
# "Who is the mayor of the town where Wona Ream lives?" needs two look-ups, and the second depends on the first:
# no single retrieval with the question's words finds the mayor's chunk. ReAct (Yao et al., 2022) lets the model
# interleave **thoughts**, **actions** on tools and the **observations** they return:
# `search[entity]` shows an entry's first statement, `lookup[word]` the next statement of the current entry that
# contains the word, `finish[answer]` ends. The program around the model parses each action, runs it, and appends
# the observation; a step limit stops loops that never finish.
#
# **Exercise 5.** Write `parse_action(text)`: the first line of the model's step that starts with `Action:` →
# `(name, argument)`, the name lower-cased and the argument stripped; `None` when there is no such line, the name is
# not `search`, `lookup` or `finish`, the brackets are missing or the argument is empty.

# %%
import re

ACTIONS = ("search", "lookup", "finish")


def parse_action(text: str) -> tuple[str, str] | None:
    # Exercise 5: the ReAct action parser
    ### BEGIN SOLUTION
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
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_parse_action(parse_action, name="Exercise 5: the ReAct action parser")

# %%
parse_action = checks.yours_or_reference("Exercise 5: the ReAct action parser", parse_action, react.parse_action,
                                         checks.check_parse_action)

# %%
MAX_STEPS = 6
with report.timer() as t_react:
    traces = react.react(model, tok, [r["question"] for r in HOPS], DOCS, max_steps=MAX_STEPS, parse=parse_action)
hop_closed = rag.closed_book(model, tok, HOPS)
hop_ranked = hybrid.search([r["question"] for r in HOPS], K)
hop_rag = rag.answer_grounded(model, tok, rag.build_prompts(tok, HOPS, hop_ranked, CHUNKS, K))
react_acc = sum(t.answer == r["answer"] for t, r in zip(traces, HOPS)) / len(HOPS)
hop_table = pd.DataFrame({"closed-book": {"accuracy": rag.accuracy(hop_closed, HOPS)},
                          f"single-shot RAG (hybrid, k={K})": {"accuracy": rag.accuracy(hop_rag, HOPS)},
                          f"ReAct (≤ {MAX_STEPS} steps)": {"accuracy": react_acc}}).T
status = Counter(t.status for t in traces)
n_malformed = sum(t.malformed for t in traces)
print(f"ReAct on {len(HOPS)} two-hop questions: {t_react.seconds:.0f} s, {status['finished']} finished, "
      f"{status['step limit']} hit the step limit, {n_malformed} malformed actions handled, "
      f"{sum(len(t.steps) for t in traces) / len(traces):.1f} steps on average")
hop_table

# %%
print(react.format_trace(next(t for t, r in zip(traces, HOPS) if t.answer == r["answer"] and len(t.steps) == 4)))
print()
wrong = [t for t, r in zip(traces, HOPS) if t.answer != r["answer"]]
print(react.format_trace(wrong[0]) if wrong else "(no wrong trace)")

# %% [markdown]
# A malformed action becomes an observation that says so, and the loop goes on; a step limit of 2 shows the other
# guard (no two-hop question can finish in two steps):

# %%
short = react.react(model, tok, [r["question"] for r in HOPS[:20]], DOCS, max_steps=2, parse=parse_action)
print(f"max_steps=2: {Counter(t.status for t in short)}")
bad = " I should look.\nAction: search the mayor"
print(f"parse_action({bad!r}) = {parse_action(bad)} -> observation: {react.INVALID!r}")

# %% [markdown]
# ReAct answers a few two-hop questions — 6 of 100, against 1 for single-shot RAG and 0 closed-book: a small margin at
# 100 questions, and not a reliable one — with the `gpu` profile's budgets (its dense encoder trained 4× longer)
# single-shot RAG answered 9 and ReAct 6. One retrieval step can at best find the entity's chunk, which names the town
# but not its river, so its answer is mostly a guess. ReAct's loop works — it searches, looks up, finishes, survives
# malformed actions (15 of them) and stops at the step limit (3 traces) — but the model cannot copy: the traces above
# show it writing the *wrong entity* in its first thought ("Shaissa Kymore" for "Thithalo Dodason"; "The Brave Hare" for
# "The Lucky Lantern"), garbling a town's name in its action ("Nearch[Nearch[Nearthorpe]") and finishing with the word
# "river". The "right" trace is right by luck: it looked up the wrong person, whose town's river happens to be the
# answer. This is the scale's limit, not ReAct's: the large gains the ReAct paper reports rely on a model that copies
# names reliably (its models had billions of parameters); here, grounded decoding of the action arguments would be the
# next step.
#
# ## 8. An orchestrator, and the same chain in LangChain
#
# An application around a model is mostly plumbing: a **prompt template** with slots, **memory** of the
# conversation, **tools** and **chains** that pass one step's output to the next. `llmlab.lab10.orchestrator` is
# that plumbing in ~80 lines; LangChain is the same idea, industrialised. Below, one RAG chain built both ways on the
# same retriever, template and model, run offline.

# %%
TEMPLATE = "Context:\n{context}\nQuestion: {question}\nAnswer:"
llm = orchestrator.LLM(model, tok)
ours = orchestrator.rag_chain(llm, bm25, CHUNKS, K, orchestrator.PromptTemplate(TEMPLATE))
lc_chain = lc.langchain_rag(lc.ZooLLM(model=model, tok=tok), lc.IndexRetriever(index=bm25, chunks=CHUNKS, k=K),
                            TEMPLATE)
sample = [r["question"] for r in FACTS[::20]]
with report.timer() as t_chain:
    a_ours = [ours(q) for q in sample]
    a_lc = lc_chain.batch(sample)
same = sum(a == b for a, b in zip(a_ours, a_lc))
print(f"the two chains agree on {same} of {len(sample)} questions; the LangChain chain: "
      + " | ".join(type(step).__name__ for step in lc_chain.steps))
for q, a in list(zip(sample, a_ours))[:3]:
    print(f"  {q} -> {a!r}")

# %% [markdown]
# (These chains decode freely and their template ends at "Answer:", without the statement's opening words, so the
# answers are poor — the model even drifts into ReAct phrases; grounded decoding would be one more step in either
# chain. The point here is that both chains build byte-identical prompts and get identical answers.) Memory and
# tools are
# equally small: a memory is a window of past turns rendered into the next prompt; a tool is a named function.

# %%
memory = orchestrator.Memory(turns=2)
search = orchestrator.Tool("search", "first statement of an entry", react.Encyclopedia(DOCS).search)
tools = {search.name: search}
for q in sample[:3]:
    memory.add(q, ours(q))
print(memory.render() + f"search tool: {tools['search'](HOPS[0]['steps'][0]['action'][7:-1])!r}")

# %% [markdown]
# ## 9. The application, as one picture
#
# What this lab built, in the shape of the usual LLM-application architecture (infrastructure → model → data
# sources → orchestration → tools → the application and its users):

# %%
print("""
 user question ──► APPLICATION (this notebook)                         ◄── answers, traces
                    │
                    ▼
 ORCHESTRATION   PromptTemplate · Memory · Chain · ReAct loop (step limit, action parser)   [lab10.orchestrator,
                    │            │                       │                                    lab10.react, LangChain]
       ┌────────────┘            ▼                       ▼
       ▼                  TOOLS: search / lookup     PAL: Python in a sandboxed process       [lab10.pal, sandbox]
 RETRIEVAL   chunker ─► BM25 (bm25s) ┐
             encoder ─► FAISS ───────┴─► hybrid (RRF) ─► guard (injection filter) ─► top-k that fit the window
                    │
 DATA SOURCES     knowledge base: TinyWorld encyclopedia after the cut-off (+ a poisoned chunk, §5)
                    │
 MODEL            gpt-rag (0.69M params, 256-token window), greedy decoding  [zoo]
 INFRASTRUCTURE   2 CPU cores, torch, transformers, everything offline
""")

# %% [markdown]
# ## 10. Responsible AI, in this lab's numbers
#
# - **Hallucination.** Closed-book, the model was wrong on 195 of 200 changed or new facts and never abstained
#   (§1). Retrieval with grounded decoding answered 65% right (§3) — and distracting chunks take much of that back
#   (0.65 → 0.35 at k=3, §3), a full window more (0.11 at k=8 truncated, §4); a poisoned source (§5) costs a little
#   more (0.33 → 0.27) and puts the attacker's answer in 17% of the replies. Keep citations (the chunk ids are
#   there), prefer "not in the sources" to a guess, and measure.
# - **Prompt injection.** One planted chunk per question made 17% of the answers the attacker's (§5); a word
#   filter stopped this attack and would not stop a reworded one.
# - **Toxicity.** Lab 07 measured how often a chat model's replies are rude and how much RLHF reduces it; an
#   application adds output filters on top, and they need the same kind of measurement.
# - **Intellectual property and privacy.** Whatever the knowledge base holds can end up in an answer verbatim — the
#   reader here copies spans by design. Index only what you may redistribute, and keep access control on the
#   retriever (a user must not retrieve what they may not read).
#
# ## 11. Try it for real
#
# - `PROFILE = "gpu"` trains the dense encoder 4× longer and asks §6 100 word problems per size (30 on cpu).
# - With a real model: `langchain_huggingface.HuggingFacePipeline` wraps any local Hub model (e.g. an instruction
#   model such as `google/flan-t5-base` or a small chat model) in place of `lc.ZooLLM`; a sentence-transformers
#   encoder (`all-MiniLM-L6-v2`) replaces the contrastive encoder; then ask the questions in prose, not in the
#   statement format, and measure what the statement format hid.
#
# ## What you should see
#
# The lab records its key numbers and checks that each lesson held, with a margin; `report.summary()` shows them as
# one table (a lesson that did not hold is marked ✘ and stops the notebook with `LessonFailed`).

# %%
best = acc_table.loc[[i for i in acc_table.index if i.startswith("RAG") and "free" not in i], "all"]
fit_acc = window_table.xs("fit", level="policy")["accuracy"]
trunc_acc = window_table.xs("truncate", level="policy")["accuracy"]
report.record("closed_book", {k: round(float(v), 3) for k, v in cb_table["right"].items()}, note="accuracy")
report.record("closed_book_wrong", n_wrong, note=f"of {len(FACTS)}; abstained {int(cb['abstained'].sum())}")
report.record("stale_answers", round(float(cb_table.loc["updated", "stale"]), 3), note="share of changed facts")
report.record("retrieval", {n: {c: round(float(v), 3) for c, v in r.items()} for n, r in ret_table.iterrows()})
report.record("rag_accuracy", {n: round(float(v), 3) for n, v in acc_table["all"].items()})
report.record("window", {f"k={k} {p}": round(float(r.accuracy), 3) for (k, p), r in window_table.iterrows()})
report.record("injection", {n: [round(float(r.accuracy), 3), round(float(r["says the planted answer"]), 3)]
                            for n, r in inj_table.iterrows()}, note="[accuracy, planted answer]")
report.record("multihop", {n: round(float(v), 3) for n, v in hop_table["accuracy"].items()})
report.record("react", {"finished": status["finished"], "step_limit": status["step limit"], "malformed": n_malformed})
report.record("chains_agree", f"{same}/{len(sample)}")
report.record("seconds", {"dense": round(t_dense.seconds), "rag": round(t_rag.seconds),
                          "window": round(t_window.seconds), "injection": round(t_inj.seconds),
                          "react": round(t_react.seconds), "chains": round(t_chain.seconds)})

# %%
report.expect(n_wrong >= 0.8 * len(FACTS) and cb["abstained"].sum() == 0,
              "closed-book, the model is confidently wrong on at least 80% of changed/new facts",
              detail=f"{n_wrong}/{len(FACTS)} wrong, {int(cb['abstained'].sum())} abstained")
report.expect(ret_table.loc["dense", "recall@5"] > ret_table.loc["dense, untrained", "recall@5"] + 0.3,
              "contrastive training makes the dense retriever work (recall@5 up by > 0.3)",
              detail=f"{ret_table.loc['dense, untrained', 'recall@5']:.2f} -> {ret_table.loc['dense', 'recall@5']:.2f}")
report.expect(ret_table.loc["hybrid (RRF)", "MRR"] >= min(ret_table.loc["BM25", "MRR"], ret_table.loc["dense", "MRR"]),
              "hybrid fusion is no worse than the weaker retriever (MRR)",
              detail=", ".join(f"{n} {ret_table.loc[n, 'MRR']:.2f}" for n in ("BM25", "dense", "hybrid (RRF)")))
free = acc_table.loc[f"RAG, hybrid, k={K}, free decoding", "all"]
closed_all = acc_table.loc["closed-book", "all"]
report.expect(best.max() > closed_all + 0.4 and free < closed_all + 0.1,
              "retrieval with grounded decoding raises accuracy on changed/new facts by a wide margin (> 0.4); "
              "free decoding does not (the model does not copy on its own)",
              detail=f"closed-book {closed_all:.2f}, free {free:.2f}, best grounded RAG {best.max():.2f}")
report.expect(trunc_acc.loc[4] < fit_acc.loc[4] - 0.05 and trunc_acc.loc[8] < fit_acc.loc[8] - 0.1
              and trunc_acc.loc[1] == fit_acc.loc[1],
              "once the chunks overflow the window, truncating does worse than fitting whole chunks",
              detail=f"k=4: truncate {trunc_acc.loc[4]:.2f} vs fit {fit_acc.loc[4]:.2f}; "
                     f"k=8: {trunc_acc.loc[8]:.2f} vs "
                     f"{fit_acc.loc[8]:.2f}")
report.expect(inj_table.loc["poisoned", "says the planted answer"] > 0.1 and
              inj_table.loc["poisoned + guard", "says the planted answer"] < 0.02 and
              inj_table.loc["poisoned + guard", "accuracy"] > inj_table.loc["poisoned", "accuracy"] + 0.1,
              "a poisoned chunk makes the model repeat the planted answer; the guard restores accuracy",
              detail=f"planted answer {inj_table.loc['poisoned', 'says the planted answer']:.2f}, accuracy "
                     f"{inj_table.loc['poisoned', 'accuracy']:.2f} -> "
                     f"{inj_table.loc['poisoned + guard', 'accuracy']:.2f}")
report.expect(react_acc > hop_table["accuracy"].iloc[0] and sum(status.values()) == len(HOPS),
              "on two-hop questions ReAct beats closed-book, and every trace ends (finish or step limit); "
              "against single-shot RAG it is no reliable win at this scale (the model copies names badly)",
              detail=", ".join(f"{n} {v:.2f}" for n, v in hop_table["accuracy"].items()))
report.expect(same == len(sample), "our chain and the LangChain chain give the same answers",
              detail=f"{same}/{len(sample)}")
report.summary()
