"""Predictor and the predict/evaluate commands: known outputs, strands, windows, padding, files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import torch
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from genoseq.cli import main
from genoseq.errors import ConfigError, InputFormatError
from genoseq.modeldir import save_model_dir
from genoseq.models import build_model, default_config, encoding_spec
from genoseq.predict import Predictor, window_starts
from tests.tiny_models import TINY

LENGTH = 10
COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A", "N": "N"}


def make_predictor(
    name: str = "cnn-lstm", task: str = "binary", n_outputs: int = 1, seed: int = 0, zero_bias=None, **kw
) -> Predictor:
    torch.manual_seed(seed)
    config = default_config(name, input_length=LENGTH, n_outputs=n_outputs, task=task, **{**TINY[name], **kw})
    model = build_model(name, config)
    if zero_bias is not None:
        with torch.no_grad():
            for p in model.parameters():
                p.zero_()
            model.head.output.bias.copy_(torch.tensor(zero_bias))
    classes = ["neg", "pos"] if task == "binary" else [f"c{i}" for i in range(n_outputs)]
    return Predictor(
        model,
        encoding=encoding_spec(name, config),
        input_length=LENGTH,
        task=task,
        classes=classes,
        device="cpu",
    )


def save_predictor(path: Path, predictor: Predictor) -> Path:
    config = predictor.model.config
    name = "cnn-lstm" if predictor.encoding["type"] == "onehot" else "transformer"
    return save_model_dir(
        path,
        predictor.model,
        model_name=name,
        model_config=config,
        task=predictor.task,
        classes=predictor.classes,
        encoding=predictor.encoding,
        input_length=LENGTH,
    )


# ---------------------------------------------------------------- slow references


def slow_revcomp(seq: str) -> str:
    return "".join(COMPLEMENT[b] for b in reversed(seq))


def slow_pad(seq: str, length: int) -> str:
    left = (length - len(seq)) // 2
    return "N" * left + seq + "N" * (length - len(seq) - left)


def slow_inputs(predictor: Predictor, seq: str) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Model input for one padded sequence, built base by base."""
    if predictor.encoding["type"] == "onehot":
        x = torch.zeros(1, len(seq), 4)
        for i, base in enumerate(seq):
            if base in "ACGT":
                x[0, i, "ACGT".index(base)] = 1.0
        return x, None
    k, stride = predictor.encoding["k"], predictor.encoding["stride"]
    ids = [2]
    for i in range(0, len(seq) - k + 1, stride):
        kmer = seq[i : i + k]
        ids.append(
            5 + sum("ACGT".index(b) * 4 ** (k - 1 - j) for j, b in enumerate(kmer))
            if set(kmer) <= set("ACGT")
            else 1
        )
    ids.append(3)
    return torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.bool)


def slow_probability(predictor: Predictor, seq: str, strand: str = "both") -> np.ndarray:
    """One window (padded to the input): its probability, or the mean with its reverse
    complement's (padded in its turn)."""
    strands = [slow_pad(seq, LENGTH)] + ([slow_pad(slow_revcomp(seq), LENGTH)] if strand == "both" else [])
    probs = []
    with torch.no_grad():
        for s in strands:
            logits = predictor.model(*slow_inputs(predictor, s))[0]
            probs.append(
                torch.softmax(logits, -1) if predictor.task == "multiclass" else torch.sigmoid(logits)
            )
    return torch.stack(probs).mean(0).numpy()


def slow_record(predictor: Predictor, seq: str, strand: str = "both") -> np.ndarray:
    """A record of any length: the mean over its windows, on each strand's own sequence for "both"."""

    def one_strand(s: str) -> np.ndarray:
        windows = [s[i : i + LENGTH] for i in slow_window_starts(len(s), LENGTH)]
        return np.mean([slow_probability(predictor, w, "forward") for w in windows], axis=0)

    forward = one_strand(seq)
    return forward if strand == "forward" else (forward + one_strand(slow_revcomp(seq))) / 2


def random_dna(rng: np.random.Generator, length: int) -> str:
    return "".join(rng.choice(list("ACGT"), size=length))


# ---------------------------------------------------------------- windows


def slow_window_starts(length: int, window: int) -> list[int]:
    if length <= window:
        return [0]
    starts, start = [], 0
    while start + window <= length:
        starts.append(start)
        start += max(window // 2, 1)
    if starts[-1] + window < length:
        starts.append(length - window)
    return starts


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 60), st.integers(1, 12))
def test_window_starts_match_slow_reference(length: int, window: int) -> None:
    starts = window_starts(length, window)
    assert starts.tolist() == slow_window_starts(length, window)
    if length >= window:  # every base covered, last window ends at the end
        covered = np.zeros(length, bool)
        for s in starts:
            covered[s : s + window] = True
        assert covered.all()
        assert starts[-1] + window == length


# ---------------------------------------------------------------- known outputs


