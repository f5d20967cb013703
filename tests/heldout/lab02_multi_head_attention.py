"""Held-out student variants for Lab 02, Exercise 2:
multi_head_attention(x, c_attn, c_proj, n_head, allowed=None)."""
import math

import torch


def _attn(q, k, v, allowed=None, scale_dim=None):
    """A correct scaled dot-product attention (the student's Exercise 1)."""
    d = scale_dim if scale_dim is not None else q.size(-1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return scores.softmax(dim=-1) @ v


def _split(t, n_head):
    B, T, C = t.shape
    return t.view(B, T, n_head, C // n_head).transpose(1, 2)


def _merge(y):
    B, H, T, D = y.shape
    return y.transpose(1, 2).reshape(B, T, H * D)


# ---------------------------------------------------------------- correct
def c_reference(x: torch.Tensor, c_attn: torch.nn.Linear, c_proj: torch.nn.Linear, n_head: int,
                allowed: torch.Tensor | None = None) -> torch.Tensor:
    q, k, v = c_attn(x).split(x.size(-1), dim=-1)
    q, k, v = (_split(t, n_head) for t in (q, k, v))
    return c_proj(_merge(_attn(q, k, v, allowed)))


def c_einsum_rearrange(x: torch.Tensor, c_attn: torch.nn.Linear, c_proj: torch.nn.Linear, n_head: int,
                       allowed: torch.Tensor | None = None) -> torch.Tensor:
    B, T, C = x.shape
    D = C // n_head
    qkv = c_attn(x).reshape(B, T, 3, n_head, D).permute(2, 0, 3, 1, 4)   # (3, B, H, T, D)
    q, k, v = qkv[0], qkv[1], qkv[2]
    scores = torch.einsum("bhtd,bhsd->bhts", q, k) / math.sqrt(D)
    if allowed is not None:
        scores = torch.where(allowed, scores, torch.full_like(scores, float("-inf")))
    y = torch.einsum("bhts,bhsd->bhtd", scores.softmax(-1), v)
    return c_proj(y.permute(0, 2, 1, 3).reshape(B, T, C))


def c_head_loop_cat(x: torch.Tensor, c_attn: torch.nn.Linear, c_proj: torch.nn.Linear, n_head: int,
                    allowed: torch.Tensor | None = None) -> torch.Tensor:
    C = x.size(-1)
    D = C // n_head
    q, k, v = torch.chunk(c_attn(x), 3, dim=-1)
    outs = []
    for h in range(n_head):
        sl = slice(h * D, (h + 1) * D)
        m = None
        if allowed is not None:
            m = allowed
            while m.dim() < 4:
                m = m.unsqueeze(0)                       # (B|1, H|1, T|1, S)
            m = m[:, h if m.size(1) > 1 else 0]          # (B|1, T|1, S) for this head
        outs.append(_attn(q[..., sl], k[..., sl], v[..., sl], m))
    return c_proj(torch.cat(outs, dim=-1))


# ---------------------------------------------------------------- wrong
def w_view_without_transpose(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    q, k, v = c_attn(x).split(C, dim=-1)
    q, k, v = (t.reshape(B, n_head, T, C // n_head) for t in (q, k, v))   # scrambles tokens and channels
    y = _attn(q, k, v, allowed)
    return c_proj(y.reshape(B, T, C))


def w_merge_without_transpose(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    q, k, v = (_split(t, n_head) for t in c_attn(x).split(C, dim=-1))
    y = _attn(q, k, v, allowed)
    return c_proj(y.reshape(B, T, C))                   # (B, H, T, D) reshaped directly


def w_split_along_time(x, c_attn, c_proj, n_head, allowed=None):
    q, k, v = c_attn(x).chunk(3, dim=1)                  # splits the sequence, not the channels
    q, k, v = (t.reshape(t.size(0), t.size(1), n_head, -1).transpose(1, 2) for t in (q, k, v))
    return c_proj(_merge(_attn(q, k, v, allowed))[..., :x.size(-1)])


def w_kqv_order(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    k, q, v = c_attn(x).split(C, dim=-1)                # GPT-2 stores [q | k | v]
    q, k, v = (_split(t, n_head) for t in (q, k, v))
    return c_proj(_merge(_attn(q, k, v, allowed)))


def w_no_c_proj(x, c_attn, c_proj, n_head, allowed=None):
    q, k, v = c_attn(x).split(x.size(-1), dim=-1)
    q, k, v = (_split(t, n_head) for t in (q, k, v))
    return _merge(_attn(q, k, v, allowed))


def w_scale_by_full_width(x, c_attn, c_proj, n_head, allowed=None):
    C = x.size(-1)
    q, k, v = (_split(t, n_head) for t in c_attn(x).split(C, dim=-1))
    return c_proj(_merge(_attn(q, k, v, allowed, scale_dim=C)))   # sqrt(C) instead of sqrt(C / H)


def w_ignores_mask(x, c_attn, c_proj, n_head, allowed=None):
    q, k, v = (_split(t, n_head) for t in c_attn(x).split(x.size(-1), dim=-1))
    return c_proj(_merge(_attn(q, k, v, None)))


def w_hard_coded_causal(x, c_attn, c_proj, n_head, allowed=None):
    T = x.size(1)
    causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
    q, k, v = (_split(t, n_head) for t in c_attn(x).split(x.size(-1), dim=-1))
    return c_proj(_merge(_attn(q, k, v, causal)))        # ignores the given mask, causal even for None


def w_single_head(x, c_attn, c_proj, n_head, allowed=None):
    q, k, v = c_attn(x).split(x.size(-1), dim=-1)
    if allowed is not None and allowed.dim() == 4:
        allowed = allowed[:, 0]
    return c_proj(_attn(q, k, v, allowed))               # n_head ignored


def w_interleaved_heads(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    D = C // n_head
    q, k, v = (t.view(B, T, D, n_head).permute(0, 3, 1, 2) for t in c_attn(x).split(C, dim=-1))
    y = _attn(q, k, v, allowed)                          # head h gets channels h, h+H, h+2H, ...
    return c_proj(y.permute(0, 2, 3, 1).reshape(B, T, C))


def w_mask_unsqueezed_for_heads(x, c_attn, c_proj, n_head, allowed=None):
    q, k, v = (_split(t, n_head) for t in c_attn(x).split(x.size(-1), dim=-1))
    if allowed is not None:
        allowed = allowed.unsqueeze(1)                   # already broadcastable: breaks 2-D and 4-D masks
    return c_proj(_merge(_attn(q, k, v, allowed)))


def w_softmax_over_heads(x, c_attn, c_proj, n_head, allowed=None):
    q, k, v = (_split(t, n_head) for t in c_attn(x).split(x.size(-1), dim=-1))
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return c_proj(_merge(scores.softmax(dim=1) @ v))


def w_view_noncontiguous(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    q, k, v = (_split(t, n_head) for t in c_attn(x).split(C, dim=-1))
    y = _attn(q, k, v, allowed)
    return c_proj(y.transpose(1, 2).view(B, T, C))       # RuntimeError: view on a non-contiguous tensor


def w_adds_residual(x, c_attn, c_proj, n_head, allowed=None):
    q, k, v = (_split(t, n_head) for t in c_attn(x).split(x.size(-1), dim=-1))
    return x + c_proj(_merge(_attn(q, k, v, allowed)))   # the block adds the residual, not attention


def w_split_by_seq_len(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    qkv = c_attn(x)
    q, k, v = qkv[..., :C], qkv[..., T:T + C], qkv[..., 2 * C:]   # k starts at T, not C
    q, k, v = (_split(t, n_head) for t in (q, k, v))
    return c_proj(_merge(_attn(q, k, v, allowed)))


def w_squeeze(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    q, k, v = (_split(t, n_head) for t in c_attn(x).split(C, dim=-1))
    y = _attn(q, k, v, allowed).squeeze()                # drops B = 1 or T = 1 dims
    return c_proj(y.transpose(-3, -2).reshape(B, T, C))


def w_no_grad(x, c_attn, c_proj, n_head, allowed=None):
    with torch.no_grad():                                # no gradient to c_attn, c_proj or x
        q, k, v = (_split(t, n_head) for t in c_attn(x).split(x.size(-1), dim=-1))
        return c_proj(_merge(_attn(q, k, v, allowed)))


def w_float32_scores(x, c_attn, c_proj, n_head, allowed=None):
    q, k, v = (_split(t, n_head).float() for t in c_attn(x).split(x.size(-1), dim=-1))
    y = _attn(q, k, v, allowed)
    return c_proj(_merge(y))                             # a float64 model gets float32 into c_proj


def w_heads_from_channels_count(x, c_attn, c_proj, n_head, allowed=None):
    B, T, C = x.shape
    H = C // n_head                                      # confuses head count and head size
    q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in c_attn(x).split(C, dim=-1))
    return c_proj(_merge(_attn(q, k, v, allowed)))


CORRECT = {
    "reference: split, view/transpose into heads, attention, merge, c_proj": c_reference,
    "reshape (B,T,3,H,D) + einsum": c_einsum_rearrange,
    "per-head loop over channel slices, torch.cat": c_head_loop_cat,
}

WRONG = {
    "reshape to (B,H,T,D) without transpose": w_view_without_transpose,
    "merges heads without transposing back": w_merge_without_transpose,
    "chunk(3) along the time axis instead of the channels": w_split_along_time,
    "unpacks [q|k|v] as k, q, v": w_kqv_order,
    "forgets c_proj": w_no_c_proj,
    "scales by sqrt(C) instead of sqrt(D)": w_scale_by_full_width,
    "ignores allowed": w_ignores_mask,
    "hard-coded causal mask instead of allowed": w_hard_coded_causal,
    "one head over all channels (n_head ignored)": w_single_head,
    "interleaved channels per head": w_interleaved_heads,
    "mask.unsqueeze(1) (wrong broadcasting)": w_mask_unsqueezed_for_heads,
    "softmax over the heads dimension": w_softmax_over_heads,
    "view on a non-contiguous tensor (crash)": w_view_noncontiguous,
    "adds the residual x inside attention": w_adds_residual,
    "k sliced from offset T instead of C": w_split_by_seq_len,
    ".squeeze() drops B=1 / T=1 dims": w_squeeze,
    "torch.no_grad(): no gradients": w_no_grad,
    "q,k,v cast to float32 (dtype of float64 models)": w_float32_scores,
    "n_head and head size confused": w_heads_from_channels_count,
}
