"""Experiments: run a function over a dataset, score every output, compare runs.

``await evaluate(function, dataset=[...], evaluators=[...])`` (or `evaluate_sync`) records one
experiment run on HoneyHive (or the local server): a session per datapoint, evaluator events,
scores as session metrics, and the server's summary of the run.
"""

from ._dataset import Datapoint, external_datapoint_id, external_dataset_id
from ._evaluate import evaluate
from ._result import DatapointResult, EvaluationResult
from ._scoring import Evaluator, EvaluatorStats
from ._sync import evaluate_sync

__all__ = [
    "Datapoint",
    "DatapointResult",
    "EvaluationResult",
    "Evaluator",
    "EvaluatorStats",
    "evaluate",
    "evaluate_sync",
    "external_datapoint_id",
    "external_dataset_id",
]
