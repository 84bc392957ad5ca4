"""Reliability: SIGTERM writes a checkpoint and exits non-zero; after it ``--resume`` ends
with the same weights as an uninterrupted run (kill -9: ``test_train_kill.py``).

The training subprocess runs ``genoseq train`` with ``GENOSEQ_TRAIN_STEP_DELAY`` so that
epochs take long enough to be interrupted; the signal is sent once the first
checkpoint (end of epoch 1) exists, so it lands in epoch 2 or 3. The resumed run
goes through the same library call as the CLI, in this process (it saves a
second interpreter start-up).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from genoseq.train import TrainConfig, train_model
from genoseq.train.config import MODEL_TRAIN_DEFAULTS
from tests.test_train_toys import planted_sequences, write_csv

REPO = Path(__file__).resolve().parents[1]
MODEL = {"conv_filters": 8, "lstm_hidden": 8, "conv_width": 7, "head_hidden": 8}
EPOCHS, BATCH = 3, 16


def _cli(data: Path, out: Path, *extra: str) -> list[str]:
    sets = [arg for k, v in MODEL.items() for arg in ("--set", f"{k}={v}")]
    return [
        sys.executable, "-m", "genoseq", "train", str(data), "--model", "cnn-lstm", "--out", str(out),
        "--epochs", str(EPOCHS), "--batch-size", str(BATCH), "--device", "cpu", "--threads", "1", *sets, *extra,
    ]  # fmt: skip


def _env(delay: float) -> dict[str, str]:
    env = dict(os.environ, GENOSEQ_TRAIN_STEP_DELAY=str(delay), OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def make_data(directory: Path) -> Path:
    seqs, labels = planted_sequences(160, 0)  # 9 steps per epoch
    return write_csv(directory / "train.csv", seqs, labels)


def train_here(data: Path, out: Path, *, resume: bool = False) -> dict[str, torch.Tensor]:
    """Train (or resume) in this process, one thread like the subprocesses; return the final weights."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        # the CLI's defaults for the CNN-LSTM (learning rate, weight averaging; --strand auto, so no
        # reverse-complement augmentation), as the subprocesses get
        config = TrainConfig(
            epochs=EPOCHS,
            batch_size=BATCH,
            device="cpu",
            strand="auto",
            **MODEL_TRAIN_DEFAULTS["cnn-lstm"],
        )
        train_model(
            data, model_name="cnn-lstm", out_dir=out, config=config, model_overrides=MODEL, resume=resume
        )
    finally:
        torch.set_num_threads(before)
    return load_file(out / "model.safetensors")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_data(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def reference(data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, torch.Tensor]:
    """Weights of an uninterrupted run."""
    return train_here(data, tmp_path_factory.mktemp("reference") / "model")


def start_and_signal(data: Path, out: Path, signum: int) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(
        _cli(data, out), env=_env(0.15), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not (out / "checkpoint.safetensors").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.05)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_sigterm_checkpoints_and_resume_matches(
    data: Path, reference: dict[str, torch.Tensor], tmp_path: Path
) -> None:
    out = tmp_path / "model"
    stopped = start_and_signal(data, out, signal.SIGTERM)
    assert stopped.returncode == 1
    assert "interrupted by SIGTERM" in stopped.stderr and "--resume" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert not (out / "model.safetensors").exists()
    assert_same_weights(train_here(data, out, resume=True), reference)


def test_a_signal_to_the_process_group_checkpoints_with_loader_workers(data: Path, tmp_path: Path) -> None:
    """SLURM's SIGTERM and a terminal's Ctrl-C reach every process of the group, DataLoader workers
    included: a worker killed by it made torch raise (``DataLoader worker ... is killed by signal``)
    before any checkpoint was written. The workers ignore it; the main process checkpoints."""
    out = tmp_path / "model"
    proc = subprocess.Popen(
        _cli(data, out, "--num-workers", "2"),
        env=_env(0.15),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a batch job's
    )
    deadline = time.monotonic() + 60
    while not (out / "checkpoint.safetensors").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.05)
    time.sleep(0.5)  # into the next epoch, whose workers are running
    os.killpg(proc.pid, signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1, stderr
    assert "interrupted by SIGTERM" in stderr and "Traceback" not in stderr, stderr
    assert stderr.count("SIGTERM received") == 1, stderr  # the main process's, not once per worker
