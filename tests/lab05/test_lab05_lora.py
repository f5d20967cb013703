"""The from-scratch LoRA layer against peft's, merge/unmerge, the memory probe and the adapter toggles."""
import types
import torch
from torch import nn
from transformers.pytorch_utils import Conv1D

from llmlab import finetune
from llmlab.lab05 import lora


def _same_as_peft(base):
    torch.manual_seed(0)
    layer = lora.LoRALinear(base, r=4, alpha=16)
    with torch.no_grad():
        layer.lora_B.normal_()
    ref = lora.peft_twin(base, layer.lora_A.detach(), layer.lora_B.detach(), alpha=16)
    x = torch.randn(2, 5, lora.in_out(base)[0])
    with torch.no_grad():
        assert torch.allclose(layer(x), ref(x), atol=1e-6)
        layer.merge()
        ref.base_model.model.layer.merge()
        assert torch.allclose(layer.base.weight, ref.base_model.model.layer.base_layer.weight, atol=1e-6)
        assert torch.allclose(layer(x), ref(x), atol=1e-5)
        layer.unmerge()
        assert torch.allclose(layer(x), ref(x), atol=1e-5)


def test_linear_equals_peft():
    _same_as_peft(nn.Linear(12, 20))


def test_conv1d_equals_peft_with_fan_in_fan_out():
    _same_as_peft(Conv1D(20, 12))


def test_wrap_modules_freezes_everything_else():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4))
    wrapped = lora.wrap_modules(model, ("0",), r=2, alpha=4)
    assert wrapped == ["0"]
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["0.lora_A", "0.lora_B"]


def test_latency_reports_three_timings():
    t = lora.latency(d_in=64, d_out=64, r=4, tokens=8, repeats=2)
    assert set(t) == {"base", "LoRA unmerged", "LoRA merged"} and all(v > 0 for v in t.values())


class SquaredLoss(nn.Module):
    """A module with a loss output, like a transformers model: ``SquaredLoss(net)(x).loss``."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x):
        return types.SimpleNamespace(loss=self.net(x).pow(2).mean())


def test_training_memory_counts_adam_state():
    model = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 1))
    m = finetune.training_memory(SquaredLoss(model), {"x": torch.randn(3, 4)})
    n = sum(p.numel() for p in model.parameters())
    assert m["params"] == m["grads"] == 4 * n and m["optimizer"] == 8 * n and m["activations"] > 0


def test_training_memory_does_not_count_frozen_weights_as_activations():
    # A frozen 1000 x 1000 layer (4 MB) is saved by autograd to pass the gradient to its input; it is a weight
    # the model holds anyway, not an activation (LoRA's base layers are exactly this).
    frozen = nn.Linear(1000, 1000).requires_grad_(False)

    class ScaledThenFrozen(nn.Module):       # a trainable scale before the frozen layer: its input needs a gradient
        def __init__(self):
            super().__init__()
            self.scale, self.frozen, self.head = nn.Parameter(torch.ones(1000)), frozen, nn.Linear(1000, 1)

        def forward(self, x):
            return self.head(self.frozen(x * self.scale))
    m = finetune.training_memory(SquaredLoss(ScaledThenFrozen()), {"x": torch.randn(3, 1000)})
    assert 0 < m["activations"] < 100_000, m
    assert m["params"] > 4_000_000 and m["grads"] == 4 * (1000 + 1000 + 1)
