"""llmlab.lab02.attention against torch's SDPA and llmlab.gpt; llmlab.lab02.checks against right and
plausible wrong answers (each must be rejected with the message that names its bug)."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from llmlab.checks import CheckFailed, rejects
from llmlab.lab02 import attention as A
from llmlab.lab02 import checks as C
from llmlab.gpt import CausalSelfAttention, GPTConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")
NEG_INF = float("-inf")


# ---- the references ------------------------------------------------------------------------------
@pytest.mark.parametrize("mask", ["none", "causal", "padding", "causal+padding"])
def test_reference_attention_equals_sdpa(mask):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(3, 2, 6, 8, generator=g) for _ in range(3))
    allowed = {"none": None, "causal": A.causal_allowed(6),
               "padding": A.padding_allowed(torch.tensor([[1] * 6, [1] * 4 + [0] * 2, [1] * 2 + [0] * 4])),
               "causal+padding": A.causal_allowed(6) & A.padding_allowed(torch.tensor([[1] * 6, [1] * 3 + [0] * 3,
                                                                                       [1] + [0] * 5]))}[mask]
    want = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
    torch.testing.assert_close(A.scaled_dot_product_attention(q, k, v, allowed), want, atol=1e-6, rtol=1e-5)


def test_causal_reference_equals_is_causal():
    q, k, v = (torch.randn(2, 4, 7, 16) for _ in range(3))
    torch.testing.assert_close(A.scaled_dot_product_attention(q, k, v, A.causal_allowed(7)),
                               F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=1e-6, rtol=1e-5)


def test_split_and_merge_heads_round_trip():
    x = torch.randn(2, 5, 12)
    heads = A.split_heads(x, 3)
    assert heads.shape == (2, 3, 5, 4)
    torch.testing.assert_close(heads[:, 1], x[..., 4:8])     # head 1 owns channels 4..7
    torch.testing.assert_close(A.merge_heads(heads), x)


def test_reference_mha_equals_gpt_causal_self_attention():
    torch.manual_seed(0)
    attn = CausalSelfAttention(GPTConfig(n_embd=24, n_head=3, block_size=16)).eval()
    x = torch.randn(2, 7, 24)
    mask = torch.tensor([[1] * 7, [1] * 4 + [0] * 3])
    with torch.no_grad():
        for am in (None, mask):
            allowed = A.causal_allowed(7) if am is None else A.causal_allowed(7) & A.padding_allowed(am)
            got = A.multi_head_attention(x, attn.c_attn, attn.c_proj, 3, allowed)
            want = attn(x, am)
            rows = slice(None) if am is None else (mask.bool())  # pad queries differ by design
            torch.testing.assert_close(got[rows], want[rows], atol=1e-6, rtol=1e-5)


def test_use_attention_plugs_a_function_into_gpt():
    from llmlab.gpt import GPT
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=50, block_size=16, n_layer=2, n_head=2, n_embd=16)).eval()
    ids = torch.randint(0, 50, (2, 9))
    with torch.no_grad():
        want = model(ids).logits
        calls = []

        def spy(x, c_attn, c_proj, n_head, allowed):
            calls.append(allowed.shape)
            return A.multi_head_attention(x, c_attn, c_proj, n_head, allowed)
        A.use_attention(model, spy)
        got = model(ids).logits
    assert len(calls) == 2 and calls[0][-2:] == (9, 9)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    with torch.no_grad():   # a wrong function changes the logits: the swap is real
        A.use_attention(model, lambda x, *a: torch.zeros_like(x))
        assert not torch.allclose(model(ids).logits, want, atol=1e-3)


def test_attention_maps_and_token_index():
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast
    from tokenizers import Tokenizer, models, pre_tokenizers
    vocab = {w: i for i, w in enumerate(["[UNK]", "the", "river", "bank", "was", "wet"])}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="[UNK]")
    cfg = BertConfig(vocab_size=6, hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=16)
    cfg._attn_implementation = "eager"
    tokens, att = A.attention_maps(BertModel(cfg).eval(), tok, "the river bank was wet")
    assert tokens == ["the", "river", "bank", "was", "wet"] and att.shape == (2, 2, 5, 5)
    torch.testing.assert_close(att.sum(-1), torch.ones(2, 2, 5))
    assert A.token_index(tokens, "bank") == 2
    with pytest.raises(ValueError, match="not a token"):
        A.token_index(tokens, "money")


# ---- the checks accept right answers -------------------------------------------------------------
def attention_right(q, k, v, allowed=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if allowed is not None:
        scores = scores.masked_fill(~allowed, NEG_INF)
    return torch.softmax(scores, dim=-1) @ v


def attention_renormalised(q, k, v, allowed=None):
    """Mask after the softmax, then renormalise: unusual, but correct."""
    w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)), dim=-1)
    if allowed is not None:
        w = w * allowed
        w = w / w.sum(-1, keepdim=True)
    return w @ v


def mha_right(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    q, k, v = c_attn(x).split(C, dim=-1)
    q, k, v = (t.view(B, T, n_head, C // n_head).transpose(1, 2) for t in (q, k, v))
    y = attention_right(q, k, v, allowed)
    return c_proj(y.transpose(1, 2).reshape(B, T, C))


def test_checks_accept_right_answers(capsys):
    C.check_attention(attention_right)
    C.check_attention(attention_renormalised)
    C.check_attention(A.scaled_dot_product_attention)
    C.check_multi_head_attention(mha_right)
    C.check_multi_head_attention(A.multi_head_attention)
    out = capsys.readouterr().out
    assert out.count("✓") == 5 and "agree with torch.nn.functional.scaled_dot_product_attention" in out


# ---- ... and reject plausible wrong ones, naming the bug ------------------------------------------
def _scores(q, k):
    return q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))


def no_scale(q, k, v, allowed=None):
    s = q @ k.transpose(-2, -1)
    return (s.masked_fill(~allowed, NEG_INF) if allowed is not None else s).softmax(-1) @ v


def scale_d(q, k, v, allowed=None):
    s = q @ k.transpose(-2, -1) / q.size(-1)
    return (s.masked_fill(~allowed, NEG_INF) if allowed is not None else s).softmax(-1) @ v


def mask_after_softmax(q, k, v, allowed=None):
    w = _scores(q, k).softmax(-1)
    return (w * allowed if allowed is not None else w) @ v


def masked_with_zero(q, k, v, allowed=None):
    s = _scores(q, k)
    return (s.masked_fill(~allowed, 0.0) if allowed is not None else s).softmax(-1) @ v


def mask_inverted(q, k, v, allowed=None):
    s = _scores(q, k)
    return (s.masked_fill(allowed, NEG_INF) if allowed is not None else s).softmax(-1) @ v


def mask_ignored(q, k, v, allowed=None):
    return _scores(q, k).softmax(-1) @ v


def wrong_transpose(q, k, v, allowed=None):
    s = k @ q.transpose(-2, -1) / math.sqrt(q.size(-1))
    return (s.masked_fill(~allowed, NEG_INF) if allowed is not None else s).softmax(-1) @ v


def transpose_first_dims(q, k, v, allowed=None):      # .transpose(1, 2) breaks on 3-d inputs
    s = q @ k.transpose(1, 2) / math.sqrt(q.size(-1))
    return (s.masked_fill(~allowed, NEG_INF) if allowed is not None else s).softmax(-1) @ v


def softmax_over_queries(q, k, v, allowed=None):
    s = _scores(q, k)
    return (s.masked_fill(~allowed, NEG_INF) if allowed is not None else s).softmax(-2).nan_to_num(0.0) @ v


def returns_weights(q, k, v, allowed=None):
    s = _scores(q, k)
    return (s.masked_fill(~allowed, NEG_INF) if allowed is not None else s).softmax(-1)


def returns_tuple(q, k, v, allowed=None):
    return attention_right(q, k, v, allowed), None


def in_place(q, k, v, allowed=None):
    q /= math.sqrt(q.size(-1))
    return attention_right(q * math.sqrt(q.size(-1)), k, v, allowed)


def scale_by_value_width(q, k, v, allowed=None):
    s = q @ k.transpose(-2, -1) / math.sqrt(v.size(-1))
    return (s.masked_fill(~allowed, NEG_INF) if allowed is not None else s).softmax(-1) @ v


def stub(q, k, v, allowed=None):
    raise NotImplementedError("Exercise 1: scaled dot-product attention")


def calls_sdpa(q, k, v, allowed=None):
    """Right, but not written by hand: the exercise forbids torch's own SDPA."""
    from torch.nn.functional import scaled_dot_product_attention as sdpa   # bound before the check runs
    return sdpa(q, k, v, attn_mask=allowed)


