"""Fuzzing the readers and tokenizers: bad input raises GenoseqError, nothing else, and never hangs.

Random bytes and mutated valid files (bytes deleted, inserted, replaced; lines dropped or
duplicated; CRLF; lower case; truncation; gzip/bgzip, possibly truncated after compression) go
through read_fasta / read_fastq / read_fastx / Reference / read_vcf / read_bed / load_table.
Each must either return records or raise a :class:`genoseq.errors.GenoseqError` subclass;
an alarm turns a hang into a failure. The tokenizers get arbitrary text.
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pysam
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genoseq.data import load_table
from genoseq.errors import GenoseqError
from genoseq.io import Reference, count_vcf_records, read_bed, read_fasta, read_fastq, read_fastx, read_vcf
from genoseq.tokenize import KmerTokenizer, OneHotEncoder, reverse_complement, sequences_to_array

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples in CI every time
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TIME_LIMIT_S = 20  # one example; far more than any of these tiny files needs

VALID_FASTA = b">chr1 first\nACGTACGTAC\nGTACGTNNNN\nacgt\n>chr2\nRYKMSWACGT\n"
VALID_FASTQ = b"@r1 one\nACGTACGTAC\n+\nIIIIIIIIII\n@r2\nNNNNacgt\n+r2\n!!!!~~~~\n"
VALID_VCF = (
    b"##fileformat=VCFv4.2\n"
    b"##contig=<ID=chr1,length=24>\n##contig=<ID=chr2,length=10>\n"
    b'##INFO=<ID=DP,Number=1,Type=Integer,Description="depth">\n'
    b'##INFO=<ID=AF,Number=A,Type=Float,Description="frequency">\n'
    b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    b"chr1\t2\trs1\tC\tG,T\t50\tPASS\tDP=3;AF=0.5,0.25\n"
    b"chr1\t5\t.\tACGT\tA\t.\t.\t.\n"
    b"chr2\t3\t.\tK\t<DEL>\t.\tPASS\tDP=1\n"
)
VALID_BED = b"#chrom\tstart\tend\tname\tscore\tstrand\nchr1\t0\t10\tgene1\t5\t+\nchr2\t2\t8\tgene2\t.\t-\n"
VALID_CSV = b"name,sequence,label\na,ACGTACGT,0\nb,TTGCAANN,1\nc,acgtRYKM,0\n"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def reference(workdir: Path) -> Reference:
    path = workdir / "ref.fa"
    path.write_bytes(b">chr1\nACGTACGTACGTACGTACGTACGT\n>chr2\nACGTNNNNAC\n")
    with Reference(path) as ref:
        yield ref


_names = itertools.count()


def _write(workdir: Path, data: bytes, suffix: str) -> Path:
    """A fresh file per example (a reused name could meet a stale .fai of the same mtime)."""
    path = workdir / f"case{next(_names)}{suffix}"
    path.write_bytes(data)
    return path


@contextlib.contextmanager
def _time_limit() -> Iterator[None]:
    def hung(signum: int, frame: object) -> None:
        raise TimeoutError(f"a reader ran for more than {TIME_LIMIT_S} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(TIME_LIMIT_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _parses_or_genoseq_error(read: Callable[[], object]) -> None:
    """Call ``read``; a GenoseqError is a fine answer to bad input, any other exception fails."""
    with _time_limit():
        try:
            read()
        except GenoseqError as exc:
            assert str(exc).strip() and "\n" not in str(exc).strip(), repr(exc)


# ----------------------------------------------------------------------------------- mutations


def _bgzip(data: bytes, workdir: Path) -> bytes:
    path = workdir / f"bgz{next(_names)}.gz"
    with pysam.BGZFile(str(path), "wb") as fh:
        fh.write(data)
    return path.read_bytes()


@st.composite
def mutated(draw: st.DrawFn, valid: bytes, workdir: Path) -> bytes:
    """``valid`` after up to four random edits, then maybe compressed and maybe cut short."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(
            st.sampled_from(["delete", "insert", "replace", "truncate", "dup_line", "drop_line", "tab"])
        )
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "delete":
            del data[i : i + draw(st.integers(1, 8))]
        elif op == "insert":
            data[i:i] = draw(
                st.one_of(
                    st.binary(min_size=1, max_size=6),
                    st.sampled_from(
                        [b"\n", b"\t", b">", b"@", b"+", b"#", b",", b"\r\n", b"-1", b"999999999"]
                    ),
                )
            )
        elif op == "replace" and data:
            data[i] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[i:]
        else:
            lines = bytes(data).split(b"\n")
            k = draw(st.integers(0, len(lines) - 1))
            if op == "dup_line":
                lines.insert(k, lines[k])
            elif op == "drop_line":
                del lines[k]
            else:
                lines[k] = lines[k].replace(b"\t", b" ")
            data = bytearray(b"\n".join(lines))
    data = bytes(data)
    if draw(st.booleans()):
        data = data.replace(b"\n", b"\r\n")
    if draw(st.booleans()):
        data = data.lower()
    compression = draw(st.sampled_from(["none", "none", "gzip", "bgzip"]))
    if compression == "gzip":
        data = gzip.compress(data, mtime=0)
    elif compression == "bgzip":
        data = _bgzip(data, workdir)
    if compression != "none" and draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


