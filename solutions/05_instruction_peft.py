# %% [markdown]
# # Lab 05 — Instruction fine-tuning and parameter-efficient fine-tuning (PEFT)
#
# **Topics:** instruction data through prompt templates · full fine-tuning vs LoRA vs prompt tuning (peft) on
# dialogue summarization, with ROUGE, slot accuracy, trainable share, time and training memory · LoRA from scratch,
# merge and unmerge, and why a merged adapter costs nothing at inference · catastrophic forgetting, multi-task
# fine-tuning, adapters per task.
#
# **After this lab you can**
# - turn a data set into instruction pairs with several phrasings per task;
# - fine-tune a model fully, with LoRA and with a soft prompt through peft, and compare them on quality, trainable
#   parameters, time and memory, measured;
# - write a LoRA layer whose output equals peft's, merge it into the weight and take it out again;
# - measure forgetting, and avoid it with multi-task data or with adapters that leave the base model untouched.
#
# **Time.** Top to bottom about 2½ minutes on 2 CPU cores (`PROFILE = "cpu"`); working through it 60–90 minutes.
#
# **The base model** is the zoo's `t5-base` (an encoder-decoder, 0.97M parameters) and not `gpt-base`: like the
# course's FLAN-T5-base it was already trained on summarization (and on English → Toy translation) but is weak at
# it — ROUGE-L ≈ 0.20, the same as FLAN-T5-base's 0.20 on DialogSum — and its second skill (translation) is what
# forgetting is measured on. `gpt-base` (pretrained only) starts lower (ROUGE-L 0.06 zero-shot), but while preparing
# the lab LoRA lagged full fine-tuning just as much there (200 steps: LoRA r=8 on `c_attn` 0.13, full 0.33).

# %% tags=["parameters"]
PROFILE = "cpu"  # "cpu" (2 cores, minutes), "gpu" (CUDA: 4x the steps), "hub" (FLAN-T5 + DialogSum; see the end)

# %%
import matplotlib.pyplot as plt
import pandas as pd
import torch
from torch import nn

import llmlab
from llmlab import finetune, intervals, report, train as trainer, zoo
from llmlab.lab05 import checks, data, forgetting, lora

profile = llmlab.setup(PROFILE)
pd.set_option("display.precision", 3)
base, tok = zoo.load(profile.models["seq2seq"], device=profile.device)
DIALOGUES = data.test_rows("summarize", profile.eval_size)     # held-out dialogues (never trained on)
TRANSLATIONS = data.test_rows("translate", profile.eval_size)  # held-out English -> Toy pairs
STEPS = profile.steps(200)
print(f"{profile.models['seq2seq']}: {finetune.count(base)[1]:,} parameters; {len(DIALOGUES)} held-out dialogues, "
      f"{len(TRANSLATIONS)} held-out translations; {STEPS} fine-tuning steps of 16 for every method")

# %% [markdown]
# ## 1. Instruction data from TinyWorld
#
# Instruction tuning trains on (instruction, input, output) triples, each task asked in several phrasings so that
# the model learns the task, not one string (FLAN used ~10 templates per data set). TinyWorld has phrasings for
# every task (`tinyworld.instructions.INSTRUCTIONS`); the first template below is the T5 prefix that `t5-base` was
# trained with. Every training example draws one of the templates at random; held-out scores use the first.

# %%
for task in ("summarize", "translate"):
    for i, template in enumerate(data.PHRASINGS[task]):
        print(f"{task} {i}: {template!r}")
src, tgt = data.examples("summarize", "train", n=1, seed=3)[0]
print(f"\n--- one training pair ---\n{src}\n--> {tgt}")

