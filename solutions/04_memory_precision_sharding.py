# %% [markdown]
# # Lab 04 — The memory wall: number formats, quantization and sharding
#
# **Topics:** what training a parameter costs in memory (weights, gradients, Adam's moments, activations) ·
# number formats: fp32, fp16, bf16, fp8, int8 — range against precision · quantization: absmax and zero-point
# int8, per tensor and per channel, the outlier problem, bitsandbytes' int8 and NF4 · quantization-aware training
# with a straight-through estimator · data parallelism across processes: DDP, ZeRO stages 1–3 and FSDP2.
#
# **After this lab you can**
# - predict the memory a training run needs from the parameter count and the activation shapes, and check the
#   prediction against a measurement;
# - say what each number format can hold, and why bf16 trains where fp16 overflows;
# - quantize a weight matrix to int8 two ways, measure the error, and explain why one outlier ruins a scale;
# - load a model in 8 and 4 bits with bitsandbytes and say why a small model barely shrinks;
# - recover most of what 4-bit quantization costs by training through a fake quantizer;
# - run the same training step as DDP and as FSDP across processes and read what each rank holds and sends.
#
# **Time.** Running top to bottom: about 2 minutes on 2 CPU cores (`PROFILE = "cpu"`); on a GPU (`"gpu"`) the
# memory calculator is also checked against `torch.cuda.max_memory_allocated` for a 1.1B-parameter model.
# Working through it: 60–90 minutes. Four exercises ask you to write code; a check cell follows each one.

# %% tags=["parameters"]
PROFILE = "cpu"  # "cpu" (2 cores, minutes), "gpu" (CUDA: adds a 1.1B-parameter memory measurement)

# %%
import copy
import math

import matplotlib.pyplot as plt
import pandas as pd
import torch

import llmlab
from llmlab import lm, report, tinyworld, zoo
from llmlab import train as trainer
from llmlab.gpt import GPT, GPTConfig
from llmlab.lab04 import checks, formats, memory, sharding
from llmlab.lab04 import quantize as Q

profile = llmlab.setup(PROFILE)
DEVICE = profile.device
pd.set_option("display.precision", 3)
hf_base, tok = zoo.load(profile.models["base"])        # the zoo's 0.7M-parameter GPT-2 (Hugging Face object)
base = GPT.from_hf(hf_base).eval()                       # the same weights in the course's one-page GPT
val_texts = [r["text"] for r in tinyworld.rows("pretrain", "validation")]
val = lm.eval_windows(lm.token_stream(tok, val_texts, seed=0), 128, n=64)   # held-out windows (64, 128)
print(f"{profile.models['base']}: {sum(p.numel() for p in base.parameters()):,} parameters, "
      f"held-out perplexity {math.exp(lm.eval_loss(base, val)):.2f}")

# %% [markdown]
# ## 1. What a parameter costs
#
# A parameter stored in fp32 takes 4 bytes, so a 1B-parameter model needs 4 GB just to be held. Training needs
# much more: a gradient per parameter, Adam's two running moments per parameter, and the activations that the
# forward pass keeps for the backward pass. The course's rule of thumb: about 20 further bytes per parameter,
# 24 GB for a 1B model — beyond one consumer GPU, before the model is even large.

# %%
pd.DataFrame({"bytes per parameter": memory.COURSE_RULE,
              "1B parameters (GB)": {k: v / memory.GB for k, v in memory.course_rule(1e9).items()}}).T

# %% [markdown]
# ### Exercise 1: the bytes that training's state takes
# Return the bytes of each part of the training state (activations aside) for `n_params` parameters, as a dict
# with the keys `"weights"`, `"gradients"`, `"adam"`, `"master"`:
# - fp32 training (`mixed=False`): fp32 weights and gradients, Adam's two fp32 moments (m and v), no master copy;
# - mixed precision (`mixed=True`, as the ZeRO paper counts it): 16-bit weights and gradients, plus an fp32 *master*
#   copy of the weights that the optimizer updates (a 16-bit weight cannot absorb an update 1,000× smaller than
#   itself), plus the two fp32 moments.

# %%
def bytes_to_train(n_params: int, mixed: bool) -> dict[str, int]:
    # Exercise 1: bytes to train
    ### BEGIN SOLUTION
    if mixed:
        return {"weights": 2 * n_params, "gradients": 2 * n_params, "adam": 8 * n_params, "master": 4 * n_params}
    return {"weights": 4 * n_params, "gradients": 4 * n_params, "adam": 8 * n_params, "master": 0}
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_bytes_to_train(bytes_to_train, name="Exercise 1: bytes to train")

# %%
# Stuck? The reference stands in below (one line says so); the check above still fails until yours passes.
bytes_to_train = checks.yours_or_reference("Exercise 1: bytes to train", bytes_to_train,
                                           checks.reference_bytes_to_train, checks.check_bytes_to_train)
sizes = {"GPT-2 124M": 124e6, "TinyLlama 1.1B": 1.1e9, "Llama 2 7B": 7e9, "Llama 2 70B": 70e9, "GPT-3 175B": 175e9}
pd.DataFrame({name: {f"{'mixed' if m else 'fp32'} (GB)": sum(bytes_to_train(int(n), m).values()) / memory.GB
                     for m in (False, True)} for name, n in sizes.items()}).T

