"""The per-epoch training log, as ``train_log.csv`` and ``train_log.json`` (strict JSON)."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from genoseq._atomic import atomic_write
from genoseq.modeldir import LOG_CSV_FILE as LOG_CSV
from genoseq.modeldir import LOG_JSON_FILE as LOG_JSON

__all__ = ["LOG_CSV", "LOG_JSON", "json_safe", "write_history"]


def json_safe(value: Any) -> Any:
    """Non-finite floats → ``None``, NumPy scalars → Python, tuples → lists (for strict JSON)."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_history(
    out_dir: str | os.PathLike[str], history: Sequence[Mapping[str, Any]], meta: Mapping[str, Any]
) -> None:
    """Write ``history`` (one row per epoch) to ``out_dir`` as CSV and as JSON (with ``meta``), atomically.

    The CSV has one column per key seen in any row (empty where a value is
    missing or not finite); the JSON is ``{**meta, "epochs": history}``.
    """
    out_dir = Path(out_dir)
    columns: list[str] = []
    for row in history:
        columns.extend(k for k in row if k not in columns)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in history:
        writer.writerow({k: ("" if v is None else v) for k, v in json_safe(dict(row)).items()})
    with atomic_write(out_dir / LOG_CSV) as fh:
        fh.write(buf.getvalue())
    with atomic_write(out_dir / LOG_JSON) as fh:
        json.dump(json_safe({**meta, "epochs": list(history)}), fh, indent=1, allow_nan=False)
        fh.write("\n")
