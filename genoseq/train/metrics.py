"""Classification metrics in NumPy: accuracy, AUROC, AUPRC, MCC, F1, and ROC/PR curves.

Definitions follow scikit-learn's (checked against it in the tests; it is not a
runtime dependency), except where a label has nothing to score (multilabel, below):

* AUROC is the area under the ROC curve with ties in the scores handled as one
  threshold (equal to the Mann-Whitney statistic); AUPRC is the *average
  precision* ``sum_k (R_k - R_{k-1}) P_k`` over the distinct thresholds.
* Binary: the prediction is ``p >= threshold`` (0.5); F1 and the PR curve are
  for the positive class.
* AUROC and AUPRC are ``nan`` unless both classes occur (without negatives the
  average precision is 1 whatever the scores; :func:`average_precision` itself
  returns it, like scikit-learn).
* Multiclass: the prediction is the arg-max; AUROC/AUPRC are macro averages of
  one-vs-rest scores over the classes present in ``y_true`` (not every row of
  one class); F1 is the macro
  average over the classes present in ``y_true`` or the predictions; MCC is the
  multiclass (Gorodkin) correlation.
* Multilabel: accuracy is the subset (exact-match) accuracy; AUROC, AUPRC, MCC
  and F1 are macro averages over the labels: AUROC/AUPRC over labels that have
  both values; F1 over labels present in ``y_true`` or the predictions; MCC over
  labels except those constant in ``y_true`` and predicted exactly (nothing to
  get right or wrong; scikit-learn counts them as 0). Where no label is left,
  the mean is over all of them (each 0), so that an epoch with a spurious
  prediction never outranks one without.

A metric that is undefined (e.g. AUROC with a single class) is ``nan``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["average_precision", "compute_metrics", "pr_curve", "roc_auc", "roc_curve"]


def _check(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y).reshape(-1)
    score = np.asarray(score, dtype=np.float64).reshape(-1)
    if y.shape != score.shape:
        raise ValueError(f"y_true has {y.shape[0]} values, the scores {score.shape[0]}")
    if not np.isfinite(score).all():
        raise ValueError("scores must be finite")
    return y.astype(bool), score


def _cumulative_counts(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False and true positives at each distinct threshold, highest score first."""
    order = np.argsort(-score, kind="mergesort")
    s = score[order]
    hits = y[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tps = np.cumsum(hits, dtype=np.float64)[last_of_tie]
    fps = (last_of_tie + 1).astype(np.float64) - tps
    return fps, tps, s[last_of_tie]


def roc_curve(y_true: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC curve of a binary problem.

    Parameters
    ----------
    y_true
        ``(n,)`` 0/1 (or bool) labels.
    score
        ``(n,)`` scores; higher means more likely positive.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]
        ``(fpr, tpr, thresholds)``, ``float64``, starting at (0, 0) with threshold ``inf``;
        ``nan`` rates when a class is absent.
    """
    y, s = _check(y_true, score)
    if s.size == 0:
        return np.array([0.0]), np.array([0.0]), np.array([np.inf])
    fps, tps, thresholds = _cumulative_counts(y, s)
    with np.errstate(invalid="ignore", divide="ignore"):
        fpr = np.r_[0.0, fps / fps[-1]]
        tpr = np.r_[0.0, tps / tps[-1]]
    return fpr, tpr, np.r_[np.inf, thresholds]


def pr_curve(y_true: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision-recall curve of a binary problem.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]
        ``(precision, recall, thresholds)``, ``float64``, from recall 0 (precision 1) upwards
        through the distinct thresholds in decreasing order.
    """
    y, s = _check(y_true, score)
    if s.size == 0:
        return np.array([1.0]), np.array([0.0]), np.array([np.inf])
    fps, tps, thresholds = _cumulative_counts(y, s)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = tps / (tps + fps)
        recall = tps / tps[-1]
    return np.r_[1.0, precision], np.r_[0.0, recall], np.r_[np.inf, thresholds]


def roc_auc(y_true: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (``nan`` unless both classes occur)."""
    y, s = _check(y_true, score)
    if y.all() or not y.any():
        return math.nan
    fpr, tpr, _ = roc_curve(y, s)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


def average_precision(y_true: np.ndarray, score: np.ndarray) -> float:
    """Average precision, the step-wise area under the PR curve (``nan`` without positives)."""
    y, s = _check(y_true, score)
    if not y.any():
        return math.nan
    fps, tps, _ = _cumulative_counts(y, s)
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _ranking_auprc(y: np.ndarray, score: np.ndarray) -> float:
    """Average precision as a ranking figure: ``nan`` unless both classes occur (with no negatives it
    is 1 whatever the scores, which would flatter a mean over classes or labels)."""
    y = np.asarray(y, dtype=bool)
    return math.nan if y.all() else average_precision(y, score)


def _binary_counts(y: np.ndarray, pred: np.ndarray) -> tuple[int, int, int, int]:
    tp = int(np.sum(y & pred))
    tn = int(np.sum(~y & ~pred))
    fp = int(np.sum(~y & pred))
    fn = int(np.sum(y & ~pred))
    return tp, tn, fp, fn


def _binary_mcc(y: np.ndarray, pred: np.ndarray) -> float:
    tp, tn, fp, fn = _binary_counts(y, pred)
    denom = math.sqrt(float(tp + fp) * float(tp + fn) * float(tn + fp) * float(tn + fn))
    return 0.0 if denom == 0 else (tp * tn - fp * fn) / denom


def _binary_f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp, _, fp, fn = _binary_counts(y, pred)
    denom = 2 * tp + fp + fn
    return 0.0 if denom == 0 else 2 * tp / denom


def _multiclass_mcc(y: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    confusion = np.zeros((n_classes, n_classes), dtype=np.float64)
    np.add.at(confusion, (y, pred), 1.0)
    t = confusion.sum(axis=1)
    p = confusion.sum(axis=0)
    c = np.trace(confusion)
    s = confusion.sum()
    denom = math.sqrt((s * s - float(p @ p)) * (s * s - float(t @ t)))
    return 0.0 if denom == 0 else (c * s - float(t @ p)) / denom


def _nanmean(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan


def compute_metrics(
    y_true: np.ndarray, probs: np.ndarray, task: str, *, threshold: float = 0.5
) -> dict[str, float]:
    """Accuracy, AUROC, AUPRC, MCC and F1 of predicted probabilities.

    Parameters
    ----------
    y_true
        binary: ``(n,)`` 0/1; multiclass: ``(n,)`` class indices; multilabel: ``(n, C)`` 0/1.
    probs
        binary: ``(n,)`` or ``(n, 1)`` P(positive); multiclass: ``(n, C)`` class
        probabilities; multilabel: ``(n, C)`` per-label probabilities.
    task
        ``"binary"``, ``"multiclass"`` or ``"multilabel"``.
    threshold
        Decision threshold for binary/multilabel predictions.

    Returns
    -------
    dict[str, float]
        ``accuracy``, ``auroc``, ``auprc``, ``mcc``, ``f1`` (``nan`` where undefined) and ``n``.
    """
    probs = np.asarray(probs, dtype=np.float64)
    y_true = np.asarray(y_true)
    if not np.isfinite(probs).all():
        raise ValueError("probabilities must be finite")
    if task == "binary":
        p = probs.reshape(-1)
        y = y_true.reshape(-1).astype(bool)
        pred = p >= threshold
        result = {
            "accuracy": float(np.mean(pred == y)) if y.size else math.nan,
            "auroc": roc_auc(y, p),
            "auprc": _ranking_auprc(y, p),
            "mcc": _binary_mcc(y, pred),
            "f1": _binary_f1(y, pred),
        }
    elif task == "multiclass":
        if probs.ndim != 2:
            raise ValueError(f"multiclass probabilities must be (n, C), got shape {probs.shape}")
        n_classes = probs.shape[1]
        y = y_true.reshape(-1).astype(np.int64)
        pred = probs.argmax(axis=1)
        present = np.unique(y)
        scored = [int(k) for k in present]
        f1_classes = np.union1d(present, np.unique(pred))
        result = {
            "accuracy": float(np.mean(pred == y)) if y.size else math.nan,
            "auroc": _nanmean([roc_auc(y == k, probs[:, k]) for k in scored]),
            "auprc": _nanmean([_ranking_auprc(y == k, probs[:, k]) for k in scored]),
            "mcc": _multiclass_mcc(y, pred, n_classes),
            "f1": float(np.mean([_binary_f1(y == k, pred == k) for k in f1_classes])) if y.size else math.nan,
        }
    elif task == "multilabel":
        if probs.ndim != 2 or y_true.shape != probs.shape:
            raise ValueError(
                f"multilabel y_true and probs must both be (n, C), got {y_true.shape}, {probs.shape}"
            )
        y = y_true.astype(bool)
        pred = probs >= threshold
        cols = range(probs.shape[1])
        # as for classes: a label with nothing to get right or wrong is left out (module docstring)
        f1_labels = [j for j in cols if y[:, j].any() or pred[:, j].any()] or list(cols)
        # a label the same on every row and predicted exactly (with no rows, every label is one)
        exact = [j for j in cols if (y[:, j] == y[:1, j]).all() and (pred[:, j] == y[:, j]).all()]
        mcc_labels = [j for j in cols if j not in exact] or list(cols)
        result = {
            "accuracy": float(np.mean((pred == y).all(axis=1))) if y.size else math.nan,
            "auroc": _nanmean([roc_auc(y[:, j], probs[:, j]) for j in cols]),
            "auprc": _nanmean([_ranking_auprc(y[:, j], probs[:, j]) for j in cols]),
            "mcc": _nanmean([_binary_mcc(y[:, j], pred[:, j]) for j in mcc_labels]) if y.size else math.nan,
            "f1": _nanmean([_binary_f1(y[:, j], pred[:, j]) for j in f1_labels]) if y.size else math.nan,
        }
    else:
        raise ValueError(f"unknown task {task!r}")
    result = {k: float(v) for k, v in result.items()}
    result["n"] = int(y_true.shape[0])
    return result
