"""BED reading into a polars DataFrame (0-based, half-open, as BED itself)."""

from __future__ import annotations

import os
import re

import polars as pl

from genoseq.errors import InputFormatError
from genoseq.io._numbers import FLOAT
from genoseq.io._open import InputStream, looks_binary, read_errors

STANDARD = ["chrom", "start", "end", "name", "score", "strand"]
_SCHEMA = {
    "chrom": pl.Utf8,
    "start": pl.Int64,
    "end": pl.Int64,
    "name": pl.Utf8,
    "score": pl.Float64,
    "strand": pl.Utf8,
}
_HEADER_FIRST = re.compile(r"^#?\s*(chrom|chr|chromosome|seqname|contig)$", re.IGNORECASE)


#: BED lines parsed into Python strings before they are packed into a polars frame (bounds memory)
_CHUNK_LINES = 65_536


def read_bed(path: str | os.PathLike[str]) -> pl.DataFrame:
    """Read a BED file (plain or gzip; ``-`` reads standard input) into a DataFrame.

    Columns: ``chrom`` (Utf8), ``start``, ``end`` (Int64, 0-based half-open as in
    BED), ``name`` (Utf8), ``score`` (Float64, ``.`` → null), ``strand`` (Utf8:
    ``+``, ``-`` or ``.``), then any extra columns as Utf8, named from a header
    line if there is one (``#chrom start end … extra``) and ``col7``, ``col8``, …
    otherwise.  Files with fewer than 6 columns get the missing standard columns
    as nulls.  ``track``, ``browser`` and ``#`` lines are skipped.  The lines are
    packed into columns a chunk at a time, so memory is the frame's (≈ 40 bytes a
    six-column line), not a Python string per field.

    Returns
    -------
    polars.DataFrame
        One row per BED line, in file order; an empty file gives an empty frame
        with the six standard columns.

    Raises
    ------
    InputFormatError
        Missing file, directory, binary data, truncated gzip, fewer than 3
        columns, non-integer or negative start/end, end < start, a bad score or
        strand, or a line with a different number of columns than the first;
        the message names the file and the line.
    """
    return read_bed_lines(path)[0]


def read_bed_lines(path: str | os.PathLike[str]) -> tuple[pl.DataFrame, pl.Series]:
    """:func:`read_bed`, and the 1-based file line of each row (Int64 ``(n,)``), for error messages
    that name a line of the file (comments, ``track`` and blank lines make lines and rows differ)."""
    columns: list[list[str | None]] = []
    lines: list[int] = []
    chunks: list[pl.DataFrame] = []
    header: list[str] | None = None
    last_comment: str | None = None
    n_fields = 0
    with InputStream(path, allow_stdin=True) as src:
        name = src.name
        if looks_binary(src.head):
            raise InputFormatError("binary data, not a BED file", path=name)
        with read_errors(name, "BED file"):
            for line_no, raw in enumerate(src.stream, start=1):
                line = raw.decode("utf-8").rstrip("\r\n")
                if line_no == 1:
                    line = line.removeprefix("\ufeff")  # a byte-order mark some editors write
                if not n_fields and line.startswith(("##fileformat=VCF", "@HD\t", "@SQ\t")):
                    kind = "a VCF" if line.startswith("##") else "SAM text"
                    raise InputFormatError(
                        f"{kind} file, not a BED file", path=name, record=f"line {line_no}"
                    )
                if not line.strip() or line.startswith(("#", "track", "browser")):
                    if line.startswith("#"):
                        last_comment = line
                    continue
                fields = line.split("\t")
                if len(fields) == 1 and len(line.split()) > 1:
                    fields = line.split()  # space-separated: tolerated
                if not n_fields:
                    n_fields = len(fields)
                    if n_fields < 3:
                        raise InputFormatError(
                            f"{n_fields} column(s): a BED line needs at least chrom, start and end"
                            " (tab-separated)",
                            path=name,
                            record=f"line {line_no}",
                        )
                    header = _header_names(last_comment, n_fields)
                    columns = [[] for _ in range(n_fields)]
                elif len(fields) != n_fields:
                    raise InputFormatError(
                        f"{len(fields)} columns, but the first BED line has {n_fields}",
                        path=name,
                        record=f"line {line_no}",
                    )
                _check_fields(fields, name, line_no)
                for col, value in zip(columns, fields, strict=True):
                    col.append(value)
                lines.append(line_no)
                if len(lines) == _CHUNK_LINES:
                    chunks.append(_frame(columns, header, n_fields, lines))
                    columns, lines = [[] for _ in range(n_fields)], []
    if lines or not chunks:
        chunks.append(_frame(columns, header, n_fields, lines))
    frame = pl.concat(chunks, rechunk=True) if len(chunks) > 1 else chunks[0]
    return frame.drop(_LINE), frame.get_column(_LINE)


