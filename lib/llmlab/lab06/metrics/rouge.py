"""A local `evaluate` module for ROUGE, interface-compatible with the Hub's ``evaluate-metric/rouge``.

    evaluate.load("<this file's path>").compute(predictions=[...], references=[...], use_aggregator=False)

Self-contained (it imports only evaluate, datasets and rouge_score), so `evaluate.load` can copy it to its
module cache and import it offline. Like the Hub's module, ``use_aggregator=True`` (the default) reports the
*median of bootstrap resamples* of the mean F-measure (rouge_score's BootstrapAggregator, ``mid``), which is
close to, but not exactly, the mean; ``use_aggregator=False`` returns one F-measure per pair.
"""
import datasets
import evaluate
from rouge_score import rouge_scorer, scoring

_DESCRIPTION = "ROUGE-N and ROUGE-L F-measures (Lin 2004), computed with Google's rouge_score."
_KWARGS = """predictions: list of str; references: list of str (one per prediction);
rouge_types: default ["rouge1", "rouge2", "rougeL", "rougeLsum"]; use_aggregator: bool (default True);
use_stemmer: bool (default False). Returns {rouge_type: float (aggregated) or list of float}."""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class Rouge(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation="Lin, C.-Y. (2004). ROUGE.", inputs_description=_KWARGS,
            features=datasets.Features({"predictions": datasets.Value("string", id="sequence"),
                                        "references": datasets.Value("string", id="sequence")}),
            reference_urls=["https://github.com/google-research/google-research/tree/master/rouge"])

    def _compute(self, predictions, references, rouge_types=None, use_aggregator=True, use_stemmer=False):
        rouge_types = rouge_types or ["rouge1", "rouge2", "rougeL", "rougeLsum"]
        scorer = rouge_scorer.RougeScorer(rouge_types, use_stemmer=use_stemmer)
        aggregator = scoring.BootstrapAggregator() if use_aggregator else None
        scores = []
        for ref, pred in zip(references, predictions):
            s = scorer.score(ref, pred)
            if aggregator is not None:
                aggregator.add_scores(s)
            else:
                scores.append(s)
        if aggregator is not None:
            result = aggregator.aggregate()
            return {key: result[key].mid.fmeasure for key in result}
        return {key: [s[key].fmeasure for s in scores] for key in rouge_types}
