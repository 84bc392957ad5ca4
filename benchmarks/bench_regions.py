"""``genoseq predict --regions`` against ``genoseq predict`` of the same sequences as a FASTA file.

Random 200-bp regions of the GRCh38 chr22 piece in ``../shared/data`` (half on each strand) are
scored with an untrained default CNN-LSTM (200-bp input, both strands) through
:func:`genoseq.regions.predict_regions_file` (BED parse, contig checks, one indexed fetch a region,
scoring, Parquet), and -- the baseline, in the same run -- their sequences, cut out beforehand and
written as FASTA, through :func:`genoseq.predict.predict_file`. Prints both wall times (best of
``--repeats``), the ratio, and whether the two tables' probabilities agree.

Run ``python benchmarks/bench_regions.py [--n 50000] [--threads 2] [--repeats 2]``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import polars as pl
import torch
from _timing import best_of

from genoseq.io import Reference
from genoseq.modeldir import save_model_dir
from genoseq.models import build_model, default_config, encoding_spec
from genoseq.predict import Predictor, predict_file
from genoseq.regions import predict_regions_file
from genoseq.train.run import SEQUENCE_MODEL_DEFAULTS

SHARED = Path(__file__).resolve().parents[2] / "shared"
PIECE = SHARED / "data" / "hg38_chr22_piece" / "chr22_32000000_32300000.fa"
LENGTH = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50_000, help="regions (default 50,000)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs of each; the best is kept")
    parser.add_argument(
        "--reference", type=Path, default=PIECE, help="reference FASTA (default: the chr22 piece)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ref_path = tmp / "ref.fa"  # a copy, so that its index is written here
        ref_path.write_bytes(args.reference.read_bytes())
        config = default_config(
            "cnn-lstm", input_length=LENGTH, n_outputs=1, task="binary", **SEQUENCE_MODEL_DEFAULTS["cnn-lstm"]
        )
        model_dir = save_model_dir(
            tmp / "model",
            build_model("cnn-lstm", config).eval(),
            model_name="cnn-lstm",
            model_config=config,
            task="binary",
            classes=["0", "1"],
            encoding=encoding_spec("cnn-lstm", config),
            input_length=LENGTH,
        )
        predictor = Predictor.load(model_dir, device="cpu")
        with Reference(ref_path) as ref:
            contig = ref.contigs[0]
            rng = np.random.default_rng(0)
            starts = rng.integers(0, ref.length(contig) - LENGTH, args.n)
            strands = np.where(rng.random(args.n) < 0.5, "+", "-")
            bed, fasta = tmp / "regions.bed", tmp / "regions.fa"
            with bed.open("w") as b, fasta.open("w") as f:
                for i, (s, st) in enumerate(zip(starts.tolist(), strands.tolist(), strict=True)):
                    b.write(f"{contig}\t{s}\t{s + LENGTH}\tr{i}\t0\t{st}\n")
                    f.write(f">r{i}\n{ref.fetch(contig, s, s + LENGTH, strand=st)}\n")
        out_regions, out_fasta = tmp / "regions.parquet", tmp / "fasta.parquet"
        t_regions = best_of(
            lambda: predict_regions_file(predictor, bed, ref_path, out_regions), args.repeats, warmup=False
        )
        t_fasta = best_of(lambda: predict_file(predictor, fasta, out_fasta), args.repeats)
        a, b = pl.read_parquet(out_regions), pl.read_parquet(out_fasta)
        same = a.get_column("name").equals(b.get_column("name")) and np.allclose(
            a.get_column("p_1").to_numpy(), b.get_column("p_1").to_numpy(), atol=1e-6
        )
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, {args.n:,} regions of {LENGTH} bp"
    )
    print(f"predict --regions BED --reference FA: {t_regions:6.2f} s ({args.n / t_regions:9,.0f} regions/s)")
    print(f"predict FASTA of the same sequences:  {t_fasta:6.2f} s ({args.n / t_fasta:9,.0f} records/s)")
    print(f"regions / FASTA time: {t_regions / t_fasta:.2f} x; same probabilities and names: {same}")


if __name__ == "__main__":
    main()
