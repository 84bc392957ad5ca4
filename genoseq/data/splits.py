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

    The strata are the class indices (``labels`` ``(n,)``) or, for multilabel
    indicators (``labels`` ``(n, C)``), the distinct label combinations. In a
    stratum of ``m`` rows, ``round(fraction * m)`` rows go to validation, but at
    least one when ``m >= 2`` and never all ``m`` (so every class with two or
    more rows appears on both sides). Which rows is drawn with
    ``numpy.random.default_rng(seed)``: the same inputs give the same split.

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
    if labels.ndim == 1:
        strata = labels.astype(np.int64)
    else:
        _, strata = np.unique(labels.reshape(n, -1), axis=0, return_inverse=True)
        strata = strata.reshape(-1)
    rng = np.random.default_rng(seed)
    is_valid = np.zeros(n, dtype=bool)
    for stratum in np.unique(strata):
        rows = np.flatnonzero(strata == stratum)
        m = rows.size
        k = int(round(fraction * m))
        k = min(max(k, 1), m - 1) if m >= 2 else 0
        is_valid[rng.permutation(rows)[:k]] = True
    valid_idx = np.flatnonzero(is_valid)
    train_idx = np.flatnonzero(~is_valid)
    if valid_idx.size == 0 or train_idx.size == 0:
        raise ConfigError(
            f"a validation fraction of {fraction} of {n} rows leaves an empty side; "
            "give more rows or a separate validation table (--valid)"
        )
    return train_idx.astype(np.int64), valid_idx.astype(np.int64)