# %% [markdown]
# ## 2. Full fine-tuning vs LoRA vs prompt tuning
#
# Four runs on the same 4,000 training dialogues, the same batches and the same number of steps, through the
# package's training loop (AdamW, warm-up + cosine, fp32):
# - **full fine-tuning**: every parameter trains (learning rate 3e-3);
# - **LoRA** (peft, r = 4, alpha = 8, on the attention's `q` and `v` projections of all 9 attention blocks:
#   encoder self-, decoder self- and cross-attention) — the share stays under 2% only with few targets and a small
#   rank, because in a 0.97M-parameter model the 2,048 × 96 embedding is a fifth of the parameters (lr 1e-2);
# - **prompt tuning** (peft): 20 or 100 trained "virtual token" embeddings put before the input, the model frozen
#   (lr 3e-2).
#
# *Training memory* is measured in one training step, from the tensors themselves: parameters, gradients, AdamW's
# two moments, and the activations autograd saves for the backward pass (counted through `saved_tensors_hooks`; a
# weight autograd keeps, trainable or frozen, is counted once, as a parameter, not again as an activation).

# %%
base_scores = data.score_summaries(base, tok, DIALOGUES)
sum_pairs = data.mixture(tok, {"summarize": 4000})
METHODS = {"full fine-tuning": ("full", {}),
           "LoRA r=4 (q, v)": ("lora", dict(lora_r=4, targets=("q", "v"))),
           "prompt tuning, 20 tokens": ("prompt", dict(virtual_tokens=20)),
           "prompt tuning, 100 tokens": ("prompt", dict(virtual_tokens=100))}
runs, scores = {}, {"base (zero-shot)": base_scores}
with report.timer() as t_compare:
    for label, (method, kw) in METHODS.items():
        runs[label] = finetune.tune(base, sum_pairs, method, STEPS, pad_id=tok.pad_token_id, **kw)
        scores[label] = data.score_summaries(runs[label].model, tok, DIALOGUES)
MB = 1e6
rows = []
for label, s in scores.items():
    run = runs.get(label)
    rows.append({"method": label, "ROUGE-1": s["rouge1"], "ROUGE-2": s["rouge2"], "ROUGE-L": s["rougeL"],
                 "slot acc": s["slot_acc"], "trainable": run.trainable if run else 0,
                 "share": run.share if run else 0.0, "train s": run.seconds if run else 0.0,
                 **({f"{k} MB": v / MB for k, v in run.memory.items()} if run else {})})
compare = pd.DataFrame(rows).set_index("method")
print(f"trained and scored in {t_compare.seconds:.0f} s")
compare

# %%
gain = {k: compare.loc[k, "ROUGE-L"] - base_scores["rougeL"] for k in METHODS}
lora_label = "LoRA r=4 (q, v)"
lora_fraction = gain[lora_label] / gain["full fine-tuning"]
for label in METHODS:
    print(f"{label:28s} ROUGE-L gain over the base {gain[label]:+.3f} ({gain[label] / gain['full fine-tuning']:.0%} "
          f"of full fine-tuning's)  e.g. {scores[label]['example']!r}")
print(f"{'base':28s} e.g. {base_scores['example']!r}")
full_gain = intervals.paired_bootstrap(scores["full fine-tuning"]["rougeL_per_item"], base_scores["rougeL_per_item"])
print("full fine-tuning's ROUGE-L gain, paired 95% interval over the {} dialogues: {:+.3f} to {:+.3f}".format(
    len(DIALOGUES), *full_gain[1:]))
print(f"reference: {DIALOGUES[0]['summary']!r}")

# %% [markdown]
# **Beside the course's table** (FLAN-T5-base, 250M parameters, on DialogSum; full fine-tuning "would take a few
# hours on a GPU" and was downloaded as a checkpoint):

# %%
course = pd.DataFrame({"ROUGE-1": [0.233, 0.422, 0.408], "ROUGE-L": [0.202, 0.338, 0.325],
                       "trainable share": [0.0, 1.0, 0.014]},
                      index=["original", "full fine-tuning", "LoRA (course r=32, ours r=4)"])
