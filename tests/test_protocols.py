import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aedetect.benchmarking import PUBLISHED
from aedetect.benchmarking.protocols import protocol_tasks
from aedetect.benchmarking.runner import summarise
from aedetect.cli.main import app
from aedetect.data.cifar import read_batch
from aedetect.data.datasets import open_dataset
from aedetect.errors import InputError
from tests.conftest import real_data, require


def write_cifar_python(folder, n=4):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        data[0, :1024] = 255  # red channel of the first image
        batch = {b"batch_label": b"x", b"labels": list(range(n)), b"data": data, b"filenames": [b"a"] * n}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)


def test_cifar_python_layout_is_read_without_running_code(tmp_path):
    write_cifar_python(tmp_path / "cifar-10-batches-py")
    ds = open_dataset(tmp_path)  # the folder holding cifar-10-batches-py is recognised
    assert ds.layout == "cifar-python" and ds.class_names[5] == "dog"
    assert ds.X_train.shape == (20, 32, 32, 3) and ds.X_test.shape == (4, 32, 32, 3)
    assert (ds.X_train[0, :, :, 0] == 255).all()  # channel-first rows became channel-last pixels


def test_a_tampered_cifar_batch_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("this must not run",))

    with open(tmp_path / "data_batch_1", "wb") as f:
        pickle.dump({b"data": Evil(), b"labels": [0]}, f)
    with pytest.raises(InputError, match="refusing to load builtins.print"):
        read_batch(tmp_path / "data_batch_1")


def test_missing_data_says_where_it_looked(tmp_path):
    with pytest.raises(InputError, match="looked for .*data_batch_1 or train in .*cifar10-jpeg"):
        protocol_tasks("paper-cifar", tmp_path)
    with pytest.raises(InputError, match="unknown protocol"):
        protocol_tasks("paper-svhn", tmp_path)


def test_summarise_averages_over_seeds():
    rows = [{"model": "cae", "normal": "1", "anomalous": "7", "auroc": a, "aupr": 0.5, "f1": 0.5,
             "train_seconds": 2.0, "collapsed": False} for a in (0.8, 0.9)]
    (entry,) = summarise(rows)
    assert entry["auroc"] == pytest.approx(0.85) and entry["auroc_sd"] == pytest.approx(0.05)
    assert entry["seeds"] == 2


def run_quick(protocol, tmp_path, *extra, data=None):
    data = data or real_data("")
    result = CliRunner().invoke(app, ["benchmark", protocol, "--data", str(data), "--models", "cae",
                                      "--seeds", "1", "--epochs", "1", "--limit", "20", "--quiet",
                                      "--out", str(tmp_path), *extra])
    assert result.exit_code == 0, result.output + str(result.exception)
    results = json.loads((tmp_path / "results.json").read_text())
    assert (tmp_path / "report.html").stat().st_size > 10_000
    return results, (tmp_path / "results.md").read_text()


@pytest.mark.parametrize("protocol", ["paper-mnist", "paper-cifar"])
def test_paper_protocols_on_a_tiny_subset(protocol, tmp_path):
    results, md = run_quick(protocol, tmp_path)
    published = PUBLISHED[protocol]["auroc"]
    assert {r["anomalous"] for r in results["rows"]} == set(published)  # one test per other class
    for r in results["rows"]:
        assert r["n_normal"] == 20 and r["n_anomalous"] == 20 and r["n_train"] == 20
    first = next(iter(published))
    assert " / ".join(f"{v:.4f}" for v in published[first]) in md
    assert results["provenance"]["seeds"] == [0] and "machine" in results["provenance"]
    assert results["provenance"]["code"]  # the git commit it ran from, or "unknown"


def test_one_class_on_a_tiny_subset(tmp_path):
    results, md = run_quick("one-class", tmp_path / "mnist", "--dataset", "mnist", "--classes", "0,1",
                            "--jobs", "2")
    assert [r["normal"] for r in results["rows"]] == ["0", "1"]  # in order, though trained side by side
    assert results["provenance"]["jobs"] == 2 and results["provenance"]["threads_per_job"] >= 1
    assert results["provenance"]["wall_seconds"] > 0
    assert all(r["n_normal"] == 20 and r["n_anomalous"] == 180 for r in results["rows"])
    assert all(r["score_seconds"] > 0 for r in results["rows"]) and "cae scoring s" in md
    assert "GEOM" in md


def test_one_class_fashion_mnist_from_the_debian_package(tmp_path):
    fashion = Path("/usr/share/datasets/fashion-mnist")  # where the Debian package puts it
    if not fashion.exists():
        require(f"Fashion-MNIST at {fashion} (apt-get install dataset-fashion-mnist)")
    results, _ = run_quick("one-class", tmp_path, "--dataset", "fashion-mnist", "--classes", "Trouser",
                           data=fashion)
    assert results["rows"][0]["normal"] == "Trouser"


def test_caltech_protocol_on_a_tiny_subset(tmp_path):
    results, md = run_quick("caltech-airplanes", tmp_path)
    honest, leaky = results["rows"]
    assert honest["normal"] == "airplanes" and leaky["normal"] == "airplanes (leaky)"
    assert honest["n_train"] == 20 and leaky["n_train"] == 40  # leaky trains on the held-out planes too
    assert "accuracy_at_0.02" in honest and len(honest["sweep"]) == 9
    assert "threshold sweep" in md


