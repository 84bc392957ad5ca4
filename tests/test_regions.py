"""Predictions for BED regions of a reference: the bases read, strands, centred windows, errors, the CLI."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from genoseq import Predictor
from genoseq.cli import main
from genoseq.errors import ConfigError, InputFormatError, UnknownContigError
from genoseq.modeldir import VARIANT_KIND
from genoseq.regions import predict_regions, predict_regions_file
from tests.tiny_models import save_tiny_cnn

LENGTH = 20
COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")
CONTIGS = {
    "c1": "ACGTTGCAACGGATCCATGCAAATTTGGGCCCTAGCTAGGATCCAGTACGATCGTTAGC" * 2,  # 118 bp
    "c2": "GGGCCCATATNNACGTacgtTTAGGCATCGAT",  # 32 bp: an N run and soft-masked bases
}


def slow_fetch(contig: str, start: int, end: int, strand: str = "+") -> str:
    """The bases of [start, end), N outside the contig, reverse-complemented on '-'."""
    seq = CONTIGS[contig]
    bases = "".join(seq[i] if 0 <= i < len(seq) else "N" for i in range(start, end))
    return bases.translate(COMPLEMENT)[::-1] if strand == "-" else bases


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("regions")
    ref = tmp / "ref.fa"
    ref.write_text("".join(f">{name} some description\n{seq}\n" for name, seq in CONTIGS.items()))
    save_tiny_cnn(tmp / "model", LENGTH)
    return tmp, ref, Predictor.load(tmp / "model", device="cpu")


REGIONS = [  # chrom, start, end, name, strand
    ("c1", 0, 20, "whole_window", "+"),
    ("c1", 30, 35, ".", "-"),  # short: padded (or centred); no name
    ("c1", 10, 70, "long", "+"),  # longer than the input: sliding windows
    ("c2", 5, 25, "masked", "-"),  # N and lowercase bases, minus strand
    ("c2", 0, 4, "edge", "+"),  # centred, the window runs off the contig's start
]


def write_bed(path, rows) -> None:
    path.write_text("".join("\t".join(map(str, (*r[:4], 0, r[4]))) + "\n" for r in rows))


def test_regions_score_what_their_bases_score(files, tmp_path) -> None:
    _, ref, predictor = files
    bed = tmp_path / "r.bed"
    write_bed(bed, REGIONS)
    out = predict_regions(predictor, bed, ref, strand="forward")
    assert out.columns == ["chrom", "start", "end", "name", "strand", "length", "p_1"]
    assert out.get_column("name").to_list() == ["whole_window", "c1:30-35", "long", "masked", "edge"]
    assert out.get_column("length").to_list() == [r[2] - r[1] for r in REGIONS]
    expected = predictor.predict([slow_fetch(c, s, e, st) for c, s, e, _, st in REGIONS], strand="forward")
    np.testing.assert_allclose(out.get_column("p_1").to_numpy(), expected[:, 0], rtol=0, atol=1e-6)
    # the minus strand really is read reversed: its forward-only score is the reverse complement's
    plus = predictor.predict([slow_fetch("c2", 5, 25)], strand="forward")[0, 0]
    assert abs(plus - out.get_column("p_1")[3]) > 1e-6
    # the model's default strand (both) averages the two, whichever strand the region is on
    both = predict_regions(predictor, bed, ref)
    np.testing.assert_allclose(
        both.get_column("p_1").to_numpy(),
        predictor.predict([slow_fetch(c, s, e) for c, s, e, _, _ in REGIONS])[:, 0],
        atol=1e-6,
    )


def test_centered_windows_are_the_input_length_around_the_midpoint(files, tmp_path) -> None:
    _, ref, predictor = files
    bed = tmp_path / "r.bed"
    rows = [*REGIONS, ("c1", 50, 50, "point", "+")]  # an empty interval has a midpoint too
    write_bed(bed, rows)
    out = predictor.predict_regions(bed, ref, centered=True, strand="forward")
    assert out.columns == ["chrom", "start", "end", "name", "strand", "window_start", "window_end", "p_1"]
    # a + region's centre at index L // 2 of its window; a - region's window is the mirror image
    starts = [
        e - (e - s) // 2 + LENGTH // 2 - LENGTH if st == "-" else s + (e - s) // 2 - LENGTH // 2
        for _, s, e, _, st in rows
    ]
    assert out.get_column("window_start").to_list() == starts
    assert (out.get_column("window_end") - out.get_column("window_start")).to_list() == [LENGTH] * len(rows)
    assert starts[4] < 0  # "edge": N fills the part before the contig
    windows = [slow_fetch(c, w, w + LENGTH, st) for (c, _, _, _, st), w in zip(rows, starts, strict=True)]
    expected = predictor.predict(windows, strand="forward")[:, 0]
    np.testing.assert_allclose(out.get_column("p_1").to_numpy(), expected, atol=1e-6)


def test_regions_from_a_frame_and_a_three_column_bed(files, tmp_path) -> None:
    _, ref, predictor = files
    frame = pl.DataFrame({"chrom": ["c1", "c2"], "start": [3, 1], "end": [40, 9]})
    out = predict_regions(predictor, frame, ref)
    assert out.get_column("name").to_list() == ["c1:3-40", "c2:1-9"]
    assert out.get_column("strand").to_list() == [".", "."]
    bed = tmp_path / "three.bed"
    bed.write_text("track name=x\n# a comment\nc1\t3\t40\nc2\t1\t9\n")
    assert predict_regions(predictor, bed, ref).equals(out)
    with pytest.raises(InputFormatError, match="need a contig, 0 <= start <= end"):
        predict_regions(predictor, frame.with_columns(pl.Series("end", [2, 9])), ref)
    for change in (
        pl.Series("start", [3, -10]),
        pl.Series("strand", ["+", "x"]),
        pl.Series("chrom", ["c1", None]),
    ):
        with pytest.raises(InputFormatError, match=r"^regions: region 2 \(.*\): invalid region"):
            predict_regions(predictor, frame.with_columns(change), ref)
    with pytest.raises(InputFormatError, match="'start' column must hold integers"):
        predict_regions(predictor, frame.with_columns(pl.col("start") + 0.7), ref)


def test_region_errors_name_the_bed_file_and_region(files, tmp_path) -> None:
    _, ref, predictor = files
    bed = tmp_path / "bad.bed"
    write_bed(bed, [REGIONS[0], ("chrX", 0, 10, "x", "+")])
    bed.write_text("track name=peaks\n# a comment\n" + bed.read_text())  # errors name the file's line
    with pytest.raises(
        UnknownContigError,
        match=r"bad\.bed: line 4 \(chrX:0-10\): contig .chrX. is not in the reference .*ref\.fa",
    ):
        predict_regions(predictor, bed, ref)
    frame = pl.DataFrame({"chrom": ["c1", "chrX"], "start": [0, 0], "end": [5, 10]})
    with pytest.raises(UnknownContigError, match=r"regions: region 2 \(chrX:0-10\)"):  # a frame has no lines
        predict_regions(predictor, frame, ref)
    for centered in (False, True):  # centred, only the flanks may leave the contig, not the region
        write_bed(bed, [("c2", 20, 40, "past_end", "+")])  # c2 has 32 bp
        with pytest.raises(InputFormatError, match=r"line 1 \(c2:20-40\): .*past its contig.*32 bases"):
            predict_regions(predictor, bed, ref, centered=centered)
        write_bed(bed, [("c1", 10**6, 10**6 + 1, "other_assembly", "+")])
        with pytest.raises(InputFormatError, match="another assembly"):
            predict_regions(predictor, bed, ref, centered=centered)


def test_regions_are_checked_before_any_is_scored(files, tmp_path, monkeypatch) -> None:
    _, ref, predictor = files
    bed = tmp_path / "r.bed"
    write_bed(bed, [*REGIONS * 3, ("c2", 0, 33, "one_too_far", "+")])
    calls = []
    monkeypatch.setattr(predictor, "_predict_any", lambda *a, **k: calls.append(1))
    with pytest.raises(InputFormatError, match="line 16 "):
        predict_regions(predictor, bed, ref)
    assert calls == []


def test_a_bad_letter_in_the_reference_names_the_region_and_the_bases_read(tmp_path) -> None:
    ref = tmp_path / "u.fa"
    ref.write_text(">u\nACGTACGUACGTACGTACGT\n")  # a U at 0-based position 7
    save_tiny_cnn(tmp_path / "model", LENGTH)
    predictor = Predictor.load(tmp_path / "model", device="cpu")
    bed = tmp_path / "r.bed"
    write_bed(bed, [("u", 0, 4, "fine", "+"), ("u", 3, 10, "r", "-")])
    with pytest.raises(
        InputFormatError,
        match=r"r\.bed: line 2 \(u:3-10\): 'U' at position 3 .*bases 3-10 of .*u\.fa, reverse-complemented",
    ):
        predict_regions(predictor, bed, ref)


def test_a_variant_risk_model_is_refused_before_the_regions_are_read(files, tmp_path) -> None:
    import json

    tmp, ref, _ = files
    model = tmp_path / "vmodel"
    save_tiny_cnn(model, LENGTH)
    doc = json.loads((model / "config.json").read_text())
    doc.setdefault("extra", {})["kind"] = VARIANT_KIND
    (model / "config.json").write_text(json.dumps(doc))
    bed = tmp_path / "empty.bed"
    bed.write_text("")
    with pytest.raises(ConfigError, match="variant-risk model"):
        predict_regions(Predictor.load(model, device="cpu"), bed, ref)


def test_cli_predict_regions(files, tmp_path) -> None:
    tmp, ref, predictor = files
    bed = tmp_path / "r.bed"
    write_bed(bed, [*REGIONS, ("c1", 60, 60, "empty", "+")])
    out = tmp_path / "p.parquet"
    runner = CliRunner()
    args = ["predict", str(tmp / "model"), "--regions", str(bed), "--reference", str(ref), "-o", str(out)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "scored 6 regions" in result.output
    table = pl.read_parquet(out)
    assert table.height == 6 and table.get_column("p_1")[5] is None  # an empty region: nothing to score
    assert table.drop_nulls().equals(predict_regions(predictor, bed, ref).drop_nulls())
    tsv = tmp_path / "p.tsv"
    result = runner.invoke(main, [*args[:-1], str(tsv), "--centered"])
    assert result.exit_code == 0, result.output
    assert pl.read_csv(tsv, separator="\t").columns[5:7] == ["window_start", "window_end"]


def test_cli_predict_regions_bad_input_leaves_no_output(files, tmp_path) -> None:
    tmp, ref, _ = files
    bed = tmp_path / "r.bed"
    write_bed(bed, [*REGIONS, ("chrUn", 0, 5, "x", "+")])
    out = tmp_path / "p.parquet"
    result = CliRunner().invoke(
        main, ["predict", str(tmp / "model"), "--regions", str(bed), "--reference", str(ref), "-o", str(out)]
    )
    assert result.exit_code == 1
    assert (
        "r.bed: line 6 (chrUn:0-5): contig 'chrUn' is not in the reference" in result.output
        and len(result.output.strip().splitlines()) == 1
    )
    assert not out.exists() and list(tmp_path.iterdir()) == [bed]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "give INPUT"),
        (["IN", "--regions", "BED", "--reference", "REF"], "not both"),
        (["--regions", "BED"], "needs --reference"),
        (["IN", "--reference", "REF"], "--reference goes with --regions"),
        (["IN", "--centered"], "--centered goes with --regions"),
    ],
)
def test_cli_predict_input_or_regions(files, tmp_path, extra, message) -> None:
    tmp, ref, _ = files
    bed = tmp_path / "r.bed"
    write_bed(bed, REGIONS[:1])
    fasta = tmp_path / "in.fa"
    fasta.write_text(">a\nACGTACGT\n")
    names = {"IN": str(fasta), "BED": str(bed), "REF": str(ref)}
    args = ["predict", str(tmp / "model"), *[names.get(a, a) for a in extra], "-o", str(tmp_path / "o.tsv")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and message in result.output


def test_an_empty_bed_file_gives_the_columns(files, tmp_path) -> None:
    _, ref, predictor = files
    bed = tmp_path / "empty.bed"
    bed.write_text("")
    out = tmp_path / "e.parquet"
    assert predict_regions_file(predictor, bed, ref, out) == 0
    assert pl.read_parquet(out).columns == ["chrom", "start", "end", "name", "strand", "length", "p_1"]
    assert predict_regions(predictor, bed, ref, centered=True).columns[5:7] == ["window_start", "window_end"]


def test_cli_predict_regions_from_standard_input(files, tmp_path) -> None:
    tmp, ref, predictor = files
    bed = tmp_path / "r.bed"
    write_bed(bed, REGIONS)
    args = ["predict", str(tmp / "model"), "--regions", "-", "--reference", str(ref), "-o", "-"]
    result = CliRunner().invoke(main, args, input=bed.read_text())
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if not line.startswith("genoseq:")]
    table = pl.read_csv("\n".join(lines).encode(), separator="\t")
    assert (
        table.get_column("name").to_list()
        == predict_regions(predictor, bed, ref).get_column("name").to_list()
    )
    bad = CliRunner().invoke(main, args, input="chrZ\t0\t5\n")
    assert bad.exit_code == 1 and "<stdin>: line 1 (chrZ:0-5): contig 'chrZ'" in bad.output


# ------------------------------------------------------------------------------ genoseq extract


def test_extract_gives_the_regions_bases_and_labels(files, tmp_path) -> None:
    from genoseq.data import load_table
    from genoseq.regions import extract_regions

    _, ref, _ = files
    bed = tmp_path / "lab.bed"
    rows = [
        ("c1", 0, 20, "a", 1, "+", "enh"),
        ("c1", 30, 35, "b", 0, "-", "non"),
        ("c2", 5, 25, ".", 1, ".", "enh"),
    ]
    bed.write_text(
        "#chrom\tstart\tend\tname\tscore\tstrand\tclass\n"
        + "".join("\t".join(map(str, r)) + "\n" for r in rows)
    )
    table = extract_regions(bed, ref, label_column="class")
    assert table.columns == ["chrom", "start", "end", "name", "strand", "length", "sequence", "label"]
    assert table.get_column("sequence").to_list() == [
        slow_fetch(c, s, e, st) for c, s, e, _, _, st, _ in rows
    ]
    assert table.get_column("label").to_list() == ["enh", "non", "enh"]
    assert table.get_column("name").to_list() == ["a", "b", "c2:5-25"]
    by_name = extract_regions(bed, ref, label_column="score").get_column("name").to_list()
    assert by_name == ["a", "b", "c2:5-25"]
    assert extract_regions(bed, ref, label_column="score").get_column("label").to_list() == ["1", "0", "1"]
    windowed = extract_regions(bed, ref, window=12)
    assert "label" not in windowed.columns
    assert windowed.get_column("sequence").str.len_chars().to_list() == [12, 12, 12]
    starts = windowed.get_column("window_start").to_list()
    assert windowed.get_column("sequence").to_list() == [
        slow_fetch(c, w, w + 12, st) for (c, _, _, _, _, st, _), w in zip(rows, starts, strict=True)
    ]
    with pytest.raises(InputFormatError, match="no column 'clas' to take labels from"):
        extract_regions(bed, ref, label_column="clas")
    with pytest.raises(InputFormatError, match=r"lab\.bed: line 4 \(c2:5-25\): no label in column 'name'"):
        extract_regions(bed, ref, label_column="name")  # its name is '.'
    assert extract_regions(bed, ref, window=np.int64(12)).height == 3
    # the table is what genoseq train reads: sequence + label (the coordinates are not features)
    out = tmp_path / "t.csv"
    extract_regions(bed, ref, window=12, label_column="class").write_csv(out)
    labelled = load_table(out)
    assert labelled.classes == ["non", "enh"] and labelled.labels.tolist() == [1, 0, 1]
    assert labelled.features is None


def test_cli_extract(files, tmp_path) -> None:
    _, ref, _ = files
    bed = tmp_path / "r.bed"
    write_bed(bed, REGIONS)
    out = tmp_path / "t.parquet"
    runner = CliRunner()
    args = [
        "extract",
        str(bed),
        "--reference",
        str(ref),
        "-o",
        str(out),
        "--window",
        "30",
        "--label-column",
        "strand",
    ]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    table = pl.read_parquet(out)
    assert table.height == len(REGIONS) and table.get_column("label").to_list() == [r[4] for r in REGIONS]
    piped = runner.invoke(main, ["extract", "-", "--reference", str(ref), "-o", "-"], input=bed.read_text())
    assert piped.exit_code == 0 and "\tsequence" in piped.stdout
    write_bed(bed, [*REGIONS, ("c2", 0, 99, "too_long", "+")])
    failed = runner.invoke(main, [*args[:5], str(tmp_path / "new.parquet")])
    assert failed.exit_code == 1 and "line 6 (c2:0-99): the region ends past its contig" in failed.output
    assert not (tmp_path / "new.parquet").exists()
    empty = tmp_path / "empty.bed"
    empty.write_text("")
    assert (
        runner.invoke(main, ["extract", str(empty), "--reference", str(ref), "-o", str(out)]).exit_code == 0
    )
    assert pl.read_parquet(out).columns == ["chrom", "start", "end", "name", "strand", "length", "sequence"]


def test_extract_labels_must_be_classes(files, tmp_path) -> None:
    from genoseq.regions import MAX_NUMERIC_CLASSES, extract_regions

    _, ref, _ = files
    bed = tmp_path / "s.bed"
    bed.write_text("".join(f"c1\t{i}\t{i + 10}\tr{i}\t{1000 if i % 2 else 500}\t+\n" for i in range(6)))
    assert (
        extract_regions(bed, ref, label_column="score").get_column("label").to_list() == ["500", "1000"] * 3
    )
    by_name = extract_regions(bed, ref, label_column="name").get_column("name").to_list()
    assert by_name[:2] == ["c1:0-10", "c1:1-11"]  # the names are the labels: rows keep their coordinates
    n = MAX_NUMERIC_CLASSES + 1
    bed.write_text("".join(f"c1\t{i}\t{i + 10}\tr{i}\t{i * 10}\t+\n" for i in range(n)))
    with pytest.raises(
        InputFormatError, match=f"column 'score' holds {n} distinct numbers: a score, not class"
    ):
        extract_regions(bed, ref, label_column="score")
    bed.write_text("c1\t0\t10\nc1\t5\t5\n")  # three columns: no names to take labels from
    with pytest.raises(InputFormatError, match=r"line 1 \(c1:0-10\): no label in column 'name' \(2 region"):
        extract_regions(bed, ref, label_column="name")


def test_extract_says_when_windows_run_off_a_contig(files, tmp_path, caplog) -> None:
    _, ref, _ = files
    from genoseq.regions import extract_regions

    bed = tmp_path / "w.bed"
    write_bed(bed, [("c1", 50, 60, "inside", "+"), ("c1", 1, 3, "near_start", "+"), ("c2", 10, 12, "x", "-")])
    with caplog.at_level("WARNING", logger="genoseq.regions"):
        assert extract_regions(bed, ref, window=12).height == 3
    assert "w.bed: 1 window(s) of 12 bases run off a contig's end (first: near_start)" in caplog.text
    assert "longer than" not in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="genoseq.regions"):
        table = extract_regions(bed, ref, window=40)
    assert "3 window(s) of 40 bases" not in caplog.text  # c1:50-60's window fits its 118 bp
    assert "2 window(s) of 40 bases run off a contig's end (first: near_start)" in caplog.text
    assert "--window 40 is longer than contig(s) c2" in caplog.text
    assert table.get_column("sequence").to_list()[2] == slow_fetch("c2", -9, 31, "-")
    caplog.clear()
    with caplog.at_level("WARNING", logger="genoseq.regions"):
        extract_regions(bed, ref, window=4)
    assert "run off" not in caplog.text


# ---------------------------------------------------------------------------------------------- BED12

BED12 = [  # chrom, start, end, name, strand, blockSizes, blockStarts
    ("c1", 10, 60, "three_exons", "+", "10,15,10,", "0,20,40,"),
    ("c1", 10, 60, "minus", "-", "10,15,10", "0,20,40"),  # no trailing comma: also BED
    ("c2", 3, 30, "one_block", "-", "27,", "0,"),
]


def write_bed12(path, rows, header: str = "") -> None:
    lines = [
        "\t".join(map(str, (c, s, e, n, 0, st, s, e, "0", len(sizes.strip(",").split(",")), sizes, starts)))
        for c, s, e, n, st, sizes, starts in rows
    ]
    path.write_text(header + "\n".join(lines) + "\n")


def joined(contig: str, start: int, sizes: str, starts: str, strand: str) -> str:
    """The blocks' bases joined on the + strand, then reverse-complemented for '-' (bedtools -split)."""
    pairs = zip(map(int, starts.strip(",").split(",")), map(int, sizes.strip(",").split(",")), strict=True)
    bases = "".join(slow_fetch(contig, start + b, start + b + z) for b, z in pairs)
    return bases.translate(COMPLEMENT)[::-1] if strand == "-" else bases


