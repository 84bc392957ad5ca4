"""Score the variants of a VCF with a sequence model: ref/alt effects and a calibrated risk.

Definitions (per model output ``o``; one output ⇒ no suffix):

* ``ref_score`` / ``alt_score``: the model's probability for the reference / alternative window
  (:mod:`genoseq.data.windows` convention), averaged over both strands when ``strand="both"``;
  exactly what :meth:`genoseq.Predictor.predict` gives on those two windows.
* ``diff = alt_score - ref_score``.
* ``log_odds = logit(alt_score) - logit(ref_score)`` (probabilities clipped to ``[1e-7, 1 - 1e-7]``).
* ``risk``: the empirical quantile of ``|log_odds|`` among the model's background of random SNVs
  (``genoseq calibrate``), i.e. the fraction of background variants with ``|log_odds|`` at most this one's;
  null when the model is not calibrated. Variant-level models give ``risk = P(pathogenic)`` directly.

Rows whose REF disagrees with the reference follow ``on_ref_mismatch``: ``"flag"`` keeps the row with
``ref_match = False`` and null scores, ``"skip"`` drops it, ``"error"`` raises
:class:`~genoseq.errors.ReferenceMismatchError` naming the record. Symbolic and ``*`` alleles are skipped
and counted in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from genoseq.data.tables import DNA_BYTE
from genoseq.data.windows import variant_windows
from genoseq.errors import ConfigError, ReferenceMismatchError
from genoseq.tokenize._spec import require_int
from genoseq.variants.calibrate import Background, background_for

if TYPE_CHECKING:
    from genoseq.data.variant_data import VariantTable
    from genoseq.io import Reference, Variant
    from genoseq.predict import Predictor
    from genoseq.variants.risk_model import VariantRiskScorer

log = logging.getLogger(__name__)

EPS = 1e-7
REF_MISMATCH_POLICIES = ("flag", "skip", "error")
STRANDS = ("both", "forward")
_SCORE_STEMS = ("ref_score", "alt_score", "diff", "log_odds", "risk")
#: the rows' record ordinal in the input VCF, used to annotate the VCF; dropped from user tables
RECORD_COLUMN = "_record"
#: the row's ALT index within its record (multi-allelic records are split)
ALT_INDEX_COLUMN = "_alt_index"
INTERNAL_COLUMNS = (RECORD_COLUMN, ALT_INDEX_COLUMN)


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of probabilities, clipped to ``[EPS, 1 - EPS]`` so the result is finite."""
    p = np.clip(p.astype(np.float64), EPS, 1.0 - EPS)
    return np.log(p) - np.log1p(-p)


def output_names(predictor: Predictor) -> list[str]:
    """Names of the model's outputs: ``[""]`` for a single output, else the class names."""
    n_out = predictor.n_outputs
    if n_out == 1:
        return [""]
    return [str(c) for c in predictor.classes][:n_out]


def score_columns(names: list[str]) -> list[str]:
    """The score column names for outputs ``names`` (suffixed ``_<name>`` when there are several)."""
    cols = []
    for name in names:
        suffix = f"_{name}" if name else ""
        cols.extend(f"{stem}{suffix}" for stem in _SCORE_STEMS)
    if names != [""]:
        cols.append("risk")
    return cols


@dataclass
class ScoreStats:
    """Counts gathered while scoring (for the log and the CLI summary)."""

    scored: int = 0
    ref_mismatch: int = 0
    skipped_symbolic: int = 0
    skipped_mismatch: int = 0
    contigs: set[str] = field(default_factory=set)


def resolve_strand(predictor: Predictor, strand: str | None) -> str:
    """``strand``, or the predictor's default (:attr:`genoseq.Predictor.default_strand`) when ``None``.

    Raises
    ------
    ConfigError
        The strand is not one of :data:`STRANDS`.
    """
    if strand is None:
        strand = str(getattr(predictor, "default_strand", "both"))  # duck-typed predictors lack it
    if strand not in STRANDS:  # checked here, before any work (calibrate sampled its SNVs first)
        raise ConfigError(f"strand must be one of {', '.join(STRANDS)}, got {strand!r}")
    return strand


def _check_options(on_ref_mismatch: str, batch_size: int = 1) -> None:
    require_int("batch_size", batch_size, 1)
    if on_ref_mismatch not in REF_MISMATCH_POLICIES:
        raise ConfigError(
            f"on_ref_mismatch must be one of {', '.join(REF_MISMATCH_POLICIES)}, got {on_ref_mismatch!r}"
        )


