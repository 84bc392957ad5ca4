"""Click parameter types for file arguments whose problems are input errors, not usage errors.

``click.Path(exists=True)`` reports a missing file or a directory given for a file
as a usage error (exit 2, four lines of usage text).  These types check the same
things but raise genoseq's own errors, so the CLI prints one line naming the path
and exits 1, like every other problem with an input file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from genoseq.errors import ConfigError, ModelFormatError


class InputFile(click.Path):
    """An existing, readable file (``-`` for stdin where ``allow_dash``); the value is a ``str``."""

    def __init__(self, *, allow_dash: bool = False) -> None:
        super().__init__(dir_okay=False, allow_dash=allow_dash)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from genoseq.io._open import check_input_path

        check_input_path(value, allow_stdin=self.allow_dash)
        return super().convert(value, param, ctx)


class ModelDir(click.Path):
    """A model directory; a file is refused here, the rest is checked on loading.

    A missing directory is left to :func:`genoseq.modeldir.read_config` ("no such model directory").
    """

    def __init__(self) -> None:
        super().__init__(file_okay=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = Path(value)
        if path.exists() and not path.is_dir():
            raise ModelFormatError(
                "not a model directory (a model is a directory holding config.json and model.safetensors)",
                path=path,
            )
        return super().convert(value, param, ctx)


def _check_writable(path: Path) -> None:
    """Refuse now, not after the work, an output whose directory cannot take a new file.

    The output is written under a temporary name beside its final one, so that directory (or the
    nearest existing one above it, where the rest will be made) must take a new file: tried with a
    real temporary file where the directory exists (``os.access`` says yes to root on read-only
    places such as /proc).
    """
    from genoseq._atomic import placement, writes_through

    if writes_through(path):  # a device, a pipe, /dev/stdout: written into, nothing made beside it
        return
    try:
        final, _ = placement(path)  # a link's target: where the file is written
    except OSError:
        final = path
    _check_can_create_in(final.absolute().parent, path)


def _check_can_create_in(directory: Path, path: Path) -> None:
    """Refuse ``path`` now unless ``directory`` (or the nearest existing one above it, where the rest
    will be made) takes a new file: tried with a real temporary file (``os.access`` says yes to root
    on read-only places such as /proc)."""
    existing = directory if directory.is_dir() else next((p for p in directory.parents if p.is_dir()), None)
    if existing is None:
        return
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot write in {existing}: {exc.strerror or exc}", path=path) from None


class OutputFile(click.Path):
    """A file to write; an existing directory of that name is refused.

    ``allow_dash``: ``-`` means standard output (and is not checked as a path); without it ``-`` is
    refused rather than written as a file named ``-``.
    """

    def __init__(self, *, allow_dash: bool = False) -> None:
        super().__init__(dir_okay=False, allow_dash=allow_dash)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if str(value) == "-":
            if self.allow_dash:
                return "-"
            raise click.BadParameter("'-' (standard output) is not supported here; give the name of a file")
        if not str(value).strip():
            raise click.BadParameter("is empty; give the name of the file to write")
        path = Path(value)
        if path.is_dir():
            raise ConfigError("is a directory; give the name of the file to write", path=path)
        if any(parent.exists() and not parent.is_dir() for parent in path.parents):
            raise ConfigError(
                "cannot write here: a parent of this path is a file, not a directory", path=path
            )
        _check_writable(path)
        return super().convert(value, param, ctx)


class OutputDir(click.Path):
    """A directory to write (created if missing); an existing file of that name is refused."""

    def __init__(self) -> None:
        super().__init__(file_okay=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if str(value) == "-":  # a directory named '-' is never what was meant (stdout has no files)
            raise click.BadParameter("'-' (standard output) is not a directory; give the name of a directory")
        path = Path(value)
        if path.exists() and not path.is_dir():
            raise ConfigError("is a file; give the name of a directory to write", path=path)
        if any(parent.exists() and not parent.is_dir() for parent in path.parents):
            raise ConfigError(
                "cannot write here: a parent of this path is a file, not a directory", path=path
            )
        if path.is_symlink() and not path.exists():
            raise ConfigError(f"is a link to {os.readlink(path)}, which does not exist", path=path)
        _check_can_create_in(path.resolve(), path)  # refused now, not after the work
        return super().convert(value, param, ctx)


__all__ = ["STRAND_HELP", "InputFile", "ModelDir", "OutputDir", "OutputFile", "inference_options"]


#: ``--strand`` of the commands that run a model (default None: the model's own, Predictor.default_strand).
STRAND_HELP = (
    "'both' averages forward and reverse-complement probabilities, 'forward' scores the given "
    "strand only [default: the model's own: both, unless genoseq train found the task "
    "strand-specific on its validation set]."
)


def _check_device(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (a usage error otherwise; whether it exists is checked later)."""
    head, colon, index = value.partition(":")
    if value in ("auto", "cpu", "cuda") or (head == "cuda" and colon and index.isdigit()):
        return value
    raise click.BadParameter(f"{value!r} is not one of auto, cpu, cuda, cuda:N")


#: ``--device`` of the commands that load a model to score with it (predict, evaluate, score-variants …)
device_option = click.option(
    "--device",
    default="auto",
    show_default=True,
    callback=_check_device,
    help="auto (CUDA if available), cpu, cuda or cuda:N.",
)


def table_output_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``-o/--output``: the output table of a command whose output is one (``-`` streams TSV)."""
    return click.option(
        "-o",
        "--output",
        required=True,
        type=OutputFile(allow_dash=True),
        help="Output table; .parquet, .tsv or .csv (format from the extension); `-` streams TSV to standard output.",
    )(func)


def inference_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--strand``, ``--batch-size`` and ``--device``, shared by the commands that run a model on sequences."""
    options = [
        click.option(
            "--strand",
            type=click.Choice(["both", "forward"]),
            default=None,
            help=STRAND_HELP,
        ),
        click.option(
            "--batch-size",
            type=click.IntRange(min=1),
            default=None,
            help="Windows per batch [default: about 512 kb of sequence, at most 1024 windows].",
        ),
        device_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func
