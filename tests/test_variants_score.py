"""Variant scoring on a toy predictor with known outputs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pysam
import pytest

from genoseq.data.writers import table_metadata
from genoseq.errors import ConfigError, InputFormatError, ReferenceMismatchError
from genoseq.variants import Background, score_variants, score_vcf_to_files
from tests.test_variants_windows import CONTIG, slow_windows
from tests.toy_predictors import ToyPredictor

L = 11


def _vcf_text(chrom: str = "chrT") -> str:
    c = CONTIG
    rows = [
        (5, ".", c[4], "G" if c[4] != "G" else "A"),  # SNV
        (20, "rs2", c[19], f"{c[19]}AC"),  # insertion
        (30, "del1", c[29:33], c[29]),  # deletion
        (40, "multi", c[39], "A,C" if c[39] not in "AC" else "G,T"),  # multi-allelic
        (50, "sym", c[49], "<DEL>"),  # symbolic
        (60, "bad", "A" if c[59] != "A" else "C", "G"),  # REF mismatch
        (2, "edge", c[1], "T" if c[1] != "T" else "A"),  # near the contig start
        (len(c), "end", c[-1], "A" if c[-1] != "A" else "C"),  # last base
    ]
    rows.sort()
    lines = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID={chrom},length={len(c)}>",
        '##INFO=<ID=AF,Number=A,Type=Float,Description="allele frequency">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    for pos, vid, ref, alt in rows:
        lines.append(f"{chrom}\t{pos}\t{vid}\t{ref}\t{alt}\t.\tPASS\t.")
    return "\n".join(lines) + "\n"


@pytest.fixture()
def files(tmp_path):
    fa = tmp_path / "ref.fa"
    fa.write_text(f">chrT\n{CONTIG}\n")
    vcf = tmp_path / "v.vcf"
    vcf.write_text(_vcf_text())
    return fa, vcf


def _expected(pred: ToyPredictor, pos: int, ref: str, alt: str, strand: str = "both"):
    rw, aw = slow_windows(CONTIG, pos - 1, ref, alt, L)
    return pred.probs(rw, strand)[0], pred.probs(aw, strand)[0]


@pytest.mark.parametrize("strand", ["both", "forward"])
def test_scores_match_toy_model(files, tmp_path, strand):
    fa, vcf = files
    pred = ToyPredictor(tmp_path / "m", L)
    df = score_variants(pred, vcf, fa, strand=strand)
    assert df.columns[:6] == ["chrom", "pos", "id", "ref", "alt", "ref_match"]
    assert {"ref_score", "alt_score", "diff", "log_odds", "risk"} <= set(df.columns)
    # 8 records, one multi-allelic (+1), one symbolic (-1)
    assert df.height == 8
    assert "<DEL>" not in df["alt"].to_list()
    for row in df.iter_rows(named=True):
        if not row["ref_match"]:
            assert row["ref_score"] is None and row["log_odds"] is None
            continue
        r, a = _expected(pred, row["pos"], row["ref"], row["alt"], strand)
        assert row["ref_score"] == pytest.approx(r, abs=1e-6)
        assert row["alt_score"] == pytest.approx(a, abs=1e-6)
        assert row["diff"] == pytest.approx(a - r, abs=1e-6)
        assert row["log_odds"] == pytest.approx(math.log(a / (1 - a)) - math.log(r / (1 - r)), abs=1e-5)
        assert row["risk"] is None  # not calibrated
    assert df.filter(~pl.col("ref_match"))["id"].to_list() == ["bad"]


def test_ref_mismatch_policies(files, tmp_path):
    fa, vcf = files
    pred = ToyPredictor(tmp_path / "m", L)
    skipped = score_variants(pred, vcf, fa, on_ref_mismatch="skip")
    assert skipped.height == 7 and skipped["ref_match"].all()
    with pytest.raises(ReferenceMismatchError) as err:
        score_variants(pred, vcf, fa, on_ref_mismatch="error")
    assert "chrT:60" in str(err.value) and str(vcf) in str(err.value)
    with pytest.raises(ConfigError):
        score_variants(pred, vcf, fa, on_ref_mismatch="ignore")


def test_chr_prefix_harmonised(tmp_path):
    fa = tmp_path / "ref.fa"
    fa.write_text(f">chrT\n{CONTIG}\n")
    vcf = tmp_path / "v.vcf"
    vcf.write_text(_vcf_text(chrom="T"))
    pred = ToyPredictor(tmp_path / "m", L)
    df = score_variants(pred, vcf, fa)
    assert set(df["chrom"].to_list()) == {"chrT"}
    assert df.height == 8
    # an error names the record as the file writes it (T, not the reference's chrT), and its line
    with pytest.raises(ReferenceMismatchError, match=r"v\.vcf: line 11 \(T:60\) [ACGT]>G: REF"):
        score_variants(pred, vcf, fa, on_ref_mismatch="error")
    # the annotated VCF keeps the file's spelling; the table has the reference's: the same records
    from genoseq.workflow_tools import gather_scores

    tsv, vout = tmp_path / "o.tsv", tmp_path / "o.vcf.gz"
    score_vcf_to_files(pred, vcf, fa, tsv, vcf_out=vout)
    with pysam.VariantFile(str(vout)) as vf:
        recs = list(vf)
    assert {r.chrom for r in recs} == {"T"} and sum("GENOSEQ_REF_SCORE" in r.info for r in recs) == 6
    assert gather_scores([tsv], tmp_path / "g.tsv", [vout], tmp_path / "g.vcf.gz") == (8, 8)


def test_multi_output_columns_suffixed(files, tmp_path):
    fa, vcf = files
    pred = ToyPredictor(tmp_path / "m", L, n_outputs=2)
    df = score_variants(pred, vcf, fa)
    for c in ("ref_score_c0", "alt_score_c1", "diff_c0", "log_odds_c1", "risk_c0", "risk"):
        assert c in df.columns


def test_background_risk_is_empirical_quantile():
    bg = Background(np.array([[0.5], [0.1], [0.3], [0.2]]))
    got = bg.risk(np.array([[0.0], [0.1], [0.25], [0.5], [9.0]]))
    # fraction of background values <= x, by an obvious loop
    ref = [[sum(v <= x for v in [0.5, 0.1, 0.3, 0.2]) / 4] for x in [0.0, 0.1, 0.25, 0.5, 9.0]]
    assert got.tolist() == ref


@pytest.mark.parametrize("batch_size", [1, 3, 5])  # 1 and 5 split the multi-allelic record's ALTs
def test_outputs_written_and_vcf_readable(files, tmp_path, batch_size):
    fa, vcf = files
    pred = ToyPredictor(tmp_path / "m", L)
    out = tmp_path / "o.parquet"
    vout = tmp_path / "o.vcf.gz"
    stats = score_vcf_to_files(pred, vcf, fa, out, vcf_out=vout, batch_size=batch_size)
    assert stats.scored == 7 and stats.ref_mismatch == 1 and stats.skipped_symbolic == 1
    table = pl.read_parquet(out)
    assert table.height == 8 and "_record" not in table.columns
    assert (tmp_path / "o.vcf.gz.tbi").exists()
    with pysam.VariantFile(str(vout)) as vf:
        header = str(vf.header)
        assert "##genoseq_version=" in header and "##genoseq_model_sha256=" in header
        meta = table_metadata(out)  # the table says how it was made, as the VCF header does
        assert f"##genoseq_model_sha256={meta['genoseq_model_sha256']}" in header
        assert f"##genoseq_strand={meta['genoseq_strand']}" in header
        assert {"genoseq_version", "genoseq_model"} <= meta.keys()
        recs = list(vf)
        assert len(recs) == 8  # every input record, the symbolic one included
        by_key = {(r["pos"], r["alt"]): r for r in table.iter_rows(named=True)}
        for rec in recs:
            for i, alt in enumerate(rec.alts):
                row = by_key.get((rec.pos, alt))
                values = rec.info.get("GENOSEQ_LOG_ODDS")
                if row is None or row["log_odds"] is None:
                    assert values is None or values[i] is None
                else:
                    assert values[i] == pytest.approx(row["log_odds"], rel=1e-5, abs=1e-6)
                match = rec.info.get("GENOSEQ_REF_MATCH")
                assert (match[i] if match else None) == (None if row is None else int(row["ref_match"]))
        assert len(list(vf.fetch("chrT", 0, 10))) >= 1  # the index works
    tsv = tmp_path / "o.tsv"
    score_vcf_to_files(pred, vcf, fa, tsv)
    assert pl.read_csv(tsv, separator="\t").height == 8


def test_failed_run_leaves_existing_output(files, tmp_path):
    fa, vcf = files
    pred = ToyPredictor(tmp_path / "m", L)
    out = tmp_path / "o.tsv"
    out.write_text("precious\n")
    with pytest.raises(ReferenceMismatchError):
        score_vcf_to_files(pred, vcf, fa, out, on_ref_mismatch="error", batch_size=2)
    assert out.read_text() == "precious\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".o.tsv")] == []


def _bare_header_vcf(path, text: str):
    """``text`` without its ##contig and ##INFO lines, and with an undeclared INFO key and FILTER."""
    lines = [ln for ln in text.splitlines() if not ln.startswith(("##contig", "##INFO"))]
    records = [ln for ln in lines if not ln.startswith("#")]
    body = [records[0].replace("\tPASS\t.", "\tq10\tFOO=1"), *records[1:]]
    path.write_text("\n".join([ln for ln in lines if ln.startswith("#")] + body) + "\n")
    return path