ours = compare.loc[["base (zero-shot)", "full fine-tuning", lora_label], ["ROUGE-1", "ROUGE-L", "share"]]
ours.index = course.index
ours.columns = course.columns
pd.concat({"course: FLAN-T5-base on DialogSum": course, f"ours: {profile.models['seq2seq']} on TinyWorld": ours},
          axis=1)

# %% [markdown]
# What the numbers say (the table above is this run's; the text was written from it):
# - **Full fine-tuning starts to copy the facts**: slot accuracy — names, items, days and prices copied from the
#   dialogue — rises from the base's 0.05 to 0.14, and ROUGE-L by 0.07 (paired 95% interval over the 100 dialogues
#   +0.04 to +0.10, so not chance). That is a start, not mastery: most summaries still get a name, an item or a
#   price wrong (the example above), and 200 steps at this size get no further than this.
# - **LoRA does not reach the course's "≥ 90% of full fine-tuning's gain" here.** With 1.4% of the parameters, at
#   the same steps, it gets about a quarter of the gain in this run (the line above), and 3% on the machine where
#   the lab was first written: with gains this small one run's share is noisy (§5 shows two runs of the same full
#   fine-tuning, differing only in the order of floating-point sums, 0.01 ROUGE-L apart). While preparing the lab
#   (on that first machine's zoo, where full fine-tuning reached 0.30–0.33 in the same 200 steps) we tried harder
#   LoRAs: r = 8 on `q, k, v, o` (5.4%) reached ROUGE-L 0.24 and r = 8 on every linear layer (9.4%) 0.23; a
#   larger LoRA learning rate (3e-2) diverged, other scalings (alpha 8–32) and learning rates (1e-3–1e-2) stayed
#   at 0.21–0.22, and 400 steps did not help (0.211).
#   Why, measured while preparing the lab (on that first machine's zoo, 200 steps, one seed): the gain is not in
#   the embeddings — full
#   fine-tuning with them frozen reached 0.299, training the attention weights alone (34% of the parameters) 0.294 —
#   but full fine-tuning's change to those weights is large (18–42% of their norm) and of *high rank*: its 4 largest
#   singular directions hold only 22–34% of it, and the full update cut to rank 4 in every linear layer scores 0.241.
#   Even LoRA r = 32 on `q, k, v, o` (18.5%) reached only 0.255. A d = 96 model has to change a lot to learn the
#   task; a 250M model that can already nearly do it needs a small change of a big, capable network — the regime of
#   the LoRA paper's claim, and not this one. Biderman et al. (2024), "LoRA Learns Less and Forgets Less", measured
#   the same on large models where the new skill is far from pretraining; §4's forgetting table shows the other half
#   of their title.
# - **Prompt tuning lags**, as the course says for models far below ~10B parameters: 20 or 100 virtual tokens move
#   ROUGE-L by about one hundredth at most (here both slightly down). 100 tokens cost 5× the trainable parameters
#   and ~1.4–2× the time (the input grows by 100 positions), for nothing more.
# - **Memory**: full fine-tuning holds a gradient and two AdamW moments for every parameter (3 × 3.9 MB here); LoRA
#   and prompt tuning hold them only for their few parameters. The activations — the biggest item at batch 16 — are
#   of one size for all methods (LoRA's about a sixth lower, as autograd keeps no input for a frozen layer's weight
#   gradient; prompt tuning's grow with its virtual tokens): PEFT saves gradient and optimizer memory, not
#   activation memory. LoRA's training time falls by a fifth to a quarter (`train s`; it varies with the machine's
#   load), not more: the backward pass still runs through the whole network.
#
# ## 3. LoRA from scratch
#
# LoRA (Hu et al. 2021) freezes a pretrained weight W (out × in) and learns a low-rank update: y = W x + b +
# (alpha / r) · B A x, with A (r × in) random and B (out × r) zero at the start, so training starts from the
# pretrained model. peft's `lora_dropout` applies dropout to the LoRA branch's input only.
#
# ### Exercise 1: a LoRA layer
# Complete `LoRALinear`: freeze the base layer; the forward pass `base(x) + scaling · dropout(x) Aᵀ Bᵀ` (unless
# merged); `merge()` adds `scaling · B A` to the base weight and `unmerge()` takes it back out. The base may be an
# `nn.Linear` (weight (out, in)) or GPT-2's `Conv1D`, whose weight is stored (in, out) — there `B A` must be
# transposed before it is added (peft's `fan_in_fan_out=True`).

