"""Output tables (Parquet / TSV / CSV by extension), streamed and atomic: temp name, rename on success.

Every command that writes a table (predict, score-variants, ism, the workflow's gather) goes through
:func:`output_table_format` and :class:`TableWriter`, so they accept the same names and never leave a
half-written file.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import IO

import polars as pl

from genoseq._atomic import CommitOrAbort, atomic_path, writes_through
from genoseq.errors import ConfigError

__all__ = ["TableWriter", "output_table_format", "table_metadata", "write_table"]

#: the output name for standard output: a TSV stream (written as it is made, so not atomic)
STDOUT = "-"

#: Output tables: the format is the extension's, and only these are written (uncompressed).
_OUTPUT_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".tsv": "tsv", ".csv": "csv"}


def output_table_format(path: str | os.PathLike[str]) -> str:
    """``"parquet"``, ``"tsv"`` or ``"csv"``: the format of an output table, from its extension
    (``-``, standard output, is TSV; so is a device or pipe named without an extension, such as
    ``/dev/stdout``).

    Raises
    ------
    ConfigError
        On any other extension (``.txt`` included: say .tsv).
    """
    if os.fspath(path) == STDOUT:
        return "tsv"
    suffix = Path(path).suffix.lower()
    if not suffix and writes_through(path):  # /dev/stdout, /dev/fd/3, a named pipe: text
        return "tsv"
    fmt = _OUTPUT_FORMATS.get(suffix)
    if fmt is None:
        raise ConfigError(
            f"output must end in .parquet, .tsv or .csv (the format is taken from the extension, "
            f"here {suffix or 'none'!r})",
            path=path,
        )
    return fmt


class TableWriter(CommitOrAbort):
    """Append polars DataFrames to one output table, written atomically.

    Parquet batches become row groups (``pyarrow.parquet.ParquetWriter``); TSV/CSV batches are
    appended as text with one header. Nothing appears at ``path`` until :meth:`close` succeeds;
    ``-`` streams TSV to standard output instead, batch by batch (a pipe cannot be taken back).

    ``metadata`` (text keys and values: how the table was made) is stored as the Parquet file's
    key-value metadata, which :func:`table_metadata` reads back; TSV/CSV have nowhere to keep it.
    """

    def __init__(
        self, path: str | Path, metadata: dict[str, str] | None = None, *, format: str | None = None
    ) -> None:
        self.metadata = {str(k): str(v) for k, v in (metadata or {}).items()}
        self.to_stdout = os.fspath(path) == STDOUT
        self.path = Path(path)
        # format: that of another path this one stages (a device's temporary file has no extension)
        self.format = format or output_table_format(path)
        self._stack = contextlib.ExitStack()
        self._pq = None
        self._fh: IO[bytes] | None = None
        if self.to_stdout:
            self._tmp = self.path
        else:
            self._tmp = self._stack.enter_context(atomic_path(self.path))
        self._schema: pl.Schema | None = None
        self.rows = 0

    def write(self, df: pl.DataFrame) -> None:
        """Append ``df`` (same columns and types as the first batch)."""
        if self._schema is None:
            self._schema = df.schema
        elif df.schema != self._schema:
            df = df.cast(self._schema)  # type: ignore[arg-type]
        if self.format == "parquet":
            import pyarrow.parquet as pq

            table = df.to_arrow()
            if self.metadata:
                table = table.replace_schema_metadata({**(table.schema.metadata or {}), **self.metadata})
            if self._pq is None:
                self._pq = pq.ParquetWriter(str(self._tmp), table.schema, compression="zstd")
            self._pq.write_table(table)
        else:
            if self._fh is None:
                if self.to_stdout:
                    sys.stdout.flush()
                    self._fh = sys.stdout.buffer  # flushed, never closed, by close()/abort()
                else:
                    self._fh = open(self._tmp, "wb")  # noqa: SIM115 - closed in close()/abort()
                header = True
            else:
                header = False
            sep = "\t" if self.format == "tsv" else ","
            if self.to_stdout:  # through Python's file, so a closed pipe is a BrokenPipeError
                self._fh.write(df.write_csv(None, separator=sep, include_header=header).encode())
            else:
                df.write_csv(self._fh, separator=sep, include_header=header)
        self.rows += df.height

    def close(self, empty_schema: pl.DataFrame | None = None) -> Path:
        """Finish the file and rename it into place; ``empty_schema`` gives the columns of an empty table."""
        if self._schema is None and empty_schema is not None:
            self.write(empty_schema.clear())
        if self._pq is not None:
            self._pq.close()
        if self._fh is not None:
            self._fh.flush() if self.to_stdout else self._fh.close()
        self._stack.close()
        return self.path

    def abort(self) -> None:
        """Discard the partial output; ``path`` is untouched."""
        with contextlib.suppress(Exception):
            if self._pq is not None:
                self._pq.close()
            if self._fh is not None:
                self._fh.flush() if self.to_stdout else self._fh.close()
        self._stack.__exit__(RuntimeError, RuntimeError("aborted"), None)


def write_table(
    df: pl.DataFrame, path: str | Path, metadata: dict[str, str] | None = None, *, format: str | None = None
) -> Path:
    """Write one DataFrame atomically, format by extension or ``format`` (``metadata``: as
    :class:`TableWriter`)."""
    with TableWriter(path, metadata, format=format) as w:
        w.write(df)
    return Path(path)


def table_metadata(path: str | Path, prefix: str = "genoseq_") -> dict[str, str]:
    """The key-value metadata of a Parquet table whose keys start with ``prefix`` (``{}`` for a
    TSV/CSV table, which cannot hold any)."""
    if output_table_format(path) != "parquet":
        return {}
    import pyarrow.parquet as pq

    meta = pq.read_schema(str(path)).metadata or {}
    return {
        k.decode(): v.decode() for k, v in meta.items() if k.decode("utf-8", "replace").startswith(prefix)
    }
