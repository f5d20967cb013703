"""Lab 09 distillation: the loss against torch's kl_div, and twins that differ only in the loss."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from llmlab.lab09 import checks, distill
from llmlab.train import IGNORE
from lab09_models import tiny_gpt


def test_loss_equals_kl_div_times_t_squared_plus_ce():
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(2, 5, 7, generator=g), torch.randn(2, 5, 7, generator=g)
    y = torch.randint(0, 7, (2, 5), generator=g)
    y[:, :2] = IGNORE
    keep = y != IGNORE
    kl = F.kl_div(F.log_softmax(s[keep] / 3, -1), F.log_softmax(t[keep] / 3, -1), log_target=True,
                  reduction="batchmean")
    ce = F.cross_entropy(s.flatten(0, 1), y.flatten())
    assert torch.allclose(distill.distillation_loss(s, t, y, 3.0, 0.25), 0.25 * 9 * kl + 0.75 * ce)
    assert torch.allclose(distill.distillation_loss(t, t, y, 3.0, 1.0), torch.tensor(0.0), atol=1e-6)


def test_wrapper_at_alpha_zero_is_the_models_own_loss(gpt, ids):
    labels = ids.clone()
    labels[:, :4] = IGNORE
    hf = gpt(input_ids=ids, labels=labels).loss
    wrapped = distill.DistillationModel(gpt, tiny_gpt(seed=1), temperature=2.0, alpha=0.0)(input_ids=ids,
                                                                                          labels=labels).loss
    hard = distill.DistillationModel(gpt, None)(input_ids=ids, labels=labels).loss
    assert torch.allclose(hf, wrapped, atol=1e-6) and torch.allclose(hf, hard, atol=1e-6)


def test_distillation_trains_the_student_only(ids):
    teacher, student = tiny_gpt(seed=1, n_embd=64), tiny_gpt(seed=2)
    t0 = {k: v.clone() for k, v in teacher.state_dict().items()}
    s0 = {k: v.clone() for k, v in student.state_dict().items()}
    pairs = [(row[:6].tolist(), row[6:].tolist()) for row in ids]
    distill.train_student(student, teacher, pairs, 3, pad_id=0, batch_size=2, temperature=2.0, alpha=0.9)
    assert all(torch.equal(v, teacher.state_dict()[k]) for k, v in t0.items())
    assert any(not torch.equal(v, student.state_dict()[k]) for k, v in s0.items())
    assert not teacher.training and all(p.requires_grad for p in teacher.parameters())   # left as it was
    wrapper = distill.DistillationModel(student, teacher)
    assert {id(p) for p in wrapper.parameters()} == {id(p) for p in student.parameters()}


def test_twins_start_equal_and_see_the_same_batches(ids):
    teacher = tiny_gpt(seed=1, n_embd=64)
    pairs = [(row[:6].tolist(), row[6:].tolist()) for row in ids]
    a, b = distill.twins(teacher, pairs, 2, pad_id=0, seed=3, batch_size=2, student_kwargs={"n_embd": 16})
    assert (a.kind, b.kind) == ("distilled", "hard labels")
    assert distill.n_params(a.model) == distill.n_params(b.model) < distill.n_params(teacher)
    fresh = distill.make_student(teacher, n_embd=16, seed=3)
    assert distill.n_params(fresh) == distill.n_params(a.model)


def test_reference_and_check_agree():
    checks.check_distillation_loss(distill.distillation_loss)
