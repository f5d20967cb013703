"""llmlab: the shared package behind the LLM Labs notebooks.

Start every lab with::

    import llmlab
    profile = llmlab.setup(PROFILE)   # resolves the profile, seeds everything, prints versions

The folders mirror the course (ARCHITECTURE.md has the whole map):

    llmlab/            the core that many labs use: config (profiles), env (setup), tokenizer, gpt,
                       train (the loop), inference, metrics, prompts, report, zoo, checks, bench, mfu
    llmlab/tinyworld/  the generated world and its data sets, one module per family
    llmlab/labNN/      what only lab NN uses, its exercise checks included
    llmlab/course/     making and running the labs: sources -> answer keys -> labs, execution

The import rule (tested in tests/core/test_layout.py): a lab's package imports the core and never
another lab's package; the core (tinyworld and course included) never imports a lab. What a second
lab needs moves into the core.
"""
from __future__ import annotations

__version__ = "0.1.0"

from llmlab.env import seed_everything, setup, versions  # noqa: E402,F401
