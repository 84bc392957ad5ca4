"""OneHotEncoder: values against a per-letter reference, IUPAC fractions, batches, round trips."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genoseq.errors import ConfigError, InputFormatError
from genoseq.tokenize import OneHotEncoder, reverse_complement, sequences_to_array, tokenizer_from_spec

# IUPAC meaning written out independently of the library's table
IUPAC = {
    "A": "A", "C": "C", "G": "G", "T": "T",
    "R": "AG", "Y": "CT", "S": "GC", "W": "AT", "K": "GT", "M": "AC",
    "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG", "N": "ACGT",
}  # fmt: skip
ALPHABET = "ACGTacgtNnRyKmSWbdHV-.?Xé "


def slow_onehot(seq: str, iupac: bool) -> np.ndarray:
    out = np.zeros((len(seq), 4))
    for i, ch in enumerate(seq):
        bases = IUPAC.get(ch.upper(), "")
        if not iupac and len(bases) != 1:
            continue
        for base in bases:
            out[i, "ACGT".index(base)] = 1 / len(bases)
    return out


@pytest.mark.parametrize(
    ("iupac", "dtype"),
    [(False, "float16"), (False, "float32"), (False, "float64"), (False, "uint8")]
    + [(True, "float16"), (True, "float32"), (True, "float64")],
)
def test_encode_matches_reference(iupac: bool, dtype: str) -> None:
    rng = random.Random(3)
    enc = OneHotEncoder(iupac=iupac, dtype=dtype)
    for length in [0, 1, 17, 300]:
        seq = "".join(rng.choice(ALPHABET) for _ in range(length))
        got = enc.encode(seq)
        assert got.shape == (length, 4)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got.astype(np.float64), slow_onehot(seq, iupac), rtol=1e-3)


def test_iupac_fractions_sum_to_one() -> None:
    enc = OneHotEncoder(iupac=True, dtype="float64")
    codes = "".join(IUPAC) + "".join(IUPAC).lower()
    rows = enc.encode(codes)
    np.testing.assert_allclose(rows.sum(axis=1), 1.0)
    np.testing.assert_allclose(enc.encode("R")[0], [0.5, 0, 0.5, 0])
    np.testing.assert_allclose(enc.encode("n")[0], [0.25] * 4)
    np.testing.assert_allclose(enc.encode("B")[0], [0, 1 / 3, 1 / 3, 1 / 3])
    assert not enc.encode("-.XU?").any()


def test_plain_mode_zeros_everything_but_acgt() -> None:
    enc = OneHotEncoder()
    rows = enc.encode("ACGTNRacgt-")
    np.testing.assert_array_equal(rows[:4], np.eye(4))
    np.testing.assert_array_equal(rows[6:10], np.eye(4))
    assert not rows[[4, 5, 10]].any()
    assert enc.n_channels == 4


def test_encode_batch_and_array() -> None:
    enc = OneHotEncoder(iupac=True)
    seqs = ["ACGTN", "ttRaa", "GGGGG"]
    batch = enc.encode_batch(seqs)
    assert batch.shape == (3, 5, 4)
    assert batch.dtype == np.float32
    for row, seq in zip(batch, seqs, strict=True):
        np.testing.assert_array_equal(row, enc.encode(seq))
    np.testing.assert_array_equal(enc.encode_array(sequences_to_array(seqs)), batch)
    batch[0, 0, 0] = 7  # writable, and the lookup table is not shared
    assert enc.encode("A")[0, 0] == 1
    assert enc.encode_batch([]).shape == (0, 0, 4)


def test_encode_batch_unequal_lengths_named() -> None:
    with pytest.raises(InputFormatError, match=r"sequence 0 has length 4.*sequence 2 has length 3"):
        OneHotEncoder().encode_batch(["ACGT", "ACGT", "ACG", "A"])


def test_encode_array_rejects_other_dtypes() -> None:
    with pytest.raises(InputFormatError, match="uint8"):
        OneHotEncoder().encode_array(np.zeros((2, 3), dtype=np.int64))


@settings(max_examples=50, deadline=None)
@given(st.text("ACGTacgt", max_size=200))
def test_decode_encode_round_trip(seq: str) -> None:
    for enc in (OneHotEncoder(), OneHotEncoder(iupac=True, dtype="float16"), OneHotEncoder(dtype="uint8")):
        assert enc.decode(enc.encode(seq)) == seq.upper()


def test_decode_unknown_and_shape() -> None:
    enc = OneHotEncoder()
    assert enc.decode(enc.encode("ANxG-")) == "ANNGN"
    iupac = OneHotEncoder(iupac=True)
    codes = "ACGTNRYKMBVDHSW"
    assert iupac.decode(iupac.encode(codes + codes.lower())) == codes + codes  # N stays N, R stays R
    # rows that are no IUPAC pattern (probabilities) decode to their first largest channel
    probs = np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.1, 0.4, 0.4], [0.0, 0.0, 0.0, 0.0]])
    assert enc.decode(probs) == "AGN"
    with pytest.raises(InputFormatError):
        enc.decode(np.zeros((3, 5)))
    with pytest.raises(InputFormatError):
        enc.decode(np.zeros((2, 3, 4)))


@settings(max_examples=50, deadline=None)
@given(st.text("ACGTacgt", max_size=100))
def test_reverse_complement_is_onehot_flip(seq: str) -> None:
    enc = OneHotEncoder()
    np.testing.assert_array_equal(enc.encode(reverse_complement(seq)), enc.encode(seq)[::-1, ::-1])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dtype": "int32"},
        {"dtype": "nonsense"},
        {"dtype": None},
        {"iupac": True, "dtype": "uint8"},
        {"iupac": 1},
    ],
)
def test_invalid_parameters(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        OneHotEncoder(**kwargs)


def test_dtype_normalised() -> None:
    assert OneHotEncoder(dtype=np.float64).dtype == "float64"
    assert OneHotEncoder(dtype=np.float64) == OneHotEncoder(dtype="float64")


def test_spec_round_trip(tmp_path) -> None:
    enc = OneHotEncoder(iupac=True, dtype="float16")
    d = enc.to_dict()
    assert d == {"type": "onehot", "version": 1, "iupac": True, "dtype": "float16"}
    assert OneHotEncoder.from_dict(json.loads(json.dumps(d))) == enc
    assert tokenizer_from_spec(d) == enc
    enc.save(tmp_path / "onehot.json")
    assert OneHotEncoder.load(tmp_path / "onehot.json") == enc
    with pytest.raises(ConfigError, match="'channels'"):
        OneHotEncoder.from_dict({**d, "channels": 4})
    with pytest.raises(ConfigError, match="type"):
        OneHotEncoder.from_dict({**d, "type": "kmer"})
