"""Models with extra numeric features: columns ``feature_<name>`` matched by name, not position.

A model trained on a table with ``feature_a, feature_b`` records the names in config.json
(``extra.feature_names``); ``evaluate`` and ``predict`` on a table pick those columns by name
in whichever order the table holds them, refuse a table lacking one (naming it), and refuse
inputs that cannot carry features (FASTA, BED regions, a VCF) with a one-line error.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import torch
from click.testing import CliRunner

from genoseq.cli import main
from genoseq.errors import ConfigError, InputFormatError
from genoseq.predict import Predictor
from tests.tiny_models import TINY, save_tiny_cnn

LENGTH = 12


def _model_dir(path: Path, feature_names: list[str] | None, seed: int = 3) -> Path:
    """A tiny binary CNN-LSTM taking two features, whose second feature weighs heavily."""

    def weigh(model: torch.nn.Module) -> None:  # make the two features matter very differently
        model.head.skip.weight.copy_(torch.tensor([[0.1, 3.0]]))

    extra = {"strand": "forward"}
    if feature_names is not None:
        extra["feature_names"] = feature_names
    return save_tiny_cnn(path, LENGTH, seed=seed, prepare=weigh, extra=extra, n_features=2, feature_skip=True)


@pytest.fixture
def data(tmp_path: Path) -> dict:
    rng = np.random.default_rng(0)
    n = 40
    seqs = ["".join(rng.choice(list("ACGT"), LENGTH)) for _ in range(n)]
    a = rng.normal(size=n).astype(np.float32)
    b = rng.normal(size=n).astype(np.float32)
    labels = (b > 0).astype(int)
    ordered = tmp_path / "ab.csv"
    swapped = tmp_path / "ba.csv"
    pl.DataFrame({"sequence": seqs, "label": labels, "feature_a": a, "feature_b": b}).write_csv(ordered)
    pl.DataFrame({"feature_b": b, "sequence": seqs, "feature_a": a, "label": labels}).write_csv(swapped)
    return {"seqs": seqs, "a": a, "b": b, "ab": ordered, "ba": swapped, "dir": tmp_path}


def _invoke(*args: str):  # noqa: ANN202
    return CliRunner().invoke(main, [str(a) for a in args])


def test_predict_and_evaluate_match_feature_columns_by_name(data: dict) -> None:
    model = _model_dir(data["dir"] / "m", ["a", "b"])
    predictor = Predictor.load(model)
    assert predictor.feature_names == ["a", "b"]
    # what the model gives with the features in its own order (read back from the written file,
    # as the CLI reads it: CSV floats)
    frame = pl.read_csv(data["ab"])
    feats = frame.select("feature_a", "feature_b").to_numpy().astype(np.float32)
    expected = predictor.predict(data["seqs"], features=feats)[:, 0]
    wrong = predictor.predict(data["seqs"], features=feats[:, ::-1].copy())[:, 0]
    assert np.abs(expected - wrong).max() > 0.1  # the order matters to this model

    outputs = {}
    for key in ("ab", "ba"):
        out = data["dir"] / f"{key}.tsv"
        result = _invoke("predict", model, data[key], "-o", out)
        assert result.exit_code == 0, result.output
        outputs[key] = pl.read_csv(out, separator="\t")["p_1"].to_numpy()
    np.testing.assert_allclose(outputs["ab"], expected, rtol=1e-5)
    np.testing.assert_allclose(outputs["ba"], expected, rtol=1e-5)

    metrics = {}
    for key in ("ab", "ba"):
        out = data["dir"] / f"{key}.json"
        result = _invoke("evaluate", model, data[key], "-o", out)
        assert result.exit_code == 0, result.output
        metrics[key] = json.loads(out.read_text())
    for name in ("auroc", "auprc", "accuracy", "mcc"):
        assert metrics["ab"][name] == metrics["ba"][name]


def test_a_table_without_a_models_feature_is_refused_naming_it(data: dict) -> None:
    model = _model_dir(data["dir"] / "m", ["a", "b"])
    only_a = data["dir"] / "only_a.csv"
    pl.read_csv(data["ab"]).drop("feature_b").write_csv(only_a)
    none = data["dir"] / "none.csv"
    pl.read_csv(data["ab"]).select("sequence", "label").write_csv(none)
    for command, out in (("predict", "p.tsv"), ("evaluate", "e.json")):
        result = _invoke(command, model, only_a, "-o", data["dir"] / out)
        assert result.exit_code != 0
        assert "no column feature_b" in result.output and "only_a.csv" in result.output
        result = _invoke(command, model, none, "-o", data["dir"] / out)
        assert result.exit_code != 0 and "no feature_* columns" in result.output
        assert not (data["dir"] / out).exists()


def test_a_column_the_model_does_not_take_is_not_used(data: dict, caplog) -> None:
    model = _model_dir(data["dir"] / "m", ["a", "b"])
    more = data["dir"] / "more.csv"
    pl.read_csv(data["ab"]).with_columns(pl.lit(100.0).alias("feature_c")).write_csv(more)
    predictor = Predictor.load(model)
    frame = pl.read_csv(more)
    values = frame.select("feature_c", "feature_b", "feature_a").to_numpy()
    got = predictor.select_features(["c", "b", "a"], values, path=more)
    np.testing.assert_array_equal(got, frame.select("feature_a", "feature_b").to_numpy().astype(np.float32))
    assert "feature_c" in caplog.text and "not used" in caplog.text


def test_inputs_that_cannot_carry_features_are_refused(data: dict) -> None:
    model = _model_dir(data["dir"] / "m", ["a", "b"])
    fasta = data["dir"] / "s.fa"
    fasta.write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(data["seqs"][:3])))
    result = _invoke("predict", model, fasta, "-o", data["dir"] / "p.tsv")
    assert result.exit_code != 0
    assert "FASTA/FASTQ cannot carry" in result.output and "feature_a, feature_b" in result.output
    reference = data["dir"] / "ref.fa"
    reference.write_text(">chr1\n" + "ACGT" * 20 + "\n")
    bed = data["dir"] / "r.bed"
    bed.write_text("chr1\t0\t12\n")
    result = _invoke(
        "predict", model, "--regions", bed, "--reference", reference, "-o", data["dir"] / "r.tsv"
    )
    assert result.exit_code != 0 and "BED regions cannot give it" in result.output
    vcf = data["dir"] / "v.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##contig=<ID=chr1>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   "chr1\t20\t.\tT\tA\t.\t.\t.\n")  # fmt: skip
    result = _invoke(
        "score-variants", model, "--vcf", vcf, "--reference", reference, "-o", data["dir"] / "v.tsv"
    )
    assert result.exit_code != 0 and "extra feature(s)" in result.output, result.output
    assert not any((data["dir"] / f).exists() for f in ("p.tsv", "r.tsv", "v.tsv"))


def test_a_model_without_recorded_names_takes_columns_by_position(data: dict, caplog) -> None:
    model = _model_dir(data["dir"] / "old", None)
    predictor = Predictor.load(model)
    assert predictor.feature_names is None
    values = np.ones((2, 2), dtype=np.float32)
    np.testing.assert_array_equal(predictor.select_features(["x", "y"], values), values)
    assert "does not record its feature names" in caplog.text
    with pytest.raises(InputFormatError, match="takes 2 extra feature"):
        predictor.select_features(["x"], values[:, :1])


def test_bad_recorded_feature_names_are_refused_at_load(data: dict) -> None:
    model = _model_dir(data["dir"] / "m", ["a", "b"])
    doc = json.loads((model / "config.json").read_text())
    for bad in (["a"], ["a", "a"], "ab", [1, 2]):
        doc["extra"]["feature_names"] = bad
        (model / "config.json").write_text(json.dumps(doc))
        with pytest.raises(ConfigError, match="feature_names"):
            Predictor.load(model)


def test_training_records_the_feature_names(data: dict) -> None:
    out = data["dir"] / "trained"
    tiny = [x for key, value in TINY["cnn-lstm"].items() for x in ("--set", f"{key}={value}")]
    result = _invoke("train", data["ba"], "--model", "cnn-lstm", "--out", out, "--epochs", "1", *tiny)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "config.json").read_text())
    assert doc["extra"]["feature_names"] == ["b", "a"]  # the training table's order
    assert Predictor.load(out).feature_names == ["b", "a"]
    result = _invoke("predict", out, data["ab"], "-o", data["dir"] / "p.tsv")
    assert result.exit_code == 0, result.output


def test_a_validation_table_with_the_columns_reordered_is_taken_by_name(data: dict) -> None:
    from genoseq.data import load_table
    from genoseq.train import TrainConfig
    from genoseq.train.run import _valid_table

    train = load_table(data["ab"])
    _, valid, _ = _valid_table(train, data["ba"], None, TrainConfig(), False)
    assert valid.feature_names == ["a", "b"]
    np.testing.assert_array_equal(valid.features, train.features)
    other = data["dir"] / "c.csv"
    pl.read_csv(data["ab"]).rename({"feature_b": "feature_c"}).write_csv(other)
    with pytest.raises(InputFormatError, match="differ from the training ones"):
        _valid_table(train, other, None, TrainConfig(), False)


def test_a_model_without_features_ignores_feature_columns_alike_in_predict_and_evaluate(
    data: dict, caplog
) -> None:
    from tests.tiny_models import save_tiny_cnn

    model = save_tiny_cnn(data["dir"] / "plain", LENGTH)
    noted = data["dir"] / "noted.csv"
    pl.read_csv(data["ab"]).with_columns(pl.lit("hello").alias("feature_note")).write_csv(noted)
    for command, out in (("predict", "p.tsv"), ("evaluate", "e.json")):
        caplog.clear()
        result = _invoke(command, model, noted, "-o", data["dir"] / out)
        assert result.exit_code == 0, result.output
        assert "feature_note" in caplog.text and "not used" in caplog.text, command


def test_an_empty_feature_name_is_refused_at_training(data: dict) -> None:
    bad = data["dir"] / "empty_name.csv"
    pl.read_csv(data["ab"]).rename({"feature_a": "feature_"}).write_csv(bad)
    result = _invoke("train", bad, "--model", "cnn-lstm", "--out", data["dir"] / "x", "--epochs", "1")
    assert result.exit_code != 0 and "no feature name after the prefix" in result.output
    assert not (data["dir"] / "x" / "config.json").exists()


def test_predict_takes_a_frame_of_features_by_column_name(data: dict) -> None:
    predictor = Predictor.load(_model_dir(data["dir"] / "m", ["a", "b"]))
    frame = pl.read_csv(data["ab"])
    seqs = frame["sequence"].to_list()
    ordered = predictor.predict(seqs, features=frame.select("feature_a", "feature_b").to_numpy())
    for given in (frame.select("feature_b", "feature_a"), frame.select("feature_b", "feature_a").to_pandas()):
        np.testing.assert_array_equal(predictor.predict(seqs, features=given), ordered)
    np.testing.assert_array_equal(
        predictor.predict(seqs, features=frame.select(b="feature_b", a="feature_a")), ordered
    )
    with pytest.raises(InputFormatError, match="no column feature_b"):
        predictor.predict(seqs, features=frame.select("feature_a"))


def test_predict_refuses_features_that_are_not_finite_numbers(data: dict) -> None:
    predictor = Predictor.load(_model_dir(data["dir"] / "m", ["a", "b"]))
    values = np.ones((2, 2), dtype=np.float32)
    values[1, 0] = np.inf
    with pytest.raises(InputFormatError, match=r"sequence 1: features must be finite numbers, got inf"):
        predictor.predict(["ACGT", "ACGA"], features=values)
    with pytest.raises(InputFormatError, match="features must be numbers"):
        predictor.predict(["ACGT", "ACGA"], features=[["x", "1"], ["2", "3"]])
    with pytest.raises(InputFormatError, match=r"2 feature name\(s\) but values of shape \(2, 3\)"):
        predictor.select_features(["a", "b"], np.ones((2, 3)))
    # a table's column names are understood too
    np.testing.assert_array_equal(
        predictor.select_features(["feature_b", "feature_a"], values), values[:, ::-1]
    )


def test_predict_takes_a_whole_table_frame_reading_only_the_feature_columns(data: dict, caplog) -> None:
    predictor = Predictor.load(_model_dir(data["dir"] / "m", ["a", "b"]))
    frame = pl.read_csv(data["ba"]).with_columns(pl.lit(1.0).alias("feature_c"))
    seqs = frame["sequence"].to_list()
    expected = predictor.predict(seqs, features=frame.select("feature_a", "feature_b").to_numpy())
    for given in (frame, frame.to_pandas()):  # sequence and label columns (text) are not read
        caplog.clear()
        np.testing.assert_array_equal(predictor.predict(seqs, features=given), expected)
        assert "column(s) feature_c are not features of the model" in caplog.text
        assert "None:" not in caplog.text
    import pandas as pd

    with pytest.raises(
        InputFormatError, match=r"no column feature_a, feature_b \(or a, b\).*columns are 0, 1"
    ):
        predictor.predict(seqs, features=pd.DataFrame(np.ones((len(seqs), 2))))