def test_one_class_with_score_options(tmp_path):
    options = {"transforms": "rotate", "score_parts": ["reconstruction", "latent", "transform"]}
    results, _ = run_quick("one-class", tmp_path, "--dataset", "mnist", "--classes", "3",
                           "--model-options", json.dumps(options))
    assert results["provenance"]["model_options"] == options
    assert 0.0 <= results["rows"][0]["auroc"] <= 1.0
    bad = CliRunner().invoke(app, ["benchmark", "one-class", "--data", str(real_data("")), "--out",
                                   str(tmp_path / "bad"), "--model-options", "{transforms"])
    assert bad.exit_code == 2 and "not valid JSON" in bad.output and not (tmp_path / "bad").exists()


def test_fixed_thresholds_are_left_out_for_a_sum_of_standardised_parts(tmp_path):
    options = {"score_parts": ["reconstruction", "latent"]}
    results, md = run_quick("caltech-airplanes", tmp_path, "--model-options", json.dumps(options),
                            "--classes", "airplanes")
    assert [r["normal"] for r in results["rows"]] == ["airplanes"]  # the leaky contrast left out
    assert all("f1_at_0.02" not in r and "sweep" not in r for r in results["rows"])
    assert "threshold sweep" not in md and "leaky" not in md
    with pytest.raises(InputError, match="no task 'planes'; choose among 'airplanes', 'airplanes \\(leaky"):
        protocol_tasks("caltech-airplanes", real_data(""), classes=["planes"], limit=5)


def test_parallel_jobs_give_the_rows_of_one_job():
    import torch

    from aedetect.benchmarking.protocols import Task
    from aedetect.benchmarking.runner import run_tasks
    from tests.conftest import blobs

    X_test = np.concatenate([blobs(20, 16, seed=1), blobs(20, 16, anomalous=True, seed=2)])
    y = np.r_[np.zeros(20, int), np.ones(20, int)]
    tasks = [Task(f"t{k}", blobs(60, 16, seed=10 + k), X_test, {"all": (np.arange(40), y)}) for k in range(2)]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one job and each of the two workers then sum floats alike
    try:
        settings = {"preset": "homework-conv", "epochs": 2}
        seen = []
        one = run_tasks("one-class", tasks, ["cae"], [0, 1], **settings)
        two = run_tasks("one-class", tasks, ["cae"], [0, 1], jobs=2, **settings,
                        on_run=lambda t, m, s: seen.append((t, m, s)))
    finally:
        torch.set_num_threads(threads)
    assert sorted(seen) == [(t, "cae", s) for t in ("t0", "t1") for s in (0, 1)]
    assert [(r["normal"], r["seed"]) for r in two] == [(r["normal"], r["seed"]) for r in one]
    for a, b in zip(one, two):
        assert a["auroc"] == pytest.approx(b["auroc"], abs=1e-9)
        assert a["threshold"] == pytest.approx(b["threshold"])


def test_a_stopped_benchmark_goes_on_with_resume(tmp_path, monkeypatch):
    import aedetect.benchmarking.runner as runner

    args = ["one-class", tmp_path / "run", "--dataset", "mnist", "--classes", "0,1"]
    whole, _ = run_quick(*args[:1], tmp_path / "whole", *args[2:])
    assert not (tmp_path / "whole" / "runs").exists()  # kept only until the results are written

    train = runner._run_unit

    def stop_at_class_1(task, *a, **kw):
        if task.name == "1":
            raise RuntimeError("power cut")
        return train(task, *a, **kw)

    monkeypatch.setattr(runner, "_run_unit", stop_at_class_1)
    with pytest.raises(AssertionError, match="power cut"):
        run_quick(*args)
    monkeypatch.undo()
    runs = tmp_path / "run" / "runs"
    assert [p.name for p in runs.iterdir()] == ["0-cae-seed0.json"]
    assert not (tmp_path / "run" / "results.json").exists()

    again = CliRunner().invoke(app, ["benchmark", "one-class", "--data", str(real_data("")), "--out",
                                     str(tmp_path / "run"), "--quiet"])
    assert again.exit_code == 2 and "holds 1 finished runs" in again.output and "--resume" in again.output
    other = CliRunner().invoke(app, ["benchmark", "one-class", "--data", str(real_data("")), "--models",
                                     "cae", "--seeds", "1", "--epochs", "2", "--limit", "20", "--classes",
                                     "0,1", "--resume", "--quiet", "--out", str(tmp_path / "run")])
    assert other.exit_code == 2 and "other settings: epochs 1 (now 2)" in other.output
    cosine = CliRunner().invoke(app, ["benchmark", "one-class", "--data", str(real_data("")), "--models",
                                      "cae", "--seeds", "1", "--epochs", "1", "--limit", "20", "--classes",
                                      "0,1", "--lr-schedule", "cosine", "--resume", "--quiet", "--out",
                                      str(tmp_path / "run")])
    assert cosine.exit_code == 2 and "lr_schedule 'constant' (now 'cosine')" in cosine.output
    stored = json.loads((runs / "0-cae-seed0.json").read_text())
    del stored["run"]["lr_schedule"]  # as stored before that setting existed: the constant rate
    (runs / "0-cae-seed0.json").write_text(json.dumps(stored))

    resumed, md = run_quick(*args, "--resume")
    assert not runs.exists() and "1 of 2 runs from a stopped run" in md
    first, second = resumed["rows"]
    assert "resumed_from" in first and "resumed_from" not in second
    for a, b in zip(whole["rows"], resumed["rows"]):  # the same numbers as the run that was not stopped
        assert a["auroc"] == pytest.approx(b["auroc"], abs=1e-9) and a["normal"] == b["normal"]
