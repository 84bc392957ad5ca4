"""Variant scoring with a real (tiny, untrained) model: scores equal predict() on the two windows."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from genoseq import Predictor
from genoseq.errors import ConfigError
from genoseq.modeldir import save_model_dir
from genoseq.models import build_model, default_config, encoding_spec
from genoseq.variants import calibrate, load_background, score_vcf_to_files
from tests.test_variants_windows import CONTIG, slow_windows

L = 25


@pytest.fixture(scope="module", params=["cnn-lstm", "transformer"])
def predictor(request, tmp_path_factory):
    name = request.param
    overrides = (
        {"conv_filters": 4, "lstm_hidden": 4}
        if name == "cnn-lstm"
        else {"d_model": 8, "n_layers": 1, "n_heads": 2, "dim_feedforward": 8}
    )
    cfg = default_config(name, input_length=L, n_outputs=1, task="binary", **overrides)
    torch.manual_seed(0)
    model = build_model(name, cfg)
    with torch.no_grad():  # make outputs depend visibly on the sequence
        for p in model.parameters():
            p.mul_(3.0)
    out = tmp_path_factory.mktemp(name) / "model"
    save_model_dir(
        out,
        model,
        model_name=name,
        model_config=cfg,
        task="binary",
        classes=["0", "1"],
        encoding=encoding_spec(name, cfg),
        input_length=L,
    )
    return Predictor.load(out, device="cpu")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("vp")
    fa = d / "ref.fa"
    fa.write_text(">chrT\n" + "\n".join(CONTIG[i : i + 60] for i in range(0, len(CONTIG), 60)) + "\n")
    rows = [
        (3, CONTIG[2], "A" if CONTIG[2] != "A" else "C"),
        (40, CONTIG[39], CONTIG[39] + "GG"),
        (90, CONTIG[89:93], CONTIG[89]),
        (len(CONTIG), CONTIG[-1], "T" if CONTIG[-1] != "T" else "G"),
    ]
    vcf = d / "v.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chrT>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        + "".join(f"chrT\t{p}\t.\t{r}\t{a}\t.\t.\t.\n" for p, r, a in rows)
    )
    return fa, vcf, rows


@pytest.mark.parametrize("strand", ["both", "forward"])
def test_scores_equal_predict_on_windows(predictor, files, strand):
    fa, vcf, rows = files
    df = predictor.score_variants(vcf, fa, strand=strand)
    assert df.height == len(rows)
    for (pos, ref, alt), row in zip(rows, df.iter_rows(named=True), strict=True):
        rw, aw = slow_windows(CONTIG, pos - 1, ref, alt, L)
        expected = predictor.predict([rw, aw], strand=strand)[:, 0]
        assert row["ref_score"] == pytest.approx(float(expected[0]), abs=1e-6)
        assert row["alt_score"] == pytest.approx(float(expected[1]), abs=1e-6)
    assert np.ptp(df["alt_score"].to_numpy()) > 0  # the toy model is not constant


def test_a_predictor_built_in_memory_scores_variants_without_a_background(predictor, files, tmp_path, caplog):
    """A Predictor made from an nn.Module (no model directory) scores like the loaded one; risk is null
    (there is no calibration to read), and calibrate, which writes into the directory, is refused."""
    fa, vcf, _ = files
    kwargs = {k: getattr(predictor, k) for k in ("encoding", "input_length", "task", "classes")}
    in_memory = Predictor(predictor.model, device="cpu", **kwargs)
    assert in_memory.model_dir is None
    with caplog.at_level("WARNING"):
        df = in_memory.score_variants(vcf, fa)
    assert "not loaded from a model directory" in caplog.text
    loaded = predictor.score_variants(vcf, fa)
    assert df["log_odds"].to_list() == loaded["log_odds"].to_list()
    assert df["risk"].null_count() == df.height
    score_vcf_to_files(in_memory, vcf, fa, tmp_path / "s.tsv", vcf_out=tmp_path / "s.vcf.gz")
    assert "in-memory" in _vcf_header(tmp_path / "s.vcf.gz")
    with pytest.raises(ConfigError, match="built in memory"):
        calibrate(in_memory, fa, n=10)


def _vcf_header(path) -> str:
    import pysam

    with pysam.VariantFile(str(path)) as vf:
        return str(vf.header)


def test_iter_form_streams_batches(predictor, files):
    fa, vcf, rows = files
    batches = list(predictor.iter_score_variants(vcf, fa, batch_size=3))
    assert [b.height for b in batches] == [3, 1]
    assert "_record" not in batches[0].columns
    assert [b.height for b in predictor.iter_score_variants(vcf, fa, batch_size=np.int64(2))] == [2, 2]
    for bad in (0, -5, 2.5, True, "3"):
        with pytest.raises(ConfigError, match="batch_size must be an integer >= 1"):
            predictor.score_variants(vcf, fa, batch_size=bad)


def test_calibration_gives_quantile_risk(predictor, files, tmp_path, caplog):
    fa, vcf, _ = files
    with caplog.at_level("WARNING", logger="genoseq.variants.calibrate"):
        bg = calibrate(predictor, fa, n=500, seed=1)
    assert bg.n == 500
    # a reference of fewer bases than background SNVs repeats them: said so
    assert f"only {len(CONTIG)} bases ({3 * len(CONTIG)} possible SNVs)" in caplog.text
    caplog.clear()
    again = load_background(predictor.model_dir)
    assert np.array_equal(again.sorted, bg.sorted)
    assert again.strand == bg.strand == predictor.default_strand
    df = predictor.score_variants(vcf, fa)
    for row in df.iter_rows(named=True):
        expected = float(np.mean(bg.sorted[:, 0] <= abs(row["log_odds"])))
        assert row["risk"] == pytest.approx(expected, abs=1e-9)
    # scoring with another strand than the background's is warned about
    other = "forward" if bg.strand == "both" else "both"
    with caplog.at_level("WARNING", logger="genoseq.variants.score"):
        predictor.score_variants(vcf, fa, strand=other)
    assert f"calibrated on {bg.strand}-strand scores but is scoring with strand={other}" in caplog.text
    assert again.reference == fa.name and again.contigs == {"chrT": len(CONTIG)}
    assert "reference_contigs" not in json.loads((predictor.model_dir / "calibration.json").read_text())
    # the same sequence under another spelling of its name is the same reference; another one is not
    for name, warned in (("T", False), ("NC_0001.1", False), ("chrU", True)):
        seq = CONTIG + "ACGT" if name == "chrU" else CONTIG  # another length: another sequence
        other_fa = tmp_path / f"{name}.fa"
        other_fa.write_text(f">{name}\n" + "\n".join(seq[i : i + 60] for i in range(0, len(seq), 60)) + "\n")
        other_vcf = tmp_path / f"{name}.vcf"
        other_vcf.write_text(vcf.read_text().replace("chrT", name))
        caplog.clear()
        with caplog.at_level("WARNING"):
            predictor.score_variants(other_vcf, other_fa, on_ref_mismatch="skip")
        assert ("was calibrated on another reference (ref.fa: 1 contig(s)" in caplog.text) is warned, name
    caplog.clear()
    with caplog.at_level("WARNING"):
        predictor.score_variants(vcf, fa)
    assert "another reference" not in caplog.text
    # a calibration made before the contig lengths were recorded loads, and warns of nothing
    from safetensors.numpy import save_file

    from genoseq._hashing import file_sha256

    bg_file, meta_file = (
        predictor.model_dir / "background.safetensors",
        predictor.model_dir / "calibration.json",
    )
    save_file({"abs_log_odds": bg.sorted}, str(bg_file))
    meta_file.write_text(json.dumps({**json.loads(meta_file.read_text()), "sha256": file_sha256(bg_file)}))
    assert load_background(predictor.model_dir).contigs is None
    caplog.clear()
    with caplog.at_level("WARNING"):
        predictor.score_variants(tmp_path / "chrU.vcf", tmp_path / "chrU.fa", on_ref_mismatch="skip")
    assert "another reference" not in caplog.text
    # a tampered background is refused
    (predictor.model_dir / "background.safetensors").write_bytes(b"junk")
    from genoseq.errors import ModelFormatError

    with pytest.raises(ModelFormatError):
        load_background(predictor.model_dir)
    # so is an empty or NaN one, even with a checksum to match
    for values, problem in (
        (np.zeros((0, 1), dtype=np.float32), r"non-empty array of finite values, got shape \(0, 1\)"),
        (np.full((5, 1), np.nan, dtype=np.float32), "with NaN or infinity"),
    ):
        save_file({"abs_log_odds": values}, str(bg_file))
        meta_file.write_text(
            json.dumps({**json.loads(meta_file.read_text()), "sha256": file_sha256(bg_file)})
        )
        with pytest.raises(ModelFormatError, match=problem):
            load_background(predictor.model_dir)
    (predictor.model_dir / "calibration.json").unlink()
    (predictor.model_dir / "background.safetensors").unlink()


def test_cli_score_calibrate_ism(predictor, files, tmp_path):
    import polars as pl
    from click.testing import CliRunner

    from genoseq.cli import main

    fa, vcf, rows = files
    model = str(predictor.model_dir)
    run = CliRunner().invoke
    r = run(main, ["calibrate", model, "--reference", str(fa), "--n", "200", "--device", "cpu"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "s.tsv"
    score = ["score-variants", model, "--vcf", str(vcf), "--reference", str(fa), "--region", "chrT:1-50"]
    r = run(main, [*score, "-o", str(out), "--device", "cpu"])
    assert r.exit_code == 0, r.output
    table = pl.read_csv(out, separator="\t")
    assert table["pos"].to_list() == [3, 40] and table["risk"].null_count() == 0
    # `-o -` streams the same table to standard output
    r = run(main, [*score, "-o", "-", "--device", "cpu", "--quiet"])
    assert r.exit_code == 0 and r.stdout == out.read_text(), r.output
    ism = tmp_path / "ism.parquet"
    r = run(
        main,
        ["ism", model, "--reference", str(fa), "--region", "chrT:10-19", "-o", str(ism), "--device", "cpu"],
    )
    assert r.exit_code == 0, r.output
    df = pl.read_parquet(ism)
    assert df.height == 30 and set(df["pos"].to_list()) == set(range(10, 20))
    assert (tmp_path / "ism.png").stat().st_size > 1000
    # -o as a prefix without an extension, or as a directory (existing, or named with a trailing /)
    ism_args = ["ism", model, "--reference", str(fa), "--region", "chrT:10-19", "--device", "cpu", "-o"]
    (tmp_path / "existing").mkdir()
    for given, table, png in (
        (tmp_path / "pre", tmp_path / "pre.parquet", tmp_path / "pre.png"),
        (tmp_path / "existing", tmp_path / "existing/ism.parquet", tmp_path / "existing/ism.png"),
        (f"{tmp_path}/new/", tmp_path / "new/ism.parquet", tmp_path / "new/ism.png"),
    ):
        r = run(main, [*ism_args, str(given)])
        assert r.exit_code == 0, r.output
        assert pl.read_parquet(table).equals(df) and png.stat().st_size > 1000
    past = run(main, ["ism", model, "--reference", str(fa), "--region", "chrT:10-999999", "-o", str(ism)])
    assert past.exit_code == 1 and "ends past the end of contig chrT (length" in past.output, past.output
    # the ISM value of one SNV equals what score-variants gives for it
    one = df.row(0, named=True)
    snv = tmp_path / "one.vcf"
    snv.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chrT>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        f"chrT\t{one['pos']}\t.\t{one['ref']}\t{one['alt']}\t.\t.\t.\n"
    )
    scored = predictor.score_variants(snv, fa)
    # one SNV here, thirty in the ISM batch: float32 batches of other sizes can move the last bit
    assert scored["log_odds"][0] == pytest.approx(one["log_odds"], abs=1e-6)
    r = run(
        main,
        ["score-variants", model, "--vcf", str(vcf), "--reference", str(fa), "-o", str(tmp_path / "x.txt2")],
    )
    assert r.exit_code == 1 and "x.txt2" in r.output
    for name in ("calibration.json", "background.safetensors"):
        (predictor.model_dir / name).unlink()


def test_a_failed_calibration_keeps_the_old_one(predictor, files, monkeypatch):
    import importlib

    from genoseq.errors import ModelFormatError

    calibration = importlib.import_module("genoseq.variants.calibrate")  # the module, not the function

    fa, _, _ = files
    first = calibrate(predictor, fa, n=200, seed=1)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(calibration.json, "dumps", disk_full)
        with pytest.raises(OSError, match="No space left"):
            calibrate(predictor, fa, n=300, seed=2)
    again = load_background(predictor.model_dir)
    assert np.array_equal(again.sorted, first.sorted)
    assert sorted(p.name for p in predictor.model_dir.iterdir() if p.name.startswith(".")) == []
    # a background that links to a regular file is read; one that links to a device is refused
    background = predictor.model_dir / "background.safetensors"
    kept = predictor.model_dir.parent / "kept.safetensors"
    background.rename(kept)
    background.symlink_to(kept)
    assert np.array_equal(load_background(predictor.model_dir).sorted, first.sorted)
    background.unlink()
    background.symlink_to("/dev/zero")
    with pytest.raises(ModelFormatError, match="regular file"):
        load_background(predictor.model_dir)
    background.unlink()
    kept.unlink()
    (predictor.model_dir / "calibration.json").unlink()


def test_reference_letters_outside_dna_score_as_n(predictor, files, tmp_path):
    """A reference may hold X or gaps (FASTA allows them): every path scores them as N, as before."""
    fa, vcf, rows = files
    seq = "".join(fa.read_text().split("\n")[1:])
    for pos, ref, _ in rows:  # keep the REF bases themselves, so REF still matches
        assert seq[pos - 1 : pos - 1 + len(ref)] == ref
    near = rows[1][0] + 5  # beside the insertion (and within the other windows)
    with_x, with_n = (tmp_path / "x.fa", tmp_path / "n.fa")
    with_x.write_text(">chrT\n" + seq[: near - 1] + "X" + seq[near:] + "\n")
    with_n.write_text(">chrT\n" + seq[: near - 1] + "N" + seq[near:] + "\n")
    got = predictor.score_variants(vcf, with_x)
    expected = predictor.score_variants(vcf, with_n)
    assert got.height == len(rows) and got["ref_match"].all()
    np.testing.assert_array_equal(got["alt_score"].to_numpy(), expected["alt_score"].to_numpy())


def test_ism_warns_like_score_variants_about_the_calibration(predictor, files, caplog):
    from genoseq.io import Reference
    from genoseq.variants.calibrate import calibrate
    from genoseq.variants.ism import saturation_mutagenesis

    fa, _, _ = files
    with Reference(fa) as ref:
        with caplog.at_level("WARNING", logger="genoseq"):
            df = saturation_mutagenesis(predictor, ref, "chrT", 10, 14)
        assert df["risk"].null_count() == df.height
        assert "has no background calibration: risk is null" in caplog.text
        calibrate(predictor, fa, n=200, seed=0, strand="forward")
        try:
            caplog.clear()
            with caplog.at_level("WARNING", logger="genoseq"):
                saturation_mutagenesis(predictor, ref, "chrT", 10, 14, strand="both")
            assert "calibrated on forward-strand scores but is scoring with strand=both" in caplog.text
        finally:
            for name in ("calibration.json", "background.safetensors"):
                (predictor.model_dir / name).unlink()


def test_ism_says_how_many_positions_it_could_not_mutate(predictor, tmp_path, caplog):
    from genoseq.io import Reference
    from genoseq.variants.ism import saturation_mutagenesis

    fa = tmp_path / "n.fa"
    fa.write_text(">chrN\n" + CONTIG[:20] + "NNRN" + CONTIG[24:60] + "\n")
    with Reference(fa) as ref, caplog.at_level("WARNING", logger="genoseq"):
        df = saturation_mutagenesis(predictor, ref, "chrN", 15, 30)
    assert df.height == 3 * 11
    assert "region chrN:16-30: 4 of its 15 positions are not A/C/G/T" in caplog.text
    # the heat map keeps the region's coordinates: a blank column where a position was not mutated
    from genoseq.variants.ism import ism_heatmap, ism_matrix

    positions, mat = ism_matrix(df, "diff")
    assert positions.tolist() == list(range(16, 31))
    blank = [p for p, column in zip(positions, mat.T, strict=True) if np.isnan(column).all()]
    assert blank == [21, 22, 23, 24]  # the NNRN
    assert (np.isfinite(mat).sum(axis=0) == 4).sum() == 11  # mutated columns: 3 scores and the 0 of REF
    assert ism_heatmap(df, tmp_path / "n.png").stat().st_size > 1000


def test_background_snvs_are_uniform_over_the_whole_reference(tmp_path) -> None:
    """Drawn over every contig by length and over whole contigs (the first n draws, grouped by contig and
    sorted, once left out the last contigs and contig ends)."""
    from genoseq.io import Reference, write_fasta
    from genoseq.variants.calibrate import sample_snvs

    rng = np.random.default_rng(1)
    fasta = tmp_path / "two.fa"
    write_fasta([(name, "".join(rng.choice(list("ACGT"), 5000))) for name in ("a", "b")], fasta)
    chroms, starts, refs, alts = sample_snvs(Reference(fasta), 2000, seed=3)
    assert len(chroms) == len(starts) == len(refs) == len(alts) == 2000
    assert 900 < chroms.count("b") < 1100  # half the sequence, half the draws
    for name in ("a", "b"):
        on = starts[[c == name for c in chroms]]
        counts = np.histogram(on, bins=4, range=(0, 5000))[0]
        assert counts.min() > 0.8 * counts.mean(), counts  # the contig's end as often as its start
    assert all(r != a for r, a in zip(refs, alts, strict=True))


def test_another_reference_is_told_by_contig_names_and_lengths(tmp_path, caplog):
    """Same name and length: the same contig; a one-contig background also matches its length under
    another name (chrM as NC_012920.1); a genome's small contigs, shared across builds, do not."""
    from genoseq.io import Reference
    from genoseq.variants.calibrate import Background, _warn_other_reference

    class Model:
        model_dir = tmp_path / "model"

    def warned(contigs: dict[str, int], scored: dict[str, int]) -> bool:
        fa = tmp_path / f"r{len(list(tmp_path.glob('r*.fa')))}.fa"
        fa.write_text("".join(f">{name}\n{'A' * length}\n" for name, length in scored.items()))
        caplog.clear()
        with caplog.at_level("WARNING"), Reference(fa) as ref:
            _warn_other_reference(Model, Background(np.zeros(3), contigs=contigs), ref)
        return "calibrated on another reference" in caplog.text

    assert not warned({"chrM": 169}, {"MT": 169})
    assert not warned({"chrM": 169}, {"NC_012920.1": 169})
    assert warned({"chrM": 169}, {"chrM": 171})
    assert not warned({"chr1": 300, "chrUn_gl1": 50}, {"1": 300})
    assert warned({"chr1": 300, "chrUn_gl1": 50}, {"chr1": 310, "chrUn_GL1v1": 50})


