"""The workflow's helper steps: prepare, split-vcf, gather-scores, report (library and CLI)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import polars as pl
import pysam
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from genoseq.cli import main
from genoseq.errors import ConfigError, InputFormatError
from genoseq.workflow_tools import (
    chunk_sizes,
    flatten_metrics,
    gather_tables,
    gather_vcfs,
    render_report,
    shard_name,
    split_records,
    split_vcf,
    top_rows,
)

REPO = Path(__file__).resolve().parents[1]
CHRM = REPO / "data" / "mito" / "chrM.fa"
TEST_DATA = REPO / "workflows" / ".test" / "data"

HEADER = """##fileformat=VCFv4.2
##contig=<ID=chrA,length=100>
##contig=<ID=chrB,length=50>
##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO
"""


def _records(n: int) -> list[str]:
    """``n`` sorted VCF data lines over two contigs."""
    lines = []
    for i in range(n):
        chrom, pos = ("chrA", 3 + 7 * i) if i < 10 else ("chrB", 1 + 3 * (i - 10))
        lines.append(f"{chrom}\t{pos}\tv{i}\tA\tG\t.\tPASS\tDP={i}")
    return lines


def _write_vcf(path: Path, records: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "".join(r + "\n" for r in records))
    return path


def _data_lines(path: Path) -> list[str]:
    """Data lines of a (possibly bgzipped) VCF, read as text — independently of the code under test."""
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as fh:
        return [ln.rstrip("\n") for ln in fh if not ln.startswith("#")]


def _ids(path: Path) -> list[str]:
    return [ln.split("\t")[2] for ln in _data_lines(path)]


# ----------------------------------------------------------------------------------------- chunk_sizes


@settings(max_examples=50, deadline=None)
@given(n=st.integers(0, 500), k=st.integers(1, 40))
def test_chunk_sizes_cover_all_records_evenly(n: int, k: int) -> None:
    sizes = chunk_sizes(n, k)
    assert len(sizes) == k
    assert sum(sizes) == n
    assert max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes, reverse=True)


def test_chunk_sizes_rejects_zero_shards() -> None:
    with pytest.raises(ConfigError, match="shards"):
        chunk_sizes(3, 0)


def test_shard_names_are_zero_padded_and_ordered() -> None:
    assert [shard_name(i) for i in (0, 7, 12)] == ["shard_000.vcf", "shard_007.vcf", "shard_012.vcf"]
    names = [shard_name(i) for i in range(1000)]
    assert names == sorted(names)


# ------------------------------------------------------------------------------------------- split-vcf


@pytest.mark.parametrize(("n", "k"), [(13, 3), (2, 4), (0, 2), (5, 1)])
def test_split_vcf_contiguous_shards_with_full_header(tmp_path: Path, n: int, k: int) -> None:
    records = _records(n)
    vcf = _write_vcf(tmp_path / "in.vcf", records)
    paths = split_vcf(vcf, k, tmp_path / "shards")
    assert [p.name for p in paths] == [shard_name(i) for i in range(k)]
    got = [_data_lines(p) for p in paths]
    # independent expectation: contiguous chunks, the first n % k one record longer
    q, r = divmod(n, k)
    start, expected = 0, []
    for i in range(k):
        size = q + (1 if i < r else 0)
        expected.append(records[start : start + size])
        start += size
    assert got == expected
    for p in paths:  # every shard (the empty ones too) is a VCF pysam reads, with the input's header
        with pysam.VariantFile(str(p)) as vf:
            assert list(vf.header.contigs) == ["chrA", "chrB"]
            assert "DP" in vf.header.info
            assert sum(1 for _ in vf) == len(_data_lines(p))
    assert not list((tmp_path / "shards").glob("*.tmp*"))


def test_split_vcf_reads_bgzipped_input(tmp_path: Path) -> None:
    plain = _write_vcf(tmp_path / "in.vcf", _records(9))
    gz = tmp_path / "in.vcf.gz"
    pysam.tabix_compress(str(plain), str(gz))
    paths = split_vcf(gz, 2, tmp_path / "shards")
    assert [len(_data_lines(p)) for p in paths] == [5, 4]
    assert sum((_data_lines(p) for p in paths), []) == _data_lines(plain)


def test_split_vcf_copies_records_htslib_would_not_write(tmp_path: Path) -> None:
    """A symbolic ALT without a declared END, and an undeclared contig, are copied byte for byte."""
    records = [*_records(3), "chrA\t400\tsv1\tA\t<DEL>\t.\tPASS\t.", "chrZ\t5\tz1\tC\tT\t.\tPASS\tDP=1"]
    vcf = _write_vcf(tmp_path / "in.vcf", records)
    paths = split_vcf(vcf, 2, tmp_path / "shards")
    assert sum((_data_lines(p) for p in paths), []) == records
    header = "".join(ln for ln in HEADER.splitlines(keepends=True))
    assert all(p.read_text().startswith(header) for p in paths)


def test_split_vcf_removes_the_shards_of_an_earlier_longer_split(tmp_path: Path) -> None:
    vcf = _write_vcf(tmp_path / "in.vcf", _records(7))
    shards = tmp_path / "shards"
    split_vcf(vcf, 5, shards)
    (shards / "notes.txt").write_text("mine")
    (shards / "shard_9.vcf").write_text("not a name split_vcf writes")
    paths = split_vcf(vcf, 2, shards)
    assert sorted(p.name for p in shards.iterdir()) == [
        "notes.txt",
        shard_name(0),
        shard_name(1),
        "shard_9.vcf",
    ]
    assert sum((_data_lines(p) for p in sorted(shards.glob("shard_???.vcf"))), []) == _data_lines(vcf)
    assert paths == [shards / shard_name(0), shards / shard_name(1)]


def test_split_vcf_writes_all_shards_or_none(tmp_path: Path) -> None:
    vcf = _write_vcf(tmp_path / "in.vcf", _records(6))
    shards = tmp_path / "shards"
    (shards / shard_name(1)).mkdir(parents=True)  # the second shard cannot be put in place
    with pytest.raises(OSError):
        split_vcf(vcf, 3, shards)
    assert sorted(p.name for p in shards.iterdir()) == [shard_name(1)]  # no shard_000/002, no temporaries


def test_split_vcf_reads_bcf(tmp_path: Path) -> None:
    plain = _write_vcf(tmp_path / "in.vcf", _records(7))
    bcf = tmp_path / "in.bcf"
    with pysam.VariantFile(str(plain)) as src, pysam.VariantFile(str(bcf), "wb", header=src.header) as dst:
        for rec in src:
            dst.write(rec)
    paths = split_vcf(bcf, 2, tmp_path / "shards")
    assert sum((_data_lines(p) for p in paths), []) == _data_lines(plain)
    with pysam.VariantFile(str(paths[0])) as vf:
        assert "DP" in vf.header.info


def test_split_vcf_not_a_vcf_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.vcf"
    bad.write_text("this is not a VCF\n")
    with pytest.raises(InputFormatError, match="bad.vcf"):
        split_vcf(bad, 2, tmp_path / "shards")


def test_split_vcf_cli(tmp_path: Path) -> None:
    vcf = _write_vcf(tmp_path / "in.vcf", _records(5))
    result = CliRunner().invoke(
        main, ["split-vcf", str(vcf), "--shards", "2", "--out-dir", str(tmp_path / "s")]
    )
    assert result.exit_code == 0, result.output
    assert [len(_data_lines(tmp_path / "s" / shard_name(i))) for i in range(2)] == [3, 2]
    result = CliRunner().invoke(main, ["split-vcf", str(vcf), "--shards", "0", "--out-dir", str(tmp_path)])
    assert result.exit_code == 2


# --------------------------------------------------------------------------------------- gather-scores


def _score_frame(rows: list[tuple[str, int, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"chrom": [r[0] for r in rows], "pos": [r[1] for r in rows], "risk": [r[2] for r in rows]},
        schema={"chrom": pl.Utf8, "pos": pl.Int64, "risk": pl.Float64},
    )


def test_gather_tables_concatenates_in_order(tmp_path: Path) -> None:
    parts = [
        _score_frame([("chrA", 3, 0.5), ("chrA", 10, None)]),
        _score_frame([]),  # an empty shard
        _score_frame([("chrB", 1, 0.25)]),
    ]
    paths = []
    for i, df in enumerate(parts):
        paths.append(tmp_path / f"s{i}.parquet")
        df.write_parquet(paths[-1])
    n = gather_tables(paths, tmp_path / "all.parquet")
    got = pl.read_parquet(tmp_path / "all.parquet")
    assert n == 3
    assert got.to_dicts() == [r for df in parts for r in df.to_dicts()]
    assert got.schema == parts[0].schema
    gather_tables(paths, tmp_path / "all.tsv")
    lines = (tmp_path / "all.tsv").read_text().splitlines()
    assert lines[0].split("\t") == ["chrom", "pos", "risk"]
    assert [ln.split("\t")[1] for ln in lines[1:]] == ["3", "10", "1"]
    # a shard given twice, under any name, would be gathered twice
    with pytest.raises(ConfigError, match="table shard 3 is shard 1 again"):
        gather_tables([paths[0], paths[1], tmp_path / "." / "s0.parquet"], tmp_path / "dup.parquet")
    assert not (tmp_path / "dup.parquet").exists()


def test_gather_scores_needs_a_vcf_for_every_table_shard(tmp_path: Path) -> None:
    from genoseq.cli import main

    for i in range(2):
        _score_frame([("chrA", 3 + i, 0.5)]).write_parquet(tmp_path / f"s{i}.parquet")
    (tmp_path / "s0.vcf").write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    args = [
        "gather-scores",
        str(tmp_path / "s0.parquet"),
        str(tmp_path / "s1.parquet"),
        "-o",
        str(tmp_path / "g.tsv"),
    ]
    result = CliRunner().invoke(
        main, [*args, "--vcf", str(tmp_path / "s0.vcf"), "--vcf-out", str(tmp_path / "g.vcf.gz")]
    )
    assert result.exit_code == 2 and "2 table shard(s) but 1 VCF shard(s)" in result.output
    assert not (tmp_path / "g.tsv").exists() and not (tmp_path / "g.vcf.gz").exists()


def test_gather_tables_rejects_different_columns(tmp_path: Path) -> None:
    _score_frame([("chrA", 3, 0.5)]).write_parquet(tmp_path / "a.parquet")
    pl.DataFrame({"chrom": ["chrA"], "pos": [4]}).write_parquet(tmp_path / "b.parquet")
    with pytest.raises(InputFormatError, match="b.parquet"):
        gather_tables([tmp_path / "a.parquet", tmp_path / "b.parquet"], tmp_path / "all.parquet")
    assert not (tmp_path / "all.parquet").exists()
    with pytest.raises(ConfigError, match="extension"):
        gather_tables([tmp_path / "a.parquet"], tmp_path / "all.xlsx")
    # an unreadable shard is named, not the first one
    (tmp_path / "c.parquet").write_bytes(b"not parquet at all")
    (tmp_path / "d.tsv").write_text("")
    for bad in ("c.parquet", "d.tsv"):
        with pytest.raises(InputFormatError, match=rf"{bad}: cannot read table"):
            gather_tables([tmp_path / "a.parquet", tmp_path / bad], tmp_path / "all.parquet")


def _bgzipped_shards(tmp_path: Path, n: int, k: int) -> tuple[Path, list[Path]]:
    plain = _write_vcf(tmp_path / "in.vcf", _records(n))
    shards = []
    for p in split_vcf(plain, k, tmp_path / "shards"):
        gz = p.with_suffix(".vcf.gz")
        pysam.tabix_compress(str(p), str(gz))
        shards.append(gz)
    return plain, shards


def test_gather_vcfs_bgzipped_indexed_and_complete(tmp_path: Path) -> None:
    plain, shards = _bgzipped_shards(tmp_path, 14, 3)
    out = tmp_path / "all.vcf.gz"
    assert gather_vcfs(shards, out) == 14
    assert _data_lines(out) == _data_lines(plain)
    assert Path(str(out) + ".tbi").exists()
    with pytest.raises(ConfigError, match="VCF shard 2 is shard 1 again"):
        gather_vcfs([shards[0], shards[0]], tmp_path / "dup.vcf.gz")
    with pysam.VariantFile(str(out)) as vf:  # the index works: region queries
        assert [r.id for r in vf.fetch("chrB")] == [f"v{i}" for i in range(10, 14)]
        assert [r.pos for r in vf.fetch("chrA", 0, 10)] == [3, 10]
    with open(out, "rb") as fh:  # BGZF magic: gzip with the BC extra field
        assert fh.read(4) == b"\x1f\x8b\x08\x04"


def test_gather_vcfs_out_of_order_fails_and_leaves_nothing(tmp_path: Path) -> None:
    _, shards = _bgzipped_shards(tmp_path, 14, 3)
    out = tmp_path / "all.vcf.gz"
    with pytest.raises(InputFormatError, match="in order"):
        gather_vcfs(shards[::-1], out)
    assert not out.exists()
    assert not Path(str(out) + ".tbi").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".all")]


def test_gather_vcfs_copies_records_on_undeclared_contigs(tmp_path: Path) -> None:
    """htslib's record translation would end the process on a contig no header declares."""
    records = [*_records(3), "chrX\t100\tx1\tA\tG\t.\tPASS\tDP=1"]
    a = _write_vcf(tmp_path / "a.vcf", records[:2])
    b = _write_vcf(tmp_path / "b.vcf", records[2:])
    out = tmp_path / "all.vcf.gz"
    assert gather_vcfs([a, b], out) == 4
    assert _data_lines(out) == records
    with pysam.VariantFile(str(out)) as vf:
        assert [r.id for r in vf.fetch("chrX")] == ["x1"]


