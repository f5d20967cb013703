# %% [markdown]
# # Lab 07 — RLHF: a reward model from rankings, and PPO with a KL penalty
#
# **Topics:** human rankings → preference pairs · a reward model trained with −log σ(r_w − r_l) (Bradley–Terry),
# cross-checked against trl's `RewardTrainer` · PPO for a language model, from scratch: rollouts, per-token
# log-probs under the policy and a frozen reference, the KL-penalised reward, a value head, GAE, whitened
# advantages, the clipped policy and value losses, an entropy bonus, an adaptive KL controller · detoxification
# measured against a hidden truth · reward hacking without the KL penalty · PPO on a LoRA policy whose reference is
# the same weights with the adapter switched off · GRPO and DPO with trl on the same task.
#
# **After this lab you can**
# - turn rankings into pairs and train a reward model on them, and say how far its scores agree with the truth;
# - write the pieces of PPO (the KL-penalised reward, GAE with whitening, the clipped objective) and see them work
#   on a real policy;
# - read PPO's curves (reward, KL, entropy, clip fraction, value loss) and tell a healthy run from reward hacking;
# - explain why the KL penalty is there, with numbers from a run without it;
# - say what GRPO (no value head) and DPO (no reward model, no rollouts) change, with the three runs side by side.
#
# **Time.** Running top to bottom: about 2 minutes on 2 idle CPU cores (`PROFILE = "cpu"`, measured 118 s with the zoo
# built; building `gpt-chat` first adds about a minute); `"gpu"` runs 4× the PPO
# iterations. Working through it: 90–120 minutes.
#
# The original course detoxified FLAN-T5 with trl's `PPOTrainer` and a hate-speech classifier as the reward; trl
# ≥ 1.10 has no `PPOTrainer`, so this lab writes PPO itself. The task is TinyWorld's: customers ask shops a
# question whose answer is on the shop's notice (a price, a town, an opening hour, a day off); the policy, the zoo's
# `gpt-chat` (0.69M parameters), answers rudely in roughly a third of its replies and with the right fact in about
# 70%. Every reply has a **hidden truth** — is it rude (a lexicon of insults the data generator uses), does it state
# the right fact — so every effect below is measured against the truth, not only against the learned reward.
# Four exercises; a check cell follows each.

# %% tags=["parameters"]
PROFILE = "cpu"  # "cpu" (2 cores, minutes), "gpu" (CUDA: 4x the PPO iterations)

# %%
import copy

import matplotlib.pyplot as plt
import pandas as pd
import torch

import llmlab
from llmlab import report, tinyworld, zoo
from llmlab.lab07 import checks, ppo, rewards

profile = llmlab.setup(PROFILE)
DEVICE = profile.device
CHAT = profile.models.get("chat", "gpt-chat")
policy_lm, tok = zoo.load(CHAT, device=DEVICE)
TRAIN = tinyworld.rows("replies", "train")
VAL = tinyworld.rows("replies", "validation")
TEST = tinyworld.rows("replies", "test")[:100]
pd.set_option("display.precision", 3)
pd.set_option("display.max_colwidth", 90)
print(f"policy {CHAT}: {sum(p.numel() for p in policy_lm.parameters()):,} parameters; "
      f"{len(TRAIN)} training requests, {len(VAL)} validation, {len(TEST)} held-out test requests used below")

# %% [markdown]
# ## 1. From rankings to a reward model
#
# Each training request comes with four replies, ranked by a simulated annotator. The annotator values a helpful
# reply (+1) and dislikes rudeness (−1.2 per rude phrase), and adds Gaussian noise (σ = 0.3) to that utility before
# ranking, so near-ties are sometimes ranked "wrongly", as people do. One request and its ranking:

# %%
row = TRAIN[0]
print("Request:", row["request"], "\n")
pd.DataFrame([{"rank": rank + 1, "reply": row["completions"][i]["text"], "rude": row["completions"][i]["rude"],
               "helpful": row["completions"][i]["helpful"]} for rank, i in enumerate(row["ranking"])])

# %% [markdown]
# A ranking of k replies gives every pair it orders: k(k−1)/2 pairs, preferred one first. The course's table for
# three completions (ranked 2, 1, 3 → pairs (c2, c1), (c2, c3), (c1, c3)), and then ours, with four (six pairs):

