"""Training checkpoints: one safetensors file, tensors + a JSON header, no pickle.

A checkpoint is a single ``.safetensors`` file written to a temporary name and
renamed into place, so a killed process leaves either the previous checkpoint
or the new one, never a torn mix. Tensors (model and best-model weights, the
optimizer's per-parameter state, random-generator states) are stored as
tensors; everything else (epoch, step, history, optimizer hyper-parameters,
scaler state, the training config) is one JSON document in the safetensors
metadata under :data:`META_KEY`.

Tensor names: ``model.<param>``, ``best.<param>``, ``optim.<index>.<key>``,
``rng.torch.rank<r>``, ``rng.cuda.rank<r>``, ``rng.numpy``, ``rng.python``.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from genoseq._atomic import atomic_path
from genoseq.errors import TrainingError

__all__ = [
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_VERSION",
    "META_KEY",
    "capture_rng",
    "optimizer_from_flat",
    "optimizer_to_flat",
    "read_checkpoint",
    "restore_rng",
    "write_checkpoint",
]

CHECKPOINT_FORMAT = "genoseq-checkpoint"
CHECKPOINT_VERSION = 1
META_KEY = "genoseq.checkpoint"


def _encode_json(value: Any) -> Any:
    """Make optimizer hyper-parameters JSON-ready, marking tuples so they come back as tuples."""
    if isinstance(value, tuple):
        return {"__tuple__": [_encode_json(v) for v in value]}
    if isinstance(value, list):
        return [_encode_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode_json(v) for k, v in value.items()}
    if isinstance(value, torch.Tensor):
        raise TypeError("tensor in a JSON field")
    return value


def _decode_json(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__tuple__"}:
            return tuple(_decode_json(v) for v in value["__tuple__"])
        return {k: _decode_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_json(v) for v in value]
    return value


def optimizer_to_flat(state: Mapping[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split an optimizer ``state_dict`` into tensors and a JSON-ready remainder.

    Returns
    -------
    tuple[dict[str, torch.Tensor], dict]
        ``{"optim.<index>.<key>": tensor}`` and ``{"param_groups": ..., "scalars": {index: {key: value}}}``.
    """
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, per_param in state["state"].items():
        for key, value in per_param.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{index}.{key}"] = value
            else:
                scalars.setdefault(str(index), {})[key] = _encode_json(value)
    meta = {"param_groups": _encode_json(list(state["param_groups"])), "scalars": scalars}
    return tensors, meta


def optimizer_from_flat(tensors: Mapping[str, torch.Tensor], meta: Mapping[str, Any]) -> dict[str, Any]:
    """Rebuild the optimizer ``state_dict`` split by :func:`optimizer_to_flat`."""
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if not name.startswith("optim."):
            continue
        _, index, key = name.split(".", 2)
        state.setdefault(int(index), {})[key] = value
    for index, values in meta["scalars"].items():
        state.setdefault(int(index), {}).update(_decode_json(values))
    return {"state": state, "param_groups": _decode_json(meta["param_groups"])}


def capture_rng(rank: int = 0) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """This process's random-generator states (torch CPU and CUDA, NumPy, Python) as tensors + JSON.

    The torch states are keyed by ``rank`` (each DDP process has its own); the
    NumPy and Python states are stored for rank 0 only.
    """
    tensors = {f"rng.torch.rank{rank}": torch.get_rng_state().clone()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        tensors[f"rng.cuda.rank{rank}"] = torch.cuda.get_rng_state().clone()
    meta: dict[str, Any] = {}
    if rank == 0:
        name, keys, pos, has_gauss, cached = np.random.get_state()  # noqa: NPY002 - saving the legacy global state
        tensors["rng.numpy"] = torch.from_numpy(np.asarray(keys, dtype=np.int64).copy())
        meta["numpy"] = {"name": name, "pos": int(pos), "has_gauss": int(has_gauss), "cached": float(cached)}
        version, internal, gauss = random.getstate()
        tensors["rng.python"] = torch.tensor(internal, dtype=torch.int64)
        meta["python"] = {"version": version, "gauss": gauss}
    return tensors, meta


def restore_rng(tensors: Mapping[str, torch.Tensor], meta: Mapping[str, Any], rank: int = 0) -> bool:
    """Restore what :func:`capture_rng` saved for ``rank``; return False if that rank's torch state is absent."""
    key = f"rng.torch.rank{rank}"
    if key not in tensors:
        return False
    torch.set_rng_state(tensors[key])
    cuda_key = f"rng.cuda.rank{rank}"
    if cuda_key in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors[cuda_key])
    if "rng.numpy" in tensors and "numpy" in meta:
        m = meta["numpy"]
        keys = tensors["rng.numpy"].numpy().astype(np.uint32)
        np.random.set_state((m["name"], keys, m["pos"], m["has_gauss"], m["cached"]))  # noqa: NPY002
    if "rng.python" in tensors and "python" in meta:
        m = meta["python"]
        random.setstate((m["version"], tuple(int(v) for v in tensors["rng.python"].tolist()), m["gauss"]))
    return True


def write_checkpoint(
    path: str | os.PathLike[str], tensors: Mapping[str, torch.Tensor], meta: Mapping[str, Any]
) -> Path:
    """Write ``tensors`` and the JSON document ``meta`` atomically to ``path``.

    Tensors are copied to CPU (contiguous, unshared) first.
    """
    path = Path(path)
    payload = {name: t.detach().to("cpu", copy=True).contiguous() for name, t in tensors.items()}
    header = dict(meta, format=CHECKPOINT_FORMAT, format_version=CHECKPOINT_VERSION)
    with atomic_path(path) as tmp:
        save_file(payload, str(tmp), metadata={META_KEY: json.dumps(header)})
    return path


def read_checkpoint(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint written by :func:`write_checkpoint`.

    Returns
    -------
    tuple[dict[str, torch.Tensor], dict]
        The tensors (on CPU) and the JSON document.

    Raises
    ------
    TrainingError
        If the file is not a readable genoseq checkpoint (naming the file).
    """
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt", device="cpu") as fh:
            metadata = fh.metadata() or {}
            tensors = {name: fh.get_tensor(name) for name in fh.keys()}  # noqa: SIM118 - safe_open has no __iter__
    except (SafetensorError, OSError, ValueError) as exc:
        raise TrainingError(
            f"not a readable checkpoint ({exc}); delete it to start afresh", path=path
        ) from exc
    try:
        meta = json.loads(metadata[META_KEY])
    except (KeyError, json.JSONDecodeError, RecursionError) as exc:
        raise TrainingError("not a genoseq training checkpoint (no metadata)", path=path) from exc
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise TrainingError(f"not a genoseq training checkpoint (format {meta.get('format')!r})", path=path)
    if meta.get("format_version", 0) > CHECKPOINT_VERSION:
        raise TrainingError(
            f"checkpoint format version {meta['format_version']} is newer than this genoseq reads "
            f"({CHECKPOINT_VERSION})",
            path=path,
        )
    return tensors, meta
