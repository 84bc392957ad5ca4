"""Prediction throughput of the default models on CPU, relative to a bare forward pass.

For each architecture (default config, 200 bp input, random weights) this
times, on the same random windows and in the same run:

* baseline -- ``model(x)`` on tensors encoded beforehand (the floor);
* ``Predictor.predict_array(strand="forward")`` -- encoding + forward + sigmoid;
* ``Predictor.predict_array(strand="both")`` -- both strands, one model call;
* ``Predictor.predict`` on 1 kb strings (sliding windows, both strands).

It prints windows per second and the ratios to the baseline. Run:
``python benchmarks/bench_predict.py [--n 2048] [--threads 2]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from _timing import best_of

from genoseq.data.encoding import encode_for_model, to_torch
from genoseq.models import build_model, default_config, encoding_spec
from genoseq.predict import Predictor, window_starts

LENGTH = 200


def bench_model(name: str, arr: np.ndarray, long_seqs: list[str], bs: int) -> None:
    """Time one architecture's default model and print windows/s and ratios to the bare forward pass."""
    n = arr.shape[0]
    torch.manual_seed(0)
    config = default_config(name, input_length=LENGTH, n_outputs=1, task="binary")
    model = build_model(name, config).eval()
    spec = encoding_spec(name, config)
    predictor = Predictor(
        model, encoding=spec, input_length=LENGTH, task="binary", classes=["0", "1"], device="cpu"
    )
    batches = [
        to_torch(encode_for_model(spec, arr[i : i + bs], input_length=LENGTH)) for i in range(0, n, bs)
    ]

    def bare() -> None:
        with torch.inference_mode():
            for b in batches:
                model(b["x"], b.get("mask"))

    t_base = best_of(bare)
    t_fwd = best_of(lambda: predictor.predict_array(arr, strand="forward", batch_size=bs))
    t_both = best_of(lambda: predictor.predict_array(arr, strand="both", batch_size=bs))
    n_windows = sum(window_starts(len(s), LENGTH).size for s in long_seqs)
    t_long = best_of(lambda: predictor.predict(long_seqs, batch_size=bs), repeats=1)
    print(f"\n{name}: {sum(p.numel() for p in model.parameters()):,} parameters")
    print(f"  bare forward (pre-encoded)   {n / t_base:9.0f} windows/s   1.00x")
    print(f"  predict_array forward strand {n / t_fwd:9.0f} windows/s   {t_fwd / t_base:.2f}x baseline time")
    print(
        f"  predict_array both strands   {n / t_both:9.0f} windows/s   {t_both / t_base:.2f}x baseline time"
    )
    print(
        f"  predict 1 kb strings (both)  {n_windows / t_long:9.0f} windows/s   "
        f"{(t_long / n_windows) / (t_base / n):.2f}x baseline time per window"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2048, help="windows per timing")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    arr = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, size=(args.n, LENGTH))]
    long_seqs = ["".join(rng.choice(list("ACGT"), size=1000)) for _ in range(args.n // 9)]
    bs = args.batch_size
    print(f"{args.n} windows of {LENGTH} bp, batch {bs}, {args.threads} threads, torch {torch.__version__}")
    for name in ("cnn-lstm", "transformer"):
        bench_model(name, arr, long_seqs, bs)


if __name__ == "__main__":
    main()
