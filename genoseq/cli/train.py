"""``genoseq train``: train a model on a labelled sequence table (or labelled VCF) and write a model directory."""

from __future__ import annotations

import math
from typing import Any

import click

from genoseq.cli._paths import InputFile, OutputDir
from genoseq.cli._train_options import (
    MODEL_NAMES,
    RC_AUGMENT_VCF,
    build_train_config,
    set_values_as_usage_errors,
    train_options,
)

_VCF_SUFFIXES = (".vcf", ".vcf.gz", ".vcf.bgz", ".bcf")


def is_vcf(path: str) -> bool:
    """Whether DATA names a VCF/BCF (variant-risk training) rather than a sequence table."""
    return path.lower().endswith(_VCF_SUFFIXES)


def variant_options(func: Any) -> Any:
    """Options of variant-risk training (a labelled VCF as DATA)."""
    options = [
        click.option(
            "--reference",
            type=InputFile(),
            help="Reference FASTA (required when DATA is a VCF).",
        ),
        click.option(
            "--label-field",
            default=None,
            help="INFO field with the binary label, 1/0 or pathogenic/benign (VCF DATA).",
        ),
        click.option(
            "--annotation",
            type=InputFile(),
            help="BED of loci: per-base annotation channels and consequence features (VCF DATA).",
        ),
        click.option(
            "--info-features",
            default="",
            help="Comma-separated numeric INFO fields used as features, e.g. AF_hom,AF_het (VCF DATA).",
        ),
        click.option(
            "--block-size",
            type=click.IntRange(1),
            default=1000,
            show_default=True,
            help="Genomic block size (bp) for validation splits that do not leak (VCF DATA).",
        ),
        click.option(
            "--window",
            type=click.IntRange(3),
            default=11,
            show_default=True,
            help="Window length in bases around each variant (VCF DATA).",
        ),
        click.option(
            "--genetic-code",
            type=int,
            default=None,
            help="NCBI genetic code for consequences [default: 2 for chrM/MT, else 1].",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def variant_model_options(params: dict[str, Any]) -> Any:
    """``VariantModelOptions`` from the parsed variant options (removed from ``params``)."""
    from genoseq.variants.risk_model import VariantModelOptions

    if not params.get("label_field"):
        raise click.UsageError("--label-field is required when DATA is a VCF")
    if not params.get("reference"):
        raise click.UsageError("--reference is required when DATA is a VCF")
    from genoseq.errors import ConfigError

    fields = tuple(f.strip() for f in params.pop("info_features").split(",") if f.strip())
    try:
        return VariantModelOptions(
            label_field=params.pop("label_field"),
            annotation=params.pop("annotation"),
            info_features=fields,
            input_length=params.pop("window"),
            block_size=params.pop("block_size"),
            genetic_code=params.pop("genetic_code"),
        )
    except ConfigError as exc:  # a bad option value is a usage error (exit 2), as the training options'
        raise click.UsageError(str(exc)) from None


@click.command()
@click.argument("data", type=InputFile())
@click.option(
    "--valid",
    type=InputFile(),
    help="Validation table, or labelled VCF for VCF DATA (default: hold out --valid-fraction; of a VCF by"
    " genomic blocks).",
)
@click.option("--labels", type=InputFile(), help="Labels table (name,label) for FASTA/FASTQ DATA.")
@click.option("--valid-labels", type=InputFile(), help="Labels table for a FASTA/FASTQ --valid.")
@click.option("--model", "model_name", required=True, type=click.Choice(MODEL_NAMES), help="Architecture.")
@click.option("--out", "out_dir", required=True, type=OutputDir(), help="Output model directory.")
@click.option(
    "--strand",
    type=click.Choice(["auto", "both", "forward"]),
    default=None,
    help="Strands the model scores by default: 'both' (strand-symmetric task; trains with "
    "reverse-complement augmentation), 'forward' (strand-specific, e.g. promoters), or 'auto': train "
    "on the given strand, then record 'forward' only if it is clearly better than averaging both "
    "strands on the validation set (under 500 validation sequences it trains and records as 'both') "
    "[default: auto; table DATA only].",
)
@click.option(
    "--positive-class",
    help="Binary tasks: the label whose probability the model outputs [default: 1 of 0/1; of two "
    "names, the one the other negates (enhancer, not non-enhancer; true, yes), else the second "
    "alphabetically].",
)
@train_options
@click.option(
    "--pad", is_flag=True, help="Pad sequences of mixed lengths centrally with N instead of refusing them."
)
@variant_options
@click.option("--resume", is_flag=True, help="Continue an interrupted run from OUT's checkpoint.")
def train(data: str, model_name: str, out_dir: str, **params: Any) -> None:
    """Train a model on DATA and write OUT as a model directory.

    DATA is a table (CSV/TSV/Parquet with sequence,label columns, or FASTA/FASTQ + --labels) for a sequence
    classifier, or a labelled VCF (+ --reference, --label-field, optionally --annotation and
    --info-features) for a variant-risk model. OUT gets config.json + model.safetensors, the training
    log, checkpoint and plots. Runs data-parallel under `torchrun --nproc_per_node N -m genoseq train ...`.
    An interrupted run (Ctrl-C, SIGTERM, crash) continues with the same command plus --resume.
    """
    strand = params.pop("strand")
    if is_vcf(data) and strand is not None:
        raise click.UsageError(
            "--strand applies to table DATA, not a VCF (a variant-risk model scores the reference strand, "
            "where its annotation channels hold)"
        )
    if is_vcf(data) and params.get("rc_augment"):
        raise click.UsageError(RC_AUGMENT_VCF)
    config, overrides = build_train_config(
        model_name, params, strand=strand or ("both" if is_vcf(data) else "auto")
    )
    if is_vcf(data):
        from genoseq.variants.risk_model import train_variant_model

        options = variant_model_options(params)
        for name in ("labels", "valid_labels", "positive_class"):
            if params.get(name):
                raise click.UsageError(f"--{name.replace('_', '-')} applies to table DATA, not a VCF")
        with set_values_as_usage_errors(overrides):
            out = train_variant_model(
                data,
                params["reference"],
                model_name=model_name,
                out_dir=out_dir,
                config=config,
                options=options,
                model_overrides=overrides,
                resume=params["resume"],
                valid_vcf=params["valid"],
            )
        if out.model_dir is not None:
            m = out.metrics
            how = "--valid" if params["valid"] else "genomic blocks"
            click.echo(
                f"wrote {out.model_dir}: {out.n_train} training / {out.n_valid} validation variants "
                f"({how}); validation AUROC {m['auroc']:.4f}, AUPRC {m['auprc']:.4f}"
            )
        return
    if params["valid_labels"] and not params["valid"]:
        raise click.UsageError("--valid-labels labels a FASTA/FASTQ --valid; give --valid too")
    from genoseq.train.run import train_model

    with set_values_as_usage_errors(overrides):
        output = train_model(
            data,
            model_name=model_name,
            out_dir=out_dir,
            config=config,
            valid=params["valid"],
            labels=params["labels"],
            valid_labels=params["valid_labels"],
            model_overrides=overrides,
            resume=params["resume"],
            pad=params["pad"],
            positive_class=params["positive_class"],
        )
    if output.model_dir is None:
        return
    result = output.result
    shown = ", ".join(
        f"{name} {output.metrics[name]:.4f}"
        for name in ("accuracy", "auroc", "mcc")
        if isinstance(output.metrics.get(name), float) and math.isfinite(output.metrics[name])
    )
    click.echo(
        f"wrote {output.model_dir}: best epoch {result.best_epoch} of {result.epochs_run} "
        f"({result.device}, {result.precision}, {result.world_size} process(es), {result.wall_seconds:.1f} s); "
        f"validation {shown}; scores {'both strands' if output.strand == 'both' else 'the forward strand'} "
        f"by default"
    )


__all__ = ["is_vcf", "train", "variant_model_options", "variant_options"]
