"""Fitting on a data set as the command line does it: the normal part of a data set (or the
normal clips of a machine-sound folder) trains a detector, the split it held out for testing
is recorded, and the model folder is written (by rank 0 alone under torchrun)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from aedetect.console import info
from aedetect.distributed import is_main_process
from aedetect.errors import InputError


def checkpoint_dir(out: Path) -> Path:
    """Where ``aedetect fit --out OUT`` keeps its checkpoints until OUT is complete."""
    return out.with_name(out.name + ".checkpoint")


def fit_on_dataset(dataset, normal: str | None, params: dict, *, test_fraction: float,
                   split_seed: int, out: Path, checkpoint_every: int = 0, resume: bool = False):
    """Fit an AutoencoderDetector on the normal training samples of ``dataset`` and save it.

    Without an official test split, a seeded stratified ``test_fraction`` of the
    data is held out (never trained on) and recorded in the model folder for
    ``aedetect evaluate``. With ``checkpoint_every`` the training state is saved
    to :func:`checkpoint_dir` (removed once ``out`` is written); ``resume``
    continues from it. Returns the fitted detector and the data record saved with it.
    """
    from aedetect.data.images import ImageFolder
    from aedetect.data.model_data import take
    from aedetect.data.splits import one_class_split
    from aedetect.detector import AutoencoderDetector

    meta = {"path": dataset.path, "name": dataset.name, "layout": dataset.layout,
            "n_samples": len(dataset.X_train), "class_names": dataset.class_names}
    if isinstance(dataset.X_train, ImageFolder):
        meta.update(image_size=list(dataset.X_train.size), color=dataset.X_train.color)
    present = [] if dataset.y_train is None else np.unique(dataset.y_train)
    if normal is None and len(present) == 1:  # e.g. MVTec's train/good: the one training class
        normal = dataset.class_names[int(present[0])]
        info(f"normal class: {normal} (the only class in the training part)")
    if normal is None and dataset.y_train is not None:
        raise InputError(f"{dataset.name} has classes: name the normal one(s) with --normal, "
                         f"e.g. --normal {dataset.class_names[0]}")
    if normal is None:
        X = dataset.X_train
        meta["normal"] = []
    else:
        labels = dataset.resolve_classes(normal)
        split = one_class_split(dataset.y_train, labels, test_labels=dataset.y_test,
                                test_fraction=test_fraction, seed=split_seed)
        X = take(dataset.X_train, split.train)
        meta["normal"] = [dataset.class_names[i] for i in labels]
        if not split.official_test:
            meta.update(test_fraction=test_fraction, split_seed=split_seed)
    main = is_main_process()
    if main:
        info(f"fitting {params['model']} on {len(X)} normal samples of {dataset.name} "
             f"(shape {tuple(X.shape[1:])})")
    ck = checkpoint_dir(out) if checkpoint_every or resume else None
    detector = AutoencoderDetector(**params).fit(X, checkpoint_dir=ck, checkpoint_every=checkpoint_every,
                                                 resume=resume)
    if not main:
        return detector, meta
    detector.save(out, metadata={"data": meta})
    if ck is not None and ck.exists():
        shutil.rmtree(ck)
    h = detector.history_
    info(f"best validation loss {min(h['val_loss']):.5f} at epoch {h['best_epoch']} of "
         f"{len(h['val_loss'])} ({h['seconds']:.1f} s); threshold {detector.threshold_:.5g} "
         f"({detector.threshold_method_}); saved to {out}")
    return detector, meta


def clip_name(clip, root: Path) -> str:
    return clip.path.relative_to(root).as_posix() if root.is_dir() else clip.path.name


def fit_audio(data: str, params: dict, out: Path, *, features: dict, aggregate: str, top_k: float,
              test_fraction: float, split_seed: int, strict: bool, checkpoint_dir: Path | None = None,
              checkpoint_every: int = 0, resume: bool = False):
    """Fit an AudioDetector on the normal training clips of machine folder ``data`` and save it.

    Where the data has no normal test clips (MIMII, normal/ + anomaly/, or a
    DCASE copy whose test/ holds only anomalies) a seeded ``test_fraction`` of
    the normal clips is held out for ``aedetect evaluate`` and recorded by name.
    ``checkpoint_dir`` is removed once ``out`` is written.
    """
    from aedetect.audio_detector import AudioDetector
    from aedetect.data.audio import AudioFeatures
    from aedetect.data.audio_layouts import find_clips, hold_out_normals, load_clips
    from aedetect.detector import AutoencoderDetector

    root = Path(data)
    layout, clips = find_clips(root)
    held = hold_out_normals(clips, test_fraction, split_seed) if layout != "files" else []
    train = [c for c in clips if c.part == "train" and c not in held]
    feats = AudioFeatures.from_dict(features)
    train, specs = load_clips(train, feats, strict=strict, training=True)
    info(f"fitting {params['model']} on {len(train)} normal clips of {root.name} ({layout} layout; "
         f"{len(held)} normal clips held out for testing)")
    detector = AudioDetector(detector=AutoencoderDetector(**params), features=features, aggregate=aggregate,
                             top_k=top_k)
    detector.fit(specs, checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every, resume=resume)
    if not is_main_process():
        return detector
    meta = {"path": str(root), "name": root.name, "layout": f"audio-{layout}", "n_samples": len(train),
            "held_out": [clip_name(c, root) for c in held],
            "machine_ids": sorted({c.machine_id for c in train})}
    if held:
        meta.update(test_fraction=test_fraction, split_seed=split_seed)
    detector.save(out, metadata={"data": meta})
    if checkpoint_dir is not None and checkpoint_dir.exists():
        shutil.rmtree(checkpoint_dir)
    h = detector.detector_.history_
    info(f"best validation loss {min(h['val_loss']):.5f} at epoch {h['best_epoch']} ({h['seconds']:.1f} s); "
         f"clip threshold {detector.threshold_:.5g} ({detector.threshold_method_}); saved to {out}")
    return detector




def fit_table(data: str | Path, params: dict, *, label_column: str | None, normal: str | None,
              feature_columns: list[str] | None, drop_columns: list[str] | None, scaling: str,
              impute: str | None, test_fraction: float, split_seed: int, out: Path,
              checkpoint_every: int = 0, resume: bool = False):
    """Fit a TableDetector on the normal rows of the table at ``data`` and save it. With a label
    column, a seeded stratified ``test_fraction`` of the rows is held out (recorded for
    ``aedetect evaluate``) and the detector trains on the normal rows of the rest."""
    from aedetect.data.splits import table_split
    from aedetect.data.tables import anomaly_labels, read_table, select_columns
    from aedetect.detector import AutoencoderDetector
    from aedetect.table_detector import TableDetector

    frame = read_table(data)
    features, labels = select_columns(frame, label_column=label_column, feature_columns=feature_columns,
                                      drop_columns=drop_columns)
    meta = {"path": str(Path(data).resolve()), "kind": "table", "n_rows": len(frame),
            "label_column": label_column, "feature_columns": [str(c) for c in features.columns], "normal": []}
    X = features
    if labels is not None:
        if not normal:
            values = sorted(set(labels.astype(str).str.strip()))
            raise InputError(f"name the normal value(s) of --label-column {label_column} with --normal, e.g. "
                             f"--normal {values[0]} (its values: {', '.join(values[:10])})")
        meta["normal"] = [v.strip() for v in str(normal).split(",") if v.strip()]
        y = anomaly_labels(labels, meta["normal"])
        train, _ = table_split(y, test_fraction, split_seed)
        X = features.iloc[train[y[train] == 0]]
        meta.update(test_fraction=test_fraction, split_seed=split_seed)
    elif normal:
        raise InputError("--normal needs --label-column: the column that holds the labels")
    info(f"fitting a table model on {len(X)} normal rows of {Path(data).name} ({features.shape[1]} columns)")
    ck = checkpoint_dir(out) if checkpoint_every or resume else None
    detector = TableDetector(detector=AutoencoderDetector(**params), scaling=scaling, impute=impute)
    detector.fit(X, checkpoint_dir=ck, checkpoint_every=checkpoint_every, resume=resume)
    detector.save(out, metadata={"data": meta})
    if ck is not None and ck.exists():
        shutil.rmtree(ck)
    enc = detector.encoder_
    info(f"{len(enc.columns_)} columns -> {len(enc.names_)} inputs ({len(enc.categories_)} one-hot encoded, "
         f"{len(enc.constant_)} constant); threshold {detector.threshold_:.5g}; saved to {out}")
    return detector, meta


def fit_inspection(data: str | Path, params: dict, *, image_size: tuple[int, int] | None, color: str | None,
                   test_fraction: float, split_seed: int, out: Path, checkpoint_every: int = 0,
                   resume: bool = False):
    """Fit an AutoencoderDetector on the normal training images of an inspection data set
    (:mod:`aedetect.data.inspection`) and save it, recording the layout for ``aedetect evaluate``."""
    from aedetect.data.images import ImageFolder
    from aedetect.data.inspection import open_inspection
    from aedetect.detector import AutoencoderDetector

    found = open_inspection(data, test_fraction=test_fraction, seed=split_seed, masks="ignore")  # not needed
    X = ImageFolder(found.train, size=image_size, color=color)
    meta = {"path": str(Path(data).resolve()), "kind": "inspection", "layout": found.layout,
            "name": found.name, "image_size": list(X.size), "color": X.color, "normal": ["good"],
            "test_fraction": test_fraction, "split_seed": split_seed}
    info(f"fitting {params['model']} on {len(X)} normal images of {found.name} ({found.layout} layout, "
         f"{X.size[0]}x{X.size[1]} {X.color}); {len(found.test)} test images for aedetect evaluate")
    ck = checkpoint_dir(out) if checkpoint_every or resume else None
    detector = AutoencoderDetector(**params).fit(np.asarray(X), checkpoint_dir=ck,
                                                 checkpoint_every=checkpoint_every, resume=resume)
    maps = held_out_map_threshold(detector, X, kind=detector.model_.map_kind)
    detector.save(out, metadata={"data": meta, "maps": maps})
    if ck is not None and ck.exists():
        shutil.rmtree(ck)
    info(f"threshold {detector.threshold_:.5g} ({detector.threshold_method_}), map threshold "
         f"{maps['threshold']:.5g}; saved to {out}")
    return detector, meta


def held_out_map_threshold(detector, X, kind: str = "squared", sigma: float = 4.0,
                           percentile: float = 99.5) -> dict:
    """The map threshold of an image model from the training images it held out for validation
    (the same seeded split as ``fit``): the ``percentile`` of their map values."""
    from aedetect.data.splits import train_validation_split
    from aedetect.inspection_evaluation import map_threshold

    _, val = train_validation_split(len(X), detector.validation_fraction, detector.seed_)
    return {"kind": kind, "sigma": sigma, "percentile": percentile, "images": len(val),
            "threshold": map_threshold(detector, X[np.sort(val)], kind, sigma, percentile)}
