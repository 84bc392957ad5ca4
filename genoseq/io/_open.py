"""Opening input files: path checks, gzip/bgzip detection, typed read errors.

Every reader in :mod:`genoseq.io` opens its input through :func:`open_input`,
so a missing file, a directory, a truncated gzip stream or binary data gives
the same kind of :class:`~genoseq.errors.InputFormatError`, naming the file.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Generic, TypeVar

from genoseq.errors import ConfigError, InputFileNotFoundError, InputFormatError, InputIsADirectoryError

T = TypeVar("T")

GZIP_MAGIC = b"\x1f\x8b"
#: Bytes of the empty BGZF block that ends every well-formed bgzip file.
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def display_name(path: str | os.PathLike[str]) -> str:
    """The name used for ``path`` in error messages (``<stdin>`` for ``-``)."""
    return "<stdin>" if str(path) == "-" else str(path)


def require_path(path: object, what: str = "a file path") -> str | os.PathLike[str]:
    """``path`` itself when it is a ``str`` or ``os.PathLike``, else :class:`ConfigError` naming its type."""
    if isinstance(path, str | os.PathLike):
        return path
    raise ConfigError(f"expected {what} (str or os.PathLike), got {type(path).__name__}")


def check_input_path(path: str | os.PathLike[str], *, allow_stdin: bool = False) -> Path:
    """Check that ``path`` names a readable file; return it as a :class:`~pathlib.Path`.

    Raises
    ------
    InputFileNotFoundError
        ``path`` does not exist ("no such file").
    InputIsADirectoryError
        ``path`` is a directory ("is a directory").
    InputFormatError
        ``path`` cannot be read (permission denied), or is ``-`` where stdin is not allowed.
    """
    require_path(path)
    if str(path) == "-":
        if not allow_stdin:
            raise InputFormatError("reading from stdin ('-') is not supported here", path="-")
        return Path("-")
    p = Path(path)
    if not p.exists():
        raise InputFileNotFoundError("no such file", path=p)
    if p.is_dir():
        raise InputIsADirectoryError("is a directory", path=p)
    if not os.access(p, os.R_OK):
        raise InputFormatError("permission denied (file is not readable)", path=p)
    return p


def is_gzip(head: bytes) -> bool:
    """Whether ``head`` (the first bytes of a file) starts a gzip stream."""
    return head[:2] == GZIP_MAGIC


def is_bgzf(head: bytes) -> bool:
    """Whether ``head`` starts a BGZF (bgzip) block: gzip with the ``BC`` extra subfield."""
    return len(head) >= 16 and head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"


def has_bgzf_eof(path: Path) -> bool:
    """Whether a bgzip file ends with the BGZF end-of-file block (a sign it is complete)."""
    size = path.stat().st_size
    if size < len(BGZF_EOF):
        return False
    with open(path, "rb") as fh:
        fh.seek(size - len(BGZF_EOF))
        return fh.read() == BGZF_EOF


def looks_binary(data: bytes) -> bool:
    """Heuristic: ``data`` holds NUL or other control bytes (except tab/CR/LF) or invalid UTF-8."""
    if not data:
        return False
    sample = data[:4096]
    if sample.translate(None, b"\t\r\n\f\v" + bytes(range(32, 127))) == b"":
        return False
    if b"\x00" in sample or any(b < 32 and b not in (9, 10, 11, 12, 13) for b in sample):
        return True
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is not evidence of binary data
        return exc.start < len(sample) - 3
    return False


def describe_start(data: bytes) -> str:
    """A short printable description of the first line of ``data`` for error messages."""
    line = data.lstrip().split(b"\n", 1)[0][:40]
    text = line.decode("utf-8", errors="replace").rstrip("\r")
    return repr(text)


@contextlib.contextmanager
def read_errors(path: str | os.PathLike[str], what: str = "file") -> Iterator[None]:
    """Turn low-level decompression and decoding errors into :class:`InputFormatError`.

    Wrap the loop that reads a (possibly compressed) stream with this.
    """
    name = display_name(path)
    try:
        yield
    except EOFError as exc:
        raise InputFormatError(
            f"truncated gzip/bgzip data: the compressed stream ends early ({exc})", path=name
        ) from exc
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise InputFormatError(f"corrupt gzip/bgzip data ({exc})", path=name) from exc
    except UnicodeDecodeError as exc:
        raise InputFormatError(
            f"binary data, not a text {what} (byte 0x{exc.object[exc.start]:02x} is not UTF-8)",
            path=name,
        ) from exc


class InputStream:
    """A binary input stream, decompressed if the file is gzip/bgzip, with its first bytes known.

    Attributes
    ----------
    stream
        Binary file object to read from (``read``, ``readline``, iteration).
    head
        The first *decompressed* bytes (one buffer, a few KiB), still unread in ``stream``.
    compressed
        ``None``, ``"gzip"`` or ``"bgzf"``.
    name
        The path as shown in messages.
    """

    def __init__(self, path: str | os.PathLike[str], *, allow_stdin: bool = False) -> None:
        self.path = check_input_path(path, allow_stdin=allow_stdin)
        self.name = display_name(path)
        self._raw: IO[bytes]
        if str(self.path) == "-":
            raw = sys.stdin.buffer
            self._raw = raw if hasattr(raw, "peek") else io.BufferedReader(raw)
            self._owns_raw = False
        else:
            try:
                self._raw = open(self.path, "rb")  # noqa: SIM115 - closed in close()
            except OSError as exc:
                raise InputFormatError(f"cannot open: {exc.strerror}", path=self.name) from exc
            self._owns_raw = True
        raw_head = _peek(self._raw, 28)
        self.compressed: str | None = None
        self.stream: IO[bytes] = self._raw
        if is_gzip(raw_head):
            self.compressed = "bgzf" if is_bgzf(raw_head) else "gzip"
            if (
                self.compressed == "bgzf"
                and self._owns_raw
                and self.path.is_file()
                and not has_bgzf_eof(self.path)
            ):
                # cut at a block boundary, a bgzip file still decompresses cleanly: only the missing
                # end-of-file block tells (htslib warns, but its warnings are off)
                self.close()
                raise InputFormatError(
                    "truncated bgzip file: the BGZF end-of-file marker is missing (an interrupted copy "
                    "or download? If plain gzip data was appended to it, recompress the whole with bgzip)",
                    path=self.name,
                )
            self.stream = gzip.GzipFile(fileobj=self._raw, mode="rb")  # type: ignore[assignment]
        try:
            with read_errors(self.name):
                self.head = _peek(self.stream, 65536)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the stream (and the file, unless it is stdin)."""
        if self.stream is not self._raw:
            self.stream.close()
        if self._owns_raw:
            self._raw.close()

    def __enter__(self) -> InputStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _peek(stream: IO[bytes], n: int) -> bytes:
    """Up to ``n`` bytes from the start of a buffered stream without consuming them."""
    return stream.peek(n)[:n]  # type: ignore[attr-defined]


class RecordIterator(Generic[T]):
    """An iterator over records that is also a context manager (like pysam's readers).

    Leaving the ``with`` block, calling :meth:`close`, or exhausting the iterator
    releases the underlying file.  ``for`` loops run the underlying iterator
    directly (``iter()`` returns it), which saves a Python call per record;
    ``next()`` on this object draws from the same iterator.

    Parameters
    ----------
    gen
        The record iterator: a generator that releases its resources in a
        ``finally`` block, or an iterator whose ``on_close`` does.
    on_close
        Releases them if the generator never started (then it has no ``finally``
        to run); must be safe to call twice.
    """

    def __init__(self, gen: Iterator[T], on_close: Callable[[], None] | None = None) -> None:
        self._gen = gen
        self._on_close = on_close

    def __iter__(self) -> Iterator[T]:
        return self._gen

    def __next__(self) -> T:
        try:
            return next(self._gen)
        except StopIteration:
            self.close()
            raise
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop iterating and close the file."""
        close = getattr(self._gen, "close", None)
        if close is not None:
            close()
        if self._on_close is not None:
            on_close, self._on_close = self._on_close, None
            on_close()

    def __enter__(self) -> RecordIterator[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
