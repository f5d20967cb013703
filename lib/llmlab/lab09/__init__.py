"""Lab 09 — compression for deployment: knowledge distillation (``distill``), post-training
quantization with torch dynamic int8 and bitsandbytes (``quantize``), magnitude and structured
pruning (``pruning``), measuring every variant's size, latency and quality and plotting the trade-off
(``measure``), and the exercise checks (``checks``). The training loop is the core's
``llmlab.train.train``; the zoo's bitsandbytes loading is ``llmlab.zoo.load(..., quantization=...)``.
"""
