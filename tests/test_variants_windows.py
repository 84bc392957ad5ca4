"""Window construction against a slow, obvious implementation."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genoseq.data.windows import variant_windows
from genoseq.io import Reference

CONTIG = "ACGTTGCAAGGCTTAACCGGTTACGATCGATCGGCTAGCTAGGATCCAAGTTCCGGAACGT" * 3  # 183 bp


def slow_windows(seq: str, start: int, ref: str, alt: str, length: int) -> tuple[str, str]:
    """The documented convention, one base at a time."""
    half = length // 2

    def base(i: int) -> str:
        return seq[i] if 0 <= i < len(seq) else "N"

    ref_w = "".join(base(start - half + j) for j in range(length))
    left = "".join(base(start - half + j) for j in range(half))
    right = "".join(base(start + len(ref) + j) for j in range(length))
    alt_w = (left + alt + right)[:length]
    return ref_w, alt_w


@pytest.fixture(scope="module")
def ref(tmp_path_factory):
    fa = tmp_path_factory.mktemp("win") / "toy.fa"
    lines = "\n".join(CONTIG[i : i + 60] for i in range(0, len(CONTIG), 60))
    fa.write_text(f">chrT\n{lines}\n>chrU\nacgtNNNNacgt\n")
    with Reference(fa) as r:
        yield r


def _alleles(rng: random.Random, start: int) -> tuple[str, str]:
    kind = rng.choice(["snv", "mnv", "ins", "del"])
    ref_len = {"snv": 1, "mnv": 3, "ins": 1, "del": rng.randint(2, 30)}[kind]
    ref = CONTIG[start : start + ref_len]
    if not ref:
        ref = "A"
    alt_len = {"snv": 1, "mnv": len(ref), "ins": rng.randint(2, 40), "del": 1}[kind]
    alt = "".join(rng.choice("ACGT") for _ in range(alt_len))
    if kind in ("ins", "del"):
        alt = ref[0] + alt[1:]
    return ref, alt


@pytest.mark.parametrize("length", [1, 2, 7, 20, 101, 200])
def test_windows_match_slow_implementation(ref, length):
    rng = random.Random(length)
    starts, refs, alts = [], [], []
    for _ in range(60):
        s = rng.randrange(0, len(CONTIG) - 1)
        r, a = _alleles(rng, s)
        starts.append(s)
        refs.append(r)
        alts.append(a)
    w = variant_windows(ref, "chrT", starts, refs, alts, length)
    assert w.ref.shape == w.alt.shape == (60, length)
    assert w.ref.dtype == np.uint8
    for i in range(60):
        exp_ref, exp_alt = slow_windows(CONTIG, starts[i], refs[i], alts[i], length)
        assert w.ref[i].tobytes().decode() == exp_ref
        assert w.alt[i].tobytes().decode() == exp_alt
        assert w.ref_match[i] == (CONTIG[starts[i] : starts[i] + len(refs[i])] == refs[i])


@settings(max_examples=40, deadline=None)
@given(
    start=st.integers(0, len(CONTIG) - 1),
    alt=st.text(alphabet="ACGT", min_size=1, max_size=25),
    ref_len=st.integers(1, 25),
    length=st.integers(1, 64),
)
def test_windows_edges_hypothesis(ref, start, alt, ref_len, length):
    r = CONTIG[start : start + ref_len]
    w = variant_windows(ref, "chrT", [start], [r], [alt], length)
    exp_ref, exp_alt = slow_windows(CONTIG, start, r, alt, length)
    assert w.ref[0].tobytes().decode() == exp_ref
    assert w.alt[0].tobytes().decode() == exp_alt
    assert bool(w.ref_match[0])


def test_case_kept_and_match_case_insensitive(ref):
    w = variant_windows(ref, "chrU", [0, 4], ["A", "A"], ["G", "G"], 6)
    assert w.ref[0].tobytes().decode() == "NNNacg"
    assert w.alt[0].tobytes().decode() == "NNNGcg"
    assert w.ref_match.tolist() == [True, False]
    assert w.observed_ref == ["A", "N"]


def test_far_apart_variants_use_separate_spans(ref, monkeypatch):
    calls = []
    orig = ref.fetch

    def spy(chrom, start, end, pad=False):
        calls.append((start, end))
        return orig(chrom, start, end, pad=pad)

    monkeypatch.setattr(ref, "fetch", spy)
    monkeypatch.setattr("genoseq.data.windows._MAX_GAP", 10)
    w = variant_windows(ref, "chrT", [170, 2], [CONTIG[170], CONTIG[2]], ["A", "A"], 8)
    assert len(calls) == 2
    for i, s in enumerate([170, 2]):
        assert w.ref[i].tobytes().decode() == slow_windows(CONTIG, s, CONTIG[s], "A", 8)[0]


def test_empty_batch(ref):
    w = variant_windows(ref, "chrT", [], [], [], 10)
    assert w.ref.shape == (0, 10)
