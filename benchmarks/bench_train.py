"""Training and data-pipeline throughput (CPU; GPU too when CUDA is available).

Three measurements, all on random sequences made in this run:

1. **Data pipeline alone** -- read a CSV of 1000-bp sequences (``load_table``),
   then batch and one-hot encode it through the training DataLoader
   (``SequenceDataset`` + ``collate_batch``, batches of 256), no model. The
   target is 20,000 sequences/s; the ratio to it is printed.
2. **Training** -- :func:`genoseq.train.fit` for two epochs of each default
   model (cnn-lstm, transformer) at 200 and 1000 bp; the samples/s of the
   second epoch's training steps (the loop's own figure, data loading included).
3. **Inference** -- ``Predictor.predict_array(strand="forward")`` on the same
   sequences, sequences/s; printed with its ratio to the training rate.

Each transformer row is followed by the same model with dropout on its attention weights
(``attention_dropout=0.1``, the default before session 11), and the ratio of the two training
rates: dropping attention weights makes torch leave its fused attention kernel.

Run ``python benchmarks/bench_train.py [--threads N] [--quick] [--device auto|cpu|cuda]``; the
default run takes about half a minute on two CPU cores. On CUDA each model and length runs at the
CLI's default batch size (64) and at 512, with the precision ``--precision auto`` picks.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from genoseq.data import SequenceDataset, collate_batch, load_table
from genoseq.models import build_model, default_config, encoding_spec
from genoseq.predict import Predictor
from genoseq.tokenize import OneHotEncoder
from genoseq.train import TrainConfig, fit
from genoseq.train.config import MODEL_TRAIN_DEFAULTS
from genoseq.train.run import SEQUENCE_MODEL_DEFAULTS

TARGET = 20_000  # one-hot 1000-bp sequences per second through the data pipeline

#: (model, length) -> (sequences, batch size) on CPU, sized for a few seconds each on two cores
#: (the transformer's attention over ~1000 tokens is the slow one).
SIZES = {
    ("cnn-lstm", 200): (512, 64),
    ("cnn-lstm", 1000): (128, 32),
    ("transformer", 200): (128, 32),
    ("transformer", 1000): (64, 16),
}
#: on CUDA: (model, length) -> sequences; each runs at the CLI's default batch size (64) and a large one
GPU_SIZES = {
    ("cnn-lstm", 200): 16384,
    ("cnn-lstm", 1000): 4096,
    ("transformer", 200): 8192,
    ("transformer", 1000): 2048,
}
GPU_BATCHES = (64, 512)


def random_sequences(n: int, length: int, seed: int) -> np.ndarray:
    """uint8 (n, length) random A/C/G/T."""
    rng = np.random.default_rng(seed)
    return np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, (n, length))]


def bench_pipeline(n: int, workers: int) -> None:
    arr = random_sequences(n, 1000, 0)
    labels = np.arange(n) % 2
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seqs.csv"
        lines = (row.tobytes().decode() + f",{y}\n" for row, y in zip(arr, labels, strict=True))
        path.write_text("sequence,label\n" + "".join(lines))
        start = time.perf_counter()
        table = load_table(path)
        t_read = time.perf_counter() - start
    dataset = SequenceDataset.from_table(table, OneHotEncoder().to_dict())
    batches = [list(range(i, min(i + 256, n))) for i in range(0, n, 256)]
    loader = DataLoader(dataset, batch_sampler=batches, collate_fn=collate_batch, num_workers=workers)
    start = time.perf_counter()
    seen = 0
    for batch in loader:
        assert batch["x"].shape[1:] == (1000, 4)
        seen += batch["x"].shape[0]
    t_batch = time.perf_counter() - start
    total = n / (t_read + t_batch)
    print(
        f"pipeline (1000 bp, {n} seqs, {workers} workers): read {n / t_read:,.0f}/s, "
        f"encode+batch {seen / t_batch:,.0f}/s, together {total:,.0f} seqs/s = {total / TARGET:.2f} x target {TARGET:,}"
    )


#: model -> (label, config overrides) of a baseline timed after each of its rows in the same run
BASELINES = {"transformer": ("attention_dropout=0.1", {"attention_dropout": 0.1})}


def bench_model(
    name: str, length: int, n: int, batch_size: int, device: str, extra: dict | None = None
) -> float:
    """Print (and return) the training samples/s of model ``name``, then its inference rate."""
    torch.manual_seed(0)
    arr = random_sequences(n, length, 1)
    labels = np.arange(n) % 2
    # what `genoseq train` builds by default
    overrides = {**SEQUENCE_MODEL_DEFAULTS.get(name, {}), **(extra or {})}
    config = default_config(name, input_length=length, n_outputs=1, task="binary", **overrides)
    spec = encoding_spec(name, config)
    encode_spec = dict(spec)
    from genoseq.data.encoding import encode_for_model

    def encode(a: np.ndarray) -> dict[str, np.ndarray]:
        return encode_for_model(encode_spec, a, input_length=length)

    train = SequenceDataset(arr, labels, task="binary", encode=encode, n_classes=2)
    valid = SequenceDataset(arr[:batch_size], labels[:batch_size], task="binary", encode=encode, n_classes=2)
    model = build_model(name, config)
    train_config = TrainConfig(
        epochs=2,
        batch_size=batch_size,
        device=device,
        patience=0,
        rc_augment=False,
        **MODEL_TRAIN_DEFAULTS.get(name, {}),
    )
    with tempfile.TemporaryDirectory() as tmp:
        result = fit(model, train, valid, train_config, out_dir=tmp)
    train_rate = result.history[-1]["samples_per_s"]
    predictor = Predictor(
        model.eval(),
        encoding=spec,
        input_length=length,
        task="binary",
        classes=["0", "1"],
        device=result.device,
    )
    predictor.predict_array(arr[:batch_size], strand="forward", batch_size=4 * batch_size)  # warm-up
    start = time.perf_counter()
    predictor.predict_array(arr, strand="forward", batch_size=4 * batch_size)
    infer_rate = n / (time.perf_counter() - start)
    label = name if not extra else f"  {','.join(f'{k}={v}' for k, v in extra.items())}\n{'':11s}"
    print(
        f"{label:11s} {length:5d} bp on {result.device} ({result.precision}): training {train_rate:9,.0f} samples/s, "
        f"inference {infer_rate:9,.0f} seqs/s ({infer_rate / train_rate:.1f} x training)"
    )
    return train_rate


def bench_with_baseline(name: str, length: int, n: int, batch_size: int, device: str) -> None:
    """:func:`bench_model`, then its baseline (:data:`BASELINES`) and the training-rate ratio."""
    rate = bench_model(name, length, n, batch_size, device)
    if name in BASELINES:
        what, extra = BASELINES[name]
        base = bench_model(name, length, n, batch_size, device, extra)
        print(f"{'':11s} default / {what}: {rate / base:.2f} x training samples/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)"
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda"],
        default="auto",
        help="auto: CPU, then CUDA too when available (default); cpu or cuda: that one only",
    )
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no CUDA GPU here")
    logging.basicConfig(level=logging.WARNING)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    scale = 4 if args.quick else 1
    bench_pipeline(40_000 // scale, workers=0)
    if args.device in ("auto", "cpu"):
        for (name, length), (n, batch_size) in SIZES.items():
            bench_with_baseline(name, length, max(batch_size, n // scale), batch_size, "cpu")
    if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()):
        print(f"GPU: {torch.cuda.get_device_name(0)}")
        for (name, length), n in GPU_SIZES.items():
            for batch_size in GPU_BATCHES:
                bench_with_baseline(name, length, n // scale, batch_size, "cuda")


if __name__ == "__main__":
    main()
