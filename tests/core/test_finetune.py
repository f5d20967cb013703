"""llmlab.finetune against the libraries: our training loop against transformers' Trainer, peft's wrapping."""
import pytest
import torch

from llmlab import finetune, instruction_data, zoo


@pytest.fixture(scope="module")
def t5():
    model, tok = zoo.load("t5-base")
    return model, tok, instruction_data.mixture(tok, {"summarize": 200})


def test_our_loop_equals_transformers_trainer_given_the_same_optimizer_and_schedule(t5):
    model, tok, pairs = t5
    ours = finetune.tune(model, pairs, "full", 12, pad_id=tok.pad_token_id)
    hf = finetune.tune_with_hf_trainer(model, pairs, 12, pad_id=tok.pad_token_id, our_schedule=True)
    assert len(hf.loss) == 12 and hf.loss_steps == list(range(12))
    assert [hf.loss[s] for s in ours.loss_steps] == ours.loss
    a, b = ours.model.state_dict(), hf.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a), "the two loops must compute the same steps"


def test_the_trainers_own_schedule_differs_only_from_the_second_step(t5):
    model, tok, pairs = t5
    ours = finetune.tune(model, pairs, "full", 12, pad_id=tok.pad_token_id)
    hf = finetune.tune_with_hf_trainer(model, pairs, 12, pad_id=tok.pad_token_id)
    assert hf.loss[0] == ours.loss[0], "the same first batch on the same weights"
    a, b = ours.model.state_dict(), hf.model.state_dict()
    assert not all(torch.equal(a[k], b[k]) for k in a), "warm-up from 0 (the library's) is a different run"


def test_wrap_counts_lora_and_prompt_parameters(t5):
    model, *_ = t5
    total = finetune.count(model)[1]
    lora = finetune.wrap(__import__("copy").deepcopy(model), "lora", lora_r=4, targets=("q", "v"))
    trainable, _ = finetune.count(lora)
    assert trainable == 9 * 2 * 4 * (96 + 96), "r * (in + out) per q and v in 9 attention blocks"
    assert trainable / total < 0.02
    with pytest.raises(ValueError, match="use 'full', 'lora' or 'prompt'"):
        finetune.wrap(model, "adapters")
