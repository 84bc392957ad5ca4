"""KmerTokenizer: ids against a slow obvious reference, layout, batching, decoding, serialisation."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genoseq.errors import ConfigError, InputFormatError
from genoseq.tokenize import KmerTokenizer, OneHotEncoder, tokenizer_from_spec
from genoseq.tokenize import kmer as kmer_module

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# everything a caller might pass: both cases, N, IUPAC, gaps, junk, non-ASCII
ALPHABET = "ACGTACGTacgtNnRYKMSWBDHV-.?xé"


@functools.cache
def product_vocab(k: int) -> dict[str, int]:
    """Special tokens, then every k-mer from itertools.product in A<C<G<T order."""
    tokens = SPECIALS + ["".join(p) for p in itertools.product("ACGT", repeat=k)]
    return {tok: i for i, tok in enumerate(tokens)}


def slow_ids(seq: str, k: int, stride: int) -> list[int]:
    """The obvious loop. For k ≤ 7 a dict lookup in the product vocabulary,
    for larger k (vocabulary too big to build) base-4 arithmetic per letter."""
    out = []
    for start in range(0, len(seq) - k + 1, stride):
        kmer = seq[start : start + k].upper()
        if k <= 7:
            out.append(product_vocab(k).get(kmer, 1))
        elif all(ch in "ACGT" for ch in kmer):
            out.append(5 + sum("ACGT".index(ch) * 4 ** (k - 1 - i) for i, ch in enumerate(kmer)))
        else:
            out.append(1)
    return out


def random_seq(rng: random.Random, n: int, alphabet: str = ALPHABET) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


@pytest.mark.parametrize("k", range(1, 13))
def test_ids_match_slow_reference(k: int) -> None:
    rng = random.Random(k)
    for stride in sorted({1, 2, 3, k, k + 1}):
        tok = KmerTokenizer(k=k, stride=stride)
        for length in [0, k - 1, k, k + 1, 57, 200]:
            seq = random_seq(rng, max(length, 0))
            ids = tok.encode(seq)
            assert ids.dtype == np.int64
            assert ids.tolist() == slow_ids(seq, k, stride), (k, stride, seq)
            assert len(ids) == tok.n_tokens(len(seq))


@pytest.mark.parametrize("k", [1, 3, 6, 8, 11])
def test_mostly_valid_sequence_with_sparse_unknowns(k: int) -> None:
    rng = random.Random(100 + k)
    seq = list(random_seq(rng, 300, "ACGTacgt"))
    for i in rng.sample(range(300), 4):
        seq[i] = rng.choice("NRx")
    seq = "".join(seq)
    assert KmerTokenizer(k=k).encode(seq).tolist() == slow_ids(seq, k, 1)


@pytest.mark.parametrize("chunk", [5, 16, 100])
@pytest.mark.parametrize(("k", "stride"), [(1, 1), (3, 2), (6, 1), (6, 4), (9, 3), (12, 1)])
def test_blockwise_processing_matches_reference(
    monkeypatch: pytest.MonkeyPatch, chunk: int, k: int, stride: int
) -> None:
    # tiny blocks: long rows are cut into overlapping pieces, short rows grouped
    monkeypatch.setattr(kmer_module, "_CHUNK", chunk)
    rng = random.Random(chunk * 100 + k)
    tok = KmerTokenizer(k=k, stride=stride)
    seq = random_seq(rng, 150, "ACGTacgtN")
    assert tok.encode(seq).tolist() == slow_ids(seq, k, stride)
    seqs = [random_seq(rng, 40, "ACGTN") for _ in range(7)]
    ids, mask = tok.encode_batch(seqs, add_special_tokens=False)
    for row, m, s in zip(ids, mask, seqs, strict=True):
        assert row[m].tolist() == slow_ids(s, k, stride)


def test_id_layout_formula() -> None:
    tok = KmerTokenizer(k=3)
    assert tok.encode("AAA").tolist() == [5]
    assert tok.encode("AAC").tolist() == [6]
    assert tok.encode("CAA").tolist() == [5 + 16]
    assert tok.encode("TTT").tolist() == [5 + 63]
    assert tok.encode("acg").tolist() == tok.encode("ACG").tolist() == [5 + 0 * 16 + 1 * 4 + 2]
    assert tok.encode("ANA").tolist() == [1]
    assert tok.vocab_size == 5 + 64


def test_special_tokens_and_vocab() -> None:
    tok = KmerTokenizer(k=2)
    assert tok.special_tokens == {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4}
    assert (tok.pad_id, tok.unk_id, tok.cls_id, tok.sep_id, tok.mask_id) == (0, 1, 2, 3, 4)
    assert tok.vocab == product_vocab(2)
    assert len(tok.vocab) == tok.vocab_size == 21
    for token, i in product_vocab(2).items():
        assert tok.token_to_id(token) == i
        assert tok.id_to_token(i) == token
    assert tok.token_to_id("gt") == tok.token_to_id("GT")
    assert tok.token_to_id("NA") == 1
    assert KmerTokenizer(k=5).id_to_token(np.int64(5 + 4**5 - 1)) == "TTTTT"
    with pytest.raises(InputFormatError):
        tok.token_to_id("ACG")
    with pytest.raises(InputFormatError):
        tok.id_to_token(21)
    with pytest.raises(InputFormatError):
        tok.id_to_token(-1)


def test_vocab_is_lazy_and_consistent_with_encode() -> None:
    tok = KmerTokenizer(k=4)
    assert "vocab" not in tok.__dict__
    vocab = tok.vocab
    kmers = [t for t in vocab if t not in SPECIALS]
    assert tok.encode("".join(kmers)).tolist()[::4] == [vocab[t] for t in kmers]


def test_n_tokens() -> None:
    tok = KmerTokenizer(k=6, stride=3)
    assert [tok.n_tokens(n) for n in [0, 5, 6, 8, 9, 12]] == [0, 0, 1, 1, 2, 3]
    with pytest.raises(ConfigError):
        tok.n_tokens(-1)


@pytest.mark.parametrize(
    "kwargs", [{"k": 0}, {"k": 13}, {"k": True}, {"k": "6"}, {"k": 2.5}, {"stride": 0}, {"stride": -1}]
)
def test_invalid_parameters(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        KmerTokenizer(**kwargs)


def test_frozen_and_hashable() -> None:
    tok = KmerTokenizer(k=4, stride=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        tok.k = 5  # type: ignore[misc]
    assert tok == KmerTokenizer(np.int64(4), 2)
    assert isinstance(tok.k, int)
    assert len({tok, KmerTokenizer(4, 2)}) == 1


def test_non_string_input_rejected() -> None:
    with pytest.raises(InputFormatError):
        KmerTokenizer().encode(123)  # type: ignore[arg-type]
    with pytest.raises(InputFormatError):
        KmerTokenizer().encode_batch([1, 2])  # type: ignore[list-item]


def test_bytes_input_same_as_str() -> None:
    tok = KmerTokenizer(k=3)
    assert tok.encode(b"ACGTNacgt").tolist() == tok.encode("ACGTNacgt").tolist()


# --------------------------------------------------------------------- batch
def expected_batch(tok: KmerTokenizer, seqs: list[str], special: bool, max_length: int | None):
    rows = []
    for s in seqs:
        ids = slow_ids(s, tok.k, tok.stride)
        if max_length is not None:
            ids = ids[: max_length - (2 if special else 0)]
        rows.append([2, *ids, 3] if special else ids)
    n_cols = max_length if max_length is not None else max((len(r) for r in rows), default=0)
    ids = np.zeros((len(seqs), n_cols), dtype=np.int64)
    mask = np.zeros((len(seqs), n_cols), dtype=bool)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = True
    return ids, mask


@pytest.mark.parametrize("special", [True, False])
@pytest.mark.parametrize("max_length", [None, 2, 5, 30])
@pytest.mark.parametrize("equal", [True, False])
@pytest.mark.parametrize(("k", "stride"), [(3, 1), (4, 2), (6, 1), (8, 3)])
def test_encode_batch(special: bool, max_length: int | None, equal: bool, k: int, stride: int) -> None:
    rng = random.Random(7)
    lengths = [25] * 5 if equal else [25, 0, 3, 40, k, 11]
    seqs = [random_seq(rng, n, "ACGTacgtNR") for n in lengths]
    tok = KmerTokenizer(k=k, stride=stride)
    if special is False and max_length == 2:
        max_length = 1
    ids, mask = tok.encode_batch(seqs, add_special_tokens=special, max_length=max_length)
    want_ids, want_mask = expected_batch(tok, seqs, special, max_length)
    assert ids.dtype == np.int64 and mask.dtype == bool
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_array_equal(mask, want_mask)
    assert (ids[~mask] == tok.pad_id).all()


def test_encode_batch_edge_cases() -> None:
    tok = KmerTokenizer(k=3)
    ids, mask = tok.encode_batch([])
    assert ids.shape == mask.shape == (0, 0)
    ids, mask = tok.encode_batch([], max_length=8)
    assert ids.shape == (0, 8)
    ids, mask = tok.encode_batch(["AC", "A"])  # shorter than k: just [CLS] [SEP]
    assert ids.tolist() == [[2, 3], [2, 3]]
    assert mask.all()
    ids, _ = tok.encode_batch(("ACGT", "TTTT"))  # any sequence type
    assert ids.tolist() == [[2, 11, 32, 3], [2, 68, 68, 3]]
    with pytest.raises(ConfigError):
        tok.encode_batch(["ACGT"], max_length=1)
    with pytest.raises(ConfigError):
        tok.encode_batch(["ACGT"], add_special_tokens=False, max_length=0)


def test_encode_batch_truncation_keeps_cls_and_sep() -> None:
    tok = KmerTokenizer(k=2)
    ids, mask = tok.encode_batch(["ACGTACGT", "AC"], max_length=4)
    assert ids.tolist() == [[2, 6, 11, 3], [2, 6, 3, 0]]
    assert mask.tolist() == [[True] * 4, [True, True, True, False]]


# -------------------------------------------------------------------- decode
@settings(max_examples=50, deadline=None)
@given(
    k=st.integers(1, 9),
    data=st.data(),
)
def test_decode_encode_round_trip(k: int, data: st.DataObject) -> None:
    stride = data.draw(st.integers(1, k))
    n_steps = data.draw(st.integers(0, 30))
    seq = data.draw(st.text("ACGTacgt", min_size=k + n_steps * stride, max_size=k + n_steps * stride))
    tok = KmerTokenizer(k=k, stride=stride)
    assert tok.decode(tok.encode(seq)) == seq.upper()


def test_decode_unknown_and_special_tokens() -> None:
    tok = KmerTokenizer(k=3, stride=1)
    assert tok.decode(tok.encode("ACNGT")) == "NNNNN"  # every 3-mer holds the N
    assert tok.decode(tok.encode("ACGTNA")) == "ACGTNN"
    ids, _ = tok.encode_batch(["ACGTA"], max_length=8)
    assert tok.decode(ids[0]) == "ACGTA"  # [CLS]/[SEP] and the row's padding dropped
    # a [MASK] (or inner [PAD]) holds one k-mer's place, like [UNK]: the bases after it keep theirs
    masked = tok.encode("ACGTTGCA")
    masked[2] = tok.mask_id
    assert tok.decode(masked) == "ACGTTGCA"  # its bases covered by the k-mers either side
    assert tok.decode([5, 0, 5]) == "AAAAA" and tok.decode([5, 4, 4, 4, 5]) == "AAANAAA"
    assert tok.decode([0, 0, 2, 5, 6, 11, 3]) == tok.decode([2, 5, 6, 11, 3, 0, 0]) == "AAACG"  # left padding
    assert tok.decode([]) == ""
    assert tok.decode(np.array([1])) == "NNN"
    non_overlapping = KmerTokenizer(k=2, stride=2)
    assert non_overlapping.decode(non_overlapping.encode("ACNTGG")) == "ACNNGG"


def test_decode_errors() -> None:
    with pytest.raises(ConfigError, match="stride"):
        KmerTokenizer(k=2, stride=3).decode([5, 6])
    tok = KmerTokenizer(k=2)
    with pytest.raises(InputFormatError, match="21"):
        tok.decode([5, 21])
    with pytest.raises(InputFormatError):
        tok.decode([[5, 6]])
    with pytest.raises(InputFormatError):
        tok.decode([5.0])


# ----------------------------------------------------------- serialisation
def test_to_dict_from_dict_and_spec() -> None:
    tok = KmerTokenizer(k=5, stride=2)
    d = tok.to_dict()
    assert d == {"type": "kmer", "version": 1, "k": 5, "stride": 2}
    assert json.loads(json.dumps(d)) == d
    assert KmerTokenizer.from_dict(d) == tok
    assert tokenizer_from_spec(d) == tok
    assert tokenizer_from_spec(OneHotEncoder().to_dict()) == OneHotEncoder()


def test_save_load_round_trip(tmp_path) -> None:
    tok = KmerTokenizer(k=4, stride=3)
    path = tmp_path / "sub" / "tokenizer.json"
    tok.save(path)
    assert json.loads(path.read_text())["type"] == "kmer"
    assert KmerTokenizer.load(path) == tok
    assert [p.name for p in path.parent.iterdir()] == ["tokenizer.json"]  # no temp files left


@pytest.mark.parametrize(
    ("d", "match"),
    [
        ({"type": "kmer", "k": 3, "stride": 1, "strid": 2}, "'strid'"),
        ({"type": "onehot", "k": 3}, "type"),
        ({"k": 3}, "type"),
        ({"type": "kmer", "version": 99, "k": 3}, "version"),
        ({"type": "kmer", "k": 30}, "k"),
        (["kmer"], "object"),
    ],
)
def test_from_dict_errors(d, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        KmerTokenizer.from_dict(d)


def test_tokenizer_from_spec_errors() -> None:
    with pytest.raises(ConfigError, match="bpe"):
        tokenizer_from_spec({"type": "bpe"})
    with pytest.raises(ConfigError, match="'extra'"):
        tokenizer_from_spec({"type": "onehot", "extra": 1})


def test_load_errors_name_the_file(tmp_path) -> None:
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    with pytest.raises(ConfigError, match="bad.json"):
        KmerTokenizer.load(bad_json)
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"type": "kmer", "k": 3, "colour": "red"}))
    with pytest.raises(ConfigError, match=r"unknown\.json.*'colour'"):
        KmerTokenizer.load(unknown)


@pytest.mark.parametrize(("k", "stride"), [(6, 1), (4, 2), (3, 3), (5, 2)])
def test_decode_recovers_every_base_a_known_kmer_covers(k: int, stride: int) -> None:
    rng = np.random.default_rng(k * 10 + stride)
    tok = KmerTokenizer(k=k, stride=stride)
    for _ in range(50):
        n = k + stride * int(rng.integers(0, 12))
        seq = "".join(rng.choice(list("ACGTN"), n, p=[0.23, 0.23, 0.23, 0.23, 0.08]))
        ids = tok.encode(seq)
        # slow reference: a base is known when some k-mer covering it holds no N
        expected = [
            b
            if any("N" not in seq[s : s + k] for s in range(0, n - k + 1, stride) if s <= i < s + k)
            else "N"
            for i, b in enumerate(seq)
        ]
        assert tok.decode(ids) == "".join(expected)


def test_loading_a_missing_or_binary_tokenizer_file_is_a_typed_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="nofile.json: cannot read the tokenizer file"):
        KmerTokenizer.load(tmp_path / "nofile.json")
    binary = tmp_path / "tok.json"
    binary.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(ConfigError, match="tok.json: not a tokenizer file"):
        KmerTokenizer.load(binary)


def test_encode_batch_takes_one_string_as_one_sequence() -> None:
    from genoseq import KmerTokenizer, OneHotEncoder

    tok = KmerTokenizer(k=3)
    for a, b in zip(tok.encode_batch("ACGTA"), tok.encode_batch(["ACGTA"]), strict=True):
        np.testing.assert_array_equal(a, b)
    assert OneHotEncoder().encode_batch("ACGT").shape == (1, 4, 4)