def _gather_args(tables: list[Path], out: Path, vcfs: list[Path]) -> list[str]:
    """``gather-scores TABLES -o OUT --vcfs V ...`` (without ``--vcf-out``)."""
    return [
        "gather-scores",
        *map(str, tables),
        "-o",
        str(out),
        *[a for v in vcfs for a in ("--vcfs", str(v))],
    ]


def test_gather_scores_writes_neither_output_when_one_fails(tmp_path: Path) -> None:
    _, shards = _bgzipped_shards(tmp_path, 6, 2)
    table = tmp_path / "t.tsv"
    table.write_text("chrom\tpos\nchrA\t1\n")
    table2 = tmp_path / "t2.tsv"
    table2.write_text("chrom\tpos\nchrA\t2\n")
    out = tmp_path / "all.tsv"
    out.write_text("precious\n")
    args = _gather_args([table, table2], out, [shards[1], shards[0]])
    result = CliRunner().invoke(main, [*args, "--vcf-out", str(tmp_path / "all.vcf.gz")])
    assert result.exit_code == 1 and "in order" in result.output, result.output
    assert out.read_text() == "precious\n"
    assert not (tmp_path / "all.vcf.gz").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".all")]


def test_gather_scores_writes_a_table_into_a_pipe_beside_the_vcf(tmp_path: Path) -> None:
    """A named pipe (or /dev/stdout) as -o with --vcf-out: the table, staged in a temporary file
    without an extension, was refused ('output must end in .parquet, .tsv or .csv')."""
    import os
    import threading

    _, shards = _bgzipped_shards(tmp_path, 6, 2)
    tables = []
    for i in range(2):
        tables.append(tmp_path / f"t{i}.tsv")
        tables[-1].write_text(f"chrom\tpos\nchrA\t{(3, 24)[i]}\n")  # a record of each VCF shard
    fifo = tmp_path / "table_pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    args = _gather_args(tables, fifo, shards)
    result = CliRunner().invoke(main, [*args, "--vcf-out", str(tmp_path / "all.vcf.gz")])
    if result.exit_code != 0:
        with open(fifo, "wb"):  # let the reader go
            pass
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert got == ["chrom\tpos\nchrA\t3\nchrA\t24\n"]
    assert (tmp_path / "all.vcf.gz.tbi").exists()


