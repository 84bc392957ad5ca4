"""``genoseq evaluate``: metrics of a trained model on a labelled table."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from genoseq.cli._paths import InputFile, ModelDir, OutputDir, OutputFile, inference_options


@click.command()
@click.argument("model", type=ModelDir())
@click.argument("data", type=InputFile())
@click.option(
    "-o",
    "--output",
    required=True,
    type=OutputFile(allow_dash=True),
    help="Metrics JSON file (.json); `-` writes it to standard output.",
)
@click.option("--labels", type=InputFile(), help="Labels table (name,label) for FASTA/FASTQ DATA.")
@click.option("--plots-dir", type=OutputDir(), help="Write the ROC/PR curves on DATA here (roc_pr.png).")
@inference_options
def evaluate(
    model: str,
    data: str,
    output: str,
    labels: str | None,
    plots_dir: str | None,
    strand: str,
    batch_size: int | None,
    device: str,
) -> None:
    """Evaluate the model directory MODEL on the labelled table DATA.

    DATA is read like `genoseq train` reads it (CSV/TSV/Parquet with `sequence`
    and `label` columns, or FASTA/FASTQ with --labels), with the model's classes;
    sequences of any length are scored as `genoseq predict` scores them (padded
    centrally with N, or in sliding windows; said on stderr).
    Writes accuracy, AUROC, AUPRC, MCC and F1 (macro for multi-class) to the
    JSON file OUTPUT (null where undefined; `-o -`: to standard output) and prints them; with --plots-dir, also
    the ROC and precision-recall curves on DATA (roc_pr.png).
    """
    import datetime

    import torch

    from genoseq import __version__
    from genoseq._atomic import atomic_paths, is_stdout, writes_through
    from genoseq.data import load_table
    from genoseq.errors import ConfigError
    from genoseq.modeldir import VARIANT_KIND
    from genoseq.predict import Predictor, evaluate_table

    predictor = Predictor.load(model, device=device)
    to_stdout = output == "-"
    summary_to_stderr = is_stdout(output)  # the summary must not follow the JSON on standard output
    if not to_stdout and Path(output).suffix.lower() != ".json" and not writes_through(Path(output)):
        raise ConfigError(
            "evaluate writes JSON: give -o a name ending in .json (or - for standard output)", path=output
        )
    if ((predictor.config or {}).get("extra") or {}).get("kind") == VARIANT_KIND:
        raise ConfigError(
            f"{model} is a variant-risk model: evaluate scores labelled sequence tables (a variant-risk "
            "model is evaluated on labelled variants with genoseq cross-validate)"
        )
    table = load_table(
        data,
        labels,
        classes=predictor.classes,
        task=predictor.task,
        pad=True,
        features=predictor.table_features(),  # the model's feature columns, by name
    )
    lengths = table.lengths if table.lengths is not None else [table.length]
    if min(lengths) != predictor.input_length or max(lengths) != predictor.input_length:
        shortest, longest = int(min(lengths)), int(max(lengths))
        span = f"{shortest}" if shortest == longest else f"{shortest}-{longest}"
        logging.getLogger("genoseq").warning(
            "%s: sequences of %s bases, the model takes %d: each scored as genoseq predict scores it "
            "(padded centrally with N, or in sliding windows)",
            data,
            span,
            predictor.input_length,
        )
    strand = predictor.resolve_strand(strand)
    png = None if plots_dir is None else Path(plots_dir) / "roc_pr.png"
    if png is not None:
        png.parent.mkdir(parents=True, exist_ok=True)
    # the metrics and their plot appear together or not at all (the plot went first: a JSON that
    # could not be written left a new plot beside the old metrics)
    targets = ([] if to_stdout else [Path(output)]) + ([] if png is None else [png])
    with atomic_paths(targets) as tmps:
        png_tmp = None if png is None else tmps[-1]
        metrics = evaluate_table(predictor, table, strand=strand, batch_size=batch_size, roc_pr_png=png_tmp)
        document = {
            **metrics,
            "model": str(Path(model).resolve()),
            "weights_sha256": predictor.weights_sha256,
            "data": table.provenance(),
            "strand": strand,
            "device": str(predictor.device),
            "genoseq_version": __version__,
            "torch_version": torch.__version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        }
        text = json.dumps(document, indent=2, allow_nan=False) + "\n"
        if to_stdout:  # the JSON alone on standard output (for jq and the like); the summary on stderr
            click.echo(text, nl=False)
        else:
            tmps[0].write_text(text, encoding="utf-8")
    for key in ("accuracy", "auroc", "auprc", "mcc", "f1"):
        value = metrics.get(key)
        click.echo(f"{key}\t{'null (undefined)' if value is None else f'{value:.4f}'}", err=summary_to_stderr)
