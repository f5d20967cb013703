"""Fixtures for Lab 09's tests: a tiny random GPT-2 and a batch of token ids."""
from __future__ import annotations

import pytest
import torch
from transformers import GPT2LMHeadModel

from lab09_models import tiny_gpt


@pytest.fixture
def gpt() -> GPT2LMHeadModel:
    return tiny_gpt()


@pytest.fixture
def ids() -> torch.Tensor:
    return torch.randint(2, 64, (3, 12), generator=torch.Generator().manual_seed(1))       # (B, T)
