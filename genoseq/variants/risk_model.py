"""Variant-risk models: trained directly on labelled variants (pathogenic vs benign).

Each example is a variant's reference and alternative windows (the :mod:`genoseq.data.windows`
convention) plus annotation channels and consequence features from a BED and numeric INFO features
(:mod:`genoseq.data.variant_data`). Validation and cross-validation split by **genomic blocks**
(:func:`genoseq.data.variant_data.block_folds`), never by random variant. The positive class is
up-weighted by ``n_negative / n_positive`` in the loss.

``risk`` is ``P(pathogenic)`` **calibrated on the validation blocks** by Platt scaling: a logistic
regression ``sigmoid(a * logit + b)`` fitted to the validation logits and labels (the class weighting
of training distorts raw probabilities; this restores them to the validation prevalence).

The model directory's ``config.json`` ``extra`` holds ``kind: "variant"``, the featurizer (window
length, encoding, INFO-feature transform), the label field, the Platt coefficients and the annotation
file's name and checksum; the annotation BED itself is copied into the directory.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from genoseq import __version__
from genoseq._hashing import file_sha256
from genoseq.data.annotation import (
    CONSEQUENCE_FEATURES,
    CONSEQUENCE_RULE_CHANGES,
    CONSEQUENCE_RULES,
    LEGACY_CONSEQUENCE_FEATURES,
    Annotation,
)
from genoseq.data.variant_data import (
    ArrayDataset,
    InfoFeatures,
    VariantFeaturizer,
    VariantTable,
    block_folds,
    block_ids,
    read_variant_table,
)
from genoseq.errors import ConfigError, GenoseqError, InputFormatError, ModelFormatError
from genoseq.modeldir import CONFIG_FILE, VARIANT_KIND

if TYPE_CHECKING:
    from genoseq.io import Reference
    from genoseq.train import TrainConfig
    from genoseq.train.loop import Fingerprint

log = logging.getLogger(__name__)

ANNOTATION_FILE = "annotation.bed"
_EXTRA_KEYS = {
    "kind",
    "label_field",
    "featurizer",
    "platt",
    "annotation_file",
    "annotation_sha256",
    "genetic_code",
    "block_size",
    "validation",
}


@dataclass(frozen=True)
class VariantModelOptions:
    """What a variant-risk model sees, beyond the architecture.

    Attributes
    ----------
    label_field : str
        INFO field with the binary label (1/0, pathogenic/benign).
    annotation : str | None
        BED of loci for annotation channels and consequence features.
    info_features : tuple[str, ...]
        Numeric INFO fields used as per-variant features.
    input_length : int
        Window length in bases (the variant's first REF base at ``input_length // 2``).
    block_size : int
        Genomic block size (bases) for validation and cross-validation splits.
    genetic_code : int | None
        NCBI genetic code for consequences (``None``: 2 for chrM/MT, 1 elsewhere).
    """

    label_field: str = "LABEL"
    annotation: str | None = None
    info_features: tuple[str, ...] = ()
    input_length: int = 11
    block_size: int = 1000
    genetic_code: int | None = None

    def __post_init__(self) -> None:
        if self.input_length < 3:
            raise ConfigError(f"input length must be at least 3, got {self.input_length}")
        if self.block_size < 1:
            raise ConfigError(f"block size must be positive, got {self.block_size}")
        if self.label_field in self.info_features:
            raise ConfigError(
                f"--info-features includes the label field {self.label_field}: the model would read its answer"
            )
        if self.genetic_code is not None:
            from genoseq.data.annotation import check_genetic_code

            check_genetic_code(self.genetic_code)


def fit_platt(logits: np.ndarray, labels: np.ndarray, *, l2: float = 1e-3) -> tuple[float, float]:
    """Fit ``P(y=1) = sigmoid(a * logit + b)`` (small L2 on ``a`` and ``b``).

    As in Platt (1999), the targets are ``(n+ + 1) / (n+ + 2)`` and ``1 / (n- + 2)`` rather than
    1 and 0, so that a validation set the logits separate perfectly still gives finite ``a`` and
    risks strictly between 0 and 1.

    The slope is kept non-negative: calibration must not reverse the model's ranking. Where the
    unconstrained fit's slope is negative (a model that ranks the validation set's positives
    below its negatives), the constrained optimum is ``a = 0`` and ``b`` the logit of the mean
    target: every variant gets the base rate.

    Parameters
    ----------
    logits, labels
        float ``(n,)`` and 0/1 ``(n,)``.

    Returns
    -------
    (a, b)
    """
    x = np.asarray(logits, dtype=np.float64).reshape(-1, 1)
    labels = np.asarray(labels, dtype=np.float64).reshape(-1)
    n_pos = float(labels.sum())
    n_neg = float(labels.size - n_pos)
    targets = np.where(labels > 0, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    a, b = fit_logistic(x, targets, l2=l2, l2_intercept=l2, start=(1.0, 0.0))
    if a[0] < 0:
        mean = float(targets.mean())
        return 0.0, float(np.log(mean / (1.0 - mean)))
    return float(a[0]), b


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    *,
    pos_weight: float = 1.0,
    l2: float = 1.0,
    l2_intercept: float = 0.0,
    start: tuple[float, ...] | None = None,
) -> tuple[np.ndarray, float]:
    """L2-penalised, class-weighted logistic regression by damped Newton steps.

    Parameters
    ----------
    x, y
        float ``(n, d)`` features and ``(n,)`` targets in [0, 1] (0/1 labels, or smoothed ones).
    pos_weight
        Weight of each example whose target is above 0.5 (as the training loss weighs positives).
    l2, l2_intercept
        Penalties on the coefficients and on the intercept.
    start
        Starting ``(coef..., intercept)``; zeros by default.

    Returns
    -------
    (coef, intercept)
        float ``(d,)`` and a float.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    n, d = x.shape
    design = np.hstack([x, np.ones((n, 1))])
    weight = np.where(y > 0.5, pos_weight, 1.0)
    penalty = np.full(d + 1, l2)
    penalty[-1] = l2_intercept

    def loss(beta: np.ndarray) -> float:
        z = design @ beta
        return float(weight @ (np.logaddexp(0.0, z) - y * z) + 0.5 * penalty @ (beta * beta))

    beta = np.zeros(d + 1) if start is None else np.asarray(start, dtype=np.float64)
    current = loss(beta)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -500, 500)))
        grad = design.T @ (weight * (p - y)) + penalty * beta
        hess = (design * (weight * p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-12)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        # damped: halve the step until the loss does not rise (a full Newton step can overshoot
        # and diverge, e.g. when many logits sit at the same clipped extreme)
        t = 1.0
        while t > 1e-6 and loss(beta - t * step) > current:
            t /= 2
        beta = beta - t * step
        current = loss(beta)
        if np.abs(t * step).max() < 1e-9:
            break
    return beta[:-1], float(beta[-1])


#: architecture defaults for variant-risk models (hundreds of labelled variants, not thousands of
#: sequences): small trunks that let the consequence/INFO features in the head carry the signal
VARIANT_MODEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "cnn-lstm": {"conv_filters": 16, "lstm_hidden": 8},
    "transformer": {"d_model": 32, "n_layers": 1, "n_heads": 4, "dim_feedforward": 64},
}


