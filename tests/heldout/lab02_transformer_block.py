"""Held-out student variants for Lab 02, Exercise 3b: transformer_block(x, block).

Every variant uses the block's weights (block.ln_1/.ln_2 .weight/.bias/.eps, block.attn.c_attn/.c_proj/.n_head,
block.mlp.c_fc/.c_proj). The helpers below are a correct layer_norm and multi_head_attention (the student's 3a and
2) unless a variant swaps in a broken one.
"""
import math

import torch
import torch.nn.functional as F


def _ln(x, weight, bias, eps=1e-5, unbiased=False):
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, keepdim=True, unbiased=unbiased)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def _mha(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    q, k, v = (t.view(B, T, n_head, C // n_head).transpose(1, 2) for t in c_attn(x).split(C, dim=-1))
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    y = scores.softmax(-1) @ v
    return c_proj(y.transpose(1, 2).reshape(B, T, C))


def _causal(T, device):
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()


def _parts(block):
    return block.ln_1, block.ln_2, block.attn, block.mlp


# ---------------------------------------------------------------- correct
def c_reference(x: torch.Tensor, block) -> torch.Tensor:
    ln_1, ln_2, attn, mlp = _parts(block)
    allowed = _causal(x.size(1), x.device)
    x = x + _mha(_ln(x, ln_1.weight, ln_1.bias, ln_1.eps), attn.c_attn, attn.c_proj, attn.n_head, allowed)
    h = F.gelu(mlp.c_fc(_ln(x, ln_2.weight, ln_2.bias, ln_2.eps)), approximate="tanh")
    return x + mlp.c_proj(h)


def c_named_steps(x: torch.Tensor, block) -> torch.Tensor:
    T = x.shape[1]
    mask = torch.tril(torch.ones(T, T, device=x.device)).bool()[None, None]      # (1, 1, T, T)
    a = _ln(x, block.ln_1.weight, block.ln_1.bias, eps=block.ln_1.eps)
    a = _mha(a, block.attn.c_attn, block.attn.c_proj, block.attn.n_head, mask)
    resid = x + a
    m = _ln(resid, block.ln_2.weight, block.ln_2.bias, eps=block.ln_2.eps)
    m = block.mlp.c_proj(F.gelu(block.mlp.c_fc(m), approximate="tanh"))
    return resid + m


def c_manual_tanh_gelu(x: torch.Tensor, block) -> torch.Tensor:
    ln_1, ln_2, attn, mlp = _parts(block)
    x = x + _mha(_ln(x, ln_1.weight, ln_1.bias, ln_1.eps), attn.c_attn, attn.c_proj, attn.n_head,
                 _causal(x.size(1), x.device))
    h = mlp.c_fc(_ln(x, ln_2.weight, ln_2.bias, ln_2.eps))
    h = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * torch.pow(h, 3.0))))
    return x + mlp.c_proj(h)


# ---------------------------------------------------------------- wrong
def _block(x, block, *, ln=_ln, mha=_mha, gelu=lambda h: F.gelu(h, approximate="tanh"), causal=True,
           second_ln=None, mlp_input_from_original=False):
    ln_1, ln_2, attn, mlp = _parts(block)
    second_ln = second_ln or ln_2
    allowed = _causal(x.size(1), x.device) if causal else None
    x0 = x
    x = x + mha(ln(x, ln_1.weight, ln_1.bias, ln_1.eps), attn.c_attn, attn.c_proj, attn.n_head, allowed)
    src = x0 if mlp_input_from_original else x
    return x + mlp.c_proj(gelu(mlp.c_fc(ln(src, second_ln.weight, second_ln.bias, second_ln.eps))))


def w_post_ln(x, block):
    ln_1, ln_2, attn, mlp = _parts(block)
    x = _ln(x + _mha(x, attn.c_attn, attn.c_proj, attn.n_head, _causal(x.size(1), x.device)),
            ln_1.weight, ln_1.bias, ln_1.eps)
    return _ln(x + mlp.c_proj(F.gelu(mlp.c_fc(x), approximate="tanh")), ln_2.weight, ln_2.bias, ln_2.eps)


def w_no_mlp_residual(x, block):
    ln_1, ln_2, attn, mlp = _parts(block)
    x = x + _mha(_ln(x, ln_1.weight, ln_1.bias, ln_1.eps), attn.c_attn, attn.c_proj, attn.n_head,
                 _causal(x.size(1), x.device))
    return mlp.c_proj(F.gelu(mlp.c_fc(_ln(x, ln_2.weight, ln_2.bias, ln_2.eps)), approximate="tanh"))


def w_exact_gelu(x, block):
    return _block(x, block, gelu=F.gelu)


def w_relu(x, block):
    return _block(x, block, gelu=F.relu)


def w_ln1_twice(x, block):
    return _block(x, block, second_ln=block.ln_1)


def w_not_causal(x, block):
    return _block(x, block, causal=False)


def w_unbiased_ln(x, block):
    return _block(x, block, ln=lambda x, w, b, eps: _ln(x, w, b, eps, unbiased=True))


def w_hard_coded_eps(x, block):
    return _block(x, block, ln=lambda x, w, b, eps: _ln(x, w, b, 1e-5))   # block's eps ignored


def w_parallel_mlp(x, block):
    return _block(x, block, mlp_input_from_original=True)   # GPT-J style: MLP reads the block's input


