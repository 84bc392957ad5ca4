"""``genoseq info``: summarise a FASTA/FASTQ file (records, lengths, base composition)."""

from __future__ import annotations

import click

from genoseq.cli._paths import InputFile


@click.command()
@click.argument("path", type=InputFile(allow_dash=True))
def info(path: str) -> None:
    """Print one line per record of a FASTA/FASTQ file: name, length, GC fraction, N count."""
    from genoseq.io import read_fastx

    total = 0
    for rec in read_fastx(path):
        if total == 0:
            click.echo("name\tlength\tgc\tn")
        seq = rec.sequence.upper()
        n = len(seq)
        gc = (seq.count("G") + seq.count("C")) / n if n else 0.0
        click.echo(f"{rec.name}\t{n}\t{gc:.4f}\t{seq.count('N')}")
        total += 1
    if total == 0:
        click.echo(f"# {path}: no records", err=True)
