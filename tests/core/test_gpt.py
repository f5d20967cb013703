"""llmlab.gpt against Hugging Face GPT-2 with the same weights: whole model, padded batches, one block."""
from __future__ import annotations

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel
from transformers.models.gpt2.modeling_gpt2 import GPT2Block

from llmlab.gpt import GPT, Block, GPTConfig, causal_mask, manual_attention

pytestmark = pytest.mark.usefixtures("one_torch_thread")
ATOL = 1e-5


def hf_gpt2(attn: str = "eager", seed: int = 0, **overrides) -> GPT2LMHeadModel:
    torch.manual_seed(seed)
    cfg = GPT2Config(vocab_size=97, n_positions=32, n_embd=48, n_layer=3, n_head=4, resid_pdrop=0.0,
                     embd_pdrop=0.0, attn_pdrop=0.0, **overrides)
    cfg._attn_implementation = attn
    model = GPT2LMHeadModel(cfg).eval()
    with torch.no_grad():   # make biases and LayerNorm affine non-trivial, so a dropped copy shows
        for name, p in model.named_parameters():
            if name.endswith("bias") or ".ln_" in name:
                p.add_(0.1 * torch.randn_like(p))
    return model


@pytest.mark.parametrize("hf_attn", ["eager", "sdpa"])
@pytest.mark.parametrize("ours", ["sdpa", "manual"])
def test_logits_equal_hf_gpt2(hf_attn, ours):
    hf = hf_gpt2(hf_attn)
    model = GPT.from_hf(hf, attn=ours).eval()
    ids = torch.randint(0, 97, (3, 20), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = hf(ids).logits, model(ids).logits
    assert got.shape == want.shape == (3, 20, 97)
    torch.testing.assert_close(got, want, atol=ATOL, rtol=1e-5)


def test_loss_equals_hf_gpt2():
    hf = hf_gpt2()
    model = GPT.from_hf(hf).eval()
    ids = torch.randint(0, 97, (2, 16), generator=torch.Generator().manual_seed(2))
    labels = ids.clone()
    labels[0, :5] = -100      # ignored positions (a prompt) count in neither
    with torch.no_grad():
        torch.testing.assert_close(model(ids, labels=labels).loss, hf(ids, labels=labels).loss, atol=1e-6, rtol=1e-5)


def test_from_hf_copies_every_weight():
    """A GPT-2 with random weights differs from ours until from_hf copies them (the test can fail)."""
    hf = hf_gpt2()
    fresh = GPT(GPTConfig(vocab_size=97, block_size=32, n_layer=3, n_head=4, n_embd=48)).eval()
    ids = torch.randint(0, 97, (1, 8))
    with torch.no_grad():
        assert not torch.allclose(fresh(ids).logits, hf(ids).logits, atol=1e-3)
    copied = GPT.from_hf(hf)
    n_ours = sum(p.numel() for p in copied.parameters())
    n_hf = sum(p.numel() for p in hf.parameters())
    assert n_ours == n_hf                                    # tied head counted once in both
    assert copied.lm_head.weight.data_ptr() == copied.wte.weight.data_ptr()


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("ours", ["sdpa", "manual"])
def test_padded_batch_matches_hf_on_real_tokens(side, ours):
    """Rows of different lengths, padded: logits agree with HF's wherever attention_mask is 1,
    and (right padding) with each row run alone."""
    hf = hf_gpt2("sdpa")
    model = GPT.from_hf(hf, attn=ours).eval()
    g = torch.Generator().manual_seed(3)
    lengths = [12, 7, 3]
    rows = [torch.randint(0, 97, (n,), generator=g) for n in lengths]
    T = max(lengths)
    ids = torch.zeros(len(rows), T, dtype=torch.long)
    mask = torch.zeros(len(rows), T, dtype=torch.long)
    for i, r in enumerate(rows):
        sl = slice(0, len(r)) if side == "right" else slice(T - len(r), T)
        ids[i, sl], mask[i, sl] = r, 1
    with torch.no_grad():
        got = model(ids, attention_mask=mask).logits
        want = hf(ids, attention_mask=mask, position_ids=torch.arange(T)[None].expand(len(rows), T)).logits
        real = mask.bool()
        assert torch.isfinite(got).all(), "padding rows must not produce NaN"
        torch.testing.assert_close(got[real], want[real], atol=ATOL, rtol=1e-5)
        if side == "right":
            for i, r in enumerate(rows):
                torch.testing.assert_close(got[i, :len(r)], model(r[None]).logits[0], atol=ATOL, rtol=1e-5)


def test_padding_changes_nothing_without_the_mask_is_detected():
    """Without attention_mask the padded keys leak into the real tokens (so the masked test means something)."""
    hf = hf_gpt2()
    model = GPT.from_hf(hf).eval()
    ids = torch.randint(1, 97, (1, 10))
    ids[0, :4] = 0                                            # left padding
    mask = (torch.arange(10) >= 4).long()[None]
    with torch.no_grad():
        masked, unmasked = model(ids, attention_mask=mask).logits, model(ids).logits
    assert not torch.allclose(masked[0, 4:], unmasked[0, 4:], atol=1e-3)


def _copy_block(hf_block: GPT2Block, block: Block) -> None:
    src = hf_block.state_dict()
    with torch.no_grad():
        for name, p in block.state_dict().items():
            w = src[name]
            p.copy_(w.t() if name.endswith(("c_attn.weight", "c_proj.weight", "c_fc.weight")) else w)


@pytest.mark.parametrize("hf_attn", ["eager", "sdpa"])
def test_block_equals_hf_gpt2_block(hf_attn):
    hf = hf_gpt2(hf_attn)
    hf_block = hf.transformer.h[1]
    block = Block(GPTConfig(vocab_size=97, block_size=32, n_layer=3, n_head=4, n_embd=48)).eval()
    _copy_block(hf_block, block)
    x = torch.randn(2, 9, 48, generator=torch.Generator().manual_seed(4))
    T = x.shape[1]
    additive = torch.zeros(T, T).masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))[None, None]
    with torch.no_grad():
        want = hf_block(x, attention_mask=additive)
        want = want[0] if isinstance(want, tuple) else want
        got = block(x)
    torch.testing.assert_close(got, want, atol=ATOL, rtol=1e-5)


