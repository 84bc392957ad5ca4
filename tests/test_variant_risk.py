"""Variant-risk models end to end on the bundled mtDNA data (tiny model, few epochs)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from genoseq.cli import main
from genoseq.variants.risk_model import fit_platt

MITO = Path(__file__).resolve().parents[1] / "data" / "mito"
TINY = [
    "--epochs",
    "2",
    "--batch-size",
    "64",
    "--threads",
    "1",
    "--window",
    "21",
    "--num-workers",
    "0",
    "--set",
    "conv_filters=4",
    "--set",
    "lstm_hidden=4",
    "--device",
    "cpu",
]


@pytest.fixture(scope="module")
def mito(tmp_path_factory):
    if not (MITO / "chrM.fa").exists():
        pytest.skip("bundled mito data missing")
    d = tmp_path_factory.mktemp("mito")
    for name in ("chrM.fa", "labelled_variants.vcf", "mitomap_loci.bed"):
        shutil.copy(MITO / name, d / name)
    # a small scoring VCF: the first 300 gnomAD sites (SNVs and indels)
    lines = (MITO / "gnomad_v3.1_chrM_sites.vcf").read_text().splitlines()
    header = [ln for ln in lines if ln.startswith("#")]
    body = [ln for ln in lines if not ln.startswith("#")][:300]
    (d / "sites.vcf").write_text("\n".join(header + body) + "\n")
    return d


def _labelled(mito, vcf) -> list[str]:  # noqa: ANN001
    """A labelled VCF's arguments to train and cross-validate: reference, label field, annotation."""
    return [str(vcf), "--reference", str(mito / "chrM.fa"), "--label-field", "LABEL", "--annotation",
            str(mito / "mitomap_loci.bed")]  # fmt: skip


