# %% [markdown]
# # Lab 08 — Constitutional AI and RLAIF: critique, revise, judge
#
# **Topics:** a constitution (a handful of written principles) · red-teaming: requests that draw rude replies ·
# the supervised phase of constitutional AI: the model critiques its own reply against a principle and revises it,
# round after round, then is fine-tuned on its revisions · RLAIF: the model judges pairs of its own replies against
# the principles, and those AI preference labels train it with DPO · how AI labels compare with (simulated) human
# labels, measured against a hidden truth.
#
# **After this lab you can**
# - run a critique → revision loop with a language model and fine-tune on the revisions (Bai et al. 2022,
#   *Constitutional AI*, the "SL-CAI" phase), and measure what it changed;
# - use a model as a judge of two replies, remove its position bias by judging both orders, and turn its verdicts
#   into preference pairs;
# - write the DPO loss (Rafailov et al. 2023) and check it against trl's `DPOTrainer`;
# - say where AI feedback agrees with the truth and where it does not, and compare DPO on AI labels with DPO on
#   noisy human labels at the same number of labels.
#
# **Time.** Top to bottom about 1 minute on 2 idle CPU cores (`PROFILE = "cpu"`, measured 56 s with the zoo built;
# building `gpt-chat` and `gpt-cai` first adds 2–4 minutes); working through it 60–90 minutes.
#
# **Truth.** Every reply here is a reply to a TinyWorld shop request, and TinyWorld knows the truth about it:
# `replies.is_rude(text)` (does it insult, mock, refuse rudely) and `replies.is_helpful(request, text)` (does it
# give the right fact). The models never see that function; the lab uses it only to *measure* — harmlessness = the
# share of replies that are not rude, helpfulness = the share that answer right.

# %% tags=["parameters"]
PROFILE = "cpu"  # "cpu" (2 cores, minutes), "gpu" (CUDA: 4x the training steps, 4x the evaluation sets)

# %%
import copy

import matplotlib.pyplot as plt
import pandas as pd

import llmlab
from llmlab import inference, report, tinyworld, zoo
from llmlab.lab08 import checks, critique, dpo, judge, measure, preferences
from llmlab.tinyworld import constitution

profile = llmlab.setup(PROFILE)
DEVICE = profile.device
pd.set_option("display.precision", 3)
pd.set_option("display.max_colwidth", 90)
CAI = profile.models.get("cai", "gpt-cai")
policy, tok = zoo.load(CAI, device=DEVICE)
meta = zoo.metadata(CAI)
print(f"{CAI}: {sum(p.numel() for p in policy.parameters()):,} parameters, trained from "
      f"{meta['recipe']['parent']} for {meta['steps']} steps; held-out skills: "
      + ", ".join(f"{k} {v:.2f}" for k, v in meta["metrics"].items()))

# %% [markdown]
# ## 1. A constitution, and a model that was taught to use it
#
# Constitutional AI replaces most human labels with a short list of principles — the *constitution* — and lets
# the model itself apply them: it critiques a reply against a principle, rewrites it, and later judges which of
# two replies follows the principles better. Anthropic's constitution had 16 principles for critiques and revisions;
# ours has five, written for TinyWorld's shop requests:

# %%
for i, principle in enumerate(constitution.CONSTITUTION, 1):
    print(f"{i}. {principle}")

# %% [markdown]
# **How the model learnt to critique, revise and judge.** A 52B-parameter model can do it from a few examples in
# its prompt; a 0.7M-parameter one cannot (Lab 01: in-context learning does not come for free at this scale). So
# the zoo's `gpt-cai` is the chat model `gpt-chat` — which answers rudely in a good share of cases — fine-tuned
# further on *traces* of the three skills in the formats below: on training requests only, with replies of every
# kind, each critique, revision and verdict written from TinyWorld's truth (the `constitution` family). That is a
# stand-in for the human-written demonstrations a real critic is trained from; everything the lab does afterwards
# uses held-out requests and the model's *own* replies, which it never saw in training — and there its critiques
# and verdicts are only as good as what it learnt, which §2 and §3 measure. The formats:

# %%
example = tinyworld.rows("constitution", "train")[:3]
for row in example:
    print(f"--- {row['kind']} trace ---\n{row['prompt']}{row['completion']}\n")

