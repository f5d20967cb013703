"""Checks for Lab 09's exercises: the distillation loss, the magnitude-pruning mask, cutting neurons out.

Each check runs the student's function on cases with known answers — computed with the reference
libraries: ``torch.nn.functional.kl_div`` / ``cross_entropy``, ``torch.nn.utils.prune`` — and, when a
case disagrees, compares the answer with the values that the usual bugs produce, to name the bug.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch.nn.utils import prune

from llmlab.checks import fail, generator, passed, run_case, single_threaded, tensor_like
from llmlab.checks import yours_or_reference  # noqa: F401 - the labs call checks.yours_or_reference
from llmlab.train import IGNORE


def _same(a: float, b: float, tol: float = 1e-4) -> bool:
    return math.isfinite(a) and math.isfinite(b) and abs(a - b) <= tol * max(1.0, abs(b))


# ----------------------------------------------------------------------------------------------
# Exercise: the distillation loss

def _kl(p_log: torch.Tensor, q_log: torch.Tensor) -> torch.Tensor:
    """KL(p ‖ q) per row from log-probabilities (N, V) -> (N,)."""
    return (p_log.exp() * (p_log - q_log)).sum(-1)


def reference_distillation_loss(student_logits, teacher_logits, labels, temperature=2.0, alpha=0.5):
    """The check's reference, built on torch's own ``kl_div`` and ``cross_entropy``."""
    keep = labels != IGNORE
    s, t = student_logits[keep], teacher_logits[keep].detach()
    soft = F.kl_div(F.log_softmax(s / temperature, -1), F.log_softmax(t / temperature, -1), log_target=True,
                    reduction="batchmean") * temperature ** 2
    hard = F.cross_entropy(student_logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE)
    return alpha * soft + (1 - alpha) * hard


def _distill_bugs(s, t, y, T, a) -> list[tuple[str, float]]:
    """(message, value) for each plausible wrong implementation, on one case."""
    keep = y != IGNORE
    sk, tk = s[keep], t[keep]
    ls, lt = F.log_softmax(sk / T, -1), F.log_softmax(tk / T, -1)
    kl_tok = _kl(lt, ls)                                                   # (N,)
    soft = kl_tok.mean()
    hard = F.cross_entropy(sk, y[keep])
    V, B = s.shape[-1], s.shape[0]
    all_s, all_t = F.log_softmax(s / T, -1), F.log_softmax(t / T, -1)     # every position, padding too
    kl_all = _kl(all_t, all_s)                                             # (B, T)

    def blend(sv, hv=hard):
        return float(a * sv + (1 - a) * hv)
    T2 = T ** 2
    return [
        ("you forgot the T² factor on the soft term: softening divides its gradients by T², and multiplying "
         "by T² keeps the soft and hard terms on the same scale whatever the temperature.", blend(soft)),
        ("you multiplied the soft term by T, not T²: the gradients of the softened KL shrink as 1/T².",
         blend(T * soft)),
        ("you softened only the student: divide the teacher's logits by the same temperature T.",
         blend(T2 * _kl(F.log_softmax(tk, -1), ls).mean())),
        ("you softened only the teacher: divide the student's logits by the same temperature T.",
         blend(T2 * _kl(lt, F.log_softmax(sk, -1)).mean())),
        ("you did not soften either side (no division by T), only multiplied by T².",
         blend(T2 * _kl(F.log_softmax(tk, -1), F.log_softmax(sk, -1)).mean())),
        ("the KL is reversed: you computed KL(student ‖ teacher). Distillation uses KL(teacher ‖ student), "
         "the teacher's probabilities weighting the log-ratio (F.kl_div(student_log_probs, teacher_log_probs, "
         "log_target=True): input = student, target = teacher).", blend(T2 * _kl(ls, lt).mean())),
        ("you passed the student's *probabilities* to F.kl_div: its input must be log-probabilities "
         "(F.log_softmax), the target too with log_target=True.",
         blend(T2 * F.kl_div(ls.exp(), lt, log_target=True, reduction="batchmean"))),
        ("you passed the student's probabilities to F.kl_div (its input must be log-probabilities, "
         "F.log_softmax).", blend(T2 * F.kl_div(ls.exp(), lt.exp(), reduction="batchmean"))),
        ("you summed the KL over the positions instead of averaging it: divide by the number of labelled "
         "positions (reduction='batchmean' on a (N, V) tensor of the kept positions).", blend(T2 * kl_tok.sum())),
        ("you averaged the KL over every entry, vocabulary included (reduction='mean'): sum over the "
         "vocabulary, average over positions (reduction='batchmean' on (N, V)).", blend(T2 * soft / V)),
        ("F.kl_div(..., reduction='batchmean') on the (B, T, V) tensors divides by B, not by the number of "
         "tokens: select the labelled positions first (logits[labels != IGNORE] -> (N, V)).",
         blend(T2 * kl_tok.sum() / B)),
        ("your soft term also counts the IGNORE positions (prompt, padding): keep only positions whose label "
         "is not IGNORE (-100), in the KL as in the cross-entropy.", blend(T2 * kl_all.mean())),
        ("batchmean over the (B, T, V) tensors, padding included: divides by B and sums the IGNORE positions.",
         blend(T2 * kl_all.sum() / B)),
        ("you computed the cross-entropy against the teacher's soft targets, not the KL: it has the same "
         "gradient but adds the teacher's entropy, so the loss is not 0 when the student matches the teacher.",
         blend(T2 * (-(lt.exp() * ls).sum(-1)).mean())),
        ("α and 1 − α are swapped: α weights the soft (teacher) term, 1 − α the hard-label cross-entropy.",
         float((1 - a) * T2 * soft + a * hard)),
        ("your hard-label term is computed at temperature T: the cross-entropy with the labels uses the "
         "student's plain logits.", blend(T2 * soft, F.cross_entropy(sk / T, y[keep]))),
        ("the hard-label term is missing: add (1 − α) · cross_entropy(student logits, labels).", float(a * T2 * soft)),
        ("the soft term is missing: add α · T² · KL(teacher ‖ student) at temperature T.", float((1 - a) * hard)),
    ]


def _distill_cases():
    g = generator(9)
    cases = []
    for desc, B, T_, V, temp, alpha in (
            ("pure soft term (alpha=1) at T=1", 2, 6, 13, 1.0, 1.0),
            ("pure soft term (alpha=1) at T=2", 3, 5, 11, 2.0, 1.0),
            ("pure soft term (alpha=1) at T=4", 2, 7, 17, 4.0, 1.0),
            ("pure hard-label term (alpha=0)", 2, 6, 13, 2.0, 0.0),
            ("blend alpha=0.9 at T=4", 3, 6, 11, 4.0, 0.9),
            ("blend alpha=0.3 at T=2", 4, 5, 9, 2.0, 0.3)):
        s = torch.randn(B, T_, V, generator=g) * 2
        t = torch.randn(B, T_, V, generator=g) * 3
        y = torch.randint(0, V, (B, T_), generator=g)
        y[:, :2] = IGNORE                               # prompt positions
        y[0, -2:] = IGNORE                              # padding of a short row
        cases.append((desc, s, t, y, temp, alpha))
    return cases


def _distill_crash_hint(err: Exception) -> str:
    if "in-place" in str(err):
        return "Don't modify the logits in place (s /= T): write s / T, a new tensor."
    if isinstance(err, (IndexError, RuntimeError)) and ("index" in str(err).lower() or "bound" in str(err)):
        return ("labels hold IGNORE = -100 at prompt and padding positions: select the labelled positions "
                "(labels != IGNORE) before indexing with the labels.")
    return ""


@single_threaded
def check_distillation_loss(fn: Callable, name: str = "distillation loss") -> None:
    """``fn(student_logits (B,T,V), teacher_logits (B,T,V), labels (B,T), temperature, alpha) -> scalar`` =
    α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1 − α)·CE(s, labels), both averaged over labelled positions."""
    ex = name
    for desc, s, t, y, temp, alpha in _distill_cases():
        want = reference_distillation_loss(s, t, y, temp, alpha)
        s_in, t_in = s.clone().requires_grad_(True), t.clone().requires_grad_(True)
        full = f"{desc}, logits {tuple(s.shape)}, {int((y != IGNORE).sum())} labelled positions"
        got = run_case(ex, fn, full, s_in, t_in, y, temp, alpha,
                       names=("student_logits", "teacher_logits", "labels"),
                       crash_hint=_distill_crash_hint)
        if not isinstance(got, torch.Tensor):
            fail(ex, f"return a scalar torch.Tensor (so that .backward() works), got {type(got).__name__} "
                     f"(case: {full}). Don't call .item() inside the loss.")
        if got.numel() != 1:
            fail(ex, f"the loss has shape {tuple(got.shape)}; it must be one number: average over the "
                     f"labelled positions (case: {full}).")
        tensor_like(ex, got.reshape(()), want, "the loss")
        g_val, w_val = float(got.detach()), float(want)
        if math.isnan(g_val):
            fail(ex, f"the loss is NaN (case: {full}): a log of a negative number or of 0. Did you give F.kl_div "
                     "log-probabilities as its target without log_target=True (it then takes their log), or "
                     "take the log of a softmax instead of using F.log_softmax?")
        if not _same(g_val, w_val):
            hint = next((msg for msg, v in _distill_bugs(s, t, y, temp, alpha) if _same(g_val, v)), None)
            fail(ex, f"loss {g_val:.6g}, expected {w_val:.6g} (case: {full}). "
                     + (hint or "Check each piece: log_softmax of both logits at temperature T, "
                                "KL(teacher ‖ student) summed over the vocabulary and averaged over labelled "
                                "positions, times T², blended with the hard cross-entropy by α."))
        if not got.requires_grad:
            fail(ex, f"the loss does not depend on the student's logits through autograd (case: {full}): "
                     "no torch.no_grad(), .detach() or .item() on the student side.")
        got.reshape(()).backward()
        if t_in.grad is not None and t_in.grad.abs().sum() > 0:
            fail(ex, f"gradients flow into the teacher's logits (case: {full}): the teacher is frozen, "
                     "detach its logits (teacher_logits.detach()).")
        s_ref = s.clone().requires_grad_(True)
        reference_distillation_loss(s_ref, t, y, temp, alpha).backward()
        if s_in.grad is None or not torch.allclose(s_in.grad, s_ref.grad, atol=1e-5, rtol=1e-4):
            fail(ex, f"the loss value is right but its gradient with respect to the student's logits is not "
                     f"(case: {full}).")
    s = torch.randn(2, 5, 7, generator=generator(1))
    y = torch.randint(0, 7, (2, 5), generator=generator(2))
    zero = float(fn(s.clone(), s.clone(), y, 3.0, 1.0).detach())
    passed(ex, f"{len(_distill_cases())} cases agree with F.kl_div(log_target=True)·T² + F.cross_entropy "
               f"(gradients too); a student equal to its teacher has soft loss {zero:.1e}")


# ----------------------------------------------------------------------------------------------
# Exercise: the magnitude-pruning mask

def _torch_mask(w: torch.Tensor, amount: float) -> torch.Tensor:
    return prune.L1Unstructured(amount).compute_mask(w, default_mask=torch.ones_like(w))


def _zero_k(score: torch.Tensor, k: int, largest: bool = False) -> torch.Tensor:
    mask = torch.ones_like(score)
    if k > 0:
        mask.view(-1)[torch.topk(score.flatten(), k, largest=largest).indices] = 0
    return mask


def _rowwise(w: torch.Tensor, amount: float, dim: int) -> torch.Tensor:
    if w.dim() < 2:
        return _torch_mask(w, amount)
    m = w.transpose(0, dim) if dim else w
    rows = torch.stack([_zero_k(r.abs(), round(amount * r.numel())) for r in m])
    return rows.transpose(0, dim) if dim else rows


def _mask_cases():
    g = generator(4)
    w1 = torch.randn(8, 12, generator=g)
    w1[0, :3] = torch.tensor([-5.0, -4.0, -3.0])       # large negative weights: |w| matters, not w
    return [("an (8, 12) weight, 25% pruned", w1, 0.25),
            ("a (3, 3) weight, 30% pruned: 2.7 entries -> round to 3", torch.randn(3, 3, generator=g), 0.3),
            ("a (20,) bias-like vector, 75% pruned", torch.randn(20, generator=g), 0.75),
            ("a (6, 10) weight, 0% pruned", torch.randn(6, 10, generator=g), 0.0),
            ("a (4, 5) weight, 100% pruned", torch.randn(4, 5, generator=g), 1.0),
            ("a (16, 8) weight, 90% pruned", torch.randn(16, 8, generator=g), 0.9)]


@single_threaded
def check_magnitude_mask(fn: Callable, name: str = "magnitude mask") -> None:
    """``fn(weight, amount) -> mask``: 0 at the round(amount·numel) entries of smallest |w| over the
    whole tensor, 1 elsewhere; equal to ``torch.nn.utils.prune.l1_unstructured``'s ``weight_mask``."""
    ex = name
    for desc, w, amount in _mask_cases():
        want = _torch_mask(w, amount)
        got = run_case(ex, fn, f"{desc}", w.clone(), amount, names=("weight",),
                       crash_hint="With amount=0 there is nothing to prune (k = 0): return all ones."
                       if amount == 0 else "")
        if isinstance(got, torch.Tensor) and got.dtype in (torch.bool, torch.int64, torch.int32, torch.uint8):
            got = got.to(w.dtype)
        if isinstance(got, torch.Tensor) and tuple(got.shape) != tuple(w.shape):
            fail(ex, f"the mask has shape {tuple(got.shape)}; it must have the weight's shape {tuple(w.shape)} "
                     f"(case: {desc}). Flatten to rank the entries, then reshape (or write into a mask of ones).")
        tensor_like(ex, got, want, "the mask")
        if torch.equal(got, want):
            continue
        k = round(amount * w.numel())
        zeros = int((got == 0).sum())
        vals = set(got.unique().tolist())
        if torch.allclose(got, w * want):
            fail(ex, f"you returned the pruned weight (w · mask); return the mask itself, 1 = keep, 0 = prune "
                     f"(case: {desc}).")
        if not vals <= {0.0, 1.0}:
            fail(ex, f"the mask holds values {sorted(vals)[:4]}...; it must be 0 (pruned) or 1 (kept) "
                     f"(case: {desc}).")
        if torch.equal(got, 1 - want):
            fail(ex, f"your mask is inverted: torch's masks hold 1 for the weights that stay, 0 for the pruned "
                     f"ones (case: {desc}).")
        if torch.equal(got, _zero_k(w.abs(), k, largest=True)):
            fail(ex, f"you pruned the *largest* weights; magnitude pruning removes the smallest |w| "
                     f"(case: {desc}).")
        if torch.equal(got, _zero_k(w, k)):
            fail(ex, f"you pruned the smallest *signed* values, so large negative weights went too: rank by "
                     f"|w| (weight.abs()) (case: {desc}).")
        if w.dim() == 2 and torch.equal(got, _rowwise(w, amount, 0)):
            fail(ex, f"you pruned {amount:.0%} of each row separately; l1_unstructured ranks all entries of "
                     f"the tensor together (flatten first) (case: {desc}).")
        if w.dim() == 2 and torch.equal(got, _rowwise(w, amount, 1)):
            fail(ex, f"you pruned {amount:.0%} of each column separately; rank all entries of the tensor "
                     f"together (flatten first) (case: {desc}).")
        if zeros != k:
            how = (f" int({amount} × {w.numel()}) = {int(amount * w.numel())} truncates: torch rounds, "
                   f"round({amount * w.numel():.3g}) = {k}." if zeros == int(amount * w.numel()) else
                   f" Did you use math.ceil? torch uses round(amount · numel) = {k}." if
                   zeros == math.ceil(amount * w.numel()) else
                   " One too few: with a threshold, `abs(w) > kth smallest` prunes k; `>=` prunes k − 1."
                   if zeros == k - 1 else
                   " One too many: a threshold compared with `<=` (or a quantile) also prunes the entry at "
                   "the threshold; rank the entries and zero exactly k of them." if
                   zeros == k + 1 else "")
            fail(ex, f"your mask prunes {zeros} of {w.numel()} entries, expected round({amount} × {w.numel()}) "
                     f"= {k} (case: {desc}).{how}")
        fail(ex, f"your mask prunes the right number of entries ({k}) but not the smallest-|w| ones "
                 f"(case: {desc}); first difference at {tuple(int(i) for i in (got != want).nonzero()[0])}.")
    w, a = _mask_cases()[0][1:]
    passed(ex, f"{len(_mask_cases())} cases equal torch.nn.utils.prune.l1_unstructured's mask "
               f"(e.g. {int((_torch_mask(w, a) == 0).sum())} of {w.numel()} zeros at amount={a})")


