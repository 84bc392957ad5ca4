"""FASTA/FASTQ readers and write_fasta, checked against a slow line-by-line reference parser."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
from pathlib import Path

import pysam
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import genoseq.io._fasta as fasta_module
from genoseq.errors import GenoseqError, InputFormatError
from genoseq.io import (
    FastaRecord,
    FastqRecord,
    InputFileNotFoundError,
    InputIsADirectoryError,
    read_fasta,
    read_fastq,
    read_fastx,
    write_fasta,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="module")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("shared data (../shared/data) not available")
    return SHARED


# -- independent slow reference implementations --------------------------------------------------


def slow_fasta(data: bytes) -> list[tuple[str, str, str]]:
    """(name, description, sequence) per record, parsing line by line with str methods."""
    records: list[list] = []
    for line in data.decode().splitlines():
        if line.startswith(">"):
            desc = line[1:].rstrip()
            records.append([desc.split()[0], desc, []])
        elif records:
            records[-1][2].append("".join(line.split()))
    return [(n, d, "".join(parts)) for n, d, parts in records]


def slow_fastq(data: bytes) -> list[tuple[str, str, str, str]]:
    lines = [line for line in data.decode().splitlines()]
    out = []
    for i in range(0, len(lines) - len(lines) % 4, 4):
        desc = lines[i][1:].rstrip()
        out.append((desc.split()[0], desc, lines[i + 1].strip(), lines[i + 3].strip()))
    return out


def as_tuples(records) -> list[tuple]:
    return [(r.name, r.description, r.sequence) for r in records]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


# -- valid input -----------------------------------------------------------------------------------

MIXED = (
    b">chr1 first record, soft-masked\nACGTacgtNNNNRYKMSWBDHV\nacgtnACGT\n"
    b">empty\n"
    b">gaps x\nAC-GT.*N\n\n"
    b">last\nNNNNNNNNNN\nNNNNN"
)


def test_keeps_case_iupac_and_n_runs(tmp_path):
    p = write(tmp_path, "m.fa", MIXED)
    got = list(read_fasta(p))
    assert as_tuples(got) == slow_fasta(MIXED)
    assert got[0] == FastaRecord("chr1", "chr1 first record, soft-masked", "ACGTacgtNNNNRYKMSWBDHVacgtnACGT")
    assert got[1].sequence == ""
    assert got[3].sequence == "N" * 15


def test_windows_line_endings(tmp_path):
    p = write(tmp_path, "crlf.fa", MIXED.replace(b"\n", b"\r\n"))
    assert as_tuples(read_fasta(p)) == slow_fasta(MIXED)


def test_utf8_byte_order_mark_is_skipped(tmp_path):
    bom = b"\xef\xbb\xbf"
    assert as_tuples(read_fasta(write(tmp_path, "bom.fa", bom + MIXED))) == slow_fasta(MIXED)
    assert [r.sequence for r in read_fastx(write(tmp_path, "bom.fq", bom + FASTQ))] == ["ACGTN", "acgt", ""]


def test_io_does_not_import_torch():
    code = "import sys, genoseq.io as io; [getattr(io, n) for n in io.__all__]; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_whitespace_inside_lines_is_removed(tmp_path):
    p = write(tmp_path, "ws.fa", b"\n\n>a  desc \nAC GT\tAC\n  GT\n")
    assert as_tuples(read_fasta(p)) == [("a", "a  desc", "ACGTACGT")]


@pytest.mark.parametrize("compress", ["gzip", "bgzip"])
def test_compressed(tmp_path, compress):
    plain = write(tmp_path, "p.fa", MIXED)
    out = tmp_path / "c.fa.gz"
    if compress == "gzip":
        out.write_bytes(gzip.compress(MIXED))
    else:
        pysam.tabix_compress(str(plain), str(out), force=True)
    assert as_tuples(read_fasta(out)) == slow_fasta(MIXED)


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(MIXED)))
    assert as_tuples(read_fasta("-")) == slow_fasta(MIXED)


def test_gzip_on_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(gzip.compress(MIXED))))
    assert as_tuples(read_fastx("-")) == slow_fasta(MIXED)


@pytest.mark.parametrize("data", [b"", b"\n\n  \r\n"])
def test_empty_file_gives_no_records(tmp_path, data):
    p = write(tmp_path, "e.fa", data)
    assert list(read_fasta(p)) == []
    assert list(read_fastq(p)) == []
    assert list(read_fastx(p)) == []


def test_small_blocks_records_span_refills(tmp_path, monkeypatch):
    """Tiny read blocks force records and headers across block boundaries and buffer growth."""
    data = b"".join(b">r%d d\n%s\n" % (i, b"\n".join([b"ACGTN" * 3] * i)) for i in range(12))
    p = write(tmp_path, "many.fa", data)
    for chunk in (1, 3, 7, 16, 64):
        monkeypatch.setattr(fasta_module, "CHUNK", chunk)
        assert as_tuples(read_fasta(p)) == slow_fasta(data), chunk


def test_many_short_records_of_every_kind(tmp_path, monkeypatch):
    """Blocks of short records: the vectorised fast path and the general path give one answer.

    Upper, lower and mixed case, gaps, empty records, blank lines, trailing spaces,
    tabs and non-ASCII text in headers, a name after leading spaces, long records
    inside a block; several read sizes so records fall on block edges.
    """
    kinds = [
        b">r%d plain\nACGTACGTAC\nGTNN\n",
        b">r%d soft masked\nACGTacgtNNnnRYkm\n",
        b">r%d\n",
        b">r%d gaps\nAC-GT\n.*N\n",
        b">r%d blank lines\nACGT\n\nACGT\n\n",
        b">r%d trailing space  \nAC GT \nACGT\n",
        b">r%d\ttabbed\tdescription\nACGT\n",
        b">r%d caf\xc3\xa9 \xce\xb1\nACGT\n",
        b">   r%d after spaces\nAAAA\n",
        b">r%d long\n" + b"\n".join([b"ACGTN" * 12] * 200) + b"\n",
    ]
    ascii_kinds = [kind for kind in kinds if kind.isascii()]  # a non-ASCII byte sends a whole block
    for chosen in (ascii_kinds, kinds):  # to the general path; other records one by one
        data = b"".join(chosen[i % len(chosen)] % i for i in range(400))
        p = write(tmp_path, "kinds.fa", data)
        expected = slow_fasta(data)
        for chunk in (1 << 20, 4096, 333):
            monkeypatch.setattr(fasta_module, "CHUNK", chunk)
            assert as_tuples(read_fasta(p)) == expected, chunk
    plain = b"".join(kinds[i % 2] % i for i in range(3000))  # the fast path only
    assert as_tuples(read_fasta(write(tmp_path, "plain.fa", plain))) == slow_fasta(plain)
    crlf = data.replace(b"\n", b"\r\n")
    assert as_tuples(read_fasta(write(tmp_path, "crlf.fa", crlf))) == expected


def test_bad_record_inside_a_block_of_short_records_names_its_line(tmp_path):
    lines = [b">r%d\nACGT" % i for i in range(2000)]
    lines[1500] = b">r1500\nAC9T"
    p = write(tmp_path, "bad.fa", b"\n".join(lines) + b"\n")
    with pytest.raises(InputFormatError, match=r"line 3002: invalid character '9' .*record 'r1500'"):
        list(read_fasta(p))
    lines[1500] = b"> \nACGT"
    p = write(tmp_path, "noname.fa", b"\n".join(lines) + b"\n")
    with pytest.raises(InputFormatError, match=r"line 3001: empty header"):
        list(read_fasta(p))


def test_context_manager_closes(tmp_path):
    p = write(tmp_path, "m.fa", MIXED)
    with read_fasta(p) as records:
        first = next(records)
    assert first.name == "chr1"
    with pytest.raises(StopIteration):
        next(records)


def test_close_stops_a_running_for_loop(tmp_path):
    """Records already parsed in a batch are not handed out after close()."""
    p = write(tmp_path, "many.fa", b"".join(b">r%d\nACGT\n" % i for i in range(5000)))
    records = read_fasta(p)
    seen = 0
    for _ in records:
        seen += 1
        if seen == 3:
            records.close()
    assert seen == 3


def test_first_bad_character_of_a_long_record_is_named(tmp_path):
    """A long fixed-width record with bad bytes in its first and last line: the first is reported."""
    lines = [b"A" * 100] * 100
    lines[0] = b"ACGT1" + b"A" * 95
    lines[-1] = b"1AAA"
    p = write(tmp_path, "bad.fa", b">a\nAC\n>b\n" + b"\n".join(lines) + b"\n>c\nAC\n")
    with pytest.raises(InputFormatError, match=r"line 4: invalid character '1' .*record 'b' \(column 5\)"):
        list(read_fasta(p))


def test_records_are_frozen(tmp_path):
    rec = next(iter(read_fasta(write(tmp_path, "m.fa", MIXED))))
    with pytest.raises(AttributeError):
        rec.sequence = "A"  # type: ignore[misc]


def test_real_genomes_match_pysam_and_biopython(shared):
    from Bio.SeqIO.FastaIO import SimpleFastaParser

    genomes = (shared / "genomes").iterdir()
    # FASTA files only: not a .fai another program may have left beside one
    files = sorted(p for p in genomes if p.name.endswith((".fa", ".fasta", ".fa.gz"))) + [shared / "mito" / "chrM.fa"]
    for path in files:
        ours = list(read_fasta(path))
        theirs = [(r.name, r.sequence) for r in pysam.FastxFile(str(path))]
        assert [(r.name, r.sequence) for r in ours] == theirs, path
        with open(path) as fh:
            assert [(r.description, r.sequence) for r in ours] == list(SimpleFastaParser(fh)), path
    chrm = next(iter(read_fasta(shared / "mito" / "chrM.fa")))
    assert len(chrm.sequence) == 16569
    assert chrm.sequence[3106] == "N"  # the rCRS placeholder at 3107 (1-based)


# -- FASTQ -----------------------------------------------------------------------------------------

FASTQ = b"@r1 desc\nACGTN\n+\nIIII#\n@r2\nacgt\n+r2\n!!~~\n@r3\n\n+\n\n"


def test_fastq(tmp_path):
    p = write(tmp_path, "r.fq", FASTQ)
    got = list(read_fastq(p))
    assert [(r.name, r.description, r.sequence, r.quality) for r in got] == slow_fastq(FASTQ)
    assert got[0] == FastqRecord("r1", "r1 desc", "ACGTN", "IIII#")
    assert [(r.name, r.sequence, r.quality) for r in read_fastx(p)] == [
        (n, s, q) for n, _, s, q in slow_fastq(FASTQ)
    ]
    crlf = write(tmp_path, "crlf.fq", FASTQ.replace(b"\n", b"\r\n"))
    assert [(r.sequence, r.quality) for r in read_fastq(crlf)] == [(s, q) for _, _, s, q in slow_fastq(FASTQ)]


def test_multiline_fastq_quality_may_start_with_at(tmp_path):
    p = write(tmp_path, "ml.fq", b"@a\nACGT\nAC\n+\n@III\nII\n@b\nA\n+\n@\n")
    assert [(r.name, r.sequence, r.quality) for r in read_fastq(p)] == [
        ("a", "ACGTAC", "@IIIII"),
        ("b", "A", "@"),
    ]


def test_fastq_trailing_whitespace_is_dropped_on_quality_lines_as_on_sequence_lines(tmp_path):
    p = write(tmp_path, "ws.fq", b"@a\nACGT \n+\nIIII \t\n@b\nAC\n+\nII\n")
    assert [(r.sequence, r.quality) for r in read_fastq(p)] == [("ACGT", "IIII"), ("AC", "II")]


@pytest.mark.parametrize("reader", [read_fastq, read_fasta, read_fastx])
def test_sam_text_is_refused_as_sam(tmp_path, reader):
    p = write(
        tmp_path, "a.sam", b"@HD\tVN:1.6\n@SQ\tSN:chr1\tLN:9\nr1\t0\tchr1\t1\t60\t4M\t*\t0\t0\tACGT\tIIII\n"
    )
    with pytest.raises(InputFormatError, match=r"a\.sam: line 1: SAM text, not .*samtools fastq"):
        list(reader(p))


def test_fastq_without_plus_lines_is_refused_before_it_is_held_whole(tmp_path, monkeypatch):
    # the sequence lines were all held, to the end of the file, before any was checked
    import genoseq.io.fastx as fastx

    monkeypatch.setattr(fastx, "_CHECK_BYTES", 4096)  # checked 4 kB at a time
    p = write(tmp_path, "x.fq", b"@r1\nACGT\n" + b"AC\tGT:x\n" * 100_000)
    with pytest.raises(
        InputFormatError, match=r"x\.fq: line 3: invalid character ':' .*record 'r1' \(column 6\)"
    ):
        list(read_fastq(p))


def test_fastq_matches_pysam(tmp_path):
    two_records = FASTQ[: FASTQ.index(b"@r3")]
    p = write(tmp_path, "r.fq.gz", gzip.compress(two_records))
    theirs = [(r.name, r.sequence, r.quality) for r in pysam.FastxFile(str(p))]
    assert [(r.name, r.sequence, r.quality) for r in read_fastq(p)] == theirs


# -- bad input: exception type AND the file named in the message -----------------------------------

BINARY = bytes(range(256)) * 8


@pytest.mark.parametrize(
    ("reader", "data", "fragment"),
    [
        (read_fasta, b"@r1\nACGT\n+\nIIII\n", "looks like FASTQ"),
        (read_fasta, b"hello world, this is text\n", "not FASTA"),
        (read_fasta, BINARY, "binary"),
        (read_fasta, b">a\nACGT\nAC1T\n", "line 3"),
        (read_fasta, b">a\nACGTAC\nACGTAC\nACG!AC\nA\n", "line 4"),
        (read_fasta, b">a\nACGTAC\nACGTAC\nAC\x00TAC\nA\n", "byte 0x00"),
        (read_fasta, b">a\nAC\xc3\xa9T\n", "line 2"),
        (read_fasta, b">\nACGT\n", "empty header"),
        (read_fasta, b">ok\x00\nACGT\n", "control characters"),
        (read_fastq, b">a\nACGT\n", "looks like FASTA"),
        (read_fastq, b"@a\nACGT\n+\nIII\n", "quality"),
        (read_fastq, b"@a\nACGT\n+\nIII\n@b\nAC\n+\nII\n", "line 4: record 'a': the quality on line 4 has 3"),
        (read_fastq, b"@a\nACGT\nIIII\n", "no '+' line"),
        (read_fastq, b"@a\nACGT\n+\nII I\n", "quality character"),
        (read_fastq, b"@a\nAC1T\n+\nIIII\n", "invalid character '1'"),
        (read_fastq, b"@a\nACGT\n+\nIIII\nACGT\n", "line 5"),
        (read_fastq, b"@a\nACGT\n+\nIIII\n>b\nACGT\n", "line 5: expected a FASTQ record header"),
        (read_fastx, b"random text\n", "not FASTA or FASTQ"),
        (read_fastx, BINARY, "binary"),
    ],
)
def test_bad_input(tmp_path, reader, data, fragment):
    p = write(tmp_path, "bad.txt", data)
    with pytest.raises(InputFormatError) as info:
        list(reader(p))
    assert str(p) in str(info.value)
    assert fragment in str(info.value)


@pytest.mark.parametrize("reader", [read_fasta, read_fastq, read_fastx])
def test_missing_file_and_directory(tmp_path, reader):
    missing = tmp_path / "nope.fa"
    with pytest.raises(InputFileNotFoundError, match="no such file") as info:
        reader(missing)
    assert str(missing) in str(info.value)
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, GenoseqError)
    with pytest.raises(InputIsADirectoryError, match="is a directory") as info:
        reader(tmp_path)
    assert str(tmp_path) in str(info.value)
    assert isinstance(info.value, IsADirectoryError)


@pytest.mark.parametrize("reader", [read_fasta, read_fastq])
def test_truncated_gzip(tmp_path, reader):
    record = b">x\n" if reader is read_fasta else b"@x\n"
    body = b"ACGT" * 20000 + b"\n" + (b"+\n" + b"I" * 80000 + b"\n" if reader is read_fastq else b"")
    data = gzip.compress(record + body)
    p = write(tmp_path, "t.gz", data[: len(data) // 2])
    with pytest.raises(InputFormatError, match="truncated") as info:
        list(reader(p))
    assert str(p) in str(info.value)


def test_bad_record_after_good_ones_names_its_line(tmp_path):
    p = write(tmp_path, "late.fa", b">a\nACGT\n>b\nAC\nGT\n>c\nAC%T\n")
    records = read_fasta(p)
    assert next(records).name == "a"
    assert next(records).name == "b"
    with pytest.raises(InputFormatError, match=r"line 7: invalid character '%' .*record 'c'"):
        next(records)


# -- round trips -----------------------------------------------------------------------------------

names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.|:-", min_size=1, max_size=12
)
descriptions = st.one_of(st.just(""), st.text(alphabet="abc XYZ=;,0123", max_size=20).map(str.strip))
sequences = st.text(alphabet="ACGTNacgtnRYKMSWBDHVrykmswbdhv-", max_size=300)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(st.tuples(names, descriptions, sequences), max_size=6),
    line_width=st.one_of(st.none(), st.integers(1, 80)),
    crlf=st.booleans(),
    compress=st.booleans(),
    chunk=st.sampled_from([5, 64, 1 << 20]),
)
def test_write_read_round_trip(tmp_path, monkeypatch, records, line_width, crlf, compress, chunk):
    monkeypatch.setattr(fasta_module, "CHUNK", chunk)
    headers = [(f"{n} {d}" if d else n, s) for n, d, s in records]
    path = tmp_path / ("rt.fa.gz" if compress else "rt.fa")
    assert write_fasta(headers, path, line_width=line_width) == len(records)
    if crlf and not compress:
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    got = list(read_fasta(path))
    assert [(r.description, r.sequence) for r in got] == headers
    assert [r.name for r in got] == [n for n, _, _ in records]
    raw = gzip.decompress(path.read_bytes()) if compress else path.read_bytes()
    assert as_tuples(got) == slow_fasta(raw)
    if line_width and not crlf:
        assert all(len(line) <= line_width for line in raw.decode().splitlines() if not line.startswith(">"))


def test_write_fasta_records_and_atomicity(tmp_path):
    recs = [FastaRecord("a", "a x", "ACGT"), FastqRecord("b", "", "GG", "II")]
    out = tmp_path / "o.fa"
    write_fasta(recs, out, line_width=3)
    assert out.read_text() == ">a x\nACG\nT\n>b\nGG\n"
    before = out.read_bytes()
    with pytest.raises(InputFormatError, match="record 2"):
        write_fasta([("ok", "ACGT"), ("bad", "AC GT")], out)
    assert out.read_bytes() == before  # the failed write left the old file untouched
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    with pytest.raises(ValueError, match="line_width"):
        write_fasta(recs, out, line_width=-1)


def test_write_fasta_takes_bytes_and_biopython_and_refuses_missing_sequences(tmp_path):
    """A frame's null sequence is an error naming the record, not the text 'None' in the file."""
    import polars as pl
    from Bio.Seq import Seq
    from Bio.SeqRecord import SeqRecord

    out = tmp_path / "o.fa"
    items = [
        ("x", b"ACGT"),
        SeqRecord(Seq("ACGTN"), id="r1", description="r1 kept"),
        SeqRecord(Seq("AC"), id="r2"),
    ]
    assert write_fasta(items, out) == 3
    assert out.read_text() == ">x\nACGT\n>r1 kept\nACGTN\n>r2\nAC\n"
    before = out.read_bytes()
    frame = pl.DataFrame({"name": ["a", "b"], "sequence": ["ACGT", None]})
    with pytest.raises(
        InputFormatError, match=r"record 2: sequence of 'b' is None, not text \(a missing value\?\)"
    ):
        write_fasta(frame.iter_rows(), out)
    with pytest.raises(InputFormatError, match="record 1: sequence of 'y' is a float, not text"):
        write_fasta([("y", 1.5)], out)
    with pytest.raises(InputFormatError, match="record 1: sequence of 'z' is not ASCII"):
        write_fasta([("z", b"ACGT\xff")], out)
    with pytest.raises(InputFormatError, match="record 1: the header is None, not text"):
        write_fasta([(None, "ACGT")], out)
    assert out.read_bytes() == before


