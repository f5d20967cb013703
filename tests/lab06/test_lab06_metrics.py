"""Lab 06's from-scratch metrics against rouge_score and sacrebleu; the local evaluate modules offline."""
from __future__ import annotations

import random
import socket

import pytest
import sacrebleu
from rouge_score import rouge_scorer

from llmlab.lab06 import bleu as B
from llmlab.lab06 import checks
from llmlab.lab06 import rouge as R

SCORER = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=False)


def _pairs(n=300, seed=0):
    rng = random.Random(seed)
    return [(checks._random_text(rng), checks._random_text(rng)) for _ in range(n)]


def test_rouge_equals_rouge_score():
    for p, r in _pairs() + [(p, r) for _, p, r in checks.rouge_cases()]:
        ours, lib = R.score(p, r), SCORER.score(r, p)
        for k in lib:
            assert ours[k] == pytest.approx(tuple(lib[k]), abs=1e-12), (k, p, r)


@pytest.mark.parametrize("smooth", ["exp", "none", "floor", "add-k"])
def test_bleu_equals_sacrebleu(smooth):
    pairs = _pairs(100, seed=1)
    for h, r in pairs:
        assert B.sentence_bleu(h, r, smooth) == pytest.approx(
            sacrebleu.sentence_bleu(h, [r], smooth_method=smooth).score, abs=1e-9)
    H, Rf = [h for h, _ in pairs], [r for _, r in pairs]
    for lower in (False, True):
        assert B.corpus_bleu(H, Rf, smooth, lowercase=lower) == pytest.approx(
            sacrebleu.corpus_bleu(H, [Rf], smooth_method=smooth, lowercase=lower).score, abs=1e-9)


def test_tokenize_13a_equals_sacrebleu():
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
    tok = Tokenizer13a()
    for h, _ in _pairs(200, seed=2):
        assert B.tokenize_13a(h) == tok(h.rstrip())


@pytest.fixture
def no_network(monkeypatch):
    attempts = []

    def refuse(self, address, *a, **k):
        attempts.append(address)
        raise OSError("network disabled in this test")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def test_local_evaluate_modules_offline_equal_ours(no_network):
    from llmlab.lab06 import metrics
    preds = ["Mike loves tea.", "It is not cold outside", ""]
    refs = ["Mike really loves drinking tea.", "It is cold.", "x"]
    out = metrics.load("rouge").compute(predictions=preds, references=refs, use_aggregator=False)
    for k in ("rouge1", "rouge2", "rougeL"):
        assert out[k] == pytest.approx([R.score(p, r)[k].fmeasure for p, r in zip(preds, refs)], abs=1e-12)
    b = metrics.load("sacrebleu").compute(predictions=preds, references=[[r] for r in refs])
    assert b["score"] == pytest.approx(B.corpus_bleu(preds, refs), abs=1e-9)
    assert not no_network
