"""Evaluation protocols: standard ways to measure a one-class detector, done honestly.

Every protocol trains on normal training data only (the detector holds out a
slice of it for early model selection and the threshold) and scores the test
data once per trained model.

- ``paper-mnist``: MNIST, class 1 normal; one model trained on the training 1s,
  tested against each other digit c separately (test 1s + test c's).
- ``paper-cifar``: CIFAR-10, class dog normal, the same way.
- ``one-class``: each class in turn normal; tested on the whole official test
  set (that class normal, all others anomalous). MNIST, Fashion-MNIST, CIFAR-10.
- ``caltech-airplanes``: Caltech-101, airplanes normal, 96x96 RGB; a seeded 20%
  of the airplanes is kept out of training; the test set is those airplanes
  plus every image of the other 101 folders. Also reported: what the reference
  notebook's own procedure (train on all airplanes, test on the same images)
  would have shown.

Results are rows (one per model, seed and test set) with AUROC and AUPR
(anomaly = positive) and the training time; :func:`summarise` averages over seeds.
"""

from __future__ import annotations

import json
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aedetect.errors import InputError
from aedetect.metrics import evaluate_scores, threshold_sweep

MODEL_ALIASES = {"cae": "conv_ae", "ae": "dense_ae"}

# Published numbers each protocol is compared with (AUROC; times in seconds on the authors' hardware).
PUBLISHED = {
    "paper-mnist": {  # the comparative paper, Table 5, normal class 1: CAE / VAE / AAE
        "models": ["cae", "vae", "aae"],
        "auroc": {"0": (.9999, .9999, .9999), "2": (.9933, .9989, .9974), "3": (.9964, .9986, .9966),
                  "4": (.9980, .9984, .9974), "5": (.9979, .9990, .9982), "6": (.9942, .990, .9959),
                  "7": (.9664, .9971, .9711), "8": (.9985, .9988, .9992), "9": (.9876, .9980, .9893)},
        "train_seconds": (1015.5, 1055.0, 1748.8),
    },
    "paper-cifar": {  # Table 6, normal class dog
        "models": ["cae", "vae", "aae"],
        "auroc": {"airplane": (.6343, .6448, .6338), "automobile": (.7689, .7615, .7510),
                  "bird": (.5405, .5328, .5315), "cat": (.5525, .5421, .5447),
                  "deer": (.5463, .5404, .5328), "frog": (.5780, .5677, .5632),
                  "horse": (.6612, .6470, .6435), "ship": (.5398, .5655, .5370),
                  "truck": (.7379, .7375, .7364)},
        "train_seconds": (89705.0, 99882.0, 105906.0),
    },
    "one-class": {  # mean AUROC (%) over the ten classes, as reported in the literature
        "mnist": {"deep conv AE (Deep SVDD paper)": 89.6, "Deep SVDD": 94.8, "OCGAN": 97.5, "GEOM": 98.0},
        "fashion-mnist": {"Deep SVDD": 84.8, "OCGAN": 92.4, "GEOM": 93.5},
        "cifar10": {"deep conv AE (Deep SVDD paper)": 59.4, "Deep SVDD": 64.8, "OCGAN": 65.6, "GEOM": 86.0},
    },
    "caltech-airplanes": {"reference notebook (evaluated on its training images)": 0.927},
}

ONE_CLASS_PRESET = {"mnist": "paper-mnist", "fashion-mnist": "paper-mnist", "cifar10": "paper-cifar"}
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
SWEEP = [round(0.01 + 0.005 * i, 4) for i in range(9)]  # the Caltech reference's 0.01-0.05 sweep


@dataclass
class Task:
    """One training set and the test sets scored by the model trained on it."""

    name: str  # what is normal, e.g. "1" or "airplanes"
    X_train: np.ndarray
    X_test: np.ndarray
    tests: dict[str, tuple[np.ndarray, np.ndarray]]  # test name -> (index into X_test, y: 1 = anomaly)


