"""In-silico saturation mutagenesis (ISM): every position of a region × the three other bases.

Each substitution is scored as an SNV through the same window and scoring path as
:func:`genoseq.variants.score_variants`, so ISM values equal what ``score-variants`` gives for that SNV.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from genoseq.data.windows import variant_windows
from genoseq.errors import ConfigError
from genoseq.tokenize._spec import require_int
from genoseq.variants.calibrate import background_for, refuse_variant_model
from genoseq.variants.score import effect_table, output_names, score_window_pairs

if TYPE_CHECKING:
    from genoseq.io import Reference
    from genoseq.predict import Predictor

log = logging.getLogger(__name__)

#: the largest region ISM accepts (3 SNVs a base, two windows each)
MAX_ISM_BASES = 100_000


def saturation_mutagenesis(
    predictor: Predictor,
    reference: Reference,
    chrom: str,
    start: int,
    end: int,
    *,
    strand: str | None = None,
    batch_size: int = 4096,
) -> pl.DataFrame:
    """Score every SNV in the 0-based half-open region ``[start, end)`` of ``chrom``.

    Positions whose reference base is not A/C/G/T are skipped.

    Returns
    -------
    polars.DataFrame
        One row per (position, ALT): ``chrom, pos`` (1-based), ``ref, alt`` and the score columns
        (``ref_score, alt_score, diff, log_odds, risk``; suffixed per output for multi-output models).
    """
    refuse_variant_model(predictor, "in-silico mutagenesis")
    from genoseq.predict import require_no_features  # as Predictor: not a module-level import here

    require_no_features(predictor, "in-silico mutagenesis")
    batch_size = require_int("batch_size", batch_size, 1)
    strand = predictor.resolve_strand(strand)
    chrom = reference.resolve(chrom)
    length = reference.length(chrom)
    region = f"{chrom}:{start + 1}-{end}"
    if start >= end:
        raise ConfigError(f"region {region} is empty (its end is before its start)", path=reference.path)
    if start < 0 or start >= length:
        raise ConfigError(
            f"region {region} starts outside contig {chrom} (length {length})", path=reference.path
        )
    if end > length:
        raise ConfigError(
            f"region {region} ends past the end of contig {chrom} (length {length}); end it at {length}"
            f" ({chrom}:{start + 1}-{length})",
            path=reference.path,
        )
    if end - start > MAX_ISM_BASES:
        raise ConfigError(f"region has {end - start} bases; ISM takes at most {MAX_ISM_BASES}")
    seq = reference.fetch(chrom, start, end).upper()
    positions = np.arange(start, end, dtype=np.int64)
    ok = np.array([b in "ACGT" for b in seq], dtype=bool)
    if not ok.any():
        raise ConfigError(f"region {chrom}:{start + 1}-{end} has no A/C/G/T bases")
    if not ok.all():
        log.warning(
            "region %s: %d of its %d positions are not A/C/G/T (N or another IUPAC code) and are not mutated",
            region,
            int((~ok).sum()),
            ok.size,
        )
    starts = np.repeat(positions[ok], 3)
    refs = [b for b in seq if b in "ACGT" for _ in range(3)]
    alts = [a for b in seq if b in "ACGT" for a in "ACGT" if a != b]
    names = output_names(predictor)
    background = background_for(predictor, strand, reference)
    parts: list[dict[str, np.ndarray]] = []
    for lo in range(0, len(starts), batch_size):
        hi = min(lo + batch_size, len(starts))
        w = variant_windows(reference, chrom, starts[lo:hi], refs[lo:hi], alts[lo:hi], predictor.input_length)
        r, a = score_window_pairs(predictor, w.ref, w.alt, strand=strand)
        parts.append(effect_table(r, a, names, background))
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    df = pl.DataFrame({"chrom": [chrom] * len(starts), "pos": starts + 1, "ref": refs, "alt": alts, **cols})
    score_cols = list(cols)
    return df.with_columns([pl.col(c).fill_nan(None) for c in score_cols])


def ism_matrix(df: pl.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """The (bases × positions) matrix of one score column of an ISM table.

    Returns
    -------
    positions : np.ndarray
        int64 ``(P,)``: every 1-based position from the table's first to its last.
    matrix : np.ndarray
        float64 ``(4, P)``, rows A, C, G, T: the score of each substitution, 0 for the reference base,
        NaN over a whole column where the table has no rows (a position not mutated).
    """
    given = df["pos"].to_numpy().astype(np.int64)
    if not len(given):
        return np.zeros(0, dtype=np.int64), np.zeros((4, 0))
    positions = np.arange(given.min(), given.max() + 1, dtype=np.int64)
    mat = np.full((4, len(positions)), np.nan)
    mat[:, np.unique(given - positions[0])] = 0.0
    for pos, alt, value in df.select(["pos", "alt", column]).iter_rows():
        mat["ACGT".index(alt), pos - positions[0]] = 0.0 if value is None else value
    return positions, mat


def ism_heatmap(df: pl.DataFrame, path: str | Path, *, column: str | None = None, title: str = "") -> Path:
    """Save a heat map (bases × positions) of one score column of an ISM table as PNG.

    Cells for the reference base are 0; positions without rows (an ``N`` in the reference, not
    mutated) are left blank, so that the columns keep the region's coordinates. The colour scale is
    symmetric around 0.
    """
    from matplotlib.figure import Figure  # no pyplot: a notebook's own backend is left alone

    from genoseq._atomic import atomic_path

    if column is None:
        column = next(c for c in df.columns if c.startswith("diff"))
    positions, mat = ism_matrix(df, column)
    vmax = float(np.nanmax(np.abs(mat))) if np.isfinite(mat).any() else 1.0
    vmax = vmax or 1.0
    mat = np.ma.masked_invalid(mat)  # blank where a position was not mutated
    width = min(max(6.0, len(positions) / 12), 40.0)
    fig = Figure(figsize=(width, 2.6))
    ax = fig.subplots()
    im = ax.imshow(mat, aspect="auto", cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest")
    ax.set_yticks(range(4), list("ACGT"))
    step = max(1, len(positions) // 10)
    ax.set_xticks(range(0, len(positions), step), [str(p) for p in positions[::step]])
    ax.set_xlabel(f"{df['chrom'][0]} position (1-based)")
    ax.set_title(title or f"ISM: {column}")
    fig.colorbar(im, ax=ax, label=column)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    return Path(path)
