"""Labelled sequence tables: CSV/TSV/Parquet (or FASTA/FASTQ + a labels table) → arrays.

A training table holds one DNA sequence and its label(s) per row:

* **CSV / TSV / Parquet** with a ``sequence`` column and either

  - a ``label`` column of integers or class names (binary when there are two
    classes, multiclass when more) — GUE's ``sequence,label`` CSV is this form;
  - a ``label`` column of ``;``-separated class names (multilabel; an empty
    cell means no label), or
  - several ``label_<class>`` columns of 0/1 (multilabel).

  An optional ``name`` (or ``id``) column names the rows; optional
  ``feature_<name>`` columns hold extra numeric per-example features.
* **FASTA** (or FASTQ) + a labels table (``labels=``) of the same label forms keyed by a
  ``name`` (or ``id``) column holding the record names.

Sequences become one ``uint8`` ASCII matrix ``(n, L)`` (upper case) — the
prepared form that training batches and encodes lazily. Every row must have
the same length; with ``pad=True`` shorter rows are instead padded centrally
with ``N`` to the longest (``left = (L - len) // 2`` ``N`` s before, the rest
after — the same rule the Predictor uses for short inputs).

Integer class labels are ordered numerically (``"0" < "1" < "10"``), names
alphabetically -- except that of two names, one that reads as the other's
negative (``non-enhancer``/``enhancer``, ``false``/``true``, ``no``/``yes``,
``background``/``bound``, ...) comes first, because a binary task's positive
class is ``classes[1]``; ``positive=`` names it outright. A column mixing
integers with other values is refused. A ``classes`` list fixes the order
instead (a validation or evaluation table must use its training table's classes).
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl
import polars.selectors as cs

from genoseq._hashing import file_sha256
from genoseq.errors import InputFormatError
from genoseq.io._numbers import INTEGER

__all__ = [
    "FEATURE_PREFIX",
    "LabelledTable",
    "feature_columns",
    "file_sha256",
    "legacy_class_order",
    "load_table",
    "read_features",
]

log = logging.getLogger(__name__)

_FASTA_SUFFIXES = {".fa", ".fasta", ".fna", ".fas", ".ffn", ".fq", ".fastq"}  # FASTA or FASTQ + labels
_TABLE_SEPARATORS = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": "\t"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}
#: a table column ``feature_<name>`` holds the numeric feature ``<name>`` of each row
FEATURE_PREFIX = "feature_"
_COMPRESSION_SUFFIXES = {".gz", ".bgz", ".zst"}

#: Letters a sequence may hold (upper case): A/C/G/T, N and the IUPAC ambiguity codes.
DNA_LETTERS = "ACGTNRYKMBVDHSW"
_VALID_BYTE = np.zeros(256, dtype=bool)
_VALID_BYTE[np.frombuffer(DNA_LETTERS.encode(), dtype=np.uint8)] = True
#: the same letters in either case, as a byte lookup table (sequences as given, not upper-cased)
DNA_BYTE = _VALID_BYTE.copy()
DNA_BYTE[np.frombuffer(DNA_LETTERS.lower().encode(), dtype=np.uint8)] = True


@dataclass(frozen=True)
class LabelledTable:
    """Sequences and labels read from one training/evaluation table.

    Attributes
    ----------
    sequences : numpy.ndarray
        ``uint8`` ``(n, L)``: upper-case ASCII codes of the sequences.
    labels : numpy.ndarray
        ``int64`` ``(n,)`` class indices into ``classes`` (binary, multiclass) or
        ``float32`` ``(n, C)`` 0/1 indicators (multilabel).
    classes : list[str]
        Class names; for binary tasks ``classes[1]`` is the positive class.
    task : str
        ``"binary"``, ``"multiclass"`` or ``"multilabel"``.
    names : list[str] | None
        Row names (``name``/``id`` column or FASTA record names), if any.
    path : pathlib.Path
        The data file.
    checksum : str
        SHA-256 (hex) of the data file.
    features : numpy.ndarray | None
        ``float32`` ``(n, F)`` extra numeric features (``feature_*`` columns), if any.
    feature_names : list[str]
        Names of the feature columns (without the ``feature_`` prefix).
    labels_path : pathlib.Path | None
        The labels table, for FASTA input.
    labels_checksum : str | None
        SHA-256 (hex) of the labels table.
    lengths : numpy.ndarray | None
        ``int64`` ``(n,)`` bases of each row as given, when rows of mixed lengths were padded
        centrally with ``N`` to ``L`` (``pad=True``); ``None`` when every row has ``L`` bases.
    """

    sequences: np.ndarray
    labels: np.ndarray
    classes: list[str]
    task: str
    names: list[str] | None
    path: Path
    checksum: str
    features: np.ndarray | None = None
    feature_names: list[str] | None = None
    labels_path: Path | None = None
    labels_checksum: str | None = None
    lengths: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.sequences.shape[0])

    @property
    def length(self) -> int:
        """Sequence length ``L`` in bases."""
        return int(self.sequences.shape[1])

    @property
    def n_outputs(self) -> int:
        """Number of model outputs: 1 for binary, else the number of classes."""
        return 1 if self.task == "binary" else len(self.classes)

    def subset(self, index: np.ndarray) -> LabelledTable:
        """Return the rows ``index`` (``int64`` ``(m,)``) as a new table (same classes and provenance)."""
        index = np.asarray(index, dtype=np.int64)
        return replace(
            self,
            sequences=self.sequences[index],
            labels=self.labels[index],
            names=None if self.names is None else [self.names[i] for i in index],
            features=None if self.features is None else self.features[index],
            lengths=None if self.lengths is None else self.lengths[index],
        )

    def unpadded(self) -> list[bytes]:
        """Each row's sequence as given (without the central padding of mixed lengths), ASCII."""
        if self.lengths is None:
            return [row.tobytes() for row in self.sequences]
        left = (self.length - self.lengths) // 2
        return [
            row[lo : lo + n].tobytes() for row, lo, n in zip(self.sequences, left, self.lengths, strict=True)
        ]

    def provenance(self) -> dict[str, object]:
        """JSON-ready description: paths, checksums, size, classes and class counts."""
        info: dict[str, object] = {
            "path": str(self.path),
            "sha256": self.checksum,
            "n": self.n,
            "length": self.length,
            "task": self.task,
            "classes": list(self.classes),
            "class_counts": class_counts(self.labels, self.task, len(self.classes)),
        }
        if self.labels_path is not None:
            info["labels_path"] = str(self.labels_path)
            info["labels_sha256"] = self.labels_checksum
        return info


