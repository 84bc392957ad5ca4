"""Sequences -> model inputs, the one path shared by training and prediction.

A model's ``encoding`` spec (the tokenizer's ``to_dict()``, stored in the model
directory) decides what :func:`encode_for_model` returns:

* ``{"type": "onehot", ...}`` -> ``{"x": float32 (n, L, 4)}``;
* ``{"type": "kmer", ...}`` -> ``{"x": int64 (n, T), "mask": bool (n, T)}`` with
  ``[CLS] ... [SEP]`` around the k-mers.

Sequences shorter than the model's input length are padded **centrally** with
``N``: ``(L_in - len) // 2`` on the left, the rest on the right (so a sequence
is centred, with the extra base, if any, on the right). Longer sequences are an
error here; :class:`genoseq.predict.Predictor` cuts them into sliding windows.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from genoseq.errors import InputFormatError

__all__ = ["PAD_BASE", "EncodingSpec", "encode_for_model", "make_encoder", "pad_center", "to_torch"]

#: The byte used for padding (ASCII ``N``).
PAD_BASE = ord("N")

#: A tokenizer spec as stored in ``config.json`` (``{"type": "onehot"|"kmer", ...}``).
EncodingSpec = Mapping[str, Any]


@functools.lru_cache(maxsize=16)
def _encoder_from_json(spec_json: str) -> Any:
    from genoseq.tokenize import tokenizer_from_spec

    return tokenizer_from_spec(json.loads(spec_json))


def make_encoder(spec: EncodingSpec) -> Any:
    """The tokenizer object described by ``spec`` (``OneHotEncoder`` or ``KmerTokenizer``), cached.

    Raises
    ------
    ConfigError
        If the spec is invalid (unknown type or key, newer version).
    """
    return _encoder_from_json(json.dumps(dict(spec), sort_keys=True))


def pad_center(arr: np.ndarray, length: int) -> np.ndarray:
    """Pad ``uint8 (n, L)`` ASCII sequences centrally with ``N`` to ``(n, length)``.

    The left pad is ``(length - L) // 2`` bases, the right pad the rest.

    Raises
    ------
    InputFormatError
        If ``L > length``.
    """
    n, width = arr.shape
    if width > length:
        raise InputFormatError(f"sequences of length {width} are longer than the model input ({length})")
    if width == length:
        return arr
    out = np.full((n, length), PAD_BASE, dtype=np.uint8)
    left = (length - width) // 2
    out[:, left : left + width] = arr
    return out


def reverse_complement_centred(arr: np.ndarray, lengths: np.ndarray | None) -> np.ndarray:
    """Reverse complements of centrally padded rows, each padded centrally again.

    The reverse complement of a row :func:`pad_center` padded with an odd number of ``N`` has its
    bases one place right of where ``pad_center`` puts the reverse complement of the bases (the
    larger pad is on the right, and reversing moves it left). This gives, for every row, what
    padding the reverse-complemented bases gives -- what :class:`genoseq.Predictor` scores as a
    short record's reverse strand.

    Parameters
    ----------
    arr
        ``uint8 (n, L)`` ASCII rows.
    lengths
        ``int64 (n,)`` bases of each row before padding (``None``: every row has ``L``).

    Returns
    -------
    numpy.ndarray
        ``uint8 (n, L)``, a new array.
    """
    from genoseq.tokenize import reverse_complement_array

    out = reverse_complement_array(arr)
    if lengths is None:
        return out
    odd = np.flatnonzero((arr.shape[1] - np.asarray(lengths)) % 2 == 1)
    if odd.size:
        out[odd, :-1] = out[odd, 1:]
        out[odd, -1] = PAD_BASE
    return out


def _to_array(seqs: np.ndarray | Sequence[str], input_length: int) -> np.ndarray:
    if isinstance(seqs, np.ndarray):
        if seqs.dtype != np.uint8 or seqs.ndim != 2:
            raise InputFormatError(
                f"expected a uint8 (n, L) array of ASCII codes, got {seqs.dtype} {seqs.shape}"
            )
        return pad_center(seqs, input_length)
    from genoseq.tokenize import sequences_to_array

    padded = []
    for i, seq in enumerate(seqs):
        extra = input_length - len(seq)
        if extra < 0:
            raise InputFormatError(
                f"sequence {i} has length {len(seq)}, longer than the model input ({input_length})"
            )
        left = extra // 2
        padded.append("N" * left + seq + "N" * (extra - left) if extra else seq)
    if not padded:
        return np.zeros((0, input_length), dtype=np.uint8)
    return sequences_to_array(padded)


def encode_for_model(
    spec: EncodingSpec, seqs: np.ndarray | Sequence[str], *, input_length: int
) -> dict[str, np.ndarray]:
    """Encode sequences as the inputs of a model consuming ``spec``.

    Parameters
    ----------
    spec
        The tokenizer spec (``config.json``'s ``encoding``).
    seqs
        uint8 ``(n, L)`` ASCII codes, or ``n`` strings; ``L <= input_length``
        (shorter ones are padded centrally with ``N``).
    input_length
        The model's input length in bases.

    Returns
    -------
    dict[str, numpy.ndarray]
        onehot: ``{"x": float32 (n, input_length, 4)}``; kmer: ``{"x": int64 (n, T),
        "mask": bool (n, T)}`` with ``T`` the token count of ``input_length`` bases
        including ``[CLS]`` and ``[SEP]``.

    Raises
    ------
    InputFormatError
        A sequence longer than ``input_length`` or a malformed array.
    ConfigError
        An invalid spec.
    """
    arr = _to_array(seqs, input_length)
    encoder = make_encoder(spec)
    kind = spec["type"]
    if kind == "onehot":
        return {"x": encoder.encode_array(arr)}
    if kind == "kmer":
        text = arr.tobytes().decode("ascii", "replace")  # non-ASCII bytes become unknown bases
        rows = [text[i * input_length : (i + 1) * input_length] for i in range(arr.shape[0])]
        ids, mask = encoder.encode_batch(rows, add_special_tokens=True)
        if not rows:
            n_tok = encoder.n_tokens(input_length) + 2
            ids, mask = np.zeros((0, n_tok), np.int64), np.zeros((0, n_tok), bool)
        return {"x": ids, "mask": mask}
    raise InputFormatError(f"no model input encoding for tokenizer type {kind!r}")


def to_torch(batch: Mapping[str, np.ndarray], device: Any = "cpu") -> dict[str, Any]:
    """Move a batch of NumPy arrays to ``device`` as tensors (non-blocking copies).

    Parameters
    ----------
    batch
        Name -> array, e.g. the output of :func:`encode_for_model` plus ``"y"``/``"features"``.
    device
        A ``torch.device`` or its name.

    Returns
    -------
    dict[str, torch.Tensor]
        Same keys; dtypes kept (float32, int64, bool).
    """
    import torch

    return {
        key: torch.from_numpy(np.ascontiguousarray(value)).to(device, non_blocking=True)
        for key, value in batch.items()
    }
