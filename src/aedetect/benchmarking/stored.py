"""Benchmark units run in worker processes, each finished one stored as JSON so that a stopped
run goes on where it stopped (used by the tabular and inspection benchmarks)."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def run_units(fn: Callable, units: list[tuple], extra: tuple, *, jobs: int, store: Path | None,
              file_name: Callable[[tuple], str], on_run: Callable[[tuple], None] | None = None) -> list[dict]:
    """``fn(*unit, *extra)`` for every unit not already in ``store`` (as ``file_name(unit)``),
    ``jobs`` at a time; rows in the units' order. ``on_run(unit)`` after each unit, stored ones first."""
    rows: list[dict | None] = []
    for unit in units:
        path = store / file_name(unit) if store is not None else None
        rows.append(json.loads(path.read_text()) if path is not None and path.is_file() else None)
        if rows[-1] is not None and on_run:
            on_run(unit)
    todo = [i for i, r in enumerate(rows) if r is None]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {i: pool.submit(fn, *units[i], *extra) for i in todo}
        for i, future in futures.items():
            rows[i] = future.result()
            if store is not None:
                store.mkdir(parents=True, exist_ok=True)
                (store / file_name(units[i])).write_text(json.dumps(rows[i]))
            if on_run:
                on_run(units[i])
    return rows
