"""``genoseq predict``: class probabilities for every record of a FASTA/FASTQ file or table."""

from __future__ import annotations

import click

from genoseq.cli._paths import InputFile, ModelDir, inference_options, table_output_option


@click.command()
@click.argument("model", type=ModelDir())
@click.argument("input_path", metavar="[INPUT]", required=False, type=InputFile(allow_dash=True))
@table_output_option
@click.option(
    "--regions",
    type=InputFile(allow_dash=True),
    help="BED file (plain or gzip; `-` reads standard input) of regions to score, read from "
    "--reference, instead of INPUT.",
)
@click.option(
    "--reference",
    type=InputFile(),
    help="Reference FASTA (plain or bgzip) the --regions are read from.",
)
@click.option(
    "--centered",
    is_flag=True,
    help="With --regions: score the model's input length of reference centred on each region "
    "(real flanks; N only off a contig's end) instead of the region's own bases.",
)
@click.option(
    "--split",
    is_flag=True,
    help="With --regions: score the joined bases of each BED12 region's blocks (exons, say), as "
    "`bedtools getfasta -split` reads them, instead of everything from start to end.",
)
@inference_options
def predict(
    model: str,
    input_path: str | None,
    output: str,
    regions: str | None,
    reference: str | None,
    centered: bool,
    split: bool,
    strand: str,
    batch_size: int | None,
    device: str,
) -> None:
    """Score each record of INPUT, or each BED region of a reference, with the model directory MODEL.

    INPUT is FASTA/FASTQ (optionally gzipped; `-` reads it from standard input)
    or a CSV/TSV/Parquet table with a `sequence` column (and optionally `name` or `id`). The output has one row
    per record: name, length and one `p_<class>` probability column per output
    (binary models: the positive class only). Sequences shorter than the model
    input are padded centrally with N; longer ones are scored in sliding
    windows (stride half the input length) and their probabilities averaged.

    With --regions BED --reference FASTA instead of INPUT, each BED region's bases are read
    from the reference (the reverse complement for a `-` strand region) and scored the same
    way; the rows are chrom, start, end (0-based, half-open, as in the BED file), name,
    strand, length (or window_start, window_end with --centered) and the probabilities.
    With --split, a BED12 region's blocks are joined (in the strand's order) and `length` is
    their total.
    """
    from genoseq.predict import Predictor, output_format, predict_file

    if regions is None:
        if input_path is None:
            raise click.UsageError("give INPUT (FASTA/FASTQ/table), or --regions BED with --reference FASTA")
        for flag, value in (("--reference", reference), ("--centered", centered), ("--split", split)):
            if value:
                raise click.UsageError(f"{flag} goes with --regions (INPUT is scored as it is)")
    else:
        if input_path is not None:
            raise click.UsageError("give INPUT or --regions, not both")
        if reference is None:
            raise click.UsageError("--regions needs --reference FASTA to read the regions' bases from")
        if split and centered:
            raise click.UsageError(
                "--split and --centered do not go together (a centred window has no blocks)"
            )
    output_format(output)  # refuse a bad extension before any work
    predictor = Predictor.load(model, device=device)
    if regions is None:
        n = predict_file(predictor, input_path, output, strand=strand, batch_size=batch_size)
        what = "records"
    else:
        from genoseq.regions import predict_regions_file

        n = predict_regions_file(
            predictor,
            regions,
            reference,
            output,
            centered=centered,
            strand=strand,
            batch_size=batch_size,
            split=split,
        )
        what = "regions"
    click.echo(f"genoseq: scored {n} {what} -> {'standard output' if output == '-' else output}", err=True)
