"""The bad-input corpus (tests/data/bad/) driven through the command line.

Every case runs one ``genoseq`` command with click's CliRunner and checks the
contract of the CLI with bad input: exit code 1 (2 for usage errors), exactly one
output line ``genoseq: error: …`` naming the file (its basename) and the problem,
no traceback; an output file that existed before a failed run is untouched and no
temporary file (``.NAME.*.tmp*``) is left behind. Inputs that are unusual but valid
(Windows line endings, lower case, IUPAC codes, N runs, a header-only VCF, symbolic
alleles, REF mismatches under the default policy) must succeed, and are checked
against the same run on the plain input.

The corpus is copied to a temporary directory first (the reference's ``.fai`` index
is built beside it); the model directories are built here, never committed.
"""

from __future__ import annotations

import json
import math
import pickle
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner, Result

from genoseq.cli import main
from tests.tiny_models import save_tiny_cnn

BAD = Path(__file__).resolve().parent / "data" / "bad"
LENGTH = 16
SENTINEL = "output of an earlier run\n"
TRAIN_TINY = ["--epochs", "1", "--set", "conv_filters=4", "--set", "lstm_hidden=4", "--threads", "1"]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of tests/data/bad plus directories named like input files."""
    root = tmp_path_factory.mktemp("corpus") / "bad"
    shutil.copytree(BAD, root)
    for name in ("crlf.fa", "crlf.vcf", "ref_crlf.fa"):  # a checkout that converted line endings
        assert b"\r\n" in (root / name).read_bytes(), f"{name} lost its CRLF line endings"
    for name in ("a_directory.fa", "a_directory.vcf", "a_directory.csv"):
        (root / name).mkdir()
    return root


def _invoke(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def model(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny binary CNN-LSTM model directory (classes "0", "1"), calibrated on ref.fa."""
    path = save_tiny_cnn(tmp_path_factory.mktemp("models") / "tiny", LENGTH)
    result = _invoke("calibrate", path, "--reference", corpus / "ref.fa", "--n", "30", "--device", "cpu")
    assert result.exit_code == 0, result.output
    return path


def _edit_config(key: str, value: object):  # noqa: ANN202
    def edit(d: Path) -> None:
        config = json.loads((d / "config.json").read_text())
        config[key] = value
        (d / "config.json").write_text(json.dumps(config))

    return edit


def _pickle_weights(d: Path) -> None:
    (d / "model.safetensors").write_bytes(pickle.dumps({"conv.weight": [[0.0, 1.0]]}, protocol=4))