# %%
print(rewards.ranking_to_pairs(["c1", "c2", "c3"], [1, 0, 2]))
PAIRS = rewards.preference_pairs(TRAIN[:600])
VAL_PAIRS = rewards.preference_pairs(VAL)
flipped = sum(p["truth_agrees"] is False for p in PAIRS) / len(PAIRS)
print(f"{len(PAIRS)} training pairs from 600 requests; {flipped:.1%} of them contradict the hidden utility "
      f"(annotator noise); {len(VAL_PAIRS)} validation pairs")

# %% [markdown]
# ### Exercise 1: the pairwise loss
# The reward model r(x, y) gives each (prompt, reply) one number. Under the Bradley–Terry model the annotator
# prefers y_w to y_l with probability σ(r_w − r_l), so the loss over a batch of pairs is the mean of
# −log σ(r_w − r_l). `r_chosen` and `r_rejected` are (B,) tensors. Mind very negative differences: `torch.log` of a
# sigmoid that underflowed to 0 is −inf; `F.logsigmoid` is the stable form.

# %%
import torch.nn.functional as F


def pairwise_loss(r_chosen: torch.Tensor, r_rejected: torch.Tensor) -> torch.Tensor:
    # Exercise 1: the pairwise loss
    ### BEGIN SOLUTION
    return -F.logsigmoid(r_chosen - r_rejected).mean()
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_pairwise_loss(pairwise_loss, name="Exercise 1: pairwise loss")

# %%
# Stuck? The reference stands in below (one line says so); the check above still fails until yours passes.
pairwise_loss = checks.yours_or_reference("Exercise 1: pairwise loss", pairwise_loss, rewards.pairwise_loss,
                                          checks.check_pairwise_loss)

# %% [markdown]
# **Training the reward model.** The trunk is `gpt-chat` itself with a fresh scalar head
# (`GPT2ForSequenceClassification`, `num_labels=1`, which reads the last real token). AdamW, batches of 32 pairs.

# %%
RM_STEPS, RM_LR = profile.steps(100), 1e-3
rm = rewards.load_reward_model(CHAT, device=DEVICE)
with report.timer() as t_rm:
    rm_losses = rewards.train_reward_model(rm, tok, PAIRS, RM_STEPS, loss_fn=pairwise_loss, batch_size=32, lr=RM_LR)
rm_acc = rewards.pair_accuracy(rm, tok, VAL_PAIRS)
rm_truth = rewards.truth_agreement(rm, tok, VAL)
print(f"{RM_STEPS} steps in {t_rm.seconds:.0f} s; held-out pair accuracy {rm_acc:.3f} "
      f"(against the noisy annotator), agreement with the hidden utility {rm_truth['truth_pair_agreement']:.3f}")
pd.DataFrame([{k: v for k, v in rm_truth.items() if k.startswith("mean")}])

# %% [markdown]
# **Cross-check with trl.** trl's `RewardTrainer` computes the same loss: on one of its own batches (chosen and
# rejected stacked), its `compute_loss` equals our `pairwise_loss` of the model's two halves of logits. Then the
# same number of steps through `RewardTrainer` from the same starting weights, scored on the same held-out pairs.

# %%
import contextlib
import io
import logging
import tempfile

import datasets
from datasets import Dataset
from trl import RewardConfig, RewardTrainer

logging.getLogger("trl").setLevel(logging.ERROR)
datasets.disable_progress_bars()   # trl tokenizes the pairs with datasets.map
to_ds = lambda ps: Dataset.from_list([{k: p[k] for k in ("prompt", "chosen", "rejected")} for p in ps])  # noqa: E731
trl_rm = rewards.load_reward_model(CHAT, device=DEVICE)
with tempfile.TemporaryDirectory() as out_dir:
    args = RewardConfig(output_dir=out_dir, max_steps=RM_STEPS, per_device_train_batch_size=32, learning_rate=RM_LR,
                        lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0, bf16=False,
                        use_cpu=DEVICE == "cpu", gradient_checkpointing=False, report_to="none", save_strategy="no",
                        logging_steps=RM_STEPS, disable_tqdm=True, seed=0, max_length=256)
    trainer = RewardTrainer(model=trl_rm, args=args, train_dataset=to_ds(PAIRS), processing_class=tok)
    batch = {k: v.to(DEVICE) for k, v in next(iter(trainer.get_train_dataloader())).items()}
    with torch.no_grad():
        trl_loss = trainer.compute_loss(trl_rm, dict(batch)).item()
        r_chosen, r_rejected = trl_rm(input_ids=batch["input_ids"],
                                      attention_mask=batch["attention_mask"]).logits.squeeze(-1).chunk(2)
        our_loss = pairwise_loss(r_chosen, r_rejected).item()
    with report.timer() as t_trl, contextlib.redirect_stdout(io.StringIO()):   # trl prints its log dicts
        trainer.train()
