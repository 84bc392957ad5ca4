"""The ``genoseq`` command line: a thin click shell over the library.

Each command lives in its own module and is registered on :data:`main`.
Library errors (:class:`genoseq.errors.GenoseqError`) become a one-line
message on stderr and exit code 1; usage errors exit 2; ``--debug`` shows the
traceback instead.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from genoseq import __version__
from genoseq.errors import GenoseqError

# command name -> "module:function" (imported lazily so --help is fast)
_COMMANDS: dict[str, str] = {
    "info": "genoseq.cli.info:info",
    "predict": "genoseq.cli.predict:predict",
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
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        debug = ctx.params.get("debug", False)
        try:
            return super().invoke(ctx)
        except GenoseqError as exc:
            if debug:
                raise
            click.echo(f"genoseq: error: {_one_line(str(exc))}", err=True)
            ctx.exit(1)
        except OSError as exc:
            # a file the library opened directly (missing, a directory, not writable, disk full)
            if debug or exc.filename is None:
                raise
            click.echo(f"genoseq: error: {exc.filename}: {_one_line(exc.strerror or str(exc))}", err=True)
            ctx.exit(1)


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
    logging.basicConfig(level=level, format="genoseq: %(levelname)s: %(message)s", stream=sys.stderr)
    ctx.ensure_object(dict)["debug"] = debug


def register(name: str, target: str) -> None:
    """Register a lazily imported command ``name`` -> ``"module:function"``."""
    _COMMANDS[name] = target
