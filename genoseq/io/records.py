"""Sequence records returned by the FASTA/FASTQ readers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FastaRecord:
    """One FASTA record.

    Attributes
    ----------
    name
        The first word of the header line.
    description
        The whole header line after ``>`` (trailing whitespace removed).
    sequence
        The sequence exactly as written (case, IUPAC codes and ``N`` kept), with
        line breaks and whitespace removed; ``""`` for an empty record.
    """

    name: str
    description: str
    sequence: str


@dataclass(frozen=True, slots=True)
class FastqRecord:
    """One FASTQ record.

    Attributes
    ----------
    name, description, sequence
        As for :class:`FastaRecord` (the header starts with ``@``).
    quality
        Phred+33 quality string, same length as ``sequence``.
    """

    name: str
    description: str
    sequence: str
    quality: str