# %% [markdown]
# ## 2. Red-teaming, then the supervised phase: critique → revision → fine-tune
#
# **Red-teaming** means looking for inputs that make a model misbehave. Our red team asks the policy many shop
# requests and keeps those it answered rudely (TinyWorld's `is_rude` plays the red-teamer who flags a reply). The
# share of rude replies on all candidates is the policy's base rate; on the red-team prompts it is 100% by
# construction, so the lab measures what fine-tuning changes on **held-out** red-team requests — found the same
# way, never used for training.

# %%
with report.timer() as t_redteam:
    candidates = tinyworld.rows("constitution", "redteam")
    found = measure.replies(policy, tok, candidates, seed=0)
    red_team = [row for row, text in zip(candidates, found) if measure.is_rude(text)]
    originals = [text for text in found if measure.is_rude(text)]                 # the rude replies it drew
    held_out = tinyworld.rows("constitution", "test")[:profile.eval_size * 2]       # never trained on
    before = measure.replies(policy, tok, held_out, seed=1)
base_rates = measure.rates(held_out, before)
print(f"red team: {len(red_team)} of {len(candidates)} candidate requests drew a rude reply "
      f"({len(red_team) / len(candidates):.0%}); on {len(held_out)} held-out requests the policy is rude in "
      f"{base_rates['rude']:.0%} of its replies and helpful in {base_rates['helpful']:.0%} ({t_redteam.seconds:.0f} s)")
pd.DataFrame({"request (its question)": [r["request"].split(". ")[-1] for r in red_team[:5]],
              "policy's reply": originals[:5]})

# %% [markdown]
# In TinyWorld a rude reply is not provoked by the request — the policy learnt to be rude at random, a share of
# the time — so the red team's finds are *(request, rude reply)* pairs rather than special prompts. What matters
# for the lesson is that they are the model's own replies, and that harmlessness is then measured on requests the
# red team never saw.

# %% [markdown]
# ### Exercise 1: the critique → revision loop
# Write `critique_revise(generate, requests, replies, principles)`: one **round** per principle, in order. In a
# round, critique every current reply against the principle (prompt: `constitution.critique_prompt(request,
# reply, principle)`), then revise it given that critique (`constitution.revision_prompt(request, reply,
# principle, critique)`); the revisions become the next round's replies. `generate(prompts)` returns one
# completion per prompt. Return one dict per round: `{"principle": ..., "critique": [...], "revision": [...]}`.

# %%
def critique_revise(generate, requests, replies, principles):
    # Exercise 1: the critique -> revision loop
    ### BEGIN SOLUTION
    current, rounds = list(replies), []
    for principle in principles:
        critiques = generate([constitution.critique_prompt(q, r, principle) for q, r in zip(requests, current)])
        revisions = generate([constitution.revision_prompt(q, r, principle, c)
                              for q, r, c in zip(requests, current, critiques)])
        rounds.append({"principle": principle, "critique": critiques, "revision": revisions})
        current = revisions
    return rounds
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_critique_revise(critique_revise, name="Exercise 1: critique -> revision")

# %%
# Stuck? The reference stands in below (one line says so); the check above still fails until yours passes.
critique_revise = checks.yours_or_reference("Exercise 1: critique -> revision", critique_revise,
                                            critique.critique_revise, checks.check_critique_revise)

# %% [markdown]
# Two rounds on every red-team request: first against a harm principle, then against a helpfulness principle (a
# revision that turned polite by dropping the answer should be caught by the second). The prompts and the model's
# real outputs, for three requests:

# %%
ROUNDS = (constitution.CONSTITUTION[0], constitution.CONSTITUTION[2])


def generate(prompts):
    return inference.complete(policy, tok, prompts, max_new_tokens=40)


with report.timer() as t_revise:
    rounds = critique_revise(generate, [r["request"] for r in red_team], originals, ROUNDS)
for i in range(3):
    q = red_team[i]["request"]
    print(f"=== request {i + 1} ===\n{constitution.critique_prompt(q, originals[i], ROUNDS[0])} "
          f"{rounds[0]['critique'][i]}\nRevision: {rounds[0]['revision'][i]}")
    print(f"--- round 2 ({ROUNDS[1]!r}) ---\nCritique: {rounds[1]['critique'][i]}\n"
          f"Revision: {rounds[1]['revision'][i]}\n")