def test_manual_attention_equals_sdpa_and_causal_mask_shapes():
    q, k, v = (torch.randn(2, 3, 6, 8) for _ in range(3))
    allowed = causal_mask(6, torch.device("cpu"), None, force=True)
    assert allowed.shape == (1, 1, 6, 6) and causal_mask(6, torch.device("cpu"), None) is None
    torch.testing.assert_close(manual_attention(q, k, v, allowed),
                               torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True),
                               atol=1e-6, rtol=1e-5)
    padded = causal_mask(6, torch.device("cpu"), torch.tensor([[0, 0, 1, 1, 1, 1]]))
    assert padded.shape == (1, 1, 6, 6) and padded[0, 0].any(-1).all()   # every row sees something
    assert not padded[0, 0, 5, 0] and padded[0, 0, 5, 2]


def test_too_long_sequence_is_refused():
    model = GPT(GPTConfig(vocab_size=10, block_size=4, n_layer=1, n_head=1, n_embd=8))
    with pytest.raises(ValueError, match="longer than block_size=4"):
        model(torch.zeros(1, 5, dtype=torch.long))


def test_bias_free_option_drops_exactly_the_biases():
    """nanoGPT's bias=False (a GPU speed option, llmlab.mfu): no bias tensors, same matmuls, still learns."""
    torch.manual_seed(0)
    cfg = dict(vocab_size=97, block_size=32, n_embd=48, n_layer=3, n_head=4)
    with_bias, no_bias = GPT(GPTConfig(**cfg)), GPT(GPTConfig(**cfg, bias=False))
    biases = [n for n, _ in with_bias.named_parameters() if n.endswith("bias")]
    assert not [n for n, _ in no_bias.named_parameters() if n.endswith("bias")]
    C, L = 48, 3
    per_block = 3 * C + C + 4 * C + C + 2 * C        # c_attn, attn c_proj, c_fc, mlp c_proj, two LayerNorms
    assert len(biases) == 6 * L + 1
    assert with_bias.num_params() - no_bias.num_params() == L * per_block + C   # + ln_f
    x = torch.randint(0, 97, (4, 32))
    opt = torch.optim.AdamW(no_bias.parameters(), lr=3e-3)
    first = None
    for _ in range(30):
        loss = no_bias(x, labels=x).loss
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first - 1.0
    with pytest.raises(ValueError, match="bias=True"):
        GPT.from_hf(hf_gpt2(), bias=False)
