"""Training plots (PNG, matplotlib's non-interactive Agg backend): learning curves, ROC and PR curves."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from genoseq._atomic import atomic_path
from genoseq.train.metrics import average_precision, pr_curve, roc_auc, roc_curve

__all__ = ["plot_roc_pr", "plot_training_curves"]


def _figure(ncols: int) -> tuple[Any, Any]:
    from matplotlib.figure import Figure  # no pyplot: renders with Agg, no display needed

    fig = Figure(figsize=(5.0 * ncols, 4.0), layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


def _save(fig: Any, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    return path


def plot_training_curves(
    history: Sequence[dict[str, Any]], path: str | os.PathLike[str], *, monitor: str
) -> Path:
    """Training/validation loss and the monitored validation metric per epoch.

    Parameters
    ----------
    history
        Per-epoch rows as in :attr:`genoseq.train.TrainResult.history`.
    path
        The PNG to write (atomically).
    monitor
        The metric drawn in the second panel (``valid_<monitor>``).
    """
    fig, (ax_loss, ax_metric) = _figure(2)
    epochs = [row["epoch"] for row in history]
    ax_loss.plot(epochs, [row["train_loss"] for row in history], marker="o", label="training")
    ax_loss.plot(epochs, [row["valid_loss"] for row in history], marker="o", label="validation")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss")
    ax_loss.legend()
    key = "valid_loss" if monitor == "loss" else f"valid_{monitor}"
    values = [row.get(key) for row in history]
    values = [math.nan if v is None else v for v in values]
    ax_metric.plot(epochs, values, marker="o", color="tab:green")
    best = [row["epoch"] for row in history if row.get("best")]
    if best:
        ax_metric.axvline(best[-1], color="grey", linestyle="--", label=f"best epoch {best[-1]}")
        ax_metric.legend()
    ax_metric.set_xlabel("epoch")
    ax_metric.set_ylabel(f"validation {monitor}")
    return _save(fig, Path(path))


def _one_vs_rest(
    y: np.ndarray, probs: np.ndarray, task: str, classes: Sequence[str]
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, binary truth, score) per curve to draw."""
    probs = np.asarray(probs)
    if task == "binary":
        return [
            (
                str(classes[1]) if len(classes) > 1 else "positive",
                np.asarray(y).reshape(-1) == 1,
                probs.reshape(-1),
            )
        ]
    if task == "multiclass":
        return [(str(c), np.asarray(y) == k, probs[:, k]) for k, c in enumerate(classes)]
    return [(str(c), np.asarray(y)[:, k] == 1, probs[:, k]) for k, c in enumerate(classes)]


def plot_roc_pr(
    y_true: np.ndarray, probs: np.ndarray, task: str, classes: Sequence[str], path: str | os.PathLike[str]
) -> Path:
    """ROC and precision-recall curves on the validation set (one-vs-rest per class if not binary).

    Parameters
    ----------
    y_true
        Validation targets (as in :func:`genoseq.train.compute_metrics`).
    probs
        ``float`` ``(n, n_outputs)`` predicted probabilities.
    task
        ``"binary"``, ``"multiclass"`` or ``"multilabel"``.
    classes
        Class names (for the legend).
    path
        The PNG to write (atomically).
    """
    fig, (ax_roc, ax_pr) = _figure(2)
    for name, truth, score in _one_vs_rest(y_true, probs, task, classes):
        if truth.all() or not truth.any():
            continue
        fpr, tpr, _ = roc_curve(truth, score)
        ax_roc.plot(fpr, tpr, label=f"{name} (AUROC {roc_auc(truth, score):.3f})")
        precision, recall, _ = pr_curve(truth, score)
        ax_pr.step(
            recall, precision, where="post", label=f"{name} (AP {average_precision(truth, score):.3f})"
        )
    ax_roc.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax_roc.set_xlabel("false positive rate")
    ax_roc.set_ylabel("true positive rate")
    ax_roc.set_title("ROC (validation)")
    ax_pr.set_xlabel("recall")
    ax_pr.set_ylabel("precision")
    ax_pr.set_title("precision-recall (validation)")
    for ax in (ax_roc, ax_pr):
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="lower right" if ax is ax_roc else "lower left", fontsize="small")
    return _save(fig, Path(path))
