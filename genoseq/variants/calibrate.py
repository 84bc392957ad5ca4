"""Background calibration: turn ``|log_odds|`` into a risk quantile.

``genoseq calibrate`` scores random SNVs drawn uniformly from the reference (positions weighted by
contig length, reference base A/C/G/T, ALT uniform among the other three), and stores their
``|log_odds|`` per model output in the model directory:

* ``background.safetensors`` — tensor ``abs_log_odds`` float64 ``(n, n_outputs)``, sorted per column,
  with the reference's contig lengths (``reference_contigs``, JSON) and the SHA-256 of the weights it
  was scored with (``model_sha256``: a background beside other weights is refused) in its metadata;
* ``calibration.json`` — how it was made (reference file name, n, seed, strand, genoseq version)
  and the SHA-256 of ``background.safetensors``, checked when it is loaded.

A variant's ``risk`` is then the fraction of background SNVs whose ``|log_odds|`` is at most its own.
"""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from genoseq import __version__
from genoseq._atomic import atomic_path
from genoseq._hashing import file_sha256
from genoseq.errors import ConfigError, ModelFormatError
from genoseq.io.contigs import contig_key
from genoseq.modeldir import BACKGROUND_FILE, CALIBRATION_FILE, background_file, read_json_file
from genoseq.tokenize._spec import require_int

if TYPE_CHECKING:
    from genoseq.io import Reference
    from genoseq.predict import Predictor

log = logging.getLogger(__name__)

_CALIBRATION_VERSION = 1
#: background SNVs at most (each takes 8 bytes per output, scored twice)
_MAX_BACKGROUND = 100_000_000
_CALIBRATION_KEYS = {
    "format_version",
    "file",
    "sha256",
    "n",
    "seed",
    "strand",
    "reference",
    "reference_contigs",  # written for a few commits of session 9 only; read from the tensor file now
    "genoseq_version",
}


class Background:
    """Sorted background ``|log_odds|`` per output, for the empirical-quantile risk.

    Parameters
    ----------
    values
        float ``(m, n_outputs)``: ``|log_odds|`` of background SNVs (any order).
    strand
        The strand policy the background was scored with (``None``: not recorded).
    reference, contigs
        The reference's file name and its contigs' lengths (``None``: not recorded, calibrations
        made before genoseq recorded them).
    model_sha256
        SHA-256 of the weights the background was scored with (``None``: not recorded).
    """

    def __init__(
        self,
        values: np.ndarray,
        strand: str | None = None,
        reference: str | None = None,
        contigs: dict[str, int] | None = None,
        model_sha256: str | None = None,
    ) -> None:
        values = np.asarray(values, dtype=np.float64)
        if values.ndim == 1:
            values = values[:, None]
        self.sorted = np.sort(values, axis=0)
        self.strand = strand
        self.reference = reference
        self.contigs = contigs
        self.model_sha256 = model_sha256

    @property
    def n(self) -> int:
        return int(self.sorted.shape[0])

    def risk(self, abs_log_odds: np.ndarray) -> np.ndarray:
        """Fraction of background values ``<=`` each value; float ``(n, n_outputs)``."""
        out = np.empty(abs_log_odds.shape, dtype=np.float64)
        for j in range(abs_log_odds.shape[1]):
            out[:, j] = np.searchsorted(self.sorted[:, j], abs_log_odds[:, j], side="right") / self.n
        return out


def refuse_variant_model(predictor: Predictor, what: str) -> None:
    """ConfigError for a variant-risk model, whose ``risk`` is P(pathogenic) and needs no background."""
    from genoseq.variants.risk_model import is_variant_model

    if is_variant_model(predictor):
        raise ConfigError(
            f"{predictor.model_dir} is a variant-risk model: {what} applies to sequence classifiers "
            "(a variant-risk model scores variants directly: genoseq score-variants gives risk = "
            "P(pathogenic))",
        )