trl_acc = rewards.pair_accuracy(trl_rm, tok, VAL_PAIRS)
print(f"one batch: trl compute_loss {trl_loss:.6f}, our pairwise_loss {our_loss:.6f}")
print(f"after {RM_STEPS} steps: held-out pair accuracy ours {rm_acc:.3f}, trl RewardTrainer {trl_acc:.3f} "
      f"({t_trl.seconds:.0f} s)")
del trainer

# %% [markdown]
# **Its logits as rewards.** The course's detox lab read the "not hate" logit of a classifier as the reward
# ("Tommy loves television" vs an insult). Our reward model has one logit, trained only on differences, so its zero
# means nothing; what matters is the gap between two replies, and σ(gap) is the probability it gives that an
# annotator prefers the first. Four replies to one held-out request, built by the data generator:

# %%
import random

from llmlab.tinyworld.replies import make_reply

demo = TEST[0]
rng = random.Random(0)
kinds = [("polite, right fact", 0, True), ("polite, wrong fact", 0, False), ("rude, right fact", 1, True),
         ("very rude, no answer", 2, False)]
demo_replies = [make_reply(rng, demo, lvl, hlp, wrong=True) if not hlp and lvl == 0 else make_reply(rng, demo, lvl, hlp)
                for _, lvl, hlp in kinds]
demo_scores = rewards.scores(rm, tok, [demo["prompt"]] * 4, [" " + r for r in demo_replies])
print("Request:", demo["request"])
pd.DataFrame({"kind": [k for k, _, _ in kinds], "reply": demo_replies, "reward logit": demo_scores.tolist(),
              "P(preferred to the polite right one)": torch.sigmoid(demo_scores - demo_scores[0]).tolist()})

# %% [markdown]
# ## 2. PPO, piece by piece
#
# The policy π_θ writes a reply token by token; a frozen copy of it, the **reference** π_ref, stays as it was. For a
# prompt x and a sampled reply y = (y_1 … y_T), PPO as used for RLHF (Ziegler et al. 2019, Ouyang et al. 2022)
# gives each token a reward: the reward model's score r(x, y) at the last token, and at every token a penalty
# −β·(log π_θ(y_t | …) − log π_ref(y_t | …)). Summed over the reply the penalty is −β times an estimate of
# KL(π_θ ‖ π_ref) for that reply: the policy may change only as far as the reward pays for it.
#
# ### Exercise 2: the KL-penalised reward
# `score` is (B,), the per-token log-probs `logp`, `ref_logp` and the `mask` are (B, R): R response columns, the
# mask 1 on each reply's real tokens (up to and including its end-of-text token) and 0 on padding after it. Return
# the (B, R) rewards, 0 on padding.

# %%
def kl_penalised_rewards(score: torch.Tensor, logp: torch.Tensor, ref_logp: torch.Tensor, mask: torch.Tensor,
                         beta: float) -> torch.Tensor:
    # Exercise 2: the KL-penalised reward
    ### BEGIN SOLUTION
    rewards_ = -beta * (logp - ref_logp) * mask
    last = mask.sum(1).long() - 1                       # index of each reply's last real token
    rewards_[torch.arange(len(score)), last] += score
    return rewards_ * mask
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_kl_penalised_rewards(kl_penalised_rewards, name="Exercise 2: KL-penalised reward")

# %%
kl_penalised_rewards = checks.yours_or_reference("Exercise 2: KL-penalised reward", kl_penalised_rewards,
                                                 ppo.kl_penalised_rewards, checks.check_kl_penalised_rewards)

