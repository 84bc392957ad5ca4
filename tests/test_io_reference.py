"""Reference (indexed FASTA) and contig-name harmonisation, against slicing a fully parsed FASTA."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pysam
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import genoseq.io.reference as reference_module
from genoseq.errors import InputFormatError, UnknownContigError
from genoseq.io import (
    ContigResolver,
    InputFileNotFoundError,
    InputIsADirectoryError,
    Reference,
    contig_key,
    harmonise_contig,
    parse_region,
    write_fasta,
)


def slow_sequences(path: Path) -> dict[str, str]:
    """Whole sequences by name, parsed line by line (the independent reference)."""
    seqs: dict[str, list[str]] = {}
    name = None
    for line in path.read_text().splitlines():
        if line.startswith(">"):
            name = line[1:].split()[0]
            seqs[name] = []
        elif name is not None:
            seqs[name].append(line.strip())
    return {k: "".join(v) for k, v in seqs.items()}


def slow_fetch(seq: str, start: int, end: int) -> str:
    return "".join(seq[i] if 0 <= i < len(seq) else "N" for i in range(start, end))


CONTIGS = {"chr1": "ACGTacgtNNNNRYKMacgtACGTTTGA" * 3, "chr2": "GGGCCCAAAT", "chrM": "nnnACGTACGTAAA"}


@pytest.fixture
def fasta(tmp_path) -> Path:
    path = tmp_path / "ref.fa"
    write_fasta(list(CONTIGS.items()), path, line_width=7)
    return path


def test_fetch_matches_slicing(fasta):
    with Reference(fasta) as ref:
        assert ref.contigs == list(CONTIGS)
        for name, seq in CONTIGS.items():
            assert ref.length(name) == len(seq)
            assert ref.fetch(name, 0, len(seq)) == seq
            assert ref.fetch(name) == seq
            for start in range(0, len(seq), 5):
                assert ref.fetch(name, start, min(start + 9, len(seq))) == seq[start : start + 9]
    assert fasta.with_suffix(".fa.fai").exists()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(list(CONTIGS)), start=st.integers(-30, 100), size=st.integers(0, 60))
def test_padded_fetch(fasta, name, start, size):
    with Reference(fasta) as ref:
        got = ref.fetch(name, start, start + size, pad=True)
    assert got == slow_fetch(CONTIGS[name], start, start + size)
    assert len(got) == size


def test_out_of_range_without_pad(fasta):
    with Reference(fasta) as ref:
        for start, end in [(-1, 5), (5, 11), (11, 12)]:
            with pytest.raises(InputFormatError) as info:
                ref.fetch("chr2", start, end)
            msg = str(info.value)
            assert str(fasta) in msg and "chr2" in msg and f"{start}-{end}" in msg
        with pytest.raises(InputFormatError, match="start 5 > end 3"):
            ref.fetch("chr2", 5, 3, pad=True)
        assert ref.fetch("chr2", 10, 10) == ""


def test_contig_names_are_harmonised(fasta):
    with Reference(fasta) as ref:
        assert ref.resolve("1") == "chr1"
        assert ref.resolve("CHR2") == "chr2"
        for alias in ("MT", "M", "chrMT", "chrM"):
            assert ref.resolve(alias) == "chrM"
            assert ref.fetch(alias, 3, 7) == "ACGT"
        assert "MT" in ref and "chr9" not in ref
        with pytest.raises(UnknownContigError) as info:
            ref.fetch("chr9", 0, 1)
        assert str(fasta) in str(info.value) and "'chr9'" in str(info.value)
        assert isinstance(info.value, KeyError) and isinstance(info.value, InputFormatError)


def test_contig_key_and_helpers():
    assert [contig_key(n) for n in ("chr1", "Chr1", "CHR1", "1", "chrM", "chrMT", "M", "MT", "chrX")] == [
        "1", "1", "1", "1", "MT", "MT", "MT", "MT", "X",
    ]  # fmt: skip
    assert harmonise_contig("1", ["chr1", "chr2"]) == "chr1"
    assert harmonise_contig("chrM", ["MT"]) == "MT"
    assert harmonise_contig("3", ["chr1"]) is None
    with pytest.raises(UnknownContigError, match="ambiguous"):
        ContigResolver(["chr1", "1"], "x.fa").resolve("CHR1")
    assert ContigResolver(["chr1", "1"], "x.fa").resolve("1") == "1"  # exact match wins


def test_parse_region():
    assert parse_region("chr1:1,001-2,000") == ("chr1", 1000, 2000)
    assert parse_region("chr1") == ("chr1", None, None)
    assert parse_region("chr1:5-") == ("chr1", 4, None)
    # an end alone is from the first base, as htslib reads it (it was taken as a contig 'chr1:-5')
    assert parse_region("chr1:-5") == parse_region("chr1:-5", ["chr1"]) == ("chr1", 0, 5)
    assert parse_region("chr1:-1,000") == ("chr1", 0, 1000)
    assert parse_region("{HLA-A*01:01}:3-4") == ("HLA-A*01:01", 2, 4)
    assert parse_region("HLA-A*01:01", ["HLA-A*01:01"]) == ("HLA-A*01:01", None, None)
    for bad in ("", "chr1:0-5", "chr1:9-5"):
        with pytest.raises(InputFormatError):
            parse_region(bad)
    # a start of commas only was int("")'s ValueError; commas elsewhere are skipped, as samtools does
    for bad in ("chr1:,-5", "chr1:,", "chr1:,,-"):
        with pytest.raises(InputFormatError, match="malformed region"):
            parse_region(bad, ["chr1"])
    for region, expected in [("chr1:1000-1010,", (999, 1010)), ("chr1:1,,000-1,010", (999, 1010)),
                             (",1000-1010", (999, 1010)), ("chr1:16560-,", (16559, None))]:  # fmt: skip
        region = region if region.startswith("chr1") else "chr1:" + region
        assert parse_region(region, ["chr1"]) == ("chr1", *expected)


def test_bgzip_reference(fasta, tmp_path):
    bgz = tmp_path / "ref.fa.gz"
    pysam.tabix_compress(str(fasta), str(bgz), force=True)
    with Reference(bgz) as ref:
        assert ref.fetch("chr1", 3, 40) == CONTIGS["chr1"][3:40]
    assert Path(f"{bgz}.gzi").exists()


def test_plain_gzip_is_refused_with_bgzip_hint(fasta, tmp_path):
    gz = tmp_path / "plain.fa.gz"
    gz.write_bytes(gzip.compress(fasta.read_bytes()))
    with pytest.raises(InputFormatError, match="bgzip") as info:
        Reference(gz)
    assert str(gz) in str(info.value)


def test_windows_line_endings(tmp_path):
    path = tmp_path / "crlf.fa"
    path.write_bytes(b">c1 x\r\nACGTacgt\r\nNNRY\r\n>c2\r\nAAAA\r\n")
    with Reference(path) as ref:
        assert ref.fetch("c1", 0, 12) == "ACGTacgtNNRY"
        assert ref.fetch("c1", 6, 10) == "gtNN"
        assert ref.fetch("c2") == "AAAA"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b">a\nACGT\nAC\nACGT\n", "line 4"),
        (b">a\nACGT\nACGTAC\n", "line 3"),
        (b"@r\nACGT\n+\nIIII\n", "looks like FASTQ"),
        (b"just some text\n", "not FASTA"),
        (bytes(range(256)) * 4, "binary"),
        (b"", "empty file"),
        (b">\nACGT\n", "holds no name"),
        (b"\xef\xbb\xbf>a\nACGT\n", "byte-order mark"),
    ],
)
def test_bad_reference_files(tmp_path, data, fragment):
    path = tmp_path / "bad.fa"
    path.write_bytes(data)
    with pytest.raises(InputFormatError) as info:
        Reference(path)
    assert str(path) in str(info.value) and fragment in str(info.value)


def test_missing_and_directory(tmp_path):
    with pytest.raises(InputFileNotFoundError, match="no such file"):
        Reference(tmp_path / "none.fa")
    with pytest.raises(InputIsADirectoryError, match="is a directory"):
        Reference(tmp_path)


def test_read_only_directory_falls_back_to_cache(tmp_path, caplog):
    ro = tmp_path / "read_only"
    ro.mkdir()
    fasta = ro / "ref.fa"
    write_fasta(list(CONTIGS.items()), fasta, line_width=7)
    ro.chmod(0o555)
    try:
        with Reference(fasta) as ref:
            assert ref.fetch("chr2", 0, 3) == "GGG"
            assert ref.index_path.parent == tmp_path / "cache" / "fai"
        with Reference(fasta) as ref:  # the cached index is found again
            assert ref.index_path.parent == tmp_path / "cache" / "fai"
        assert not Path(f"{fasta}.fai").exists()
        assert "not writable" in caplog.text
    finally:
        ro.chmod(0o755)


def test_nothing_writable_is_a_clear_error(fasta, monkeypatch):
    monkeypatch.setattr(reference_module, "_writable_dir", lambda d: False)
    with pytest.raises(InputFormatError, match="GENOSEQ_CACHE"):
        Reference(fasta)


def test_stale_index_is_rebuilt(fasta):
    Reference(fasta).close()
    fai = Path(f"{fasta}.fai")
    write_fasta([("other", "ACGTACGT")], fasta)
    import os

    os.utime(fai, (1, 1))  # older than the FASTA
    with Reference(fasta) as ref:
        assert ref.contigs == ["other"]


def test_an_index_of_another_file_is_rebuilt_even_when_newer(tmp_path, caplog):
    """A FASTA replaced by `mv`/`cp -p`/`rsync -a` keeps an older time than the index of the file it
    replaced: the index must not be trusted on its time stamp alone (it gave shifted bases, line
    breaks included)."""
    import os

    other = tmp_path / "y.fa"
    other.write_text(">a\nCCCCC\n>b\n" + "A" * 29 + "\n")
    Reference(other).close()
    fasta = tmp_path / "x.fa"
    fasta.write_text(">a\nACGTACGTAC\nGGGG\n>b\nTTTTTTTT\n")
    shutil.copy(f"{other}.fai", f"{fasta}.fai")
    os.utime(fasta, (1, 1))  # older than the copied index
    with caplog.at_level("WARNING", logger="genoseq"), Reference(fasta) as ref:
        assert ref.fetch("a") == "ACGTACGTACGGGG" and ref.fetch("b", 0, 3) == "TTT"
    assert "does not fit this FASTA" in caplog.text


def test_an_index_of_a_rewrapped_record_is_named_out_of_date(tmp_path):
    """A record re-wrapped to other line lengths in the same bytes fits the index's offsets, but its
    lines are not where the index says: the fetch meets a line break, named as such (the message read
    "read 10 characters where 10 bases were expected")."""
    import os

    fasta = tmp_path / "w.fa"
    fasta.write_text(">a\nTTTTT\n>m\nACGTA\nCGTAC\n>b\nGGGGG\nGGGGG\n")
    Reference(fasta).close()
    fasta.write_text(">a\nTTTTT\n>m\nACGTACG\nTAC\n>b\nGGGGG\nGGGGG\n")  # the middle record only
    os.utime(fasta, (1, 1))  # older than the index, as after mv or cp -p
    with (
        Reference(fasta) as ref,
        pytest.raises(InputFormatError, match=r"read a '\\n' among the bases.*out of date"),
    ):
        ref.fetch("m", 0, 10)


def test_records_left_out_of_the_index_do_not_make_it_misfit(tmp_path, caplog):
    """A last record reusing an earlier name (htslib indexes the first) leaves a header after the
    indexed end of the file: still the index of this FASTA, not one to rebuild on every open."""
    fasta = tmp_path / "dup.fa"
    fasta.write_text(">a\nACGT\n>b\nGG\n>a\nTTTT\n")
    for _ in range(2):
        with Reference(fasta) as ref:
            assert ref.contigs == ["a", "b"] and ref.fetch("a") == "ACGT"
    assert "does not fit" not in caplog.text


def test_a_truncated_bgzip_file_is_refused_by_every_reader(tmp_path):
    """Cut at a block boundary, a bgzip file decompresses cleanly; the missing end-of-file block tells."""
    from genoseq.io import read_bed, read_fasta

    for name, text in [
        ("r.fa", ">c1\n" + "ACGT" * 50_000 + "\n>c2\nAC\n"),
        ("r.bed", "chr1\t0\t10\n" * 20_000),
    ]:
        plain = tmp_path / name
        plain.write_text(text)
        whole = tmp_path / f"{name}.gz"
        pysam.tabix_compress(str(plain), str(whole))
        data = whole.read_bytes()
        cut = data[: data.index(b"\x1f\x8b\x08\x04", 1)]  # the first BGZF block only
        path = tmp_path / f"cut.{name}.gz"
        path.write_bytes(cut)
        readers = (
            [lambda p=path: list(read_fasta(p)), lambda p=path: Reference(p)]
            if name.endswith(".fa")
            else [lambda p=path: read_bed(p)]
        )
        for read in readers:
            with pytest.raises(InputFormatError, match="truncated bgzip file"):
                read()


def test_fetch_reads_only_the_window(tmp_path):
    """A window of a 2 Mbp contig is read through the index, not by loading the contig."""
    path = tmp_path / "big.fa"
    seq = "ACGTTGCA" * 250_000
    write_fasta([("big", seq)], path)
    import tracemalloc

    with Reference(path) as ref:
        tracemalloc.start()
        window = ref.fetch("big", 1_000_003, 1_000_103)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert window == seq[1_000_003:1_000_103]
    assert peak < 100_000


def test_shared_references(shared, tmp_path):
    # tmp copies: building an index must never write into shared/
    chrm = tmp_path / "chrM.fa"
    shutil.copy(shared / "mito" / "chrM.fa", chrm)
    seq = slow_sequences(chrm)["chrM"]
    with Reference(chrm) as ref:
        assert ref.length("MT") == 16569 == len(seq)
        assert ref.fetch("chrM", 3100, 3110) == seq[3100:3110]
        assert ref.fetch("chrM", 3106, 3107) == "N"
        assert ref.fetch("M", 16560, 16575, pad=True) == seq[16560:] + "N" * 6
    copy = tmp_path / "ex1.fa"
    shutil.copy(shared / "pysam_ex1" / "ex1.fa", copy)
    expected = slow_sequences(copy)
    with Reference(copy) as ref:
        assert ref.contigs == list(expected)
        for name, s in expected.items():
            assert ref.fetch(name, 10, 200) == s[10:200]
    truncated = tmp_path / "human_g1k_v37_truncated.fasta"
    shutil.copy(shared / "genomes" / "human_g1k_v37_truncated.fasta", truncated)
    with Reference(truncated) as ref:
        s = slow_sequences(truncated)["1"]
        assert ref.resolve("chr1") == "1"
        assert ref.fetch("chr1", 10_000, 10_100) == s[10_000:10_100]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (">a\nACGT\nACGT\n>empty\n", "record 'empty' has no sequence"),
        (">a\n>b\nACGT\n>c\n", "record 'c' has no sequence"),  # faidx skips 'a', not the last
        (">a\n\nACGT\nACGT\n", "line 2 is blank inside record 'a'"),
    ],
)
def test_why_faidx_cannot_index_is_named(tmp_path, text: str, problem: str) -> None:
    path = tmp_path / "ref.fa"
    path.write_text(text)
    with pytest.raises(InputFormatError, match=problem) as info:
        Reference(path)
    assert ".tmp" not in str(info.value) and "stderr" not in str(info.value)


def test_records_the_index_cannot_reach_are_warned_about(tmp_path, caplog) -> None:
    path = tmp_path / "dup.fa"
    path.write_text(">a\nACGT\n>a\nGGGG\n>b\n>c\nAC\n")  # a second 'a' and an empty 'b'
    with caplog.at_level("WARNING", logger="genoseq"), Reference(path) as ref:
        assert ref.contigs == ["a", "c"] and ref.fetch("a") == "ACGT"
    assert "4 record(s) but 2 in the index" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="genoseq"), Reference(tmp_path / "dup.fa"):
        pass  # the index exists now: no second scan, no second warning
    assert "record(s)" not in caplog.text
    assert reference_module._scan_records(path, block=3) == 4  # '>' split across blocks


def test_a_clean_fasta_gives_no_warning(tmp_path, caplog) -> None:
    path = tmp_path / "ok.fa"
    path.write_text(">a\nACGT\n>b\nGG\n")
    with caplog.at_level("WARNING", logger="genoseq"), Reference(path):
        pass
    assert not caplog.text


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (">r desc with spaces\nAC GT\n", 2),  # one-line record: faidx itself accepts it
        (">a\nACGT\n>r x\nACGT\nAC\tGT\n", 5),  # the last line of a record: faidx accepts it too
        (">r\nACGT\nAC G\nACGT\n", 3),  # an inner line: faidx fails on the line length
        (">r\nACGT \nACGT\n", 2),  # trailing whitespace is whitespace too
    ],
)
def test_whitespace_inside_sequence_lines_is_refused(tmp_path, text, line) -> None:
    """read_fasta drops such whitespace; faidx would fetch it as a base and shift what follows."""
    path = tmp_path / "spaced.fa"
    path.write_text(text)
    with pytest.raises(InputFormatError, match=rf"spaced.fa: line {line}: cannot index: whitespace inside"):
        Reference(path)
    assert not (tmp_path / "spaced.fa.fai").exists()  # no index is left to be trusted later


def test_scan_finds_whitespace_across_blocks_and_allows_it_in_headers(tmp_path) -> None:
    path = tmp_path / "ok.fa"
    path.write_text(">a first record\nACGT\nAC\n>b second\tone\nGGGG\n")
    assert reference_module._scan_records(path, block=3) == 2
    with Reference(path) as ref:
        assert ref.fetch("a") == "ACGTAC" and ref.fetch("b") == "GGGG"
    path.write_text(">a first record\nACGT\nAC\n>b second\tone\nGG GG\n")
    with pytest.raises(InputFormatError, match=r"line 5: .* of record 'b'"):
        reference_module._scan_records(path, block=5)


def _slow_scan(data: bytes) -> tuple:
    """Line by line: ("ok", headers) or ("err", line, record) for whitespace in a sequence line."""
    count, record = 0, ""
    for i, line in enumerate(data.split(b"\n"), start=1):
        if line.startswith(b">"):
            count += 1
            words = line[1:].split(None, 1)
            record = words[0].decode() if words else ""
        elif any(c in line for c in b" \t\v\f"):
            return ("err", i, record)
    return ("ok", count)


def test_scan_agrees_with_a_line_by_line_reading_for_any_block_size(tmp_path) -> None:
    """Lines longer than a block, headers cut by block edges, no final newline: memory stays one block."""
    import random
    import re

    rng = random.Random(7)
    path = tmp_path / "scan.fa"
    for _ in range(300):
        parts = []
        for _ in range(rng.randint(0, 4)):
            parts.append(">" + rng.choice(["a", "x y", "q\tz", "long" * rng.randint(1, 20), " lead"]))
            for _ in range(rng.randint(0, 3)):
                alphabet = "ACGTN" + (" " if rng.random() < 0.1 else "")
                parts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 70))))
        data = ("\n".join(parts) + rng.choice(["", "\n"])).encode()
        path.write_bytes(data)
        expected = _slow_scan(data)
        for block in (1, 3, 16, 1 << 20):
            try:
                got: tuple = ("ok", reference_module._scan_records(path, block=block))
            except InputFormatError as exc:
                found = re.search(r"line (\d+): .* of record '([^']*)'", str(exc))
                assert found is not None, str(exc)
                got = ("err", int(found[1]), found[2])
            assert got == expected, (block, data)


def test_fetch_on_the_minus_strand(tmp_path) -> None:
    from genoseq.errors import ConfigError
    from genoseq.tokenize import reverse_complement

    path = tmp_path / "s.fa"
    path.write_text(">chr1\nACGTRYKMnnacgtBDHVSW\nrykmbdhvsw\n")
    with Reference(path) as ref:
        for start, end in [(0, 30), (3, 9), (10, 11), (20, 30)]:
            assert ref.fetch("chr1", start, end, strand="-") == reverse_complement(
                ref.fetch("chr1", start, end)
            )
        assert ref.fetch("1", -2, 3, pad=True, strand="-") == "CGTNN"  # padding, then complemented
        assert ref.fetch("chr1", 0, 4, strand=".") == "ACGT"
        with pytest.raises(ConfigError, match="strand must be"):
            ref.fetch("chr1", 0, 4, strand="minus")


def test_fetch_coordinates_must_be_integers(tmp_path) -> None:
    from genoseq.errors import ConfigError
    from genoseq.io import Reference

    fa = tmp_path / "r.fa"
    fa.write_text(">c\nACGTACGT\n")
    with Reference(fa) as ref:
        assert ref.fetch("c", 1, 3) == "CG"
        with pytest.raises(ConfigError, match="start and end must be integers"):
            ref.fetch("c", 0.5, 3)
    with pytest.raises(ConfigError, match="expected a file path"):
        Reference(5)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("last", ["GATTACA" * 30, "GATTACA" * 30 + "ACG"])  # full last line, then a short one
def test_a_fasta_with_no_final_line_break_is_indexed(tmp_path, caplog, newline: str, last: str) -> None:
    """samtools faidx indexes a FASTA whose last line lacks its break; the index fits it."""
    fasta = tmp_path / "nonl.fa"
    seq2 = last[:210] + ("\n" + last[210:] if len(last) > 210 else "")  # lines of 210 bases
    fasta.write_bytes((">seq1\n" + "ACGT" * 50 + "\n>seq2\n" + seq2).replace("\n", newline).encode())
    for _ in range(2):  # builds the index, then trusts it
        with Reference(fasta) as ref:
            assert ref.fetch("seq2", 200, len(last)) == last[200:]
            assert ref.fetch("seq1", 196, 200) == "ACGT"
    assert "does not fit" not in caplog.text