def float64_scale(q, k, v, allowed=None):
    """Right values, computed "for precision" in float64 and returned so."""
    s = q.double() @ k.double().transpose(-2, -1) / math.sqrt(q.size(-1))
    return (s.masked_fill(~allowed, NEG_INF) if allowed is not None else s).softmax(-1) @ v.double()


def _masked(q, k, allowed, scale=None, fill=NEG_INF):
    s = q @ k.transpose(-2, -1) * (scale if scale is not None else 1 / math.sqrt(q.size(-1)))
    return s.masked_fill(~allowed, fill) if allowed is not None else s


def global_max(q, k, v, allowed=None):
    s = _masked(q, k, allowed)
    e = (s - s.max()).exp()
    return e / e.sum(-1, keepdim=True) @ v


def to_float32(q, k, v, allowed=None):
    return attention_right(q.float(), k.float(), v.float(), allowed)


def calls_aten_math(q, k, v, allowed=None):
    return torch.ops.aten._scaled_dot_product_attention_math(q, k, v, allowed)[0]


def scale_by_sqrt_t(q, k, v, allowed=None):
    return _masked(q, k, allowed, 1 / math.sqrt(q.size(-2))).softmax(-1) @ v


def times_sqrt_d(q, k, v, allowed=None):
    return _masked(q, k, allowed, math.sqrt(q.size(-1))).softmax(-1) @ v