def test_gather_scores_writes_no_vcf_when_the_tables_fail(tmp_path: Path) -> None:
    """The VCF was gathered and renamed into place before the tables were checked: a refused table
    left a new VCF (replacing an older one) beside the old table."""
    _, shards = _bgzipped_shards(tmp_path, 6, 2)
    table = tmp_path / "t.tsv"
    table.write_text("chrom\tpos\nchrA\t3\n")
    other = tmp_path / "u.tsv"
    other.write_text("chrom\tend\nchrA\t24\n")  # columns differ
    out, vcf_out = tmp_path / "all.tsv", tmp_path / "all.vcf.gz"
    old = {out: b"old table\n", vcf_out: b"old vcf", Path(f"{vcf_out}.tbi"): b"old index"}
    for path, data in old.items():
        path.write_bytes(data)
    args = [*_gather_args([table, other], out, shards), "--vcf-out", str(vcf_out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "columns differ" in result.output, result.output
    assert {path: path.read_bytes() for path in old} == old
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".all")]
    # the same shards with matching tables: all three outputs, the index fitting the VCF
    other.write_text("chrom\tpos\nchrA\t24\n")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[1:] == ["chrA\t3", "chrA\t24"]
    with pysam.VariantFile(str(vcf_out)) as vf:
        assert len(list(vf.fetch(next(iter(vf.header.contigs))))) == 6
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".all")]


