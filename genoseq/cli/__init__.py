"""The ``genoseq`` command line: a thin click shell over the library.

Each command lives in its own module and is registered on :data:`main`.
Library errors (:class:`genoseq.errors.GenoseqError`) become a one-line
message on stderr and exit code 1; usage errors exit 2; ``--debug`` shows the
traceback instead.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import select
import signal
import sys
import threading
from typing import Any

import click

from genoseq import __version__
from genoseq._atomic import target_of
from genoseq.errors import ConfigError, GenoseqError

# command name -> "module:function" (imported lazily so --help is fast)
_COMMANDS: dict[str, str] = {
    "info": "genoseq.cli.info:info",
    "predict": "genoseq.cli.predict:predict",
    "extract": "genoseq.cli.extract:extract",
    "evaluate": "genoseq.cli.evaluate:evaluate",
    "train": "genoseq.cli.train:train",
    "score-variants": "genoseq.cli.variants:score_variants",
    "calibrate": "genoseq.cli.variants:calibrate",
    "ism": "genoseq.cli.variants:ism",
    "cross-validate": "genoseq.cli.risk:cross_validate",
    "prepare": "genoseq.cli.workflow:prepare",
    "split-vcf": "genoseq.cli.workflow:split_vcf",
    "gather-scores": "genoseq.cli.workflow:gather_scores",
    "report": "genoseq.cli.workflow:report",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _COMMANDS:
            module, attr = _COMMANDS[cmd_name].split(":")
            return _guard_outputs(getattr(importlib.import_module(module), attr))
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        debug = ctx.params.get("debug", False)
        previous = _terminate_cleanly()
        try:
            return super().invoke(ctx)
        except GenoseqError as exc:
            if debug:
                raise
            rank = _peer_rank()
            if not (getattr(exc, "same_on_every_rank", False) and rank):
                where = f"[rank {rank}] " if rank else ""
                click.echo(f"genoseq: error: {where}{_one_line(str(exc))}", err=True)
            ctx.exit(1)
        except BrokenPipeError:
            if debug or not _stdout_gone():
                raise
            # the reader of our output went away (`genoseq info x.fa | head`): stop quietly with
            # the status of a process ended by SIGPIPE, as samtools and other C tools do
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # nothing more can reach the reader; no flush error
            ctx.exit(128 + signal.SIGPIPE)
        except OSError as exc:
            # a file the library opened directly (missing, a directory, not writable, disk full)
            if debug:
                raise
            where = "" if exc.filename is None else f"{target_of(str(exc.filename))}: "
            click.echo(f"genoseq: error: {where}{_one_line(exc.strerror or str(exc))}", err=True)
            ctx.exit(1)
        except MemoryError as exc:  # numpy's _ArrayMemoryError is one
            if debug:
                raise
            detail = _one_line(str(exc)) or (
                "the input needed more memory than this process may use (a long record or line, or a"
                " limit such as ulimit -v or a batch job's memory request); --debug shows where"
            )
            click.echo(f"genoseq: error: out of memory: {detail}", err=True)
            ctx.exit(1)
        except RuntimeError as exc:
            # torch reports a failed allocation (CPU or CUDA) as a RuntimeError
            text = str(exc)
            if debug or not ("can't allocate memory" in text or "out of memory" in text.lower()):
                raise
            click.echo(f"genoseq: error: out of memory: {_one_line(text)[:300]}", err=True)
            ctx.exit(1)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


def _peer_rank() -> int:
    """This process's rank in a data-parallel (torchrun) job of several processes; 0 otherwise."""
    try:
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            return int(os.environ.get("RANK", "0"))
    except ValueError:
        pass
    return 0


