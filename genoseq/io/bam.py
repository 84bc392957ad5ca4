"""BAM/CRAM access through pysam: reads overlapping a region, and per-base depth."""

from __future__ import annotations

import operator
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pysam

from genoseq.errors import ConfigError, InputFormatError
from genoseq.io._open import RecordIterator, check_input_path
from genoseq.io._pysam import pysam_errors
from genoseq.io.contigs import ContigResolver, parse_region
from genoseq.io.reference import Reference

PathLike = str | os.PathLike[str]

# reads ignored by coverage(), as samtools depth does by default
_SKIP_FLAGS = 0x4 | 0x100 | 0x200 | 0x400  # unmapped, secondary, QC fail, duplicate


def _reference_path(reference: Reference | PathLike | None) -> str | None:
    if reference is None:
        return None
    if isinstance(reference, Reference):
        return str(reference.path)
    return str(check_input_path(reference))


def _open(
    path: PathLike, reference: Reference | PathLike | None, *, need_index: bool = True
) -> tuple[pysam.AlignmentFile, str]:
    p = check_input_path(path)
    name = str(p)
    ref = _reference_path(reference)
    with pysam_errors(name, "cannot open as BAM/CRAM/SAM"):
        f = pysam.AlignmentFile(name, "r", reference_filename=ref)
    if not f.is_bam and not f.is_cram and need_index:  # SAM text: read whole, but no region queries
        f.close()
        raise InputFormatError(
            "SAM text cannot be queried by region (nor its depth counted): make an indexed BAM first"
            f" (samtools sort -o {Path(name).stem}.bam {name} && samtools index {Path(name).stem}.bam)",
            path=name,
        )
    if need_index and not f.has_index():
        f.close()
        kind = "CRAM (.crai)" if f.is_cram else "BAM (.bai/.csi)"
        raise InputFormatError(
            f"no index for this {kind}; create one with `samtools index {name}` or pysam.index({name!r})",
            path=name,
        )
    return f, name


def read_alignments(
    path: PathLike, region: str | None = None, reference: Reference | PathLike | None = None
) -> RecordIterator[pysam.AlignedSegment]:
    """Reads of an indexed BAM/CRAM that overlap ``region`` (``None``: every mapped read).

    Parameters
    ----------
    path
        BAM or CRAM, indexed for a region query; the whole file (``region=None``) is streamed
        without an index, and may also be SAM text.
    region
        ``chr``, ``chr:beg-end`` (1-based inclusive) or ``chr:beg-``; the contig
        may be spelled either way (``chr1``/``1``, ``chrM``/``MT``). ``None``: the whole file.
    reference
        Reference FASTA (path or :class:`Reference`); needed for CRAM.

    Returns
    -------
    RecordIterator[pysam.AlignedSegment]
        Every mapped read whose alignment overlaps the region, in coordinate
        order (for the whole file: in file order, which a sorted, indexed file
        keeps by coordinate); an iterator and context manager.  Unmapped reads that htslib
        places at their mate's position are left out; secondary, supplementary
        and duplicate alignments are kept (filter on ``read.flag`` as needed).

    Raises
    ------
    InputFormatError
        Missing file, not SAM/BAM/CRAM, SAM or a missing index (for a region), malformed region;
        while iterating, a record that cannot be decoded (a corrupt file, a CRAM whose reference
        is not found).
    UnknownContigError
        The region's contig is not in the file's header.
    """
    f, name = _open(path, reference, need_index=region is not None)
    if region is None:
        try:
            with pysam_errors(name, "cannot read the alignments"):
                # the file as it is (htslib's until_eof), indexed or not: an index's fetch-all
                # iterator ends quietly at a record it cannot decode (a CRAM without its
                # reference read as empty), where until_eof raises; a sorted file's order is
                # its coordinate order either way, and unmapped reads are left out below
                reads = f.fetch(until_eof=True)
        except BaseException:
            _close(f, name, failed=True)
            raise
        return RecordIterator(_reads(f, reads, name, "the whole file"), lambda: _close(f, name))
    try:
        contig, start, end = parse_region(region, f.references, path=name)
        contig = ContigResolver(f.references, name).resolve(contig)
        if start is not None and start >= f.get_reference_length(contig):
            raise InputFormatError(
                f"region starts after the end of {contig!r} (length {f.get_reference_length(contig)})",
                path=name,
                record=region,
            )
        with pysam_errors(name, f"cannot query region {region!r}"):
            reads = f.fetch(contig, start, end)
    except BaseException:
        _close(f, name, failed=True)
        raise
    return RecordIterator(_reads(f, reads, name, region), lambda: _close(f, name))


