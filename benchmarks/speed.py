"""Speed side by side, in one run on one machine: aedetect against (a) the same network trained
the way the reference notebooks do it and (b) PyOD's AutoEncoder; plus onnxruntime scoring and
streaming a file larger than the scorer's memory budget.

Data: MNIST 28x28x1 (train: the official training images of digit 1, 10% held out; AUROC on
the official test images of digits 1 and 7; scoring throughput over all 60,000 training
images) and Caltech-101 96x96x3 (train: airplanes; AUROC: airplanes against Motorbikes, both
the training images here: a speed check, not a result; scoring over all 1,600 images, 4 times).
Models: the dense AE (`mnist-dense`: 784-400-20; on Caltech the same 400-20 on 27,648 inputs)
and the conv AE (`paper-mnist` network on MNIST, `caltech-cae` on Caltech), same epochs and
batch size for every implementation.

(a) "notebook": the identical network from aedetect's registry, data converted once to a
float32 TensorDataset, a shuffling DataLoader, per-batch .to(device), default threads,
validation loss every epoch on the same held-out 10%, scoring under torch.no_grad() in
DataLoader batches. (b) PyOD 2 `AutoEncoder` with its own network (64-32, batch norm, dropout)
and defaults, on the same flattened data scaled to [0, 1], the same epochs and batch size.
With ``--bf16``, aedetect also runs with ``precision="bfloat16"`` (training and scoring under
bfloat16 autocast; its ratios are against aedetect in float32).

Every configuration runs in its own subprocess, so its peak resident memory is its own.

    python benchmarks/speed.py --epochs 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import provenance, run_measured, write  # noqa: E402

TMP = Path(tempfile.gettempdir()) / "aedetect-speed"
# PyOD 2's AutoEncoder network: 64-32 dense, batch norm, ReLU, linear output (and dropout 0.2,
# which aedetect's dense AE does not have)
PYOD_NET = ("dense_ae", {"arch": "dense", "hidden": [64], "latent": 32, "norm": "batch", "output": "linear"})
MODELS = {  # data -> model -> (family, options), the networks named in the docstring
    "mnist": {"dense": ("dense_ae", {"arch": "dense", "hidden": [400], "latent": 20}),
              "conv": ("conv_ae", None), "pyod-net": PYOD_NET},
    "caltech": {"dense": ("dense_ae", {"arch": "dense", "hidden": [400], "latent": 20}),
                "conv": ("conv_ae", None), "pyod-net": PYOD_NET},
}
PRESET = {"mnist": "paper-mnist", "caltech": "caltech-cae"}
IMPLS = ("aedetect", "aedetect-bf16", "notebook", "pyod")  # aedetect-bf16: with --bf16


def prepare(data_dir: Path) -> None:
    """Write the uint8 arrays every run reads: TMP/mnist.npz and TMP/caltech.npz."""
    from aedetect.data.datasets import open_dataset

    TMP.mkdir(exist_ok=True)
    if not (TMP / "mnist.npz").exists():
        ds = open_dataset(str(data_dir / "mnist"))
        test = np.isin(ds.y_test, (1, 7))
        np.savez(TMP / "mnist.npz", train=ds.X_train[ds.y_train == 1], score=ds.X_train,
                 test=ds.X_test[test], y_test=(ds.y_test[test] == 7).astype(int))
    if not (TMP / "caltech.npz").exists():
        ds = open_dataset(str(data_dir / "caltech101"), image_size=(96, 96), color="rgb")
        names = ds.class_names
        planes, bikes = np.flatnonzero(ds.y_train == names.index("airplanes")), \
            np.flatnonzero(ds.y_train == names.index("Motorbikes"))
        X = np.asarray(ds.X_train[np.r_[planes, bikes]])
        np.savez(TMP / "caltech.npz", train=X[:len(planes)], score=np.concatenate([X] * 4), test=X,
                 y_test=np.r_[np.zeros(len(planes), int), np.ones(len(bikes), int)])


def split(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from aedetect.data.splits import train_validation_split

    return train_validation_split(n, 0.1, seed)


def run_one(cfg: dict) -> dict:
    """One implementation on one data set and model; returns its numbers."""
    import torch
    from sklearn.metrics import roc_auc_score

    arrays = np.load(TMP / f"{cfg['data']}.npz")
    X, X_score, X_test, y_test = arrays["train"], arrays["score"], arrays["test"], arrays["y_test"]
    family, options = MODELS[cfg["data"]][cfg["model"]]
    if options is None:
        from aedetect.presets import preset_params

        options = preset_params(PRESET[cfg["data"]])["model_options"]
    epochs, batch = cfg["epochs"], cfg["batch_size"]
    tr, va = split(len(X))
    out = {**cfg, "n_train": len(tr), "n_score": len(X_score), "torch_threads": torch.get_num_threads()}
    warm = X[:512]  # every implementation first runs one short epoch untimed (library and CPU warm-up)

    if cfg["impl"].startswith("aedetect"):
        from aedetect import AutoencoderDetector

        precision = "bfloat16" if cfg["impl"] == "aedetect-bf16" else "float32"
        AutoencoderDetector(model=family, model_options=options, epochs=1, batch_size=batch, verbose=0,
                            device="cpu", precision=precision).fit(warm).anomaly_score(warm)
        det = AutoencoderDetector(model=family, model_options=options, epochs=epochs, batch_size=batch,
                                  random_state=0, verbose=0, device="cpu", precision=precision).fit(X)
        h = det.history_
        out.update(train_s=h["seconds"], val_loss=h["val_loss"], elapsed=h["elapsed"])
        start = time.perf_counter()
        det.anomaly_score(X_score)
        out["score_s"] = time.perf_counter() - start
        out["auroc"] = roc_auc_score(y_test, det.anomaly_score(X_test))
        if cfg.get("onnx"):
            import onnxruntime as ort

            from aedetect.export import export_onnx

            export_onnx(det, TMP / "model.onnx")
            session = ort.InferenceSession(str(TMP / "model.onnx"), providers=["CPUExecutionProvider"])
            size = max(batch, min(4096, 2**22 // int(np.prod(X.shape[1:]))))
            start = time.perf_counter()
            onnx_scores = [session.run(None, {"x": X_score[i:i + size].astype(np.float32)})[0]
                           for i in range(0, len(X_score), size)]
            out["onnx_score_s"] = time.perf_counter() - start
            out["onnx_max_abs_diff"] = float(np.abs(np.concatenate(onnx_scores)[:len(X_test)] -
                                                    det.anomaly_score(X_score[:len(X_test)])).max())
    elif cfg["impl"] == "notebook":
        from torch.utils.data import DataLoader, TensorDataset

        from aedetect.models import build_model

        def tensor(a):  # (N, H, W[, C]) uint8 -> float32 (N, C, H, W) or (N, D) in [0, 1]
            t = torch.tensor(a, dtype=torch.float32) / 255.0
            if family == "dense_ae":
                return t.reshape(len(t), -1)
            return t.unsqueeze(1) if t.ndim == 3 else t.permute(0, 3, 1, 2)

        def one_epoch(model, opt, loader):
            model.train()
            for (xb,) in loader:
                xb = xb.to("cpu")
                loss = model.loss(xb)
                opt.zero_grad()
                loss.backward()
                opt.step()

        shape = tuple(tensor(warm[:1]).shape[1:])
        model = build_model(family, shape, options)
        one_epoch(model, torch.optim.Adam(model.parameters()), DataLoader(TensorDataset(tensor(warm)),
                                                                          batch_size=batch, shuffle=True))
        torch.manual_seed(0)
        start = time.perf_counter()
        train_t, val_t = tensor(X[tr]), tensor(X[va])
        model = build_model(family, shape, options)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loader = DataLoader(TensorDataset(train_t), batch_size=batch, shuffle=True)
        val_loss, elapsed = [], []
        for _ in range(epochs):
            one_epoch(model, opt, loader)
            model.eval()
            with torch.no_grad():
                val_loss.append(float(sum(model.loss(xb) * len(xb) for (xb,) in
                                          DataLoader(TensorDataset(val_t), batch_size=batch)) / len(val_t)))
            elapsed.append(time.perf_counter() - start)
        out.update(train_s=elapsed[-1], val_loss=val_loss, elapsed=elapsed)

        def scores(a):
            with torch.no_grad():
                return torch.cat([model.reconstruction_error(xb.to("cpu")) for (xb,) in
                                  DataLoader(TensorDataset(tensor(a)), batch_size=batch)]).numpy()

        start = time.perf_counter()
        scores(X_score)
        out["score_s"] = time.perf_counter() - start
        out["auroc"] = roc_auc_score(y_test, scores(X_test))
    else:  # pyod
        from pyod.models.auto_encoder import AutoEncoder

        flat = (X[tr].reshape(len(tr), -1) / 255.0).astype(np.float32)
        AutoEncoder(epoch_num=1, batch_size=batch, verbose=0, device="cpu").fit(flat[:512])
        model = AutoEncoder(epoch_num=epochs, batch_size=batch, verbose=0, random_state=0, device="cpu")
        start = time.perf_counter()
        model.fit(flat)
        out["train_s"] = time.perf_counter() - start
        score_flat = (X_score.reshape(len(X_score), -1) / 255.0).astype(np.float32)
        start = time.perf_counter()
        model.decision_function(score_flat)
        out["score_s"] = time.perf_counter() - start
        out["auroc"] = roc_auc_score(y_test, model.decision_function(
            (X_test.reshape(len(X_test), -1) / 255.0).astype(np.float32)))
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started (VmHWM: unlike ru_maxrss, not
    inherited from the parent through fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stream(n: int, epochs: int) -> dict:
    """Score ``n`` synthetic 28x28 uint8 samples from a .npy file with `aedetect score`,
    writing the CSV as it goes; the peak RSS of that process."""
    from aedetect import AutoencoderDetector

    rng = np.random.default_rng(0)
    path = TMP / f"stream-{n}.npy"
    if not path.exists():
        big = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, 28, 28))
        for i in range(0, n, 100_000):
            big[i:i + 100_000] = rng.integers(0, 256, (min(100_000, n - i), 28, 28), dtype=np.uint8)
        big.flush()
        del big
    arrays = np.load(TMP / "mnist.npz")
    AutoencoderDetector(model="dense_ae", model_options={"hidden": [400], "latent": 20}, epochs=epochs,
                        batch_size=128, verbose=0, random_state=0).fit(arrays["train"]).save(
                            TMP / "stream-model")
    command = [sys.executable, "-m", "aedetect", "score", str(TMP / "stream-model"), str(path), "--out",
               str(TMP / "stream.csv")]
    seconds, peak_rss_mb = run_measured(command)
    with open(TMP / "stream.csv") as f:
        rows = sum(1 for _ in f) - 1
    return {"samples": n, "file_mb": path.stat().st_size / 2**20, "rows_written": rows, "seconds": seconds,
            "peak_rss_mb": peak_rss_mb}


def table(runs: list[dict]) -> list[str]:
    lines = ["**Training and scoring, side by side** (training samples/s over all epochs; scoring "
             "samples/s; ratios: aedetect over the other)", "",
             "| data | model | implementation | train samples/s | train s | ratio | val loss | AUROC | "
             "score samples/s | ratio | peak RSS MB |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for data in ("mnist", "caltech"):
        for model in ("dense", "conv", "pyod-net"):
            group = {r["impl"]: r for r in runs if r["data"] == data and r["model"] == model}
            if "aedetect" not in group:
                continue
            ours = group["aedetect"]
            for impl in IMPLS:
                r = group.get(impl)
                if r is None:
                    continue
                train_rate = r["n_train"] * r["epochs"] / r["train_s"]
                score_rate = r["n_score"] / r["score_s"]
                ours_train = ours["n_train"] * ours["epochs"] / ours["train_s"]
                ours_score = ours["n_score"] / ours["score_s"]
                ratio = "" if impl == "aedetect" else f"{ours_train / train_rate:.2f}x"
                sratio = "" if impl == "aedetect" else f"{ours_score / score_rate:.2f}x"
                val = f"{r['val_loss'][-1]:.5f}" if r.get("val_loss") else "-"
                lines.append(f"| {data} | {model} | {impl} | {train_rate:,.0f} | {r['train_s']:.1f} | "
                             f"{ratio} | {val} | {r['auroc']:.4f} | {score_rate:,.0f} | {sratio} | "
                             f"{r['peak_rss_mb']:,.0f} |")
            if "onnx_score_s" in ours:
                lines.append(f"| {data} | {model} | aedetect model in onnxruntime | | | | | | "
                             f"{ours['n_score'] / ours['onnx_score_s']:,.0f} | | (max abs diff "
                             f"{ours['onnx_max_abs_diff']:.1e}) |")
            nb = group.get("notebook")
            if nb:
                target = nb["val_loss"][-1]
                reached = [t for t, v in zip(ours["elapsed"], ours["val_loss"]) if v <= target]
                when = f"{reached[0]:.1f} s" if reached else "not reached"
                lines.append(f"| {data} | {model} | time to val loss {target:.5f} (the notebook's last) | "
                             f"aedetect {when}, notebook {nb['elapsed'][-1]:.1f} s | | | | | | | |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("AEDETECT_DATA", "../shared/data"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--only", nargs="*", default=None, help="data:model pairs, e.g. mnist:dense")
    parser.add_argument("--stream", type=int, default=1_000_000,
                        help="samples for the streaming run (0: skip)")
    parser.add_argument("--bf16", action="store_true",
                        help="also run aedetect with precision='bfloat16' (training and scoring)")
    parser.add_argument("--name", default="speed", help="result file name (benchmarks/results/NAME.md)")
    parser.add_argument("--run", help=argparse.SUPPRESS)  # internal: one configuration as JSON
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(json.loads(args.run))))
        return
    prepare(Path(args.data))
    runs = []
    pairs = args.only or [f"{d}:{m}" for d in ("mnist", "caltech") for m in ("dense", "conv", "pyod-net")]
    for pair in pairs:
        data, model = pair.split(":")
        for impl in IMPLS:
            if (impl == "pyod" and model != "dense") or (impl == "notebook" and model == "pyod-net"):
                continue  # PyOD's AutoEncoder runs once per data set, shown beside each model
            if impl == "aedetect-bf16" and not args.bf16:
                continue
            cfg = {"data": data, "model": model, "impl": impl, "epochs": args.epochs,
                   "batch_size": args.batch_size, "onnx": impl == "aedetect"}
            proc = subprocess.run([sys.executable, __file__, "--run", json.dumps(cfg)], capture_output=True,
                                  text=True)
            if proc.returncode:
                raise RuntimeError(proc.stderr[-3000:])
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(f"{pair} {impl}: {runs[-1]['train_s']:.1f} s training, "
                  f"{runs[-1]['score_s']:.2f} s scoring, "
                  f"AUROC {runs[-1]['auroc']:.4f}", file=sys.stderr)
    runs += [{**r, "model": m} for r in runs if r["impl"] == "pyod" for m in ("conv", "pyod-net")]
    lines = table(runs)
    streamed = stream(args.stream, args.epochs) if args.stream else None
    if streamed:
        lines += ["", f"**Streaming**: `aedetect score` of {streamed['samples']:,} synthetic 28x28 uint8 "
                  f"samples from a {streamed['file_mb']:,.0f} MB .npy file (dense AE), "
                  f"{streamed['rows_written']:,} CSV "
                  f"rows written as it went: {streamed['seconds']:.1f} s "
                  f"({streamed['samples'] / streamed['seconds']:,.0f} samples/s including the CSV), peak RSS "
                  f"{streamed['peak_rss_mb']:,.0f} MB."]
    record = {"provenance": provenance([0]), "settings": vars(args), "runs": runs, "stream": streamed}
    write(args.name, record, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