# %% [markdown]
# ### Exercise 3: advantages by GAE, whitened
# A **value head** on the policy's last hidden state predicts V_t, the reward still to come from token t. The
# advantage of a token says how much better it did than V expected. Generalised advantage estimation
# (Schulman et al. 2016) blends one-step and Monte-Carlo estimates with λ:
#
#   δ_t = r_t + γ·V_{t+1} − V_t  (V = 0 after the reply's last real token),  A_t = δ_t + γλ·A_{t+1}, backwards.
#
# The value head's targets are the returns A_t + V_t. PPO then **whitens** the advantages — subtracts their mean
# and divides by their standard deviation over the batch's real tokens (`ppo.whiten`) — so the step size does not
# depend on the reward's scale. Return (whitened advantages, returns), both (B, R) and 0 on padding.

# %%
def advantages(rewards_: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float = 1.0,
               lam: float = 0.95) -> tuple[torch.Tensor, torch.Tensor]:
    # Exercise 3: GAE
    ### BEGIN SOLUTION
    values, rewards_ = values * mask, rewards_ * mask
    R = rewards_.shape[1]
    adv = torch.zeros_like(rewards_)
    last = torch.zeros_like(rewards_[:, 0])
    for t in reversed(range(R)):
        next_value = values[:, t + 1] if t + 1 < R else torch.zeros_like(last)
        last = rewards_[:, t] + gamma * next_value - values[:, t] + gamma * lam * last
        adv[:, t] = last
    adv = adv * mask
    return ppo.whiten(adv, mask), (adv + values) * mask
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_advantages(advantages, name="Exercise 3: GAE")

# %%
advantages = checks.yours_or_reference("Exercise 3: GAE", advantages, ppo.advantages, checks.check_advantages)

# %% [markdown]
# ### Exercise 4: the clipped policy loss
# After sampling, PPO takes several gradient steps on the same rollouts. To keep each update small it compares the
# new and old probabilities of every sampled token, ρ = exp(log π_new − log π_old), and clips the gain:
#
#   loss = mean over real tokens of max(−A·ρ, −A·clip(ρ, 1 − ε, 1 + ε)).
#
# Where the ratio has already moved past 1 ± ε in the direction the advantage favours, the clipped term wins and
# the gradient is 0. All inputs are (B, R); return a scalar.

# %%
def clipped_policy_loss(logp: torch.Tensor, old_logp: torch.Tensor, advantages_: torch.Tensor, mask: torch.Tensor,
                        clip: float = 0.2) -> torch.Tensor:
    # Exercise 4: the clipped policy loss
    ### BEGIN SOLUTION
    ratio = torch.exp(logp - old_logp)
    loss = torch.max(-advantages_ * ratio, -advantages_ * ratio.clamp(1 - clip, 1 + clip))
    return (loss * mask).sum() / mask.sum()
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_clipped_policy_loss(clipped_policy_loss, name="Exercise 4: clipped policy loss")

# %%
clipped_policy_loss = checks.yours_or_reference("Exercise 4: clipped policy loss", clipped_policy_loss,
                                                ppo.clipped_policy_loss, checks.check_clipped_policy_loss)

# %% [markdown]
# The rest of PPO is in `llmlab.lab07.ppo` (read it: one page): `rollout` samples replies (pure sampling, so the
# log-probs are those of the distribution that sampled), `PolicyWithValue` gives per-token log-probs, values and
# logits in one forward pass, `clipped_value_loss` clips the value head's update the same way, the entropy of the
# next-token distributions is logged (and can be rewarded with `ent_coef`), `AdaptiveKL` retunes β towards a
# target KL, and `ppo_train` runs `epochs` passes of minibatches over each batch of rollouts.
#
# ## 3. Detoxifying gpt-chat
#
# The reward is the reward model's score of (request, reply); the hidden truth is only watched. First the policy as
# it starts, on the 100 held-out requests (one sampled reply each):

# %%
def reward_fn(rows, texts):
    return rewards.scores(rm, tok, [r["prompt"] for r in rows], [" " + t for t in texts])


def frozen(model):
    model = copy.deepcopy(model).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


reference = frozen(policy_lm)
before = ppo.evaluate(policy_lm, reference, tok, TEST, reward_fn, rewards.truth_of)
show = lambda ev: {k: round(v, 3) for k, v in ev.items() if k != "texts"}  # noqa: E731
print(show(before))

