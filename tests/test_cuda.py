"""CUDA code paths: training under each precision, resume, prediction and variant scoring on the GPU
against the same model on CPU, and ``torchrun`` on one GPU. Skipped on machines without a CUDA GPU (CI);
run on one with ``python -m pytest -q tests/test_cuda.py`` (BENCHMARKS.md, section "GPU", has the last run).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from safetensors.torch import load_file

from genoseq import Predictor
from genoseq.cli import main
from genoseq.models import build_model, default_config, encoding_spec
from genoseq.train import TrainConfig, TrainingInterrupted, fit
from genoseq.train.checkpoint import read_checkpoint
from genoseq.train.loop import CHECKPOINT_NAME
from tests.test_cli_train import TINY_CNN, TINY_TRANSFORMER
from tests.test_train_loop import StopAfter
from tests.test_train_toys import ToyConvNet, planted_sequences, toy_datasets, toy_model, write_csv

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

REPO = Path(__file__).resolve().parents[1]
MITO = REPO / "data" / "mito"


def _train(tmp_path: Path, *args: str) -> tuple[Path, dict]:
    """``genoseq train`` on 400 planted-motif sequences; the model directory and its config."""
    seqs, labels = planted_sequences(400, 0)
    data = write_csv(tmp_path / "train.csv", seqs, labels)
    out = tmp_path / "model"
    result = CliRunner().invoke(
        main,
        ["train", str(data), "--out", str(out), "--epochs", "6", "--lr", "1e-2", *args],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return out, json.loads((out / "config.json").read_text())


@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
@pytest.mark.parametrize(("model", "tiny"), [("cnn-lstm", TINY_CNN), ("transformer", TINY_TRANSFORMER)])
def test_trains_on_cuda_and_predicts_the_same_on_cpu(
    tmp_path: Path, model: str, tiny: list, precision: str
) -> None:
    out, config = _train(tmp_path, "--model", model, "--device", "cuda", "--precision", precision, *tiny)
    training = config["training"]
    assert training["device"].startswith("cuda") and training["precision"] == precision
    assert np.isfinite(config["metrics"]["loss"]) and config["metrics"]["auroc"] > 0.85
    assert all(t.dtype == torch.float32 for t in load_file(out / "model.safetensors").values())

    seqs, _ = planted_sequences(64, 5)
    on_gpu = Predictor.load(out, device="cuda")
    assert on_gpu.device.type == "cuda"
    # fp32 inference with TF32 off on the GPU: the CPU's answer up to summation order
    np.testing.assert_allclose(
        on_gpu.predict(seqs), Predictor.load(out, device="cpu").predict(seqs), atol=2e-5
    )


def test_auto_picks_cuda_and_native_bf16(tmp_path: Path) -> None:
    _, config = _train(tmp_path, "--model", "cnn-lstm", *TINY_CNN)
    expected = "bf16" if torch.cuda.is_bf16_supported(including_emulation=False) else "fp16"
    assert config["training"]["device"].startswith("cuda")
    assert config["training"]["precision"] == expected


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_resume_mid_epoch_on_cuda(tmp_path: Path, precision: str) -> None:
    """Stopped mid-epoch on the GPU and resumed (GradScaler state included for fp16): the weights of an
    uninterrupted run, up to the GPU's non-deterministic summation order."""
    config = TrainConfig(epochs=3, batch_size=16, lr=3e-2, device="cuda", precision=precision, patience=0)
    train, valid = toy_datasets(rc_augment=True)
    straight = toy_model()
    fit(straight, train, valid, config, out_dir=tmp_path / "straight")
    run_dir = tmp_path / "cut"
    with pytest.raises(TrainingInterrupted, match="--resume"):
        fit(toy_model(), train, valid, config, out_dir=run_dir, stop_event=StopAfter(40))
    _, meta = read_checkpoint(run_dir / CHECKPOINT_NAME)
    assert meta["state"]["step_in_epoch"] > 0
    torch.manual_seed(123)
    resumed = ToyConvNet()
    result = fit(resumed, train, valid, config, out_dir=run_dir, resume=True)
    assert result.epochs_run == 3 and result.device.startswith("cuda")
    a, b = straight.state_dict(), resumed.state_dict()
    for k in a:
        torch.testing.assert_close(a[k].cpu(), b[k].cpu(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ["cnn-lstm", "transformer"])
def test_variant_scores_on_cuda_match_cpu(name: str) -> None:
    tiny = {
        "cnn-lstm": {"conv_filters": 8, "lstm_hidden": 8, "conv_width": 7, "head_hidden": 8},
        "transformer": {"d_model": 16, "n_layers": 1, "n_heads": 2, "dim_feedforward": 32},
    }[name]
    torch.manual_seed(0)
    config = default_config(name, input_length=101, n_outputs=1, task="binary", **tiny)
    model = build_model(name, config).eval()
    kwargs = {
        "encoding": encoding_spec(name, config),
        "input_length": 101,
        "task": "binary",
        "classes": ["0", "1"],
    }
    cpu = Predictor(model, device="cpu", **kwargs)
    gpu = Predictor(copy.deepcopy(model), device="cuda", **kwargs)
    vcf, fasta = MITO / "labelled_variants.vcf", MITO / "chrM.fa"
    on_cpu = cpu.score_variants(vcf, fasta, batch_size=256)
    on_gpu = gpu.score_variants(vcf, fasta, batch_size=256)
    assert on_cpu.height == on_gpu.height > 100
    assert on_cpu["alt"].to_list() == on_gpu["alt"].to_list()
    for column in ("ref_score", "alt_score", "diff", "log_odds"):
        np.testing.assert_allclose(
            on_gpu[column].to_numpy(), on_cpu[column].to_numpy(), atol=2e-5, err_msg=column
        )


def test_cli_score_variants_on_cuda(tmp_path: Path) -> None:
    out, _ = _train(tmp_path, "--model", "cnn-lstm", "--device", "cuda", *TINY_CNN)
    tables = {}
    for device in ("cuda", "cpu"):
        table = tmp_path / f"{device}.tsv"
        args = ["score-variants", str(out), "--vcf", str(MITO / "labelled_variants.vcf")]
        args += ["--reference", str(MITO / "chrM.fa"), "-o", str(table), "--device", device, "--quiet"]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        tables[device] = np.loadtxt(table, delimiter="\t", skiprows=1, usecols=(6, 7, 8), dtype=np.float64)
    np.testing.assert_allclose(tables["cuda"], tables["cpu"], atol=2e-5)


def test_torchrun_on_one_gpu(tmp_path: Path) -> None:
    """``torchrun --nproc_per_node 1`` on CUDA (one process: no process group; NCCL needs two GPUs)."""
    seqs, labels = planted_sequences(200, 0)
    data = write_csv(tmp_path / "train.csv", seqs, labels)
    out = tmp_path / "ddp"
    sets = [
        a
        for kv in ("conv_filters=8", "lstm_hidden=8", "conv_width=7", "head_hidden=8")
        for a in ("--set", kv)
    ]
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "1",
        "-m", "genoseq", "train", str(data), "--out", str(out), "--model", "cnn-lstm", "--epochs", "2",
        "--device", "cuda", *sets,
    ]  # fmt: skip
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    )
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    config = json.loads((out / "config.json").read_text())
    assert config["training"]["world_size"] == 1 and config["training"]["device"].startswith("cuda")