def _inputs(valid: bytes) -> Callable[[Path], st.SearchStrategy[bytes]]:
    return lambda workdir: st.one_of(st.binary(max_size=300), mutated(valid, workdir))


# --------------------------------------------------------------------------------------- readers


@FUZZ
@given(data=st.data())
def test_fasta_readers(workdir: Path, data: st.DataObject) -> None:
    path = _write(workdir, data.draw(_inputs(VALID_FASTA)(workdir)), ".fa")
    _parses_or_genoseq_error(lambda: list(read_fasta(path)))
    _parses_or_genoseq_error(lambda: list(read_fastx(path)))


@FUZZ
@given(data=st.data())
def test_indexed_reference(workdir: Path, data: st.DataObject) -> None:
    path = _write(workdir, data.draw(_inputs(VALID_FASTA)(workdir)), ".fa")

    def read() -> None:
        with Reference(path) as ref:
            for name in ref.contigs:
                assert len(ref.fetch(name)) == ref.length(name)
                assert len(ref.fetch(name, -3, ref.length(name) + 3, pad=True)) == ref.length(name) + 6

    _parses_or_genoseq_error(read)


@FUZZ
@given(data=st.data())
def test_fastq_reader(workdir: Path, data: st.DataObject) -> None:
    path = _write(workdir, data.draw(_inputs(VALID_FASTQ)(workdir)), ".fq")

    def read() -> None:
        for rec in read_fastq(path):
            assert len(rec.quality) == len(rec.sequence)

    _parses_or_genoseq_error(read)
    _parses_or_genoseq_error(lambda: list(read_fastx(path)))


@FUZZ
@given(data=st.data())
def test_vcf_reader(workdir: Path, reference: Reference, data: st.DataObject) -> None:
    path = _write(workdir, data.draw(_inputs(VALID_VCF)(workdir)), ".vcf")

    def read(**kwargs: object) -> None:
        for v in read_vcf(path, **kwargs):
            assert v.pos >= 0 and v.ref

    _parses_or_genoseq_error(read)
    _parses_or_genoseq_error(lambda: read(reference=reference))
    _parses_or_genoseq_error(lambda: count_vcf_records(path))


@FUZZ
@given(data=st.data())
def test_bed_reader(workdir: Path, data: st.DataObject) -> None:
    path = _write(workdir, data.draw(_inputs(VALID_BED)(workdir)), ".bed")

    def read() -> None:
        frame = read_bed(path)
        assert frame.columns[:3] == ["chrom", "start", "end"]

    _parses_or_genoseq_error(read)


@FUZZ
@given(data=st.data(), suffix=st.sampled_from([".csv", ".tsv"]))
def test_table_reader(workdir: Path, data: st.DataObject, suffix: str) -> None:
    valid = VALID_CSV if suffix == ".csv" else VALID_CSV.replace(b",", b"\t")
    path = _write(workdir, data.draw(_inputs(valid)(workdir)), suffix)

    def read() -> None:
        table = load_table(path, pad=True)
        assert table.sequences.shape[0] == table.labels.shape[0] > 0

    _parses_or_genoseq_error(read)


# ------------------------------------------------------------------------------------ tokenizers


@FUZZ
@given(
    texts=st.lists(st.text(max_size=40), min_size=1, max_size=4),
    k=st.integers(1, 6),
    stride=st.integers(1, 3),
)
def test_kmer_tokenizer_on_any_text(texts: list[str], k: int, stride: int) -> None:
    tok = KmerTokenizer(k=k, stride=stride)

    def encode() -> None:
        for text in texts:
            ids = tok.encode(text)
            assert ids.shape == (tok.n_tokens(len(text)),)
            assert ((ids == tok.unk_id) | ((ids >= 5) & (ids < tok.vocab_size))).all()
        ids, mask = tok.encode_batch(texts)
        assert ids.shape == mask.shape and ids.shape[0] == len(texts)

    _parses_or_genoseq_error(encode)


@FUZZ
@given(texts=st.lists(st.text(max_size=40), min_size=1, max_size=4), iupac=st.booleans())
def test_onehot_and_helpers_on_any_text(texts: list[str], iupac: bool) -> None:
    enc = OneHotEncoder(iupac=iupac)

    def encode() -> None:
        for text in texts:
            x = enc.encode(text)
            assert x.shape == (len(text), 4) and np.isfinite(x).all()
            assert (x.sum(axis=1) <= 1.0 + 1e-6).all()
        enc.encode_batch(texts)  # unequal lengths: an error, equal ones: (n, L, 4)
        sequences_to_array(texts)

    _parses_or_genoseq_error(encode)
    for text in texts:
        _parses_or_genoseq_error(lambda text=text: reverse_complement(text))
