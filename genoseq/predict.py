"""Prediction with a trained model directory: batching, strand averaging, sliding windows.

:class:`Predictor` wraps a model loaded safely from its directory
(:func:`genoseq.modeldir.load_model_dir`) and turns sequences into class
probabilities, float32 ``(n, n_outputs)``:

* **activation** -- sigmoid for ``binary`` (one column, P(``classes[1]``)) and
  ``multilabel``; softmax for ``multiclass``.
* **strands** -- by default each sequence is scored on the forward strand and on
  its reverse complement and the two *probabilities* are averaged (logits, for
  :meth:`Predictor.predict_logits`): ``strand="both"``. ``strand="forward"``
  scores the given strand only. ``strand=None`` (every method's default) means
  the model's own default, :attr:`Predictor.default_strand`: ``"both"`` unless
  the model directory records ``extra["strand"] == "forward"`` -- a model that
  ``genoseq train`` found strand-specific on its validation set (e.g. core
  promoters; see :mod:`genoseq.train.strand`). For one-hot models the reverse complement is
  taken on the encoded tensor (flip the length and channel axes: A,C,G,T ->
  T,G,C,A); for k-mer models the bytes are reverse-complemented and re-encoded.
* **lengths** -- a sequence shorter than the model's input is padded centrally
  with ``N`` (see :func:`genoseq.data.encoding.pad_center`). A longer one is
  cut into windows of the input length starting at ``0, s, 2s, ...`` with
  stride ``s = input_length // 2``, plus one window ending at the sequence's
  last base if the stride does not land there; the record's prediction is the
  **mean** of its windows' probabilities (logits for ``predict_logits``).

:func:`predict_file` runs a predictor over a FASTA/FASTQ file or a table and
writes one row per record (``name``, ``length``, ``p_<class>`` ...).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from genoseq._cuda import bf16_native, exact_fp32
from genoseq.data.encoding import encode_for_model, make_encoder, pad_center, to_torch
from genoseq.data.tables import DNA_BYTE, DNA_LETTERS, FEATURE_PREFIX
from genoseq.data.writers import TableWriter, output_table_format, write_table
from genoseq.errors import ConfigError, InputFormatError, ModelFormatError
from genoseq.modeldir import VARIANT_KIND, LoadedModel, load_model_dir
from genoseq.tokenize._spec import require_int

__all__ = [
    "Predictor",
    "check_letters",
    "evaluate_table",
    "output_columns",
    "output_format",
    "predict_file",
    "iter_sequence_records",
    "read_sequence_records",
    "resolve_device",
    "window_starts",
    "write_table",
]

log = logging.getLogger(__name__)

_STRANDS = ("both", "forward")
_PRECISIONS = ("fp32", "bf16", "fp16", "auto")
_TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": "\t"}
_PARQUET_SUFFIXES = (".parquet", ".pq")
_FASTX_SUFFIXES = (".fa", ".fasta", ".fna", ".fas", ".fq", ".fastq")


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """``None`` or ``"auto"`` -> CUDA if available, else CPU; ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` as given.

    Raises
    ------
    ConfigError
        An unknown device name, or a CUDA device on a machine without it (or without GPU ``N``).
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        target = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ConfigError(f"device must be auto, cpu, cuda or cuda:N, got {device!r}") from exc
    if target.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"device {device!s}, but no CUDA GPU is available (use auto or cpu)")
        if target.index is not None and target.index >= torch.cuda.device_count():
            raise ConfigError(
                f"device {device!s}, but this machine has {torch.cuda.device_count()} CUDA GPU(s)"
            )
    elif target.type != "cpu":
        raise ConfigError(f"device must be auto, cpu, cuda or cuda:N, got {device!r}")
    return target


def window_starts(length: int, window: int) -> np.ndarray:
    """Start positions of the sliding windows covering a sequence of ``length`` bases.

    Windows of ``window`` bases start at ``0, s, 2s, ...`` (``s = max(window // 2, 1)``)
    while they fit, plus ``length - window`` if the last one does not end at the
    sequence's end. A sequence no longer than ``window`` has the single start 0.

    Returns
    -------
    numpy.ndarray
        int64 ``(n_windows,)``, increasing.
    """
    if length <= window:
        return np.zeros(1, dtype=np.int64)
    stride = max(window // 2, 1)
    starts = np.arange(0, length - window + 1, stride, dtype=np.int64)
    if starts[-1] != length - window:
        starts = np.append(starts, length - window)
    return starts


def _as_bytes(seq: str | bytes) -> bytes:
    if isinstance(seq, bytes):
        return seq
    if not isinstance(seq, str):
        raise InputFormatError(f"expected a sequence string, got {type(seq).__name__}")
    return seq.encode("ascii", "replace")


def check_letters(
    seqs: Sequence[str | bytes],
    *,
    path: str | os.PathLike[str] | None = None,
    names: Sequence[str] | None = None,
) -> None:
    """Refuse sequences holding anything but DNA letters (A/C/G/T, N, IUPAC codes; either case).

    One vectorised pass over all the bytes. Training refuses the same letters, so a
    typo, an RNA ``U``, a protein sequence or an alignment gap is an error here too,
    never silently scored as ``N``.

    Raises
    ------
    InputFormatError
        Naming the file (``path``), the record (``names[i]``, else ``sequence i``, 0-based),
        the letter and its 1-based position.
    """
    data = [_as_bytes(seq) for seq in seqs]
    if not data:
        return
    joined = np.frombuffer(b"".join(data), dtype=np.uint8)
    bad = np.flatnonzero(~DNA_BYTE[joined])
    if bad.size == 0:
        return
    ends = np.cumsum([len(d) for d in data])
    i = int(np.searchsorted(ends, bad[0], side="right"))
    pos = int(bad[0]) - (int(ends[i - 1]) if i else 0)
    seq = seqs[i]
    letter = seq[pos : pos + 1] if isinstance(seq, str) else seq[pos : pos + 1].decode("latin-1")
    raise InputFormatError(
        f"{letter!r} at position {pos + 1} is not a DNA letter (allowed: {DNA_LETTERS}, either case)",
        path=path,
        record=names[i] if names is not None else f"sequence {i}",
    )


def _check_array_letters(arr: np.ndarray) -> None:
    """:func:`check_letters` for a uint8 ``(n, L)`` array of ASCII codes (one table lookup)."""
    arr = np.asarray(arr)
    if arr.dtype != np.uint8 or arr.ndim != 2:
        return  # the caller refuses other arrays with its own message
    bad = np.argwhere(~DNA_BYTE[arr])
    if bad.size:
        i, pos = (int(v) for v in bad[0])
        raise InputFormatError(
            f"{chr(arr[i, pos])!r} at position {pos + 1} is not a DNA letter (allowed: {DNA_LETTERS}, "
            "either case)",
            record=f"sequence {i}",
        )


def require_no_features(predictor: Any, what: str) -> None:
    """:meth:`Predictor.require_no_features` for any predictor-like object (one without
    ``n_features`` takes none): the check of the commands that score windows they build themselves."""
    if getattr(predictor, "n_features", 0):
        predictor.require_no_features(what)


def _refuse_empty_rows(arr: np.ndarray) -> None:
    """InputFormatError for a ``(n, 0)`` array of n > 0 rows: sequences with no bases to score."""
    if arr.ndim == 2 and arr.shape[1] == 0 and arr.shape[0]:
        raise InputFormatError("empty sequence (an array of 0 columns)", record="sequence 0")


def _as_sequences(seqs: Sequence[str] | str | np.ndarray) -> Sequence[str | bytes]:
    """A single sequence, a numpy array of strings (``<U``, object, ``S``) or a sequence of them, as a list."""
    if isinstance(seqs, str | bytes):
        seqs = [seqs]
    elif isinstance(seqs, np.ndarray):
        if seqs.ndim == 0:
            seqs = seqs.reshape(1)
        if seqs.ndim == 2 and seqs.dtype == np.uint8:
            return [row.tobytes() for row in seqs]
        if seqs.ndim != 1 or seqs.dtype.kind not in "UOS":
            raise InputFormatError(
                f"expected sequences (str) or a uint8 (n, L) array of ASCII codes, got a {seqs.dtype} "
                f"array of shape {seqs.shape}"
            )
        seqs = seqs.tolist()
    elif hasattr(seqs, "columns") and hasattr(seqs, "shape"):  # a pandas/polars DataFrame
        # iterating one gives its column names, which would be scored as sequences
        raise InputFormatError(
            f"expected sequences, got a {type(seqs).__name__}: pass its sequence column (e.g. df['sequence'])"
        )
    try:
        out = list(seqs)
    except TypeError:
        raise InputFormatError(
            f"expected a DNA string or an iterable of them, got {type(seqs).__name__}"
        ) from None
    for i, seq in enumerate(out):
        if not isinstance(seq, str | bytes):
            raise InputFormatError(f"expected a DNA string, got {type(seq).__name__}", record=f"sequence {i}")
        if not seq:  # as the CLI and training refuse it: nothing to score but padding
            raise InputFormatError("empty sequence", record=f"sequence {i}")
    return out


def _recorded_feature_names(
    config: dict[str, Any] | None, n_features: int, model_dir: Path | None
) -> list[str] | None:
    """``extra["feature_names"]`` checked against the model's ``n_features`` (ConfigError if they disagree)."""
    names = ((config or {}).get("extra") or {}).get("feature_names")
    if names is None:
        return None
    where = None if model_dir is None else Path(model_dir) / "config.json"
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ConfigError(f"extra.feature_names must be a list of names, got {names!r}", path=where)
    if len(names) != n_features or len(set(names)) != len(names):
        raise ConfigError(
            f"extra.feature_names {names} must name the model's {n_features} feature(s) once each", path=where
        )
    return list(names)


def _float_features(features: Any, names: list[str] | None) -> np.ndarray:
    """``features`` (array, nested lists, a DataFrame) as float32; InputFormatError for text."""
    try:
        values = features.to_numpy() if hasattr(features, "to_numpy") else features
        return np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        where = "" if names is None else f" (columns {', '.join(names)})"
        raise InputFormatError(f"features must be numbers{where}: {exc}") from None


class Predictor:
    """Score sequences with a trained model.

    Build it with :meth:`load` (from a model directory) or directly from a
    module and its metadata (e.g. right after training).

    Parameters
    ----------
    model
        A genoseq model (logits out).
    encoding
        The tokenizer spec the model consumes.
    input_length
        Input length in bases.
    task
        ``"binary"``, ``"multiclass"`` or ``"multilabel"``.
    classes
        Class names (two for binary).
    device
        ``None``/``"auto"``: CUDA if available, else CPU.
    config
        The parsed ``config.json`` (when loaded from a directory).
    model_dir
        The directory it came from, if any.
    precision
        ``"fp32"`` (default): every device computes in float32 (on CUDA also with cuDNN's TF32
        convolutions and LSTMs turned off), so a variant's reference and alternative windows differ
        only by the change (bf16 and TF32 keep about 3 significant digits, which would drown the
        small effects ``score_variants`` reports). ``"bf16"``, ``"fp16"`` or ``"auto"`` (bf16 on
        GPUs that compute it in hardware, Ampere and later, else fp16) run the model under autocast on CUDA,
        faster on large jobs; on CPU they compute in float32 anyway.

    Attributes
    ----------
    model, tokenizer, input_length, classes, task, config, model_dir, device, precision
        As above; ``tokenizer`` is the encoder object built from ``encoding``.
    n_outputs : int
        Columns of the predictions (1 for binary).
    n_features : int
        Extra numeric features the model takes per sequence (0 = none).
    feature_names : list[str] or None
        Their names (table columns ``feature_<name>``), as recorded at training.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        encoding: dict[str, Any],
        input_length: int,
        task: str,
        classes: Sequence[str],
        device: str | torch.device | None = None,
        config: dict[str, Any] | None = None,
        model_dir: Path | None = None,
        precision: str = "fp32",
    ) -> None:
        if precision not in _PRECISIONS:
            raise ConfigError(f"precision must be one of {', '.join(_PRECISIONS)}, got {precision!r}")
        self.precision = precision
        self.device = resolve_device(device)
        self.model = model.to(self.device).eval()
        self.encoding = dict(encoding)
        self.tokenizer = make_encoder(self.encoding)
        self.input_length = int(input_length)
        self.task = task
        self.classes = list(classes)
        self.config = config
        self.model_dir = model_dir
        self.n_outputs = 1 if task == "binary" else len(self.classes)
        self.n_features = int(getattr(getattr(model, "config", None), "n_features", 0))
        #: the names of the model's extra features, in the order it takes them (table columns
        #: ``feature_<name>``), from ``extra["feature_names"]``; ``None`` for a model without features
        #: or one trained before genoseq recorded them (such a model's columns are taken by position)
        self.feature_names: list[str] | None = _recorded_feature_names(config, self.n_features, model_dir)
        recorded = ((config or {}).get("extra") or {}).get("strand", "both")
        if recorded not in _STRANDS:
            raise ConfigError(
                f"extra.strand must be one of {', '.join(_STRANDS)}, got {recorded!r}",
                path=None if model_dir is None else Path(model_dir) / "config.json",
            )
        if ((config or {}).get("extra") or {}).get("kind") == VARIANT_KIND:
            recorded = "forward"  # a variant-risk model scores the reference strand (stranded annotation)
        #: the strand policy used when a method gets ``strand=None``: ``"both"`` unless the model
        #: directory records ``extra["strand"] == "forward"`` (a strand-specific model); ``"forward"``
        #: for a variant-risk model, which scores the reference strand only
        self.default_strand: str = recorded

    def resolve_strand(self, strand: str | None) -> str:
        """``strand``, or :attr:`default_strand` when it is ``None``; ConfigError on anything else."""
        if strand is None:
            return self.default_strand
        if strand not in _STRANDS:
            raise ConfigError(f"strand must be one of {', '.join(_STRANDS)}, got {strand!r}")
        return strand

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        device: str | torch.device | None = None,
        *,
        precision: str = "fp32",
    ) -> Predictor:
        """Load a model directory (checked by :func:`genoseq.modeldir.load_model_dir`).

        Parameters
        ----------
        path
            The model directory.
        device
            ``None``/``"auto"``: CUDA if available, else CPU.
        precision
            ``"fp32"`` (default), ``"bf16"``, ``"fp16"`` or ``"auto"``: see :class:`Predictor`.

        Raises
        ------
        ModelFormatError
            If the directory is not a valid genoseq model (names the file).
        """
        target = resolve_device(device)
        loaded: LoadedModel = load_model_dir(path, device=target)
        try:
            make_encoder(loaded.encoding)  # a hand-edited tokenizer spec: named as the model's file
        except ConfigError as exc:
            raise ModelFormatError(f"encoding: {exc.problem}", path=loaded.path / "config.json") from None
        return cls(
            loaded.model,
            encoding=loaded.encoding,
            input_length=loaded.input_length,
            task=loaded.task,
            classes=loaded.classes,
            device=target,
            config=loaded.config,
            model_dir=loaded.path,
            precision=precision,
        )

    @property
    def weights_sha256(self) -> str | None:
        """SHA-256 of ``model.safetensors`` as recorded in ``config.json`` (None if not loaded from a directory)."""
        return None if self.config is None else self.config["weights"]["sha256"]

    @property
    def output_names(self) -> list[str]:
        """Names of the output columns: ``[classes[1]]`` for binary, else ``classes``."""
        return self.classes[1:] if self.task == "binary" else list(self.classes)

    @property
    def default_batch_size(self) -> int:
        """Windows per forward pass when ``batch_size`` is not given: about 512 kb of sequence.

        The largest power of two with ``batch * input_length <= 2**19``, between 16 and 1024
        (1000-bp windows: 512; 200-bp: 1024). Small models are dominated by per-call overhead
        (e.g. the LSTM's time steps), which larger batches amortise; long windows keep memory bounded.
        """
        per_batch = max(2**19 // max(self.input_length, 1), 1)
        return int(min(max(1 << (per_batch.bit_length() - 1), 16), 1024))

    # ------------------------------------------------------------ fast array path
    def predict_array(
        self,
        arr: np.ndarray,
        *,
        strand: str | None = None,
        batch_size: int | None = None,
        features: np.ndarray | None = None,
    ) -> np.ndarray:
        """Probabilities for ASCII-coded windows, the fast path (no string conversion).

        Parameters
        ----------
        arr
            uint8 ``(n, L)`` ASCII codes with ``L <= input_length`` (shorter rows
            are padded centrally with ``N``).
        strand
            ``"both"`` (average forward and reverse-complement probabilities), ``"forward"``, or
            ``None``: the model's :attr:`default_strand` (``"both"`` unless trained strand-specific).
        batch_size
            Sequences per forward pass (default: :attr:`default_batch_size`).
        features
            float32 ``(n, n_features)`` extra features, for models that take them.

        Returns
        -------
        numpy.ndarray
            float32 ``(n, n_outputs)``.

        Raises
        ------
        InputFormatError
            A byte that is not a DNA/IUPAC letter (either case), or an array of another type/shape.
        """
        self.require_sequence_model()
        _check_array_letters(arr)
        _refuse_empty_rows(arr)
        return self._run(arr, strand, batch_size, features, probabilities=True)

    def predict_logits_array(
        self,
        arr: np.ndarray,
        *,
        strand: str | None = None,
        batch_size: int | None = None,
        features: np.ndarray | None = None,
    ) -> np.ndarray:
        """Like :meth:`predict_array` but returns logits (averaged over strands), float32 ``(n, n_outputs)``."""
        self.require_sequence_model()
        _check_array_letters(arr)
        _refuse_empty_rows(arr)
        return self._run(arr, strand, batch_size, features, probabilities=False)

    @property
    def supports_point_edits(self) -> bool:
        """Whether :meth:`predict_point_edits` has a fast path for this model.

        True for one-hot models whose module has ``point_edit_logits`` (the CNN-LSTM) and takes no
        extra features; other models are still scored, by running every edited window in full.
        """
        return (
            self.encoding.get("type") == "onehot"
            and self.n_features == 0
            and callable(getattr(self.model, "point_edit_logits", None))
        )

    def predict_point_edits(
        self,
        windows: np.ndarray,
        index: int,
        new_bases: np.ndarray,
        *,
        strand: str | None = None,
        batch_size: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities of windows and of the same windows with one base changed (SNVs, ISM).

        Row ``i`` of the edited windows is ``windows[i]`` with position ``index`` set to
        ``new_bases[i]``. For models with :attr:`supports_point_edits` the edited windows reuse the
        original windows' convolution (see ``CNNLSTM.point_edit_logits``); the results equal
        :meth:`predict_array` on both sets of windows (bit for bit at equal batch sizes; other
        batch sizes move the last bit, as they do for :meth:`predict_array` itself).

        Parameters
        ----------
        windows
            uint8 ``(n, input_length)`` ASCII codes.
        index
            The edited column, ``0 <= index < input_length``.
        new_bases
            uint8 ``(n,)`` ASCII codes of the replacement bases.
        strand
            ``"both"`` (average forward and reverse-complement probabilities), ``"forward"``, or
            ``None``: the model's :attr:`default_strand` (``"both"`` unless trained strand-specific).
        batch_size
            Windows per forward pass (default: :attr:`default_batch_size`); each pass also runs
            the recurrent layers on as many edited windows.

        Returns
        -------
        (original, edited)
            float32 ``(n, n_outputs)`` each.
        """
        windows = np.asarray(windows)
        new_bases = np.asarray(new_bases, dtype=np.uint8)
        if windows.dtype != np.uint8 or windows.ndim != 2 or windows.shape[1] != self.input_length:
            raise InputFormatError(
                f"expected uint8 (n, {self.input_length}) windows, got {windows.dtype} {windows.shape}"
            )
        if new_bases.shape != (windows.shape[0],):
            raise InputFormatError(f"new_bases must have shape ({windows.shape[0]},), got {new_bases.shape}")
        if not 0 <= index < self.input_length:
            raise ConfigError(f"index {index} is outside windows of length {self.input_length}")
        self.require_sequence_model()
        _check_array_letters(windows)
        _check_array_letters(new_bases[:, None])  # an 'X' is refused, as in the windows
        strand = self.resolve_strand(strand)
        if not self.supports_point_edits:
            edited = windows.copy()
            edited[:, index] = new_bases
            probs = self.predict_array(
                np.concatenate([windows, edited]), strand=strand, batch_size=batch_size
            )
            return probs[: windows.shape[0]], probs[windows.shape[0] :]
        batch_size = (
            self.default_batch_size if batch_size is None else require_int("batch_size", batch_size, 1)
        )
        n = windows.shape[0]
        original = np.empty((n, self.n_outputs), dtype=np.float32)
        edited = np.empty((n, self.n_outputs), dtype=np.float32)
        point_edit = self.model.point_edit_logits
        with torch.inference_mode(), self._autocast():
            for start in range(0, n, batch_size):
                x = self._inputs(windows[start : start + batch_size])["x"]
                new = self._inputs_rows(new_bases[start : start + batch_size])
                a, b = (self._activate(t.float()) for t in point_edit(x, index, new))
                if strand == "both":
                    # reverse complement: positions reversed, A,C,G,T channels reversed
                    rc = point_edit(x.flip((1, 2)), self.input_length - 1 - index, new.flip(1))
                    ra, rb = (self._activate(t.float()) for t in rc)
                    a, b = (a + ra) / 2, (b + rb) / 2
                stop = start + x.shape[0]
                original[start:stop] = a.cpu().numpy()
                edited[start:stop] = b.cpu().numpy()
        return original, edited

    def _inputs_rows(self, bases: np.ndarray) -> torch.Tensor:
        """Encoded single bases: uint8 ``(m,)`` ASCII codes -> float ``(m, C)`` on the device."""
        rows = self.tokenizer.encode_array(bases[:, None])[:, 0, :]
        return torch.from_numpy(np.ascontiguousarray(rows)).to(self.device).float()

    # ------------------------------------------------------- sequences of any length
    def predict(
        self,
        seqs: Sequence[str] | str | np.ndarray,
        *,
        strand: str | None = None,
        batch_size: int | None = None,
        features: np.ndarray | None = None,
    ) -> np.ndarray:
        """Class probabilities of sequences of any length.

        Parameters
        ----------
        seqs
            Sequences (``str`` or ``bytes``; a single one is one sequence; any iterable of them,
            a polars/pandas column, or a numpy array of strings) or a uint8 ``(n, L)`` array of
            ASCII codes. Letters are checked: anything but A/C/G/T, N and the IUPAC codes (either
            case) is an :class:`~genoseq.errors.InputFormatError`.
        strand
            ``"both"`` (mean of forward and reverse-complement probabilities),
            ``"forward"``, or ``None`` (default): the model's :attr:`default_strand`, which is
            ``"both"`` unless the model was trained strand-specific.
        batch_size
            Windows per forward pass (default: :attr:`default_batch_size`).
        features
            float32 ``(n, n_features)``, for models with extra features (each
            window of a record gets the record's features).

        Returns
        -------
        numpy.ndarray
            float32 ``(n, n_outputs)``; binary -> one column, P(``classes[1]``).
            Longer sequences get the mean over their sliding windows.
        """
        return self._predict_any(seqs, strand, batch_size, features, probabilities=True)

    def predict_logits(
        self,
        seqs: Sequence[str] | str | np.ndarray,
        *,
        strand: str | None = None,
        batch_size: int | None = None,
        features: np.ndarray | None = None,
    ) -> np.ndarray:
        """Logits of sequences of any length, averaged over strands and windows, float32 ``(n, n_outputs)``."""
        return self._predict_any(seqs, strand, batch_size, features, probabilities=False)

    def predict_regions(
        self,
        regions: Any,
        reference: str | os.PathLike[str],
        *,
        centered: bool = False,
        strand: str | None = None,
        batch_size: int | None = None,
        split: bool = False,
    ) -> Any:
        """Class probabilities of BED regions of a reference FASTA: a polars DataFrame, one row a region.

        Arguments in the order of :meth:`score_variants`: what to score, then the reference.

        ``regions`` is a BED file or a polars DataFrame with ``chrom``, ``start``, ``end``
        (0-based, half-open) and optionally ``name`` and ``strand``; ``centered`` scores the
        model's input length around each region's midpoint; ``split`` joins the bases of each
        BED12 region's blocks. See :func:`genoseq.regions.predict_regions` for the columns and the
        rules.
        """
        from genoseq.regions import predict_regions

        return predict_regions(
            self, regions, reference, centered=centered, strand=strand, batch_size=batch_size, split=split
        )

    # ------------------------------------------------------------------ variants
    def score_variants(
        self,
        vcf: str | os.PathLike[str],
        reference: Any,
        *,
        strand: str | None = None,
        on_ref_mismatch: str = "flag",
        batch_size: int = 4096,
        region: str | None = None,
    ) -> Any:
        """Score every variant of a VCF against a reference FASTA (see :mod:`genoseq.variants.score`).

        Returns a polars DataFrame with ``chrom, pos (1-based), id, ref, alt, ref_match, ref_score,
        alt_score, diff, log_odds, risk`` (score columns suffixed per output for multi-output
        models); ``chrom`` is the reference's spelling of the contig (a VCF's ``MT`` scored
        against ``chrM`` is ``chrM``). For VCFs too large for memory use :meth:`iter_score_variants`.
        """
        from genoseq.variants.score import score_variants

        return score_variants(
            self,
            vcf,
            reference,
            strand=strand,
            on_ref_mismatch=on_ref_mismatch,
            batch_size=batch_size,
            region=region,
        )

    def iter_score_variants(
        self,
        vcf: str | os.PathLike[str],
        reference: Any,
        *,
        strand: str | None = None,
        on_ref_mismatch: str = "flag",
        batch_size: int = 4096,
        region: str | None = None,
    ) -> Iterator[Any]:
        """Like :meth:`score_variants`, one polars DataFrame per batch of ``batch_size`` variants (streaming)."""
        from genoseq.variants.score import INTERNAL_COLUMNS, iter_score_variants

        for batch in iter_score_variants(
            self,
            vcf,
            reference,
            strand=strand,
            on_ref_mismatch=on_ref_mismatch,
            batch_size=batch_size,
            region=region,
        ):
            yield batch.drop(INTERNAL_COLUMNS)

    @property
    def _variant_kind(self) -> bool:
        """Whether this is a variant-risk model (``extra["kind"]``): it scores variants, and computes
        its own features from the VCF."""
        return ((self.config or {}).get("extra") or {}).get("kind") == VARIANT_KIND

    def _feature_list(self) -> str:
        """`` (feature_a, feature_b)`` for messages, or ``""`` when the names are not recorded."""
        if self.feature_names is None:
            return ""
        return f" ({', '.join(FEATURE_PREFIX + n for n in self.feature_names)})"

    def require_sequence_model(self) -> None:
        """Refuse a variant-risk model where sequences are to be scored.

        Raises
        ------
        ConfigError
            This is a variant-risk model (it scores variants, not sequences).
        """
        if self._variant_kind:
            raise ConfigError(
                f"{self.model_dir} is a variant-risk model: it scores variants (genoseq score-variants, "
                "Predictor.score_variants), not sequences"
            )

    # ------------------------------------------------------------------ internals
    def _predict_any(
        self,
        seqs: Sequence[str] | str | np.ndarray,
        strand: str | None,
        batch_size: int | None,
        features: np.ndarray | None,
        *,
        probabilities: bool,
        checked: bool = False,
    ) -> np.ndarray:
        """:meth:`predict` / :meth:`predict_logits`; ``checked``: the letters were already checked
        where the sequences were read (a file names its records better than this method can)."""
        self.require_sequence_model()
        batch_size = (
            self.default_batch_size if batch_size is None else require_int("batch_size", batch_size, 1)
        )
        strand = self.resolve_strand(strand)
        if (
            isinstance(seqs, np.ndarray)
            and seqs.dtype == np.uint8
            and seqs.ndim == 2
            and seqs.shape[1] <= self.input_length
        ):
            if not checked:
                _check_array_letters(seqs)
            if seqs.shape[1] == 0 and seqs.shape[0]:
                raise InputFormatError("empty sequence", record="sequence 0")
            return self._run(seqs, strand, batch_size, features, probabilities=probabilities)
        records = _as_sequences(seqs)
        if not checked:
            check_letters(records)
        features = self._check_features(features, len(records))
        if strand == "both" and any(len(r) != self.input_length for r in records):
            # Both strands scored as records of their own: padding and sliding windows laid out on
            # each strand's sequence, so that a sequence and its reverse complement score alike
            from genoseq.tokenize import reverse_complement

            reverse = [reverse_complement(r if isinstance(r, str) else r.decode("ascii")) for r in records]
            forward_out = self._records_mean(records, "forward", batch_size, features, probabilities)
            reverse_out = self._records_mean(reverse, "forward", batch_size, features, probabilities)
            return ((forward_out.astype(np.float64) + reverse_out) / 2).astype(np.float32)
        return self._records_mean(records, strand, batch_size, features, probabilities)

    def _records_mean(
        self,
        records: Sequence[str | bytes],
        strand: str,
        batch_size: int,
        features: np.ndarray | None,
        probabilities: bool,
    ) -> np.ndarray:
        """Each record's mean output over its windows (padded or sliding), float32 ``(n, n_outputs)``."""
        n = len(records)
        total = np.zeros((n, self.n_outputs), dtype=np.float64)
        counts = np.zeros(n, dtype=np.int64)
        for owners, windows in self._window_batches(records, batch_size):
            feats = None if features is None else features[owners]
            out = self._run(windows, strand, batch_size, feats, probabilities=probabilities)
            np.add.at(total, owners, out)
            counts += np.bincount(owners, minlength=n)
        return (total / np.maximum(counts, 1)[:, None]).astype(np.float32)

    def _window_batches(
        self, records: Sequence[str | bytes], batch_size: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (record index int64 (m,), windows uint8 (m, input_length)) with m about ``batch_size``."""
        width = self.input_length
        owners: list[np.ndarray] = []
        windows: list[np.ndarray] = []
        pending = 0
        for i, seq in enumerate(records):
            data = np.frombuffer(_as_bytes(seq), dtype=np.uint8)
            if data.size <= width:
                chunks = [pad_center(data[None, :], width)]
            else:
                starts = window_starts(data.size, width)
                view = np.lib.stride_tricks.sliding_window_view(data, width)
                chunks = [view[starts[j : j + batch_size]] for j in range(0, starts.size, batch_size)]
            for chunk in chunks:
                owners.append(np.full(chunk.shape[0], i, dtype=np.int64))
                windows.append(chunk)
                pending += chunk.shape[0]
                if pending >= batch_size:
                    yield np.concatenate(owners), np.concatenate(windows)
                    owners, windows, pending = [], [], 0
        if pending:
            yield np.concatenate(owners), np.concatenate(windows)

    def require_no_features(self, what: str) -> None:
        """Refuse a model that takes extra features where ``what`` (BED regions, a VCF's windows)
        has none to give it.

        Raises
        ------
        ConfigError
            The model takes extra features (names them and where they can be given).
        """
        if self.n_features and not self._variant_kind:
            raise ConfigError(
                f"{self.model_dir or 'the model'} takes {self.n_features} extra feature(s){self._feature_list()} per "
                f"sequence besides the bases, which {what} cannot give it: score a CSV/TSV/Parquet table "
                "with a sequence column and those feature_* columns (genoseq predict / evaluate)"
            )

    def table_features(self) -> list[str] | None:
        """The ``feature_<name>`` columns to read from a table for this model, by name: its
        :attr:`feature_names`, ``[]`` for a model without features, ``None`` (every ``feature_*``
        column, taken in order) for a model that takes features but does not record their names.
        The ``features`` argument of :func:`genoseq.data.load_table`."""
        if not self.n_features or self._variant_kind:
            return []
        return None if self.feature_names is None else list(self.feature_names)

    def select_features(
        self,
        names: Sequence[str] | None,
        values: np.ndarray | None,
        *,
        path: str | os.PathLike[str] | None = None,
    ) -> np.ndarray | None:
        """The model's features out of a table's ``feature_*`` columns, matched by name.

        Parameters
        ----------
        names
            The table's feature names (its ``feature_<name>`` columns without the prefix), or
            ``None`` when it has none.
        values
            float32 ``(n, len(names))``, the columns in the order of ``names``.
        path
            The table, named in errors.

        Returns
        -------
        numpy.ndarray or None
            float32 ``(n, n_features)`` in the order the model takes them; ``None`` for a model
            without features (a table's feature columns are then not used).

        Raises
        ------
        InputFormatError
            The model takes features the table lacks (names them), or -- for a model that does
            not record its feature names -- the table holds another number of them.
        """
        where = None if path is None else Path(path)
        prefix = "" if path is None else f"{path}: "  # of the log messages
        names = list(names or [])
        if self.feature_names is not None:  # "feature_gc" names the feature gc (a table's column name)
            names = [
                n[len(FEATURE_PREFIX) :]
                if n.startswith(FEATURE_PREFIX)
                and n not in self.feature_names
                and n[len(FEATURE_PREFIX) :] in self.feature_names
                else n
                for n in names
            ]
        if values is not None and names and np.shape(values)[-1] != len(names):
            raise InputFormatError(
                f"{len(names)} feature name(s) but values of shape {np.shape(values)}", path=where
            )
        if not self.n_features:
            if names:
                log.warning(
                    "%sthe model takes no extra features: columns %s not used",
                    prefix,
                    ", ".join(FEATURE_PREFIX + n for n in names),
                )
            return None
        wanted = self.feature_names
        if values is None or not names:
            raise InputFormatError(
                f"the model takes {self.n_features} extra feature(s){self._feature_list()} per sequence, and this "
                "input has no feature_* columns",
                path=where,
            )
        values = np.asarray(values, dtype=np.float32)
        if wanted is None:  # a model directory from before genoseq recorded the names
            if len(names) != self.n_features:
                raise InputFormatError(
                    f"the model takes {self.n_features} extra feature(s), this table has {len(names)} "
                    f"feature_* columns ({', '.join(FEATURE_PREFIX + n for n in names)})",
                    path=where,
                )
            log.warning(
                "%sthe model directory does not record its feature names (trained by an older "
                "genoseq): columns %s taken in the table's order",
                prefix,
                ", ".join(FEATURE_PREFIX + n for n in names),
            )
            return values
        missing = [n for n in wanted if n not in names]
        if missing:
            raise InputFormatError(
                f"no column {', '.join(FEATURE_PREFIX + n for n in missing)}: the model takes the feature(s) "
                f"{', '.join(FEATURE_PREFIX + n for n in wanted)} (this table has "
                f"{', '.join(FEATURE_PREFIX + n for n in names)})",
                path=where,
            )
        unused = [n for n in names if n not in wanted]
        if unused:
            log.warning(
                "%scolumns %s are not model features: not used",
                prefix,
                ", ".join(FEATURE_PREFIX + n for n in unused),
            )
        return values[:, [names.index(n) for n in wanted]]

    def _frame_features(self, frame: Any) -> np.ndarray:
        """The model's features out of a polars/pandas DataFrame: for each of :attr:`feature_names`
        its column ``feature_<name>`` (or ``<name>``); other columns (a whole table's ``sequence``,
        ``label`` ...) are not read, and unused ``feature_*`` ones are warned about. A model that
        does not record its names takes the frame's ``feature_*`` columns (or all) in order."""
        columns = [str(c) for c in frame.columns]
        by_name = {c: c_orig for c, c_orig in zip(columns, frame.columns, strict=True)}
        if self.feature_names is None:
            chosen = [c for c in columns if c.startswith(FEATURE_PREFIX)] or columns
            if len(chosen) != self.n_features:
                raise InputFormatError(
                    f"the model takes {self.n_features} extra feature(s), the frame has {len(chosen)} "
                    f"column(s) to take them from ({', '.join(chosen)})"
                )
            log.warning(
                "the model directory does not record its feature names (trained by an older genoseq): "
                "frame columns %s taken in order",
                ", ".join(chosen),
            )
        else:
            chosen, missing = [], []
            for name in self.feature_names:
                column = next((c for c in (FEATURE_PREFIX + name, name) if c in by_name), None)
                (missing if column is None else chosen).append(name if column is None else column)
            if missing:
                raise InputFormatError(
                    f"the features frame has no column {', '.join(FEATURE_PREFIX + n for n in missing)} (or "
                    f"{', '.join(missing)}): the model takes {', '.join(self.feature_names)}; the frame's "
                    f"columns are {', '.join(columns)}"
                )
            unused = [c for c in columns if c.startswith(FEATURE_PREFIX) and c not in chosen]
            if unused:
                log.warning(
                    "features frame: column(s) %s are not features of the model: not used", ", ".join(unused)
                )
        picked = frame[[by_name[c] for c in chosen]]
        return _float_features(picked, chosen)

    def _check_features(self, features: np.ndarray | None, n: int) -> np.ndarray | None:
        if features is None:
            if self.n_features:
                raise InputFormatError(
                    f"this model takes {self.n_features} extra feature(s) per sequence: pass features "
                    f"of shape ({n}, {self.n_features})"
                )
            return None
        if getattr(features, "columns", None) is not None and self.n_features:
            features = self._frame_features(features)  # a polars/pandas DataFrame: columns by name
        features = _float_features(features, None)
        if not self.n_features:
            if features.shape == (n, 0):
                return None
            raise InputFormatError("this model takes no extra features (features must be None)")
        if features.shape != (n, self.n_features):
            raise InputFormatError(f"features must have shape ({n}, {self.n_features}), got {features.shape}")
        if not np.isfinite(features).all():
            i, j = (int(v) for v in np.argwhere(~np.isfinite(features))[0])
            raise InputFormatError(
                f"features must be finite numbers, got {features[i, j]} in column {j}", record=f"sequence {i}"
            )
        return features

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        """Mixed precision on CUDA only when asked (``precision``); full float32 otherwise (no TF32)."""
        if self.device.type != "cuda" or self.precision == "fp32":
            return exact_fp32(self.device)
        if self.precision == "fp16" or (self.precision == "auto" and not bf16_native()):
            return torch.autocast("cuda", dtype=torch.float16)
        return torch.autocast("cuda", dtype=torch.bfloat16)

    def _inputs(self, windows: np.ndarray) -> dict[str, torch.Tensor]:
        batch = to_torch(
            encode_for_model(self.encoding, windows, input_length=self.input_length), self.device
        )
        if batch["x"].is_floating_point() or batch["x"].dtype == torch.uint8:
            batch["x"] = batch["x"].float()
        return batch

    def _both_strands(self, windows: np.ndarray, forward: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Forward inputs followed by their reverse complements, ``2m`` rows, for one model call."""
        if self.encoding["type"] == "onehot":
            # A,C,G,T channels: the complement is the channel axis reversed.
            return {"x": torch.cat([forward["x"], forward["x"].flip((1, 2))])}
        from genoseq.tokenize import reverse_complement_array

        reverse = self._inputs(reverse_complement_array(pad_center(windows, self.input_length)))
        return {key: torch.cat([forward[key], reverse[key]]) for key in forward}

    def _activate(self, logits: torch.Tensor) -> torch.Tensor:
        if self.task == "multiclass":
            return torch.softmax(logits, dim=-1)
        return torch.sigmoid(logits)

    def _run(
        self,
        arr: np.ndarray,
        strand: str | None,
        batch_size: int | None,
        features: np.ndarray | None,
        *,
        probabilities: bool,
    ) -> np.ndarray:
        strand = self.resolve_strand(strand)
        batch_size = (
            self.default_batch_size if batch_size is None else require_int("batch_size", batch_size, 1)
        )
        arr = np.asarray(arr)
        if arr.dtype != np.uint8 or arr.ndim != 2:
            raise InputFormatError(
                f"expected a uint8 (n, L) array of ASCII codes, got {arr.dtype} {arr.shape}"
            )
        features = self._check_features(features, arr.shape[0])
        if strand == "both" and 0 < arr.shape[1] < self.input_length:
            # rows narrower than the input: each strand padded in its turn (the reverse complement of
            # a padded window has its padding a base off when it is odd, which changes every stride-2
            # k-mer token), as predict pads a short sequence
            from genoseq.tokenize import reverse_complement_array

            forward = self._run(arr, "forward", batch_size, features, probabilities=probabilities)
            reverse = self._run(
                reverse_complement_array(arr), "forward", batch_size, features, probabilities=probabilities
            )
            return ((forward.astype(np.float64) + reverse) / 2).astype(np.float32)
        out = np.empty((arr.shape[0], self.n_outputs), dtype=np.float32)
        with torch.inference_mode(), self._autocast():
            for start in range(0, arr.shape[0], batch_size):
                windows = arr[start : start + batch_size]
                feats = None
                if features is not None:
                    feats = torch.from_numpy(features[start : start + batch_size]).to(self.device)
                inputs = self._inputs(windows)
                if strand == "both":
                    inputs = self._both_strands(windows, inputs)
                    feats = None if feats is None else torch.cat([feats, feats])
                result = self._forward(inputs, feats, probabilities)
                if strand == "both":
                    m = windows.shape[0]
                    result = (result[:m] + result[m:]) / 2
                out[start : start + windows.shape[0]] = result.cpu().numpy()
        return out

    def _forward(
        self, inputs: dict[str, torch.Tensor], features: torch.Tensor | None, probabilities: bool
    ) -> torch.Tensor:
        logits = self.model(inputs["x"], inputs.get("mask"), features).float()
        return self._activate(logits) if probabilities else logits


# ---------------------------------------------------------------------- files


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bgz"):
        suffixes = suffixes[:-1]
    elif len(suffixes) > 1 and suffixes[-1] == ".zst" and suffixes[-2] in _TABLE_SUFFIXES:
        suffixes = suffixes[:-1]  # a zstd CSV/TSV, which polars reads (as train and evaluate do)
    return suffixes[-1] if suffixes else ""


#: records per chunk that ``predict_file`` reads, scores and writes before the next (with _CHUNK_BASES)
_CHUNK_RECORDS = 65_536
#: bases per chunk: a chunk ends at whichever limit comes first
_CHUNK_BASES = 16_000_000


def iter_sequence_records(
    path: str | os.PathLike[str],
    *,
    chunk_records: int | None = None,
    chunk_bases: int | None = None,
    allow_empty: bool = False,
) -> Iterator[tuple[list[str], list[str]]]:
    """Stream names and sequences from FASTA/FASTQ (by extension, gzip allowed) or a table, in chunks.

    ``-`` reads FASTA or FASTQ (plain or gzip) from standard input.

    A FASTA/FASTQ file is read one chunk at a time (memory bounded by the chunk, not the file):
    a chunk ends after ``chunk_records`` records or ``chunk_bases`` bases, whichever comes first
    (default 65,536 records, 16 Mbp)
    (a record longer than ``chunk_bases`` is a chunk of its own). A table (``.csv``,
    ``.tsv``/``.txt``, ``.parquet``) is read whole, then handed out in chunks; it needs a
    ``sequence`` column, and names come from a ``name`` or ``id`` column (an empty cell: the row's
    number), else the 0-based row number.

    Yields
    ------
    names, sequences : list[str], list[str]
        One chunk; every sequence in it checked (DNA/IUPAC letters; non-empty unless
        ``allow_empty``, which yields an empty record, or a table's empty or missing cell, as ``""``).

    Raises
    ------
    InputFormatError
        Unknown extension, a missing ``sequence`` column, an empty sequence or a letter that is
        not a DNA/IUPAC code (names the file and record) -- raised when the chunk holding it is read.
    """
    for names, seqs, _ in _iter_records(
        path, chunk_records=chunk_records, chunk_bases=chunk_bases, allow_empty=allow_empty
    ):
        yield names, seqs


def _iter_records(
    path: str | os.PathLike[str],
    *,
    chunk_records: int | None = None,
    chunk_bases: int | None = None,
    allow_empty: bool = False,
    predictor: Predictor | None = None,
) -> Iterator[tuple[list[str], list[str], np.ndarray | None]]:
    """:func:`iter_sequence_records`, each chunk with its rows' features for ``predictor``: float32
    ``(m, n_features)`` from a table's ``feature_*`` columns (:meth:`Predictor.select_features`), or
    ``None`` when no predictor is given or it takes no features. A FASTA/FASTQ input to a model
    that takes features is refused before any record is read (it has no place for them)."""
    chunk_records = _CHUNK_RECORDS if chunk_records is None else chunk_records
    chunk_bases = _CHUNK_BASES if chunk_bases is None else chunk_bases
    stdin = str(path) == "-"
    path = Path(path)
    suffix = _suffix(path)
    if stdin or suffix in _FASTX_SUFFIXES:
        from genoseq.io import read_fastx

        if predictor is not None and predictor.n_features:
            raise InputFormatError(
                f"the model takes {predictor.n_features} extra feature(s){predictor._feature_list()} per sequence, which "
                "FASTA/FASTQ cannot carry: give a CSV/TSV/Parquet table with a sequence column and "
                "the feature_* columns",
                path=path,
            )

        names: list[str] = []
        seqs: list[str] = []
        bases = 0
        with read_fastx(path) as records:
            for record in records:
                if not record.sequence and not allow_empty:
                    raise InputFormatError("empty sequence", path=path, record=f"record {record.name}")
                names.append(record.name)
                seqs.append(record.sequence)
                bases += len(record.sequence)
                if len(names) >= chunk_records or bases >= chunk_bases:
                    check_letters(seqs, path=path, names=[f"record {name}" for name in names])
                    yield names, seqs, None
                    names, seqs, bases = [], [], 0
        if names:
            check_letters(seqs, path=path, names=[f"record {name}" for name in names])
            yield names, seqs, None
        return
    import polars as pl

    from genoseq.data.tables import read_frame, row_location

    if suffix not in _PARQUET_SUFFIXES and suffix not in _TABLE_SUFFIXES:
        raise InputFormatError(
            f"unknown input type {suffix or '(no extension)'!r}; expected FASTA/FASTQ "
            f"({', '.join(_FASTX_SUFFIXES)}) or a table (.csv, .tsv, .parquet)",
            path=path,
        )
    frame, first = read_frame(path)  # every column as text; binary/ragged/truncated files are typed errors
    if "sequence" not in frame.columns:
        raise InputFormatError(f"no 'sequence' column (columns: {', '.join(frame.columns)})", path=path)
    all_seqs = frame.get_column("sequence").cast(pl.Utf8).to_list()
    for i, seq in enumerate(all_seqs):
        if not seq:
            if not allow_empty:
                raise InputFormatError("empty or missing sequence", path=path, record=row_location(first, i))
            all_seqs[i] = ""
    # located as genoseq train does: the line of a text table, the 1-based row of a Parquet one
    check_letters(all_seqs, path=path, names=[row_location(first, i) for i in range(len(all_seqs))])
    name_col = next((c for c in ("name", "id") if c in frame.columns), None)
    if name_col is None:
        all_names = [str(i) for i in range(len(all_seqs))]
    else:
        given = frame.get_column(name_col).cast(pl.Utf8).to_list()
        # a row without a name gets its row number, as every row does in a table without names
        all_names = [str(i) if v is None or not v.strip() else v for i, v in enumerate(given)]
    all_features = None
    if predictor is not None:
        from genoseq.data.tables import read_features

        wanted = predictor.table_features()
        values, names = read_features(frame, path=path, first=first, wanted=wanted)
        all_features = predictor.select_features(names, values, path=path)
    del frame
    start = 0
    while start < len(all_seqs):
        stop, bases = start, 0
        while (
            stop < len(all_seqs) and stop - start < chunk_records and (stop == start or bases < chunk_bases)
        ):
            bases += len(all_seqs[stop])
            stop += 1
        yield (
            all_names[start:stop],
            all_seqs[start:stop],
            None if all_features is None else all_features[start:stop],
        )
        start = stop


def read_sequence_records(path: str | os.PathLike[str]) -> tuple[list[str], list[str]]:
    """Read all names and sequences of a FASTA/FASTQ file or a table (see :func:`iter_sequence_records`).

    Returns
    -------
    names, sequences : list[str], list[str]

    Raises
    ------
    InputFormatError
        As :func:`iter_sequence_records`.
    """
    names: list[str] = []
    seqs: list[str] = []
    for chunk_names, chunk_seqs in iter_sequence_records(path):
        names.extend(chunk_names)
        seqs.extend(chunk_seqs)
    return names, seqs


def output_columns(predictor: Predictor) -> list[str]:
    """Probability column names, ``p_<class>`` for each output."""
    return [f"p_{name}" for name in predictor.output_names]


def probability_columns(
    predictor: Predictor,
    seqs: Sequence[str],
    *,
    strand: str | None,
    batch_size: int | None,
    features: np.ndarray | None = None,
) -> list[Any]:
    """One float32 polars Series ``p_<class>`` per output for already-checked records; an empty
    record (``""``: nothing to score) gets nulls. The shared step of the table-writing commands.
    ``features``: float32 ``(len(seqs), n_features)`` for a model that takes them."""
    import polars as pl

    columns = output_columns(predictor)
    probs = np.full((len(seqs), len(columns)), np.nan, dtype=np.float32)
    scored = [i for i, seq in enumerate(seqs) if seq]
    if scored:
        probs[scored] = predictor._predict_any(
            [seqs[i] for i in scored],
            strand,
            batch_size,
            None if features is None else features[scored],
            probabilities=True,
            checked=True,
        )
    return [pl.Series(col, probs[:, j], dtype=pl.Float32).fill_nan(None) for j, col in enumerate(columns)]


#: ``"parquet"``, ``"tsv"`` or ``"csv"`` from an output path's extension (ConfigError otherwise):
#: the one rule of every command that writes a table
output_format = output_table_format


def predict_file(
    predictor: Predictor,
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    strand: str | None = None,
    batch_size: int | None = None,
) -> int:
    """Score every record of ``input_path`` and write one row per record to ``output_path``.

    Columns: ``name`` (str), ``length`` (int64), then ``p_<class>`` (float32)
    per output (binary: only the positive class). A FASTA/FASTQ input is streamed in chunks
    (:func:`iter_sequence_records`): each is scored and appended (a Parquet row group) before the
    next is read, so memory does not grow with the file. The output is written atomically (nothing
    at ``output_path`` until the last record is scored); its format follows its extension
    (.parquet, .tsv, .csv).

    Returns
    -------
    int
        Number of records written.
    """
    import polars as pl

    predictor.require_sequence_model()  # before any input is read, and even for an input of empty records
    columns = output_columns(predictor)
    n = 0
    n_empty, first_empty = 0, None
    chunks = _iter_records(input_path, allow_empty=True, predictor=predictor)
    with contextlib.closing(chunks), TableWriter(output_path) as writer:  # all chunks scored, or nothing
        for names, seqs, features in chunks:
            blank = [name for name, seq in zip(names, seqs, strict=True) if not seq]
            if blank:
                first_empty = first_empty or blank[0]
                n_empty += len(blank)
            frame = pl.DataFrame(
                [
                    pl.Series("name", names, dtype=pl.Utf8),
                    pl.Series("length", [len(s) for s in seqs], dtype=pl.Int64),
                    *probability_columns(
                        predictor, seqs, strand=strand, batch_size=batch_size, features=features
                    ),
                ]
            )
            writer.write(frame)
            n += len(names)
        if n == 0:  # an empty input still gives a table with the columns
            empty = {"name": pl.Utf8, "length": pl.Int64} | {col: pl.Float32 for col in columns}
            writer.write(pl.DataFrame(schema=empty))
    if n_empty:
        log.warning(
            "%s: %d empty record(s) (first: %s) have nothing to score: their probabilities are null",
            input_path,
            n_empty,
            first_empty,
        )
    log.info("scored %d records from %s", n - n_empty, input_path)
    return n


def evaluate_table(
    predictor: Predictor,
    table: Any,
    *,
    strand: str | None = None,
    batch_size: int | None = None,
    roc_pr_png: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Metrics of ``predictor`` on a labelled table.

    Parameters
    ----------
    predictor
        The model.
    table
        A :class:`genoseq.data.LabelledTable` read with the model's classes and task.
    strand, batch_size
        As for :meth:`Predictor.predict`.
    roc_pr_png
        If given, draw the table's ROC and precision-recall curves (one per class for
        multi-class/multi-label) into this PNG (atomically).

    Returns
    -------
    dict
        ``accuracy``, ``auroc``, ``auprc``, ``mcc``, ``f1`` (macro for
        multiclass; ``None`` where undefined) and ``n``, from
        :func:`genoseq.train.metrics.compute_metrics`.

    Raises
    ------
    ConfigError
        If the table's task or classes differ from the model's.
    """
    import math

    from genoseq.train.metrics import compute_metrics

    if table.task != predictor.task or list(table.classes) != predictor.classes:
        raise ConfigError(
            f"{table.path}: the table's {table.task} classes {list(table.classes)} differ from the "
            f"model's {predictor.task} classes {predictor.classes}"
        )
    features = predictor.select_features(
        table.feature_names, table.features, path=table.labels_path or table.path
    )
    # load_table checked the letters; rows of mixed lengths are scored each at its own length, as
    # predict scores them (not as the windows of the table's padding to its longest row)
    seqs = table.sequences if table.lengths is None else table.unpadded()
    probs = predictor._predict_any(seqs, strand, batch_size, features, probabilities=True, checked=True)
    metrics = compute_metrics(table.labels, probs, predictor.task)
    if roc_pr_png is not None:
        from genoseq.train.plots import plot_roc_pr

        plot_roc_pr(table.labels, probs, predictor.task, predictor.classes, roc_pr_png)
    return {
        key: (None if isinstance(value, float) and math.isnan(value) else value)
        for key, value in metrics.items()
    }