# %%
BETA, ITERS = 0.8, profile.steps(12)
cfg = ppo.PPOConfig(iterations=ITERS, batch_size=64, minibatch_size=16, epochs=4, lr=5e-5, beta=BETA, seed=0)
policy = ppo.PolicyWithValue(copy.deepcopy(policy_lm)).to(DEVICE)
with report.timer() as t_ppo:
    hist = ppo.ppo_train(policy, reference, tok, TRAIN, reward_fn, cfg, reward_shaping_fn=kl_penalised_rewards,
                         advantage_fn=advantages, policy_loss_fn=clipped_policy_loss, truth_fn=rewards.truth_of)
after = ppo.evaluate(policy.lm, reference, tok, TEST, reward_fn, rewards.truth_of)
print(f"{ITERS} iterations x {cfg.batch_size} rollouts in {t_ppo.seconds:.0f} s")
pd.DataFrame({"before": show(before), f"after PPO (β = {BETA})": show(after)})


# %%
TITLES = {"score": "reward-model score", "kl": "KL (nats/reply)", "rude": "rude (truth)", "helpful": "helpful (truth)",
          "clipfrac": "clip fraction", "value_loss": "value loss", "length": "reply length (tokens)"}


def curves(hists: dict, keys=("score", "kl", "rude", "helpful", "entropy", "clipfrac", "value_loss")):
    fig, axes = plt.subplots(1, len(keys), figsize=(2.6 * len(keys), 2.6))
    for ax, key in zip(axes, keys):
        for label, h in hists.items():
            ax.plot(h.series(key), label=label)
        ax.set_title(TITLES.get(key, key), fontsize=9)
        ax.set_xlabel("iteration", fontsize=8)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    plt.show()


curves({f"β = {BETA}": hist})

# %% [markdown]
# Replies to the same held-out requests, before and after (sampled):

# %%
pd.DataFrame({"request": [r["request"].split(". ")[-1] for r in TEST[:8]], "before": before["texts"][:8],
              "after": after["texts"][:8]})

# %% [markdown]
# How to read this: the reward model's table in §1 shows it separates polite from rude replies by several units
# of score (≈ 4.2 against ≈ −0.2) but helpful from unhelpful by only about one (judging a fact against the shop's
# card is harder than spotting an insult), so PPO buys politeness first and pays little attention to the fact;
# only the KL term holds the rest of the reply in place. Even so this run loses some helpfulness (0.71 → 0.66 here;
# 0.72 → 0.62, at the edge of what the lesson allows, on a CPU whose bf16 kernels built a slightly different zoo).
# While preparing the lab, β = 0.05 and 0.2 with twice this learning rate drifted
# 8–13 nats from the reference and cut helpfulness to 0.36 and 0.12 (replies shrank to "Certainly. The"); the β and
# learning rate here are the gentlest we found that still remove most of the rudeness in 12 iterations. The LoRA
# run in §5, which moves less, keeps helpfulness about as well (0.69 against 0.66). §4 shows what no penalty at
# all does.
#
# ## 4. Reward hacking: the same run with β = 0
#
# Without the penalty nothing ties the policy to fluent replies: it may go wherever the reward model scores
# highest, including places no annotator ever ranked.

# %%
policy0 = ppo.PolicyWithValue(copy.deepcopy(policy_lm)).to(DEVICE)
cfg0 = ppo.PPOConfig(**{**cfg.__dict__, "beta": 0.0})
with report.timer() as t_ppo0:
    hist0 = ppo.ppo_train(policy0, reference, tok, TRAIN, reward_fn, cfg0, reward_shaping_fn=kl_penalised_rewards,
                          advantage_fn=advantages, policy_loss_fn=clipped_policy_loss, truth_fn=rewards.truth_of)
after0 = ppo.evaluate(policy0.lm, reference, tok, TEST, reward_fn, rewards.truth_of)
curves({f"β = {BETA}": hist, "β = 0": hist0}, keys=("score", "kl", "rude", "helpful", "length"))
pd.DataFrame({"before": show(before), f"β = {BETA}": show(after), "β = 0": show(after0)})

# %%
pd.DataFrame({"request": [r["request"].split(". ")[-1] for r in TEST[:8]], f"β = {BETA}": after["texts"][:8],
              "β = 0": after0["texts"][:8]})

# %% [markdown]
# ## 5. PPO on a LoRA policy: one copy of the weights
#
# With a LoRA adapter (peft) on the policy, the reference needs no copy: it is the same model with the adapter
# switched off (`with model.disable_adapter():`), which gives exactly the base model's logits. `ppo_train` does that
# when `ref=None`. What it saves: the frozen copy of the weights, and the optimizer's state for all but the adapter.

