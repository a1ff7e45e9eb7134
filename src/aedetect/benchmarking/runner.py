"""Running a protocol: every model and seed trained on every task once, its test samples scored
once, one row per test set (AUROC, AUPR, F1, times); in parallel processes with ``jobs``; each
finished run stored so that a stopped benchmark can go on. :func:`summarise` averages over seeds."""

from __future__ import annotations

import json
import re
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from aedetect.benchmarking.protocols import Task
from aedetect.errors import InputError
from aedetect.metrics import evaluate_scores, threshold_sweep

MODEL_ALIASES = {"cae": "conv_ae", "ae": "dense_ae"}
SWEEP = [round(0.01 + 0.005 * i, 4) for i in range(9)]  # the Caltech reference's 0.01-0.05 sweep


def make_detector(preset: str, model: str, seed: int, epochs: int | None = None,
                  model_options: dict | None = None, lr_schedule: str = "constant"):
    """The detector a protocol trains: ``preset``'s network for family ``model`` (aliases cae, ae),
    silent, seeded, with ``model_options`` merged into the preset's and the learning rate schedule
    ``lr_schedule``."""
    from aedetect.detector import AutoencoderDetector
    from aedetect.presets import preset_params

    overrides = {"random_state": seed, "verbose": 0, "model_options": model_options,
                 "lr_schedule": lr_schedule}
    if epochs:
        overrides["epochs"] = epochs
    return AutoencoderDetector(**preset_params(preset, MODEL_ALIASES.get(model, model), **overrides))


def run_tasks(protocol: str, tasks: list[Task], models: list[str], seeds: list[int], *, preset: str,
              epochs: int | None = None, dataset: str = "", on_run: Callable | None = None,
              fixed_thresholds: tuple[float, ...] = (), model_options: dict | None = None,
              lr_schedule: str = "constant", jobs: int = 1, store: Path | None = None) -> list[dict]:
    """Train every model x seed on every task once; score its test samples once; one row per test set.

    ``jobs`` > 1 trains that many models at a time, each in its own process with an equal share
    of this process's torch threads; the rows come back in the same order as with one job.
    ``store``: a folder that keeps each finished run's rows (one JSON file per task, model and seed,
    with the settings), so that a stopped run can go on; runs already there are loaded, not trained
    again (their rows say so in ``resumed_from``), and ones made with other settings are refused."""
    units = [(task, model, seed) for task in tasks for model in models for seed in seeds]
    settings = {"protocol": protocol, "preset": preset, "epochs": epochs, "dataset": dataset,
                "fixed_thresholds": fixed_thresholds, "model_options": model_options,
                "lr_schedule": lr_schedule}
    results = [_load_run(store, *unit, settings) if store else None for unit in units]
    code = _code_version() if store else ""  # the code these runs start from (it may change on disk)
    todo = [i for i, rows in enumerate(results) if rows is None]
    if on_run:
        for i, rows in enumerate(results):
            if rows is not None:
                on_run(*_unit_names(units[i]))

    def done(k: int, rows: list[dict]) -> None:
        i = todo[k]
        results[i] = rows
        if store:
            _save_run(store, *units[i], settings, rows, code)
        if on_run:
            on_run(*_unit_names(units[i]))

    map_jobs(_run_unit, [units[i] for i in todo], jobs, done, **settings)
    return [row for rows in results for row in rows]


def _unit_names(unit: tuple) -> tuple[str, str, int]:
    task, model, seed = unit
    return task.name, model, seed


def _run_file(store: Path, task: Task, model: str, seed: int) -> Path:
    return store / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', task.name)}-{model}-seed{seed}.json"


def _run_key(task: Task, model: str, seed: int, settings: dict) -> dict:
    """What a stored run must match to be reused (JSON-shaped, as read back)."""
    sizes = {"n_train": len(task.X_train), "n_test": len(task.X_test)}
    return json.loads(json.dumps({"task": task.name, "model": model, "seed": seed, **sizes, **settings}))


def _save_run(store: Path, task: Task, model: str, seed: int, settings: dict, rows: list[dict],
              code: str) -> None:
    from aedetect.files import write_json

    write_json(_run_file(store, task, model, seed),
               {"run": _run_key(task, model, seed, settings), "code": code, "rows": rows})


def _load_run(store: Path, task: Task, model: str, seed: int, settings: dict) -> list[dict] | None:
    """The rows of a stored run of this task, model and seed, or None when there is none."""
    path = _run_file(store, task, model, seed)
    if not path.exists():
        return None
    try:
        saved = json.loads(path.read_text())
        key, code, rows = saved["run"], saved["code"], saved["rows"]
        key = {"lr_schedule": "constant", **key}  # runs stored before the setting existed
    except (ValueError, KeyError, TypeError) as err:
        raise InputError(f"{path} is not a stored run ({err}): delete it to train that run again") from None
    want = _run_key(task, model, seed, settings)
    if key != want:
        diff = ", ".join(f"{k} {key.get(k)!r} (now {v!r})" for k, v in want.items() if key.get(k) != v)
        raise InputError(f"{path} was made with other settings: {diff}; use another --out folder, "
                         f"or delete {store} to start afresh")
    return [{**row, "resumed_from": code} for row in rows]