def test_gather_scores_cli_names_and_long_dotted_outputs(tmp_path: Path) -> None:
    table = tmp_path / "t.tsv"
    table.write_text("chrom\tpos\nchrA\t1\n")
    long = tmp_path / "GRCh38.gnomad.v4.1.chr1.cnn-lstm.seed0.windows1000.scores.and.more.dots.tsv"
    other = tmp_path / "u.tsv"
    other.write_text(table.read_text())
    result = CliRunner().invoke(main, ["gather-scores", str(table), str(other), "-o", str(long)])
    assert result.exit_code == 0, result.output
    assert long.read_text() == "chrom\tpos\nchrA\t1\nchrA\t1\n"
    for bad in ("out.txt", "out"):
        result = CliRunner().invoke(main, ["gather-scores", str(table), "-o", str(tmp_path / bad)])
        assert result.exit_code == 1, result.output
        assert f"{tmp_path / bad}: output must end in" in result.output and ".tmp" not in result.output


def test_gather_vcfs_requires_same_samples_and_vcf_gz(tmp_path: Path) -> None:
    header_s = HEADER.replace("INFO\n", "INFO\tFORMAT\tS1\n")
    a = _write_vcf(tmp_path / "a.vcf", [r + "\tGT\t0/1" for r in _records(2)], header_s)
    b = _write_vcf(tmp_path / "b.vcf", [], HEADER.replace("INFO\n", "INFO\tFORMAT\tS2\n"))
    with pytest.raises(InputFormatError, match="samples"):
        gather_vcfs([a, b], tmp_path / "all.vcf.gz")
    with pytest.raises(ConfigError, match="vcf.gz"):
        gather_vcfs([a], tmp_path / "all.vcf")


def test_gather_vcfs_refuses_shards_scored_by_another_model(tmp_path: Path) -> None:
    def scored(name: str, sha: str, records: list[str]) -> Path:
        meta = f"##genoseq_version=1\n##genoseq_model_sha256={sha}\n##genoseq_strand=both\n"
        return _write_vcf(tmp_path / name, records, HEADER.replace("#CHROM", meta + "#CHROM"))

    records = _records(4)
    a, b = scored("a.vcf", "aaa", records[:2]), scored("b.vcf", "bbb", records[2:])
    with pytest.raises(
        InputFormatError, match=r"b\.vcf: scored differently from .*a\.vcf \(genoseq_model_sha256"
    ):
        gather_vcfs([a, b], tmp_path / "all.vcf.gz")
    assert not (tmp_path / "all.vcf.gz").exists()
    same = scored("c.vcf", "aaa", records[2:])
    assert gather_vcfs([a, same], tmp_path / "all.vcf.gz") == 4


def test_gather_tables_refuses_parquet_shards_of_another_scoring_run(tmp_path: Path) -> None:
    from genoseq.data.writers import table_metadata, write_table

    def shard(name: str, sha: str, rows: int) -> Path:
        meta = {"genoseq_version": "1", "genoseq_model_sha256": sha, "genoseq_strand": "both"}
        return write_table(pl.DataFrame({"pos": list(range(rows))}), tmp_path / name, meta)

    a, b = shard("a.parquet", "aaa", 2), shard("b.parquet", "bbb", 3)
    assert table_metadata(a)["genoseq_model_sha256"] == "aaa"
    with pytest.raises(
        InputFormatError, match=r"b\.parquet: scored differently from .*a\.parquet \(genoseq_model_sha256"
    ):
        gather_tables([a, b], tmp_path / "all.parquet")
    assert not (tmp_path / "all.parquet").exists()
    same = shard("c.parquet", "aaa", 3)
    assert gather_tables([a, same], tmp_path / "all.parquet") == 5
    assert table_metadata(tmp_path / "all.parquet")["genoseq_model_sha256"] == "aaa"  # kept
    text = tmp_path / "t.tsv"
    text.write_text("pos\n9\n")
    assert gather_tables([a, text], tmp_path / "mixed.parquet") == 3  # a TSV carries nothing to compare


def test_gather_scores_cli(tmp_path: Path) -> None:
    plain, shards = _bgzipped_shards(tmp_path, 6, 2)
    tables = []
    for i in range(2):
        tables.append(tmp_path / f"t{i}.parquet")
        _score_frame([("chrA", (3, 24)[i], 0.1 * i)]).write_parquet(tables[-1])
    args = ["gather-scores", *map(str, tables), "-o", str(tmp_path / "all.parquet")]
    vcf_args = ["--vcfs", str(shards[0]), "--vcfs", str(shards[1]), "--vcf-out", str(tmp_path / "all.vcf.gz")]
    result = CliRunner().invoke(main, args + vcf_args)
    assert result.exit_code == 0, result.output
    assert pl.read_parquet(tmp_path / "all.parquet")["pos"].to_list() == [3, 24]
    assert _data_lines(tmp_path / "all.vcf.gz") == _data_lines(plain)
    result = CliRunner().invoke(main, args + ["--vcfs", str(shards[0])])
    assert result.exit_code == 2
    assert "--vcf-out" in result.output


