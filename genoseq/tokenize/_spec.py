"""Validation and JSON persistence shared by the tokenizers' ``to_dict``/``from_dict``."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from genoseq._atomic import atomic_write
from genoseq.errors import ConfigError

__all__ = ["SPEC_VERSION", "JsonSpecMixin", "check_spec", "require_int"]

#: Version of the tokenizer spec dictionaries written by ``to_dict``.
SPEC_VERSION = 1

_T = TypeVar("_T", bound="JsonSpecMixin")


def check_spec(d: Any, kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a tokenizer spec dict and return its constructor arguments.

    Parameters
    ----------
    d
        The dictionary (as made by ``to_dict``).
    kind
        The expected ``"type"`` value.
    fields
        Constructor argument names and their defaults (used when absent).

    Returns
    -------
    dict
        Constructor keyword arguments.

    Raises
    ------
    ConfigError
        If ``d`` is not a mapping, its ``type`` is not ``kind``, its ``version``
        is newer than :data:`SPEC_VERSION`, or it has an unknown key (named).
    """
    if not isinstance(d, Mapping):
        raise ConfigError(f"tokenizer spec must be a JSON object, got {type(d).__name__}")
    if d.get("type") != kind:
        raise ConfigError(f"tokenizer spec has type {d.get('type')!r}, expected {kind!r}")
    version = d.get("version", SPEC_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ConfigError(f"tokenizer spec has invalid version {version!r}")
    if version > SPEC_VERSION:
        raise ConfigError(
            f"tokenizer spec version {version} is newer than this genoseq supports ({SPEC_VERSION})"
        )
    unknown = sorted(set(d) - {"type", "version", *fields})
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in {kind} tokenizer spec (allowed: {', '.join(sorted(fields))})"
        )
    return {name: d.get(name, default) for name, default in fields.items()}


def require_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """Return ``value`` as an ``int`` in ``[low, high]``, else raise :class:`ConfigError`."""
    bound = f">= {low}" if high is None else f"between {low:,} and {high:,}"
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise ConfigError(f"{name} must be an integer {bound}, got {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        raise ConfigError(f"{name} must be an integer {bound}, got {value}")
    return value


class JsonSpecMixin:
    """``save``/``load`` of a tokenizer as its ``to_dict()`` JSON."""

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    @classmethod
    def from_dict(cls: type[_T], d: Mapping[str, Any]) -> _T:  # pragma: no cover - overridden
        raise NotImplementedError

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write ``to_dict()`` as JSON to ``path`` (atomically: temp file, then rename)."""
        with atomic_write(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, indent=2, sort_keys=True)
            fh.write("\n")

    @classmethod
    def load(cls: type[_T], path: str | os.PathLike[str]) -> _T:
        """Read a tokenizer written by :meth:`save`.

        Raises
        ------
        ConfigError
            If the file is missing, unreadable, not valid JSON or not a valid spec (the message
            names the file).
        """
        path = Path(path)
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ConfigError(f"not valid JSON: {exc}", path=path) from exc
        except UnicodeDecodeError as exc:
            raise ConfigError("not a tokenizer file (not UTF-8 text)", path=path) from exc
        except OSError as exc:
            raise ConfigError(f"cannot read the tokenizer file ({exc.strerror or exc})", path=path) from exc
        try:
            return cls.from_dict(d)
        except ConfigError as exc:
            raise ConfigError(exc.problem, path=path) from exc
