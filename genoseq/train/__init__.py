"""Training: the model-agnostic loop, its configuration, metrics, checkpoints and plots.

* :class:`TrainConfig` — frozen training options.
* :func:`fit` / :class:`TrainResult` — the loop (device, AMP, DDP, early stopping, checkpoints, resume).
* :func:`train_model` — table → trained model directory (what ``genoseq train`` runs).
* :func:`compute_metrics` — accuracy, AUROC, AUPRC, MCC, F1 in NumPy.

Names are imported lazily (``compute_metrics`` does not import torch).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "TrainConfig": "genoseq.train.config",
    "METRICS": "genoseq.train.config",
    "fit": "genoseq.train.loop",
    "TrainResult": "genoseq.train.loop",
    "TrainingInterrupted": "genoseq.train.loop",
    "compute_metrics": "genoseq.train.metrics",
    "roc_curve": "genoseq.train.metrics",
    "pr_curve": "genoseq.train.metrics",
    "train_model": "genoseq.train.run",
    "TrainOutput": "genoseq.train.run",
    "plot_training_curves": "genoseq.train.plots",
    "plot_roc_pr": "genoseq.train.plots",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'genoseq.train' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
