"""One-hot encoding of DNA (A, C, G, T channels), optionally with fractional IUPAC codes."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from genoseq.errors import ConfigError, InputFormatError
from genoseq.tokenize._spec import SPEC_VERSION, JsonSpecMixin, check_spec
from genoseq.tokenize.sequence import sequences_to_array, to_ascii_bytes

__all__ = ["IUPAC_BASES", "OneHotEncoder"]

#: The bases each IUPAC nucleotide code stands for (upper case).
IUPAC_BASES: dict[str, str] = {
    "A": "A",
    "C": "C",
    "G": "G",
    "T": "T",
    "R": "AG",
    "Y": "CT",
    "S": "CG",
    "W": "AT",
    "K": "GT",
    "M": "AC",
    "B": "CGT",
    "D": "AGT",
    "H": "ACT",
    "V": "ACG",
    "N": "ACGT",
}
_CHANNELS = "ACGT"
#: IUPAC code (ASCII) of each set of channels, as a bit mask A=1, C=2, G=4, T=8 (none: N)
_CODE_OF_MASK = np.full(16, ord("N"), dtype=np.uint8)
for _code, _bases in IUPAC_BASES.items():
    _CODE_OF_MASK[sum(1 << _CHANNELS.index(b) for b in _bases)] = ord(_code)
_DTYPES = ("float16", "float32", "float64", "uint8")


@dataclasses.dataclass(frozen=True)
class OneHotEncoder(JsonSpecMixin):
    """Encode DNA as ``(L, 4)`` one-hot rows in A, C, G, T channel order.

    Lower case counts as upper case. With ``iupac=False`` only A/C/G/T are set
    and everything else (N, IUPAC codes, gaps, other characters) is an all-zero
    row. With ``iupac=True`` an IUPAC code is spread evenly over the bases it
    stands for (``R`` = ½A + ½G, ``B`` = ⅓C + ⅓G + ⅓T, ``N`` = ¼ each); gaps and
    other characters stay all-zero.

    Parameters
    ----------
    iupac
        Encode IUPAC ambiguity codes as fractions.
    dtype
        Output dtype name: ``"float16"``, ``"float32"``, ``"float64"`` or
        ``"uint8"`` (not with ``iupac=True``).

    Raises
    ------
    ConfigError
        On an unsupported dtype or ``uint8`` with ``iupac=True``.
    """

    iupac: bool = False
    dtype: str = "float32"

    def __post_init__(self) -> None:
        if not isinstance(self.iupac, bool | np.bool_):
            raise ConfigError(f"iupac must be true or false, got {self.iupac!r}")
        object.__setattr__(self, "iupac", bool(self.iupac))
        try:  # None is refused, not numpy's float64 default
            name = None if self.dtype is None else np.dtype(self.dtype).name
        except TypeError:
            name = None
        if name not in _DTYPES:
            raise ConfigError(f"dtype must be one of {', '.join(_DTYPES)}, got {self.dtype!r}")
        if self.iupac and name == "uint8":
            raise ConfigError("iupac=True needs a floating-point dtype (fractional codes), got uint8")
        object.__setattr__(self, "dtype", name)

    @property
    def n_channels(self) -> int:
        """Number of channels (4: A, C, G, T)."""
        return 4

    @functools.cached_property
    def table(self) -> np.ndarray:
        """Lookup table, shape ``(256, 4)``, dtype :attr:`dtype`: the row for each ASCII code."""
        table = np.zeros((256, 4), dtype=np.float64)
        codes = IUPAC_BASES if self.iupac else {b: b for b in _CHANNELS}
        for code, bases in codes.items():
            row = np.array([ch in bases for ch in _CHANNELS], dtype=np.float64) / len(bases)
            table[ord(code)] = table[ord(code.lower())] = row
        table = table.astype(self.dtype)
        table.flags.writeable = False
        return table

    @functools.cached_property
    def _row_table(self) -> np.ndarray:
        # Each 4-channel row as one opaque item: NumPy gathers fixed-size items
        # several times faster than it gathers rows of a 2-D table.
        item = np.dtype((np.void, 4 * self.table.itemsize))
        return np.ascontiguousarray(self.table).view(item).reshape(256)

    def encode(self, seq: str) -> np.ndarray:
        """One-hot encode one sequence.

        Parameters
        ----------
        seq
            The sequence (``str``; ``bytes`` also accepted).

        Returns
        -------
        numpy.ndarray
            Shape ``(L, 4)``, dtype :attr:`dtype`.
        """
        arr = np.frombuffer(to_ascii_bytes(seq), dtype=np.uint8)
        return self.encode_array(arr[None, :])[0]

    def encode_batch(self, seqs: Sequence[str]) -> np.ndarray:
        """One-hot encode equal-length sequences.

        Parameters
        ----------
        seqs
            ``n`` sequences, all of length ``L`` (a single ``str`` is one sequence, ``n = 1``).

        Returns
        -------
        numpy.ndarray
            Shape ``(n, L, 4)``, dtype :attr:`dtype`.

        Raises
        ------
        InputFormatError
            If the lengths differ (names the first offending index and the lengths).
        """
        return self.encode_array(sequences_to_array(seqs))

    def encode_array(self, arr: np.ndarray) -> np.ndarray:
        """One-hot encode ASCII codes (the fast path: one table lookup).

        Parameters
        ----------
        arr
            ``uint8``, shape ``(n, L)`` (any shape works): ASCII codes, e.g.
            from :func:`~genoseq.tokenize.sequences_to_array`.

        Returns
        -------
        numpy.ndarray
            Shape ``(*arr.shape, 4)``, dtype :attr:`dtype`, writable.

        Raises
        ------
        InputFormatError
            If ``arr`` is not ``uint8``.
        """
        arr = np.asarray(arr)
        if arr.dtype != np.uint8:
            raise InputFormatError(f"expected a uint8 array of ASCII codes, got dtype {arr.dtype}")
        # indexing keeps the index array's memory order; the byte view below needs C order
        rows = self._row_table[np.ascontiguousarray(arr)]
        return rows.view(self.dtype).reshape(*arr.shape, 4)

    def decode(self, onehot: np.ndarray) -> str:
        """Sequence of a one-hot matrix (the inverse of :meth:`encode`, upper case).

        A row whose non-zero channels are all equal is the IUPAC code of those bases
        (``[1, 0, 0, 0]`` → ``A``, ``[.5, 0, .5, 0]`` → ``R``, all ``.25`` or all zero → ``N``),
        so ``decode(encode(s))`` gives ``s`` back in either mode (codes the encoder maps
        to zeros, without ``iupac``, come back as ``N``). Any other row -- probabilities,
        say -- decodes to its first largest channel.

        Parameters
        ----------
        onehot
            Shape ``(L, 4)``.

        Returns
        -------
        str
            Upper-case sequence of length ``L``.

        Raises
        ------
        InputFormatError
            If the shape is not ``(L, 4)``.
        """
        onehot = np.asarray(onehot)
        if onehot.ndim != 2 or onehot.shape[1] != 4:
            raise InputFormatError(f"expected a one-hot array of shape (L, 4), got {onehot.shape}")
        nonzero = onehot != 0
        top = onehot.max(axis=1, keepdims=True)
        exact = ((onehot == top) | ~nonzero).all(axis=1)  # every non-zero channel equal
        masks = nonzero.astype(np.int64) @ np.array([1, 2, 4, 8], dtype=np.int64)
        letters = np.where(exact, _CODE_OF_MASK[masks], _CODE_OF_MASK[1 << np.argmax(onehot, axis=1)])
        return letters.astype(np.uint8).tobytes().decode("ascii")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready spec: ``{"type": "onehot", "version": 1, "iupac": …, "dtype": …}``."""
        return {"type": "onehot", "version": SPEC_VERSION, "iupac": self.iupac, "dtype": self.dtype}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> OneHotEncoder:
        """Rebuild from :meth:`to_dict` output.

        Raises
        ------
        ConfigError
            On a wrong ``type``, a newer ``version``, an unknown key (named) or bad values.
        """
        return cls(**check_spec(d, "onehot", {"iupac": False, "dtype": "float32"}))
