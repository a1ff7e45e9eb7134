"""The data a model folder refers to: the data set opened as the model was fitted (image size,
colour), and the part of it to test on (the official test split, or the held-out part that
``fit`` recorded), with binary labels (1 = anomaly)."""

from __future__ import annotations

from aedetect.errors import InputError


def open_for_model(data: str, data_meta: dict, strict: bool = False):
    """Open ``data`` with the image size and colour the model was fitted with."""
    from aedetect.data.datasets import open_dataset

    size = data_meta.get("image_size")
    return open_dataset(data, image_size=tuple(size) if size else None, color=data_meta.get("color"),
                        strict=strict)


def take(X, index):
    """Rows ``index`` of an array, or a lazy subset of an image folder."""
    return X.subset(index) if hasattr(X, "subset") else X[index]


def evaluation_part(dataset, normal: list[int], data_meta: dict):
    """The part of ``dataset`` to test a model on, with binary labels (1 = anomaly).

    The official test split where the data set has one; otherwise the held-out
    split that ``fit`` recorded (same seed, fraction and sample count).
    Returns (X_test, y_test, test_index, part name).
    """
    from aedetect.data.splits import one_class_split

    if dataset.y_train is None:
        raise InputError(f"{dataset.name} is unlabelled: evaluating needs labelled normal and "
                         "anomalous samples (one subfolder per class, or y in the .npz)")
    if dataset.X_test is not None:
        split = one_class_split(dataset.y_train, normal, test_labels=dataset.y_test)
        return dataset.X_test, split.y_test, split.test, "test"
    if "test_fraction" not in data_meta:
        raise InputError(f"{dataset.name} has no official test split and the model folder records "
                         "no held-out split: fit the model with `aedetect fit` on this data")
    if data_meta.get("n_samples") != len(dataset.X_train):
        raise InputError(f"the model was fitted on data with {data_meta.get('n_samples')} samples; "
                         f"{dataset.name} has {len(dataset.X_train)}: the held-out split cannot "
                         "be rebuilt; evaluate on the data the model was fitted on")
    split = one_class_split(dataset.y_train, normal, test_fraction=data_meta["test_fraction"],
                            seed=data_meta["split_seed"])
    if split.y_test.min() == 1 or split.y_test.max() == 0:
        raise InputError(f"the held-out part of {dataset.name} holds only "
                         f"{'anomalous' if split.y_test.min() == 1 else 'normal'} samples: evaluating needs "
                         f"both (classes found: {', '.join(dataset.class_names)})")
    return take(dataset.X_train, split.test), split.y_test, split.test, "held-out"


def data_summary(dataset, normal: list[int]) -> dict:
    """What a report says about the data."""
    summary = {"name": dataset.name, "path": dataset.path, "layout": dataset.layout,
               "normal classes": ", ".join(dataset.class_names[i] for i in normal),
               "classes": len(dataset.class_names), "samples (training part)": len(dataset.X_train)}
    if dataset.X_test is not None:
        summary["samples (official test part)"] = len(dataset.X_test)
    if hasattr(dataset.X_train, "color"):  # an image folder
        (h, w), color = dataset.X_train.size, dataset.X_train.color
        summary["images"] = f"resized to {h}x{w}, {color}"
    return summary


def evaluation_data(data: str, data_meta: dict, normal: str | None, strict: bool = False):
    """The test part of ``data`` for a model fitted with ``data_meta``: opened as it was fitted,
    normal classes from ``normal`` or the model's record. Returns (X_test, y_test (1 = anomaly),
    class name per test sample, part name, summary of the data for reports)."""
    dataset = open_for_model(data, data_meta, strict)
    if normal is None and not data_meta.get("normal"):
        raise InputError("name the normal class(es) with --normal (the model folder records none)")
    labels = dataset.resolve_classes(normal if normal is not None else data_meta["normal"])
    X_test, y_test, index, part = evaluation_part(dataset, labels, data_meta)
    y_class = dataset.y_test if part == "test" else dataset.y_train[index]
    names = [dataset.class_names[c] for c in y_class]
    return X_test, y_test, names, part, {**data_summary(dataset, labels), "tested part": part}
