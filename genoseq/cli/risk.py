"""``genoseq cross-validate``: block cross-validation of a variant-risk model on a labelled VCF."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import click

from genoseq.cli._paths import InputFile, OutputDir, OutputFile
from genoseq.cli._train_options import (
    MODEL_NAMES,
    RC_AUGMENT_VCF,
    build_train_config,
    set_values_as_usage_errors,
    train_options,
)
from genoseq.cli.train import variant_model_options, variant_options


@click.command("cross-validate")
@click.argument("vcf", type=InputFile())
@click.option("--model", "model_name", required=True, type=click.Choice(MODEL_NAMES), help="Architecture.")
@click.option("--folds", type=click.IntRange(2), default=5, show_default=True, help="Number of block folds.")
@click.option("-o", "--out", required=True, type=OutputFile(), help="Metrics JSON to write.")
@click.option("--plots-dir", type=OutputDir(), help="Write out-of-fold ROC/PR curves (PNG) here.")
@train_options
@variant_options
def cross_validate(
    vcf: str, model_name: str, folds: int, out: str, plots_dir: str | None, **params: Any
) -> None:
    """Block cross-validation of a variant-risk model on a labelled VCF.

    Whole genomic blocks (--block-size) form the folds, so neighbouring variants never sit on both
    sides of a split. Writes per-fold and mean ± sd AUROC/AUPRC (and pooled out-of-fold figures).
    Inside each fold's training part, early stopping holds out one of max(2, min(4, FOLDS - 1))
    block folds (--valid-fraction is not used here); a fold whose variants are all one class has
    null AUROC and AUPRC and is left out of the means.
    """
    import numpy as np

    from genoseq._atomic import atomic_paths
    from genoseq.train.plots import plot_roc_pr
    from genoseq.variants.risk_model import cross_validate_variant_model

    source = click.get_current_context().get_parameter_source("valid_fraction")
    if source is not None and source.name == "COMMANDLINE":
        click.echo(
            "genoseq: WARNING: --valid-fraction is not used by cross-validate: early stopping holds"
            " out one inner block fold",
            err=True,
        )
    if params.get("rc_augment"):
        raise click.UsageError(RC_AUGMENT_VCF)
    png = None if plots_dir is None else Path(plots_dir) / "cv_roc_pr.png"
    if png is not None and Path(out).absolute() == png.absolute():
        raise click.BadParameter(f"is the plot --plots-dir writes ({png}); write the metrics elsewhere", param_hint="-o")
    if png is not None:
        png.parent.mkdir(parents=True, exist_ok=True)
    config, overrides = build_train_config(model_name, params)
    options = variant_model_options(params)
    from genoseq.train import TrainingInterrupted

    with tempfile.TemporaryDirectory(prefix="genoseq-cv-") as work, set_values_as_usage_errors(overrides):
        try:
            result = cross_validate_variant_model(
                vcf,
                params["reference"],
                model_name=model_name,
                config=config,
                options=options,
                n_folds=folds,
                model_overrides=overrides,
                work_dir=work,
            )
        except TrainingInterrupted as exc:  # its fold checkpoint goes with the temporary directory
            detail = str(exc).split(";", 1)[0].split(": ", 1)[-1]  # "interrupted by SIGINT in epoch N"
            raise TrainingInterrupted(
                f"cross-validation {detail}; nothing was written (cross-validate keeps no checkpoint: run it"
                " again from the start)"
            ) from None
    labels, probs = result.pop("oof_labels"), result.pop("oof_probs")
    result["info_features"] = list(options.info_features)
    result["annotation"] = options.annotation
    from genoseq.train.logs import json_safe

    # the metrics and their plot appear together or not at all (the plot went first: a JSON that
    # could not be written left a new plot beside the old metrics)
    with atomic_paths([Path(out), *([] if png is None else [png])]) as tmps:
        tmps[0].write_text(json.dumps(json_safe(result), indent=2, allow_nan=False))  # undefined: null
        if png is not None:
            plot_roc_pr(np.asarray(labels), np.asarray(probs)[:, None], "binary", ["benign", "pathogenic"], tmps[1])

    def show(key: str) -> str:
        mean, sd = result[f"{key}_mean"], result[f"{key}_sd"]
        return "undefined" if mean is None else f"{mean:.3f} ± {sd or 0:.3f}"

    click.echo(f"{model_name}: block-CV AUROC {show('auroc')}, AUPRC {show('auprc')} -> {out}")