# %%
class LoRALinear(nn.Module):
    def __init__(self, base: nn.Module, r: int, alpha: float, dropout: float = 0.0):
        super().__init__()
        fan_in, fan_out = lora.in_out(base)
        self.base, self.r, self.scaling = base, r, alpha / r
        self.fan_in_fan_out = lora.is_conv1d(base)                    # weight stored (in, out)
        self.lora_A = nn.Parameter(torch.randn(r, fan_in) / fan_in ** 0.5)   # (r, in)
        self.lora_B = nn.Parameter(torch.zeros(fan_out, r))                 # (out, r)
        self.dropout = nn.Dropout(dropout)
        self.merged = False
        # Exercise 1: a LoRA layer (freeze the base)
        ### BEGIN SOLUTION
        for p in self.base.parameters():
            p.requires_grad_(False)
        ### END SOLUTION

    def delta_weight(self) -> torch.Tensor:
        """scaling · B A, laid out like the base weight."""
        ### BEGIN SOLUTION
        delta = self.scaling * (self.lora_B @ self.lora_A)              # (out, in)
        return delta.T if self.fan_in_fan_out else delta
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        y = self.base(x)
        if self.merged:
            return y
        return y + self.scaling * (self.dropout(x) @ self.lora_A.T @ self.lora_B.T)
        ### END SOLUTION

    @torch.no_grad()
    def merge(self) -> None:
        ### BEGIN SOLUTION
        if not self.merged:
            self.base.weight += self.delta_weight()
            self.merged = True
        ### END SOLUTION

    @torch.no_grad()
    def unmerge(self) -> None:
        ### BEGIN SOLUTION
        if self.merged:
            self.base.weight -= self.delta_weight()
            self.merged = False
        ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_lora_layer(LoRALinear, name="Exercise 1: LoRA layer")

# %%
# Stuck? The reference stands in below (one line says so); the check above still fails until yours passes.
LoRALinear = checks.yours_or_reference("Exercise 1: LoRA layer", LoRALinear, lora.LoRALinear, checks.check_lora_layer)

# %% [markdown]
# Your layer against peft's on a real layer of the model: the first encoder block's query projection, with the A
# and B of peft's trained adapter from §2 copied in.

# %%
peft_lora = runs[lora_label].model
q_peft = peft_lora.base_model.model.encoder.block[0].layer[0].SelfAttention.q
A, B = q_peft.lora_A["default"].weight.detach(), q_peft.lora_B["default"].weight.detach()
mine = LoRALinear(nn.Linear(A.shape[1], B.shape[0], bias=False), r=A.shape[0], alpha=2 * A.shape[0])
with torch.no_grad():
    mine.base.weight.copy_(q_peft.base_layer.weight)
    mine.lora_A.copy_(A)
    mine.lora_B.copy_(B)
x = torch.randn(2, 7, A.shape[1], generator=torch.Generator().manual_seed(0))
with torch.no_grad():
    diff = (mine.eval()(x) - q_peft(x)).abs().max().item()
    mine.merge()
    diff_merged = (mine(x) - q_peft(x)).abs().max().item()
    lora_share = (A.numel() + B.numel()) / mine.base.weight.numel()
print(f"trained q projection {tuple(mine.base.weight.shape)}, r={A.shape[0]}: |yours - peft's| max {diff:.2g}, "
      f"after merge {diff_merged:.2g}; the adapter is {lora_share:.1%} of this weight's size")

