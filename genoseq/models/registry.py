"""The model registry: CLI ``--model`` names -> config class, model class and input encoding."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from torch import nn

from genoseq._config_keys import DERIVED_KEYS
from genoseq.errors import ConfigError
from genoseq.models.cnn_lstm import CNNLSTM, CNNLSTMConfig
from genoseq.models.config import ModelConfig, build_config
from genoseq.models.transformer import TransformerClassifier, TransformerConfig


def _onehot_spec(config: ModelConfig) -> dict[str, Any]:
    from genoseq.tokenize import OneHotEncoder

    return OneHotEncoder().to_dict()


def _kmer_spec(config: ModelConfig) -> dict[str, Any]:
    from genoseq.tokenize import KmerTokenizer

    assert isinstance(config, TransformerConfig)
    return KmerTokenizer(config.k, config.stride).to_dict()


def _kmer_sizes(values: dict[str, Any]) -> dict[str, Any]:
    """Fill ``vocab_size`` and ``max_tokens`` from the k-mer tokenizer the config names."""
    from genoseq.tokenize import KmerTokenizer

    k = values.get("k", TransformerConfig.k)
    stride = values.get("stride", TransformerConfig.stride)
    tokenizer = KmerTokenizer(k, stride)
    if stride > k:  # (KmerTokenizer checked both are ints)
        raise ConfigError(
            f"stride {stride} is longer than the k-mers (k={k}): {stride - k} of every {stride} bases would"
            f" never be read; use --set stride={k} or less (non-overlapping k-mers at stride={k})"
        )
    if isinstance(values.get("input_length"), int) and values["input_length"] < k:
        raise ConfigError(
            f"sequences of {values['input_length']} bases are shorter than the transformer's k-mers"
            f" (k={k}): it would see no k-mer at all; use --set k={values['input_length']} or less, or the"
            " cnn-lstm"
        )
    ids, _ = tokenizer.encode_batch(["A" * values["input_length"]], add_special_tokens=True)
    needed = {"vocab_size": tokenizer.vocab_size, "max_tokens": int(ids.shape[1])}
    for key, value in needed.items():
        given = values.get(key)
        # more ids or positions than the tokenizer needs work; fewer fail inside torch at the first batch
        if isinstance(given, int) and not isinstance(given, bool) and given < value:
            raise ConfigError(
                f"{key} {given} is less than k={k}, stride={stride} and input_length {values['input_length']}"
                f" need ({value})"
            )
        values.setdefault(key, value)
    return values


def _no_derived(values: dict[str, Any]) -> dict[str, Any]:
    return values


@dataclass(frozen=True)
class ModelEntry:
    """One registered architecture.

    Attributes
    ----------
    name : str
        The ``--model`` name.
    config_cls : type[ModelConfig]
        Its frozen config dataclass.
    model_cls : type[nn.Module]
        The module class, built as ``model_cls(config)``.
    input_type : str
        ``"onehot"`` or ``"kmer"``: what :func:`genoseq.data.encoding.encode_for_model` produces for it.
    description : str
        One line for ``--help``.
    spec : Callable
        ``config -> dict``: the tokenizer spec the model consumes.
    derive : Callable
        Fills config fields that follow from others (the transformer's vocabulary size and
        token count follow from ``k``, ``stride`` and ``input_length``).
    """

    name: str
    config_cls: type[ModelConfig]
    model_cls: type[nn.Module]
    input_type: str
    description: str
    spec: Callable[[ModelConfig], dict[str, Any]]
    derive: Callable[[dict[str, Any]], dict[str, Any]]


MODEL_REGISTRY: dict[str, ModelEntry] = {
    "cnn-lstm": ModelEntry(
        "cnn-lstm",
        CNNLSTMConfig,
        CNNLSTM,
        "onehot",
        "DanQ-style convolution + max-pooling + bidirectional LSTM on one-hot DNA",
        _onehot_spec,
        _no_derived,
    ),
    "transformer": ModelEntry(
        "transformer",
        TransformerConfig,
        TransformerClassifier,
        "kmer",
        "Transformer encoder on overlapping k-mer tokens",
        _kmer_spec,
        _kmer_sizes,
    ),
}


def get_entry(name: str) -> ModelEntry:
    """Return the registry entry for ``name``; ConfigError listing the known names otherwise."""
    if not isinstance(name, str) or name not in MODEL_REGISTRY:  # a list from a config.json is unhashable
        raise ConfigError(f"unknown model {name!r}; known models: {', '.join(MODEL_REGISTRY)}")
    return MODEL_REGISTRY[name]


def config_from_dict(model_name: str, values: Mapping[str, Any]) -> ModelConfig:
    """Build the config of model ``model_name`` from a dict (e.g. ``config.json``).

    Raises
    ------
    ConfigError
        Unknown model name, unknown or missing key (named), or invalid value.
    """
    entry = get_entry(model_name)
    return build_config(entry.config_cls, values, what=model_name)


def check_override_keys(name: str, overrides: Mapping[str, Any]) -> None:
    """Refuse an override key model ``name``'s config does not have, naming the keys one may set.

    Raises
    ------
    ConfigError
        Unknown model or key.
    """
    known = {f.name for f in dataclasses.fields(get_entry(name).config_cls)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        settable = ", ".join(sorted(known - DERIVED_KEYS))
        raise ConfigError(f"unknown {name} config key {unknown[0]!r}; known keys: {settable}")


def default_config(
    name: str,
    *,
    input_length: int,
    n_outputs: int,
    task: str,
    n_features: int = 0,
    **overrides: Any,
) -> ModelConfig:
    """The default config of model ``name`` for the given input and task, with ``overrides`` applied.

    For the transformer, ``vocab_size`` and ``max_tokens`` are derived from the
    k-mer tokenizer (``k``, ``stride``) unless given.

    Raises
    ------
    ConfigError
        Unknown model, unknown override key (named) or invalid value.
    """
    entry = get_entry(name)
    from_data = {"input_length", "n_outputs", "task", "n_features"}
    reserved = sorted(from_data & set(overrides))
    if reserved:
        raise ConfigError(f"{reserved[0]} is set from the data, not as an override")
    check_override_keys(name, overrides)
    values = dict(overrides, input_length=input_length, n_outputs=n_outputs, task=task, n_features=n_features)
    if not isinstance(input_length, int) or isinstance(input_length, bool) or input_length < 1:
        raise ConfigError(f"input_length must be a positive int, got {input_length!r}")
    return build_config(entry.config_cls, entry.derive(values), what=name)


def build_model(name: str, config: ModelConfig | Mapping[str, Any]) -> nn.Module:
    """Instantiate model ``name`` from its config (a config object or a dict of its fields)."""
    entry = get_entry(name)
    if not isinstance(config, ModelConfig):
        config = build_config(entry.config_cls, config, what=name)
    if not isinstance(config, entry.config_cls):
        raise ConfigError(f"model {name!r} needs a {entry.config_cls.__name__}, got {type(config).__name__}")
    return entry.model_cls(config)


def encoding_spec(name: str, config: ModelConfig) -> dict[str, Any]:
    """The tokenizer spec model ``name`` consumes (``{"type": "onehot", ...}`` or ``{"type": "kmer", ...}``)."""
    return get_entry(name).spec(config)
