"""Reliability of the CLI as a whole: SIGTERM unwinds (no temporary files left), outputs never overwrite inputs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from genoseq.cli import main
from tests.tiny_models import save_tiny_cnn

REPO = Path(__file__).resolve().parents[1]
MITO = REPO / "data" / "mito"
LENGTH = 11


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_cnn(tmp_path_factory.mktemp("model") / "m", LENGTH)


@pytest.mark.skipif(not (MITO / "chrM.fa").exists(), reason="bundled mito data missing")
def test_sigterm_during_scoring_leaves_no_temporary_files(model: Path, tmp_path: Path) -> None:
    seq = "".join(ln.strip() for ln in (MITO / "chrM.fa").read_text().splitlines()[1:])
    header = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID=chrM,length={len(seq)}>",
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    snvs = [(p + 1, b, "A" if b != "A" else "C") for p, b in enumerate(seq) if b in "ACGT"]
    records = [f"chrM\t{pos}\t.\t{ref}\t{alt}\t.\t.\t." for pos, ref, alt in snvs for _ in range(12)]
    vcf = tmp_path / "many.vcf"  # ~200k SNVs, sorted: long enough to be stopped half-way
    vcf.write_text("\n".join(header + records) + "\n")
    out = tmp_path / "out.tsv"
    out.write_text("precious\n")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "genoseq",
        "score-variants",
        str(model),
        "--vcf",
        str(vcf),
        "--reference",
        str(MITO / "chrM.fa"),
        "-o",
        str(out),
        "--vcf-out",
        str(tmp_path / "out.vcf.gz"),
        "--device",
        "cpu",
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".out.tsv.") for p in tmp_path.iterdir()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no temporary output appeared"
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert out.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.vcf", "out.tsv"]


def test_an_output_that_is_an_input_is_refused(model: Path, tmp_path: Path) -> None:
    table = tmp_path / "in.csv"
    table.write_text("sequence,label\nACGTACGTACG,1\nACGTTCGTACG,0\n")
    before = table.read_text()
    for args in (
        ["predict", str(model), str(table), "-o", str(table)],
        ["evaluate", str(model), str(table), "-o", str(table)],
        ["report", "--table", str(table), "-o", str(table)],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, result.output
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and "is also an input of this command" in lines[0], result.output
        assert table.read_text() == before


def test_split_vcf_refuses_to_split_a_shard_onto_itself(tmp_path: Path) -> None:
    shard = tmp_path / "shard_000.vcf"
    shard.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chrM,length=100>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "chrM\t5\t.\tA\tC\t.\t.\t.\nchrM\t9\t.\tG\tT\t.\t.\t.\n"
    )
    before = shard.read_text()
    result = CliRunner().invoke(main, ["split-vcf", str(shard), "--shards", "2", "--out-dir", str(tmp_path)])
    assert result.exit_code == 1 and "would overwrite the VCF being split" in result.output, result.output
    assert shard.read_text() == before


def test_a_temporary_name_is_reported_as_its_target(tmp_path: Path) -> None:
    from genoseq._atomic import atomic_path, target_of

    out = tmp_path / "scores.vcf.gz"
    with atomic_path(out) as tmp:
        assert tmp.name != out.name and target_of(tmp) == str(out)
        tmp.write_text("x")
    assert target_of(out) == str(out)


def test_model_files_and_index_files_are_inputs_too(model: Path, tmp_path: Path) -> None:
    table = tmp_path / "in.csv"
    table.write_text("sequence,label\nACGTACGTACG,1\nACGTTCGTACG,0\n")
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chrT\nACGTACGTACGTACGTACGT\n")
    (tmp_path / "ref.fa.fai").write_text("chrT\t20\t6\t20\t21\n")
    vcf = tmp_path / "v.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchrT\t5\t.\tA\tC\t.\t.\t.\n"
    )
    kept = {
        p: p.read_bytes()
        for p in [model / "config.json", model / "model.safetensors", tmp_path / "ref.fa.fai"]
    }
    for args in (
        ["evaluate", str(model), str(table), "-o", str(model / "config.json")],
        ["predict", str(model), str(table), "-o", str(model / "model.safetensors")],
        ["prepare", "--reference", str(fasta), "--vcf", str(vcf), "-o", str(tmp_path / "ref.fa.fai")],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, result.output
        assert "is also an input of this command" in result.output, result.output
    assert all(p.read_bytes() == data for p, data in kept.items())
    # a new file beside the model is fine
    result = CliRunner().invoke(main, ["evaluate", str(model), str(table), "-o", str(model / "metrics.json")])
    assert result.exit_code == 0, result.output
    (model / "metrics.json").unlink()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "{t}", "--model", "cnn-lstm", "--out", "{o}", "--set", "conv_filters=2147483647"],
         "out of memory"),
        (["train", "{t}", "--model", "cnn-lstm", "--out", "{o}", "--set", "conv_filters=1000000000000"],
         "conv_filters must be at most 2147483647"),
        (["train", "{t}", "--model", "cnn-lstm", "--out", "{o}", "--seed", "99999999999999999999999"], "--seed"),
        (["train", "{t}", "--model", "cnn-lstm", "--out", "{o}", "--threads", "1000000000000"], "--threads"),
        (["train", "{t}", "--model", "cnn-lstm", "--out", "{o}", "--num-workers", "100000"], "num_workers"),
        (["train", "{t}", "--model", "cnn-lstm", "--out", "{o}", "--pos-weight", "inf"], "pos_weight"),
        (["train", "{t}", "--model", "cnn-lstm", "--out", "{o}", "--weight-decay", "1e38"], "weight_decay"),
        (["split-vcf", "{t}", "--shards", "1000000000000", "--out-dir", "{o}"], "--shards"),
    ],
)  # fmt: skip
def test_extreme_option_values_are_one_line_errors(tmp_path: Path, args: list[str], message: str) -> None:
    table = tmp_path / "t.csv"
    table.write_text("sequence,label\n" + "".join(f"ACGTACGTAC{'AT'[i % 2]},{i % 2}\n" for i in range(40)))
    argv = [a.format(t=table, o=tmp_path / "out") for a in args]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code in (1, 2), result.output
    assert message in result.output and "Traceback" not in result.output, result.output
    if result.exit_code == 1:
        assert len([ln for ln in result.output.splitlines() if ln.strip()]) == 1, result.output


def test_ism_checks_the_heat_map_path_first(model: Path, tmp_path: Path) -> None:
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chrT\n" + "ACGT" * 10 + "\n")
    (tmp_path / "out.png").mkdir()
    result = CliRunner().invoke(
        main,
        [
            "ism",
            str(model),
            "--reference",
            str(fasta),
            "--region",
            "chrT:5-8",
            "-o",
            str(tmp_path / "out.tsv"),
        ],
    )
    assert result.exit_code == 1 and "out.png" in result.output and "directory" in result.output, (
        result.output
    )
    assert not (tmp_path / "out.tsv").exists()
    result = CliRunner().invoke(
        main,
        ["ism", str(model), "--reference", str(fasta), "--region", "chrT:abc", "-o", str(tmp_path / "o.tsv")],
    )
    assert result.exit_code == 1 and "malformed region" in result.output, result.output


@pytest.mark.skipif(
    not Path("/proc/self").exists(), reason="needs Linux /proc, a directory no file can be made in"
)
def test_an_unwritable_output_directory_is_refused_before_the_work(model: Path, tmp_path: Path) -> None:
    fasta = tmp_path / "in.fa"
    fasta.write_text(">r\nACGTACGTACG\n")
    result = CliRunner().invoke(main, ["predict", str(model), str(fasta), "-o", "/proc/genoseq_out.csv"])
    assert result.exit_code == 1 and "cannot write in /proc" in result.output, result.output
    assert "scored" not in result.output
    result = CliRunner().invoke(main, ["predict", str(model), str(fasta), "-o", ""])
    assert result.exit_code == 2 and "is empty" in result.output, result.output
    result = CliRunner().invoke(
        main, ["predict", str(model), str(fasta), "-o", str(tmp_path / "a" / "b.csv")]
    )
    assert result.exit_code == 0, result.output  # missing directories are made
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "in.fa"]  # no probe file left


def test_outputs_follow_links_and_write_through_pipes(model: Path, tmp_path: Path) -> None:
    """A link is kept (the file it names is replaced); a named pipe (like /dev/stdout or /dev/null)
    is written into, not replaced by a regular file."""
    import stat
    import threading

    table = tmp_path / "in.csv"
    table.write_text("sequence,label\nACGTACGTACG,1\nACGTTCGTACG,0\n")
    real, link = tmp_path / "real.json", tmp_path / "link.json"
    real.write_text("{}")
    link.symlink_to(real.name)
    result = CliRunner().invoke(main, ["evaluate", str(model), str(table), "-o", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and '"accuracy"' in real.read_text()

    fifo = tmp_path / "pipe.tsv"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = CliRunner().invoke(main, ["predict", str(model), str(table), "-o", str(fifo)])
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert received and received[0].decode().count("\n") == 3  # header + 2 rows
    assert not list(tmp_path.glob(".*tmp*"))


def test_evaluate_says_when_it_pads_or_windows(model: Path, tmp_path: Path, caplog) -> None:
    table = tmp_path / "mixed.csv"
    table.write_text("sequence,label\nACGTACGTACGTA,1\nACGTTCGTACG,0\nACGTTCGTAC,0\n")
    with caplog.at_level("WARNING", logger="genoseq"):
        result = CliRunner().invoke(
            main, ["evaluate", str(model), str(table), "-o", str(tmp_path / "m.json")]
        )
    assert result.exit_code == 0, result.output
    assert (
        "sequences of 10-13 bases, the model takes 11: each scored as genoseq predict scores it"
        in caplog.text
    )
    # each row at its own length, as predict scores it (not the table padded to its longest row)
    from genoseq.predict import Predictor
    from genoseq.train.metrics import compute_metrics

    probs = Predictor.load(model).predict(["ACGTACGTACGTA", "ACGTTCGTACG", "ACGTTCGTAC"])
    expected = compute_metrics(np.array([1, 0, 0]), probs, "binary")
    got = json.loads((tmp_path / "m.json").read_text())
    for key in ("accuracy", "auroc", "auprc"):
        assert got[key] == pytest.approx(expected[key])
    tsv = tmp_path / "p.tsv"
    assert CliRunner().invoke(main, ["predict", str(model), str(table), "-o", str(tsv)]).exit_code == 0
    scores = [float(line.split("\t")[2]) for line in tsv.read_text().splitlines()[1:]]
    assert scores == pytest.approx(probs[:, 0].tolist())


def test_predict_streams_tsv_to_standard_output(model: Path, tmp_path: Path) -> None:
    table = tmp_path / "in.csv"
    table.write_text("sequence,label\nACGTACGTACG,1\nACGTTCGTACG,0\n")
    result = CliRunner().invoke(main, ["predict", str(model), str(table), "-o", "-"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split("\t") == ["name", "length", "p_1"] and len(lines) == 3
    assert "scored 2 records -> standard output" in result.stderr
    assert not (Path.cwd() / "-").exists()


def test_a_link_to_standard_output_appends_to_the_shells_file(model: Path, tmp_path: Path) -> None:
    """``-o out.tsv`` where out.tsv -> /dev/stdout and stdout is `>> file`: the file keeps what it held."""
    from genoseq._atomic import atomic_paths

    table = tmp_path / "in.csv"
    table.write_text("sequence,label\nACGTACGTACG,1\nACGTTCGTACG,0\n")
    (tmp_path / "so.tsv").symlink_to("/dev/stdout")
    shell_file = tmp_path / "log.tsv"
    shell_file.write_text("earlier\n")
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    )
    command = [
        sys.executable,
        "-m",
        "genoseq",
        "predict",
        str(model),
        str(table),
        "-o",
        str(tmp_path / "so.tsv"),
    ]
    with shell_file.open("a") as fh:
        subprocess.run(command, stdout=fh, check=True, env=env)
    lines = shell_file.read_text().splitlines()
    assert lines[0] == "earlier" and lines[1].startswith("name\t") and len(lines) == 4

    # a set of outputs with a device among them: the device is written first, so a failure there
    # (/dev/full: no space) leaves the regular file as it was
    if Path("/dev/full").exists():
        keep = tmp_path / "keep.txt"
        keep.write_text("old")
        with pytest.raises(OSError), atomic_paths([keep, Path("/dev/full")]) as tmps:
            for tmp in tmps:
                tmp.write_text("new")
        assert keep.read_text() == "old"


def test_numbered_descriptors_are_outputs_and_closed_ones_are_refused(model: Path, tmp_path: Path) -> None:
    """-o /dev/fd/3 writes TSV into the caller's descriptor 3; with standard output closed,
    -o /dev/stdout is an error before any work, not a write into whatever file took descriptor 1."""
    table = tmp_path / "in.csv"
    table.write_text("sequence,label\nACGTACGTACG,1\nACGTTCGTACG,0\n")
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    )
    base = [sys.executable, "-m", "genoseq", "predict", str(model), str(table), "-o"]
    out = tmp_path / "fd3.tsv"
    with out.open("w") as fh:
        done = subprocess.run(
            [*base, f"/dev/fd/{fh.fileno()}"],
            pass_fds=(fh.fileno(),),
            env=env,
            capture_output=True,
            text=True,
        )
    assert done.returncode == 0, done.stderr
    assert out.read_text().splitlines()[0] == "name\tlength\tp_1"
    closed = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", *base, "/dev/stdout"],
        env=env,
        capture_output=False,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert closed.returncode == 1 and "file descriptor 1 is not open" in closed.stderr


def test_ism_table_and_heat_map_appear_together(model: Path, tmp_path: Path, monkeypatch) -> None:
    """The table was put in place before the heat map was drawn: a failure (or an interrupt) there
    left a new table beside the old region's picture."""
    import genoseq.variants.ism as ism_module

    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chrT\n" + "ACGT" * 10 + "\n")
    args = ["ism", str(model), "--reference", str(fasta), "--region", "chrT:5-8", "-o", str(tmp_path / "o.tsv")]
    assert CliRunner().invoke(main, args).exit_code == 0
    before = {p: p.read_bytes() for p in (tmp_path / "o.tsv", tmp_path / "o.png")}

    def broken(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ism_module, "ism_heatmap", broken)
    args[args.index("chrT:5-8")] = "chrT:9-20"  # another region: another table
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "No space left" in result.output, result.output
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_outputs_never_overwrite_the_model_directorys_own_files(model: Path, tmp_path: Path) -> None:
    """evaluate --plots-dir MODEL replaced the model's roc_pr.png; ism -o MODEL/training_curves.parquet
    its training curves (only config.json, the weights and the calibration were guarded)."""
    import shutil

    model_copy = tmp_path / "model"
    shutil.copytree(model, model_copy)
    (model_copy / "roc_pr.png").write_bytes(b"\\x89PNG the model's own")
    (model_copy / "training_curves.png").write_bytes(b"\\x89PNG the model's own")
    table = tmp_path / "t.csv"
    table.write_text("sequence,label\n" + "".join(f"ACGTACGTAC{'AT'[i % 2]},{i % 2}\n" for i in range(10)))
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chrT\n" + "ACGT" * 10 + "\n")
    for args, problem in (
        (["evaluate", str(model_copy), str(table), "-o", str(tmp_path / "m.json"), "--plots-dir", str(model_copy)],
         "would overwrite this input"),
        (["ism", str(model_copy), "--reference", str(fasta), "--region", "chrT:5-8", "-o",
          str(model_copy / "training_curves.parquet")], "would overwrite this file of the model directory"),
    ):  # fmt: skip
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1 and problem in result.output, result.output
    assert (model_copy / "roc_pr.png").read_bytes() == b"\\x89PNG the model's own"
    assert (model_copy / "training_curves.png").read_bytes() == b"\\x89PNG the model's own"
