"""read_vcf and friends, checked against a slow text parser of the same tiny VCFs."""

from __future__ import annotations

import gzip
import math
import re
import shutil
import tempfile
from pathlib import Path

import pysam
import pytest

from genoseq.errors import InputFormatError, UnknownContigError
from genoseq.io import (
    InputFileNotFoundError,
    InputIsADirectoryError,
    Reference,
    Variant,
    count_vcf_records,
    read_vcf,
    vcf_header_info,
    write_fasta,
)

HEADER = """##fileformat=VCFv4.2
##contig=<ID=chr1,length=1000>
##contig=<ID=chr2,length=500>
##FILTER=<ID=q10,Description="low quality">
##INFO=<ID=AC,Number=A,Type=Integer,Description="allele count">
##INFO=<ID=AF,Number=A,Type=Float,Description="allele frequency">
##INFO=<ID=AD,Number=R,Type=Integer,Description="depth per allele">
##INFO=<ID=DP,Number=1,Type=Integer,Description="depth">
##INFO=<ID=DB,Number=0,Type=Flag,Description="in dbSNP">
##INFO=<ID=TAG,Number=.,Type=String,Description="tags">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO
"""

RECORDS = [
    "chr1\t10\trs1\tA\tC,G,T\t50\tPASS\tAC=1,2,3;AF=0.5,0.25,0.125;AD=10,1,2,3;DP=16;DB",
    "chr1\t20\t.\tACGT\tA\t.\tq10\tDP=7;TAG=x,y",
    "chr1\t30\tsv1\tN\t<DEL>,*\t12.5\t.\tAC=4,5",
    "chr1\t40\t.\tG\tG]chr2:100],.G\t.\tPASS\t.",
    "chr1\t50\t.\ta\tc\t.\tPASS\t.",
    "chr1\t60\t.\tR\tA\t.\tPASS\t.",
    "chr1\t70\t.\tC\t.\t.\tPASS\tDP=2",
    "chr2\t5\t.\tTTTT\tT,TT\t.\tPASS\tAD=1,2,3",
]
VCF = HEADER + "\n".join(RECORDS) + "\n"


def slow_variants(text: str) -> list[tuple]:
    """Parse VCF text with string methods (the independent reference for read_vcf)."""
    declared = re.findall(r"##INFO=<ID=(\w+),Number=([^,]+),Type=(\w+)", text)
    meta = {key: number for key, number, _ in declared}
    types = {key: kind for key, _, kind in declared}
    convert = {"Integer": int, "Float": float, "String": str}
    out = []
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        chrom, pos, vid, ref, alt, qual, flt, info = line.split("\t")[:8]
        alts = alt.split(",")
        parsed = {}
        for item in [] if info == "." else info.split(";"):
            key, _, value = item.partition("=")
            if types[key] == "Flag":
                parsed[key] = True
                continue
            values = tuple(convert[types[key]](v) for v in value.split(","))
            parsed[key] = values[0] if meta[key] == "1" else values
        for i, a in enumerate(alts):
            info_i = {}
            for key, value in parsed.items():
                if meta[key] == "A" and alt != ".":
                    info_i[key] = value[i]
                elif meta[key] == "R" and alt != ".":
                    info_i[key] = (value[0], value[i + 1])
                else:
                    info_i[key] = value
            out.append(
                (
                    chrom,
                    int(pos),
                    None if vid == "." else vid,
                    ref,
                    a,
                    info_i,
                    None if qual == "." else float(qual),
                    () if flt == "." else tuple(flt.split(";")),
                    i,
                    len(alts),
                )
            )
    return out


def as_tuples(variants) -> list[tuple]:
    return [
        (v.chrom, v.pos, v.id, v.ref, v.alt, v.info, v.qual, v.filter, v.alt_index, v.n_alts)
        for v in variants
    ]


@pytest.fixture
def vcf(tmp_path) -> Path:
    path = tmp_path / "tiny.vcf"
    path.write_text(VCF)
    return path


@pytest.fixture
def indexed(tmp_path, vcf) -> Path:
    gz = tmp_path / "tiny.vcf.gz"
    pysam.tabix_compress(str(vcf), str(gz), force=True)
    pysam.tabix_index(str(gz), preset="vcf", force=True)
    return gz