def test_gather_scores_refuses_tables_and_vcfs_of_other_pieces_or_runs(tmp_path: Path) -> None:
    """Table shards were checked against each other and VCF shards against each other, never one
    kind against the other: another model's VCFs, or other pieces, were gathered beside the tables."""
    from genoseq.data.writers import write_table
    from genoseq.workflow_tools import gather_scores

    def vcf(name: str, sha: str, records: list[str]) -> Path:
        meta = f"##genoseq_version=1\n##genoseq_model_sha256={sha}\n##genoseq_strand=both\n"
        return _write_vcf(tmp_path / name, records, HEADER.replace("#CHROM", meta + "#CHROM"))

    records = _records(14)  # chrA 3, 10, ... 66; chrB 1, 4, 7, 10
    meta = {"genoseq_version": "1", "genoseq_model_sha256": "aaa", "genoseq_strand": "both"}
    tables = [
        write_table(_score_frame([("chrA", 3, 0.1), ("chrA", 3, 0.2), ("chrA", 17, 0.3)]), tmp_path / "t0.parquet", meta),
        write_table(_score_frame([("chrB", 4, 0.5)]), tmp_path / "t1.parquet", meta),
    ]
    ours = [vcf("a0.vcf", "aaa", records[:10]), vcf("a1.vcf", "aaa", records[10:])]
    theirs = [vcf("b0.vcf", "bbb", records[:10]), vcf("b1.vcf", "bbb", records[10:])]
    out, vcf_out = tmp_path / "all.parquet", tmp_path / "all.vcf.gz"
    with pytest.raises(InputFormatError, match=r"b0\.vcf: scored differently from .*t0\.parquet"):
        gather_scores(tables, out, theirs, vcf_out)
    other_pieces = [vcf("c0.vcf", "aaa", records[:10]), vcf("c1.vcf", "aaa", records[12:])]
    with pytest.raises(InputFormatError, match=r"row 4 of the gathered table \(chrB:4\) is no record"):
        gather_scores(tables, out, other_pieces, vcf_out)  # the VCF pieces leave chrB:4 out
    assert not out.exists() and not vcf_out.exists()
    assert gather_scores(tables, out, ours, vcf_out) == (4, 14)


def test_gather_tables_types_tsv_columns_by_name(tmp_path: Path) -> None:
    """polars guessed a TSV's types from its first 100 rows: contig X after 1..22 failed, contig 22
    became an integer, and a header-only shard made every gathered column text."""
    header = "chrom\tpos\tid\tref\talt\tref_match\tref_score\tdiff\trisk\textra\n"
    rows = [f"{c}\t{100 + i}\t{i}\tA\tG\ttrue\t0.5\t-0.25\t\t{i}\n" for i, c in enumerate([1] * 150 + ["X"])]
    numbered = tmp_path / "numbered.tsv"
    numbered.write_text(header + "".join(rows))
    empty = tmp_path / "empty.tsv"
    empty.write_text(header)
    only22 = tmp_path / "only22.tsv"
    only22.write_text(header + "22\t5\trs1\tC\tT\tfalse\t\t\t\t7\n")
    assert gather_tables([empty, numbered, only22], tmp_path / "all.parquet") == 152
    got = pl.read_parquet(tmp_path / "all.parquet")
    assert dict(got.schema) == {
        "chrom": pl.Utf8, "pos": pl.Int64, "id": pl.Utf8, "ref": pl.Utf8, "alt": pl.Utf8,
        "ref_match": pl.Boolean, "ref_score": pl.Float64, "diff": pl.Float64, "risk": pl.Float64,
        "extra": pl.Int64,
    }  # fmt: skip
    assert got["chrom"].to_list()[-2:] == ["X", "22"] and got["id"][0] == "0"
    assert got["ref_match"].to_list()[-1] is False and got["risk"].null_count() == 152


# ---------------------------------------------------------------------------------------------- report


def test_flatten_metrics() -> None:
    metrics = {
        "auroc": {"mean": 0.81234, "sd": 0.05},
        "auprc_mean": 0.4,
        "n": 12,
        "auprc_sd": None,
        "folds": [0.8, 0.9],
        "f": {"a": {"b": None}, "x_mean": 1.0, "x_std": 0.5},
    }
    assert flatten_metrics(metrics) == [
        ("auroc", "0.8123 ± 0.05"),
        ("auprc", "0.4 ± "),
        ("n", "12"),
        ("folds", "0.8, 0.9"),
        ("f.a.b", ""),
        ("f.x", "1 ± 0.5"),
    ]
    assert flatten_metrics([{"x": 1}, {"x": 2.5}], "fold") == [("fold[0].x", "1"), ("fold[1].x", "2.5")]
    # a mean without its spread stays as it is
    assert flatten_metrics({"loss_mean": 0.3, "mean": 2}) == [("loss_mean", "0.3"), ("mean", "2")]


def test_split_records() -> None:
    folds = [{"fold": 0, "auroc": 0.6}, {"fold": 1, "auroc": 0.7}]
    rest, records = split_records({"folds": folds, "n": 3, "nested": [{"a": {"b": 1}}], "empty": []})
    assert records == {"folds": folds}
    assert rest == {"n": 3, "nested": [{"a": {"b": 1}}], "empty": []}
    assert split_records([1, 2]) == ([1, 2], {})


