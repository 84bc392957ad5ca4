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


def parse_header(raw: bytes | bytearray, path: str, line_no: int, marker: str = ">") -> tuple[str, str]:
    """(name, description) from a header line without its marker; checks it is text with a name."""
    try:
        text = raw.decode("utf-8").rstrip()
    except UnicodeDecodeError:
        raise InputFormatError(
            "binary data: the header line is not UTF-8 text", path=path, record=f"line {line_no}"
        ) from None
    if not text.isprintable() and not text.replace("\t", " ").isprintable():
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
            del self.arr
            self.data.extend(bytes(len(self.data)))
            self.arr = np.frombuffer(self.data, dtype=np.uint8)
        with memoryview(self.data) as view:
            got = self._readinto(view[keep:])
        self.n = keep + (got or 0)
        if not got:
            self.eof = True
        return got or 0

    def close(self) -> None:
        del self.arr


def iter_fasta(src: InputStream) -> Iterator[FastaRecord]:
    """Yield the records of an opened FASTA stream; closes ``src`` when done."""
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
    block: bytearray, path: str, line_no: int, joiner: SequenceJoiner
) -> tuple[list[FastaRecord], int]:
    """Records of ``block``: complete records joined by ``\\n>``, without the first ``>`` and last line break.

    Splitting a block of short records at once (into at most one block's worth
    of records) saves per-record work; also returns the line number after the block.
    Line numbers are only worked out for a record that takes the general path (a
    long record, or one with an error to report): the common record costs a few
    C-level calls and no Python-level loop over its lines.
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
            at = line_no + lines  # the header line of this record
            name, description = parse_header(header, path, at)
            try:
                sequence, _ = joiner.join(raw, np.frombuffer(raw, dtype=np.uint8), 0, len(raw))
            except InvalidSequenceCharacter as exc:
                raise _bad_character(exc, raw, name, path, at) from None
            append(FastaRecord(name, description, sequence))
        offset += len(part) + 2
    return records, line_no + block.count(b"\n") + 1


def _parse(buf: _Buffer, path: str) -> Iterator[FastaRecord]:
    """Parse records from ``buf``; every offset is into ``buf.data[:buf.n]``."""
    joiner = SequenceJoiner()
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
                    records, line_no = _batch(block, path, line_no, joiner)
                finally:
                    if collecting:
                        gc.enable()
                yield from records
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
        yield FastaRecord(name, description, sequence)
        if end < 0:
            return
        line_no += 1 + n_lines
        pos = end
