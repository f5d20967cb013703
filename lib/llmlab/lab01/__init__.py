"""Lab 01 — prompting and sampling: decoding as logits processors (``sampling``), decoding
experiments and the next-token explorer (``prompting``), and the exercise checks (``checks``).

Prompt formats and few-shot evaluation, which the zoo uses too, are in the core: ``llmlab.prompts``.
"""
