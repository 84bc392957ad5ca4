"""Streaming FASTA/FASTQ readers and an atomic FASTA writer.

All readers accept plain, gzip and bgzip files (detected from the magic bytes,
not the name), ``-`` for stdin, Unix or Windows line endings, and hold one
record at a time.  They return a :class:`~genoseq.io._open.RecordIterator`: an
iterator that is also a context manager.

Errors are raised as soon as they can be seen: a missing file, a directory,
binary data or a file of the wrong format fails when the reader is created;
problems inside the file fail when the offending record is reached.  Each
message names the file, the line and the problem.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from genoseq._atomic import atomic_path
from genoseq.errors import InputFormatError
from genoseq.io._fasta import UTF8_BOM, iter_fasta, not_this_format, parse_header
from genoseq.io._open import InputStream, RecordIterator, describe_start, read_errors
from genoseq.io._sequence import InvalidSequenceCharacter, clean, describe_byte, locate
from genoseq.io.records import FastaRecord, FastqRecord

PathLike = str | os.PathLike[str]

_QUALITY_CHARS = bytes(range(33, 127))

#: the first line of a SAM file's header (a FASTQ read is not named HD, SQ … with a tab after it)
_SAM_HEADER = re.compile(rb"@(?:HD|SQ|RG|PG|CO)\t")


def _open(path: PathLike, expected: str) -> InputStream:
    src = InputStream(path, allow_stdin=True)
    head = src.head.lstrip().removeprefix(UTF8_BOM).lstrip()
    marker = {"FASTA": b">", "FASTQ": b"@"}.get(expected)
    ok = head[:1] == marker if marker else head[:1] in (b">", b"@")
    if _SAM_HEADER.match(head):  # `samtools view -h` output starts with '@' too
        src.close()
        raise InputFormatError(
            f"SAM text, not {expected}: convert the alignments first (`samtools fastq` or `samtools fasta`)",
            path=src.name,
            record="line 1",
        )
    # an empty (or blank) file is accepted: it has no records
    if head and not ok:
        src.close()
        raise not_this_format(src.head, src.name, expected)
    return src


def read_fasta(path: PathLike) -> RecordIterator[FastaRecord]:
    """Stream the records of a FASTA file.

    Parameters
    ----------
    path
        Plain, gzip or bgzip FASTA; ``"-"`` reads stdin.

    Returns
    -------
    RecordIterator[FastaRecord]
        Iterator (and context manager) of records, one held at a time.  An empty
        or blank file gives no records (not an error).

    Raises
    ------
    InputFormatError
        Missing file ("no such file"), directory ("is a directory"), binary data,
        not FASTA (e.g. FASTQ), truncated gzip, an empty header, or a sequence
        character other than a letter or ``-``, ``.``, ``*`` (line breaks, spaces and
        tabs inside sequence lines are whitespace and removed).  The message names
        the file and the line.
    """
    return _fasta_records(_open(path, "FASTA"))


def read_fastq(path: PathLike) -> RecordIterator[FastqRecord]:
    """Stream the records of a FASTQ file (4-line or multi-line records).

    Parameters
    ----------
    path
        Plain, gzip or bgzip FASTQ; ``"-"`` reads stdin.

    Returns
    -------
    RecordIterator[FastqRecord]
        Records one at a time; an empty file gives none.

    Raises
    ------
    InputFormatError
        As :func:`read_fasta`, plus: missing ``+`` line, quality length differing
        from the sequence length, quality characters outside ``!``..``~``.
    """
    src = _open(path, "FASTQ")
    return RecordIterator(_iter_fastq(src), src.close)


def read_fastx(path: PathLike) -> RecordIterator[FastaRecord] | RecordIterator[FastqRecord]:
    """Stream FASTA or FASTQ records, deciding from the first non-blank byte (``>`` or ``@``).

    See :func:`read_fasta` and :func:`read_fastq`; an empty file gives no records.
    """
    src = _open(path, "FASTA or FASTQ")
    if src.head.lstrip().removeprefix(UTF8_BOM).lstrip()[:1] == b"@":
        return RecordIterator(_iter_fastq(src), src.close)
    return _fasta_records(src)


def _fasta_records(src: InputStream) -> RecordIterator[FastaRecord]:
    """The records of an opened FASTA stream, one at a time, from the parser's batches.

    ``close()`` empties the batch being handed out, so that even a ``for`` loop
    already running over the records stops at its next step.
    """
    batches = iter_fasta(src)
    current: list[list[FastaRecord]] = []

    def held() -> Iterator[list[FastaRecord]]:
        for batch in batches:
            current[:] = [batch]
            yield batch

    def close() -> None:
        for batch in current:
            batch.clear()
        batches.close()
        src.close()

    return RecordIterator(itertools.chain.from_iterable(held()), close)


def _iter_fastq(src: InputStream) -> Iterator[FastqRecord]:
    """Yield the records of an opened FASTQ stream; closes ``src`` when done."""
    try:
        yield from _parse_fastq(src)
    finally:
        src.close()


#: sequence bytes of a record read before they are checked: bounds what a file with no '+' line holds
_CHECK_BYTES = 1 << 20


def _clean_sequence_lines(lines: list[bytes], name: str, path: str, first_line: int) -> bytes:
    """Sequence lines of record ``name`` (the first is file line ``first_line``), joined without
    their whitespace, the letters checked."""
    body = lines[0] if len(lines) == 1 else b"".join(lines)
    try:
        return clean(body)
    except InvalidSequenceCharacter as exc:
        line, column = locate(body, exc.offset)
        raise InputFormatError(
            f"invalid character {describe_byte(exc.byte)} in the sequence of record {name!r} (column {column})",
            path=path,
            record=f"line {first_line + line}",
        ) from None


def _parse_fastq(src: InputStream) -> Iterator[FastqRecord]:
    path = src.name
    with read_errors(path, "FASTQ file"):
        lines = iter(src.stream)
        line_no = 0
        for header in lines:
            line_no += 1
            if line_no == 1:
                header = header.removeprefix(UTF8_BOM)
            if not header.strip():
                continue
            start = line_no
            if header[:1] != b"@":
                raise InputFormatError(
                    f"expected a FASTQ record header starting with '@', found {describe_start(header)}",
                    path=path,
                    record=f"line {line_no}",
                )
            name, description = parse_header(header[1:], path, line_no, marker="@")
            seq_lines: list[bytes] = []  # cleaned blocks
            pending: list[bytes] = []  # lines read, not yet checked
            pending_bytes = 0
            for line in lines:
                line_no += 1
                if line[:1] == b"+":
                    repeated = line[1:].decode("utf-8", "replace").split(None, 1)  # as the header is split
                    if repeated and repeated[0] != name:
                        raise InputFormatError(
                            f"the '+' line names {repeated[0]!r}, "
                            f"not the record's own name {name!r} (records out of step?)",
                            path=path,
                            record=f"line {line_no}",
                        )
                    break
                pending.append(line)
                pending_bytes += len(line)
                if pending_bytes >= _CHECK_BYTES:
                    # checked (and cleaned) a block at a time as it is read, so that a file that is not
                    # FASTQ (no '+' line in sight) is refused at its first block, not held whole first
                    seq_lines.append(_clean_sequence_lines(pending, name, path, line_no - len(pending) + 1))
                    pending, pending_bytes = [], 0
            else:
                raise InputFormatError(
                    f"truncated record {name!r}: no '+' line after the sequence",
                    path=path,
                    record=f"line {start}",
                )
            if pending:
                seq_lines.append(_clean_sequence_lines(pending, name, path, line_no - len(pending)))
            seq = seq_lines[0] if len(seq_lines) == 1 else b"".join(seq_lines)
            quality = b""
            quality_lines: list[int] = []  # characters on each quality line read
            while True:
                line = next(lines, None)
                if line is None:
                    if seq:
                        raise InputFormatError(
                            f"truncated record {name!r}: the quality string ends early"
                            f" ({len(quality)} of {len(seq)} characters)",
                            path=path,
                            record=f"line {line_no}",
                        )
                    break
                line_no += 1
                # trailing spaces/tabs go, as on the sequence line (a space is no Phred+33 quality)
                line = line.rstrip()
                quality += line
                quality_lines.append(len(line))
                if len(quality) >= len(seq):
                    break
            if len(quality) != len(seq) and len(quality_lines) > 1:
                # the quality ran short and the next line (a header, most likely) was read as more
                first = line_no - len(quality_lines) + 1
                lines_text = f"line {first}" if line_no - 1 == first else f"lines {first}-{line_no - 1}"
                raise InputFormatError(
                    f"record {name!r}: the quality on {lines_text} has {sum(quality_lines[:-1])} characters "
                    f"but the sequence has {len(seq)} (line {line_no} was read as more quality)",
                    path=path,
                    record=f"line {first}",
                )
            if len(quality) != len(seq):
                raise InputFormatError(
                    f"record {name!r}: quality has {len(quality)} characters but the sequence has {len(seq)}",
                    path=path,
                    record=f"line {line_no}",
                )
            bad = quality.translate(None, _QUALITY_CHARS)
            if bad:
                raise InputFormatError(
                    f"record {name!r}: invalid quality character {describe_byte(bad[0])}"
                    " (Phred+33 uses '!'..'~')",
                    path=path,
                    record=f"line {line_no}",
                )
            yield FastqRecord(name, description, seq.decode("ascii"), quality.decode("ascii"))


def _kind(value: object) -> str:
    """``None``, or "a float" ...: what a value that should have been text is, for messages."""
    if value is None:
        return "None"
    name = type(value).__name__
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def _sequence_text(seq: object, header: str, index: int, path: str) -> str:
    """``seq`` as text: a str, ASCII bytes, or a Biopython ``Seq``; anything else (``None`` from a
    frame's missing value, a number) is an error naming the record, rather than its ``str()``."""
    if isinstance(seq, str):
        return seq
    who = f"sequence of {header.split()[0]!r}" if header.strip() else "sequence"
    if isinstance(seq, bytes | bytearray | memoryview):
        try:
            return bytes(seq).decode("ascii")
        except UnicodeDecodeError:
            raise InputFormatError(f"{who} is not ASCII", path=path, record=f"record {index}") from None
    from Bio.Seq import Seq

    if isinstance(seq, Seq):
        return str(seq)
    raise InputFormatError(
        f"{who} is {_kind(seq)}, not text{' (a missing value?)' if seq is None else ''}",
        path=path,
        record=f"record {index}",
    )


def _is_seq_record(item: object) -> bool:
    from Bio.SeqRecord import SeqRecord

    return isinstance(item, SeqRecord)


def _header_and_sequence(item: object, index: int, path: str) -> tuple[str, str]:
    if isinstance(item, FastaRecord | FastqRecord):
        header, seq = item.description or item.name, item.sequence
    elif isinstance(item, tuple | list) and len(item) == 2:
        header, seq = item
    elif _is_seq_record(item):  # Biopython's SeqRecord: written as Bio.SeqIO writes its header
        ident, text = str(item.id), str(item.description)  # type: ignore[attr-defined]
        unknown = not text or text == "<unknown description>"
        header = ident if unknown else text if text.split()[0] == ident else f"{ident} {text}"
        seq = item.seq  # type: ignore[attr-defined]
    else:
        raise TypeError(
            f"write_fasta: item {index} must be a FastaRecord, a Biopython SeqRecord or a (header, sequence) pair,"
            f" got {type(item).__name__}"
        )
    if header is None or isinstance(header, bytes | bytearray) or not isinstance(header, str | int):
        raise InputFormatError(
            f"the header is {_kind(header)}, not text", path=path, record=f"record {index}"
        )
    header = str(header)
    seq = _sequence_text(seq, header, index, path)
    if not header.strip() or "\n" in header or "\r" in header:
        raise InputFormatError(
            f"header {header!r} is empty or contains a line break", path=path, record=f"record {index}"
        )
    if not seq.isascii():
        raise InputFormatError(
            f"sequence of {header.split()[0]!r} is not ASCII", path=path, record=f"record {index}"
        )
    try:
        clean(seq.encode("ascii"))
    except InvalidSequenceCharacter as exc:
        raise InputFormatError(
            f"sequence of {header.split()[0]!r} holds {describe_byte(exc.byte)} at position {exc.offset + 1}",
            path=path,
            record=f"record {index}",
        ) from None
    if any(c in seq for c in " \t\r\n\v\f"):
        raise InputFormatError(
            f"sequence of {header.split()[0]!r} contains whitespace", path=path, record=f"record {index}"
        )
    return header, seq


def write_fasta(
    records_or_pairs: Iterable[FastaRecord | FastqRecord | tuple[str, str]],
    path: PathLike,
    line_width: int | None = 60,
) -> int:
    """Write records to a FASTA file atomically (temporary file renamed on success).

    Parameters
    ----------
    records_or_pairs
        :class:`FastaRecord` / :class:`FastqRecord` objects (the description, or
        the name if it is empty, becomes the header), Biopython ``SeqRecord`` s (id and
        description, as ``Bio.SeqIO`` writes them) or ``(header, sequence)`` pairs (the header
        is written after ``>`` as given; the sequence a str, ASCII bytes or a ``Seq``).
        A sequence that is ``None`` (a missing value) or a number is an error naming the record.
    path
        Output path; a name ending in ``.gz`` or ``.bgz`` is written bgzip-compressed
        (indexable by :class:`genoseq.io.Reference`).
    line_width
        Bases per line; ``None`` or ``0`` writes each sequence on one line.

    Returns
    -------
    int
        Number of records written.
    """
    if line_width is not None and line_width < 0:
        raise ValueError(f"line_width must be positive, 0 or None, got {line_width}")
    width = line_width or 0
    target = Path(path)
    compressed = target.suffix in (".gz", ".bgz")
    n = 0
    with atomic_path(target) as tmp:
        if compressed:
            import pysam

            out = pysam.BGZFile(str(tmp), "wb")
        else:
            out = open(tmp, "wb")  # noqa: SIM115 - closed below
        try:
            for n, item in enumerate(records_or_pairs, start=1):
                header, seq = _header_and_sequence(item, n, str(target))
                if width and len(seq) > width:
                    body = "\n".join(seq[i : i + width] for i in range(0, len(seq), width))
                else:
                    body = seq
                out.write(f">{header}\n{body}\n".encode() if body else f">{header}\n".encode())
            if not compressed:
                out.flush()
                os.fsync(out.fileno())
        finally:
            out.close()
    return n
