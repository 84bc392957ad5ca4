"""``genoseq info``: summarise a FASTA/FASTQ file (records, lengths, base composition)."""

from __future__ import annotations

import click

from genoseq.cli._paths import InputFile


@click.command()
@click.argument("path", type=InputFile(allow_dash=True))
def info(path: str) -> None:
    """Print one line per record of a FASTA/FASTQ file: name, length, GC fraction, N count.

    The GC fraction is that of the called bases: (G + C) / (A + C + G + T), case-insensitive, with N
    and the other IUPAC codes left out (empty when a record has no called base), so a scaffold's
    runs of N do not lower it.
    """
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
