"""Timing shared by the benchmark scripts (run as ``python benchmarks/NAME.py``, so importable by name)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeats: int = 3, *, warmup: bool = False) -> float:
    """Shortest wall time of ``repeats`` calls of ``fn``, in seconds (after one untimed call if ``warmup``)."""
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
