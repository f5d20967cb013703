"""Every Lab 09 check passes the reference and rejects plausible wrong implementations, naming the bug."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from llmlab.checks import rejects
from llmlab.lab09 import checks, distill, pruning
from llmlab.train import IGNORE



# ---- the distillation loss ------------------------------------------------------------------------
def _kl(p_log, q_log):
    return (p_log.exp() * (p_log - q_log)).sum(-1)


def _parts(s, t, y, T):
    keep = y != IGNORE
    return keep, s[keep], t[keep].detach(), F.log_softmax(s[keep] / T, -1), F.log_softmax(t[keep].detach() / T, -1)


def no_t_squared(s, t, y, T, a):
    keep, sk, tk, ls, lt = _parts(s, t, y, T)
    return a * _kl(lt, ls).mean() + (1 - a) * F.cross_entropy(sk, y[keep])


def times_t(s, t, y, T, a):
    keep, sk, tk, ls, lt = _parts(s, t, y, T)
    return a * T * _kl(lt, ls).mean() + (1 - a) * F.cross_entropy(sk, y[keep])


def student_only_softened(s, t, y, T, a):
    keep, sk, tk, ls, _ = _parts(s, t, y, T)
    return a * T ** 2 * _kl(F.log_softmax(tk, -1), ls).mean() + (1 - a) * F.cross_entropy(sk, y[keep])


def teacher_only_softened(s, t, y, T, a):
    keep, sk, tk, _, lt = _parts(s, t, y, T)
    return a * T ** 2 * _kl(lt, F.log_softmax(sk, -1)).mean() + (1 - a) * F.cross_entropy(sk, y[keep])


def reversed_kl(s, t, y, T, a):
    keep, sk, tk, ls, lt = _parts(s, t, y, T)
    return a * T ** 2 * _kl(ls, lt).mean() + (1 - a) * F.cross_entropy(sk, y[keep])


def probabilities_into_kl_div(s, t, y, T, a):
    keep, sk, tk, ls, lt = _parts(s, t, y, T)
    soft = F.kl_div(F.softmax(sk / T, -1), F.softmax(tk / T, -1), reduction="batchmean")
    return a * T ** 2 * soft + (1 - a) * F.cross_entropy(sk, y[keep])


def missing_log_target(s, t, y, T, a):
    keep, sk, tk, ls, lt = _parts(s, t, y, T)
    return a * T ** 2 * F.kl_div(ls, lt, reduction="batchmean") + (1 - a) * F.cross_entropy(sk, y[keep])


def summed_over_positions(s, t, y, T, a):
    keep, sk, tk, ls, lt = _parts(s, t, y, T)
    return a * T ** 2 * F.kl_div(ls, lt, log_target=True, reduction="sum") + (1 - a) * F.cross_entropy(sk, y[keep])


def mean_reduction(s, t, y, T, a):
    keep, sk, tk, ls, lt = _parts(s, t, y, T)
    return a * T ** 2 * F.kl_div(ls, lt, log_target=True, reduction="mean") + (1 - a) * F.cross_entropy(sk, y[keep])


def batchmean_on_3d_masked(s, t, y, T, a):
    keep = (y != IGNORE).unsqueeze(-1)
    ls, lt = F.log_softmax(s / T, -1), F.log_softmax(t.detach() / T, -1)
    soft = (F.kl_div(ls, lt, log_target=True, reduction="none") * keep).sum() / s.shape[0]
    return a * T ** 2 * soft + (1 - a) * F.cross_entropy(s.flatten(0, 1), y.flatten())


def padding_counted(s, t, y, T, a):
    ls, lt = F.log_softmax(s / T, -1), F.log_softmax(t.detach() / T, -1)
    soft = F.kl_div(ls.flatten(0, 1), lt.flatten(0, 1), log_target=True, reduction="batchmean")
    return a * T ** 2 * soft + (1 - a) * F.cross_entropy(s.flatten(0, 1), y.flatten())


def soft_cross_entropy(s, t, y, T, a):
    keep, sk, tk, ls, lt = _parts(s, t, y, T)
    return a * T ** 2 * (-(lt.exp() * ls).sum(-1)).mean() + (1 - a) * F.cross_entropy(sk, y[keep])


def alpha_swapped(s, t, y, T, a):
    keep, sk, tk, ls, lt = _parts(s, t, y, T)
    return (1 - a) * T ** 2 * _kl(lt, ls).mean() + a * F.cross_entropy(sk, y[keep])


def hard_at_temperature(s, t, y, T, a):
    keep, sk, tk, ls, lt = _parts(s, t, y, T)
    return a * T ** 2 * _kl(lt, ls).mean() + (1 - a) * F.cross_entropy(sk / T, y[keep])


def no_hard_term(s, t, y, T, a):
    keep, sk, tk, ls, lt = _parts(s, t, y, T)
    return a * T ** 2 * _kl(lt, ls).mean()


def teacher_not_detached(s, t, y, T, a):
    keep = y != IGNORE
    ls, lt = F.log_softmax(s[keep] / T, -1), F.log_softmax(t[keep] / T, -1)
    return a * T ** 2 * _kl(lt, ls).mean() + (1 - a) * F.cross_entropy(s[keep], y[keep])


def returns_float(s, t, y, T, a):
    return float(distill.distillation_loss(s, t, y, T, a))


def student_detached(s, t, y, T, a):
    return distill.distillation_loss(s.detach(), t, y, T, a)


def per_token_vector(s, t, y, T, a):
    keep, sk, tk, ls, lt = _parts(s, t, y, T)
    return a * T ** 2 * _kl(lt, ls) + (1 - a) * F.cross_entropy(sk, y[keep], reduction="none")


def gather_with_ignore(s, t, y, T, a):          # manual CE that indexes with -100
    keep, sk, tk, ls, lt = _parts(s, t, y, T)
    nll = -F.log_softmax(s, -1).gather(-1, y.unsqueeze(-1)).mean()
    return a * T ** 2 * _kl(lt, ls).mean() + (1 - a) * nll


def labels_changed_in_place(s, t, y, T, a):
    out = distill.distillation_loss(s, t, y, T, a)
    y[y == IGNORE] = 0                      # "clean up" the labels for a later step
    return out


def logits_softened_in_place(s, t, y, T, a):
    s /= T
    return distill.distillation_loss(s * T, t, y, T, a)


DISTILL_BUGS = [
    (no_t_squared, "T²"), (times_t, "not T²"), (student_only_softened, "softened only the student"),
    (teacher_only_softened, "softened only the teacher"), (reversed_kl, "reversed"),
    (probabilities_into_kl_div, "probabilities"), (missing_log_target, "log_target"),
    (summed_over_positions, "summed"), (mean_reduction, "reduction='mean'"),
    (batchmean_on_3d_masked, "divides by B"), (padding_counted, "IGNORE"), (soft_cross_entropy, "entropy"),
    (alpha_swapped, "swapped"), (hard_at_temperature, "hard-label term is computed at temperature"),
    (no_hard_term, "hard-label term is missing"), (teacher_not_detached, "detach"), (returns_float, ".item()"),
    (student_detached, "autograd"), (per_token_vector, "one number"), (gather_with_ignore, "-100"),
    (labels_changed_in_place, "modified `labels` in place"), (logits_softened_in_place, "in place"),
]


def test_distillation_reference_passes(capsys):
    checks.check_distillation_loss(distill.distillation_loss)
    assert "✓" in capsys.readouterr().out


def test_distillation_reference_equals_torch_kl_div():
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(3, 4, 9, generator=g), torch.randn(3, 4, 9, generator=g)
    y = torch.randint(0, 9, (3, 4), generator=g)
    y[0, :2] = IGNORE
    assert torch.allclose(distill.distillation_loss(s, t, y, 3.0, 0.7),
                          checks.reference_distillation_loss(s, t, y, 3.0, 0.7))
    # alpha=0 is exactly the Hugging Face loss on the same (shifted) labels
    assert torch.allclose(distill.distillation_loss(s, t, y, 3.0, 0.0),
                          F.cross_entropy(s.flatten(0, 1), y.flatten(), ignore_index=IGNORE))


@pytest.mark.filterwarnings("ignore::UserWarning")    # some wrong versions trip torch's own warnings
@pytest.mark.parametrize("fn,needle", DISTILL_BUGS, ids=[f.__name__ for f, _ in DISTILL_BUGS])
def test_distillation_rejects(fn, needle):
    rejects(checks.check_distillation_loss, fn, needle)


def test_distillation_stub():
    def stub(*args):
        raise NotImplementedError("Exercise 1")
    rejects(checks.check_distillation_loss, stub, "not implemented")


# ---- the magnitude mask ---------------------------------------------------------------------------
def _zero_smallest(score, k, largest=False):
    mask = torch.ones_like(score)
    if k:
        mask.view(-1)[torch.topk(score.flatten(), k, largest=largest).indices] = 0
    return mask


def largest_pruned(w, a):
    return _zero_smallest(w.abs(), round(a * w.numel()), largest=True)


def signed(w, a):
    return _zero_smallest(w, round(a * w.numel()))


def floor_count(w, a):
    return _zero_smallest(w.abs(), int(a * w.numel()))


def ceil_count(w, a):
    return _zero_smallest(w.abs(), math.ceil(a * w.numel()))


def inverted(w, a):
    return 1 - pruning.magnitude_mask(w, a)


def per_row(w, a):
    if w.dim() < 2:
        return pruning.magnitude_mask(w, a)
    return torch.stack([_zero_smallest(r.abs(), round(a * r.numel())) for r in w])


def per_column(w, a):
    if w.dim() < 2:
        return pruning.magnitude_mask(w, a)
    return per_row(w.t(), a).t()


def returns_weight(w, a):
    return w * pruning.magnitude_mask(w, a)


def threshold_ge(w, a):
    k = round(a * w.numel())
    if k == 0:
        return torch.ones_like(w)
    kth = w.abs().flatten().kthvalue(k).values
    return (w.abs() >= kth).to(w.dtype) if k < w.numel() else torch.zeros_like(w)


def kthvalue_crashes_at_zero(w, a):
    kth = w.abs().flatten().kthvalue(round(a * w.numel())).values
    return (w.abs() > kth).to(w.dtype)


def quantile_threshold(w, a):
    q = torch.quantile(w.abs().flatten(), a)
    return (w.abs() > q).to(w.dtype)


def in_place(w, a):
    m = pruning.magnitude_mask(w, a)
    w.mul_(m)
    return m


def flattened(w, a):
    return pruning.magnitude_mask(w, a).flatten()


MASK_BUGS = [
    (largest_pruned, "largest"), (signed, "signed"), (floor_count, "truncates"), (ceil_count, "ceil"),
    (inverted, "inverted"), (per_row, "each row"), (per_column, "each column"), (returns_weight, "pruned weight"),
    (threshold_ge, "one too few"), (kthvalue_crashes_at_zero, "amount=0"), (quantile_threshold, "one too many"),
    (in_place, "in place"), (flattened, "weight's shape"),
]


def test_mask_reference_passes(capsys):
    checks.check_magnitude_mask(pruning.magnitude_mask)
    assert "✓" in capsys.readouterr().out


def test_bool_mask_is_accepted(capsys):
    checks.check_magnitude_mask(lambda w, a: pruning.magnitude_mask(w, a).bool())


@pytest.mark.parametrize("fn,needle", MASK_BUGS, ids=[f.__name__ for f, _ in MASK_BUGS])
def test_mask_rejects(fn, needle):
    rejects(checks.check_magnitude_mask, fn, needle)


# ---- shrinking an MLP -----------------------------------------------------------------------------
def _cut(w_in, b_in, w_out, idx):
    return w_in[:, idx], b_in[idx], w_out[idx]


def l1_scores(w_in, b_in, w_out, keep):
    return _cut(w_in, b_in, w_out, torch.topk(w_in.abs().sum(0), keep).indices.sort().values)


def weakest(w_in, b_in, w_out, keep):
    return _cut(w_in, b_in, w_out, torch.topk(w_in.norm(dim=0), keep, largest=False).indices.sort().values)


def by_output_rows(w_in, b_in, w_out, keep):
    return _cut(w_in, b_in, w_out, torch.topk(w_out.norm(dim=1), keep).indices.sort().values)


def first_k(w_in, b_in, w_out, keep):
    return _cut(w_in, b_in, w_out, torch.arange(keep))


def rows_of_w_in(w_in, b_in, w_out, keep):
    idx = torch.topk(w_in.norm(dim=1), min(keep, w_in.shape[0])).indices
    return w_in[idx], b_in[:keep], w_out[:keep]


def bias_not_cut(w_in, b_in, w_out, keep):
    idx = pruning.kept_neurons(w_in, keep)
    return w_in[:, idx], b_in, w_out[idx]


def w_out_columns(w_in, b_in, w_out, keep):
    idx = pruning.kept_neurons(w_in, keep)
    return w_in[:, idx], b_in[idx], w_out[:, idx]


def inconsistent_order(w_in, b_in, w_out, keep):
    top = torch.topk(w_in.norm(dim=0), keep).indices            # by score
    return w_in[:, top.sort().values], b_in[top.sort().values], w_out[top]


def bias_first_k(w_in, b_in, w_out, keep):
    idx = pruning.kept_neurons(w_in, keep)
    return w_in[:, idx], b_in[:keep], w_out[idx]


def keep_means_remove(w_in, b_in, w_out, keep):
    return pruning.shrink_mlp_weights(w_in, b_in, w_out, w_in.shape[1] - keep)


def zero_instead_of_cut(w_in, b_in, w_out, keep):
    idx = pruning.kept_neurons(w_in, keep)
    m = torch.zeros(w_in.shape[1])
    m[idx] = 1
    return w_in * m, b_in * m, w_out * m[:, None]


SHRINK_BUGS = [
    (l1_scores, "L1"), (weakest, "weakest"), (by_output_rows, "output weights"), (first_k, "first neurons"),
    (rows_of_w_in, "shape"), (bias_not_cut, "cut the bias"), (w_out_columns, "rows of w_out"),
    (inconsistent_order, "same order"), (bias_first_k, "bias entries"), (keep_means_remove, "not the number to remove"),
    (zero_instead_of_cut, "instead of cutting"),
]


def test_shrink_reference_passes(capsys):
    checks.check_shrink_mlp(pruning.shrink_mlp_weights)
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("fn,needle", SHRINK_BUGS, ids=[f.__name__ for f, _ in SHRINK_BUGS])
def test_shrink_rejects(fn, needle):
    rejects(checks.check_shrink_mlp, fn, needle)


def test_yours_or_reference_falls_back(capsys):
    got = checks.yours_or_reference("Exercise 1: distillation loss", no_t_squared, distill.distillation_loss,
                                    checks.check_distillation_loss)
    assert got is distill.distillation_loss
    assert "is not solved yet" in capsys.readouterr().out
