"""The LoRA-layer check against wrong implementations (each must fail, naming the bug) and correct variants."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from llmlab.checks import CheckFailed
from llmlab.lab05 import checks
from llmlab.lab05.lora import LoRALinear as Ref


class NoScaling(Ref):
    def forward(self, x):
        return self.base(x) if self.merged else self.base(x) + self.dropout(x) @ self.lora_A.T @ self.lora_B.T


class InvertedScaling(Ref):
    def __init__(self, base, r, alpha, dropout=0.0):
        super().__init__(base, r, alpha, dropout)
        self.scaling = r / alpha


class AlphaOnly(Ref):
    def __init__(self, base, r, alpha, dropout=0.0):
        super().__init__(base, r, alpha, dropout)
        self.scaling = alpha


class WrongOrder(Ref):
    def forward(self, x):
        return self.base(x) if self.merged else self.base(x) + self.scaling * (x @ self.lora_B @ self.lora_A)


class NotFrozen(Ref):
    def __init__(self, base, r, alpha, dropout=0.0):
        super().__init__(base, r, alpha, dropout)
        for p in self.base.parameters():
            p.requires_grad_(True)


class RandomB(Ref):
    def __init__(self, base, r, alpha, dropout=0.0):
        super().__init__(base, r, alpha, dropout)
        nn.init.normal_(self.lora_B)


class MergeNoTranspose(Ref):           # forgets that a Conv1D weight is (in, out)
    def delta_weight(self):
        return self.scaling * (self.lora_B @ self.lora_A)


class MergeNoScaling(Ref):
    @torch.no_grad()
    def merge(self):
        if not self.merged:
            d = self.lora_B @ self.lora_A
            self.base.weight += d.T if self.fan_in_fan_out else d
            self.merged = True


class UnmergeNoRestore(Ref):
    @torch.no_grad()
    def unmerge(self):
        self.merged = False


class UnmergeNoFlag(Ref):
    @torch.no_grad()
    def unmerge(self):
        if self.merged:
            self.base.weight -= self.delta_weight()


class DoubleAfterMerge(Ref):           # no merged flag in forward
    def forward(self, x):
        return self.base(x) + self.scaling * (self.dropout(x) @ self.lora_A.T @ self.lora_B.T)


class InPlace(Ref):
    def forward(self, x):
        y = self.base(x)
        if self.merged:
            return y
        x.mul_(self.scaling)
        return y + x @ self.lora_A.T @ self.lora_B.T


class DropoutOnBase(Ref):
    def forward(self, x):
        x = self.dropout(x)
        return self.base(x) if self.merged else self.base(x) + self.scaling * (x @ self.lora_A.T @ self.lora_B.T)


class DropoutOnOutput(Ref):
    def forward(self, x):
        y = self.base(x) if self.merged else self.base(x) + self.scaling * (x @ self.lora_A.T @ self.lora_B.T)
        return self.dropout(y)


class NoDropout(Ref):
    def forward(self, x):
        return self.base(x) if self.merged else self.base(x) + self.scaling * (x @ self.lora_A.T @ self.lora_B.T)


class DetachedA(Ref):
    def forward(self, x):
        y = self.base(x)
        return y if self.merged else y + self.scaling * (self.dropout(x) @ self.lora_A.detach().T @ self.lora_B.T)


class UnmergeWrongScale(Ref):
    @torch.no_grad()
    def unmerge(self):
        if self.merged:
            self.base.weight -= self.delta_weight() / self.scaling
            self.merged = False


class WrongShapes(Ref):                # A stored (in, r), B (r, out)
    def __init__(self, base, r, alpha, dropout=0.0):
        super().__init__(base, r, alpha, dropout)
        self.lora_A = nn.Parameter(self.lora_A.detach().T.clone())
        self.lora_B = nn.Parameter(self.lora_B.detach().T.clone())

    def forward(self, x):
        y = self.base(x)
        return y if self.merged else y + self.scaling * (self.dropout(x) @ self.lora_A @ self.lora_B)


WRONG = {
    NoScaling: "not multiplied by scaling", InvertedScaling: "r / alpha", AlphaOnly: "multiplied by alpha",
    WrongOrder: "", NotFrozen: "freeze", RandomB: "zeros", MergeNoTranspose: "Conv1D",
    MergeNoScaling: "without the scaling", UnmergeNoRestore: "does not restore", UnmergeNoFlag: "merged",
    DoubleAfterMerge: "must not add the LoRA branch again", InPlace: "in place", DropoutOnBase: "base branch",
    DropoutOnOutput: "output", NoDropout: "never called", DetachedA: "gradient of lora_A",
    UnmergeWrongScale: "does not restore", WrongShapes: "shape",
}


@pytest.mark.parametrize("cls", list(WRONG), ids=lambda c: c.__name__)
def test_wrong_layer_fails_naming_the_bug(cls):
    with pytest.raises(CheckFailed) as err:
        checks.check_lora_layer(cls, name="ex")
    assert WRONG[cls] in str(err.value), str(err.value)


class Einsum(Ref):
    def forward(self, x):
        if self.merged:
            return self.base(x)
        h = torch.einsum("...i,ri->...r", self.dropout(x), self.lora_A)
        return self.base(x) + self.scaling * torch.einsum("...r,or->...o", h, self.lora_B)


class FLinear(Ref):
    def forward(self, x):
        if self.merged:
            return self.base(x)
        return self.base(x) + F.linear(F.linear(self.dropout(x), self.lora_A), self.lora_B) * self.scaling


class DataAdd(Ref):
    def merge(self):
        if not self.merged:
            self.base.weight.data.add_(self.delta_weight().detach())
            self.merged = True

    def unmerge(self):
        if self.merged:
            self.base.weight.data.sub_(self.delta_weight().detach())
            self.merged = False


class Minimal(nn.Module):              # written from scratch, no inheritance
    def __init__(self, base, r, alpha, dropout=0.0):
        super().__init__()
        self.base = base
        for p in base.parameters():
            p.requires_grad = False
        conv = type(base).__name__ == "Conv1D"
        fan_in, fan_out = base.weight.shape if conv else (base.in_features, base.out_features)
        self.t = conv
        self.lora_A = nn.Parameter(torch.randn(r, fan_in) / math.sqrt(fan_in))
        self.lora_B = nn.Parameter(torch.zeros(fan_out, r))
        self.s = alpha / r
        self.dropout = nn.Dropout(dropout)
        self.merged = False

    def forward(self, x):
        out = self.base(x)
        return out if self.merged else out + self.s * self.dropout(x) @ (self.lora_B @ self.lora_A).T

    def _d(self):
        d = self.s * self.lora_B @ self.lora_A
        return d.T if self.t else d

    @torch.no_grad()
    def merge(self):
        self.base.weight.add_(self._d())
        self.merged = True

    @torch.no_grad()
    def unmerge(self):
        self.base.weight.sub_(self._d())
        self.merged = False


@pytest.mark.parametrize("cls", [Ref, Einsum, FLinear, DataAdd, Minimal], ids=lambda c: c.__name__)
def test_correct_layers_pass(cls, capsys):
    checks.check_lora_layer(cls, name="ex")
    assert "✓" in capsys.readouterr().out


def test_stub_says_not_implemented():
    class Stub(nn.Module):
        def __init__(self, *a, **k):
            raise NotImplementedError("Exercise 1: LoRA layer")
    with pytest.raises(CheckFailed, match="not implemented"):
        checks.check_lora_layer(Stub, name="ex")
