"""llmlab.lab01.sampling against Hugging Face's logits processors and generate; llmlab.lab01.checks
against the reference and against plausible wrong answers."""
from __future__ import annotations

import pytest
import torch
from transformers import (GPT2Config, GPT2LMHeadModel, LogitsProcessorList, RepetitionPenaltyLogitsProcessor,
                          TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper)

from llmlab.checks import CheckFailed
from llmlab.lab01 import checks as C
from llmlab.lab01 import sampling as S

NEG_INF = float("-inf")
N_CASES = 250


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def random_logits(g: torch.Generator, i: int) -> torch.Tensor:
    """Case i of a family mixing plain, tied, -inf-holding, negative and uniform rows."""
    B, V = 1 + i % 4, 1 + (i * 7) % 50
    kind = i % 5
    if kind == 1:  # exact ties
        return torch.randint(-2, 3, (B, V), generator=g).float()
    if kind == 4:  # uniform rows (V a power of two makes top-p crossings exact)
        return torch.zeros(B, 2 ** (1 + i % 4))
    x = torch.randn(B, V, generator=g) * (0.3 + 4 * torch.rand(1, generator=g).item())
    if kind == 2:
        drop = torch.rand(B, V, generator=g) < 0.4
        drop[:, 0] = False
        x = x.masked_fill(drop, NEG_INF)
    if kind == 3:
        x = -x.abs() - 0.01
    return x


# ------------------------------------------------------------------------------------------------
# (a) the reference implementations equal HF's processors


