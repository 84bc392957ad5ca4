"""Joining the lines of a FASTA/FASTQ record into one checked sequence.

A sequence may hold ASCII letters (any case: bases, IUPAC codes, soft-masked
lower case, N runs) and the gap/stop symbols ``-``, ``.`` and ``*``; line
breaks and other whitespace are removed; anything else (digits, punctuation,
control or non-ASCII bytes) is an error.

The common case (a record written with one fixed line width) is handled with
numpy on a zero-copy view of the input buffer; everything else goes through
one ``bytes.translate`` pass.
"""

from __future__ import annotations

import re

import numpy as np

#: IUPAC nucleotide codes and their complements (upper case; lower case is
#: handled by keeping the case). ``-`` and ``.`` are gap symbols and complement
#: to themselves.
COMPLEMENT_PAIRS: dict[str, str] = {
    "A": "T",
    "C": "G",
    "G": "C",
    "T": "A",
    "R": "Y",
    "Y": "R",
    "K": "M",
    "M": "K",
    "B": "V",
    "V": "B",
    "D": "H",
    "H": "D",
    "S": "S",
    "W": "W",
    "N": "N",
    "-": "-",
    ".": ".",
}

#: Characters allowed in a sequence besides letters.
SYMBOLS = b"-.*"
WHITESPACE = b" \t\r\n\v\f"
_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123))
_ALLOWED = _LETTERS + SYMBOLS
#: ``bytes.translate`` table: allowed bytes map to themselves, everything else to NUL
#: (NUL itself stays NUL, also an error).
TABLE = bytes(c if c in _ALLOWED else 0 for c in range(256))
_BAD = re.compile(rb"[^A-Za-z\-.* \t\r\n\v\f]")
_CHECK_BLOCK = 1 << 20
#: Below this many bytes one translate pass is cheaper than the numpy calls' fixed cost.
SMALL_RECORD = 8192


class InvalidSequenceCharacter(Exception):
    """Internal: the record body holds a byte that is not allowed, at ``offset``."""

    def __init__(self, offset: int, byte: int) -> None:
        super().__init__(offset, byte)
        self.offset = offset
        self.byte = byte


def describe_byte(byte: int) -> str:
    """``'!'`` for a printable character, ``byte 0x00`` otherwise."""
    return repr(chr(byte)) if 32 <= byte < 127 else f"byte 0x{byte:02x}"


def locate(body: bytes, offset: int) -> tuple[int, int]:
    """(0-based line within ``body``, 1-based column) of byte ``offset``."""
    line = body.count(b"\n", 0, offset)
    column = offset - (body.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def clean(body: bytes) -> bytes:
    """Remove whitespace from ``body`` and check the characters left (general path).

    Raises
    ------
    InvalidSequenceCharacter
        With the offset (in ``body``) of the first byte that is not allowed.
    """
    seq = body.translate(TABLE, WHITESPACE)
    if b"\x00" in seq:
        bad = _BAD.search(body)
        assert bad is not None
        raise InvalidSequenceCharacter(bad.start(), body[bad.start()])
    return seq


_min = np.minimum.reduce
_max = np.maximum.reduce


def _letters_only(view: np.ndarray, scratch: np.ndarray) -> bool:
    """Whether every byte of ``view`` (uint8, 1-D) is an ASCII letter; vectorised, in blocks."""
    for i in range(0, view.size, _CHECK_BLOCK):
        part = view[i : i + _CHECK_BLOCK]
        low, high = int(_min(part)), int(_max(part))
        if (low >= 65 and high <= 90) or (low >= 97 and high <= 122):
            continue  # all upper case, or all lower case
        if low < 65 or high > 122:
            return False
        # mixed case: OR 0x20 folds A-Z onto a-z and moves the other bytes outside 97..122
        tmp = scratch[: part.size]
        np.bitwise_or(part, 0x20, out=tmp)
        if _min(tmp) < 97 or _max(tmp) > 122:
            return False
    return True


class SequenceJoiner:
    """Extract sequences from record bodies, reusing scratch memory between records."""

    def __init__(self) -> None:
        self._out = np.empty(0, dtype=np.uint8)
        self._tmp = np.empty(_CHECK_BLOCK, dtype=np.uint8)

    def join(self, buf: bytes | bytearray, arr: np.ndarray, a: int, b: int) -> tuple[str, int]:
        """The sequence in ``buf[a:b]`` (line breaks and whitespace removed) and its number of line breaks.

        ``arr`` is ``np.frombuffer(buf, np.uint8)``.  Raises
        :class:`InvalidSequenceCharacter` (offset relative to ``a``).
        """
        if a >= b:
            return "", 0
        if b - a < SMALL_RECORD:
            return self._general(buf[a:b])
        nl = buf.find(b"\n", a, b)
        line_len = nl + 1 - a  # including the line break
        width = line_len - 1
        if nl > a and buf[nl - 1] == 13:  # CRLF
            width -= 1
        full = (b - a) // line_len if nl >= 0 else 0
        if nl < 0 or width <= 0 or full < 2:
            return self._general(buf[a:b])
        # fixed-width fast path: `full` lines of `line_len` bytes, then a short tail
        tail_start = a + full * line_len
        if arr[a + line_len - 1 : tail_start : line_len].tobytes().count(b"\n") != full:
            return self._general(buf[a:b])
        if width != line_len - 1 and arr[a + width : tail_start : line_len].tobytes().count(b"\r") != full:
            return self._general(buf[a:b])
        tail = raw_tail = b""
        if tail_start < b:
            raw_tail = buf[tail_start:b]
            try:
                tail = clean(raw_tail)
            except InvalidSequenceCharacter:
                return self._general(buf[a:b])  # names the record's first bad byte, not the tail's
        n_main = full * width
        n = n_main + len(tail)
        if self._out.size < n:
            self._out = np.empty(max(n, 2 * self._out.size), dtype=np.uint8)
        out = self._out[:n]
        # copy the lines without their line breaks: one fixed-size (void) element per line
        line = np.dtype((np.void, width))
        lines = np.ndarray((full,), dtype=line, buffer=arr, offset=a, strides=(line_len,))
        out[:n_main].view(line)[...] = lines
        if tail:
            out[n_main:] = np.frombuffer(tail, dtype=np.uint8)
        if not _letters_only(out, self._tmp):
            return self._general(buf[a:b])
        return str(memoryview(out), "ascii"), full + raw_tail.count(b"\n")

    @staticmethod
    def _general(body: bytes) -> tuple[str, int]:
        seq = clean(body)
        return seq.decode("ascii"), body.count(b"\n")
