"""The streaming FASTA parser behind :func:`genoseq.io.read_fasta`.

The input is read in large blocks; each record is cut out of the block with
``bytes.find`` (memchr) and its lines are joined by
:class:`~genoseq.io._sequence.SequenceJoiner`.  Only the current record (and
the rest of the current block) is held in memory; a record longer than a block
is gathered from several blocks first.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from typing import IO

import numpy as np

from genoseq.errors import InputFormatError
from genoseq.io._open import InputStream, describe_start, looks_binary, read_errors
from genoseq.io._sequence import (
    SMALL_RECORD,
    TABLE,
    WHITESPACE,
    InvalidSequenceCharacter,
    SequenceJoiner,
    clean,
    describe_byte,
    locate,
)
from genoseq.io.records import FastaRecord

CHUNK = 1 << 20
UTF8_BOM = b"\xef\xbb\xbf"
_NON_SPACE = re.compile(rb"[^ \t\r\n\v\f]")


def _next_header(buf: bytearray, start: int, stop: int) -> int:
    """Index of the next ``>`` at the start of a line in ``buf[start:stop]`` (``start`` >= 1); -1 if none."""
    find = buf.find
    k = find(b">", start, stop)
    while k > 0 and buf[k - 1] != 10:
        k = find(b">", k + 1, stop)
    return k


#: control characters (C0 but tab, DEL, C1): what makes a header line binary data rather than text
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def parse_header(raw: bytes | bytearray, path: str, line_no: int, marker: str = ">") -> tuple[str, str]:
    """(name, description) from a header line without its marker; checks it is text with a name."""
    try:
        text = raw.decode("utf-8").rstrip()
    except UnicodeDecodeError:
        raise InputFormatError(
            "binary data: the header line is not UTF-8 text", path=path, record=f"line {line_no}"
        ) from None
    if not text.isprintable() and _CONTROL.search(text):  # tabs, no-break spaces and the like are text
        raise InputFormatError(
            "binary data: control characters in the header line", path=path, record=f"line {line_no}"
        )
    parts = text.split(None, 1)
    if not parts:
        raise InputFormatError(
            f"empty header: a record needs a name after {marker!r}", path=path, record=f"line {line_no}"
        )
    return parts[0], text


def not_this_format(head: bytes, path: str, expected: str) -> InputFormatError:
    """The error for a file whose first non-blank byte is not the expected record marker."""
    first = head.lstrip()[:1]
    if looks_binary(head):
        why = f"binary data, not {expected}"
    elif first == b"@" and expected == "FASTA":
        why = "this looks like FASTQ (starts with '@'), not FASTA: use read_fastq or read_fastx"
    elif first == b">" and expected == "FASTQ":
        why = "this looks like FASTA (starts with '>'), not FASTQ: use read_fasta or read_fastx"
    else:
        marker = {"FASTA": "'>'", "FASTQ": "'@'"}.get(expected, "'>' or '@'")
        why = f"not {expected}: expected {marker} at the start, found {describe_start(head)}"
    line = 1 + head[: len(head) - len(head.lstrip())].count(b"\n")
    return InputFormatError(why, path=path, record=f"line {line}")


class _Buffer:
    """A growable byte buffer refilled from a stream with ``readinto`` (no per-block allocation)."""

    def __init__(self, stream: IO[bytes], size: int | None = None) -> None:
        self._readinto = stream.readinto  # type: ignore[attr-defined]
        self.data = bytearray(size or CHUNK)
        self.n = 0  # bytes of data in use
        self.eof = False
        self.arr = np.frombuffer(self.data, dtype=np.uint8)

    def refill(self, keep_from: int) -> int:
        """Move ``data[keep_from:n]`` to the front and read more after it; return how many bytes were read.

        The buffer doubles when the kept part fills it.  Returns 0 at end of file.
        """
        keep = self.n - keep_from
        if keep_from:
            self.data[:keep] = self.data[keep_from : self.n]
        if keep == len(self.data):
            del self.arr  # a bytearray with an exported buffer cannot grow
            try:
                self.data.extend(bytes(len(self.data)))
            finally:  # also after a MemoryError, which close() must not turn into an AttributeError
                self.arr = np.frombuffer(self.data, dtype=np.uint8)
        with memoryview(self.data) as view:
            got = self._readinto(view[keep:])
        self.n = keep + (got or 0)
        if not got:
            self.eof = True
        return got or 0

    def close(self) -> None:
        del self.arr


def iter_fasta(src: InputStream) -> Iterator[list[FastaRecord]]:
    """Yield the records of an opened FASTA stream in lists (batches); closes ``src`` when done.

    ``itertools.chain.from_iterable`` over it gives the records one at a time with no
    Python frame per record (see :func:`genoseq.io.fastx.read_fasta`).
    """
    path = src.name
    try:
        buf = _Buffer(src.stream)
        try:
            with read_errors(path, "FASTA file"):
                yield from _parse(buf, path)
        finally:
            buf.close()
    finally:
        src.close()


def _bad_character(
    exc: InvalidSequenceCharacter, body: bytes | bytearray, name: str, path: str, line_no: int
) -> InputFormatError:
    """The error for a bad sequence byte; ``line_no`` is the record's header line."""
    line, column = locate(bytes(body), exc.offset)
    return InputFormatError(
        f"invalid character {describe_byte(exc.byte)} in the sequence of record {name!r}"
        f" (column {column}); a sequence may hold letters and '-', '.', '*'",
        path=path,
        record=f"line {line_no + 1 + line}",
    )