@pytest.mark.parametrize("name", ["cnn-lstm", "transformer"])
@pytest.mark.parametrize(
    ("task", "bias"),
    [("binary", [0.7]), ("multiclass", [1.0, -0.5, 0.25]), ("multilabel", [-2.0, 3.0])],
)
def test_zeroed_model_predicts_the_activated_bias(name: str, task: str, bias: list[float]) -> None:
    predictor = make_predictor(name, task, len(bias), zero_bias=bias)
    b = np.array(bias)
    expected = np.exp(b) / np.exp(b).sum() if task == "multiclass" else 1 / (1 + np.exp(-b))
    seqs = ["ACGTACGTAC", "ACG", "ACGTTGCAACGTAGGCTAGCATCGAT"]  # exact, short, long
    for strand in ("both", "forward"):
        probs = predictor.predict(seqs, strand=strand)
        assert probs.shape == (3, len(bias)) and probs.dtype == np.float32
        np.testing.assert_allclose(probs, np.tile(expected, (3, 1)), rtol=1e-6)
    np.testing.assert_allclose(predictor.predict_logits(seqs), np.tile(b, (3, 1)), rtol=1e-6)


@pytest.mark.parametrize("name", ["cnn-lstm", "transformer"])
def test_strand_average_matches_both_strands_by_hand(name: str) -> None:
    predictor = make_predictor(name, "multiclass", 3, seed=2)
    rng = np.random.default_rng(0)
    seqs = [random_dna(rng, LENGTH) for _ in range(4)] + ["ACGTN", random_dna(rng, 7)]
    fwd = np.array([slow_probability(predictor, s, "forward") for s in seqs])
    # a short sequence's reverse strand is padded in its turn (not the padded window reversed)
    rev = np.array([slow_probability(predictor, slow_revcomp(s), "forward") for s in seqs])
    assert not np.allclose(fwd, rev, atol=1e-4)  # the model is not strand-symmetric
    np.testing.assert_allclose(predictor.predict(seqs, strand="forward"), fwd, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predictor.predict(seqs, strand="both"), (fwd + rev) / 2, rtol=1e-5, atol=1e-6)
    arr = np.frombuffer("".join(seqs[:4]).encode(), dtype=np.uint8).reshape(4, LENGTH)
    np.testing.assert_allclose(predictor.predict_array(arr), (fwd[:4] + rev[:4]) / 2, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["cnn-lstm", "transformer"])
def test_long_sequences_average_their_windows_and_short_ones_are_centred(name: str) -> None:
    predictor = make_predictor(name, "binary", 1, seed=3)
    rng = np.random.default_rng(1)
    seqs = [random_dna(rng, n) for n in (4, 9, 10, 11, 23, 40)]
    got = predictor.predict(seqs, batch_size=3)
    for seq, row in zip(seqs, got, strict=True):
        np.testing.assert_allclose(row, slow_record(predictor, seq), rtol=1e-5, atol=1e-6)
        forward = predictor.predict([seq], strand="forward", batch_size=3)[0]
        np.testing.assert_allclose(forward, slow_record(predictor, seq, "forward"), rtol=1e-5, atol=1e-6)
    # both strands: a sequence and its reverse complement score alike, whatever the padding or windows
    np.testing.assert_allclose(predictor.predict([slow_revcomp(s) for s in seqs]), got, rtol=1e-5, atol=1e-6)
    # the same records given as one array of equal-length rows
    arr = np.frombuffer("".join(seqs[4:5] * 2).encode(), dtype=np.uint8).reshape(2, -1)
    np.testing.assert_allclose(predictor.predict(arr), got[[4, 4]], rtol=1e-6)


def test_predict_logits_and_probabilities_agree_on_one_strand() -> None:
    predictor = make_predictor("cnn-lstm", "multilabel", 2, seed=4)
    seqs = ["ACGTTGCAAC", "GGGGGCCCCA"]
    logits = predictor.predict_logits(seqs, strand="forward")
    np.testing.assert_allclose(
        predictor.predict(seqs, strand="forward"), 1 / (1 + np.exp(-logits)), rtol=1e-5
    )


def test_extra_features_reach_the_model() -> None:
    predictor = make_predictor("cnn-lstm", "binary", 1, seed=5, n_features=2)
    seqs = ["ACGTTGCAAC", "GGGGGCCCCAGT"]
    feats = np.array([[0.5, -1.0], [2.0, 0.0]], dtype=np.float32)
    got = predictor.predict(seqs, strand="forward", features=feats)
    with torch.no_grad():
        expected = [
            torch.sigmoid(
                predictor.model(
                    slow_inputs(predictor, slow_pad(s, LENGTH))[0], None, torch.from_numpy(f[None])
                )
            )
            for s, f in zip(seqs[:1], feats[:1], strict=True)
        ]
    np.testing.assert_allclose(got[0], expected[0][0].numpy(), rtol=1e-5)
    assert not np.allclose(got, predictor.predict(seqs, strand="forward", features=feats * 0))
    with pytest.raises(InputFormatError, match="features must have shape"):
        predictor.predict(seqs, features=feats[:1])