def _model_config(model_name: str, feat: VariantFeaturizer, overrides: Mapping[str, Any] | None) -> Any:
    from genoseq.models import default_config

    # with INFO features (allele frequencies), a wide linear path from the features to the logit,
    # started at a logistic regression on them (_train_once): block-CV AUROC 0.897 -> 0.939
    defaults = {**VARIANT_MODEL_DEFAULTS.get(model_name, {}), "feature_skip": feat.info is not None}
    values = {**defaults, **dict(overrides or {})}
    if model_name == "cnn-lstm":
        values["in_channels"] = feat.in_channels
    elif model_name == "transformer":
        k = int(values.get("k", 3))
        stride = int(values.get("stride", 1))
        t = (feat.input_length - k) // stride + 1
        values.update(k=k, stride=stride, max_tokens=2 * t + 3, n_token_channels=feat.n_channels)
    return default_config(
        model_name,
        input_length=feat.input_length,
        n_outputs=1,
        task="binary",
        n_features=feat.n_features,
        **values,
    )


def _featurizer(
    model_name: str,
    options: VariantModelOptions,
    overrides: Mapping[str, Any] | None,
    info: InfoFeatures | None,
) -> VariantFeaturizer:
    annotation = (
        Annotation.from_bed(options.annotation, options.genetic_code)
        if options.annotation is not None
        else None
    )
    if model_name == "cnn-lstm":
        encoding: dict[str, Any] = {"type": "onehot"}
    elif model_name == "transformer":
        ov = dict(overrides or {})
        encoding = {"type": "kmer", "k": int(ov.get("k", 3)), "stride": int(ov.get("stride", 1))}
    else:
        raise ConfigError(f"unknown model {model_name!r} (choose cnn-lstm or transformer)")
    return VariantFeaturizer(options.input_length, encoding, annotation, info)