# %% [markdown]
# **The latency argument.** Unmerged, every LoRA layer does two extra small matrix multiplies per token (and in a
# real deployment, an extra kernel launch each); merged, W + scaling · B A is one ordinary weight, so inference costs
# exactly what the base costs. Timed on a layer of LLM size (1,024 × 1,024, r = 8, 256 tokens): the minimum over
# 30 interleaved rounds, so a burst of load on this shared machine hits all three alike and the minimum is the least
# disturbed run.

# %%
timing = lora.latency(repeats=30)
print("  ".join(f"{k}: {v * 1e3:.3f} ms" for k, v in timing.items()))
print(f"unmerged / base {timing['LoRA unmerged'] / timing['base']:.2f}x, merged / base "
      f"{timing['LoRA merged'] / timing['base']:.2f}x")

# %% [markdown]
# The merged layer is the base layer (same shapes, same work). The unmerged one pays extra — r = 8
# adds 2 · 8 · 1,024 multiply-adds per token to the base's 1,024² — more on a GPU, where each extra small kernel has a
# fixed cost. (The unmerged layer cost 18% extra in this run and ~10% in an earlier one; timings are noisy on a
# shared machine.) The price of merging: one model per task on disk and in memory, instead of one base with small
# adapters swapped in (§4).
#
# ## 4. Catastrophic forgetting, and two ways around it
#
# Fine-tuning on one task can wreck another that the model knew. `t5-base` also translates English → Toy (weakly:
# BLEU ≈ 10). Measured: the base; §2's full fine-tuning on summarization alone; full fine-tuning on a
# **multi-task** mix (the same 4,000 dialogues plus 4,000 translations, same steps); and LoRA, whose base weights never
# change — with the adapter off it *is* the original model, and a second adapter trained on translation can be
# switched in per request (peft's `add_adapter` / `set_adapter`).

# %%
with report.timer() as t_forget:
    multi = finetune.tune(base, data.mixture(tok, {"summarize": 4000, "translate": 4000}), "full", STEPS,
                        pad_id=tok.pad_token_id)
    adapter_seconds = forgetting.add_adapter(peft_lora, "translate", data.mixture(tok, {"translate": 4000}),
                                             profile.steps(100), pad_id=tok.pad_token_id)
    skills = {"base": forgetting.skills(base, tok, DIALOGUES, TRANSLATIONS),
              "full FT, summarization only": forgetting.skills(runs["full fine-tuning"].model, tok, DIALOGUES,
                                                               TRANSLATIONS),
              "full FT, multi-task": forgetting.skills(multi.model, tok, DIALOGUES, TRANSLATIONS)}
    with peft_lora.disable_adapter():
        skills["LoRA, adapter off"] = forgetting.skills(peft_lora, tok, DIALOGUES, TRANSLATIONS)
    skills["LoRA, summarization adapter"] = forgetting.skills(peft_lora, tok, DIALOGUES, TRANSLATIONS)
    with forgetting.with_adapter(peft_lora, "translate"):
        skills["LoRA, translation adapter"] = forgetting.skills(peft_lora, tok, DIALOGUES, TRANSLATIONS)
    probe = {k: v[:4] for k, v in
             trainer.seq2seq_batcher(sum_pairs, 4, tok.pad_token_id, seed=1)(0).items()}
    adapter_off_exact = forgetting.base_logits_equal(peft_lora, base, probe)
forget = pd.DataFrame(skills).T
print(f"measured in {t_forget.seconds:.0f} s (translation adapter trained {profile.steps(100)} steps, "
      f"{adapter_seconds:.0f} s); adapter off gives exactly the base's logits: {adapter_off_exact}")
forget

