"""Lab 04 — the memory wall, number formats, quantization and sharding: a memory calculator and its
measurement (``memory``), floating-point and integer formats (``formats``), absmax / zero-point int8 and
fake quantization for QAT (``quantize``), DDP / ZeRO / FSDP2 across torchrun processes (``sharding``), and
the exercise checks (``checks``). bitsandbytes loading is in the core: ``llmlab.zoo.load(..., quantization=)``.
"""
