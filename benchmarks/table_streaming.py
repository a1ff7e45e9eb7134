"""Scoring a large CSV in bounded memory: a generated table of 2,000,000 rows and 20 columns
(about 400 MB) through `aedetect score`, which reads and writes it in chunks. Reports the
scoring process's peak resident memory and its time.

    python benchmarks/table_streaming.py --rows 2000000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import provenance, run_measured, write  # noqa: E402

COLUMNS = 20


def table(rows: int, seed: int) -> pd.DataFrame:
    """Columns in different units driven by 3 hidden factors, and a text column."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(rows, 3))
    mix = rng.normal(size=(3, COLUMNS - 1)) * np.logspace(-2, 3, COLUMNS - 1)
    frame = pd.DataFrame(factors @ mix + rng.normal(size=(rows, COLUMNS - 1)) * 0.01,
                         columns=[f"s{i}" for i in range(COLUMNS - 1)])
    frame["line"] = rng.choice(["A", "B", "C"], rows)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    args = parser.parse_args()
    run = provenance([0])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        table(20_000, 0).to_csv(tmp / "train.csv", index=False)
        start = time.perf_counter()
        with open(tmp / "big.csv", "w") as f:
            for k, i in enumerate(range(0, args.rows, 200_000)):
                table(min(200_000, args.rows - i), k + 1).to_csv(f, index=False, header=k == 0)
        generate_s = time.perf_counter() - start
        size_mb = (tmp / "big.csv").stat().st_size / 2**20
        aedetect = [sys.executable, "-m", "aedetect"]
        subprocess.run([*aedetect, "fit", str(tmp / "train.csv"), "--epochs", "10", "-q", "--out",
                        str(tmp / "m")], check=True, capture_output=True)
        seconds, peak_rss_mb = run_measured([*aedetect, "score", str(tmp / "m"), str(tmp / "big.csv"),
                                             "--out", str(tmp / "scores.csv")])  # the scorer's own peak
        with open(tmp / "scores.csv") as f:
            scored = sum(1 for _ in f) - 1
    result = {"rows": args.rows, "columns": COLUMNS, "csv_mb": round(size_mb, 1), "scored_rows": scored,
              "score_seconds": round(seconds, 1), "rows_per_second": round(scored / seconds),
              "peak_rss_mb": round(peak_rss_mb, 1), "generate_seconds": round(generate_s, 1)}
    text = ("**`aedetect score` on a generated CSV, in chunks of 65,536 rows; top-3 columns per row "
            "written**\n\n| rows | columns | CSV MB | seconds | rows/s | peak RSS MB |\n"
            "|---|---|---|---|---|---|\n"
            f"| {scored:,} | {COLUMNS} | {result['csv_mb']} | {result['score_seconds']} | "
            f"{result['rows_per_second']:,} | {result['peak_rss_mb']} |")
    write("table_streaming", {"provenance": run, "result": result}, text)
    print(text)


if __name__ == "__main__":
    main()