# %% [markdown]
# Summarization-only fine-tuning all but erases translation (BLEU in the table: from ≈ 10 to ≈ 0 — the model now
# summarizes whatever it is given); mixing translations into the fine-tuning data keeps most of it, at the cost of
# most of the summarization gain at the same steps — half the batches are now translations, and 200 steps are too
# few for both. LoRA keeps the base intact: the adapter-off row is the base row, bit for bit, and adapters can be
# chosen per request (`set_adapter`). But read the LoRA rows with §2 in mind: the summarization adapter "forgets"
# little partly because it learnt little (ROUGE-L +0.016), and it still costs translation 3.3 BLEU while it is on.
# The translation adapter does not improve translation on the base in 100 steps (it lowers it), while the summaries
# collapse,
# because under that adapter the model reads every input as a translation request — adapters specialise; they do
# not add skills for free, and at this size they add little.
#
# ## 5. The trainers the field uses
#
# Most fine-tuning code in the wild runs through transformers' `Trainer` (or trl's `SFTTrainer`, built on it)
# rather than a hand-written loop. `finetune.tune_with_hf_trainer` runs §2's full fine-tuning through `Trainer`
# with everything that decides the result set as ours: the same batches in the same order, AdamW with the same
# betas, weight decay and parameter groups, clipping at 1, fp32, warm-up + cosine to 10% of the peak
# (`lr_scheduler_type="cosine_with_min_lr"`). One difference stays, because it is the library's: its warm-up starts
# at 0 and so lags ours by one step. (Given our optimizer and schedule, `Trainer` computes exactly our steps, bit
# for bit — `tests/core/test_finetune.py`.) `peft_lora` above is an ordinary `PeftModel` and goes into `Trainer`
# unchanged.

# %%
with report.timer() as t_hf:
    hf_run = finetune.tune_with_hf_trainer(base, sum_pairs, STEPS, pad_id=tok.pad_token_id)
    hf_scores = data.score_summaries(hf_run.model, tok, DIALOGUES)
ours_run = runs["full fine-tuning"]
loss_gap = [abs(hf_run.loss[s] - x) for s, x in zip(ours_run.loss_steps, ours_run.loss)]
loop_gap = intervals.paired_bootstrap(hf_scores["rougeL_per_item"], scores["full fine-tuning"]["rougeL_per_item"])
twin = zoo.metadata("t5-sum")["metrics"]     # the zoo's copy of §2's recipe, trained at 1 thread (Lab 06 uses it)
loops = pd.DataFrame({"ROUGE-L": [compare.loc["full fine-tuning", "ROUGE-L"], hf_scores["rougeL"],
                                  twin["summary_rougeL"]],
                      "slot acc": [compare.loc["full fine-tuning", "slot acc"], hf_scores["slot_acc"],
                                   twin["summary_slot_acc"]],
                      "train s": [ours_run.seconds, hf_run.seconds, float("nan")]},
                     index=["llmlab.train.train (§2)", "transformers Trainer",
                            "llmlab.train.train, 1 thread (zoo t5-sum)"])
print(f"first step's loss: ours {ours_run.loss[0]:.6f}, Trainer {hf_run.loss[0]:.6f}; mean |difference| over the "
      f"{len(loss_gap)} logged steps {sum(loss_gap) / len(loss_gap):.3f} (max {max(loss_gap):.3f}); "
      f"{t_hf.seconds:.0f} s")
print("held-out ROUGE-L, Trainer minus ours: {:+.3f}, paired 95% interval {:+.3f} to {:+.3f}".format(*loop_gap))
fig, ax = plt.subplots(figsize=(7, 2.8))
ax.plot(hf_run.loss_steps, hf_run.loss, color="tab:orange", lw=0.8, label="transformers Trainer (every step)")
ax.plot(ours_run.loss_steps, ours_run.loss, "o", color="tab:blue", ms=4, label="llmlab.train.train (every 10th)")
ax.set(xlabel="step", ylabel="training loss", title="the same fine-tuning through two loops")
ax.legend(frameon=False)
plt.show()
loops