def _check_fields(fields: list[str], path: str, line_no: int) -> None:
    where = f"line {line_no}"
    chrom, start, end = fields[0], fields[1], fields[2]
    if not chrom:
        raise InputFormatError("empty chrom", path=path, record=where)
    for label, value in (("start", start), ("end", end)):
        if not (value.isascii() and value.isdigit()):
            raise InputFormatError(
                f"{label} {value!r} is not a non-negative integer", path=path, record=where
            )
        if len(value) > 18 and int(value) >= 2**63:
            raise InputFormatError(
                f"{label} {value} is too large for a genomic coordinate", path=path, record=where
            )
    if int(end) < int(start):
        raise InputFormatError(f"end {end} is before start {start}", path=path, record=where)
    if len(fields) > 4 and fields[4] != "." and not _is_score(fields[4]):
        raise InputFormatError(f"score {fields[4]!r} is not a number or '.'", path=path, record=where)
    if len(fields) > 5 and fields[5] not in ("+", "-", "."):
        raise InputFormatError(f"strand {fields[5]!r} is not '+', '-' or '.'", path=path, record=where)


def _is_score(value: str) -> bool:
    """A number as the score column's float cast reads it (Python's ``float`` also takes ``" 5"``,
    ``"1_000"``, non-ASCII digits, which that cast refuses)."""
    return FLOAT.fullmatch(value) is not None


def _header_names(comment: str | None, n_fields: int) -> list[str] | None:
    """Column names from a ``#chrom start end …`` line with as many fields as the data, if usable."""
    if comment is None:
        return None
    names = comment.lstrip("#").strip().split("\t")
    if len(names) == 1:
        names = names[0].split()
    if len(names) != n_fields or not _HEADER_FIRST.match(names[0]):
        return None
    extra = [n.strip() for n in names[len(STANDARD) :]]
    if any(not n or n in STANDARD for n in extra) or len(set(extra)) != len(extra):
        return None
    return names


#: the row's file line while the chunks are built (a name no header can give: headers name extras only)
_LINE = "\0line"


def _frame(
    columns: list[list[str | None]], header: list[str] | None, n_fields: int, lines: list[int]
) -> pl.DataFrame:
    n_rows = len(lines)
    data: dict[str, pl.Series] = {}
    for i, col in enumerate(STANDARD):
        values = columns[i] if i < n_fields else [None] * n_rows
        if col == "score":
            values = [None if v == "." else v for v in values]
        series = pl.Series(col, values, dtype=pl.Utf8)
        if _SCHEMA[col] != pl.Utf8:
            series = series.cast(_SCHEMA[col])
        data[col] = series
    for i in range(len(STANDARD), n_fields):
        col = header[i].strip() if header else f"col{i + 1}"
        data[col] = pl.Series(col, columns[i], dtype=pl.Utf8)
    data[_LINE] = pl.Series(_LINE, lines, dtype=pl.Int64)
    return pl.DataFrame(data)
