"""Environment set-up shared by every lab: profile, seeds, threads, version printout."""
from __future__ import annotations

import importlib.metadata as md
import os
import platform
import random

import numpy as np
import torch

from llmlab.config import Profile, get_profile

PACKAGES = ("llmlab", "torch", "transformers", "tokenizers", "datasets", "peft", "trl",
            "evaluate", "bitsandbytes", "rouge_score", "sacrebleu")


def seed_everything(seed: int = 0) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            found[name] = "not installed"
    return found


def quiet_libraries() -> None:
    """Keep library chatter out of the labs' outputs (errors still show). The labs trigger some
    warnings on purpose (a prompt longer than the window, to show truncation) and explain them."""
    import logging
    import warnings

    from transformers.utils import logging as hf_logging
    hf_logging.set_verbosity_error()
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)   # "MatMul8bitLt: inputs will be cast ..."
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")


def setup(profile: str | None = None, seed: int = 0, quiet: bool = False) -> Profile:
    """Resolve the profile (``$LLMLAB_PROFILE`` overrides), seed, pin threads, print versions."""
    prof = get_profile(profile)
    seed_everything(seed)
    quiet_libraries()
    threads = os.environ.get("LLMLAB_THREADS")
    if threads:  # parallel workers pin torch to 1 thread each: 2 procs x 2 threads on 2 cores run ~10x slower
        torch.set_num_threads(int(threads))
    if not quiet:
        v = versions()
        device = torch.cuda.get_device_name(0) if prof.device == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
        print(f"profile={prof.name}  device={device}  seed={seed}")
        print("  ".join(f"{k} {val}" for k, val in v.items()))
    return prof