# %% [markdown]
# The two loops see the same first batch on the same weights and report the same first loss; after that the one-step
# warm-up offset makes them different runs, whose losses stay within about 0.05 of each other on every logged batch (max
# 0.051; 0.02 on average, while the loss moves by 0.1–0.3 from one logged batch to the next, as the plot shows).
# Held-out ROUGE-L differs by 0.012 (paired 95% interval −0.040 to +0.013: no difference we can detect), about as
# much as between two runs of *our own* loop that differ only in the order floating-point sums are taken (2 threads
# in §2, 1 in the zoo's `t5-sum`: 0.008) — one estimate of how much a single run's score moves by chance at this
# size. Slot accuracy differs more (0.033, against 0.013 between our two runs); from
# single runs we cannot tell whether the warm-up offset or chance did it.
#
# ## 6. Try it for real
#
# - `PROFILE = "gpu"`: 4× the steps (800) and 400 held-out dialogues; the same code, on CUDA.
# - `PROFILE = "hub"`: `profile.models["seq2seq"]` becomes `google/flan-t5-base` (250M parameters), the course's
#   model. Its LoRA targets are also named `q` and `v`, so `finetune.tune` works unchanged; r = 32 gives the course's
#   1.4%. This notebook still reads TinyWorld's dialogues (which have slots); to reproduce the course's table, load
#   DialogSum (`profile.extras["dialogsum"]`) with `datasets.load_dataset` and build `(dialogue, summary)` pairs with
#   `data.tokenize_pairs` — ROUGE works on it, slot accuracy does not (DialogSum has no slot annotations).
#
# ## What you should see
#
# The lab records its key numbers and checks each lesson with a margin; `report.summary()` shows them as one table (a
# lesson that did not hold is marked ✘ and stops the notebook with `LessonFailed`).

# %%
full, lo = compare.loc["full fine-tuning"], compare.loc[lora_label]
pt20, pt100 = compare.loc["prompt tuning, 20 tokens"], compare.loc["prompt tuning, 100 tokens"]
report.record("base", {"rouge1": round(base_scores["rouge1"], 3), "rouge2": round(base_scores["rouge2"], 3),
                       "rougeL": round(base_scores["rougeL"], 3), "slot_acc": round(base_scores["slot_acc"], 3)},
              note=f"{profile.models['seq2seq']}, {len(DIALOGUES)} held-out dialogues")
report.record("methods", {k: {"rouge1": round(r["ROUGE-1"], 3), "rouge2": round(r["ROUGE-2"], 3),
                              "rougeL": round(r["ROUGE-L"], 3), "slot_acc": round(r["slot acc"], 3),
                              "trainable": int(r["trainable"]), "share": round(r["share"], 4),
                              "train_s": round(r["train s"], 1),
                              "memory_mb": {m: round(r[f"{m} MB"], 2) for m in runs[k].memory}}
                          for k, r in compare.drop(index="base (zero-shot)").iterrows()},
              note=f"{STEPS} steps of 16, same batches")
report.record("lora_gain_fraction", round(lora_fraction, 3), note="of full fine-tuning's ROUGE-L gain (target 0.9)")
report.record("latency_ms", {k: round(v * 1e3, 3) for k, v in timing.items()}, note="1024x1024, r=8, 256 tokens")
report.record("forgetting", {k: {m: round(v, 3) for m, v in r.items()} for k, r in forget.iterrows()})
mean_loss_gap = sum(loss_gap) / len(loss_gap)
report.record("hf_trainer", {"rougeL": round(hf_scores["rougeL"], 3), "slot_acc": round(hf_scores["slot_acc"], 3),
                             "train_s": round(hf_run.seconds, 1), "mean_loss_gap": round(mean_loss_gap, 4),
                             "zoo_twin_rougeL": round(twin["summary_rougeL"], 3)},
              note="full fine-tuning through transformers' Trainer, same batches and optimizer settings")
report.record("seconds", {"compare": round(t_compare.seconds), "forgetting": round(t_forget.seconds),
                          "hf_trainer": round(t_hf.seconds)})