def test_split_joins_the_blocks_of_bed12_regions(files, tmp_path, caplog) -> None:
    from genoseq.regions import extract_regions

    _, ref, predictor = files
    bed = tmp_path / "r.bed"
    write_bed12(bed, BED12)
    expected = [joined(c, s, sz, bs, st) for c, s, _, _, st, sz, bs in BED12]
    table = extract_regions(bed, ref, split=True)
    assert table.get_column("sequence").to_list() == expected
    assert table.get_column("length").to_list() == [35, 35, 27]
    assert table.columns == ["chrom", "start", "end", "name", "strand", "length", "sequence"]
    scores = predictor.predict_regions(bed, ref, split=True, strand="forward")
    np.testing.assert_allclose(
        scores.get_column("p_1").to_numpy(), predictor.predict(expected, strand="forward")[:, 0], atol=1e-6
    )
    # without split a region is taken whole, and a BED12 of several blocks says so
    with caplog.at_level("WARNING", logger="genoseq.regions"):
        whole = extract_regions(bed, ref)
    assert whole.get_column("length").to_list() == [50, 50, 27]
    assert "2 BED12 region(s) have several blocks" in caplog.text and "--split" in caplog.text
    # a frame from Python names its block columns as the BED format does
    frame = pl.DataFrame(
        {
            "chrom": ["c1"],
            "start": [10],
            "end": [60],
            "strand": ["+"],
            "blockCount": [3],
            "blockSizes": ["10,15,10"],
            "blockStarts": ["0,20,40"],
        }
    )
    assert extract_regions(frame, ref, split=True).get_column("sequence").to_list() == expected[:1]
    # and a frame genoseq.io.read_bed made of the BED12 file (columns col7 ... col12) is that file
    from genoseq.io import read_bed

    read = read_bed(bed)
    assert read.columns[-3:] == ["col10", "col11", "col12"]
    assert extract_regions(read, ref, split=True).get_column("sequence").to_list() == expected
    caplog.clear()
    with caplog.at_level("WARNING", logger="genoseq.regions"):
        extract_regions(read, ref)
    assert "2 BED12 region(s) have several blocks" in caplog.text