def _close(f: pysam.AlignmentFile, name: str, *, failed: bool = False) -> None:
    """Close ``f``.  htslib also fails to close a file it could not decode (``OSError`` "Closing
    failed"): after a failed read (``failed``) the close's error is dropped so the read's
    ``InputFormatError`` stands; otherwise it becomes one."""
    try:
        f.close()
    except OSError as err:
        if not failed:
            raise InputFormatError(
                _reading(f, f"cannot read the file to its end ({err.strerror or err})"), path=name
            ) from None


#: htslib reports a CRAM it cannot decode against the reference (none found, or another FASTA)
#: as a truncated file, with its own reason hidden along with its other warnings
_CRAM_HINT = (
    " (a CRAM is decoded against its reference: give reference= the FASTA it was made with, "
    "or check that REF_PATH/the @SQ UR tags reach it)"
)


def _reading(f: pysam.AlignmentFile, what: str) -> str:
    return what + (_CRAM_HINT if f.is_cram else "")


def _reads(
    f: pysam.AlignmentFile, reads: Iterator[pysam.AlignedSegment], name: str, region: str
) -> Iterator[pysam.AlignedSegment]:
    what = _reading(f, "cannot read the next alignment")
    failed = False
    try:
        while True:
            with pysam_errors(name, what, region):
                read = next(reads, None)
            if read is None:
                return
            if not read.is_unmapped:
                yield read
    except BaseException:  # a read error, or the reader stopped early (GeneratorExit)
        failed = True
        raise
    finally:
        _close(f, name, failed=failed)


def coverage(
    path: PathLike,
    contig: str,
    start: int,
    end: int,
    reference: Reference | PathLike | None = None,
    min_mapq: int = 0,
) -> np.ndarray:
    """Per-base read depth over ``[start, end)`` (0-based, half-open).

    Depth counts reads whose aligned blocks (CIGAR M, =, X) cover the position;
    deletions and skipped regions (D, N) do not count.  Unmapped, secondary,
    QC-failed and duplicate reads, and reads with mapping quality below
    ``min_mapq``, are ignored (as ``samtools depth`` does by default).

    Returns
    -------
    numpy.ndarray
        int32 array of shape ``(end - start,)``.

    Raises
    ------
    ConfigError
        ``start``, ``end`` or ``min_mapq`` not an integer.
    InputFormatError
        Missing file or index, ``start > end``, or an interval outside the contig.
    UnknownContigError
        ``contig`` is not in the file's header.
    """
    try:
        start, end, min_mapq = operator.index(start), operator.index(end), operator.index(min_mapq)
    except TypeError:
        raise ConfigError(
            f"start, end and min_mapq must be integers (0-based, half-open), got {start!r}, {end!r}"
            f" and {min_mapq!r}"
        ) from None
    f, name = _open(path, reference)
    try:
        contig = ContigResolver(f.references, name).resolve(contig)
        length = f.get_reference_length(contig)
        if not 0 <= start <= end <= length:
            raise InputFormatError(
                f"interval [{start}, {end}) is outside contig {contig!r} (length {length}) or start > end",
                path=name,
                record=f"{contig}:{start}-{end}",
            )
        diff = np.zeros(end - start + 1, dtype=np.int64)
        with pysam_errors(name, _reading(f, "cannot read alignments"), f"{contig}:{start}-{end}"):
            for read in f.fetch(contig, start, end) if start < end else ():
                if read.flag & _SKIP_FLAGS or read.mapping_quality < min_mapq:
                    continue
                for block_start, block_end in read.get_blocks():
                    lo, hi = max(block_start, start), min(block_end, end)
                    if lo < hi:
                        diff[lo - start] += 1
                        diff[hi - start] -= 1
    except BaseException:
        _close(f, name, failed=True)
        raise
    _close(f, name)
    return np.cumsum(diff[:-1]).astype(np.int32)
