"""read_bed, read_alignments and coverage, against slow reference implementations."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pysam
import pytest

from genoseq.errors import InputFormatError, UnknownContigError
from genoseq.io import (
    InputFileNotFoundError,
    InputIsADirectoryError,
    Reference,
    coverage,
    read_alignments,
    read_bed,
)

# -- BED -------------------------------------------------------------------------------------------


def slow_bed(text: str) -> list[list[str]]:
    return [
        line.split("\t")
        for line in text.splitlines()
        if line.strip() and not line.startswith(("#", "track", "browser"))
    ]


BED6 = (
    "browser position chr1:1-100\n"
    'track name="t"\n'
    "# a comment\n"
    "chr1\t0\t10\tg1\t500\t+\n"
    "chr1\t5\t15\tg2\t.\t-\n"
    "chrM\t100\t100\t.\t0\t.\n"
)


def test_bed6_matches_slow_parser(tmp_path):
    path = tmp_path / "a.bed"
    path.write_text(BED6)
    df = read_bed(path)
    assert df.columns == ["chrom", "start", "end", "name", "score", "strand"]
    assert df.schema["start"] == pl.Int64 and df.schema["end"] == pl.Int64
    rows = slow_bed(BED6)
    assert df["chrom"].to_list() == [r[0] for r in rows]
    assert df["start"].to_list() == [int(r[1]) for r in rows]
    assert df["end"].to_list() == [int(r[2]) for r in rows]
    assert df["name"].to_list() == [r[3] for r in rows]
    assert df["score"].to_list() == [None if r[4] == "." else float(r[4]) for r in rows]
    assert df["strand"].to_list() == [r[5] for r in rows]


def test_bed_read_in_chunks_is_the_bed_read_at_once(tmp_path, monkeypatch):
    """Lines are packed into the frame a chunk at a time: any chunk size gives the same frame, and
    each row keeps its file line (comments and track lines counted) for error messages."""
    import genoseq.io.bed as bed_module

    path = tmp_path / "a.bed"
    body = [f"chr1\t{i}\t{i + 5}\tr{i}\t{i % 3 if i % 4 else '.'}\t{'+-.'[i % 3]}\tx{i}\n" for i in range(10)]
    path.write_text(
        "browser position chr1:1-100\ntrack name=t\n# a comment\n"
        + "".join(body[:4])
        + "# between\n\n"
        + "".join(body[4:])
    )
    whole = read_bed(path)
    frame, lines = bed_module.read_bed_lines(path)
    assert frame.equals(whole) and whole.height == 10 and whole.columns[6:] == ["col7"]
    text_lines = path.read_text().splitlines()
    assert [text_lines[n - 1].split("\t")[3] for n in lines] == [f"r{i}" for i in range(10)]
    for size in (1, 3, 10):
        monkeypatch.setattr(bed_module, "_CHUNK_LINES", size)
        assert read_bed(path).equals(whole)
        assert bed_module.read_bed_lines(path)[1].equals(lines)


def test_bed3_gzip_crlf(tmp_path):
    path = tmp_path / "a.bed.gz"
    path.write_bytes(gzip.compress(b"chr1\t1\t2\r\nchr2\t3\t9\r\n"))
    df = read_bed(path)
    assert df.columns == ["chrom", "start", "end", "name", "score", "strand"]
    assert df.select("chrom", "start", "end").rows() == [("chr1", 1, 2), ("chr2", 3, 9)]
    assert df["name"].null_count() == df["score"].null_count() == df["strand"].null_count() == 2


@pytest.mark.parametrize("first", [b"chr1\t1\t2\n", b"#chrom\tstart\tend\n"])
def test_bed_byte_order_mark_is_dropped(tmp_path, first):
    # it was read as part of the first chrom ('\ufeffchr1'), an unknown contig later on
    path = tmp_path / "bom.bed"
    path.write_bytes(b"\xef\xbb\xbf" + first + b"chr1\t3\t9\n")
    assert read_bed(path)["chrom"].to_list()[-1] == "chr1"
    assert set(read_bed(path)["chrom"].to_list()) == {"chr1"}


def test_extra_columns_named_from_header_or_numbered(tmp_path):
    with_header = tmp_path / "h.bed"
    with_header.write_text(
        "#chrom\tstart\tend\tname\tscore\tstrand\tgene_id\tbiotype\nchr1\t0\t5\tx\t0\t+\tG1\tpc\n"
    )
    assert read_bed(with_header).columns[6:] == ["gene_id", "biotype"]
    plain = tmp_path / "n.bed"
    plain.write_text("chr1\t0\t5\tx\t0\t+\tG1\tpc\n")
    df = read_bed(plain)
    assert df.columns[6:] == ["col7", "col8"]
    assert df.row(0) == ("chr1", 0, 5, "x", 0.0, "+", "G1", "pc")


def test_empty_bed(tmp_path):
    path = tmp_path / "e.bed"
    path.write_text("track name=x\n")
    df = read_bed(path)
    assert df.height == 0 and df.columns == ["chrom", "start", "end", "name", "score", "strand"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("chr1\t5\n", "line 1"),
        ("chr1\tfive\t10\n", "start 'five'"),
        ("chr1\t-1\t10\n", "start '-1'"),
        ("chr1\t10\t5\n", "end 5 is before start 10"),
        ("chr1\t1\t2\tn\tbig\t+\n", "score 'big'"),
        # Python's float() takes these; the score column's cast does not (it was a polars traceback)
        ("chr1\t10\t20\tpeak1\t5 \n", "line 1: score '5 '"),
        ("chr1\t10\t20\tpeak1\t1_000\t+\n", "score '1_000'"),
        ("chr1\t10\t20\tpeak1\t\u0665\t+\n", "score '\u0665'"),
        ("chr1\t1\t2\tn\t0\t>\n", "strand '>'"),
        ("chr1\t1\t2\nchr1\t1\t2\tn\n", "line 2"),
        ("chr1\t0\t99999999999999999999\n", "too large for a genomic coordinate"),
        ("##fileformat=VCFv4.2\n#CHROM\tPOS\nchrM\t3\n", "line 1: a VCF file, not a BED file"),
        ("@HD\tVN:1.6\n@SQ\tSN:chr1\tLN:9\n", "line 1: SAM text file, not a BED file"),
    ],
)
def test_bad_bed(tmp_path, text, fragment):
    path = tmp_path / "bad.bed"
    path.write_text(text)
    with pytest.raises(InputFormatError) as info:
        read_bed(path)
    assert str(path) in str(info.value) and fragment in str(info.value)


def test_bed_binary_truncated_missing(tmp_path):
    binary = tmp_path / "bin.bed"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputFormatError, match="binary") as info:
        read_bed(binary)
    assert str(binary) in str(info.value)
    data = gzip.compress(("chr1\t1\t2\n" * 5000).encode())
    cut = tmp_path / "cut.bed.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFormatError, match="truncated"):
        read_bed(cut)
    with pytest.raises(InputFileNotFoundError):
        read_bed(tmp_path / "none.bed")
    with pytest.raises(InputIsADirectoryError):
        read_bed(tmp_path)


def test_shared_bed(shared):
    path = shared / "mito" / "mitomap_loci.bed"
    df = read_bed(path)
    rows = slow_bed(path.read_text())
    assert df.height == len(rows) > 70
    assert df.columns == ["chrom", "start", "end", "name", "score", "strand", "col7"]
    assert df["start"].to_list() == [int(r[1]) for r in rows]
    assert set(df["strand"].to_list()) <= {"+", "-", "."}
    assert df.filter(pl.col("name") == "MT-ND6")["strand"].to_list() == ["-"]


# -- BAM -------------------------------------------------------------------------------------------


@pytest.fixture
def bam(shared, tmp_path) -> Path:
    for name in ("ex1.bam", "ex1.bam.bai", "ex1.fa"):
        shutil.copy(shared / "pysam_ex1" / name, tmp_path / name)
    return tmp_path / "ex1.bam"


def slow_overlapping(path: Path, contig: str, start: int, end: int) -> list[str]:
    with pysam.AlignmentFile(str(path)) as f:
        return [
            r.query_name
            for r in f.fetch(until_eof=True)
            if not r.is_unmapped
            and r.reference_name == contig
            and r.reference_start < end
            and r.reference_end > start
        ]


def slow_depth(path: Path, contig: str, start: int, end: int, min_mapq: int = 0) -> np.ndarray:
    depth = np.zeros(end - start, dtype=np.int64)
    with pysam.AlignmentFile(str(path)) as f:
        for r in f.fetch(until_eof=True):
            if (
                r.is_unmapped
                or r.is_secondary
                or r.is_qcfail
                or r.is_duplicate
                or r.mapping_quality < min_mapq
            ):
                continue
            if r.reference_name != contig:
                continue
            for _, ref_pos in r.get_aligned_pairs(matches_only=True):
                if start <= ref_pos < end:
                    depth[ref_pos - start] += 1
    return depth


def test_read_alignments(bam):
    got = [r.query_name for r in read_alignments(bam, "chr1:100-200")]
    assert got == slow_overlapping(bam, "chr1", 99, 200)
    assert len(got) > 10
    assert [r.query_name for r in read_alignments(bam, "1:100-200")] == got  # harmonised name
    with read_alignments(bam, "chr2") as reads:
        assert sum(1 for _ in reads) == len(slow_overlapping(bam, "chr2", 0, 10**9))


@pytest.mark.parametrize(
    ("contig", "start", "end", "mapq"), [("chr1", 0, 1575, 0), ("chr2", 500, 900, 0), ("2", 1000, 1100, 30)]
)
def test_coverage_matches_slow_depth(bam, contig, start, end, mapq):
    got = coverage(bam, contig, start, end, min_mapq=mapq)
    assert got.dtype == np.int32 and got.shape == (end - start,)
    name = "chr2" if contig == "2" else contig
    np.testing.assert_array_equal(got, slow_depth(bam, name, start, end, mapq))


def test_sam_text_is_read_whole_but_not_queried(bam, tmp_path):
    from genoseq.errors import ConfigError

    sam = tmp_path / "ex1.sam"
    with pysam.AlignmentFile(str(bam)) as src, pysam.AlignmentFile(str(sam), "w", template=src) as out:
        for r in src:
            out.write(r)
    with read_alignments(sam) as reads, read_alignments(bam) as indexed:
        assert [r.query_name for r in reads] == [r.query_name for r in indexed]
    for call in (lambda: read_alignments(sam, "chr1:100-200"), lambda: coverage(sam, "chr1", 0, 10)):
        with pytest.raises(InputFormatError, match="SAM text cannot be queried by region.*samtools index"):
            call()
    with pytest.raises(ConfigError, match="must be integers"):
        coverage(bam, "chr1", 100.0, 110)


def test_coverage_empty_interval(bam):
    got = coverage(bam, "chr1", 50, 50)
    assert got.shape == (0,) and got.dtype == np.int32


def test_coverage_min_mapq(bam):
    np.testing.assert_array_equal(
        coverage(bam, "chr1", 0, 1575, min_mapq=60), slow_depth(bam, "chr1", 0, 1575, 60)
    )
    assert coverage(bam, "chr1", 0, 1575, min_mapq=60).sum() < coverage(bam, "chr1", 0, 1575).sum()


@pytest.fixture
def cram(bam, tmp_path) -> Path:
    """``ex1.bam`` as an indexed CRAM against ``ex1.fa`` (beside it)."""
    cram = tmp_path / "ex1.cram"
    with (
        pysam.AlignmentFile(str(bam)) as src,
        pysam.AlignmentFile(
            str(cram), "wc", template=src, reference_filename=str(tmp_path / "ex1.fa")
        ) as out,
    ):
        for r in src:
            out.write(r)
    pysam.index(str(cram))
    return cram


def test_cram_with_reference(bam, cram, tmp_path):
    ref = tmp_path / "ex1.fa"
    with Reference(ref) as reference:
        names = [r.query_name for r in read_alignments(cram, "chr1:100-200", reference=reference)]
        depth = coverage(cram, "chr1", 100, 300, reference=reference)
    assert names == slow_overlapping(bam, "chr1", 99, 200)
    np.testing.assert_array_equal(depth, slow_depth(bam, "chr1", 100, 300))


def test_bam_errors(bam, tmp_path):
    noindex = tmp_path / "noindex.bam"
    shutil.copy(bam, noindex)
    with pytest.raises(InputFormatError, match="index") as info:
        read_alignments(noindex, "chr1")
    assert str(noindex) in str(info.value)
    # the whole file needs no index: streamed as written, the same mapped reads as the indexed file
    with read_alignments(noindex) as streamed, read_alignments(bam) as indexed:
        assert [r.query_name for r in streamed] == [r.query_name for r in indexed]
    with pytest.raises(UnknownContigError, match="chr9") as info:
        coverage(bam, "chr9", 0, 10)
    assert str(bam) in str(info.value)
    with pytest.raises(InputFormatError, match="outside"):
        coverage(bam, "chr1", 0, 10**6)
    text = tmp_path / "x.bam"
    text.write_text("not a bam\n")
    with pytest.raises(InputFormatError) as info:
        read_alignments(text, "chr1")
    assert str(text) in str(info.value)
    with pytest.raises(InputFileNotFoundError):
        coverage(tmp_path / "none.bam", "chr1", 0, 1)
    with pytest.raises(InputIsADirectoryError):
        read_alignments(tmp_path, "chr1")


def test_read_alignments_whole_file_and_region_errors_name_the_file(bam):
    from genoseq.errors import InputFormatError

    with pysam.AlignmentFile(str(bam)) as f:
        expected = [r.query_name for r in f.fetch(until_eof=True) if not r.is_unmapped]
    assert sorted(r.query_name for r in read_alignments(bam)) == sorted(expected)
    for region, problem in [("chr1:abc", "malformed region"), ("chr1:10-5", "end 5 is before beg 10")]:
        with pytest.raises(InputFormatError, match=problem) as info:
            read_alignments(bam, region)
        assert str(bam) in str(info.value)


def test_cram_whole_file_without_its_reference_is_an_error_not_empty(bam, cram, tmp_path, monkeypatch):
    # the index's fetch-all iterator ended quietly on the first undecodable record: 0 reads
    ref = tmp_path / "ex1.fa"
    with read_alignments(cram, reference=ref) as reads:
        assert sum(1 for _ in reads) == len(slow_overlapping(bam, "chr1", 0, 10**9)) + len(
            slow_overlapping(bam, "chr2", 0, 10**9)
        )
    ref.rename(tmp_path / "elsewhere.fa")
    for name in ("ex1.fa.fai",):
        (tmp_path / name).unlink(missing_ok=True)
    monkeypatch.setenv("REF_PATH", str(tmp_path / "none"))
    monkeypatch.setenv("REF_CACHE", str(tmp_path / "none"))
    with pytest.raises(InputFormatError, match=r"ex1\.cram.*decoded against its reference"):
        sum(1 for _ in read_alignments(cram))


def test_corrupt_bam_raises_the_read_error_not_the_close_error(bam, tmp_path):
    # htslib also fails to close a file it could not decode ("Closing failed": a FileNotFoundError)
    data = bytearray(bam.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 2000):
        data[i] ^= 0x5A
    bad = tmp_path / "bad.bam"
    bad.write_bytes(bytes(data))
    shutil.copy(tmp_path / "ex1.bam.bai", tmp_path / "bad.bam.bai")
    for call in (
        lambda: sum(1 for _ in read_alignments(bad, "chr2")),
        lambda: sum(1 for _ in read_alignments(bad)),
        lambda: coverage(bad, "chr2", 0, 1584),
    ):
        with pytest.raises(InputFormatError, match=r"bad\.bam.*cannot read"):
            call()
