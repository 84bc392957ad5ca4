"""stratified_split: class balance on both sides, disjoint cover, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genoseq.data import stratified_split
from genoseq.errors import ConfigError


def test_each_class_keeps_its_share() -> None:
    labels = np.array([0] * 900 + [1] * 100)
    train, valid = stratified_split(labels, 0.1, seed=0)
    assert np.bincount(labels[valid]).tolist() == [90, 10]
    assert np.bincount(labels[train]).tolist() == [810, 90]
    assert train.dtype == np.int64 and np.all(np.diff(train) > 0) and np.all(np.diff(valid) > 0)


def test_reproducible_per_seed() -> None:
    labels = np.arange(200) % 3
    a = stratified_split(labels, 0.2, seed=7)
    b = stratified_split(labels, 0.2, seed=7)
    c = stratified_split(labels, 0.2, seed=8)
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def test_small_classes_appear_on_both_sides() -> None:
    labels = np.array([0] * 50 + [1, 1] + [2])
    train, valid = stratified_split(labels, 0.1, seed=0)
    assert (labels[valid] == 1).sum() == 1 and (labels[train] == 1).sum() == 1
    assert (labels[train] == 2).sum() == 1  # a singleton stays in training


def test_multilabel_strata_are_label_combinations() -> None:
    y = np.array([[1, 0]] * 40 + [[0, 1]] * 40 + [[1, 1]] * 20, dtype=np.float32)
    _, valid = stratified_split(y, 0.25, seed=1)
    combos = {tuple(row) for row in y[valid]}
    assert combos == {(1.0, 0.0), (0.0, 1.0), (1.0, 1.0)}
    assert valid.size == 10 + 10 + 5


def test_bad_fraction_and_empty_side() -> None:
    with pytest.raises(ConfigError, match="between 0 and 1"):
        stratified_split(np.array([0, 1]), 1.0, seed=0)
    with pytest.raises(ConfigError, match="empty side"):
        stratified_split(np.array([0, 1, 2]), 0.1, seed=0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=4, max_size=300), st.floats(0.05, 0.5), st.integers(0, 2**31))
def test_split_is_a_stratified_partition(labels: list[int], fraction: float, seed: int) -> None:
    y = np.array(labels)
    try:
        train, valid = stratified_split(y, fraction, seed)
    except ConfigError:
        return  # every class a singleton: nothing to hold out
    assert np.intersect1d(train, valid).size == 0
    assert np.array_equal(np.union1d(train, valid), np.arange(y.size))
    for c in np.unique(y):
        m = int((y == c).sum())
        k = int((y[valid] == c).sum())
        expected = 0 if m < 2 else min(max(round(fraction * m), 1), m - 1)
        assert k == expected


def test_many_label_combinations_still_hold_out_the_fraction() -> None:
    """400 rows, 8 labels, ~140 combinations: one per combination would hold out a quarter."""
    rng = np.random.default_rng(0)
    y = (rng.random((400, 8)) < 0.3).astype(np.float32)
    assert len({tuple(r) for r in y}) > 100
    for fraction in (0.05, 0.1, 0.2):
        train, valid = stratified_split(y, fraction, seed=3)
        assert abs(valid.size - fraction * 400) <= 8  # the share asked for (+ a few label fix-ups)
        assert np.array_equal(np.union1d(train, valid), np.arange(400))
        assert (y[valid].sum(0) >= 1).all() and (y[train].sum(0) >= 1).all()  # every label on both sides


def test_a_rare_label_is_put_on_both_sides() -> None:
    y = np.zeros((100, 2), dtype=np.float32)
    y[:, 0] = 1
    y[[10, 60], 1] = 1  # two positives of label 1, in two different combinations' worth of rows
    for seed in range(5):
        train, valid = stratified_split(y, 0.1, seed=seed)
        assert y[valid, 1].sum() == 1 and y[train, 1].sum() == 1


def test_fixing_one_label_does_not_undo_another() -> None:
    """Small tables of overlapping labels: every label with 2+ positives ends on both sides."""
    rng = np.random.default_rng(0)
    one_sided = 0
    for _ in range(500):
        y = (rng.random((int(rng.integers(6, 20)), 3)) < 0.3).astype(np.float32)
        try:
            train, valid = stratified_split(y, 0.25, seed=int(rng.integers(1000)))
        except ConfigError:
            continue
        shared = y.sum(0) >= 2
        one_sided += int(((y[valid].sum(0) == 0) | (y[train].sum(0) == 0))[shared].any())
    assert one_sided <= 5  # the rest are the impossible cases (an odd cycle of shared rows)


def test_an_unfixable_label_does_not_stop_the_others_being_fixed() -> None:
    """Labels 0-2 share rows in a triangle (no split puts each on both sides); label 3 is easy."""
    triangle = [[1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 1, 0]]
    y = np.array(triangle + [[0, 0, 0, 1], [0, 0, 0, 1]] + [[0, 0, 0, 0]] * 15, dtype=np.float32)
    for seed in range(50):
        train, valid = stratified_split(y, 0.2, seed=seed)
        assert y[valid, 3].sum() == 1 and y[train, 3].sum() == 1, seed