def test_vcf_out_declares_what_the_input_header_left_out(files, tmp_path):
    # htslib ends the process when a record uses a contig/INFO/FILTER its output header lacks
    fa, _ = files
    vcf = _bare_header_vcf(tmp_path / "bare.vcf", _vcf_text())
    pred = ToyPredictor(tmp_path / "m", L)
    vout = tmp_path / "o.vcf.gz"
    score_vcf_to_files(pred, vcf, fa, tmp_path / "o.tsv", vcf_out=vout)
    with pysam.VariantFile(str(vout)) as vf:
        assert "chrT" in vf.header.contigs and "FOO" in vf.header.info and "q10" in vf.header.filters
        assert "END" in vf.header.info  # the <DEL> record's END is declared
        assert len(list(vf.fetch("chrT"))) == 8


def test_vcf_out_of_an_undeclared_end_and_into_a_new_directory(files, tmp_path):
    """A symbolic ALT's END= that the header does not declare (htslib guesses a String, then cannot
    write the record's end) is declared an Integer; the copy with the full header is made beside an
    output whose directory does not exist yet."""
    fa, _ = files
    vcf = _bare_header_vcf(tmp_path / "bare.vcf", _vcf_text())
    vcf.write_text(vcf.read_text().replace("\t<DEL>\t.\tPASS\t.", "\t<DEL>\t.\tPASS\tEND=55"))
    assert "END=55" in vcf.read_text()
    vout = tmp_path / "new" / "dir" / "o.vcf.gz"
    score_vcf_to_files(ToyPredictor(tmp_path / "m", L), vcf, fa, tmp_path / "o.tsv", vcf_out=vout)
    with pysam.VariantFile(str(vout)) as vf:
        assert vf.header.info["END"].type == "Integer"
        sym = next(r for r in vf if r.id == "sym")
        assert sym.stop == 55  # END=55, an integer again
    assert sorted(p.name for p in vout.parent.iterdir()) == ["o.vcf.gz", "o.vcf.gz.tbi"]


