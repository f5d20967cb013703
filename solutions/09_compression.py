# %% [markdown]
# # Lab 09 — Compression for deployment: distillation, quantization, pruning
#
# **Topics:** knowledge distillation (soft targets, temperature, the T² factor; a small student taught by a big
# teacher) · post-training quantization (torch dynamic int8; bitsandbytes LLM.int8() and NF4) · magnitude pruning,
# unstructured and structured, with and without a short fine-tune · why zeros alone do not make a model faster ·
# choosing a variant by size, latency and quality.
#
# **After this lab you can**
# - write the distillation loss — KL(teacher ‖ student) at temperature T, times T², blended with the hard-label
#   cross-entropy — and train a student with a quarter of the teacher's parameters with it;
# - quantize a model after training, with torch and with bitsandbytes, and measure what it saves and costs;
# - prune by weight magnitude (your mask equals `torch.nn.utils.prune`'s) and cut whole neurons out of an MLP;
# - show, by timing, why unstructured sparsity does not speed up a dense matrix multiply while structured pruning does;
# - put every variant on one size / latency / quality picture and pick one for a deployment.
#
# **Time.** Running top to bottom: about 1–2 minutes on 2 CPU cores (`PROFILE = "cpu"`); on a GPU (`"gpu"`) the
# pruning fine-tunes are 4× longer (§1's distillation keeps its short budget: it is the lesson). Working through it:
# 60–90 minutes.
#
# The teacher is the zoo's `gpt-instruct` (0.69M parameters, instruction-tuned on TinyWorld). Of its tasks it is
# good at one — review sentiment, ~94% on held-out reviews (its summaries and translations are weak; `zoo.metadata`
# shows its scores) — so that is the task every variant is scored on, with a second, broader measure: the held-out
# NLL of the gold answers over the whole instruction mix. Three exercises (§1 and §3); a check cell follows each.

# %% tags=["parameters"]
PROFILE = "cpu"  # "cpu" (2 cores, minutes), "gpu" (CUDA: 4x the training steps)

# %%
import matplotlib.pyplot as plt
import pandas as pd
import torch

import llmlab
from llmlab import report, tinyworld, train as trainer, zoo
from llmlab.lab09 import checks, distill, measure, pruning, quantize
from llmlab.train import IGNORE

profile = llmlab.setup(PROFILE)
DEVICE = profile.device
teacher, tok = zoo.load(profile.models["instruct"], device=DEVICE)
EVAL = measure.sentiment_rows("test") + measure.sentiment_rows("validation")   # 400 held-out reviews
HELDOUT = measure.instruction_pairs(tok, tinyworld.rows("instructions", "test")[:profile.eval_size])
LATENCY_PROMPTS = measure.sentiment_prompts(EVAL[:5])
pd.set_option("display.precision", 3)
teacher_acc = measure.sentiment_accuracy(teacher, tok, EVAL)
teacher_nll = measure.response_nll(teacher, tok, HELDOUT)
print(f"teacher {profile.models['instruct']}: {distill.n_params(teacher):,} parameters, held-out sentiment "
      f"accuracy {teacher_acc:.3f} on {len(EVAL)} reviews, answer NLL {teacher_nll:.3f} nats/token "
      f"({len(HELDOUT)} instruction rows)")

# %% [markdown]
# ## 1. Knowledge distillation
#
# A trained model's output distribution says more than its top answer: that a review is *probably* negative but
# reads a bit like a positive one, which wrong tokens are nearly right. Hinton et al. (2015) called it *dark
# knowledge* and trained a small **student** to match a big **teacher**'s distributions, softened by a
# **temperature** T: softmax(z / T) with T > 1 lifts the small probabilities so they carry weight. The student's loss
#
#   loss = α · T² · KL( softmax(z_teacher / T) ‖ softmax(z_student / T) ) + (1 − α) · CE(z_student, labels)
#
# blends that soft term with the usual hard-label cross-entropy. The T² is there because the soft term's gradients
# shrink as 1/T² when T grows; multiplying back keeps α's meaning whatever the temperature. DistilBERT (Sanh et al.
# 2019) kept 97% of BERT's quality at 60% of its size this way.
#
# ### Exercise 1: the distillation loss
# `student_logits` and `teacher_logits` are (B, L, V) — batch, sequence length, vocabulary — already aligned with
# `labels` (B, L): position t predicts `labels[:, t]`. Positions labelled `IGNORE` (= −100: the prompt and the
# padding) count in neither term. Average
# both terms over the labelled positions (the KL summed over the vocabulary). `F.log_softmax`, `F.kl_div(...,
# log_target=True)` and `F.cross_entropy` do the work; the teacher is frozen.