def class_counts(labels: np.ndarray, task: str, n_classes: int) -> list[int]:
    """Examples per class: ``int`` list of length ``n_classes`` (label sums for multilabel)."""
    if task == "multilabel":
        return [int(v) for v in np.asarray(labels).sum(axis=0)]
    return [int(v) for v in np.bincount(np.asarray(labels), minlength=n_classes)]


def _kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in _FASTA_SUFFIXES:
        return "fasta"
    if last in _PARQUET_SUFFIXES:
        return "parquet"
    if last in _TABLE_SEPARATORS:
        return last
    raise InputFormatError(
        "unknown table format (expected .csv, .tsv, .parquet, or FASTA/FASTQ .fa/.fasta/.fq/.fastq with"
        " --labels)",
        path=path,
    )


def _flat_lists(frame: pl.DataFrame, path: Path) -> pl.DataFrame:
    """A Parquet list column of names or numbers as the ``;``-separated text a CSV holds: a ``label``
    column of lists is each row's labels (multi-label, even where every row holds one: each cell ends
    in ``;``, which marks the column so, and no empty label is read). A struct or a list of lists is
    refused, naming the column."""
    for name, dtype in frame.schema.items():
        if not dtype.is_nested():
            continue
        inner = dtype.inner if isinstance(dtype, pl.List | pl.Array) else None
        if inner is None or inner.is_nested():
            raise InputFormatError(
                f"column {name!r} holds {dtype} values: give text or numbers (a multi-label row's labels"
                " as a list of names, or one ';'-separated cell, or label_<class> 0/1 columns)",
                path=path,
            )
        joined = pl.col(name).cast(pl.List(inner)).list.eval(pl.element().cast(pl.String)).list.join(";")
        frame = frame.with_columns(joined + ";" if name == "label" else joined)
    return frame


def read_frame(path: Path) -> tuple[pl.DataFrame, int | list[int]]:
    """Read a CSV/TSV/Parquet table with every column as text; return (frame, where its rows are).

    The second value is for :func:`row_location`: 2 for a text table (data from line 2, a line a
    row), 1 for Parquet, or the first line of each row when quoted cells run over several lines.
    """
    kind = _kind(path)
    if kind == "fasta":
        raise InputFormatError("expected a CSV/TSV/Parquet table, got FASTA/FASTQ", path=path)
    if kind != "parquet" and path.suffix.lower() != ".zst":
        _check_text(path, kind)
    try:
        if kind == "parquet":
            frame = _flat_lists(pl.read_parquet(path), path)
            # a float column's NaN is its missing value (as pandas writes it), not the text "NaN"
            frame = frame.with_columns(cs.float().fill_nan(None)).with_columns(pl.all().cast(pl.String))
            return frame, 1
        frame = pl.read_csv(path, separator=_TABLE_SEPARATORS[kind], infer_schema=False)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        if kind != "parquet" and path.suffix.lower() != ".zst":
            ragged = _ragged_row(path, _TABLE_SEPARATORS[kind])
            if ragged is not None:
                line, n, n_header = ragged
                raise InputFormatError(
                    f"this row has {n} fields but the header has {n_header}", path=path, record=f"line {line}"
                ) from exc
        # polars' messages run over several lines (with hints about its own options): keep the first
        detail = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        raise InputFormatError(f"cannot read table: {detail}", path=path) from exc
    for column in frame.columns:  # polars renames a repeated header name to NAME_duplicated_N
        base, marker, number = column.rpartition("_duplicated_")
        if marker and number.isdigit() and base in frame.columns:
            raise InputFormatError(
                f"column {base!r} appears more than once in the header", path=path, record="line 1"
            )
    first: int | list[int] = 2
    if (
        frame.height
        and frame.select(pl.any_horizontal(pl.all().str.contains("\n", literal=True))).to_series().any()
    ):
        first = _row_lines(path, _TABLE_SEPARATORS[kind], frame.height) or 2
    frame = _without_blank_lines(frame, path, first)
    if len(frame.columns) == 1:
        other = "\t" if _TABLE_SEPARATORS[kind] == "," else ","
        if other in frame.columns[0]:
            shown = "comma" if _TABLE_SEPARATORS[kind] == "," else "tab"
            raise InputFormatError(
                f"the header {frame.columns[0][:60]!r} is one column: {kind} tables are"
                f" {shown}-separated here (is the file's extension right?)",
                path=path,
                record="line 1",
            )
    return frame, first  # the header is line 1