# %% [markdown]
# Mixed precision does not shrink the training state — 16 bytes per parameter either way, in the textbook count of
# Exercise 1 — because the fp32 master
# copy and moments stay. What it buys is speed (16-bit matmuls) and smaller activations. A 7B model needs 112 GB of
# state alone: more than one 80 GB GPU, which is why §5 shards it.
#
# ### The calculator against a measurement
# `memory.estimate` adds the activations, computed from the shapes: per token and block, each LayerNorm keeps its
# input and output, attention its fused q, k, v and output, the MLP its hidden layer before and after the GELU
# (16 values of width C in all), and at the top the cross-entropy keeps a log-softmax over the whole vocabulary.
# `memory.measure` runs one real AdamW step and counts what is there: parameters, gradients and optimizer state
# tensor by tensor, and every tensor autograd saves for the backward pass through a saved-tensor hook. The state
# parts agree by construction (it is the same arithmetic); the activation formula is the prediction that could be
# wrong. Under `torch.autocast` (bf16) torch keeps the fp32 weights as the master copy and makes bf16 copies of the
# matmul weights for each step — 18 bytes per parameter of state, not the textbook 16 (which assumes 16-bit weights
# and gradients beside the fp32 master copy).

# %%
cfg = base.config
BATCH, SEQ = 16, 256                                   # the zoo's pretraining batch: 4,096 tokens
x = torch.randint(0, cfg.vocab_size, (BATCH, SEQ), generator=torch.Generator().manual_seed(0))
rows = []
for amp in (None, torch.bfloat16):
    measured = memory.measure(copy.deepcopy(base).train(), x, amp_dtype=amp)
    predicted = memory.estimate(cfg, BATCH, SEQ, mixed=amp is not None)
    for part, value in measured.as_dict().items():
        rows.append({"recipe": "bf16 autocast" if amp else "fp32", "part": part,
                     "predicted MB": predicted.as_dict()[part] / 1e6, "measured MB": value / 1e6})
mem = pd.DataFrame(rows)
mem["measured / predicted"] = mem["measured MB"] / mem["predicted MB"].where(mem["predicted MB"] > 0)
mem.set_index(["recipe", "part"])

# %% [markdown]
# At this size the activations of one batch outweigh the whole model's state many times over, and the largest
# single item is the log-softmax over 2,048 vocabulary entries per token. Activations grow with batch × sequence;
# with the textbook attention formula (`attn="manual"`, Lab 02) they also keep the T×T attention matrix, so they
# grow with T². Fused attention (SDPA, FlashAttention) never stores it:

# %%
lengths = [32, 64, 128, 256]
curve = []
for attn in ("sdpa", "manual"):
    c = GPTConfig(**{**cfg.__dict__, "attn": attn})
    m = GPT(c)
    for T in lengths:
        ids = x[:4, :T]
        curve.append({"attention": attn, "T": T, "measured": memory.saved_activation_bytes(m, ids)[0] / (4 * T),
                      "predicted": memory.activation_bytes(c, 4, T) / (4 * T)})
curve = pd.DataFrame(curve)
fig, ax = plt.subplots(figsize=(5, 3))
for attn, g in curve.groupby("attention"):
    ax.plot(g["T"], g["predicted"] / 1e3, "-", label=f"{attn}: calculator")
    ax.plot(g["T"], g["measured"] / 1e3, "o", label=f"{attn}: measured")
ax.set_xlabel("sequence length T"); ax.set_ylabel("activation KB per token"); ax.legend(fontsize=8)
ax.set_title("Saved activations per token: flat with SDPA, growing with T without it", fontsize=9)
plt.show()
worst = float((curve["measured"] / curve["predicted"] - 1).abs().max())
print(f"largest calculator error over these {len(curve)} runs: {worst:.2%}")

# %% [markdown]
# The same calculator for large models (bf16 autocast, a batch of 4 × 512 tokens), next to the course's rule:

# %%
llama_like = GPTConfig(vocab_size=32000, block_size=2048, n_layer=22, n_head=32, n_embd=2048)   # TinyLlama-sized
gpt2_124m = GPTConfig(vocab_size=50304, block_size=1024)
big = {name: memory.estimate(c, 4, 512, mixed=True) for name, c in
       [("GPT-2 124M", gpt2_124m), ("1.1B (TinyLlama-sized GPT)", llama_like)]}
pd.DataFrame({name: {**{k: v / memory.GiB for k, v in b.as_dict().items()},
                     "bytes/param": b.total / memory.n_params(c)}
              for (name, b), c in zip(big.items(), [gpt2_124m, llama_like])}).T.rename(
    columns=lambda k: k if k == "bytes/param" else f"{k} GiB")

