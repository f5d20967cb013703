"""Same seed, same PPO curves; another seed, other curves. And trl's GRPO as the lab runs it."""
from __future__ import annotations

import copy

import torch

from llmlab import tinyworld, trl_runs, zoo
from llmlab.lab07 import ppo

ROWS = tinyworld.rows("replies", "train")[:64]


def _politeness(rows, texts):   # a cheap deterministic reward: a courteous opening, minus length
    return torch.tensor([float(t.startswith(("Certainly", "Thank you", "Of course"))) - 0.01 * len(t) for t in texts])


def _run(lm, tok, seed: int) -> list[dict]:
    cfg = ppo.PPOConfig(iterations=2, batch_size=16, minibatch_size=8, epochs=1, lr=5e-5, beta=0.5, seed=seed)
    policy = ppo.PolicyWithValue(copy.deepcopy(lm))
    ref = copy.deepcopy(lm).eval()
    return ppo.ppo_train(policy, ref, tok, ROWS, _politeness, cfg).rows


def test_ppo_is_deterministic_given_its_seed():
    lm, tok = zoo.load("gpt-chat")
    first, again, other = _run(lm, tok, 0), _run(lm, tok, 0), _run(lm, tok, 1)
    assert first == again, "same seed, different curves: some randomness is not seeded"
    assert first != other, "another seed gave the same curves: the seed is not used"


def test_train_grpo_scores_first_lines_and_moves_the_policy():
    lm, tok = zoo.load("gpt-chat")
    seen: list[tuple[list[str], list[str]]] = []

    def reward(prompts, replies):
        seen.append((prompts, replies))
        return [float(len(r)) for r in replies]

    start = {k: v.clone() for k, v in lm.state_dict().items()}
    prompts = [r["prompt"] for r in ROWS]
    trainer = trl_runs.train_grpo(lm, tok, prompts, reward, steps=1, generations=4, batch_size=16,
                                  max_new_tokens=16, out_dir="/tmp/llmlab-test-grpo")
    assert seen and all(len(p) == len(r) == 16 for p, r in seen)
    assert all(p in prompts for ps, _ in seen for p in ps)
    assert all("\n" not in r for _, rs in seen for r in rs)
    assert len(trainer.state.log_history) >= 1 and "reward" in trainer.state.log_history[0]
    moved = any(not torch.equal(start[k], v) for k, v in trainer.model.state_dict().items())
    assert moved, "one GRPO step left every weight unchanged"