def _short_sequence(raw: bytes | bytearray) -> str:
    """One translate pass: whitespace removed, every other byte checked (short records)."""
    seq = raw.translate(TABLE, WHITESPACE)
    if b"\x00" in seq:
        clean(raw)  # raises InvalidSequenceCharacter with the offset
    return seq.decode("ascii")


def _batch(
    block: bytes, path: str, line_no: int, joiner: SequenceJoiner, scratch: _Scratch
) -> tuple[list[FastaRecord], int]:
    """Records of ``block``: complete records joined by ``\\n>``, without the first ``>`` and last line break.

    Also returns the line number after the block. The block is cut into records
    and checked with a few whole-block numpy passes (:func:`_index_block`); a
    record that passes them (an ASCII header without control characters, a
    sequence of ASCII letters only) costs two ``str`` slices and no per-record
    byte pass. Any other record takes the general path (:func:`_general_record`),
    which also gives the precise error.
    """
    if not _letters_only_record(block):  # proteins ('*'), alignments ('-', '.'): record by record
        return _batch_general(block, path, line_no, joiner)
    index = _index_block(block, scratch)
    if index is None:  # not the common layout: record by record
        return _batch_general(block, path, line_no, joiner)
    text, starts, heads, ends, good, cuts, n_newlines = index
    records: list[FastaRecord] = []
    append = records.append
    new, set_name, set_description, set_sequence = _RECORD_FACTORY
    for i, (s, h, e, ok) in enumerate(zip(starts, heads, ends, good, strict=True)):
        description = text[s:h].rstrip()
        name = description.partition(" ")[0]
        if ok and name and description.isprintable():
            record = new(FastaRecord)
            set_name(record, name)
            set_description(record, description)
            set_sequence(record, text[h:e])
            append(record)
        else:
            start, stop, lines_before = cuts[i].tolist()
            append(_general_record(block[start:stop], path, line_no + lines_before, joiner))
    return records, line_no + n_newlines + 1


def _letters_only_record(block: bytes) -> bool:
    """Whether the block's first record has a sequence of letters only (a guess at the whole block)."""
    body = block.find(b"\n") + 1
    end = block.find(b"\n>", body)
    sequence = block[body : end if end >= 0 else min(len(block), body + 65536)].replace(b"\n", b"")
    return not sequence or sequence.isalpha()


# A FastaRecord built without the frozen dataclass's ``__init__`` (one
# ``object.__setattr__`` call per field): the same object, for a third less time
# per record on the fast path above.
_RECORD_FACTORY = (
    object.__new__,
    FastaRecord.name.__set__,  # type: ignore[attr-defined]
    FastaRecord.description.__set__,  # type: ignore[attr-defined]
    FastaRecord.sequence.__set__,  # type: ignore[attr-defined]
)


