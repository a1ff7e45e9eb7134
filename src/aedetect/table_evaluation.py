"""Tables as the command line evaluates and scores them: the rows a model folder held out for
testing, and scores with each row's top contributing columns, streamed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from aedetect.data.splits import table_split
from aedetect.data.tables import anomaly_labels, iter_table, read_table, select_columns
from aedetect.errors import InputError


def open_table(data: str | Path, meta: dict):
    """(features, anomaly labels or None, label values or None) of the table at ``data``, with the
    columns a model folder's ``meta`` names."""
    frame = read_table(data)
    features, labels = select_columns(frame, label_column=meta.get("label_column"),
                                      feature_columns=meta.get("feature_columns"))
    if labels is None:
        return features, None, None
    return features, anomaly_labels(labels, meta["normal"]), labels.astype(str).str.strip().to_numpy()


def test_part(data: str | Path, meta: dict):
    """(X_test, y_test, label values) of the rows the model folder held out for testing."""
    if not meta.get("label_column"):
        raise InputError("this table model was fitted without a label column, so no rows were held out "
                         "for testing: fit with --label-column C --normal V to evaluate")
    features, y, values = open_table(data, meta)
    if len(y) != meta.get("n_rows"):
        raise InputError(f"the table has {len(y)} rows; the model was fitted on one of {meta.get('n_rows')}: "
                         "evaluate on the table the model was fitted on")
    _, test = table_split(y, meta["test_fraction"], meta["split_seed"])
    return features.iloc[test], y[test], list(values[test])


def score_rows(detector, data: str | Path, top: int = 3, chunk_rows: int = 65536) -> Iterator[list]:
    """CSV rows (index, score, flagged, then column / share pairs of the ``top`` columns) of every
    row of the table at ``data``, read in chunks so that a large file streams through."""
    start = 0
    for chunk in iter_table(data, chunk_rows):
        c = detector.feature_contributions(chunk)
        plain = tuple(detector.detector_.score_head_.parts) == ("reconstruction",)
        scores = c.error.to_numpy().sum(axis=1) if plain else detector.anomaly_score(chunk)  # one pass
        for i, (score, cols) in enumerate(zip(scores, c.top(top))):
            yield [start + i, f"{score:.6g}", int(score > detector.threshold_),
                   *(x for name, share in cols for x in (name, f"{share:.3f}"))]
        start += len(chunk)


def score_header(top: int = 3) -> list[str]:
    return ["index", "score", "flagged", *(f"{k}{i}" for i in range(1, top + 1) for k in ("column", "share"))]