def test_top_rows_sorts_descending_nulls_and_nans_last() -> None:
    df = pl.DataFrame({"id": list("abcdef"), "risk": [0.2, None, 0.9, float("nan"), 0.5, 0.9]})
    tt = top_rows(df, 4)
    # reference: sort the finite values by hand, ties keep input order
    finite = [(r, i) for i, r in zip(df["id"], df["risk"], strict=True) if r is not None and r == r]
    expected = [i for _, i in sorted(finite, key=lambda t: -t[0])]
    assert tt.frame["id"].to_list() == expected[:4]
    assert (tt.n_rows, tt.n_null) == (6, 2)
    assert sorted(tt.values) == [0.2, 0.5, 0.9, 0.9]
    with pytest.raises(ConfigError, match="nope"):
        top_rows(df, 3, "nope")
    with pytest.raises(ConfigError, match="column 'id' holds String values, not numbers: .*risk"):
        top_rows(df, 3, "id")


def _png(path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, 1])
    fig.savefig(path, format="png", dpi=20)
    plt.close(fig)
    return path


def test_report_is_self_contained(tmp_path: Path) -> None:
    metrics = tmp_path / "cv_metrics.json"
    metrics.write_text(
        json.dumps(
            {
                "auroc": {"mean": 0.75, "sd": 0.02},
                "note": "<b>&",
                "folds": [{"fold": 0, "auroc": 0.73}, {"fold": 1, "auroc": 0.77}],
            }
        )
    )
    plots = tmp_path / "plots"
    plots.mkdir()
    roc = _png(plots / "roc.png")
    extra = _png(tmp_path / "curves.png")
    table = tmp_path / "risk.parquet"
    pl.DataFrame(
        {
            "chrom": ["chrM"] * 4,
            "pos": [5, 6, 7, 8],
            "id": ["x", "<y>", "z", "w"],
            "risk": [0.1, 0.7, None, 0.4],
        }
    ).write_parquet(table)
    doc = render_report(metrics=[metrics], plots=[plots, extra], table=table, top=2, title="T <1>")
    assert "<title>T &lt;1&gt;</title>" in doc
    assert "0.75 ± 0.02" in doc
    assert "&lt;b&gt;&amp;" in doc and "<b>&" not in doc
    # per-fold records become their own table: a header row, then one row per fold
    assert "<tr><th>fold</th><th>auroc</th></tr>" in doc
    assert '<tr><td class="num">1</td><td class="num">0.77</td></tr>' in doc
    for png in (roc, extra):
        assert base64.b64encode(png.read_bytes()).decode() in doc
    assert not re.search(r'src="(?!data:)', doc)  # every image is embedded
    # the top two by risk: <y> (0.7) then w (0.4); z has no risk and is counted
    rows = re.findall(r"<tr><td>chrM</td><td class=\"num\">(\d+)</td><td>([^<]*)</td>", doc)
    assert rows == [("6", "&lt;y&gt;"), ("8", "w")]
    assert "4 row(s) in the table; 1 with no risk" in doc


