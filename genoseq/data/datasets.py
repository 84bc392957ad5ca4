"""A map-style dataset over prepared sequences, encoded one batch at a time.

Sequences stay a compact ``uint8`` ASCII matrix ``(n, L)``; a batch is cut
from it with fancy indexing and encoded by the model's encoder (one-hot or
k-mer ids) in the DataLoader's fetch step, in the worker processes when there
are any. Memory stays ``n × L`` bytes however large the encoded form is.

The DataLoader protocol used here: ``dataset.__getitems__(indices)`` returns a
whole batch as a ``dict`` of NumPy arrays — the model's keyword inputs
(``x``, and ``mask``/``features`` when present) plus the target ``y`` — and
:func:`collate_batch` turns it into tensors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from genoseq.data.tables import LabelledTable
from genoseq.errors import ConfigError

__all__ = ["SequenceDataset", "collate_batch"]

Encoder = Callable[[np.ndarray], Mapping[str, np.ndarray]]


class SequenceDataset(Dataset):
    """Sequences + labels, encoded per batch.

    Parameters
    ----------
    sequences
        ``uint8`` ``(n, L)`` ASCII codes.
    labels
        ``int64`` ``(n,)`` class indices (binary, multiclass) or ``float32``
        ``(n, C)`` indicators (multilabel).
    task
        ``"binary"``, ``"multiclass"`` or ``"multilabel"``.
    encode
        ``uint8 (m, L) -> dict`` of the model's inputs for ``m`` sequences, e.g.
        ``functools.partial(encode_for_model, spec, input_length=L)``.
    n_classes
        Number of classes (``len(classes)``); for binary tasks 2.
    features
        ``float32`` ``(n, F)`` extra per-example features, passed to the model as ``features``.
    rc_augment
        Replace a random half of the sequences by their reverse complement in
        each epoch (which half follows from ``seed`` and the epoch given to
        :meth:`set_epoch`, so it is reproducible and resumable).
    seed
        Seed of the augmentation draws.
    lengths
        ``int64`` ``(n,)`` bases of each row before central padding (``LabelledTable.lengths``);
        a flipped row is then the reverse complement of its bases padded centrally, as
        :class:`genoseq.Predictor` scores a short record's reverse strand.
    """

    def __init__(
        self,
        sequences: np.ndarray,
        labels: np.ndarray,
        *,
        task: str,
        encode: Encoder,
        n_classes: int,
        features: np.ndarray | None = None,
        rc_augment: bool = False,
        seed: int = 0,
        lengths: np.ndarray | None = None,
    ) -> None:
        sequences = np.ascontiguousarray(sequences)
        if sequences.dtype != np.uint8 or sequences.ndim != 2:
            raise ConfigError(
                f"sequences must be a uint8 (n, L) array, got {sequences.dtype} {sequences.shape}"
            )
        labels = np.asarray(labels)
        if labels.shape[0] != sequences.shape[0]:
            raise ConfigError(f"{sequences.shape[0]} sequences but {labels.shape[0]} labels")
        if features is not None and features.shape[0] != sequences.shape[0]:
            raise ConfigError(f"{sequences.shape[0]} sequences but {features.shape[0]} feature rows")
        self.sequences = sequences
        self.labels = labels
        self.task = task
        self.n_classes = n_classes
        self.features = None if features is None else np.ascontiguousarray(features, dtype=np.float32)
        self.encode = encode
        self.rc_augment = rc_augment
        self.seed = seed
        if lengths is not None and np.shape(lengths) != (sequences.shape[0],):
            raise ConfigError(f"{sequences.shape[0]} sequences but lengths of shape {np.shape(lengths)}")
        #: bases of each row before central padding (None: none padded); a flipped row is the
        #: padded reverse complement of its bases, as a short record's reverse strand is scored
        self.lengths = None if lengths is None else np.asarray(lengths, dtype=np.int64)
        self._flip: np.ndarray | None = None

    @classmethod
    def from_table(
        cls,
        table: LabelledTable,
        encoding: Mapping[str, Any],
        *,
        index: np.ndarray | None = None,
        rc_augment: bool = False,
        seed: int = 0,
    ) -> SequenceDataset:
        """Dataset over ``table`` (or its rows ``index``) encoded with the tokenizer spec ``encoding``.

        ``encoding`` is a model's tokenizer spec (``genoseq.models.encoding_spec``);
        batches are encoded with :func:`genoseq.data.encoding.encode_for_model`.
        """
        from genoseq.data.encoding import encode_for_model

        if index is not None:
            table = table.subset(index)
        encode = functools.partial(encode_for_model, dict(encoding), input_length=table.length)
        return cls(
            table.sequences,
            table.labels,
            task=table.task,
            encode=encode,
            n_classes=len(table.classes),
            features=table.features,
            rc_augment=rc_augment,
            seed=seed,
            lengths=table.lengths,
        )

    def __len__(self) -> int:
        return int(self.sequences.shape[0])

    @property
    def length(self) -> int:
        """Sequence length ``L``."""
        return int(self.sequences.shape[1])

    @property
    def n_outputs(self) -> int:
        """Number of model outputs (1 for binary)."""
        return 1 if self.task == "binary" else self.n_classes

    def set_epoch(self, epoch: int) -> None:
        """Choose the sequences to reverse-complement in ``epoch`` (with ``rc_augment``)."""
        if self.rc_augment:
            rng = np.random.default_rng([self.seed, epoch])
            self._flip = rng.random(len(self)) < 0.5

    def __getitems__(self, indices: Sequence[int]) -> dict[str, np.ndarray]:
        """One batch: the model inputs (``x``, ``mask``, ``features`` as present) and ``y``."""
        idx = np.asarray(indices, dtype=np.int64)
        seqs = self.sequences[idx]
        if self._flip is not None:
            flip = self._flip[idx]
            if flip.any():
                from genoseq.data.encoding import reverse_complement_centred

                lengths = None if self.lengths is None else self.lengths[idx][flip]
                seqs[flip] = reverse_complement_centred(seqs[flip], lengths)
        batch = dict(self.encode(seqs))
        if self.features is not None:
            batch["features"] = self.features[idx]
        batch["y"] = self.labels[idx]
        return batch

    def __getitem__(self, i: int) -> dict[str, np.ndarray]:
        """One example, as a batch of one (leading dimension 1)."""
        return self.__getitems__([int(i)])


def collate_batch(batch: Mapping[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """Turn a batch from :meth:`SequenceDataset.__getitems__` into tensors (no copy where possible)."""
    return {key: torch.from_numpy(np.ascontiguousarray(value)) for key, value in batch.items()}