def _encode(
    feat: VariantFeaturizer, ref: Reference, table: VariantTable
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    arrays = feat.encode(ref, table)
    match = arrays.pop("ref_match")
    return arrays, match


def _subset(arrays: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[idx] for k, v in arrays.items()}


@dataclass(frozen=True)
class VariantTrainOutput:
    """What :func:`train_variant_model` returns."""

    model_dir: Path | None
    metrics: dict[str, float]
    platt: tuple[float, float]
    n_train: int
    n_valid: int
    history: list[dict[str, Any]] = field(default_factory=list)


def _train_once(
    model_name: str,
    feat: VariantFeaturizer,
    arrays: dict[str, np.ndarray],
    labels: np.ndarray,
    train_idx: np.ndarray,
    valid_idx: np.ndarray,
    config: TrainConfig,
    out_dir: Path,
    overrides: Mapping[str, Any] | None,
    *,
    resume: bool = False,
    fingerprint: Fingerprint | None = None,
    stop_event: Any = None,
    source: str | Path | None = None,
) -> tuple[Any, Any, Any]:
    import torch

    from genoseq.models import build_model
    from genoseq.train import fit

    model_config = _model_config(model_name, feat, overrides)
    n_pos = int(labels[train_idx].sum())
    n_neg = len(train_idx) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise InputFormatError(
            f"the training blocks hold a single class ({n_pos} pathogenic, {n_neg} benign);"
            " use a smaller --block-size or more labelled variants",
            path=source,
        )
    cfg = (
        config
        if config.pos_weight is not None or config.balance_classes
        else replace(config, pos_weight=n_neg / n_pos)
    )
    cfg = replace(cfg, rc_augment=False)
    torch.manual_seed(cfg.seed)
    model = build_model(model_name, model_config)
    skip = getattr(model.head, "skip", None)
    if skip is not None and "features" in arrays:
        # the wide path starts where a logistic regression on the features ends, its classes weighed
        # as the loss weighs them (--pos-weight auto, balance_classes: n_neg / n_pos as by default)
        weight = cfg.pos_weight if cfg.pos_weight is not None else n_neg / n_pos
        coef, intercept = fit_logistic(
            arrays["features"][train_idx], labels[train_idx], pos_weight=float(weight)
        )
        with torch.no_grad():
            skip.weight.copy_(torch.as_tensor(coef, dtype=skip.weight.dtype)[None, :])
            model.head.output.bias.add_(intercept)
    result = fit(
        model,
        ArrayDataset(_subset(arrays, train_idx), labels[train_idx]),
        ArrayDataset(_subset(arrays, valid_idx), labels[valid_idx]),
        cfg,
        out_dir=out_dir,
        resume=resume,
        fingerprint=fingerprint,
        stop_event=stop_event,
    )
    return model, model_config, result


def _prepare(
    vcf: str | Path, reference: Reference, model_name: str, options: VariantModelOptions, overrides
) -> tuple[VariantTable, VariantFeaturizer]:
    table = read_variant_table(
        vcf, reference, label_field=options.label_field, info_fields=options.info_features
    )
    feat = _featurizer(model_name, options, overrides, None)
    if feat.annotation is not None:
        chroms = list(dict.fromkeys(str(c) for c in table.chroms))
        feat.annotation.check_covers(chroms, path=str(options.annotation))
    return table, feat


def _table_folds(table: VariantTable, n_folds: int, block_size: int, seed: int) -> np.ndarray:
    """Genomic-block fold of each variant of ``table`` (:func:`block_folds`): int64 ``(n,)``."""
    return block_folds(
        table.chroms, table.starts, table.labels, n_folds=n_folds, block_size=block_size, seed=seed
    )


def _with_validation_file(
    table: VariantTable,
    valid_vcf: str | Path,
    reference: Reference,
    model_name: str,
    options: VariantModelOptions,
    overrides: Mapping[str, Any] | None,
) -> tuple[VariantTable, np.ndarray, np.ndarray, dict[str, Any]]:
    """``table`` followed by the labelled variants of ``valid_vcf``, the two parts' row indices, and
    the ``validation`` record of the model directory."""
    valid, _ = _prepare(valid_vcf, reference, model_name, options, overrides)  # refuses a single class

    def blocks(t: VariantTable) -> set[tuple[str, int]]:
        return set(zip(t.chroms, (t.starts // options.block_size).tolist(), strict=True))

    shared = blocks(table) & blocks(valid)
    if shared:
        log.warning(
            "%s: validation variants in %d genomic block(s) of %d bp that also hold training variants:"
            " neighbours share context, so validation figures (and the calibration) may be optimistic",
            valid_vcf,
            len(shared),
            options.block_size,
        )
    both = VariantTable(
        table.chroms + valid.chroms,
        np.concatenate([table.starts, valid.starts]),
        table.refs + valid.refs,
        table.alts + valid.alts,
        table.ids + valid.ids,
        np.concatenate([table.labels, valid.labels]),
        np.concatenate([table.info, valid.info]),
        table.info_fields,
        table.path,
        table.checksum,
    )
    validation = {"method": "file", "vcf": str(valid_vcf), "sha256": valid.checksum}
    return both, np.arange(table.n), np.arange(table.n, both.n), validation


def _drop_mismatches(table: VariantTable, match: np.ndarray, vcf: str | Path) -> np.ndarray:
    keep = np.flatnonzero(match)
    if len(keep) < table.n:
        log.warning(
            "%s: %d variant(s) whose REF disagrees with the reference are left out", vcf, table.n - len(keep)
        )
    return keep


#: the parts of a variant-risk run's fingerprint (the options in ``doc``'s order, then the encoded
#: data and the split), and how each is named when a --resume finds it changed
_FINGERPRINT_PARTS = {
    "data": "another labelled VCF (DATA or --valid)",
    "model": "another model (--model)",
    "featurizer": "other variant inputs (--window, --annotation, --info-features, --genetic-code)",
    "model_config": "other model settings (--set)",
    "encoded": "other encoded variants (--reference, --annotation, --genetic-code)",
    "split": "other labels or validation blocks (--block-size, --valid-fraction, --seed)",
}


def _fingerprint(doc: list[Any], arrays: Mapping[str, np.ndarray], *more: np.ndarray) -> Fingerprint:
    """What a resumed run must share with the interrupted one: the options in ``doc`` and the data
    as encoded -- the windows (the reference's bases), annotation channels and consequence features
    (the BED, the genetic code), the labels and the split -- so that a resume with another
    --reference, --annotation or --genetic-code is refused, not continued on other data."""
    from genoseq.train.loop import Fingerprint

    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode())
    encoded, split = hashlib.sha256(), hashlib.sha256()
    for key in sorted(arrays):
        for h in (digest, encoded):
            h.update(f"{key} {arrays[key].dtype} {arrays[key].shape}".encode())
            h.update(memoryview(np.ascontiguousarray(arrays[key])).cast("B"))  # no copy
    for array in more:
        for h in (digest, split):
            h.update(f"{np.asarray(array).dtype} {np.shape(array)}".encode())
            h.update(memoryview(np.ascontiguousarray(array)).cast("B"))
    options = list(_FINGERPRINT_PARTS)[: len(doc)]
    parts = {
        key: hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
        for key, value in zip(options, doc, strict=True)
    }
    parts |= {"encoded": encoded.hexdigest(), "split": split.hexdigest()}
    return Fingerprint(digest.hexdigest(), parts, _FINGERPRINT_PARTS)


def train_variant_model(
    vcf: str | Path,
    reference: str | Path,
    *,
    model_name: str,
    out_dir: str | Path,
    config: TrainConfig,
    options: VariantModelOptions,
    model_overrides: Mapping[str, Any] | None = None,
    resume: bool = False,
    stop_event: Any = None,
    valid_vcf: str | Path | None = None,
) -> VariantTrainOutput:
    """Train a variant-risk model on a labelled VCF and write a model directory.

    Validation (early stopping and the risk calibration) = the labelled variants of ``valid_vcf``
    when given (a warning if they share genomic blocks with the training variants), else the block
    fold closest to ``config.valid_fraction`` of the variants (``round(1 / valid_fraction)`` block
    folds, fold ``seed % n_folds`` held out: the seed changes the validation blocks as well as the
    initialisation).

    Returns
    -------
    VariantTrainOutput
    """
    from genoseq.io import Reference
    from genoseq.modeldir import save_model_dir
    from genoseq.train.logs import json_safe
    from genoseq.train.metrics import compute_metrics
    from genoseq.train.plots import plot_roc_pr, plot_training_curves

    started = time.perf_counter()
    out_dir = Path(out_dir)
    with Reference(reference) as ref:
        table, feat = _prepare(vcf, ref, model_name, options, model_overrides)
        data_checksum = table.checksum
        if valid_vcf is not None:
            table, train_idx, valid_idx, validation = _with_validation_file(
                table, valid_vcf, ref, model_name, options, model_overrides
            )
            data_checksum = hashlib.sha256(f"{table.checksum} {validation['sha256']}".encode()).hexdigest()
        else:
            n_blocks = len(np.unique(block_ids(table.chroms, table.starts, options.block_size)))
            n_folds = max(2, min(round(1 / config.valid_fraction), n_blocks))
            folds = _table_folds(table, n_folds, options.block_size, config.seed)
            held = config.seed % n_folds  # the seed picks which block fold validates (seed 0: fold 0)
            train_idx, valid_idx = np.flatnonzero(folds != held), np.flatnonzero(folds == held)
            validation = {"method": "genomic blocks", "n_folds": n_folds, "held_out_fold": held}
        if options.info_features:
            feat = replace(feat, info=InfoFeatures.fit(options.info_features, table.info[train_idx]))
        arrays, match = _encode(feat, ref, table)
    if valid_vcf is None:
        keep = set(_drop_mismatches(table, match, vcf).tolist())
    else:  # each file's REF mismatches counted against that file
        keep = set(train_idx[_drop_mismatches(table.subset(train_idx), match[train_idx], vcf)].tolist())
        keep |= set(
            valid_idx[_drop_mismatches(table.subset(valid_idx), match[valid_idx], valid_vcf)].tolist()
        )
    train_idx = np.array([i for i in train_idx if i in keep], dtype=np.int64)
    valid_idx = np.array([i for i in valid_idx if i in keep], dtype=np.int64)
    n_valid_pos = int(table.labels[valid_idx].sum())
    if n_valid_pos in (0, len(valid_idx)):
        raise InputFormatError(
            f"the validation variants left after dropping REF mismatches hold {n_valid_pos} pathogenic and"
            f" {len(valid_idx) - n_valid_pos} benign: early stopping and the risk calibration need both"
            f" classes{'' if valid_vcf else ' (use a smaller --block-size, or --valid VCF)'}",
            path=valid_vcf or vcf,
        )
    fingerprint = _fingerprint(
        [data_checksum, model_name, feat.to_dict(), dict(model_overrides or {})],
        arrays,
        table.labels,
        train_idx,
        valid_idx,
    )
    model, model_config, result = _train_once(
        model_name,
        feat,
        arrays,
        table.labels,
        train_idx,
        valid_idx,
        config,
        out_dir,
        model_overrides,
        resume=resume,
        fingerprint=fingerprint,
        stop_event=stop_event,
        source=vcf,
    )
    if result.rank != 0:
        return VariantTrainOutput(None, {}, (1.0, 0.0), len(train_idx), len(valid_idx))
    # the calibration and the recorded metrics come from the validation set scored as the saved model
    # scores (float32): the loop's validation ran under --precision's autocast, whose bf16 logits
    # would fit another calibration than the one scoring applies
    device = next(model.parameters()).device
    valid_logits = _flat_logit(_predict_arrays(model, _subset(arrays, valid_idx), device=device))
    a, b = fit_platt(valid_logits, result.valid_labels)
    if a == 0.0:
        auroc = compute_metrics(result.valid_labels, valid_logits[:, None], "binary")["auroc"]
        why = (
            "the model ranks the validation set's pathogenic variants below its benign ones"
            if auroc < 0.5
            else "confident errors on the validation set outweigh the model's ranking"
        )
        log.warning(
            "%s (AUROC %.3f): calibration cannot make a risk of its scores that rises with them, so every "
            "variant gets the base rate %.3f (train longer, or check the labels)",
            why,
            auroc,
            1.0 / (1.0 + np.exp(-b)),
        )
    calibrated = 1.0 / (1.0 + np.exp(-(a * valid_logits + b)))
    metrics = compute_metrics(result.valid_labels, calibrated[:, None], "binary")
    plot_training_curves(result.history, out_dir / "training_curves.png", monitor=result.monitor)
    plot_roc_pr(
        result.valid_labels, calibrated[:, None], "binary", ["benign", "pathogenic"], out_dir / "roc_pr.png"
    )
    extra: dict[str, Any] = {
        "kind": VARIANT_KIND,
        "label_field": options.label_field,
        "featurizer": feat.to_dict(),
        "platt": [a, b],
        "genetic_code": options.genetic_code,
        "block_size": options.block_size,
        "validation": {**validation, "n": int(len(valid_idx))},
    }
    if options.annotation is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        from genoseq._atomic import atomic_path

        with atomic_path(out_dir / ANNOTATION_FILE) as tmp:
            shutil.copyfile(options.annotation, tmp)
        extra["annotation_file"] = ANNOTATION_FILE
        extra["annotation_sha256"] = file_sha256(out_dir / ANNOTATION_FILE)
    training = {
        "genoseq": __version__,
        "data": {
            "vcf": str(vcf),
            "sha256": table.checksum,
            **({"valid_vcf": str(valid_vcf), "valid_sha256": validation["sha256"]} if valid_vcf else {}),
            "n_train": int(len(train_idx)),
            "n_valid": int(len(valid_idx)),
        },
        "world_size": result.world_size,
        "device": result.device,
        "precision": result.precision,
        "seed": config.seed,
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "config": replace(config, rc_augment=False).to_dict(),  # as trained: the annotation is stranded
        "wall_seconds": round(time.perf_counter() - started, 3),
        "history": result.history,
    }
    model_dir = save_model_dir(
        out_dir,
        model,
        model_name=model_name,
        model_config=model_config,
        task="binary",
        classes=["benign", "pathogenic"],
        encoding=dict(feat.encoding),
        input_length=options.input_length,
        training=json_safe(training),
        metrics=json_safe(metrics),
        extra=json_safe(extra),
    )
    return VariantTrainOutput(model_dir, metrics, (a, b), len(train_idx), len(valid_idx), result.history)


def cross_validate_variant_model(
    vcf: str | Path,
    reference: str | Path,
    *,
    model_name: str,
    config: TrainConfig,
    options: VariantModelOptions,
    n_folds: int = 5,
    model_overrides: Mapping[str, Any] | None = None,
    work_dir: str | Path,
) -> dict[str, Any]:
    """Block cross-validation: each fold of genomic blocks is predicted by a model trained on the others.

    Inside each training part, one more block fold is held out for early stopping. Returns per-fold
    AUROC/AUPRC and their mean ± sd, plus the out-of-fold probabilities (for curves).
    """
    from genoseq.io import Reference
    from genoseq.train.metrics import compute_metrics

    work_dir = Path(work_dir)
    with Reference(reference) as ref:
        table, feat0 = _prepare(vcf, ref, model_name, options, model_overrides)
        folds = _table_folds(table, n_folds, options.block_size, config.seed)
        per_fold: list[dict[str, Any]] = []
        oof = np.full(table.n, np.nan)
        base_arrays = None
        for k in range(n_folds):
            test_idx = np.flatnonzero(folds == k)
            rest = np.flatnonzero(folds != k)
            sub = table.subset(rest)
            try:
                inner = block_folds(
                    sub.chroms,
                    sub.starts,
                    sub.labels,
                    n_folds=max(2, min(4, n_folds - 1)),
                    block_size=options.block_size,
                    seed=config.seed + k + 1,
                )
            except ConfigError as exc:  # the outer folds fitted; say which split did not
                raise ConfigError(
                    f"fold {k + 1}'s training blocks, split for early stopping: {exc}", path=vcf
                ) from None
            train_idx, valid_idx = rest[inner != 0], rest[inner == 0]
            feat = feat0
            if options.info_features:
                feat = replace(feat0, info=InfoFeatures.fit(options.info_features, table.info[train_idx]))
                arrays, match = _encode(feat, ref, table)
            else:
                if base_arrays is None:
                    base_arrays = _encode(feat, ref, table)
                arrays, match = base_arrays
            keep = match
            if k == 0:  # said once, as train says it (the folds left them out silently)
                _drop_mismatches(table, match, vcf)
            train_idx, valid_idx, test_idx = (
                train_idx[keep[train_idx]],
                valid_idx[keep[valid_idx]],
                test_idx[keep[test_idx]],
            )
            model, _, result = _train_once(
                model_name,
                feat,
                arrays,
                table.labels,
                train_idx,
                valid_idx,
                config,
                work_dir / f"fold{k}",
                model_overrides,
                source=vcf,
            )
            probs = _predict_arrays(model, _subset(arrays, test_idx), device=next(model.parameters()).device)
            oof[test_idx] = probs
            m = compute_metrics(
                table.labels[test_idx], probs[:, None], "binary"
            )  # one class: nan AUROC/AUPRC
            per_fold.append(
                {
                    "fold": k,
                    "n": int(len(test_idx)),
                    "n_pathogenic": int(table.labels[test_idx].sum()),
                    "auroc": m["auroc"],
                    "auprc": m["auprc"],
                    "epochs_run": result.epochs_run,
                }
            )
            log.info(
                "fold %d/%d: AUROC %.3f AUPRC %.3f (n=%d)",
                k + 1,
                n_folds,
                m["auroc"],
                m["auprc"],
                len(test_idx),
            )
    out: dict[str, Any] = {
        "model": model_name,
        "n_folds": n_folds,
        "block_size": options.block_size,
        "folds": per_fold,
    }
    for key in ("auroc", "auprc"):
        vals = np.array([f[key] for f in per_fold if f[key] is not None and not math.isnan(f[key])])
        out[f"{key}_mean"] = float(vals.mean()) if vals.size else None
        out[f"{key}_sd"] = float(vals.std(ddof=1)) if vals.size > 1 else None
    ok = ~np.isnan(oof)
    pooled = compute_metrics(table.labels[ok], oof[ok][:, None], "binary")
    out["pooled_auroc"] = pooled["auroc"]
    out["pooled_auprc"] = pooled["auprc"]
    out["oof_labels"] = table.labels[ok].tolist()
    out["oof_probs"] = oof[ok].tolist()
    return out


def _flat_logit(p: np.ndarray) -> np.ndarray:
    """:func:`genoseq.variants.score.logit` of probabilities, flattened to ``(n,)``."""
    from genoseq.variants.score import logit

    return logit(np.asarray(p)).reshape(-1)


def _predict_arrays(
    model: Any, arrays: dict[str, np.ndarray], batch_size: int = 512, device: Any = "cpu"
) -> np.ndarray:
    """Sigmoid of the model's logits over pre-encoded inputs, in full float32 (no TF32 on CUDA);
    float64 ``(n,)``."""
    import torch

    from genoseq._cuda import exact_fp32

    model.eval()
    out = []
    n = len(next(iter(arrays.values())))
    with torch.inference_mode(), exact_fp32(torch.device(device)):
        for lo in range(0, n, batch_size):
            batch = {
                k: torch.from_numpy(np.ascontiguousarray(v[lo : lo + batch_size])).to(device)
                for k, v in arrays.items()
            }
            out.append(torch.sigmoid(model(**batch).float()).reshape(-1).cpu().numpy())
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


@dataclass
class VariantRiskScorer:
    """Scores variants with a loaded variant-risk model (used by :func:`genoseq.variants.score_variants`).

    ``ref_score`` is the calibrated P(pathogenic) of a null change (ALT replaced by REF, INFO features
    kept), ``alt_score`` that of the variant, and ``risk = alt_score``.
    """

    predictor: Any
    featurizer: VariantFeaturizer
    platt: tuple[float, float]
    _contigs_seen: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def from_predictor(cls, predictor: Any) -> VariantRiskScorer:
        """The scorer of a loaded variant-risk model.

        Raises
        ------
        ModelFormatError
            Its ``extra`` settings in ``config.json`` are unknown, missing or of the wrong type (a
            hand edit), or a file they name is missing or altered.
        """
        try:
            return cls._from_extra(predictor)
        except GenoseqError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            what = f"missing key {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
            raise ModelFormatError(
                f"the variant-risk model's settings (extra) are damaged: {what}",
                path=Path(predictor.model_dir) / CONFIG_FILE,
            ) from exc

    @classmethod
    def _from_extra(cls, predictor: Any) -> VariantRiskScorer:
        extra = predictor.config.get("extra") or {}
        unknown = set(extra) - _EXTRA_KEYS
        if unknown:
            raise ModelFormatError(
                f"unknown variant-model key(s) {', '.join(sorted(unknown))}", path=predictor.model_dir
            )
        fz = extra["featurizer"]
        annotation = None
        if fz.get("annotation"):
            bed = Path(predictor.model_dir) / str(extra.get("annotation_file", ANNOTATION_FILE))
            if bed.parent != Path(predictor.model_dir) or not bed.exists():
                raise ModelFormatError("annotation file named in config.json is missing", path=bed)
            if not bed.is_file():  # a link to a device or a FIFO would be hashed forever
                raise ModelFormatError(
                    "annotation file must be a regular file, not a device or pipe", path=bed
                )
            if extra.get("annotation_sha256") and file_sha256(bed) != extra["annotation_sha256"]:
                raise ModelFormatError("annotation file checksum mismatch", path=bed)
            annotation = Annotation.from_bed(bed, extra.get("genetic_code"))
            # the consequence features are part of the model's input layout: a model trained with
            # another list (older genoseq) cannot be fed the current one
            stored = fz.get("consequence_features", list(LEGACY_CONSEQUENCE_FEATURES))
            if list(stored) != list(CONSEQUENCE_FEATURES):
                raise ModelFormatError(
                    f"model was trained with {len(stored)} consequence features, this genoseq computes "
                    f"{len(CONSEQUENCE_FEATURES)} ({', '.join(CONSEQUENCE_FEATURES)}): retrain it with "
                    "this version",
                    path=predictor.model_dir,
                )
            rules = fz.get("consequence_rules", 1)
            if rules != CONSEQUENCE_RULES:
                changes = [
                    text
                    for v, text in CONSEQUENCE_RULE_CHANGES.items()
                    if not isinstance(rules, int) or v > rules
                ] or ["rules of a newer genoseq, unknown to this one"]
                log.warning(
                    "model %s was trained with consequence rules %s, this genoseq computes %d (%s): such"
                    " variants get inputs it was not trained on; retrain it for exact inputs",
                    predictor.model_dir,
                    rules,
                    CONSEQUENCE_RULES,
                    "; ".join(changes),
                )
        info = InfoFeatures.from_dict(fz["info"]) if fz.get("info") else None
        feat = VariantFeaturizer(int(fz["input_length"]), dict(fz["encoding"]), annotation, info)
        a, b = extra.get("platt", [1.0, 0.0])
        return cls(predictor, feat, (float(a), float(b)))

    @property
    def info_fields(self) -> tuple[str, ...]:
        return self.featurizer.info.fields if self.featurizer.info is not None else ()

    def check_vcf(self, vcf: str | Path) -> dict[str, Any]:
        """``{field: Number}`` of the model's INFO features in the VCF's header.

        Raises
        ------
        InputFormatError
            Naming any INFO feature the VCF header lacks, or declares as text or with several values
            per ALT.
        """
        from genoseq.data.variant_data import check_info_numbers
        from genoseq.io import vcf_header_info

        header = vcf_header_info(vcf)
        missing = [f for f in self.info_fields if f not in header]
        if missing:
            raise InputFormatError(
                f"the model needs INFO field(s) {', '.join(missing)}, which the VCF header does not declare",
                path=vcf,
            )
        check_info_numbers(vcf, header, self.info_fields)
        return {f: header[f][0] for f in self.info_fields}

    def score(self, reference: Reference, table: VariantTable) -> dict[str, np.ndarray]:
        """Score columns (``ref_score, alt_score, diff, log_odds, risk``), float64 ``(n,)`` each.

        Warns, once per contig, when the model's annotation has no locus on a contig it scores (a
        contig named otherwise than in the training BED, e.g. ``NC_012920.1`` for ``chrM``): its
        annotation channels and consequences are then all 0 there.
        """
        annotation = self.featurizer.annotation
        for chrom in set(table.chroms) - self._contigs_seen:
            self._contigs_seen.add(chrom)
            if annotation is not None and not annotation.covers(chrom):
                log.warning(
                    "model %s: its annotation has no locus on contig %s (its own: %s), so the"
                    " variants there are scored without annotation (name the contig as in the"
                    " training BED to use it)",
                    self.predictor.model_dir,
                    chrom,
                    ", ".join(annotation.contigs[:5]) or "none",
                )
        model = self.predictor.model
        device = getattr(self.predictor, "device", "cpu")
        null = replace(table, alts=list(table.refs))
        a, b = self.platt
        out = []
        for t in (null, table):  # the same INFO values twice: said once
            arrays = self.featurizer.encode(reference, t, warn=t is table)
            arrays.pop("ref_match")
            p = _predict_arrays(model, arrays, device=device)
            z = a * _flat_logit(p) + b
            out.append(1.0 / (1.0 + np.exp(-z)))
        ref_s, alt_s = out
        lo = _flat_logit(alt_s) - _flat_logit(ref_s)
        return {"ref_score": ref_s, "alt_score": alt_s, "diff": alt_s - ref_s, "log_odds": lo, "risk": alt_s}


def is_variant_model(predictor: Any) -> bool:
    """Whether a loaded predictor holds a variant-risk model."""
    config = getattr(predictor, "config", None) or {}
    return (config.get("extra") or {}).get("kind") == VARIANT_KIND
