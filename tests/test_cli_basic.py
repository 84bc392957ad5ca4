"""The CLI shell: version, help on every command, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from genoseq import __version__
from genoseq.cli import main


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_python_m_genoseq_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "genoseq", "--version"], capture_output=True, text=True, check=True
    )
    assert __version__ in out.stdout


def _commands() -> list[str]:
    return main.list_commands(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", _commands())
def test_every_command_has_help(name: str) -> None:
    cmd = main.get_command(None, name)  # type: ignore[arg-type]
    assert cmd is not None
    assert (cmd.help or "").strip(), f"command {name!r} has no help text"
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_missing_file_is_one_line_error(tmp_path) -> None:
    missing = tmp_path / "nope.fa"
    result = CliRunner().invoke(main, ["info", str(missing)])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1
    assert "nope.fa" in lines[0]
    assert "Traceback" not in result.output


def test_unknown_option_is_usage_error() -> None:
    result = CliRunner().invoke(main, ["info", "--no-such-option", "x"])
    assert result.exit_code == 2


def test_info_gc_is_over_called_bases(tmp_path) -> None:
    fasta = tmp_path / "g.fa"
    fasta.write_text(">a x\nacgtNNNNNN\n>b\nGGGCRYA\n>c\nNNNN\n>d\n\n")
    result = CliRunner().invoke(main, ["info", str(fasta)])
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.output.splitlines()]
    assert rows == [
        ["name", "length", "gc", "n"],
        ["a", "10", "0.5000", "6"],  # N left out of the fraction
        ["b", "7", "0.8000", "0"],  # R and Y too: 4 G/C of 5 called bases
        ["c", "4", "", "4"],
        ["d", "0", "", "0"],
    ]


def test_output_piped_into_head_ends_quietly(tmp_path) -> None:
    """`genoseq info x.fa | head -1`: no error message, the status of a process ended by SIGPIPE."""
    path = tmp_path / "many.fa"
    path.write_text("".join(f">r{i}\nACGT\n" for i in range(100_000)))  # ~1.5 MB of output
    proc = subprocess.Popen(
        [sys.executable, "-m", "genoseq", "info", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"name")
    proc.stdout.close()  # the reader goes away, as head does
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, stderr
    assert "error" not in stderr.lower() and "Traceback" not in stderr


def test_info_sums_up_a_model_directory(tmp_path) -> None:
    from genoseq import Predictor
    from genoseq.variants import calibrate
    from tests.tiny_models import save_tiny_cnn

    model = save_tiny_cnn(tmp_path / "m", 20)
    result = CliRunner().invoke(main, ["info", str(model)])
    assert result.exit_code == 0, result.output
    fields = dict(line.split("\t", 1) for line in result.output.splitlines())
    assert fields["kind"] == "sequence" and fields["architecture"] == "cnn-lstm"
    assert fields["classes"] == "0, 1" and fields["input_length"] == "20" and fields["features"] == "none"
    assert fields["calibration"] == "-" and fields["trained"] == "-"
    assert fields["weights_sha256"] == Predictor.load(model).weights_sha256
    reference = tmp_path / "ref.fa"
    reference.write_text(">c1\n" + "ACGTTGCAAG" * 30 + "\n")
    calibrate(Predictor.load(model), reference, n=40, seed=0)
    again = dict(
        line.split("\t", 1) for line in CliRunner().invoke(main, ["info", str(model)]).output.splitlines()
    )
    assert (
        again["calibration"].startswith("40 background SNVs of ref.fa")
        and "stale" not in again["calibration"]
    )
    save_tiny_cnn(model, 20, seed=1)  # retrained into the directory: the background is of other weights
    stale = dict(
        line.split("\t", 1) for line in CliRunner().invoke(main, ["info", str(model)]).output.splitlines()
    )
    assert "scored with other weights" in stale["calibration"] and "calibrate again" in stale["calibration"]
    # a background that is a FIFO is named, not opened (info blocked on it for ever)
    import os

    (model / "background.safetensors").unlink()
    os.mkfifo(model / "background.safetensors")
    fifo = dict(
        line.split("\t", 1) for line in CliRunner().invoke(main, ["info", str(model)]).output.splitlines()
    )
    assert "unusable" in fifo["calibration"] and "not a device or pipe" in fifo["calibration"]
    broken = tmp_path / "not_a_model"
    broken.mkdir()
    result = CliRunner().invoke(main, ["info", str(broken)])
    assert result.exit_code != 0 and "is a directory" in result.output


def test_info_names_a_variant_risk_models_platt_calibration(tmp_path) -> None:
    import json

    from tests.tiny_models import save_tiny_cnn

    featurizer = {"annotation": True, "info": {"fields": ["AF_hom", "AF_het"]}}
    extra = {"kind": "variant", "platt": [0.5, -0.25], "featurizer": featurizer, "label_field": "LABEL"}
    model = save_tiny_cnn(tmp_path / "m", 21, extra=extra | {"annotation_file": "annotation.bed"})
    result = CliRunner().invoke(main, ["info", str(model)])
    assert result.exit_code == 0, result.output
    fields = dict(line.split("\t", 1) for line in result.output.splitlines())
    assert fields["kind"] == "variant-risk"
    # the features it computes were one fixed phrase, whatever the model was trained with
    assert fields["features"] == (
        "ref/alt windows; annotation annotation.bed (locus channels, consequences; genetic code by contig);"
        " INFO AF_hom, AF_het (labels: INFO/LABEL)"
    )
    bare = save_tiny_cnn(
        tmp_path / "bare", 21, extra={"kind": "variant", "featurizer": {"annotation": False}}
    )
    bare_fields = dict(
        line.split("\t", 1) for line in CliRunner().invoke(main, ["info", str(bare)]).output.splitlines()
    )
    assert bare_fields["features"] == "ref/alt windows"
    assert (
        fields["calibration"]
        == "Platt scaling on the validation variants: risk = sigmoid(0.5 * logit - 0.25)"
    )
    config = json.loads((model / "config.json").read_text())
    assert config["extra"]["platt"] == [0.5, -0.25]


def test_info_on_a_model_directory_whose_config_is_no_file(tmp_path) -> None:
    """config.json linking to /dev/zero: the directory was taken for a FASTA path ('is a directory')."""
    model = tmp_path / "m"
    model.mkdir()
    (model / "config.json").symlink_to("/dev/zero")
    result = CliRunner().invoke(main, ["info", str(model)])
    assert result.exit_code == 1, result.output
    assert result.output.strip() == f"genoseq: error: {model / 'config.json'}: model config must be a regular file, not a device or pipe"