def _without_blank_lines(frame: pl.DataFrame, path: Path, first: int | list[int]) -> pl.DataFrame:
    """A text table less its trailing blank lines (an editor's extra newline), which polars reads as
    rows of nulls. Any other row of nulls -- a blank line between rows, or a row of separators only
    (``,``) -- in a table of several columns is an error naming it (no sequence, no label, no name);
    in a one-column table such a row is an empty cell, an empty record, kept as such, and so is a
    trailing row of separators (it is not a blank line)."""
    if frame.height == 0 or frame.width == 0:
        return frame
    blank = frame.select(pl.all_horizontal(pl.all().is_null())).to_series().to_numpy()
    if not blank.any():
        return frame
    if blank[-1]:
        run = frame.height - (int(np.flatnonzero(~blank)[-1]) + 1 if (~blank).any() else 0)
        # a .zst table (which polars decompresses, and genoseq does not) drops every trailing null row
        trailing = run if path.suffix.lower() == ".zst" else _trailing_empty_lines(path)
        frame = frame.head(frame.height - min(run, trailing))
        blank = blank[: frame.height]
    inside = np.flatnonzero(blank)
    if frame.width > 1 and inside.size:
        raise InputFormatError(
            "a row with every cell empty (a blank line, or separators only): remove it",
            path=path,
            record=row_location(first, int(inside[0])),
        )
    return frame


def _row_lines(path: Path, separator: str, n_rows: int) -> list[int] | None:
    """The first line of each data row of a text table whose quoted cells hold line breaks, as
    Python's csv module reads it; ``None`` if it counts other rows than polars did."""
    starts: list[int] = []
    end = 0
    for i, (_, line_num) in enumerate(_csv_rows(path, separator)):
        if i:
            starts.append(end + 1)
        end = line_num
    return starts if len(starts) == n_rows else None


def _csv_rows(path: Path, separator: str) -> Iterator[tuple[list[str], int]]:
    """Each row of a (possibly compressed) text table as Python's csv module reads it, with the
    line it ends on; a truncated .gz is named as such."""
    import csv
    import io

    from genoseq.io._open import InputStream, read_errors

    with InputStream(path) as src, read_errors(path, "table"):
        text = io.TextIOWrapper(src.stream, encoding="utf-8", errors="replace", newline="")
        rows = csv.reader(text, delimiter=separator)
        for row in rows:
            yield row, rows.line_num


def _trailing_empty_lines(path: Path) -> int:
    """How many empty lines end the (possibly compressed) text file: after its last line's own line
    break, the line breaks alone (``\r`` aside) that follow."""
    from genoseq.io._open import InputStream

    tail = b""
    with InputStream(path) as src:
        if src.compressed is None:  # plain text: its last 64 kB
            with open(path, "rb") as fh:
                fh.seek(max(0, path.stat().st_size - (1 << 16)))
                tail = fh.read()
        else:
            for block in iter(lambda: src.stream.read(1 << 20), b""):
                tail = (tail + block)[-(1 << 16) :]
    lines = tail.split(b"\n")[:-1]  # the text after the last line break: b"" when the file ends in one
    if tail.split(b"\n")[-1].strip(b"\r"):
        return 0  # the last line has no line break: nothing blank after it
    count = 0
    for line in reversed(lines):
        if line.strip(b"\r"):
            break
        count += 1
    return count


def _ragged_row(path: Path, separator: str) -> tuple[int, int, int] | None:
    """(line, fields, header fields) of the first row whose field count differs from the header's.

    Only called after polars failed, to say where; ``None`` if every row has the header's width.
    """
    n_header = None
    for row, line_num in _csv_rows(path, separator):
        if n_header is None:
            n_header = len(row)
        elif row and len(row) != n_header:
            return line_num, len(row), n_header
    return None


def _check_text(path: Path, kind: str) -> None:
    """Refuse binary data (or a truncated gzip stream) in a text table before polars reads it."""
    from genoseq.io._open import InputStream, looks_binary

    with InputStream(path) as src:  # decompresses .gz; names the file on a truncated stream
        if looks_binary(src.head):
            raise InputFormatError(f"binary data, not a {kind.lstrip('.').upper()} table", path=path)


def row_location(kind_first: int | Sequence[int], i: int) -> str:
    """Locate data row ``i`` (0-based): ``line N`` for text tables, ``row N`` (1-based) for Parquet.

    ``kind_first`` is what :func:`read_frame` returns: 2 (a text table, its rows one line each from
    line 2), 1 (Parquet), or each row's first line (a text table with cells of several lines).
    """
    if not isinstance(kind_first, int):
        return f"line {kind_first[i]}"
    return f"line {i + kind_first}" if kind_first == 2 else f"row {i + 1}"


