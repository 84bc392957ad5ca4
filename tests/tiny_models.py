"""Model-config overrides that make each architecture tiny (a few hundred parameters), for fast tests."""

from __future__ import annotations

TINY = {
    "cnn-lstm": {"conv_filters": 3, "conv_width": 5, "pool_size": 2, "lstm_hidden": 2, "head_hidden": 4},
    "transformer": {
        "d_model": 8,
        "n_heads": 2,
        "n_layers": 1,
        "dim_feedforward": 16,
        "k": 2,
        "head_hidden": 4,
    },
}