def test_report_cli_and_errors(tmp_path: Path) -> None:
    metrics = tmp_path / "m.json"
    metrics.write_text('{"accuracy": 0.5}')
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["report", "--metrics", str(metrics), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "accuracy" in out.read_text()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(main, ["report", "--metrics", str(bad), "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 1
    assert "bad.json" in result.output
    assert not (tmp_path / "x.html").exists()
    txt = tmp_path / "notes.txt"
    txt.write_text("x")
    result = CliRunner().invoke(main, ["report", "--plots", str(txt), "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 1
    assert "PNG" in result.output


# --------------------------------------------------------------------------------------------- prepare


def _io_has_vcf() -> bool:
    try:
        from genoseq.io import Reference, read_vcf  # noqa: F401
    except ImportError:
        return False
    return True


needs_vcf_reader = pytest.mark.skipif(not _io_has_vcf(), reason="genoseq.io.read_vcf not available yet")


@pytest.fixture
def chrm(tmp_path: Path) -> Path:
    """A copy of the bundled chrM reference (its .fai is built in tmp_path, not in the repository)."""
    ref = tmp_path / "ref" / "chrM.fa"
    ref.parent.mkdir()
    ref.write_bytes(CHRM.read_bytes())
    return ref


@needs_vcf_reader
def test_prepare_counts_and_indexes(tmp_path: Path, chrm: Path) -> None:
    ref = chrm
    vcfs = [TEST_DATA / "labelled.vcf", TEST_DATA / "score.vcf"]
    out = tmp_path / "summary.json"
    result = CliRunner().invoke(
        main,
        ["prepare", "--reference", str(ref), *sum((["--vcf", str(v)] for v in vcfs), []), "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert Path(str(ref) + ".fai").exists()
    summary = json.loads(out.read_text())
    seq = "".join(CHRM.read_text().splitlines()[1:]).upper()
    assert summary["reference"]["contigs"] == {"chrM": len(seq)}
    for entry, vcf in zip(summary["vcfs"], vcfs, strict=True):
        # independent count from the text: one variant per ALT allele, classified by allele lengths
        alleles = [
            (int(f[1]), f[3], a) for f in (ln.split("\t") for ln in _data_lines(vcf)) for a in f[4].split(",")
        ]
        assert entry["variants"] == len(alleles)
        assert entry["snv"] == sum(len(r) == 1 and len(a) == 1 for _, r, a in alleles)
        assert entry["indel"] == sum(len(r) != len(a) for _, r, a in alleles)
        assert entry["ref_mismatch"] == sum(seq[p - 1 : p - 1 + len(r)] != r.upper() for p, r, _ in alleles)
        assert entry["contigs"] == {"chrM": len(alleles)}


@needs_vcf_reader
def test_prepare_checks_what_training_will_need(tmp_path: Path, chrm: Path) -> None:
    """Label field, INFO features and the annotation's contigs: refused here, not in the training job."""
    vcf = TEST_DATA / "labelled.vcf"
    base = ["prepare", "--reference", str(chrm), "--vcf", str(vcf), "-o", str(tmp_path / "s.json")]
    ok = CliRunner().invoke(main, [*base, "--label-field", "LABEL", "--info-features", "AF_hom,AF_het"])
    assert ok.exit_code == 0, ok.output
    bed = tmp_path / "chr1.bed"
    bed.write_text("chr1\t0\t100\tGENE\t0\t+\n")
    for extra, needle in [
        (["--label-field", "LABLE"], "INFO field(s) LABLE not declared in the header"),
        (["--info-features", "AF_hom,AF_xx"], "INFO field(s) AF_xx not declared"),
        (["--annotation", str(bed)], "chr1.bed: the annotation has no locus on the variants' contigs (chrM"),
    ]:
        (tmp_path / "s.json").unlink(missing_ok=True)
        bad = CliRunner().invoke(main, [*base, *extra])
        assert bad.exit_code == 1 and needle in bad.output, (extra, bad.output)
        assert not (tmp_path / "s.json").exists()


@needs_vcf_reader
def test_prepare_counts_ref_mismatches_and_symbolic(tmp_path: Path, chrm: Path) -> None:
    seq = "".join(CHRM.read_text().splitlines()[1:]).upper()
    header = "##fileformat=VCFv4.2\n##contig=<ID=chrM,length=16569>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    wrong = next(b for b in "ACGT" if b != seq[99])
    records = [
        f"chrM\t100\t.\t{seq[99]}\tA,<DEL>\t.\t.\t.",  # a matching REF, two ALTs, one symbolic
        f"chrM\t100\t.\t{wrong}\tT\t.\t.\t.",  # REF disagrees
        f"chrM\t16569\t.\t{seq[-1]}C\tG\t.\t.\t.",  # REF runs off the contig's end
    ]
    vcf = _write_vcf(tmp_path / "v.vcf", records, header)
    from genoseq.workflow_tools import prepare_inputs

    entry = prepare_inputs(chrm, [vcf])["vcfs"][0]
    assert {k: entry[k] for k in ("variants", "snv", "indel", "symbolic", "ref_mismatch")} == {
        "variants": 4,
        "snv": 2,
        "indel": 1,
        "symbolic": 1,
        "ref_mismatch": 2,
    }


@needs_vcf_reader
def test_prepare_reports_order_and_can_require_it(tmp_path: Path, chrm: Path) -> None:
    seq = "".join(CHRM.read_text().splitlines()[1:]).upper()
    header = "##fileformat=VCFv4.2\n##contig=<ID=chrM,length=16569>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    rows = [
        f"chrM\t{p}\t.\t{seq[p - 1]}\t{'A' if seq[p - 1] != 'A' else 'C'}\t.\t.\t." for p in (300, 100, 200)
    ]
    unsorted = _write_vcf(tmp_path / "unsorted.vcf", rows, header)
    ordered = _write_vcf(tmp_path / "sorted.vcf", sorted(rows, key=lambda r: int(r.split("\t")[1])), header)
    from genoseq.workflow_tools import prepare_inputs

    assert [v["sorted"] for v in prepare_inputs(chrm, [unsorted, ordered])["vcfs"]] == [False, True]
    base = ["prepare", "--reference", str(chrm), "--require-sorted", "-o", str(tmp_path / "s.json")]
    assert CliRunner().invoke(main, [*base, "--vcf", str(ordered)]).exit_code == 0
    bad = CliRunner().invoke(main, [*base, "--vcf", str(unsorted)])
    assert (
        bad.exit_code == 1
        and "unsorted.vcf: line 5 (chrM:100): records are not sorted: POS 100 comes after 300" in bad.output
    )


@needs_vcf_reader
def test_prepare_unknown_contig_is_one_line_error(tmp_path: Path, chrm: Path) -> None:
    vcf = _write_vcf(tmp_path / "other.vcf", _records(2))
    out = tmp_path / "summary.json"
    result = CliRunner().invoke(
        main, ["prepare", "--reference", str(chrm), "--vcf", str(vcf), "-o", str(out)]
    )
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1
    assert "chrA" in lines[0]
    assert not out.exists()


def test_report_ranks_infinite_scores_and_leaves_them_out_of_the_histogram(tmp_path: Path) -> None:
    """An infinite value was matplotlib's 'supplied range ... is not finite' (a traceback)."""
    table = tmp_path / "inf.tsv"
    table.write_text("chrom\tpos\trisk\nchrM\t1\t0.1\nchrM\t2\tinf\nchrM\t3\t-inf\nchrM\t4\t0.5\n")
    doc = render_report(table=table, top=5)
    assert "2 row(s) with an infinite risk are ranked but left out of the histogram" in doc
    assert 'alt="distribution of risk"' in doc
    ranked = [line for line in doc.splitlines() if line.startswith("<tr><td>chrM")]
    assert [row.split("</td>")[1] for row in ranked] == ['<td class="num">2', '<td class="num">4', '<td class="num">1', '<td class="num">3']
    table.write_text("chrom\tpos\trisk\nchrM\t1\tinf\n")
    assert 'alt="distribution of risk"' not in render_report(table=table, top=5)


def test_report_on_a_table_with_no_risk_at_all(tmp_path: Path) -> None:
    """An uncalibrated model's table (risk all empty; TSV reads the column as text) still reports, saying
    there is nothing to rank; a bad --sort-by names the table."""
    table = tmp_path / "u.tsv"
    table.write_text("chrom\tpos\trisk\nchrM\t1\t\nchrM\t2\t\n")
    doc = render_report(table=table, top=5)
    assert "The first 2 variants (none has a risk to rank by): u.tsv" in doc
    with pytest.raises(ConfigError, match=r"u\.tsv: column 'nope' is not in the table"):
        render_report(table=table, sort_by="nope")


def test_vcfs_on_contigs_past_512_mbp_get_a_csi_index(tmp_path: Path) -> None:
    """A .tbi addresses 2^29 positions: the annotated and the gathered VCF of a longer contig (wheat,
    barley, conifers) failed with 'building of index ... failed', naming a temporary file."""
    from genoseq.variants.vcf_out import VcfAnnotator

    long_header = HEADER.replace("##contig=<ID=chrB,length=50>", "##contig=<ID=chrB,length=600000120>")
    records = ["chrA\t3\ta\tA\tG\t.\tPASS\tDP=1", "chrB\t600000000\tb\tT\tC\t.\tPASS\tDP=2"]
    vcf = _write_vcf(tmp_path / "long.vcf", records, long_header)
    out = tmp_path / "ann.vcf.gz"
    Path(f"{out}.tbi").write_bytes(b"an older output's index")
    meta = {"model": "m", "model_sha256": "x", "strand": "both"}
    with VcfAnnotator(vcf, out, ["ref_score"], meta):
        pass  # nothing scored: every record copied
    assert Path(f"{out}.csi").exists() and not Path(f"{out}.tbi").exists()
    with pysam.VariantFile(str(out)) as vf:
        assert [r.id for r in vf.fetch("chrB", 599_999_990, 600_000_010)] == ["b"]
    gathered = tmp_path / "all.vcf.gz"
    assert gather_vcfs([vcf, _write_vcf(tmp_path / "empty.vcf", [], long_header)], gathered) == 2
    assert Path(f"{gathered}.csi").exists() and not Path(f"{gathered}.tbi").exists()
    with pysam.VariantFile(str(gathered)) as vf:
        assert [r.id for r in vf.fetch("chrB", 599_999_990, 600_000_010)] == ["b"]
    # without the contig's length nothing tells before the records: a clear error, nothing left
    undeclared = _write_vcf(tmp_path / "short_header.vcf", records, HEADER)
    with pytest.raises(InputFormatError, match=r"reaching position 600,000,000 is past what a \.tbi index"):
        gather_vcfs([undeclared], tmp_path / "bad.vcf.gz")
    assert not list(tmp_path.glob("*bad.vcf.gz*"))
    # an SV whose END (not its POS) passes 2^29 is told the same way
    sv = _write_vcf(tmp_path / "sv.vcf", ["chrB\t536870000\tsv\tA\t<DEL>\t.\tPASS\tEND=536880000"], HEADER)
    with pytest.raises(InputFormatError, match=r"reaching position 536,880,000 is past"):
        gather_vcfs([sv], tmp_path / "bad.vcf.gz")


def test_plots_leave_the_callers_matplotlib_backend_alone(tmp_path: Path) -> None:
    """The ISM heat map and the report's histogram switched the process to Agg (a notebook lost its backend)."""
    import matplotlib
    import numpy as np

    from genoseq.variants.ism import ism_heatmap
    from genoseq.workflow_tools import _histogram_png

    before = matplotlib.get_backend()
    try:
        matplotlib.use("svg")
        ism = pl.DataFrame({"chrom": ["c"] * 6, "pos": [1, 1, 1, 2, 2, 2], "ref": ["A"] * 3 + ["C"] * 3,
                            "alt": ["C", "G", "T", "A", "G", "T"], "diff": np.arange(6.0)})  # fmt: skip
        assert ism_heatmap(ism, tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"
        assert _histogram_png([0.1, 0.5, 0.9], "risk")[:4] == b"\x89PNG"
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)


def test_report_refuses_to_overwrite_a_plot_it_embeds_and_unwritable_outputs_are_refused_first(tmp_path: Path) -> None:
    """report -o onto a --plots PNG (or one in a --plots directory) replaced it with the HTML; an output
    link into an unwritable place, or an --out-dir there, failed only after the work."""
    plots = tmp_path / "plots"
    plots.mkdir()
    png = _png(plots / "a.png")
    before = png.read_bytes()
    metrics = tmp_path / "m.json"
    metrics.write_text('{"auroc": 0.5}')
    for embedded in (png, plots):
        result = CliRunner().invoke(main, ["report", "--metrics", str(metrics), "--plots", str(embedded), "-o", str(png)])
        assert result.exit_code == 1 and "is also an input" in result.output, result.output
    assert png.read_bytes() == before
    link = tmp_path / "out.html"
    link.symlink_to("/proc/self/nowhere/out.html")
    result = CliRunner().invoke(main, ["report", "--metrics", str(metrics), "-o", str(link)])
    assert result.exit_code == 1 and "cannot write in /proc" in result.output, result.output
    vcf = _write_vcf(tmp_path / "v.vcf", _records(4))
    dangling = tmp_path / "shards"
    dangling.symlink_to(tmp_path / "missing" / "dir")
    for out_dir, problem in (("/proc/x", "cannot write in /proc"), (str(dangling), "which does not exist")):
        result = CliRunner().invoke(main, ["split-vcf", str(vcf), "--shards", "2", "--out-dir", out_dir])
        assert result.exit_code == 1 and problem in result.output, result.output
