"""Exploration probe (BENCHMARKS.md, session 10): label smoothing and random base masking.

Not part of genoseq. With this folder on PYTHONPATH every process (``cv_train.py`` runs
``genoseq train`` as subprocesses) is patched as the environment says:

``GENOSEQ_EXP_LS=e``
    binary/multilabel training targets ``t`` become ``t * (1 - e) + e / 2`` (label smoothing).
``GENOSEQ_EXP_MASK=p``
    in every training batch each base is replaced by ``N`` with probability ``p`` (base dropout;
    only datasets built with reverse-complement augmentation, i.e. the training set).
"""

import os

_LS = float(os.environ.get("GENOSEQ_EXP_LS", "0"))
_MASK = float(os.environ.get("GENOSEQ_EXP_MASK", "0"))

if _LS:
    from genoseq.train import loop

    _make_loss = loop.make_loss

    def _smoothed_loss(task, labels, n_outputs, config, device):  # noqa: ANN001, ANN202 - a patch
        loss = _make_loss(task, labels, n_outputs, config, device)
        if task == "multiclass":
            return loss
        return lambda logits, target: loss(logits, target * (1.0 - _LS) + _LS / 2)

    loop.make_loss = _smoothed_loss

if _MASK:
    import numpy as np

    from genoseq.data import datasets

    _original = datasets.SequenceDataset.__getitems__

    def _masked(self, indices):  # noqa: ANN001, ANN202 - a patch, same signature as the original
        if not self.rc_augment:
            return _original(self, indices)
        idx = np.asarray(indices, dtype=np.int64)
        kept = self.sequences[idx].copy()
        masked = kept.copy()
        masked[np.random.default_rng().random(masked.shape) < _MASK] = ord("N")
        self.sequences[idx] = masked  # the original encodes (and reverse-complements) the masked rows
        try:
            return _original(self, indices)
        finally:
            self.sequences[idx] = kept

    datasets.SequenceDataset.__getitems__ = _masked
