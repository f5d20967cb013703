"""PPO's pieces against hand-computed values and against transformers' own generation scores."""
from __future__ import annotations

import math

import torch
from transformers import GPT2Config, GPT2LMHeadModel

from llmlab.lab07 import ppo, rewards


def test_gae_hand_values():
    adv, ret = ppo.gae(torch.tensor([[0.0, 0.0, 1.0]]), torch.tensor([[0.5, 0.2, 0.1]]), torch.ones(1, 3), 1.0, 1.0)
    assert torch.allclose(adv, torch.tensor([[0.5, 0.8, 0.9]]))
    assert torch.allclose(ret, torch.ones(1, 3))
    # one-step TD (λ = 0), γ = 0.9: A_t = r_t + 0.9 V_{t+1} − V_t, V = 0 after the end (value 9 on padding ignored)
    adv, _ = ppo.gae(torch.tensor([[1.0, 2.0, 5.0]]), torch.tensor([[0.5, 0.5, 9.0]]), torch.tensor([[1.0, 1.0, 0.0]]),
                     0.9, 0.0)
    assert torch.allclose(adv, torch.tensor([[1.0 + 0.45 - 0.5, 2.0 - 0.5, 0.0]]))


def test_kl_rewards_and_whiten_hand_values():
    r = ppo.kl_penalised_rewards(torch.tensor([2.0]), torch.tensor([[-1.0, -2.0, -0.5]]),
                                 torch.tensor([[-1.5, -1.0, -0.5]]), torch.tensor([[1.0, 1.0, 0.0]]), 0.5)
    assert torch.allclose(r, torch.tensor([[-0.25, 2.5, 0.0]]))
    x, m = torch.tensor([[1.0, 2.0, 3.0, 100.0]]), torch.tensor([[1.0, 1.0, 1.0, 0.0]])
    w = ppo.whiten(x, m)
    assert torch.allclose(w, torch.tensor([[-1.0, 0.0, 1.0, 0.0]]), atol=1e-6)    # std of 1,2,3 (unbiased) = 1


def test_clipped_losses_hand_values():
    loss = ppo.clipped_policy_loss(torch.tensor([[math.log(2.0), math.log(0.5)]]), torch.zeros(1, 2),
                                   torch.tensor([[1.0, -1.0]]), torch.ones(1, 2), 0.2)
    assert abs(loss.item() - (-1.2 + 0.8) / 2) < 1e-6
    frac = ppo.clip_fraction(torch.tensor([[math.log(2.0), 0.0]]), torch.zeros(1, 2), torch.ones(1, 2),
                             torch.ones(1, 2))
    assert frac.item() == 0.5
    # value: V = 2, V_old = 0, G = 3, ε = 0.2: clipped V = 0.2, max((2−3)², (0.2−3)²)/2 = 3.92
    vl = ppo.clipped_value_loss(torch.tensor([[2.0]]), torch.zeros(1, 1), torch.tensor([[3.0]]), torch.ones(1, 1), 0.2)
    assert abs(vl.item() - 0.5 * 2.8 ** 2) < 1e-6


def test_adaptive_kl():
    ctl = ppo.AdaptiveKL(0.1, target=2.0, horizon=100)
    assert abs(ctl.update(4.0, 10) - 0.1 * (1 + 0.2 * 10 / 100)) < 1e-9     # overshoot: error clipped at +0.2
    ctl = ppo.AdaptiveKL(0.1, target=2.0, horizon=100)
    assert ctl.update(1.0, 10) < 0.1


def test_ranking_to_pairs():
    assert rewards.ranking_to_pairs(["a", "b", "c"], [1, 0, 2]) == [("b", "a"), ("b", "c"), ("a", "c")]
    assert len(rewards.ranking_to_pairs(list("abcd"), [3, 2, 1, 0])) == 6


def _tiny():
    torch.manual_seed(0)
    cfg = GPT2Config(vocab_size=50, n_embd=32, n_layer=2, n_head=2, n_positions=64, bos_token_id=0, eos_token_id=0,
                     pad_token_id=0, resid_pdrop=0, embd_pdrop=0, attn_pdrop=0)
    return GPT2LMHeadModel(cfg).eval()


def test_logprobs_match_generate_scores():
    """Our per-token log-probs of a left-padded batch equal the log-softmax of generate()'s own scores."""
    lm = _tiny()
    ids = torch.tensor([[0, 0, 5, 6, 7], [3, 4, 5, 6, 7]])
    att = torch.tensor([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
    torch.manual_seed(1)
    out = lm.generate(input_ids=ids, attention_mask=att, max_new_tokens=6, do_sample=True, top_k=0,
                      output_scores=True, return_dict_in_generate=True, pad_token_id=0, eos_token_id=None)
    seq = out.sequences
    full_att = torch.cat([att, torch.ones(2, 6, dtype=att.dtype)], 1)
    ours = ppo.token_logprobs(lm, seq, full_att, 5)
    theirs = torch.stack([torch.log_softmax(s, -1).gather(1, seq[:, 5 + i, None]).squeeze(1)
                          for i, s in enumerate(out.scores)], 1)
    assert torch.allclose(ours, theirs, atol=1e-4)
    pol = ppo.PolicyWithValue(lm)
    logp, values, logits = pol(seq, full_att, 5)
    assert torch.allclose(logp, ours, atol=1e-5) and values.shape == (2, 6) and torch.all(values == 0)
    ent = ppo.entropy(logits)
    assert ent.shape == (2, 6) and torch.all(ent > 0) and torch.all(ent <= math.log(50) + 1e-4)


def test_tensor_bytes_counts_shared_storage_once():
    lm = _tiny()
    n = ppo.tensor_bytes(lm)
    assert n == ppo.tensor_bytes(lm, lm)           # the same module twice: counted once
    assert n < sum(p.numel() * 4 for p in lm.parameters()) + 4 * 64 * 64 * 2   # tied wte/lm_head once


def test_gpu_profile_scales_the_budgets():
    """The gpu profile (rehearsed on the CPU: no CUDA needed to read its budgets) runs 4x the steps."""
    from llmlab.config import PROFILES
    assert PROFILES["gpu"].steps(12) == 48 and PROFILES["gpu"].steps(100) == 400 and PROFILES["cpu"].steps(12) == 12
    assert PROFILES["gpu"].models["chat"] == "gpt-chat"