def test_annotating_an_annotated_vcf_replaces_the_earlier_fields(files, tmp_path):
    fa, vcf = files
    first, second = ToyPredictor(tmp_path / "m1", L), ToyPredictor(tmp_path / "m2", L)
    once = tmp_path / "once.vcf.gz"
    score_vcf_to_files(first, vcf, fa, tmp_path / "1.tsv", vcf_out=once)
    twice = tmp_path / "twice.vcf.gz"
    score_vcf_to_files(second, once, fa, tmp_path / "2.parquet", vcf_out=twice)
    table = pl.read_parquet(tmp_path / "2.parquet")
    with pysam.VariantFile(str(twice)) as vf:
        header = str(vf.header)
        assert header.count("##genoseq_version=") == 1 and header.count("ID=GENOSEQ_LOG_ODDS,") == 1
        rec = next(r for r in vf if r.id == "rs2")
    row = table.filter(pl.col("id") == "rs2")
    assert rec.info["GENOSEQ_LOG_ODDS"][0] == pytest.approx(row["log_odds"][0], rel=1e-5, abs=1e-6)


def test_vcf_out_refuses_an_unsorted_vcf_before_scoring(files, tmp_path):
    fa, vcf = files
    lines = vcf.read_text().splitlines()
    header, body = [ln for ln in lines if ln.startswith("#")], [ln for ln in lines if not ln.startswith("#")]
    unsorted = tmp_path / "unsorted.vcf"
    unsorted.write_text("\n".join(header + body[::-1]) + "\n")
    vout = tmp_path / "o.vcf.gz"
    with pytest.raises(InputFormatError, match="not sorted: POS .* comes after") as err:
        score_vcf_to_files(ToyPredictor(tmp_path / "m", L), unsorted, fa, tmp_path / "o.tsv", vcf_out=vout)
    second = len(header) + 2  # the first record out of order, by its line in the file
    assert f"line {second} (" in str(err.value)
    assert not vout.exists() and not (tmp_path / "o.tsv").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".o.")]


def test_pos_zero_is_refused(files, tmp_path):
    fa, vcf = files
    lines = vcf.read_text().splitlines()
    header = [ln for ln in lines if ln.startswith("#")]
    zero = tmp_path / "zero.vcf"
    zero.write_text("\n".join(header + ["chrT\t0\tzero\tN\tA\t.\tPASS\t."]) + "\n")
    with pytest.raises(InputFormatError, match="POS 0 is before the start of contig"):
        score_variants(ToyPredictor(tmp_path / "m", L), zero, fa)


