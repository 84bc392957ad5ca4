"""What is optimised and how: loss functions, targets, output activations, AdamW, LR schedule."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from genoseq.errors import ConfigError
from genoseq.train.config import TrainConfig

__all__ = ["lr_factor", "make_loss", "make_optimizer", "probabilities", "targets"]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def targets(y: torch.Tensor, task: str) -> torch.Tensor:
    """Dataset labels → loss targets: binary float ``(N, 1)``, multilabel float ``(N, C)``, multiclass int64 ``(N,)``."""
    if task == "binary":
        return y.reshape(-1, 1).float()
    if task == "multilabel":
        return y.float()
    return y.long().reshape(-1)


def make_loss(
    task: str, labels: np.ndarray, n_outputs: int, config: TrainConfig, device: torch.device
) -> LossFn:
    """``(logits, targets) -> per-example loss (N,)``.

    BCE-with-logits (mean over outputs) for binary/multilabel, with ``pos_weight``
    = ``config.pos_weight`` or, with ``balance_classes``, ``n_neg / n_pos`` per
    output (from ``labels``); cross-entropy for multiclass, with class weights
    ``n / (C * n_c)`` under ``balance_classes``.
    """
    if task == "multiclass":
        if config.pos_weight is not None:
            raise ConfigError(
                "a numeric pos_weight applies to binary/multilabel tasks; for multiclass use --pos-weight auto"
                " (balance_classes=True in TrainConfig), which weights each class by its inverse frequency"
            )
        weight = None
        if config.balance_classes:
            counts = np.bincount(np.asarray(labels).reshape(-1), minlength=n_outputs).astype(np.float64)
            weight = torch.tensor(labels.size / (n_outputs * np.maximum(counts, 1.0)), dtype=torch.float32)
        return nn.CrossEntropyLoss(weight=None if weight is None else weight.to(device), reduction="none")
    pos_weight = None
    if config.pos_weight is not None:
        pos_weight = torch.full((n_outputs,), config.pos_weight, dtype=torch.float32)
    elif config.balance_classes:
        y = np.asarray(labels, dtype=np.float64).reshape(len(labels), -1)
        pos = y.sum(axis=0)
        pos_weight = torch.tensor((len(y) - pos) / np.maximum(pos, 1.0), dtype=torch.float32)
    bce = nn.BCEWithLogitsLoss(
        pos_weight=None if pos_weight is None else pos_weight.to(device), reduction="none"
    )
    return lambda logits, target: bce(logits, target).mean(dim=1)


def probabilities(logits: torch.Tensor, task: str) -> torch.Tensor:
    """Softmax over classes (multiclass) or per-output sigmoid."""
    return torch.softmax(logits, dim=1) if task == "multiclass" else torch.sigmoid(logits)


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW; weight decay on weight matrices/kernels only, not on biases and norm scales."""
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim < 2]
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=config.lr)


def lr_factor(step: int, total: int, warmup: int, kind: str) -> float:
    """Learning-rate multiplier at optimisation step ``step`` (0-based) of ``total``.

    Linear warm-up over ``warmup`` steps to 1, then ``"constant"`` 1 or
    ``"cosine"`` decay from 1 to 0.01 at the last step.
    """
    if step < warmup:
        return (step + 1) / warmup
    if kind == "constant":
        return 1.0
    progress = min(1.0, (step - warmup) / max(1, total - 1 - warmup))
    return 0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * progress))
