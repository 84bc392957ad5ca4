"""Fixtures shared by the test files."""

from __future__ import annotations

from pathlib import Path

import pytest

#: real public data beside the repository (CI has it); tests that need it skip cleanly without it
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="module")
def shared() -> Path:
    """``../shared/data``, or skip the test."""
    if not SHARED.is_dir():
        pytest.skip("shared data (../shared/data) not available")
    return SHARED


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FASTA-index fallbacks go to a temporary cache, never the user's."""
    monkeypatch.setenv("GENOSEQ_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def one_thread():  # noqa: ANN201
    """One intra-op torch thread: fast on a shared 2-core machine and the same arithmetic in every run.

    Test files that train use it for every test: ``pytestmark = pytest.mark.usefixtures("one_thread")``.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
