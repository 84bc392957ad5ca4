"""Training options shared by ``genoseq train`` and ``genoseq cross-validate``."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import click

from genoseq._config_keys import DERIVED_KEYS
from genoseq.errors import ConfigError

# Static so that ``--help`` does not import torch; checked against the registry at run time.
MODEL_NAMES = ("cnn-lstm", "transformer")
#: a variant-risk model is trained on the reference strand, where its annotation channels hold
RC_AUGMENT_VCF = (
    "--rc-augment applies to table DATA, not a VCF (a variant-risk model learns the reference strand)"
)


def _parse_set(values: tuple[str, ...]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs → dict; values parsed as JSON when they parse (numbers, true/false), else text."""
    out: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--set")
        if key.strip() in DERIVED_KEYS:
            raise click.BadParameter(
                f"{key.strip()} is set from the data (sequence length, labels, features, tokenizer),"
                " not by --set",
                param_hint="--set",
            )
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def _check_set_keys(model_name: str, overrides: dict[str, Any]) -> None:
    """A misspelt ``--set`` key is a usage error now, before any data is read."""
    from genoseq.models.registry import check_override_keys

    try:
        check_override_keys(model_name, overrides)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--set") from None


@contextlib.contextmanager
def set_values_as_usage_errors(overrides: dict[str, Any]) -> Iterator[None]:
    """Inside: a ``ConfigError`` about a ``--set`` key's value (``conv_filters must be int, got 'x'``,
    one that names the key) becomes a usage error (exit 2) naming ``--set``, like a misspelt key."""
    try:
        yield
    except ConfigError as exc:
        message = str(exc)
        # about a --set key: it names one ("conv_filters must be int", "d_model (64) must be divisible by
        # n_heads (3)"); errors about files carry a path or record and stay what they are
        named = any(re.search(rf"\b{re.escape(key)}\b", message) for key in overrides)
        if overrides and exc.path is None and exc.record is None and named:
            raise click.BadParameter(message, param_hint="--set") from None
        raise


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


_OPTIONS = [
    click.option("--epochs", type=int, default=20, show_default=True, help="Maximum epochs."),
    click.option("--batch-size", type=int, default=64, show_default=True, help="Batch size per process."),
    click.option(
        "--lr",
        type=float,
        default=None,
        help="Peak learning rate [default: 1e-3 cnn-lstm, 3e-4 transformer].",
    ),
    click.option("--weight-decay", type=float, default=0.01, show_default=True, help="AdamW weight decay."),
    click.option(
        "--seed",
        type=click.IntRange(0, 2**63 - 1),
        default=0,
        show_default=True,
        help="Random seed (init, shuffling, split).",
    ),
    click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True),
    click.option(
        "--precision", type=click.Choice(["auto", "fp32", "bf16", "fp16"]), default="auto", show_default=True
    ),
    click.option(
        "--patience", type=int, default=5, show_default=True, help="Early-stopping patience (0 = off)."
    ),
    click.option(
        "--monitor",
        default="auto",
        show_default=True,
        help="Metric for early stopping: auto, loss, accuracy, auroc, auprc, mcc, f1.",
    ),
    click.option(
        "--valid-fraction",
        type=float,
        default=0.1,
        show_default=True,
        help="Held-out fraction without --valid (cross-validate holds out block folds instead).",
    ),
    click.option(
        "--scheduler",
        type=click.Choice(["cosine", "constant"]),
        default="cosine",
        show_default=True,
        help="LR schedule after warm-up.",
    ),
    click.option(
        "--warmup-fraction",
        type=float,
        default=0.1,
        show_default=True,
        help="Fraction of steps for LR warm-up.",
    ),
    click.option(
        "--pos-weight",
        default=None,
        help="Weight of positives in the loss: a number, or 'auto' (= n_neg/n_pos; class weights for multiclass).",
    ),
    click.option(
        "--grad-clip", type=float, default=1.0, show_default=True, help="Gradient-norm clip (0 = off)."
    ),
    click.option(
        "--rc-augment/--no-rc-augment",
        default=None,
        help="Random reverse-complement augmentation of table DATA [default: on with --strand both, off "
        "with --strand forward; with --strand auto off, unless the validation set is too small (< 500) to "
        "choose]. Not for a VCF (variant-risk training, cross-validate): such a model learns the reference "
        "strand, and --rc-augment is refused there.",
    ),
    click.option(
        "--ema-decay",
        type=click.FloatRange(0.0, 1.0, max_open=True),
        default=None,
        help="Validate and save an exponential moving average of the weights with this decay per step "
        "(0 = off) [default: 0.99 for cnn-lstm, 0 for transformer].",
    ),
    click.option(
        "--num-workers", type=int, default=-1, show_default=True, help="DataLoader workers (-1 = auto)."
    ),
    click.option(
        "--set",
        "model_set",
        multiple=True,
        metavar="KEY=VALUE",
        help="Override a model config field (repeatable), e.g. --set lstm_hidden=32.",
    ),
    click.option(
        "--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)."
    ),
]

TRAIN_OPTION_NAMES = (
    "epochs",
    "batch_size",
    "lr",
    "weight_decay",
    "seed",
    "device",
    "precision",
    "patience",
    "monitor",
    "valid_fraction",
    "scheduler",
    "warmup_fraction",
    "pos_weight",
    "grad_clip",
    "rc_augment",
    "ema_decay",
    "num_workers",
    "model_set",
    "threads",
)


def train_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the training options (epochs, batch size, learning rate, device, precision, ...) to a command."""
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def build_train_config(
    model_name: str, params: dict[str, Any], *, strand: str = "both"
) -> tuple[Any, dict[str, Any]]:
    """``(TrainConfig, model overrides)`` from the parsed training options (removed from ``params``).

    ``strand`` is the model's strand policy (:attr:`genoseq.train.TrainConfig.strand`); unless
    ``--rc-augment`` / ``--no-rc-augment`` was given, the augmentation follows it (see
    :attr:`genoseq.train.TrainConfig.rc_augment`).
    """
    from genoseq.train.config import MODEL_TRAIN_DEFAULTS, TrainConfig

    values = {name: params.pop(name) for name in TRAIN_OPTION_NAMES}
    values["strand"] = strand  # rc_augment None follows it (TrainConfig)
    threads = values.pop("threads")
    if threads is not None:
        if not 1 <= threads <= 4096:
            raise click.BadParameter(f"must be between 1 and 4096, got {threads}", param_hint="--threads")
        import torch

        torch.set_num_threads(threads)
    overrides = _parse_set(values.pop("model_set"))
    _check_set_keys(model_name, overrides)
    weight, balance = _pos_weight(values.pop("pos_weight"))
    per_model = MODEL_TRAIN_DEFAULTS.get(model_name, {})
    for name in ("lr", "ema_decay"):  # unset: the architecture's default
        if values[name] is None and name in per_model:
            values[name] = per_model[name]
        elif values[name] is None:
            del values[name]
    try:
        config = TrainConfig(pos_weight=weight, balance_classes=balance, **values)
    except ConfigError as exc:  # a bad option value is a usage error (exit 2), like click's own checks
        field = str(exc).split(None, 1)[0] if str(exc) else ""
        if field in values or field == "pos_weight":
            raise click.BadParameter(str(exc), param_hint=f"--{field.replace('_', '-')}") from None
        raise click.UsageError(str(exc)) from None
    return config, overrides