def keys_as_values(q, k, v, allowed=None):
    return _masked(q, k, allowed).softmax(-1) @ k


def mask_transposed(q, k, v, allowed=None):
    if allowed is not None and allowed.dim() >= 2 and allowed.size(-2) == allowed.size(-1):
        allowed = allowed.transpose(-2, -1)
    return _masked(q, k, allowed).softmax(-1) @ v


def always_causal(q, k, v, allowed=None):
    T, S = q.size(-2), k.size(-2)
    causal = torch.ones(T, S, dtype=torch.bool).tril()
    return _masked(q, k, causal if allowed is None else causal & allowed).softmax(-1) @ v


def finite_fill(q, k, v, allowed=None):
    return _masked(q, k, allowed, fill=-100.0).softmax(-1) @ v


def detached_values(q, k, v, allowed=None):
    return _masked(q, k, allowed).softmax(-1) @ v.detach()


def through_numpy(q, k, v, allowed=None):
    import numpy as np
    s = _masked(q, k, allowed).numpy()
    w = np.exp(s - s.max(-1, keepdims=True))
    return torch.from_numpy(w / w.sum(-1, keepdims=True)) @ v


@pytest.mark.parametrize("fn, words", [
    (global_max, "one maximum for the whole tensor"),
    (to_float32, "expected torch.float64"),
    (calls_aten_math, "calls torch's scaled_dot_product_attention"),
    (scale_by_sqrt_t, "square root of the sequence length"),
    (times_sqrt_d, "multiplied the scores by √d"),
    (keys_as_values, "multiplied the weights by k"),
    (mask_transposed, "mask is transposed"),
    (always_causal, "causal mask of your own"),
    (finite_fill, "finite number (-100)"),
    (detached_values, "no gradient reaches `v`"),
    (through_numpy, "numpy"),
])
def test_attention_check_names_more_bugs(fn, words):
    rejects(C.check_attention, fn, words)


