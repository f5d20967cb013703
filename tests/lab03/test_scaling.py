"""llmlab.lab03.scaling and llmlab.lab03.checks: compute against the papers' numbers, the L(N, D) fit against
known surfaces and brute-force minimisation, pretraining snapshots, and checks that reject wrong answers."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from llmlab.checks import CheckFailed
from llmlab.lab03 import checks, crawl, scaling

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ---- compute ---------------------------------------------------------------------------------------------
def test_gpt3_compute_matches_table_d1():
    rows = {r["model"]: r for r in scaling.gpt3_compute_table()}
    big = rows["GPT-3 175B"]
    assert big["flops"] == pytest.approx(3.15e23)
    assert big["pf_days"] == pytest.approx(3640, rel=0.005)
    for r in rows.values():   # nominal sizes (Table 2.1) against the printed compute (Table D.1)
        assert r["ratio"] == pytest.approx(1.0, abs=0.02), r["model"]


def test_petaflop_day_in_chips():
    assert scaling.PF_DAY == 8.64e19
    assert scaling.devices_for_one_petaflop(scaling.ACCELERATORS["V100 (fp16 tensor cores)"]) == pytest.approx(8.0)
    assert round(scaling.devices_for_one_petaflop(scaling.ACCELERATORS["A100 (bf16, 2:4 sparsity)"])) == 2
    assert scaling.days_on(scaling.PF_DAY, 8, 125e12) == pytest.approx(1.0)
    assert scaling.days_on(scaling.PF_DAY, 8, 125e12, mfu=0.5) == pytest.approx(2.0)


def test_chinchilla_rule_of_thumb():
    N, D = scaling.chinchilla_optimal(scaling.train_flops(70e9, 1.4e12))
    assert N == pytest.approx(70e9) and D == pytest.approx(1.4e12)


# ---- the fit ---------------------------------------------------------------------------------------------
GRID_N = np.repeat([3e3, 1.3e4, 5.6e4, 1e5], 3)
GRID_D = np.tile([1.2e5, 2.4e5, 4.8e5], 4)


def test_fit_recovers_a_known_surface_with_noise():
    true = scaling.LossFit(E=1.8, A=60.0, B=900.0, alpha=0.4, beta=0.5)
    rng = np.random.default_rng(0)
    L = true.predict(GRID_N, GRID_D) * np.exp(rng.normal(0, 0.002, size=len(GRID_N)))
    fit = scaling.fit_loss(GRID_N, GRID_D, L)
    assert fit.alpha == pytest.approx(0.4, abs=0.1) and fit.beta == pytest.approx(0.5, abs=0.1)
    assert np.abs(fit.predict(GRID_N, GRID_D) - L).max() < 0.02


def test_fit_objective_gradient_matches_finite_differences():
    from scipy.optimize import check_grad
    args = (np.log(GRID_N), np.log(GRID_D), np.log(2 + 50 / GRID_N ** 0.3 + 400 / GRID_D ** 0.4), 0.1)
    err = check_grad(lambda th: scaling._objective(th, *args)[0], lambda th: scaling._objective(th, *args)[1],
                     np.array([3.0, 6.0, 0.5, 0.3, 0.4]))
    assert err < 1e-4


@pytest.mark.parametrize("fit", [scaling.CHINCHILLA_FIT, scaling.EPOCH_REFIT,
                                 scaling.LossFit(E=1.0, A=5.0, B=900.0, alpha=0.05, beta=1.4)])
def test_optimal_is_the_minimum_of_the_isoflop_curve(fit):
    for C in (1e12, 5.88e23):
        N, D = fit.optimal(C)
        assert 6 * N * D == pytest.approx(C)
        grid = np.geomspace(float(N) / 100, float(N) * 100, 20001)
        best = grid[np.argmin(fit.predict(grid, C / (6 * grid)))]
        assert best == pytest.approx(float(N), rel=2e-3)


def test_epoch_refit_gives_chinchillas_twenty_tokens_per_parameter():
    C = scaling.train_flops(70e9, 1.4e12)
    assert 15 < scaling.EPOCH_REFIT.tokens_per_param(C) < 25
    assert scaling.EPOCH_REFIT.a == pytest.approx(0.5, abs=0.05)


# ---- pretraining ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stream():
    rng = np.random.default_rng(0)
    # a learnable stream: a repeating pattern of 50 tokens with 10% noise
    base = np.tile(np.arange(50), 400)
    noise = rng.random(len(base)) < 0.1
    ids = np.where(noise, rng.integers(0, 64, len(base)), base).tolist()
    return ids, scaling.eval_windows(ids[-2000:], 32)


def test_eval_loss_is_mean_next_token_cross_entropy(stream):
    ids, val = stream
    model = scaling.build_model(scaling.ModelSize(1, 16), 64, 32)
    logits = model(input_ids=val).logits[:, :-1]
    want = torch.nn.functional.cross_entropy(logits.reshape(-1, 64), val[:, 1:].reshape(-1)).item()
    assert scaling.eval_loss(model, val, batch_size=7) == pytest.approx(want, rel=1e-5)
    assert val.shape == (2000 // 32, 32)


def test_pretrain_snapshots_do_not_change_training(stream):
    ids, val = stream
    size = scaling.ModelSize(1, 16)
    kw = dict(seq_len=32, batch_size=8, vocab_size=64, progress=False)
    m1, log1, runs = scaling.pretrain(size, ids, val, 40, [10, 20, 40, 99], **kw)   # 40 and 99: not snapshots
    m2, log2, _ = scaling.pretrain(size, ids, val, 40, [], **kw)
    for p1, p2 in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(p1, p2)
    assert log1.loss == log2.loss
    assert [r.steps for r in runs] == [10, 20, 40]
    assert [r.tokens for r in runs] == [10 * 256, 20 * 256, 40 * 256]
    assert runs[-1].val_loss == pytest.approx(scaling.eval_loss(m1, val))
    assert runs[-1].val_loss < runs[0].val_loss < np.log(64)
    assert runs[0].params == scaling.non_embedding_params(m1) < runs[0].total_params
    assert runs[0].flops == scaling.train_flops(runs[0].params, runs[0].tokens)
    assert all(r.schedule == "cosine" for r in runs)


def test_snapshots_are_measured_by_the_training_callback(stream, monkeypatch):
    """Snapshots come from ``train``'s callback, after the step's update: the model it sees is the one
    a run stopped there would have (no batcher hook), and the loop gets it back in training mode."""
    from llmlab import train as trainer
    ids, val = stream
    seen = []
    real_train = trainer.train

    def spy(model, next_batch, steps, **kw):
        cb = kw["callback"]

        def wrapped(done, m):
            seen.append((done, m.training))
            cb(done, m)
        return real_train(model, next_batch, steps, **{**kw, "callback": wrapped})

    monkeypatch.setattr(trainer, "train", spy)
    _, _, runs = scaling.pretrain(scaling.ModelSize(1, 16), ids, val, 12, [3, 7], seq_len=32, batch_size=8,
                                  vocab_size=64, progress=False)
    assert [d for d, _ in seen] == list(range(1, 13)) and all(training for _, training in seen)
    assert [r.steps for r in runs] == [3, 7, 12]


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_constant_lr_snapshot_is_a_shorter_run_and_cosine_is_not(stream, schedule):
    """With a constant learning rate (same warm-up), the snapshot after 10 of 30 steps *is* a 10-step
    run, weight for weight; with a cosine schedule the 10-step run has decayed its learning rate and
    ends elsewhere (Chinchilla's objection to Kaplan's learning-curve snapshots)."""
    ids, val = stream
    kw = dict(seq_len=32, batch_size=8, vocab_size=64, progress=False, schedule=schedule, warmup=3)
    size = scaling.ModelSize(1, 16)
    _, _, long = scaling.pretrain(size, ids, val, 30, [10], **kw)
    short_model, _, short = scaling.pretrain(size, ids, val, 10, **kw)
    assert long[0].steps == short[-1].steps == 10 and long[0].schedule == schedule
    if schedule == "constant":
        assert long[0].val_loss == pytest.approx(short[-1].val_loss, abs=1e-6)
    else:
        assert abs(long[0].val_loss - short[-1].val_loss) > 1e-3


def test_pretrain_rejects_an_unknown_schedule(stream):
    ids, val = stream
    with pytest.raises(ValueError, match="schedule"):
        scaling.pretrain(scaling.ModelSize(1, 16), ids, val, 5, seq_len=32, batch_size=8, vocab_size=64,
                         progress=False, schedule="linear")


def test_sweep_and_continued_pretraining(stream):
    ids, val = stream
    runs = scaling.sweep([scaling.ModelSize(1, 16), scaling.ModelSize(1, 32)], [10, 30], ids, val, seq_len=32,
                         batch_size=8, vocab_size=64, progress=False)
    assert [(r.size, r.steps) for r in runs] == [("L1-d16", 10), ("L1-d16", 30), ("L1-d32", 10), ("L1-d32", 30)]
    assert all(r.schedule == "constant" for r in runs)                  # the sweep's default: learning curves
    cos = scaling.sweep([scaling.ModelSize(1, 16)], [10, 30], ids, val, schedule="cosine", seq_len=32,
                        batch_size=8, vocab_size=64, progress=False)
    assert [r.schedule for r in cos] == ["cosine", "cosine"] and cos[0].val_loss != runs[0].val_loss
    model = scaling.build_model(scaling.ModelSize(1, 16), 64, 32)
    before = [p.clone() for p in model.parameters()]
    adapted, log = scaling.continue_pretraining(model, ids, 20, seq_len=32, batch_size=8, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))   # the original is untouched
    assert scaling.eval_loss(adapted, val) < scaling.eval_loss(model, val)
    rows = scaling.word_surprise({"a": adapted}, _DigitTok(), val, ["3", "7"])
    assert {r["word"] for r in rows} == {"3", "7"} and all(r["count"] > 0 for r in rows)


def test_lr_sweep_records_rates_and_best_lr_runs_picks_each_sizes_best(stream):
    ids, val = stream
    sizes = [scaling.ModelSize(1, 16), scaling.ModelSize(1, 32)]
    runs = scaling.lr_sweep(sizes, (0.1, 1.0), [10, 30], ids, val, seq_len=32, batch_size=8, vocab_size=64,
                            progress=False)
    assert len(runs) == 8 and {r.lr for r in runs if r.size == "L1-d16"} == {0.1 * scaling.width_lr(sizes[0]),
                                                                            scaling.width_lr(sizes[0])}
    best = scaling.best_lr_runs(runs)
    for size in ("L1-d16", "L1-d32"):
        mine = [r for r in best if r.size == size]
        assert [r.steps for r in mine] == [10, 30] and len({r.lr for r in mine}) == 1
        final = {r.lr: r.val_loss for r in runs if r.size == size and r.steps == 30}
        assert mine[-1].val_loss == min(final.values())


def test_best_lr_runs_judges_by_the_largest_budget_not_the_first():
    def run(lr, steps, loss):
        return scaling.SweepRun("L1-d16", 1, 16, 100, 200, steps, steps * 10, 6e3 * steps, loss, 1.0, "constant", lr)
    runs = [run(1.0, 10, 3.0), run(1.0, 30, 2.5), run(2.0, 10, 2.8), run(2.0, 30, 2.6)]
    assert [r.lr for r in scaling.best_lr_runs(runs)] == [1.0, 1.0]


def test_isoflop_runs_spend_the_same_compute(stream):
    ids, val = stream
    sizes = [scaling.ModelSize(1, 16), scaling.ModelSize(1, 32)]
    n16 = scaling.non_embedding_params(scaling.build_model(sizes[0], 64, 32))
    compute = scaling.train_flops(n16, 40 * 32 * 8)
    runs = scaling.isoflop_runs(sizes, compute, ids, val, vocab_size=64, seq_len=32, batch_size=8, progress=False,
                                schedule="constant")
    assert runs[0].steps == 40 and runs[1].steps < 40 and all(r.schedule == "constant" for r in runs)
    assert all(abs(r.flops / compute - 1) < 0.05 for r in runs)


class _DigitTok:
    """A stand-in tokenizer: " 3" is token 3."""
    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": [int(text.strip())]}


# ---- the checks reject plausible wrong answers -----------------------------------------------------------
def _fails(check, *fns, words: str):
    with pytest.raises(CheckFailed) as err:
        check(*fns)
    assert words in str(err.value), str(err.value)


def test_check_exact_dedup():
    checks.check_exact_dedup(crawl.exact_dedup)

    def raw(texts):
        seen, keep = set(), []
        for i, t in enumerate(texts):
            if t not in seen:
                seen.add(t)
                keep.append(i)
        return keep

    def last(texts):
        return sorted({crawl.normalize(t): i for i, t in enumerate(texts)}.values())

    def drop_all(texts):
        keys = [crawl.normalize(t) for t in texts]
        return [i for i, k in enumerate(keys) if keys.count(k) == 1]

    def as_texts(texts):
        return [texts[i] for i in crawl.exact_dedup(texts)]

    def stub(texts):
        raise NotImplementedError("Exercise 1")

    _fails(checks.check_exact_dedup, raw, words="case or spacing")
    _fails(checks.check_exact_dedup, last, words="*last* copy")
    _fails(checks.check_exact_dedup, drop_all, words="dropped every copy")
    _fails(checks.check_exact_dedup, as_texts, words="*indices*")
    _fails(checks.check_exact_dedup, lambda t: list(reversed(crawl.exact_dedup(t))), words="increasing order")
    _fails(checks.check_exact_dedup, stub, words="not implemented yet")


def _dedup_by(key):
    def fn(texts):
        seen, keep = set(), []
        for i, t in enumerate(texts):
            if key(t) not in seen:
                seen.add(key(t))
                keep.append(i)
        return keep
    return fn


@pytest.mark.parametrize("fn, words", [
    (_dedup_by(lambda t: crawl.normalize(t)[:64]), "only the start"),
    (_dedup_by(lambda t: "".join(t.lower().split())), "removed every space"),
    (_dedup_by(lambda t: crawl.normalize(t).encode("ascii", "ignore")), "non-ASCII"),
    (_dedup_by(lambda t: " ".join(t.casefold().split())), "casefold"),
    (lambda texts: [i + 1 for i in crawl.exact_dedup(texts)], "count from 0"),
    (lambda texts: [i for i in crawl.exact_dedup(texts) if texts[i].strip()], "empty document"),
    (lambda texts: set(crawl.exact_dedup(texts)), "a set"),
    (lambda texts: (crawl.exact_dedup(texts), texts.sort())[0], "changed the list"),
])
def test_check_exact_dedup_names_more_bugs(fn, words):
    _fails(checks.check_exact_dedup, fn, words=words)


def test_check_minhash():
    checks.check_minhash(crawl.minhash)
    P = crawl.PRIME
    _fails(checks.check_minhash, lambda x, a, b: ((a[:, None] * x[None, :] + b[:, None]) % P).max(axis=1),
           words="maximum")
    _fails(checks.check_minhash, lambda x, a, b: (a[:, None] * x[None, :] + b[:, None]).min(axis=1),
           words="% PRIME")
    _fails(checks.check_minhash, lambda x, a, b: ((a[:, None] * x[None, :] + b[:, None]) % P).min(axis=0),
           words="axis=1")
    _fails(checks.check_minhash, lambda x, a, b: np.full(len(a), ((a[0] * x + b[0]) % P).min()),
           words="different hash function")
    _fails(checks.check_minhash, lambda x, a, b: ((a[:, None] * x[None, :] + b[:, None]) % (P - 2)).min(axis=1),
           words="entry")


def _table(x, a, b):
    return (a[:, None] * x[None, :] + b[:, None]) % crawl.PRIME


def _minhash_in_place(x, a, b):
    a *= 1
    x.sort()
    return _table(x, a, b).min(axis=1)


@pytest.mark.parametrize("fn, words", [
    (lambda x, a, b: _table(x, a, b).argmin(axis=1), "argmin"),
    (lambda x, a, b: ((a.astype(np.int32)[:, None] * x.astype(np.int32)[None, :] + b.astype(np.int32)[:, None])
                      % np.int32(crawl.PRIME)).min(axis=1), "overflowed"),
    (lambda x, a, b: ((a[:, None] * x[None, :] + b[:, None]) % (1 << 31)).min(axis=1), "mod 2^31"),
    (lambda x, a, b: ((a[:, None] * x[None, :]) % crawl.PRIME + b[:, None]).min(axis=1), "after the modulus"),
    (lambda x, a, b: ((a[:, None] * x[None, :]) % crawl.PRIME).min(axis=1), "left out b"),
    (lambda x, a, b: ((b[:, None] * x[None, :] + a[:, None]) % crawl.PRIME).min(axis=1), "swapped"),
    (lambda x, a, b: _table(x, a, b).min(axis=1).astype(float), "dtype float64"),
    (_minhash_in_place, "in place"),
])
def test_check_minhash_names_more_bugs(fn, words):
    _fails(checks.check_minhash, fn, words=words)


def test_check_compute():
    pf = scaling.pf_days
    checks.check_compute(scaling.train_flops, pf)
    for wrong, words in [(lambda n, d: 2 * n * d, "forward pass only"), (lambda n, d: n * d, "factor 6"),
                         (lambda n, d: 8 * n * d, "8·N·D"), (lambda n, d: 6 * n * n, "linear in both")]:
        _fails(checks.check_compute, wrong, pf, words=words)
    f6 = scaling.train_flops
    for wrong, words in [(lambda c: c / (1e15 * 3600), "hours"), (lambda c: c / 1e15, "seconds"),
                         (lambda c: c / (1e12 * 86400), "teraFLOP"), (lambda c: c * 1e15 * 86400, "8.64e19")]:
        _fails(checks.check_compute, f6, wrong, words=words)


def test_check_compute_optimal():
    checks.check_compute_optimal(scaling.chinchilla_optimal)

    def no_six(c, tokens_per_param=20.0):
        n = (c / tokens_per_param) ** 0.5
        return n, tokens_per_param * n

    def swapped(c, tokens_per_param=20.0):
        n, d = scaling.chinchilla_optimal(c, tokens_per_param)
        return d, n

    def fixed_twenty(c, tokens_per_param=20.0):
        return scaling.chinchilla_optimal(c, 20.0)

    def half(c, tokens_per_param=20.0):
        n = c / (6 * tokens_per_param) / 2
        return n, tokens_per_param * n

    _fails(checks.check_compute_optimal, no_six, words="forgot that C = 6·N·D")
    _fails(checks.check_compute_optimal, swapped, words="(D, N)")
    _fails(checks.check_compute_optimal, fixed_twenty, words="ignore `tokens_per_param`")
    _fails(checks.check_compute_optimal, half, words="spends 6·N·D")

    def default_ten(c, tokens_per_param=10.0):
        return scaling.chinchilla_optimal(c, tokens_per_param)

    def rounded(c, tokens_per_param=20.0):
        n, d = scaling.chinchilla_optimal(c, tokens_per_param)
        return round(n), round(d)

    def billions(c, tokens_per_param=20.0):
        n, d = scaling.chinchilla_optimal(c, tokens_per_param)
        return n / 1e9, d / 1e9

    def no_sqrt(c, tokens_per_param=20.0):
        n = c / (6 * tokens_per_param)
        return n, tokens_per_param * n

    _fails(checks.check_compute_optimal, default_ten, words="the default is")
    _fails(checks.check_compute_optimal, rounded, words="did you round")
    _fails(checks.check_compute_optimal, billions, words="in billions")
    _fails(checks.check_compute_optimal, no_sqrt, words="forgot the square root")
    _fails(checks.check_compute, lambda n, d: 6 * n * d / 1e9, scaling.pf_days, words="billions of FLOPs")
    _fails(checks.check_compute, scaling.train_flops, lambda c: c / (1e15 * 86400 * 365), words="years")


# ---- Exercise: gradient accumulation ---------------------------------------------------------------------
def _acc_correct_sum_then_backward(model, opt, micro, clip):
    opt.zero_grad()
    losses = [model(**b).loss for b in micro]
    (sum(losses) / len(losses)).backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return float(sum(x.item() for x in losses) / len(losses))


def _acc_correct_zero_first_only(model, opt, micro, clip):
    opt.zero_grad(set_to_none=False)
    total = 0.0
    for b in micro:
        loss = model(**b).loss
        (loss / len(micro)).backward()
        total += loss.item() / len(micro)
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return torch.tensor(total)                      # a 0-d tensor is accepted too


def _acc(scale=True, zero_between=False, step_each=False, clip_mode="norm", zero_first=True, zero_end=True,
         returns="mean", divide_by=None, step=True):
    def fn(model, opt, micro, clip):
        if zero_first:
            opt.zero_grad()
        losses = []
        for b in micro:
            if zero_between:
                opt.zero_grad()
            loss = model(**b).loss
            losses.append(loss.item())
            (loss / (divide_by or len(micro)) if scale else loss).backward()
            if clip_mode == "per-micro":
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            if step_each:
                opt.step()
        if clip_mode == "norm":
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        elif clip_mode == "norm-times-k":
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip * len(micro))
        elif clip_mode == "value":
            torch.nn.utils.clip_grad_value_(model.parameters(), clip)
        elif clip_mode == "per-param":
            for p in model.parameters():
                torch.nn.utils.clip_grad_norm_([p], clip)
        if step and not step_each:
            opt.step()
        if clip_mode == "after-step":
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        if zero_end:
            opt.zero_grad()
        return {"mean": sum(losses) / len(losses), "sum": sum(losses), "last": losses[-1]}[returns]
    return fn


def _acc_graph_kept(model, opt, micro, clip):
    opt.zero_grad()
    total = 0
    for b in micro:
        loss = model(**b).loss / len(micro)
        loss.backward(retain_graph=True)
        total = total + loss                          # a tensor: every micro-batch's graph stays alive
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return total


def _acc_concatenated(model, opt, micro, clip):
    opt.zero_grad()
    big = {k: torch.cat([b[k] for b in micro]) for k in micro[0]}
    loss = model(**big).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return loss.item()


def _acc_empties_the_list(model, opt, micro, clip):
    total, k = 0.0, len(micro)
    opt.zero_grad()
    while micro:
        loss = model(**micro.pop(0)).loss / k
        loss.backward()
        total += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return total


def _acc_no_grad_forward(model, opt, micro, clip):
    opt.zero_grad()
    with torch.no_grad():
        losses = [model(**b).loss.item() for b in micro]
    opt.step()
    return sum(losses) / len(losses)


@pytest.mark.parametrize("fn", [scaling.accumulation_step, _acc_correct_zero_first_only, _acc(zero_end=False)])
def test_accumulation_check_accepts_correct_variants(fn):
    assert checks_failure(fn) is None


@pytest.mark.parametrize("fn, words", [
    (_acc(scale=False), "divide each micro-batch's loss"),
    (_acc(divide_by=3), "divided each loss by the micro-batch's size"),
    (_acc(zero_between=True), "only the last micro-batch"),
    (_acc(step_each=True), "once per call"),
    (_acc(clip_mode="none"), "was not clipped"),
    (_acc(clip_mode="after-step"), "was not clipped"),
    (_acc(clip_mode="per-micro"), "clipped after each micro-batch"),
    (_acc(clip_mode="per-param"), "each parameter's gradient on its own"),
    (_acc(clip_mode="value"), "clipped each gradient value"),
    (_acc(zero_first=False, zero_end=False), "second was not"),
    (_acc(zero_first=False), "zero the gradients first"),
    (_acc(returns="sum"), "sum of the micro-batch losses"),
    (_acc(returns="last"), "last micro-batch's loss"),
    (_acc_correct_sum_then_backward, "before back-propagating the previous micro-batch"),
    (_acc_graph_kept, "still holds its autograd graph"),
    (_acc_concatenated, "one concatenated batch"),
    (_acc_empties_the_list, "modified `micro_batches`"),
    (_acc_no_grad_forward, "no gradient reached them"),
    (_acc(clip_mode="norm-times-k"), "not to clip = 0.05"),
    (_acc(step=False), "never stepped"),
])
def test_accumulation_check_names_the_bug(fn, words):
    msg = checks_failure(fn)
    assert msg is not None and words.lower() in msg.lower(), msg


def test_accumulation_check_on_a_stub():
    def stub(model, opt, micro, clip):
        raise NotImplementedError("Exercise 3")
    assert "not implemented yet" in checks_failure(stub)


def checks_failure(fn):
    from llmlab.checks import failure_message
    return failure_message(checks.check_accumulation_step, fn)
