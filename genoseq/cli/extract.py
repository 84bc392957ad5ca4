"""``genoseq extract``: the bases of BED regions of a reference, as a (labelled) sequence table."""

from __future__ import annotations

import click

from genoseq.cli._paths import InputFile, table_output_option


@click.command()
@click.argument("regions", metavar="BED", type=InputFile(allow_dash=True))
@click.option("--reference", required=True, type=InputFile(), help="Reference FASTA (plain or bgzip).")
@table_output_option
@click.option(
    "--window",
    type=click.IntRange(1),
    help="Take this many bases centred on each region (N off a contig's end), so that regions of any "
    "length give sequences of one length [default: each region's own bases].",
)
@click.option(
    "--label-column",
    help="BED column holding each region's label, written as `label`: name, score, a column a "
    "'#chrom start end ...' header line names after the sixth (the first six are chrom, start, end, name, score, "
    "strand whatever it calls them), or col7, col8 ... [default: no labels].",
)
@click.option(
    "--split",
    is_flag=True,
    help="Join the bases of each BED12 region's blocks (exons, say), as `bedtools getfasta -split` "
    "does, instead of taking everything from start to end; `length` is the blocks' total.",
)
def extract(
    regions: str, reference: str, output: str, window: int | None, label_column: str | None, split: bool
) -> None:
    """Write the bases of each BED region of the reference as one row of a sequence table.

    The table is what `genoseq train`, `evaluate` and `predict` read: chrom, start, end
    (0-based, half-open, as in BED), name, strand, length (or window_start, window_end with
    --window), `sequence` (reverse-complemented for `-` strand regions) and, with
    --label-column, `label` (every region needs one; with --label-column name, each row's
    name becomes its chrom:start-end). Every region is checked against its contig first.
    With --split, a BED12 region's blocks are joined (in the strand's order).
    """
    from genoseq.predict import output_format
    from genoseq.regions import extract_regions_file

    if split and window is not None:
        raise click.UsageError("--split and --window do not go together (a centred window has no blocks)")
    output_format(output)  # refuse a bad extension before any work
    n = extract_regions_file(
        regions, reference, output, window=window, label_column=label_column, split=split
    )
    click.echo(
        f"genoseq: extracted {n} region(s) -> {'standard output' if output == '-' else output}", err=True
    )