def test_a_background_beside_other_weights_or_outputs_is_refused(predictor, files, tmp_path):
    """A model retrained into a directory that holds an old calibration: score-variants refuses the
    background (its risk would rank this model's |log_odds| among another model's)."""
    import shutil

    from genoseq.errors import ModelFormatError

    fa, vcf, _ = files
    own = tmp_path / "m"
    shutil.copytree(predictor.model_dir, own)
    first = Predictor.load(own, device="cpu")
    calibrate(first, fa, n=50, seed=0)
    assert load_background(own).model_sha256 == first.weights_sha256
    assert first.score_variants(vcf, fa)["risk"].null_count() == 0
    # new weights written into the same directory, the calibration files left beside them
    torch.manual_seed(1)
    doc = first.config
    retrained = build_model(doc["model"]["name"], first.model.config)
    save_model_dir(
        own,
        retrained,
        model_name=doc["model"]["name"],
        model_config=first.model.config,
        task="binary",
        classes=["0", "1"],
        encoding=doc["encoding"],
        input_length=L,
    )
    with pytest.raises(ModelFormatError, match="scored with other weights.*calibrate again"):
        Predictor.load(own, device="cpu").score_variants(vcf, fa)
    # a background of another number of outputs: refused whatever it records
    cfg = default_config(doc["model"]["name"], input_length=L, n_outputs=3, task="multiclass",
                         **{k: v for k, v in doc["model"]["config"].items()
                            if k not in ("input_length", "n_outputs", "task")})  # fmt: skip
    save_model_dir(
        own,
        build_model(doc["model"]["name"], cfg),
        model_name=doc["model"]["name"],
        model_config=cfg,
        task="multiclass",
        classes=["a", "b", "c"],
        encoding=encoding_spec(doc["model"]["name"], cfg),
        input_length=L,
    )
    with pytest.raises(ModelFormatError, match="1 output column.*the model has 3"):
        Predictor.load(own, device="cpu").score_variants(vcf, fa)


