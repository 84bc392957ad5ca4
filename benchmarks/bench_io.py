"""FASTA reading throughput: genoseq.io.read_fasta vs pysam.FastxFile vs Biopython, plus Reference.fetch.

Usage: python benchmarks/bench_io.py [--mbp 100] [--records 1000] [--repeats 3]

Writes a random multi-record FASTA (60-column lines) to a temporary directory,
times each reader (best of ``--repeats``, the readers interleaved in every round
so that load from other processes hits them alike), and prints the throughput
and the two ratios the project targets (>= 0.9x pysam, >= 4x Biopython).  Peak
Python memory while streaming shows that one record is held at a time.  Last,
a small window is fetched from one large contig through the index.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pysam
from Bio.SeqIO.FastaIO import SimpleFastaParser

from genoseq.io import Reference, read_fasta


def write_random_fasta(path: Path, n_records: int, record_len: int, seed: int = 0, width: int = 60) -> None:
    rng = np.random.default_rng(seed)
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)
    with open(path, "wb") as fh:
        for i in range(n_records):
            seq = bases[rng.integers(0, 4, record_len)].tobytes()
            fh.write(b">rec%d benchmark record\n" % i)
            fh.write(b"\n".join(seq[j : j + width] for j in range(0, record_len, width)))
            fh.write(b"\n")


def ours(path: Path) -> int:
    return sum(len(r.sequence) for r in read_fasta(path))


def with_pysam(path: Path) -> int:
    with pysam.FastxFile(str(path)) as fh:
        return sum(len(r.sequence) for r in fh)


def with_biopython(path: Path) -> int:
    with open(path) as fh:
        return sum(len(seq) for _, seq in SimpleFastaParser(fh))


def best_times(readers: dict[str, Callable[[Path], int]], path: Path, repeats: int) -> dict[str, float]:
    best = dict.fromkeys(readers, float("inf"))
    expected = None
    for _ in range(repeats):
        for name, read in readers.items():
            t0 = time.perf_counter()
            n = read(path)
            best[name] = min(best[name], time.perf_counter() - t0)
            if expected is None:
                expected = n
            assert n == expected, f"{name} read {n} bases, expected {expected}"
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mbp", type=float, default=100.0, help="total size of the FASTA in Mbp")
    parser.add_argument("--records", type=int, default=1000, help="number of records")
    parser.add_argument("--repeats", type=int, default=3, help="timing rounds (best is kept)")
    args = parser.parse_args()

    total = int(args.mbp * 1e6)
    record_len = total // args.records
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.fa"
        write_random_fasta(path, args.records, record_len)
        bases = args.records * record_len
        print(f"FASTA: {args.records} records x {record_len:,} bp = {bases / 1e6:.0f} Mbp, 60-column lines")

        best = best_times(
            {
                "genoseq read_fasta": ours,
                "pysam FastxFile": with_pysam,
                "Biopython SimpleFastaParser": with_biopython,
            },
            path,
            args.repeats,
        )
        for name, seconds in best.items():
            print(f"  {name:<28} {seconds:7.3f} s  {bases / seconds / 1e9:6.2f} Gbp/s")
        mine = best["genoseq read_fasta"]
        print(f"  ratio vs pysam:     {best['pysam FastxFile'] / mine:5.2f}x  (target >= 0.9x)")
        print(f"  ratio vs Biopython: {best['Biopython SimpleFastaParser'] / mine:5.2f}x  (target >= 4x)")

        tracemalloc.start()
        ours(path)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"  read_fasta peak traced memory: {peak / 1e6:.1f} MB for a {path.stat().st_size / 1e6:.0f} MB file"
            f" (one {record_len / 1e3:.0f} kbp record at a time)"
        )

        big = Path(tmp) / "one_contig.fa"
        contig_len = max(total // 2, 1_000_000)
        write_random_fasta(big, 1, contig_len, seed=1)
        t0 = time.perf_counter()
        with Reference(big) as ref:
            index_s = time.perf_counter() - t0
            rng = np.random.default_rng(2)
            starts = rng.integers(0, contig_len - 1000, 2000)
            t0 = time.perf_counter()
            for s in starts:
                ref.fetch("rec0", int(s), int(s) + 1000)
            per_fetch = (time.perf_counter() - t0) / len(starts)
            tracemalloc.start()
            window = ref.fetch("rec0", contig_len // 2, contig_len // 2 + 1000)
            fetch_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert len(window) == 1000
        print(
            f"Reference: {contig_len / 1e6:.0f} Mbp contig, .fai built in {index_s:.2f} s;"
            f" fetch of 1 kbp: {per_fetch * 1e6:.0f} us, peak traced memory {fetch_peak / 1e3:.1f} kB"
        )


if __name__ == "__main__":
    main()