_Index = tuple[str, list[int], list[int], list[int], list[bool], np.ndarray, int]


class _Scratch:
    """A reusable ``uint8`` work array: a fresh 1-MB array per block costs its page faults every time."""

    def __init__(self) -> None:
        self._arr = np.empty(0, dtype=np.uint8)

    def get(self, n: int) -> np.ndarray:
        """A ``uint8`` array of ``n`` elements (contents undefined)."""
        if self._arr.size < n:
            self._arr = np.empty(max(n, 2 * self._arr.size), dtype=np.uint8)
        return self._arr[:n]


def _index_block(block: bytes, scratch: _Scratch) -> _Index | None:
    """Cut ``block`` (records joined by ``\\n>``) into records with whole-block numpy passes.

    Returns ``None`` when the block is not plain ASCII text with ``\\n`` line
    ends (then every record takes the general path). Otherwise the block with
    its line breaks removed, decoded (``text``), and per record, as lists: the
    header's start and end and the sequence's end in ``text`` (the sequence
    starts where the header ends), and whether the sequence is ASCII letters
    only; an ``(n, 3)`` array of each record's start and stop in ``block``
    and the line breaks before it (for the general path); the line breaks in ``block``.
    """
    if not block or b"\r" in block:
        return None
    flat = block.replace(b"\n", b"")
    if not flat.isascii():
        return None
    arr = np.frombuffer(block, dtype=np.uint8)
    work = scratch.get(arr.size + 1)
    newlines = np.flatnonzero(np.equal(arr, 10, out=work[: arr.size].view(np.bool_)))
    if not newlines.size:
        return None
    after = newlines + 1
    breaks = newlines[arr[np.minimum(after, arr.size - 1)] == 62]  # the \n of each \n>
    breaks = breaks[breaks + 1 < arr.size]
    starts = np.concatenate(([0], breaks + 2))  # header starts (after the >)
    stops = np.concatenate((breaks, [arr.size]))  # record ends (the \n before the next >)
    k = np.searchsorted(newlines, starts)  # line breaks before each record
    first_break = newlines[np.minimum(k, newlines.size - 1)]
    heads = np.where(k < newlines.size, np.minimum(first_break, stops), stops)  # header line ends
    # positions in the block without line breaks
    flat_starts = starts - k
    flat_heads = heads - np.searchsorted(newlines, heads)
    flat_ends = stops - np.searchsorted(newlines, stops)
    # all letters <=> every byte | 0x20 is in a..z (ASCII only); one sentinel byte past the end
    folded = work[: len(flat) + 1]
    np.bitwise_or(np.frombuffer(flat, dtype=np.uint8), 32, out=folded[:-1])
    folded[-1] = 0
    bounds = np.empty(3 * starts.size, dtype=np.int64)
    bounds[0::3], bounds[1::3], bounds[2::3] = flat_starts, flat_heads, flat_ends
    low = np.minimum.reduceat(folded, bounds)[1::3]
    high = np.maximum.reduceat(folded, bounds)[1::3]
    empty = flat_heads == flat_ends  # reduceat gives the next byte for an empty segment
    good = empty | ((low >= 97) & (high <= 122))
    return (
        flat.decode("ascii"),
        flat_starts.tolist(),
        flat_heads.tolist(),
        flat_ends.tolist(),
        good.tolist(),
        np.stack((starts, stops, k), axis=1),
        int(newlines.size),
    )


def _general_record(part: bytes, path: str, at: int, joiner: SequenceJoiner) -> FastaRecord:
    """One record ``part`` (header line without ``>``, then its sequence lines); ``at`` is its header line."""
    header, _, raw = part.partition(b"\n")
    name, description = parse_header(header, path, at)
    if len(raw) < SMALL_RECORD:  # one translate pass, if nothing is wrong
        seq = raw.translate(TABLE, WHITESPACE)
        if b"\x00" not in seq:
            return FastaRecord(name, description, seq.decode("ascii"))
    try:
        sequence, _ = joiner.join(raw, np.frombuffer(raw, dtype=np.uint8), 0, len(raw))
    except InvalidSequenceCharacter as exc:
        raise _bad_character(exc, raw, name, path, at) from None
    return FastaRecord(name, description, sequence)


