"""A local `evaluate` module for BLEU, interface-compatible with the Hub's ``evaluate-metric/sacrebleu``.

    evaluate.load("<this file's path>").compute(predictions=[...], references=[[ref], ...])

Self-contained (evaluate, datasets, sacrebleu), so it loads offline. Returns sacrebleu's corpus BLEU (0-100)
and its parts: n-gram ``counts`` (clipped matches) and ``totals``, ``precisions``, brevity penalty ``bp``,
``sys_len`` and ``ref_len``.
"""
import datasets
import evaluate
import sacrebleu as scb

_DESCRIPTION = "Corpus BLEU (Papineni et al. 2002) as computed by sacrebleu (Post 2018)."
_KWARGS = """predictions: list of str; references: list of lists of str (the same number of references for
every prediction); smooth_method ("exp", "none", "floor", "add-k"), smooth_value, lowercase, tokenize ("13a"),
use_effective_order (bool). Returns {score, counts, totals, precisions, bp, sys_len, ref_len}."""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class Sacrebleu(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation="Post, M. (2018). A Call for Clarity in Reporting BLEU Scores.",
            inputs_description=_KWARGS,
            features=datasets.Features({"predictions": datasets.Value("string", id="sequence"),
                                        "references": datasets.Sequence(datasets.Value("string", id="sequence"),
                                                                        id="references")}),
            reference_urls=["https://github.com/mjpost/sacreBLEU"])

    def _compute(self, predictions, references, smooth_method="exp", smooth_value=None, lowercase=False,
                 tokenize="13a", use_effective_order=False):
        n_refs = len(references[0])
        if any(len(refs) != n_refs for refs in references):
            raise ValueError("sacrebleu needs the same number of references for every prediction")
        streams = [[refs[i] for refs in references] for i in range(n_refs)]
        out = scb.corpus_bleu(predictions, streams, smooth_method=smooth_method, smooth_value=smooth_value,
                              lowercase=lowercase, tokenize=tokenize, use_effective_order=use_effective_order)
        return {"score": out.score, "counts": out.counts, "totals": out.totals, "precisions": out.precisions,
                "bp": out.bp, "sys_len": out.sys_len, "ref_len": out.ref_len}