def _truncate_weights(d: Path) -> None:
    data = (d / "model.safetensors").read_bytes()
    (d / "model.safetensors").write_bytes(data[: len(data) // 2])


def _flip_last_byte(d: Path) -> None:
    data = bytearray((d / "model.safetensors").read_bytes())
    data[-1] ^= 0x01
    (d / "model.safetensors").write_bytes(bytes(data))


BROKEN_MODELS = {
    "pickled_weights": (_pickle_weights, "model.safetensors", "pickle"),
    "truncated_weights": (_truncate_weights, "model.safetensors", "truncated"),
    "checksum_changed": (_flip_last_byte, "model.safetensors", "checksum mismatch"),
    "unknown_config_key": (_edit_config("surprise", 1), "config.json", "unknown key 'surprise'"),
    "newer_format_version": (
        _edit_config("format_version", 999),
        "config.json",
        "format_version 999 is newer",
    ),
    "missing_weights": (lambda d: (d / "model.safetensors").unlink(), "model.safetensors", "missing weights"),
    "config_not_json": (
        lambda d: (d / "config.json").write_text("{not json"),
        "config.json",
        "not valid JSON",
    ),
}


@pytest.fixture(scope="module")
def broken_models(model: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("broken")
    out = {}
    for name, (edit, _, _) in BROKEN_MODELS.items():
        shutil.copytree(model, root / name)
        edit(root / name)
        out[name] = root / name
    return out


# ------------------------------------------------------------------------------------------ the cases


@dataclass(frozen=True)
class Case:
    """One command run on one bad input.

    ``argv`` may hold ``{c}`` (the corpus copy), ``{m}`` (the model) and ``{o}`` (an empty
    output directory). ``names`` is the basename the error must mention; ``outputs`` are files
    (``{o}``-relative) that exist before the run and must be untouched by a failed one.
    """

    argv: tuple[str, ...]
    code: int = 1
    names: str | None = None
    problem: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()


def _score(vcf: str, *extra: str, reference: str = "ref.fa") -> tuple[str, ...]:
    return (
        "score-variants",
        "{m}",
        "--vcf",
        f"{{c}}/{vcf}",
        "--reference",
        f"{{c}}/{reference}",
        "-o",
        "{o}/scores.tsv",
        "--vcf-out",
        "{o}/scores.vcf.gz",
        "--batch-size",
        "1",  # one variant per batch: a late error comes after rows were written
        "--device",
        "cpu",
        *extra,
    )


def _train(data: str, *extra: str) -> tuple[str, ...]:
    return ("train", f"{{c}}/{data}", "--model", "cnn-lstm", "--out", "{o}/model", *TRAIN_TINY, *extra)


def _predict(data: str) -> tuple[str, ...]:
    return ("predict", "{m}", f"{{c}}/{data}", "-o", "{o}/pred.tsv", "--device", "cpu")


SCORES = ("scores.tsv", "scores.vcf.gz")

FAILURES: dict[str, Case] = {
    # ---- info: FASTA / FASTQ
    "info-missing-file": Case(("info", "{c}/missing.fa"), names="missing.fa", problem=("no such file",)),
    "info-directory": Case(
        ("info", "{c}/a_directory.fa"), names="a_directory.fa", problem=("is a directory",)
    ),
    "info-not-fasta": Case(
        ("info", "{c}/not_fasta.fa"), names="not_fasta.fa", problem=("not FASTA or FASTQ",)
    ),
    "info-binary": Case(("info", "{c}/binary.fa"), names="binary.fa", problem=("binary data",)),
    "info-truncated-gzip": Case(
        ("info", "{c}/truncated.fa.gz"), names="truncated.fa.gz", problem=("truncated gzip",)
    ),
    "info-digit-in-sequence": Case(
        ("info", "{c}/digits.fa"), names="digits.fa", problem=("line 3", "invalid character '9'")
    ),
    "info-empty-header": Case(
        ("info", "{c}/empty_header.fa"), names="empty_header.fa", problem=("empty header",)
    ),
    "info-fastq-quality-too-short": Case(
        ("info", "{c}/truncated_quality.fq"),
        names="truncated_quality.fq",
        problem=("quality string ends early",),
    ),
    "info-fastq-no-plus-line": Case(("info", "{c}/no_plus.fq"), names="no_plus.fq", problem=("no '+' line",)),
    "info-fastq-bad-quality-char": Case(
        ("info", "{c}/bad_quality_char.fq"),
        names="bad_quality_char.fq",
        problem=("invalid quality character",),
    ),
    # ---- score-variants: the VCF
    "score-missing-vcf": Case(
        _score("missing.vcf"), names="missing.vcf", problem=("no such file",), outputs=SCORES
    ),
    "score-vcf-directory": Case(
        _score("a_directory.vcf"), names="a_directory.vcf", problem=("is a directory",), outputs=SCORES
    ),
    "score-empty-vcf": Case(_score("empty.vcf"), names="empty.vcf", problem=("empty file",), outputs=SCORES),
    "score-binary-vcf": Case(
        _score("binary.vcf"), names="binary.vcf", problem=("binary data",), outputs=SCORES
    ),
    "score-not-a-vcf": Case(
        _score("not_vcf.vcf"), names="not_vcf.vcf", problem=("missing VCF header",), outputs=SCORES
    ),
    "score-no-chrom-header": Case(
        _score("no_chrom_header.vcf"),
        names="no_chrom_header.vcf",
        problem=("line 2", "#CHROM"),
        outputs=SCORES,
    ),
    "score-truncated-bgzip": Case(
        _score("truncated.vcf.gz"), names="truncated.vcf.gz", problem=("truncated",), outputs=SCORES
    ),
    "score-truncated-plain-gzip-vcf": Case(
        _score("truncated_gzip.vcf.gz"),
        names="truncated_gzip.vcf.gz",
        problem=("truncated",),
        outputs=SCORES,
    ),
    "score-wrong-column-count": Case(
        _score("wrong_columns.vcf"),
        names="wrong_columns.vcf",
        problem=("line 6", "wrong column count"),
        outputs=SCORES,
    ),
    "score-pos-not-integer": Case(
        _score("pos_not_integer.vcf"),
        names="pos_not_integer.vcf",
        problem=("line 5", "POS 'abc' is not an integer"),
        outputs=SCORES,
    ),
    "score-ref-not-dna": Case(
        _score("ref_not_dna.vcf"),
        names="ref_not_dna.vcf",
        problem=("chr1:10", "REF 'XYZ' is not DNA"),
        outputs=SCORES,
    ),
    "score-alt-not-dna": Case(
        _score("alt_not_dna.vcf"), names="alt_not_dna.vcf", problem=("chr1:10", "ALT 'Q'"), outputs=SCORES
    ),
    "score-position-past-contig-end": Case(
        _score("past_contig_end.vcf"),
        names="past_contig_end.vcf",
        problem=("chr1:500", "past the end of contig 'chr1' (length 120)"),
        outputs=SCORES,
    ),
    "score-unknown-contig": Case(
        _score("unknown_contig.vcf"),
        names="unknown_contig.vcf",
        problem=("chrZ", "not in the reference"),
        outputs=SCORES,
    ),
    "score-ref-mismatch-error": Case(
        _score("ref_mismatch.vcf", "--on-ref-mismatch", "error"),
        names="ref_mismatch.vcf",
        problem=("line 6 (chr1:20) G>T", "disagrees with the reference"),
        outputs=SCORES,
    ),
    "score-ref-past-contig-end": Case(
        _score("ref_past_contig_end.vcf", "--on-ref-mismatch", "error"),
        names="ref_past_contig_end.vcf",
        problem=(
            "line 5 (chr1:118) GACTT>G",
            "REF GACTT runs past the end of contig 'chr1' (length 120)",
            "ends after GAC",
        ),
        outputs=SCORES,
    ),
    # ---- score-variants: the reference and the output
    "score-missing-reference": Case(
        _score("good.vcf", reference="missing_ref.fa"),
        names="missing_ref.fa",
        problem=("no such file",),
        outputs=SCORES,
    ),
    "score-empty-reference": Case(
        _score("good.vcf", reference="empty.fa"), names="empty.fa", problem=("empty file",), outputs=SCORES
    ),
    "score-binary-reference": Case(
        _score("good.vcf", reference="binary.fa"), names="binary.fa", problem=("binary data",), outputs=SCORES
    ),
    "score-reference-not-fasta": Case(
        _score("good.vcf", reference="not_fasta.fa"),
        names="not_fasta.fa",
        problem=("not FASTA",),
        outputs=SCORES,
    ),
    "score-gzip-reference": Case(
        _score("good.vcf", reference="truncated.fa.gz"),
        names="truncated.fa.gz",
        problem=("bgzip",),
        outputs=SCORES,
    ),
    "score-output-is-a-directory": Case(
        (*_score("good.vcf")[:7], "{c}/a_directory.csv"), names="a_directory.csv", problem=("is a directory",)
    ),
    "score-output-bad-extension": Case(
        (*_score("good.vcf")[:7], "{o}/scores.xlsx"), names="scores.xlsx", problem=("extension",)
    ),
    # ---- train: labelled tables and VCFs
    "train-missing-file": Case(_train("missing.csv"), names="missing.csv", problem=("no such file",)),
    "train-directory": Case(_train("a_directory.csv"), names="a_directory.csv", problem=("is a directory",)),
    "train-no-label-column": Case(
        _train("no_label_column.csv"), names="no_label_column.csv", problem=("no 'label' column",)
    ),
    "train-no-sequence-column": Case(
        _train("no_sequence_column.csv"), names="no_sequence_column.csv", problem=("no 'sequence' column",)
    ),
    "train-single-class": Case(
        _train("single_class.csv"), names="single_class.csv", problem=("only one class",)
    ),
    "train-mixed-lengths": Case(
        _train("mixed_lengths.csv"), names="mixed_lengths.csv", problem=("line 3", "mixed lengths")
    ),
    "train-non-dna-letters": Case(
        _train("non_dna.csv"), names="non_dna.csv", problem=("line 3", "not a DNA letter: 'J'")
    ),
    "train-empty-table": Case(_train("empty.csv"), names="empty.csv", problem=("empty",)),
    "train-header-only-table": Case(_train("header_only.csv"), names="header_only.csv", problem=("no rows",)),
    "train-binary-table": Case(_train("binary.csv"), names="binary.csv", problem=("binary data",)),
    "train-binary-parquet": Case(
        _train("binary.parquet"), names="binary.parquet", problem=("cannot read table",)
    ),
    "train-missing-label-value": Case(
        _train("missing_label_value.csv"),
        names="missing_label_value.csv",
        problem=("line 3", "missing label"),
    ),
    "train-ragged-row": Case(
        _train("ragged_row.csv"), names="ragged_row.csv", problem=("line 3", "4 fields but the header has 2")
    ),
    "train-wrong-separator": Case(
        _train("comma_separated.tsv"), names="comma_separated.tsv", problem=("tab-separated",)
    ),
    "train-vcf-single-class": Case(
        _train("single_class.vcf", "--reference", "{c}/ref.fa", "--label-field", "LABEL"),
        names="single_class.vcf",
        problem=("single class",),
    ),
    "train-vcf-blocks-of-one-class": Case(
        _train("labelled.vcf", "--reference", "{c}/ref.fa", "--label-field", "LABEL"),
        names="labelled.vcf",
        problem=("single class", "--block-size"),
    ),
    "train-vcf-binary-annotation": Case(
        _train(
            "labelled.vcf",
            "--reference",
            "{c}/ref.fa",
            "--label-field",
            "LABEL",
            "--annotation",
            "{c}/binary.bed",
        ),
        names="binary.bed",
        problem=("binary data",),
    ),
    "cross-validate-bed-end-before-start": Case(
        (
            "cross-validate",
            "{c}/labelled.vcf",
            "--model",
            "cnn-lstm",
            "--reference",
            "{c}/ref.fa",
            "--label-field",
            "LABEL",
            "--annotation",
            "{c}/bed_end_before_start.bed",
            "-o",
            "{o}/cv.json",
        ),
        names="bed_end_before_start.bed",
        problem=("line 1", "end 10 is before start 50"),
        outputs=("cv.json",),
    ),
    "train-truncated-vcf": Case(
        _train("truncated.vcf.gz", "--reference", "{c}/ref.fa", "--label-field", "LABEL"),
        names="truncated.vcf.gz",
        problem=("truncated",),
    ),
    "train-vcf-binary-reference": Case(
        _train("labelled.vcf", "--reference", "{c}/binary.fa", "--label-field", "LABEL"),
        names="binary.fa",
        problem=("binary data",),
    ),
    "train-out-is-a-file": Case(
        ("train", "{c}/no_label_column.csv", "--model", "cnn-lstm", "--out", "{c}/ref.fa"),
        names="ref.fa",
        problem=("is a file",),
    ),
    # ---- predict / evaluate
    "predict-binary-fasta": Case(
        _predict("binary.fa"), names="binary.fa", problem=("binary data",), outputs=("pred.tsv",)
    ),
    "predict-missing-input": Case(
        _predict("missing.fa"), names="missing.fa", problem=("no such file",), outputs=("pred.tsv",)
    ),
    "predict-directory-input": Case(
        _predict("a_directory.fa"), names="a_directory.fa", problem=("is a directory",), outputs=("pred.tsv",)
    ),
    "predict-truncated-gzip": Case(
        _predict("truncated.fa.gz"),
        names="truncated.fa.gz",
        problem=("truncated gzip",),
        outputs=("pred.tsv",),
    ),
    "predict-ragged-table": Case(_predict("ragged_row.csv"), names="ragged_row.csv", outputs=("pred.tsv",)),
    "predict-model-is-a-file": Case(
        ("predict", "{c}/ref.fa", "{c}/crlf.fa", "-o", "{o}/pred.tsv"),
        names="ref.fa",
        problem=("not a model directory",),
    ),
    "predict-missing-model": Case(
        ("predict", "{c}/no_model", "{c}/crlf.fa", "-o", "{o}/pred.tsv"),
        names="no_model",
        problem=("no such model directory",),
    ),
    "evaluate-non-dna": Case(
        ("evaluate", "{m}", "{c}/non_dna.csv", "-o", "{o}/metrics.json", "--device", "cpu"),
        names="non_dna.csv",
        problem=("line 3", "not a DNA letter"),
        outputs=("metrics.json",),
    ),
    "evaluate-binary-table": Case(
        ("evaluate", "{m}", "{c}/binary.csv", "-o", "{o}/metrics.json", "--device", "cpu"),
        names="binary.csv",
        problem=("binary data",),
        outputs=("metrics.json",),
    ),
    # ---- the other commands
    "ism-region-past-contig-end": Case(
        (
            "ism",
            "{m}",
            "--reference",
            "{c}/ref.fa",
            "--region",
            "chr1:500-510",
            "-o",
            "{o}/ism.tsv",
            "--device",
            "cpu",
        ),
        names="ref.fa",
        problem=("starts outside contig chr1 (length 120)",),
        outputs=("ism.tsv",),
    ),
    "ism-unknown-contig": Case(
        (
            "ism",
            "{m}",
            "--reference",
            "{c}/ref.fa",
            "--region",
            "chrZ:1-10",
            "-o",
            "{o}/ism.tsv",
            "--device",
            "cpu",
        ),
        names="ref.fa",
        problem=("unknown contig 'chrZ'",),
        outputs=("ism.tsv",),
    ),
    "calibrate-empty-reference": Case(
        ("calibrate", "{m}", "--reference", "{c}/empty.fa", "--n", "10", "--device", "cpu"),
        names="empty.fa",
        problem=("empty file",),
    ),
    "prepare-position-past-contig-end": Case(
        ("prepare", "--reference", "{c}/ref.fa", "--vcf", "{c}/past_contig_end.vcf", "-o", "{o}/prep.json"),
        names="past_contig_end.vcf",
        problem=("chr1:500", "past the end"),
        outputs=("prep.json",),
    ),
    "split-vcf-wrong-column-count": Case(
        ("split-vcf", "{c}/wrong_columns.vcf", "--shards", "2", "--out-dir", "{o}/shards"),
        names="wrong_columns.vcf",
        problem=("line 6", "wrong column count"),
    ),
    # ---- usage errors (exit 2)
    "train-vcf-without-reference": Case(
        _train("labelled.vcf", "--label-field", "LABEL"), code=2, problem=("--reference is required",)
    ),
    "score-bad-policy": Case(
        _score("good.vcf", "--on-ref-mismatch", "ignore"), code=2, problem=("--on-ref-mismatch",)
    ),
    "info-unknown-option": Case(
        ("info", "--no-such-option", "{c}/crlf.fa"), code=2, problem=("--no-such-option",)
    ),
}

# Gaps this corpus found in code outside the test, since fixed (the reason says where).
FIXED_GAPS: dict[str, tuple[Case, str]] = {
    "predict-binary-table": (
        Case(_predict("binary.csv"), names="binary.csv", problem=("binary data",), outputs=("pred.tsv",)),
        "genoseq/predict.py read_sequence_records reads tables itself: binary data gives garbage column names",
    ),
    "predict-binary-parquet": (
        Case(_predict("binary.parquet"), names="binary.parquet", outputs=("pred.tsv",)),
        "genoseq/predict.py read_sequence_records does not catch polars' errors from read_parquet",
    ),
    "gather-scores-binary-table": (
        Case(
            ("gather-scores", "{c}/binary.csv", "-o", "{o}/gathered.tsv"),
            names="binary.csv",
            outputs=("gathered.tsv",),
        ),
        "genoseq/workflow_tools.py gather_tables reads binary data as a table with no rows",
    ),
    "report-binary-metrics": (
        Case(
            ("report", "--metrics", "{c}/binary.csv", "-o", "{o}/report.html"),
            names="binary.csv",
            outputs=("report.html",),
        ),
        "genoseq/workflow_tools.py render_report lets UnicodeDecodeError escape",
    ),
}


def _argv(case: Case, corpus: Path, model: Path, out: Path) -> list[str]:
    return [a.format(c=corpus, m=model, o=out) for a in case.argv]


def _lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


def _check_failure(case: Case, result: Result, out: Path) -> None:
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == case.code, (result.exit_code, result.output, result.exception)
    lines = _lines(result)
    if case.code == 2:  # click's usage error: usage text, then "Error: …"
        assert lines[-1].startswith("Error:"), result.output
        assert all(p in lines[-1] for p in case.problem), result.output
        return
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert len(lines) == 1, result.output
    line = lines[0]
    assert line.startswith("genoseq: error: "), line
    assert case.names is not None and re.search(rf"(^|[/\s]){re.escape(case.names)}\b", line), line
    for fragment in case.problem:
        assert fragment in line, line
    for name in case.outputs:
        assert (out / name).read_text() == SENTINEL, f"{name} was changed by a failed run"
    assert not [p.name for p in out.rglob("*") if ".tmp" in p.name], "temporary files left behind"
    if (out / "model").exists():
        assert sorted(p.name for p in (out / "model").iterdir()) == ["keep.txt"]


def _run_case(case: Case, corpus: Path, model: Path, out: Path) -> Result:
    for name in case.outputs:
        (out / name).write_text(SENTINEL)
    if "{o}/model" in case.argv:  # an existing directory where train writes its model
        (out / "model").mkdir()
        (out / "model" / "keep.txt").write_text(SENTINEL)
    return _invoke(*_argv(case, corpus, model, out))


@pytest.mark.parametrize("name", list(FAILURES))
def test_bad_input_is_one_line_error(name: str, corpus: Path, model: Path, tmp_path: Path) -> None:
    case = FAILURES[name]
    _check_failure(case, _run_case(case, corpus, model, tmp_path), tmp_path)


@pytest.mark.parametrize("name", list(FIXED_GAPS))
def test_formerly_known_gaps(name: str, corpus: Path, model: Path, tmp_path: Path) -> None:
    case = FIXED_GAPS[name][0]
    _check_failure(case, _run_case(case, corpus, model, tmp_path), tmp_path)


@pytest.mark.parametrize("kind", list(BROKEN_MODELS))
@pytest.mark.parametrize("command", ["predict", "score-variants", "evaluate"])
def test_broken_model_directory_is_refused(
    kind: str, command: str, corpus: Path, broken_models: dict[str, Path], tmp_path: Path
) -> None:
    _, names, problem = BROKEN_MODELS[kind]
    argv = {
        "predict": ("predict", "{m}", "{c}/crlf.fa", "-o", "{o}/out.tsv"),
        "score-variants": _score("good.vcf")[:7] + ("{o}/out.tsv",),
        "evaluate": ("evaluate", "{m}", "{c}/single_class.csv", "-o", "{o}/out.tsv"),
    }[command]
    case = Case(argv, names=names, problem=(problem,), outputs=("out.tsv",))
    _check_failure(case, _run_case(case, corpus, broken_models[kind], tmp_path), tmp_path)


def test_debug_shows_the_exception(corpus: Path) -> None:
    result = _invoke("--debug", "info", corpus / "binary.fa")
    assert result.exit_code == 1
    assert type(result.exception).__name__ == "InputFormatError"
    assert "binary data" in str(result.exception)


# ------------------------------------------------------------------------ valid but unusual inputs


def _info(corpus: Path, name: str) -> list[list[str]]:
    result = _invoke("info", corpus / name)
    assert result.exit_code == 0, result.output
    return [line.split("\t") for line in result.stdout.splitlines()[1:]]


def test_info_unusual_but_valid_fasta(corpus: Path) -> None:
    assert _info(corpus, "crlf.fa") == [["r1", "12", "0.6667", "0"], ["r2", "4", "0.0000", "0"]]
    # GC of the called bases: N and the other IUPAC codes are left out; no called base, no GC
    assert _info(corpus, "lowercase.fa") == [["r1", "10", "0.5000", "2"]]
    assert _info(corpus, "iupac.fa") == [["r1", "15", "0.5000", "1"]]
    assert _info(corpus, "n_runs.fa") == [["r1", "24", "0.5000", "20"], ["r2", "8", "", "8"]]
    empty = _invoke("info", corpus / "empty.fa")
    assert empty.exit_code == 0 and empty.stdout == "" and "no records" in empty.stderr


def _scores(
    corpus: Path, model: Path, out: Path, vcf: str, *extra: str, reference: str = "ref.fa"
) -> pl.DataFrame:
    case = Case(_score(vcf, *extra, reference=reference))
    result = _invoke(*_argv(case, corpus, model, out))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert not [p.name for p in out.iterdir() if ".tmp" in p.name]
    assert (out / "scores.vcf.gz").exists()
    return pl.read_csv(out / "scores.tsv", separator="\t")


def test_header_only_vcf_gives_an_empty_table(corpus: Path, model: Path, tmp_path: Path) -> None:
    table = _scores(corpus, model, tmp_path, "header_only.vcf")
    assert table.height == 0
    assert table.columns[:6] == ["chrom", "pos", "id", "ref", "alt", "ref_match"]
    assert {"ref_score", "alt_score", "diff", "log_odds", "risk"} <= set(table.columns)


def test_symbolic_allele_is_skipped(corpus: Path, model: Path, tmp_path: Path) -> None:
    result = _invoke(*_argv(Case(_score("symbolic_allele.vcf")), corpus, model, tmp_path))
    assert result.exit_code == 0, result.output
    assert "symbolic skipped 1" in result.output
    table = pl.read_csv(tmp_path / "scores.tsv", separator="\t")
    assert table.select("chrom", "pos", "alt").rows() == [("chr1", 10, "C")]


def test_ref_mismatch_is_flagged_by_default(corpus: Path, model: Path, tmp_path: Path) -> None:
    table = _scores(corpus, model, tmp_path, "ref_mismatch.vcf")
    assert table.select("pos", "ref_match").rows() == [(10, True), (20, False)]
    mismatch = table.row(1, named=True)
    assert all(mismatch[c] is None for c in ("ref_score", "alt_score", "diff", "log_odds", "risk"))
    skipped = _scores(corpus, model, tmp_path, "ref_mismatch.vcf", "--on-ref-mismatch", "skip")
    assert skipped["pos"].to_list() == [10]


@pytest.mark.parametrize(
    ("vcf", "reference"),
    [
        ("crlf.vcf", "ref.fa"),
        ("good.vcf", "ref_crlf.fa"),
        ("lowercase.vcf", "ref.fa"),
        ("plain_gzip.vcf.gz", "ref.fa"),  # gzip, not bgzip: read through a decompressed copy
    ],
)
def test_line_endings_and_case_do_not_change_scores(
    corpus: Path, model: Path, tmp_path: Path, vcf: str, reference: str
) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "odd").mkdir()
    plain = _scores(corpus, model, tmp_path / "plain", "good.vcf")
    odd = _scores(corpus, model, tmp_path / "odd", vcf, reference=reference)
    keys = {(c, p) for c, p in odd.select("chrom", "pos").rows()}
    plain = plain.filter(pl.struct("chrom", "pos").map_elements(lambda r: (r["chrom"], r["pos"]) in keys))
    assert odd.height == plain.height > 0
    assert odd["ref_match"].all()
    for column in ("ref_score", "alt_score", "log_odds", "risk"):
        assert odd[column].to_list() == pytest.approx(plain[column].to_list(), rel=1e-6, abs=1e-9)


def test_iupac_alt_and_n_run_are_scored(corpus: Path, model: Path, tmp_path: Path) -> None:
    table = _scores(corpus, model, tmp_path, "iupac_n_run.vcf")
    assert table.select("chrom", "pos", "ref", "alt", "ref_match").rows() == [
        ("chr1", 10, "A", "R", True),
        ("chr2", 45, "N", "A", True),
    ]
    assert all(math.isfinite(v) for v in table["log_odds"].to_list())


@pytest.mark.parametrize("name", ["crlf.fa", "lowercase.fa", "iupac.fa", "n_runs.fa", "empty.fa"])
def test_predict_unusual_but_valid_fasta(corpus: Path, model: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / "pred.tsv"
    result = _invoke("predict", model, corpus / name, "-o", out, "--device", "cpu")
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out, separator="\t")
    assert table.columns == ["name", "length", "p_1"]
    n_records = sum(1 for line in (corpus / name).read_text().splitlines() if line.startswith(">"))
    assert table.height == n_records
    assert all(0.0 < p < 1.0 for p in table["p_1"].to_list())


def test_train_accepts_crlf_lower_case_and_iupac(corpus: Path, tmp_path: Path) -> None:
    result = _invoke(*_argv(Case(_train("crlf_lowercase.csv")), corpus, tmp_path, tmp_path))
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["classes"] == ["0", "1"]
    assert config["input_length"] == 16
    assert not [p.name for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_wrong_python_types_are_typed_errors(tmp_path) -> None:
    """None, numbers or mixed kinds where sequences, a contig or a region belong were TypeError or
    AttributeError from deep inside; the library promises genoseq.errors types."""
    from genoseq.errors import ConfigError, InputFormatError, UnknownContigError
    from genoseq.io import Reference, parse_region
    from genoseq.tokenize import KmerTokenizer, OneHotEncoder

    for call, problem in (
        (lambda: OneHotEncoder().encode_batch(None), "expected a sequence or a list of sequences, got NoneType"),
        (lambda: OneHotEncoder().encode_batch(["ACG", None]), "sequence 1 is NoneType"),
        (lambda: OneHotEncoder().encode_batch(["ACG", 5]), "sequence 1 is int"),
        (lambda: OneHotEncoder().encode_batch(["ACG", b"ACG"]), "sequence 1 is bytes"),
        (lambda: KmerTokenizer(k=3).encode_batch(None), "got NoneType"),
        (lambda: parse_region(5), "a region is text like"),
    ):
        with pytest.raises(InputFormatError, match=problem):
            call()
    fasta = tmp_path / "r.fa"
    fasta.write_text(">chr1\nACGTACGTAC\n")
    with Reference(fasta) as ref:
        with pytest.raises(UnknownContigError, match="r.fa: a contig is named by text, got NoneType"):
            ref.fetch(None, 0, 5)
        with pytest.raises(ConfigError, match="start and end must be integers"):
            ref.fetch("chr1", True, 5)  # taken as 1 before
