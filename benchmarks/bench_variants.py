"""Variant-scoring throughput and memory (issue 4), each against a baseline measured in the same run.

Three measurements, all on random SNVs drawn on the GRCh38 chr22 piece in ``shared/data``
(the FASTA is copied to a temporary directory first; the VCF is sorted by position):

* **overhead** -- the default CNN-LSTM at L=200: wall time of ``score_variants`` and of
  ``score_vcf_to_files`` (Parquet, and Parquet + annotated VCF) for N SNVs, divided by the time of
  ``Predictor.predict_array`` alone on the same 2N windows (ref + alt, built beforehand, same strand
  setting). Target: at most 1.25x.
* **field** -- a tiny CNN-LSTM (conv 8 x 9 -> ReLU -> max-pool to 10 steps -> BiLSTM of 4 -> linear,
  the closest our registry gets to Selene's Conv1d(4, 8, 9) -> ReLU -> mean -> Linear(8, 1)) at L=1000:
  variants/s of ``score_vcf_to_files`` (TSV out, like Selene) with ``strand="forward"`` (like for like)
  and ``strand="both"``, against selene-sdk's ``variant_effect_prediction`` on the same VCF and FASTA,
  run through ``shared/bench/selene_baseline.sh`` (which builds Selene's own venv once; skipped with a
  message if that fails). Target: at least 5x Selene's variants/s (forward strand).
* **memory** -- ``score_vcf_to_files`` over ``--memory-n`` SNVs (tiny model, L=200, both strands) in a
  child process; its peak RSS comes from ``os.wait4`` (the child's own ``ru_maxrss``). Target: < 1.5 GB
  for 1,000,000 variants, output written batch by batch (Parquet row groups are counted).

Run ``python benchmarks/bench_variants.py`` (a few minutes; Selene's first venv build excluded), or
e.g. ``--only memory --memory-n 1000000`` for the full-size memory figure.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
from _timing import best_of

SHARED = Path(__file__).resolve().parents[2] / "shared"
DEFAULT_REFERENCE = SHARED / "data" / "hg38_chr22_piece" / "chr22_32000000_32300000.fa"
DEFAULT_SELENE = SHARED / "bench" / "selene_baseline.sh"
#: run order: memory first, while this process is still small (see :func:`bench_memory`)
SECTIONS = ("memory", "overhead", "field")
BASES = "ACGT"
#: the tiny CNN-LSTM: Selene's conv (8 filters of width 9), then the smallest LSTM our registry builds
TINY = {
    "conv_filters": 8,
    "conv_width": 9,
    "lstm_hidden": 4,
    "head_hidden": 0,
    "dropout": 0.0,
    "kmer_spectrum": 0,
}
OVERHEAD_TARGET = 1.25
FIELD_TARGET = 5.0
RSS_TARGET_MB = 1500.0
RSS_TARGET_N = 1_000_000


@dataclass(frozen=True)
class Row:
    """One line of the summary table."""

    what: str
    value: str
    baseline: str
    ratio: float | None
    target: str
    ok: bool | None


# ------------------------------------------------------------------------------------------ inputs


def write_snv_vcf(reference: Path, path: Path, n: int, margin: int, seed: int = 0) -> Path:
    """Write ``n`` random SNVs (REF from ``reference``, sorted by position) to a plain VCF.

    Positions are drawn with replacement among A/C/G/T bases at least ``margin`` bases from the
    contig's ends (so every window lies inside it); ALT is one of the three other bases.
    """
    from genoseq.io import Reference

    with Reference(reference) as ref:
        contig = ref.contigs[0]
        seq = np.frombuffer(ref.fetch(contig).upper().encode("ascii"), dtype=np.uint8)
    rng = np.random.default_rng(seed)
    ok = np.flatnonzero(np.isin(seq, np.frombuffer(b"ACGT", dtype=np.uint8)))
    ok = ok[(ok >= margin) & (ok < seq.size - margin)]
    starts = np.sort(rng.choice(ok, size=n, replace=True))
    ref_idx = np.searchsorted(np.frombuffer(b"ACGT", dtype=np.uint8), seq[starts])
    alt_idx = (ref_idx + rng.integers(1, 4, size=n)) % 4
    with open(path, "w") as fh:
        fh.write("##fileformat=VCFv4.2\n")
        fh.write(f"##contig=<ID={contig},length={seq.size}>\n")
        fh.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for lo in range(0, n, 100_000):  # in chunks, so that this process stays small
            rows = zip(*(a[lo : lo + 100_000].tolist() for a in (starts, ref_idx, alt_idx)), strict=True)
            fh.write("".join(f"{contig}\t{s + 1}\t.\t{BASES[r]}\t{BASES[a]}\t.\t.\t.\n" for s, r, a in rows))
    return path


def make_model_dir(out: Path, length: int, overrides: dict[str, object]) -> Path:
    """Save a randomly initialised binary CNN-LSTM (``overrides`` on the default config) to ``out``."""
    import torch

    from genoseq.modeldir import save_model_dir
    from genoseq.models import build_model, default_config, encoding_spec

    torch.manual_seed(0)
    config = default_config("cnn-lstm", input_length=length, n_outputs=1, task="binary", **overrides)
    model = build_model("cnn-lstm", config).eval()
    return save_model_dir(
        out,
        model,
        model_name="cnn-lstm",
        model_config=config,
        task="binary",
        classes=["0", "1"],
        encoding=dict(encoding_spec("cnn-lstm", config)),
        input_length=length,
    )


def tiny_config(length: int, steps: int) -> dict[str, object]:
    """Overrides of the tiny CNN-LSTM at input length ``length``: pooled to ``steps`` LSTM steps."""
    return {**TINY, "pool_size": max(length // steps, 1)}


def set_threads(threads: int) -> None:
    """Import torch and set its CPU threads."""
    import torch

    torch.set_num_threads(threads)


def all_windows(predictor, vcf: Path, reference: Path) -> np.ndarray:
    """The 2N windows scoring builds (N reference windows, then N alternative), uint8 ``(2N, L)``."""
    from genoseq.data.windows import variant_windows
    from genoseq.io import Reference, read_vcf

    with Reference(reference) as ref:
        variants = list(read_vcf(vcf, reference=ref))
        w = variant_windows(
            ref,
            variants[0].chrom,
            [v.start for v in variants],
            [v.ref for v in variants],
            [v.alt for v in variants],
            predictor.input_length,
        )
    return np.concatenate([w.ref, w.alt])


# -------------------------------------------------------------------------------------- sections


def bench_overhead(args: argparse.Namespace, work: Path, reference: Path) -> list[Row]:
    """Scoring wall time over ``predict_array`` alone on the same windows, default CNN-LSTM, L=200."""
    from genoseq.predict import Predictor
    from genoseq.variants import score_variants, score_vcf_to_files

    length, n = 200, args.n
    vcf = write_snv_vcf(reference, work / "overhead.vcf", n, margin=length)
    from genoseq.train.run import SEQUENCE_MODEL_DEFAULTS  # the model `genoseq train` builds

    default = dict(SEQUENCE_MODEL_DEFAULTS["cnn-lstm"])
    predictor = Predictor.load(make_model_dir(work / "cnn-lstm-200", length, default), device="cpu")
    windows = all_windows(predictor, vcf, reference)
    strand = args.strand
    runs: dict[str, Callable[[], object]] = {
        "predict_array (2N windows)": lambda: predictor.predict_array(windows, strand=strand),
        "score_variants": lambda: score_variants(predictor, vcf, reference, strand=strand),
        "score_vcf_to_files (.parquet)": lambda: score_vcf_to_files(
            predictor, vcf, reference, work / "overhead.parquet", strand=strand
        ),
        "score_vcf_to_files (.parquet + VCF)": lambda: score_vcf_to_files(
            predictor, vcf, reference, work / "overhead2.parquet", vcf_out=work / "o.vcf.gz", strand=strand
        ),
    }
    # interleave the repeats, so that a burst of load from elsewhere hits every measurement alike
    times = {name: float("inf") for name in runs}
    for _ in range(args.repeats):
        for name, fn in runs.items():
            times[name] = min(times[name], best_of(fn, 1))
    base = times["predict_array (2N windows)"]
    print(f"\n[overhead] default cnn-lstm, L={length}, {n:,} SNVs, strand={strand}, best of {args.repeats}")
    rows = []
    for name, t in times.items():
        ratio = t / base
        print(f"  {name:38s} {t:7.2f} s  {n / t:9,.0f} variants/s  {ratio:5.2f}x predict_array")
        if name != "predict_array (2N windows)":
            rows.append(
                Row(
                    f"overhead: {name}",
                    f"{t:.2f} s",
                    f"{base:.2f} s",
                    ratio,
                    f"<= {OVERHEAD_TARGET}x",
                    ratio <= OVERHEAD_TARGET,
                )
            )
    return rows


def run_selene(script: Path, vcf: Path, reference: Path, length: int) -> tuple[float | None, str]:
    """Selene's variants/s on ``vcf`` (or ``None``) and its summary line (or why it failed)."""
    if not script.exists():
        return None, f"{script} not found"
    try:
        proc = subprocess.run(
            ["bash", str(script), str(vcf), str(reference), "--model", "tiny", "--length", str(length)],
            capture_output=True,
            text=True,
            timeout=1800,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"selene_baseline.sh failed: {exc}"
    match = re.search(r"^selene .*= (\d+) variants/s$", proc.stdout, flags=re.M)
    if proc.returncode != 0 or match is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return None, f"selene_baseline.sh failed (exit {proc.returncode}): {' | '.join(tail)}"
    return float(match.group(1)), match.group(0)


def bench_field(args: argparse.Namespace, work: Path, reference: Path) -> list[Row]:
    """Tiny-model variants/s against selene-sdk's variant_effect_prediction on the same VCF, L=1000."""
    from genoseq.predict import Predictor
    from genoseq.variants import score_vcf_to_files

    length, n = 1000, args.field_n
    vcf = write_snv_vcf(reference, work / "field.vcf", n, margin=length, seed=1)
    tiny = tiny_config(length, args.tiny_steps)
    predictor = Predictor.load(make_model_dir(work / "tiny-1000", length, tiny), device="cpu")
    n_params = sum(p.numel() for p in predictor.model.parameters())
    rates = {}
    for strand in ("forward", "both"):
        t = best_of(
            lambda s=strand: score_vcf_to_files(predictor, vcf, reference, work / f"field_{s}.tsv", strand=s),
            args.repeats,
        )
        rates[strand] = n / t
    selene, line = (None, "skipped (--skip-selene)")
    if not args.skip_selene:
        selene, line = run_selene(args.selene, vcf, reference, length)
    print(
        f"\n[field] tiny cnn-lstm ({n_params} parameters; {tiny}), L={length}, {n:,} SNVs, "
        f"TSV out, best of {args.repeats}"
    )
    print(f"  genoseq strand=forward  {rates['forward']:9,.0f} variants/s")
    print(f"  genoseq strand=both     {rates['both']:9,.0f} variants/s")
    print(f"  selene-sdk              {line}")
    rows = []
    for strand in ("forward", "both"):
        ratio = None if selene is None else rates[strand] / selene
        rows.append(
            Row(
                f"field: genoseq {strand} / selene",
                f"{rates[strand]:,.0f} var/s",
                "n/a" if selene is None else f"{selene:,.0f} var/s",
                ratio,
                f">= {FIELD_TARGET}x" if strand == "forward" else "(info)",
                None if ratio is None or strand == "both" else ratio >= FIELD_TARGET,
            )
        )
    return rows


def vm_hwm_mb() -> float | None:
    """This process's own peak RSS (``VmHWM`` in ``/proc/self/status``), in MB; None off Linux."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def bench_memory(args: argparse.Namespace, work: Path, reference: Path) -> list[Row]:
    """Peak RSS of a child process scoring ``--memory-n`` SNVs into Parquet.

    The child's ``ru_maxrss`` (from ``os.wait4``) is the figure. Linux carries the RSS of the process
    that spawned it into that number (the high-water mark survives ``exec``), so this section runs
    first, before this process has imported torch; the child's own ``VmHWM`` is printed beside it.
    """
    import pyarrow.parquet as pq

    length, n = 200, args.memory_n
    vcf = write_snv_vcf(reference, work / "memory.vcf", n, margin=length, seed=2)
    out = work / "memory.parquet"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--threads",
        str(args.threads),
        "--tiny-steps",
        str(args.tiny_steps),
        "--_memory-child",
        str(work / "tiny-200"),
        str(vcf),
        str(reference),
        str(out),
        args.strand,
    ]
    parent_mb = vm_hwm_mb()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    child_out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"memory child failed with exit code {proc.returncode}")
    peak_mb = usage.ru_maxrss / 1024  # Linux: KiB
    hwm = re.search(r"VmHWM (\S+) MB", child_out)
    meta = pq.ParquetFile(out).metadata
    print(f"\n[memory] tiny cnn-lstm, L={length}, {n:,} SNVs, strand={args.strand}, Parquet out")
    print(
        f"  child: {elapsed:.1f} s ({n / elapsed:,.0f} variants/s incl. start-up), ru_maxrss {peak_mb:,.0f} MB "
        f"(own VmHWM {hwm.group(1) if hwm else 'n/a'} MB; this process at spawn: "
        f"{'n/a' if parent_mb is None else f'{parent_mb:,.0f}'} MB)"
    )
    print(f"  output: {meta.num_rows:,} rows in {meta.num_row_groups} row groups (written batch by batch)")
    ok = peak_mb < RSS_TARGET_MB and meta.num_rows == n and meta.num_row_groups > 1
    note = "" if n >= RSS_TARGET_N else f" (target is for {RSS_TARGET_N:,})"
    return [
        Row(
            f"memory: peak RSS, {n:,} SNVs{note}",
            f"{peak_mb:,.0f} MB",
            f"{RSS_TARGET_MB:,.0f} MB",
            peak_mb / RSS_TARGET_MB,
            "< 1.00x",
            ok,
        )
    ]


def memory_child(model: str, vcf: str, reference: str, out: str, strand: str, steps: int) -> None:
    """The child of :func:`bench_memory`: build the tiny model, score ``vcf`` into ``out``."""
    from genoseq.predict import Predictor
    from genoseq.variants import score_vcf_to_files

    predictor = Predictor.load(make_model_dir(Path(model), 200, tiny_config(200, steps)), device="cpu")
    stats = score_vcf_to_files(predictor, vcf, reference, out, strand=strand)
    print(f"scored {stats.scored} variants; VmHWM {vm_hwm_mb():.0f} MB", flush=True)


# ------------------------------------------------------------------------------------------ main


def print_summary(rows: list[Row]) -> None:
    """The summary table: value, baseline, ratio, target and verdict per figure."""
    print("\nSummary")
    header = f"  {'figure':52s} {'genoseq':>15s} {'baseline':>15s} {'ratio':>7s}  {'target':>8s}  result"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for r in rows:
        ratio = "n/a" if r.ratio is None else f"{r.ratio:.2f}x"
        verdict = "-" if r.ok is None else ("PASS" if r.ok else "FAIL")
        print(f"  {r.what:52s} {r.value:>15s} {r.baseline:>15s} {ratio:>7s}  {r.target:>8s}  {verdict}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run, of {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument("--n", type=int, default=1000, help="SNVs for the overhead figure (default 1000)")
    parser.add_argument(
        "--field-n", type=int, default=20_000, help="SNVs for the Selene comparison (default 20000)"
    )
    parser.add_argument(
        "--memory-n",
        type=int,
        default=50_000,
        help=f"SNVs for the peak-RSS figure (default 50000; the target is stated for {RSS_TARGET_N:,})",
    )
    parser.add_argument(
        "--strand",
        choices=("both", "forward"),
        default="both",
        help="strand policy for the overhead and memory figures (default both; the field figure runs both)",
    )
    parser.add_argument(
        "--tiny-steps",
        type=int,
        default=10,
        help="LSTM steps of the tiny model (its pool_size is L / steps; default 10)",
    )
    parser.add_argument("--repeats", type=int, default=2, help="timing repeats, best kept (default 2)")
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="torch CPU threads (default: all cores, as Selene)",
    )
    parser.add_argument(
        "--reference", type=Path, default=DEFAULT_REFERENCE, help="FASTA to draw SNVs on (copied first)"
    )
    parser.add_argument("--selene", type=Path, default=DEFAULT_SELENE, help="path of selene_baseline.sh")
    parser.add_argument("--skip-selene", action="store_true", help="do not run Selene (no field ratio)")
    parser.add_argument("--_memory-child", nargs=5, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # e.g. the "no background calibration" warning, every run
    if args._memory_child:
        set_threads(args.threads)
        memory_child(*args._memory_child, steps=args.tiny_steps)
        return
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        raise SystemExit(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    if not args.reference.exists():
        raise SystemExit(f"reference FASTA not found: {args.reference}")
    print(
        f"torch {version('torch')}, {args.threads} thread(s), {os.cpu_count()} CPU(s), "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench_variants_") as tmp:
        work = Path(tmp)
        reference = work / args.reference.name
        shutil.copyfile(args.reference, reference)
        bench = {"overhead": bench_overhead, "field": bench_field, "memory": bench_memory}
        for section in SECTIONS:
            if section in sections:
                if section != "memory":
                    set_threads(args.threads)  # imports torch: after the memory child has run
                rows.extend(bench[section](args, work, reference))
    print(f"\nload average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print_summary(rows)


if __name__ == "__main__":
    main()
