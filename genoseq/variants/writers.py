"""Table writers for variant scores: :mod:`genoseq.data.writers`, under the names this package uses."""

from __future__ import annotations

from genoseq.data.writers import TableWriter, write_table
from genoseq.data.writers import output_table_format as table_format

__all__ = ["TableWriter", "table_format", "write_table"]