def _stdout_gone() -> bool:
    """Whether standard output is a pipe or socket whose reader has closed it."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no real file descriptor, or no poll()
        return False


def _terminate_cleanly() -> Any:
    """On SIGTERM, unwind (exit code 143) so that temporary outputs are removed; the old handler.

    Without it the default action ends the process on the spot and leaves the hidden temporary
    files of an atomic write behind. (``genoseq train`` installs its own handler while training,
    which checkpoints first.) ``None`` off the main thread, where signals cannot be handled.
    """
    if threading.current_thread() is not threading.main_thread():
        return None

    def terminate(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    return signal.signal(signal.SIGTERM, terminate)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _guard_outputs(command: click.Command) -> click.Command:
    """Make ``command`` refuse an output path that is one of its inputs (it would destroy it).

    Inputs are the input files, their index files (``.fai``, ``.tbi``, ``.bai`` …) and the files a
    model directory is made of (``config.json``, the weights, the calibration …).
    """
    from genoseq.cli._paths import InputFile, ModelDir, OutputDir, OutputFile

    if getattr(command, "_genoseq_guarded", False) or command.callback is None:
        return command
    inputs = [p.name for p in command.params if isinstance(p.type, InputFile)]
    # other existing paths read (report --plots: a PNG, or a directory of them)
    read_paths = [
        p.name
        for p in command.params
        if isinstance(p.type, click.Path) and p.type.exists and not isinstance(p.type, InputFile | OutputFile | OutputDir)
    ]
    models = [p.name for p in command.params if isinstance(p.type, ModelDir)]
    outputs = [p.name for p in command.params if isinstance(p.type, OutputFile)]
    out_dirs = {p.name: max(p.opts, key=len) for p in command.params if isinstance(p.type, OutputDir)}
    callback = command.callback

    @functools.wraps(callback)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        files = [v for n in inputs for v in _values(kwargs.get(n)) if v != "-"]
        given = [*files, *(f + ext for f in files for ext in _INDEX_SUFFIXES)]
        for name in read_paths:
            for path in _values(kwargs.get(name)):
                given += [os.path.join(path, f) for f in os.listdir(path)] if os.path.isdir(path) else [path]
        if models:
            from genoseq.modeldir import MODEL_FILES  # imported when the command runs, not at start-up

        model_files: list[str] = []  # every file of a model directory: its plots and logs too
        for name in models:
            for model in _values(kwargs.get(name)):
                given += [os.path.join(model, part) for part in MODEL_FILES]
                if os.path.isdir(model):
                    model_files += [os.path.join(model, f) for f in os.listdir(model)]
        given += model_files
        for name in outputs:
            for out in _values(kwargs.get(name)):
                if out != "-" and any(_same_file(out, src) for src in given):
                    raise ConfigError(
                        f"--{name.replace('_', '-')} is also an input of this command; refusing to "
                        "overwrite it (write the output elsewhere)",
                        path=out,
                    )
        for name, flag in out_dirs.items():  # an input the command would overwrite in its output directory
            for out in _values(kwargs.get(name)):
                for src in [*files, *model_files]:
                    if _writes_over(out, src):
                        raise ConfigError(
                            f"{flag} {out} would overwrite this input, one of the"
                            " files written there; write the output elsewhere",
                            path=src,
                        )
        return callback(*args, **kwargs)

    if (inputs or models or read_paths) and (outputs or out_dirs):
        command.callback = guarded
    command._genoseq_guarded = True  # type: ignore[attr-defined]
    return command


def _writes_over(out_dir: str, src: str) -> bool:
    """Whether ``src`` lies in ``out_dir`` under a name a command writes there (model files, plots).

    (split-vcf checks its own shard names, with its own message.)
    """
    from genoseq.modeldir import MODEL_FILES

    name = os.path.basename(src)
    written = name in MODEL_FILES or name.endswith(".png")
    return written and _same_file(os.path.dirname(os.path.abspath(src)), out_dir)


#: index files htslib keeps beside an input (appended to its name)
_INDEX_SUFFIXES = (".fai", ".gzi", ".tbi", ".csi", ".bai", ".crai")


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None]
    return [str(value)]


def _one_line(message: str) -> str:
    """``message`` on one line: a multi-line message (e.g. from a wrapped library) joined with '; '."""
    return "; ".join(line.strip() for line in message.splitlines() if line.strip())


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="genoseq")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.pass_context
def main(ctx: click.Context, debug: bool, verbose: int) -> None:
    """genoseq: deep learning on DNA, from FASTA to variant-risk predictions."""
    level = logging.WARNING - 10 * min(verbose, 2)
    form = "genoseq: %(levelname)s: %(message)s"
    rank = _peer_rank()
    if rank:
        # every process of a torchrun job reads the same data and logs the same warnings: rank 0's
        # are the job's; the others log errors only (all of it with -v), named by their rank
        level = logging.ERROR if not verbose else level
        form = f"genoseq: [rank {rank}] %(levelname)s: %(message)s"
    logging.basicConfig(level=level, format=form, stream=sys.stderr)
    ctx.ensure_object(dict)["debug"] = debug


def register(name: str, target: str) -> None:
    """Register a lazily imported command ``name`` -> ``"module:function"``."""
    _COMMANDS[name] = target
