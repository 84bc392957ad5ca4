"""Exploration probe (BENCHMARKS.md, session 7): random-shift augmentation of training batches.

Not part of genoseq. With this folder on PYTHONPATH and GENOSEQ_EXP_SHIFT=S set, every process
(``cv_train.py`` runs ``genoseq train`` as subprocesses) shifts each training sequence by a random
-S..S bases per batch: bases shifted out are dropped, ``N`` is shifted in. Only datasets built with
reverse-complement augmentation (the training set) are touched; validation is scored as given.
"""

import os

_SHIFT = int(os.environ.get("GENOSEQ_EXP_SHIFT", "0"))

if _SHIFT:
    import numpy as np

    from genoseq.data import datasets

    _original = datasets.SequenceDataset.__getitems__

    def _shifted(self, indices):  # noqa: ANN001, ANN202 - a patch, same signature as the original
        if not self.rc_augment:
            return _original(self, indices)
        idx = np.asarray(indices, dtype=np.int64)
        seqs = self.sequences[idx]
        out = np.full_like(seqs, ord("N"))
        length = seqs.shape[1]
        for row, s in enumerate(np.random.default_rng().integers(-_SHIFT, _SHIFT + 1, size=len(idx))):
            if s >= 0:
                out[row, s:] = seqs[row, : length - s]
            else:
                out[row, : length + s] = seqs[row, -s:]
        kept = self.sequences[idx].copy()
        self.sequences[idx] = out  # the original encodes (and reverse-complements) the shifted rows
        try:
            return _original(self, indices)
        finally:
            self.sequences[idx] = kept

    datasets.SequenceDataset.__getitems__ = _shifted
