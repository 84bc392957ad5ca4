"""The training configuration: one frozen, validated dataclass."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from genoseq.errors import ConfigError

__all__ = ["METRICS", "MODEL_TRAIN_DEFAULTS", "STRAND_MODES", "TrainConfig"]

#: Validation metrics that :func:`genoseq.train.compute_metrics` reports (and ``monitor`` may name).
METRICS = ("accuracy", "auroc", "auprc", "mcc", "f1")

#: DataLoader worker processes at most (each is a process: more only thrashes the machine)
_MAX_WORKERS = 256
#: the largest weight decay accepted (with lr 1e-3 that is a 100% shrink a step)
_MAX_WEIGHT_DECAY = 1000.0
#: the largest learning rate accepted: far above any useful AdamW step, far below float32 overflow
_MAX_LR = 10.0
_DEVICES = ("auto", "cpu", "cuda")
_PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_SCHEDULERS = ("cosine", "constant")
_MONITORS = ("auto", "loss", *METRICS)
#: How a trained sequence classifier treats the two strands (see :attr:`TrainConfig.strand`).
STRAND_MODES = ("both", "forward", "auto")

#: ``genoseq train``'s defaults for the options that differ by architecture (the dataclass defaults are
#: model-agnostic). Weight averaging gave the CNN-LSTM +0.02 cross-validated iEnhancer accuracy and the
#: transformer nothing (BENCHMARKS.md).
MODEL_TRAIN_DEFAULTS: dict[str, dict[str, float]] = {
    "cnn-lstm": {"lr": 1e-3, "ema_decay": 0.99},
    "transformer": {"lr": 3e-4, "ema_decay": 0.0},
}

#: Fields that change what is trained; a resumed run must agree with its checkpoint on these.
SEMANTIC_FIELDS = (
    "epochs",
    "batch_size",
    "lr",
    "weight_decay",
    "seed",
    "patience",
    "min_delta",
    "scheduler",
    "warmup_fraction",
    "monitor",
    "pos_weight",
    "balance_classes",
    "grad_clip",
    "rc_augment",
    "ema_decay",
)


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """How to train (model-agnostic).

    Attributes
    ----------
    epochs : int
        Maximum number of epochs.
    batch_size : int
        Examples per optimisation step and process (with DDP, the global batch is
        ``batch_size * world_size``).
    lr : float
        Peak learning rate of AdamW.
    weight_decay : float
        AdamW weight decay, applied to weight matrices/kernels only (not to biases and norms).
    seed : int
        Seed of weight initialisation (by the caller), shuffling, dropout and augmentation.
    device : str
        ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
    precision : str
        ``"auto"`` (bf16 on CUDA when supported, else fp16 with gradient scaling; fp32 on CPU),
        ``"fp32"``, ``"bf16"`` or ``"fp16"`` (CUDA only).
    patience : int
        Stop after this many epochs without improvement of the monitored metric; 0 never stops early.
    min_delta : float
        Smallest change of the monitored metric that counts as an improvement.
    num_workers : int
        DataLoader worker processes; -1 chooses (0 on CPU, up to 4 on CUDA).
    scheduler : str
        ``"cosine"`` (linear warm-up, then cosine decay to 1% of ``lr``) or ``"constant"``
        (linear warm-up, then constant).
    warmup_fraction : float
        Fraction of all steps used for the linear warm-up.
    valid_fraction : float
        Fraction held out (stratified) for validation when no validation table is given.
    monitor : str
        Validation metric for early stopping and best-model selection: ``"auto"`` (AUROC for
        binary/multilabel, MCC for multiclass), ``"loss"`` or one of :data:`METRICS`. Ties
        are broken by the lower validation loss.
    pos_weight : float | None
        Weight of positive examples in the binary/multilabel loss (e.g. ``n_neg / n_pos``).
    balance_classes : bool
        Weight the loss by inverse class frequency (positive weight ``n_neg / n_pos`` per output
        for binary/multilabel; ``n / (C * n_c)`` per class for multiclass).
    grad_clip : float
        Clip the gradient norm to this value; 0 turns clipping off.
    rc_augment : bool | None
        Reverse-complement a random half of the training sequences in each epoch. ``None`` (the
        default) follows ``strand``: on for ``"both"``, off for ``"forward"`` (a model trained on both
        strands of every sequence cannot learn which one it is given); for ``"auto"`` it stays ``None``
        here and :func:`genoseq.train.train_model` decides: off, so that the validation set can show
        whether the task is strand-specific -- unless that set is too small to ever change the
        default (:data:`genoseq.train.strand.MIN_EXAMPLES`), in which case both strands it is, with
        augmentation.
    ema_decay : float
        Keep an exponential moving average of the weights with this decay per step (0 = off;
        e.g. 0.99); validation, best-model selection and the saved model then use the averaged
        weights. The decay ramps up as ``min(ema_decay, (1 + step) / (10 + step))``, so the average
        does not remember the random initial weights.
    strand : str
        Which strands the saved model scores by default (recorded in its directory, used by
        :class:`genoseq.Predictor` whenever no strand is given): ``"both"`` (the mean of the
        forward and reverse-complement predictions: a strand-symmetric task), ``"forward"`` (the
        given strand only: a strand-specific task such as core promoters), or ``"auto"``: after
        training, compare the two on the validation set and record ``"forward"`` only when it is
        clearly better (see :func:`genoseq.train.strand.choose_strand`), else ``"both"``.
    """

    epochs: int = 20
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.01
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    patience: int = 5
    min_delta: float = 0.0
    num_workers: int = -1
    scheduler: str = "cosine"
    warmup_fraction: float = 0.1
    valid_fraction: float = 0.1
    monitor: str = "auto"
    pos_weight: float | None = None
    balance_classes: bool = False
    grad_clip: float = 1.0
    rc_augment: bool | None = None
    ema_decay: float = 0.0
    strand: str = "both"

    def __post_init__(self) -> None:
        ints = ("epochs", "batch_size", "seed", "patience", "num_workers")
        floats = (
            "lr",
            "weight_decay",
            "min_delta",
            "warmup_fraction",
            "valid_fraction",
            "grad_clip",
            "ema_decay",
        )
        for name in ints:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{name} must be an integer, got {value!r}")
        for name in floats:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{name} must be a number, got {value!r}")
            object.__setattr__(self, name, float(value))
        if self.strand not in STRAND_MODES:
            raise ConfigError(f"strand must be one of {', '.join(STRAND_MODES)}, got {self.strand!r}")
        if self.rc_augment is None and self.strand != "auto":
            object.__setattr__(self, "rc_augment", self.strand == "both")
        if not isinstance(self.balance_classes, bool):
            raise ConfigError(f"balance_classes must be true or false, got {self.balance_classes!r}")
        if self.rc_augment is not None and not isinstance(self.rc_augment, bool):
            raise ConfigError(f"rc_augment must be true, false or null, got {self.rc_augment!r}")
        if self.epochs < 1:
            raise ConfigError(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}")
        if not 0 < self.lr <= _MAX_LR:  # also refuses nan and inf
            raise ConfigError(
                f"lr must be > 0 and at most {_MAX_LR:g} (AdamW moves each weight by about lr a step), "
                f"got {self.lr}"
            )
        for name in ("weight_decay", "grad_clip", "min_delta"):
            if not math.isfinite(getattr(self, name)):
                raise ConfigError(f"{name} must be a finite number, got {getattr(self, name)}")
        for name in ("weight_decay", "grad_clip", "min_delta", "patience"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.weight_decay > _MAX_WEIGHT_DECAY:
            raise ConfigError(
                f"weight_decay must be at most {_MAX_WEIGHT_DECAY:g} (AdamW shrinks each weight by lr x "
                f"weight_decay a step), got {self.weight_decay}"
            )
        if not 0 <= self.seed < 2**63:
            raise ConfigError(f"seed must be >= 0 and < 2**63, got {self.seed}")
        if not -1 <= self.num_workers <= _MAX_WORKERS:
            raise ConfigError(
                f"num_workers must be between 0 and {_MAX_WORKERS} (or -1 = auto), got {self.num_workers}"
            )
        if not 0.0 <= self.warmup_fraction < 1.0:
            raise ConfigError(f"warmup_fraction must be in [0, 1), got {self.warmup_fraction}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        if not 0.0 < self.valid_fraction < 1.0:
            raise ConfigError(f"valid_fraction must be in (0, 1), got {self.valid_fraction}")
        for name, choices in (
            ("device", _DEVICES),
            ("precision", _PRECISIONS),
            ("scheduler", _SCHEDULERS),
            ("monitor", _MONITORS),
        ):
            if getattr(self, name) not in choices:
                raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {getattr(self, name)!r}")
        if self.pos_weight is not None:
            if isinstance(self.pos_weight, bool) or not isinstance(self.pos_weight, int | float):
                raise ConfigError(f"pos_weight must be a number, got {self.pos_weight!r}")
            if not 0 < self.pos_weight <= 1e6:  # also refuses nan and inf
                raise ConfigError(f"pos_weight must be > 0 and at most 1e6, got {self.pos_weight}")
            object.__setattr__(self, "pos_weight", float(self.pos_weight))
            if self.balance_classes:
                raise ConfigError("give pos_weight or balance_classes, not both")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``dict`` of every field."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TrainConfig:
        """Build from a ``dict``; an unknown key raises :class:`ConfigError` naming it."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown training option {unknown[0]!r}; known: {', '.join(sorted(known))}")
        return cls(**values)

    def resolved_monitor(self, task: str) -> str:
        """The monitored metric for ``task`` (resolving ``"auto"``)."""
        if self.monitor != "auto":
            return self.monitor
        return "mcc" if task == "multiclass" else "auroc"