def background_for(
    predictor: Predictor, strand: str, reference: Reference | None = None
) -> Background | None:
    """The model's stored background (``None`` without one), with a warning when risk will mislead.

    Warns when there is no background (``risk`` will be null), when it was made on other
    strand scores than ``strand`` (``risk`` would compare unlike ``|log_odds|``), and when
    ``reference`` (the one being scored) shares no contig with the one it was drawn from.
    """
    if predictor.model_dir is None:  # a Predictor built in memory, not loaded from a directory
        log.warning("the model was not loaded from a model directory, so it has no background: risk is null")
        return None
    background = load_background(predictor.model_dir)
    if background is not None:
        _refuse_other_model(predictor, background)
    if background is None:
        log.warning(
            "model %s has no background calibration: risk is null (run `genoseq calibrate`)",
            predictor.model_dir,
        )
    elif background.strand not in (None, strand):
        log.warning(
            "model %s was calibrated on %s-strand scores but is scoring with strand=%s: risk compares "
            "unlike |log_odds| (calibrate again with the same --strand)",
            predictor.model_dir,
            background.strand,
            strand,
        )
    if background is not None and background.contigs and reference is not None:
        _warn_other_reference(predictor, background, reference)
    return background


def _refuse_other_model(predictor: Predictor, background: Background) -> None:
    """ModelFormatError for a background made with other weights or for another number of outputs
    (a model retrained into the directory beside an old calibration): its ``risk`` would rank this
    model's ``|log_odds|`` among another model's."""
    where = Path(predictor.model_dir or ".") / CALIBRATION_FILE
    again = (
        "run genoseq calibrate again for this model, or remove calibration.json and background.safetensors"
    )
    n_outputs = int(getattr(predictor, "n_outputs", background.sorted.shape[1]))
    if background.sorted.shape[1] != n_outputs:
        raise ModelFormatError(
            f"the background has {background.sorted.shape[1]} output column(s) but the model has "
            f"{n_outputs}: it was made for another model ({again})",
            path=where,
        )
    weights = getattr(predictor, "weights_sha256", None)
    if background.model_sha256 is not None and weights is not None and background.model_sha256 != weights:
        raise ModelFormatError(
            f"the background was scored with other weights (sha256 {background.model_sha256[:12]}..., "
            f"the model's are {weights[:12]}...): the model was retrained or replaced since ({again})",
            path=where,
        )


def _warn_other_reference(predictor: Predictor, background: Background, reference: Reference) -> None:
    """Warn when no contig of ``reference`` has a name and length the background's reference had
    (or, for a one-contig background such as chrM, its length under another name: ``NC_012920.1``;
    a genome's small unplaced contigs share lengths across builds, so no such fallback there)."""
    drawn = {(contig_key(name), length) for name, length in (background.contigs or {}).items()}
    scored = {(contig_key(name), reference.length(name)) for name in reference.contigs}
    if drawn & scored:
        return
    if len(drawn) == 1 and next(iter(drawn))[1] in {length for _, length in scored}:
        return
    log.warning(
        "model %s was calibrated on another reference (%s: %d contig(s), %s bp) than %s: risk reads "
        "|log_odds| against a background from other sequence (calibrate again with this --reference)",
        predictor.model_dir,
        background.reference or "unnamed",
        len(drawn),
        f"{sum(background.contigs.values()):,}",
        Path(getattr(reference, "path", "the reference")).name,
    )


def load_background(model_dir: str | Path) -> Background | None:
    """Load the background stored by :func:`calibrate` in ``model_dir``; ``None`` if there is none.

    Raises
    ------
    ModelFormatError
        If ``calibration.json`` is malformed, has unknown keys, a newer format, or its checksum does
        not match ``background.safetensors``.
    """
    from safetensors import safe_open
    from safetensors.numpy import load_file

    model_dir = Path(model_dir)
    meta_path = model_dir / CALIBRATION_FILE
    if not meta_path.exists():
        return None
    meta = read_json_file(meta_path, "calibration.json")  # a regular file of plausible size, valid JSON
    if not isinstance(meta, dict):
        raise ModelFormatError("expected a JSON object", path=meta_path)
    unknown = set(meta) - _CALIBRATION_KEYS
    if unknown:
        raise ModelFormatError(f"unknown key(s) {', '.join(sorted(unknown))}", path=meta_path)
    version = meta.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ModelFormatError(f"invalid format_version {version!r}", path=meta_path)
    if version > _CALIBRATION_VERSION:
        raise ModelFormatError(
            f"calibration format {meta['format_version']} is newer than this genoseq reads "
            f"({_CALIBRATION_VERSION}); upgrade genoseq",
            path=meta_path,
        )
    bg_path = background_file(model_dir, meta, meta_path)
    if file_sha256(bg_path) != meta.get("sha256"):
        raise ModelFormatError("checksum mismatch: file differs from calibration.json", path=bg_path)
    try:
        tensors = load_file(str(bg_path))
        with safe_open(str(bg_path), framework="np") as fh:
            file_meta = fh.metadata() or {}
    except Exception as exc:  # safetensors raises its own error types
        raise ModelFormatError(f"not a safetensors file ({exc})", path=bg_path) from exc
    if "abs_log_odds" not in tensors:
        raise ModelFormatError("missing tensor 'abs_log_odds'", path=bg_path)
    values = np.asarray(tensors["abs_log_odds"])
    if values.ndim not in (1, 2) or values.shape[0] == 0 or not np.isfinite(values).all():
        raise ModelFormatError(
            f"'abs_log_odds' must be a non-empty array of finite values, got shape {values.shape}"
            f"{'' if values.size == 0 or np.isfinite(values).all() else ' with NaN or infinity'}",
            path=bg_path,
        )
    strand = meta.get("strand")
    try:
        contigs = json.loads(file_meta["reference_contigs"]) if "reference_contigs" in file_meta else None
    except (json.JSONDecodeError, RecursionError):
        contigs = False  # refused just below
    if contigs is not None and not (
        isinstance(contigs, dict)
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in contigs.values())
    ):
        raise ModelFormatError("reference_contigs must map contig names to lengths", path=bg_path)
    reference = meta.get("reference")
    model_sha = file_meta.get("model_sha256")
    return Background(
        tensors["abs_log_odds"],
        strand=strand if isinstance(strand, str) else None,
        reference=reference if isinstance(reference, str) else None,
        contigs=contigs,
        model_sha256=model_sha if isinstance(model_sha, str) and model_sha else None,
    )


