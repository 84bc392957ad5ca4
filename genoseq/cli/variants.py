"""``genoseq score-variants``, ``genoseq calibrate`` and ``genoseq ism``: thin shells over genoseq.variants."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from genoseq.cli._paths import STRAND_HELP, InputFile, ModelDir, OutputFile, device_option

_file = InputFile()
_model_dir = ModelDir()
_out = OutputFile()
_table_out = OutputFile(allow_dash=True)  # a table: `-` streams TSV to standard output
class _IsmOutput(OutputFile):
    """``ism -o``: a table (.parquet/.tsv/.csv, the heat map beside it as .png), a prefix without an
    extension (``PREFIX.parquet`` + ``PREFIX.png``) or a directory (``DIR/ism.parquet`` + ``DIR/ism.png``;
    a name ending in ``/`` is made if missing)."""

    def convert(self, value, param, ctx):  # noqa: ANN001, ANN201 - click's signature
        from genoseq._atomic import writes_through

        text = os.fspath(value)
        if text.strip() and text != "-":  # the empty and '-' are refused by OutputFile
            if writes_through(text):
                raise click.BadParameter(
                    "ism writes a heat map beside its table: give a file name, prefix or directory, not"
                    " a device or pipe"
                )
            path = Path(text)
            if path.is_dir() or text.endswith(("/", os.sep)):
                value = str(path / "ism.parquet")
            elif not path.suffix:
                value = text + ".parquet"
        return super().convert(value, param, ctx)


def _load(model: str, device: str):
    from genoseq.predict import Predictor

    return Predictor.load(model, device=None if device == "auto" else device)


@click.command("score-variants")
@click.argument("model", type=_model_dir)
@click.option("--vcf", required=True, type=_file, help="VCF / VCF.gz / BCF of variants to score.")
@click.option("--reference", required=True, type=_file, help="Reference FASTA (plain or bgzip).")
@click.option(
    "-o",
    "--out",
    required=True,
    type=_table_out,
    help="Output table (.parquet/.tsv/.csv; `-`: TSV to standard output).",
)
@click.option("--vcf-out", type=_out, help="Also write an annotated, bgzipped, indexed VCF.")
@click.option("--region", help="Only variants in chrom:start-end (1-based, inclusive) or chrom.")
@click.option(
    "--on-ref-mismatch",
    type=click.Choice(["flag", "skip", "error"]),
    default="flag",
    show_default=True,
    help="What to do when REF disagrees with the reference.",
)
@click.option(
    "--strand",
    type=click.Choice(["both", "forward"]),
    default=None,
    help=STRAND_HELP,
)
@click.option(
    "--batch-size", type=click.IntRange(1), default=4096, show_default=True, help="Variants per batch."
)
@device_option
@click.option("--quiet", is_flag=True, help="No progress bar or summary.")
def score_variants(
    model, vcf, reference, out, vcf_out, region, on_ref_mismatch, strand, batch_size, device, quiet
):
    """Score each VCF variant with MODEL: ref/alt scores, diff, log-odds and risk.

    See the README ("Variant scoring") for the window convention and each score's definition.
    """
    from genoseq.variants import score_vcf_to_files

    predictor = _load(model, device)
    stats = score_vcf_to_files(
        predictor,
        vcf,
        reference,
        out,
        vcf_out=vcf_out,
        region=region,
        strand=strand,
        on_ref_mismatch=on_ref_mismatch,
        batch_size=batch_size,
        progress=not quiet and sys.stderr.isatty(),
    )
    if not quiet:
        click.echo(
            f"scored {stats.scored} variant(s); REF mismatches {stats.ref_mismatch}; "
            f"symbolic skipped {stats.skipped_symbolic} -> {'standard output' if out == '-' else out}",
            err=True,
        )


@click.command()
@click.argument("model", type=_model_dir)
@click.option("--reference", required=True, type=_file, help="Reference FASTA to draw random SNVs from.")
@click.option(
    "--n",
    "n",
    type=click.IntRange(1, 100_000_000),
    default=100_000,
    show_default=True,
    help="Background SNVs.",
)
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True)
@click.option("--strand", type=click.Choice(["both", "forward"]), default=None, help=STRAND_HELP)
@device_option
def calibrate(model, reference, n, seed, strand, device):
    """Store a background of |log_odds| over random reference SNVs in MODEL, for the risk score."""
    from genoseq.variants import calibrate as run

    bg = run(_load(model, device), reference, n, seed=seed, strand=strand)
    click.echo(f"stored {bg.n} background SNVs in {model}", err=True)


@click.command()
@click.argument("model", type=_model_dir)
@click.option("--reference", required=True, type=_file)
@click.option("--region", required=True, help="chrom:start-end, 1-based inclusive.")
@click.option(
    "-o",
    "--out",
    required=True,
    type=_IsmOutput(),
    help="Output table (.parquet/.tsv/.csv; the heat map goes beside it as .png), or a prefix without an"
    " extension (PREFIX.parquet + PREFIX.png), or a directory (DIR/ism.parquet + DIR/ism.png).",
)
@click.option("--strand", type=click.Choice(["both", "forward"]), default=None, help=STRAND_HELP)
@device_option
def ism(model, reference, region, out, strand, device):
    """In-silico saturation mutagenesis of a region: every position × 3 alternatives."""
    from genoseq.data.writers import output_table_format, write_table
    from genoseq.errors import ConfigError
    from genoseq.io import Reference
    from genoseq.io.vcf import parse_region
    from genoseq.variants.ism import ism_heatmap, saturation_mutagenesis

    output_table_format(out)
    png_path = Path(out).with_suffix(".png")
    if png_path.is_dir():
        raise ConfigError("the heat map goes here, beside the table, but it is a directory", path=png_path)
    if png_path.exists() and png_path.resolve().parent == Path(model).resolve():
        raise ConfigError(
            "the heat map goes here, beside the table, and would overwrite this file of the model"
            " directory; write the table elsewhere",
            path=png_path,
        )
    predictor = _load(model, device)
    with Reference(reference) as ref:
        chrom, start, end = parse_region(region, ref.contigs, path=str(reference))
        chrom = ref.resolve(chrom)
        start = 0 if start is None else start
        end = ref.length(chrom) if end is None else end  # saturation_mutagenesis checks the bounds
        df = saturation_mutagenesis(predictor, ref, chrom, start, end, strand=strand)
    from genoseq._atomic import atomic_paths

    # the table and its heat map appear together or not at all (an interrupt between them left a
    # new table beside the old region's picture)
    with atomic_paths([Path(out), png_path]) as (table_tmp, png_tmp):
        write_table(df, table_tmp, format=output_table_format(out))
        ism_heatmap(df, png_tmp, title=f"ISM {Path(model).name} {region}")
    click.echo(f"{df.height} substitutions -> {out}, {png_path}", err=True)