# ----------------------------------------------------------------------------------------------
# Exercise: cutting neurons out of an MLP

def _mlp(x, w_in, b_in, w_out):
    return F.gelu(x @ w_in + b_in, approximate="tanh") @ w_out        # GPT-2's gelu_new; (N, d)


def _kept_by_torch(w_in: torch.Tensor, keep: int) -> torch.Tensor:
    """Neurons (columns of c_fc) that prune.ln_structured(n=2, dim=1) leaves, in increasing order."""
    n_prune = w_in.shape[1] - keep
    if n_prune == 0:
        return torch.arange(w_in.shape[1])
    mask = prune.LnStructured(n_prune, n=2, dim=1).compute_mask(w_in, torch.ones_like(w_in))
    return (mask[0] != 0).nonzero().flatten()


def _shrink_cases():
    g = generator(6)
    cases = []
    for desc, d, F_, keep in (("d=6, 16 neurons, keep 10", 6, 16, 10), ("d=8, 12 neurons, keep 3", 8, 12, 3),
                              ("d=5, 9 neurons, keep all 9", 5, 9, 9)):
        w_in = torch.randn(d, F_, generator=g)
        b_in = torch.randn(F_, generator=g)
        w_out = torch.randn(F_, d, generator=g)
        if desc.startswith("d=6"):
            # neuron 0: one big weight (large L1? no: large L2); neuron 1: many medium weights (large L1)
            w_in[:, 0] = torch.tensor([3.0, 0, 0, 0, 0, 0])
            w_in[:, 1] = torch.full((d,), 1.1)
            w_out[2] *= 50                      # a strong *output* row on a weak input column
            w_in[:, 2] *= 0.01
            b_in[3] = 100.0                     # a big bias on a weak neuron
            w_in[:, 3] *= 0.01
        cases.append((desc, w_in, b_in, w_out, keep))
    return cases