def sample_snvs(
    reference: Reference, n: int, *, seed: int = 0, contigs: list[str] | None = None
) -> tuple[list[str], np.ndarray, list[str], list[str]]:
    """Draw ``n`` random SNVs from the reference.

    Positions are uniform over the (chosen) contigs, weighted by length, restricted to reference
    bases A/C/G/T (any case); ALT is uniform among the other three bases.

    Returns
    -------
    (chroms, starts, refs, alts)
        Contig names, 0-based starts int64 ``(n,)``, REF and ALT bases (upper case), sorted by contig
        then position.
    """
    if n < 1:
        raise ConfigError(f"number of background SNVs must be positive, got {n}")
    rng = np.random.default_rng(seed)
    names = contigs if contigs is not None else list(reference.contigs)
    lengths = np.array([reference.length(c) for c in names], dtype=np.float64)
    if lengths.sum() == 0:
        raise ConfigError(
            "reference has no sequence to draw background SNVs from", path=getattr(reference, "path", None)
        )
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)
    chroms: list[str] = []
    starts: list[np.ndarray] = []
    refs: list[str] = []
    needed = n
    for _ in range(100):
        draw = max(int(needed * 1.3), 16)
        which = rng.choice(len(names), size=draw, p=lengths / lengths.sum())
        for ci in np.unique(which):
            m = int((which == ci).sum())
            pos = np.sort(rng.integers(0, int(lengths[ci]), size=m))
            seq_bytes = np.frombuffer(
                "".join(reference.fetch(names[ci], int(p), int(p) + 1) for p in pos).upper().encode(),
                np.uint8,
            )
            ok = np.isin(seq_bytes, bases)
            chroms.extend([names[ci]] * int(ok.sum()))
            starts.append(pos[ok])
            refs.extend(chr(b) for b in seq_bytes[ok])
        needed = n - len(refs)
        if needed <= 0:
            break
    else:
        raise ConfigError(
            "could not draw enough A/C/G/T positions from the reference (mostly N?)",
            path=getattr(reference, "path", None),
        )
    # n of the draws at random: the draws are grouped by contig and sorted by position, so the first
    # n would leave out the last contigs and the ends of contigs
    keep = np.sort(rng.choice(len(refs), size=n, replace=False))
    start_arr = np.concatenate(starts)[keep]
    chroms, refs = [chroms[i] for i in keep], [refs[i] for i in keep]
    shift = rng.integers(1, 4, size=n)
    code = {"A": 0, "C": 1, "G": 2, "T": 3}
    alts = ["ACGT"[(code[r] + s) % 4] for r, s in zip(refs, shift, strict=True)]
    order = sorted(range(n), key=lambda i: (chroms[i], start_arr[i]))
    return (
        [chroms[i] for i in order],
        start_arr[order],
        [refs[i] for i in order],
        [alts[i] for i in order],
    )


