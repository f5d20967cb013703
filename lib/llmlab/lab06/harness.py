"""The benchmark's multiple-choice tasks through EleutherAI's lm-evaluation-harness (lm-eval), offline.

    tasks = harness.write_tasks(items, prompts, folder)      # JSONL items + one YAML task per benchmark task
    scores = harness.evaluate(model, tok, tasks, folder)      # {"tw_sentiment": 0.945, ...} (lm-eval's "acc")

Each YAML task is ``dataset_path: json`` over the JSONL file written here and ``output_type: multiple_choice``:
lm-eval scores every choice by its log-likelihood after the prompt and counts the item right when the gold
choice scores highest — ``benchmark.choice_logprobs``'s rule. The prompt (shots included) is written into each
item, so both see the same text. ``evaluate`` sets the Hub's offline switches first, builds the task list from
``folder`` only (not lm-eval's ~10,000 built-in tasks), and keeps lm-eval's logging and progress bars out of
the output.
"""
from __future__ import annotations

import contextlib
import io
import json
import logging
import os
from pathlib import Path
from typing import Mapping, Sequence

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "HF_EVALUATE_OFFLINE": "1"}


def go_offline() -> None:
    """Offline switches for the Hub, datasets and transformers — also in libraries already imported."""
    os.environ.update(OFFLINE)
    import datasets
    import huggingface_hub.constants as hub_constants
    datasets.config.HF_HUB_OFFLINE = True
    datasets.config.HF_DATASETS_OFFLINE = True
    hub_constants.HF_HUB_OFFLINE = True
    datasets.disable_progress_bars()


def write_tasks(items: Mapping[str, Sequence[dict]], prompts: Mapping[str, Sequence[str]],
                folder: str | os.PathLike) -> list[str]:
    """One lm-eval task ``tw_<task>`` per multiple-choice task: ``<folder>/tw_<task>.jsonl`` and ``.yaml``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for task, rows in items.items():
        if not rows or "choices" not in rows[0]:
            continue
        name = f"tw_{task}"
        data = folder / f"{name}.jsonl"
        with open(data, "w") as f:
            for r, p in zip(rows, prompts[task]):
                f.write(json.dumps({"id": r["id"], "prompt": p, "choices": r["choices"],
                                    "gold": r["choices"].index(r["target"])}) + "\n")
        (folder / f"{name}.yaml").write_text(
            f"task: {name}\n"
            f"dataset_path: json\n"
            f"dataset_kwargs:\n  data_files:\n    test: {data}\n"
            f"test_split: test\n"
            f"output_type: multiple_choice\n"
            f'doc_to_text: "{{{{prompt}}}}"\n'
            f'doc_to_choice: "{{{{choices}}}}"\n'
            f"doc_to_target: gold\n"
            f"metric_list:\n  - metric: acc\n    aggregation: mean\n    higher_is_better: true\n")
        names.append(name)
    return names


def evaluate(model, tok, tasks: Sequence[str], folder: str | os.PathLike, batch_size: int = 64,
             samples: bool = False) -> dict:
    """lm-eval's ``simple_evaluate`` on a model object already in memory: {task: acc} (and, with
    ``samples``, {task: per-item log-likelihoods} as a second value)."""
    go_offline()
    for name in ("lm_eval", "lm-eval"):
        logging.getLogger(name).setLevel(logging.ERROR)
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        import lm_eval
        from lm_eval.models.huggingface import HFLM
        from lm_eval.tasks import TaskManager
        lm = HFLM(pretrained=model, tokenizer=tok, batch_size=batch_size, device=str(model.device))
        manager = TaskManager(include_path=str(folder), include_defaults=False)
        out = lm_eval.simple_evaluate(model=lm, tasks=list(tasks), task_manager=manager, verbosity="ERROR",
                                      bootstrap_iters=0, log_samples=samples)
    scores = {t: out["results"][t]["acc,none"] for t in tasks}
    if samples:
        return scores, {t: [[r[0] for r in s["filtered_resps"]] for s in out["samples"][t]] for t in tasks}
    return scores
