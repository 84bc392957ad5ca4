"""Data-parallel training: ``torchrun --nproc_per_node 2 -m genoseq train`` on CPU (gloo).

With dropout off, two processes with batch size B per process take the same
optimisation steps as one process with batch size 2B (the sharded sampler
deals each global batch of the epoch's order round-robin over the ranks, and
DDP averages the gradients), so the weights must agree with a one-process run
up to floating-point summation order. The validation metrics are gathered from
both processes' shards.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from genoseq.train import TrainConfig, train_model
from genoseq.train.checkpoint import read_checkpoint
from genoseq.train.config import MODEL_TRAIN_DEFAULTS
from tests.test_train_toys import planted_sequences, write_csv

REPO = Path(__file__).resolve().parents[1]
_NETWORK_ERROR = re.compile(
    r"RendezvousError|DistNetworkError|Address already in use|Connection (reset|refused)"
)
MODEL = {"conv_filters": 8, "lstm_hidden": 8, "conv_width": 7, "head_hidden": 8, "dropout": 0.0}


def _torchrun(
    args: list[str], *, step_delay: float = 0.0, stop_after: Path | None = None
) -> tuple[int, str, str]:
    """``torchrun --nproc_per_node 2 -m genoseq train ARGS`` on CPU; its exit status, stdout and stderr.

    With ``stop_after``, SIGTERM goes to torchrun and its workers a few steps after that file appears.
    """
    sets = [arg for k, v in MODEL.items() for arg in ("--set", f"{k}={v}")]
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "genoseq", "train", *args, "--model", "cnn-lstm", "--batch-size", "16", "--device", "cpu", *sets,
    ]  # fmt: skip
    env = dict(os.environ, OMP_NUM_THREADS="1", GENOSEQ_TRAIN_STEP_DELAY=str(step_delay))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    for attempt in range(2):
        proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        try:
            if stop_after is not None:
                deadline = time.monotonic() + 90
                while not stop_after.exists() and proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.05)
                if proc.poll() is None:
                    time.sleep(3 * step_delay)  # into the next epoch, past its first steps
                    os.killpg(proc.pid, signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # torchrun and its workers
            proc.communicate()
            raise
        # one retry when the processes could not meet (a port taken on a busy machine), not on
        # any failure of training itself
        if proc.returncode == 0 or attempt or not _NETWORK_ERROR.search(stderr):
            break
    return proc.returncode, stdout, stderr


def test_torchrun_two_cpu_processes_match_one_process(tmp_path: Path) -> None:
    seqs, labels = planted_sequences(200, 0)
    data = write_csv(tmp_path / "train.csv", seqs, labels)
    out = tmp_path / "ddp"
    returncode, stdout, stderr = _torchrun([str(data), "--out", str(out), "--epochs", "2"])
    assert returncode == 0, stderr[-3000:]
    assert stdout.count("wrote ") == 1  # only rank 0 reports and writes

    config = json.loads((out / "config.json").read_text())
    assert config["training"]["world_size"] == 2
    assert config["metrics"]["n"] == 20  # the validation split, gathered from both shards
    log = json.loads((out / "train_log.json").read_text())
    assert log["world_size"] == 2 and len(log["epochs"]) == 2

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        # the CLI's CNN-LSTM defaults (weight averaging included; --strand auto, so no
        # reverse-complement augmentation), as torchrun's processes get
        single = TrainConfig(
            epochs=2,
            batch_size=32,
            device="cpu",
            strand="auto",
            **MODEL_TRAIN_DEFAULTS["cnn-lstm"],
        )
        result = train_model(
            data, model_name="cnn-lstm", out_dir=tmp_path / "one", config=single, model_overrides=MODEL
        )
    finally:
        torch.set_num_threads(before)
    ddp_weights = load_file(out / "model.safetensors")
    one_weights = load_file(tmp_path / "one" / "model.safetensors")
    assert ddp_weights.keys() == one_weights.keys()
    for k in ddp_weights:
        torch.testing.assert_close(ddp_weights[k], one_weights[k], rtol=1e-4, atol=1e-5)
    for name in ("auroc", "loss"):
        assert config["metrics"][name] == pytest.approx(result.metrics[name], rel=1e-4, abs=1e-5)


def test_torchrun_resume_mid_epoch_logs_the_whole_epochs_loss(tmp_path: Path) -> None:
    """SIGTERM during epoch 2 of a 2-process run, then ``--resume``: the same weights and per-epoch
    training loss as an uninterrupted run (each rank's share of the interrupted epoch is kept)."""
    seqs, labels = planted_sequences(200, 1)
    data = write_csv(tmp_path / "train.csv", seqs, labels)
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    returncode, _, stderr = _torchrun([str(data), "--out", str(whole), "--epochs", "3"])
    assert returncode == 0, stderr[-3000:]
    returncode, _, stderr = _torchrun(
        [str(data), "--out", str(cut), "--epochs", "3"], step_delay=0.3, stop_after=cut / "train_log.csv"
    )
    assert returncode != 0 and stderr.count("genoseq: error: interrupted by SIGTERM") == 1, stderr[-3000:]
    # the job's warnings are rank 0's: every rank received the signal, one says so
    assert stderr.count("SIGTERM received") == 1 and "[rank 1]" not in stderr, stderr[-3000:]
    _, meta = read_checkpoint(cut / "checkpoint.safetensors")
    assert meta["state"]["step_in_epoch"] > 0, "the stop did not land mid-epoch"
    # a refused resume is read from the one checkpoint by both ranks: said once
    returncode, _, stderr = _torchrun([str(data), "--out", str(cut), "--epochs", "3", "--resume", "--lr", "0.05"])
    assert returncode != 0 and stderr.count("cannot resume: lr was") == 1, stderr[-3000:]
    returncode, _, stderr = _torchrun([str(data), "--out", str(cut), "--epochs", "3", "--resume"])
    assert returncode == 0, stderr[-3000:]
    a, b = load_file(whole / "model.safetensors"), load_file(cut / "model.safetensors")
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0)
    logs = [json.loads((d / "train_log.json").read_text())["epochs"] for d in (whole, cut)]
    assert [e["train_loss"] for e in logs[1]] == pytest.approx([e["train_loss"] for e in logs[0]], rel=1e-6)
