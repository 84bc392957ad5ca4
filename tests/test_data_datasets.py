"""SequenceDataset: per-batch encoding with the models' encoder, RC augmentation, DataLoader use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from genoseq.data import SequenceDataset, collate_batch, load_table
from genoseq.tokenize import KmerTokenizer, OneHotEncoder, reverse_complement


def _table(tmp_path: Path):  # noqa: ANN202
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 12)) for _ in range(10)]
    rows = "".join(f"{s},{i % 2},{i / 10}\n" for i, s in enumerate(seqs))
    path = tmp_path / "t.csv"
    path.write_text("sequence,label,feature_x\n" + rows)
    return load_table(path), seqs


def test_batches_are_the_models_encoding(tmp_path: Path) -> None:
    table, seqs = _table(tmp_path)
    onehot = OneHotEncoder()
    ds = SequenceDataset.from_table(table, onehot.to_dict())
    batch = ds.__getitems__([3, 0, 7])
    np.testing.assert_array_equal(batch["x"], onehot.encode_batch([seqs[3], seqs[0], seqs[7]]))
    np.testing.assert_array_equal(batch["y"], [1, 0, 1])
    np.testing.assert_allclose(batch["features"][:, 0], [0.3, 0.0, 0.7])
    kmer = KmerTokenizer(3, 1)
    ids, mask = kmer.encode_batch([seqs[2]], add_special_tokens=True)
    kb = SequenceDataset.from_table(table, kmer.to_dict()).__getitems__([2])
    np.testing.assert_array_equal(kb["x"], ids)
    np.testing.assert_array_equal(kb["mask"], mask)


def test_reverse_complement_augmentation(tmp_path: Path) -> None:
    table, seqs = _table(tmp_path)
    onehot = OneHotEncoder()
    ds = SequenceDataset.from_table(table, onehot.to_dict(), rc_augment=True, seed=3)
    flips = []
    for epoch in range(2):
        ds.set_epoch(epoch)
        x = ds.__getitems__(list(range(10)))["x"]
        flipped = []
        for i, s in enumerate(seqs):
            if np.array_equal(x[i], onehot.encode_batch([s])[0]):
                flipped.append(False)
            else:
                np.testing.assert_array_equal(x[i], onehot.encode_batch([reverse_complement(s)])[0])
                flipped.append(True)
        flips.append(flipped)
        ds.set_epoch(epoch)  # the same epoch flips the same rows
        np.testing.assert_array_equal(ds.__getitems__(list(range(10)))["x"], x)
    assert any(flips[0]) and not all(flips[0])
    assert flips[0] != flips[1]
    np.testing.assert_array_equal(table.sequences[0], np.frombuffer(seqs[0].encode(), np.uint8))  # untouched


def test_dataloader_with_batch_sampler(tmp_path: Path) -> None:
    table, _ = _table(tmp_path)
    ds = SequenceDataset.from_table(table, OneHotEncoder().to_dict())
    loader = DataLoader(ds, batch_sampler=[[0, 1, 2], [5, 9]], collate_fn=collate_batch)
    batches = list(loader)
    assert [b["x"].shape for b in batches] == [torch.Size([3, 12, 4]), torch.Size([2, 12, 4])]
    assert batches[1]["y"].dtype == torch.int64 and batches[1]["x"].dtype == torch.float32
    assert len(ds) == 10 and ds.n_outputs == 1 and ds.length == 12