# %% [markdown]
# How the replies changed, round by round (truth-measured on the red-team requests), and how often the model's
# critique was right (it says "breaks the rule" exactly when the truth says the reply breaks it):

# %%
stages = {"policy's reply": originals, "after round 1": rounds[0]["revision"], "after round 2": rounds[1]["revision"]}
revision_table = pd.DataFrame({name: measure.rates(red_team, texts) for name, texts in stages.items()}).T
critic = [measure.critique_accuracy(red_team, texts, rnd["principle"], rnd["critique"])
          for texts, rnd in zip((originals, rounds[0]["revision"]), rounds)]
print(f"critique right: round 1 {critic[0]:.0%}, round 2 {critic[1]:.0%} ({t_revise.seconds:.0f} s for "
      f"{len(red_team) * 4} generations)")
revision_table

# %% [markdown]
# **Fine-tune on the revisions.** The supervised phase ends by training the policy to give, for each red-team
# request, its own final revision as the reply — with the policy's ordinary prompt, no critique in sight — so that
# it answers that way the first time. Then harmlessness and helpfulness on the held-out requests, before and after.

# %%
SFT_STEPS = profile.steps(120)
sl_model = copy.deepcopy(policy)                    # a copy to fine-tune; `policy` stays as it was
with report.timer() as t_sft:
    sft_log = critique.sft_on_revisions(sl_model, tok, measure.policy_prompts(red_team), rounds[-1]["revision"],
                                        SFT_STEPS, seed=0)
    after_sl = measure.replies(sl_model, tok, held_out, seed=1)
sl_rates = measure.rates(held_out, after_sl)
pd.DataFrame({"policy": base_rates, "after SL-CAI": sl_rates}).T

# %% [markdown]
# ## 3. RLAIF: the model judges its own replies
#
# The second phase of constitutional AI replaces human preference labels with the model's: for each request,
# sample two replies, ask the model which follows the principles better, and train on those verdicts. Bai et al.
# trained a reward model on them and ran PPO (Lab 07's method); here DPO uses the pairs directly.
#
# **Which model is judged.** Bai et al. sample the pairs from the SL-CAI model. At this scale SL-CAI is already
# polite almost always, so its pairs hardly differ: while preparing the lab, 247 of 300 pairs sampled from it were
# ties under the truth, and the judge was sure about 2 of them — nothing to learn from. So this phase starts again
# from the original policy, `gpt-cai` (rude in a good share of replies), as a second, independent route to
# harmlessness, and compares it with the same route on human labels. The judge is `gpt-cai` too: the model judges
# its own replies.
#
# The judge answers " A" or " B"; its verdict is the probability it gives " A" over " B". A model judge prefers a
# position whatever the content (position bias), so each pair is judged twice, the replies swapped:
# p(first better) = (P(A | first shown as A) + 1 − P(A | first shown as B)) / 2.
#
# ### Exercise 2: AI preference pairs
# Write `ai_preference_pairs(judged, margin)`: each row of `judged` holds `prompt`, `first`, `second`, `p_a` (the
# judge's P(A) with `first` shown as A) and `p_a_swapped` (its P(A) with `second` shown as A). Return, in the input
# order, a dict `{"prompt", "chosen", "rejected"}` for each row whose debiased probability is at least `margin`
# away from 0.5 — `chosen` is the reply the judge prefers.

# %%
def ai_preference_pairs(judged, margin=0.1):
    # Exercise 2: AI preference pairs
    ### BEGIN SOLUTION
    pairs = []
    for row in judged:
        p_first = (row["p_a"] + 1 - row["p_a_swapped"]) / 2
        if abs(p_first - 0.5) >= margin:
            win, lose = (row["first"], row["second"]) if p_first > 0.5 else (row["second"], row["first"])
            pairs.append({"prompt": row["prompt"], "chosen": win, "rejected": lose})
    return pairs
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_preference_pairs(ai_preference_pairs, name="Exercise 2: AI preference pairs")

