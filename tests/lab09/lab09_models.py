"""A tiny random GPT-2 (the zoo's shapes, scaled down) so that Lab 09's tests need no zoo model."""
from __future__ import annotations

import torch
from transformers import GPT2Config, GPT2LMHeadModel


def tiny_gpt(seed: int = 0, n_embd: int = 32, n_layer: int = 2, vocab: int = 64) -> GPT2LMHeadModel:
    torch.manual_seed(seed)
    cfg = GPT2Config(vocab_size=vocab, n_positions=32, n_embd=n_embd, n_layer=n_layer, n_head=4,
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, pad_token_id=0, eos_token_id=1, bos_token_id=1)
    return GPT2LMHeadModel(cfg).eval()