@pytest.mark.parametrize(
    ("sizes", "starts", "count", "problem"),
    [
        ("10,15,10", "0,20,40", "2", "blockCount must equal the number of blockSizes"),
        ("10,x,10", "0,20,40", "3", "blockSizes must be positive integers"),
        ("10,0,10", "0,20,40", "3", "blockSizes must be positive integers"),
        ("10,15,10", "5,20,40", "3", "the first block must start at the region's start"),
        ("10,15,10", "0,5,40", "3", "blocks must be in order and must not overlap"),
        ("10,15,5", "0,20,40", "3", "the last block must end at the region's end"),
        ("10,15,10", "0,20,40", "0", "blockCount must be a positive integer"),
    ],
)
def test_split_refuses_bad_blocks_naming_the_line(files, tmp_path, sizes, starts, count, problem) -> None:
    from genoseq.regions import extract_regions

    _, ref, _ = files
    bed = tmp_path / "bad.bed"
    good = "c1\t0\t20\tok\t0\t+\t0\t20\t0\t1\t20,\t0,\n"
    bed.write_text(f"track name=x\n{good}c1\t10\t60\ttx\t0\t+\t10\t60\t0\t{count}\t{sizes}\t{starts}\n")
    with pytest.raises(InputFormatError, match=problem) as err:
        extract_regions(bed, ref, split=True)
    assert str(err.value).startswith(f"{bed}: line 3 (c1:10-60): ")