def w_anti_causal(x, block):
    ln_1, ln_2, attn, mlp = _parts(block)
    T = x.size(1)
    allowed = torch.ones(T, T, dtype=torch.bool, device=x.device).triu()   # sees the future, not the past
    x = x + _mha(_ln(x, ln_1.weight, ln_1.bias, ln_1.eps), attn.c_attn, attn.c_proj, attn.n_head, allowed)
    return x + mlp.c_proj(F.gelu(mlp.c_fc(_ln(x, ln_2.weight, ln_2.bias, ln_2.eps)), approximate="tanh"))


def w_calls_block(x, block):
    return block(x)                                      # forbidden


def w_float32_cast(x, block):
    return _block(x.float(), block)                      # float64 blocks/inputs: dtype mismatch


def w_mask_from_batch_dim(x, block):
    ln_1, ln_2, attn, mlp = _parts(block)
    allowed = _causal(x.size(0), x.device)               # B x B, not T x T
    x = x + _mha(_ln(x, ln_1.weight, ln_1.bias, ln_1.eps), attn.c_attn, attn.c_proj, attn.n_head, allowed)
    return x + mlp.c_proj(F.gelu(mlp.c_fc(_ln(x, ln_2.weight, ln_2.bias, ln_2.eps)), approximate="tanh"))


def w_single_head(x, block):
    ln_1, ln_2, attn, mlp = _parts(block)
    x = x + _mha(_ln(x, ln_1.weight, ln_1.bias, ln_1.eps), attn.c_attn, attn.c_proj, 1,
                 _causal(x.size(1), x.device))
    return x + mlp.c_proj(F.gelu(mlp.c_fc(_ln(x, ln_2.weight, ln_2.bias, ln_2.eps)), approximate="tanh"))


def w_residual_from_normed(x, block):
    ln_1, ln_2, attn, mlp = _parts(block)
    h = _ln(x, ln_1.weight, ln_1.bias, ln_1.eps)
    x = h + _mha(h, attn.c_attn, attn.c_proj, attn.n_head, _causal(x.size(1), x.device))   # residual of LN(x)
    return x + mlp.c_proj(F.gelu(mlp.c_fc(_ln(x, ln_2.weight, ln_2.bias, ln_2.eps)), approximate="tanh"))


def w_gelu_after_proj(x, block):
    ln_1, ln_2, attn, mlp = _parts(block)
    x = x + _mha(_ln(x, ln_1.weight, ln_1.bias, ln_1.eps), attn.c_attn, attn.c_proj, attn.n_head,
                 _causal(x.size(1), x.device))
    h = F.gelu(mlp.c_fc(_ln(x, ln_2.weight, ln_2.bias, ln_2.eps)), approximate="tanh")
    return x + F.gelu(mlp.c_proj(h), approximate="tanh")


def w_in_place_residual(x, block):
    ln_1, ln_2, attn, mlp = _parts(block)
    x += _mha(_ln(x, ln_1.weight, ln_1.bias, ln_1.eps), attn.c_attn, attn.c_proj, attn.n_head,
              _causal(x.size(1), x.device))             # modifies the caller's x
    x += mlp.c_proj(F.gelu(mlp.c_fc(_ln(x, ln_2.weight, ln_2.bias, ln_2.eps)), approximate="tanh"))
    return x


def w_ln_over_time(x, block):
    def ln_time(x, w, b, eps):
        mean = x.mean(1, keepdim=True)
        var = x.var(1, keepdim=True, unbiased=False)
        return (x - mean) / torch.sqrt(var + eps) * w + b
    return _block(x, block, ln=ln_time)


def w_mlp_before_attention(x, block):
    ln_1, ln_2, attn, mlp = _parts(block)
    x = x + mlp.c_proj(F.gelu(mlp.c_fc(_ln(x, ln_2.weight, ln_2.bias, ln_2.eps)), approximate="tanh"))
    return x + _mha(_ln(x, ln_1.weight, ln_1.bias, ln_1.eps), attn.c_attn, attn.c_proj, attn.n_head,
                    _causal(x.size(1), x.device))


def w_no_grad(x, block):
    with torch.no_grad():
        return _block(x, block)


CORRECT = {
    "reference: pre-LN, causal MHA, tanh GELU": c_reference,
    "named steps with a (1,1,T,T) float->bool causal mask": c_named_steps,
    "GELU tanh approximation written out": c_manual_tanh_gelu,
}

WRONG = {
    "post-LN layout": w_post_ln,
    "no residual around the MLP": w_no_mlp_residual,
    "exact (erf) GELU": w_exact_gelu,
    "ReLU instead of GELU": w_relu,
    "ln_1 used for both LayerNorms": w_ln1_twice,
    "no causal mask": w_not_causal,
    "LayerNorm with unbiased variance": w_unbiased_ln,
    "eps hard-coded 1e-5 instead of ln.eps": w_hard_coded_eps,
    "parallel MLP (reads the block's input, not x after attention)": w_parallel_mlp,
    "upper-triangular mask (sees the future)": w_anti_causal,
    "calls block(x) (forbidden)": w_calls_block,
    "casts x to float32": w_float32_cast,
    "causal mask sized by the batch dimension": w_mask_from_batch_dim,
    "one head (n_head ignored)": w_single_head,
    "residual taken from LN_1(x) instead of x": w_residual_from_normed,
    "GELU applied after mlp.c_proj too": w_gelu_after_proj,
    "in-place residual adds modify the input": w_in_place_residual,
    "LayerNorm statistics over the time axis": w_ln_over_time,
    "MLP before attention": w_mlp_before_attention,
    "torch.no_grad(): no gradients": w_no_grad,
}