def _dataset(name: str, root: str | Path):
    from aedetect.data.datasets import open_dataset

    if name == "mnist":
        return open_dataset(_first_with(root, ["", "mnist"], "train-images-idx3-ubyte"))
    if name == "fashion-mnist":
        return open_dataset(_first_with(root, ["", "fashion-mnist", str(FASHION_DIR)],
                                        "train-images-idx3-ubyte",
                                        hint="apt-get install dataset-fashion-mnist"))
    if name == "cifar10":
        return open_dataset(_first_with(root, ["", "cifar-10-batches-py", "cifar10-jpeg", "cifar10"],
                                        ("data_batch_1", "train")))
    if name == "caltech101":
        return open_dataset(_first_with(root, ["", "caltech101", "101_ObjectCategories"], "airplanes",
                                        deep=True), image_size=(96, 96), color="rgb")
    raise InputError(f"unknown data set {name!r}; choose mnist, fashion-mnist, cifar10 or caltech101")


def _first_with(root, subdirs, marker, hint: str = "", deep: bool = False) -> Path:
    markers = (marker,) if isinstance(marker, str) else marker
    looked = []
    for sub in subdirs:
        path = Path(sub) if sub.startswith("/") else Path(root) / sub
        looked.append(str(path))
        if path.is_dir():
            names = {p.name for p in path.iterdir()}
            if deep:  # e.g. caltech101/101_ObjectCategories/airplanes
                names |= {q.name for p in path.iterdir() if p.is_dir() for q in p.iterdir()}
            if any(m in names or f"{m}.gz" in names for m in markers):
                return path
    raise InputError(f"data not found: looked for {' or '.join(markers)} in {', '.join(looked)}"
                     + (f" ({hint})" if hint else ""))


def _limit(index: np.ndarray, limit: int | None, seed: int = 0) -> np.ndarray:
    if limit is None or len(index) <= limit:
        return index
    return np.sort(np.random.default_rng(seed).choice(index, limit, replace=False))


def paper_tasks(ds, normal: str, limit: int | None = None) -> list[Task]:
    """Train on the normal class; one test set per other class (test normals + that class)."""
    (k,) = ds.resolve_classes(normal)
    train = _limit(np.flatnonzero(ds.y_train == k), limit)
    test = np.concatenate([_limit(np.flatnonzero(ds.y_test == c), limit) for c in range(len(ds.class_names))])
    test = np.sort(test)
    y = ds.y_test[test]
    tests = {}
    for c in range(len(ds.class_names)):
        if c != k:
            pair = np.flatnonzero((y == k) | (y == c))
            tests[ds.class_names[c]] = (pair, (y[pair] == c).astype(int))
    return [Task(ds.class_names[k], np.asarray(ds.X_train[train]), np.asarray(ds.X_test[test]), tests)]


def one_class_tasks(ds, classes: list[str] | None = None, limit: int | None = None) -> list[Task]:
    """Each class in turn normal, tested on the whole official test set."""
    test = np.sort(np.concatenate([_limit(np.flatnonzero(ds.y_test == c), limit)
                                   for c in range(len(ds.class_names))]))
    X_test, y = np.asarray(ds.X_test[test]), ds.y_test[test]
    chosen = ds.resolve_classes(classes) if classes else range(len(ds.class_names))
    return [Task(ds.class_names[k], np.asarray(ds.X_train[_limit(np.flatnonzero(ds.y_train == k), limit)]),
                 X_test, {"all others": (np.arange(len(y)), (y != k).astype(int))}) for k in chosen]