def test_vcf_out_of_a_region_reads_past_a_stale_index_as_the_table_does(predictor, files, tmp_path, caplog):
    """An index older than its bgzipped VCF (the file re-bgzipped since): the table was read whole
    with a warning, but --vcf-out queried the stale index and failed as a truncated file."""
    import os

    import polars as pl
    import pysam
    from click.testing import CliRunner

    from genoseq.cli import main

    fa, vcf, rows = files
    # the file's earlier version: 100 records of incompressible INFO, whose index points past the end
    # of the small file that replaced it
    rng = np.random.default_rng(0)
    first = tmp_path / "first.vcf"
    tag = '##INFO=<ID=TAG,Number=1,Type=String,Description="t">\n'
    lines = [
        line if not line.startswith("#CHROM") else tag + line for line in vcf.read_text().splitlines(True)[:3]
    ]
    for pos in range(1, 101):
        noise = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), 2000))
        lines.append(f"chrT\t{pos}\t.\t{CONTIG[pos - 1]}\tN\t.\t.\tTAG={noise}\n")
    first.write_text("".join(lines))
    pysam.tabix_index(str(first), preset="vcf", force=True)  # first.vcf.gz + its .tbi
    gz = tmp_path / "first.vcf.gz"
    pysam.tabix_compress(str(vcf), str(gz), force=True)  # the scored VCF's records, under the old index
    index = tmp_path / "first.vcf.gz.tbi"
    os.utime(index, ns=(gz.stat().st_mtime_ns - 10**9,) * 2)
    out, vcf_out = tmp_path / "r.tsv", tmp_path / "r.vcf.gz"
    args = ["score-variants", str(predictor.model_dir), "--vcf", str(gz), "--reference", str(fa)]
    args += ["--region", "chrT:30-100", "-o", str(out), "--vcf-out", str(vcf_out), "--device", "cpu"]
    with caplog.at_level("WARNING", logger="genoseq"):
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "older than the file" in caplog.text
    assert pl.read_csv(out, separator="\t")["pos"].to_list() == [40, 90]
    with pysam.VariantFile(str(vcf_out)) as vf:
        assert [rec.pos for rec in vf] == [40, 90]