# %%
ai_preference_pairs = checks.yours_or_reference("Exercise 2: AI preference pairs", ai_preference_pairs,
                                                preferences.ai_preference_pairs, checks.check_preference_pairs)

# %% [markdown]
# Two sampled replies (temperature 1) per request, on requests used nowhere else; the model judges each pair in
# both orders against the constitution's judging rule, printed below:

# %%
JUDGE_RULE = constitution.JUDGE_PRINCIPLE
print(f"judging rule: {JUDGE_RULE!r}")
with report.timer() as t_judge:
    rl_rows = measure.sample_pairs(policy, tok, tinyworld.rows("constitution", "rlaif"), seed=2)
    judged = judge.judge_both_orders(policy, tok, rl_rows, JUDGE_RULE)
ai_pairs = ai_preference_pairs(judged, margin=0.1)
agree = measure.pair_accuracy(rl_rows, ai_pairs)
agree_all = measure.pair_accuracy(rl_rows, ai_preference_pairs(judged, margin=0.0))
bias = sum(r["p_a"] for r in judged) / len(judged), sum(r["p_a_swapped"] for r in judged) / len(judged)
ties = sum(measure.truth_tie(r) for r in rl_rows)
print(f"{len(rl_rows)} pairs sampled, {ties} of them ties under the truth. Mean P(A): {bias[0]:.2f} with the first "
      f"reply shown as A, {bias[1]:.2f} with it shown as B. The judge is sure (margin 0.1) about {len(ai_pairs)}; "
      f"those agree with the truth in {agree:.0%} of the non-tied; all {len(rl_rows)} verdicts (margin 0) in "
      f"{agree_all:.0%} ({t_judge.seconds:.0f} s)")

# %% [markdown]
# **Where the AI labels disagree with the truth** — a few pairs where the judge's chosen reply is worse under the
# truth (its debiased probability shown):

# %%
measure.disagreements(rl_rows, ai_pairs, judged, n=6)

# %% [markdown]
# ### Exercise 3: the DPO loss
# DPO trains the policy π directly on pairs, against a frozen reference π_ref (the model before DPO):
#
#   loss = −mean over pairs of log σ( β · [ (log π(y_w|x) − log π_ref(y_w|x)) − (log π(y_l|x) − log π_ref(y_l|x)) ] )
#
# where y_w is the chosen reply and y_l the rejected one, each log-probability summed over the reply's tokens.
# The inputs are (B,) tensors of those sums; return a scalar tensor.

# %%
import torch.nn.functional as F


def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    # Exercise 3: the DPO loss
    ### BEGIN SOLUTION
    margin = (policy_chosen_logps - ref_chosen_logps) - (policy_rejected_logps - ref_rejected_logps)   # (B,)
    return -F.logsigmoid(beta * margin).mean()
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
checks.check_dpo_loss(dpo_loss, name="Exercise 3: the DPO loss")

# %%
dpo_loss = checks.yours_or_reference("Exercise 3: the DPO loss", dpo_loss, dpo.dpo_loss, checks.check_dpo_loss)

# %% [markdown]
# **DPO on AI labels vs DPO on human labels.** Two runs of trl's `DPOTrainer` from `gpt-cai`, the same steps, β
# and seed: one on the AI preference pairs, one on as many pairs labelled by simulated annotators — the truth
# (`replies.utility`: right fact +1, each rude part −1.2), with `NOISE` of the labels flipped (human raters disagree
# with each other on a good share of pairs: 27–37% in the InstructGPT and Anthropic HH data). Lab 07 trains on such
# labels with a reward model and PPO; here the optimiser is the same for both (DPO), so the labels are the only
# difference. First, your loss on a batch of the AI pairs equals trl's:

# %%
DPO_STEPS, BETA, DPO_LR, NOISE = profile.steps(40), 0.3, 2e-4, 0.2
human_pairs = preferences.simulated_human_pairs(rl_rows, measure.truth_score, noise=NOISE, seed=0)[:len(ai_pairs)]
mine, theirs = measure.loss_against_trl(policy, tok, ai_pairs[:8], dpo_loss, beta=BETA)
print(f"DPO loss on 8 AI pairs (policy = reference with nudged weights): yours {mine:.5f}, trl's {theirs:.5f}")

