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
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aedetect.errors import InputError

PROTOCOLS = ("paper-mnist", "paper-cifar", "one-class", "caltech-airplanes")
ONE_CLASS_PRESET = {"mnist": "paper-mnist", "fashion-mnist": "paper-mnist", "cifar10": "paper-cifar"}


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
        return open_dataset(_first_with(root, ["", "fashion-mnist"], "train-images-idx3-ubyte",
                                        hint="apt-get install dataset-fashion-mnist, then pass "
                                             "--data /usr/share/datasets/fashion-mnist"))
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