# %% [markdown]
# With `PROFILE = "gpu"` the next cell builds the 1.1B-parameter model on the GPU, trains two steps, and compares
# `torch.cuda.max_memory_allocated` with the calculator. (Measured earlier on an H100 for a TinyLlama-shaped Llama:
# 19.1 bytes per parameter; the calculator says 18 + activations.) The peak is lower than the sum, because
# activations are freed during the backward pass while gradients fill up.

# %%
if DEVICE == "cuda":
    big_model = GPT(llama_like).to("cuda")
    ids = torch.randint(0, llama_like.vocab_size, (4, 512), device="cuda")
    peak = memory.cuda_peak_bytes(big_model, ids)
    gpu_bytes_per_param = peak / memory.n_params(llama_like)
    print(f"peak {peak / memory.GiB:.1f} GiB = {gpu_bytes_per_param:.1f} bytes/parameter; calculator "
          f"{big['1.1B (TinyLlama-sized GPT)'].total / memory.GiB:.1f} GiB")
    del big_model
    torch.cuda.empty_cache()
else:
    gpu_bytes_per_param = None
    print("cpu profile: the CUDA peak-memory measurement runs under PROFILE='gpu'")

# %% [markdown]
# ## 2. Number formats
#
# A float is sign × 2^exponent × 1.mantissa: exponent bits buy *range*, mantissa bits buy *precision*. fp16 and
# bf16 spend the same 16 bits differently; the fp8 formats of recent GPUs go further, and int8 is not a float at
# all — 256 evenly spaced levels, placed on a tensor's range by a scale (§3).

# %%
pd.DataFrame([formats.describe(f) for f in formats.FORMATS]).set_index("format")

# %% [markdown]
# **Range.** fp16 tops out at 65,504. A loss computed naively in fp16 — exp, sum, log — overflows as soon as one
# logit exceeds ln 65,504 ≈ 11.1, while bf16, with fp32's exponent, survives (with less precision). Here are the
# zoo model's own logits on held-out text, and the same logits halved (a less confident model):

# %%
with torch.no_grad():
    logits = base(val[:8]).logits.reshape(-1, cfg.vocab_size)       # (8·128, V)
targets = val[:8].roll(-1, dims=1).reshape(-1)
loss_rows = []
for sharpness in (0.5, 1.0):
    z = logits * sharpness
    loss_rows.append({"logits": f"x{sharpness:g} (max {z.max():.1f})",
                      **{name: formats.cross_entropy_in(z, targets, dt).item()
                         for name, dt in [("fp32", torch.float32), ("fp16", torch.float16), ("bf16", torch.bfloat16)]}})
pd.DataFrame(loss_rows).set_index("logits")

# %% [markdown]
# (Libraries subtract the largest logit before `exp` — the log-sum-exp trick — and autocast runs the loss in fp32,
# so real code does not fail this way; but large activations overflow fp16 just the same, which bf16's range avoids.)
#
# **Underflow.** Gradients are small. The smallest fp16 number is 6 × 10⁻⁸; anything smaller becomes 0 and that
# parameter gets no update. *Loss scaling* (Micikevicius et al. 2018) multiplies the loss by, say, 1,024 before the
# backward pass and divides the gradients after (`torch.amp.GradScaler`), lifting them into fp16's range; bf16
# reaches 10⁻³⁸ and needs none. In this small model a fraction of a percent of the gradients are that small; the
# paper introduced loss scaling because in its deeper networks a large share of activation gradients were.

# %%
grad_model = copy.deepcopy(base).train()
grad_model(val[:16], labels=val[:16]).loss.backward()
grads = torch.cat([p.grad.flatten() for p in grad_model.parameters()])
under = pd.DataFrame({
    "share of gradients that become 0": {"fp16": formats.underflow_share(grads, "fp16"),
                                         "fp16, loss scaled x1024": formats.underflow_share(grads * 1024, "fp16"),
                                         "bf16": formats.underflow_share(grads, "bf16"),
                                         "fp8 e5m2": formats.underflow_share(grads, "fp8 e5m2")}})
under

# %% [markdown]
# **Precision.** What each format does to one of the model's weight matrices (the first MLP layer), as the
# relative error ‖W − Ŵ‖ / ‖W‖. int8 needs a scale first; that is §3.

# %%
W = base.h[0].mlp.c_fc.weight.detach()                               # (512, 128)
precision = {f: formats.relative_error(W, formats.round_trip(W, f)) for f in ("fp16", "bf16", "fp8 e4m3", "fp8 e5m2")}
pd.DataFrame({"relative error": precision})

# %% [markdown]
# ## 3. Quantization: int8 with a scale
#
# To store a tensor in int8 we choose a scale (and maybe a zero point) that maps its range onto the 256 levels.
# **absmax** (symmetric) maps [−max|x|, max|x|] onto −127 … 127. **zero-point** (asymmetric) maps [min, max] onto
# −128 … 127 and stores which integer stands for 0.0, so a range that is not centred on 0 wastes no levels. Either
# can use one scale for the whole tensor or one per channel (per output row of a weight matrix).
#
# ### Exercise 2: absmax quantization
# `absmax_quantize(x, dim=None)` returns `(q, scale)`: `scale = max|x| / 127` — over the whole tensor when `dim`
# is None, else one per slice along `dim` (reduce over the other dimensions with `keepdim=True`, so that it
# broadcasts against `x`); `q = round(x / scale)`, clamped to −127 … 127, as `torch.int8`. Clamp the scale to a tiny
# positive number so an all-zero row does not divide by 0 (`torch.finfo(x.dtype).tiny`). `scale * q` reads it back.