@pytest.mark.parametrize("fn, words", [
    (no_scale, "did not divide the scores by √d"),
    (scale_d, "divided the scores by d;"),
    (mask_after_softmax, "mask after the softmax"),
    (masked_with_zero, "filled disallowed scores with 0"),
    (mask_inverted, "mask is inverted"),
    (mask_ignored, "mask had no effect"),
    (wrong_transpose, "scores are transposed"),
    (transpose_first_dims, "transpose on the wrong dimensions"),
    (softmax_over_queries, "softmax over the wrong dimension"),
    (returns_weights, "shape of the attention weights"),
    (returns_tuple, "returned a tuple"),
    (in_place, "modified an input tensor in place"),
    (scale_by_value_width, "width of v"),
    (stub, "not implemented yet"),
    (calls_sdpa, "calls torch's scaled_dot_product_attention"),
    (float64_scale, "expected torch.float32, the dtype of q, k and v"),
])
def test_attention_check_rejects_wrong_answers(fn, words):
    with pytest.raises(CheckFailed, match=words.replace("(", r"\(").replace(".", r"\.")):
        C.check_attention(fn, name="Exercise 1")


def _split(x, c_attn, n_head):
    B, T, C = x.shape
    return [t.view(B, T, n_head, C // n_head).transpose(1, 2) for t in c_attn(x).split(C, dim=-1)]


def heads_not_split(x, c_attn, c_proj, n_head, allowed=None):
    q, k, v = c_attn(x).split(x.size(-1), dim=-1)
    if allowed is not None and allowed.dim() == 4:
        allowed = allowed[:, 0]
    return c_proj(attention_right(q, k, v, allowed))


def scale_by_c(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    q, k, v = _split(x, c_attn, n_head)
    s = q @ k.transpose(-2, -1) / math.sqrt(C)
    s = s.masked_fill(~allowed, NEG_INF) if allowed is not None else s
    return c_proj((s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, C))


def split_without_transpose(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    q, k, v = (t.reshape(B, n_head, T, C // n_head) for t in c_attn(x).split(C, dim=-1))
    return c_proj(attention_right(q, k, v, allowed).transpose(1, 2).reshape(B, T, C))


def merge_without_transpose(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    q, k, v = _split(x, c_attn, n_head)
    return c_proj(attention_right(q, k, v, allowed).reshape(B, T, C))


def split_per_head(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    q, k, v = (t.transpose(1, 2) for t in c_attn(x).view(B, T, n_head, 3 * C // n_head).split(C // n_head, -1))
    return c_proj(attention_right(q, k, v, allowed).transpose(1, 2).reshape(B, T, C))


def no_projection(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    q, k, v = _split(x, c_attn, n_head)
    return attention_right(q, k, v, allowed).transpose(1, 2).reshape(B, T, C)


def qk_swapped(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    k, q, v = _split(x, c_attn, n_head)
    return c_proj(attention_right(q, k, v, allowed).transpose(1, 2).reshape(B, T, C))


def mha_mask_ignored(x, c_attn, c_proj, n_head, allowed=None):
    return mha_right(x, c_attn, c_proj, n_head, None)


def heads_interleaved(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    q, k, v = (t.view(B, T, C // n_head, n_head).permute(0, 3, 1, 2) for t in c_attn(x).split(C, dim=-1))
    return c_proj(attention_right(q, k, v, allowed).permute(0, 2, 3, 1).reshape(B, T, C))


def mha_to_float32(x, c_attn, c_proj, n_head, allowed=None):
    return mha_right(x, c_attn, c_proj, n_head, allowed).float()


def per_head_output(x, c_attn, c_proj, n_head, allowed=None):
    q, k, v = _split(x, c_attn, n_head)
    return attention_right(q, k, v, allowed)


@pytest.mark.parametrize("fn, words", [
    (heads_not_split, "one attention over all C channels"),
    (scale_by_c, "scaled the scores by 1/√C"),
    (split_without_transpose, "split with a reshape to \\(B, n_head, T, D\\) directly"),
    (merge_without_transpose, "merged with a reshape"),
    (split_per_head, "cut per head"),
    (no_projection, "forgot the output projection"),
    (qk_swapped, "q and k are swapped"),
    (mha_mask_ignored, "mask had no effect"),
    (per_head_output, "one output per head"),
    (heads_interleaved, "every n_head-th channel"),
    (mha_to_float32, "expected torch.float64"),
])
def test_mha_check_rejects_wrong_answers(fn, words):
    with pytest.raises(CheckFailed, match=words):
        C.check_multi_head_attention(fn, name="Exercise 2")


def test_gpt_attention_maps_equal_hf_gpt2_attentions():
    """Weights recomputed from llmlab.gpt's blocks == the ones HF GPT-2 (eager) returns."""
    from transformers import GPT2Config, GPT2LMHeadModel
    from llmlab.gpt import GPT
    torch.manual_seed(0)
    cfg = GPT2Config(vocab_size=50, n_positions=16, n_embd=16, n_layer=2, n_head=2)
    cfg._attn_implementation = "eager"
    hf = GPT2LMHeadModel(cfg).eval()
    ids = torch.randint(0, 50, (1, 7))
    with torch.no_grad():
        want = torch.stack([a[0] for a in hf(ids, output_attentions=True).attentions])
    got = A.gpt_attention_maps(GPT.from_hf(hf).eval(), ids)
    assert got.shape == (2, 2, 7, 7)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)


def test_head_roles_on_uniform_and_previous_token_heads():
    """head_roles against attention we can write down: with q = k = 0 every query attends uniformly to
    its t+1 keys (previous = first = itself = 1/(t+1), entropy log2(t+1)); with a large positive score only
    on key t-1 (a hand-built previous-token head) the previous-token share is ~1 and the entropy ~0."""
    from llmlab.gpt import GPT
    torch.manual_seed(0)
    T, N = 12, 3
    model = GPT(GPTConfig(vocab_size=50, block_size=T, n_layer=1, n_head=2, n_embd=8)).eval()
    C = 8
    with torch.no_grad():
        model.h[0].attn.c_attn.weight[:2 * C].zero_()      # q and k weights ...
        model.h[0].attn.c_attn.bias[:2 * C].zero_()        # ... and biases: every score is 0
    windows = torch.randint(0, 50, (N, T))
    roles = A.head_roles(model, windows)
    t = torch.arange(2, T, dtype=torch.float)
    assert len(roles) == 2 and {r["block"] for r in roles} == {1}
    for r in roles:
        assert r["previous token"] == pytest.approx(float((1 / (t + 1)).mean()), abs=1e-6)
        assert r["first token"] == pytest.approx(r["previous token"], abs=1e-6)
        assert r["itself"] == pytest.approx(r["previous token"], abs=1e-6)
        assert r["entropy (bits)"] == pytest.approx(float(torch.log2(t + 1).mean()), abs=1e-5)

    # a previous-token head: position embeddings one-hot-ish, q of position t matches k of position t-1
    model = GPT(GPTConfig(vocab_size=50, block_size=T, n_layer=1, n_head=1, n_embd=2 * T, bias=False)).eval()
    D = 2 * T
    with torch.no_grad():
        model.wte.weight.zero_()
        model.wpe.weight.copy_(torch.eye(T, D) * 10)                     # position t -> 10·e_t
        W = model.h[0].attn.c_attn.weight                                # (3D, D): q, k, v rows
        W.zero_()
        for pos in range(1, T):
            W[pos - 1, pos] = 10.0                                       # q_t = 10·(LN output) on e_{t-1}
        W[D:2 * D, :D] = torch.eye(D)                                    # k_t = LN output ~ e_t
    roles = A.head_roles(model, torch.randint(0, 50, (N, T)))
    assert roles[0]["previous token"] > 0.95 and roles[0]["entropy (bits)"] < 0.3