def _batch_general(
    block: bytes, path: str, line_no: int, joiner: SequenceJoiner
) -> tuple[list[FastaRecord], int]:
    """:func:`_batch` record by record: for blocks that are not plain ASCII with ``\\n`` line ends.

    Line numbers are only worked out for a record that takes the general path
    (a long record, or one with an error to report).
    """
    records: list[FastaRecord] = []
    append = records.append
    offset = 0  # of the current part in block
    counted, lines = 0, 0  # newlines in block[:counted]
    for part in block.split(b"\n>"):
        header, _, raw = part.partition(b"\n")
        seq = raw.translate(TABLE, WHITESPACE)
        try:
            description = header.decode("utf-8").rstrip()
            name = description.split(None, 1)[0]
        except (UnicodeDecodeError, IndexError):
            name = ""
        if name and b"\x00" not in seq and len(raw) < SMALL_RECORD and description.isprintable():
            append(FastaRecord(name, description, seq.decode("ascii")))
        else:  # the general path gives the precise error, or handles a long record
            lines += block.count(b"\n", counted, offset)
            counted = offset
            append(_general_record(part, path, line_no + lines, joiner))
        offset += len(part) + 2
    return records, line_no + block.count(b"\n") + 1


def _parse(buf: _Buffer, path: str) -> Iterator[list[FastaRecord]]:
    """Parse records from ``buf``, in lists; every offset is into ``buf.data[:buf.n]``."""
    joiner = SequenceJoiner()
    scratch = _Scratch()
    buf.refill(0)
    data = buf.data
    line_no = 1
    while True:  # skip leading blank lines
        first = _NON_SPACE.search(data, 0, buf.n)
        if first is not None:
            break
        line_no += bytes(data[: buf.n]).count(b"\n")
        if buf.eof or not buf.refill(buf.n):
            return
    pos = first.start()
    line_no += bytes(data[:pos]).count(b"\n")
    if line_no == 1 and data[pos : pos + 3] == UTF8_BOM:  # a byte-order mark some editors write
        pos += 3
    if data[pos] != 62:  # '>'
        raise not_this_format(bytes(data[pos : min(buf.n, pos + 4096)]), path, "FASTA")
    find = data.find
    short = False  # was the last record short? then split the rest of the block in one go
    while True:
        if short:
            last = data.rfind(b"\n>", pos, buf.n)  # the last record start in the block
            if last > pos:
                with memoryview(data) as view:
                    block = bytes(view[pos + 1 : last])
                # a block makes ~1,000 records and twice as many tuples, none of them cyclic: the
                # cyclic collector would only traverse them (a quarter of the time on 1-kbp records)
                collecting = gc.isenabled()
                gc.disable()
                try:
                    records, line_no = _batch(block, path, line_no, joiner, scratch)
                finally:
                    if collecting:
                        gc.enable()
                yield records
                pos = last + 1
        end = _next_header(data, pos + 1, buf.n)
        while end < 0 and not buf.eof:
            scanned = buf.n - pos
            buf.refill(pos)
            pos = 0
            end = _next_header(data, max(1, scanned), buf.n)
        stop = buf.n if end < 0 else end
        nl = find(b"\n", pos, stop)
        name, description = parse_header(data[pos + 1 : stop if nl < 0 else nl], path, line_no)
        body = stop if nl < 0 else nl + 1
        short = stop - body < SMALL_RECORD
        try:
            if short:
                raw = data[body:stop]
                sequence, n_lines = _short_sequence(raw), raw.count(b"\n")
            else:
                sequence, n_lines = joiner.join(data, buf.arr, body, stop)
        except InvalidSequenceCharacter as exc:
            raise _bad_character(exc, data[body:stop], name, path, line_no) from None
        yield [FastaRecord(name, description, sequence)]
        if end < 0:
            return
        line_no += 1 + n_lines
        pos = end
