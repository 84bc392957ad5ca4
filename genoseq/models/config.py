"""Frozen, typed model configurations and their validation.

Each architecture has one frozen dataclass deriving from :class:`ModelConfig`.
Values are checked once, in ``__post_init__``; dictionaries (from JSON or the
CLI) become configs only through :func:`config_from_dict`, which rejects
misspelt keys by name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from genoseq.errors import ConfigError

TASKS = ("binary", "multiclass", "multilabel")

_C = TypeVar("_C", bound="ModelConfig")


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """Fields every architecture has.

    Attributes
    ----------
    input_length : int
        Sequence length in bases the model is trained on.
    n_outputs : int
        Number of logits: 1 for ``binary``, the number of classes for
        ``multiclass`` (>= 2) and the number of labels for ``multilabel``.
    task : str
        ``"binary"``, ``"multiclass"`` or ``"multilabel"``.
    n_features : int
        Extra numeric features per example, concatenated to the pooled sequence
        representation before the head (0 = none).
    dropout : float
        Dropout probability used in the trunk and the head.
    head_hidden : int
        Width of the head's hidden layer; 0 makes the head a single linear layer.
    feature_skip : bool
        Also add a linear map of the extra features straight to the logits (a "wide" path beside
        the MLP), so that a feature that ranks well on its own -- an allele frequency -- is used
        at least as well as by a logistic regression.
    """

    input_length: int
    n_outputs: int
    task: str
    n_features: int = 0
    dropout: float = 0.2
    head_hidden: int = 64
    feature_skip: bool = False

    def __post_init__(self) -> None:
        _check_types(self)
        _positive(self, "input_length", "n_outputs")
        _non_negative(self, "n_features", "head_hidden")
        if self.task not in TASKS:
            raise ConfigError(f"task must be one of {', '.join(TASKS)}, got {self.task!r}")
        if self.task == "binary" and self.n_outputs != 1:
            raise ConfigError(f"a binary model has n_outputs == 1, got {self.n_outputs}")
        if self.task == "multiclass" and self.n_outputs < 2:
            raise ConfigError(f"a multiclass model needs n_outputs >= 2, got {self.n_outputs}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")

    def to_dict(self) -> dict[str, Any]:
        """Return the config as a JSON-ready ``dict`` (the inverse of :func:`config_from_dict`).

        Keys that came after the first release are left out while they hold the value that
        reads back when they are missing (``feature_skip`` false, the transformer's
        ``attention_dropout`` 0), so that such model directories stay readable by the genoseq
        versions from before them.
        """
        out = dataclasses.asdict(self)
        for key, absent in _OMITTED_WHEN.items():
            if key in out and out[key] == absent and type(out[key]) is type(absent):
                del out[key]
        return out


#: config keys newer than the first release -> the value ``to_dict`` leaves out (the field's default,
#: which a config.json without the key reads back as)
_OMITTED_WHEN: dict[str, Any] = {"feature_skip": False, "attention_dropout": 0.0}

_SCALARS: dict[str, tuple[type, ...]] = {"int": (int,), "float": (float, int), "str": (str,), "bool": (bool,)}


#: the largest integer a config field may hold: every size torch is given fits a C ``int`` (a larger
#: one was torch's "Overflow when unpacking long long" from deep inside the model's constructor)
MAX_INT = 2**31 - 1


def _check_types(config: ModelConfig) -> None:
    """Check every field against its annotation; ints given for floats become floats."""
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        allowed = _SCALARS.get(str(field.type))
        if allowed is None:
            continue
        wrong_bool = isinstance(value, bool) and bool not in allowed
        if wrong_bool or not isinstance(value, allowed):
            raise ConfigError(f"{field.name} must be {field.type}, got {value!r}")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            shown = value if value.bit_length() < 128 else f"a number of {value.bit_length()} bits"
            raise ConfigError(f"{field.name} must be at most {MAX_INT}, got {shown}")
        if field.type == "float":
            object.__setattr__(config, field.name, float(value))


def _positive(config: ModelConfig, *names: str) -> None:
    for name in names:
        if getattr(config, name) < 1:
            raise ConfigError(f"{name} must be >= 1, got {getattr(config, name)}")


#: the most stacked layers a config may ask for: far beyond any model genoseq trains (2 by default),
#: and a bound that keeps a damaged or hostile config.json from building a model for hours
MAX_LAYERS = 64


def _layers(config: ModelConfig, *names: str) -> None:
    for name in names:
        if not 1 <= getattr(config, name) <= MAX_LAYERS:
            raise ConfigError(f"{name} must be between 1 and {MAX_LAYERS}, got {getattr(config, name)}")


def _non_negative(config: ModelConfig, *names: str) -> None:
    for name in names:
        if getattr(config, name) < 0:
            raise ConfigError(f"{name} must be >= 0, got {getattr(config, name)}")


def _choice(config: ModelConfig, name: str, choices: tuple[str, ...]) -> None:
    if getattr(config, name) not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {getattr(config, name)!r}")


def build_config(cls: type[_C], values: Mapping[str, Any], *, what: str) -> _C:
    """Build ``cls`` from ``values``, naming any unknown or missing key.

    Parameters
    ----------
    cls
        A :class:`ModelConfig` subclass.
    values
        Field values (e.g. parsed JSON).
    what
        How to name the config in messages (the model name).

    Raises
    ------
    ConfigError
        On an unknown key, a missing required key or an invalid value.
    """
    if not isinstance(values, Mapping):
        raise ConfigError(f"{what} config must be a mapping, got {type(values).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(
            f"unknown {what} config key {unknown[0]!r}"
            + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else "")
            + f"; known keys: {', '.join(fields)}"
        )
    missing = [
        name
        for name, f in fields.items()
        if name not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"{what} config lacks required key {missing[0]!r}")
    return cls(**values)
