# %% [markdown]
# # Lab 01 — Prompting and sampling
#
# **Topics:** what a large language model (LLM) and a prompt are · tokens and the "≈ 4 characters per token" rule ·
# the context window and `max_new_tokens` · one model, many use cases · in-context learning (zero-, one- and
# few-shot prompts) and its limits · decoding: greedy, random sampling, temperature, top-k, top-p, repetition
# penalty · the generative-AI project life cycle.
#
# **After this lab you can**
# - explain what a model sees (tokens, a fixed window) and what it returns (a distribution over the next token);
# - build zero/one/few-shot prompts and *measure* whether shots help, and say why they stop helping;
# - implement temperature, top-k, top-p and repetition penalty as logits transforms that equal Hugging Face's, and
#   plug them into `model.generate`;
# - read a diversity-versus-quality plot and choose decoding settings for a task.
#
# **Time.** Running top to bottom: about 1–3 minutes on 2 CPU cores (`PROFILE = "cpu"`), under a minute on a GPU
# (`"gpu"`), a few minutes plus downloads on `"hub"`. Working through it: 60–90 minutes.
#
# The models are the course's *zoo*: small GPT-2-style models that `llmlab` trains itself on **TinyWorld**, a
# generated little world of people, towns, shops, reviews and dialogues. They are tiny (about a million
# parameters), so everything runs offline on a laptop, yet they show the same effects as the big ones.
# Four exercises (§5) ask you to write code; each is followed by a check cell that tells you what is wrong.

# %% tags=["parameters"]
PROFILE = "cpu"  # "cpu" (offline, TinyWorld zoo), "gpu" (CUDA), "hub" (Hugging Face checkpoints)

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
import torch

import llmlab
from llmlab import inference, prompts, report, tinyworld, zoo
from llmlab.lab01 import checks, prompting, sampling

