"""Should a trained model score one strand or both? Decided on the validation set.

Most sequence tasks are strand-symmetric (a TF binding site or an enhancer is the same on either
strand), and averaging the forward and reverse-complement predictions helps them. Some are not:
a core promoter points one way, and averaging with its reverse complement blurs it (GUE
``prom_core_all``: validation AUROC 0.906 forward-only vs 0.897 averaged, BENCHMARKS.md).

:func:`choose_strand` compares the two ways of scoring on held-out data with a paired test on
the per-example cross-entropy (unweighted, whatever class weights training used): ``"forward"`` is chosen only when its
loss is lower by more than ``threshold`` standard errors of the mean paired difference, so
averaging both strands -- the documented default of :class:`genoseq.Predictor` -- stays the choice
whenever the data do not clearly say otherwise: for strand-symmetric tasks, and for validation sets
under :data:`MIN_EXAMPLES` sequences. Changing what a model's predictions mean by default asks for a
validation set large enough to resolve AUROC differences of about 0.01 (GUE's promoter dev sets have
613 and 5,920 sequences); a smaller strand-specific task takes ``--strand forward`` explicitly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from genoseq._cuda import exact_fp32
from genoseq.data.datasets import SequenceDataset, collate_batch

__all__ = ["DEFAULT_THRESHOLD", "MIN_EXAMPLES", "StrandChoice", "choose_strand", "dataset_probabilities"]

#: Standard errors by which the forward-only loss must beat the two-strand loss (one-sided p ≈ 0.001).
DEFAULT_THRESHOLD = 3.0
#: Fewer validation examples than this always keep both strands.
MIN_EXAMPLES = 500
_EPS = 1e-7


@dataclass(frozen=True)
class StrandChoice:
    """The outcome of :func:`choose_strand`.

    Attributes
    ----------
    strand : str
        ``"forward"`` or ``"both"``.
    z : float
        Mean paired loss difference (both-strand minus forward-only) over its standard error;
        positive when the forward strand alone scores better. 0 when undefined (fewer than
        :data:`MIN_EXAMPLES` examples, or no spread in the differences).
    loss_forward, loss_both : float
        Mean per-example loss of the two ways of scoring.
    n : int
        Validation examples compared.
    threshold : float
        The ``z`` above which ``"forward"`` is chosen.
    """

    strand: str
    z: float
    loss_forward: float
    loss_both: float
    n: int
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record (for the model directory's training provenance)."""
        return {
            "strand": self.strand,
            "z": round(self.z, 4),
            "loss_forward": round(self.loss_forward, 6),
            "loss_both": round(self.loss_both, 6),
            "n": self.n,
            "threshold": self.threshold,
        }


def example_losses(labels: np.ndarray, probs: np.ndarray, task: str) -> np.ndarray:
    """Per-example cross-entropy of probabilities.

    Parameters
    ----------
    labels
        int ``(n,)`` class indices (binary, multiclass) or float ``(n, C)`` indicators (multilabel).
    probs
        float ``(n, n_outputs)``: P(positive) for binary (one column), class probabilities for
        multiclass, per-label probabilities for multilabel.
    task
        ``"binary"``, ``"multiclass"`` or ``"multilabel"``.

    Returns
    -------
    numpy.ndarray
        float64 ``(n,)``; multilabel losses are summed over labels.
    """
    p = np.clip(np.asarray(probs, dtype=np.float64), _EPS, 1 - _EPS)
    if task == "multiclass":
        rows = np.arange(p.shape[0])
        return -np.log(p[rows, np.asarray(labels, dtype=np.int64)])
    y = np.asarray(labels, dtype=np.float64).reshape(p.shape)
    return -(y * np.log(p) + (1 - y) * np.log1p(-p)).sum(axis=1)


def choose_strand(
    labels: np.ndarray,
    forward: np.ndarray,
    reverse: np.ndarray,
    task: str,
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> StrandChoice:
    """Choose between forward-only and strand-averaged scoring from validation predictions.

    Parameters
    ----------
    labels
        Validation targets, as :func:`example_losses` takes them.
    forward, reverse
        float ``(n, n_outputs)`` probabilities of the sequences and of their reverse complements;
        the two-strand prediction is their mean (as :class:`genoseq.Predictor` averages).
    task
        ``"binary"``, ``"multiclass"`` or ``"multilabel"``.
    threshold
        ``"forward"`` is chosen when the paired ``z`` (see :class:`StrandChoice`) exceeds it.

    Returns
    -------
    StrandChoice
    """
    forward = np.asarray(forward, dtype=np.float64)
    both = (forward + np.asarray(reverse, dtype=np.float64)) / 2
    loss_f = example_losses(labels, forward, task)
    loss_b = example_losses(labels, both, task)
    diff = loss_b - loss_f
    n = int(diff.size)
    z = 0.0
    if n >= MIN_EXAMPLES:
        sd = float(diff.std(ddof=1))
        if sd > 0 and math.isfinite(sd):
            z = float(diff.mean()) / (sd / math.sqrt(n))
    strand = "forward" if z > threshold else "both"
    mean_f = float(loss_f.mean()) if n else math.nan
    mean_b = float(loss_b.mean()) if n else math.nan
    return StrandChoice(strand, z, mean_f, mean_b, n, threshold)


def dataset_probabilities(
    model: nn.Module, dataset: SequenceDataset, *, batch_size: int, device: torch.device
) -> np.ndarray:
    """Probabilities of ``model`` on every example of ``dataset``, in order (eval mode, fp32).

    Returns
    -------
    numpy.ndarray
        float32 ``(len(dataset), n_outputs)``: sigmoid (binary, multilabel) or softmax (multiclass).
    """
    from genoseq.train.objective import probabilities

    was_training = model.training
    model.eval()
    out = []
    try:
        with torch.no_grad(), exact_fp32(device):
            for start in range(0, len(dataset), batch_size):
                rows = list(range(start, min(start + batch_size, len(dataset))))
                batch = collate_batch(dataset.__getitems__(rows))
                batch.pop("y")
                inputs = {k: v.to(device) for k, v in batch.items()}
                logits = model(**inputs).float()
                out.append(probabilities(logits, dataset.task).cpu())
    finally:
        model.train(was_training)
    if not out:
        return np.zeros((0, dataset.n_outputs), dtype=np.float32)
    return torch.cat(out).numpy().astype(np.float32)
