"""``genoseq predict``: class probabilities for every record of a FASTA/FASTQ file or table."""

from __future__ import annotations

import click

from genoseq.cli._paths import InputFile, ModelDir, OutputFile, inference_options


@click.command()
@click.argument("model", type=ModelDir())
@click.argument("input_path", metavar="INPUT", type=InputFile(allow_dash=True))
@click.option(
    "-o",
    "--output",
    required=True,
    type=OutputFile(allow_dash=True),
    help="Output table; .parquet, .tsv or .csv (format from the extension); `-` streams TSV to standard output.",
)
@inference_options
def predict(
    model: str, input_path: str, output: str, strand: str, batch_size: int | None, device: str
) -> None:
    """Score each record of INPUT with the model directory MODEL.

    INPUT is FASTA/FASTQ (optionally gzipped; `-` reads it from standard input)
    or a CSV/TSV/Parquet table with a `sequence` column (and optionally `name` or `id`). The output has one row
    per record: name, length and one `p_<class>` probability column per output
    (binary models: the positive class only). Sequences shorter than the model
    input are padded centrally with N; longer ones are scored in sliding
    windows (stride half the input length) and their probabilities averaged.
    """
    from genoseq.predict import Predictor, output_format, predict_file

    output_format(output)  # refuse a bad extension before any work
    predictor = Predictor.load(model, device=device)
    n = predict_file(predictor, input_path, output, strand=strand, batch_size=batch_size)
    click.echo(f"genoseq: scored {n} records -> {'standard output' if output == '-' else output}", err=True)