@pytest.fixture(scope="module")
def trained(mito):
    out = mito / "model"
    result = CliRunner().invoke(
        main,
        [
            "train",
            *_labelled(mito, mito / "labelled_variants.vcf"),
            "--info-features",
            "AF_hom,AF_het",
            "--model",
            "cnn-lstm",
            "--out",
            str(out),
            *TINY,
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_platt_recovers_known_coefficients():
    rng = np.random.default_rng(0)
    x = rng.normal(size=20000) * 2
    p = 1 / (1 + np.exp(-(0.5 * x - 1.0)))
    y = (rng.random(20000) < p).astype(int)
    a, b = fit_platt(x, y)
    assert a == pytest.approx(0.5, abs=0.05) and b == pytest.approx(-1.0, abs=0.08)


def test_platt_never_reverses_the_ranking():
    """A model whose validation logits rank positives below negatives gets a = 0 (the base rate for
    every variant), not a negative slope that would turn its scores upside down."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=2000)
    y = (rng.random(2000) < 1 / (1 + np.exp(2.0 * x))).astype(int)  # P(y=1) falls with x
    a, b = fit_platt(x, y)
    n_pos = y.sum()
    mean = np.where(y > 0, (n_pos + 1) / (n_pos + 2), 1 / (2000 - n_pos + 2)).mean()
    assert a == 0.0 and b == pytest.approx(np.log(mean / (1 - mean)))
    assert fit_platt(-x, y)[0] > 1.0  # the same data the right way round: an ordinary fit


def test_model_dir_carries_annotation_and_features(trained):
    cfg = json.loads((trained / "config.json").read_text())
    extra = cfg["extra"]
    assert extra["kind"] == "variant"
    assert extra["featurizer"]["info"]["fields"] == ["AF_hom", "AF_het"]
    assert (trained / extra["annotation_file"]).exists()
    assert extra["validation"]["method"] == "genomic blocks"
    assert (trained / "roc_pr.png").exists()


def test_score_with_variant_model(mito, trained, tmp_path):
    out = tmp_path / "risk.parquet"
    vout = tmp_path / "risk.vcf.gz"
    result = CliRunner().invoke(
        main,
        [
            "score-variants",
            str(trained),
            "--vcf",
            str(mito / "sites.vcf"),
            "--reference",
            str(mito / "chrM.fa"),
            "-o",
            str(out),
            "--vcf-out",
            str(vout),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    df = pl.read_parquet(out)
    assert df.columns == [
        "chrom",
        "pos",
        "id",
        "ref",
        "alt",
        "ref_match",
        "ref_score",
        "alt_score",
        "diff",
        "log_odds",
        "risk",
    ]
    assert df.height == 300
    risk = df["risk"].to_numpy()
    assert np.all((risk > 0) & (risk < 1))
    assert np.allclose(df["risk"].to_numpy(), df["alt_score"].to_numpy())
    assert vout.exists() and Path(str(vout) + ".tbi").exists()


def _score_to_tsv(model, vcf, mito, out):
    """Run ``genoseq score-variants`` on the mito reference, writing ``out``."""
    args = [
        "score-variants",
        str(model),
        "--vcf",
        str(vcf),
        "--reference",
        str(mito / "chrM.fa"),
        "-o",
        str(out),
    ]
    return CliRunner().invoke(main, args)


def test_missing_info_field_is_a_clear_error(mito, trained, tmp_path):
    lines = (mito / "sites.vcf").read_text().replace("AF_hom", "AF_xx")
    bad = tmp_path / "noaf.vcf"
    bad.write_text(lines)
    result = _score_to_tsv(trained, bad, mito, tmp_path / "x.tsv")
    assert result.exit_code == 1
    assert "AF_hom" in result.output and "noaf.vcf" in result.output
    assert not (tmp_path / "x.tsv").exists()
    # declared as text: an error as in training, not a feature silently read as missing
    text = (mito / "sites.vcf").read_text()
    declared = next(ln for ln in text.splitlines() if ln.startswith("##INFO=<ID=AF_hom,"))
    assert "Type=Float" in declared
    (tmp_path / "text.vcf").write_text(text.replace(declared, declared.replace("Type=Float", "Type=String")))
    result = _score_to_tsv(trained, tmp_path / "text.vcf", mito, tmp_path / "x.tsv")
    assert (
        result.exit_code == 1
        and "text.vcf: INFO feature(s) AF_hom (Type=String) are not numeric" in result.output
    )
    assert not (tmp_path / "x.tsv").exists()


def test_annotation_for_another_genome_is_refused(mito, tmp_path):
    """A BED with no locus on the variants' contigs would add all-zero channels: an error, before training."""
    bed = tmp_path / "chr1.bed"
    bed.write_text("chr1\t0\t100\tGENE\t0\t+\n")
    args = ["train", str(mito / "labelled_variants.vcf"), "--reference", str(mito / "chrM.fa")]
    args += ["--label-field", "LABEL", "--annotation", str(bed), "--model", "cnn-lstm", "--out"]
    result = CliRunner().invoke(main, [*args, str(tmp_path / "m"), *TINY])
    assert result.exit_code == 1
    assert "chr1.bed" in result.output and "no locus on the variants' contigs (chrM" in result.output
    assert not (tmp_path / "m").exists()
    bed.write_text("MT\t0\t100\tGENE\t0\t+\n")  # another spelling of the same contig is fine
    assert CliRunner().invoke(main, [*args, str(tmp_path / "m2"), *TINY]).exit_code == 0


def test_model_with_other_consequence_features_is_refused(mito, trained, tmp_path):
    """A model trained before the change descriptors existed cannot be fed today's features."""
    old = tmp_path / "old-model"
    shutil.copytree(trained, old)
    cfg = json.loads((old / "config.json").read_text())
    assert len(cfg["extra"]["featurizer"].pop("consequence_features")) == 24
    (old / "config.json").write_text(json.dumps(cfg))
    result = _score_to_tsv(old, mito / "sites.vcf", mito, tmp_path / "x.tsv")
    assert result.exit_code == 1
    assert "12 consequence features" in result.output and "retrain" in result.output
    assert not (tmp_path / "x.tsv").exists()


def test_a_model_of_the_earlier_consequence_rules_is_warned_about(mito, trained, tmp_path, caplog):
    cfg = json.loads((trained / "config.json").read_text())
    assert cfg["extra"]["featurizer"]["consequence_rules"] == 3
    old = tmp_path / "rules-1"
    shutil.copytree(trained, old)
    del cfg["extra"]["featurizer"]["consequence_rules"]  # written before the rules were versioned
    (old / "config.json").write_text(json.dumps(cfg))
    with caplog.at_level("WARNING", logger="genoseq"):
        result = _score_to_tsv(old, mito / "sites.vcf", mito, tmp_path / "x.tsv")
    assert result.exit_code == 0, result.output
    assert "trained with consequence rules 1, this genoseq computes 3 (MNVs as one codon" in caplog.text
    assert "hydropathy context" in caplog.text  # every change since
    cfg["extra"]["featurizer"]["consequence_rules"] = 2
    (old / "config.json").write_text(json.dumps(cfg))
    caplog.clear()
    with caplog.at_level("WARNING", logger="genoseq"):
        assert _score_to_tsv(old, mito / "sites.vcf", mito, tmp_path / "y.tsv").exit_code == 0
    assert "rules 2, this genoseq computes 3 (stop and untranslatable codons left out" in caplog.text
    assert "MNVs" not in caplog.text
    cfg["extra"]["featurizer"]["consequence_rules"] = 4  # a newer genoseq's model
    (old / "config.json").write_text(json.dumps(cfg))
    caplog.clear()
    with caplog.at_level("WARNING", logger="genoseq"):
        assert _score_to_tsv(old, mito / "sites.vcf", mito, tmp_path / "z.tsv").exit_code == 0
    assert "rules 4, this genoseq computes 3 (rules of a newer genoseq" in caplog.text


def test_cross_validate_cli(mito, tmp_path, caplog):
    out = tmp_path / "cv.json"
    # one REF that disagrees with the reference: left out, and said so, as train says it
    lines = (mito / "labelled_variants.vcf").read_text().splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    fields = lines[first].split("\t")
    fields[3] = {"A": "C", "C": "G", "G": "T", "T": "A"}[fields[3]]
    lines[first] = "\t".join(fields)
    vcf = tmp_path / "one_mismatch.vcf"
    vcf.write_text("".join(lines))
    with caplog.at_level("WARNING", logger="genoseq"):
        result = CliRunner().invoke(
            main,
            [
                "cross-validate",
                *_labelled(mito, vcf),
                "--model",
                "cnn-lstm",
                "--folds",
                "3",
                "--block-size",
                "1000",
                "-o",
                str(out),
                "--plots-dir",
                str(tmp_path),
                *TINY,
            ],
        )
    assert result.exit_code == 0, result.output
    assert "1 variant(s) whose REF disagrees with the reference are left out" in caplog.text
    cv = json.loads(out.read_text())
    assert len(cv["folds"]) == 3
    assert sum(f["n"] for f in cv["folds"]) == 804
    assert 0.0 <= cv["auroc_mean"] <= 1.0
    assert (tmp_path / "cv_roc_pr.png").exists()


def test_cross_validate_json_is_strict_when_a_fold_holds_one_class(mito, tmp_path):
    """A fold of pathogenic variants only: its AUROC and AUPRC are null, not NaN or a trivial 1.0."""
    lines = (mito / "labelled_variants.vcf").read_text().splitlines()
    keep = [
        ln
        for ln in lines
        if ln.startswith("#") or any(lo <= int(ln.split("\t")[1]) <= lo + 999 for lo in (1, 2001, 4001, 6001))
    ]
    vcf = tmp_path / "four_blocks.vcf"
    vcf.write_text("\n".join(keep) + "\n")  # block 2001-3000: two variants, both pathogenic
    out = tmp_path / "cv.json"
    args = ["cross-validate", str(vcf), "--reference", str(mito / "chrM.fa"), "--label-field", "LABEL"]
    args += ["--model", "cnn-lstm", "--folds", "4", "--block-size", "1000", "-o", str(out), *TINY]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in the JSON")

    cv = json.loads(out.read_text(), parse_constant=refuse)
    one_class = [f for f in cv["folds"] if f["n"] == f["n_pathogenic"]]
    assert len(one_class) == 1 and one_class[0]["auroc"] is None and one_class[0]["auprc"] is None
    others = [f["auprc"] for f in cv["folds"] if f["auprc"] is not None]
    assert cv["auprc_mean"] == pytest.approx(sum(others) / len(others))


def test_predict_calibrate_and_ism_refuse_a_variant_model(mito, trained, tmp_path):
    fasta = tmp_path / "s.fa"
    fasta.write_text(">s\nACGTACGTACG\n")
    table = tmp_path / "t.csv"
    table.write_text("sequence,label\nACGTACGTACG,0\nACGTTCGTACG,1\n")
    for args in (
        ["predict", str(trained), str(fasta), "-o", str(tmp_path / "p.tsv")],
        ["evaluate", str(trained), str(table), "-o", str(tmp_path / "e.json")],
        ["calibrate", str(trained), "--reference", str(mito / "chrM.fa"), "--n", "50"],
        [
            "ism",
            str(trained),
            "--reference",
            str(mito / "chrM.fa"),
            "--region",
            "chrM:100-105",
            "-o",
            str(tmp_path / "ism.parquet"),
        ],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, result.output
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and "is a variant-risk model" in lines[0], result.output
    assert not (trained / "calibration.json").exists() and not (tmp_path / "ism.parquet").exists()
    assert not (tmp_path / "p.tsv").exists() and not (tmp_path / "e.json").exists()


def test_the_seed_picks_the_validation_blocks(mito, trained, tmp_path):
    args = ["train", str(mito / "labelled_variants.vcf"), "--reference", str(mito / "chrM.fa")]
    args += ["--label-field", "LABEL", "--model", "cnn-lstm", *TINY, "--epochs", "1"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "s1"), "--seed", "1"])
    assert result.exit_code == 0, result.output
    seed0 = json.loads((trained / "config.json").read_text())["training"]
    seed1 = json.loads((tmp_path / "s1" / "config.json").read_text())["training"]
    assert seed0["seed"] == 0 and seed1["seed"] == 1
    assert seed0["data"]["n_valid"] != seed1["data"]["n_valid"]
    assert seed1["config"]["rc_augment"] is False  # recorded as trained
    extra1 = json.loads((tmp_path / "s1" / "config.json").read_text())["extra"]["validation"]
    assert extra1["method"] == "genomic blocks" and extra1["held_out_fold"] == 1 % extra1["n_folds"]


def test_a_validation_vcf_validates_and_calibrates(mito, tmp_path, caplog):
    lines = (mito / "labelled_variants.vcf").read_text().splitlines()
    header = [ln for ln in lines if ln.startswith("#")]
    body = [ln for ln in lines if not ln.startswith("#")]
    early = [ln for ln in body if int(ln.split("\t")[1]) <= 12000]
    late = [ln for ln in body if int(ln.split("\t")[1]) > 12000]
    for name, rows in (("train.vcf", early), ("valid.vcf", late), ("overlap.vcf", late + early[-3:])):
        (tmp_path / name).write_text("\n".join(header + rows) + "\n")
    args = ["train", str(tmp_path / "train.vcf"), "--reference", str(mito / "chrM.fa")]
    args += ["--label-field", "LABEL", "--model", "cnn-lstm", *TINY, "--epochs", "1"]
    result = CliRunner().invoke(
        main, [*args, "--valid", str(tmp_path / "valid.vcf"), "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 0, result.output
    assert f"{len(early)} training / {len(late)} validation variants (--valid)" in result.output
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["extra"]["validation"]["method"] == "file"
    assert config["extra"]["validation"]["n"] == len(late)
    assert config["training"]["data"]["valid_vcf"] == str(tmp_path / "valid.vcf")
    with caplog.at_level("WARNING", logger="genoseq"):
        result = CliRunner().invoke(
            main, [*args, "--valid", str(tmp_path / "overlap.vcf"), "--out", str(tmp_path / "m2")]
        )
    assert result.exit_code == 0, result.output
    assert "also hold training variants" in caplog.text

    def wrong_ref(line: str) -> str:
        f = line.split("\t")
        f[3] = next(b for b in "ACGT" if b not in (f[3], f[4]))
        return "\t".join(f)

    other_build = tmp_path / "other_build.vcf"
    other_build.write_text("\n".join(header + [wrong_ref(ln) for ln in late]) + "\n")
    with caplog.at_level("WARNING", logger="genoseq"):
        result = CliRunner().invoke(main, [*args, "--valid", str(other_build), "--out", str(tmp_path / "m4")])
    assert result.exit_code == 1 and "other_build.vcf: the validation variants left" in result.output
    assert f"other_build.vcf: {len(late)} variant(s) whose REF disagrees" in caplog.text
    assert not (tmp_path / "m4" / "config.json").exists()
    benign = tmp_path / "benign.vcf"
    benign.write_text("\n".join(header + [ln for ln in late if "LABEL=0" in ln]) + "\n")
    result = CliRunner().invoke(main, [*args, "--valid", str(benign), "--out", str(tmp_path / "m3")])
    assert result.exit_code == 1 and "benign.vcf: INFO/LABEL holds a single class" in result.output
    assert not (tmp_path / "m3" / "config.json").exists()


def test_fit_logistic_recovers_known_coefficients():
    from genoseq.variants.risk_model import fit_logistic

    rng = np.random.default_rng(3)
    x = rng.normal(size=(20000, 2))
    y = (rng.random(20000) < 1 / (1 + np.exp(-(1.5 * x[:, 0] - 0.7 * x[:, 1] + 0.3)))).astype(float)
    coef, intercept = fit_logistic(x, y, l2=1e-6)
    np.testing.assert_allclose(coef, [1.5, -0.7], atol=0.06)
    assert intercept == pytest.approx(0.3, abs=0.06)
    # weighting the positives by w shifts the intercept by log(w), as the weighted loss implies
    _, shifted = fit_logistic(x, y, pos_weight=4.0, l2=1e-6)
    assert shifted - intercept == pytest.approx(np.log(4.0), abs=0.05)


def test_info_features_get_a_wide_path_started_at_a_logistic_regression(trained):
    from genoseq.predict import Predictor

    config = json.loads((trained / "config.json").read_text())
    assert config["model"]["config"]["feature_skip"] is True  # trained with --info-features
    model = Predictor.load(trained, device="cpu").model
    assert model.head.skip is not None and model.head.skip.weight.abs().sum() > 0


def test_platt_stays_finite_on_separated_saturated_logits():
    from genoseq.variants.risk_model import _flat_logit

    probs = np.r_[np.full(100, 1e-12), np.full(30, 1.0), np.linspace(0.001, 0.999, 11)].astype(np.float32)
    labels = np.r_[np.zeros(100), np.ones(30), np.linspace(0, 1, 11) > 0.5]
    a, b = fit_platt(_flat_logit(probs), labels)
    assert 0 < a < 10 and abs(b) < 10  # a plain Newton step diverged here (a ~ 2e6)
    risk = 1 / (1 + np.exp(-(a * _flat_logit(probs) + b)))
    assert ((risk > 0) & (risk < 1)).all()


def test_a_variant_model_scores_the_reference_strand_and_says_so(mito, trained, caplog):
    from genoseq import Predictor

    predictor = Predictor.load(trained, device="cpu")
    assert predictor.default_strand == "forward"
    default = predictor.score_variants(mito / "sites.vcf", mito / "chrM.fa")
    with caplog.at_level("WARNING", logger="genoseq"):
        both = predictor.score_variants(mito / "sites.vcf", mito / "chrM.fa", strand="both")
    assert "scores the reference strand only" in caplog.text
    assert both.equals(default)


def test_a_contig_the_annotation_does_not_name_is_scored_with_a_warning(mito, trained, tmp_path, caplog):
    from genoseq import Predictor

    # the same rCRS under its RefSeq name: not harmonised with the BED's chrM
    fasta = tmp_path / "nc.fa"
    fasta.write_text(">NC_012920.1\n" + (mito / "chrM.fa").read_text().split("\n", 1)[1])
    lines = (mito / "sites.vcf").read_text().splitlines()
    renamed = [ln.replace("ID=chrM,", "ID=NC_012920.1,") if ln.startswith("##contig") else ln for ln in lines]
    renamed = [ln if ln.startswith("#") else "NC_012920.1" + ln[len("chrM") :] for ln in renamed][:200]
    vcf = tmp_path / "nc.vcf"
    vcf.write_text("\n".join(renamed) + "\n")
    predictor = Predictor.load(trained, device="cpu")
    with caplog.at_level("WARNING", logger="genoseq"):
        predictor.score_variants(mito / "sites.vcf", mito / "chrM.fa")
    assert "annotation has no locus" not in caplog.text
    with caplog.at_level("WARNING", logger="genoseq"):
        scored = predictor.score_variants(vcf, fasta)
    assert caplog.text.count("its annotation has no locus on contig NC_012920.1 (its own: chrM)") == 1
    assert scored.height > 0


def test_resume_refuses_another_annotation_genetic_code_or_reference(mito, trained, tmp_path):
    """The checkpoint's fingerprint covers the encoded data: a resume with another --annotation,
    --genetic-code or --reference is other data, refused rather than continued."""
    base = [
        "train",
        str(mito / "labelled_variants.vcf"),
        "--label-field",
        "LABEL",
        "--info-features",
        "AF_hom,AF_het",
        "--model",
        "cnn-lstm",
        *TINY,
        "--resume",
    ]
    fewer = tmp_path / "fewer_loci.bed"
    lines = (mito / "mitomap_loci.bed").read_text().splitlines()
    fewer.write_text("\n".join(lines[: len(lines) // 2]) + "\n")
    other_ref = tmp_path / "chrM_edited.fa"
    text = (mito / "chrM.fa").read_text().splitlines()
    body = "".join(text[1:])
    # five flank bases of the variant at chrM:2991 changed (its REF kept): other windows, same variants
    edited = (
        body[:2995]
        + "".join({"A": "C", "C": "G", "G": "T", "T": "A"}.get(b, b) for b in body[2995:3000])
        + body[3000:]
    )
    other_ref.write_text(
        text[0] + "\n" + "\n".join(edited[i : i + 70] for i in range(0, len(edited), 70)) + "\n"
    )
    same = ["--reference", str(mito / "chrM.fa"), "--annotation", str(mito / "mitomap_loci.bed")]
    for changed in (
        ["--reference", str(mito / "chrM.fa"), "--annotation", str(fewer)],
        [*same, "--genetic-code", "1"],
        ["--reference", str(other_ref), "--annotation", str(mito / "mitomap_loci.bed")],
    ):
        run_dir = tmp_path / "run"
        shutil.rmtree(run_dir, ignore_errors=True)
        shutil.copytree(trained, run_dir)
        result = CliRunner().invoke(main, [*base, *changed, "--out", str(run_dir)])
        assert result.exit_code != 0, changed
        assert "cannot resume: the checkpoint was made with other" in result.output, result.output
        assert "other encoded variants (--reference, --annotation, --genetic-code)" in result.output
    result = CliRunner().invoke(main, [*base, *same, "--out", str(run_dir)])
    assert result.exit_code == 0, result.output


def test_out_of_range_info_values_are_warned_about_once_when_scoring(mito, trained, tmp_path, caplog):
    # the null (REF) and the ALT encodings read the same INFO values: the warning came twice
    lines = (mito / "sites.vcf").read_text().splitlines(keepends=True)
    body = [i for i, line in enumerate(lines) if not line.startswith("#")][:2]
    for i, bad in zip(body, ("-0.1", "inf"), strict=True):
        lines[i] = re.sub(r"AF_hom=[^;\t\n]*", f"AF_hom={bad}", lines[i])
    vcf = tmp_path / "odd.vcf"
    vcf.write_text("".join(lines))
    with caplog.at_level("WARNING", logger="genoseq"):
        result = CliRunner().invoke(
            main,
            ["score-variants", str(trained), "--vcf", str(vcf), "--reference", str(mito / "chrM.fa"), "-o",
             str(tmp_path / "s.tsv"), "--device", "cpu"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert caplog.text.count("2 INFO value(s) out of their field's range") == 1, caplog.text


def test_the_calibration_is_fitted_to_the_scores_the_model_gives(mito, tmp_path):
    """Trained under bf16 autocast (the GPU default), the loop's validation probabilities are bf16's;
    the calibration and the recorded metrics must come from the float32 scores the saved model gives
    (they were fitted to the autocast ones: Platt 24.3 against 25.0 in QA)."""
    from genoseq.train.metrics import compute_metrics
    from genoseq.variants.score import logit

    lines = (mito / "labelled_variants.vcf").read_text().splitlines()
    header = [ln for ln in lines if ln.startswith("#")]
    body = [ln for ln in lines if not ln.startswith("#")]
    (tmp_path / "train.vcf").write_text("\n".join(header + [ln for ln in body if int(ln.split("\t")[1]) <= 12000]) + "\n")
    valid = tmp_path / "valid.vcf"
    valid.write_text("\n".join(header + [ln for ln in body if int(ln.split("\t")[1]) > 12000]) + "\n")
    out = tmp_path / "m"
    args = ["train", str(tmp_path / "train.vcf"), "--reference", str(mito / "chrM.fa"), "--label-field", "LABEL",
            "--model", "cnn-lstm", *TINY, "--valid", str(valid), "--precision", "bf16", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["training"]["precision"] == "bf16"
    scores = tmp_path / "valid.tsv"
    result = CliRunner().invoke(
        main, ["score-variants", str(out), "--vcf", str(valid), "--reference", str(mito / "chrM.fa"), "-o", str(scores)]
    )
    assert result.exit_code == 0, result.output
    table = pl.read_csv(scores, separator="\t")
    labels = np.array([int(re.search(r"LABEL=(\d)", ln).group(1)) for ln in valid.read_text().splitlines() if ln[0] != "#"])
    assert table.height == len(labels) and table["ref_match"].all()
    a, b = config["extra"]["platt"]
    risk = table["alt_score"].to_numpy().astype(np.float64)
    raw = (logit(risk) - b) / a  # the model's own logits, back from the calibrated risk
    np.testing.assert_allclose(fit_platt(raw, labels), (a, b), rtol=1e-3)
    expected = compute_metrics(labels, risk[:, None], "binary")["auroc"]
    assert config["metrics"]["auroc"] == pytest.approx(expected, abs=1e-6)


def test_damaged_variant_settings_are_one_line_errors(mito, trained, tmp_path):
    """extra without its featurizer, a featurizer of the wrong type or an unreadable Platt pair were
    KeyError/AttributeError/ValueError tracebacks from score-variants."""
    for edit in (
        lambda e: e.pop("featurizer"),
        lambda e: e.update(featurizer=[1]),
        lambda e: e.update(platt="ab"),
    ):
        damaged = tmp_path / "damaged"
        shutil.rmtree(damaged, ignore_errors=True)
        shutil.copytree(trained, damaged)
        doc = json.loads((damaged / "config.json").read_text())
        edit(doc["extra"])
        (damaged / "config.json").write_text(json.dumps(doc))
        result = _score_to_tsv(damaged, mito / "sites.vcf", mito, tmp_path / "x.tsv")
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert "config.json: the variant-risk model's settings (extra) are damaged" in result.output


def test_cross_validate_names_the_inner_split_that_cannot_be_made(mito, tmp_path):
    """Two blocks make two outer folds, but a fold's one training block cannot also give a validation part."""
    out = tmp_path / "cv.json"
    args = ["cross-validate", *_labelled(mito, mito / "labelled_variants.vcf"), "--model", "cnn-lstm"]
    args += ["--folds", "2", "--block-size", "9000", "-o", str(out), *TINY]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "labelled_variants.vcf: fold 1's training blocks, split for early stopping: only 1 genomic block" in (
        result.output
    )
    assert not out.exists()


def test_pos_weight_auto_trains_the_default_model(mito, tmp_path):
    """--pos-weight auto is n_neg/n_pos, as the default: the wide path's logistic start too (it was unweighted)."""
    from safetensors.numpy import load_file

    dirs = []
    for extra in ([], ["--pos-weight", "auto"]):
        out = tmp_path / f"m{len(extra)}"
        args = ["train", *_labelled(mito, mito / "labelled_variants.vcf"), "--info-features", "AF_hom,AF_het"]
        args += ["--model", "cnn-lstm", "--out", str(out), *TINY, "--epochs", "1", *extra]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        dirs.append(load_file(str(out / "model.safetensors")))
    default, auto = dirs
    assert default.keys() == auto.keys()
    for name in default:
        np.testing.assert_array_equal(default[name], auto[name], err_msg=name)


def test_bad_variant_option_values_are_usage_errors(mito, tmp_path):
    """Like the training options' values, the variant options' are usage errors (exit 2; they were 1)."""
    base = ["train", *_labelled(mito, mito / "labelled_variants.vcf"), "--model", "cnn-lstm"]
    base += ["--out", str(tmp_path / "m"), *TINY]
    for extra, problem in (
        (["--genetic-code", "99"], "unknown NCBI genetic code 99"),
        (["--info-features", "LABEL"], "includes the label field LABEL"),
    ):
        result = CliRunner().invoke(main, [*base, *extra])
        assert result.exit_code == 2 and problem in result.output, result.output
    assert not (tmp_path / "m").exists()


def test_cross_validate_interrupted_or_told_to_write_over_its_plot(mito, tmp_path, monkeypatch):
    """An interrupt said to rerun with --resume, which cross-validate has not (its fold checkpoint is
    gone with its temporary directory); -o naming the plot --plots-dir writes was overwritten by it."""
    import genoseq.variants.risk_model as risk_model
    from genoseq.train import TrainingInterrupted

    base = ["cross-validate", *_labelled(mito, mito / "labelled_variants.vcf"), "--model", "cnn-lstm", *TINY]
    plots = tmp_path / "plots"
    result = CliRunner().invoke(main, [*base, "-o", str(plots / "cv_roc_pr.png"), "--plots-dir", str(plots)])
    assert result.exit_code == 2 and "is the plot --plots-dir writes" in result.output, result.output

    def interrupted(*_a, **_k):
        raise TrainingInterrupted(
            "interrupted by SIGINT in epoch 2; a checkpoint was written to /tmp/gone/fold1/checkpoint.safetensors."
            " Run the same command again with --resume to continue"
        )

    monkeypatch.setattr(risk_model, "cross_validate_variant_model", interrupted)
    out = tmp_path / "cv.json"
    result = CliRunner().invoke(main, [*base, "-o", str(out)])
    assert result.exit_code != 0 and "cross-validation interrupted by SIGINT in epoch 2" in result.output
    assert "--resume" not in result.output and "run it again from the start" in result.output
    assert not out.exists()