def background_log_odds(
    predictor: Predictor,
    reference: Reference,
    n: int = 100_000,
    *,
    seed: int = 0,
    strand: str | None = None,
    batch_size: int = 4096,
) -> np.ndarray:
    """``|log_odds|`` of ``n`` random reference SNVs; float64 ``(n, n_outputs)``."""
    from genoseq.data.windows import variant_windows
    from genoseq.variants.score import logit, score_window_pairs

    chroms, starts, refs, alts = sample_snvs(reference, n, seed=seed)
    out = np.empty((n, predictor.n_outputs), dtype=np.float64)
    chrom_arr = np.array(chroms, dtype=object)
    for lo in range(0, n, batch_size):
        hi = min(lo + batch_size, n)
        for chrom in dict.fromkeys(chroms[lo:hi]):
            rows = lo + np.flatnonzero(chrom_arr[lo:hi] == chrom)
            w = variant_windows(
                reference,
                chrom,
                starts[rows],
                [refs[i] for i in rows],
                [alts[i] for i in rows],
                predictor.input_length,
            )
            r, a = score_window_pairs(predictor, w.ref, w.alt, strand=strand)
            out[rows] = np.abs(logit(a) - logit(r))
    return out


def calibrate(
    predictor: Predictor,
    reference: str | Path | Reference,
    n: int = 100_000,
    *,
    seed: int = 0,
    strand: str | None = None,
    batch_size: int = 4096,
) -> Background:
    """Score ``n`` random SNVs and store the background in the predictor's model directory.

    Returns
    -------
    Background
        The stored background (also what :func:`load_background` returns afterwards).
    """
    from safetensors.numpy import save_file

    from genoseq.io import Reference
    from genoseq.variants.score import resolve_strand

    refuse_variant_model(predictor, "calibrate")
    from genoseq.predict import require_no_features  # as Predictor: not a module-level import here

    require_no_features(predictor, "the reference's random windows")
    if predictor.model_dir is None:
        raise ConfigError(
            "calibrate stores the background in the model directory; this Predictor was built in "
            "memory (load it with Predictor.load(DIR), or save it first)"
        )
    n = require_int("n", n, 1, _MAX_BACKGROUND)
    seed = require_int("seed", seed, 0)
    batch_size = require_int("batch_size", batch_size, 1)
    if n < 1000:
        log.warning(
            "a background of %d SNVs gives risks in steps of 1/%d at best; use --n 10000 or more", n, n
        )
    strand = resolve_strand(predictor, strand)
    own = not isinstance(reference, Reference)
    ref = Reference(reference) if own else reference
    try:
        bases = sum(int(ref.length(name)) for name in ref.contigs)
        if 0 < bases < n:  # draws with replacement: most positions drawn more than once
            log.warning(
                "the reference has only %d bases (%d possible SNVs) for a background of %d SNVs: "
                "many are drawn more than once, so risk is no finer than the distinct ones",
                bases,
                3 * bases,
                n,
            )
        values = background_log_odds(predictor, ref, n, seed=seed, strand=strand, batch_size=batch_size)
        ref_name = Path(getattr(ref, "path", str(reference))).name
        contigs = {name: int(ref.length(name)) for name in ref.contigs}
    finally:
        if own:
            ref.close()
    weights = predictor.weights_sha256
    bg = Background(values, strand=strand, reference=ref_name, contigs=contigs, model_sha256=weights)
    model_dir = Path(predictor.model_dir)
    # both files are written in full under temporary names before either is renamed into place,
    # so a failed write (e.g. a full disk) leaves the old pair as it was
    with contextlib.ExitStack() as stack:  # on success the background is renamed first, then the JSON
        meta_tmp = stack.enter_context(atomic_path(model_dir / CALIBRATION_FILE))
        tmp = stack.enter_context(atomic_path(model_dir / BACKGROUND_FILE))
        # the contig lengths ride in the tensor file's own metadata (covered by its checksum), not as a
        # new calibration.json key, which earlier genoseq versions would refuse as unknown
        save_file(
            {"abs_log_odds": np.ascontiguousarray(bg.sorted)},
            str(tmp),
            # and the weights it was scored with, so that a model retrained beside it is refused
            metadata={"reference_contigs": json.dumps(contigs)}
            | ({"model_sha256": weights} if weights else {}),
        )
        meta = {
            "format_version": _CALIBRATION_VERSION,
            "file": BACKGROUND_FILE,
            "sha256": file_sha256(tmp),
            "n": int(n),
            "seed": int(seed),
            "strand": strand,
            "reference": ref_name,
            "genoseq_version": __version__,
        }
        meta_tmp.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    log.info("stored %d background SNVs in %s", n, model_dir)
    return bg