# %%
def absmax_quantize(x: torch.Tensor, dim: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    # Exercise 2: absmax int8
    ### BEGIN SOLUTION
    if dim is None:
        amax = x.abs().amax()
    else:
        amax = x.abs().amax(dim=[d for d in range(x.dim()) if d != dim % x.dim()], keepdim=True)
    scale = (amax / 127).clamp(min=torch.finfo(x.dtype).tiny)
    return torch.round(x / scale).clamp(-127, 127).to(torch.int8), scale
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_absmax(absmax_quantize, name="Exercise 2: absmax int8")

# %% [markdown]
# ### Exercise 3: zero-point quantization
# `zeropoint_quantize(x, dim=None)` returns `(q, scale, zero)`. The range includes 0 (so 0.0 — padding, ReLU
# outputs — is stored exactly): `lo = min(x.min(), 0)`, `hi = max(x.max(), 0)` (per slice along `dim` as above);
# `scale = (hi − lo) / 255` (clamped as above); `zero = −128 − round(lo / scale)` as an integer tensor, clamped to
# −128 … 127; `q = round(x / scale) + zero`, clamped to −128 … 127, as `torch.int8`. `scale * (q − zero)` reads it
# back.

# %%
def zeropoint_quantize(x: torch.Tensor, dim: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    # Exercise 3: zero-point int8
    ### BEGIN SOLUTION
    if dim is None:
        lo, hi = x.amin().clamp(max=0), x.amax().clamp(min=0)
    else:
        other = [d for d in range(x.dim()) if d != dim % x.dim()]
        lo, hi = x.amin(dim=other, keepdim=True).clamp(max=0), x.amax(dim=other, keepdim=True).clamp(min=0)
    scale = ((hi - lo) / 255).clamp(min=torch.finfo(x.dtype).tiny)
    zero = (-128 - torch.round(lo / scale)).clamp(-128, 127).to(torch.int32)
    return (torch.round(x / scale) + zero).clamp(-128, 127).to(torch.int8), scale, zero
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_zeropoint(zeropoint_quantize, name="Exercise 3: zero-point int8")

# %%
# Stuck? The references stand in below (one line says so); the checks above still fail until yours pass.
absmax_quantize = checks.yours_or_reference("Exercise 2: absmax int8", absmax_quantize, Q.absmax_quantize,
                                            checks.check_absmax)
zeropoint_quantize = checks.yours_or_reference("Exercise 3: zero-point int8", zeropoint_quantize,
                                               Q.zeropoint_quantize, checks.check_zeropoint)

# %% [markdown]
# **The outlier problem.** One scale serves a whole tensor, so one large value stretches it: every other value is
# then rounded onto a handful of levels. LLMs beyond ~6B parameters have such outlier features (Dettmers et al.,
# LLM.int8(), 2022). Below, the weight matrix from §2 as it is, and with one entry set to 40× its largest value.
# Per-channel scales confine the damage to the outlier's row; LLM.int8() goes further and keeps the outlier
# dimensions in 16 bits. Zero-point pays off where values are skewed, as after a GELU (they are ≥ −0.17):

# %%
def int8_errors(x: torch.Tensor, dim: int | None) -> dict[str, float]:
    q, s = absmax_quantize(x, dim)
    zq, zs, zz = zeropoint_quantize(x, dim)
    return {"absmax": Q.quantize_error(x, Q.dequantize(q, s))["mean |error|"],
            "zero-point": Q.quantize_error(x, Q.dequantize(zq, zs, zz))["mean |error|"]}


W_outlier = W.clone()
W_outlier[7, 3] = 40 * W.abs().max()
with torch.no_grad():
    gelu_out = torch.nn.functional.gelu(base.h[0].mlp.c_fc(base.h[0].ln_2(base.wte(val[:4]))), approximate="tanh")
cases = {"weight, per tensor": (W, None), "weight, per row": (W, 0),
         "weight + one outlier, per tensor": (W_outlier, None), "weight + one outlier, per row": (W_outlier, 0),
         "GELU outputs, per tensor": (gelu_out, None)}
outliers = pd.DataFrame({name: int8_errors(t, d) for name, (t, d) in cases.items()}).T.rename(
    columns=lambda c: f"{c}: mean |error|")
outliers

# %% [markdown]
# ### bitsandbytes: int8 and NF4 on the zoo model
# bitsandbytes quantizes a model's Linear layers as it loads: int8 (LLM.int8(), per-row absmax with outliers kept
# in 16 bits) or NF4 (4-bit NormalFloat: 16 levels placed at the quantiles of a normal distribution, per block of
# 64 weights, the format of QLoRA). Embeddings and the output head stay in full precision.

# %%
variants = {"fp32": (hf_base, None)}
for mode in ("int8", "nf4"):
    variants[mode] = (zoo.load(profile.models["base"], quantization=mode)[0], mode)
n_embedding = hf_base.transformer.wte.weight.numel() + hf_base.transformer.wpe.weight.numel()
bnb_table = pd.DataFrame({name: {"memory footprint MB": m.get_memory_footprint() / 1e6,
                                 "held-out perplexity": math.exp(lm.eval_loss(m, val)),
                                 "Linear type": type(m.transformer.h[0].mlp.c_fc).__name__}
                          for name, (m, _) in variants.items()}).T
bnb_table

# %%
share = n_embedding / sum(p.numel() for p in hf_base.parameters())
print(f"embeddings are {share:.0%} of this model's parameters; in Llama 2 7B they are 2%.")

# %% [markdown]
# Perplexity barely moves (NF4: +1.5%), but the footprint falls far less than 4× or 8×: 43% of this tiny model's
# parameters are embeddings, which stay fp32. In a 7B model the Linear layers are 98% of the parameters and NF4
# takes the weights from 13.5 GB (bf16) to about 3.9 GB. Small models are dominated by their vocabulary.
#
# ## 4. Quantization-aware training
#
# Post-training quantization (PTQ) rounds a finished model. Quantization-aware training (QAT) lets the model adapt:
# every forward pass sees the quantized weights (*fake quantization*: quantize, then read back as floats), and the
# backward pass updates latent full-precision weights. `round()` has zero gradient almost everywhere, so the
# backward pass pretends the rounding was the identity: the *straight-through estimator* (Bengio et al. 2013).
#
# ### Exercise 4: fake quantization with a straight-through estimator
# `fake_quantize(w, bits, dim=0)`: forward, `w` quantized to `bits`-bit symmetric integers and read back —
# `qmax = 2^(bits−1) − 1`, `scale = max|w| / qmax` (per slice along `dim`, keepdim; `dim=None`: one scale),
# `clamp(round(w / scale), −qmax, qmax) · scale`; backward, the identity: the gradient reaching the output passes
# to `w` unchanged. One line does both: `w + (w_q − w).detach()`.

# %%
def fake_quantize(w: torch.Tensor, bits: int = 4, dim: int | None = 0) -> torch.Tensor:
    # Exercise 4: fake quantization
    ### BEGIN SOLUTION
    qmax = 2 ** (bits - 1) - 1
    if dim is None:
        amax = w.abs().amax()
    else:
        amax = w.abs().amax(dim=[d for d in range(w.dim()) if d != dim % w.dim()], keepdim=True)
    scale = (amax / qmax).clamp(min=torch.finfo(w.dtype).tiny)
    w_q = torch.round(w / scale).clamp(-qmax, qmax) * scale
    return w + (w_q - w).detach()
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_fake_quantize(fake_quantize, name="Exercise 4: fake quantization")

# %%
# Stuck? The reference stands in below (one line says so); the check above still fails until yours passes.
fake_quantize = checks.yours_or_reference("Exercise 4: fake quantization", fake_quantize, Q.fake_quantize,
                                          checks.check_fake_quantize)

# %% [markdown]
# First, PTQ alone: the blocks' Linear weights rounded to fewer bits, one scale per row or one per tensor.

# %%
ptq = {"fp32": math.exp(lm.eval_loss(base, val))}
for bits in (8, 4, 3):
    for dim, where in ((0, "per row"), (None, "per tensor")):
        ptq[f"int{bits} {where}"] = math.exp(lm.eval_loss(Q.quantize_weights_(copy.deepcopy(base), bits, dim), val))
pd.DataFrame({"held-out perplexity": ptq}).T

# %% [markdown]
# 8 bits cost nothing; 4 bits per row little; 4 bits with one scale per tensor cost more — that is the case QAT
# should repair. A fair test needs a control: QAT trains the model further, and further training on this text
# helps by itself (the zoo model saw it mixed with other data). So both arms train the same steps on the same
# batches: **(a)** plain fine-tuning, then PTQ; **(b)** QAT with `fake_quantize` in every block Linear, then the
# same quantization. Expect the QAT arm to be *worse* in full precision than quantized: it learnt weights that work
# after rounding, and un-rounded they are a model it never trained.

# %%
BITS, QDIM, QAT_STEPS = 4, None, profile.steps(150)
train_ids = lm.token_stream(tok, [r["text"] for r in tinyworld.rows("pretrain", "train")], seed=1)
qat = {}
for arm in ("fine-tune, then PTQ", "QAT, then quantize"):
    m = copy.deepcopy(base)
    if arm.startswith("QAT"):
        Q.add_fake_quant(m, BITS, QDIM, fn=fake_quantize)
    log = trainer.train(m, trainer.stream_batcher(train_ids, 128, 8, seed=0), QAT_STEPS, lr=5e-4, warmup=10,
                        desc=arm, amp_dtype=None)
    Q.remove_fake_quant(m)
    qat[arm] = {"full precision": math.exp(lm.eval_loss(m, val)),
                f"int{BITS} per tensor": math.exp(lm.eval_loss(Q.quantize_weights_(m, BITS, QDIM), val))}
qat = pd.DataFrame(qat).T
ft_fp, ft_q = qat.iloc[0]
qat_q = qat.iloc[1, 1]
recovered = (ft_q - qat_q) / (ft_q - ft_fp)
qat

# %%
fig, ax = plt.subplots(figsize=(5, 2.8))
bars = {"fine-tuned\nfp32": ft_fp, f"fine-tuned\n+ int{BITS} PTQ": ft_q, f"QAT\n+ int{BITS}": qat_q}
ax.bar(list(bars), list(bars.values()), color=["grey", "tab:red", "tab:green"])
ax.set_ylim(min(bars.values()) * 0.9, max(bars.values()) * 1.03); ax.set_ylabel("held-out perplexity")
ax.set_title(f"QAT recovers {recovered:.0%} of what {BITS}-bit PTQ lost (same steps, same data)", fontsize=9)
plt.show()

# %% [markdown]
# ## 5. Sharding across processes: DDP, ZeRO, FSDP
#
# When the state of §1 does not fit one device, split it. **DDP** (distributed data parallel) gives each process a
# full copy of the model and a slice of every batch; after the backward pass the gradients are averaged with an
# all-reduce, so every copy takes the same step. Memory per rank: everything. **ZeRO** (Rajbhandari et al. 2020)
# removes the copies in stages: stage 1 shards the optimizer state (each rank updates only its share of the
# parameters, then broadcasts them), stage 2 also the gradients (a *reduce-scatter* instead of an all-reduce: it sums
# the gradients but leaves each rank only its shard of the sum), stage 3 also
# the parameters themselves (each layer is *all-gathered* — every rank sends its shard to all — just before it is
# needed, forward and backward, and freed
# after). PyTorch's **FSDP2** (`fully_shard`) is ZeRO-3, or ZeRO-2 with `reshard_after_forward=False`.
#
# `sharding.launch` starts `torchrun` with 2 processes on this machine (the gloo backend on CPU; NCCL, one GPU per
# rank, where there are enough GPUs). Each process builds the same model from the same seed and takes half of the
# same global batch; a single process taking the whole batch is the reference. The command it runs:

# %%
print(" ".join(sharding.torchrun_command("ddp,zero1,zero2,fsdp", "tokens.pt", "report.json", nproc=2)
               ).replace(sharding.sys.executable, "python"))

# %%
shard_cfg = GPTConfig(vocab_size=cfg.vocab_size, block_size=64, n_layer=cfg.n_layer, n_head=cfg.n_head,
                      n_embd=cfg.n_embd)
shard_tokens = torch.tensor(train_ids[:200_000])
SHARD_STEPS = profile.steps(6)
with report.timer() as t_single:
    single = sharding.launch(["ddp"], shard_tokens, shard_cfg, nproc=1, steps=SHARD_STEPS)["ddp"]
with report.timer() as t_multi:
    runs = sharding.launch(list(sharding.STRATEGIES), shard_tokens, shard_cfg, nproc=2, steps=SHARD_STEPS)
print(f"1 process: {t_single.seconds:.0f} s; 2 processes x 4 strategies: {t_multi.seconds:.0f} s "
      "(mostly starting Python and importing torch in each process)")

per_rank = pd.DataFrame({
    name: {"params MB": r.ranks[0].param_bytes / 1e6, "grads MB": r.ranks[0].grad_bytes / 1e6,
           "optimizer MB": r.ranks[0].optimizer_bytes / 1e6,
           "state / single process": (r.ranks[0].param_bytes + r.ranks[0].grad_bytes + r.ranks[0].optimizer_bytes)
           / (single.ranks[0].param_bytes + single.ranks[0].grad_bytes + single.ranks[0].optimizer_bytes),
           "sent per step / weights": r.ranks[0].sent_bytes(r.world_size) / single.ranks[0].param_bytes,
           "collectives": ", ".join(f"{k} x{v}" for k, v in sorted(r.ranks[0].comm_calls.items())),
           "max |loss - single|": max(abs(a - b) for a, b in zip(r.losses, single.losses))}
    for name, r in {"single process": single, **runs}.items()}).T
per_rank

# %% [markdown]
# Read the table row by row. *Sent per step* is in model sizes: the payload of every collective the profiler saw in
# one step, converted to what a rank sends when the collective runs as a ring (an all-reduce is a reduce-scatter
# plus an all-gather: 2(N−1)/N of its payload; the others (N−1)/N). DDP holds everything on every rank and
# all-reduces the gradients once per step. torch's ZeRO-1 (`ZeroRedundancyOptimizer`) holds half the optimizer
# state, but still all-reduces every gradient and then broadcasts the updated parameters: 1.5× DDP's traffic
# (the ZeRO paper's stage 1 reduce-scatters instead, and costs what DDP costs). ZeRO-2 holds half of the gradients
# and optimizer state; its parameter column is a snapshot after the step, when they are sharded again — from the
# forward to the backward pass each rank holds them in full (`reshard_after_forward=False`) — and, with a
# reduce-scatter of the gradients and one all-gather of the parameters, sends exactly what DDP sends.
# ZeRO-3 all-gathers the parameters twice (forward and backward): 1.5× — the price of freeing them between uses.
# The losses agree in every row: the strategies change where the numbers live, not the numbers.

# %%
fig, ax = plt.subplots(figsize=(6, 2.8))
names = list(per_rank.index)
bottom = [0.0] * len(names)
for col, color in [("params MB", "tab:blue"), ("grads MB", "tab:orange"), ("optimizer MB", "tab:green")]:
    ax.bar(names, per_rank[col], bottom=bottom, label=col.removesuffix(" MB"), color=color)
    bottom = [b + v for b, v in zip(bottom, per_rank[col])]
ax.set_ylabel("MB held by rank 0"); ax.legend(fontsize=8); ax.tick_params(axis="x", labelsize=7)
ax.set_title("Training state per rank, 2 ranks", fontsize=9)
plt.show()

# %% [markdown]
# ### Outgrowing one machine
# The same script runs across machines: one `torchrun` per node, told how many nodes there are, which one it is,
# and where rank 0 listens. On two machines with 8 GPUs each:
#
# ```
# torchrun --nnodes=2 --node_rank=0 --nproc_per_node=8 --master_addr=10.0.0.1 --master_port=29500 train.py  # node 0
# torchrun --nnodes=2 --node_rank=1 --nproc_per_node=8 --master_addr=10.0.0.1 --master_port=29500 train.py  # node 1
# ```
#
# Below, two launchers on this machine play the two nodes, one process each, with FSDP. Across nodes the
# collectives cross the network (InfiniBand or Ethernet, 10–50× slower than NVLink inside a node), which is why
# large runs keep the most talkative parallelism — tensor parallelism, ZeRO-3's all-gathers — inside a node.

# %%
two_nodes = sharding.launch(["fsdp"], shard_tokens, shard_cfg, nproc=1, nnodes=2, steps=SHARD_STEPS)["fsdp"]
node_diff = max(abs(a - b) for a, b in zip(two_nodes.losses, single.losses))
print(f"{two_nodes.nnodes} nodes x 1 process: world size {two_nodes.world_size}, rank 0 holds "
      f"{two_nodes.ranks[0].param_bytes / single.ranks[0].param_bytes:.0%} of the parameters; "
      f"largest loss difference from one process {node_diff:.1e}")

# %% [markdown]
# ## 6. Try it for real
#
# - `PROFILE = "gpu"`: §1 measures the peak memory of a 1.1B-parameter model's training step on the GPU and
#   compares it with the calculator; the QAT run trains 4× longer. Sharding needs one GPU per rank for NCCL; with
#   one GPU it runs on the CPU as here.
# - Load a real model in 4 bits: `zoo.load("TinyLlama/TinyLlama-1.1B-Chat-v1.0", quantization="nf4")` under
#   `PROFILE = "hub"` (about 0.7 GiB of weights), then compare `get_memory_footprint()` with bf16's 2.05 GiB.
# - FSDP2's documentation and the ZeRO paper (Rajbhandari et al. 2020) give the communication analysis behind
#   the table in §5; DeepSpeed implements all three stages and offloading to CPU memory (ZeRO-Offload).
#
# ## What you should see
#
# The lab records its key numbers and checks that each lesson held, with a margin; `report.summary()` shows them as
# one table (a lesson that did not hold is marked ✘ and stops the notebook with `LessonFailed`).

# %%
act = mem.set_index(["recipe", "part"])["measured / predicted"]
report.record("memory_measured_over_predicted", {f"{r} {p}": round(float(v), 4) for (r, p), v in act.dropna().items()})
report.record("activation_curve_max_error", round(worst, 4), note="sdpa and manual attention, T = 32 ... 256")
report.record("course_rule_1b_gb", round(sum(memory.course_rule(1e9).values()) / memory.GB, 1), unit="GB")
if gpu_bytes_per_param is not None:
    report.record("gpu_peak_bytes_per_param", round(gpu_bytes_per_param, 2), note="1.1B GPT, bf16 autocast, 4 x 512")
report.record("fp16_loss_overflow", {r["logits"]: [round(r["fp16"], 3) if math.isfinite(r["fp16"]) else "inf",
                                                   round(r["bf16"], 3)] for r in loss_rows}, note="[fp16, bf16]")
report.record("gradient_underflow", {k: round(v, 4) for k, v in under.iloc[:, 0].items()})
report.record("weight_relative_error", {k: float(f"{v:.3g}") for k, v in precision.items()})
report.record("int8_mean_abs_error", {k: {c: float(f"{v:.3g}") for c, v in row.items()}
                                      for k, row in outliers.T.to_dict().items()})
report.record("bnb_footprint_mb", {k: round(float(v), 3) for k, v in bnb_table["memory footprint MB"].items()})
report.record("bnb_perplexity", {k: round(float(v), 3) for k, v in bnb_table["held-out perplexity"].items()})
report.record("ptq_perplexity", {k: round(v, 3) for k, v in ptq.items()})
report.record("qat_perplexity", {arm: [round(float(v), 3) for v in row] for arm, row in qat.iterrows()},
              note="[full precision, quantized]")
report.record("qat_recovered", round(float(recovered), 3), note="share of the PTQ loss that QAT recovers")
report.record("shard_state_share", {k: round(float(v), 3) for k, v in per_rank["state / single process"].items()})
report.record("shard_comm_per_weights", {k: round(float(v), 2) for k, v in per_rank["sent per step / weights"].items()})
report.record("shard_seconds", {"single": round(t_single.seconds, 1), "2 ranks x 4": round(t_multi.seconds, 1)},
              unit="s")

# %%
report.expect(abs(act.dropna() - 1).max() < 0.10, "the memory calculator predicts every measured part within 10%",
              detail=f"worst {abs(act.dropna() - 1).max():.2%}")
growth = {a: g["measured"].iloc[-1] / g["measured"].iloc[0] for a, g in curve.groupby("attention")}
report.expect(worst < 0.10 and growth["sdpa"] < 1.01 and growth["manual"] > 1.2,
              "activations per token stay flat with SDPA and grow with T without it (the T×T matrix)",
              detail=f"T {lengths[0]} -> {lengths[-1]}: sdpa x{growth['sdpa']:.3f}, manual x{growth['manual']:.2f}")
if gpu_bytes_per_param is not None:
    report.expect(16 < gpu_bytes_per_param < 24, "the GPU peak for 1.1B parameters is about 18-20 bytes/parameter",
                  detail=f"{gpu_bytes_per_param:.1f}")
sharp = loss_rows[-1]
report.expect(not math.isfinite(sharp["fp16"]) and abs(sharp["bf16"] - sharp["fp32"]) < 0.1,
              "fp16 overflows where bf16 survives", detail=f"fp16 {sharp['fp16']}, bf16 {sharp['bf16']:.3f}")
report.expect(under.iloc[0, 0] > 0.001 and under.iloc[1, 0] < under.iloc[0, 0] / 5 and under.iloc[2, 0] == 0,
              "small gradients underflow in fp16; loss scaling or bf16 keeps them",
              detail=f"fp16 {under.iloc[0, 0]:.1%}, scaled {under.iloc[1, 0]:.2%}, bf16 {under.iloc[2, 0]:.0%}")
o = outliers.iloc[:, 0]
report.expect(o["weight + one outlier, per tensor"] > 5 * o["weight, per tensor"]
              and o["weight + one outlier, per row"] < 2 * o["weight, per row"],
              "one outlier ruins a per-tensor scale; per-row scales contain it",
              detail=f"{o['weight, per tensor']:.2g} -> {o['weight + one outlier, per tensor']:.2g} per tensor, "
                     f"{o['weight + one outlier, per row']:.2g} per row")
report.expect(outliers.loc["GELU outputs, per tensor"].iloc[1] < 0.8 * outliers.loc["GELU outputs, per tensor"].iloc[0],
              "zero-point beats absmax on skewed values (GELU outputs)")
fp = bnb_table["held-out perplexity"]
report.expect(bnb_table["memory footprint MB"]["nf4"] < bnb_table["memory footprint MB"]["int8"]
              < bnb_table["memory footprint MB"]["fp32"] and max(fp["int8"], fp["nf4"]) < 1.05 * fp["fp32"],
              "bitsandbytes int8 and NF4 shrink the model and keep its perplexity within 5%",
              detail=f"{fp['fp32']:.2f} / {fp['int8']:.2f} / {fp['nf4']:.2f}")
report.expect(ptq["int8 per row"] < 1.01 * ptq["fp32"]
              and ptq["int4 per tensor"] > ptq["int4 per row"] > ptq["int8 per row"],
              "fewer bits cost more, and per-row scales cost less than one per tensor")
report.expect(recovered > 0.5 and qat_q < ft_q, "QAT recovers most of what 4-bit PTQ lost, at equal training",
              detail=f"{recovered:.0%}")
st = per_rank["state / single process"]
report.expect(abs(st["ddp"] - 1) < 0.01 and abs(st["zero1"] - 0.75) < 0.05 and abs(st["fsdp"] - 0.5) < 0.05,
              "per rank: DDP holds everything, ZeRO-1 drops half the optimizer state, FSDP half of everything",
              detail=", ".join(f"{k} {v:.2f}" for k, v in st.items()))
cm = per_rank["sent per step / weights"]
report.expect(abs(cm["fsdp"] / cm["ddp"] - 1.5) < 0.1 and abs(cm["zero2"] / cm["ddp"] - 1) < 0.1,
              "ZeRO-2 sends what DDP sends per step, ZeRO-3 1.5x as much",
              detail=f"DDP {cm['ddp']:.2f}, ZeRO-2 {cm['zero2']:.2f}, ZeRO-3 {cm['fsdp']:.2f} model sizes")
report.expect(per_rank["max |loss - single|"].max() < 1e-4 and node_diff < 1e-4,
              "every strategy, and two nodes, give the losses of one process",
              detail=f"largest difference {max(per_rank['max |loss - single|'].max(), node_diff):.1e}")
report.summary()
