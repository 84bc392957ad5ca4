"""load_table: the accepted table forms, label parsing and the errors that name file and row."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genoseq.data import load_table
from genoseq.errors import InputFormatError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _rows(table) -> list[str]:  # noqa: ANN001
    return [row.tobytes().decode() for row in table.sequences]


def test_gue_style_csv(tmp_path: Path) -> None:
    path = _csv(tmp_path / "t.csv", "sequence,label\nacgtn,1\nGGCCA,0\nTTTTA,1\n")
    table = load_table(path)
    assert table.sequences.dtype == np.uint8 and table.sequences.shape == (3, 5)
    assert _rows(table) == ["ACGTN", "GGCCA", "TTTTA"]
    assert table.task == "binary" and table.classes == ["0", "1"]
    np.testing.assert_array_equal(table.labels, [1, 0, 1])
    assert table.labels.dtype == np.int64
    assert table.checksum == hashlib.sha256(path.read_bytes()).hexdigest()
    assert table.names is None and table.n_outputs == 1 and table.length == 5


def test_tsv_and_parquet_read_the_same(tmp_path: Path) -> None:
    frame = pl.DataFrame({"name": ["a", "b", "c"], "sequence": ["ACG", "TTA", "GGG"], "label": [2, 10, 2]})
    frame.write_csv(tmp_path / "t.tsv", separator="\t")
    frame.write_parquet(tmp_path / "t.parquet")
    tsv = load_table(tmp_path / "t.tsv")
    pq = load_table(tmp_path / "t.parquet")
    for table in (tsv, pq):
        assert table.classes == ["2", "10"]  # integers in numeric order
        np.testing.assert_array_equal(table.labels, [0, 1, 0])
        assert table.names == ["a", "b", "c"]
        np.testing.assert_array_equal(table.sequences, tsv.sequences)


def test_class_names_multiclass_and_fixed_classes(tmp_path: Path) -> None:
    path = _csv(tmp_path / "t.csv", "sequence,label\nAC,enhancer\nGT,promoter\nCC,other\nGG,enhancer\n")
    table = load_table(path)
    assert table.task == "multiclass" and table.classes == ["enhancer", "other", "promoter"]
    np.testing.assert_array_equal(table.labels, [0, 2, 1, 0])
    assert table.n_outputs == 3
    fixed = load_table(path, classes=["promoter", "other", "enhancer"])
    np.testing.assert_array_equal(fixed.labels, [2, 0, 1, 2])
    with pytest.raises(InputFormatError, match=r"t\.csv: line 4: unknown class 'other'"):
        load_table(path, classes=["enhancer", "promoter"])


def test_multilabel_forms(tmp_path: Path) -> None:
    sep = load_table(_csv(tmp_path / "a.csv", "sequence,label\nAC,x;y\nGT,\nCC,y\n"))
    assert sep.task == "multilabel" and sep.classes == ["x", "y"]
    np.testing.assert_array_equal(sep.labels, [[1, 1], [0, 0], [0, 1]])
    assert sep.labels.dtype == np.float32
    cols = load_table(_csv(tmp_path / "b.csv", "sequence,label_x,label_y\nAC,1,1\nGT,0,0\nCC,0,1\n"))
    assert cols.task == "multilabel" and cols.classes == ["x", "y"]
    np.testing.assert_array_equal(cols.labels, sep.labels)
    # one label per row is still multilabel when asked for (a validation table)
    single = load_table(
        _csv(tmp_path / "c.csv", "sequence,label\nAC,x\nGT,y\n"), classes=["x", "y"], task="multilabel"
    )
    np.testing.assert_array_equal(single.labels, [[1, 0], [0, 1]])
    with pytest.raises(InputFormatError, match="must hold 0 or 1"):
        load_table(_csv(tmp_path / "d.csv", "sequence,label_x,label_y\nAC,1,2\nGT,0,1\n"))
    # a validation table with the model's classes in another column order: read in the model's order
    swapped = load_table(
        _csv(tmp_path / "e.csv", "sequence,label_y,label_x\nAC,1,1\nGT,0,0\nCC,1,0\n"),
        classes=["x", "y"],
        task="multilabel",
    )
    assert swapped.classes == ["x", "y"]
    np.testing.assert_array_equal(swapped.labels, sep.labels)
    with pytest.raises(InputFormatError, match="differ from the training classes"):
        load_table(_csv(tmp_path / "f.csv", "sequence,label_x,label_z\nAC,1,1\n"), classes=["x", "y"])


def test_fasta_with_labels_table(tmp_path: Path, caplog) -> None:
    fa = tmp_path / "s.fa"
    fa.write_text(">r1 description\nACGT\nAA\n>r2\nCCCCCC\n>r3\nGGGGGG\n")
    labels = _csv(tmp_path / "labels.csv", "name,label\nr3,1\nr1,0\nr2,1\nextra,0\n")
    with caplog.at_level("WARNING", logger="genoseq"):
        table = load_table(fa, labels)
    assert (
        "labels.csv: 1 labelled name(s) have no record in" in caplog.text
        and "(first: 'extra')" in caplog.text
    )
    assert table.names == ["r1", "r2", "r3"]
    assert _rows(table) == ["ACGTAA", "CCCCCC", "GGGGGG"]
    np.testing.assert_array_equal(table.labels, [0, 1, 1])
    assert table.labels_checksum == hashlib.sha256(labels.read_bytes()).hexdigest()
    with pytest.raises(InputFormatError, match=r"s\.fa: record r2: no label"):
        load_table(fa, _csv(tmp_path / "l2.csv", "name,label\nr1,0\nr3,1\n"))
    with pytest.raises(InputFormatError, match="needs a labels table"):
        load_table(fa)
    # FASTQ (here gzipped) + the same labels table reads alike
    fq = tmp_path / "s.fq.gz"
    fq.write_bytes(gzip.compress(b"@r1\nACGTAA\n+\nIIIIII\n@r2\nCCCCCC\n+\nIIIIII\n@r3\nGGGGGG\n+\nIIIIII\n"))
    from_fastq = load_table(fq, labels)
    assert _rows(from_fastq) == _rows(table) and from_fastq.names == table.names
    np.testing.assert_array_equal(from_fastq.labels, table.labels)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("sequence,target\nACG,1\nTTT,0\n", r"t\.csv: no 'label' column"),
        ("seq,label\nACG,1\nTTT,0\n", r"t\.csv: no 'sequence' column"),
        ("sequence,label\nACG,1\nTTT,1\n", r"t\.csv: only one class \('1'\)"),
        (
            "sequence,label\nACG,1\nTTTT,0\nCCC,1\n",
            r"t\.csv: line 3: sequences have mixed lengths: this one has 4",
        ),
        ("sequence,label\nACG,1\nTUT,0\n", r"t\.csv: line 3: not a DNA letter: 'U' at position 2 "),
        ("sequence,label\nACG,1\nT T,0\n", r"t\.csv: line 3: not a DNA letter: ' '"),
        ("sequence,label\nACG,1\nTTT,\n", r"t\.csv: line 3: missing label"),
        ("sequence,label\nACG,1\n,0\n", r"t\.csv: line 3: empty sequence"),
        ("sequence,label\n", r"t\.csv: the table holds no rows"),
    ],
)
def test_errors_name_file_and_row(tmp_path: Path, text: str, pattern: str) -> None:
    with pytest.raises(InputFormatError, match=pattern):
        load_table(_csv(tmp_path / "t.csv", text))


def test_bad_letter_position_is_1_based_in_the_sequence_as_given(tmp_path: Path) -> None:
    """With --pad the short sequence is centred in N; the position still counts from its own start."""
    path = _csv(tmp_path / "t.csv", "sequence,label\nACGTACGT,1\nTUT,0\n")
    with pytest.raises(InputFormatError, match=r"line 3: not a DNA letter: 'U' at position 2 "):
        load_table(path, pad=True)


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="unknown table format"):
        load_table(_csv(tmp_path / "t.xlsx", "x"))
    with pytest.raises(FileNotFoundError):
        load_table(tmp_path / "absent.csv")


def test_pad_centres_shorter_sequences(tmp_path: Path, caplog) -> None:
    from genoseq.train.run import _warn_length_outliers

    path = _csv(tmp_path / "t.csv", "sequence,label\nACGTACG,1\nTT,0\nCCC,1\n")
    table = load_table(path, pad=True)
    # independent rule: left = (7 - len) // 2 Ns, the rest on the right
    assert _rows(table) == ["ACGTACG", "NNTTNNN", "NNCCCNN"]
    # training on a table where one outlier makes every other row mostly N says so
    rows = "".join(f"{'ACGT' * 5},{i % 2}\n" for i in range(9)) + "A" * 200 + ",1\n"
    outlier = load_table(_csv(tmp_path / "o.csv", "sequence,label\n" + rows), pad=True)
    caplog.clear()
    with caplog.at_level("WARNING", logger="genoseq"):
        _warn_length_outliers(table)
        assert not caplog.text
        _warn_length_outliers(outlier)
    assert (
        "o.csv: the longest sequence (" in caplog.text and "200 bases) sets the input length" in caplog.text
    )


def test_feature_columns(tmp_path: Path) -> None:
    path = _csv(tmp_path / "t.csv", "sequence,label,feature_gc,feature_cov\nACG,1,0.5,3\nTTT,0,0.1,4\n")
    table = load_table(path)
    assert table.feature_names == ["gc", "cov"]
    np.testing.assert_allclose(table.features, [[0.5, 3], [0.1, 4]])
    with pytest.raises(InputFormatError, match=r"line 3: column feature_gc holds 'high', not a number"):
        load_table(_csv(tmp_path / "u.csv", "sequence,label,feature_gc\nACG,1,0.5\nTTT,0,high\n"))


def test_feature_cells_are_read_as_numbers_or_named(tmp_path: Path) -> None:
    # spaces around a number (", " separated CSV) are not part of it
    spaced = load_table(_csv(tmp_path / "s.csv", "sequence,label,feature_x\nACG,1, 0.5\nTTT,0,2 \n"))
    np.testing.assert_allclose(spaced.features[:, 0], [0.5, 2.0])
    for text, message in (
        ("ACG,1,1_000\nTTT,0,2\n", r"line 2: column feature_x holds '1_000', not a number"),
        ("ACG,1,1\nTTT,0,\n", r"line 3: column feature_x is empty"),
        ("ACG,1,1\nTTT,0,inf\n", r"line 3: column feature_x holds inf"),
    ):
        with pytest.raises(InputFormatError, match=message):
            load_table(_csv(tmp_path / "bad.csv", "sequence,label,feature_x\n" + text))
    with pytest.raises(InputFormatError, match="no feature name after the prefix"):
        load_table(_csv(tmp_path / "p.csv", "sequence,label,feature_\nACG,1,1\nTTT,0,2\n"))


def test_a_bad_feature_cell_of_a_fasta_labels_table_names_its_record(tmp_path: Path) -> None:
    fasta = tmp_path / "s.fa"
    fasta.write_text(">r1\nACG\n>r2\nTTT\n>r3\nGGG\n")
    labels = _csv(tmp_path / "l.csv", "name,label,feature_x\nr3,1,0.1\nr2,0,0.2\nr1,1,oops\n")
    with pytest.raises(InputFormatError, match=r"l.csv.*record r1: column feature_x holds 'oops'"):
        load_table(fasta, labels)


def test_only_the_wanted_feature_columns_are_read(tmp_path: Path, caplog) -> None:
    path = _csv(
        tmp_path / "t.csv", "sequence,label,feature_note,feature_b,feature_a\nACG,1,hi,1,2\nTTT,0,yo,3,4\n"
    )
    table = load_table(path, features=["a", "b"])
    assert table.feature_names == ["a", "b"]
    np.testing.assert_allclose(table.features, [[2, 1], [4, 3]])
    assert "feature_note are not features of the model" in caplog.text
    none = load_table(path, features=[])
    assert none.features is None and none.feature_names is None
    with pytest.raises(InputFormatError, match="holds 'hi'"):
        load_table(path)  # training reads every feature column


def test_subset_keeps_classes(tmp_path: Path) -> None:
    table = load_table(_csv(tmp_path / "t.csv", "name,sequence,label\na,AC,0\nb,GT,1\nc,CC,1\n"))
    sub = table.subset(np.array([2, 0]))
    assert sub.names == ["c", "a"] and sub.classes == table.classes
    np.testing.assert_array_equal(sub.labels, [1, 0])
    assert sub.provenance()["class_counts"] == [1, 1]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.integers(1, 30).flatmap(
        lambda length: st.lists(
            st.tuples(st.text("ACGTNacgt", min_size=length, max_size=length), st.integers(0, 3)),
            min_size=2,
            max_size=20,
        )
    )
)
def test_csv_round_trip(tmp_path: Path, rows: list[tuple[str, int]]) -> None:
    if len({y for _, y in rows}) < 2:
        rows = [*rows, (rows[0][0], (rows[0][1] + 1) % 4)]
    path = tmp_path / "rt.csv"
    path.write_text("sequence,label\n" + "".join(f"{s},{y}\n" for s, y in rows))
    table = load_table(path)
    assert _rows(table) == [s.upper() for s, _ in rows]
    assert [table.classes[i] for i in table.labels] == [str(y) for _, y in rows]


def test_ienhancer_table() -> None:
    path = SHARED / "ienhancer" / "train.csv"
    if not path.exists():
        pytest.skip("shared data not available")
    table = load_table(path)
    assert table.sequences.shape == (2968, 200)
    assert table.task == "binary" and table.classes == ["0", "1"]
    assert np.bincount(table.labels).tolist() == [1484, 1484]


@pytest.mark.parametrize(
    ("labels", "classes"),
    [
        (["enhancer", "non-enhancer"], ["non-enhancer", "enhancer"]),
        (["Promoter", "NonPromoter"], ["NonPromoter", "Promoter"]),
        (["bound", "unbound"], ["unbound", "bound"]),
        (["true", "false"], ["false", "true"]),
        (["yes", "no"], ["no", "yes"]),
        (["motif", "background"], ["background", "motif"]),
        (["benign", "pathogenic"], ["benign", "pathogenic"]),  # alphabetical
        (["cat", "dog"], ["cat", "dog"]),
        (["not_a", "not_b"], ["not_a", "not_b"]),  # neither negates the other
        (["0", "1"], ["0", "1"]),
    ],
)
def test_binary_class_names_put_the_negative_first(
    tmp_path: Path, labels: list[str], classes: list[str]
) -> None:
    rows = "".join(f"ACGT,{labels[i % 2]}\n" for i in range(4))
    table = load_table(_csv(tmp_path / "t.csv", "sequence,label\n" + rows))
    assert table.classes == classes
    positive = classes[1]
    np.testing.assert_array_equal(table.labels, [labels[i % 2] == positive for i in range(4)])


def test_positive_class_can_be_named(tmp_path: Path) -> None:
    path = _csv(tmp_path / "t.csv", "sequence,label\nACGT,enhancer\nACGA,non-enhancer\nACGC,enhancer\n")
    table = load_table(path, positive="non-enhancer")
    assert table.classes == ["enhancer", "non-enhancer"]
    np.testing.assert_array_equal(table.labels, [0, 1, 0])
    assert load_table(path, positive="enhancer").classes == ["non-enhancer", "enhancer"]
    with pytest.raises(InputFormatError, match="positive class 'silencer' must be one of the two classes"):
        load_table(path, positive="silencer")
    multi = _csv(tmp_path / "m.csv", "sequence,label\nACGT,a\nACGA,b\nACGC,c\n")
    with pytest.raises(InputFormatError, match="this one is multiclass"):
        load_table(multi, positive="a")


def test_a_label_column_mixing_integers_and_other_values_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path / "t.csv", "sequence,label\nACGT,0\nACGA,1\nACGC,1.5\nACGG,0\n")
    with pytest.raises(InputFormatError, match=r"t.csv.*line 4.*label '1.5' is not an integer, unlike 3"):
        load_table(path)


def test_a_label_column_beside_label_class_columns_is_ambiguous(tmp_path: Path) -> None:
    path = _csv(tmp_path / "b.csv", "sequence,label_a,label_b,label\nACGT,1,0,1\nACGA,0,1,0\n")
    with pytest.raises(InputFormatError, match=r"b.csv: both a 'label' column and label_<class> columns"):
        load_table(path)
    # label_* columns of other values are metadata (label_source ...): 'label' holds the labels
    meta = _csv(tmp_path / "m.csv", "sequence,label,label_source\nACGT,1,chip\nACGA,0,atac\n")
    assert load_table(meta).classes == ["0", "1"]


def test_nan_in_a_parquet_float_label_column_is_a_missing_label(tmp_path: Path) -> None:
    path = tmp_path / "nan.parquet"
    pl.DataFrame({"sequence": ["ACGT"] * 4, "label": [1.0, 0.0, float("nan"), 1.0]}).write_parquet(path)
    with pytest.raises(InputFormatError, match=r"nan.parquet: row 3: missing label"):
        load_table(path)


def test_a_continuous_label_column_is_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = "".join(f"ACGT,{v:.4f}\n" for v in rng.random(40))
    path = _csv(tmp_path / "r.csv", "sequence,label\n" + rows)
    with pytest.raises(InputFormatError, match=r"r.csv: the label column looks continuous \(40 distinct"):
        load_table(path)
    few = _csv(tmp_path / "f.csv", "sequence,label\n" + "ACGT,0.5\nACGA,1.5\n" * 20)
    assert load_table(few).classes == ["0.5", "1.5"]  # a few decimal names are still class names


def test_whole_numbers_written_as_decimals_are_integer_labels(tmp_path: Path) -> None:
    """A float label column (pandas' output when a value was missing; Parquet doubles) reads as the
    integers it holds, in numeric order, so ``7.0`` in training and ``7`` elsewhere are one class."""
    path = _csv(
        tmp_path / "t.csv", "sequence,label\nACGT,7.0\nACGA,10.0\nACGC,2.00\nACGG,7\nACGG,2\nACGG,10\n"
    )
    table = load_table(path)
    assert table.classes == ["2", "7", "10"] and table.labels.tolist() == [1, 2, 0, 1, 0, 2]
    pl.DataFrame({"sequence": ["ACGT", "ACGA", "ACGG"], "label": [0.0, 1.0, 0.0]}).write_parquet(
        tmp_path / "t.pq"
    )
    doubles = load_table(tmp_path / "t.pq")
    assert doubles.task == "binary" and doubles.classes == ["0", "1"] and doubles.labels.tolist() == [0, 1, 0]
    # decimals that are not all whole stay class names; a model's decimal names still match integers
    mixed = load_table(_csv(tmp_path / "m.csv", "sequence,label\nACGT,1.0\nACGA,1.5\nACGC,2.0\nACGG,1.5\n"))
    assert mixed.classes == ["1.0", "1.5", "2.0"]
    # NaN in a float column of 0/1 labels is pandas' missing value: an error naming it, not a class
    with pytest.raises(InputFormatError, match=r"n\.csv: line 3.*missing label"):
        load_table(_csv(tmp_path / "n.csv", "sequence,label\nACGT,1.0\nACGA,NaN\nACGC,0.0\n"))
    old_model = load_table(
        _csv(tmp_path / "k.csv", "sequence,label\nACGT,0\nACGA,1\n"), classes=["0.0", "1.0"]
    )
    assert old_model.labels.tolist() == [0, 1]


def test_a_class_with_one_example_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _csv(tmp_path / "t.csv", "sequence,label\nACGT,0\nACGA,1\nACGC,-1\nACGG,0\nACGG,1\n")
    with caplog.at_level("WARNING", logger="genoseq.data.tables"):
        table = load_table(path)
    assert table.classes == ["-1", "0", "1"]
    assert "class '-1' has a single example (line 4)" in caplog.text


def test_output_tables_accept_the_same_extensions_everywhere(tmp_path: Path) -> None:
    """predict, score-variants/ism and the workflow's gather share one rule for output names."""
    from genoseq.data.writers import TableWriter, output_table_format
    from genoseq.errors import ConfigError
    from genoseq.predict import output_format
    from genoseq.workflow_tools import gather_tables

    for name, fmt in [("a.parquet", "parquet"), ("a.PQ", "parquet"), ("a.tsv", "tsv"), ("a.csv", "csv")]:
        assert output_table_format(name) == output_format(name) == fmt
    shard = tmp_path / "shard.tsv"
    shard.write_text("chrom\tpos\nchrM\t1\n")
    for bad in ("out.txt", "out.tsv.gz", "out"):
        for call in (output_format, TableWriter, lambda p: gather_tables([shard], p)):
            with pytest.raises(ConfigError, match=r"output must end in \.parquet, \.tsv or \.csv"):
                call(tmp_path / bad)
        assert not (tmp_path / bad).exists()


def test_a_repeated_column_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("sequence,label,label\nACGT,1,0\nTTTT,0,1\n")
    with pytest.raises(InputFormatError, match="line 1: column 'label' appears more than once"):
        load_table(path)


def test_rare_multilabel_classes_are_warned_about(tmp_path: Path, caplog) -> None:
    with caplog.at_level("WARNING", logger="genoseq"):
        load_table(_csv(tmp_path / "a.csv", "sequence,label\nACGT,a;d\nACGA,a\nACGC,a\nACGG,b\nACTT,b\n"))
        load_table(_csv(tmp_path / "b.csv", "sequence,label_a,label_z\nACGT,1,0\nACGA,1,0\n"))
    assert "label 'd' has a single positive example (line 2)" in caplog.text
    assert "label 'z' has no positive example" in caplog.text
    assert "label 'a'" not in caplog.text and "label 'b'" not in caplog.text


def test_positive_class_matches_as_labels_do(tmp_path: Path) -> None:
    """--positive-class 1.0 names the class 1 (and 0.0 the class 0), as 7.0 matches a model's 7."""
    path = _csv(tmp_path / "t.csv", "sequence,label\nACGT,1\nACGA,0\nACGC,1\n")
    assert load_table(path, positive="1.0").classes == ["0", "1"]
    flipped = load_table(path, positive="0.0")
    assert flipped.classes == ["1", "0"]
    np.testing.assert_array_equal(flipped.labels, [0, 1, 0])
    with pytest.raises(InputFormatError, match="positive class '2.0' must be one of"):
        load_table(path, positive="2.0")


def test_classes_differing_only_in_case_are_warned_about(tmp_path: Path, caplog) -> None:
    path = _csv(tmp_path / "t.csv", "sequence,label\nACGT,Enhancer\nACGA,enhancer\nACGC,silencer\n")
    table = load_table(path)
    assert table.classes == ["Enhancer", "enhancer", "silencer"]  # kept apart, as given
    assert "differ only in case" in caplog.text and "'Enhancer', 'enhancer'" in caplog.text


def test_nan_in_a_column_of_decimal_class_names_is_a_missing_label(tmp_path: Path) -> None:
    # 0.0, 1.0, 1.5 stay three class names; their column's NaN was trained as a fourth class 'nan'
    text = "sequence,label\n" + "ACGT,0.0\nACGA,1.0\nACGC,1.5\nACGG,nan\n" * 3
    with pytest.raises(InputFormatError, match=r"d\.csv: line 5: missing label"):
        load_table(_csv(tmp_path / "d.csv", text))
    assert load_table(_csv(tmp_path / "ok.csv", text.replace("nan", "1.5"))).classes == ["0.0", "1.0", "1.5"]


def test_trailing_blank_lines_are_not_rows_and_inner_ones_are_named(tmp_path: Path) -> None:
    # polars reads a blank line as a row of nulls: a trailing one made 'missing label' (or, to
    # predict, a phantom empty record)
    table = load_table(_csv(tmp_path / "t.csv", "sequence,label\nACGT,0\nACGA,1\nACGC,1\n\n\n"))
    assert _rows(table) == ["ACGT", "ACGA", "ACGC"]
    gz = tmp_path / "t.csv.gz"
    gz.write_bytes(gzip.compress(b"sequence,label\r\nACGT,0\r\nACGA,1\r\nACGC,1\r\n\r\n"))
    assert _rows(load_table(gz)) == ["ACGT", "ACGA", "ACGC"]
    import pyarrow as pa

    zst = tmp_path / "t.csv.zst"  # polars decompresses it; genoseq does not: every trailing null row goes
    zst.write_bytes(pa.compress(b"sequence,label\nACGT,0\nACGA,1\nACGC,1\n\n\n", codec="zstd", asbytes=True))
    assert _rows(load_table(zst)) == ["ACGT", "ACGA", "ACGC"]
    empty_row = r"line 3: a row with every cell empty \(a blank line, or separators only\)"
    with pytest.raises(InputFormatError, match=rf"i\.tsv: {empty_row}"):
        load_table(_csv(tmp_path / "i.tsv", "sequence\tlabel\nACGT\t0\n\nACGA\t1\nACGC\t1\n"))
    with pytest.raises(InputFormatError, match=rf"s\.tsv: {empty_row}"):
        load_table(_csv(tmp_path / "s.tsv", "sequence\tlabel\nACGT\t0\n\t\nACGA\t1\nACGC\t1\n"))
    # a trailing row of separators only is not a blank line: an error, not dropped
    with pytest.raises(InputFormatError, match=r"e\.csv: line 5: a row with every cell empty"):
        load_table(_csv(tmp_path / "e.csv", "sequence,label\nACGT,0\nACGA,1\nACGC,1\n,\n"))


@pytest.mark.parametrize("letter", ["ß", "ſ", "ﬀ"])
def test_a_letter_upper_casing_turns_into_dna_is_refused(tmp_path: Path, letter: str) -> None:
    # 'ß'.upper() == 'SS' and 'ſ'.upper() == 'S' are IUPAC letters: trained as such (a length changed too)
    path = _csv(tmp_path / "u.csv", f"sequence,label\nACGT,0\nAC{letter}T,1\nACGC,1\n")
    with pytest.raises(
        InputFormatError, match=rf"u\.csv: line 3: not a DNA letter: '{letter}' at position 3"
    ):
        load_table(path)


def test_labels_int_would_read_are_not_integers(tmp_path: Path) -> None:
    # int() takes '1_0' (and other scripts' digits): the label merged into class 10
    with pytest.raises(InputFormatError, match=r"line 2: label '1_0' is not an integer"):
        load_table(_csv(tmp_path / "l.csv", "sequence,label\nACGT,1_0\nACGA,10\nACGC,2\nACGG,2\n"))
    table = load_table(_csv(tmp_path / "n.csv", "sequence,label\nACGT,1_0\nACGA,1_0\nACGC,2_0\nACGG,2_0\n"))
    assert table.classes == ["1_0", "2_0"]  # class names, as written


def test_rows_after_a_quoted_cell_of_several_lines_are_named_by_their_own_line(tmp_path: Path) -> None:
    # errors counted a row a line: after a cell of three lines, line 6 was called line 4
    text = 'name,sequence,label\nr1,ACGT,0\n"a,b\nc\nd",ACGA,1\n"x\r\ny",ACGC,1\nr4,ACXT,0\n'
    with pytest.raises(InputFormatError, match=r"q\.csv: line 8: not a DNA letter: 'X'"):
        load_table(_csv(tmp_path / "q.csv", text))
    with pytest.raises(InputFormatError, match=r"b\.csv: line 8: a row with every cell empty"):
        load_table(_csv(tmp_path / "b.csv", text.replace("r4,ACXT,0\n", "\nr4,ACGG,0\n")))
    table = load_table(_csv(tmp_path / "ok.csv", text.replace("ACXT", "ACGT")))
    assert table.names == ["r1", "a,b\nc\nd", "x\r\ny", "r4"]


def test_a_parquet_list_label_column_is_multi_label(tmp_path: Path) -> None:
    """A list of labels per row (how Parquet holds multi-label data) was polars' 'cannot cast List';
    a struct column was turned into text classes like '{"bg"}'."""
    seqs = ["ACGTAC", "ACGAAC", "TTGAAC", "CCGAAC", "GGGAAC"]
    lists = tmp_path / "lists.parquet"
    pl.DataFrame({"sequence": seqs, "label": [["tf", "gc"], ["gc"], [], None, ["tf"]]}).write_parquet(lists)
    text = tmp_path / "text.csv"
    pl.DataFrame({"sequence": seqs, "label": ["tf;gc", "gc", "", None, "tf"]}).write_csv(text)
    got, expected = load_table(lists), load_table(text)
    assert got.task == expected.task == "multilabel" and got.classes == expected.classes
    assert np.array_equal(got.labels, expected.labels)
    # one label a row is still multi-label when it is a list (the text form would read multi-class)
    single = tmp_path / "single.parquet"
    pl.DataFrame({"sequence": seqs[:4], "label": [["tf"], ["gc"], ["tf"], ["gc"]]}).write_parquet(single)
    assert load_table(single).task == "multilabel"
    nested = tmp_path / "struct.parquet"
    pl.DataFrame({"sequence": seqs[:2], "label": [{"x": "a"}, {"x": "b"}]}).write_parquet(nested)
    with pytest.raises(InputFormatError, match=r"struct\.parquet: column 'label' holds Struct"):
        load_table(nested)


def test_boolean_labels_match_a_model_whichever_writer_spelt_them(tmp_path: Path) -> None:
    """pandas writes True/False, polars and Parquet true/false: a model of one was refused the other."""
    seqs = ["ACGTAC", "ACGAAC", "TTGAAC", "CCGAAC"]
    pandas_like = tmp_path / "p.csv"
    rows = zip(seqs, ["True", "False"] * 2, strict=True)
    pandas_like.write_text("sequence,label\n" + "".join(f"{s},{b}\n" for s, b in rows))
    trained = load_table(pandas_like)
    assert trained.classes == ["False", "True"]
    typed = tmp_path / "t.parquet"
    pl.DataFrame({"sequence": seqs, "label": [True, False, True, False]}).write_parquet(typed)
    again = load_table(typed, classes=trained.classes, task=trained.task)
    assert np.array_equal(again.labels, trained.labels)
    lower = load_table(pandas_like, classes=["false", "true"], task="binary")  # a polars-written model's
    assert np.array_equal(lower.labels, trained.labels)
    # other names that differ only in case stay apart
    with pytest.raises(InputFormatError, match="unknown class 'Enh'"):
        load_table(_csv(tmp_path / "e.csv", "sequence,label\nACGT,Enh\nACGA,non\n"), classes=["enh", "non"])
