"""Sequence models: pure ``nn.Module`` s returning logits, with frozen configs and a registry.

Both architectures are a :class:`SequenceClassifier` (trunk + shared
:class:`ClassifierHead`); they differ only in the trunk:

* ``"cnn-lstm"`` -- :class:`CNNLSTM` on one-hot input float ``(N, L, 4)``;
* ``"transformer"`` -- :class:`TransformerClassifier` on k-mer ids int64 ``(N, T)`` + mask.

Use :func:`default_config` and :func:`build_model`; :func:`encoding_spec` says
which tokenizer a model consumes.
"""

from __future__ import annotations

from genoseq.models.cnn_lstm import CNNLSTM, CNNLSTMConfig
from genoseq.models.config import TASKS, ModelConfig
from genoseq.models.layers import ClassifierHead, SequenceClassifier
from genoseq.models.registry import (
    MODEL_REGISTRY,
    ModelEntry,
    build_model,
    config_from_dict,
    default_config,
    encoding_spec,
    get_entry,
)
from genoseq.models.transformer import TransformerClassifier, TransformerConfig

__all__ = [
    "CNNLSTM",
    "MODEL_REGISTRY",
    "TASKS",
    "CNNLSTMConfig",
    "ClassifierHead",
    "ModelConfig",
    "ModelEntry",
    "SequenceClassifier",
    "TransformerClassifier",
    "TransformerConfig",
    "build_model",
    "config_from_dict",
    "default_config",
    "encoding_spec",
    "get_entry",
]
