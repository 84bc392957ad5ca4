"""Benchmark the tokenizers against baselines measured in the same run.

Run: ``python benchmarks/bench_tokenize.py [--mbp 10] [--repeats 5]``

Prints, for k=6 / stride 1 k-mer tokenisation of one long sequence and of a
batch of 10,000 × 1000 bp:

* speed-up over a naive Python loop (slice + dict lookup per position, timed on
  a 200 kbp slice and scaled per base) — target ≥ 30×;
* time relative to a single NumPy byte-table lookup over the same bases
  (``table[np.frombuffer(seq, np.uint8)]`` with an ``int64`` table, i.e. the same
  output size as the k-mer ids) — target ≤ 2×;

and the throughput of ``OneHotEncoder.encode_array`` on 20,000 × 1000 bp.
Timings are the best of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable

import numpy as np

from genoseq.tokenize import KmerTokenizer, OneHotEncoder, sequences_to_array


def best_of(fn: Callable[[], object], repeats: int) -> float:
    """Best wall time of ``repeats`` calls, in seconds."""
    return compare({"fn": fn}, repeats)["fn"]


def compare(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Best wall time of each function, in seconds, calling them in turn so
    that load from other processes affects all of them alike."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def naive_kmer_ids(seq: str, k: int, vocab: dict[str, int]) -> list[int]:
    """The obvious loop: one slice and one dict lookup per position."""
    return [vocab.get(seq[i : i + k], 1) for i in range(len(seq) - k + 1)]


def random_dna(rng: np.random.Generator, n: int) -> str:
    """``n`` random bases with about 0.1% N."""
    arr = rng.choice(np.frombuffer(b"ACGT", dtype=np.uint8), size=n)
    arr[rng.random(n) < 0.001] = ord("N")
    return arr.tobytes().decode("ascii")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mbp", type=float, default=10.0, help="long-sequence length in Mbp")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    k = 6
    tok = KmerTokenizer(k=k)
    vocab = {"".join(p): 5 + i for i, p in enumerate(itertools.product("ACGT", repeat=k))}
    table = np.arange(256, dtype=np.int64)
    table8 = np.arange(256, dtype=np.uint8)

    def report(label: str, n_bases: int, times: dict[str, float], t_naive_per_base: float) -> None:
        naive = t_naive_per_base * n_bases
        t_tok, t_table, t_table8 = times["tokenizer"], times["table_int64"], times["table_uint8"]
        print(f"{label}:")
        print(f"  KmerTokenizer           {t_tok * 1e3:9.1f} ms  ({n_bases / t_tok / 1e6:7.1f} Mbp/s)")
        print(f"  byte-table lookup int64 {t_table * 1e3:9.1f} ms  (same output size as the ids)")
        print(f"  byte-table lookup uint8 {t_table8 * 1e3:9.1f} ms  (for reference)")
        print(f"  naive loop (scaled)     {naive * 1e3:9.1f} ms")
        print(f"  speed-up vs naive loop:           {naive / t_tok:7.1f}x   (target >= 30x)")
        print(f"  time / int64 byte-table lookup:   {t_tok / t_table:7.2f}x   (target <= 2x)")
        print(f"  time / uint8 byte-table lookup:   {t_tok / t_table8:7.2f}x")

    # naive loop, timed on a slice and scaled per base
    n_long = int(args.mbp * 1e6)
    seq = random_dna(rng, n_long)
    piece = seq[:200_000]
    assert naive_kmer_ids(piece, k, vocab) == tok.encode(piece).tolist()
    t_naive = best_of(lambda: naive_kmer_ids(piece, k, vocab), max(1, args.repeats // 2)) / len(piece)

    # long sequence
    data = seq.encode("ascii")
    times = compare(
        {
            "tokenizer": lambda: tok.encode(seq),
            "table_int64": lambda: table[np.frombuffer(data, dtype=np.uint8)],
            "table_uint8": lambda: table8[np.frombuffer(data, dtype=np.uint8)],
        },
        args.repeats,
    )
    report(f"k={k} stride=1, one sequence of {n_long / 1e6:g} Mbp", n_long, times, t_naive)

    # batch of equal-length sequences
    n_seq, length = 10_000, 1000
    flat = random_dna(rng, n_seq * length)
    batch = [flat[i * length : (i + 1) * length] for i in range(n_seq)]
    flat_bytes = flat.encode("ascii")
    times = compare(
        {
            "tokenizer": lambda: tok.encode_batch(batch),
            "table_int64": lambda: table[np.frombuffer(flat_bytes, dtype=np.uint8)],
            "table_uint8": lambda: table8[np.frombuffer(flat_bytes, dtype=np.uint8)],
        },
        args.repeats,
    )
    label = f"k={k} stride=1, encode_batch of {n_seq:,} x {length} bp (with [CLS]/[SEP], mask)"
    report(label, n_seq * length, times, t_naive)

    # one-hot fast path
    n_seq = 20_000
    flat = random_dna(rng, n_seq * length)
    arr = sequences_to_array([flat[i * length : (i + 1) * length] for i in range(n_seq)])
    enc = OneHotEncoder()
    t_onehot = best_of(lambda: enc.encode_array(arr), args.repeats)
    print(f"OneHotEncoder.encode_array, {n_seq:,} x {length} bp float32:")
    print(f"  {t_onehot * 1e3:9.1f} ms  ({n_seq / t_onehot:,.0f} seq/s; target well above 20,000 seq/s)")


if __name__ == "__main__":
    main()
