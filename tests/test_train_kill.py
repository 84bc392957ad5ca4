"""Reliability: after kill -9, ``--resume`` continues from the last complete checkpoint and ends
with the same weights as an uninterrupted run (helpers in ``test_train_signals.py``)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import torch

from tests.test_train_signals import assert_same_weights, make_data, start_and_signal, train_here


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_data(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def reference(data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, torch.Tensor]:
    return train_here(data, tmp_path_factory.mktemp("reference") / "model")


def test_kill_9_then_resume_matches(data: Path, reference: dict[str, torch.Tensor], tmp_path: Path) -> None:
    out = tmp_path / "model"
    killed = start_and_signal(data, out, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    assert not (out / "model.safetensors").exists()
    assert_same_weights(train_here(data, out, resume=True), reference)