def test_info_ids_stay_unique():
    from genoseq.variants.vcf_out import unique_info_ids

    assert unique_info_ids(["risk_tf-a", "risk_tf_a", "risk_TF a"]) == [
        "GENOSEQ_RISK_TF_A",
        "GENOSEQ_RISK_TF_A_2",
        "GENOSEQ_RISK_TF_A_3",
    ]


def test_vcf_out_needs_a_bgzip_name(files, tmp_path):
    fa, vcf = files
    with pytest.raises(ConfigError, match="name ending in .vcf.gz"):
        score_vcf_to_files(
            ToyPredictor(tmp_path / "m", L), vcf, fa, tmp_path / "o.tsv", vcf_out=tmp_path / "o.vcf"
        )
    assert not (tmp_path / "o.tsv").exists()


def test_vcf_out_through_a_link_puts_the_index_beside_the_file(files, tmp_path):
    fa, _ = files
    vcf = _bare_header_vcf(tmp_path / "bare.vcf", _vcf_text())  # also stages a full-header copy
    real_dir, link_dir = tmp_path / "real", tmp_path / "links"
    real_dir.mkdir()
    link_dir.mkdir()
    link = link_dir / "o.vcf.gz"
    link.symlink_to("../real/o.vcf.gz")
    score_vcf_to_files(ToyPredictor(tmp_path / "m", L), vcf, fa, tmp_path / "o.tsv", vcf_out=link)
    assert link.is_symlink() and (real_dir / "o.vcf.gz.tbi").exists()
    assert not (link_dir / "o.vcf.gz.tbi").exists()
    with pysam.VariantFile(str(real_dir / "o.vcf.gz")) as vf:
        assert len(list(vf.fetch("chrT"))) == 8  # the index fits the data
    assert sorted(p.name for p in (*real_dir.iterdir(), *link_dir.iterdir())) == [
        "o.vcf.gz",
        "o.vcf.gz",
        "o.vcf.gz.tbi",
    ]


@pytest.mark.parametrize("indexed", [False, True])
def test_a_region_reaching_back_to_an_undeclared_end_scores_and_annotates_the_same_records(
    files, tmp_path, indexed
):
    """A record before the region whose undeclared END reaches into it: tabix reads the END from the
    text, and so does the filter of a file read whole — the table once left it out while the VCF
    copy (END declared) kept it, and every annotation after it went onto the record before."""
    fa, _ = files
    c = CONTIG
    snv = "G" if c[49] != "G" else "A"
    vcf = _bare_header_vcf(tmp_path / "bare.vcf", _vcf_text())
    vcf.write_text(vcf.read_text().replace("\t<DEL>\t.\tPASS\t.", f"\t{snv},<DEL>\t.\tPASS\tEND=75"))
    if indexed:
        vcf = Path(pysam.tabix_index(str(vcf), preset="vcf", force=True))
    pred = ToyPredictor(tmp_path / "m", L)
    vout, tsv = tmp_path / "o.vcf.gz", tmp_path / "o.tsv"
    score_vcf_to_files(pred, vcf, fa, tsv, vcf_out=vout, region="chrT:55-65")
    table = pl.read_csv(tsv, separator="\t")
    assert table["id"].to_list() == ["sym", "bad"] and table["alt"].to_list() == [snv, "G"]
    with pysam.VariantFile(str(vout)) as vf:
        recs = {r.id: r for r in vf}
    assert set(recs) == {"sym", "bad"}
    assert recs["sym"].info["GENOSEQ_REF_MATCH"] == (1, None)
    assert recs["bad"].info["GENOSEQ_REF_MATCH"] == (0,)
    ref_score = table.filter(pl.col("id") == "sym")["ref_score"][0]
    assert recs["sym"].info["GENOSEQ_REF_SCORE"][0] == pytest.approx(ref_score, rel=1e-5)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_table_that_cannot_be_written_leaves_the_annotated_vcf_as_it_was(files, tmp_path):
    """The VCF and its index were renamed into place before the table was: a table output that
    failed (a full disk, a closed pipe) left a new VCF beside the old table."""
    fa, vcf = files
    pred = ToyPredictor(tmp_path / "m", L)
    vout = tmp_path / "o.vcf.gz"
    score_vcf_to_files(pred, vcf, fa, tmp_path / "o.tsv", vcf_out=vout)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("o.")}
    fewer = tmp_path / "fewer.vcf"
    fewer.write_text("".join(vcf.read_text().splitlines(keepends=True)[:-2]))  # another VCF to write
    with pytest.raises(OSError, match="No space left"):
        score_vcf_to_files(pred, fewer, fa, Path("/dev/full"), vcf_out=vout)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("o.")} == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