# %%
import torch.nn.functional as F


def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor,
                      temperature: float = 2.0, alpha: float = 0.5) -> torch.Tensor:
    # Exercise 1: the distillation loss
    ### BEGIN SOLUTION
    keep = labels != IGNORE                                              # (B, T)
    s, t = student_logits[keep], teacher_logits[keep].detach()           # (N, V)
    soft = F.kl_div(F.log_softmax(s / temperature, dim=-1), F.log_softmax(t / temperature, dim=-1),
                    log_target=True, reduction="batchmean")              # KL(teacher || student), mean over N
    hard = F.cross_entropy(s, labels[keep])
    return alpha * temperature ** 2 * soft + (1 - alpha) * hard
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_distillation_loss(distillation_loss, name="Exercise 1: distillation loss")

# %%
# Stuck? The reference stands in below (one line says so); the check above still fails until yours passes.
distillation_loss = checks.yours_or_reference("Exercise 1: distillation loss", distillation_loss,
                                              distill.distillation_loss, checks.check_distillation_loss)

# %% [markdown]
# What the temperature does to the teacher's answer distribution on one held-out review (the vocabulary has 2,048
# tokens; at T = 4 most of the mass has spread over all of them, but the order of the label words stays):

# %%
pair = distill.sentiment_pairs(tok, EVAL[:1])[0]
with torch.no_grad():
    logits = teacher(torch.tensor([pair[0]], device=DEVICE)).logits[0, -1]      # (V,) at the answer position
label_ids = {w: tok(" " + w, add_special_tokens=False).input_ids[0] for w in ("positive", "negative")}
print(f"review: {EVAL[0]['text'][:90]!r}... (label: {EVAL[0]['label']})")
pd.DataFrame({f"T = {T:g}": {**{f"p({w})": torch.softmax(logits / T, -1)[i].item() for w, i in label_ids.items()},
                             "p(any other token)": 1 - sum(torch.softmax(logits / T, -1)[i].item()
                                                           for i in label_ids.values())}
              for T in (1, 2, 4)})

# %% [markdown]
# **The experiment.** A student GPT-2 with the teacher's vocabulary but d = 48 instead of 128 (a quarter of the
# parameters, most of them in the token embedding), trained from random weights, twice from the same initial weights
# on the same batches: once with the distillation loss (T = 4, α = 0.9), once on the hard labels alone (its *twin*).
# The budget is deliberately small: `N_LABELLED` = 400 labelled reviews and 200 steps of 16 (8 epochs).
#
# Why this setting: it is where distillation visibly pays at this scale. While preparing the lab we also measured
# (3 seeds, held-out accuracy): with all 4,000 training reviews and 300 steps the hard-label twin reached 0.975, 0.970
# and 0.79 — as good as the teacher on two seeds — and with T = 2 or 1.5 (α = 0.9) the distilled student often stayed
# at 0.50 after 250 steps (matching a less-flattened 2,048-way tail is harder for a tiny model); and with the same 400
# reviews but 800 steps (4×, what the gpu profile gives other sections) the hard-label twins caught up: 0.975 / 0.963 /
# 0.955 against the distilled 0.958 / 0.965 / 0.953. So read the result below as "on a short budget, soft targets
# get a small student there faster and more reliably", not as "distillation always wins" — which is why this
# section keeps its 200 steps on every profile.

