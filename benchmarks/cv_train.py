"""Stratified k-fold cross-validation of ``genoseq train`` with its defaults (issue 3's quality figures).

For each fold the other folds are the training table; ``genoseq train`` runs on it exactly as a user
would (defaults, its own 10 % stratified validation split for early stopping, nothing tuned on the
held-out fold), then ``genoseq evaluate`` scores the held-out fold. Prints each fold's accuracy,
AUROC, AUPRC, MCC and training wall time, then mean ± standard deviation, and writes them to
``--out`` (JSON) when given.

The baseline measured in the same run is the class prior: the accuracy of always predicting the
majority class of the training folds.

Run, e.g. (iEnhancer, both models, two folds at a time on one thread each)::

    python benchmarks/cv_train.py ../shared/data/ienhancer/train.csv --model cnn-lstm --jobs 2
    python benchmarks/cv_train.py ../shared/data/ienhancer/train.csv --model transformer --jobs 2

Extra ``genoseq train`` options go after ``--``, e.g. ``-- --epochs 5 --no-rc-augment``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl

METRICS = ("accuracy", "auroc", "auprc", "mcc")


def stratified_folds(labels: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Fold number (0 .. k-1) of each row: each class shuffled, then dealt round-robin to the folds."""
    rng = np.random.default_rng(seed)
    fold = np.empty(labels.shape[0], dtype=np.int64)
    offset = 0
    for value in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == value))
        fold[rows] = (np.arange(rows.size) + offset) % k
        offset += rows.size  # the next class continues the deal, so fold sizes stay even
    return fold


def run_fold(
    i: int, work: Path, model: str, threads: int, extra: list[str], device: str = "cpu"
) -> dict[str, float]:
    """Train on ``fold{i}_train.csv``, evaluate on ``fold{i}_test.csv``; the metrics and wall time."""
    out = work / f"model{i}"
    log = (work / f"fold{i}.log").open("w")
    cmd = [sys.executable, "-m", "genoseq", "train", str(work / f"fold{i}_train.csv"), "--model", model]
    cmd += ["--out", str(out), "--threads", str(threads), "--device", device, *extra]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - start
    metrics = work / f"fold{i}.json"
    evaluate = [sys.executable, "-m", "genoseq", "evaluate", str(out), str(work / f"fold{i}_test.csv")]
    subprocess.run([*evaluate, "-o", str(metrics), "--device", device], check=True, stdout=log, stderr=log)
    result = json.loads(metrics.read_text())
    values = result.get("metrics", result)
    return {**{m: float(values[m]) for m in METRICS}, "train_seconds": wall}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("table", type=Path, help="CSV/TSV/Parquet with sequence and label columns")
    parser.add_argument("--model", default="cnn-lstm", choices=["cnn-lstm", "transformer"])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0, help="seed of the fold assignment")
    parser.add_argument("--jobs", type=int, default=1, help="folds trained at once (each on --threads)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per fold")
    parser.add_argument(
        "--device", default="cpu", choices=["cpu", "cuda", "auto"], help="train and evaluate here"
    )
    parser.add_argument("--out", type=Path, help="write the per-fold and summary figures here (JSON)")
    parser.add_argument("--keep", action="store_true", help="keep the fold tables and models")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    args.train_args = argv[split + 1 :]  # extra genoseq train options, after --

    if args.table.suffix == ".parquet":
        table = pl.read_parquet(args.table)
    else:
        table = pl.read_csv(args.table, separator="\t" if args.table.suffix == ".tsv" else ",")
    labels = table["label"].cast(pl.Utf8).to_numpy()
    fold = stratified_folds(labels, args.folds, args.seed)
    work = Path(tempfile.mkdtemp(prefix="genoseq-cv-"))
    try:
        prior = []
        for i in range(args.folds):
            train, test = table.filter(pl.Series(fold != i)), table.filter(pl.Series(fold == i))
            train.write_csv(work / f"fold{i}_train.csv")
            test.write_csv(work / f"fold{i}_test.csv")
            majority = train["label"].cast(pl.Utf8).mode().sort()[0]
            prior.append(float((test["label"].cast(pl.Utf8) == majority).mean()))
        print(
            f"{args.table}: {table.height} rows, {args.folds} stratified folds (seed {args.seed}), "
            f"model {args.model} on {args.device}, train options {args.train_args or 'defaults'}"
        )
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [
                pool.submit(run_fold, i, work, args.model, args.threads, args.train_args, args.device)
                for i in range(args.folds)
            ]
            results = [f.result() for f in futures]
        print(f"{'fold':>4} " + " ".join(f"{m:>9}" for m in METRICS) + "  train s  prior acc")
        for i, r in enumerate(results):
            row = " ".join(f"{r[m]:9.3f}" for m in METRICS)
            print(f"{i:>4} {row}  {r['train_seconds']:7.0f}  {prior[i]:9.3f}")
        summary = {
            m: (statistics.mean(r[m] for r in results), statistics.stdev(r[m] for r in results))
            for m in (*METRICS, "train_seconds")
        }
        print(
            "mean "
            + " ".join(f"{summary[m][0]:9.3f}" for m in METRICS)
            + f"  {summary['train_seconds'][0]:7.0f}  {statistics.mean(prior):9.3f}"
        )
        print("  sd " + " ".join(f"{summary[m][1]:9.3f}" for m in METRICS))
        ratio = summary["accuracy"][0] / statistics.mean(prior)
        print(f"accuracy / majority-class baseline: {ratio:.2f}x")
        if args.out:
            args.out.write_text(
                json.dumps(
                    {
                        "table": str(args.table),
                        "model": args.model,
                        "train_args": args.train_args,
                        "folds": results,
                        "prior_accuracy": prior,
                        "summary": {m: {"mean": v[0], "sd": v[1]} for m, v in summary.items()},
                    },
                    indent=2,
                )
            )
    finally:
        if args.keep:
            print(f"fold tables and models kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