@single_threaded
def check_shrink_mlp(fn: Callable, name: str = "shrink an MLP") -> None:
    """``fn(w_in (d, F), b_in (F,), w_out (F, d), keep) -> (w_in' (d, k), b_in' (k,), w_out' (k, d))``: the
    ``keep`` neurons with the largest L2 norm of their input weights (columns of w_in), as
    ``prune.ln_structured(n=2, dim=1)`` chooses them, cut out consistently from all three tensors."""
    ex = name
    x = torch.randn(7, 8, generator=generator(0))
    for desc, w_in, b_in, w_out, keep in _shrink_cases():
        d, F_ = w_in.shape
        idx = _kept_by_torch(w_in, keep)
        got = run_case(ex, fn, desc, w_in.clone(), b_in.clone(), w_out.clone(), keep,
                       names=("w_in", "b_in", "w_out"),
                       crash_hint="w_in is (d, F): neuron j is its column j, w_in[:, idx]; w_out is (F, d): neuron "
                                  "j is its row j, w_out[idx] — index the rows of w_out, not its columns.")
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            fail(ex, f"return three tensors (w_in, b_in, w_out), got {type(got).__name__} (case: {desc}).")
        gi, gb, go = got
        for what, g_, want_shape, hint in (
                ("w_in", gi, (d, keep), "keep columns of w_in (a GPT-2 Conv1D weight is (in, out): neuron j is "
                                       "column j)"),
                ("b_in", gb, (keep,), "cut the bias too: each neuron has one bias entry"),
                ("w_out", go, (keep, d), "keep the *rows* of w_out (neuron j's output weights are row j)")):
            if not isinstance(g_, torch.Tensor):
                fail(ex, f"{what} should be a tensor, got {type(g_).__name__} (case: {desc}).")
            if tuple(g_.shape) != want_shape:
                if what == "w_in" and tuple(g_.shape) == (d, F_) and bool((g_ == 0).all(0).any()):
                    hint = ("you zeroed the pruned neurons instead of cutting them out: the point of structured "
                            "pruning is smaller matrices, w_in[:, idx]")
                elif what == "w_in" and tuple(g_.shape) == (d, F_ - keep) and keep != F_ - keep:
                    hint = f"`keep` is the number of neurons to keep ({keep}), not the number to remove"
                fail(ex, f"{what} has shape {tuple(g_.shape)}, expected {want_shape} (case: {desc}): {hint}.")
        cols = [next((j for j in range(F_) if torch.equal(gi[:, i], w_in[:, j])), -1) for i in range(keep)]
        chosen = sorted(c for c in cols if c >= 0)
        want = idx.tolist()
        if chosen != want:
            l1 = sorted(torch.topk(w_in.abs().sum(0), keep).indices.tolist())
            weakest = sorted(torch.topk(w_in.norm(dim=0), keep, largest=False).indices.tolist())
            by_out = sorted(torch.topk(w_out.norm(dim=1), keep).indices.tolist())
            first = list(range(keep))
            hint = ("you ranked neurons by the L1 norm (sum of |w|); ln_structured with n=2 uses the L2 norm."
                    if chosen == l1 else
                    "you kept the *weakest* neurons: keep the largest norms." if chosen == weakest else
                    "you ranked neurons by their output weights (rows of w_out); the lab (and ln_structured on "
                    "c_fc) ranks by the input weights, the columns of w_in." if chosen == by_out else
                    "you kept the first neurons, not the strongest." if chosen == first else
                    "score each neuron by the L2 norm of its column of w_in: w_in.norm(dim=0).")
            fail(ex, f"you kept neurons {chosen}, expected {want} (case: {desc}): {hint}")
        # any order of the kept neurons makes a correct MLP, as long as all three tensors agree on it
        bias_ok = all(torch.equal(gb[i], b_in[c]) for i, c in enumerate(cols))
        out_ok = all(torch.equal(go[i], w_out[c]) for i, c in enumerate(cols))
        if not bias_ok:
            fail(ex, f"the bias entries do not belong to the kept neurons, in the same order as w_in's columns "
                     f"(case: {desc}): index b_in with the same indices.")
        if not out_ok:
            fail(ex, f"the rows of w_out are not the kept neurons' rows, in the same order as w_in's columns "
                     f"(case: {desc}): index w_out[idx, :] with the same idx as w_in[:, idx].")
        y_ref = _mlp(x[:, :d], w_in[:, idx], b_in[idx], w_out[idx])
        if not torch.allclose(_mlp(x[:, :d], gi, gb, go), y_ref, atol=1e-5):
            fail(ex, f"the shrunk MLP's output differs from the MLP with those neurons removed (case: {desc}).")
    passed(ex, f"{len(_shrink_cases())} cases keep the neurons prune.ln_structured(n=2, dim=1) keeps, and the "
               "narrower MLP computes what the masked one does without those neurons")


__all__ = ["check_distillation_loss", "check_magnitude_mask", "check_shrink_mlp", "reference_distillation_loss"]
