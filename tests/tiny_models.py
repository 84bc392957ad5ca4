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


def save_tiny_cnn(path, input_length: int, *, seed: int = 0, prepare=None, extra=None, **config):  # noqa: ANN001, ANN201
    """Write an untrained tiny binary CNN-LSTM (classes "0", "1") as a model directory at ``path``.

    ``config`` adds model-config fields (``n_features=2``); ``prepare(model)`` may set weights before
    the model is saved; ``extra`` is the directory's ``extra`` record.
    """
    import torch

    from genoseq.modeldir import save_model_dir
    from genoseq.models import build_model, default_config, encoding_spec

    torch.manual_seed(seed)
    config = default_config(
        "cnn-lstm", input_length=input_length, n_outputs=1, task="binary", **{**TINY["cnn-lstm"], **config}
    )
    model = build_model("cnn-lstm", config)
    if prepare is not None:
        with torch.no_grad():
            prepare(model)
    return save_model_dir(
        path,
        model,
        model_name="cnn-lstm",
        model_config=config,
        task="binary",
        classes=["0", "1"],
        encoding=encoding_spec("cnn-lstm", config),
        input_length=input_length,
        extra=extra,
    )
