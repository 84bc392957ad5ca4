"""Rebuild a tokenizer from its ``to_dict()`` spec (as stored in a model's ``config.json``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from genoseq.errors import ConfigError
from genoseq.tokenize.kmer import KmerTokenizer
from genoseq.tokenize.onehot import OneHotEncoder

__all__ = ["TOKENIZER_TYPES", "Tokenizer", "tokenizer_from_spec"]

Tokenizer = KmerTokenizer | OneHotEncoder

#: ``"type"`` value of a spec → tokenizer class.
TOKENIZER_TYPES: dict[str, type[KmerTokenizer] | type[OneHotEncoder]] = {
    "kmer": KmerTokenizer,
    "onehot": OneHotEncoder,
}


def tokenizer_from_spec(d: Mapping[str, Any]) -> KmerTokenizer | OneHotEncoder:
    """Build the tokenizer described by ``d`` (the output of its ``to_dict()``).

    Parameters
    ----------
    d
        A spec with ``"type"`` ``"kmer"`` or ``"onehot"``.

    Returns
    -------
    KmerTokenizer or OneHotEncoder

    Raises
    ------
    ConfigError
        If ``d`` is not a mapping, the type is missing or unknown, or the spec is invalid.
    """
    if not isinstance(d, Mapping):
        raise ConfigError(f"tokenizer spec must be a JSON object, got {type(d).__name__}")
    kind = d.get("type")
    cls = TOKENIZER_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ConfigError(
            f"unknown tokenizer type {kind!r} (expected one of {', '.join(sorted(TOKENIZER_TYPES))})"
        )
    return cls.from_dict(d)
