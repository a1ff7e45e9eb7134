"""Tables: the readers, the column encoding, contributions, the commands and the bad inputs."""

from __future__ import annotations

import csv
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from aedetect import AutoencoderDetector, load
from aedetect.cli.main import app
from aedetect.data.tables import read_table
from aedetect.errors import CollapseWarning, InputError
from aedetect.table_detector import TableDetector
from aedetect.table_encoding import TableEncoder

pytestmark = pytest.mark.filterwarnings("ignore::aedetect.errors.CollapseWarning")


def plant(n: int = 600, seed: int = 0, faults: float = 0.1) -> pd.DataFrame:
    """Sensor rows in very different units that move together; faults break the flow column."""
    rng = np.random.default_rng(seed)
    t = rng.normal(size=n)
    frame = pd.DataFrame({"temp": 20 + 5 * t + rng.normal(size=n) * 0.3,
                          "pressure": 1000 + 200 * t + rng.normal(size=n) * 5,
                          "flow": 0.01 * t + rng.normal(size=n) * 0.001,
                          "mode": rng.choice(["a", "b"], n), "status": "ok"})
    bad = rng.random(n) < faults
    frame.loc[bad, "flow"] = -frame.loc[bad, "flow"] + 0.03
    frame.loc[bad, "status"] = "fault"
    return frame


def small_detector(**kw) -> TableDetector:
    return TableDetector(detector=AutoencoderDetector(epochs=40, verbose=0, random_state=0), **kw)


# ------------------------------------------------------------------ readers
@pytest.mark.parametrize("name", ["t.csv", "t.csv.gz", "t.csv.bz2", "t.csv.xz", "semi.csv", "t.tsv",
                                  "t.parquet"])
def test_every_reader_gives_the_same_table(tmp_path, name):
    frame = plant(40)
    path = tmp_path / name
    if name.endswith(".parquet"):
        frame.to_parquet(path)
    else:
        sep = ";" if name == "semi.csv" else "\t" if name.endswith(".tsv") else ","
        frame.to_csv(path, index=False, sep=sep)
    got = read_table(path)
    assert list(got.columns) == list(frame.columns)
    np.testing.assert_allclose(got["pressure"], frame["pressure"])
    assert list(got["mode"]) == list(frame["mode"])


def test_array_tables_npz_and_mat(tmp_path):
    from scipy.io import savemat

    X, y = np.random.default_rng(0).random((30, 4)), np.r_[np.zeros(25), np.ones(5)]
    np.savez(tmp_path / "a.npz", X=X, y=y)
    savemat(tmp_path / "a.mat", {"X": X, "y": y[:, None]})
    for name in ("a.npz", "a.mat"):
        got = read_table(tmp_path / name)
        assert list(got.columns) == ["x0", "x1", "x2", "x3", "y"] and got["y"].sum() == 5


def test_tables_without_header_or_rows_are_refused(tmp_path):
    (tmp_path / "nohead.csv").write_text("1,2,3\n4,5,6\n")
    with pytest.raises(InputError, match="no header row"):
        read_table(tmp_path / "nohead.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("a,b\n")
    with pytest.raises(InputError, match="no rows"):
        read_table(tmp_path / "header.csv")


# ------------------------------------------------------------------ encoding
def test_robust_scaling_constant_columns_and_categories():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0], "c": [7.0] * 5, "m": list("aabba")})
    enc = TableEncoder("robust").fit(frame)
    assert enc.names_ == ["x", "c", "m=a", "m=b", "m=<other>"]
    Z = enc.transform(pd.DataFrame({"m": ["a", "z"], "c": [7.0, 9.0], "x": [3.0, 5.0]}))  # other order
    np.testing.assert_allclose(Z[:, 0], [0.0, 1.0])  # (x - median 3) / IQR 2
    np.testing.assert_allclose(Z[:, 1], [0.0, 2.0])  # constant column: spread 1, never 1/0
    np.testing.assert_array_equal(Z[:, 2:], [[1, 0, 0], [0, 0, 1]])  # unseen "z" -> the other slot
    assert enc.unseen_ == {"m": 1} and enc.constant_ == ["c"]
    again = TableEncoder.from_dict(enc.to_dict())
    assert TableEncoder().scaling == "standard"  # the default (benchmarks/tabular_defaults.py)
    np.testing.assert_array_equal(again.transform(frame), enc.transform(frame))