def test_bad_arguments_are_refused() -> None:
    predictor = make_predictor()
    with pytest.raises(ConfigError, match="strand"):
        predictor.predict(["ACGT"], strand="reverse")
    with pytest.raises(InputFormatError, match="uint8"):
        predictor.predict_array(np.zeros((2, LENGTH), dtype=np.int64))
    with pytest.raises(InputFormatError, match="longer than the model input"):
        predictor.predict_array(np.full((1, LENGTH + 1), ord("A"), dtype=np.uint8))


def test_load_from_directory(tmp_path: Path) -> None:
    predictor = make_predictor("transformer", "multiclass", 3, seed=6)
    save_predictor(tmp_path / "m", predictor)
    loaded = Predictor.load(tmp_path / "m")
    assert loaded.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    loaded = Predictor.load(tmp_path / "m", device="cpu")
    assert loaded.input_length == LENGTH
    assert loaded.classes == ["c0", "c1", "c2"]
    assert loaded.tokenizer.k == 2
    assert loaded.model_dir == tmp_path / "m"
    assert loaded.weights_sha256 == loaded.config["weights"]["sha256"]
    seqs = ["ACGTTGCAAC", "ACGTTGCAACGTAGGCTAGCATCG"]
    np.testing.assert_array_equal(loaded.predict(seqs), predictor.predict(seqs))


# ---------------------------------------------------------------- command line


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    return save_predictor(tmp_path / "model", make_predictor("cnn-lstm", "binary", 1, seed=7))


RECORDS = {"r1": "ACGTTGCAAC", "r2": "acgt", "r3": "ACGTTGCAACGTAGGCTAGCATCGATN"}


def test_cli_predict_fasta_to_parquet(tmp_path: Path, model_dir: Path) -> None:
    fasta = tmp_path / "in.fa"
    fasta.write_text("".join(f">{name} some description\n{seq}\n" for name, seq in RECORDS.items()))
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(main, ["predict", str(model_dir), str(fasta), "-o", str(out)])
    assert result.exit_code == 0, result.output
    frame = pl.read_parquet(out)
    assert frame.columns == ["name", "length", "p_pos"]
    assert frame["name"].to_list() == list(RECORDS)
    assert frame["length"].to_list() == [len(s) for s in RECORDS.values()]
    expected = Predictor.load(model_dir, device="cpu").predict(list(RECORDS.values()))[:, 0]
    np.testing.assert_allclose(frame["p_pos"].to_numpy(), expected, rtol=1e-6)


def test_cli_predict_reads_fasta_or_fastq_from_stdin(tmp_path: Path, model_dir: Path) -> None:
    text = "".join(f">{name}\n{seq}\n" for name, seq in RECORDS.items())
    fastq = "".join(f"@{name}\n{seq}\n+\n{'I' * len(seq)}\n" for name, seq in RECORDS.items())
    expected = Predictor.load(model_dir, device="cpu").predict(list(RECORDS.values()))[:, 0]
    for i, stdin in enumerate([text, fastq]):
        out = tmp_path / f"out{i}.tsv"
        result = CliRunner().invoke(main, ["predict", str(model_dir), "-", "-o", str(out)], input=stdin)
        assert result.exit_code == 0, result.output
        frame = pl.read_csv(out, separator="\t")
        assert frame["name"].to_list() == list(RECORDS)
        np.testing.assert_allclose(frame["p_pos"].to_numpy(), expected, rtol=1e-6)
    table = CliRunner().invoke(
        main, ["predict", str(model_dir), "-", "-o", str(tmp_path / "x.tsv")], input="a,b\n"
    )
    assert table.exit_code == 1 and "<stdin>: line 1: not FASTA or FASTQ" in table.output


@pytest.mark.parametrize(
    ("suffix", "sep", "zst"), [(".csv", ",", False), (".tsv", "\t", False), (".csv", ",", True)]
)
def test_cli_predict_table_to_table(
    tmp_path: Path, model_dir: Path, suffix: str, sep: str, zst: bool
) -> None:
    text = f"id{sep}sequence\n" + "".join(f"{n}{sep}{s}\n" for n, s in RECORDS.items())
    table = tmp_path / f"in{suffix}"
    table.write_text(text)
    if zst:  # a zstd table, as train and evaluate read it (predict refused '.zst')
        import pyarrow as pa

        table = tmp_path / f"in{suffix}.zst"
        table.write_bytes(pa.compress(text.encode(), codec="zstd", asbytes=True))
    out = tmp_path / f"out{suffix}"
    result = CliRunner().invoke(
        main, ["predict", str(model_dir), str(table), "-o", str(out), "--strand", "forward"]
    )
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(out, separator=sep)
    assert frame["name"].to_list() == list(RECORDS)
    expected = Predictor.load(model_dir, device="cpu").predict(list(RECORDS.values()), strand="forward")[:, 0]
    np.testing.assert_allclose(frame["p_pos"].to_numpy(), expected, rtol=1e-5)


