"""Strand policy: ``genoseq train --strand auto`` records 'forward' only for strand-specific tasks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from genoseq import Predictor
from genoseq.cli import main
from genoseq.train.strand import MIN_EXAMPLES, choose_strand, example_losses
from tests.test_cli_train import TINY_CNN
from tests.test_train_toys import MOTIF, write_csv

REVERSE_MOTIF = "TGTAATC"  # reverse complement of GATTACA


pytestmark = pytest.mark.usefixtures("one_thread")


def _planted(
    n: int, seed: int, *, negatives_motif: str | None, either_strand: bool
) -> tuple[list[str], list[int]]:
    """Positives carry GATTACA (on a random strand when ``either_strand``); negatives ``negatives_motif``."""
    rng = np.random.default_rng(seed)
    seqs, labels = [], []
    for i in range(n):
        s = list(rng.choice(list("ACGT"), 40))
        label = i % 2
        motif = MOTIF if label else negatives_motif
        if label and either_strand and rng.random() < 0.5:
            motif = REVERSE_MOTIF
        if motif is not None:
            p = int(rng.integers(0, 40 - len(motif) + 1))
            s[p : p + len(motif)] = list(motif)
        seqs.append("".join(s))
        labels.append(label)
    return seqs, labels


def _train(
    tmp_path: Path,
    seqs: list[str],
    labels: list[int],
    *extra: str,
    valid: tuple[list[str], list[int]] | None = None,
) -> Path:
    data = write_csv(tmp_path / "train.csv", seqs, labels)
    out = tmp_path / "model"
    args = ["train", str(data), "--model", "cnn-lstm", "--out", str(out), "--epochs", "6", "--lr", "1e-2"]
    if valid is not None:
        args += ["--valid", str(write_csv(tmp_path / "valid.csv", *valid))]
    result = CliRunner().invoke(
        main, [*args, "--batch-size", "32", "--set", "kmer_spectrum=0", *TINY_CNN, *extra]
    )
    assert result.exit_code == 0, result.output
    return out


def _binary_bce(labels: np.ndarray, p: np.ndarray) -> np.ndarray:
    t = torch.nn.functional.binary_cross_entropy(
        torch.tensor(p, dtype=torch.float64), torch.tensor(labels, dtype=torch.float64), reduction="none"
    )
    return t.numpy()


def test_example_losses_match_torch() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0.05, 0.95, size=(50, 1))
    y = rng.integers(0, 2, size=50)
    assert np.allclose(example_losses(y, p, "binary"), _binary_bce(y.astype(float), p[:, 0]))
    probs = rng.dirichlet(np.ones(3), size=50)
    classes = rng.integers(0, 3, size=50)
    expected = torch.nn.functional.nll_loss(
        torch.log(torch.tensor(probs)), torch.tensor(classes), reduction="none"
    ).numpy()
    assert np.allclose(example_losses(classes, probs, "multiclass"), expected)
    multi = rng.uniform(0.05, 0.95, size=(50, 2))
    indicators = rng.integers(0, 2, size=(50, 2)).astype(np.float32)
    summed = _binary_bce(indicators[:, 0], multi[:, 0]) + _binary_bce(indicators[:, 1], multi[:, 1])
    assert np.allclose(example_losses(indicators, multi, "multilabel"), summed)


def test_choose_strand_needs_clear_evidence() -> None:
    rng = np.random.default_rng(1)
    n = MIN_EXAMPLES
    y = np.arange(n) % 2
    sharp = np.where(y == 1, 0.9, 0.1)[:, None] + rng.normal(0, 0.02, (n, 1))
    # strand-specific: the reverse complements look like nothing -> forward alone is far better
    choice = choose_strand(y, sharp, np.full((n, 1), 0.5), "binary")
    assert choice.strand == "forward" and choice.z > 10 and choice.loss_forward < choice.loss_both
    # symmetric: each strand's view is the true signal plus its own noise; averaging the two
    # cancels part of the noise and lowers the loss
    signal = np.where(y == 1, 1.5, -1.5)[:, None]
    fwd, rev = (1 / (1 + np.exp(-(signal + rng.normal(0, 1.5, (n, 1))))) for _ in range(2))
    symmetric = choose_strand(y, fwd, rev, "binary")
    assert symmetric.strand == "both" and symmetric.loss_both < symmetric.loss_forward
    # fewer than MIN_EXAMPLES never overturn the default, however clear; nor does an exact tie
    small = choose_strand(y[: n - 1], sharp[: n - 1], np.full((n - 1, 1), 0.5), "binary")
    assert small.strand == "both" and small.z == 0.0 and small.loss_forward < small.loss_both
    tie = choose_strand(y, sharp, sharp, "binary")
    assert tie.strand == "both" and tie.z == 0.0
    assert choose_strand(y[:0], sharp[:0], sharp[:0], "binary").n == 0
    # the threshold is the knob: z just below it keeps both strands
    assert choose_strand(y, sharp, np.full((n, 1), 0.5), "binary", threshold=1e9).strand == "both"


def test_auto_finds_a_strand_specific_task(tmp_path: Path) -> None:
    # positives carry GATTACA, negatives its reverse complement: only the strand tells them apart
    seqs, labels = _planted(400, 0, negatives_motif=REVERSE_MOTIF, either_strand=False)
    valid = _planted(MIN_EXAMPLES, 1, negatives_motif=REVERSE_MOTIF, either_strand=False)
    out = _train(tmp_path, seqs, labels, valid=valid)
    config = json.loads((out / "config.json").read_text())
    record = config["training"]["strand"]
    assert config["extra"]["strand"] == "forward" and record["strand"] == "forward"
    assert record["requested"] == "auto" and record["z"] > record["threshold"]
    assert config["training"]["config"]["rc_augment"] is False  # auto trains on the given strand
    assert record["metrics_forward"]["auroc"] > record["metrics_both"]["auroc"]
    predictor = Predictor.load(out, device="cpu")
    assert predictor.default_strand == "forward"
    test, _ = _planted(40, 9, negatives_motif=REVERSE_MOTIF, either_strand=False)
    default = predictor.predict(test)
    assert np.array_equal(default, predictor.predict(test, strand="forward"))
    assert not np.allclose(default, predictor.predict(test, strand="both"))
    # evaluate records the strand it used
    table = write_csv(tmp_path / "test.csv", test, [i % 2 for i in range(40)])
    report = tmp_path / "m.json"
    result = CliRunner().invoke(main, ["evaluate", str(out), str(table), "-o", str(report)])
    assert result.exit_code == 0, result.output
    assert json.loads(report.read_text())["strand"] == "forward"


def test_auto_keeps_both_strands_for_a_symmetric_task(tmp_path: Path) -> None:
    seqs, labels = _planted(400, 0, negatives_motif=None, either_strand=True)
    out = _train(
        tmp_path, seqs, labels, valid=_planted(MIN_EXAMPLES, 1, negatives_motif=None, either_strand=True)
    )
    config = json.loads((out / "config.json").read_text())
    assert config["extra"]["strand"] == "both" and config["training"]["strand"]["z"] <= 3.0
    predictor = Predictor.load(out, device="cpu")
    assert predictor.default_strand == "both"
    assert np.array_equal(predictor.predict(seqs[:20]), predictor.predict(seqs[:20], strand="both"))


def test_a_small_validation_set_keeps_both_strands(tmp_path: Path) -> None:
    # the strand-specific toy task again, but 100 validation sequences: too few to ever change the
    # default, so auto trains as --strand both does (with reverse-complement augmentation)
    seqs, labels = _planted(400, 0, negatives_motif=REVERSE_MOTIF, either_strand=False)
    out = _train(tmp_path, seqs, labels, "--valid-fraction", "0.25")
    config = json.loads((out / "config.json").read_text())
    record = config["training"]["strand"]
    assert record["strand"] == "both" and record["n"] == 100 and record["requested"] == "auto"
    assert config["training"]["config"]["rc_augment"] is True
    assert Predictor.load(out, device="cpu").default_strand == "both"


@pytest.mark.parametrize(("strand", "augment"), [("both", True), ("forward", False)])
def test_explicit_strand_is_recorded(tmp_path: Path, strand: str, augment: bool) -> None:
    seqs, labels = _planted(120, 0, negatives_motif=None, either_strand=True)
    out = _train(tmp_path, seqs, labels, "--strand", strand, "--epochs", "1")
    config = json.loads((out / "config.json").read_text())
    assert config["extra"]["strand"] == strand and config["training"]["strand"]["requested"] == strand
    assert config["training"]["config"]["rc_augment"] is augment
    assert Predictor.load(out, device="cpu").default_strand == strand


def test_bad_recorded_strand_is_refused(tmp_path: Path) -> None:
    from genoseq.errors import ConfigError

    seqs, labels = _planted(60, 0, negatives_motif=None, either_strand=True)
    out = _train(tmp_path, seqs, labels, "--strand", "both", "--epochs", "1")
    predictor = Predictor.load(out, device="cpu")
    with pytest.raises(ConfigError, match="strand"):
        predictor.predict(seqs[:2], strand="reverse")
    config = json.loads((out / "config.json").read_text())
    config["extra"]["strand"] = "sideways"
    (out / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match="sideways") as caught:
        Predictor.load(out, device="cpu")
    assert "config.json" in str(caught.value)


def test_augmentation_follows_the_strand_policy() -> None:
    from genoseq.errors import ConfigError
    from genoseq.train import TrainConfig

    assert TrainConfig().rc_augment is True and TrainConfig().strand == "both"  # the library's old default
    assert TrainConfig(strand="auto").rc_augment is None  # decided by train_model, from the validation size
    assert TrainConfig(strand="forward").rc_augment is False
    assert TrainConfig(strand="auto", rc_augment=True).rc_augment is True  # an explicit choice stays
    assert TrainConfig.from_dict(TrainConfig(strand="auto").to_dict()) == TrainConfig(strand="auto")
    with pytest.raises(ConfigError, match="strand"):
        TrainConfig(strand="reverse")


def test_strand_is_refused_for_vcf_data(tmp_path: Path) -> None:
    vcf = tmp_path / "v.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    fasta = tmp_path / "r.fa"
    fasta.write_text(">c\nACGT\n")
    args = ["train", str(vcf), "--reference", str(fasta), "--label-field", "L", "--model", "cnn-lstm"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "m"), "--strand", "forward"])
    assert result.exit_code == 2 and "--strand applies to table DATA" in result.output
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "m"), "--rc-augment"])
    assert result.exit_code == 2 and "--rc-augment applies to table DATA" in result.output
    cv = ["cross-validate", str(vcf), "--reference", str(fasta), "--label-field", "L", "--model", "cnn-lstm"]
    result = CliRunner().invoke(main, [*cv, "-o", str(tmp_path / "cv.json"), "--rc-augment"])
    assert result.exit_code == 2 and "--rc-augment applies to table DATA" in result.output
    assert not (tmp_path / "m").exists() and not (tmp_path / "cv.json").exists()


def test_valid_labels_without_valid_is_a_usage_error(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("sequence,label\nACGT,0\nACGA,1\n")
    labels = tmp_path / "l.csv"
    labels.write_text("name,label\nr1,0\n")
    args = [
        "train",
        str(table),
        "--valid-labels",
        str(labels),
        "--model",
        "cnn-lstm",
        "--out",
        str(tmp_path / "m"),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "--valid-labels labels a FASTA/FASTQ --valid" in result.output
    assert not (tmp_path / "m").exists()


def test_too_few_rows_to_split_names_the_table(tmp_path: Path) -> None:
    table = tmp_path / "two_rows.csv"
    table.write_text("sequence,label\nACGT,0\nACGA,1\n")
    result = CliRunner().invoke(
        main, ["train", str(table), "--model", "cnn-lstm", "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 1 and "two_rows.csv: a validation fraction of 0.1 of 2 rows" in result.output
