"""Toy data and a toy model for the training tests (imported by the other test_train* files).

The data: random 50-bp sequences; positives carry the motif GATTACA at a random
place, so a one-filter-wide convolution can learn the task in a couple of epochs.
The model: one-hot → Conv1d → ReLU → global max-pool → dropout → Linear. It is
not a genoseq model on purpose: the trainer must not care which model it trains.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from genoseq.data.datasets import SequenceDataset

MOTIF = "GATTACA"
LENGTH = 50

_ONEHOT = np.zeros((256, 4), dtype=np.float32)
for _j, _base in enumerate("ACGT"):
    _ONEHOT[ord(_base), _j] = 1.0


def toy_encode(arr: np.ndarray) -> dict[str, np.ndarray]:
    """uint8 (n, L) → {"x": float32 (n, L, 4)} (plain one-hot, N = zeros)."""
    return {"x": _ONEHOT[arr]}


def planted_sequences(
    n: int, seed: int, *, length: int = LENGTH, n_classes: int = 2
) -> tuple[list[str], np.ndarray]:
    """``n`` random sequences; class ``c`` > 0 carries motif number ``c`` (binary: GATTACA in positives)."""
    rng = np.random.default_rng(seed)
    motifs = [MOTIF, "CCGGTTA", "TATAGCG", "GGGACCC"]
    seqs, labels = [], np.arange(n, dtype=np.int64) % n_classes
    for label in labels:
        s = list(rng.choice(list("ACGT"), length))
        if label > 0:
            motif = motifs[label - 1]
            p = int(rng.integers(0, length - len(motif) + 1))
            s[p : p + len(motif)] = list(motif)
        seqs.append("".join(s))
    return seqs, labels


def write_csv(path: Path, seqs: list[str], labels: np.ndarray | list[object]) -> Path:
    path.write_text("sequence,label\n" + "".join(f"{s},{y}\n" for s, y in zip(seqs, labels, strict=True)))
    return path


def toy_datasets(
    n_train: int = 400, n_valid: int = 100, *, n_classes: int = 2, rc_augment: bool = False, seed: int = 0
) -> tuple[SequenceDataset, SequenceDataset]:
    task = "binary" if n_classes == 2 else "multiclass"
    made = []
    for n, s in ((n_train, seed), (n_valid, seed + 1)):
        seqs, labels = planted_sequences(n, s, n_classes=n_classes)
        arr = np.frombuffer("".join(seqs).encode(), dtype=np.uint8).reshape(n, LENGTH).copy()
        made.append(
            SequenceDataset(
                arr, labels, task=task, encode=toy_encode, n_classes=n_classes, rc_augment=rc_augment
            )
        )
    return made[0], made[1]


class ToyConvNet(nn.Module):
    """One-hot (N, L, 4) → logits (N, n_outputs)."""

    def __init__(self, n_outputs: int = 1, filters: int = 8, width: int = 7, dropout: float = 0.1) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, filters, width)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(filters, n_outputs)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, features: torch.Tensor | None = None
    ) -> torch.Tensor:
        h = torch.relu(self.conv(x.transpose(1, 2))).amax(dim=2)
        return self.out(self.drop(h))


def toy_model(seed: int = 0, n_outputs: int = 1) -> ToyConvNet:
    torch.manual_seed(seed)
    return ToyConvNet(n_outputs)


def test_planted_motif_is_in_positives_only_by_construction() -> None:
    seqs, labels = planted_sequences(200, 3)
    with_motif = np.array([MOTIF in s for s in seqs])
    assert with_motif[labels == 1].all()
    # random 50-mers hold GATTACA rarely (expected ~0.007 per sequence)
    assert with_motif[labels == 0].mean() < 0.05


def test_toy_encode_is_one_hot() -> None:
    arr = np.frombuffer(b"ACGTN", dtype=np.uint8).reshape(1, 5)
    x = toy_encode(arr)["x"]
    assert x.shape == (1, 5, 4)
    np.testing.assert_array_equal(x[0, :4], np.eye(4, dtype=np.float32))
    assert x[0, 4].sum() == 0