def test_cli_predict_errors_are_one_line(tmp_path: Path, model_dir: Path) -> None:
    table = tmp_path / "in.csv"
    table.write_text("seq\nACGT\n")
    cases = [
        ([str(model_dir), str(table), "-o", str(tmp_path / "out.xlsx")], "out.xlsx: output must end in"),
        ([str(model_dir), str(table), "-o", str(tmp_path / "out.txt")], "out.txt: output must end in"),
        ([str(model_dir), str(table), "-o", str(tmp_path / "out.csv")], "no 'sequence' column"),
        (
            [str(tmp_path / "nomodel"), str(table), "-o", str(tmp_path / "o.csv")],
            "nomodel: no such model directory",
        ),
        ([str(tmp_path), str(table), "-o", str(tmp_path / "o.csv")], "config.json: missing model config"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(main, ["predict", *args])
        assert result.exit_code == 1, result.output
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and message in lines[0], result.output
    assert not (tmp_path / "out.csv").exists()


def test_cli_evaluate_writes_metrics(tmp_path: Path, model_dir: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # where `-o -` once made a file named '-'
    rng = np.random.default_rng(2)
    seqs = [random_dna(rng, LENGTH) for _ in range(12)]
    labels = ["pos" if i % 3 else "neg" for i in range(12)]
    data = tmp_path / "data.csv"
    pl.DataFrame({"sequence": seqs, "label": labels}).write_csv(data)
    out = tmp_path / "metrics.json"
    plots = tmp_path / "plots"
    result = CliRunner().invoke(
        main, ["evaluate", str(model_dir), str(data), "-o", str(out), "--plots-dir", str(plots)]
    )
    assert result.exit_code == 0, result.output
    assert (plots / "roc_pr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads(out.read_text())
    probs = Predictor.load(model_dir, device="cpu").predict(seqs)[:, 0]
    y = np.array([lab == "pos" for lab in labels])
    assert metrics["accuracy"] == pytest.approx(np.mean((probs >= 0.5) == y))
    pairs = [
        (p, q) for p, yp in zip(probs, y, strict=True) if yp for q, yq in zip(probs, y, strict=True) if not yq
    ]
    assert metrics["auroc"] == pytest.approx(
        np.mean([1.0 if p > q else 0.5 if p == q else 0.0 for p, q in pairs])
    )
    assert set(metrics) >= {"accuracy", "auroc", "auprc", "mcc", "f1", "data", "model"}
    assert all(
        v is None or math.isfinite(v) for k, v in metrics.items() if k in ("auroc", "auprc", "mcc", "f1")
    )
    assert "accuracy\t" in result.output
    # `-o -`: the JSON alone on standard output, the summary on stderr; a table name is refused
    to_stdout = CliRunner().invoke(main, ["evaluate", str(model_dir), str(data), "-o", "-"])
    assert to_stdout.exit_code == 0, to_stdout.output
    assert json.loads(to_stdout.stdout)["accuracy"] == metrics["accuracy"]
    assert "accuracy\t" in to_stdout.stderr
    as_table = CliRunner().invoke(
        main, ["evaluate", str(model_dir), str(data), "-o", str(tmp_path / "m.csv")]
    )
    assert (
        as_table.exit_code == 1 and "evaluate writes JSON: give -o a name ending in .json" in as_table.output
    )
    assert not (tmp_path / "m.csv").exists() and not (tmp_path / "-").exists()
    # standard output by another name: the JSON goes there (through fd 1), the summary to stderr
    by_name = CliRunner().invoke(main, ["evaluate", str(model_dir), str(data), "-o", "/dev/stdout"])
    assert by_name.exit_code == 0 and "accuracy\t" in by_name.stderr and "accuracy\t" not in by_name.stdout
    # commands that cannot stream refuse '-' instead of writing a file of that name
    vcf = tmp_path / "v.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    args = ["ism", str(model_dir), "--reference", str(vcf), "--region", "c:1-2", "-o", "-"]
    dash = CliRunner().invoke(main, args)
    assert dash.exit_code == 2 and "'-' (standard output) is not supported here" in dash.output
    # nor is '-' a directory: train --out, split-vcf --out-dir, --plots-dir (no directory named '-' appears)
    monkeypatch.chdir(tmp_path)
    for args in (
        ["train", str(data), "--model", "cnn-lstm", "--out", "-"],
        ["split-vcf", str(vcf), "--shards", "2", "--out-dir", "-"],
        ["evaluate", str(model_dir), str(data), "-o", "m.json", "--plots-dir", "-"],
    ):
        dash = CliRunner().invoke(main, args)
        assert dash.exit_code == 2 and "'-' (standard output) is not a directory" in dash.output, args
        assert not (tmp_path / "-").exists() and not (tmp_path / "m.json").exists()


def test_default_batch_size_follows_input_length():
    """About 512 kb of sequence per forward pass, a power of two in [16, 1024]; None means that default."""
    predictor = make_predictor()
    assert predictor.input_length == LENGTH and predictor.default_batch_size == 1024
    for length, expected in [(200, 1024), (1000, 512), (4096, 128), (100_000, 16)]:
        predictor.input_length = length
        assert predictor.default_batch_size == expected
    predictor.input_length = LENGTH
    arr = np.frombuffer(b"ACGTACGTAC" * 3, dtype=np.uint8).reshape(3, LENGTH)
    np.testing.assert_array_equal(predictor.predict_array(arr), predictor.predict_array(arr, batch_size=1))


@pytest.mark.parametrize("name", ["cnn-lstm", "transformer"])
@pytest.mark.parametrize("strand", ["both", "forward"])
def test_point_edits_equal_predict_array_on_edited_windows(name: str, strand: str) -> None:
    """The SNV fast path (CNN-LSTM) and its fallback (transformer) both give predict_array's answer."""
    predictor = make_predictor(name, task="multiclass", n_outputs=3, seed=4)
    assert predictor.supports_point_edits == (name == "cnn-lstm")
    rng = np.random.default_rng(0)
    windows = np.frombuffer(b"ACGTN", dtype=np.uint8)[rng.integers(0, 5, size=(7, LENGTH))].copy()
    new = np.frombuffer(b"ACGTNa", dtype=np.uint8)[rng.integers(0, 6, size=7)].copy()
    index = 3
    edited = windows.copy()
    edited[:, index] = new
    original, changed = predictor.predict_point_edits(windows, index, new, strand=strand, batch_size=3)
    np.testing.assert_allclose(original, predictor.predict_array(windows, strand=strand), atol=1e-6)
    np.testing.assert_allclose(changed, predictor.predict_array(edited, strand=strand), atol=1e-6)


def test_point_edits_refuse_bad_arguments() -> None:
    predictor = make_predictor()
    windows = np.full((2, LENGTH), ord("A"), dtype=np.uint8)
    new = np.full(2, ord("C"), dtype=np.uint8)
    with pytest.raises(ConfigError, match="outside"):
        predictor.predict_point_edits(windows, LENGTH, new)
    with pytest.raises(InputFormatError, match="new_bases"):
        predictor.predict_point_edits(windows, 0, new[:1])
    with pytest.raises(InputFormatError, match="windows"):
        predictor.predict_point_edits(windows[:, :-1], 0, new)
    with pytest.raises(ConfigError, match="strand"):
        predictor.predict_point_edits(windows, 0, new, strand="minus")


def test_letters_that_are_not_dna_are_refused(tmp_path: Path, model_dir: Path) -> None:
    predictor = make_predictor()
    for seqs, where in ((["ACGTACGT", "ACGU"], "sequence 1"), (["ACGTXXAC"], "sequence 0")):
        with pytest.raises(InputFormatError, match=f"{where}.*not a DNA letter"):
            predictor.predict(seqs)
    with pytest.raises(InputFormatError, match="'é' at position 3"):
        predictor.predict(["ACéGT"])
    # IUPAC codes and lower case are DNA, scored on purpose
    assert predictor.predict(["acgtRYKMBVDHSWn"]).shape == (1, 1)

    fasta = tmp_path / "bad.fa"
    fasta.write_text(">ok\nACGTACGTAC\n>typo\nACGTAXGTAC\n")
    table = tmp_path / "bad.csv"
    table.write_text("sequence\nACGTACGTAC\nZZZZZ\n")
    cases = [
        (fasta, "record typo: 'X' at position 6 is not a DNA letter"),
        (table, "line 3: 'Z' at position 1"),  # the file's line, as genoseq train names it
    ]
    for path, message in cases:
        out = tmp_path / "out.csv"
        result = CliRunner().invoke(main, ["predict", str(model_dir), str(path), "-o", str(out)])
        assert result.exit_code == 1, result.output
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and message in lines[0] and str(path) in lines[0], result.output
        assert not out.exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without CUDA")
def test_unavailable_devices_are_a_clear_error(tmp_path: Path, model_dir: Path) -> None:
    for device in ("cuda", "cuda:1"):
        with pytest.raises(ConfigError, match="no CUDA GPU is available"):
            Predictor.load(model_dir, device=device)
    with pytest.raises(ConfigError, match="device must be auto, cpu, cuda or cuda:N, got 'gpu'"):
        Predictor.load(model_dir, device="gpu")
    fasta = tmp_path / "in.fa"
    fasta.write_text(">r\nACGTACGTAC\n")
    for command in (["predict", str(model_dir), str(fasta)], ["evaluate", str(model_dir), str(fasta)]):
        result = CliRunner().invoke(main, [*command, "-o", str(tmp_path / "o.csv"), "--device", "cuda"])
        assert result.exit_code == 1, result.output
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and "no CUDA GPU is available" in lines[0], result.output
        for bad in ("gpu", "mps", "cuda:-1", "cpu:3", ""):  # not a device name: a usage error
            result = CliRunner().invoke(main, [*command, "-o", str(tmp_path / "o.csv"), "--device", bad])
            assert result.exit_code == 2 and "is not one of auto, cpu, cuda, cuda:N" in result.output
    # the variant commands take the same names (cuda:N was a usage error there)
    for device, code in (("cuda:1", 1), ("gpu", 2)):
        result = CliRunner().invoke(main, ["calibrate", str(model_dir), "--reference", str(fasta), "--device", device])
        assert result.exit_code == code, result.output
        assert ("no CUDA GPU is available" if code == 1 else "is not one of auto, cpu, cuda, cuda:N") in result.output


def test_iter_sequence_records_chunks_by_records_and_bases(tmp_path: Path) -> None:
    from genoseq.predict import iter_sequence_records, read_sequence_records

    rng = np.random.default_rng(3)
    seqs = ["".join(rng.choice(list("ACGT"), size=int(n))) for n in rng.integers(1, 40, size=23)]
    seqs[5] = "A" * 100  # longer than the bases limit: a chunk of its own
    fasta = tmp_path / "in.fa"
    fasta.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    table = tmp_path / "in.csv"
    table.write_text("name,sequence\n" + "".join(f"s{i},{s}\n" for i, s in enumerate(seqs)))
    for path in (fasta, table):
        chunks = list(iter_sequence_records(path, chunk_records=4, chunk_bases=60))
        assert [n for names, _ in chunks for n in names] == [f"s{i}" for i in range(len(seqs))]
        assert [s for _, ss in chunks for s in ss] == seqs
        for names, ss in chunks:
            assert len(names) == len(ss) <= 4
            # a chunk closes at the record that reaches 60 bases, never later
            assert sum(len(s) for s in ss[:-1]) < 60
        assert any(names[-1] == "s5" for names, _ in chunks)  # the long record closes its chunk
        assert read_sequence_records(path) == ([f"s{i}" for i in range(len(seqs))], seqs)


def test_predict_file_streams_in_chunks_with_the_same_result(
    tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import genoseq.predict as predict_module
    from genoseq.predict import predict_file

    rng = np.random.default_rng(4)
    seqs = ["".join(rng.choice(list("ACGTN"), size=int(n))) for n in rng.integers(5, 70, size=50)]
    fasta = tmp_path / "in.fa"
    fasta.write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(seqs)))
    predictor = Predictor.load(model_dir, device="cpu")
    monkeypatch.setattr(predict_module, "_CHUNK_RECORDS", 7)
    assert [len(n) for n, _ in predict_module.iter_sequence_records(fasta)] == [7] * 7 + [1]
    for out in (tmp_path / "out.parquet", tmp_path / "out.tsv"):
        assert predict_file(predictor, fasta, out) == 50
        frame = pl.read_parquet(out) if out.suffix == ".parquet" else pl.read_csv(out, separator="\t")
        assert frame["name"].to_list() == [f"r{i}" for i in range(50)]
        assert frame["length"].to_list() == [len(s) for s in seqs]
        np.testing.assert_allclose(frame["p_pos"].to_numpy(), predictor.predict(seqs)[:, 0], rtol=1e-5)
    # a bad record in a late chunk: an error naming it, and no output (the old one is kept)
    fasta.write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(seqs)) + ">bad\nACGU\n")
    before = (tmp_path / "out.tsv").read_bytes()
    with pytest.raises(InputFormatError, match="bad"):
        predict_file(predictor, fasta, tmp_path / "out.tsv")
    assert (tmp_path / "out.tsv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.fa", "model", "out.parquet", "out.tsv"]
    # an empty input gives an empty table with the columns
    fasta.write_text("")
    assert predict_file(predictor, fasta, tmp_path / "empty.parquet") == 0
    assert pl.read_parquet(tmp_path / "empty.parquet").columns == ["name", "length", "p_pos"]


def test_precision_is_fp32_unless_asked(tmp_path: Path, model_dir: Path) -> None:
    seqs = ["ACGTTGCAACGTAGGCTAGCATCG", "acgtn"]
    default = Predictor.load(model_dir, device="cpu")
    assert default.precision == "fp32"
    for precision in ("bf16", "fp16", "auto"):  # autocast is for CUDA: on CPU they compute in float32
        other = Predictor.load(model_dir, device="cpu", precision=precision)
        assert other.precision == precision
        np.testing.assert_array_equal(other.predict(seqs), default.predict(seqs))
    with pytest.raises(ConfigError, match="precision must be one of fp32, bf16, fp16, auto"):
        Predictor.load(model_dir, device="cpu", precision="fp8")


def test_predict_takes_numpy_and_dataframe_columns_of_strings() -> None:
    predictor = make_predictor()
    seqs = ["ACGTTGCAAC", "acgtnACGTTGCAACGT", "ACG"]
    expected = predictor.predict(seqs)
    for form in (
        np.array(seqs),  # <U
        np.array(seqs, dtype=object),  # what polars' / pandas' .to_numpy() give
        np.array([s.encode() for s in seqs]),  # S
        pl.Series(seqs),
        (s for s in seqs),
    ):
        np.testing.assert_array_equal(predictor.predict(form), expected)
    np.testing.assert_array_equal(predictor.predict(np.array(seqs[0])), expected[:1])  # 0-d: one sequence
    with pytest.raises(InputFormatError, match="expected a DNA string, got int"):
        predictor.predict(["ACGT", 5])
    with pytest.raises(InputFormatError, match="float64 array"):
        predictor.predict(np.zeros(3))


def test_letters_and_features_are_checked_on_every_path() -> None:
    predictor = make_predictor()
    rna = np.frombuffer(b"ACGUACGUAC", dtype=np.uint8).reshape(1, LENGTH).copy()
    for call in (predictor.predict, predictor.predict_array, predictor.predict_logits_array):
        with pytest.raises(InputFormatError, match=r"sequence 0: 'U' at position 4 is not a DNA letter"):
            call(rna)
    with pytest.raises(InputFormatError, match="takes no extra features"):
        predictor.predict(["ACGT"], features=np.zeros((1, 3), dtype=np.float32))
    with_features = make_predictor(n_features=2)
    with pytest.raises(InputFormatError, match=r"takes 2 extra feature\(s\)"):
        with_features.predict(["ACGT"])
    with pytest.raises(InputFormatError, match=r"features must have shape \(1, 2\)"):
        with_features.predict(["ACGT"], features=np.zeros((1, 3), dtype=np.float32))


def test_an_empty_sequence_is_refused(model_dir: Path) -> None:
    predictor = Predictor.load(model_dir, device="cpu")
    with pytest.raises(InputFormatError, match="sequence 1: empty sequence"):
        predictor.predict(["ACGT", ""])


def test_predict_gives_empty_records_null_rows(model_dir: Path, tmp_path: Path, caplog) -> None:
    """A zero-length read (trimmed FASTQ) or an empty table cell keeps its row, with null
    probabilities and one warning, instead of stopping the whole run."""
    fastq = tmp_path / "reads.fq"
    fastq.write_text("@r1\nACGTACGTAC\n+\nIIIIIIIIII\n@r2\n\n+\n\n@r3\nGGGTACGTAC\n+\nIIIIIIIIII\n")
    table = tmp_path / "reads.csv"
    table.write_text("name,sequence\nr1,ACGTACGTAC\nr2,\nr3,GGGTACGTAC\n")
    expected = Predictor.load(model_dir, device="cpu").predict(["ACGTACGTAC", "GGGTACGTAC"])[:, 0]
    for path in (fastq, table):
        out = tmp_path / "out.tsv"
        with caplog.at_level("WARNING", logger="genoseq"):
            result = CliRunner().invoke(main, ["predict", str(model_dir), str(path), "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert "1 empty record(s) (first: r2) have nothing to score" in caplog.text
        caplog.clear()
        df = pl.read_csv(out, separator="\t")
        assert df["name"].to_list() == ["r1", "r2", "r3"] and df["length"].to_list() == [10, 0, 10]
        probs = df.columns[2]
        assert df[probs][1] is None
        np.testing.assert_allclose([df[probs][0], df[probs][2]], expected, rtol=1e-5)


@pytest.mark.parametrize("name", ["cnn-lstm", "transformer"])
def test_narrow_arrays_score_like_the_sequences_they_hold(name: str) -> None:
    """predict_array/predict_logits_array on rows narrower than the input, both strands: each strand
    padded in its turn, as predict pads a short sequence (odd padding included)."""
    predictor = make_predictor(name, "binary", 1, seed=5)
    rng = np.random.default_rng(3)
    seqs = [random_dna(rng, 7) for _ in range(3)]
    arr = np.frombuffer("".join(seqs).encode(), dtype=np.uint8).reshape(3, 7)
    np.testing.assert_allclose(predictor.predict_array(arr), predictor.predict(seqs), rtol=1e-6)
    np.testing.assert_allclose(predictor.predict_logits_array(arr), predictor.predict_logits(seqs), rtol=1e-6)
    reverse = np.frombuffer("".join(slow_revcomp(s) for s in seqs).encode(), dtype=np.uint8).reshape(3, 7)
    np.testing.assert_allclose(predictor.predict_array(reverse), predictor.predict_array(arr), rtol=1e-5)


def test_arguments_of_the_wrong_kind_are_typed_errors() -> None:
    """A DataFrame (iterating one gives its column names, which can spell DNA), a non-iterable, a
    batch size that is not an integer, a path that is not one: typed one-line errors, not TypeError."""
    predictor = make_predictor()
    frame = pl.DataFrame({"dna": ["ACGTACGTAC"] * 3})
    with pytest.raises(InputFormatError, match=r"got a DataFrame: pass its sequence column"):
        predictor.predict(frame)
    assert predictor.predict(frame["dna"]).shape == (3, 1)
    for bad in (5, None):
        with pytest.raises(InputFormatError, match="expected a DNA string or an iterable of them"):
            predictor.predict(bad)
    for bad in ("8", 2.5, True):
        with pytest.raises(ConfigError, match="batch_size must be an integer >= 1"):
            predictor.predict(["ACGTACGTAC"], batch_size=bad)
        with pytest.raises(ConfigError, match="batch_size must be an integer >= 1"):
            predictor.predict_array(np.full((1, LENGTH), ord("A"), np.uint8), batch_size=bad)
    for bad in (None, 5):
        with pytest.raises(ConfigError, match=r"expected a model directory \(str or os.PathLike\)"):
            Predictor.load(bad)
        with pytest.raises(ConfigError, match=r"expected a file path \(str or os.PathLike\)"):
            predictor.score_variants(bad, Path(__file__).parents[1] / "data" / "mito" / "chrM.fa")


@pytest.mark.parametrize("name", ["cnn-lstm", "transformer"])
def test_arrays_in_any_memory_order_score_alike(name: str) -> None:
    predictor = make_predictor(name)
    rng = np.random.default_rng(0)
    arr = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, (3, LENGTH))]
    expected = predictor.predict_array(arr)
    np.testing.assert_array_equal(predictor.predict_array(np.asfortranarray(arr)), expected)
    np.testing.assert_array_equal(predictor.predict(np.asfortranarray(arr)), predictor.predict(arr))


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_device_is_named_in_the_error(model_dir: Path, tmp_path: Path) -> None:
    fasta = tmp_path / "in.fa"
    fasta.write_text(">r\nACGTACGTAC\n")
    result = CliRunner().invoke(main, ["predict", str(model_dir), str(fasta), "-o", "/dev/full"])
    assert result.exit_code == 1 and "/dev/full: No space left on device" in result.output, result.output


def test_array_paths_refuse_what_the_string_paths_refuse() -> None:
    predictor = make_predictor()
    with pytest.raises(InputFormatError, match="empty sequence"):
        predictor.predict_array(np.zeros((2, 0), dtype=np.uint8))
    windows = np.frombuffer(b"ACGTACGTAC" * 2, dtype=np.uint8).reshape(2, LENGTH).copy()
    with pytest.raises(InputFormatError, match="'X' at position 1 is not a DNA letter"):
        predictor.predict_point_edits(windows, 3, np.frombuffer(b"AX", dtype=np.uint8))
    bad = windows.copy()
    bad[1, 4] = ord("-")
    with pytest.raises(InputFormatError, match="sequence 1"):
        predictor.predict_point_edits(bad, 3, np.frombuffer(b"AC", dtype=np.uint8))


def test_exact_fp32_keeps_tf32_off_until_the_last_overlapping_caller_leaves() -> None:
    """Two threads sharing a Predictor: each saved and restored the process-wide flag, so the second
    saved the first's False — its batches ran in TF32 once the first left, and the user's True was lost."""
    from genoseq._cuda import exact_fp32

    backends = torch.backends.cudnn
    before = backends.allow_tf32
    cuda = torch.device("cuda")  # the flags are only touched, no GPU is used
    try:
        backends.allow_tf32 = True
        a, b = exact_fp32(cuda), exact_fp32(cuda)
        a.__enter__()  # call A
        b.__enter__()  # call B, overlapping
        assert backends.allow_tf32 is False
        a.__exit__(None, None, None)  # A ends first
        assert backends.allow_tf32 is False  # B still runs in full float32
        b.__exit__(None, None, None)
        assert backends.allow_tf32 is True  # the user's setting is back
    finally:
        backends.allow_tf32 = before


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_evaluate_leaves_the_plot_as_it_was_when_the_metrics_cannot_be_written(tmp_path: Path, model_dir: Path) -> None:
    """The ROC/PR plot was put in place before the JSON was written: a failed JSON (a full disk)
    left a new plot beside the old metrics."""
    rng = np.random.default_rng(2)
    seqs = [random_dna(rng, LENGTH) for _ in range(12)]
    data = tmp_path / "data.csv"
    pl.DataFrame({"sequence": seqs, "label": ["pos" if i % 3 else "neg" for i in range(12)]}).write_csv(data)
    plots = tmp_path / "plots"
    args = ["evaluate", str(model_dir), str(data), "--plots-dir", str(plots), "-o"]
    assert CliRunner().invoke(main, [*args, str(tmp_path / "m.json")]).exit_code == 0
    before = (plots / "roc_pr.png").read_bytes()
    other = tmp_path / "other.csv"
    pl.DataFrame({"sequence": seqs[:8], "label": ["pos", "neg"] * 4}).write_csv(other)  # another plot
    args[2] = str(other)
    result = CliRunner().invoke(main, [*args, "/dev/full"])
    assert result.exit_code == 1 and "No space left" in result.output, result.output
    assert (plots / "roc_pr.png").read_bytes() == before
    assert [p.name for p in plots.iterdir()] == ["roc_pr.png"]