# %%
N_LABELLED, STUDENT_STEPS, TEMPERATURE, ALPHA = 400, 200, 4.0, 0.9   # every profile: the lesson is the short budget
SEEDS = (0, 1, 2)
pairs = distill.sentiment_pairs(tok, measure.sentiment_rows("train", N_LABELLED))
rows, students = [], {}
with report.timer() as t_distill:
    for seed in SEEDS:
        dist, hard = distill.twins(teacher, pairs, STUDENT_STEPS, pad_id=tok.pad_token_id, seed=seed,
                                   temperature=TEMPERATURE, alpha=ALPHA, loss_fn=distillation_loss)
        students[seed] = dist.model
        rows.append({"seed": seed, "distilled": measure.sentiment_accuracy(dist.model, tok, EVAL),
                     "hard labels": measure.sentiment_accuracy(hard.model, tok, EVAL),
                     "distilled NLL": measure.response_nll(dist.model, tok, HELDOUT),
                     "hard-label NLL": measure.response_nll(hard.model, tok, HELDOUT),
                     "train s (distilled, hard)": f"{dist.log.seconds:.1f}, {hard.log.seconds:.1f}"})
student_share = distill.n_params(students[0]) / distill.n_params(teacher)
twins_table = pd.DataFrame(rows).set_index("seed")
print(f"student: {distill.n_params(students[0]):,} parameters = {student_share:.1%} of the teacher's; "
      f"teacher accuracy {teacher_acc:.3f}; {len(SEEDS)} seeds in {t_distill.seconds:.0f} s")
twins_table

# %%
fig, ax = plt.subplots(figsize=(6, 3))
x = torch.arange(len(SEEDS)).float()
ax.bar(x - 0.2, twins_table["distilled"], 0.4, label=f"distilled (T={TEMPERATURE:g}, α={ALPHA})")
ax.bar(x + 0.2, twins_table["hard labels"], 0.4, label="hard labels only (twin)")
ax.axhline(teacher_acc, color="k", ls="--", label="teacher")
ax.axhline(0.9 * teacher_acc, color="grey", ls=":", label="90% of the teacher")
ax.axhline(0.5, color="r", ls=":", lw=0.8)
ax.set_xticks(x, [f"seed {s}" for s in SEEDS]); ax.set_ylabel("held-out accuracy"); ax.set_ylim(0.4, 1.0)
ax.legend(fontsize=7, loc="lower right")
ax.set_title(f"{student_share:.0%}-size students, {STUDENT_STEPS} steps", fontsize=9)
plt.show()

# %% [markdown]
# An accuracy of 0.50 is the plateau where a model answers the same label for every review (the red line): the
# hard-label twins that end there have learnt *that* the answer is a label word, not yet *which*. The distilled
# students, on the same reviews, steps and initial weights, all got past it — the soft targets say for each review
# how much more likely one label is than the other, a graded signal where the hard label gives one bit. The NLL
# columns show what the accuracy cannot: neither student learnt the rest of the instruction mix (it was never in
# their data): their answer NLL there is far above the teacher's, above even ln 2048 = 7.6 nats, what a uniform
# guess over the vocabulary would cost — which is why a distilled model is distilled *for* the tasks in its
# transfer set. (The accuracies of the students that got past the plateau and the teacher's are within a few
# standard errors of each other, ± 0.012 at 400 reviews: the students keep the teacher's accuracy, they do not beat
# it.)
#
# ## 2. Post-training quantization
#
# Quantization stores weights in fewer bits after training, with no retraining (Lab 04 builds the int8 arithmetic
# by hand). Three ways on a CPU:
# - **torch dynamic int8** (`torch.ao.quantization.quantize_dynamic`): `nn.Linear` weights as int8 with one scale
#   per tensor; activations quantized on the fly at each matmul, with int8 kernels. GPT-2's layers are transformers'
#   `Conv1D` (a Linear with the weight transposed), which it skips, so `quantize.conv1d_to_linear` converts them
#   first. The API is deprecated in favour of torchao (which, on a CPU-only box, prints CUDA errors at every
#   `import transformers`), so `quantize.dynamic_int8` silences exactly that deprecation warning.
# - **bitsandbytes int8** (LLM.int8(), Dettmers et al. 2022): int8 weights with one scale per row, outlier features
#   kept in 16 bits; **NF4** (QLoRA): 4-bit NormalFloat codes in blocks of 64 with a scale each, the scales
#   themselves quantized (double quantization). Both load through `zoo.load(name, quantization=...)`.
#
# Every variant is measured the same way: bytes in memory (each tensor once), bytes of a saved state dict,
# latency per generated token (batch 1, greedy, 32 tokens, median of 5 prompts — on a shared machine, so read
# differences under ~50% as noise), held-out accuracy, and held-out answer NLL.