def test_multiallelic_split_matches_slow_parser(vcf):
    got = list(read_vcf(vcf))
    assert as_tuples(got) == slow_variants(VCF)
    first = got[:3]
    assert [v.alt for v in first] == ["C", "G", "T"]
    assert [v.info["AD"] for v in first] == [(10, 1), (10, 2), (10, 3)]
    assert [v.info["AC"] for v in first] == [1, 2, 3]
    assert all(v.info["DP"] == 16 and v.info["DB"] is True for v in first)
    assert got[3].info == {"DP": 7, "TAG": ("x", "y")}


def test_positions_and_symbolic_alleles(vcf):
    got = {(v.pos, v.alt): v for v in read_vcf(vcf)}
    snv = got[(10, "C")]
    assert (snv.pos, snv.start, snv.end) == (10, 9, 10)
    assert got[(20, "A")].end == 23
    symbolic = {alt for (_, alt), v in got.items() if v.is_symbolic}
    assert symbolic == {"<DEL>", "*", "G]chr2:100]", ".G", "."}
    v = Variant("chr1", 5, None, "A", "C", {"DP": 3})
    assert v.start == 4 and not v.is_symbolic
    assert hash(v) == hash(Variant("chr1", 5, None, "A", "C", {"DP": 4}))  # hashable despite the info dict
    assert v != Variant("chr1", 5, None, "A", "C", {"DP": 4})


def test_crlf_lowercase_and_iupac_are_valid(tmp_path):
    path = tmp_path / "crlf.vcf"
    path.write_bytes(VCF.replace("\n", "\r\n").encode())
    assert as_tuples(read_vcf(path)) == slow_variants(VCF)


def test_same_variants_from_vcf_gz_and_bcf(tmp_path, vcf, indexed):
    assert as_tuples(read_vcf(indexed)) == slow_variants(VCF)
    # BCF: rewrite the records without the symbolic/breakend ones pysam cannot round-trip cleanly
    simple = tmp_path / "simple.vcf"
    simple.write_text(HEADER + "\n".join([RECORDS[0], RECORDS[1], RECORDS[7]]) + "\n")
    bcf = tmp_path / "simple.bcf"
    with pysam.VariantFile(str(simple)) as src, pysam.VariantFile(str(bcf), "wb", header=src.header) as out:
        for rec in src:
            out.write(rec)
    got = as_tuples(read_vcf(bcf))
    expected = slow_variants(simple.read_text())
    assert [g[:5] + g[6:] for g in got] == [e[:5] + e[6:] for e in expected]
    pysam.tabix_index(str(bcf), preset="bcf", csi=True, force=True)
    assert [v.pos for v in read_vcf(bcf, region="2:1-10")] == [5, 5]


def slow_overlaps(text: str, contig: str, start: int, end: int) -> list[tuple]:
    return [
        v for v in slow_variants(text) if v[0] == contig and v[1] - 1 < end and v[1] - 1 + len(v[3]) > start
    ]


@pytest.mark.parametrize(
    ("region", "contig", "start", "end"),
    [
        ("chr1:15-35", "chr1", 14, 35),
        ("1:22-22", "chr1", 21, 22),
        ("chr2", "chr2", 0, 500),
        ("chr1:61-", "chr1", 60, 1000),
    ],
)
def test_region_indexed_and_streamed_agree(vcf, indexed, region, contig, start, end):
    expected = slow_overlaps(VCF, contig, start, end)
    assert as_tuples(read_vcf(indexed, region=region)) == expected
    assert as_tuples(read_vcf(vcf, region=region)) == expected


def test_a_csi_index_serves_region_queries_like_a_tbi(tmp_path, vcf):
    """bcftools index writes CSI by default (the only index for contigs over 512 Mbp)."""
    gz = tmp_path / "csi.vcf.gz"
    pysam.tabix_compress(str(vcf), str(gz), force=True)
    pysam.tabix_index(str(gz), preset="vcf", csi=True, force=True)
    assert not Path(f"{gz}.tbi").exists() and Path(f"{gz}.csi").exists()
    assert as_tuples(read_vcf(gz, region="chr1:15-35")) == slow_overlaps(VCF, "chr1", 14, 35)
    bare = tmp_path / "bare.vcf"  # no ##contig lines: the contig names come from the index
    bare.write_text("".join(line + "\n" for line in VCF.splitlines() if not line.startswith("##contig")))
    pysam.tabix_compress(str(bare), str(gz), force=True)
    pysam.tabix_index(str(gz), preset="vcf", csi=True, force=True)
    assert [v.pos for v in read_vcf(gz, region="1:15-35")] == [
        v[1] for v in slow_overlaps(VCF, "chr1", 14, 35)
    ]


