"""Toy predictors whose outputs are known in closed form, for testing the scoring path."""

from __future__ import annotations

from pathlib import Path

import numpy as np

_COMP = bytes.maketrans(b"ACGTNacgtn", b"TGCANtgcan")


def revcomp(s: str) -> str:
    return s.translate(_COMP)[::-1]


def toy_prob(window: str) -> float:
    """P = sigmoid(0.3 * (#G - #C) + 0.1 * (#A at even index) - 0.2): strand-asymmetric on purpose."""
    s = window.upper()
    a_even = sum(1 for i, b in enumerate(s) if b == "A" and i % 2 == 0)
    z = 0.3 * (s.count("G") - s.count("C")) + 0.1 * a_even - 0.2
    return 1.0 / (1.0 + np.exp(-z))


class ToyPredictor:
    """Duck-types the parts of :class:`genoseq.Predictor` that variant scoring uses."""

    def __init__(self, model_dir: Path, input_length: int = 11, n_outputs: int = 1) -> None:
        self.model_dir = Path(model_dir)
        self.model_dir.mkdir(parents=True, exist_ok=True)
        self.input_length = input_length
        self.n_outputs = n_outputs
        self.classes = ["neg", "pos"] if n_outputs == 1 else [f"c{i}" for i in range(n_outputs)]
        self.config: dict = {}
        self.weights_sha256 = "0" * 64
        self.calls = 0

    def probs(self, window: str, strand: str) -> np.ndarray:
        out = []
        for j in range(self.n_outputs):
            w = window if j == 0 else window[::-1]
            p = toy_prob(w)
            if strand == "both":
                rc = revcomp(window)
                p = (p + toy_prob(rc if j == 0 else rc[::-1])) / 2
            out.append(p)
        return np.array(out, dtype=np.float32)

    def predict_array(self, arr: np.ndarray, strand: str = "both") -> np.ndarray:
        self.calls += 1
        return np.stack([self.probs(row.tobytes().decode(), strand) for row in arr]).reshape(
            len(arr), self.n_outputs
        )