# %%
report.expect(full_gain[1] > 0 and full["slot acc"] > base_scores["slot_acc"] + 0.04,
              "full fine-tuning beats the base (paired ROUGE-L interval above 0), and copies more facts (slot "
              "accuracy +0.04 or more)",
              detail=f"ROUGE-L {base_scores['rougeL']:.3f} -> {full['ROUGE-L']:.3f} (paired {full_gain[1]:+.3f} to "
                     f"{full_gain[2]:+.3f}), slot acc {base_scores['slot_acc']:.3f} -> {full['slot acc']:.3f}")
report.expect(lo["share"] < 0.02, "LoRA trains under 2% of the parameters", detail=f"{lo['share']:.2%}")
report.expect(lo["grads MB"] + lo["optimizer MB"] < 0.05 * (full["grads MB"] + full["optimizer MB"]),
              "LoRA's gradients and optimizer state are a small fraction of full fine-tuning's",
              detail=f"{lo['grads MB'] + lo['optimizer MB']:.2f} vs {full['grads MB'] + full['optimizer MB']:.2f} MB")
report.expect(max(gain["prompt tuning, 20 tokens"], gain["prompt tuning, 100 tokens"]) < 0.5 * gain["full fine-tuning"],
              "prompt tuning lags full fine-tuning at this size (20 and 100 virtual tokens)",
              detail=f"gains {gain['prompt tuning, 20 tokens']:+.3f}, {gain['prompt tuning, 100 tokens']:+.3f} vs "
                     f"{gain['full fine-tuning']:+.3f}")
report.expect(lora_fraction < 0.5, "at this size LoRA falls far short of full fine-tuning's gain (the course's "
              "90% is a large-model result)", detail=f"{lora_fraction:.0%} of the gain")
report.expect(diff < 1e-5 and diff_merged < 1e-5, "the LoRA layer in use (yours, or the reference standing in) "
              "equals peft's, merged or not",
              detail=f"{diff:.1g} / {diff_merged:.1g}")
report.expect(timing["LoRA merged"] < 1.1 * timing["base"] and timing["LoRA unmerged"] > 1.05 * timing["base"],
              "a merged adapter costs no extra time; an unmerged one does",
              detail=f"merged {timing['LoRA merged'] * 1e3:.3f} ms vs base {timing['base'] * 1e3:.3f} ms")
bleu = forget["translation BLEU"]
report.expect(bleu["full FT, summarization only"] < bleu["base"] - 1.0,
              "single-task fine-tuning makes the model forget translation",
              detail=f"BLEU {bleu['base']:.2f} -> {bleu['full FT, summarization only']:.2f}")
report.expect(bleu["full FT, multi-task"] > 0.5 * bleu["base"],
              "multi-task fine-tuning keeps most of translation",
              detail=f"BLEU {bleu['full FT, multi-task']:.2f} vs the base's {bleu['base']:.2f} "
                     f"(summarization only: {bleu['full FT, summarization only']:.2f})")
report.expect(adapter_off_exact and bleu["LoRA, adapter off"] == bleu["base"],
              "LoRA with its adapter off is exactly the original model",
              detail=f"BLEU {bleu['LoRA, adapter off']:.2f} vs {bleu['base']:.2f}")
report.expect(abs(hf_run.loss[0] - ours_run.loss[0]) < 1e-6 and mean_loss_gap < 0.05 and loop_gap[1] < 0 < loop_gap[2],
              "transformers' Trainer, set up like our loop, gives the same result (first loss equal, curves close, "
              "ROUGE-L not distinguishable: the paired interval of the difference contains 0)",
              detail=f"mean |loss gap| {mean_loss_gap:.3f}, ROUGE-L {full['ROUGE-L']:.3f} vs {hf_scores['rougeL']:.3f} "
                     f"(paired {loop_gap[1]:+.3f} to {loop_gap[2]:+.3f})")
report.summary()
