"""Lab 03 — pretraining and scaling: a crawl deduplicated and filtered (``crawl``), compute,
scaling sweeps and fits (``scaling``), and the exercise checks (``checks``). The training loop and
the GPU throughput benchmark are in the core: ``llmlab.train``, ``llmlab.mfu``.
"""