def test_a_missing_number_a_value_is_missing_for_every_alt(tmp_path):
    path = tmp_path / "m.vcf"
    text = '##INFO=<ID=SA,Number=A,Type=String,Description="s">\n#CHROM'
    path.write_text(HEADER.replace("#CHROM", text) + "chr1\t10\t.\tA\tC,G\t.\t.\tAC=.;AF=.;SA=.\n")
    variants = list(read_vcf(path))
    got = [(v.alt, v.info["AC"], v.info["AF"], v.info["SA"]) for v in variants]
    assert got == [("C", None, None, "."), ("G", None, None, ".")]


def test_an_info_field_pysam_cannot_read_is_a_one_line_error(tmp_path):
    path = tmp_path / "g.vcf"
    text = '##INFO=<ID=GL,Number=G,Type=Float,Description="g">\n#CHROM'
    path.write_text(HEADER.replace("#CHROM", text) + "chr1\t10\t.\tA\tC\t.\t.\tGL=1,2,3\n")
    with pytest.raises(InputFormatError, match=r"g\.vcf: line \d+ \(chr1:10\): cannot read INFO: .*Number=G"):
        list(read_vcf(path))


@pytest.mark.parametrize(
    ("info", "problem"),
    [
        ("DP=1e3", "INFO/DP value '1e3' is not an integer"),  # htslib read it as 1
        ("DP=7x", "INFO/DP value '7x' is not an integer"),
        ("DP=7.5", "INFO/DP value '7.5' is not an integer"),
        ("AC=1,2x", "INFO/AC value '2x' is not an integer"),
        ("AF=0.5x", "INFO/AF value '0.5x' is not a number"),  # read as 0.5
        ("AF=0,5", None),  # a second value: Number=A's count check says so
    ],
)
def test_a_numeric_info_value_is_refused_not_cut_to_its_leading_number(tmp_path, info, problem):
    path = tmp_path / "n.vcf"
    path.write_text(HEADER + f"chr1\t10\t.\tA\tC\t.\t.\t{info}\n")
    with pytest.raises(InputFormatError, match=r"n\.vcf: line \d+ \(chr1:10\): ") as caught:
        list(read_vcf(path))
    if problem is not None:
        assert problem in str(caught.value)


def test_only_the_numeric_info_fields_asked_for_are_checked(tmp_path):
    path = tmp_path / "n.vcf"
    path.write_text(HEADER + "chr1\t10\t.\tA\tC\t.\t.\tDP=1e3;AF=0.5\n")
    (variant,) = read_vcf(path, check_numbers=["AF"])  # DP is not read by this caller
    assert variant.info["DP"] == 1 and variant.info["AF"] == pytest.approx(0.5)
    assert len(list(read_vcf(path, check_numbers=False))) == 1
    with pytest.raises(InputFormatError, match="INFO/DP value '1e3'"):
        list(read_vcf(path, check_numbers=["DP"]))
    from genoseq.errors import ConfigError

    with pytest.raises(ConfigError, match="not the string 'DP'"):  # it would have checked D and P
        read_vcf(path, check_numbers="DP")


def test_numeric_info_values_as_vcf_writes_them_are_read(tmp_path):
    path = tmp_path / "ok.vcf"
    info = "AC=+3;AF=1.5E-4;AD=.,2;DP=-1"
    path.write_text(HEADER + f"chr1\t10\t.\tA\tC\t.\t.\t{info}\nchr1\t11\t.\tA\tC\t.\t.\tAF=nan;DP=\n")
    first, second = read_vcf(path)
    assert (first.info["AC"], first.info["AF"], first.info["AD"], first.info["DP"]) == (
        3,
        pytest.approx(1.5e-4),
        (None, 2),
        -1,
    )
    assert math.isnan(second.info["AF"]) and second.info["DP"] is None


