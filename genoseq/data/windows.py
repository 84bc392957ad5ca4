"""Reference and alternative windows around variants: the one window convention.

For a model of input length ``L`` and a variant whose REF starts at 0-based
position ``start``:

* the **reference window** holds ``L`` reference bases with the variant's first
  REF base at index ``L // 2``, i.e. reference ``[start - L//2, start - L//2 + L)``;
* the **alternative window** is the same left flank (``L // 2`` bases), then ALT,
  then the reference after REF (from ``start + len(REF)``), cut to ``L``.

Positions outside the contig are ``N``. Both windows come back as ASCII bytes,
``uint8`` arrays of shape ``(n, L)``, the format the encoders consume directly.

Windows for a batch of variants on one contig are cut from one fetched span with
NumPy fancy indexing; only variants whose REF and ALT differ in length (indels)
take a per-variant step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from genoseq.io import Reference

_MAX_GAP = 100_000  # bases between sorted variants before a new span is fetched


@dataclass(frozen=True)
class VariantWindows:
    """Windows for a batch of variants.

    Attributes
    ----------
    ref : np.ndarray
        uint8 ``(n, L)``: reference windows (ASCII bytes, case as in the FASTA).
    alt : np.ndarray
        uint8 ``(n, L)``: alternative windows.
    ref_match : np.ndarray
        bool ``(n,)``: whether the variant's REF equals the reference (case-insensitive).
    observed_ref : list[str]
        The reference bases under each REF, for messages.
    """

    ref: np.ndarray
    alt: np.ndarray
    ref_match: np.ndarray
    observed_ref: list[str]


def variant_windows(
    reference: Reference,
    chrom: str,
    starts: Sequence[int] | np.ndarray,
    refs: Sequence[str],
    alts: Sequence[str],
    length: int,
) -> VariantWindows:
    """Build reference and alternative windows for variants on one contig.

    Parameters
    ----------
    reference
        An open :class:`genoseq.io.Reference`.
    chrom
        Contig name (any name ``reference.resolve`` accepts).
    starts
        int ``(n,)``: 0-based start of each variant's REF (VCF ``pos - 1``).
    refs, alts
        REF and ALT alleles (DNA letters), ``n`` each.
    length
        Window length ``L``.

    Returns
    -------
    VariantWindows
        ``ref`` and ``alt`` uint8 ``(n, L)``, ``ref_match`` bool ``(n,)``.
    """
    starts = np.asarray(starts, dtype=np.int64)
    n = len(starts)
    if not (len(refs) == len(alts) == n):
        raise ValueError("starts, refs and alts must have the same length")
    if length < 1:
        raise ValueError(f"window length must be positive, got {length}")
    if n == 0:
        empty = np.empty((0, length), dtype=np.uint8)
        return VariantWindows(empty, empty.copy(), np.zeros(0, dtype=bool), [])
    # variants far apart are cut from separate spans, so a batch never fetches a whole contig
    order = np.argsort(starts, kind="stable")
    gaps = np.diff(starts[order])
    breaks = np.flatnonzero(gaps > _MAX_GAP + length) + 1
    if len(breaks) == 0:
        return _windows_one_span(reference, chrom, starts, refs, alts, length)
    ref_win = np.empty((n, length), dtype=np.uint8)
    alt_win = np.empty((n, length), dtype=np.uint8)
    match = np.empty(n, dtype=bool)
    observed: list[str] = [""] * n
    for rows in np.split(order, breaks):
        part = _windows_one_span(
            reference, chrom, starts[rows], [refs[i] for i in rows], [alts[i] for i in rows], length
        )
        ref_win[rows] = part.ref
        alt_win[rows] = part.alt
        match[rows] = part.ref_match
        for j, i in enumerate(rows):
            observed[i] = part.observed_ref[j]
    return VariantWindows(ref_win, alt_win, match, observed)


def _windows_one_span(
    reference: Reference,
    chrom: str,
    starts: np.ndarray,
    refs: Sequence[str],
    alts: Sequence[str],
    length: int,
) -> VariantWindows:
    n = len(starts)
    half = length // 2
    ref_lens = np.fromiter((len(r) for r in refs), dtype=np.int64, count=n)
    alt_lens = np.fromiter((len(a) for a in alts), dtype=np.int64, count=n)
    # one span covers every window, every REF, and the right flank after a deletion
    span_start = int(starts.min()) - half
    span_end = int((starts + ref_lens).max()) + length
    span = np.frombuffer(
        reference.fetch(chrom, span_start, span_end, pad=True).encode("ascii"), dtype=np.uint8
    )
    offsets = starts - span_start - half  # window start inside the span
    # rows of a strided view: no (n, L) int64 index matrix (8x the windows' size) is built
    ref_win = np.lib.stride_tricks.sliding_window_view(span, length)[offsets]

    # observed reference under REF, and the match flag (case-insensitive)
    upper = span.copy()
    lower_mask = (upper >= ord("a")) & (upper <= ord("z"))
    upper[lower_mask] -= 32
    rel = starts - span_start
    observed, match = _observed_ref(upper, rel, ref_lens, refs)

    alt_win = ref_win.copy()
    same = ref_lens == alt_lens
    if same.any():
        # SNVs/MNVs: overwrite the REF bases at L//2.. with ALT (cut at the window end)
        sel = np.flatnonzero(same)
        for lens in np.unique(alt_lens[sel]):
            rows = sel[alt_lens[sel] == lens]
            k = int(min(lens, length - half))
            if k <= 0:
                continue
            alt_bytes = np.frombuffer(
                "".join(alts[i][:k] for i in rows).encode("ascii"), dtype=np.uint8
            ).reshape(len(rows), k)
            alt_win[rows, half : half + k] = alt_bytes
    for i in np.flatnonzero(~same):
        # indels: left flank, ALT, then the reference after REF, cut to L
        left = ref_win[i, :half]
        alt_b = np.frombuffer(alts[i].encode("ascii"), dtype=np.uint8)
        right_from = int(rel[i] + ref_lens[i])
        right = span[right_from : right_from + length]
        alt_win[i] = np.concatenate([left, alt_b, right])[:length]
    return VariantWindows(ref_win, alt_win, match, observed)


def _observed_ref(
    upper: np.ndarray, rel: np.ndarray, ref_lens: np.ndarray, refs: Sequence[str]
) -> tuple[list[str], np.ndarray]:
    """The upper-cased span bases under each REF and whether they equal REF (case-insensitive).

    ``upper`` is the span (uint8, upper case), ``rel`` int64 ``(n,)`` each REF's start in it and
    ``ref_lens`` int64 ``(n,)`` their lengths. Variants are handled in groups of equal REF length,
    one fancy-indexing step per group. Returns the observed strings and a bool ``(n,)`` array.
    """
    n = len(rel)
    observed: list[str] = [""] * n
    match = np.empty(n, dtype=bool)
    order = np.argsort(ref_lens, kind="stable")
    bounds = np.flatnonzero(np.diff(ref_lens[order])) + 1
    for rows in np.split(order, bounds):
        k = int(ref_lens[rows[0]])
        got = upper[rel[rows, None] + np.arange(k, dtype=np.int64)[None, :]]
        # bytes.upper() keeps the length; a non-ASCII REF becomes '?', which matches no base
        want = "".join(refs[i] for i in rows).encode("ascii", "replace").upper()
        match[rows] = (got == np.frombuffer(want, dtype=np.uint8).reshape(len(rows), k)).all(axis=1)
        text = got.tobytes().decode("ascii")
        for j, i in enumerate(rows.tolist()):
            observed[i] = text[j * k : (j + 1) * k]
    return observed, match