def _sequences_to_matrix(
    seqs: Sequence[str | None], *, path: Path, where: list[str] | None, first: int | Sequence[int], pad: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Check and stack sequences into ``uint8`` ``(n, L)`` upper-case ASCII; with the rows' own
    lengths ``int64 (n,)`` when some were padded, else ``None``."""

    def locate(i: int) -> str:
        return where[i] if where is not None else row_location(first, i)

    if len(seqs) == 0:
        raise InputFormatError("the table holds no rows", path=path)
    for i, s in enumerate(seqs):
        if s is None or len(s) == 0:
            raise InputFormatError("empty sequence", path=path, record=locate(i))
    # ASCII checked before upper-casing, which turns some other letters into DNA ones ('ß' -> 'SS')
    if not all(s.isascii() for s in seqs):  # type: ignore[union-attr]
        i = next(j for j, s in enumerate(seqs) if not s.isascii())  # type: ignore[union-attr]
        seq = seqs[i]
        assert seq is not None
        at = next(k for k, ch in enumerate(seq) if not ch.isascii())
        raise InputFormatError(
            f"not a DNA letter: {seq[at]!r} at position {at + 1} (allowed: {DNA_LETTERS})",
            path=path,
            record=locate(i),
        )
    upper = [s.upper() for s in seqs]  # type: ignore[union-attr]
    lengths = np.fromiter(map(len, upper), dtype=np.int64, count=len(upper))
    longest = int(lengths.max())
    if not pad:
        bad = np.flatnonzero(lengths != lengths[0])
        if bad.size:
            i = int(bad[0])
            raise InputFormatError(
                f"sequences have mixed lengths: this one has {int(lengths[i])} bases, the first has "
                f"{int(lengths[0])} (all must be equal; pad them to one length or use --pad)",
                path=path,
                record=locate(i),
            )
    elif (lengths != longest).any():
        log.info(
            "%s: %d of %d sequences are shorter than the longest (%d bases) and are padded centrally with N",
            path,
            int((lengths != longest).sum()),
            len(upper),
            longest,
        )
        upper = [
            s
            if len(s) == longest
            else "N" * ((longest - len(s)) // 2) + s + "N" * (longest - len(s) - (longest - len(s)) // 2)
            for s in upper
        ]
    joined = "".join(upper)
    matrix = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(len(upper), longest).copy()
    bad_cells = ~_VALID_BYTE[matrix]
    if bad_cells.any():
        row, col = (int(v) for v in np.argwhere(bad_cells)[0])
        position = col + 1 - (longest - int(lengths[row])) // 2  # 1-based, in the sequence as given
        raise InputFormatError(
            f"not a DNA letter: {chr(matrix[row, col])!r} at position {position} (allowed: {DNA_LETTERS})",
            path=path,
            record=locate(row),
        )
    return matrix, (lengths if (lengths != longest).any() else None)


#: class names read as "the negative class" of a binary task (compared in lower case)
_NEGATIVE_NAMES = frozenset(
    [
        "0",
        "false",
        "f",
        "no",
        "n",
        "neg",
        "negative",
        "non",
        "none",
        "null",
        "absent",
        "background",
        "bg",
        "control",
        "ctrl",
        "other",
        "random",
        "shuffled",
        "decoy",
    ]
)
_NEGATIVE_PREFIXES = ("non-", "non_", "non ", "not-", "not_", "not ", "no-", "no_", "no ", "non", "not", "un")


def _is_negative_of(name: str, other: str) -> bool:
    """Whether ``name`` reads as the negative of ``other`` ("non-enhancer" of "enhancer", "no", "background")."""
    low, other_low = name.strip().lower(), other.strip().lower()
    if low in _NEGATIVE_NAMES:
        return True
    return any(low.startswith(p) and low[len(p) :] == other_low for p in _NEGATIVE_PREFIXES)


def legacy_class_order(values: Sequence[str]) -> list[str]:
    """Integers numerically, anything else alphabetically: the class order before positive classes."""
    if all(_is_int(v) for v in values):
        return [str(v) for v in sorted(int(v) for v in values)]
    return sorted(values)


def _order_classes(values: set[str]) -> list[str]:
    """Integers numerically (as text); two names with a recognisable negative, negative first; else alphabetically.

    The order matters for binary tasks: ``classes[1]`` is the positive class, the one a
    binary model's single output gives the probability of. ``enhancer``/``non-enhancer``
    therefore becomes ``["non-enhancer", "enhancer"]`` and ``true``/``false`` ``["false", "true"]``.
    """
    names = legacy_class_order(list(values))
    if len(names) == 2 and not all(_is_int(v) for v in names):
        first, second = names
        if _is_negative_of(second, first) and not _is_negative_of(first, second):
            return [second, first]
    return names


def _check_label_values(canon: list[str], locate: Callable[[int], str], path: Path) -> None:
    """Refuse a label column mixing integers with other values (``1.5`` or ``yes`` among 0/1 labels)."""
    is_int = [_is_int(v) for v in canon]
    n_int = sum(is_int)
    distinct = set(canon)
    if n_int < len(canon) and len(distinct) > max(10, len(canon) // 2) and all(map(_is_float, distinct)):
        example = next(v for v in canon if not _is_int(v))
        raise InputFormatError(
            f"the label column looks continuous ({len(distinct)} distinct numbers among {len(canon)} rows,"
            f" such as {example!r}): genoseq trains classifiers, so give integers or class names"
            " (threshold the values into classes first)",
            path=path,
        )
    if 0 < n_int < len(canon):
        i = is_int.index(False)
        raise InputFormatError(
            f"label {canon[i]!r} is not an integer, unlike {n_int} other labels in the column "
            "(use integers or class names throughout)",
            path=path,
            record=locate(i),
        )


def _holds_indicators(column: pl.Series) -> bool:
    """Whether a (text) column holds only 0/1 values (empty cells aside): a ``label_<class>`` column."""
    values = {v.strip() for v in column.cast(pl.Utf8).drop_nulls().to_list()} - {""}
    return bool(values) and values <= {"0", "1", "0.0", "1.0"}


def _is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _is_int(value: str) -> bool:
    """An integer as written, spaces around it aside (``int()`` also takes ``1_0`` and other scripts'
    digits, which would merge a label ``1_0`` into the class ``10``)."""
    return INTEGER.fullmatch(value.strip()) is not None


_WHOLE_DECIMAL = re.compile(r"[+-]?[0-9]+\.0*")
#: a number written with a decimal point, as a float column writes every value
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+)")


def _canonical(value: str) -> str:
    """Strip whitespace; integers lose leading zeros/plus signs (``"01"`` → ``"1"``)."""
    value = value.strip()
    return str(int(value)) if _is_int(value) else value


def _number_key(value: str) -> str:
    """:func:`_canonical`, with a whole number written as a decimal read as the integer (``"7.0"`` →
    ``"7"``): how a label is matched against classes already known (a model's)."""
    value = _canonical(value)
    return str(int(value.partition(".")[0])) if _WHOLE_DECIMAL.fullmatch(value) else value


def _whole_numbers(values: list[str]) -> list[str]:
    """A column of whole numbers, some written as decimals (``7.0``: a float column, as pandas writes
    labels of a column with a missing value, or Parquet doubles), as integers; any other column as it is
    (``1.0, 1.5, 2.0`` stay three class names). In such a float column ``NaN`` is what pandas and
    Parquet write for a missing value, so it reads as missing (an error naming the row), not a class."""
    if not any(_DECIMAL.fullmatch(v) for v in values):
        return values
    if all(v == "" or v.lower() == "nan" or _is_int(v) or _WHOLE_DECIMAL.fullmatch(v) for v in values):
        return ["" if v.lower() == "nan" else _number_key(v) for v in values]
    # decimals kept as class names (0.0, 1.0, 1.5): still a float column, whose NaN is a missing value
    return ["" if v.lower() == "nan" else v for v in values]


def _warn_rare_labels(
    indicators: np.ndarray, names: list[str], path: Path, locate: Callable[[int], str]
) -> None:
    """Warn about multilabel classes with no positive example or a single one (training tables)."""
    positives = indicators.sum(axis=0)
    for j, name in enumerate(names):
        if positives[j] == 0:
            log.warning("%s: label %r has no positive example; the model cannot learn it", path, name)
        elif positives[j] == 1:
            log.warning(
                "%s: label %r has a single positive example (%s) — a typo? A label needs examples in "
                "both the training and the validation split to be learned and measured",
                path,
                name,
                locate(int(np.flatnonzero(indicators[:, j])[0])),
            )


def _parse_labels(
    frame: pl.DataFrame,
    *,
    path: Path,
    first: int | Sequence[int],
    where: list[str] | None,
    classes: Sequence[str] | None,
    task: str | None,
) -> tuple[np.ndarray, list[str], str]:
    """Labels of ``frame`` → (labels, classes, task)."""

    def locate(i: int) -> str:
        return where[i] if where is not None else row_location(first, i)

    indicator_cols = [c for c in frame.columns if c.startswith("label_")]
    if "label" not in frame.columns and not indicator_cols:
        raise InputFormatError(
            f"no 'label' column (nor 'label_<class>' columns); columns are: {', '.join(frame.columns)}",
            path=path,
        )
    if indicator_cols and "label" in frame.columns:
        if not all(_holds_indicators(frame.get_column(c)) for c in indicator_cols):
            indicator_cols = []  # label_source, label_text ...: other columns; 'label' holds the labels
        else:
            raise InputFormatError(
                f"both a 'label' column and label_<class> columns ({', '.join(indicator_cols[:3])}"
                f"{' …' if len(indicator_cols) > 3 else ''}): which holds the labels is ambiguous; keep one"
                " form (label_<class> 0/1 columns mean multi-label)",
                path=path,
            )
    if indicator_cols:
        if task not in (None, "multilabel"):
            raise InputFormatError(f"label_<class> columns (multilabel) in a {task} table", path=path)
        names = [c[len("label_") :] for c in indicator_cols]
        if classes is not None and list(classes) != names:
            if sorted(classes) != sorted(names):
                raise InputFormatError(
                    f"label columns {names} differ from the training classes {list(classes)}", path=path
                )
            names = list(classes)  # the same classes in another column order: take the model's order
            indicator_cols = [f"label_{name}" for name in names]
        out = np.zeros((frame.height, len(names)), dtype=np.float32)
        for j, col in enumerate(indicator_cols):
            values = frame[col].to_list()
            for i, v in enumerate(values):
                text = "" if v is None else v.strip().lower()
                if text in ("1", "1.0", "true"):
                    out[i, j] = 1.0
                elif text not in ("0", "0.0", "false"):
                    raise InputFormatError(
                        f"column {col} must hold 0 or 1, got {v!r}", path=path, record=locate(i)
                    )
        if classes is None:
            _warn_rare_labels(out, names, path, locate)
            _warn_case_twins(names, path)
        return out, names, "multilabel"

    raw = frame["label"].to_list()
    has_separator = any(v is not None and ";" in v for v in raw)
    if has_separator and task in ("binary", "multiclass"):
        i = next(i for i, v in enumerate(raw) if v is not None and ";" in v)
        raise InputFormatError(f"';'-separated labels in a {task} table", path=path, record=locate(i))
    multilabel = task == "multilabel" or (task is None and has_separator)
    if not multilabel:
        for i, v in enumerate(raw):
            if v is None:
                raise InputFormatError("missing label", path=path, record=locate(i))
    values = ["" if v is None else v for v in raw]  # an empty multilabel cell: no label
    if multilabel:
        sets = [[_canonical(t) for t in v.split(";") if t.strip()] for v in values]
        tokens = _whole_numbers([t for s in sets for t in s])
        flat = iter(tokens)
        sets = [[next(flat) for _ in s] for s in sets]
        names = list(classes) if classes is not None else _order_classes(set(tokens))
        index = _ClassIndex(names)
        out = np.zeros((frame.height, len(names)), dtype=np.float32)
        for i, s in enumerate(sets):
            for t in s:
                j = index.get(t)
                if j is None:
                    raise InputFormatError(
                        f"unknown class {t!r} (known: {', '.join(names)})", path=path, record=locate(i)
                    )
                out[i, j] = 1.0
        if classes is None and len(names) < 2:
            raise InputFormatError(
                f"only one label ({', '.join(names)}) in the table; need at least two", path=path
            )
        if classes is None:
            _warn_rare_labels(out, names, path, locate)
            _warn_case_twins(names, path)
        return out, names, "multilabel"

    canon = _whole_numbers([_canonical(v) for v in values])
    for i, v in enumerate(canon):
        if v == "":
            raise InputFormatError("missing label", path=path, record=locate(i))
    if classes is None:
        _check_label_values(canon, locate, path)
    names = list(classes) if classes is not None else _order_classes(set(canon))
    if classes is None and len(names) < 2:
        raise InputFormatError(
            f"only one class ({names[0]!r}) in the label column; a training table needs at least two",
            path=path,
        )
    if classes is None:
        _warn_case_twins(names, path)
        counts = Counter(canon)
        for name in names:
            if counts[name] == 1:
                log.warning(
                    "%s: class %r has a single example (%s) — a typo? A class needs examples in "
                    "both the training and the validation split to be learned and measured",
                    path,
                    name,
                    locate(canon.index(name)),
                )
    index = _ClassIndex(names)
    out = np.empty(len(canon), dtype=np.int64)
    for i, v in enumerate(canon):
        j = index.get(v)
        if j is None:
            raise InputFormatError(
                f"unknown class {v!r} (known: {', '.join(names)})", path=path, record=locate(i)
            )
        out[i] = j
    return out, names, "binary" if len(names) == 2 else "multiclass"


def _warn_case_twins(names: Sequence[str], path: Path) -> None:
    """Warn about class names that differ only in case (``Enhancer``/``enhancer``): kept apart, as
    given -- labels are names, and genoseq does not guess -- but most likely one class mistyped."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name.casefold(), []).append(name)
    twins = [group for group in groups.values() if len(group) > 1]
    for group in twins:
        log.warning(
            "%s: classes %s differ only in case and are trained as separate classes (a typo? "
            "spell the labels of one class alike)",
            path,
            ", ".join(repr(n) for n in group),
        )


#: boolean labels as the writers spell them (pandas ``True``, polars and Parquet ``true``): one class
_BOOLEANS = {"true": "true", "false": "false"}


def _match_key(value: str) -> str:
    """How a label finds a class already known (a model's): :func:`_number_key`, and a boolean in any
    case (``True`` from pandas, ``true`` from polars) as one."""
    key = _number_key(value)
    return _BOOLEANS.get(key.lower(), key)


class _ClassIndex:
    """Class name → column: the name as given first, else by :func:`_match_key` (``7`` finds a class
    recorded as ``7.0``, ``True`` one recorded as ``true``) where that key names one class only."""

    def __init__(self, names: Sequence[str]) -> None:
        self.exact = {name: j for j, name in enumerate(names)}
        keys: dict[str, list[int]] = {}
        for j, name in enumerate(names):
            keys.setdefault(_match_key(name), []).append(j)
        self.by_key = {key: js[0] for key, js in keys.items() if len(js) == 1}

    def get(self, value: str) -> int | None:
        j = self.exact.get(value)
        return j if j is not None else self.by_key.get(_match_key(value))


def _name_column(frame: pl.DataFrame) -> str | None:
    for col in ("name", "id"):
        if col in frame.columns:
            return col
    return None


def read_features(
    frame: pl.DataFrame,
    *,
    path: Path,
    first: int | Sequence[int],
    where: Sequence[str] | None = None,
    wanted: Sequence[str] | None = None,
) -> tuple[np.ndarray | None, list[str] | None]:
    """A table's features: every ``feature_*`` column (``wanted`` ``None``: training, or a model
    that does not record its feature names), or only the named ones, warning about the table's
    others, which are not read (an empty ``wanted`` reads none).

    Returns
    -------
    values, names
        float32 ``(frame.height, F)`` and the ``F`` names (without ``feature_``), or ``None, None``.

    Raises
    ------
    InputFormatError
        A column named ``feature_`` alone, a missing wanted column, or a cell that is not a finite
        number (naming the file and row, or ``where[i]``).
    """
    if wanted is not None:
        _warn_unused_features(frame, wanted, path)
        if not wanted:
            return None, None
        return feature_columns(frame, wanted, path=path, first=first, where=where), list(wanted)
    cols = [c for c in frame.columns if c.startswith(FEATURE_PREFIX)]
    if not cols:
        return None, None
    if FEATURE_PREFIX in cols:
        raise InputFormatError(
            f"column {FEATURE_PREFIX!r} has no feature name after the prefix (name it feature_<name>)",
            path=path,
        )
    names = [c[len(FEATURE_PREFIX) :] for c in cols]
    return feature_columns(frame, names, path=path, first=first, where=where), names


def _warn_unused_features(frame: pl.DataFrame, wanted: Sequence[str], path: Path) -> None:
    unused = [
        c for c in frame.columns if c.startswith(FEATURE_PREFIX) and c[len(FEATURE_PREFIX) :] not in wanted
    ]
    if unused:
        log.warning(
            "%s: column(s) %s are not features of the model: not used%s",
            path,
            ", ".join(unused),
            "" if wanted else " (it takes no extra features)",
        )


def feature_columns(
    frame: pl.DataFrame,
    names: Sequence[str],
    *,
    path: Path,
    first: int | Sequence[int],
    where: Sequence[str] | None = None,
) -> np.ndarray:
    """The columns ``feature_<name>`` of ``frame``, for each of ``names`` in that order.

    Parameters
    ----------
    frame
        A table as :func:`read_frame` reads it (every column as text, or typed Parquet columns).
    names
        Feature names, without the ``feature_`` prefix.
    path, first
        The file and the line of its first row (of ``frame`` as read), to name a bad cell.
    where
        Each row's location instead (``"record r7"``), for a frame whose rows were reordered.

    Returns
    -------
    numpy.ndarray
        ``float32`` ``(frame.height, len(names))``.

    Raises
    ------
    InputFormatError
        A named column is missing, or holds a cell that is not a finite number (names the row).
    """
    missing = [name for name in names if FEATURE_PREFIX + name not in frame.columns]
    if missing:
        present = [c for c in frame.columns if c.startswith(FEATURE_PREFIX)]
        raise InputFormatError(
            f"no column {', '.join(FEATURE_PREFIX + name for name in missing)}: the model takes the "
            f"feature(s) {', '.join(FEATURE_PREFIX + name for name in names)}"
            f" (this table has {', '.join(present) if present else 'no feature_* columns'})",
            path=path,
        )

    def locate(i: int) -> str:
        return where[i] if where is not None else row_location(first, i)

    cols = [FEATURE_PREFIX + name for name in names]
    out = np.empty((frame.height, len(cols)), dtype=np.float32)
    for j, col in enumerate(cols):
        series = frame[col]
        if series.dtype == pl.Utf8:
            series = series.str.strip_chars()  # "1, 0.5" as a spreadsheet writes it
        try:
            out[:, j] = series.cast(pl.Float32, strict=True).to_numpy()
        except (pl.exceptions.PolarsError, TypeError, ValueError):
            bad = series.is_null() | series.cast(pl.Float32, strict=False).is_null()
            i = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
            value = series[i]
            problem = "is empty" if value is None or value == "" else f"holds {value!r}, not a number"
            raise InputFormatError(
                f"column {col} {problem} (features must be numbers)", path=path, record=locate(i)
            ) from None
    if not np.isfinite(out).all():
        i, j = (int(v) for v in np.argwhere(~np.isfinite(out))[0])
        value = frame[cols[j]][i]
        problem = "is empty" if value is None or value == "" else f"holds {out[i, j]}"
        raise InputFormatError(
            f"column {cols[j]} {problem} (features must be finite numbers)", path=path, record=locate(i)
        )
    return out


def _read_fasta(path: Path) -> tuple[list[str], list[str]]:
    import pysam

    names: list[str] = []
    seqs: list[str] = []
    try:
        with pysam.FastxFile(str(path)) as fh:
            for rec in fh:
                names.append(rec.name)
                seqs.append(rec.sequence or "")
    except (OSError, ValueError) as exc:
        if not path.exists():
            raise FileNotFoundError(2, "No such file or directory", str(path)) from None
        raise InputFormatError(f"cannot read FASTA/FASTQ: {exc}", path=path) from exc
    return names, seqs


def load_table(
    path: str | os.PathLike[str],
    labels: str | os.PathLike[str] | None = None,
    *,
    classes: Sequence[str] | None = None,
    task: str | None = None,
    pad: bool = False,
    positive: str | None = None,
    features: Sequence[str] | None = None,
) -> LabelledTable:
    """Read a labelled sequence table (see the module docstring for the accepted forms).

    Parameters
    ----------
    path
        CSV/TSV/Parquet with ``sequence`` + label column(s), or a FASTA file.
    labels
        For FASTA input: the labels table (CSV/TSV/Parquet with ``name`` or ``id``
        + label column(s)). Must be ``None`` for table input.
    classes
        Fix the class list and order (e.g. the training table's classes when
        reading a validation table). A single-class table is then accepted.
    task
        Expect this task (e.g. the training table's): ``"multilabel"`` reads a
        ``label`` column as ``;``-separated even where rows hold one label each;
        ``"binary"``/``"multiclass"`` refuse multilabel forms.
    pad
        Pad shorter sequences centrally with ``N`` to the longest instead of
        refusing mixed lengths.
    positive
        For a binary table read without ``classes``: the positive class, made
        ``classes[1]`` (the one a binary model's output is the probability of).
    features
        Read only these ``feature_<name>`` columns, in this order (a model's
        ``feature_names``; ``[]`` reads none), warning about the table's others;
        ``None`` (training) reads every ``feature_*`` column.

    Returns
    -------
    LabelledTable

    Raises
    ------
    InputFormatError
        Naming the file (and the line/row/record): unknown format, no rows, no
        ``sequence`` or label column, a missing or unknown label, only one class
        (without ``classes``), mixed sequence lengths (without ``pad``), a letter
        that is not a DNA/IUPAC code, a FASTA record without a label, a label column
        mixing integers with other values, a ``positive`` class that is not one of two.
    FileNotFoundError
        If a file does not exist.
    """
    table = _load_table(path, labels, classes=classes, task=task, pad=pad, features=features)
    return table if positive is None else _with_positive(table, positive)


def _with_positive(table: LabelledTable, positive: str) -> LabelledTable:
    """``table`` with ``positive`` as its positive class (``classes[1]``); labels flipped if need be."""
    positive = _canonical(positive)
    if table.task == "binary" and positive not in table.classes:
        # matched as labels are: "1.0" names the class 1 (and "7" a class recorded as 7.0)
        j = _ClassIndex(table.classes).get(positive)
        positive = positive if j is None else table.classes[j]
    if table.task != "binary" or positive not in table.classes:
        raise InputFormatError(
            f"positive class {positive!r} must be one of the two classes of a binary table "
            f"(this one is {table.task}: {', '.join(table.classes)})",
            path=table.labels_path or table.path,
        )
    if table.classes[1] == positive:
        return table
    return replace(table, labels=1 - table.labels, classes=[table.classes[1], table.classes[0]])


def _load_table(
    path: str | os.PathLike[str],
    labels: str | os.PathLike[str] | None,
    *,
    classes: Sequence[str] | None,
    task: str | None,
    pad: bool,
    features: Sequence[str] | None = None,
) -> LabelledTable:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    kind = _kind(path)
    if kind == "fasta":
        if labels is None:
            raise InputFormatError(
                "FASTA/FASTQ input needs a labels table keyed by record name (--labels TABLE; for a"
                " FASTA/FASTQ --valid of genoseq train, --valid-labels TABLE)",
                path=path,
            )
        labels_path = Path(labels)
        if not labels_path.exists():
            raise FileNotFoundError(2, "No such file or directory", str(labels_path))
        names, seqs = _read_fasta(path)
        if not names:
            raise InputFormatError("the FASTA/FASTQ file holds no records", path=path)
        frame, first = read_frame(labels_path)
        key = _name_column(frame)
        if key is None:
            raise InputFormatError(
                f"a labels table needs a 'name' (or 'id') column; columns are: {', '.join(frame.columns)}",
                path=labels_path,
            )
        keys = frame[key].to_list()
        row_of: dict[str, int] = {}
        for i, k in enumerate(keys):
            if k in row_of:
                raise InputFormatError(
                    f"duplicate name {k!r}", path=labels_path, record=row_location(first, i)
                )
            row_of[k] = i
        seen: set[str] = set()
        order = []
        for name in names:
            if name in seen:
                raise InputFormatError("duplicate record name", path=path, record=f"record {name}")
            seen.add(name)
            if name not in row_of:
                raise InputFormatError(
                    f"no label for this record in {labels_path}", path=path, record=f"record {name}"
                )
            order.append(row_of[name])
        if len(row_of) > len(order):  # names with no record: a labels table of another FASTA, or a subset
            unused = [k for k in keys if k not in seen]
            log.warning(
                "%s: %d labelled name(s) have no record in %s and are not used (first: %s)",
                labels_path,
                len(unused),
                path,
                ", ".join(repr(k) for k in unused[:3]),
            )
        frame = frame.select(pl.all().gather(order))
        where = [f"record {name}" for name in names]
        label_array, class_list, task = _parse_labels(
            frame, path=labels_path, first=first, where=where, classes=classes, task=task
        )
        matrix, lengths = _sequences_to_matrix(seqs, path=path, where=where, first=first, pad=pad)
        # the frame's rows are in the FASTA's order now: cells are named by record
        feats, feature_names = read_features(
            frame, path=labels_path, first=first, where=where, wanted=features
        )
        return LabelledTable(
            sequences=matrix,
            lengths=lengths,
            labels=label_array,
            classes=class_list,
            task=task,
            names=names,
            path=path,
            checksum=file_sha256(path),
            features=feats,
            feature_names=feature_names,
            labels_path=labels_path,
            labels_checksum=file_sha256(labels_path),
        )

    if labels is not None:
        raise InputFormatError(
            "a labels table is only used with FASTA input; this table holds its labels", path=path
        )
    frame, first = read_frame(path)
    if "sequence" not in frame.columns:
        raise InputFormatError(f"no 'sequence' column; columns are: {', '.join(frame.columns)}", path=path)
    if frame.height == 0:
        raise InputFormatError("the table holds no rows", path=path)
    label_array, class_list, task = _parse_labels(
        frame, path=path, first=first, where=None, classes=classes, task=task
    )
    matrix, lengths = _sequences_to_matrix(
        frame["sequence"].to_list(), path=path, where=None, first=first, pad=pad
    )
    key = _name_column(frame)
    feats, feature_names = read_features(frame, path=path, first=first, wanted=features)
    return LabelledTable(
        sequences=matrix,
        lengths=lengths,
        labels=label_array,
        classes=class_list,
        task=task,
        names=None if key is None else [str(v) for v in frame[key].to_list()],
        path=path,
        checksum=file_sha256(path),
        features=feats,
        feature_names=feature_names,
    )
