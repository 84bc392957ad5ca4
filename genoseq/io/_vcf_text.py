"""Checks on the text of VCF lines, run before pysam parses them.

htslib accepts some malformed lines silently (an extra column, an empty ALT,
QUAL ``abc`` read as 0) and reports others only as "truncated file"; checking
the text first lets every problem be reported with its file, line and value.
"""

from __future__ import annotations

import re

from genoseq.errors import InputFormatError
from genoseq.io._open import describe_start, looks_binary

FIXED_COLUMNS = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]

_BASES = "ACGTNRYSWKMBDHVacgtnryswkmbdhv"
REF_RE = re.compile(f"[{_BASES}]+")
_ALLELE = (
    rf"(?:[{_BASES}]+"  # bases
    r"|\*"  # overlapping deletion
    r"|<[^<>,\s]+>"  # symbolic <DEL>, <*>, <NON_REF>
    r"|[A-Za-z]*[\[\]][^\[\],\s]+[\[\]][A-Za-z]*"  # breakend t[p[ / ]p]t
    r"|\.[A-Za-z]+|[A-Za-z]+\.)"  # single breakend
)
ALT_RE = re.compile(rf"\.|{_ALLELE}(?:,{_ALLELE})*")


def classify_start(head: bytes, path: str) -> str:
    """``"vcf"`` or ``"bcf"`` from the first decompressed bytes, else raise a descriptive error."""
    if head.startswith(b"BCF\x02"):
        return "bcf"
    if head.startswith(b"##fileformat=VCF"):
        return "vcf"
    if not head.strip():
        raise InputFormatError("empty file: no VCF header", path=path)
    if looks_binary(head):
        raise InputFormatError("binary data, not a VCF or BCF file", path=path, record="line 1")
    if head.startswith(b"#"):
        why = "missing VCF header: the first line must be '##fileformat=VCFv4.x'"
    else:
        why = "missing VCF header: the file must start with '##fileformat=VCFv4.x' lines and a #CHROM line"
    raise InputFormatError(f"{why} (found {describe_start(head)})", path=path, record="line 1")


def check_column_header(line: str, path: str, line_no: int) -> int:
    """Check the ``#CHROM`` line; return the number of columns it declares."""
    fields = line.rstrip("\r\n").split("\t")
    if fields[:8] != FIXED_COLUMNS or (len(fields) > 8 and fields[8] != "FORMAT"):
        raise InputFormatError(
            "malformed #CHROM header line: expected the tab-separated columns "
            f"{' '.join(FIXED_COLUMNS)} [FORMAT samples…], found {line.strip()[:80]!r}",
            path=path,
            record=f"line {line_no}",
        )
    if len(fields) == 9:
        raise InputFormatError(
            "#CHROM header line has FORMAT but no sample columns", path=path, record=f"line {line_no}"
        )
    return len(fields)


def check_record_line(line: str, n_columns: int, path: str, location: str) -> list[str]:
    """Split a data line and check its columns, POS, REF, ALT and QUAL; return the fields.

    ``location`` (``line N`` or ``chrom:pos``) is used in the error message.
    """
    text = line.rstrip("\r\n")
    if not text.strip():
        raise InputFormatError("blank line: VCF does not allow empty lines", path=path, record=location)
    if text.startswith("#"):
        raise InputFormatError("header line after the #CHROM line", path=path, record=location)
    fields = text.split("\t")
    if len(fields) != n_columns:
        hint = " (columns must be separated by tabs, not spaces)" if len(fields) == 1 and " " in text else ""
        raise InputFormatError(
            f"wrong column count: {len(fields)} columns, but the #CHROM header declares {n_columns}{hint}",
            path=path,
            record=location,
        )
    chrom, pos, _id, ref, alt, qual = fields[:6]
    # each check starts with a cheap test that passes the common line (single-base REF/ALT, QUAL '.')
    if not chrom or _SPACE_RE.search(chrom):
        raise InputFormatError(f"invalid CHROM {chrom!r}", path=path, record=_where(location, chrom, pos))
    if not (pos.isdigit() and pos.isascii()):
        raise InputFormatError(
            f"POS {pos!r} is not an integer", path=path, record=_where(location, chrom, pos)
        )
    if ref not in _SINGLE_BASES and not REF_RE.fullmatch(ref):
        raise InputFormatError(
            f"REF {ref!r} is not DNA (A, C, G, T, N or IUPAC codes)",
            path=path,
            record=_where(location, chrom, pos),
        )
    if alt not in _SINGLE_BASES and not ALT_RE.fullmatch(alt):
        raise InputFormatError(
            f"ALT {alt!r} is not DNA, '*', '.', a symbolic allele <ID> or a breakend",
            path=path,
            record=_where(location, chrom, pos),
        )
    if qual != ".":
        try:
            float(qual)
        except ValueError:
            raise InputFormatError(
                f"QUAL {qual!r} is not a number or '.'", path=path, record=_where(location, chrom, pos)
            ) from None
    return fields


def _where(location: str, chrom: str, pos: str) -> str:
    """``line N (chrom:pos)`` for a line number, else ``location`` itself."""
    return f"{location} ({chrom}:{pos})" if location.startswith("line") else location


_SINGLE_BASES = frozenset(_BASES)
_SPACE_RE = re.compile(r"\s")
