"""genoseq: deep learning on DNA, from FASTA to variant-risk predictions.

The public names are imported lazily so that ``import genoseq`` (and the CLI's
``--help``) stays fast and the readers never pull in torch.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # errors
    "GenoseqError": "genoseq.errors",
    "InputFormatError": "genoseq.errors",
    "UnknownContigError": "genoseq.errors",
    "ReferenceMismatchError": "genoseq.errors",
    "ModelFormatError": "genoseq.errors",
    "ConfigError": "genoseq.errors",
    "TrainingError": "genoseq.errors",
    # io
    "read_fasta": "genoseq.io",
    "read_fastq": "genoseq.io",
    "read_fastx": "genoseq.io",
    "write_fasta": "genoseq.io",
    "Reference": "genoseq.io",
    "read_vcf": "genoseq.io",
    "read_bed": "genoseq.io",
    "read_alignments": "genoseq.io",
    "coverage": "genoseq.io",
    # tokenize
    "KmerTokenizer": "genoseq.tokenize",
    "OneHotEncoder": "genoseq.tokenize",
    "reverse_complement": "genoseq.tokenize",
    # predict
    "Predictor": "genoseq.predict",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'genoseq' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
