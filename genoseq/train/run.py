"""Table in, model directory out: what ``genoseq train`` runs.

:func:`train_model` reads the training (and validation) table, holds out a
stratified validation split when no validation table is given, builds the
model from the registry, trains it with :func:`genoseq.train.fit` and — on
rank 0 only — writes the model directory (``config.json`` +
``model.safetensors`` via :func:`genoseq.modeldir.save_model_dir`, with the
training provenance and validation metrics) next to the training log, the
checkpoint and two plots (``training_curves.png``, ``roc_pr.png``). With
``config.strand == "auto"`` it then decides on the validation set whether the
model scores the forward strand only or both strands by default
(:func:`genoseq.train.strand.choose_strand`) and records the choice in the
directory (``extra["strand"]``), where :class:`genoseq.Predictor` reads it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genoseq import __version__
from genoseq.data.datasets import SequenceDataset
from genoseq.data.splits import stratified_split
from genoseq.data.tables import LabelledTable, legacy_class_order, load_table
from genoseq.errors import ConfigError, InputFormatError
from genoseq.train.config import TrainConfig
from genoseq.train.logs import LOG_CSV, LOG_JSON, json_safe
from genoseq.train.loop import CHECKPOINT_NAME, Fingerprint, TrainResult, fit
from genoseq.train.plots import plot_roc_pr, plot_training_curves

__all__ = ["CURVES_PNG", "ROC_PR_PNG", "TrainOutput", "train_model"]

log = logging.getLogger(__name__)

#: Model settings of ``genoseq train`` that differ from the config classes' defaults (which stay as
#: they were, so that older model directories, whose config.json lacks newer keys, load unchanged).
#: The spectra raised cross-validated iEnhancer AUROC from 0.828 to 0.852 (CNN-LSTM) and from 0.834 to
#: 0.842 (transformer; BENCHMARKS.md); variant-risk models, on 11-bp windows, keep them off
#: (genoseq.variants.risk_model).
SEQUENCE_MODEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "cnn-lstm": {"kmer_spectrum": 4},
    "transformer": {"token_spectrum": True},
}

CURVES_PNG = "training_curves.png"
ROC_PR_PNG = "roc_pr.png"


@dataclass(frozen=True)
class TrainOutput:
    """What :func:`train_model` returns.

    Attributes
    ----------
    model_dir : pathlib.Path | None
        The model directory written (``None`` on DDP ranks other than 0).
    result : TrainResult
        The loop's result (history, best epoch, validation metrics and probabilities).
    model_name : str
        Registry name of the architecture.
    classes : list[str]
        Class names.
    task : str
        The task.
    strand : str
        The strand the model scores by default (``config.json`` → ``extra.strand``).
    metrics : dict
        The validation metrics written to ``config.json``: the validation set scored the way
        the model scores by default (``strand``), with the mean cross-entropy as ``loss``;
        empty on DDP ranks other than 0. ``result.metrics`` holds the loop's forward-strand figures.
    """

    model_dir: Path | None
    result: TrainResult
    model_name: str
    classes: list[str]
    task: str
    strand: str = "both"
    metrics: dict[str, Any] = field(default_factory=dict)


def _strand_selection(
    model: torch.nn.Module,
    valid_table: LabelledTable,
    spec: Mapping[str, Any],
    result: TrainResult,
    config: TrainConfig,
) -> tuple[dict[str, Any], np.ndarray, dict[str, Any]]:
    """The strand the model scores by default, the figures behind the choice, and its predictions.

    ``config.strand`` ``"both"``/``"forward"`` is recorded as given; ``"auto"`` scores the
    validation sequences' reverse complements and compares forward-only with strand-averaged
    predictions (:func:`genoseq.train.strand.choose_strand`). Either way the record holds the
    validation metrics of both ways of scoring.

    Returns
    -------
    record, probs, metrics
        The strand record (``training.strand`` in config.json), the validation probabilities
        as the model scores by default, float ``(n, n_outputs)``, and their metrics with the
        mean cross-entropy as ``loss`` (per label for multilabel) -- config.json's ``metrics``.
    """
    from genoseq.data.encoding import reverse_complement_centred
    from genoseq.train.metrics import compute_metrics
    from genoseq.train.strand import choose_strand, dataset_probabilities

    # each row's bases reverse-complemented, then padded centrally, as Predictor scores a short
    # record's reverse strand (the reverse complement of a padded row shifts an odd padding)
    reversed_table = replace(
        valid_table, sequences=reverse_complement_centred(valid_table.sequences, valid_table.lengths)
    )
    device = next(model.parameters()).device
    # both strands scored here, the same way (fp32; the loop's validation may have run under autocast)
    forward, reverse = (
        dataset_probabilities(
            model, SequenceDataset.from_table(t, spec), batch_size=2 * config.batch_size, device=device
        )
        for t in (valid_table, reversed_table)
    )
    choice = choose_strand(result.valid_labels, forward, reverse, valid_table.task)
    record = choice.to_dict() if config.strand == "auto" else {"strand": config.strand}
    record["requested"] = config.strand
    both = (forward.astype(np.float64) + reverse) / 2
    record["metrics_forward"] = compute_metrics(result.valid_labels, forward, valid_table.task)
    record["metrics_both"] = compute_metrics(result.valid_labels, both, valid_table.task)
    served = record["strand"]
    loss = choice.loss_both if served == "both" else choice.loss_forward
    per_example = valid_table.n_outputs if valid_table.task == "multilabel" else 1
    metrics = {**record[f"metrics_{served}"], "loss": loss / per_example, "strand": served}
    return record, (both if served == "both" else forward), metrics


def _valid_table(
    train: LabelledTable,
    valid: str | os.PathLike[str] | None,
    valid_labels: str | os.PathLike[str] | None,
    config: TrainConfig,
    pad: bool,
) -> tuple[LabelledTable, LabelledTable, dict[str, Any]]:
    """(training part, validation part, provenance of the validation data)."""
    if valid is None:
        try:
            train_idx, valid_idx = stratified_split(train.labels, config.valid_fraction, config.seed)
        except ConfigError as exc:
            raise ConfigError(exc.problem, path=train.path) from None
        info = {
            "split_of": str(train.path),
            "method": "stratified",
            "fraction": config.valid_fraction,
            "seed": config.seed,
            "n": int(valid_idx.size),
        }
        return train.subset(train_idx), train.subset(valid_idx), info
    table = load_table(valid, valid_labels, classes=train.classes, task=train.task, pad=pad)
    try:
        same = os.path.samefile(valid, train.path)
    except OSError:
        same = False
    if same:
        log.warning(
            "%s: the validation table is the training table: early stopping and the reported metrics "
            "then measure fit, not generalisation (leave --valid out to hold out a split)",
            valid,
        )
    _warn_missing_classes(train, table)
    if table.length != train.length:
        if not (pad and table.length < train.length):
            raise InputFormatError(
                f"validation sequences have {table.length} bases, the training sequences {train.length}",
                path=table.path,
            )
        from genoseq.data.encoding import pad_center

        if table.lengths is None:
            table = replace(
                table,
                sequences=pad_center(table.sequences, train.length),
                lengths=np.full(table.n, table.length, dtype=np.int64),
            )
        else:  # mixed lengths: centre each row as given in the training length, not its padded row
            rows = [
                pad_center(np.frombuffer(seq, dtype=np.uint8)[None, :], train.length)
                for seq in table.unpadded()
            ]
            table = replace(table, sequences=np.concatenate(rows))
    if (table.features is None) != (train.features is None) or (
        table.feature_names is not None and sorted(table.feature_names) != sorted(train.feature_names or [])
    ):
        raise InputFormatError(
            f"validation feature columns {table.feature_names} differ from the training ones {train.feature_names}",
            path=table.labels_path or table.path,
        )
    if table.features is not None and table.feature_names != train.feature_names:
        # the same columns in another order: taken by name, as evaluate and predict take them
        order = [table.feature_names.index(name) for name in train.feature_names]
        table = replace(table, features=table.features[:, order], feature_names=list(train.feature_names))
    return train, table, table.provenance()


def _warn_length_outliers(table: LabelledTable) -> None:
    """With ``--pad`` the longest row sets the model's input length: say so when it is far above the
    rest (one stray long row makes every other one mostly N, and training several times slower)."""
    if table.lengths is None:
        return
    median = float(np.median(table.lengths))
    if table.length > 4 * median:
        i = int(np.argmax(table.lengths))
        name = table.names[i] if table.names is not None and table.names[i] else None
        log.warning(
            "%s: the longest sequence (%s%d bases) sets the input length, over 4x the median length "
            "(%g): most rows become mostly N; drop or cut the outliers if that is not meant",
            table.path,
            f"{name!r}, " if name else "",
            table.length,
            median,
        )


def _warn_missing_classes(train: LabelledTable, valid: LabelledTable) -> None:
    """Say which classes (multiclass) or labels (multilabel) of the training table ``--valid`` never
    shows: the validation AUROC/AUPRC, early stopping and the ROC/PR plot then leave them out."""
    if train.task == "binary":
        missing = [name for value, name in enumerate(train.classes) if not np.any(valid.labels == value)]
        if missing:
            log.warning(
                "%s: no validation example of class %s: the validation AUROC/AUPRC are undefined "
                "(give --valid both classes)",
                valid.path,
                ", ".join(missing),
            )
        return
    if train.task == "multiclass":
        shown = np.bincount(valid.labels, minlength=len(train.classes)) > 0
        trained = np.bincount(train.labels, minlength=len(train.classes)) > 0
    else:
        shown, trained = valid.labels.any(axis=0), train.labels.any(axis=0)
    missing = [name for name, s, t in zip(train.classes, shown, trained, strict=True) if t and not s]
    if missing:
        one, many = ("class", "classes") if train.task == "multiclass" else ("label", "labels")
        log.warning(
            "%s: no validation example of %s %s: the validation AUROC/AUPRC (and early stopping on "
            "them) average over the others only",
            valid.path,
            one if len(missing) == 1 else many,
            ", ".join(missing),
        )


#: how each part of a sequence run's fingerprint is named when a --resume finds it changed
_FINGERPRINT_PARTS = {
    "train": "other training data (DATA's sequences or labels)",
    "valid": "other validation data (--valid, --valid-fraction or --seed)",
    "model": "another model (--model)",
    "model_config": "other model settings (--set, or the sequences' length)",
    "valid_labels": "other validation labels (--valid-labels)",
    "classes": "another class order (--positive-class)",
}


def _fingerprint(
    train: LabelledTable, valid_info: Mapping[str, Any], model_name: str, model_config: Any
) -> Fingerprint:
    doc = {
        "train": [train.checksum, train.labels_checksum],
        "valid": valid_info.get("sha256") or [valid_info.get("fraction"), valid_info.get("seed")],
        "model": model_name,
        "model_config": model_config.to_dict(),
    }
    if valid_info.get("labels_sha256"):
        # a FASTA --valid's labels table: other labels are another validation set (added only where
        # there is one, so that other runs keep their fingerprints)
        doc["valid_labels"] = valid_info["labels_sha256"]
    if list(train.classes) != legacy_class_order(train.classes):
        # the positive class was chosen (--positive-class, or a name that negates the other): a
        # checkpoint made with the other order must not be resumed; any other fingerprint is as before
        doc["classes"] = list(train.classes)
    parts = {key: hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest() for key, value in doc.items()}
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
    return Fingerprint(digest, parts, _FINGERPRINT_PARTS)


def train_model(
    data: str | os.PathLike[str],
    *,
    model_name: str,
    out_dir: str | os.PathLike[str],
    config: TrainConfig,
    valid: str | os.PathLike[str] | None = None,
    labels: str | os.PathLike[str] | None = None,
    valid_labels: str | os.PathLike[str] | None = None,
    model_overrides: Mapping[str, Any] | None = None,
    resume: bool = False,
    pad: bool = False,
    positive_class: str | None = None,
    stop_event: Any = None,
) -> TrainOutput:
    """Train model ``model_name`` on the table ``data`` and write a model directory to ``out_dir``.

    Parameters
    ----------
    data
        Training table (CSV/TSV/Parquet with ``sequence`` + ``label``) or FASTA (with ``labels``).
    model_name
        ``"cnn-lstm"`` or ``"transformer"`` (see :data:`genoseq.models.MODEL_REGISTRY`).
    out_dir
        Output directory: model directory, ``checkpoint.safetensors``, logs and plots.
    config
        Training options.
    valid
        Validation table; without it ``config.valid_fraction`` of ``data`` is held out (stratified).
    labels, valid_labels
        Labels tables for FASTA ``data`` / ``valid``.
    model_overrides
        Model config fields to change from the registry defaults (e.g. ``{"lstm_hidden": 32}``).
    resume
        Continue an interrupted run from ``out_dir``'s checkpoint.
    pad
        Pad sequences of mixed lengths centrally with ``N`` instead of refusing them.
    positive_class
        For a binary task: the positive class (``classes[1]``, whose probability a binary
        model outputs). Default: the higher integer label, else the class that is not
        named as the other's negative (``non-enhancer``/``enhancer``), else alphabetical.
    stop_event
        Passed to :func:`genoseq.train.fit`.

    Returns
    -------
    TrainOutput

    Raises
    ------
    InputFormatError
        Bad tables (missing columns, one class, mixed lengths, ...), naming the file and row.
    ConfigError
        Bad options or model overrides.
    TrainingError
        Non-finite loss; :class:`~genoseq.train.TrainingInterrupted` on SIGINT/SIGTERM.
    """
    from genoseq.modeldir import save_model_dir
    from genoseq.models import build_model, default_config, encoding_spec

    started = time.perf_counter()
    out_dir = Path(out_dir)
    table = load_table(data, labels, pad=pad, positive=positive_class)
    _warn_length_outliers(table)
    train_table, valid_table, valid_info = _valid_table(table, valid, valid_labels, config, pad)
    if config.rc_augment is None:  # strand "auto": see TrainConfig.rc_augment
        from genoseq.train.strand import MIN_EXAMPLES

        config = replace(config, rc_augment=valid_table.n < MIN_EXAMPLES)
    n_features = 0 if table.features is None else int(table.features.shape[1])
    model_config = default_config(
        model_name,
        input_length=table.length,
        n_outputs=table.n_outputs,
        task=table.task,
        n_features=n_features,
        **{**SEQUENCE_MODEL_DEFAULTS.get(model_name, {}), **dict(model_overrides or {})},
    )
    spec = encoding_spec(model_name, model_config)
    train_ds = SequenceDataset.from_table(train_table, spec, rc_augment=config.rc_augment, seed=config.seed)
    valid_ds = SequenceDataset.from_table(valid_table, spec)
    torch.manual_seed(config.seed)
    model = build_model(model_name, model_config)
    log.info(
        "training %s on %d sequences of %d bp (%s, classes %s), validating on %d",
        model_name,
        len(train_ds),
        table.length,
        table.task,
        ", ".join(table.classes),
        len(valid_ds),
    )
    result = fit(
        model,
        train_ds,
        valid_ds,
        config,
        out_dir=out_dir,
        resume=resume,
        fingerprint=_fingerprint(table, valid_info, model_name, model_config),
        stop_event=stop_event,
    )
    if result.rank != 0:
        return TrainOutput(None, result, model_name, list(table.classes), table.task)
    # config.json's metrics: the validation set scored as the model scores by default (what
    # `genoseq evaluate` reports on it), not the loop's forward-only figures used for early stopping
    strand, served, metrics = _strand_selection(model, valid_table, spec, result, config)
    if config.strand == "auto":
        log.info(
            "strand: %s (validation loss forward-only %.4f, both strands %.4f, paired z %.2f)",
            strand["strand"],
            strand["loss_forward"],
            strand["loss_both"],
            strand["z"],
        )

    plot_training_curves(result.history, out_dir / CURVES_PNG, monitor=result.monitor)
    plot_roc_pr(result.valid_labels, served, table.task, table.classes, out_dir / ROC_PR_PNG)
    train_info = table.provenance()
    train_info["n_used"] = len(train_ds)
    training = {
        "genoseq": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "data": {"train": train_info, "valid": valid_info},
        "world_size": result.world_size,
        "device": result.device,
        "precision": result.precision,
        "seed": config.seed,
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "stopped_early": result.stopped_early,
        "monitor": result.monitor,
        "config": config.to_dict(),
        "strand": strand,
        "wall_seconds": round(time.perf_counter() - started, 3),
        "files": {
            "log_csv": LOG_CSV,
            "log_json": LOG_JSON,
            "checkpoint": CHECKPOINT_NAME,
            "training_curves": CURVES_PNG,
            "roc_pr": ROC_PR_PNG,
        },
        "history": result.history,
    }
    model_dir = save_model_dir(
        out_dir,
        model,
        model_name=model_name,
        model_config=model_config,
        task=table.task,
        classes=list(table.classes),
        encoding=dict(spec),
        input_length=table.length,
        training=json_safe(training),
        metrics=json_safe(metrics),
        extra={"strand": strand["strand"]}
        | ({} if table.feature_names is None else {"feature_names": list(table.feature_names)}),
    )
    return TrainOutput(
        model_dir, result, model_name, list(table.classes), table.task, strand["strand"], metrics
    )