# %%
runs = {}
with report.timer() as t_dpo:
    for name, pairs in (("AI labels", ai_pairs), ("human labels", human_pairs)):
        trained = dpo.train_dpo(copy.deepcopy(policy), tok, pairs, steps=DPO_STEPS, beta=BETA, lr=DPO_LR, seed=0,
                                out_dir="/tmp/lab08-dpo")
        runs[name] = {"log": trained.state.log_history, "pairs": len(pairs),
                      "label accuracy": measure.pair_accuracy(rl_rows, pairs),
                      "replies": measure.replies(trained.model, tok, held_out, seed=1)}
rates = {"policy (gpt-cai)": base_rates, "SL-CAI (§2)": sl_rates,
         **{f"gpt-cai + DPO ({n})": measure.rates(held_out, r["replies"]) for n, r in runs.items()}}
results = pd.DataFrame(rates).T
results["labels"] = ["–", "–"] + [f"{r['pairs']} pairs, {r['label accuracy']:.0%} right" for r in runs.values()]
print(f"held-out requests: {len(held_out)}; DPO: {DPO_STEPS} steps of 16 pairs, β = {BETA} ({t_dpo.seconds:.0f} s)")
results

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
for name, r in runs.items():
    log = [h for h in r["log"] if "loss" in h]
    axes[0].plot([h["step"] for h in log], [h["loss"] for h in log], label=name)
    axes[1].plot([h["step"] for h in log], [h["rewards/margins"] for h in log], label=name)
axes[0].set_title("DPO loss", fontsize=9)
axes[1].set_title("implicit reward margin β·(log-ratio chosen − rejected)", fontsize=9)
for ax in axes:
    ax.set_xlabel("step"); ax.legend(fontsize=7)
plt.show()

# %% [markdown]
# **What the two label sets teach.** The kinds of pairs in each set (chosen over rejected, by the truth):

# %%
kinds = pd.DataFrame({"AI labels": measure.pair_kinds(rl_rows, ai_pairs),
                      "human labels": measure.pair_kinds(rl_rows, human_pairs)}).fillna(0).astype(int)
kinds.sort_values("human labels", ascending=False)

# %% [markdown]
# Read the table against the results above. The judge is sure, and right, about rudeness — the rude word is plain to
# see. Whether a polite reply states the *right* fact is harder: it must find the asked-for fact on the shop's card
# and compare, and a 0.7M-parameter judge trained on 1,500 verdicts is rarely sure of that, so pairs of two polite
# replies that differ only in helpfulness are (nearly) missing from its confident labels, while the noisy human labels
# keep them. DPO on the AI labels learns "be polite"; nothing in its data asks for the right fact, and pairs such as
# "polite, no fact over rude, right fact" (right by the truth too: a non-answer beats an insult) push it towards
# non-answers. In this run that is what happened: at the same 157 labels, DPO on the AI labels cut rudeness from 38% to
# 2% but lost helpfulness (66% → 52%), while DPO on the noisier human labels (83% right against the AI's 98%) cut
# rudeness to 6% and kept helpfulness (70%). So the RLAIF route here does **not** reach "harmless and as helpful":
# more accurate labels are not better labels when they cover only one side of the task. **AI feedback is only as
# good as the judge, and where the judge is blind, the policy is not trained** — the supervised phase (§2), whose
# revisions fixed both rudeness and the fact, did better on both counts. Bai et al. saw
# the same trade in the other direction (their RL-CAI model could become "preachy"), and RLAIF at scale relies on a
# judge far stronger than the policy.

# %% [markdown]
# ## 4. Try it for real
#
# - `PROFILE = "gpu"`: 4× the SFT and DPO steps and 4× the held-out requests.
# - A better judge at this scale: train it on verdicts against each principle separately (a helpfulness-only rule
#   would cover its blind spot), or on more verdicts; then compare its confident pairs by kind again.
# - At scale the critic is not trained for the job: Bai et al. few-shot prompted a 52B helpful-only RLHF model with
#   its constitution, and Lee et al. 2023 (*RLAIF vs RLHF*) found AI labels from PaLM 2 as good as human ones for
#   summarisation. A Hub model (e.g. an instruction-tuned 1–7B chat model) with `constitution.critique_prompt`
#   written as a chat message is the experiment to try; trl's `DPOTrainer` runs unchanged on it.
# - Beyond this lab: a reward model trained on the AI labels + PPO (Lab 07) is the original RLAIF; self-rewarding
#   models (Yuan et al. 2024) iterate judge → DPO → judge with the same model.
#
# ## What you should see
#
# The lab records its key numbers and checks that each lesson held; `report.summary()` shows them as one table.

