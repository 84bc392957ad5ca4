"""Cost of checking numeric INFO values as text in ``genoseq.read_vcf`` (``check_numbers=``).

Usage: python benchmarks/bench_vcf_info.py [--records 20000] [--fields 60] [--repeats 3]

htslib reads the number an Integer/Float INFO value starts with (``DP=1e3`` as 1), so genoseq
checks the text of the fields a caller reads. This writes a VCF of ``--records`` SNVs with
``--fields`` numeric INFO fields (half Integer, half Float), times ``read_vcf`` with no field
checked (the baseline: what a sequence classifier's ``score-variants`` does), with two fields
checked (a variant-risk model's ``--info-features``) and with every field checked (the default
of ``read_vcf``), best of ``--repeats`` rounds interleaved, and prints the ratios to the baseline.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from genoseq.io import read_vcf


def write_vcf(path: Path, n_records: int, n_fields: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    keys = [f"F{i}" for i in range(n_fields)]
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr1,length=1000000000>"]
    for i, key in enumerate(keys):
        kind = "Integer" if i % 2 else "Float"
        lines.append(f'##INFO=<ID={key},Number=1,Type={kind},Description="benchmark field">')
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    ints = rng.integers(0, 100_000, (n_records, n_fields))
    floats = rng.random((n_records, n_fields))
    for r in range(n_records):
        info = ";".join(
            f"{key}={ints[r, i]}" if i % 2 else f"{key}={floats[r, i]:.5g}" for i, key in enumerate(keys)
        )
        lines.append(f"chr1\t{r + 1}\t.\tA\tC\t.\tPASS\t{info}")
    path.write_text("\n".join(lines) + "\n")
    return keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--fields", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wide.vcf"
        keys = write_vcf(path, args.records, args.fields)
        runs = {"none checked (baseline)": False, "2 fields checked": keys[:2], "all fields checked": True}
        best = dict.fromkeys(runs, float("inf"))
        for _ in range(args.repeats):
            for name, check in runs.items():
                t0 = time.perf_counter()
                n = sum(1 for _ in read_vcf(path, check_numbers=check))
                best[name] = min(best[name], time.perf_counter() - t0)
                assert n == args.records
    base = best["none checked (baseline)"]
    print(f"read_vcf, {args.records:,} records x {args.fields} numeric INFO fields (best of {args.repeats})")
    for name, seconds in best.items():
        print(
            f"  {name:<26} {seconds:6.3f} s  {seconds / args.records * 1e6:6.1f} us/record  {seconds / base:4.2f}x"
        )


if __name__ == "__main__":
    main()
