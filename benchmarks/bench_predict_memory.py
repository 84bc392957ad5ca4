"""Peak memory of ``genoseq predict`` on a FASTA as the file grows: it should not grow with it.

``genoseq predict`` streams a FASTA/FASTQ input in chunks (65,536 records or 16 Mbp, whichever comes
first): each chunk is read, scored and appended to the output before the next. This measures the
peak resident memory of the whole command, each run in a fresh process, on random 200-bp records
with a small CNN-LSTM (the model's size is not the point; the input's is):

* baseline -- one record (the interpreter, torch and the model);
* ``--n`` records, and ``--scale`` times as many.

It prints each peak and the ratios to the baseline; with bounded memory the two larger runs stay
close to each other whatever ``--scale`` is. Run:
``python benchmarks/bench_predict_memory.py [--n 50000] [--scale 8] [--threads 2]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CHILD = """
import resource, sys, torch
torch.set_num_threads(int(sys.argv[1]))
from genoseq.cli import main
main(sys.argv[2:], standalone_mode=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def write_fasta(path: Path, n: int, length: int = 200, seed: int = 0) -> None:
    """``n`` random ACGT records of ``length`` bases."""
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    with path.open("w") as fh:
        for start in range(0, n, 10_000):
            block = rng.choice(letters, size=(min(10_000, n - start), length))
            fh.write("".join(f">r{start + i}\n{row.tobytes().decode()}\n" for i, row in enumerate(block)))


def save_model(path: Path) -> None:
    import torch

    from genoseq.modeldir import save_model_dir
    from genoseq.models import build_model, default_config, encoding_spec

    torch.manual_seed(0)
    config = default_config(
        "cnn-lstm",
        input_length=200,
        n_outputs=1,
        task="binary",
        conv_filters=16,
        lstm_hidden=8,
        head_hidden=8,
    )
    save_model_dir(
        path,
        build_model("cnn-lstm", config),
        model_name="cnn-lstm",
        model_config=config,
        task="binary",
        classes=["0", "1"],
        encoding=encoding_spec("cnn-lstm", config),
        input_length=200,
    )


def peak_rss_mb(model: Path, fasta: Path, out: Path, threads: int) -> tuple[float, float]:
    """Peak RSS (MB) and wall time (s) of ``genoseq predict MODEL FASTA -o OUT`` in a fresh process."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(threads), "predict", str(model), str(fasta), "-o", str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    return int(result.stdout.split()[-1]) / 1024, wall  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="records in the smaller file")
    parser.add_argument("--scale", type=int, default=8, help="the larger file has n * scale records")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        save_model(work / "model")
        rows = []
        for label, n in (("baseline (1 record)", 1), (f"{args.n:,} records", args.n),
                         (f"{args.n * args.scale:,} records", args.n * args.scale)):  # fmt: skip
            fasta = work / f"in{n}.fa"
            write_fasta(fasta, n)
            mb, wall = peak_rss_mb(work / "model", fasta, work / f"out{n}.parquet", args.threads)
            rows.append((label, n, mb, wall))
            fasta.unlink()
        base = rows[0][2]
        print(f"{'input':>22} {'peak RSS MB':>12} {'x baseline':>11} {'wall s':>8}")
        for label, _, mb, wall in rows:
            print(f"{label:>22} {mb:12.0f} {mb / base:11.2f} {wall:8.1f}")
        small, large = rows[1][2], rows[2][2]
        print(f"growth from {args.n:,} to {args.n * args.scale:,} records: {large / small:.2f}x peak RSS "
              f"for {args.scale}x the records")  # fmt: skip


if __name__ == "__main__":
    main()