def test_header_text_and_fastq_plus_line_names(tmp_path):
    """A no-break space is text (web pages, spreadsheets), a control character is not; a FASTQ '+' line
    that repeats another read's name means records out of step."""
    from genoseq.io import read_fastq

    path = tmp_path / "nbsp.fa"
    path.write_bytes(b">a\xc2\xa0desc\nACGT\n")
    assert [(r.name, r.sequence) for r in read_fasta(path)] == [("a", "ACGT")]
    path.write_bytes(b">a\x01b\nACGT\n")
    with pytest.raises(InputFormatError, match="line 1: binary data: control characters"):
        list(read_fasta(path))
    fq = tmp_path / "r.fq"
    fq.write_bytes(b"@r1 x\nACGT\n+r1 x\nIIII\n@r2\nAC\n+\nII\n")
    assert [r.name for r in read_fastq(fq)] == ["r1", "r2"]
    fq.write_bytes(b"@r1\nACGT\n+r2\nIIII\n")
    with pytest.raises(
        InputFormatError, match="line 3: the '\\+' line names 'r2', not the record's own name 'r1'"
    ):
        list(read_fastq(fq))


def test_multiline_fastq_checked_in_blocks_names_the_right_line(tmp_path, monkeypatch):
    import genoseq.io.fastx as fastx

    monkeypatch.setattr(fastx, "_CHECK_BYTES", 20)  # two or three lines a block
    lines = [b"ACGTACGT\n"] * 7
    good = write(tmp_path, "g.fq", b"@r\n" + b"".join(lines) + b"+\n" + b"I" * 56 + b"\n")
    assert [r.sequence for r in read_fastq(good)] == ["ACGTACGT" * 7]
    for bad_at in (0, 3, 6):  # the first, a middle and the last sequence line
        text = lines.copy()
        text[bad_at] = b"ACGTAC:T\n"
        bad = write(tmp_path, "b.fq", b"@r\n" + b"".join(text) + b"+\n" + b"I" * 56 + b"\n")
        with pytest.raises(
            InputFormatError, match=rf"line {bad_at + 2}: invalid character ':' .*\(column 7\)"
        ):
            list(read_fastq(bad))


def test_running_out_of_memory_on_a_long_record_is_said_so(tmp_path, monkeypatch):
    """A record longer than the buffer grows it; a MemoryError there became an AttributeError
    (``'_Buffer' object has no attribute 'arr'``) from the clean-up, a traceback at the CLI."""
    from click.testing import CliRunner

    from genoseq.cli import main

    path = tmp_path / "long.fa"
    path.write_text(">r\n" + "A" * (3 * fasta_module.CHUNK) + "\n")

    def no_memory(*args):
        raise MemoryError

    monkeypatch.setattr(fasta_module, "bytes", no_memory, raising=False)  # the buffer's growth
    with pytest.raises(MemoryError):
        list(read_fasta(path))
    result = CliRunner().invoke(main, ["info", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert result.output.startswith("genoseq: error: out of memory: the input needed more memory"), result.output
