"""``genoseq train``: train a model on a labelled sequence table and write a model directory."""

from __future__ import annotations

import json
from typing import Any

import click

# Static so that ``--help`` does not import torch; checked against the registry at run time.
_MODEL_NAMES = ("cnn-lstm", "transformer")


def _parse_set(values: tuple[str, ...]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs → dict; values parsed as JSON when they parse (numbers, true/false), else text."""
    out: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--set")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def _pos_weight(value: str | None) -> tuple[float | None, bool]:
    if value is None:
        return None, False
    if value == "auto":
        return None, True
    try:
        return float(value), False
    except ValueError:
        raise click.BadParameter(
            f"expected a number or 'auto', got {value!r}", param_hint="--pos-weight"
        ) from None


@click.command()
@click.argument("data", type=click.Path(dir_okay=False))
@click.option(
    "--valid", type=click.Path(dir_okay=False), help="Validation table (default: hold out --valid-fraction)."
)
@click.option("--labels", type=click.Path(dir_okay=False), help="Labels table (name,label) for FASTA DATA.")
@click.option("--valid-labels", type=click.Path(dir_okay=False), help="Labels table for a FASTA --valid.")
@click.option("--model", "model_name", required=True, type=click.Choice(_MODEL_NAMES), help="Architecture.")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output model directory."
)
@click.option("--epochs", type=int, default=20, show_default=True, help="Maximum epochs.")
@click.option("--batch-size", type=int, default=64, show_default=True, help="Batch size per process.")
@click.option(
    "--lr", type=float, default=None, help="Peak learning rate [default: 1e-3 cnn-lstm, 3e-4 transformer]."
)
@click.option("--weight-decay", type=float, default=0.01, show_default=True, help="AdamW weight decay.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (init, shuffling, split).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option(
    "--precision", type=click.Choice(["auto", "fp32", "bf16", "fp16"]), default="auto", show_default=True
)
@click.option("--patience", type=int, default=5, show_default=True, help="Early-stopping patience (0 = off).")
@click.option(
    "--monitor",
    default="auto",
    show_default=True,
    help="Metric for early stopping: auto, loss, accuracy, auroc, auprc, mcc, f1.",
)
@click.option(
    "--valid-fraction", type=float, default=0.1, show_default=True, help="Held-out fraction without --valid."
)
@click.option(
    "--scheduler",
    type=click.Choice(["cosine", "constant"]),
    default="cosine",
    show_default=True,
    help="LR schedule after warm-up.",
)
@click.option(
    "--warmup-fraction", type=float, default=0.1, show_default=True, help="Fraction of steps for LR warm-up."
)
@click.option(
    "--pos-weight",
    default=None,
    help="Weight of positives in the loss: a number, or 'auto' (= n_neg/n_pos; class weights for multiclass).",
)
@click.option("--grad-clip", type=float, default=1.0, show_default=True, help="Gradient-norm clip (0 = off).")
@click.option(
    "--rc-augment/--no-rc-augment",
    default=True,
    show_default=True,
    help="Random reverse-complement augmentation.",
)
@click.option(
    "--num-workers", type=int, default=-1, show_default=True, help="DataLoader workers (-1 = auto)."
)
@click.option(
    "--pad", is_flag=True, help="Pad sequences of mixed lengths centrally with N instead of refusing them."
)
@click.option(
    "--set",
    "model_set",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a model config field (repeatable), e.g. --set lstm_hidden=32.",
)
@click.option("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from OUT's checkpoint.")
def train(
    data: str,
    valid: str | None,
    labels: str | None,
    valid_labels: str | None,
    model_name: str,
    out_dir: str,
    epochs: int,
    batch_size: int,
    lr: float | None,
    weight_decay: float,
    seed: int,
    device: str,
    precision: str,
    patience: int,
    monitor: str,
    valid_fraction: float,
    scheduler: str,
    warmup_fraction: float,
    pos_weight: str | None,
    grad_clip: float,
    rc_augment: bool,
    num_workers: int,
    pad: bool,
    model_set: tuple[str, ...],
    threads: int | None,
    resume: bool,
) -> None:
    """Train a model on DATA (CSV/TSV/Parquet with sequence,label columns, or FASTA + --labels).

    Writes OUT as a model directory (config.json + model.safetensors) with the
    training log, checkpoint and plots. Runs data-parallel under
    `torchrun --nproc_per_node N -m genoseq train ...`. An interrupted run
    (Ctrl-C, SIGTERM, crash) continues with the same command plus --resume.
    """
    from genoseq.train.config import TrainConfig
    from genoseq.train.run import train_model

    if threads is not None:
        if threads < 1:
            raise click.BadParameter("must be >= 1", param_hint="--threads")
        import torch

        torch.set_num_threads(threads)
    weight, balance = _pos_weight(pos_weight)
    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        lr=lr if lr is not None else (3e-4 if model_name == "transformer" else 1e-3),
        weight_decay=weight_decay,
        seed=seed,
        device=device,
        precision=precision,
        patience=patience,
        monitor=monitor,
        valid_fraction=valid_fraction,
        scheduler=scheduler,
        warmup_fraction=warmup_fraction,
        pos_weight=weight,
        balance_classes=balance,
        grad_clip=grad_clip,
        rc_augment=rc_augment,
        num_workers=num_workers,
    )
    output = train_model(
        data,
        model_name=model_name,
        out_dir=out_dir,
        config=config,
        valid=valid,
        labels=labels,
        valid_labels=valid_labels,
        model_overrides=_parse_set(model_set),
        resume=resume,
        pad=pad,
    )
    if output.model_dir is None:
        return
    result = output.result
    shown = ", ".join(
        f"{name} {result.metrics[name]:.4f}"
        for name in ("accuracy", "auroc", "mcc")
        if name in result.metrics
    )
    click.echo(
        f"wrote {output.model_dir}: best epoch {result.best_epoch} of {result.epochs_run} "
        f"({result.device}, {result.precision}, {result.world_size} process(es), {result.wall_seconds:.1f} s); "
        f"validation {shown}"
    )