def caltech_tasks(ds, limit: int | None = None, split_seed: int = 0,
                  names: list[str] | None = None) -> list[Task]:
    """Airplanes normal: 80% train; test = the other 20% + every image of the other folders.
    A second task, ``airplanes (leaky)``, is the reference notebook's procedure: train on all
    airplanes and test on those same airplanes + the other folders (to show the leakage).
    ``names`` keeps only those tasks (e.g. ``["airplanes"]``: the held-out task alone)."""
    known = ("airplanes", "airplanes (leaky)")
    unknown = sorted(set(names or ()) - set(known))
    if unknown:
        raise InputError(f"caltech-airplanes has no task {', '.join(map(repr, unknown))}; "
                         f"choose among {', '.join(map(repr, known))}")
    (k,) = ds.resolve_classes("airplanes")
    planes = np.flatnonzero(ds.y_train == k)
    held = np.sort(np.random.default_rng(split_seed).choice(planes, round(0.2 * len(planes)),
                                                            replace=False))
    train, held = _limit(np.setdiff1d(planes, held), limit), _limit(held, limit)
    others = _limit(np.flatnonzero(ds.y_train != k), limit)
    needed = np.union1d(np.r_[train, held], others)
    images = np.asarray(ds.X_train[needed])  # every file is read once
    position = {j: i for i, j in enumerate(needed)}
    leaky_train = np.sort(np.r_[train, held])
    tasks = []
    for name, tr, te in ((known[0], train, np.r_[held, others]),
                         (known[1], leaky_train, np.r_[leaky_train, others])):
        if names and name not in names:
            continue
        y = (ds.y_train[te] != k).astype(int)
        tasks.append(Task(name, images[[position[j] for j in tr]], images[[position[j] for j in te]],
                          {"all others": (np.arange(len(te)), y)}))
    return tasks


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


class PyODRun:
    """PyOD's ``AutoEncoder`` or ``VAE`` with its defaults on flattened inputs scaled to [0, 1]
    (an optional benchmark dependency: ``pip install pyod tqdm``)."""

    def __init__(self, kind: str, seed: int, epochs: int | None):
        try:
            from pyod.models.auto_encoder import AutoEncoder
            from pyod.models.vae import VAE
        except ImportError as err:
            raise InputError(f"--pyod needs PyOD: pip install pyod tqdm ({err})") from None
        cls = AutoEncoder if kind == "pyod-ae" else VAE
        kwargs = {"random_state": seed, "verbose": 0}
        if epochs:
            kwargs["epoch_num"] = epochs
        self.model = cls(**kwargs)
        self.threshold_ = None
        self.history_ = {}

    @staticmethod
    def _flat(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X).reshape(len(X), -1).astype(np.float32)
        return X / 255.0 if X.max() > 1.0 else X

    def fit(self, X):
        self.model.fit(self._flat(X))
        self.threshold_ = float(self.model.threshold_)
        return self

    def reconstruction_error(self, X) -> np.ndarray:
        return self.model.decision_function(self._flat(X))


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
            pool.shutdown(wait=False, cancel_futures=True)
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
    det = (PyODRun(model, seed, epochs) if model.startswith("pyod-")
           else make_detector(preset, model, seed, epochs, model_options, lr_schedule))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a collapse is recorded in the row instead
        start = time.perf_counter()
        det.fit(task.X_train)
        seconds = time.perf_counter() - start
    start = time.perf_counter()
    scores = det.reconstruction_error(task.X_test)
    score_seconds = time.perf_counter() - start  # every test set of the task: one pass
    # fixed thresholds are in MSE units: not for PyOD or a sum of standardised parts
    mse_units = not model.startswith("pyod-") and det.model_.parts == ("reconstruction",)
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


def protocol_tasks(protocol: str, data: str | Path, *, dataset: str | None = None,
                   classes: list[str] | None = None, limit: int | None = None) -> tuple[list[Task], str, str]:
    """The tasks of ``protocol`` on the data under ``data``; returns (tasks, data set name, preset)."""
    if protocol == "paper-mnist":
        return paper_tasks(_dataset("mnist", data), "1", limit), "mnist", "paper-mnist"
    if protocol == "paper-cifar":
        ds = _dataset("cifar10", data)
        return paper_tasks(ds, "dog", limit), f"cifar10 ({ds.layout})", "paper-cifar"
    if protocol == "one-class":
        name = dataset or "mnist"
        ds = _dataset(name, data)
        return one_class_tasks(ds, classes, limit), f"{name} ({ds.layout})", ONE_CLASS_PRESET[name]
    if protocol == "caltech-airplanes":
        return caltech_tasks(_dataset("caltech101", data), limit, names=classes), "caltech101", "caltech-cae"
    raise InputError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")


PROTOCOLS = ("paper-mnist", "paper-cifar", "one-class", "caltech-airplanes")


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