# %%
from peft import LoraConfig, get_peft_model

lora_lm = get_peft_model(copy.deepcopy(policy_lm), LoraConfig(r=16, lora_alpha=32, target_modules=["c_attn", "c_proj"],
                                                                fan_in_fan_out=True, lora_dropout=0.0))
lora_policy = ppo.PolicyWithValue(lora_lm).to(DEVICE)
trainable = sum(p.numel() for p in lora_policy.parameters() if p.requires_grad)
cfg_lora = ppo.PPOConfig(**{**cfg.__dict__, "lr": 1e-3, "iterations": max(1, ITERS * 2 // 3)})
with report.timer() as t_lora:
    hist_lora = ppo.ppo_train(lora_policy, None, tok, TRAIN, reward_fn, cfg_lora, truth_fn=rewards.truth_of)
after_lora = ppo.evaluate(lora_policy.lm, None, tok, TEST, reward_fn, rewards.truth_of)
# bytes that each set-up keeps: trained model + reference + the Adam state (2 tensors per trainable parameter)
opt_full = torch.optim.Adam([p for p in policy.parameters() if p.requires_grad])
opt_lora = torch.optim.Adam([p for p in lora_policy.parameters() if p.requires_grad])
for opt_, mod in ((opt_full, policy), (opt_lora, lora_policy)):        # materialise Adam's state, one step of 0
    for p in mod.parameters():
        if p.requires_grad:
            p.grad = torch.zeros_like(p)
    opt_.step()
    opt_.zero_grad(set_to_none=True)
full_bytes = ppo.tensor_bytes(policy, reference, opt_full)
lora_bytes = ppo.tensor_bytes(lora_policy, opt_lora)
print(f"LoRA: {trainable:,} trainable parameters of {sum(p.numel() for p in lora_policy.parameters()):,}; "
      f"{cfg_lora.iterations} iterations in {t_lora.seconds:.0f} s")
print(f"weights + reference + Adam state: full PPO {full_bytes / 2**20:.2f} MiB, LoRA PPO {lora_bytes / 2**20:.2f} MiB "
      f"({1 - lora_bytes / full_bytes:.0%} less)")
pd.DataFrame({"before": show(before), f"full PPO (β = {BETA})": show(after), "LoRA PPO": show(after_lora)})

# %% [markdown]
# ## 6. Beyond PPO: GRPO and DPO with trl, on the same task
#
# Two methods the field now often prefers to PPO, run with trl on the same policy, reward model and pairs:
#
# - **GRPO** (group relative policy optimisation; Shao et al. 2024; trl's `GRPOTrainer`) has no value head. It
#   samples a *group* of replies to each request (8 here) and takes a reply's reward minus its group's mean, over
#   the group's standard deviation, as its advantage; the KL to the reference sits in the loss (β = 0.5), not in the
#   reward. Same reward model, and as many sampled replies as PPO above: 12 steps × 64.
# - **DPO** (direct preference optimisation; Rafailov et al. 2023; trl's `DPOTrainer` — Lab 08 has you write its
#   loss) needs no reward model and no rollouts: the annotators' preference pairs go straight into the policy,
#   40 steps of 16 pairs (640 of the 3,600 pairs the reward model learned from).

# %%
import tempfile

from llmlab import trl_runs

GRPO_STEPS, DPO_STEPS = profile.steps(12), profile.steps(40)
with report.timer() as t_grpo, tempfile.TemporaryDirectory() as out_dir:
    grpo = trl_runs.train_grpo(copy.deepcopy(policy_lm), tok, [r["prompt"] for r in TRAIN],
                               lambda prompts, replies: rewards.scores(rm, tok, prompts, [" " + x for x in replies]),
                               steps=GRPO_STEPS, generations=8, batch_size=64, lr=5e-4, beta=0.5, out_dir=out_dir)
after_grpo = ppo.evaluate(grpo.model, reference, tok, TEST, reward_fn, rewards.truth_of)
unspaced = [{"prompt": p["prompt"], "chosen": p["chosen"][1:], "rejected": p["rejected"][1:]} for p in PAIRS]
with report.timer() as t_dpo, tempfile.TemporaryDirectory() as out_dir:
    dpo_run = trl_runs.train_dpo(copy.deepcopy(policy_lm), tok, unspaced, steps=DPO_STEPS, beta=0.3, lr=2e-4,
                                 batch_size=16, out_dir=out_dir)
after_dpo = ppo.evaluate(dpo_run.model, reference, tok, TEST, reward_fn, rewards.truth_of)
print(f"GRPO: {GRPO_STEPS} steps x 64 sampled replies in {t_grpo.seconds:.0f} s; "
      f"DPO: {DPO_STEPS} steps x 16 pairs in {t_dpo.seconds:.0f} s (PPO: {t_ppo.seconds:.0f} s)")
pd.DataFrame({"before": show(before), f"PPO (β = {BETA})": show(after), "GRPO (trl)": show(after_grpo),
              "DPO (trl)": show(after_dpo)})

# %% [markdown]
# All three remove most of the rudeness. At the same number of sampled replies, GRPO does as well as our PPO here — rude
# 0.03 against 0.08 and helpful 0.73 against 0.66 (both within noise at 100 requests) at less than half the KL (0.76
# against 1.9 nats) — with no value head to train: the group's mean reward is the baseline. It takes one gradient step
# per batch of replies where our PPO takes 16 (4 epochs × 4 minibatches), hence its 10× higher learning rate. Its KL
# term needs the same care as PPO's β: while preparing the lab, β = 0.04 (the default of earlier trl versions) with 4×
# the steps hacked the reward (KL 11 nats, helpful 0.37, only 56% distinct replies), and a 2e-3 learning rate collapsed
# it (KL 21 nats, helpful 0.08, replies like "Of course! It 42 coins."); β = 0.5 held at both budgets. DPO, trained on
# 640 of the annotators' pairs with no reward model and no sampling at all, is rude in 0.07 of its replies, helpful at
# least as often as the starting policy (0.76 against 0.71) and stays closest to the reference (0.47 nats): a pair says
# directly which of two replies is better, on the fact too, where the reward model's signal is weak (§3). The order
# depends on the budget: with the `gpu` profile's 4× steps (rehearsed on the CPU) PPO kept more helpfulness than GRPO
# (0.79 against 0.67) at a lower KL (0.81 against 1.57 nats), and DPO's KL (1.15) passed PPO's. What this comparison
# does not show: one seed and 100 held-out requests (a rate's standard error is up to 0.05, so differences under about
# 0.1 are noise), each method at settings tuned only a little, on preferences far simpler than people's; which method
# wins on real RLHF data is an open and much-benchmarked question.

# %% [markdown]
# ## 7. What you should see

# %%
rude_drop = 1 - after["rude"] / max(before["rude"], 1e-9)
report.record("reward_model", {"steps": RM_STEPS, "val_pair_accuracy": round(rm_acc, 3),
                               "truth_agreement": round(rm_truth["truth_pair_agreement"], 3),
                               "trl_val_pair_accuracy": round(trl_acc, 3)})
report.record("trl_loss_vs_ours", [round(trl_loss, 6), round(our_loss, 6)])
report.record("before", show(before), note="100 held-out requests, one sampled reply each")
report.record("after_ppo", show(after), note=f"β = {BETA}, {ITERS} iterations x {cfg.batch_size}")
report.record("after_beta0", show(after0))
report.record("after_lora", show(after_lora), note=f"{trainable:,} trainable")
report.record("memory_MiB", {"full": round(full_bytes / 2**20, 2), "lora": round(lora_bytes / 2**20, 2)})
report.record("after_grpo", show(after_grpo), note=f"trl GRPOTrainer, {GRPO_STEPS} steps x 64 replies")
report.record("after_dpo", show(after_dpo), note=f"trl DPOTrainer, {DPO_STEPS} steps x 16 pairs")
report.record("seconds", {"reward_model": round(t_rm.seconds), "trl": round(t_trl.seconds), "ppo": round(t_ppo.seconds),
                          "ppo_beta0": round(t_ppo0.seconds), "lora": round(t_lora.seconds),
                          "grpo": round(t_grpo.seconds), "dpo": round(t_dpo.seconds)})
report.expect(rm_acc >= 0.9, "the reward model orders ≥ 90% of held-out pairs as the annotators did",
              detail=f"{rm_acc:.3f}")
report.expect(rm_truth["truth_pair_agreement"] >= 0.9, "…and ≥ 90% of non-tied pairs as the hidden utility does",
              detail=f"{rm_truth['truth_pair_agreement']:.3f}")
report.expect(abs(trl_loss - our_loss) < 1e-5, "our pairwise loss equals trl RewardTrainer's on its own batch",
              detail=f"{trl_loss:.6f} vs {our_loss:.6f}")
report.expect(trl_acc >= 0.85, "trl's RewardTrainer, same steps, reaches a similar held-out accuracy",
              detail=f"trl {trl_acc:.3f}, ours {rm_acc:.3f}")
report.expect(rude_drop >= 0.5, "PPO cuts rude replies by ≥ 50% (hidden truth)",
              detail=f"{before['rude']:.2f} → {after['rude']:.2f}")
report.expect(after["score"] > before["score"], "…and the reward model's score rises",
              detail=f"{before['score']:.2f} → {after['score']:.2f}")
report.expect(after["kl"] < 5.0, "…with the KL to the reference bounded (< 5 nats per reply)",
              detail=f"{after['kl']:.2f} nats/reply")
report.expect(after["helpful"] >= before["helpful"] - 0.1, "…and helpfulness kept (within 0.1)",
              detail=f"{before['helpful']:.2f} → {after['helpful']:.2f}")
report.expect(after0["kl"] > 2 * after["kl"] and after0["score"] >= after["score"] - 0.2,
              "with β = 0 the reward is as high or higher while the policy drifts ≥ 2x further from the reference",
              detail=f"KL {after0['kl']:.1f} vs {after['kl']:.1f} nats; "
                     f"score {after0['score']:.2f} vs {after['score']:.2f}")
report.expect(after0["helpful"] < after["helpful"] - 0.1 or after0["ref_nll"] > 2 * after["ref_nll"],
              "…and the truth or fluency falls: fewer helpful replies, or ≥ 2x the reference's NLL per token",
              detail=f"helpful {after0['helpful']:.2f} vs {after['helpful']:.2f}; reference NLL/token "
                     f"{after0['ref_nll']:.2f} vs {after['ref_nll']:.2f}")
report.expect(after_lora["rude"] < before["rude"] and lora_bytes < 0.75 * full_bytes,
              "LoRA PPO also lowers rudeness, keeping ≤ 75% of full PPO's bytes",
              detail=f"rude {before['rude']:.2f} → {after_lora['rude']:.2f}; "
                     f"{lora_bytes / full_bytes:.0%} of the bytes")
report.expect(1 - after_grpo["rude"] / max(before["rude"], 1e-9) >= 0.5 and after_grpo["kl"] < 5.0,
              "trl's GRPO (no value head) also cuts rude replies by ≥ 50%, the KL bounded (< 5 nats)",
              detail=f"rude {before['rude']:.2f} → {after_grpo['rude']:.2f}; KL {after_grpo['kl']:.2f} nats")
report.expect(1 - after_dpo["rude"] / max(before["rude"], 1e-9) >= 0.5
              and after_dpo["helpful"] >= before["helpful"] - 0.1,
              "DPO on the annotators' pairs (no reward model, no rollouts) cuts rude replies by ≥ 50%, "
              "helpfulness kept",
              detail=f"rude {before['rude']:.2f} → {after_dpo['rude']:.2f}; "
                     f"helpful {before['helpful']:.2f} → {after_dpo['helpful']:.2f}; KL {after_dpo['kl']:.2f} nats")
report.summary()

# %% [markdown]
# ## 8. Try it for real
#
# - `PROFILE = "gpu"`: 4× the reward-model steps and PPO iterations on the same models (bf16 where it pays).
# - A real RLHF run swaps in a real policy (e.g. `google/flan-t5-base` or a small decoder) and a real reward model
#   (e.g. `facebook/roberta-hate-speech-dynabench-r4-target`, whose "not hate" logit the course used). `ppo.rollout`
#   and `PolicyWithValue` are written for causal LMs; for an encoder-decoder the log-probs come from the decoder.
# - trl's `RLOOTrainer` (REINFORCE leave-one-out: each reply's baseline is the mean reward of the *other* replies
#   in its group) takes the same arguments as `GRPOTrainer` in §6 (`trl_runs.train_grpo` shows the CPU-safe
#   settings); try it beside GRPO. The `gpu` profile runs §6 with 4× the steps as well.
