"""``genoseq train``: the model directory it writes, its provenance, and one-line input errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from safetensors.torch import load_file

from genoseq.cli import main
from genoseq.data import load_table, stratified_split
from genoseq.train import compute_metrics
from tests.test_train_toys import planted_sequences, write_csv

TINY_CNN = [
    "--set",
    "conv_filters=8",
    "--set",
    "lstm_hidden=8",
    "--set",
    "conv_width=7",
    "--set",
    "head_hidden=8",
]
TINY_TRANSFORMER = [
    "--set",
    "d_model=16",
    "--set",
    "n_layers=1",
    "--set",
    "n_heads=2",
    "--set",
    "dim_feedforward=32",
]


pytestmark = pytest.mark.usefixtures("one_thread")


def _invoke(*args: str):  # noqa: ANN202
    return CliRunner().invoke(main, ["train", *args], catch_exceptions=False)


def test_cnn_lstm_model_directory(tmp_path: Path) -> None:
    seqs, labels = planted_sequences(200, 0)
    data = write_csv(tmp_path / "train.csv", seqs, labels)
    out = tmp_path / "model"
    result = _invoke(
        str(data), "--model", "cnn-lstm", "--out", str(out), "--epochs", "2", "--batch-size", "32", *TINY_CNN
    )
    assert result.exit_code == 0, result.output
    assert "best epoch" in result.output
    for name in (
        "config.json",
        "model.safetensors",
        "train_log.csv",
        "train_log.json",
        "checkpoint.safetensors",
        "training_curves.png",
        "roc_pr.png",
    ):
        assert (out / name).stat().st_size > 0, name
    assert (out / "roc_pr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    config = json.loads((out / "config.json").read_text())
    training = config["training"]
    assert training["world_size"] == 1 and training["seed"] == 0 and training["epochs_run"] == 2
    assert training["data"]["train"]["sha256"] == load_table(data).checksum
    assert training["data"]["valid"]["method"] == "stratified" and training["data"]["valid"]["n"] == 20
    assert training["torch"] == torch.__version__ and 1 <= training["best_epoch"] <= 2
    assert set(config["metrics"]) >= {"accuracy", "auroc", "auprc", "mcc", "f1", "loss"}
    # genoseq train's CNN-LSTM defaults: k-mer spectrum in the head, weight averaging
    assert config["model"]["config"]["kmer_spectrum"] == 4
    assert training["config"]["ema_decay"] == 0.99 and training["config"]["lr"] == 1e-3

    # the stored metrics are reproduced by the Predictor on the same validation split, scored
    # the way the model scores by default (what `genoseq evaluate` reports)
    from genoseq.predict import Predictor

    _, valid_idx = stratified_split(labels, 0.1, seed=0)
    predictor = Predictor.load(out)
    assert config["metrics"]["strand"] == predictor.default_strand
    probs = predictor.predict([seqs[i] for i in valid_idx])
    metrics = compute_metrics(labels[valid_idx], probs, "binary")
    assert metrics["auroc"] == pytest.approx(config["metrics"]["auroc"], abs=1e-6)
    assert metrics["accuracy"] == pytest.approx(config["metrics"]["accuracy"])
    y = labels[valid_idx].astype(float)
    p = np.clip(probs[:, 0].astype(float), 1e-7, 1 - 1e-7)
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p))
    assert config["metrics"]["loss"] == pytest.approx(loss, rel=1e-4)

    # a finished run: --resume rewrites the same model; without it the directory is refused
    before = load_file(out / "model.safetensors")
    again = _invoke(
        str(data), "--model", "cnn-lstm", "--out", str(out), "--epochs", "2", "--batch-size", "32", *TINY_CNN
    )
    assert again.exit_code == 1 and "--resume" in again.output
    resumed = _invoke(
        str(data),
        "--model",
        "cnn-lstm",
        "--out",
        str(out),
        "--epochs",
        "2",
        "--batch-size",
        "32",
        "--resume",
        *TINY_CNN,
    )
    assert resumed.exit_code == 0, resumed.output
    after = load_file(out / "model.safetensors")
    assert after.keys() == before.keys() and all(torch.equal(after[k], before[k]) for k in before)
    # a refused --resume names what changed (it said "other data or model settings" only)
    other = write_csv(tmp_path / "other.csv", seqs[::-1], labels[::-1])
    base = ["--model", "cnn-lstm", "--out", str(out), "--epochs", "2", "--batch-size", "32", "--resume"]
    for data_arg, extra, named in (
        (str(other), [], "other training data (DATA's sequences or labels)"),
        (str(data), ["--set", "lstm_hidden=6"], "other model settings (--set"),
    ):
        refused = _invoke(data_arg, *base, *TINY_CNN, *extra)
        assert refused.exit_code == 1, refused.output
        assert f"cannot resume: the checkpoint was made with {named}" in refused.output, refused.output
        assert "other validation" not in refused.output and refused.output.count("\n") == 1


def test_transformer_with_validation_table(tmp_path: Path) -> None:
    seqs, labels = planted_sequences(120, 1)
    classes = np.array(["background", "motif"])[labels]
    train = write_csv(tmp_path / "train.csv", seqs[:90], classes[:90])
    valid = write_csv(tmp_path / "valid.csv", seqs[90:], classes[90:])
    out = tmp_path / "tf"
    result = _invoke(
        str(train),
        "--valid",
        str(valid),
        "--model",
        "transformer",
        "--out",
        str(out),
        "--epochs",
        "1",
        *TINY_TRANSFORMER,
    )
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["classes"] == ["background", "motif"]
    assert config["training"]["data"]["valid"]["n"] == 30
    assert config["encoding"]["type"] == "kmer"
    assert config["training"]["config"]["ema_decay"] == 0.0 and config["training"]["config"]["lr"] == 3e-4
    assert config["model"]["config"]["token_spectrum"] is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sequence,y\nACGT,1\nTTTT,0\n", "bad.csv: no 'label' column"),
        ("sequence,label\nACGT,1\nTTTT,1\n", "bad.csv: only one class"),
        ("sequence,label\nACGT,1\nTTT,0\n", "bad.csv: line 3: sequences have mixed lengths"),
    ],
)
def test_input_errors_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    result = _invoke(str(path), "--model", "cnn-lstm", "--out", str(tmp_path / "m"))
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "m").exists()


def test_bad_options(tmp_path: Path) -> None:
    seqs, labels = planted_sequences(40, 2)
    data = write_csv(tmp_path / "t.csv", seqs, labels)
    unknown = _invoke(str(data), "--model", "cnn-lstm", "--out", str(tmp_path / "m"), "--set", "filters=3")
    assert (
        unknown.exit_code == 2
        and "Invalid value for --set: unknown cnn-lstm config key 'filters'" in unknown.output
    )
    not_a_number = _invoke(
        str(data), "--model", "cnn-lstm", "--out", str(tmp_path / "m"), "--set", "conv_filters=x"
    )
    assert (
        not_a_number.exit_code == 2
        and "Invalid value for --set: conv_filters must be int" in not_a_number.output
    )
    clash = _invoke(str(data), "--model", "transformer", "--out", str(tmp_path / "m"), "--set", "n_heads=3")
    assert clash.exit_code == 2 and "Invalid value for --set:" in clash.output and "n_heads" in clash.output
    bad_weight = _invoke(
        str(data), "--model", "cnn-lstm", "--out", str(tmp_path / "m"), "--pos-weight", "lots"
    )
    assert bad_weight.exit_code == 2
    fp16 = _invoke(
        str(data),
        "--model",
        "cnn-lstm",
        "--out",
        str(tmp_path / "m"),
        "--device",
        "cpu",
        "--precision",
        "fp16",
    )
    assert fp16.exit_code == 1 and "fp16" in fp16.output
    for option, value in [
        ("--epochs", "0"),
        ("--monitor", "speed"),
        ("--valid-fraction", "1.5"),
        ("--lr", "-1"),
    ]:
        bad = _invoke(str(data), "--model", "cnn-lstm", "--out", str(tmp_path / "m"), option, value)
        assert bad.exit_code == 2, (option, bad.output)  # a bad option value is a usage error
        assert f"Invalid value for {option}" in bad.output and "Traceback" not in bad.output
    assert not (tmp_path / "m").exists()
    derived = _invoke(
        str(data), "--model", "cnn-lstm", "--out", str(tmp_path / "m"), "--set", "input_length=9"
    )
    assert derived.exit_code == 2 and "input_length is set from the data" in derived.output
    # an input inside the model directory under a name training writes there is never overwritten
    (tmp_path / "o").mkdir()
    inside = tmp_path / "o" / "train_log.csv"
    inside.write_text(data.read_text())
    clash = _invoke(str(inside), "--model", "cnn-lstm", "--out", str(tmp_path / "o"))
    assert clash.exit_code == 1 and "would overwrite this input" in clash.output
    assert inside.read_text() == data.read_text()


def test_named_binary_classes_output_the_probability_of_the_positive_one(tmp_path: Path) -> None:
    seqs, labels = planted_sequences(120, 3)
    names = np.where(labels == 1, "enhancer", "non-enhancer")
    data = write_csv(tmp_path / "named.csv", seqs, list(names))
    common = ["--model", "cnn-lstm", "--epochs", "1", "--batch-size", "32", "--device", "cpu", *TINY_CNN]
    default = _invoke(str(data), "--out", str(tmp_path / "a"), *common)
    assert default.exit_code == 0, default.output
    flipped = _invoke(str(data), "--out", str(tmp_path / "b"), "--positive-class", "non-enhancer", *common)
    assert flipped.exit_code == 0, flipped.output
    from genoseq.predict import Predictor

    a, b = Predictor.load(tmp_path / "a"), Predictor.load(tmp_path / "b")
    assert a.classes == ["non-enhancer", "enhancer"] and a.output_names == ["enhancer"]
    assert b.classes == ["enhancer", "non-enhancer"] and b.output_names == ["non-enhancer"]
    wrong = CliRunner().invoke(
        main, ["train", str(data), "--out", str(tmp_path / "c"), "--positive-class", "promoter", *common]
    )
    assert wrong.exit_code == 1 and "positive class 'promoter' must be one of the two classes" in wrong.output
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(("model", "tiny"), [("cnn-lstm", TINY_CNN), ("transformer", TINY_TRANSFORMER)])
def test_bf16_mixed_precision_on_cpu(tmp_path: Path, model: str, tiny: list[str]) -> None:
    """The autocast path GPUs take by default (bf16), run on CPU: it learns and saves fp32 weights."""
    seqs, labels = planted_sequences(300, 0)
    data = write_csv(tmp_path / "train.csv", seqs, labels)
    out = tmp_path / "model"
    result = _invoke(
        str(data), "--model", model, "--out", str(out), "--epochs", "6", "--precision", "bf16", "--lr", "1e-2",
        "--device", "cpu", *tiny,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "bf16" in result.output
    config = json.loads((out / "config.json").read_text())
    assert config["training"]["precision"] == "bf16"
    assert all(t.dtype == torch.float32 for t in load_file(out / "model.safetensors").values())
    metrics = config["metrics"]
    assert np.isfinite(metrics["loss"]) and metrics["auroc"] > 0.85


def test_a_class_the_validation_table_lacks_is_warned_about(tmp_path: Path, caplog) -> None:
    from genoseq.train.run import _warn_missing_classes

    rows = ["sequence,label", "ACGT,alpha", "ACGA,beta", "ACGC,gamma", "ACGG,alpha"]
    train = load_table(write_text(tmp_path / "train.csv", rows))
    valid_rows = ["sequence,label", "ACGT,alpha", "ACGA,beta"]
    valid = load_table(write_text(tmp_path / "valid.csv", valid_rows), classes=train.classes, task=train.task)
    with caplog.at_level("WARNING", logger="genoseq"):
        _warn_missing_classes(train, valid)
        _warn_missing_classes(train, train)
    assert caplog.text.count("no validation example of class gamma") == 1
    binary = load_table(write_text(tmp_path / "b.csv", ["sequence,label", "ACGT,0", "ACGA,1", "ACGC,1"]))
    one_class = load_table(
        write_text(tmp_path / "b1.csv", ["sequence,label", "ACGA,1"]), classes=binary.classes
    )
    caplog.clear()
    with caplog.at_level("WARNING", logger="genoseq"):
        _warn_missing_classes(binary, one_class)
        _warn_missing_classes(binary, binary)
    assert (
        caplog.text.count("no validation example of class 0: the validation AUROC/AUPRC are undefined") == 1
    )


def write_text(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_padded_validation_table_is_centred_once_in_the_training_length(tmp_path: Path) -> None:
    """--pad with a --valid of mixed lengths: each row centred as given in the training length (not its
    row padded to the table's longest, then padded again), where predict would put it."""
    from genoseq.train import TrainConfig
    from genoseq.train.run import _valid_table

    train = load_table(write_text(tmp_path / "t.csv", ["sequence,label", "ACGTACG,0", "TTTTTTT,1"]))
    valid = write_text(tmp_path / "v.csv", ["sequence,label", "A,0", "CGTA,1"])
    _, table, _ = _valid_table(train, valid, None, TrainConfig(), pad=True)
    assert [row.tobytes() for row in table.sequences] == [b"NNNANNN", b"NCGTANN"]
    assert table.unpadded() == [b"A", b"CGTA"]


def test_resume_fingerprint_covers_the_validation_labels_table(tmp_path: Path) -> None:
    """A FASTA --valid with another --valid-labels table is another validation set: the checkpoint's
    fingerprint differs (so --resume refuses it); runs without one keep their fingerprint."""
    from genoseq.models import default_config
    from genoseq.train.run import _fingerprint

    table = load_table(write_csv(tmp_path / "t.csv", *planted_sequences(20, 0)))
    config = default_config("cnn-lstm", input_length=table.length, n_outputs=1, task="binary")
    valid = {"sha256": "a" * 64}
    plain = _fingerprint(table, valid, "cnn-lstm", config)
    one = _fingerprint(table, {**valid, "labels_sha256": "b" * 64}, "cnn-lstm", config)
    other = _fingerprint(table, {**valid, "labels_sha256": "c" * 64}, "cnn-lstm", config)
    assert len({plain.digest, one.digest, other.digest}) == 3
    assert [k for k in one.parts if one.parts[k] != other.parts[k]] == ["valid_labels"]
    assert one.names["valid_labels"] == "other validation labels (--valid-labels)"
    # the digest is the one checkpoints have always recorded (the parts only name what differs)
    doc = {"train": [table.checksum, table.labels_checksum], "valid": valid["sha256"], "model": "cnn-lstm",
           "model_config": config.to_dict()}  # fmt: skip
    assert plain.digest == hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


@pytest.mark.parametrize(("model", "tiny"), [("cnn-lstm", TINY_CNN), ("transformer", TINY_TRANSFORMER)])
def test_padded_both_strand_metrics_are_what_evaluate_reports(
    tmp_path: Path, model: str, tiny: list[str]
) -> None:
    """--pad with odd paddings: config.json's both-strand validation metrics score each reverse strand
    as predict does (the reversed bases padded centrally), so `genoseq evaluate` on the validation
    table gives the same figures -- not the reverse complement of the padded row, one place off."""
    rng = np.random.default_rng(3)
    seqs, labels = planted_sequences(160, 1)
    cut = [s[: int(rng.integers(len(s) - 9, len(s) + 1))] for s in seqs]  # odd and even paddings
    train = write_csv(tmp_path / "t.csv", cut[:100], labels[:100])
    valid = write_csv(tmp_path / "v.csv", cut[100:], labels[100:])
    out = tmp_path / "m"
    result = _invoke(str(train), "--valid", str(valid), "--model", model, "--out", str(out), "--pad",
                     "--strand", "both", "--epochs", "2", *tiny)  # fmt: skip
    assert result.exit_code == 0, result.output
    recorded = json.loads((out / "config.json").read_text())["metrics"]
    report = tmp_path / "e.json"
    evaluated = CliRunner().invoke(main, ["evaluate", str(out), str(valid), "-o", str(report)])
    assert evaluated.exit_code == 0, evaluated.output
    got = json.loads(report.read_text())
    for key in ("auroc", "auprc", "accuracy", "mcc"):
        assert got[key] == pytest.approx(recorded[key], abs=1e-6), key
