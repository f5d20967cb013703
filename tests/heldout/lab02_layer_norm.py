"""Held-out student variants for Lab 02, Exercise 3a: layer_norm(x, weight, bias, eps=1e-5)."""
import numpy as np
import torch
import torch.nn.functional as F


# ---------------------------------------------------------------- correct
def c_reference(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    mean = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, keepdim=True, unbiased=False)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def c_var_mean_rsqrt(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    var, mean = torch.var_mean(x, dim=-1, keepdim=True, correction=0)
    return (x - mean) * torch.rsqrt(var + eps) * weight + bias


def c_centered_two_pass(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    xc = x - x.mean(-1, keepdim=True)
    var = (xc * xc).mean(-1, keepdim=True)
    return weight * (xc / (var + eps).sqrt()) + bias


# ---------------------------------------------------------------- wrong
def w_unbiased_var(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, keepdim=True)                        # unbiased (N - 1)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def w_eps_outside_sqrt(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdim=True)
    std = x.std(-1, keepdim=True, unbiased=False)
    return (x - mean) / (std + eps) * weight + bias


def w_unbiased_std_plus_eps(x, weight, bias, eps=1e-5):
    return (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True) + eps) * weight + bias


def w_no_eps(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, keepdim=True, unbiased=False)
    return (x - mean) / torch.sqrt(var) * weight + bias   # constant rows -> nan


def w_global_stats(x, weight, bias, eps=1e-5):
    mean = x.mean()
    var = x.var(unbiased=False)                          # over the whole tensor
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def w_stats_over_dim0(x, weight, bias, eps=1e-5):
    mean = x.mean(0, keepdim=True)
    var = x.var(0, keepdim=True, unbiased=False)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def w_weight_bias_swapped(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, keepdim=True, unbiased=False)
    return (x - mean) / torch.sqrt(var + eps) * bias + weight


def w_hard_coded_eps(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, keepdim=True, unbiased=False)
    return (x - mean) / torch.sqrt(var + 1e-5) * weight + bias   # eps argument ignored


def w_moments_cancellation(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdim=True)
    var = (x * x).mean(-1, keepdim=True) - mean * mean   # E[x^2] - E[x]^2: cancels for large offsets
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def w_always_float32(x, weight, bias, eps=1e-5):
    x = x.float()
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, keepdim=True, unbiased=False)
    return (x - mean) / torch.sqrt(var + eps) * weight.float() + bias.float()


def w_in_place(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, keepdim=True, unbiased=False)
    x -= mean                                            # modifies the caller's tensor
    x /= torch.sqrt(var + eps)
    return x * weight + bias


def w_no_keepdim(x, weight, bias, eps=1e-5):
    mean = x.mean(-1)
    var = x.var(-1, unbiased=False)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias   # broadcasts along the wrong axis


def w_calls_f_layer_norm(x, weight, bias, eps=1e-5):
    return F.layer_norm(x, (x.size(-1),), weight, bias, eps)   # forbidden


def w_numpy_round_trip(x, weight, bias, eps=1e-5):
    xn = x.detach().cpu().numpy()
    mean = xn.mean(-1, keepdims=True)
    var = xn.var(-1, keepdims=True)
    y = (xn - mean) / np.sqrt(var + eps) * weight.detach().cpu().numpy() + bias.detach().cpu().numpy()
    return torch.from_numpy(y).to(x.device)              # no gradients


def w_detached_stats(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdim=True).detach()             # forward right, gradient wrong
    var = x.var(-1, keepdim=True, unbiased=False).detach()
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def w_scale_before_normalising(x, weight, bias, eps=1e-5):
    xw = x * weight
    mean = xw.mean(-1, keepdim=True)
    var = xw.var(-1, keepdim=True, unbiased=False)
    return (xw - mean) / torch.sqrt(var + eps) + bias


def w_no_bias(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, keepdim=True, unbiased=False)
    return (x - mean) / torch.sqrt(var + eps) * weight


def w_rms_norm(x, weight, bias, eps=1e-5):
    rms = torch.sqrt((x * x).mean(-1, keepdim=True) + eps)   # no mean subtraction
    return x / rms * weight + bias


def w_divides_by_var(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, keepdim=True, unbiased=False)
    return (x - mean) / (var + eps) * weight + bias      # forgot the square root


CORRECT = {
    "reference: mean, population var, sqrt(var + eps)": c_reference,
    "torch.var_mean(correction=0) + rsqrt": c_var_mean_rsqrt,
    "two-pass centred variance": c_centered_two_pass,
}

WRONG = {
    "unbiased variance": w_unbiased_var,
    "eps added to the std outside the sqrt": w_eps_outside_sqrt,
    "unbiased std + eps": w_unbiased_std_plus_eps,
    "no eps (constant rows give nan)": w_no_eps,
    "statistics over the whole tensor": w_global_stats,
    "statistics over dim 0": w_stats_over_dim0,
    "weight and bias swapped": w_weight_bias_swapped,
    "eps hard-coded to 1e-5": w_hard_coded_eps,
    "E[x^2] - E[x]^2 (cancellation for large offsets)": w_moments_cancellation,
    "casts to float32": w_always_float32,
    "modifies x in place": w_in_place,
    "mean/var without keepdim": w_no_keepdim,
    "calls F.layer_norm (forbidden)": w_calls_f_layer_norm,
    "numpy round trip (no gradients)": w_numpy_round_trip,
    "detaches mean and variance (wrong gradient)": w_detached_stats,
    "multiplies by weight before normalising": w_scale_before_normalising,
    "drops the bias": w_no_bias,
    "RMSNorm: no mean subtraction": w_rms_norm,
    "divides by the variance, not its square root": w_divides_by_var,
}