# %%
models = {}                                           # every variant, kept for §4's side-by-side timing


def measure_variant(name, family, model):
    params = distill.n_params(teacher) if family == "quantized" else None   # packed int weights: same count
    models[name] = model
    return measure.measure(name, family, model, tok, EVAL, HELDOUT, LATENCY_PROMPTS, params=params)


with report.timer() as t_ptq:
    variants = [measure_variant("fp32 teacher", "baseline", teacher),
                measure_variant("torch dynamic int8", "quantized", quantize.dynamic_int8(teacher))]
    for q in zoo.QUANTIZATIONS:
        model_q, _ = zoo.load(profile.models["instruct"], quantization=q)
        variants.append(measure_variant(f"bitsandbytes {q}", "quantized", model_q))
ptq = pd.DataFrame([v.row() for v in variants]).set_index("name").drop(columns=["family", "nonzero"])
print(f"measured in {t_ptq.seconds:.0f} s")
ptq

# %% [markdown]
# Where the bytes are: int8 should make the weights 4× smaller and NF4 ~7×, yet the whole model only shrinks ~1.7×
# and ~2×. The token embedding (2,048 × 128, shared with the output head) and the position embedding stay fp32 in all
# three schemes, and in a model this small they are most of it:

# %%
emb = sum(p.numel() for n, p in teacher.named_parameters() if "wte" in n or "wpe" in n)
blocks = sum(m.weight.numel() for _, m in pruning.prunable(teacher))
print(f"embeddings {emb:,} parameters ({emb / distill.n_params(teacher):.0%}), block weights {blocks:,} "
      f"({blocks / distill.n_params(teacher):.0%}); fp32 -> int8 -> nf4 block weights: "
      f"{4 * blocks / 1e6:.2f} -> {blocks / 1e6:.2f} -> {blocks / 2e6:.2f} MB")

# %% [markdown]
# Quality barely moves: 8-bit and even 4-bit weights keep the accuracy within a review or two and the answer NLL
# within a few hundredths. Speed does not reliably improve (the `ms_per_token` column): over the runs we made on this
# shared machine neither int8 variant was reliably faster than fp32, and usually slower — at d = 128 a token's
# matmuls take microseconds, and the per-token time is Python, kernel launches and the output layer; bitsandbytes
# int8's CPU path also dequantizes the weights at every matmul. (§4 times every variant again, side by side.)
# Quantization's speed-ups come where reading
# the weights is the bottleneck — LLM decoding at batch 1 reads every weight once per token, so fewer bytes per
# weight means less to read, which is why 4-bit kernels speed decoding up on GPUs. On this machine the lesson is
# size, at little cost in quality.
#
# ## 3. Pruning
#
# **Magnitude pruning** removes the weights with the smallest |w|, on the bet that they matter least. Unstructured,
# any entry can go; `torch.nn.utils.prune.l1_unstructured` does it by attaching a 0/1 mask to the layer
# (`weight = weight_orig * weight_mask`).
#
# ### Exercise 2: the magnitude-pruning mask
# Return a mask of the weight's shape and dtype: 0 at the `round(amount · numel)` entries of smallest |w| over the
# whole tensor, 1 elsewhere — exactly `l1_unstructured`'s `weight_mask`.

# %%
def magnitude_mask(weight: torch.Tensor, amount: float) -> torch.Tensor:
    # Exercise 2: the magnitude-pruning mask
    ### BEGIN SOLUTION
    k = round(amount * weight.numel())
    mask = torch.ones_like(weight)
    if k > 0:
        mask.view(-1)[torch.topk(weight.abs().flatten(), k, largest=False).indices] = 0
    return mask
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_magnitude_mask(magnitude_mask, name="Exercise 2: magnitude mask")