# %%
ai, hu = (measure.rates(held_out, runs[n]["replies"]) for n in ("AI labels", "human labels"))
polite_pairs = "polite + right fact  over  polite + no fact"
report.record("red_team", {"candidates": len(candidates), "rude_drawn": len(red_team)})
report.record("policy", base_rates, note=f"{len(held_out)} held-out requests, sampled replies")
report.record("revision_rounds", {k: {c: round(v, 3) for c, v in row.items()} for k, row in revision_table.iterrows()})
report.record("critique_accuracy", [round(c, 3) for c in critic], note="round 1 (harm), round 2 (helpfulness)")
report.record("after_sl_cai", sl_rates)
report.record("ai_labels", {"sampled": len(rl_rows), "ties": ties, "kept": len(ai_pairs), "agreement": round(agree, 3),
                            "agreement_margin0": round(agree_all, 3), "mean_p_a": [round(b, 3) for b in bias]})
report.record("dpo", {n: {**measure.rates(held_out, r["replies"]), "pairs": r["pairs"],
                          "label_accuracy": round(r["label accuracy"], 3)} for n, r in runs.items()},
              note=f"{DPO_STEPS} steps, beta {BETA}, noise {NOISE}")
report.record("seconds", {"red team": round(t_redteam.seconds), "revisions": round(t_revise.seconds),
                          "sft": round(t_sft.seconds), "judge": round(t_judge.seconds), "dpo": round(t_dpo.seconds)})

# %%
rev = revision_table["rude"]
n_polite = kinds.loc[polite_pairs].tolist() if polite_pairs in kinds.index else [0, 0]
report.expect(rev.iloc[-1] <= 0.5 * rev.iloc[0], "critique → revision removes at least half the rude replies",
              detail=f"rude {rev.iloc[0]:.0%} → {rev.iloc[-1]:.0%} on the red-team requests")
report.expect(critic[0] >= 0.9, "the model's harm critiques of its own replies are right ≥ 90% of the time",
              detail=f"{critic[0]:.0%}")
report.expect(sl_rates["rude"] <= 0.5 * base_rates["rude"] and sl_rates["helpful"] >= base_rates["helpful"] - 0.05,
              "fine-tuning on the revisions halves held-out rudeness and keeps helpfulness (within 5 points)",
              detail=f"rude {base_rates['rude']:.0%} → {sl_rates['rude']:.0%}, helpful "
                     f"{base_rates['helpful']:.0%} → {sl_rates['helpful']:.0%}")
report.expect(agree >= 0.85 and runs["AI labels"]["label accuracy"] > runs["human labels"]["label accuracy"],
              "the judge's confident labels agree with the truth (≥ 85%), more often than the noisy human labels",
              detail=f"AI {agree:.0%} vs human {runs['human labels']['label accuracy']:.0%} at {len(ai_pairs)} pairs")
report.expect(ai["rude"] <= 0.5 * base_rates["rude"] and hu["rude"] <= 0.5 * base_rates["rude"],
              "DPO on either label set at least halves held-out rudeness",
              detail=f"rude {base_rates['rude']:.0%} → AI {ai['rude']:.0%}, human {hu['rude']:.0%}")
report.expect(hu["helpful"] >= base_rates["helpful"] - 0.05, "DPO on human labels keeps helpfulness (within 5 points)",
              detail=f"helpful {base_rates['helpful']:.0%} → {hu['helpful']:.0%}")
report.expect(n_polite[0] < 0.5 * n_polite[1],
              "the judge's blind spot: it is rarely sure which of two polite replies has the right fact",
              detail=f"'{polite_pairs}' pairs: AI {n_polite[0]}, human {n_polite[1]}")
report.expect(abs(mine - theirs) < 1e-4, "your DPO loss equals trl's on the same batch",
              detail=f"{mine:.5f} vs {theirs:.5f}")
report.summary()