def test_temperature_equals_hf():
    g = torch.Generator().manual_seed(0)
    for i in range(N_CASES):
        x = random_logits(g, i)
        t = float(torch.empty(1).uniform_(0.05, 5.0, generator=g)) if i % 3 else [0.5, 1.0, 2.0][i % 9 // 3]
        before = x.clone()
        assert torch.equal(S.temperature(x, t), TemperatureLogitsWarper(t)(None, x.clone())), (i, t)
        assert torch.equal(x, before)
    for bad in (0.0, -0.5):
        with pytest.raises(ValueError, match="greedy"):
            S.temperature(torch.zeros(1, 3), bad)


def test_top_k_equals_hf():
    g = torch.Generator().manual_seed(1)
    for i in range(N_CASES):
        x = random_logits(g, i)
        k = 1 + int(torch.randint(0, x.shape[-1] + 4, (1,), generator=g))  # includes k > V
        before = x.clone()
        assert torch.equal(S.top_k(x, k), TopKLogitsWarper(k)(None, x.clone())), (i, k)
        assert torch.equal(x, before)
    # ties at the k-th value are all kept; filter_value is honoured
    x = torch.tensor([[3.0, 2.0, 2.0, 2.0, 1.0]])
    assert torch.equal(S.top_k(x, 2) > NEG_INF, torch.tensor([[True, True, True, True, False]]))
    assert torch.equal(S.top_k(x, 1, filter_value=-100.0), TopKLogitsWarper(1, filter_value=-100.0)(None, x))
    assert torch.equal(S.top_k(x, 99), x)


def test_top_p_equals_hf():
    g = torch.Generator().manual_seed(2)
    ps = [1.0, 1e-6, 0.5, 0.25, 0.75, 0.9, 0.95]
    for i in range(N_CASES):
        x = random_logits(g, i)
        p = ps[i % len(ps)] if i % 2 else float(torch.rand(1, generator=g))
        keep = 1 + (i % 11 == 0) * 2
        before = x.clone()
        ours = S.top_p(x, p, min_tokens_to_keep=keep)
        hf = TopPLogitsWarper(p, min_tokens_to_keep=keep)(None, x.clone())
        assert torch.equal(ours, hf), (i, p, keep)
        assert torch.equal(x, before)
    # the crossing token is kept; an exact crossing stops there; p = 1 keeps all
    probs = torch.tensor([[0.5, 0.3, 0.2]])
    assert (S.top_p(probs.log(), 0.6) > NEG_INF).sum() == 2
    assert (S.top_p(torch.zeros(1, 4), 0.5) > NEG_INF).sum() == 2
    assert (S.top_p(torch.zeros(1, 4), 0.3) > NEG_INF).sum() == 2
    assert torch.equal(S.top_p(torch.tensor([[1.0, -2.0, 0.0]]), 1.0), torch.tensor([[1.0, -2.0, 0.0]]))
    assert (S.top_p(torch.tensor([[0.0, 3.0, 1.0]]), 1e-6) > NEG_INF).tolist() == [[False, True, False]]


def test_repetition_penalty_equals_hf():
    g = torch.Generator().manual_seed(3)
    for i in range(N_CASES):
        x = random_logits(g, i)
        B, V = x.shape
        ids = torch.randint(0, V, (B, 1 + i % 12), generator=g)
        pen = [1.2, 2.0, 0.7, 1.0, 1.5][i % 5]
        before = x.clone()
        ours = S.repetition_penalty(x, ids, pen)
        hf = RepetitionPenaltyLogitsProcessor(pen)(ids, x.clone())
        assert torch.equal(ours, hf), (i, pen)
        assert torch.equal(x, before)
    out = S.repetition_penalty(torch.tensor([[2.0, -2.0, 1.0]]), torch.tensor([[0, 0, 1]]), 2.0)
    assert out.tolist() == [[1.0, -4.0, 1.0]]  # once per token, negative multiplied


def test_greedy_and_sample():
    g = torch.Generator().manual_seed(4)
    for i in range(50):
        x = random_logits(g, i)
        assert torch.equal(S.greedy(x), x.argmax(-1))
    x = torch.tensor([[0.0, 1.0, NEG_INF, 2.0]]).repeat(20000, 1)
    ids = S.sample(x, torch.Generator().manual_seed(0))
    assert ids.shape == (20000,) and ids.dtype == torch.long
    assert not (ids == 2).any()
    freq = torch.bincount(ids, minlength=4).double() / len(ids)
    assert torch.allclose(freq, x[0].double().softmax(-1), atol=0.015)
    # same generator seed, same draws; same as the global RNG with that seed
    assert torch.equal(S.sample(x[:50], torch.Generator().manual_seed(5)),
                       S.sample(x[:50], torch.Generator().manual_seed(5)))


def test_processors_order_and_skips():
    procs = S.processors(temperature=0.7, top_k=5, top_p=0.9, repetition_penalty=1.3)
    assert [p.fn.__name__ for p in procs] == ["repetition_penalty", "temperature", "top_k", "top_p"]
    assert len(S.processors(temperature=1.0, top_k=0, top_p=1.0, repetition_penalty=1.0)) == 0
    hf = LogitsProcessorList([RepetitionPenaltyLogitsProcessor(1.3), TemperatureLogitsWarper(0.7),
                              TopKLogitsWarper(5), TopPLogitsWarper(0.9)])
    g = torch.Generator().manual_seed(6)
    for i in range(40):
        x = random_logits(g, i)
        ids = torch.randint(0, x.shape[-1], (x.shape[0], 6), generator=g)
        assert torch.equal(procs(ids, x.clone()), hf(ids, x.clone())), i


# ------------------------------------------------------------------------------------------------
# (b) plugging into model.generate; the explicit decode loop reproduces it


@pytest.fixture(scope="module")
def tiny_gpt2():
    torch.manual_seed(0)
    cfg = GPT2Config(vocab_size=50, n_embd=32, n_layer=2, n_head=2, n_positions=64,
                     bos_token_id=0, eos_token_id=1, pad_token_id=1)
    model = GPT2LMHeadModel(cfg).eval()
    model.generation_config.pad_token_id = 1
    return model


def _prompt(B: int = 3, T: int = 5, seed: int = 0) -> torch.Tensor:
    return torch.randint(2, 50, (B, T), generator=torch.Generator().manual_seed(seed))


def test_as_processor_inside_generate(tiny_gpt2):
    ids = _prompt()
    common = dict(max_new_tokens=10, eos_token_id=None, pad_token_id=1)
    hf = tiny_gpt2.generate(ids, do_sample=False, repetition_penalty=1.5, **common)
    ours = tiny_gpt2.generate(ids, do_sample=False, logits_processor=LogitsProcessorList(
        [S.as_processor(S.repetition_penalty, penalty=1.5)]), **common)
    assert torch.equal(hf, ours)
    assert not torch.equal(hf, tiny_gpt2.generate(ids, do_sample=False, **common))  # the penalty mattered
    for seed in range(3):
        torch.manual_seed(seed)
        hf = tiny_gpt2.generate(ids, do_sample=True, temperature=0.8, top_k=8, top_p=0.9, **common)
        torch.manual_seed(seed)
        ours = tiny_gpt2.generate(ids, do_sample=True, logits_processor=S.processors(
            temperature=0.8, top_k=8, top_p=0.9), **common)
        assert torch.equal(hf, ours), seed


def test_generate_greedy_equals_hf(tiny_gpt2):
    ids = _prompt(seed=1)
    for kw in (dict(), dict(repetition_penalty=1.3)):
        hf = tiny_gpt2.generate(ids, max_new_tokens=15, do_sample=False, eos_token_id=None, pad_token_id=1, **kw)
        ours = S.generate(tiny_gpt2, ids, 15, do_sample=False, **kw)
        assert torch.equal(hf, ours), kw
    # stopping at EOS: finished rows are padded, the loop ends when all rows are done
    eos = [3, 4, 5, 6, 7]
    hf = tiny_gpt2.generate(ids, max_new_tokens=40, do_sample=False, eos_token_id=eos, pad_token_id=1)
    ours = S.generate(tiny_gpt2, ids, 40, do_sample=False, eos_token_id=eos, pad_token_id=1)
    assert torch.equal(hf, ours)


@pytest.mark.parametrize("kw", [dict(), dict(temperature=0.7, top_k=10),
                                dict(top_p=0.8, repetition_penalty=1.3),
                                dict(temperature=1.5, top_k=20, top_p=0.9, repetition_penalty=1.2)])
def test_generate_sampling_same_seed_same_tokens(tiny_gpt2, kw):
    ids = _prompt(seed=2)
    torch.manual_seed(11)
    hf = tiny_gpt2.generate(ids, max_new_tokens=12, do_sample=True, eos_token_id=None, pad_token_id=1, **kw)
    torch.manual_seed(11)
    ours = S.generate(tiny_gpt2, ids, 12, **kw)
    assert torch.equal(hf, ours)


def test_generate_eos_and_left_padding_match_hf(tiny_gpt2):
    ids = _prompt(seed=3)
    torch.manual_seed(2)
    hf = tiny_gpt2.generate(ids, max_new_tokens=30, do_sample=True, eos_token_id=[3, 4, 5], pad_token_id=1)
    torch.manual_seed(2)
    ours = S.generate(tiny_gpt2, ids, 30, eos_token_id=[3, 4, 5], pad_token_id=1)
    assert torch.equal(hf, ours) and hf.shape[1] < 35  # stopped early
    mask = torch.ones_like(ids)
    mask[0, :2] = 0
    mask[1, :1] = 0
    padded = ids.masked_fill(mask == 0, 1)
    torch.manual_seed(3)
    hf = tiny_gpt2.generate(padded, attention_mask=mask, max_new_tokens=12, do_sample=True,
                            repetition_penalty=1.5, eos_token_id=None, pad_token_id=1)
    torch.manual_seed(3)
    ours = S.generate(tiny_gpt2, padded, 12, repetition_penalty=1.5, attention_mask=mask)
    assert torch.equal(hf, ours)


def test_generate_with_student_functions_and_generator(tiny_gpt2):
    ids = _prompt(B=2, seed=4)
    a = S.generate(tiny_gpt2, ids, 8, top_k=5, generator=torch.Generator().manual_seed(1))
    b = S.generate(tiny_gpt2, ids, 8, top_k=5, impl={"top_k": lambda logits, k: S.top_k(logits, k)},
                   generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.shape == (2, 13)


# ------------------------------------------------------------------------------------------------
# (c) the checks accept the reference and reject plausible wrong answers with the right hint


def _kth(x, k):
    return x.topk(min(k, x.shape[-1]), dim=-1).values[..., -1:]


# temperature
def temp_multiplies(x, t):
    return x * t


def temp_in_place(x, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    x /= t
    return x


def temp_probs(x, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    return torch.softmax(x / t, dim=-1)


def temp_no_guard(x, t):
    return x / t


def temp_log_softmax(x, t):
    if t <= 0:
        raise ValueError("t must be > 0")
    return torch.log_softmax(x / t, dim=-1)


# top-k
def topk_strict(x, k):
    return x.masked_fill(~(x > _kth(x, k)), NEG_INF)


def topk_exactly_k(x, k):
    idx = x.topk(min(k, x.shape[-1]), dim=-1).indices
    keep = torch.zeros_like(x, dtype=torch.bool).scatter(-1, idx, True)
    return x.masked_fill(~keep, NEG_INF)


def topk_in_place(x, k):
    x[x < _kth(x, k)] = NEG_INF
    return x


def topk_no_clamp(x, k):
    kth = x.topk(k, dim=-1).values[..., -1:]
    return x.masked_fill(x < kth, NEG_INF)


def topk_zero_fill(x, k):
    return x.masked_fill(x < _kth(x, k), 0.0)


def topk_probs(x, k):
    return torch.softmax(x.masked_fill(x < _kth(x, k), NEG_INF), dim=-1)


def topk_sorted(x, k):
    s = x.sort(dim=-1, descending=True).values
    s[..., k:] = NEG_INF
    return s


def topk_off_by_one(x, k):
    s = x.sort(dim=-1, descending=True).values
    kth = s[..., min(k, x.shape[-1] - 1)][..., None]
    return x.masked_fill(x < kth, NEG_INF)


def topk_smallest(x, k):
    kth = x.topk(min(k, x.shape[-1]), dim=-1, largest=False).values[..., -1:]
    return x.masked_fill(x > kth, NEG_INF)


# top-p (the usual student form: sort descending, cumulative sum)
def _desc(x):
    s, idx = x.sort(dim=-1, descending=True)
    probs = s.softmax(-1)
    return s, idx, probs, probs.cumsum(-1)


def topp_right(x, p):
    s, idx, probs, cum = _desc(x)
    remove = (cum - probs) >= p
    remove[..., 0] = False
    return x.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


def topp_without_crossing(x, p):
    s, idx, probs, cum = _desc(x)
    remove = cum > p
    remove[..., 0] = False
    return x.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


def topp_strict(x, p):  # the shift-right form: stops only once mass > p
    s, idx, probs, cum = _desc(x)
    remove = cum > p
    remove[..., 1:] = remove[..., :-1].clone()
    remove[..., 0] = False
    return x.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


def topp_never_unsorted(x, p):
    s, idx, probs, cum = _desc(x)
    remove = (cum - probs) >= p
    return s.masked_fill(remove, NEG_INF)


def topp_gather_unsort(x, p):
    s, idx, probs, cum = _desc(x)
    remove = (cum - probs) >= p
    return x.masked_fill(remove.gather(-1, idx), NEG_INF)


def topp_in_place(x, p):
    s, idx, probs, cum = _desc(x)
    remove = (cum - probs) >= p
    x.masked_fill_(remove.scatter(-1, idx, remove), NEG_INF)
    return x


def topp_probs(x, p):
    return torch.softmax(topp_right(x, p), dim=-1)


def topp_cumsum_logits(x, p):
    s, idx = x.sort(dim=-1, descending=True)
    cum = s.cumsum(-1)
    remove = (cum - s) >= p
    remove[..., 0] = False
    return x.masked_fill(remove.scatter(-1, idx, remove), NEG_INF)


# repetition penalty
def rep_all_tokens(x, ids, pen):
    return torch.where(x < 0, x * pen, x / pen)


def rep_sign_bug(x, ids, pen):
    seen = x.gather(-1, ids)
    return x.scatter(-1, ids, seen / pen)


def rep_multiplies(x, ids, pen):
    seen = x.gather(-1, ids)
    return x.scatter(-1, ids, torch.where(seen < 0, seen * pen, seen * pen))


def rep_twice(x, ids, pen):
    out = x.clone()
    for b in range(ids.shape[0]):
        for tok in ids[b].tolist():
            v = out[b, tok]
            out[b, tok] = v * pen if v < 0 else v / pen
    return out


def rep_in_place(x, ids, pen):
    seen = x.gather(-1, ids)
    x.scatter_(-1, ids, torch.where(seen < 0, seen * pen, seen / pen))
    return x


def rep_first_row_only(x, ids, pen):
    rows = ids[:1].expand_as(ids)
    seen = x.gather(-1, rows)
    return x.scatter(-1, rows, torch.where(seen < 0, seen * pen, seen / pen))


def rep_probs(x, ids, pen):
    return torch.softmax(S.repetition_penalty(x, ids, pen), dim=-1)


# greedy and sampling
def greedy_values(x):
    return x.max(dim=-1).values


def greedy_keepdim(x):
    return x.argmax(dim=-1, keepdim=True)


def greedy_argmin(x):
    return x.argmin(dim=-1)


def sample_greedy(x, generator=None):
    return x.argmax(-1)


def sample_ignores_generator(x, generator=None):
    return torch.multinomial(x.softmax(-1), 1).squeeze(-1)


def sample_keepdim(x, generator=None):
    return torch.multinomial(x.softmax(-1), 1, generator=generator)


def sample_proportional_to_logits(x, generator=None):
    return torch.multinomial(torch.relu(x) + 1e-6 * torch.isfinite(x), 1, generator=generator).squeeze(-1)


def sample_uniform(x, generator=None):
    return torch.multinomial(torch.isfinite(x).float(), 1, generator=generator).squeeze(-1)


def topp_empty_at_zero(x, p):
    """Exclusive cumsum with a strict `<`: right for every p > 0, but p = 0 keeps nothing."""
    probs, idx = torch.sort(x.softmax(-1), dim=-1, descending=True)
    keep_sorted = (probs.cumsum(-1) - probs) < p
    return x.masked_fill(~keep_sorted.scatter(-1, idx, keep_sorted), float("-inf"))


def sample_fixed_seed(x, generator=None):
    """Reproducible, but the same for every seed: it ignores the generator it is given."""
    return torch.multinomial(x.softmax(-1), 1, generator=torch.Generator().manual_seed(0)).squeeze(-1)


def temp_float64(x, t):
    return x.double() / t


def temp_assert(x, t):
    assert t > 0, "temperature must be positive"
    return x / t


def temp_refuses_large(x, t):
    if not 0 < t <= 5:
        raise ValueError("temperature out of range")
    return x / t


def temp_returns_input_at_one(x, t):
    if t <= 0:
        raise ValueError(t)
    return x if t == 1 else x / t


def topk_returns_input_when_all_kept(x, k):
    return x if k >= x.size(-1) else S.top_k(x, k)


def topp_float16(x, p):
    probs, idx = torch.sort(x.half().softmax(-1), dim=-1, descending=True)
    remove_sorted = (probs.cumsum(-1) - probs) >= p
    remove_sorted[..., 0] = False
    return x.masked_fill(remove_sorted.scatter(-1, idx, remove_sorted), float("-inf"))


WRONG = [
    (C.check_temperature, temp_assert, "raise a ValueError"),
    (C.check_temperature, temp_refuses_large, "t = 10.0"),
    (C.check_temperature, temp_returns_input_at_one, "returned the input tensor itself"),
    (C.check_top_k, topk_returns_input_when_all_kept, "returned the input tensor itself"),
    (C.check_top_p, topp_float16, "float16 probabilities"),
    (C.check_temperature, temp_multiplies, "multiplied the logits by t instead of dividing"),
    (C.check_temperature, temp_in_place, "modified `logits` in place"),
    (C.check_temperature, temp_probs, "returned probabilities, not logits"),
    (C.check_temperature, temp_no_guard, "should raise an error"),
    (C.check_temperature, temp_log_softmax, "log-softmax"),
    (C.check_top_k, topk_strict, "`>` instead of `>=`"),
    (C.check_top_k, topk_exactly_k, "tied at the k-th largest"),
    (C.check_top_k, topk_in_place, "modified `logits` in place"),
    (C.check_top_k, topk_no_clamp, "clamp it, k = min(k, logits.size(-1))"),
    (C.check_top_k, topk_zero_fill, "must be set to -inf"),
    (C.check_top_k, topk_probs, "returned probabilities, not logits"),
    (C.check_top_k, topk_sorted, "you sorted but never un-sorted"),
    (C.check_top_k, topk_off_by_one, "Off by one"),
    (C.check_top_k, topk_smallest, "*smallest*"),
    (C.check_top_p, topp_without_crossing, "did you include the token that crosses p?"),
    (C.check_top_p, topp_without_crossing, "cumulative mass is ≤ p only"),
    (C.check_top_p, topp_strict, "not `> p`"),
    (C.check_top_p, topp_never_unsorted, "you sorted but never un-sorted"),
    (C.check_top_p, topp_gather_unsort, "scatter"),
    (C.check_top_p, topp_in_place, "modified `logits` in place"),
    (C.check_top_p, topp_probs, "returned probabilities, not logits"),
    (C.check_top_p, topp_cumsum_logits, "Accumulate *probabilities*"),
    (C.check_repetition_penalty, rep_all_tokens, "never appeared in input_ids"),
    (C.check_repetition_penalty, rep_sign_bug, "sign bug"),
    (C.check_repetition_penalty, rep_multiplies, "multiplied instead of dividing positive logits"),
    (C.check_repetition_penalty, rep_twice, "penalised a token twice because it appeared twice"),
    (C.check_repetition_penalty, rep_in_place, "modified `logits` in place"),
    (C.check_repetition_penalty, rep_first_row_only, "another row's input_ids"),
    (C.check_repetition_penalty, rep_probs, "returned probabilities, not logits"),
    (C.check_greedy, greedy_values, "not its index"),
    (C.check_greedy, greedy_keepdim, "drop the last dimension"),
    (C.check_greedy, greedy_argmin, "argmin"),
    (C.check_sample, sample_greedy, "greedy decoding"),
    (C.check_sample, sample_ignores_generator, "pass `generator` on"),
    (C.check_sample, sample_keepdim, ".squeeze(-1)"),
    (C.check_sample, sample_proportional_to_logits, "in proportion to the logits"),
    (C.check_sample, sample_uniform, "uniformly"),
    (C.check_top_p, topp_empty_at_zero, "kept no token at all"),
    (C.check_sample, sample_fixed_seed, "ignores the generator"),
    (C.check_temperature, temp_float64, "expected torch.float32, the dtype of the input"),
]


@pytest.mark.parametrize("check, reference", [
    (C.check_temperature, S.temperature), (C.check_top_k, S.top_k), (C.check_top_p, S.top_p),
    (C.check_top_p, topp_right), (C.check_repetition_penalty, S.repetition_penalty),
    (C.check_repetition_penalty, lambda x, ids, pen: RepetitionPenaltyLogitsProcessor(pen)(ids, x)),
    (C.check_greedy, S.greedy), (C.check_sample, S.sample)])
def test_checks_accept_reference(check, reference, capsys):
    threads = torch.get_num_threads()
    check(reference)
    out = capsys.readouterr().out
    assert out.startswith("✓") and "cases" in out or "checks passed" in out
    assert torch.get_num_threads() == threads  # the check restores the thread setting


@pytest.mark.parametrize("check, wrong, hint", WRONG, ids=[f"{c.__name__}-{w.__name__}" for c, w, _ in WRONG])
def test_checks_reject_wrong_answers(check, wrong, hint):
    with pytest.raises(CheckFailed) as err:
        check(wrong)
    assert hint in str(err.value), str(err.value)
    assert str(err.value).startswith("✗ ")


# ------------------------------------------------------------------------------------------------
# (d) an unfilled exercise stub


@pytest.mark.parametrize("check", [C.check_temperature, C.check_top_k, C.check_top_p, C.check_repetition_penalty,
                                   C.check_greedy, C.check_sample])
def test_stub_is_reported_not_implemented(check):
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise 2: top-k")

    def stub_with_generator(logits, generator=None):
        raise NotImplementedError("Exercise 2: top-k")

    with pytest.raises(CheckFailed, match="not implemented yet") as err:
        check(stub_with_generator if check is C.check_sample else stub)
    assert "Exercise 2: top-k" in str(err.value)


# ------------------------------------------------------------------------------------------------
# (e) metrics and explorer helpers


def test_distinct_n():
    assert S.distinct_n(["a b c", "a b d"], 1) == pytest.approx(4 / 6)
    assert S.distinct_n(["a b c", "a b d"], 2) == pytest.approx(3 / 4)
    assert S.distinct_n(["x y z w"], 2) == 1.0
    assert S.distinct_n(["the the the"], 1) == pytest.approx(1 / 3)
    assert S.distinct_n(["one", ""], 2) == 0.0
    with pytest.raises(ValueError):
        S.distinct_n(["a"], 0)


def test_repeated_ngram_rate():
    assert S.repeated_ngram_rate("the cat the cat the cat", 2) == pytest.approx(3 / 5)
    assert S.repeated_ngram_rate("a b c d", 1) == 0.0
    assert S.repeated_ngram_rate("a a a", 1) == pytest.approx(2 / 3)
    assert S.repeated_ngram_rate(torch.tensor([5, 6, 5, 6, 7]), 2) == pytest.approx(1 / 4)
    assert S.repeated_ngram_rate([1, 2, 3], 2) == 0.0
    assert S.repeated_ngram_rate("short", 3) == 0.0


def test_kept_mask_and_table():
    logits = torch.tensor([2.0, 1.0, 0.0, -1.0, -2.0])
    assert S.kept_mask(logits).all()
    assert S.kept_mask(logits, top_k=2).tolist() == [True, True, False, False, False]
    assert S.kept_mask(logits, temperature=0.1, top_p=0.9).tolist() == [True, False, False, False, False]
    assert S.kept_mask(logits[None], top_p=0.9).shape == (1, 5)

    class Tok:
        def decode(self, ids):
            return "tok" + str(ids[0])

    rows = S.next_token_table(logits.softmax(-1), Tok(), n=3, kept=S.kept_mask(logits, top_k=1))
    assert [r["token"] for r in rows] == ["tok0", "tok1", "tok2"]
    assert [r["kept"] for r in rows] == [True, False, False]
    assert rows[0]["prob"] == pytest.approx(logits.softmax(-1)[0].item())
    assert "tok0" in S.format_table(rows)
