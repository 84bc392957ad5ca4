"""Readers for genomic files: FASTA/FASTQ, indexed reference FASTA, VCF/BCF, BED, BAM/CRAM.

Everything here streams or reads on demand, accepts plain/gzip/bgzip input
where the format allows, harmonises contig names (``chr1`` ↔ ``1``,
``chrM`` ↔ ``MT``) and reports bad input as
:class:`~genoseq.errors.InputFormatError` naming the file, the line or record,
and the problem.  Coordinates are 0-based half-open, except VCF ``pos``
(1-based, named so).  This package never imports torch.

The names below are imported lazily, so ``from genoseq.io import read_fasta``
does not pay for pysam and polars.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "read_fasta": "genoseq.io.fastx",
    "read_fastq": "genoseq.io.fastx",
    "read_fastx": "genoseq.io.fastx",
    "write_fasta": "genoseq.io.fastx",
    "FastaRecord": "genoseq.io.records",
    "FastqRecord": "genoseq.io.records",
    "Reference": "genoseq.io.reference",
    "read_vcf": "genoseq.io.vcf",
    "Variant": "genoseq.io.vcf",
    "vcf_header_info": "genoseq.io.vcf",
    "count_vcf_records": "genoseq.io.vcf",
    "read_bed": "genoseq.io.bed",
    "read_alignments": "genoseq.io.bam",
    "coverage": "genoseq.io.bam",
    "ContigResolver": "genoseq.io.contigs",
    "contig_key": "genoseq.io.contigs",
    "harmonise_contig": "genoseq.io.contigs",
    "parse_region": "genoseq.io.contigs",
    "InputFileNotFoundError": "genoseq.io._open",
    "InputIsADirectoryError": "genoseq.io._open",
    "RecordIterator": "genoseq.io._open",
}

__all__ = [
    "ContigResolver",
    "FastaRecord",
    "FastqRecord",
    "InputFileNotFoundError",
    "InputIsADirectoryError",
    "RecordIterator",
    "Reference",
    "Variant",
    "contig_key",
    "count_vcf_records",
    "coverage",
    "harmonise_contig",
    "parse_region",
    "read_alignments",
    "read_bed",
    "read_fasta",
    "read_fastq",
    "read_fastx",
    "read_vcf",
    "vcf_header_info",
    "write_fasta",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from genoseq.io._open import InputFileNotFoundError, InputIsADirectoryError, RecordIterator
    from genoseq.io.bam import coverage, read_alignments
    from genoseq.io.bed import read_bed
    from genoseq.io.contigs import ContigResolver, contig_key, harmonise_contig, parse_region
    from genoseq.io.fastx import read_fasta, read_fastq, read_fastx, write_fasta
    from genoseq.io.records import FastaRecord, FastqRecord
    from genoseq.io.reference import Reference
    from genoseq.io.vcf import Variant, count_vcf_records, read_vcf, vcf_header_info


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'genoseq.io' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