def map_jobs(fn: Callable, calls: list[tuple], jobs: int = 1, on_done: Callable | None = None,
             **kwargs) -> list:
    """``[fn(*call, **kwargs) for call in calls]``, in that order. ``jobs`` > 1 runs that many
    calls at a time, each in a spawned process, and passes ``threads`` (an equal share of this
    process's torch threads) to ``fn``; ``on_done(i, result)`` is called as call i finishes."""
    if jobs <= 1:
        results = []
        for i, call in enumerate(calls):
            results.append(fn(*call, **kwargs))
            if on_done:
                on_done(i, results[-1])
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    results = [None] * len(calls)
    threads = threads_per_job(jobs)
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(fn, *call, threads=threads, **kwargs): i
                   for i, call in enumerate(calls)}
        try:
            for future in as_completed(futures):
                i = futures[future]
                results[i] = future.result()
                if on_done:
                    on_done(i, results[i])
        except BaseException:
            workers = list((pool._processes or {}).values())  # Python < 3.14 has no terminate_workers()
            pool.shutdown(wait=False, cancel_futures=True)
            for worker in workers:  # a unit still running would go on for minutes after we stop
                worker.terminate()
            raise
    return results


def threads_per_job(jobs: int) -> int:
    """Torch threads each of ``jobs`` parallel runs gets: an equal share of this process's."""
    import torch

    return max(1, torch.get_num_threads() // jobs)


def _run_unit(task: Task, model: str, seed: int, *, protocol: str, preset: str, epochs: int | None,
              dataset: str, fixed_thresholds: tuple[float, ...], model_options: dict | None,
              lr_schedule: str = "constant", threads: int | None = None) -> list[dict]:
    """Train one model with one seed on ``task``, score its test samples once; its rows."""
    if threads:
        import torch

        torch.set_num_threads(threads)
    if model.startswith("pyod-"):
        from aedetect.benchmarking.pyod_run import PyODRun

        det = PyODRun(model, seed, epochs)
    else:
        det = make_detector(preset, model, seed, epochs, model_options, lr_schedule)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a collapse is recorded in the row instead
        start = time.perf_counter()
        det.fit(task.X_train)
        seconds = time.perf_counter() - start
    start = time.perf_counter()
    scores = det.anomaly_score(task.X_test)
    score_seconds = time.perf_counter() - start  # every test set of the task: one pass
    # fixed thresholds are in MSE units: not for PyOD or a sum of standardised parts
    mse_units = not model.startswith("pyod-") and det.score_head_.parts == ("reconstruction",)
    rows = []
    for test, (index, y) in task.tests.items():
        m = evaluate_scores(y, scores[index], det.threshold_)
        row = {"protocol": protocol, "dataset": dataset, "model": model, "seed": seed,
               "normal": task.name, "anomalous": test, "auroc": m["auroc"], "aupr": m["aupr"],
               "f1": m["f1"], "precision": m["precision"], "recall": m["recall"],
               "accuracy": m["accuracy"], "threshold": m["threshold"],
               "train_seconds": seconds, "score_seconds": score_seconds, "n_train": len(task.X_train),
               "n_normal": m["n_normal"], "n_anomalous": m["n_anomalous"],
               "collapsed": bool(det.history_.get("collapsed", False))}
        if fixed_thresholds and mse_units:
            for t in fixed_thresholds:
                at = evaluate_scores(y, scores[index], t)
                row[f"f1_at_{t:g}"], row[f"accuracy_at_{t:g}"] = at["f1"], at["accuracy"]
            row["sweep"] = threshold_sweep(y, scores[index], SWEEP)
        rows.append(row)
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    """Mean and standard deviation over seeds, per model, normal class and test set."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["model"], r["normal"], r["anomalous"]), []).append(r)
    out = []
    for (model, normal, anomalous), rs in groups.items():
        entry = {"model": model, "normal": normal, "anomalous": anomalous, "seeds": len(rs)}
        fixed = [k for k in rs[0] if k.startswith(("f1_at_", "accuracy_at_"))]
        for key in ("auroc", "aupr", "f1", "train_seconds", "score_seconds", *fixed):
            values = np.array([r[key] for r in rs if r.get(key) is not None], dtype=float)
            entry[key] = float(values.mean()) if len(values) else None
            entry[f"{key}_sd"] = float(values.std()) if len(values) else None
        entry["collapsed"] = sum(r["collapsed"] for r in rs)
        if "sweep" in rs[0]:  # mean over seeds, threshold by threshold
            entry["sweep"] = [{k: (v if k == "threshold" else float(np.mean([r["sweep"][i][k] for r in rs])))
                               for k, v in point.items()} for i, point in enumerate(rs[0]["sweep"])]
        out.append(entry)
    return out


def provenance(seeds: list[int], command: list[str] | None = None) -> dict:
    """What every result records: the command, the date, the machine and the seeds."""
    import datetime
    import os
    import platform
    import sys

    import torch

    gpu = f", GPU {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""
    return {
        "command": " ".join(command if command is not None else [Path(sys.argv[0]).name, *sys.argv[1:]]),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()} "
                   f"{platform.release()}, Python {platform.python_version()}, "
                   f"torch {torch.__version__}{gpu}",
        "torch_threads": torch.get_num_threads(),
        "seeds": list(seeds),
        "code": _code_version(),
    }


def _code_version() -> str:
    """``git describe --always --dirty`` of the git checkout this file is tracked in (an editable
    install); "unknown" for an installed copy."""
    import subprocess

    here = Path(__file__).resolve()

    def git(*args: str):
        return subprocess.run(["git", *args], cwd=here.parent, capture_output=True, text=True, timeout=10)

    try:
        if git("ls-files", "--error-unmatch", here.name).returncode != 0:
            return "unknown"  # not in a checkout, or in one that does not track aedetect
        out = git("describe", "--always", "--dirty")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"
