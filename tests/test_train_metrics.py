"""compute_metrics and the ROC/PR curves against scikit-learn (the independent reference)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genoseq.train.metrics import average_precision, compute_metrics, pr_curve, roc_auc, roc_curve

sklearn_metrics = pytest.importorskip("sklearn.metrics")
label_binarize = pytest.importorskip("sklearn.preprocessing").label_binarize


def _binary_case(seed: int, n: int = 200, ties: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = np.clip(0.3 * y + rng.normal(0.35, 0.25, n), 0, 1)
    if ties:
        score = np.round(score, 1)  # many tied scores
    return y, score


@pytest.mark.parametrize("ties", [False, True])
def test_binary_against_sklearn(ties: bool) -> None:
    y, p = _binary_case(1, ties=ties)
    m = compute_metrics(y, p, "binary")
    pred = (p >= 0.5).astype(int)
    assert m["accuracy"] == pytest.approx(sklearn_metrics.accuracy_score(y, pred))
    assert m["auroc"] == pytest.approx(sklearn_metrics.roc_auc_score(y, p))
    assert m["auprc"] == pytest.approx(sklearn_metrics.average_precision_score(y, p))
    assert m["mcc"] == pytest.approx(sklearn_metrics.matthews_corrcoef(y, pred))
    assert m["f1"] == pytest.approx(sklearn_metrics.f1_score(y, pred))
    assert m["n"] == 200
    # (n, 1) probabilities are accepted as well
    assert compute_metrics(y, p[:, None], "binary") == m


def test_curves_against_sklearn() -> None:
    y, p = _binary_case(2, ties=True)
    fpr, tpr, thr = roc_curve(y, p)
    ref_fpr, ref_tpr, _ = sklearn_metrics.roc_curve(y, p, drop_intermediate=False)
    np.testing.assert_allclose(fpr, ref_fpr)
    np.testing.assert_allclose(tpr, ref_tpr)
    assert thr[0] == np.inf and np.all(np.diff(thr[1:]) < 0)
    precision, recall, _ = pr_curve(y, p)
    ref_p, ref_r, _ = sklearn_metrics.precision_recall_curve(y, p, drop_intermediate=False)
    # sklearn lists thresholds in increasing order and ends at (recall 0, precision 1)
    np.testing.assert_allclose(precision, ref_p[::-1])
    np.testing.assert_allclose(recall, ref_r[::-1])


def test_multiclass_against_sklearn() -> None:
    rng = np.random.default_rng(3)
    n, c = 300, 4
    y = rng.integers(0, c, n)
    logits = rng.normal(size=(n, c)) + 1.5 * np.eye(c)[y]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    m = compute_metrics(y, probs, "multiclass")
    pred = probs.argmax(axis=1)
    assert m["accuracy"] == pytest.approx(sklearn_metrics.accuracy_score(y, pred))
    assert m["auroc"] == pytest.approx(
        sklearn_metrics.roc_auc_score(y, probs, multi_class="ovr", average="macro")
    )
    onehot = label_binarize(y, classes=list(range(c)))
    assert m["auprc"] == pytest.approx(
        sklearn_metrics.average_precision_score(onehot, probs, average="macro")
    )
    assert m["mcc"] == pytest.approx(sklearn_metrics.matthews_corrcoef(y, pred))
    assert m["f1"] == pytest.approx(sklearn_metrics.f1_score(y, pred, average="macro"))


def test_multilabel_against_sklearn() -> None:
    rng = np.random.default_rng(4)
    n, c = 250, 3
    y = rng.integers(0, 2, (n, c))
    probs = np.clip(0.35 * y + rng.uniform(0, 0.65, (n, c)), 0, 1)
    m = compute_metrics(y, probs, "multilabel")
    pred = (probs >= 0.5).astype(int)
    assert m["accuracy"] == pytest.approx(sklearn_metrics.accuracy_score(y, pred))
    assert m["auroc"] == pytest.approx(sklearn_metrics.roc_auc_score(y, probs, average="macro"))
    assert m["auprc"] == pytest.approx(sklearn_metrics.average_precision_score(y, probs, average="macro"))
    assert m["f1"] == pytest.approx(sklearn_metrics.f1_score(y, pred, average="macro"))
    per_label = [sklearn_metrics.matthews_corrcoef(y[:, j], pred[:, j]) for j in range(c)]
    assert m["mcc"] == pytest.approx(np.mean(per_label))


def test_undefined_metrics_are_nan() -> None:
    y = np.ones(10, dtype=int)
    p = np.linspace(0, 1, 10)
    m = compute_metrics(y, p, "binary")
    assert math.isnan(m["auroc"])
    # all positive: average precision is 1 whatever the scores (scikit-learn's figure), which as a
    # ranking figure says nothing, so the metrics leave it undefined, and out of class means
    assert average_precision(y, p) == pytest.approx(1.0) and math.isnan(m["auprc"])
    assert math.isnan(average_precision(np.zeros(5), np.arange(5)))
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.6, 0.4]])
    only_first = compute_metrics(np.zeros(4, dtype=int), probs, "multiclass")
    assert math.isnan(only_first["auroc"]) and math.isnan(only_first["auprc"])
    labels = np.array([[1, 1], [1, 0], [1, 1], [1, 0]])  # label 0 on every row
    multilabel = compute_metrics(labels, probs, "multilabel")
    assert multilabel["auprc"] == pytest.approx(average_precision(labels[:, 1], probs[:, 1]))
    # a label on no row and never predicted is left out of MCC/F1 (as an absent class is); one
    # predicted though absent counts as 0
    y3 = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
    perfect = compute_metrics(y3, y3.astype(float), "multilabel")
    assert perfect["mcc"] == 1.0 and perfect["f1"] == 1.0
    wrong = y3.astype(float)
    wrong[0, 2] = 1.0
    spurious = compute_metrics(y3, wrong, "multilabel")
    assert spurious["f1"] == pytest.approx(2 / 3) and spurious["mcc"] == pytest.approx(2 / 3)
    # a label on every row, predicted exactly, has nothing to score either (its MCC is undefined)
    everywhere = np.array([[1, 1], [1, 0], [1, 1], [1, 0]])
    assert compute_metrics(everywhere, everywhere.astype(float), "multilabel")["mcc"] == 1.0
    # no label anywhere: an epoch with a spurious prediction must not outrank one without (both 0)
    none = np.zeros((6, 2), dtype=int)
    clean, fp = np.full((6, 2), 0.1), np.full((6, 2), 0.1)
    fp[0, 0] = 0.9
    scores = [compute_metrics(none, p, "multilabel") for p in (clean, fp)]
    assert [(m["mcc"], m["f1"]) for m in scores] == [(0.0, 0.0), (0.0, 0.0)]
    # a constant predictor has MCC 0 (sklearn's convention)
    assert compute_metrics(np.array([0, 1, 0, 1]), np.full(4, 0.7), "binary")["mcc"] == 0.0
    with pytest.raises(ValueError, match="finite"):
        compute_metrics(np.array([0, 1]), np.array([0.2, np.nan]), "binary")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 6)), min_size=2, max_size=40).filter(
        lambda rows: len({r[0] for r in rows}) == 2
    )
)
def test_auc_matches_sklearn_on_random_tied_data(rows: list[tuple[int, int]]) -> None:
    y = np.array([r[0] for r in rows])
    score = np.array([r[1] for r in rows], dtype=float) / 6
    assert roc_auc(y, score) == pytest.approx(sklearn_metrics.roc_auc_score(y, score))
    assert average_precision(y, score) == pytest.approx(sklearn_metrics.average_precision_score(y, score))