def _batches(
    variants: Iterator[Variant], batch_size: int, stats: ScoreStats
) -> Iterator[list[tuple[int, Variant]]]:
    """Group variants into batches of ``(record ordinal, variant)``, skipping symbolic alleles."""
    batch: list[tuple[int, Variant]] = []
    record = -1
    for v in variants:
        if v.alt_index == 0:
            record += 1
        if v.is_symbolic:
            stats.skipped_symbolic += 1
            continue
        batch.append((record, v))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def score_window_pairs(
    predictor: Predictor, ref: np.ndarray, alt: np.ndarray, *, strand: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities for reference and alternative windows in one pass.

    Parameters
    ----------
    ref, alt
        uint8 ``(n, L)`` windows.

    Returns
    -------
    (ref_score, alt_score)
        float32 ``(n, n_outputs)`` each.

    Notes
    -----
    Rows whose windows differ only at the centre (SNVs, and the mutations of ISM and calibration)
    go through :meth:`~genoseq.Predictor.predict_point_edits` when the model has that fast path;
    the scores equal :meth:`~genoseq.Predictor.predict_array` on the windows up to float rounding.
    """
    strand = resolve_strand(predictor, strand)
    n = ref.shape[0]
    if n == 0:
        empty = np.empty((0, predictor.n_outputs), dtype=np.float32)
        return empty, empty.copy()
    # a reference may hold letters FASTA allows but DNA lacks (X, gaps): they are unknown bases,
    # N, on every path (the point-edit path encodes them so already)
    ref, alt = _unknown_as_n(ref), _unknown_as_n(alt)
    fast = getattr(predictor, "supports_point_edits", False)  # duck-typed predictors lack it
    point = _point_edit_rows(ref, alt) if fast else np.zeros(n, dtype=bool)
    ref_score = np.empty((n, predictor.n_outputs), dtype=np.float32)
    alt_score = np.empty_like(ref_score)
    center = ref.shape[1] // 2
    rows = np.flatnonzero(point)
    if rows.size:
        ref_score[rows], alt_score[rows] = predictor.predict_point_edits(
            ref[rows], center, alt[rows, center], strand=strand
        )
    rows = np.flatnonzero(~point)
    if rows.size:
        probs = predictor.predict_array(np.concatenate([ref[rows], alt[rows]]), strand=strand)
        ref_score[rows], alt_score[rows] = probs[: rows.size], probs[rows.size :]
    return ref_score, alt_score


def _unknown_as_n(windows: np.ndarray) -> np.ndarray:
    """``windows`` with every byte that is not a DNA/IUPAC letter replaced by ``N`` (a copy only then)."""
    known = DNA_BYTE[windows]
    if known.all():
        return windows
    out = windows.copy()
    out[~known] = ord("N")
    return out


def _point_edit_rows(ref: np.ndarray, alt: np.ndarray) -> np.ndarray:
    """bool ``(n,)``: rows whose alt window differs from the ref window at most at the centre (SNVs)."""
    center = ref.shape[1] // 2
    same = ref == alt
    return same[:, :center].all(axis=1) & same[:, center + 1 :].all(axis=1)


def effect_table(
    ref_score: np.ndarray, alt_score: np.ndarray, names: list[str], background: Background | None
) -> dict[str, np.ndarray]:
    """Score columns from ref/alt probabilities (``(n, n_outputs)`` each)."""
    diff = alt_score.astype(np.float64) - ref_score.astype(np.float64)
    lo = logit(alt_score) - logit(ref_score)
    risk = background.risk(np.abs(lo)) if background is not None else np.full(lo.shape, np.nan)
    cols: dict[str, np.ndarray] = {}
    for j, name in enumerate(names):
        suffix = f"_{name}" if name else ""
        cols[f"ref_score{suffix}"] = ref_score[:, j].astype(np.float64)
        cols[f"alt_score{suffix}"] = alt_score[:, j].astype(np.float64)
        cols[f"diff{suffix}"] = diff[:, j]
        cols[f"log_odds{suffix}"] = lo[:, j]
        cols[f"risk{suffix}"] = risk[:, j]
    if names != [""]:
        cols["risk"] = risk.max(axis=1)
    return cols


def iter_score_variants(
    predictor: Predictor,
    vcf: str | Path,
    reference: str | Path | Reference,
    *,
    strand: str | None = None,
    on_ref_mismatch: str = "flag",
    batch_size: int = 4096,
    region: str | None = None,
    stats: ScoreStats | None = None,
    progress: bool = False,
) -> Iterator[pl.DataFrame]:
    """Score a VCF in batches, yielding one polars DataFrame per batch (streaming).

    Parameters
    ----------
    predictor
        A loaded :class:`genoseq.Predictor`.
    vcf
        VCF / VCF.gz / BCF path.
    reference
        FASTA path or an open :class:`genoseq.io.Reference`.
    strand
        ``"both"`` averages forward and reverse-complement probabilities; ``"forward"`` does not;
        ``None``: the model's default (:attr:`genoseq.Predictor.default_strand`).
    on_ref_mismatch
        ``"flag"``, ``"skip"`` or ``"error"`` (see the module docstring).
    batch_size
        Variants per batch (each batch holds ``2 * batch_size`` windows in memory).
    region
        Optional ``chrom:start-end`` (1-based inclusive) or ``chrom``.
    stats
        Optional :class:`ScoreStats` filled in while scoring.
    progress
        Show a progress bar (on a TTY).

    Yields
    ------
    polars.DataFrame
        Columns ``chrom, pos, id, ref, alt, ref_match`` then the score columns
        (:func:`score_columns`); ``chrom`` is the reference's spelling of the contig, as
        :func:`genoseq.io.read_vcf` gives it with ``reference=``; plus the internal ``_record``
        and ``_alt_index`` columns (:data:`INTERNAL_COLUMNS`) that locate each row in the input VCF.
    """
    from genoseq.io import Reference, read_vcf

    asked = strand
    strand = resolve_strand(predictor, strand)  # checked there
    _check_options(on_ref_mismatch, batch_size)
    stats = stats if stats is not None else ScoreStats()
    from genoseq.variants.risk_model import VariantRiskScorer, is_variant_model

    scorer = None
    info_numbers: dict[str, Any] = {}
    if is_variant_model(predictor):
        if asked == "both":
            log.warning(
                "model %s is a variant-risk model: it scores the reference strand only (its annotation "
                "is stranded), so strand=both changes nothing",
                predictor.model_dir,
            )
        scorer = VariantRiskScorer.from_predictor(predictor)
        info_numbers = scorer.check_vcf(vcf)
    else:
        from genoseq.predict import require_no_features  # as Predictor: not a module-level import here

        require_no_features(predictor, "a variant's reference and alternative windows")
    names = output_names(predictor)
    own_ref = not isinstance(reference, Reference)
    ref = Reference(reference) if own_ref else reference
    try:
        background = None if scorer is not None else background_for(predictor, strand, ref)
    except BaseException:
        if own_ref:
            ref.close()
        raise
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(unit=" variants", desc="scoring", leave=False)
    try:
        # a sequence classifier reads no INFO value; a variant-risk model its INFO features
        used = scorer.info_fields if scorer is not None else False
        variants = read_vcf(vcf, region=region, reference=ref, check_numbers=used)
        for batch in _batches(variants, batch_size, stats):
            df = _score_batch(
                predictor,
                ref,
                batch,
                names,
                background,
                strand,
                on_ref_mismatch,
                vcf,
                stats,
                scorer,
                info_numbers,
            )
            if bar is not None:
                bar.update(len(batch))
            if df.height:
                yield df
    finally:
        if bar is not None:
            bar.close()
        if own_ref:
            ref.close()
    if stats.ref_mismatch:
        log.warning(
            "%s: %d variant(s) whose REF disagrees with the reference were %s",
            vcf,
            stats.ref_mismatch,
            "dropped" if on_ref_mismatch == "skip" else "kept with ref_match=false and null scores",
        )
    if stats.skipped_symbolic:
        # a warning, not info: these alleles are rows the caller will not find in the output
        log.warning(
            "%s: skipped %d allele(s) that cannot be scored (symbolic like <DEL>, '*', or no ALT '.')",
            vcf,
            stats.skipped_symbolic,
        )


def _score_batch(
    predictor: Predictor,
    ref: Reference,
    batch: list[tuple[int, Variant]],
    names: list[str],
    background: Background | None,
    strand: str,
    on_ref_mismatch: str,
    vcf: str | Path,
    stats: ScoreStats,
    scorer: VariantRiskScorer | None = None,
    info_numbers: dict[str, Any] | None = None,
) -> pl.DataFrame:
    n = len(batch)
    length = predictor.input_length
    ref_win = np.empty((n, length), dtype=np.uint8)
    alt_win = np.empty((n, length), dtype=np.uint8)
    match = np.empty(n, dtype=bool)
    chroms = np.array([v.chrom for _, v in batch], dtype=object)
    for chrom in dict.fromkeys(chroms.tolist()):
        rows = np.flatnonzero(chroms == chrom)
        stats.contigs.add(chrom)
        w = variant_windows(
            ref,
            chrom,
            [batch[i][1].start for i in rows],
            [batch[i][1].ref for i in rows],
            [batch[i][1].alt for i in rows],
            length,
        )
        ref_win[rows], alt_win[rows], match[rows] = w.ref, w.alt, w.ref_match
        if on_ref_mismatch == "error" and not w.ref_match.all():
            j = int(np.flatnonzero(~w.ref_match)[0])
            v = batch[rows[j]][1]
            contig_len = ref.length(chrom)
            if v.start + len(v.ref) > contig_len:  # another build, or a REF that runs off the contig
                left = w.observed_ref[j][: contig_len - v.start]
                problem = (
                    f"REF {v.ref} runs past the end of contig {chrom!r} (length {contig_len}), which"
                    f" ends after {left}: is this VCF from another genome build?"
                )
            else:
                problem = f"REF {v.ref} disagrees with the reference ({w.observed_ref[j]})"
            raise ReferenceMismatchError(
                problem,
                path=vcf,
                record=f"{v.where or f'{v.chrom}:{v.pos}'} {v.ref}>{v.alt}",
            )
    n_bad = int((~match).sum())
    stats.ref_mismatch += n_bad
    keep = match if on_ref_mismatch == "skip" else np.ones(n, dtype=bool)
    if on_ref_mismatch == "skip":
        stats.skipped_mismatch += n_bad

    ok = np.flatnonzero(match)
    if scorer is not None:
        variants = [batch[i][1] for i in ok]
        cols_ok = scorer.score(ref, _variant_table(variants, scorer.info_fields, info_numbers or {}, vcf))
    else:
        r, a = score_window_pairs(predictor, ref_win[ok], alt_win[ok], strand=strand)
        cols_ok = effect_table(r, a, names, background)
    stats.scored += len(ok)

    kept = np.flatnonzero(keep)
    pos_in_ok = np.full(n, -1, dtype=np.int64)
    pos_in_ok[ok] = np.arange(len(ok))
    take = pos_in_ok[kept]
    valid = take >= 0
    data: dict[str, object] = {
        "chrom": [batch[i][1].chrom for i in kept],
        "pos": np.array([batch[i][1].pos for i in kept], dtype=np.int64),
        "id": [batch[i][1].id for i in kept],
        "ref": [batch[i][1].ref for i in kept],
        "alt": [batch[i][1].alt for i in kept],
        "ref_match": match[kept],
    }
    for name, values in cols_ok.items():
        col = np.full(len(kept), np.nan, dtype=np.float64)
        col[valid] = values[take[valid]]
        data[name] = col
    data[RECORD_COLUMN] = np.array([batch[i][0] for i in kept], dtype=np.int64)
    data[ALT_INDEX_COLUMN] = np.array([batch[i][1].alt_index for i in kept], dtype=np.int64)
    df = pl.DataFrame(data, schema_overrides={"id": pl.Utf8})
    score_cols = list(cols_ok)
    # NaN (not computed / not calibrated) becomes null, so downstream tools see missing values
    return df.with_columns([pl.col(c).fill_nan(None) for c in score_cols])


def _variant_table(
    variants: list[Variant], info_fields: tuple[str, ...], numbers: dict[str, Any], vcf: str | Path
) -> VariantTable:
    from genoseq.data.variant_data import VariantTable, info_values

    return VariantTable(
        [v.chrom for v in variants],
        np.array([v.start for v in variants], dtype=np.int64),
        [v.ref for v in variants],
        [v.alt for v in variants],
        [v.id for v in variants],
        np.full(len(variants), -1, dtype=np.int64),
        info_values(variants, info_fields, numbers, str(vcf)),
        list(info_fields),
        str(vcf),
    )


def score_variants(
    predictor: Predictor, vcf: str | Path, reference: str | Path | Reference, **kwargs
) -> pl.DataFrame:
    """Score every variant of a VCF; the whole table in memory (see :func:`iter_score_variants`)."""
    frames = list(iter_score_variants(predictor, vcf, reference, **kwargs))
    if not frames:
        return _empty_table(output_names(predictor))
    return pl.concat(frames).drop(INTERNAL_COLUMNS)


def _empty_table(names: list[str]) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {
        "chrom": pl.Utf8(),
        "pos": pl.Int64(),
        "id": pl.Utf8(),
        "ref": pl.Utf8(),
        "alt": pl.Utf8(),
        "ref_match": pl.Boolean(),
    }
    for c in score_columns(names):
        schema[c] = pl.Float64()
    return pl.DataFrame(schema=schema)
