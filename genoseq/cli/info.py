"""``genoseq info``: summarise a FASTA/FASTQ file (records, lengths, base composition)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from genoseq.cli._paths import InputFile


class _FastxOrModel(InputFile):
    """A FASTA/FASTQ file (``-``: standard input), or a model directory."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        # a model directory (its config.json checked there: a link to a device or FIFO is refused)
        if value != "-" and os.path.lexists(Path(value) / "config.json"):
            return str(value)
        return super().convert(value, param, ctx)


@click.command()
@click.argument("path", type=_FastxOrModel(allow_dash=True))
def info(path: str) -> None:
    """Print one line per record of a FASTA/FASTQ file: name, length, GC fraction, N count.

    The GC fraction is that of the called bases: (G + C) / (A + C + G + T), case-insensitive, with N
    and the other IUPAC codes left out (empty when a record has no called base), so a scaffold's
    runs of N do not lower it.

    PATH a model directory instead: one `field<TAB>value` line each for what it is (kind,
    architecture, task, classes, input length, encoding, strand, feature columns), its weights'
    checksum, how it was trained, its validation metrics and its calibration.
    """
    if path != "-" and Path(path).is_dir():  # holding config.json (any other directory is refused above)
        from genoseq.modeldir import describe_model_dir

        for field, value in describe_model_dir(path):
            click.echo(f"{field}\t{value}")
        return
    from genoseq.io import read_fastx

    total = 0
    for rec in read_fastx(path):
        if total == 0:
            click.echo("name\tlength\tgc\tn")
        seq = rec.sequence.upper()
        n = len(seq)
        gc_bases = seq.count("G") + seq.count("C")
        called = gc_bases + seq.count("A") + seq.count("T")
        gc = f"{gc_bases / called:.4f}" if called else ""
        click.echo(f"{rec.name}\t{n}\t{gc}\t{seq.count('N')}")
        total += 1
    if total == 0:
        click.echo(f"# {path}: no records", err=True)
