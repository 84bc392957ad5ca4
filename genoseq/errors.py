"""The genoseq exception hierarchy.

Every error genoseq raises on purpose derives from :class:`GenoseqError`, so a
caller can catch one type; the CLI turns these into a one-line message (exit 1)
naming the file, the record or line, and the problem.
"""

from __future__ import annotations

from pathlib import Path


class GenoseqError(Exception):
    """Base class of every error genoseq raises on purpose.

    Parameters
    ----------
    message
        What is wrong, in one line.
    path
        The file concerned, if any; prefixed to the message.
    record
        The record name or ``line N`` locating the problem, if known.
    """

    def __init__(self, message: str, *, path: str | Path | None = None, record: str | None = None) -> None:
        self.problem = message
        self.path = None if path is None else str(path)
        self.record = record
        parts = []
        if self.path is not None:
            parts.append(self.path)
        if record is not None:
            parts.append(record)
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class InputFormatError(GenoseqError, ValueError):
    """An input file is missing, unreadable, truncated or not in the expected format."""


class InputFileNotFoundError(InputFormatError, FileNotFoundError):
    """The input path does not exist (also a :class:`FileNotFoundError`)."""


class InputIsADirectoryError(InputFormatError, IsADirectoryError):
    """The input path is a directory, not a file (also an :class:`IsADirectoryError`)."""


class UnknownContigError(InputFormatError, KeyError):
    """A contig name is not in the reference (after name harmonisation)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return Exception.__str__(self)


class ReferenceMismatchError(GenoseqError, ValueError):
    """A VCF REF allele disagrees with the reference FASTA."""


class ModelFormatError(GenoseqError, ValueError):
    """A model directory is missing files, has a bad checksum, unknown keys or a newer format."""


class ConfigError(GenoseqError, ValueError):
    """A configuration value or option is invalid (unknown key, wrong type, bad combination)."""


class TrainingError(GenoseqError, RuntimeError):
    """Training cannot go on (e.g. NaN/inf loss); the last good checkpoint is kept."""