def test_ism_and_calibrate_refuse_bad_options_before_any_work(predictor, files, monkeypatch):
    """batch_size=0 was range()'s ValueError; a bad strand was refused by calibrate only after its
    SNVs were sampled: both are ConfigErrors before any SNV is drawn."""
    import importlib

    from genoseq.io import Reference
    from genoseq.variants.ism import saturation_mutagenesis

    calibration = importlib.import_module("genoseq.variants.calibrate")
    fa, _, _ = files

    def no_sampling(*args, **kwargs):
        raise AssertionError("SNVs sampled before the options were checked")

    monkeypatch.setattr(calibration, "sample_snvs", no_sampling)
    for options, problem in [({"batch_size": 0}, "batch_size"), ({"strand": "x"}, "strand must be")]:
        with pytest.raises(ConfigError, match=problem):
            calibrate(predictor, fa, n=5, **options)
        with Reference(fa) as ref, pytest.raises(ConfigError, match=problem):
            saturation_mutagenesis(predictor, ref, "chrT", 0, 3, **options)
    assert not (predictor.model_dir / "calibration.json").exists()


def test_a_calibration_json_that_is_no_file_or_damaged_is_refused(predictor, files, tmp_path):
    """A calibration.json linking to /dev/zero was read until memory ran out, one linking to a FIFO
    blocked forever, and a format_version of null or "1.0" was int()'s traceback."""
    import os

    from genoseq.errors import ModelFormatError

    fa, _, _ = files
    calibrate(predictor, fa, n=50, seed=0)
    meta = predictor.model_dir / "calibration.json"
    kept = tmp_path / "calibration.json"
    meta.rename(kept)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    try:
        for target in ("/dev/zero", str(fifo)):
            meta.symlink_to(target)
            with pytest.raises(ModelFormatError, match="must be a regular file"):
                load_background(predictor.model_dir)
            meta.unlink()
        doc = json.loads(kept.read_text())
        for version in (None, "1.0", True):
            meta.write_text(json.dumps({**doc, "format_version": version}))
            with pytest.raises(ModelFormatError, match="invalid format_version"):
                load_background(predictor.model_dir)
        meta.write_text(kept.read_text())
        assert load_background(predictor.model_dir) is not None
    finally:
        for name in ("calibration.json", "background.safetensors"):
            (predictor.model_dir / name).unlink(missing_ok=True)
