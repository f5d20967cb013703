"""Local `evaluate` modules, so that ``evaluate.load`` works offline; under the hub profile, the Hub's.

    from llmlab.lab06 import metrics
    rouge = metrics.load("rouge")              # evaluate.load("<repo>/lib/llmlab/lab06/metrics/rouge.py")
    rouge = metrics.load("rouge", hub=True)    # evaluate.load("rouge"): the Hub's script (needs internet)

The module files import only evaluate, datasets and the scoring library (rouge_score, sacrebleu): evaluate
copies a module into its cache and imports it from there.
"""
from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES = {"rouge": HERE / "rouge.py", "sacrebleu": HERE / "sacrebleu.py"}


def path(name: str) -> Path:
    if name not in MODULES:
        raise ValueError(f"no local evaluate module {name!r}; there are {sorted(MODULES)}")
    return MODULES[name]


def load(name: str, hub: bool = False):
    """``evaluate.load`` of the local module ``name`` (offline), or of the Hub's module when ``hub``."""
    import logging

    import datasets
    import evaluate
    datasets.disable_progress_bars()
    logging.getLogger("evaluate").setLevel(logging.ERROR)
    return evaluate.load(name if hub else str(path(name)))
