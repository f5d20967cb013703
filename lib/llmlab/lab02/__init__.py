"""Lab 02 — architectures: attention maps and head roles (``attention``), the RNN/LSTM vs
transformer experiment and the three model families' objectives (``architectures``), and the
exercise checks (``checks``). The GPT itself is in the core: ``llmlab.gpt``.
"""
