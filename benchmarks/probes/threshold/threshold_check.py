"""How much accuracy the 0.5 threshold leaves on the table, from the fold models `cv_train.py --keep` kept.

For each fold: accuracy at 0.5, the positive rate at 0.5, the accuracy of the best threshold chosen on the
test fold itself (an upper bound: it uses the labels being scored) and of the fold's median score. Binary
tables only. Exploration, not part of the package::

    python benchmarks/cv_train.py ../shared/data/ienhancer/train.csv --model cnn-lstm --jobs 2 --keep
    python benchmarks/probes/threshold/threshold_check.py /tmp/genoseq-cv-XXXXXXXX
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl

from genoseq import Predictor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kept", type=Path, help="the directory cv_train.py --keep printed")
    args = parser.parse_args()
    rows = []
    for model_dir in sorted(args.kept.glob("model*")):
        i = model_dir.name.removeprefix("model")
        predictor = Predictor.load(model_dir)
        table = pl.read_csv(args.kept / f"fold{i}_test.csv")
        y = (table["label"].cast(pl.Utf8) == predictor.classes[1]).to_numpy()
        score = predictor.predict(table["sequence"].to_list())[:, 0]
        best = max(float(((score >= t) == y).mean()) for t in np.unique(score))
        rows.append(
            (
                float(((score >= 0.5) == y).mean()),
                float((score >= 0.5).mean()),
                best,
                float(((score >= np.median(score)) == y).mean()),
            )
        )
        print(
            f"fold {i}: accuracy@0.5 {rows[-1][0]:.3f}  positive rate {rows[-1][1]:.3f}  "
            f"best threshold {rows[-1][2]:.3f}  median threshold {rows[-1][3]:.3f}"
        )
    mean = np.mean(rows, axis=0)
    print(
        f"mean:   accuracy@0.5 {mean[0]:.3f}  positive rate {mean[1]:.3f}  best threshold {mean[2]:.3f}  "
        f"median threshold {mean[3]:.3f}"
    )


if __name__ == "__main__":
    main()