def test_a_region_of_an_unindexed_file_is_found_by_reading_it_all(tmp_path, vcf):
    gz = tmp_path / "noindex.vcf.gz"
    pysam.tabix_compress(str(vcf), str(gz), force=True)
    expected = slow_overlaps(VCF, "chr1", 14, 35)
    assert expected and as_tuples(read_vcf(gz, region="chr1:15-35")) == expected
    simple = tmp_path / "simple.vcf"  # the records BCF round-trips (as in the test above)
    simple.write_text(HEADER + "\n".join([RECORDS[0], RECORDS[1], RECORDS[7]]) + "\n")
    bcf = tmp_path / "noindex.bcf"
    with pysam.VariantFile(str(simple)) as src, pysam.VariantFile(str(bcf), "wb", header=src.header) as dst:
        for rec in src:
            dst.write(rec)
    assert [v.pos for v in read_vcf(bcf, region="2:1-10")] == [5, 5]
    # plain gzip (htslib reads only bgzip): read through one decompressed temporary copy per process
    from genoseq.io.vcf import _remove_plain_copies

    plain_gz = tmp_path / "plain.vcf.gz"
    plain_gz.write_bytes(gzip.compress(VCF.encode()))
    temp = Path(tempfile.gettempdir())
    before = set(temp.glob("genoseq-*.vcf"))
    assert as_tuples(read_vcf(plain_gz)) == slow_variants(VCF)
    assert as_tuples(read_vcf(plain_gz, region="chr1:15-35")) == expected
    made = set(temp.glob("genoseq-*.vcf")) - before
    assert len(made) == 1  # shared by both reads, not one per read
    _remove_plain_copies()  # what happens at exit
    assert not made & set(temp.glob("genoseq-*.vcf"))
    cut = tmp_path / "cut.vcf.gz"
    cut.write_bytes(plain_gz.read_bytes()[:-12])
    before = set(temp.glob("genoseq-*.vcf"))
    with pytest.raises(InputFormatError, match="truncated") as info:
        list(read_vcf(cut))
    assert str(cut) in str(info.value) and set(temp.glob("genoseq-*.vcf")) <= before


def test_a_stale_or_foreign_index_is_not_trusted(tmp_path, vcf, indexed, caplog):
    """An index older than its file (the VCF re-bgzipped without re-indexing) may point into the old
    data: the region is found by reading the file whole, with a warning; an index of another file
    that htslib fails on part-way is an error naming the file and the region."""
    import os

    expected = slow_overlaps(VCF, "chr1", 14, 35)
    small = tmp_path / "small.vcf"  # the index is made for the first record only, then the file grows
    small.write_text(HEADER + RECORDS[0] + "\n")
    gz = tmp_path / "grown.vcf.gz"
    pysam.tabix_compress(str(small), str(gz), force=True)
    pysam.tabix_index(str(gz), preset="vcf", force=True)
    pysam.tabix_compress(str(vcf), str(gz), force=True)
    index = Path(f"{gz}.tbi")
    os.utime(index, ns=(gz.stat().st_mtime_ns - 10**9,) * 2)
    with caplog.at_level("WARNING", logger="genoseq.io.vcf"):
        assert as_tuples(read_vcf(gz, region="chr1:15-35")) == expected
    assert "grown.vcf.gz.tbi is older than the file" in caplog.text and "tabix -f -p vcf" in caplog.text
    caplog.clear()
    os.utime(index, ns=(gz.stat().st_mtime_ns + 10**9,) * 2)  # newer again: trusted, and no warning
    with caplog.at_level("WARNING", logger="genoseq.io.vcf"):
        list(read_vcf(gz, region="chr1:15-35"))
    assert "older than the file" not in caplog.text
    foreign = tmp_path / "foreign.vcf.gz"  # another file's index: htslib reads garbage offsets
    big = tmp_path / "big.vcf"
    big.write_text(HEADER + "".join(f"chr1\t{p}\t.\tA\tC\t.\tPASS\t.\n" for p in range(1, 3000)))
    pysam.tabix_compress(str(big), str(foreign), force=True)
    pysam.tabix_index(str(foreign), preset="vcf", force=True)
    pysam.tabix_compress(str(vcf), str(foreign), force=True)
    os.utime(Path(f"{foreign}.tbi"), ns=(foreign.stat().st_mtime_ns + 10**9,) * 2)
    try:
        got = as_tuples(read_vcf(foreign, region="chr1:2000-2990"))
    except InputFormatError as exc:
        assert "foreign.vcf.gz" in str(exc) and "chr1:2000-2990" in str(exc)
    else:  # htslib may also just find nothing there; never a traceback
        assert got == slow_overlaps(VCF, "chr1", 1999, 2990)


