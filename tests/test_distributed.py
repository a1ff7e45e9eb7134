"""Data-parallel training with torchrun: 2 CPU processes on the gloo backend reach the model one
process reaches (same batches, averaged gradients), and rank 0 alone writes it."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from tests.conftest import ROOT, blobs


def test_two_processes_train_the_same_model_as_one(tmp_path):
    X = np.concatenate([blobs(600, seed=1), blobs(150, anomalous=True, seed=2)])
    np.savez(tmp_path / "d.npz", X=X, y=np.r_[np.zeros(600, int), np.ones(150, int)])
    fit = ["-m", "aedetect", "fit", "d.npz", "--normal", "0", "--epochs", "8", "--batch-size", "32",
           "--device", "cpu", "-q", "--checkpoint-every", "0", "--model-options",
           '{"hidden": [32], "latent": 8}']
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                "--master-port", "29577"]
    env = {"PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    two = subprocess.run([*torchrun, *fit, "--out", "two", "--distributed"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300, env=env)
    assert two.returncode == 0, two.stderr[-3000:]
    one = subprocess.run([sys.executable, *fit, "--out", "one"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300, env=env)
    assert one.returncode == 0, one.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.npz", "one", "two"]  # nothing else written
    assert two.stderr.count("saved to two") == 1  # rank 0 alone

    runs = {}
    for name in ("one", "two"):
        config = json.loads((tmp_path / name / "config.json").read_text())
        res = subprocess.run([sys.executable, "-m", "aedetect", "evaluate", name, "d.npz", "--out",
                              f"e{name}", "--json"], cwd=tmp_path, capture_output=True, text=True,
                             timeout=300, env=env)
        assert res.returncode == 0, res.stderr[-3000:]
        runs[name] = (config["fitted"]["history_"]["val_loss"], json.loads(res.stdout)["auroc"])
    # the same steps on the same batches: losses agree up to the order of float sums (with batch
    # norm they would differ more: each process normalises by the statistics of its share)
    assert np.allclose(runs["one"][0], runs["two"][0], rtol=1e-3)
    assert abs(runs["one"][1] - runs["two"][1]) < 0.02 and runs["two"][1] > 0.9

    # scoring sharded over 2 processes: each writes its part, rank 0 merges: the same file as one process
    sharded = subprocess.run([*torchrun, "-m", "aedetect", "score", "one", "d.npz", "--out", "s2.csv",
                              "--distributed"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                             env=env)
    assert sharded.returncode == 0, sharded.stderr[-3000:]
    single = subprocess.run([sys.executable, "-m", "aedetect", "score", "one", "d.npz", "--out", "s1.csv"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert single.returncode == 0, single.stderr[-3000:]
    assert (tmp_path / "s1.csv").read_text() == (tmp_path / "s2.csv").read_text()
    assert not list(tmp_path.glob("*.part-*"))


def test_distributed_without_torchrun_is_a_clear_error(tmp_path):
    np.save(tmp_path / "x.npy", blobs(50))
    res = subprocess.run([sys.executable, "-m", "aedetect", "fit", "x.npy", "--out", "m", "--distributed"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert res.returncode == 2 and "runs under torchrun" in res.stderr
    assert not (tmp_path / "m").exists()
