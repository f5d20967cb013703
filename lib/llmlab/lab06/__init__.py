"""Lab 06 — evaluating what a model learned.

    rouge       ROUGE-1/2/L from scratch (the references the exercises are checked against; == rouge_score)
    bleu        BLEU from scratch: 13a tokenization, clipped n-gram counts, brevity penalty, smoothing (== sacrebleu)
    metrics/    local `evaluate` modules (rouge.py, sacrebleu.py): ``evaluate.load(<path>)`` works offline
    failures    where n-gram metrics fail: the course's sentence pairs, and perturbed TinyWorld summaries whose
                truth is known by construction
    judge       a learned judge: a logistic regression on a few features, trained in a second
    benchmark   a held-out TinyWorld benchmark over models, with confidence intervals and a contamination check
    harness     the same multiple-choice tasks through EleutherAI's lm-evaluation-harness, offline
    checks      the exercise checks
"""
