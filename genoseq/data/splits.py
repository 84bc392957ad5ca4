"""Train/validation splits that keep the class balance (stratified).

Block splits by genomic position (for variant data) come with the variant
datasets; this module splits labelled tables whose rows are independent.
"""

from __future__ import annotations

import numpy as np

from genoseq.errors import ConfigError

__all__ = ["stratified_split"]


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Hold out ``fraction`` of the rows of every class (stratum) for validation.

    Single-label (``labels`` ``(n,)`` class indices): in the ``m`` rows of a
    class, ``round(fraction * m)`` go to validation, but at least one when
    ``m >= 2`` and never all ``m`` (so every class with two or more rows appears
    on both sides).

    Multilabel (``labels`` ``(n, C)`` 0/1 indicators): the strata are the
    distinct label combinations, which can be nearly as many as the rows, so
    the floor of one per stratum would hold out far more than ``fraction``.
    Instead ``round(fraction * n)`` rows are shared out among the combinations
    in proportion to their size (largest remainders first), then every label
    with two or more positive rows is given one on each side, moving rows one
    at a time while a move leaves fewer labels one-sided (labels sharing rows
    can make it impossible: three labels on three rows, each pair sharing one).
    Which rows is drawn with ``numpy.random.default_rng(seed)``: the same
    inputs give the same split.

    Parameters
    ----------
    labels
        ``int`` ``(n,)`` class indices or ``(n, C)`` 0/1 indicators.
    fraction
        Validation fraction, ``0 < fraction < 1``.
    seed
        Random seed.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        ``(train_idx, valid_idx)``: sorted ``int64`` row indices, disjoint, together ``0..n-1``.

    Raises
    ------
    ConfigError
        If ``fraction`` is not in (0, 1) or the split leaves either side empty.
    """
    if not 0.0 < fraction < 1.0:
        raise ConfigError(f"the validation fraction must be between 0 and 1, got {fraction}")
    labels = np.asarray(labels)
    n = labels.shape[0]
    rng = np.random.default_rng(seed)
    is_valid = np.zeros(n, dtype=bool)
    if labels.ndim == 1:
        strata = labels.astype(np.int64)
        for stratum in np.unique(strata):
            rows = np.flatnonzero(strata == stratum)
            m = rows.size
            k = int(round(fraction * m))
            k = min(max(k, 1), m - 1) if m >= 2 else 0
            is_valid[rng.permutation(rows)[:k]] = True
    elif n >= 2:
        is_valid = _multilabel_split(labels.reshape(n, -1) > 0, fraction, rng)
    valid_idx = np.flatnonzero(is_valid)
    train_idx = np.flatnonzero(~is_valid)
    if valid_idx.size == 0 or train_idx.size == 0:
        raise ConfigError(
            f"a validation fraction of {fraction} of {n} rows leaves an empty side; "
            "give more rows or a separate validation table (--valid)"
        )
    return train_idx.astype(np.int64), valid_idx.astype(np.int64)


def _multilabel_split(indicators: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Validation mask for bool ``(n, C)`` indicators (see :func:`stratified_split`)."""
    n = indicators.shape[0]
    _, strata = np.unique(indicators, axis=0, return_inverse=True)
    strata = strata.reshape(-1)
    sizes = np.bincount(strata)
    total = min(max(int(round(fraction * n)), 1), n - 1)
    quota = fraction * sizes
    counts = np.floor(quota).astype(np.int64)
    left = total - int(counts.sum())
    if left > 0:  # largest remainders first, ties in random order
        order = np.lexsort((rng.random(sizes.size), -(quota - counts)))
        counts[order[:left]] += 1
    is_valid = np.zeros(n, dtype=bool)
    for stratum in np.flatnonzero(counts):
        rows = np.flatnonzero(strata == stratum)
        is_valid[rng.permutation(rows)[: counts[stratum]]] = True
    # every label with 2+ positives on both sides: a move counts only if it leaves fewer one-sided
    # labels overall, so fixing one label never undoes another
    counts_pos = indicators.sum(axis=0)
    shared = counts_pos >= 2

    def missing() -> list[tuple[int, bool]]:
        in_valid = indicators[is_valid].sum(axis=0)
        in_train = counts_pos - in_valid
        return [
            (c, side)
            for c in np.flatnonzero(shared)
            for side, k in ((True, in_valid[c]), (False, in_train[c]))
            if k == 0
        ]

    unfixable: set[tuple[int, bool]] = set()
    for _ in range(4 * int(shared.sum())):  # each step fixes one gap, or sets it aside
        gaps = missing()
        open_gaps = [gap for gap in gaps if gap not in unfixable]
        if not open_gaps:
            break
        c, side = open_gaps[0]
        rows = rng.permutation(np.flatnonzero(indicators[:, c] & (is_valid != side)))
        for row in rows:  # the first move that leaves fewer gaps
            is_valid[row] = side
            if len(missing()) < len(gaps):
                break
            is_valid[row] = not side
        else:
            unfixable.add((c, side))  # no single move helps this one: try the others
    return is_valid
