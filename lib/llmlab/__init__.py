"""llmlab: the shared package behind the LLM Labs notebooks.

Start every lab with::

    import llmlab
    profile = llmlab.setup(PROFILE)   # resolves the profile, seeds everything, prints versions
"""
from __future__ import annotations

__version__ = "0.1.0"

from llmlab.env import seed_everything, setup, versions  # noqa: E402,F401
