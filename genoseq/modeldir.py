"""The model directory: ``config.json`` + ``model.safetensors``, the unit users share.

``config.json`` holds everything needed to rebuild and use the model::

    {
      "format_version": 1,
      "model": {"name": "cnn-lstm", "config": {...}},      # registry name + config fields
      "task": "binary", "classes": ["0", "1"],
      "encoding": {"type": "onehot", ...},                 # the tokenizer spec
      "input_length": 200,
      "weights": {"file": "model.safetensors", "sha256": "...", "bytes": 123456},
      "provenance": {"genoseq": "...", "torch": "...", "python": "...", "created": "..."},
      "training": {...} | null,                            # data checksum, world size, options ...
      "metrics": {...} | null,
      "extra": {...}                                       # free-form, for later stages
    }

Weights are only ever stored as safetensors, never as a pickle. Loading checks
the format version, rejects unknown keys, checks the weights file's structure
and SHA-256, and loads the tensors strictly (missing or unexpected tensors are
errors). Every refusal is a :class:`ModelFormatError` naming the file.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import platform
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from genoseq import __version__
from genoseq._atomic import atomic_path, atomic_write
from genoseq._hashing import file_sha256
from genoseq.errors import ConfigError, ModelFormatError
from genoseq.io._open import require_path
from genoseq.models import MODEL_REGISTRY, ModelConfig, build_model, config_from_dict, encoding_spec
from genoseq.models.config import TASKS

__all__ = [
    "CONFIG_FILE",
    "FORMAT_VERSION",
    "VARIANT_KIND",
    "WEIGHTS_FILE",
    "LoadedModel",
    "load_model_dir",
    "read_config",
    "save_model_dir",
]

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
#: what training and calibration add to a model directory (named here, the format's one owner)
CHECKPOINT_FILE = "checkpoint.safetensors"
LOG_CSV_FILE = "train_log.csv"
LOG_JSON_FILE = "train_log.json"
BACKGROUND_FILE = "background.safetensors"
CALIBRATION_FILE = "calibration.json"
#: the files a model directory is made of (besides a variant-risk model's annotation BED)
MODEL_FILES = (CONFIG_FILE, WEIGHTS_FILE, CHECKPOINT_FILE, LOG_CSV_FILE, LOG_JSON_FILE, BACKGROUND_FILE,
               CALIBRATION_FILE)  # fmt: skip
#: ``extra["kind"]`` of a variant-risk model's directory (it scores variants, not sequences)
VARIANT_KIND = "variant"

_TOP_KEYS = frozenset(
    {
        "format_version",
        "model",
        "task",
        "classes",
        "encoding",
        "input_length",
        "weights",
        "provenance",
        "training",
        "metrics",
        "extra",
    }
)
_REQUIRED_KEYS = ("format_version", "model", "task", "classes", "encoding", "input_length", "weights")
_MODEL_KEYS = frozenset({"name", "config"})
_WEIGHTS_KEYS = frozenset({"file", "sha256", "bytes"})
_MAX_HEADER = 100 * 1024 * 1024  # safetensors' own limit on the JSON header


@dataclass(frozen=True)
class LoadedModel:
    """A model directory read back by :func:`load_model_dir`.

    Attributes
    ----------
    model : torch.nn.Module
        The model, in eval mode, on the requested device.
    config : dict
        The parsed ``config.json``.
    model_name : str
        Registry name (``"cnn-lstm"``, ``"transformer"``).
    model_config : ModelConfig
        The architecture's frozen config.
    task : str
        ``"binary"``, ``"multiclass"`` or ``"multilabel"``.
    classes : list[str]
        Class (or label) names; a binary model has two, its output is P(``classes[1]``).
    encoding : dict
        The tokenizer spec the model consumes.
    input_length : int
        Input length in bases.
    path : Path
        The directory.
    training, metrics : dict or None
        Training provenance and metrics, as saved.
    extra : dict
        Free-form additions (calibration, annotation file, ...).
    """

    model: nn.Module
    config: dict[str, Any]
    model_name: str
    model_config: ModelConfig
    task: str
    classes: list[str]
    encoding: dict[str, Any]
    input_length: int
    path: Path
    training: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _check_classes(classes: Any, task: str, n_outputs: int) -> list[str]:
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        raise ConfigError(f"classes must be a list of strings, got {classes!r}")
    expected = 2 if task == "binary" else n_outputs
    if len(classes) != expected:
        raise ConfigError(
            f"a {task} model with n_outputs={n_outputs} needs {expected} class names, got {len(classes)}"
        )
    if len(set(classes)) != len(classes):
        raise ConfigError(f"class names must be unique, got {classes!r}")
    return classes


def save_model_dir(
    path: str | os.PathLike[str],
    model: nn.Module,
    *,
    model_name: str,
    model_config: ModelConfig,
    task: str,
    classes: list[str],
    encoding: dict[str, Any],
    input_length: int,
    training: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` as a model directory (``config.json`` + ``model.safetensors``).

    The weights are written first, then the config holding their checksum, each
    to a temporary name renamed into place; other files already in ``path``
    (plots, logs) are kept. A crash between the two renames leaves a directory
    that :func:`load_model_dir` refuses (checksum mismatch) rather than a silent mix.

    Parameters
    ----------
    path
        The directory (created if needed).
    model
        The trained module; its ``state_dict`` is saved (moved to CPU).
    model_name
        Registry name of the architecture.
    model_config
        Its config; must match ``task`` and ``input_length``.
    task
        ``"binary"``, ``"multiclass"`` or ``"multilabel"``.
    classes
        Class names: two for binary (the output is P(``classes[1]``)), else one per output.
    encoding
        Tokenizer spec (:func:`genoseq.models.encoding_spec`).
    input_length
        Input length in bases.
    training, metrics, extra
        JSON-serialisable provenance, metrics and free-form additions.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ConfigError
        If the arguments are inconsistent or not JSON-serialisable.
    """
    if model_name not in MODEL_REGISTRY:
        raise ConfigError(f"unknown model {model_name!r}; known models: {', '.join(MODEL_REGISTRY)}")
    if task not in TASKS or task != model_config.task:
        raise ConfigError(f"task {task!r} disagrees with the model config's task {model_config.task!r}")
    if input_length != model_config.input_length:
        raise ConfigError(
            f"input_length {input_length} disagrees with the model config's {model_config.input_length}"
        )
    _check_classes(list(classes), task, model_config.n_outputs)
    if not isinstance(encoding, dict) or "type" not in encoding:
        raise ConfigError(f"encoding must be a tokenizer spec dict with a 'type', got {encoding!r}")

    from safetensors.torch import save_file

    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    state = {name: t.detach().to("cpu").contiguous() for name, t in model.state_dict().items()}
    weights = directory / WEIGHTS_FILE
    with atomic_path(weights) as tmp:
        # one metadata key: safetensors writes its metadata map in no fixed order, and the
        # weights' checksum must be reproducible (genoseq's version is in config.json)
        save_file(state, str(tmp), metadata={"format": "pt"})
        checksum = file_sha256(tmp)
        size = tmp.stat().st_size
    document = {
        "format_version": FORMAT_VERSION,
        "model": {"name": model_name, "config": model_config.to_dict()},
        "task": task,
        "classes": list(classes),
        "encoding": dict(encoding),
        "input_length": int(input_length),
        "weights": {"file": WEIGHTS_FILE, "sha256": checksum, "bytes": size},
        "provenance": {
            "genoseq": __version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        },
        "training": training,
        "metrics": metrics,
        "extra": dict(extra or {}),
    }
    try:
        text = json.dumps(document, indent=2, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"model directory metadata is not JSON-serialisable: {exc}") from exc
    with atomic_write(directory / CONFIG_FILE, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    log.info("wrote model directory %s (%s, %d bytes of weights)", directory, model_name, size)
    return directory


def read_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a model directory's ``config.json`` (without touching the weights).

    Returns
    -------
    dict
        The parsed document.

    Raises
    ------
    ModelFormatError
        Missing file, invalid JSON, newer ``format_version``, unknown or missing
        keys, unknown model name or invalid model config; names ``config.json``.
    """
    cfg_path = Path(path) / CONFIG_FILE
    if not Path(path).exists():
        raise ModelFormatError("no such model directory", path=path)
    if not os.path.lexists(cfg_path):  # (a link to a device or FIFO: read_json_file says so)
        raise ModelFormatError("missing model config (is this a genoseq model directory?)", path=cfg_path)
    document = read_json_file(cfg_path, "model config")
    if not isinstance(document, dict):
        raise ModelFormatError("expected a JSON object", path=cfg_path)
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFormatError(f"invalid format_version {version!r}", path=cfg_path)
    if version > FORMAT_VERSION:
        raise ModelFormatError(
            f"format_version {version} is newer than this genoseq {__version__} reads "
            f"({FORMAT_VERSION}); upgrade genoseq",
            path=cfg_path,
        )
    _no_unknown(document, _TOP_KEYS, "", cfg_path)
    for key in _REQUIRED_KEYS:
        if key not in document:
            raise ModelFormatError(f"missing key {key!r}", path=cfg_path)
    for key, allowed in (("model", _MODEL_KEYS), ("weights", _WEIGHTS_KEYS)):
        if not isinstance(document[key], dict):
            raise ModelFormatError(f"{key!r} must be an object", path=cfg_path)
        _no_unknown(document[key], allowed, f"{key}.", cfg_path)
    try:
        model_config = config_from_dict(document["model"].get("name"), document["model"].get("config", {}))
        if document["task"] != model_config.task:
            raise ConfigError(f"task {document['task']!r} disagrees with the model config")
        if document["input_length"] != model_config.input_length:
            raise ConfigError(f"input_length {document['input_length']!r} disagrees with the model config")
        _check_classes(document["classes"], model_config.task, model_config.n_outputs)
        if not isinstance(document["encoding"], dict) or "type" not in document["encoding"]:
            raise ModelFormatError("'encoding' must be a tokenizer spec object with a 'type'", path=cfg_path)
        _check_encoding(document, model_config, cfg_path)  # its tokenizer checks raise ConfigError (k=13)
        _check_token_sizes(document, model_config)
    except ConfigError as exc:
        raise ModelFormatError(exc.problem, path=cfg_path) from exc
    for key in ("provenance", "training", "metrics", "extra"):
        if document.get(key) is not None and not isinstance(document[key], dict):
            raise ModelFormatError(f"{key!r} must be an object or null", path=cfg_path)
    sha = document["weights"].get("sha256")
    if not isinstance(sha, str) or len(sha) != 64:
        raise ModelFormatError(f"invalid weights.sha256 {sha!r}", path=cfg_path)
    if document["weights"].get("file", WEIGHTS_FILE) != WEIGHTS_FILE:
        raise ModelFormatError(f"weights.file must be {WEIGHTS_FILE!r}", path=cfg_path)
    return document


def _no_unknown(d: dict[str, Any], allowed: frozenset[str], prefix: str, path: Path) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise ModelFormatError(
            f"unknown key {prefix}{unknown[0]!r}; known keys: {', '.join(sorted(allowed))}", path=path
        )


#: the largest JSON file of a model directory read (config.json, calibration.json): ours are a few
#: kB; a larger one is damaged or hostile, and would be read whole into memory
MAX_JSON_BYTES = 64 * 2**20


def read_json_file(path: Path, what: str) -> Any:
    """Parse the JSON file ``path`` of a model directory (``what`` names it in errors).

    Raises
    ------
    ModelFormatError
        Not a regular file (a link to a device or FIFO would be read forever), over
        :data:`MAX_JSON_BYTES`, not UTF-8 or not valid JSON (an integer of more than 4,300 digits
        included).
    """
    if not path.exists():  # (a dangling link)
        raise ModelFormatError(f"missing {what}", path=path)
    if path.is_dir():
        raise ModelFormatError(f"{what} is a directory", path=path)
    if not path.is_file():
        raise ModelFormatError(f"{what} must be a regular file, not a device or pipe", path=path)
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise ModelFormatError(f"{what} of {size} bytes is not one genoseq wrote (damaged?)", path=path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise ModelFormatError(f"not valid JSON: {exc}", path=path) from exc


def _read_safetensors(path: Path, sha256: str, size: Any = None) -> dict[str, torch.Tensor]:
    """Check the structure, size (``size`` bytes, if recorded) and checksum of a safetensors file,
    then load it on CPU."""
    if not path.is_file():
        raise ModelFormatError("missing weights file", path=path)
    on_disk = path.stat().st_size
    recorded = size if isinstance(size, int) and not isinstance(size, bool) else None
    if recorded is not None and on_disk > max(2 * recorded, recorded + 2**20):
        # before the file is read: a huge (or sparse) file in its place is refused at once (one of
        # about the recorded size is read, and told apart: a pickle, another model, truncated ...)
        raise ModelFormatError(
            f"{on_disk} bytes, but config.json records weights.bytes {size!r} (edited by hand?)", path=path
        )
    data = path.read_bytes()
    # safetensors: u64 little-endian header length, then a JSON header starting with "{"
    looks_safetensors = len(data) > 8 and data[8:9] == b"{"
    if not looks_safetensors:
        if data[:4] == b"PK\x03\x04" or (
            data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")
        ):
            raise ModelFormatError(
                "this is a pickle / torch.save archive, not safetensors; genoseq never loads pickles",
                path=path,
            )
        if len(data) <= 8:
            raise ModelFormatError(f"truncated: {len(data)} bytes", path=path)
        raise ModelFormatError("not a safetensors file (no JSON header)", path=path)
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > _MAX_HEADER:
        raise ModelFormatError("not a safetensors file (implausible header length)", path=path)
    if 8 + header_len > len(data):
        raise ModelFormatError(
            f"truncated: header needs {8 + header_len} bytes, file has {len(data)}", path=path
        )
    try:
        header = json.loads(data[8 : 8 + header_len])
        end = max((int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"), default=0)
    except (UnicodeDecodeError, ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
        raise ModelFormatError(f"not a safetensors file (bad header: {exc})", path=path) from exc
    if 8 + header_len + end > len(data):
        raise ModelFormatError(
            f"truncated: tensors need {8 + header_len + end} bytes, file has {len(data)}", path=path
        )
    actual = hashlib.sha256(data).hexdigest()
    if actual != str(sha256).lower():
        raise ModelFormatError(
            f"checksum mismatch: sha256 {actual} but config.json records {sha256} "
            "(file modified or from another model)",
            path=path,
        )
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size != len(data)):
        raise ModelFormatError(
            f"{len(data)} bytes, but config.json records weights.bytes {size!r} (edited by hand?)",
            path=path,
        )
    from safetensors import SafetensorError
    from safetensors.torch import load as load_safetensors

    try:
        return load_safetensors(data)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise ModelFormatError(f"cannot read safetensors: {exc}", path=path) from exc


def _check_token_sizes(document: dict[str, Any], model_config: Any) -> None:
    """Refuse a transformer whose ``vocab_size``/``max_tokens`` are not what its ``k``, ``stride`` and
    input length give (a hand edit of ``k`` in both places): it would load, then fail inside torch
    at the first batch (a token id past the embedding, more tokens than positions).

    Raises
    ------
    ConfigError
        Naming the field, what it holds and what the tokenizer gives.
    """
    if document["model"]["name"] != "transformer" or document["encoding"].get("type") != "kmer":
        return
    from genoseq.tokenize import KmerTokenizer

    k, stride, length = model_config.k, model_config.stride, model_config.input_length
    tokenizer = KmerTokenizer(k, stride)
    vocab, tokens = tokenizer.vocab_size, tokenizer.n_tokens(length)
    variant = isinstance(document.get("extra"), dict) and document["extra"].get("kind") == VARIANT_KIND
    # a sequence model reads [CLS] k-mers [SEP]; a variant model [CLS] ref [SEP] alt [SEP]. Larger
    # sizes work (default_config takes them when given) -- fewer ids or positions fail in torch
    needed = {"vocab_size": vocab, "max_tokens": 2 * tokens + 3 if variant else tokens + 2}
    for key, value in needed.items():
        if getattr(model_config, key) < value:
            raise ConfigError(
                f"model.config {key} is {getattr(model_config, key)}, but k={k}, stride={stride} and"
                f" input_length {length} need {value} (edited by hand?)"
            )


def _check_encoding(document: dict[str, Any], model_config: Any, path: Path) -> None:
    """Refuse a tokenizer spec that disagrees with the architecture (a hand edit): the model would
    load, then score other tokens than it was trained on, or fail inside torch at the first batch."""
    name = document["model"]["name"]
    expected = encoding_spec(name, model_config)
    given = document["encoding"]
    # a variant-risk model records only its type; every field given must be the architecture's
    if given.get("type") != expected.get("type") or any(
        key in expected and key != "version" and value != expected[key] for key, value in given.items()
    ):
        raise ModelFormatError(
            f"encoding {json.dumps(given, sort_keys=True)} does not match the {name} "
            f"architecture in model.config, which reads {json.dumps(expected, sort_keys=True)}",
            path=path,
        )


def _check_weights(
    state: dict[str, torch.Tensor], expected: dict[str, torch.Tensor], name: str, path: Path
) -> None:
    """Refuse weights whose tensor names, shapes or kinds are not those of ``expected`` (the
    architecture's state dict, on the meta device), naming a few."""
    shapes = {k: tuple(v.shape) for k, v in expected.items()}
    missing = sorted(set(shapes) - set(state))
    unexpected = sorted(set(state) - set(shapes))
    wrong = sorted(k for k in set(shapes) & set(state) if tuple(state[k].shape) != shapes[k])
    problems = []
    for label, keys in (("missing", missing), ("unexpected", unexpected)):
        if keys:
            more = f" and {len(keys) - 3} more" if len(keys) > 3 else ""
            problems.append(f"{label} tensor(s) {', '.join(repr(k[:80]) for k in keys[:3])}{more}")
    for key in wrong[:3]:
        problems.append(f"{key!r} is {list(state[key].shape)}, the architecture's {list(shapes[key])}")
    if problems:
        raise ModelFormatError(
            f"weights do not fit the {name} architecture in config.json: {'; '.join(problems)}", path=path
        )
    # a float parameter stored as integers would be cast silently by load_state_dict
    cast = next((k for k, v in expected.items() if v.is_floating_point() and not state[k].is_floating_point()), None)
    if cast is not None:
        raise ModelFormatError(f"tensor {cast!r} is stored as {state[cast].dtype}, not as floating point", path=path)


def load_model_dir(path: str | os.PathLike[str], device: str | torch.device = "cpu") -> LoadedModel:
    """Load a model directory written by :func:`save_model_dir`.

    Parameters
    ----------
    path
        The directory.
    device
        Where to put the model.

    Returns
    -------
    LoadedModel
        The model in eval mode, with its metadata.

    Raises
    ------
    ModelFormatError
        Naming the file: missing ``config.json`` or ``model.safetensors``; a
        pickle or ``torch.save`` archive in place of safetensors; a truncated
        file; a checksum mismatch; unknown or missing keys; a newer format
        version; tensors that do not fit the architecture, or hold NaN/infinity.
    """
    directory = Path(require_path(path, "a model directory"))
    document = read_config(directory)
    weights_path = directory / WEIGHTS_FILE
    state = _read_safetensors(weights_path, document["weights"]["sha256"], document["weights"].get("bytes"))
    bad = next(
        (key for key, t in state.items() if t.is_floating_point() and not bool(torch.isfinite(t).all())), None
    )
    if bad is not None:  # a diverged run saves none; NaN weights would only predict NaN
        raise ModelFormatError(f"tensor {bad!r} holds NaN or infinite values", path=weights_path)
    name = document["model"]["name"]
    model_config = config_from_dict(name, document["model"]["config"])
    # the tensors' names and shapes are checked against the architecture built on the meta device
    # (no memory) before it is built for real: a config asking for a huge model next to small
    # weights is refused at once, not after allocating it
    with torch.device("meta"):
        expected = build_model(name, model_config).state_dict()
    _check_weights(state, expected, name, weights_path)
    model = build_model(name, model_config)
    model.load_state_dict(state, strict=True)  # names, shapes and kinds checked above
    model.to(device).eval()
    return LoadedModel(
        model=model,
        config=document,
        model_name=name,
        model_config=model_config,
        task=document["task"],
        classes=list(document["classes"]),
        encoding=dict(document["encoding"]),
        input_length=int(document["input_length"]),
        path=directory,
        training=document.get("training"),
        metrics=document.get("metrics"),
        extra=dict(document.get("extra") or {}),
    )


def background_file(model_dir: Path, meta: dict[str, Any], meta_path: Path) -> Path:
    """The calibration background ``calibration.json`` (``meta``, read from ``meta_path``) names.

    Raises
    ------
    ModelFormatError
        It names a file outside ``model_dir``, a missing file, or one that is not a regular file
        (a link to a device or a FIFO would be read forever).
    """
    path = model_dir / str(meta.get("file", BACKGROUND_FILE))
    if path.parent != model_dir:
        raise ModelFormatError("background file must be inside the model directory", path=meta_path)
    if not path.exists():
        raise ModelFormatError("missing background file named by calibration.json", path=path)
    if not path.is_file():
        raise ModelFormatError("background file must be a regular file, not a device or pipe", path=path)
    return path


def background_weights(path: Path) -> str | None:
    """The weights' SHA-256 a calibration background's metadata says it was scored with (its header
    only is read), or ``None`` where it records none.

    Raises
    ------
    ModelFormatError
        Not a safetensors file.
    """
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as f:
            value = (f.metadata() or {}).get("model_sha256")
    except Exception as exc:  # safetensors raises its own error types
        raise ModelFormatError(f"not a safetensors file ({exc})", path=path) from exc
    return value if isinstance(value, str) and value else None


def _variant_features(extra: dict[str, Any]) -> str:
    """What a variant-risk model computes for each variant: ref/alt windows, then the annotation's
    channels and consequences (with the genetic code) and the INFO fields, where it was trained so."""
    featurizer = extra.get("featurizer") if isinstance(extra.get("featurizer"), dict) else {}
    parts = ["ref/alt windows"]
    if featurizer.get("annotation"):
        code = extra.get("genetic_code")
        parts.append(
            f"annotation {extra.get('annotation_file', '?')} (locus channels, consequences;"
            f" genetic code {code if code is not None else 'by contig'})"
        )
    info = featurizer.get("info") if isinstance(featurizer.get("info"), dict) else {}
    fields = info.get("fields") if isinstance(info.get("fields"), list) else []
    if fields:
        parts.append("INFO " + ", ".join(map(str, fields)))
    label = extra.get("label_field")
    return "; ".join(parts) + (f" (labels: INFO/{label})" if label else "")


def describe_model_dir(path: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """A model directory summed up, for ``genoseq info MODEL``: (field, value) pairs.

    Reads ``config.json`` (validated as :func:`read_config` does; the weights are not loaded) and,
    where there is one, ``calibration.json``.

    Returns
    -------
    list[tuple[str, str]]
        ``model``, ``kind`` (``sequence`` or ``variant-risk``), ``architecture``, ``task``,
        ``classes``, ``input_length``, ``encoding``, ``strand``, ``features``, ``weights_sha256``,
        ``trained`` (genoseq version, device, processes, epochs), ``validation`` (metrics) and
        ``calibration``, in that order; a value is ``-`` where the directory records none.

    Raises
    ------
    ModelFormatError
        As :func:`read_config`.
    """
    directory = Path(path)
    doc = read_config(directory)
    extra = doc.get("extra") or {}
    training = doc.get("training") or {}
    metrics = doc.get("metrics") or {}
    trained = "-"
    if training:
        parts = [
            f"genoseq {training.get('genoseq', '?')}",
            f"{training.get('device', '?')}",
            f"{training.get('world_size', 1)} process(es)",
        ]
        if "epochs_run" in training:
            parts.append(f"best epoch {training.get('best_epoch')} of {training.get('epochs_run')}")
        trained = ", ".join(parts)
    figures = [
        f"{key} {metrics[key]:.4f}"
        for key in ("auroc", "auprc", "accuracy", "mcc", "f1")
        if isinstance(metrics.get(key), (int, float)) and not isinstance(metrics.get(key), bool)
    ]
    if figures and isinstance(metrics.get("n"), int):
        figures.append(f"n {metrics['n']}")
    calibration = "-"
    meta_path = directory / CALIBRATION_FILE
    if meta_path.is_file():
        try:
            meta = read_json_file(meta_path, "calibration.json")
        except ModelFormatError:
            meta = None
        if isinstance(meta, dict):
            calibration = (
                f"{meta.get('n', '?')} background SNVs of {meta.get('reference', '?')} "
                f"(strand {meta.get('strand', '?')})"
            )
            try:
                scored_with = background_weights(background_file(directory, meta, meta_path))
            except ModelFormatError as exc:
                scored_with = None
                calibration += f", unusable: {exc}"
            if scored_with is not None and scored_with != doc["weights"]["sha256"]:
                calibration += (
                    f", scored with other weights (sha256 {scored_with[:12]}...): stale,"
                    " run genoseq calibrate again"
                )
        else:
            calibration = f"{CALIBRATION_FILE} unreadable"
    elif extra.get("kind") == VARIANT_KIND and extra.get("platt") is not None:
        platt = extra["platt"]
        if (
            isinstance(platt, list)
            and len(platt) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in platt)
        ):
            a, b = platt
            sign = "-" if b < 0 else "+"
            calibration = f"Platt scaling on the validation variants: risk = sigmoid({a:.4g} * logit {sign} {abs(b):.4g})"
        else:
            calibration = f"extra.platt unreadable ({json.dumps(platt)[:40]})"
    names = extra.get("feature_names")
    n_features = int(doc["model"].get("config", {}).get("n_features", 0) or 0)
    if extra.get("kind") == VARIANT_KIND:
        features = _variant_features(extra)
    elif isinstance(names, list) and names:
        features = ", ".join(f"feature_{n}" for n in names)
    else:
        features = f"{n_features} (names not recorded)" if n_features else "none"
    return [
        ("model", str(directory)),
        ("kind", "variant-risk" if extra.get("kind") == VARIANT_KIND else "sequence"),
        ("architecture", str(doc["model"]["name"])),
        ("task", str(doc["task"])),
        ("classes", ", ".join(doc["classes"])),
        ("input_length", str(doc["input_length"])),
        ("encoding", json.dumps(doc["encoding"])),
        ("strand", str(extra.get("strand", "both")) if extra.get("kind") != VARIANT_KIND else "forward"),
        ("features", features),
        ("weights_sha256", str(doc["weights"]["sha256"])),
        ("trained", trained),
        ("validation", ", ".join(figures) if figures else "-"),
        ("calibration", calibration),
    ]
