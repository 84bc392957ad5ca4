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
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from genoseq.train import TrainConfig, train_model
from genoseq.train.config import MODEL_TRAIN_DEFAULTS
from tests.test_train_toys import planted_sequences, write_csv

REPO = Path(__file__).resolve().parents[1]
_NETWORK_ERROR = re.compile(
    r"RendezvousError|DistNetworkError|Address already in use|Connection (reset|refused)"
)
MODEL = {"conv_filters": 8, "lstm_hidden": 8, "conv_width": 7, "head_hidden": 8, "dropout": 0.0}


def test_torchrun_two_cpu_processes_match_one_process(tmp_path: Path) -> None:
    seqs, labels = planted_sequences(200, 0)
    data = write_csv(tmp_path / "train.csv", seqs, labels)
    out = tmp_path / "ddp"
    sets = [arg for k, v in MODEL.items() for arg in ("--set", f"{k}={v}")]
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "genoseq", "train", str(data), "--model", "cnn-lstm", "--out", str(out), "--epochs", "2",
        "--batch-size", "16", "--device", "cpu", *sets,
    ]  # fmt: skip
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    for attempt in range(2):
        proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        try:
            stdout, stderr = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # torchrun and its workers
            proc.communicate()
            raise
        # one retry when the processes could not meet (a port taken on a busy machine), not on
        # any failure of training itself
        if proc.returncode == 0 or attempt or not _NETWORK_ERROR.search(stderr):
            break
    assert proc.returncode == 0, stderr[-3000:]
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
