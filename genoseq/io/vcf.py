"""VCF / VCF.gz / BCF reading through pysam, one :class:`Variant` per ALT allele.

The one place where VCF's 1-based ``POS`` meets genoseq's 0-based coordinates
is :attr:`Variant.start` (``pos - 1``).

Text VCFs are checked line by line *before* pysam parses each line (column
count, POS, REF/ALT alphabet, QUAL), because htslib accepts some malformed
lines silently and reports others only as "truncated file".  pysam's own
errors are re-raised as :class:`~genoseq.errors.InputFormatError` naming the
file and the line (or ``chrom:pos`` when reading an indexed region).
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import zlib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pysam

from genoseq.errors import ConfigError, InputFormatError, UnknownContigError
from genoseq.io._numbers import FLOAT, FLOAT_TEXT, INTEGER, INTEGER_TEXT
from genoseq.io._open import InputStream, RecordIterator, display_name, has_bgzf_eof, is_bgzf, is_gzip
from genoseq.io._pysam import PYSAM_ERRORS, as_input_error, pysam_errors
from genoseq.io._vcf_text import (
    ALT_RE,
    REF_RE,
    check_column_header,
    check_record_line,
    classify_start,
)
from genoseq.io.contigs import ContigResolver, contig_key, parse_region
from genoseq.io.reference import Reference

log = logging.getLogger(__name__)

__all__ = ["Variant", "count_vcf_records", "parse_region", "read_vcf", "vcf_header_info"]

PathLike = str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class Variant:
    """One ALT allele of a VCF record.

    Attributes
    ----------
    chrom
        Contig name (the reference's spelling when read with ``reference=``).
    pos
        1-based position, as in the VCF.
    id
        The ID column, or ``None`` for ``.``.
    ref, alt
        REF and this ALT allele as written (``alt`` may be symbolic: ``<DEL>``,
        ``*``, a breakend, or ``.`` for a record without ALT).
    info
        The record's INFO as pysam gives it, except that ``Number=A`` fields are
        reduced to this ALT's value and ``Number=R`` fields to ``(ref, this alt)``;
        ``END`` (1-based, inclusive), which pysam keeps out of its INFO, is put back.
    qual
        QUAL, or ``None`` for ``.``.
    filter
        FILTER names (``("PASS",)``, or ``()`` for ``.``).
    alt_index
        0-based index of this ALT among the record's ALT alleles.
    n_alts
        Number of ALT alleles in the record (1 for ALT ``.``).
    where
        Where the record is in its file, as errors name it (``"line 12 (MT:300)"`` in a VCF,
        with the contig as written there; ``"MT:300"`` in a BCF); ``None`` for a Variant made by
        hand. Not compared.
    """

    chrom: str
    pos: int
    id: str | None
    ref: str
    alt: str
    info: dict[str, Any] = field(default_factory=dict, hash=False)
    qual: float | None = None
    filter: tuple[str, ...] = ()
    alt_index: int = 0
    n_alts: int = 1
    where: str | None = field(default=None, compare=False, repr=False)

    @property
    def start(self) -> int:
        """0-based start of REF (``pos - 1``)."""
        return self.pos - 1

    @property
    def end(self) -> int:
        """0-based, exclusive end of the record: of REF (``start + len(ref)``), or of the region
        ``INFO/END`` describes (a symbolic ``<DEL>``, a gVCF block), as htslib's region queries read it."""
        end = self.info.get("END")
        return end if isinstance(end, int) and end >= self.pos else self.pos - 1 + len(self.ref)

    @property
    def is_symbolic(self) -> bool:
        """Whether ALT is not a plain base sequence: ``<DEL>``, ``*``, ``.`` or a breakend."""
        alt = self.alt
        return (
            alt in ("*", ".")
            or alt.startswith("<")
            or "[" in alt
            or "]" in alt
            or alt.startswith(".")
            or alt.endswith(".")
        )


#: decompressed copies of plain-gzip VCFs, by (path, mtime, size): made once per process and file
#: (a scoring run opens its VCF several times), removed when the process exits
_PLAIN_COPIES: dict[tuple[str, int, int], Path] = {}


def _remove_plain_copies() -> None:
    while _PLAIN_COPIES:
        _PLAIN_COPIES.popitem()[1].unlink(missing_ok=True)


def _decompressed_copy(path: Path, name: str) -> Path:
    """A decompressed temporary copy of the plain-gzip file ``path``, shared by every reader of the
    same file in this process and removed at exit."""
    import atexit
    import shutil
    import tempfile

    stat = Path(path).stat()
    key = (str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)
    copy = _PLAIN_COPIES.get(key)
    if copy is not None and copy.exists():
        return copy
    log.info("%s: gzip, not bgzip: reading a decompressed temporary copy (bgzip it to skip this)", name)
    fd, tmp = tempfile.mkstemp(prefix="genoseq-", suffix=".vcf")
    try:
        with os.fdopen(fd, "wb") as out, gzip.open(path, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, EOFError | zlib.error | gzip.BadGzipFile):
            raise InputFormatError(f"corrupt or truncated gzip data ({exc})", path=name) from exc
        raise
    if not _PLAIN_COPIES:
        atexit.register(_remove_plain_copies)
    _PLAIN_COPIES[key] = Path(tmp)
    return Path(tmp)


def htslib_path(path: PathLike) -> Path:
    """The file htslib (pysam) should open for the VCF/BCF ``path``: ``path`` itself, or for a
    plain-gzip VCF, which htslib reads only as bgzip, its decompressed temporary copy."""
    with open(path, "rb") as fh:
        start = fh.read(18)
    if is_gzip(start) and not is_bgzf(start):
        return _decompressed_copy(Path(path), display_name(path))
    return Path(path)


class _VcfFile:
    """An opened VCF/BCF: pysam's reader plus, for text VCF, a second stream of its raw lines."""

    def __init__(self, path: PathLike) -> None:
        self.src = InputStream(path)
        self.path = self.src.path
        self.name = self.src.name
        self.compressed = self.src.compressed
        self.line_no = 0
        self.n_columns = 0
        self._plain_copy: Path | None = None
        try:
            self.kind = classify_start(self.src.head, self.name)
            if self.compressed == "bgzf" and not has_bgzf_eof(self.path):
                raise InputFormatError(
                    "truncated bgzip file: the BGZF end-of-file marker is missing", path=self.name
                )
            if self.kind == "vcf":
                self._read_text_header()
            if self.compressed == "gzip":
                # htslib reads compressed VCF only as bgzip: give it a decompressed temporary copy
                self._plain_copy = _decompressed_copy(self.path, self.name)
            with pysam_errors(self.name, "htslib cannot read the VCF header"):
                self.vf = pysam.VariantFile(str(self._plain_copy or self.path))
            header = self.vf.header
            self.numbers = {key: meta.number for key, meta in header.info.items()}
            # the header's Integer/Float INFO fields; read_vcf says which are checked (check_only)
            self.numeric = {
                key: _NUMBER_TEXT[meta.type] for key, meta in header.info.items() if meta.type in _NUMBER_TEXT
            }
            self.bad_numeric: Callable[[str], bool] | None = None
            self.header_contigs = list(header.contigs)
        except BaseException:
            self.close()
            raise

    def check_only(self, fields: Collection[str] | None) -> None:
        """Check the text of these Integer/Float INFO fields (``None``: all), see :func:`read_vcf`."""
        if fields is not None:
            wanted = set(fields)
            self.numeric = {key: p for key, p in self.numeric.items() if key in wanted}
        self.bad_numeric = _bad_numeric_finder(self.numeric)

    def _read_text_header(self) -> None:
        for line in self._text_lines():
            if line.startswith("##"):
                continue
            if line.startswith("#"):
                self.n_columns = check_column_header(line, self.name, self.line_no)
                return
            raise InputFormatError(
                "missing the #CHROM header line before the first record",
                path=self.name,
                record=f"line {self.line_no}",
            )
        raise InputFormatError(
            "missing the #CHROM header line (the file ends inside the header)", path=self.name
        )

    def _text_lines(self) -> Iterator[str]:
        """Decoded lines of the text stream, counting ``line_no``; decoding errors become typed."""
        stream = self.src.stream
        while True:
            try:
                raw = stream.readline()
            except EOFError as exc:
                raise InputFormatError(
                    f"truncated gzip/bgzip data: the compressed stream ends early ({exc})",
                    path=self.name,
                    record=f"after line {self.line_no}",
                ) from exc
            except (zlib.error, gzip.BadGzipFile) as exc:
                raise InputFormatError(
                    f"corrupt gzip/bgzip data ({exc})", path=self.name, record=f"after line {self.line_no}"
                ) from exc
            if not raw:
                return
            self.line_no += 1
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputFormatError(
                    "binary data: this line is not UTF-8 text", path=self.name, record=f"line {self.line_no}"
                ) from None

    def close(self) -> None:
        """Close pysam's reader and the text stream."""
        vf = getattr(self, "vf", None)
        if vf is not None:
            vf.close()
        self.src.close()

    # -- records -------------------------------------------------------------------------------

    def records(self, region: str | None) -> Iterator[tuple[pysam.VariantRecord, str, list[str] | None]]:
        """Yield ``(record, location, text columns or None)``, checked, optionally restricted to ``region``.

        The text columns (VCF only; ``None`` for BCF) are those of the same record, already checked.
        """
        if region is None:
            if self.kind == "vcf":
                yield from self._lockstep(
                    ((t, f"line {self.line_no}") for t in self._text_lines()), iter(self.vf)
                )
            else:
                yield from self._checked_binary(iter(self.vf))
            return
        streaming = self._index_file() is None or (self.kind == "vcf" and self.compressed != "bgzf")
        unknown: UnknownContigError | None = None
        try:
            contig, start, end = self._region(region)
        except UnknownContigError as exc:
            if not streaming:
                raise
            # records on a contig the header leaves out: the index of an indexed file names it, so
            # reading the whole file finds them too; the error stands if none is there
            unknown = exc
            contig, start, end = parse_region(region, self.header_contigs, path=self.name)
        if streaming:
            # plain text or gzip, or a file without an index: filter while streaming the whole file
            # (by name key if no ##contig lines)
            if self.compressed == "bgzf":
                log.info(
                    "%s: no .tbi/.csi index, so the region %s is found by reading the whole file",
                    self.name,
                    region,
                )
            key = contig_key(contig)
            if self.kind == "vcf":
                lines = ((t, f"line {self.line_no}") for t in self._text_lines())
                stream = self._lockstep(lines, iter(self.vf))
            else:
                stream = self._checked_binary(iter(self.vf))
            by_key = not self.header_contigs or unknown is not None
            for rec, where, info in stream:
                same = rec.chrom == contig or (by_key and contig_key(rec.chrom) == key)
                if same:
                    unknown = None  # the contig is in the file
                    stop = rec.stop
                    # an END the header leaves out (htslib guesses a String and leaves the stop at
                    # REF's end): tabix reads it from the text, and so does this filter
                    written = end_in_info(info[7]) if info is not None else None
                    if written is not None and written > stop:
                        stop = written
                    if (start is None or stop > start) and (end is None or rec.start < end):
                        yield rec, where, info
            if unknown is not None:
                raise unknown
            return
        index = self.vf.index
        if index is not None and contig not in index:
            return  # a contig of the header without records: the index never saw it, nothing to fetch
        with pysam_errors(self.name, f"cannot query region {region!r}"):
            recs = self.vf.fetch(contig, start, end)
        if self.kind == "bcf":
            yield from self._checked_binary(recs)
            return
        with pysam_errors(self.name, f"cannot query region {region!r}"):
            tabix = pysam.TabixFile(str(self.path), index=str(self._index_file()))  # .tbi or .csi
        try:
            with pysam_errors(self.name, f"cannot query region {region!r}"):
                lines = tabix.fetch(contig, start, end)
            yield from self._lockstep(_index_lines(lines, self.name, region), recs)
        finally:
            tabix.close()

    def _region(self, region: str) -> tuple[str, int | None, int | None]:
        contig, start, end = parse_region(region, self.header_contigs, path=self.name)
        names = self.header_contigs
        if (
            not names
            and self.kind == "vcf"
            and self.compressed is not None
            and self._index_file() is not None
        ):
            with (
                pysam_errors(self.name, "cannot read the tabix index"),
                pysam.TabixFile(str(self.path), index=str(self._index_file())) as tbx,
            ):
                names = list(tbx.contigs)
        if names:
            contig = ContigResolver(names, self.name).resolve(contig)
        return contig, start, end

    def _index_file(self) -> Path | None:
        """The ``.tbi``/``.csi`` beside the file; ``None`` (with a warning, once) for an index older than
        the file, which may point into the data of the file's earlier version (regions then read
        nothing, or the wrong records, without any error): such a file is read whole and filtered."""
        index = current_index(self.path)
        if index is not None:
            return index
        stale = next(
            (Path(f"{self.path}{sfx}") for sfx in (".tbi", ".csi") if Path(f"{self.path}{sfx}").exists()),
            None,
        )
        if stale is not None:  # older than the file
            key = (str(Path(self.path).resolve()), Path(self.path).stat().st_mtime_ns)
            if key not in _WARNED_STALE:  # once per file a process reads (several readers)
                _WARNED_STALE.add(key)
                log.warning(
                    "%s: its index %s is older than the file, so regions are found by reading the"
                    " whole file (re-index it: tabix -f -p vcf %s)",
                    self.name,
                    stale.name,
                    self.name,
                )
        return None

    def _lockstep(
        self, lines: Iterator[tuple[str, str]], recs: Iterator[pysam.VariantRecord]
    ) -> Iterator[tuple[pysam.VariantRecord, str, list[str]]]:
        """Check each text line, then let pysam parse the same record."""
        where = "the first record"
        n_columns, name = self.n_columns, self.name
        for text, location in lines:
            fields = check_record_line(text, n_columns, name, location)
            where = f"{location} ({fields[0]}:{fields[1]})" if location.startswith("line") else location
            try:
                rec = next(recs, None)
            except PYSAM_ERRORS as exc:
                raise as_input_error(exc, name, "htslib could not parse the record", where) from exc
            if rec is None or rec.pos != int(fields[1]) or rec.chrom != fields[0]:
                raise InputFormatError(
                    "htslib read this record differently from its text (malformed line?)",
                    path=self.name,
                    record=where,
                )
            yield rec, where, fields
        with pysam_errors(self.name, "htslib could not parse the record", f"after {where}"):
            extra = next(recs, None)
        if extra is not None:
            raise InputFormatError(
                "htslib found more records than there are lines", path=self.name, record=f"after {where}"
            )

    def _checked_binary(
        self, recs: Iterator[pysam.VariantRecord]
    ) -> Iterator[tuple[pysam.VariantRecord, str, list[str] | None]]:
        """BCF has no text to check: check the parsed REF/ALT instead."""
        where = "the first record"
        while True:
            with pysam_errors(self.name, "htslib could not read the record", f"after {where}"):
                rec = next(recs, None)
            if rec is None:
                return
            where = f"{rec.chrom}:{rec.pos}"
            if not REF_RE.fullmatch(rec.ref or ""):
                raise InputFormatError(f"REF {rec.ref!r} is not DNA", path=self.name, record=where)
            alt = ",".join(rec.alts) if rec.alts else "."
            if not ALT_RE.fullmatch(alt):
                raise InputFormatError(
                    f"ALT {alt!r} is not DNA, '*', '.', a symbolic allele or a breakend",
                    path=self.name,
                    record=where,
                )
            yield rec, where, None


def _index_lines(lines: Iterator[str], name: str, region: str) -> Iterator[tuple[str, str]]:
    """``(line, location)`` of a tabix query; htslib failing part-way (an index of another file, say)
    is an :class:`InputFormatError` naming the file and the region."""
    while True:
        try:
            line = next(lines)
        except StopIteration:
            return
        except PYSAM_ERRORS as exc:
            raise as_input_error(
                exc,
                name,
                f"cannot read the records of region {region!r} (is the .tbi/.csi index this file's?)",
            ) from exc
        yield line, _location(line)


def _location(line: str) -> str:
    parts = line.split("\t", 2)
    return f"{parts[0]}:{parts[1]}" if len(parts) > 2 else "record"


#: an Integer or Float INFO value as VCF writes it: htslib's strtol/strtod read the number a value
#: starts with and drop the rest (``DP=1e3`` read as 1, ``AF=0.5x`` as 0.5), so the text is checked
_NUMBER_TEXT = {"Integer": INTEGER, "Float": FLOAT}


#: up to this many checked fields, each is found with str.find; more, one regex scans the record
_FIND_KEYS = 12


def _bad_numeric_finder(numeric: dict[str, re.Pattern[str]]) -> Callable[[str], bool] | None:
    """A test of an INFO string: whether an Integer/Float field of ``numeric`` holds a value that is
    not a number as VCF writes it. Cheap for the usual record (nothing wrong): a few checked fields
    are found with ``str.find``, many with one regex scan in C; a hit is then looked at field by
    field (:func:`_check_numeric_text`, for the message)."""
    if not numeric:
        return None
    lists = {
        kind: rf"(?:\.|{number})?(?:,(?:\.|{number})?)*"  # empty, '.', or a number, comma-separated
        for kind, number in (("Integer", INTEGER_TEXT), ("Float", FLOAT_TEXT))
    }
    kind_of = {key: "Integer" if p is _NUMBER_TEXT["Integer"] else "Float" for key, p in numeric.items()}
    if len(numeric) > _FIND_KEYS:
        alternatives = []
        for kind, values in lists.items():
            keys = sorted((k for k in numeric if kind_of[k] == kind), key=len, reverse=True)
            if keys:
                alternatives.append(rf"(?:{'|'.join(map(re.escape, keys))})=(?!{values}(?:;|\Z))")
        scan = re.compile(rf"(?:^|;)(?:{'|'.join(alternatives)})")
        return lambda text: scan.search(text) is not None
    probes = [(f"{key}=", re.compile(lists[kind_of[key]])) for key in numeric]

    def bad(text: str) -> bool:
        for probe, values in probes:
            i = text.find(probe)
            while i >= 0:
                if i == 0 or text[i - 1] == ";":  # a field's start, not the end of a longer key
                    j = i + len(probe)
                    k = text.find(";", j)
                    if values.fullmatch(text, j, len(text) if k < 0 else k) is None:
                        return True
                i = text.find(probe, i + 1)
        return False

    return bad


def _check_numeric_text(info_text: str, numeric: dict[str, re.Pattern[str]], path: str, where: str) -> None:
    """Every value of an Integer/Float INFO field is a whole number or a number (or ``.``/empty)."""
    for item in info_text.split(";"):
        key, _, text = item.partition("=")
        pattern = numeric.get(key)
        if pattern is None or not text:
            continue
        for value in text.split(","):
            if value not in ("", ".") and pattern.fullmatch(value) is None:
                kind = "an integer" if pattern is _NUMBER_TEXT["Integer"] else "a number"
                raise InputFormatError(
                    f"INFO/{key} value {value!r} is not {kind}, as its header declares it",
                    path=path,
                    record=where,
                )


def _check_missing_values(raw: dict[str, Any], info_text: str, path: str, where: str) -> None:
    """pysam gives a value it cannot parse as missing (``None``); in the text it must then be ``.``."""
    for key, value in raw.items():
        values = value if isinstance(value, tuple) else (value,)
        if None not in values:
            continue
        text = next(
            (item.partition("=")[2] for item in info_text.split(";") if item.partition("=")[0] == key), ""
        )
        given = sum(v not in ("", ".") for v in text.split(","))
        if given > sum(v is not None for v in values):
            raise InputFormatError(
                f"INFO/{key} value {text!r} does not match its declared type", path=path, record=where
            )


def _split(
    rec: pysam.VariantRecord,
    where: str,
    numbers: dict[str, Any],
    numeric: dict[str, re.Pattern[str]],
    bad_numeric: Callable[[str], bool] | None,
    path: str,
    chrom: str,
    text: list[str] | None,
) -> Iterator[Variant]:
    if text is not None:
        # A text VCF: the fixed columns come from the (already checked) text, which is several times
        # cheaper than pysam's attribute access; pysam parses only a non-empty INFO.
        _chrom, _pos, vid, ref, alt_text, qual_text, filter_text, info_text = text[:8]
        alts = alt_text.split(",") if alt_text != "." else None
        ident = None if vid == "." else vid
        qual = None if qual_text == "." else float(qual_text)
        filters = () if filter_text == "." else tuple(filter_text.split(";"))
        if info_text == "." or info_text == "":
            raw: dict[str, Any] = {}
        else:
            raw = _read_info(rec, path, where)
            if bad_numeric is not None and bad_numeric(info_text):
                _check_numeric_text(info_text, numeric, path, where)
            _check_missing_values(raw, info_text, path, where)
    else:
        alts = list(rec.alts) if rec.alts else None
        ident, ref, qual = rec.id, rec.ref, rec.qual
        filters = tuple(rec.filter.keys())
        raw = _read_info(rec, path, where)
    pos = rec.pos
    end = _info_end(rec, text)
    if end is not None:  # pysam moves INFO/END out of rec.info (into rec.stop)
        raw["END"] = end
    n_alts = len(alts) if alts else 1
    for key, value in list(raw.items()):
        number = numbers.get(key)
        if number in ("A", "R") and isinstance(value, tuple) and alts:
            expected = n_alts + (number == "R")
            if value in ((None,), (".",)):  # one '.' stands for the whole missing value (AF=. on A,C,G)
                raw[key] = value = (value[0],) * expected
            if len(value) != expected:
                raise InputFormatError(
                    f"INFO/{key} has {len(value)} values but Number={number} needs {expected}"
                    f" for {n_alts} ALT allele(s)",
                    path=path,
                    record=where,
                )
    for i, alt in enumerate(alts or (".",)):
        info = {}
        for key, value in raw.items():
            number = numbers.get(key)
            if number == "A" and isinstance(value, tuple) and alts:
                info[key] = value[i]
            elif number == "R" and isinstance(value, tuple) and alts:
                info[key] = (value[0], value[i + 1])
            else:
                info[key] = value
        yield Variant(chrom, pos, ident, ref, alt, info, qual, filters, i, n_alts, where)


def read_vcf(
    path: PathLike,
    region: str | None = None,
    reference: Reference | PathLike | None = None,
    *,
    check_numbers: bool | Collection[str] = True,
) -> RecordIterator[Variant]:
    """Stream the variants of a VCF, VCF.gz or BCF file, one :class:`Variant` per ALT allele.

    Parameters
    ----------
    path
        VCF (plain, bgzip-compressed, or plain gzip, which htslib cannot read and is
        read through a decompressed temporary copy) or BCF.
    region
        ``chr``, ``chr:beg-end`` (1-based inclusive, like samtools) or ``chr:beg-``;
        the contig may be written either way (``chr1``/``1``).  A bgzipped VCF or a
        BCF with a current ``.tbi``/``.csi`` index is queried through it; any other
        file (plain text, plain gzip, no index, an index older than the file) is
        read whole and filtered while streaming.  Records overlapping the region
        are returned.
    reference
        A :class:`Reference` or FASTA path; if given, ``chrom`` is rewritten to
        the reference's spelling of the contig.
    check_numbers
        Which Integer/Float INFO fields are checked as written (htslib reads the number a
        value starts with, ``DP=1e3`` as 1, ``AF=0.5x`` as 0.5; a checked field's such value
        is an error naming the record): ``True`` every one, or the names of those the caller
        reads (the check costs ~0.5 µs a field and record; ``False``: none, for a caller that
        reads no INFO values).

    Returns
    -------
    RecordIterator[Variant]
        Iterator (and context manager).  A header-only VCF gives no variants.

    Raises
    ------
    InputFormatError
        Missing file or directory, missing/malformed header, wrong column count,
        non-integer POS, REF/ALT not DNA, bad QUAL, blank lines, binary data,
        truncated gzip, an index htslib fails on, and (with ``reference``) a
        POS 0 or past the end of its contig; naming the file and the line (or ``chrom:pos``).
    UnknownContigError
        A record's (or the region's) contig is not in the reference (or file).
    """
    if isinstance(check_numbers, str):  # "AF" would check fields A and F
        raise ConfigError(f"check_numbers takes True, False or field names, not the string {check_numbers!r}")
    vcf = _VcfFile(path)
    vcf.check_only(None if check_numbers is True else () if check_numbers is False else check_numbers)
    ref: Reference | None = None
    own_ref = False
    try:
        if reference is not None:
            own_ref = not isinstance(reference, Reference)
            ref = Reference(reference) if own_ref else reference  # type: ignore[arg-type]
    except BaseException:
        vcf.close()
        raise

    def close() -> None:
        vcf.close()
        if own_ref and ref is not None:
            ref.close()

    if region is not None and ref is not None:
        try:  # a region past the contig's end is another genome build, not "no variants"
            contig, start, _ = parse_region(region, ref.contigs, path=vcf.name)
            try:
                contig = ref.resolve(contig)
            except UnknownContigError as exc:
                raise UnknownContigError(
                    f"region {region!r}: {exc.args[0] if exc.args else exc}", path=vcf.name
                ) from None
            if start is not None and start >= ref.length(contig):
                raise InputFormatError(
                    f"region {region!r} starts after the end of contig {contig!r} (length "
                    f"{ref.length(contig)}) in the reference {ref.path}",
                    path=vcf.name,
                )
        except BaseException:
            close()
            raise
    return RecordIterator(_variants(vcf, region, ref, close), close)


def _variants(
    vcf: _VcfFile, region: str | None, ref: Reference | None, close: Callable[[], None]
) -> Iterator[Variant]:
    try:
        yield from _split_records(vcf, region, ref)
    finally:
        close()


def _info_end(rec: pysam.VariantRecord, text: list[str] | None) -> int | None:
    """The record's INFO/END as written, or ``None`` (htslib's ``rec.stop`` alone would also answer
    for an END computed from SVLEN, or drop an END equal to REF's own end)."""
    if text is not None:
        return end_in_info(text[7])
    # BCF: no text; END is the stop htslib read, unless SVLEN could have given it: then the record's
    # INFO as htslib writes it out says whether END is there
    if "END" not in rec.header.info:
        return None
    if "SVLEN" in rec.info:
        return end_in_info(str(rec).split("\t", 8)[7])
    if rec.stop == rec.pos - 1 + len(rec.ref):
        return None
    return rec.stop


def end_in_info(info: str) -> int | None:
    """The value of ``END`` in an INFO column's text, ``None`` if it has none (or not an integer)."""
    if "END=" not in info:
        return None
    for item in info.split(";"):
        key, _, value = item.partition("=")
        if key == "END":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _read_info(rec: pysam.VariantRecord, path: str, where: str) -> dict[str, Any]:
    """The record's INFO as pysam parses it; what pysam refuses (an INFO field declared
    ``Number=G``, which VCF allows in FORMAT only) is a one-line error naming the record."""
    try:
        return {key: rec.info[key] for key in rec.info}
    except ValueError as exc:
        raise InputFormatError(f"cannot read INFO: {exc}", path=path, record=where) from None


def _telomeric(rec: pysam.VariantRecord) -> bool:
    """Whether every ALT of ``rec`` is a breakend or symbolic allele (which POS 0 may carry)."""
    alts = rec.alts or ()
    return bool(alts) and all(a.startswith(("<", ".")) or "[" in a or "]" in a for a in alts)


#: (file, modification time) of the VCFs whose stale index this process has warned about
_WARNED_STALE: set[tuple[str, int]] = set()


def current_index(path: PathLike) -> Path | None:
    """The ``.tbi``/``.csi`` index beside a VCF/BCF when it is no older than the file, else ``None``:
    an older index may point into the data of the file's earlier version (a region then reads
    nothing, or the wrong records, or fails as a truncated file)."""
    for suffix in (".tbi", ".csi"):
        index = Path(f"{path}{suffix}")
        if index.exists() and index.stat().st_mtime_ns >= Path(path).stat().st_mtime_ns:
            return index
    return None


#: the positions a ``.tbi`` index can address (2^29 = 536,870,912): a longer contig needs a ``.csi``
TBI_MAX_POSITION = 1 << 29


def index_suffix(header: pysam.VariantHeader, max_end: int = 0) -> str:
    """``".csi"`` where a ``##contig`` of ``header``, or a record ending at ``max_end``, lies past what
    a ``.tbi`` can address (wheat, barley and conifer chromosomes do), else ``".tbi"``."""
    longest = max((contig.length or 0 for contig in header.contigs.values()), default=0)
    return ".csi" if max(longest, max_end) > TBI_MAX_POSITION else ".tbi"


def index_vcf(path: PathLike, suffix: str) -> Path:
    """Index the bgzipped, sorted VCF ``path`` with tabix as ``suffix`` (``.tbi`` or ``.csi``,
    see :func:`index_suffix`); returns the index's path. Raises what pysam raises."""
    pysam.tabix_index(str(path), preset="vcf", force=True, csi=suffix == ".csi")
    return Path(f"{path}{suffix}")


def drop_other_index(path: PathLike, suffix: str) -> None:
    """Remove the index of the other kind (``.csi`` beside a new ``.tbi``, or the reverse) that an
    earlier version of ``path`` left: htslib could load it before the new one."""
    other = Path(f"{path}{'.csi' if suffix == '.tbi' else '.tbi'}")
    other.unlink(missing_ok=True)


def _split_records(vcf: _VcfFile, region: str | None, ref: Reference | None) -> Iterator[Variant]:
    names: dict[str, tuple[str, int]] = {}
    for rec, where, text in vcf.records(region):
        chrom = rec.chrom
        if rec.pos < 1 and ref is None and not _telomeric(rec):
            raise InputFormatError(
                f"POS {rec.pos}: VCF positions start at 1 (POS 0 is only for a telomeric breakend)",
                path=vcf.name,
                record=where,
            )
        if ref is not None:
            known = names.get(chrom)
            if known is None:
                try:
                    resolved = ref.resolve(chrom)
                except UnknownContigError:
                    raise UnknownContigError(
                        f"contig {chrom!r} is not in the reference {ref.path} (contigs: "
                        f"{', '.join(ref.contigs[:8])}{', …' if len(ref.contigs) > 8 else ''})",
                        path=vcf.name,
                        record=where,
                    ) from None
                known = names[chrom] = (resolved, ref.length(resolved))
                _check_declared_length(vcf, rec.chrom, ref, resolved)
            chrom, length = known
            # POS outside the contig means another genome build; a REF that merely runs off the
            # contig's end is left to the REF check (a REF mismatch)
            if rec.pos < 1:
                raise InputFormatError(
                    f"POS {rec.pos} is before the start of contig {chrom!r}: VCF positions start at 1 "
                    "(POS 0 marks a telomere, which has no reference base to score)",
                    path=vcf.name,
                    record=where,
                )
            if rec.pos > length:
                raise InputFormatError(
                    f"POS {rec.pos} is past the end of contig {chrom!r} (length {length})"
                    f" in the reference {ref.path}: is this VCF from another genome build?",
                    path=vcf.name,
                    record=where,
                )
        yield from _split(rec, where, vcf.numbers, vcf.numeric, vcf.bad_numeric, vcf.name, chrom, text)


def _check_declared_length(vcf: _VcfFile, chrom: str, ref: Reference, resolved: str) -> None:
    """Warn when the header's ``##contig`` line gives ``chrom`` another length than the reference's.

    A warning, not an error: positions inside both lengths still mean the same bases on a
    patched assembly, and a REF check follows; but a different length is the mark of another
    build (hg19's chrM is 16,571 bp, rCRS 16,569 bp), where every position may be off.
    """
    contig = vcf.vf.header.contigs.get(chrom)
    declared = None if contig is None else contig.length
    if declared is not None and declared != ref.length(resolved):
        log.warning(
            "%s: the header gives contig %s length %d, but %s in the reference %s has %d: is this VCF "
            "from another genome build?",
            vcf.name,
            chrom,
            declared,
            resolved,
            ref.path,
            ref.length(resolved),
        )


def vcf_header_info(path: PathLike) -> dict[str, tuple[int | str, str, str]]:
    """The INFO fields declared in a VCF/BCF header.

    Returns
    -------
    dict[str, tuple[int | str, str, str]]
        ``{name: (number, type, description)}``; ``number`` is an int or one of
        ``"A"``, ``"R"``, ``"G"``, ``"."``.
    """
    vcf = _VcfFile(path)
    try:
        return {key: (meta.number, meta.type, meta.description) for key, meta in vcf.vf.header.info.items()}
    finally:
        vcf.close()


def count_vcf_records(path: PathLike) -> int:
    """Number of records (lines, before multi-allelic splitting) in a VCF/BCF, checking each."""
    vcf = _VcfFile(path)
    try:
        return sum(1 for _ in vcf.records(None))
    finally:
        vcf.close()


def read_vcf_records(
    path: PathLike, region: str | None = None, *, with_location: bool = False
) -> RecordIterator[Any]:
    """Stream the checked ``pysam.VariantRecord`` s of a VCF/BCF, unsplit.

    The same records, checks and order as :func:`read_vcf` (which yields one :class:`Variant` per
    ALT of each of these records), for writers that copy the input records (e.g. an annotated VCF).
    ``with_location`` yields ``(record, location)`` pairs instead, the location as errors name it
    (``"line 12 (chr1:100)"`` in a VCF, ``"chr1:100"`` in a BCF).
    """
    vcf = _VcfFile(path)

    def gen() -> Iterator[Any]:
        try:
            for rec, where, _ in vcf.records(region):
                yield (rec, where) if with_location else rec
        finally:
            vcf.close()

    return RecordIterator(gen(), vcf.close)


class RecordOrderError(InputFormatError):
    """A VCF's records are not sorted as an indexed VCF needs (:func:`scan_record_order`)."""


def scan_record_order(vcf: Any, path: Path, hint: str = "", *, located: bool = False) -> bool:
    """Check that ``vcf``'s records (pysam records) are sorted as an indexed VCF needs -- each contig,
    as written, in one block, POS rising -- and say whether any ALT is symbolic (``<DEL>`` ...).

    ``located``: ``vcf`` yields ``(record, location)`` pairs (:func:`read_vcf_records` with
    ``with_location``), and the error names the location too (``"line 12 (chr1:100)"``).

    Raises
    ------
    RecordOrderError
        Naming the first record out of order; ``hint`` ends the advice (``", or leave out ..."``).
    """
    symbolic = False
    done: set[str] = set()
    last_chrom, last_pos = None, 0
    for item in vcf:
        rec, where = item if located else (item, None)
        chrom, pos = rec.chrom, rec.pos
        record = where or f"{chrom}:{pos}"
        if chrom != last_chrom:
            if chrom in done:
                raise RecordOrderError(
                    f"records are not sorted: contig {chrom} appears again after {last_chrom}; the "
                    f"annotated VCF must be sorted to be indexed (sort it, e.g. bcftools sort{hint})",
                    path=path,
                    record=record,
                )
            if last_chrom is not None:
                done.add(last_chrom)
            last_chrom, last_pos = chrom, pos
        elif pos < last_pos:
            raise RecordOrderError(
                f"records are not sorted: POS {pos} comes after {last_pos}; the annotated VCF must be "
                f"sorted to be indexed (sort it, e.g. bcftools sort{hint})",
                path=path,
                record=record,
            )
        else:
            last_pos = pos
        if not symbolic and any(a.startswith("<") for a in rec.alts or ()):
            symbolic = True
    return symbolic
