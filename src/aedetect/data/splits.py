"""Seeded splits for one-class work: which samples train, validate and test.

Labels here are class labels (ints); the binary targets returned for testing
use 1 = anomaly (the positive class of every metric) and 0 = normal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from aedetect.errors import InputError


def train_validation_split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted index arrays (train, validation) of a seeded random split of n samples.

    The validation slice holds ``round(n * fraction)`` samples, at least one;
    at least one sample is left for training.
    """
    if not 0.0 < fraction < 1.0:
        raise InputError(f"validation_fraction must be between 0 and 1 (exclusive); got {fraction}")
    n_val = max(1, int(round(n * fraction)))
    if n - n_val < 1:
        raise InputError(
            f"too few samples ({n}) to split off a validation slice of {fraction:.0%}: "
            "pass more normal samples"
        )
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


@dataclass
class OneClassSplit:
    """Indices of a one-class experiment.

    ``train`` indexes the training part (normal samples only); ``test`` indexes
    the test part (the official test set, or a held-out slice of the training
    part); ``y_test`` is 1 for anomalies, 0 for normal samples, aligned with ``test``.
    ``official_test`` says which part ``test`` indexes into.
    """

    train: np.ndarray
    test: np.ndarray
    y_test: np.ndarray
    official_test: bool


def group_validation_split(groups: np.ndarray, fraction: float, seed: int):
    """Hold out whole groups (e.g. the clip each spectrogram frame comes from): a seeded
    ``fraction`` of the distinct groups. Returns (train index, validation index)."""
    names, which = np.unique(np.asarray(groups), return_inverse=True)
    _, val_groups = train_validation_split(len(names), fraction, seed)
    is_val = np.isin(which, val_groups)
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def one_class_split(labels: np.ndarray, normal: list[int], *, test_labels: np.ndarray | None = None,
                    test_fraction: float = 0.2, seed: int = 0) -> OneClassSplit:
    """Split labelled data for training on the ``normal`` classes only.

    With ``test_labels`` (the data set has an official test split) every test
    sample is tested and all normal training samples train. Without, a seeded
    stratified ``test_fraction`` of all samples is held out for testing and
    the normal samples of the rest train; the held-out anomalies are the
    only anomalies used.
    """
    labels = np.asarray(labels)
    is_normal = np.isin(labels, normal)
    if not is_normal.any():
        raise InputError(f"no training samples of the normal class(es) {normal}")
    if test_labels is not None:
        test_labels = np.asarray(test_labels)
        return OneClassSplit(
            train=np.flatnonzero(is_normal),
            test=np.arange(len(test_labels)),
            y_test=(~np.isin(test_labels, normal)).astype(np.int64),
            official_test=True,
        )
    if not 0.0 < test_fraction < 1.0:
        raise InputError(f"test_fraction must be between 0 and 1 (exclusive); got {test_fraction}")
    index = np.arange(len(labels))
    # stratify by class; where classes are too small for that, by normal vs anomaly, else not at all
    for stratify in (labels, is_normal, None):
        try:
            rest, test = train_test_split(index, test_size=test_fraction, random_state=seed,
                                          stratify=stratify)
            break
        except ValueError:
            continue
    else:
        raise InputError(f"too few samples ({len(labels)}) to hold out a test fraction of {test_fraction}")
    rest, test = np.sort(rest), np.sort(test)
    train = rest[is_normal[rest]]
    if len(train) == 0:
        raise InputError("the held-out split left no normal samples to train on")
    return OneClassSplit(train=train, test=test, y_test=(~is_normal[test]).astype(np.int64),
                         official_test=False)


def table_split(y: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, test rows): a seeded split of ``test_fraction``, stratified by ``y``."""
    if not 0 < test_fraction < 1:
        raise InputError(f"test_fraction must be between 0 and 1 (exclusive); got {test_fraction}")
    rows = np.arange(len(y))
    stratify = y if np.bincount(y).min() >= 2 else None
    train, test = train_test_split(rows, test_size=test_fraction, random_state=seed, stratify=stratify)
    return np.sort(train), np.sort(test)
