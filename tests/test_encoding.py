"""encode_for_model and central padding, against slow per-base reference implementations."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from genoseq.data.encoding import encode_for_model, pad_center, to_torch
from genoseq.errors import InputFormatError

ONEHOT = {"type": "onehot", "version": 1, "iupac": False, "dtype": "float32"}
KMER3 = {"type": "kmer", "version": 1, "k": 3, "stride": 1}
KMER2S2 = {"type": "kmer", "version": 1, "k": 2, "stride": 2}

dna = st.text(alphabet="ACGTNacgt", min_size=0, max_size=20)


def slow_pad(seq: str, length: int) -> str:
    """Add N alternately right then left until ``length``: the left pad ends up (length - len) // 2."""
    while len(seq) < length:
        seq = seq + "N"
        if len(seq) < length:
            seq = "N" + seq
    return seq


def slow_onehot(seq: str) -> np.ndarray:
    out = np.zeros((len(seq), 4), dtype=np.float32)
    for i, base in enumerate(seq.upper()):
        if base in "ACGT":
            out[i, "ACGT".index(base)] = 1.0
    return out


def slow_kmer_ids(seq: str, k: int, stride: int) -> list[int]:
    ids = [2]  # [CLS]
    for start in range(0, len(seq) - k + 1, stride):
        kmer = seq[start : start + k].upper()
        if set(kmer) <= set("ACGT"):
            ids.append(5 + sum("ACGT".index(b) * 4 ** (k - 1 - j) for j, b in enumerate(kmer)))
        else:
            ids.append(1)  # [UNK]
    return [*ids, 3]  # [SEP]


@settings(max_examples=50, deadline=None)
@given(st.lists(dna, min_size=1, max_size=5), st.integers(0, 6))
def test_onehot_with_central_padding(seqs: list[str], extra: int) -> None:
    length = max(map(len, seqs)) + extra
    out = encode_for_model(ONEHOT, seqs, input_length=length)
    assert out["x"].dtype == np.float32
    assert out["x"].shape == (len(seqs), length, 4)
    for row, seq in zip(out["x"], seqs, strict=True):
        np.testing.assert_array_equal(row, slow_onehot(slow_pad(seq, length)))


@settings(max_examples=50, deadline=None)
@given(st.lists(dna, min_size=1, max_size=5), st.integers(0, 4), st.sampled_from([KMER3, KMER2S2]))
def test_kmer_ids_with_central_padding(seqs: list[str], extra: int, spec: dict) -> None:
    length = max(max(map(len, seqs)), spec["k"]) + extra
    out = encode_for_model(spec, seqs, input_length=length)
    assert out["x"].dtype == np.int64
    assert out["mask"].dtype == np.bool_
    assert out["mask"].all()  # equal padded lengths: no padding tokens
    for row, seq in zip(out["x"], seqs, strict=True):
        assert row.tolist() == slow_kmer_ids(slow_pad(seq, length), spec["k"], spec["stride"])


def test_arrays_and_strings_encode_alike() -> None:
    seqs = ["ACGTACG", "GGGTTTA"]
    arr = np.frombuffer("".join(seqs).encode(), dtype=np.uint8).reshape(2, 7)
    for spec in (ONEHOT, KMER3):
        a = encode_for_model(spec, arr, input_length=9)
        s = encode_for_model(spec, seqs, input_length=9)
        assert a.keys() == s.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], s[key])


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 8), st.integers(0, 5), st.integers(1, 3))
def test_pad_center_matches_slow_reference(width: int, extra: int, n: int) -> None:
    rng = np.random.default_rng(width * 31 + extra)
    arr = rng.choice(np.frombuffer(b"ACGT", dtype=np.uint8), size=(n, width))
    out = pad_center(arr, width + extra)
    for row, padded in zip(arr, out, strict=True):
        assert padded.tobytes().decode() == slow_pad(row.tobytes().decode(), width + extra)


def test_too_long_is_refused() -> None:
    with pytest.raises(InputFormatError, match="sequence 1 has length 6, longer than the model input"):
        encode_for_model(ONEHOT, ["ACG", "ACGTAC"], input_length=5)
    with pytest.raises(InputFormatError, match="longer than the model input"):
        encode_for_model(KMER3, np.zeros((2, 6), dtype=np.uint8), input_length=5)
    with pytest.raises(InputFormatError, match="uint8"):
        encode_for_model(ONEHOT, np.zeros((2, 6), dtype=np.int32), input_length=6)


def test_empty_batch_has_the_right_shape() -> None:
    assert encode_for_model(ONEHOT, [], input_length=7)["x"].shape == (0, 7, 4)
    out = encode_for_model(KMER3, np.zeros((0, 7), dtype=np.uint8), input_length=7)
    assert out["x"].shape == out["mask"].shape == (0, 7)


def test_to_torch_keeps_dtypes() -> None:
    batch = to_torch(encode_for_model(KMER3, ["ACGTA"], input_length=5) | {"y": np.ones(1, np.float32)})
    assert batch["x"].dtype == torch.int64
    assert batch["mask"].dtype == torch.bool
    assert batch["y"].dtype == torch.float32
    assert batch["x"].device.type == "cpu"


def test_reverse_complement_centred_pads_the_reversed_bases_centrally() -> None:
    from genoseq.data.encoding import pad_center, reverse_complement_centred
    from genoseq.tokenize import reverse_complement

    rng = np.random.default_rng(0)
    width = 9
    bases = ["".join(rng.choice(list("ACGT"), n)) for n in (9, 8, 7, 6, 5, 1)]
    rows = np.concatenate([pad_center(np.frombuffer(b.encode(), np.uint8)[None], width) for b in bases])
    expected = np.concatenate(
        [pad_center(np.frombuffer(reverse_complement(b).encode(), np.uint8)[None], width) for b in bases]
    )
    got = reverse_complement_centred(rows, np.array([len(b) for b in bases]))
    np.testing.assert_array_equal(got, expected)
    # the plain reverse complement of a row with odd padding is off by one place
    assert (
        np.frombuffer(bytes(reverse_complement(rows[1].tobytes().decode()), "ascii"), np.uint8) != expected[1]
    ).any()
    np.testing.assert_array_equal(reverse_complement_centred(rows[:1], None), expected[:1])