def test_bad_columns_are_named():
    ids = pd.DataFrame({"id": [f"r{i}" for i in range(50)], "x": np.arange(50.0)})
    with pytest.raises(InputError, match=r"\['id'\].*--drop-columns id"):
        TableEncoder().fit(ids)
    mixed = pd.DataFrame({"x": ["1.5", "2", "n/a", "4"], "y": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(InputError, match=r"'x' mixes numbers and text \(e.g. 'n/a' in row 2\)"):
        TableEncoder().fit(mixed)
    holes = pd.DataFrame({"x": [1.0, np.nan, 3.0], "y": [1.0, 2.0, np.nan]})
    with pytest.raises(InputError, match=r"missing values in column\(s\) \['x', 'y'\] \(first rows \[1, 2\]"):
        TableEncoder().fit(holes)
    enc = TableEncoder(impute="median").fit(holes)
    np.testing.assert_allclose(enc.transform(holes)[1, 0], 0.0)  # filled with the median
    with pytest.raises(InputError, match=r"lacks column\(s\) \['y'\]"):
        enc.transform(holes[["x"]])


# ------------------------------------------------------------------ detector
def test_contributions_split_the_reconstruction_error_and_point_at_the_broken_column(tmp_path):
    frame = plant(800)
    normal = frame[frame.status == "ok"].drop(columns="status")
    faults = frame[frame.status == "fault"].drop(columns="status")
    det = small_detector().fit(normal.iloc[:500])
    c = det.feature_contributions(faults)
    # a direct computation: the squared errors of the encoded row, summed per table column
    Z = det.encoder_.transform(faults)
    R = det.detector_.reconstruct(Z)
    direct = ((Z - R) ** 2).sum(axis=1) / Z.shape[1]
    np.testing.assert_allclose(c.error.sum(axis=1), direct, rtol=1e-5)
    np.testing.assert_allclose(c.error.sum(axis=1), det.detector_.reconstruction_error(Z), rtol=1e-4)
    # the score: reconstruction error and the two nearest-neighbour distances, standardised, summed
    assert det.detector_.score_head_.parts == ("reconstruction", "latent_knn", "input_knn")
    parts = det.detector_.score_parts(Z)
    np.testing.assert_allclose(parts.sum(axis=1), det.anomaly_score(faults), rtol=1e-5)
    bank = det.detector_.score_head_.input_knn.bank.numpy()
    nearest = np.sort(((Z[:, None, :] - bank[None]) ** 2).sum(axis=2), axis=1)[:, :5].mean(axis=1)
    scale = det.detector_.score_head_.scale
    assert not scale.log
    want = (nearest - scale.center[2].item()) / scale.scale[2].item()
    np.testing.assert_allclose(parts[:, 2], want, rtol=1e-3, atol=1e-4)
    assert sum(row[0][0] in ("flow", "temp", "pressure") for row in c.top(1)) == len(faults)
    assert list(c.observed.columns) == list(c.expected.columns) == ["temp", "pressure", "flow", "mode"]
    from sklearn.metrics import roc_auc_score

    scores = det.anomaly_score(pd.concat([normal.iloc[500:], faults]))
    assert roc_auc_score(np.r_[np.zeros(len(normal) - 500), np.ones(len(faults))], scores) > 0.9
    det.save(tmp_path / "m")
    again = load(tmp_path / "m")
    assert isinstance(again, TableDetector)
    np.testing.assert_allclose(again.anomaly_score(faults[faults.columns[::-1]]), det.anomaly_score(faults))


def test_unseen_categories_are_counted_in_a_warning():
    frame = plant(300).drop(columns="status")
    det = small_detector().fit(frame)
    new = frame.iloc[:5].assign(mode="c")
    with pytest.warns(UserWarning, match="mode: 5"):
        det.anomaly_score(new)


# ------------------------------------------------------------------ commands
def test_fit_evaluate_score_a_csv(tmp_path):
    table = plant(900).assign(machine=lambda f: [f"m{i}" for i in range(len(f))])
    table.to_csv(tmp_path / "p.csv", index=False)
    plant(50, seed=3).drop(columns="status").to_csv(tmp_path / "new.csv", index=False)
    run = CliRunner().invoke
    bad = run(app, ["fit", str(tmp_path / "p.csv"), "--label-column", "status", "--normal", "ok",
                    "--out", str(tmp_path / "m")])
    assert bad.exit_code == 2 and "--drop-columns machine" in bad.output
    assert not (tmp_path / "m").exists()
    fit = run(app, ["fit", str(tmp_path / "p.csv"), "--label-column", "status", "--normal", "ok",
                    "--drop-columns", "machine", "--epochs", "30", "-q", "--out", str(tmp_path / "m")])
    assert fit.exit_code == 0, fit.output
    ev = run(app, ["evaluate", str(tmp_path / "m"), str(tmp_path / "p.csv"), "--out", str(tmp_path / "e")])
    assert ev.exit_code == 0, ev.output
    assert "Most anomalous rows" in (tmp_path / "e" / "report.html").read_text()
    sc = run(app, ["score", str(tmp_path / "m"), str(tmp_path / "new.csv"), "--out", str(tmp_path / "s.csv")])
    assert sc.exit_code == 0, sc.output
    with open(tmp_path / "s.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 50 and {r["column1"] for r in rows} <= {"temp", "pressure", "flow", "mode"}
    assert all(abs(sum(float(r[f"share{k}"]) for k in (1, 2, 3)) - 1) < 0.2 for r in rows)


@pytest.mark.parametrize(("args", "message"), [
    (["--label-column", "nope", "--normal", "ok"], r"column\(s\) \['nope'\] not in the table"),
    (["--label-column", "status", "--normal", "fine"], r"normal value\(s\) \['fine'\] never occur"),
    (["--label-column", "status"], "name the normal value"),
])
def test_bad_table_options_are_one_line(tmp_path, args, message):
    plant(60).to_csv(tmp_path / "p.csv", index=False)
    res = CliRunner().invoke(app, ["fit", str(tmp_path / "p.csv"), *args, "--out", str(tmp_path / "m")])
    assert res.exit_code == 2 and re.search(message, res.output), res.output
    assert not (tmp_path / "m").exists()


def test_collapse_warning_is_not_raised_for_a_working_table_model():
    frame = plant(600).drop(columns="status")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CollapseWarning)
        small_detector().fit(frame)



def test_contaminated_training_learns_the_normal_rows_not_the_anomalies():
    """20% of the training rows break the pattern; leaving out the worst-reconstructed 20% each
    epoch keeps them from being learned, so they stand out more among the training rows."""
    from sklearn.metrics import roc_auc_score

    frame = plant(1000, faults=0.2, seed=5)
    X, y = frame.drop(columns="status"), (frame.status == "fault").to_numpy()
    auroc = {}
    for share in (0.0, 0.2):
        det = TableDetector(detector=AutoencoderDetector(epochs=40, trim=share, verbose=0,
                                                         random_state=0)).fit(X)
        auroc[share] = roc_auc_score(y, det.anomaly_score(X))
    assert auroc[0.2] > auroc[0.0] + 0.02, auroc
    with pytest.raises(InputError, match="trim must be a share"):
        AutoencoderDetector(trim=0.7).fit(np.zeros((10, 3)))


def test_tabular_benchmark_runs_stores_and_ranks(tmp_path):
    from aedetect.benchmarking import tabular

    data = tmp_path / "adbench"
    data.mkdir()
    for k, name in enumerate(["1_small", "2_other"]):
        rng = np.random.default_rng(k)
        t = rng.normal(size=(400, 1))
        normal = np.hstack([t, 2 * t, -t]) + rng.normal(scale=0.05, size=(400, 3))
        odd = rng.normal(scale=2, size=(40, 3))
        np.savez(data / f"{name}.npz", X=np.vstack([normal, odd]), y=np.r_[np.zeros(400), np.ones(40)])
    res = CliRunner().invoke(app, ["benchmark", "tabular", "--data", str(data), "--models", "aedetect",
                                   "--seeds", "1", "--epochs", "5", "-q", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    import json

    result = json.loads((tmp_path / "out" / "results.json").read_text())
    assert len(result["rows"]) == 4 and min(r["auroc"] for r in result["rows"]) > 0.8
    assert "novelty: mean over tables" in (tmp_path / "out" / "results.md").read_text()
    rows = [{"set": s, "protocol": "novelty", "method": m, "seed": 0, "auroc": a, "aupr": a,
             "train_seconds": 1.0, "score_seconds": 0.1}
            for s, m, a in [("a", "x", 0.9), ("a", "y", 0.8), ("b", "x", 0.6), ("b", "y", 0.7)]]
    summary = tabular.summarise(rows)["novelty"]
    assert summary["x"]["rank"] == summary["y"]["rank"] == 1.5
    assert summary["x"]["auroc"] == pytest.approx(0.75)
    store = tmp_path / "runs"
    first = tabular.run(data, methods=["aedetect"], protocols=("novelty",), seeds=[0], store=store, epochs=2)
    assert len(list(store.glob("*.json"))) == 2
    again = tabular.run(data, methods=["aedetect"], protocols=("novelty",), seeds=[0], store=store, epochs=2)
    assert again == first  # loaded from the store, not trained again
