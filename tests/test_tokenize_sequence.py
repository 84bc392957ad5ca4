"""Sequence helpers: byte arrays and IUPAC-aware reverse complement."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genoseq.errors import InputFormatError
from genoseq.tokenize import reverse_complement, reverse_complement_array, sequences_to_array

# complement pairs written out independently of the library
PAIRS = {"A": "T", "C": "G", "R": "Y", "K": "M", "B": "V", "D": "H", "S": "S", "W": "W", "N": "N"}
COMP = {**PAIRS, **{v: k for k, v in PAIRS.items()}, "-": "-", ".": "."}
COMP.update({k.lower(): v.lower() for k, v in COMP.items()})
IUPAC_TEXT = "".join(sorted(COMP))


def slow_reverse_complement(seq: str) -> str:
    return "".join(COMP[ch] for ch in reversed(seq))


@settings(max_examples=50, deadline=None)
@given(st.text(IUPAC_TEXT, max_size=300))
def test_reverse_complement_matches_reference_and_is_involution(seq: str) -> None:
    rc = reverse_complement(seq)
    assert rc == slow_reverse_complement(seq)
    assert reverse_complement(rc) == seq


def test_reverse_complement_examples() -> None:
    assert reverse_complement("ACGTn") == "nACGT"
    assert reverse_complement("RYKMBVDHSW") == "WSDHBVKMRY"
    assert reverse_complement("aaCC-") == "-GGtt"
    assert reverse_complement("") == ""


@pytest.mark.parametrize(
    ("seq", "bad", "pos"), [("ACGU", "U", 4), ("AC GT", " ", 3), ("A1", "1", 2), ("AéT", "é", 2)]
)
def test_reverse_complement_rejects_other_characters(seq: str, bad: str, pos: int) -> None:
    with pytest.raises(InputFormatError, match=rf"{bad!r} at position {pos}:"):  # 1-based
        reverse_complement(seq)


def test_reverse_complement_array_matches_strings() -> None:
    rng = random.Random(5)
    seqs = ["".join(rng.choice(IUPAC_TEXT) for _ in range(23)) for _ in range(6)]
    arr = sequences_to_array(seqs)
    rc = reverse_complement_array(arr)
    assert rc.dtype == np.uint8 and rc.shape == arr.shape and rc.flags.c_contiguous
    assert [row.tobytes().decode() for row in rc] == [reverse_complement(s) for s in seqs]
    np.testing.assert_array_equal(reverse_complement_array(rc), arr)
    one = reverse_complement_array(np.frombuffer(b"ACGTT", dtype=np.uint8))
    assert one.tobytes() == b"AACGT"


def test_reverse_complement_array_errors() -> None:
    arr = sequences_to_array(["ACGT", "ACXT"])
    with pytest.raises(InputFormatError, match=r"\('X'\) at index \(1, 2\)"):
        reverse_complement_array(arr)
    with pytest.raises(InputFormatError, match="uint8"):
        reverse_complement_array(arr.astype(np.int16))


def test_sequences_to_array() -> None:
    arr = sequences_to_array(["ACGT", "nnRé"])
    assert arr.dtype == np.uint8 and arr.shape == (2, 4)
    assert arr.tobytes() == b"ACGTnnR?"  # non-ASCII becomes one '?'
    arr[0, 0] = ord("T")  # writable
    assert sequences_to_array([]).shape == (0, 0)
    assert sequences_to_array(iter(["AC", "GT"])).tolist() == [[65, 67], [71, 84]]
    with pytest.raises(InputFormatError, match=r"sequence 1 has length 2"):
        sequences_to_array(["ACG", "AC", "A"])
