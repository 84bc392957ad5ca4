"""Small helpers around pysam: a quiet htslib, and pysam errors turned into typed ones."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pysam

from genoseq.errors import InputFormatError

# htslib writes warnings and errors straight to stderr ("[E::bgzf_read] ..."); the
# readers here report problems as exceptions instead, so keep htslib quiet.
pysam.set_verbosity(0)


#: what pysam raises for unreadable input
PYSAM_ERRORS = (OSError, ValueError, KeyError, UnicodeDecodeError, NotImplementedError)


def as_input_error(exc: BaseException, path: str, what: str, record: str | None = None) -> InputFormatError:
    """The :class:`InputFormatError` reporting pysam's ``exc`` (raise it ``from exc``)."""
    detail = str(exc).strip() or type(exc).__name__
    return InputFormatError(f"{what}: {detail}", path=path, record=record)


@contextlib.contextmanager
def pysam_errors(path: str, what: str, record: str | None = None) -> Iterator[None]:
    """Turn the ``OSError``/``ValueError`` pysam raises into :class:`InputFormatError`.

    Errors genoseq raised itself pass through unchanged. (Per-record loops use
    :data:`PYSAM_ERRORS` and :func:`as_input_error` directly: a context manager per
    record is a measurable share of reading a VCF.)
    """
    try:
        yield
    except InputFormatError:
        raise
    except PYSAM_ERRORS as exc:
        raise as_input_error(exc, path, what, record) from exc
