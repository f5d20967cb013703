"""Profiles: one parameter that decides model sizes, budgets, device and dtype for every lab.

A notebook's first cell sets ``PROFILE = "cpu"`` (tagged ``parameters`` for papermill); the
``LLMLAB_PROFILE`` environment variable overrides it, so CI and ``make run PROFILE=gpu`` need no edit.

    cpu  (default) offline, 2 CPU cores, the package's own TinyWorld zoo
    gpu  one CUDA GPU: bigger budgets, bf16, NCCL
    hub  real Hugging Face Hub checkpoints and data sets (needs internet)
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

PROFILE_ENV = "LLMLAB_PROFILE"
HUB_HOST = ("huggingface.co", 443)


class ProfileError(RuntimeError):
    """A profile cannot be used here; the message names the fix."""


@dataclass(frozen=True)
class Profile:
    name: str
    device: str                       # "cpu" or "cuda"
    dtype: torch.dtype                # compute dtype for training/inference
    dist_backend: str                 # torch.distributed backend: gloo on CPU, nccl on GPU
    models: dict[str, str]            # role -> zoo name (cpu/gpu) or hub id (hub)
    steps_scale: float = 1.0          # multiplies every lab's step budget
    eval_size: int = 100              # held-out examples a lab evaluates on
    hub: bool = False                 # models and data come from the Hugging Face Hub
    extras: dict[str, object] = field(default_factory=dict)

    def steps(self, cpu_steps: int) -> int:
        """A lab's step budget, written for the cpu profile, scaled for this profile."""
        return max(1, int(round(cpu_steps * self.steps_scale)))


ZOO_MODELS = {
    "base": "gpt-base",          # decoder-only LM pretrained on TinyWorld text
    "instruct": "gpt-instruct",  # the base LM after multitask instruction tuning
    "seq2seq": "t5-base",        # encoder-decoder (T5-style) for summarization / translation
    "chat": "gpt-chat",          # gpt-instruct tuned on shop replies, rude ~40% of the time (RLHF policy)
    "cai": "gpt-cai",            # gpt-chat also trained to critique, revise and judge (Lab 08)
    "rag": "gpt-rag",            # gpt-base tuned to read retrieved chunks and take ReAct steps (Lab 10)
    "pal": "gpt-pal",            # gpt-base tuned to answer word problems by chain of thought or a program (Lab 10)
}

PROFILES: dict[str, Profile] = {
    "cpu": Profile("cpu", "cpu", torch.float32, "gloo", dict(ZOO_MODELS)),
    "gpu": Profile("gpu", "cuda", torch.bfloat16, "nccl", dict(ZOO_MODELS),
                   steps_scale=4.0, eval_size=400),
    "hub": Profile("hub", "cuda" if torch.cuda.is_available() else "cpu",
                   torch.bfloat16 if torch.cuda.is_available() else torch.float32,
                   "nccl" if torch.cuda.is_available() else "gloo",
                   {"base": "openai-community/gpt2",
                    "instruct": "google/flan-t5-base",
                    "seq2seq": "google/flan-t5-base",
                    # no Hub model was trained on TinyWorld's shop replies, critiques or traces: under `hub`
                    # Labs 07, 08 and 10 keep their zoo models (their "Try it for real" names real ones)
                    **{role: ZOO_MODELS[role] for role in ("chat", "cai", "rag", "pal")}},
                   eval_size=100, hub=True,
                   extras={"dialogsum": "knkarthick/dialogsum"}),
}


def _hub_reachable(timeout: float = 3.0) -> bool:
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        return False
    try:
        with socket.create_connection(HUB_HOST, timeout=timeout):
            return True
    except OSError:
        return False


def get_profile(name: str | None = None) -> Profile:
    """Resolve a profile: ``$LLMLAB_PROFILE`` wins over ``name``, which defaults to "cpu".

    Fails fast, naming the fix, when the profile is unknown or cannot run on this machine.
    """
    chosen = os.environ.get(PROFILE_ENV) or name or "cpu"
    chosen = chosen.strip().lower()
    if chosen not in PROFILES:
        raise ProfileError(
            f"Unknown profile {chosen!r}. Set PROFILE (or ${PROFILE_ENV}) to one of: "
            f"{', '.join(PROFILES)}.")
    profile = PROFILES[chosen]
    if profile.name == "gpu" and not torch.cuda.is_available():
        raise ProfileError(
            "PROFILE='gpu' needs a CUDA GPU, and torch sees none "
            f"(torch {torch.__version__}, cuda build: {torch.version.cuda}). "
            "Use PROFILE='cpu', or on Colab choose Runtime > Change runtime type > GPU.")
    if profile.hub:
        require_hub()
    return profile


def require_hub() -> None:
    """Fail fast, naming the fix, unless the Hugging Face Hub can be reached."""
    if not _hub_reachable():
        raise ProfileError(
            "PROFILE='hub' downloads models and data from the Hugging Face Hub, which is not "
            "reachable from here (offline, or HF_HUB_OFFLINE=1). Connect to the internet, or use "
            "PROFILE='cpu' for the offline TinyWorld models.")


def with_overrides(profile: Profile, **changes) -> Profile:
    """A copy of ``profile`` with some fields changed (for experiments in a lab)."""
    return replace(profile, **changes)


# ---- where things live ---------------------------------------------------------------------
def repo_root() -> Path:
    """The course repository (two levels above this package), where data/ and solutions/ live."""
    return Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    return Path(os.environ.get("LLMLAB_DATA", repo_root() / "data"))


def cache_dir() -> Path:
    """Zoo checkpoints: ``$LLMLAB_CACHE``, else ``~/.cache/llmlab``."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "llmlab"
    return Path(os.environ.get("LLMLAB_CACHE", default))