# %% [markdown]
# **Structured pruning** removes whole units — here the MLPs' hidden neurons (the MLP holds 2/3 of a block's
# weights). `prune.ln_structured(n=2, dim=1)` on `c_fc` masks the neurons whose input weights (a column of GPT-2's
# (in, out) `Conv1D` weight) have the smallest L2 norm; to gain anything we must then cut them out.
#
# ### Exercise 3: cutting neurons out of an MLP
# `w_in` (d, F) is `c_fc.weight`, `b_in` (F,) its bias, `w_out` (F, d) is `c_proj.weight`. Keep the `keep` neurons
# with the largest L2 norm of their column of `w_in`, and return the three smaller tensors (d, keep), (keep,),
# (keep, d) — the same neurons, in the same order, in all three.

# %%
def shrink_mlp(w_in: torch.Tensor, b_in: torch.Tensor, w_out: torch.Tensor, keep: int
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    # Exercise 3: cutting neurons out of an MLP
    ### BEGIN SOLUTION
    idx = torch.topk(w_in.norm(dim=0), keep).indices.sort().values      # (keep,)
    return w_in[:, idx], b_in[idx], w_out[idx]
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_shrink_mlp(shrink_mlp, name="Exercise 3: shrink an MLP")

# %%
# Stuck? The references stand in below (one line says so); the checks above still fail until yours pass.
magnitude_mask = checks.yours_or_reference("Exercise 2: magnitude mask", magnitude_mask, pruning.magnitude_mask,
                                           checks.check_magnitude_mask)
shrink_mlp = checks.yours_or_reference("Exercise 3: shrink an MLP", shrink_mlp, pruning.shrink_mlp_weights,
                                       checks.check_shrink_mlp)

# %% [markdown]
# On a real layer of the teacher, your mask and torch's:

# %%
layer = teacher.transformer.h[0].mlp.c_fc
torch_pruned = pruning.prune_unstructured(teacher, 0.5).transformer.h[0].mlp.c_fc
same = torch.equal(magnitude_mask(layer.weight.detach(), 0.5), torch_pruned.weight_mask)
print(f"c_fc {tuple(layer.weight.shape)} at 50%: your mask {'==' if same else '!='} l1_unstructured's; "
      f"{int((torch_pruned.weight_mask == 0).sum()):,} zeros")

# %% [markdown]
# **The quality curve.** Prune the teacher's blocks more and more (embeddings stay dense), unstructured (zeros, all
# shapes kept) and structured (neurons cut out), and measure each; then give the more pruned ones a short fine-tune
# (`FT_STEPS` steps of the instruction mix it was trained on; unstructured masks stay attached during it, so pruned
# weights stay zero). The x-axis is the share of the blocks' weights that are gone, so the two kinds compare fairly.

# %%
AMOUNTS, FT_AMOUNTS, FT_STEPS = (0.0, 0.3, 0.5, 0.7, 0.9), (0.5, 0.7, 0.9), profile.steps(40)
recovery_pairs = measure.instruction_pairs(tok, tinyworld.rows("instructions", "train"))
kinds = {"unstructured": lambda a: pruning.prune_unstructured(teacher, a),
         "structured (neurons)": lambda a: pruning.prune_neurons(teacher, a, shrink_fn=shrink_mlp)}
curve, pruned_models = [], {}
with report.timer() as t_prune:
    for kind, make in kinds.items():
        for a in AMOUNTS:
            for ft in ([False, True] if a in FT_AMOUNTS else [False]):
                model_p = make(a)
                if ft:
                    pruning.finetune(model_p, trainer.sft_batcher(recovery_pairs, 16, tok.pad_token_id, seed=0),
                                     FT_STEPS)
                else:
                    pruning.make_permanent(model_p)
                pruned_models[kind, a, ft] = model_p
                curve.append({"kind": kind, "amount": a, "fine-tuned": ft,
                              "removed": pruning.removed_share(model_p, teacher),
                              "accuracy": measure.sentiment_accuracy(model_p, tok, EVAL),
                              "NLL": measure.response_nll(model_p, tok, HELDOUT)})
curve = pd.DataFrame(curve)
print(f"{len(curve)} pruned models measured in {t_prune.seconds:.0f} s")
curve.pivot_table(index=["kind", "amount"], columns="fine-tuned", values=["removed", "accuracy", "NLL"])

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
for (kind, ft), group in curve.groupby(["kind", "fine-tuned"]):
    style = dict(marker="o" if "un" in kind else "s", ls="-" if ft else "--",
                 label=f"{kind}{' + fine-tune' if ft else ''}")
    for ax, col in zip(axes, ("accuracy", "NLL")):
        ax.plot(group["removed"], group[col], **style)
for ax, col in zip(axes, ("held-out sentiment accuracy", "held-out answer NLL (nats/token)")):
    ax.set_xlabel("share of the blocks' weights removed"); ax.set_ylabel(col)
axes[0].axhline(teacher_acc, color="k", lw=0.5); axes[1].axhline(teacher_nll, color="k", lw=0.5)
axes[0].legend(fontsize=7); plt.tight_layout(); plt.show()

# %% [markdown]
# Unstructured pruning changes little up to half of the weights, then falls off a cliff: by 90% the model no longer
# answers with a label word at all. Structured pruning's NLL climbs sooner (a whole neuron is a coarser cut than
# the smallest single weights), and it removes at most 2/3 of the block weights here (only the MLPs). A short
# fine-tune wins much of it back — the remaining weights relearn to cover for the missing ones: the fine-tuned
# models are back near the teacher's accuracy, except at 90% unstructured. The answer NLL shows what the accuracy
# hides: every pruned model, fine-tuned or not, is worse than the teacher on the instruction mix as a whole.
#
# **Does sparsity make it faster?** One layer of an LLM's size — (1,024 × 4,096), 256 tokens — timed as a dense
# matrix with zeros in it, as a narrower matrix with the pruned neurons removed, and as a CSR sparse matrix with a
# sparse kernel:

# %%
speed = pd.DataFrame(pruning.sparsity_speed()).set_index("sparsity") * 1e3
speed.columns = [f"{c} (ms)" for c in speed.columns]
speed

# %% [markdown]
# A dense kernel multiplies zeros like any other number: 90% zeros take as long as none. Removing neurons makes the
# matrix physically smaller and the time falls with it. A sparse format pays only at very high sparsity (its
# indices cost memory and its irregular access defeats vectorisation): slower than dense at 50%, faster at 90% on
# this CPU. Hardware speed-ups for unstructured sparsity need patterns the kernels are built for (NVIDIA's 2:4
# sparsity: 2 zeros in every 4 weights, up to 2× in the matrix multiplies on Ampere and later GPUs).
#
# ## 4. The trade-off
#
# Every kind of variant on one picture: memory (x), held-out accuracy (y), latency per token (marker area).

# %%
with report.timer() as t_trade:
    for label, key in [("unstructured 50% + FT", ("unstructured", 0.5, True)),
                       ("unstructured 70% + FT", ("unstructured", 0.7, True)),
                       ("neurons 50% + FT", ("structured (neurons)", 0.5, True)),
                       ("neurons 90% + FT", ("structured (neurons)", 0.9, True))]:
        variants.append(measure_variant(label, "pruned", pruned_models[key]))
    variants.append(measure_variant(f"distilled student (seed {SEEDS[0]})", "distilled", students[SEEDS[0]]))
    # §2's latencies were timed one variant at a time, minutes apart; time them all again side by side
    latency = quantize.interleaved_latency(models, tok, LATENCY_PROMPTS)
    for v in variants:
        v.ms_per_token = latency[v.name] * 1e3
table = pd.DataFrame([v.row() for v in variants]).set_index("name")
fig, ax = plt.subplots(figsize=(8, 4.5))
measure.plot_tradeoff(variants, ax=ax, n_eval=len(EVAL))
plt.show()
fastest, slowest = min(variants, key=lambda v: v.ms_per_token), max(variants, key=lambda v: v.ms_per_token)
print(f"latency per token, timed side by side: {fastest.ms_per_token:.2f} ms ({fastest.name}) to "
      f"{slowest.ms_per_token:.2f} ms ({slowest.name}); accuracy ± 1 standard error at {len(EVAL)} reviews: "
      f"± {(teacher_acc * (1 - teacher_acc) / len(EVAL)) ** 0.5:.3f}")
table.drop(columns=["family"])

# %% [markdown]
# Pruned weights are zeros stored as fp32 zeros: the unstructured variants are as big as the teacher in memory
# (a sparse format pays only at high sparsity), while the structured ones shrink. Only the distilled student is
# small in every part, embeddings included — it is the one variant trained from scratch for its size, and the one
# that knows nothing beyond its task (its NLL column). The accuracies above 0.9 are all within a few standard errors
# of each other: at 400 reviews, these variants keep the teacher's accuracy; none beats it. Latency per token does
# not follow size here (the line under the plot): per-token overhead — Python, `generate`'s bookkeeping, kernel
# launches — not the matmuls, dominates a 0.7M-parameter model, and §3's layer benchmark is where structured
# pruning's speed-up shows.
#
# **Choosing, in short.**
# - Need it smaller, now, no training: quantize. int8 is nearly free in quality; 4-bit (NF4, GPTQ, AWQ) halves it
#   again for a small loss. It speeds up inference where memory bandwidth is the bottleneck (large models, GPUs).
# - Need it faster on hardware without sparse support: structured pruning (neurons, heads, layers) plus a
#   fine-tune, or distillation into a smaller architecture. Unstructured sparsity saves neither time nor memory
#   until a sparse format or 2:4 hardware can use it.
# - Need it much smaller for a known task and can afford training: distil. The student is fast and small everywhere,
#   but it knows only what its transfer set taught it (its NLL on the rest of the mix shows it).
# - The methods stack: distil, then quantize the student (and prune it) — DistilBERT → int8 is a common deployment.
#
# ## 5. Try it for real
#
# - `PROFILE = "gpu"`: 4× the pruning fine-tune steps (§1 keeps its 200), 400 held-out instruction rows;
#   bitsandbytes runs its CUDA kernels (int8 and NF4 with bf16 compute), where batch-1 decoding is memory-bound
#   and 4-bit weights do speed it up.
# - `PROFILE = "hub"` makes the teacher a Hub model (FLAN-T5 base, an encoder-decoder). This notebook's student
#   (`distill.make_student`) is a GPT-2, so §1 does not run there as written: distilling FLAN-T5 base into
#   `google/flan-t5-small` (77M of 250M parameters) on DialogSum with the same `distillation_loss` (T5's logits are
#   already aligned with its labels: no shift) is the exercise to try. §2–§3 work on any GPT-2-style causal LM.
# - Beyond this lab: GPTQ and AWQ (4-bit post-training quantization that uses calibration data), SparseGPT and
#   Wanda (one-shot pruning of LLMs to 50%), 2:4 semi-structured sparsity (`torch.sparse.to_sparse_semi_structured`
#   on Ampere GPUs), MiniLLM (distillation with the reverse KL for generation).
#
# ## What you should see
#
# The lab records its key numbers and checks that each lesson held, with a margin; `report.summary()` shows them as
# one table (a lesson that did not hold is marked ✘ and stops the notebook with `LessonFailed`).

# %%
def row(name):
    return table.loc[name]


fp32 = row("fp32 teacher")
mean_dist, mean_hard = twins_table["distilled"].mean(), twins_table["hard labels"].mean()
report.record("teacher", {"params": distill.n_params(teacher), "accuracy": round(teacher_acc, 3),
                          "nll": round(teacher_nll, 3)}, note=f"{len(EVAL)} held-out reviews")
report.record("student_param_share", round(student_share, 3))
report.record("distilled_accuracy", [round(v, 3) for v in twins_table["distilled"]], note=f"seeds {SEEDS}")
report.record("hard_label_accuracy", [round(v, 3) for v in twins_table["hard labels"]], note=f"seeds {SEEDS}")
report.record("distill_setting", {"labelled": N_LABELLED, "steps": STUDENT_STEPS, "T": TEMPERATURE, "alpha": ALPHA})
report.record("ptq", {n: {"memory_mb": round(r.memory_mb, 3), "disk_mb": round(r.disk_mb, 3),
                          "ms_per_token": round(r.ms_per_token, 2), "accuracy": round(r.accuracy, 3),
                          "nll": round(r.nll, 3)} for n, r in ptq.iterrows()})
report.record("pruning_curve", {f"{r.kind} {r.amount:g}{' ft' if r['fine-tuned'] else ''}":
                                [round(r.removed, 2), round(r.accuracy, 3), round(r.NLL, 3)]
                                for _, r in curve.iterrows()}, note="[removed share, accuracy, NLL]")
report.record("matmul_ms", {str(k): [round(v, 2) for v in r] for k, r in speed.iterrows()},
              note="[dense zeros, neurons removed, CSR] for a 1024x4096 layer")
report.record("seconds", {"distillation": round(t_distill.seconds), "ptq": round(t_ptq.seconds),
                          "pruning": round(t_prune.seconds), "trade-off": round(t_trade.seconds)})

# %%
acc = curve.set_index(["kind", "amount", "fine-tuned"])["accuracy"]
nll = curve.set_index(["kind", "amount", "fine-tuned"])["NLL"]
report.expect(student_share <= 0.30, "the student has at most 30% of the teacher's parameters",
              detail=f"{student_share:.1%}")
report.expect(twins_table["distilled"].min() >= 0.9 * teacher_acc,
              "every distilled student keeps at least 90% of the teacher's accuracy",
              detail=f"min {twins_table['distilled'].min():.3f} vs 0.9 x {teacher_acc:.3f}")
report.expect(mean_dist > mean_hard + 0.05 and (twins_table["distilled"] >= twins_table["hard labels"]).all(),
              "at the same data and steps, distillation beats the hard-label twin (every seed; mean by > 0.05)",
              detail=f"mean {mean_dist:.3f} vs {mean_hard:.3f}")
quantized = ptq.drop(index="fp32 teacher")
report.expect((quantized["memory_mb"] < 0.65 * fp32.memory_mb).all() and
              (quantized["disk_mb"] < 0.65 * fp32.disk_mb).all(),
              "every quantized variant is at least a third smaller, in memory and on disk",
              detail=", ".join(f"{n} {r.memory_mb:.2f} MB" for n, r in quantized.iterrows()))
report.expect((quantized["accuracy"] > teacher_acc - 0.03).all() and (quantized["nll"] < teacher_nll + 0.05).all(),
              "quantization keeps the quality (accuracy within 0.03, NLL within 0.05)",
              detail=", ".join(f"{n} {r.accuracy:.3f}/{r.nll:.3f}" for n, r in quantized.iterrows()))
report.expect(acc["unstructured", 0.3, False] > teacher_acc - 0.03 and acc["unstructured", 0.9, False] < 0.8,
              "light pruning is nearly free, heavy pruning breaks the model",
              detail=f"30%: {acc['unstructured', 0.3, False]:.3f}, 90%: {acc['unstructured', 0.9, False]:.3f}")
recovered = [(k, a) for k in kinds for a in FT_AMOUNTS if nll[k, a, True] < nll[k, a, False]]
report.expect(len(recovered) == len(kinds) * len(FT_AMOUNTS) and
              acc["unstructured", 0.9, True] > acc["unstructured", 0.9, False] + 0.2,
              "a short fine-tune after pruning recovers quality",
              detail=f"90% unstructured: {acc['unstructured', 0.9, False]:.3f} -> {acc['unstructured', 0.9, True]:.3f}")
dense, cut = speed.iloc[:, 0], speed.iloc[:, 1]
report.expect(dense.loc[0.9] > 0.7 * dense.loc[0.0] and cut.loc[0.9] < 0.4 * dense.loc[0.0],
              "zeros do not speed up a dense matmul; removing neurons does",
              detail=f"90%: zeros {dense.loc[0.9]:.1f} ms, removed {cut.loc[0.9]:.1f} ms, "
                     f"dense {dense.loc[0.0]:.1f} ms")
report.summary()
