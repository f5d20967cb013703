"""Lab 08's DPO pieces against trl: our loss on our sequence log-probabilities equals
``trl.DPOTrainer``'s loss on the same batch, and the preference helpers behave as documented."""
from __future__ import annotations

import logging

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from llmlab import zoo
from llmlab.lab08 import dpo, preferences


def _tiny(tok, seed):
    torch.manual_seed(seed)
    cfg = GPT2Config(vocab_size=len(tok), n_embd=32, n_layer=1, n_head=2, n_positions=128,
                     bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    return GPT2LMHeadModel(cfg).eval()


PAIRS = [{"prompt": "Request: How much is the kettle?\nReply:", "chosen": " It costs 12 coins.",
          "rejected": " Go away."},
         {"prompt": "Request: Who makes the chair?\nReply:", "chosen": " Ada Moss makes it, gladly.",
          "rejected": " Work it out yourself, fool."}]


def test_dpo_loss_equals_trl_dpotrainer_on_a_batch(tmp_path):
    import datasets
    from trl import DPOConfig, DPOTrainer
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
    tok = zoo.load_tokenizer()
    policy, ref = _tiny(tok, 0), _tiny(tok, 1)
    cfg = DPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=2, beta=0.3, bf16=False, use_cpu=True,
                    gradient_checkpointing=False, report_to=[], max_length=128, disable_tqdm=True)
    trainer = DPOTrainer(model=policy, ref_model=ref, args=cfg, train_dataset=datasets.Dataset.from_list(PAIRS),
                         processing_class=tok)
    batch = next(iter(trainer.get_train_dataloader()))
    with torch.no_grad():
        trl_loss = float(trainer.compute_loss(trainer.model, batch))
        prompts = [p["prompt"] for p in PAIRS]
        ours = dpo.dpo_loss(dpo.sequence_logps(policy, tok, prompts, [p["chosen"] for p in PAIRS]),
                            dpo.sequence_logps(policy, tok, prompts, [p["rejected"] for p in PAIRS]),
                            dpo.sequence_logps(ref, tok, prompts, [p["chosen"] for p in PAIRS]),
                            dpo.sequence_logps(ref, tok, prompts, [p["rejected"] for p in PAIRS]), beta=0.3)
    assert abs(trl_loss - 0.6931) > 1e-3                       # policy != reference: not the trivial log 2
    assert float(ours) == pytest.approx(trl_loss, abs=1e-5)


def test_ai_preference_pairs_debias_the_position():
    rows = [{"prompt": "q", "first": "x", "second": "y", "p_a": 0.9, "p_a_swapped": 0.9},   # always says A: no info
            {"prompt": "r", "first": "x", "second": "y", "p_a": 0.8, "p_a_swapped": 0.3}]
    pairs = preferences.ai_preference_pairs(rows, margin=0.1)
    assert [(p["prompt"], p["chosen"]) for p in pairs] == [("r", "x")]
    assert pairs[0]["p_first"] == pytest.approx(0.75)


def test_simulated_human_pairs_flip_about_noise_share():
    rows = [{"prompt": str(i), "first": "good", "second": "bad"} for i in range(2000)]
    pairs = preferences.simulated_human_pairs(rows, lambda r, t: t == "good", noise=0.2, seed=0)
    flipped = sum(p["chosen"] == "bad" for p in pairs) / len(pairs)
    assert 0.17 < flipped < 0.23
    assert pairs == preferences.simulated_human_pairs(rows, lambda r, t: t == "good", noise=0.2, seed=0)
