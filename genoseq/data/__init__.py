"""Labelled tables → datasets: reading, splitting, batching and encoding for the models.

* :func:`load_table` / :class:`LabelledTable` — CSV/TSV/Parquet (or FASTA + labels) → arrays.
* :func:`stratified_split` — class-balanced train/validation split.
* :class:`SequenceDataset`, :func:`collate_batch` — per-batch encoding for DataLoaders.
* :func:`encode_for_model`, :class:`EncodingSpec` — the model input encodings (``genoseq.data.encoding``).

Names are imported lazily so that reading a table does not import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "LabelledTable": "genoseq.data.tables",
    "load_table": "genoseq.data.tables",
    "file_sha256": "genoseq.data.tables",
    "stratified_split": "genoseq.data.splits",
    "SequenceDataset": "genoseq.data.datasets",
    "collate_batch": "genoseq.data.datasets",
    "encode_for_model": "genoseq.data.encoding",
    "EncodingSpec": "genoseq.data.encoding",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'genoseq.data' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