def test_split_needs_blocks_and_no_window(files, tmp_path) -> None:
    from genoseq.regions import extract_regions

    _, ref, predictor = files
    bed = tmp_path / "six.bed"
    write_bed(bed, REGIONS)
    with pytest.raises(InputFormatError, match="split needs BED12 blocks"):
        extract_regions(bed, ref, split=True)
    write_bed12(bed, BED12)
    with pytest.raises(ConfigError, match="split and window"):
        extract_regions(bed, ref, split=True, window=30)
    with pytest.raises(ConfigError, match="split and centered"):
        predict_regions(predictor, bed, ref, split=True, centered=True)


def test_cli_split(files, tmp_path) -> None:
    tmp, ref, _ = files
    bed = tmp_path / "r.bed"
    write_bed12(bed, BED12, header="#chrom\tstart\tend\tname\tscore\tstrand\tts\tte\trgb\tn\tsz\tst\n")
    runner = CliRunner()
    out = tmp_path / "x.tsv"
    done = runner.invoke(main, ["extract", str(bed), "--reference", str(ref), "--split", "-o", str(out)])
    assert done.exit_code == 0, done.output
    expected = [joined(c, s, sz, bs, st) for c, s, _, _, st, sz, bs in BED12]
    assert pl.read_csv(out, separator="\t").get_column("sequence").to_list() == expected
    scored = tmp_path / "p.tsv"
    args = ["predict", str(tmp / "model"), "--regions", str(bed), "--reference", str(ref), "--split"]
    done = runner.invoke(main, [*args, "-o", str(scored)])
    assert done.exit_code == 0, done.output
    assert pl.read_csv(scored, separator="\t").get_column("length").to_list() == [35, 35, 27]
    refused = runner.invoke(main, [*args, "--centered", "-o", str(tmp_path / "no.tsv")])
    assert refused.exit_code == 2 and "--split and --centered" in refused.output
    extract = ["extract", str(bed), "--reference", str(ref), "--split", "--window", "9"]
    refused = runner.invoke(main, [*extract, "-o", str(tmp_path / "no.tsv")])
    assert refused.exit_code == 2 and "--split and --window" in refused.output
    assert not (tmp_path / "no.tsv").exists()


def test_regions_take_an_open_reference_and_a_pandas_frame(files, tmp_path) -> None:
    from genoseq.io import Reference, read_bed

    _, ref, predictor = files
    bed = tmp_path / "r.bed"
    write_bed(bed, REGIONS)
    expected = predictor.predict_regions(bed, ref)
    with Reference(ref) as opened:
        got = predictor.predict_regions(read_bed(bed).to_pandas(), opened)
        assert opened.length("c1") == len(CONTIGS["c1"])  # still open: the caller's to close
    assert got.equals(expected)