def test_region_unknown_contig(vcf):
    with pytest.raises(UnknownContigError, match="chr7") as info:
        list(read_vcf(vcf, region="chr7:1-10"))
    assert str(vcf) in str(info.value)


def test_malformed_regions_and_regions_past_the_contig_are_errors(tmp_path, vcf):
    for region in ("chr1:abc", "chr1:", "chr1:-5-10", "chr1:1-10:3", "chr1:5-9,chr1:20-30"):
        with pytest.raises(InputFormatError, match="malformed region") as info:
            list(read_vcf(vcf, region=region))
        assert str(vcf) in str(info.value)
    ref_path = tmp_path / "ref.fa"
    write_fasta([("chr1", "A" * 1000), ("chr2", "C" * 500)], ref_path)
    with pytest.raises(InputFormatError, match=r"starts after the end of contig 'chr2' \(length 500\)"):
        read_vcf(vcf, region="chr2:600-700", reference=ref_path)
    assert list(read_vcf(vcf, region="chr2:400-", reference=ref_path)) == list(
        read_vcf(vcf, region="chr2:400-")
    )


def test_reference_harmonises_chrom(tmp_path, vcf):
    ref_path = tmp_path / "ref.fa"
    write_fasta([("1", "A" * 1000), ("2", "C" * 500)], ref_path)
    with Reference(ref_path) as ref:
        assert {v.chrom for v in read_vcf(vcf, reference=ref)} == {"1", "2"}
    assert [v.chrom for v in read_vcf(vcf, region="chr2", reference=ref_path)] == ["2", "2"]
    write_fasta([("1", "A" * 1000)], ref_path)
    with pytest.raises(UnknownContigError) as info:
        list(read_vcf(vcf, reference=ref_path))
    msg = str(info.value)
    assert str(vcf) in msg and "chr2" in msg and "line 19" in msg and str(ref_path) in msg