profile = llmlab.setup(PROFILE)
# held-out rows per point of a curve, at most what the test splits hold (200 each; gpu's eval_size is 400)
N_REVIEWS = min(profile.eval_size, len(tinyworld.rows("reviews", "test")))              # sentiment curves
N_DIALOGUES = min(max(40, profile.eval_size // 4), len(tinyworld.rows("dialogsum", "test")))  # summary curves
pd.set_option("display.precision", 3)

# %% [markdown]
# ## 1. What an LLM is, and what a prompt is
#
# A language model is a function from a sequence of **tokens** to a probability distribution over the *next*
# token. To generate text, pick a token from that distribution, append it, and repeat. The text you start from is
# the **prompt**; what comes out is the **completion**. Everything in this lab — prompt engineering, few-shot
# examples, temperature, top-p — is about shaping either the input of that function or the way we pick from its
# output.
#
# Let us load the zoo's base model (`gpt-base`: a decoder-only transformer like GPT-2, trained on TinyWorld text)
# and look at its next-token distribution for a prompt.

# %%
base_name = profile.models["base"]
base, tok = zoo.load(base_name, device=profile.device)
window = prompts.window_of(base, tok)
print(f"{base_name}: {sum(p.numel() for p in base.parameters()) / 1e6:.2f}M parameters, "
      f"vocabulary {len(tok):,} tokens, context window {window} tokens")

prompt = "The baker sells fresh"
logits = prompting.next_token_logits(base, tok, prompt)            # (V,) one score per vocabulary entry
print("the prompt as the model reads it:", prompts.show_tokens(tok, prompt))
print(sampling.format_table(sampling.next_token_table(logits.softmax(-1), tok, n=8)))

# %% [markdown]
# The model does not return *a* word but a probability for every token of its vocabulary; the table shows the
# most likely ones. Note where this prompt ends: "fresh" is not in the 2,048-token vocabulary, so the model reads
# ` f`, `re`, `sh` and is asked for the token after an unfinished word. Its favourite, `n`, continues that word;
# ` bread`, what a reader expects, comes second. What "the next token" is depends on where the tokenizer cut (§2).
# Generating text means repeating that step; `inference.complete` does it for a batch of prompts
# (greedy: always append the most likely token):

# %%
for p in ["Pamen went to the market in", "Dialogue:\nAnna: Hello! Is this the bakery?\n"]:
    print(repr(p), "->", repr(inference.complete(base, tok, [p], max_new_tokens=24, stop_at_newline=False)[0]))

# %% [markdown]
# ## 2. Tokens: the "≈ 4 characters per token" rule, measured
#
# Models do not read characters or words but **tokens**: pieces of text from a fixed vocabulary, here a byte-level
# BPE (byte-pair encoding) of 2,048 entries trained on TinyWorld text. Frequent words are one token; rare words are
# cut into several pieces. Prices, limits and context windows are counted in tokens, and the usual rule of thumb
# for English with GPT-style tokenizers is **≈ 4 characters (≈ ¾ of a word) per token**. Let us measure it here.

# %%
review = tinyworld.rows("reviews", "test")[0]["text"]
pieces = prompts.show_tokens(tok, review)
print(f"{len(review)} characters, {len(review.split())} words -> {len(pieces)} tokens")
print("|".join(pieces))

# %%
unseen = ["The quick brown fox jumps over the lazy dog.",
          "Photosynthesis converts sunlight into chemical energy.",
          "Quantum computers exploit superposition and entanglement."]
corpora = {
    "reviews (English-like)": [r["text"] for r in tinyworld.rows("reviews", "test")],
    "dialogues": [d["dialogue"] for d in tinyworld.rows("dialogsum", "test")],
    "Toy language": [r["toy"] for r in tinyworld.rows("translation", "test")],
    "English it never saw": unseen,
}
token_table = pd.DataFrame({name: prompts.token_stats(tok, texts) for name, texts in corpora.items()}).T
token_table[["texts", "chars", "words", "tokens"]] = token_table[["texts", "chars", "words", "tokens"]].astype(int)
token_table

# %% [markdown]
# On the text it was trained on, the tokenizer gets close to the rule of thumb. On English it has never seen
# ("photosynthesis", "entanglement") it falls apart into two-character pieces: a tokenizer is fitted to its
# training text, which is why real LLMs train theirs on huge, varied corpora — and why non-English text and code
# often cost more tokens (and money) per character. The invented Toy language, with fewer repeated
# words, also costs more tokens per character than English-like text.

# %% [markdown]
# ## 3. The context window and `max_new_tokens`
#
# A transformer has a fixed **context window**: it has learned position embeddings for a limited number of
# positions (here 256; GPT-3 had 2,048, recent models 128k and more). Prompt *and* completion must fit in it, so the
# room for the prompt is `window − max_new_tokens`. What happens when a prompt is longer? `inference.complete`
# does what most serving stacks do: it keeps the **last** tokens and drops the start. Below, a three-shot
# summarization prompt that is far too long:

# %%
dialogues = tinyworld.rows("dialogsum", "test")
long_prompt = prompts.build_prompt("summarize", dialogues[0]["dialogue"], tinyworld.rows("dialogsum", "train")[:3])
fit = prompts.fit_to_window(tok, long_prompt, window, max_new_tokens=48)
print(f"prompt {fit.prompt_tokens} tokens; room for the prompt: {window} - 48 = {fit.budget}; "
      f"dropped from the start: {fit.dropped_tokens} tokens")
print("\n--- the model never sees (start) ---\n" + fit.dropped_text[:160] + " ...")
print("\n--- the model sees (start) ---\n" + fit.kept_text[:160] + " ...")

# %% [markdown]
# The first thing to go is the **instruction** at the top (and here the first examples). A model
# fed the raw, too-long sequence does not even run: its position embeddings end at 256.

# %%
ids = tok(long_prompt, return_tensors="pt")["input_ids"]
if profile.device == "cpu":  # on CUDA this is a device-side assert that breaks the session: don't
    try:
        base(ids)
    except (IndexError, RuntimeError) as err:
        print(f"{ids.shape[1]} tokens into a {window}-token model -> {type(err).__name__}: {str(err)[:80]}")

# %% [markdown]
# `max_new_tokens` bounds the completion: too small and the answer is cut off mid-sentence; larger leaves less
# room for the prompt. Here the instruction-tuned model (`gpt-instruct`) summarizes one dialogue with three budgets:

# %%
instruct_name = profile.models["instruct"]
instruct, itok = zoo.load(instruct_name, device=profile.device)
ask = prompts.instruction_prompt("Summarize the dialogue:", dialogues[0]["dialogue"])
for m in (4, 12, 48):
    print(f"max_new_tokens={m:2d}:", inference.complete(instruct, itok, [ask], max_new_tokens=m)[0])
print("reference:          ", dialogues[0]["summary"])

# %% [markdown]
# At 4 tokens the summary is cut off mid-sentence; at 48 it is finished, fluent — and every fact in it is wrong:
# another customer (Pyric, not Neric Dryley), another item (a "Lucky coin", not an oak drum), another day and price
# (Sunday and 26 coins, not Wednesday and 10). Text that reads well and is not grounded in the input is a
# **hallucination**. A word-overlap score such as ROUGE-L still gives it some credit (it shares "will", "for",
# "coins"); §4 therefore also counts *slot accuracy*, the share of the dialogue's facts the summary copies right.
#
# **One model, many use cases.** What LLMs are used for — chat, writing, summarizing, translating, answering
# questions, extracting information, writing code, calling tools — is one mechanism, next-token prediction, asked in
# different words. `gpt-instruct` was taught six such tasks; here is the first held-out request of each, answered
# greedily, beside the reference answer:

# %%
tour = pd.DataFrame(prompting.use_case_tour(instruct, itok)).set_index("task")
print(f"{int(tour['exact'].sum())} of {len(tour)} answers are exactly the reference")
with pd.option_context("display.max_colwidth", 80):
    display(tour)

# %% [markdown]
# On the build that ran these outputs only the review's class is exactly right. The other answers show the *form* of
# their task before its content: the summary is a fluent "X buys Y at Z for N coins" about the wrong customer, item
# and shop (a hallucination again), the fact list opens with the right field name and a wrong value, the translation
# starts like the reference and stops early, the answer is one short word that is not the pet's name, and the
# past-tense rewrite is babble. That is what 0.7M parameters and 500 steps of instruction tuning buy; Lab 05 measures
# how fine-tuning moves such numbers, Lab 06 how to measure them fairly. Two use cases of the list are not in this
# table because they need more than one completion: writing code that is then run (PAL) and calling tools or external
# data (RAG, ReAct) are Lab 10's, on `gpt-pal` and `gpt-rag`; a chat model and the policy it should follow, Labs
# 07-08.
#
# ## 4. In-context learning: zero-, one- and few-shot prompts
#
# A **zero-shot** prompt states the task and the input. A **one-shot** or **few-shot** prompt first shows `k`
# solved examples ("shots") in the same format; the model is expected to read the task off them — *in-context
# learning* (ICL), with no weight update. Large models do this well; whether a small one does depends on its
# training data (Chan et al., 2022): `gpt-base` was trained on TinyWorld text *plus* "bursty" documents, each
# holding several examples of one task whose format and label words change from document to document, so the only
# way to predict the next label is to read it off the context. Its twin `gpt-plain` saw exactly the same examples,
# but each in a document of its own. `gpt-instruct` is `gpt-base` after instruction tuning.
#
# The start of one of those documents (TinyWorld's `icl` family):

# %%
bursty = next(d for d in tinyworld.rows("icl", "train") if d["task"] == "sentiment")
print("\n".join(bursty["text"].splitlines()[:6]) + "\n...")

# %% [markdown]
# This document writes its reviews as `Input:` / `Output:` and labels them `A` and `B` — here `B` for a positive
# review; another document uses `positive`/`negative`, `yes`/`no` or `blue`/`red`, either way round. The labels can
# only be predicted by reading them off the examples above, and that is what `gpt-base` learned to do. So the
# sentiment curve below measures how well a model reads, from the shots, the format and the label words of a task it
# was trained on in exactly this form; it does not show that the model can learn *any* task from examples. A task in
# none of these documents comes after the summaries.
#
# A two-shot sentiment prompt (shots drawn, seeded, from the training split):

# %%
reviews_test, reviews_train = tinyworld.rows("reviews", "test"), tinyworld.rows("reviews", "train")
print(prompts.few_shot_prompts("sentiment", reviews_test[:1], reviews_train, k=2)[0])

# %% [markdown]
# We score each model on held-out reviews with `k` = 0, 1, 2, 4, 8 shots: the answer is right when its first word
# is the gold label (`positive`/`negative`); `label_word_rate` counts answers that use one of those two words at
# all. Same prompts for every model. (`profile.models` has no `gpt-plain` twin on the `hub` profile.)

# %%
CONTROL = "gpt-plain"  # gpt-base's twin without bursty documents (a zoo model; the Hub has none)
has_control = not profile.hub and CONTROL in zoo.RECIPES
icl_names = [base_name, CONTROL, instruct_name] if has_control else [base_name, instruct_name]
if not has_control:
    print(f"no {CONTROL!r} control model in this profile's zoo: comparing {icl_names} only")
icl_models = {name: zoo.load(name, device=profile.device) for name in icl_names}
KS_SENTIMENT = [0, 1, 2, 4, 8]
sentiment = {name: prompts.few_shot_eval(m, t, "sentiment", KS_SENTIMENT, n=N_REVIEWS)
             for name, (m, t) in icl_models.items()}
instruct_native = prompts.few_shot_eval(instruct, itok, "sentiment", [0], n=N_REVIEWS, style="instruction")[0]
pd.concat({name: pd.DataFrame(rows).set_index("k") for name, rows in sentiment.items()}, axis=1)

# %% [markdown]
# Now dialogue summarization (ROUGE-L against the reference summary, and slot accuracy: the share of the
# dialogue's facts — names, items, days, prices — copied verbatim). A dialogue prompt is about 100 tokens, so
# watch the `truncated` column: with a 256-token window, minus 48 for the answer, one shot seldom fits and two
# never do.

# %%
KS_SUMMARY = [0, 1, 2]
summaries = {name: prompts.few_shot_eval(m, t, "summarize", KS_SUMMARY, n=N_DIALOGUES)
             for name, (m, t) in icl_models.items()}
instruct_native_summary = prompts.few_shot_eval(instruct, itok, "summarize", [0], n=N_DIALOGUES,
                                                  style="instruction")[0]
pd.concat({name: pd.DataFrame(rows).set_index("k") for name, rows in summaries.items()}, axis=1)

# %% [markdown]
# Do shots not help summaries, or are they only cut off? The same evaluation on dialogues short enough that one
# shot fits beside the query (queries and shots of at most 80 tokens; 47 of the 200 test dialogues are, and the
# first `N_DIALOGUES` of them are asked):

# %%
SHORT_TOKENS = 80
short_summaries = {name: prompting.few_shot_eval_short(m, t, "summarize", KS_SUMMARY, N_DIALOGUES, SHORT_TOKENS)
                   for name, (m, t) in icl_models.items()}
pd.concat({name: pd.DataFrame(rows).set_index("k") for name, rows in short_summaries.items()}, axis=1)

# %% [markdown]
# And a task that is in none of the bursty documents (they hold sentiment, summaries and translations): name who
# is speaking, from a dialogue's first line in which they introduce themselves ("I'm Neric Dryley." → `Neric`).

# %%
KS_NAME = [0, 1, 2, 4]
name_queries, name_pool = prompting.name_rows("test"), prompting.name_rows("train")
print(prompts.few_shot_prompts(prompting.NAME_TASK, name_queries[:1], name_pool, k=1)[0], "\n")
names = {name: prompts.few_shot_eval_on(m, t, prompting.NAME_TASK, KS_NAME, name_queries, name_pool)
         for name, (m, t) in icl_models.items()}
pd.concat({name: pd.DataFrame(rows).set_index("k")[["accuracy", "label_word_rate", "truncated"]]
           for name, rows in names.items()}, axis=1)

# %% [markdown]
# **Wording.** A prompt's exact words matter too. `gpt-instruct` was tuned with five phrasings of the sentiment
# request; here are two of them and four it never saw, each on the same held-out reviews, zero-shot:

# %%
PHRASINGS = {"Classify this review:": "seen in tuning",
             "Did the customer like the product? Answer positive or negative.": "seen in tuning",
             "Is the customer happy? Answer positive or negative.": "new",
             "Review sentiment (positive or negative):": "new",
             "What does the customer think of it?": "new",
             "Tell me about this review.": "new"}
wording_rows = reviews_test[:N_REVIEWS]
wording = pd.DataFrame([
    {"instruction": ph, "phrasing": kind, **prompts.score("sentiment", inference.complete(
        instruct, itok, [prompts.instruction_prompt(ph, r["text"]) for r in wording_rows], max_new_tokens=3),
        wording_rows)}
    for ph, kind in PHRASINGS.items()]).set_index("instruction")
wording

# %% [markdown]
# Here the wording hardly matters: 0.91–0.97 for every phrasing, seen or new, and even "Tell me about this review."
# gets a label. The model keys on the review itself — after a review it was only ever asked for a label — so
# this measures a small, narrowly tuned model, not a rule. Large general models can be far more sensitive: Sclar et
# al. (2023) found accuracy spreads of tens of points across prompt formats that mean the same thing. Measure your
# own prompt's wording on held-out data before trusting it.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
prompting.plot_icl_curves(sentiment, "accuracy", ax=axes[0], title=f"review sentiment ({N_REVIEWS} held-out)",
                          baselines={f"{instruct_name}, zero-shot instruction": instruct_native["accuracy"]})
prompting.plot_icl_curves(summaries, "rougeL", ax=axes[1], title=f"dialogue summaries ({N_DIALOGUES} held-out)",
                          baselines={f"{instruct_name}, zero-shot instruction": instruct_native_summary["rougeL"]})
axes[0].set_ylim(0, 1.05); axes[1].set_ylim(0, 1.05)
plt.tight_layout(); plt.show()

# %% [markdown]
# **Reading the curves.**
# - Zero-shot, `gpt-base` rarely even answers with `positive`/`negative` (see `label_word_rate`): the prompt does
#   not say which label words we want. One or two shots fix that — the model reads the *format* off the examples —
#   and accuracy jumps. That is in-context learning.
# - `gpt-plain` saw the same examples, one per document, and gains far less from shots: ICL is a product of the
#   training data, not of the architecture.
# - Instruction tuning moves the benefit to zero-shot: `gpt-instruct`, asked in its own instruction format, does
#   the task with no examples at all — this is why chat models need few shots. Shots can even *hurt* a small
#   instruction-tuned model: they are a format it was not tuned on, and they push the query further from the start.
# - For summaries, a dialogue prompt is so long that one shot seldom fits (34 of 40 truncated) and two never do:
#   the window cuts the shots (and the instruction) away. On dialogues short enough for one shot to fit, the shot
#   does help `gpt-base` a little (ROUGE-L 0.04 → 0.08), far below what instruction tuning gives (0.34), and it
#   *hurts* `gpt-instruct` (0.28 → 0.20: not its format). With a small model or window, **fine-tuning** (Lab 05) is
#   the way on.
# - The name task, in none of the bursty documents, is where `gpt-base`'s in-context learning ends: no name right
#   at any k, and never one of the names at all. It learned to read the format and label words of the task
#   families it was trained on in bursty form, not to learn a new task from examples. That general ability grows
#   with model size (Brown et al. 2020) and with the variety of tasks in the training data (Chan et al. 2022); a
#   0.7M-parameter model trained on three task families does not have it. `gpt-instruct` names a few speakers
#   zero-shot (8%) and fewer with shots.

# %% [markdown]
# ## 5. Decoding: from a distribution to text
#
# **Greedy** decoding always takes the most likely token: deterministic, and prone to loops. **Random sampling**
# draws the next token from the distribution: varied, and sometimes off. Between the two sit knobs that reshape or
# cut the distribution before drawing:
#
# | knob | does | effect |
# |---|---|---|
# | temperature *T* | logits / *T* | *T* < 1 sharpens (towards greedy), *T* > 1 flattens (more random) |
# | top-k | keep the *k* most likely tokens | cuts the long tail at a fixed count |
# | top-p (nucleus) | keep the top tokens until their probability reaches *p* | fixed mass: few if sure, many if not |
# | repetition penalty | lower the scores of tokens already in the text | fewer loops |
#
# Greedy twice gives the same text; sampling twice (different seeds) does not:

# %%
story = ["Pamen went to the market in"]
greedy_runs = [prompting.generate_texts(base, tok, story, max_new_tokens=30, stop_at_newline=False)[0]
               for _ in range(2)]
sampled_runs = [prompting.generate_texts(base, tok, story, do_sample=True, seed=s, max_new_tokens=30,
                                         stop_at_newline=False)[0] for s in range(2)]
for label, text in [("greedy #1", greedy_runs[0]), ("greedy #2", greedy_runs[1]),
                    ("sampled, seed 0", sampled_runs[0]), ("sampled, seed 1", sampled_runs[1])]:
    print(f"{label:16s} {text!r}")


# %% [markdown]
# Each knob below is a function `logits (B, V) -> logits (B, V)`: a batch of `B` score rows over a vocabulary of
# `V` tokens. Filters set removed tokens to `-inf` (probability 0 after softmax). Return a **new** tensor of the
# input's dtype (float32 here: no `.double()`); do not modify `logits` in place. The check cell under each
# exercise compares your function with the Hugging Face logits processor that `model.generate` uses, on hundreds
# of random and edge cases, and tells you what went wrong.
#
# ### Exercise 1: temperature
# Divide the logits by `t`. Temperatures `t <= 0` are meaningless (greedy decoding is the limit `t → 0`): raise a
# `ValueError`.

# %%
def temperature(logits: torch.Tensor, t: float) -> torch.Tensor:
    # Exercise 1: temperature
    ### BEGIN SOLUTION
    if not t > 0:
        raise ValueError(f"temperature must be > 0, got {t}")
    return logits / t
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_temperature(temperature, name="Exercise 1: temperature")


# %% [markdown]
# ### Exercise 2: top-k
# Keep the `k` largest logits of each row and set the others to `-inf`. Tokens tied with the `k`-th largest value
# are all kept (that is what Hugging Face does); `k` larger than the vocabulary keeps everything.
# Hint: `torch.topk(logits, k, dim=-1).values[..., -1:]` is the `k`-th largest value of each row.

# %%
def top_k(logits: torch.Tensor, k: int) -> torch.Tensor:
    # Exercise 2: top-k
    ### BEGIN SOLUTION
    k = min(k, logits.size(-1))
    kth_largest = torch.topk(logits, k, dim=-1).values[..., -1:]          # (B, 1)
    return logits.masked_fill(logits < kth_largest, float("-inf"))        # (B, V)
    ### END SOLUTION


# %%
checks.check_top_k(top_k, name="Exercise 2: top-k")


# %% [markdown]
# ### Exercise 3: top-p (nucleus)
# Keep the smallest set of most likely tokens whose total probability is at least `p`; the token that *crosses* `p`
# is kept. With probabilities (0.5, 0.3, 0.2) and `p = 0.6`, keep the first two (0.5 < 0.6 ≤ 0.8). Always keep at
# least the most likely token. Hint: sort, `softmax`, `cumsum`, then map the mask back to vocabulary order with
# `scatter`. (To agree with Hugging Face exactly when a cumulative sum lands *on* `p`, sort ascending and drop the
# tokens whose cumulative mass from the bottom is `<= 1 - p`.)

# %%
def top_p(logits: torch.Tensor, p: float) -> torch.Tensor:
    # Exercise 3: top-p
    ### BEGIN SOLUTION
    sorted_logits, sorted_idx = torch.sort(logits, dim=-1, descending=False)   # (B, V) least likely first
    tail_mass = sorted_logits.softmax(dim=-1).cumsum(dim=-1)                  # (B, V)
    sorted_remove = tail_mass <= (1 - p)                                       # drop while mass >= p remains
    sorted_remove[..., -1:] = False                                            # keep the most likely token
    remove = sorted_remove.scatter(-1, sorted_idx, sorted_remove)              # (B, V) vocabulary order
    return logits.masked_fill(remove, float("-inf"))
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_top_p(top_p, name="Exercise 3: top-p")

# %% tags=["solution_only"]
# Instructor only: the check rejects the classic off-by-one (dropping the token that crosses p).
from llmlab.checks import CheckFailed


def top_p_without_crossing_token(logits, p):
    probs, idx = torch.sort(logits.softmax(-1), dim=-1, descending=True)
    remove_sorted = probs.cumsum(-1) > p
    remove_sorted[..., 0] = False
    return logits.masked_fill(remove_sorted.scatter(-1, idx, remove_sorted), float("-inf"))


try:
    checks.check_top_p(top_p_without_crossing_token, name="Exercise 3: top-p")
except CheckFailed as err:
    print("check caught it:", str(err)[:300])
else:
    raise AssertionError("the top-p check accepts a nucleus without the crossing token")


# %% [markdown]
# ### Exercise 4: repetition penalty
# `input_ids` (B, T) holds the tokens generated so far (prompt included). For every token that occurs in a row's
# `input_ids`, make its logit less attractive: divide it by `penalty` if it is positive, multiply it by `penalty` if
# it is negative (both lower it when `penalty > 1`). A token seen several times is penalised once (CTRL, Keskar et
# al. 2019). Hint: `torch.gather` the seen logits, change them, `scatter` them back.

# %%
def repetition_penalty(logits: torch.Tensor, input_ids: torch.Tensor, penalty: float) -> torch.Tensor:
    # Exercise 4: repetition penalty
    ### BEGIN SOLUTION
    seen = torch.gather(logits, -1, input_ids)                           # (B, T)
    seen = torch.where(seen < 0, seen * penalty, seen / penalty)          # (B, T)
    return logits.scatter(-1, input_ids, seen)                            # (B, V)
    ### END SOLUTION


# %%
checks.check_repetition_penalty(repetition_penalty, name="Exercise 4: repetition penalty")


# %%
# Stuck? The reference stands in below (one line says so); the check above still fails until yours passes.
temperature = checks.yours_or_reference("Exercise 1: temperature", temperature, sampling.temperature,
                                        checks.check_temperature)
top_k = checks.yours_or_reference("Exercise 2: top-k", top_k, sampling.top_k, checks.check_top_k)
top_p = checks.yours_or_reference("Exercise 3: top-p", top_p, sampling.top_p, checks.check_top_p)
repetition_penalty = checks.yours_or_reference("Exercise 4: repetition penalty", repetition_penalty,
                                               sampling.repetition_penalty, checks.check_repetition_penalty)

# %% [markdown]
# ### Your functions inside `model.generate`
# `sampling.as_processor(fn, **kwargs)` wraps a function as a Hugging Face `LogitsProcessor`;
# `sampling.processors(...)` puts them in the order `generate` applies its own (repetition penalty, temperature,
# top-k, top-p). With the same seed, your processors and Hugging Face's built-in ones must produce **the same
# tokens**:

# %%
mine = {"temperature": temperature, "top_k": top_k, "top_p": top_p, "repetition_penalty": repetition_penalty}
settings = dict(temperature=0.8, top_k=20, top_p=0.9, repetition_penalty=1.3)
tok.padding_side = "left"  # a decoder continues from the right end of every row
enc = tok(["Pamen went to the market in", "Anna: Hello! Is this the bakery?"], return_tensors="pt", padding=True)
enc = {k: v.to(profile.device) for k, v in enc.items()}
common = dict(max_new_tokens=25, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
torch.manual_seed(0)
with_yours = base.generate(**enc, do_sample=True, logits_processor=sampling.processors(**settings, impl=mine), **common)
torch.manual_seed(0)
with_hf = base.generate(**enc, do_sample=True, **settings, **common)
print("identical tokens:", torch.equal(with_yours, with_hf))
print(tok.decode(with_yours[1], skip_special_tokens=True))

# %% [markdown]
# ## 6. Measured effects of the knobs
#
# **Diversity against quality.** `gpt-instruct` summarizes held-out dialogues four times each under every setting.
# *Quality* is ROUGE-L against the reference; *diversity* is distinct-2 among the four summaries of one dialogue
# (the share of their word pairs that are unique; four identical greedy summaries score 0.25). Your functions do
# the filtering.

# %%
sweep_dialogues = dialogues[:N_DIALOGUES // 2]
sweep_prompts = [prompts.instruction_prompt("Summarize the dialogue:", d["dialogue"]) for d in sweep_dialogues]
SETTINGS = ([{"greedy": True}]
            + [{"temperature": t} for t in (0.3, 0.6, 1.0, 1.5, 2.0)]
            + [{"temperature": t, "top_p": p} for t in (1.0, 1.5) for p in (0.5, 0.8, 0.95)]
            + [{"greedy": True, "repetition_penalty": r} for r in (1.2, 1.5)])
SEEDS = [0, 1, 2]   # every sampled setting three times: the error bars are ± 1 standard deviation over seeds
sweep = prompting.sweep_over_seeds(instruct, itok, sweep_prompts, [d["summary"] for d in sweep_dialogues],
                                   SETTINGS, seeds=SEEDS, samples=4, impl=mine)
sweep_table = pd.DataFrame(sweep).set_index("setting")[["quality", "quality_sd", "diversity", "diversity_sd",
                                                        "example"]]
family = lambda r: ("greedy + repetition penalty" if "repetition_penalty" in r  # noqa: E731
                    else f"T={r['temperature']:g} + top-p" if "top_p" in r
                    else "temperature" if "temperature" in r else "greedy")
prompting.plot_sweep(sweep, group=family)
plt.title("decoding settings: diversity vs quality (gpt-instruct, summaries)", fontsize=9)
plt.show()
sweep_table

# %% [markdown]
# Raising the temperature walks along a trade-off: more diverse text, lower quality, and at high temperature the
# text falls apart (ROUGE-L 0.33 greedy, 0.24 at T = 1, 0.12 at T = 2). Top-p cuts the unreliable tail, and at
# T = 1.5 it recovers quality (0.16 → 0.24 with p = 0.5) — but look where those points land: on the temperature
# curve. T = 1.5 with top-p 0.5 is as diverse and as good as plain T = 1 (0.88 / 0.24 against 0.89 / 0.24), and at
# T = 1 the top-p points lie on the line through the temperature points too, within about a standard deviation
# over the three seeds. In this sweep top-p buys nothing a lower temperature does not; its promise — the head's
# diversity without the tail's nonsense — would show as points *above* the temperature curve, and a 0.7M-parameter
# model on 20 dialogues does not produce them. Nor does a low temperature beat greedy here (T = 0.3: 0.31 against
# 0.33). `temperature ≈ 0.7–1, top_p ≈ 0.9` are common defaults for open-ended text; greedy (or a low temperature)
# is the choice when there is one right answer, as for a summary.
#
# The two `greedy, rep=…` rows are greedy decoding with a repetition penalty: the same summaries every time
# (diversity 0.24: four identical summaries score at most 1/4), and ROUGE-L falls from 0.33 to 0.22 at 1.2 and 0.17 at
# 1.5 — a summary must repeat the dialogue's names, items and numbers, and the penalty pushes the model off them.
#
# **Repetition.** Greedy continuation with `gpt-base` tends to loop (look back at the dialogue in §1). Here it continues
# the first line of 24 held-out dialogues for 60 tokens; the repetition penalty (your Exercise 4, plugged in with
# `as_processor`) lowers the share of word 3-grams that repeat one seen earlier in the same text (its cost on a
# task with a reference is in the sweep above: the summaries' ROUGE-L):

# %%
openers = [d["dialogue"].split("\n")[0] + "\n" for d in tinyworld.rows("dialogsum", "validation")[:24]]  # first lines
repetition = prompting.repetition_effect(base, tok, openers, penalties=[1.0, 1.2, 1.5], max_new_tokens=60,
                                         fn=repetition_penalty)
pd.DataFrame(repetition).set_index("penalty")

# %% [markdown]
# ## 7. Explore the next-token distribution
#
# The course's picture: a prompt, the candidate next words with their probabilities (*cake 0.20, donut 0.10,
# banana 0.02, apple 0.01, …*), and the knobs deciding which of them can still be drawn. Below, the same for a
# TinyWorld prompt: a hollow bar is a token's probability after temperature (what top-k/top-p look at); a green
# bar and its number are the probability it is sampled with after the cut, renormalised; grey bars are cut.
# The static figure shows four settings; the sliders under it (in a live notebook) let you try your own.

# %%
prompting.next_token_explorer(base, tok, "Pamen went to the market in")

# %% [markdown]
# ## 8. The generative-AI project life cycle
#
# 1. **Scope** — define the use case narrowly: which task(s), what "good" means, what it may cost. (Here:
#    sentiment labels and dialogue summaries, measured by accuracy, ROUGE-L and slot accuracy.)
# 2. **Select** — use an existing model or pretrain your own (Lab 02 architectures, Lab 03 pretraining and scaling
#    laws; Lab 04 for the memory and compute it takes).
# 3. **Adapt and align** — *prompt engineering* first (this lab: zero/one/few-shot); when that is not enough,
#    *fine-tune* (Lab 05: instruction tuning, LoRA and other PEFT); *align with human feedback* (Lab 07 RLHF,
#    Lab 08 constitutional AI); and *evaluate* every step (Lab 06).
# 4. **Deploy and augment** — optimise the model for inference (Lab 09: distillation, quantization, pruning) and
#    connect it to data and tools it lacks (Lab 10: retrieval-augmented generation, PAL, ReAct).
#
# Decoding settings belong to step 4 as much as to step 3: they are chosen per task, at serving time.

# %% [markdown]
# ## What you should see
#
# The lab records its key numbers and checks that each lesson held, with a margin; `report.summary()` shows
# them as one table (a lesson that did not hold is marked ✘ and stops the notebook with `LessonFailed`).

# %%
import re

acc = {name: {r["k"]: r["accuracy"] for r in rows} for name, rows in sentiment.items()}
rouge = {name: {r["k"]: r["rougeL"] for r in rows} for name, rows in summaries.items()}
best_k = max(KS_SENTIMENT[1:], key=lambda k: acc[base_name][k])
report.record("chars_per_token", round(token_table.loc["reviews (English-like)", "chars_per_token"], 3),
              note="zoo tokenizer on TinyWorld reviews")
report.record("chars_per_token_unseen_english", round(token_table.loc["English it never saw", "chars_per_token"], 3))
for name in acc:
    report.record(f"sentiment_acc/{name}", [round(acc[name][k], 3) for k in KS_SENTIMENT],
                  note=f"k = {KS_SENTIMENT}, {N_REVIEWS} held-out reviews")
    report.record(f"summary_rougeL/{name}", [round(rouge[name][k], 3) for k in KS_SUMMARY],
                  note=f"k = {KS_SUMMARY}, {N_DIALOGUES} held-out dialogues")
report.record("sentiment_acc/instruct_zero_shot_instruction", round(instruct_native["accuracy"], 3))
report.record("use_case_tour_exact", {task: bool(ok) for task, ok in tour["exact"].items()},
              note=f"{profile.models['instruct']}, the first held-out request of each task, greedy")
report.record("sentiment_acc/instruct_by_wording", {k: round(v, 3) for k, v in wording["accuracy"].items()})
report.record("summary_rougeL/instruct_zero_shot_instruction", round(instruct_native_summary["rougeL"], 3))
report.record("summary_truncated_at_2_shots", summaries[base_name][-1]["truncated"], unit="prompts",
              note=f"of {N_DIALOGUES}")
for name in short_summaries:
    report.record(f"short_summary_rougeL/{name}", [round(r["rougeL"], 3) for r in short_summaries[name]],
                  note=f"k = {KS_SUMMARY}, dialogues of ≤ {SHORT_TOKENS} tokens")
    report.record(f"name_task_acc/{name}", [round(r["accuracy"], 3) for r in names[name]],
                  note=f"k = {KS_NAME}, {len(name_queries)} first lines")
for r in sweep:
    report.record("sweep/" + re.sub(r"[^A-Za-z0-9_.]+", "_", r["setting"]),
                  {"quality": round(r["quality"], 3), "quality_sd": round(r["quality_sd"], 3),
                   "diversity": round(r["diversity"], 3)}, note=f"mean over {len(SEEDS)} seeds")
for r in repetition:
    report.record(f"repeated_3gram_rate/penalty_{r['penalty']:g}", round(r["repeated"], 3))

# %%
cpt = token_table["chars_per_token"]
report.expect(3.0 <= cpt["reviews (English-like)"] <= 5.0, "≈ 4 characters per token on English-like text",
              detail=f"{cpt['reviews (English-like)']:.2f}")
report.expect(cpt["English it never saw"] < cpt["reviews (English-like)"] - 0.5,
              "text unlike the tokenizer's training data costs more tokens per character",
              detail=f"{cpt['English it never saw']:.2f} vs {cpt['reviews (English-like)']:.2f}")
gain_base = acc[base_name][best_k] - acc[base_name][0]
report.expect(gain_base >= 0.3, f"few-shot prompting beats zero-shot for {base_name} on sentiment by a wide margin",
              detail=f"{acc[base_name][0]:.2f} zero-shot -> {acc[base_name][best_k]:.2f} with {best_k} shots")
if has_control:
    gain_plain = max(acc[CONTROL][k] for k in KS_SENTIMENT[1:]) - acc[CONTROL][0]
    report.expect(gain_plain < gain_base - 0.2,
                  "the control trained without bursty documents gains far less from shots",
                  detail=f"{CONTROL} gains {gain_plain:+.2f}, {base_name} {gain_base:+.2f}")
report.expect(instruct_native["accuracy"] >= acc[base_name][0] + 0.3,
              "instruction tuning makes zero-shot work", detail=f"{instruct_native['accuracy']:.2f} vs "
              f"{acc[base_name][0]:.2f} for {base_name} zero-shot")
report.expect(summaries[base_name][-1]["truncated"] == N_DIALOGUES,
              "two-shot dialogue prompts no longer fit the window",
              detail=f"{summaries[base_name][-1]['truncated']}/{N_DIALOGUES} truncated")
name_best = max(r["accuracy"] for r in names[base_name])
report.expect(name_best < 0.5 * acc[base_name][best_k],
              f"a task in none of the bursty documents is not read off the shots: {base_name} names the speaker "
              "at less than half its sentiment accuracy at every k",
              detail=f"name task best {name_best:.2f} (k = {KS_NAME}), sentiment {acc[base_name][best_k]:.2f}")
report.expect(torch.equal(with_yours, with_hf), "your processors inside model.generate give Hugging Face's tokens")
report.expect(greedy_runs[0] == greedy_runs[1] and sampled_runs[0] != sampled_runs[1],
              "greedy decoding is deterministic, sampling is not")
by = {r["setting"]: r for r in sweep}
report.expect(by["T=2"]["diversity"] > by["T=0.3"]["diversity"] + 0.1 > by["greedy"]["diversity"] + 0.1,
              "higher temperature gives more diverse text than low temperature, which beats greedy",
              detail=f"distinct-2 greedy {by['greedy']['diversity']:.2f}, T=0.3 {by['T=0.3']['diversity']:.2f}, "
              f"T=2 {by['T=2']['diversity']:.2f}")
report.expect(by["greedy"]["quality"] > by["T=2"]["quality"] + 0.1, "... and costs quality",
              detail=f"ROUGE-L greedy {by['greedy']['quality']:.2f}, T=2 {by['T=2']['quality']:.2f}")
# the gain is a difference of two sampled scores: 0.056-0.108 over 7 seeds and 20 or 50 dialogues (CPU), hence 0.03
report.expect(by["T=1.5, top-p=0.5"]["quality"] > by["T=1.5"]["quality"] + 0.03,
              "top-p recovers quality at a high temperature",
              detail=f"ROUGE-L {by['T=1.5']['quality']:.2f} -> {by['T=1.5, top-p=0.5']['quality']:.2f}")
rep = {r["penalty"]: r["repeated"] for r in repetition}
report.expect(rep[1.5] < rep[1.0] - 0.1, "a repetition penalty lowers repeated 3-grams",
              detail=f"{rep[1.0]:.2f} -> {rep[1.5]:.2f}")
report.expect(by["greedy, rep=1.5"]["quality"] < by["greedy"]["quality"] - 0.05,
              "... and costs quality where the answer must repeat the input (greedy summaries' ROUGE-L falls)",
              detail=f"ROUGE-L {by['greedy']['quality']:.2f} -> {by['greedy, rep=1.5']['quality']:.2f}")
report.summary()

# %% [markdown]
# ## Try it for real
#
# - `PROFILE = "gpu"` (or `LLMLAB_PROFILE=gpu`): the same zoo models on CUDA and a larger held-out set
#   (`profile.eval_size` = 400, capped at the 200 test reviews; 100 dialogues), so the curves are smoother;
#   everything else is unchanged.
# - `PROFILE = "hub"` (internet needed): `profile.models` become real checkpoints — GPT-2 as the base model and
#   FLAN-T5 as the instruction-tuned one — loaded by the same `zoo.load` and evaluated by the same code on
#   TinyWorld prompts. Expect GPT-2 to do little zero-shot and to gain from shots (GPT-3's paper in miniature), and
#   FLAN-T5 to need none. The Hub has no `gpt-plain` control; the lab skips it there.
# - Things to try: other label words in the shots (`yes`/`no`, or flipped labels: does the model follow the shots
#   or its prior?), shots in a different format from the query, `k` beyond the window, the explorer on your own
#   prompts, and `sampling.generate` — the decode loop written out — to watch each step.
