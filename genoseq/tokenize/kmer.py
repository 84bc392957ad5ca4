"""Overlapping (or strided) k-mer tokenisation of DNA, vectorised with NumPy."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from genoseq.errors import ConfigError, InputFormatError
from genoseq.tokenize._spec import SPEC_VERSION, JsonSpecMixin, check_spec, require_int
from genoseq.tokenize.sequence import as_sequence_list, to_ascii_bytes

__all__ = ["KmerTokenizer"]

PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = 0, 1, 2, 3, 4
_SPECIAL_TOKENS: dict[str, int] = {
    "[PAD]": PAD_ID,
    "[UNK]": UNK_ID,
    "[CLS]": CLS_ID,
    "[SEP]": SEP_ID,
    "[MASK]": MASK_ID,
}
_N_SPECIAL = len(_SPECIAL_TOKENS)
_LETTERS = np.frombuffer(b"ACGT", dtype=np.uint8)
MAX_K = 12


#: Code of a base that is not A/C/G/T. As a two's-complement integer it is
#: ``…11111100``: see :func:`_fill_kmer_ids` for why this value.
_INVALID_CODE = -4
#: Bases tokenised per block: intermediates stay in cache and are reused.
_CHUNK = 1 << 17


def _base_code_table() -> bytes:
    """``bytes.translate`` table: A/C/G/T (either case) → 0/1/2/3, every other byte → 0xFC (-4 as int8)."""
    table = bytearray([_INVALID_CODE & 0xFF] * 256)
    for code, base in enumerate("ACGT"):
        table[ord(base)] = table[ord(base.lower())] = code
    return bytes(table)


_BASE_CODES = _base_code_table()


def _fill_kmer_ids(codes: np.ndarray, k: int, stride: int, out: np.ndarray) -> None:
    """Write the k-mer ids of a block of rows into ``out`` (see :func:`_encode_rows`).

    Windows of ``2**j`` bases are built by doubling (``w2p[i] = wp[i] << 2p | wp[i+p]``)
    over the block flattened to one contiguous row, then the windows of the
    binary decomposition of ``k`` are combined at each row's strided start
    positions only (windows that run across a row end are computed but never
    read): about ``2 * log2(k)`` vector operations on 16-bit (k ≤ 7) or 32-bit
    unsigned integers, then one cast to ``int64``.

    Invalid bases need no separate mask. Their code -4 is all ones above the
    two bits of a base, so when a base at k-mer position ``i`` is invalid every
    bit above its field is set; read as a signed integer the k-mer value is
    then at most -4 (bits from ``2k`` up include the sign bit; the bases after
    ``i`` fill at most the bits below ``i``'s field), while valid k-mers are
    ``0 … 4**k - 1``. ``max(value + 5, 1)`` is thus the id, ``[UNK]`` = 1 included;
    it is computed in the narrow type and cast to ``int64`` once.

    Parameters
    ----------
    codes
        ``int8``, shape ``(R, W)``, C-contiguous: base codes 0–3, -4 for anything else.
    k, stride
        The tokenizer's parameters.
    out
        ``int64``, shape ``(R, m)`` with ``m = (W - k) // stride + 1 ≥ 1``.
    """
    n_rows, width = codes.shape
    span = (out.shape[1] - 1) * stride + 1
    if k == 1:  # the codes already are 0..3 or -4
        np.add(codes[:, :span:stride], _N_SPECIAL, out=out, dtype=np.int64)
        return
    utype, stype = (np.uint16, np.int16) if k <= 7 else (np.uint32, np.int32)
    parts: list[tuple[int, int]] = []  # (window size, offset in the k-mer), largest first
    offset = 0
    for bit in reversed(range(k.bit_length())):
        if k & (1 << bit):
            parts.append((1 << bit, offset))
            offset += 1 << bit

    flat = np.empty(codes.size, dtype=utype)
    np.copyto(flat, codes.reshape(-1), casting="unsafe")  # sign-extends: -4 → 0xFF…FC
    windows: dict[int, np.ndarray] = {1: flat}  # window at each flat start; the last size-1 unset
    size = 1
    while size < parts[0][0]:
        prev = windows[size]
        n_new = prev.size - size
        win = np.empty(prev.size, dtype=utype)
        # multiplying by 4**size is the left shift, and faster than np.left_shift
        np.multiply(prev[:n_new], utype(4**size), out=win[:n_new])
        np.bitwise_or(win[:n_new], prev[size:], out=win[:n_new])
        windows[2 * size] = win
        size *= 2

    def starts(size: int, offset: int) -> np.ndarray:
        return windows[size].reshape(n_rows, width)[:, offset : offset + span : stride]

    size, offset = parts[0]
    acc = starts(size, offset)
    if len(parts) > 1:
        acc = np.multiply(acc, utype(4 ** (k - size)))
        tmp: np.ndarray | None = None
        for size, offset in parts[1:]:
            factor = 4 ** (k - offset - size)
            if factor > 1:
                tmp = np.multiply(starts(size, offset), utype(factor), out=tmp)
                np.bitwise_or(acc, tmp, out=acc)
            else:
                np.bitwise_or(acc, starts(size, offset), out=acc)
    # ids = max(value + 5, 1), in the narrow type, then one cast to int64
    acc = acc.view(stype)
    np.add(acc, stype(_N_SPECIAL), out=acc)
    np.maximum(acc, _ones(stype, acc.size).reshape(acc.shape), out=acc)
    np.copyto(out, acc)


_ONES: dict[type, np.ndarray] = {}


def _ones(dtype: type, size: int) -> np.ndarray:
    """A read-only array of at least ``size`` ones, reused (np.maximum is slow with a scalar)."""
    ones = _ONES.get(dtype)
    if ones is None or ones.size < size:
        ones = np.ones(max(size, _CHUNK), dtype=dtype)
        ones.flags.writeable = False
        _ONES[dtype] = ones
    return ones[:size]


class _Rows:
    """Sequences read as ASCII rows of ``width`` bases: cut to ``width``, padded with ``N``.

    Blocks are made on demand so that no copy of the whole batch is ever held.
    """

    def __init__(self, seqs: Sequence[str | bytes], lengths: np.ndarray, width: int) -> None:
        self.seqs = seqs
        self.width = width
        self.row_length = int(lengths[0]) if len(lengths) else 0
        self.equal = bool((lengths == self.row_length).all()) and self.row_length >= width

    def block(self, r0: int, r1: int) -> bytes:
        """Rows ``r0:r1`` as ``(r1 - r0) * width`` bytes."""
        rows = self.seqs[r0:r1]
        if self.equal:  # the common case: one join, no per-sequence work
            try:
                data = to_ascii_bytes("".join(rows) if isinstance(rows[0], str) else b"".join(rows))
            except TypeError:
                raise InputFormatError("sequences must all be str (or all bytes)") from None
            if self.row_length == self.width:
                return data
            return np.frombuffer(data, dtype=np.uint8).reshape(len(rows), -1)[:, : self.width].tobytes()
        return b"".join(self.piece(r, 0, self.width) for r in range(r0, r1))

    def piece(self, r: int, start: int, stop: int) -> bytes:
        """Bases ``start:stop`` of row ``r`` (``N``-padded past the sequence's end)."""
        return to_ascii_bytes(self.seqs[r][start:stop]).ljust(stop - start, b"N")


def _encode_rows(rows: _Rows, k: int, stride: int, out: np.ndarray) -> None:
    """K-mer ids of every row, block by block.

    Parameters
    ----------
    rows
        The ``n`` sequences, as rows of ``rows.width`` bases.
    k, stride
        The tokenizer's parameters.
    out
        ``int64``, shape ``(n, m)`` with ``m ≤ (width - k) // stride + 1``: filled in.

    Notes
    -----
    Rows are processed in blocks of about :data:`_CHUNK` bases (several short
    rows at once, or one long row in pieces overlapping by ``k - stride``) so
    the intermediates stay in cache and no whole-batch copy is made; there is
    no Python loop over bases.
    """
    n, m = out.shape
    width = rows.width
    if n == 0 or m == 0:
        return
    if width <= _CHUNK:
        per_block = max(1, _CHUNK // width)
        for r0 in range(0, n, per_block):
            r1 = min(n, r0 + per_block)
            data = rows.block(r0, r1).translate(_BASE_CODES)
            codes = np.frombuffer(data, dtype=np.int8).reshape(r1 - r0, width)
            _fill_kmer_ids(codes, k, stride, out[r0:r1])
        return
    step = max(1, _CHUNK // stride)
    for r in range(n):
        for a in range(0, m, step):
            b = min(m, a + step)
            data = rows.piece(r, a * stride, (b - 1) * stride + k).translate(_BASE_CODES)
            codes = np.frombuffer(data, dtype=np.int8).reshape(1, -1)
            _fill_kmer_ids(codes, k, stride, out[r : r + 1, a:b])


@dataclasses.dataclass(frozen=True)
class KmerTokenizer(JsonSpecMixin):
    """Split DNA into k-mers and map each to an integer id.

    Id layout (fixed; part of the saved-model format):

    ========  ===================================================================
    id        token
    ========  ===================================================================
    0         ``[PAD]``
    1         ``[UNK]`` — any k-mer holding a letter other than A/C/G/T (N, IUPAC, …)
    2         ``[CLS]``
    3         ``[SEP]``
    4         ``[MASK]``
    5 …       the ``4**k`` k-mers in lexicographic order (A < C < G < T): the k-mer
              ``b0 … b(k-1)`` has id ``5 + sum(code(b_i) * 4**(k-1-i))`` with
              A=0, C=1, G=2, T=3
    ========  ===================================================================

    The special tokens have DNABERT's ids, the k-mers do not: DNABERT's ``vocab.txt`` lists them
    in A, T, C, G order (``AAT`` is its id 6, here 8), so its pretrained embeddings do not fit
    these ids without reordering.

    Lower case counts as upper case. K-mers start at positions 0, ``stride``,
    ``2*stride``, … up to ``len(seq) - k``; a sequence shorter than ``k`` has none.

    Parameters
    ----------
    k
        K-mer length, 1 ≤ k ≤ 12.
    stride
        Step between k-mer starts, ≥ 1. ``stride == k`` gives non-overlapping k-mers.
        With ``stride > k`` some bases are in no k-mer and :meth:`decode` refuses.

    Raises
    ------
    ConfigError
        If ``k`` or ``stride`` is out of range or not an integer.
    """

    k: int = 6
    stride: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", require_int("k", self.k, 1, MAX_K))
        object.__setattr__(self, "stride", require_int("stride", self.stride, 1))

    # ----------------------------------------------------------------- vocabulary
    @property
    def vocab_size(self) -> int:
        """Number of ids: 5 special tokens + ``4**k`` k-mers."""
        return _N_SPECIAL + 4**self.k

    @property
    def special_tokens(self) -> dict[str, int]:
        """The special tokens and their ids (``[PAD]``, ``[UNK]``, ``[CLS]``, ``[SEP]``, ``[MASK]``)."""
        return dict(_SPECIAL_TOKENS)

    @property
    def pad_id(self) -> int:
        """Id of ``[PAD]`` (0)."""
        return PAD_ID

    @property
    def unk_id(self) -> int:
        """Id of ``[UNK]`` (1)."""
        return UNK_ID

    @property
    def cls_id(self) -> int:
        """Id of ``[CLS]`` (2)."""
        return CLS_ID

    @property
    def sep_id(self) -> int:
        """Id of ``[SEP]`` (3)."""
        return SEP_ID

    @property
    def mask_id(self) -> int:
        """Id of ``[MASK]`` (4)."""
        return MASK_ID

    @functools.cached_property
    def vocab(self) -> dict[str, int]:
        """Token → id for every token, built on first use (``5 + 4**k`` entries: large for k ≥ 10)."""
        letters = self._kmer_letters(np.arange(4**self.k, dtype=np.int64))
        text = letters.tobytes().decode("ascii")
        k = self.k
        vocab = dict(_SPECIAL_TOKENS)
        vocab.update((text[i * k : (i + 1) * k], _N_SPECIAL + i) for i in range(4**k))
        return vocab

    def token_to_id(self, token: str) -> int:
        """Id of a token: a special token or a k-mer (any case; non-ACGT letters give ``[UNK]``).

        Raises
        ------
        InputFormatError
            If ``token`` is neither a special token nor a string of length ``k``.
        """
        if token in _SPECIAL_TOKENS:
            return _SPECIAL_TOKENS[token]
        if not isinstance(token, str) or len(token) != self.k:
            raise InputFormatError(f"{token!r} is not a special token or a {self.k}-mer")
        return int(self.encode(token)[0])

    def id_to_token(self, token_id: int) -> str:
        """Token of an id (the inverse of :meth:`token_to_id` for ACGT k-mers).

        Raises
        ------
        InputFormatError
            If ``token_id`` is not in ``[0, vocab_size)``.
        """
        token_id = self._check_ids(np.asarray(token_id))
        if token_id.ndim != 0:
            raise InputFormatError(f"expected a single id, got shape {token_id.shape}")
        i = int(token_id)
        if i < _N_SPECIAL:
            return next(tok for tok, j in _SPECIAL_TOKENS.items() if j == i)
        return self._kmer_letters(np.array([i - _N_SPECIAL])).tobytes().decode("ascii")

    def n_tokens(self, length: int) -> int:
        """Number of k-mers in a sequence of ``length`` bases (without special tokens)."""
        length = require_int("length", length, 0)
        return 0 if length < self.k else (length - self.k) // self.stride + 1

    # ------------------------------------------------------------------ encoding
    def encode(self, seq: str) -> np.ndarray:
        """Token ids of one sequence (no special tokens).

        Parameters
        ----------
        seq
            The sequence (``str``; ``bytes`` also accepted).

        Returns
        -------
        numpy.ndarray
            ``int64``, shape ``(n_tokens(len(seq)),)``.
        """
        if not isinstance(seq, str | bytes | bytearray):
            raise InputFormatError(f"expected a sequence string, got {type(seq).__name__}")
        out = np.empty((1, self.n_tokens(len(seq))), dtype=np.int64)
        _encode_rows(_Rows([seq], np.array([len(seq)]), len(seq)), self.k, self.stride, out)
        return out[0]

    def encode_batch(
        self,
        seqs: Sequence[str],
        add_special_tokens: bool = True,
        max_length: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Token ids of many sequences, padded into one matrix.

        Each row is ``[CLS] tokens… [SEP]`` (or just the tokens without
        ``add_special_tokens``), right-padded with ``[PAD]``. Equal-length input
        is tokenised as one 2-D array with no per-sequence Python work; unequal
        lengths are padded to the longest (needed) length first.

        Parameters
        ----------
        seqs
            ``n`` sequences (a single ``str`` is one sequence, ``n = 1``).
        add_special_tokens
            Wrap each row in ``[CLS]`` … ``[SEP]``.
        max_length
            If given, the number of columns ``T``; longer rows are truncated
            (keeping ``[CLS]`` and ``[SEP]``). Otherwise ``T`` is the longest row.

        Returns
        -------
        ids : numpy.ndarray
            ``int64``, shape ``(n, T)``.
        attention_mask : numpy.ndarray
            ``bool``, shape ``(n, T)``: True where ``ids`` is not padding.

        Raises
        ------
        ConfigError
            If ``max_length`` is too small to hold the special tokens.
        """
        n_special = 2 if add_special_tokens else 0
        if max_length is not None:
            max_length = require_int("max_length", max_length, max(n_special, 1))
        seqs = as_sequence_list(seqs)  # one string is one sequence
        n = len(seqs)
        try:
            lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=n)
        except TypeError:
            lengths = None
        if lengths is None or (n and not all(isinstance(x, str | bytes) for x in (seqs[0], seqs[-1]))):
            raise InputFormatError("encode_batch expects a sequence of str")
        longest = int(lengths.max()) if n else 0
        cap = self.n_tokens(longest)
        if max_length is not None:
            cap = min(cap, max_length - n_special)
        width = 0 if cap == 0 else min(longest, (cap - 1) * self.stride + self.k)  # bases used
        longest_row = cap + n_special if n else 0
        n_cols = max_length if max_length is not None else longest_row
        ids = np.zeros((n, n_cols), dtype=np.int64)
        start = 1 if add_special_tokens else 0
        _encode_rows(_Rows(seqs, lengths, width), self.k, self.stride, ids[:, start : start + cap])
        if n == 0 or bool((lengths == longest).all()):
            kept = np.full(n, cap, dtype=np.int64)  # tokens per row
            attention_mask = np.zeros((n, n_cols), dtype=bool)
            attention_mask[:, : cap + n_special] = True
        else:
            counts = np.where(lengths >= self.k, (lengths - self.k) // self.stride + 1, 0)
            kept = np.minimum(counts, cap)
            attention_mask = np.arange(n_cols)[None, :] < (kept + n_special)[:, None]
            np.putmask(ids, ~attention_mask, PAD_ID)  # the N-padding's tokens
        if add_special_tokens and n:
            ids[:, 0] = CLS_ID
            ids[np.arange(n), kept + 1] = SEP_ID
        return ids, attention_mask

    # ------------------------------------------------------------------ decoding
    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """Rebuild the sequence from (overlapping) k-mer ids.

        The first k-mer gives ``k`` bases and every following one its last
        ``stride`` bases. A base that only ``[UNK]`` tokens gave is taken from any
        known k-mer that also covers it, so an ``N`` costs only the bases no known
        k-mer covers (``ACGTACGNACGTACG``, k = 6: just the ``N``; near an end, more);
        ``[CLS]``, ``[SEP]`` and the ``[PAD]`` runs that pad a batch row (at its end, or its
        start) are dropped, and a ``[MASK]`` (or ``[PAD]``) between k-mers counts as ``[UNK]``: it holds
        one k-mer's place, so the bases after it keep theirs. Overlaps are not
        cross-checked: ids that do not come from one sequence give the sequence this rule implies.
        ``decode(encode(s)) == s.upper()`` for ACGT ``s`` with
        ``(len(s) - k) % stride == 0``.

        Parameters
        ----------
        ids
            Integer ids, shape ``(m,)``.

        Returns
        -------
        str
            Upper-case sequence.

        Raises
        ------
        ConfigError
            If ``stride > k``: the bases between k-mers were never encoded.
        InputFormatError
            If an id is out of range or ``ids`` is not one-dimensional.
        """
        if self.stride > self.k:
            raise ConfigError(
                f"cannot decode with stride {self.stride} > k {self.k}: bases between k-mers are lost"
            )
        ids = self._check_ids(np.asarray(ids))
        if ids.ndim != 1:
            raise InputFormatError(f"decode expects a 1-D array of ids, got shape {ids.shape}")
        ids = ids[(ids != CLS_ID) & (ids != SEP_ID)]
        kept = np.flatnonzero(ids != PAD_ID)
        ids = ids[kept[0] : kept[-1] + 1] if kept.size else ids[:0]  # a batch row's padding, either side
        ids = np.where((ids == PAD_ID) | (ids == MASK_ID), UNK_ID, ids)
        if ids.size == 0:
            return ""
        letters = self._kmer_letters(ids - _N_SPECIAL)
        unknown = ids == UNK_ID
        letters[unknown] = ord("N")
        out = np.concatenate([letters[0], letters[1:, self.k - self.stride :].ravel()])
        if unknown.any() and not unknown.all():
            # fill what [UNK] tokens hid from the known k-mers that overlap it
            starts = np.arange(ids.size, dtype=np.int64) * self.stride
            cover = np.full(out.size, ord("N"), dtype=np.uint8)
            cover[(starts[~unknown, None] + np.arange(self.k)).ravel()] = letters[~unknown].ravel()
            out = np.where(out == ord("N"), cover, out)
        return out.astype(np.uint8).tobytes().decode("ascii")

    def _kmer_letters(self, kmer: np.ndarray) -> np.ndarray:
        """``uint8`` (m, k) ASCII letters of k-mer indices ``kmer`` (id − 5, shape (m,))."""
        letters = np.empty((kmer.shape[0], self.k), dtype=np.uint8)
        for i in range(self.k):  # one vector operation per k-mer position
            letters[:, i] = _LETTERS[(kmer >> (2 * (self.k - 1 - i))) & 3]
        return letters

    def _check_ids(self, ids: np.ndarray) -> np.ndarray:
        if ids.dtype.kind not in "iu":
            if ids.size == 0:
                return ids.astype(np.int64)
            raise InputFormatError(f"token ids must be integers, got dtype {ids.dtype}")
        ids = ids.astype(np.int64, copy=False)
        bad = (ids < 0) | (ids >= self.vocab_size)
        if bad.any():
            raise InputFormatError(
                f"token id {int(ids[bad].flat[0])} out of range [0, {self.vocab_size}) for k={self.k}"
            )
        return ids

    # -------------------------------------------------------------- serialising
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready spec: ``{"type": "kmer", "version": 1, "k": k, "stride": stride}``."""
        return {"type": "kmer", "version": SPEC_VERSION, "k": self.k, "stride": self.stride}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> KmerTokenizer:
        """Rebuild from :meth:`to_dict` output.

        Raises
        ------
        ConfigError
            On a wrong ``type``, a newer ``version``, an unknown key (named) or bad values.
        """
        return cls(**check_spec(d, "kmer", {"k": 6, "stride": 1}))