def test_a_contig_length_unlike_the_references_is_warned_about(tmp_path, caplog):
    """hg19's chrM (16,571 bp) against rCRS (16,569 bp): the positions may all be off, so say so."""
    ref_path = tmp_path / "ref.fa"
    write_fasta([("chrM", "ACGT" * 4142 + "A")], ref_path)  # 16,569 bp
    header = (
        "##fileformat=VCFv4.2\n##contig=<ID=MT,length={}>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    )
    body = "MT\t3\t.\tG\tA\t.\t.\t.\nMT\t7\t.\tG\tT\t.\t.\t.\n"
    for length, warned in ((16571, True), (16569, False)):
        path = tmp_path / f"v{length}.vcf"
        path.write_text(header.format(length) + body)
        caplog.clear()
        with caplog.at_level("WARNING", logger="genoseq.io.vcf"):
            assert len(list(read_vcf(path, reference=ref_path))) == 2
        expected = "the header gives contig MT length 16571, but chrM in the reference"
        assert (expected in caplog.text) is warned
        assert caplog.text.count("another genome build") == warned  # once per contig, not per record


def test_header_info_and_count(vcf, indexed):
    info = vcf_header_info(vcf)
    assert info["AC"] == ("A", "Integer", "allele count")
    assert info["AD"] == ("R", "Integer", "depth per allele")
    assert info["DP"] == (1, "Integer", "depth")
    assert info["DB"] == (0, "Flag", "in dbSNP")
    assert count_vcf_records(vcf) == count_vcf_records(indexed) == len(RECORDS)


def test_header_only_vcf_yields_nothing(tmp_path):
    path = tmp_path / "header_only.vcf"
    path.write_text(HEADER)
    assert list(read_vcf(path)) == []
    assert count_vcf_records(path) == 0


BAD = {
    "missing header": ("chr1\t10\t.\tA\tC\t.\t.\t.\n", "line 1", "missing VCF header"),
    "no fileformat": (HEADER.split("\n", 1)[1] + RECORDS[4] + "\n", "line 1", "fileformat"),
    "no #CHROM": (HEADER.rsplit("#CHROM", 1)[0] + RECORDS[4] + "\n", "line 11", "#CHROM"),
    "column count": (HEADER + "chr1\t10\t.\tA\tC\t.\n", "line 12", "column count"),
    "extra column": (HEADER + RECORDS[4] + "\textra\n", "line 12", "column count"),
    "non-integer POS": (HEADER + "chr1\t1e3\t.\tA\tC\t.\t.\t.\n", "line 12 (chr1:1e3)", "POS '1e3'"),
    "REF not DNA": (HEADER + "chr1\t10\t.\tA1\tC\t.\t.\t.\n", "line 12 (chr1:10)", "REF 'A1'"),
    "ALT not DNA": (HEADER + "chr1\t10\t.\tA\tC,X!\t.\t.\t.\n", "line 12 (chr1:10)", "ALT 'C,X!'"),
    "empty ALT": (HEADER + "chr1\t10\t.\tA\t\t.\t.\t.\n", "line 12", "ALT ''"),
    "bad QUAL": (HEADER + "chr1\t10\t.\tA\tC\thigh\t.\t.\n", "line 12", "QUAL 'high'"),
    "bad INFO type": (HEADER + "chr1\t10\t.\tA\tC\t.\t.\tDP=deep\n", "line 12", "INFO/DP"),
    "Number=A length": (HEADER + "chr1\t10\t.\tA\tC,G\t.\t.\tAC=1\n", "line 12", "INFO/AC has 1 values"),
    "blank line": (HEADER + RECORDS[4] + "\n\n" + RECORDS[5] + "\n", "line 13", "blank line"),
    "spaces": (HEADER + RECORDS[4].replace("\t", " ") + "\n", "line 12", "tabs"),
    "binary": (bytes(range(256)) * 4, "line 1", "binary"),
    "empty": ("", "", "empty file"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_vcf(tmp_path, case):
    data, where, problem = BAD[case]
    path = tmp_path / "bad.vcf"
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    with pytest.raises(InputFormatError) as info:
        list(read_vcf(path))
    msg = str(info.value)
    assert str(path) in msg and where in msg and problem in msg, msg


def test_bad_record_in_indexed_region_names_chrom_pos(tmp_path):
    plain = tmp_path / "r.vcf"
    plain.write_text(HEADER + RECORDS[4] + "\nchr1\t55\t.\tA\tZ\t.\t.\t.\n")
    gz = tmp_path / "r.vcf.gz"
    pysam.tabix_compress(str(plain), str(gz), force=True)
    pysam.tabix_index(str(gz), preset="vcf", force=True)
    with pytest.raises(InputFormatError, match=r"chr1:55: ALT 'Z'") as info:
        list(read_vcf(gz, region="chr1:1-100"))
    assert str(gz) in str(info.value)


@pytest.mark.parametrize("how", ["bgzip", "gzip"])
def test_truncated_compressed_vcf(tmp_path, how):
    body = HEADER + "\n".join(f"chr1\t{i}\t.\tA\tC\t.\tPASS\tDP={i}" for i in range(1, 900)) + "\n"
    plain = tmp_path / "big.vcf"
    plain.write_text(body)
    full = tmp_path / "full.vcf.gz"
    if how == "bgzip":
        pysam.tabix_compress(str(plain), str(full), force=True)
    else:
        full.write_bytes(gzip.compress(body.encode()))
    cut = tmp_path / "cut.vcf.gz"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size * 2 // 3])
    with pytest.raises(InputFormatError, match="truncated") as info:
        list(read_vcf(cut))
    assert str(cut) in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputFileNotFoundError, match="no such file"):
        read_vcf(tmp_path / "none.vcf")
    with pytest.raises(InputIsADirectoryError, match="is a directory"):
        count_vcf_records(tmp_path)


def test_shared_vcfs(shared, tmp_path):
    labelled = shared / "mito" / "labelled_variants.vcf"
    gnomad = shared / "mito" / "gnomad_v3.1_chrM_sites.vcf"
    assert count_vcf_records(labelled) == 805
    labels = [v.info["LABEL"] for v in read_vcf(labelled)]
    assert len(labels) == 805 and labels.count(1) == 125
    text = gnomad.read_text()
    slow = slow_variants(text)
    chrm = tmp_path / "chrM.fa"  # a tmp copy: its index must not be written into shared/
    shutil.copy(shared / "mito" / "chrM.fa", chrm)
    got = list(read_vcf(gnomad, reference=chrm))
    assert count_vcf_records(gnomad) == 18164
    assert [(v.pos, v.ref, v.alt) for v in got] == [(s[1], s[3], s[4]) for s in slow]
    assert any(len(v.ref) != len(v.alt) for v in got)  # gnomAD has indels
    assert got[1].info["AN"] == slow[1][5]["AN"]
    assert got[0].info["AF_hom"] == pytest.approx(slow[0][5]["AF_hom"], rel=1e-6)
    # indexed region query on a tmp copy agrees with streaming the plain file
    gz = tmp_path / "gnomad.vcf.gz"
    pysam.tabix_compress(str(gnomad), str(gz), force=True)
    pysam.tabix_index(str(gz), preset="vcf", force=True)
    window = [(v.pos, v.alt) for v in read_vcf(gz, region="MT:3000-3200")]
    assert window == [(v.pos, v.alt) for v in read_vcf(gnomad, region="chrM:3000-3200")]
    assert window == [(s[1], s[4]) for s in slow_overlaps(text, "chrM", 2999, 3200)]
    assert {v.chrom for v in got} == {"chrM"}


def test_info_end_is_kept_and_sets_the_end(tmp_path: Path) -> None:
    """pysam moves INFO/END out of its INFO (into rec.stop): put back, and a <DEL> ends at END."""
    header = HEADER.replace("#CHROM", '##INFO=<ID=END,Number=1,Type=Integer,Description="end">\n#CHROM')
    path = tmp_path / "sv.vcf"
    path.write_text(
        header + "chr1\t100\t.\tA\t<DEL>\t.\tPASS\tEND=200;DP=3\nchr1\t300\t.\tA\tG\t.\tPASS\t.\n"
    )
    sv, snv = list(read_vcf(path))
    assert sv.info == {"DP": 3, "END": 200} and (sv.start, sv.end) == (99, 200)
    assert snv.info == {} and (snv.start, snv.end) == (299, 300)
    # END as written: none made up from SVLEN, and a one-base block's END == POS kept
    svlen = header.replace("#CHROM", '##INFO=<ID=SVLEN,Number=A,Type=Integer,Description="l">\n#CHROM')
    other = tmp_path / "svlen.vcf"
    other.write_text(svlen + "chr1\t40\t.\tA\t<DEL>\t.\t.\tSVLEN=-50\nchr1\t60\t.\tA\t<*>\t.\t.\tEND=60\n")
    deletion, block = list(read_vcf(other))
    assert "END" not in deletion.info and block.info == {"END": 60} and block.end == 60
    gz = tmp_path / "sv.vcf.gz"
    pysam.tabix_compress(str(path), str(gz))
    pysam.tabix_index(str(gz), preset="vcf")
    inside = list(read_vcf(gz, region="chr1:160-170"))  # htslib's overlap test reads END too
    assert [v.pos for v in inside] == [100] and inside[0].end == 200
    # a contig of the header with no records: nothing, not an error (the index never saw it)
    assert list(read_vcf(gz, region="chr2:1-50")) == []


def test_pos_zero_is_refused_unless_a_telomeric_breakend(tmp_path: Path) -> None:
    path = tmp_path / "p0.vcf"
    path.write_text(HEADER + "chr1\t0\t.\tN\tA\t.\tPASS\t.\n")
    with pytest.raises(InputFormatError, match=r"line \d+ \(chr1:0\): POS 0: VCF positions start at 1"):
        list(read_vcf(path))
    path.write_text(HEADER + "chr1\t0\t.\tN\t.N\t.\tPASS\t.\n")
    assert [v.alt for v in read_vcf(path)] == [".N"]


def test_a_region_on_a_contig_the_reference_lacks_names_the_region(tmp_path: Path) -> None:
    path = tmp_path / "v.vcf"
    path.write_text(VCF)
    fasta = tmp_path / "r.fa"
    write_fasta([("chr1", "A" * 1000), ("chr2", "C" * 500)], fasta)
    with pytest.raises(UnknownContigError, match=r"v\.vcf: region 'chr7:1-100': .*unknown contig 'chr7'"):
        list(read_vcf(path, region="chr7:1-100", reference=fasta))


@pytest.mark.parametrize("find_keys", [12, 0])  # fields found by str.find, or one regex scan
def test_the_numeric_check_finds_what_the_field_by_field_check_refuses(find_keys, monkeypatch):
    import random

    import genoseq.io.vcf as vcf_module

    monkeypatch.setattr(vcf_module, "_FIND_KEYS", find_keys)
    integer, number = vcf_module._NUMBER_TEXT["Integer"], vcf_module._NUMBER_TEXT["Float"]
    numeric = {"DP": integer, "AF": number, "AF_hom": number, "D": integer, "A.B": number}
    finds_bad = vcf_module._bad_numeric_finder(numeric)
    values = ["1", "-2", "+3", "1.5", "1e3", ".5", "5.", "inf", "-INF", "nan", "x", "1x", "0x10", "1_0", "",
              ".", "1.5 ", "1e", "\u0661", "1..2", "+.5"]  # fmt: skip
    keys = ["DP", "AF", "AF_hom", "D", "TAG", "DPX", "XDP", "DB", "A.B", "AxB"]
    rng = random.Random(0)
    for _ in range(5000):
        items = [
            k if k == "DB" else k + "=" + ",".join(rng.choice(values) for _ in range(rng.randint(1, 3)))
            for k in (rng.choice(keys) for _ in range(rng.randint(1, 5)))
        ]
        text = ";".join(items)
        try:
            vcf_module._check_numeric_text(text, numeric, "p", "w")
            refused = False
        except InputFormatError:
            refused = True
        assert finds_bad(text) == refused, text


def test_a_bcf_record_with_end_and_svlen_keeps_its_end(tmp_path: Path) -> None:
    """An SV caller's END=…;SVLEN=…: the BCF reads as the VCF does (the END was dropped before)."""
    header = HEADER.replace(
        "#CHROM",
        '##INFO=<ID=END,Number=1,Type=Integer,Description="end">\n'
        '##INFO=<ID=SVLEN,Number=A,Type=Integer,Description="l">\n#CHROM',
    )
    text = tmp_path / "sv.vcf"
    text.write_text(header + "chr1\t20\t.\tA\t<DEL>\t.\t.\tEND=120;SVLEN=-100\n")
    bcf = tmp_path / "sv.bcf"
    with pysam.VariantFile(str(text)) as src, pysam.VariantFile(str(bcf), "wb", header=src.header) as out:
        for rec in src:
            out.write(rec)
    for path in (text, bcf):
        (sv,) = read_vcf(path)
        assert (sv.start, sv.end) == (19, 120) and sv.info == {"SVLEN": -100, "END": 120}, path


@pytest.mark.parametrize("indexed_file", [False, True])
def test_records_on_a_contig_the_header_leaves_out_are_found_by_region(tmp_path: Path, indexed_file) -> None:
    """The index of an indexed file names such a contig; a file read whole finds it all the same."""
    path = tmp_path / "nh.vcf"
    path.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=1000>\n"
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "chr1\t10\t.\tA\tG\t.\t.\t.\nchr2\t5\t.\tC\tT\t.\t.\t.\nchr2\t50\t.\tC\tT\t.\t.\t.\n"
    )
    if indexed_file:
        path = Path(pysam.tabix_index(str(path), preset="vcf", force=True))
    assert [(v.chrom, v.pos) for v in read_vcf(path, region="chr2")] == [("chr2", 5), ("chr2", 50)]
    assert [v.pos for v in read_vcf(path, region="chr2:40-60")] == [50]
    assert list(read_vcf(path, region="chr2:60-70")) == []
    if not indexed_file:  # (tabix, like htslib, has nothing to say of a contig it never saw)
        with pytest.raises(UnknownContigError, match="chr3"):
            list(read_vcf(path, region="chr3:1-10"))
