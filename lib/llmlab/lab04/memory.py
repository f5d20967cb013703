"""What training a model costs in memory: a calculator, and a measurement to hold it to.

Training holds four kinds of tensors: the weights, their gradients, the optimizer's state (Adam keeps two
moments per weight) and the activations that the forward pass saves for the backward pass. The first three
scale with the parameter count N; activations scale with batch × sequence length × width × depth.

``estimate`` predicts each part for the course's GPT (``llmlab.gpt``) from its config; ``measure`` runs one
real training step and counts what is there: every parameter, gradient and optimizer-state tensor by its
bytes, and the activations through ``torch.autograd.graph.saved_tensors_hooks`` (each tensor autograd saves
passes through the hook; tensors that share storage count once).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from llmlab.activations import saved_activation_bytes, storage_bytes as _storage_bytes  # noqa: F401 - Lab 04 reads them here
from llmlab.gpt import GPT, GPTConfig

GB, GiB = 1e9, 2 ** 30

# The course's rule of thumb for training one parameter in fp32 with Adam (bytes):
COURSE_RULE = {"weights": 4, "adam_states": 8, "gradients": 4, "activations_and_temp": 8}


def course_rule(n_params: float) -> dict[str, float]:
    """The rule of thumb in bytes: 4 per weight to hold the model, ≈ 20 more per weight to train it."""
    return {part: n_params * b for part, b in COURSE_RULE.items()}


@dataclass
class Breakdown:
    """Bytes held during one training step, by kind."""
    weights: int
    gradients: int
    optimizer: int
    activations: int
    weight_copies: int = 0        # low-precision copies of the weights that autocast makes for the matmuls

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer + self.activations + self.weight_copies

    def as_dict(self) -> dict[str, int]:
        return {"weights": self.weights, "gradients": self.gradients, "optimizer": self.optimizer,
                "activations": self.activations, "weight_copies": self.weight_copies, "total": self.total}


# ---- the calculator -----------------------------------------------------------------------------------
def n_params(cfg: GPTConfig) -> int:
    """Parameters of the course's GPT (token embeddings tied to the output head, so counted once)."""
    C, L, V, bias = cfg.n_embd, cfg.n_layer, cfg.vocab_size, int(cfg.bias)
    per_block = (C * 3 * C + 3 * C * bias) + (C * C + C * bias) \
        + (C * 4 * C + 4 * C * bias) + (4 * C * C + C * bias) + 2 * (C + C * bias)     # attn, mlp, 2 LayerNorms
    return V * C + cfg.block_size * C + L * per_block + (C + C * bias)


def matmul_params(cfg: GPTConfig) -> int:
    """Weights that go through a matmul (the ones autocast copies to bf16): the blocks' Linear weights and
    the output head (tied to the token embeddings)."""
    return cfg.n_layer * 12 * cfg.n_embd ** 2 + cfg.vocab_size * cfg.n_embd


def activation_elements_per_token(cfg: GPTConfig, seq_len: int) -> dict[str, int]:
    """Values autograd saves per token, by what saves them (fp32 training). Per block: each LayerNorm keeps
    its input and its output (the next Linear's input, C each) and 2 statistics; attention keeps the fused
    q, k, v (3C), its output (C) and one log-sum-exp per head (H); the MLP keeps its hidden layer before and
    after the GELU (4C each). SDPA never stores the T×T attention matrix; the textbook formula
    (``attn="manual"``) keeps its softmax: H·T more per token. At the top: the final LayerNorm (2C + 2) and
    the log-softmax over the vocabulary (V), which the cross-entropy keeps."""
    C, H = cfg.n_embd, cfg.n_head
    block = 2 * (2 * C + 2) + (3 * C + C + H) + (4 * C + 4 * C)          # = 16C + H + 4
    if cfg.attn == "manual":
        block += H * seq_len
    return {"blocks": cfg.n_layer * block, "final_layernorm": 2 * C + 2, "log_softmax": cfg.vocab_size}


def activation_bytes(cfg: GPTConfig, batch: int, seq_len: int, mixed: bool = False) -> int:
    """Bytes of saved activations for a (batch, seq_len) step. Under bf16 autocast the matmul inputs and
    outputs are bf16 (2 bytes) while LayerNorm inputs, statistics and the loss stay fp32 (torch's autocast
    lists): per block 8C + 4H + 16 bytes of fp32 and 14C values of bf16."""
    parts = activation_elements_per_token(cfg, seq_len)
    if not mixed:
        return batch * seq_len * 4 * sum(parts.values())
    C, H = cfg.n_embd, cfg.n_head
    extra_attn = 2 * H * seq_len if cfg.attn == "manual" else 0     # the softmax of bf16 scores is bf16 on CPU
    block = 4 * (2 * C + 4 + H) + 2 * 14 * C + extra_attn
    top = 4 * (C + 2) + 2 * C + 4 * cfg.vocab_size
    return batch * seq_len * (cfg.n_layer * block + top)


def estimate(cfg: GPTConfig, batch: int, seq_len: int, mixed: bool = False) -> Breakdown:
    """Predicted bytes of one training step with AdamW: fp32 weights, fp32 gradients, two fp32 moments;
    ``mixed`` adds torch autocast's bf16 copies of the matmul weights and halves most activations."""
    n = n_params(cfg)
    return Breakdown(weights=4 * n, gradients=4 * n, optimizer=8 * n,
                     activations=activation_bytes(cfg, batch, seq_len, mixed),
                     weight_copies=2 * matmul_params(cfg) if mixed else 0)


# ---- the measurement ----------------------------------------------------------------------------------
def measure(model: torch.nn.Module, input_ids: torch.Tensor, amp_dtype: torch.dtype | None = None,
            lr: float = 1e-3) -> Breakdown:
    """Bytes that one real AdamW step holds: parameters, gradients and optimizer state counted tensor by
    tensor after the step, activations (and autocast's weight copies) by the saved-tensor hooks."""
    acts, copies = saved_activation_bytes(model, input_ids, amp_dtype)
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    with torch.autocast(input_ids.device.type, dtype=amp_dtype or torch.bfloat16, enabled=amp_dtype is not None):
        loss = model(input_ids, labels=input_ids).loss
    loss.backward()
    opt.step()
    params = list(model.parameters())
    state = [v for s in opt.state.values() for v in s.values() if isinstance(v, torch.Tensor) and v.dim() > 0]
    out = Breakdown(weights=_storage_bytes(params),
                    gradients=_storage_bytes(p.grad for p in params if p.grad is not None),
                    optimizer=_storage_bytes(state), activations=acts, weight_copies=copies)
    opt.zero_grad(set_to_none=True)
    return out


def cuda_peak_bytes(model: GPT, input_ids: torch.Tensor, amp_dtype: torch.dtype | None = torch.bfloat16) -> int:
    """Peak CUDA memory (``torch.cuda.max_memory_allocated``) over two fused-AdamW training steps (the
    second has the optimizer state in place)."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    for _ in range(2):
        with torch.autocast("cuda", dtype=amp_dtype or torch.bfloat16, enabled=amp_dtype is not None):
            loss = model(input_ids, labels=input_ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated()
