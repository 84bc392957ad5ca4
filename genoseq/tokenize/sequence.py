"""Sequence helpers shared by the tokenizers: string → byte array, reverse complement.

Everything here works on whole sequences with C-level primitives
(``str.encode``, ``bytes.translate``, NumPy), never with a Python loop over
bases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np

from genoseq.errors import InputFormatError
from genoseq.io._sequence import COMPLEMENT_PAIRS

__all__ = [
    "COMPLEMENT_PAIRS",
    "reverse_complement",
    "reverse_complement_array",
    "sequences_to_array",
    "to_ascii_bytes",
]


def _complement_tables() -> tuple[bytes, bytes]:
    """Return (translate table, bytes of every valid symbol) for reverse complement."""
    table = bytearray(256)  # invalid bytes map to 0, which no valid symbol maps to
    valid = bytearray()
    for base, comp in COMPLEMENT_PAIRS.items():
        for src, dst in {(base, comp), (base.lower(), comp.lower())}:
            table[ord(src)] = ord(dst)
            valid.append(ord(src))
    return bytes(table), bytes(valid)


_COMPLEMENT_TABLE, _COMPLEMENT_VALID = _complement_tables()


def to_ascii_bytes(seq: str) -> bytes:
    """Encode ``seq`` as one byte per character.

    Non-ASCII characters become ``b"?"`` (one byte each, so positions are kept);
    every tokenizer treats ``?`` as an unknown base.

    Parameters
    ----------
    seq
        A nucleotide sequence (``str``); ``bytes`` are returned unchanged.

    Returns
    -------
    bytes
        ``len(seq)`` bytes.
    """
    if isinstance(seq, bytes | bytearray | memoryview):
        return bytes(seq)
    if not isinstance(seq, str):
        raise InputFormatError(f"expected a sequence string, got {type(seq).__name__}")
    return seq.encode("ascii", "replace")


def sequences_to_array(seqs: Sequence[str]) -> np.ndarray:
    """Stack equal-length sequences into a byte matrix.

    The sequences are joined and converted with a single :func:`numpy.frombuffer`;
    non-ASCII characters become ``?``.

    Parameters
    ----------
    seqs
        ``n`` sequences, all of length ``L`` (a single ``str`` is one sequence, ``n = 1``).

    Returns
    -------
    numpy.ndarray
        ``uint8``, shape ``(n, L)``, writable, C-contiguous: the ASCII codes.

    Raises
    ------
    InputFormatError
        If the sequences do not all have the same length (names the first
        offending index and both lengths).
    """
    seqs = as_sequence_list(seqs)
    n = len(seqs)
    if n == 0:
        return np.zeros((0, 0), dtype=np.uint8)
    try:
        lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=n)
    except TypeError:
        _raise_not_text(seqs, str | bytes)
    length = int(lengths[0])
    bad = np.flatnonzero(lengths != length)
    if bad.size:
        i = int(bad[0])
        raise InputFormatError(
            f"sequences must all have the same length: sequence 0 has length {length}, "
            f"sequence {i} has length {int(lengths[i])}"
        )
    try:
        if isinstance(seqs[0], str):
            joined = bytearray("".join(seqs), "ascii", "replace")
        else:
            joined = bytearray(b"".join(seqs))
    except TypeError:  # another kind among them (a bytes among str, a list of letters ...)
        _raise_not_text(seqs, type(seqs[0]))
    return np.frombuffer(joined, dtype=np.uint8).reshape(n, length)


def as_sequence_list(seqs: Any) -> list[Any]:
    """``seqs`` as a list of sequences (one ``str``/``bytes`` is one sequence).

    Raises
    ------
    InputFormatError
        ``seqs`` is neither a sequence nor an iterable of them (``None``, a number).
    """
    if isinstance(seqs, str | bytes):
        return [seqs]
    try:
        return list(seqs)
    except TypeError:
        raise InputFormatError(
            f"expected a sequence or a list of sequences, got {type(seqs).__name__}"
        ) from None


def _raise_not_text(seqs: list[Any], kind: Any) -> NoReturn:
    """Raise an InputFormatError naming the first of ``seqs`` that is not of ``kind``."""
    i = next((i for i, x in enumerate(seqs) if not isinstance(x, kind)), 0)
    raise InputFormatError(f"sequence {i} is {type(seqs[i]).__name__}, not text like sequence 0")


def _raise_bad_symbol(seq: str, data: bytes | None) -> None:
    """Raise an InputFormatError naming the first character with no complement."""
    if data is None:  # non-ASCII character
        pos = next(i for i, ch in enumerate(seq) if not ch.isascii())
    else:
        leftover = data.translate(None, _COMPLEMENT_VALID)
        pos = data.index(leftover[:1])
    raise InputFormatError(
        f"cannot reverse-complement {seq[pos]!r} at position {pos + 1}: not an IUPAC nucleotide code"
    )


def reverse_complement(seq: str) -> str:
    """Reverse complement of a DNA sequence, IUPAC-aware.

    ``A↔T``, ``C↔G``, ``R↔Y``, ``K↔M``, ``B↔V``, ``D↔H``; ``S``, ``W``, ``N``
    and the gap symbols ``-`` and ``.`` complement to themselves. Case is kept.
    The function is an involution: ``reverse_complement(reverse_complement(s)) == s``.

    Parameters
    ----------
    seq
        The sequence.

    Returns
    -------
    str
        The reverse complement, same length.

    Raises
    ------
    InputFormatError
        If ``seq`` holds any other character (``U``, digits, spaces, …); the
        message names the character and its position.
    """
    try:
        data = seq.encode("ascii")
    except UnicodeEncodeError:
        _raise_bad_symbol(seq, None)
    except AttributeError:
        raise InputFormatError(f"expected a sequence string, got {type(seq).__name__}") from None
    if data.translate(None, _COMPLEMENT_VALID):
        _raise_bad_symbol(seq, data)
    return data.translate(_COMPLEMENT_TABLE)[::-1].decode("ascii")


def reverse_complement_array(arr: np.ndarray) -> np.ndarray:
    """Reverse complement of a batch of ASCII-encoded sequences.

    Parameters
    ----------
    arr
        ``uint8``, shape ``(n, L)`` (or ``(L,)``): ASCII codes as made by
        :func:`sequences_to_array`.

    Returns
    -------
    numpy.ndarray
        ``uint8``, same shape, C-contiguous: each row complemented (byte-table
        lookup, case kept) and reversed.

    Raises
    ------
    InputFormatError
        If ``arr`` is not ``uint8`` or holds a byte that is not an IUPAC code
        (names the row, column and byte).
    """
    arr = np.asarray(arr)
    if arr.dtype != np.uint8:
        raise InputFormatError(f"expected a uint8 array of ASCII codes, got dtype {arr.dtype}")
    translated = np.ascontiguousarray(arr).tobytes().translate(_COMPLEMENT_TABLE)
    comp = np.frombuffer(translated, dtype=np.uint8).reshape(arr.shape)
    if translated.find(0) >= 0:
        flat = int(np.flatnonzero(comp.ravel() == 0)[0])
        where = np.unravel_index(flat, arr.shape)
        raise InputFormatError(
            f"cannot reverse-complement byte {int(arr[where])} ({chr(int(arr[where]))!r}) at "
            f"index {tuple(int(i) for i in where)}: not an IUPAC nucleotide code"
        )
    return np.ascontiguousarray(comp[..., ::-1])
