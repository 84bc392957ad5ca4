"""Small helpers around pysam: a quiet htslib, and pysam errors turned into typed ones."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pysam

from genoseq.errors import InputFormatError

# htslib writes warnings and errors straight to stderr ("[E::bgzf_read] ..."); the
# readers here report problems as exceptions instead, so keep htslib quiet.
pysam.set_verbosity(0)


@contextlib.contextmanager
def pysam_errors(path: str, what: str, record: str | None = None) -> Iterator[None]:
    """Turn the ``OSError``/``ValueError`` pysam raises into :class:`InputFormatError`.

    Errors genoseq raised itself pass through unchanged.
    """
    try:
        yield
    except InputFormatError:
        raise
    except (OSError, ValueError, KeyError, UnicodeDecodeError, NotImplementedError) as exc:
        detail = str(exc).strip() or type(exc).__name__
        raise InputFormatError(f"{what}: {detail}", path=path, record=record) from exc
