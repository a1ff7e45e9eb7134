"""Checkpoints of a training run: everything needed to continue it exactly as if it
had not stopped (weights, optimizer moments, random-number states, history).

A checkpoint folder holds ``checkpoint.safetensors`` (tensors) and
``checkpoint.json`` (the rest, plus what the caller needs to rebuild the run);
both name the epoch, so a pair from different moments is refused. Nothing is
unpickled.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import torch

from aedetect.errors import ModelFolderError
from aedetect.files import atomic_write, write_json

TENSORS, META = "checkpoint.safetensors", "checkpoint.json"


def save_checkpoint(folder: str | Path, state: dict, meta: dict) -> None:
    """Write ``state`` (from :func:`aedetect.training.train`) and ``meta`` to ``folder``."""
    from safetensors.torch import save_file

    folder = Path(folder)
    tensors = {f"model.{k}": v for k, v in state["model"].items()}
    tensors |= {f"best.{k}": v for k, v in state["best"].items()}
    tensors |= {"rng.torch": state["rng_torch"], "rng.generator": state["rng_generator"]}
    optimizers = []
    for i, opt in enumerate(state["optimizers"]):
        plain = {}
        for pid, values in opt["state"].items():
            for key, value in values.items():
                if isinstance(value, torch.Tensor):
                    tensors[f"opt.{i}.{pid}.{key}"] = value
                else:
                    plain[f"{pid}.{key}"] = value
        optimizers.append({"param_groups": opt["param_groups"], "plain": plain})
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    epoch = str(state["epoch"])
    atomic_write(folder / TENSORS, lambda p: save_file(tensors, str(p), metadata={"epoch": epoch}))
    write_json(folder / META, {"epoch": state["epoch"], "history": state["history"],
                               "best_loss": state["best_loss"], "waited": state["waited"],
                               "seconds": state["seconds"], "optimizers": optimizers, "meta": meta})


def load_checkpoint(folder: str | Path) -> tuple[dict, dict]:
    """(state, meta) of a checkpoint folder, for ``train(..., resume=state)``."""
    from safetensors import SafetensorError, safe_open

    folder = Path(folder)
    try:
        info = json.loads((folder / META).read_text())
        with safe_open(str(folder / TENSORS), framework="pt") as f:
            if f.metadata().get("epoch") != str(info["epoch"]):
                raise ModelFolderError(f"{folder}: the checkpoint's two files are from different epochs")
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safe_open has no items())
    except ModelFolderError:
        raise
    except (OSError, json.JSONDecodeError, KeyError, SafetensorError) as err:
        raise ModelFolderError(f"{folder}: no complete checkpoint to resume from ({err})") from err

    def part(prefix: str) -> dict:
        return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}

    optimizers = []
    for i, opt in enumerate(info["optimizers"]):
        state: dict = {}
        for key, value in [*part(f"opt.{i}.").items(), *opt["plain"].items()]:
            pid, name = key.split(".", 1)
            state.setdefault(int(pid), {})[name] = value
        optimizers.append({"state": state, "param_groups": opt["param_groups"]})
    state = {"epoch": info["epoch"], "history": info["history"], "best_loss": info["best_loss"],
             "waited": info["waited"], "seconds": info["seconds"], "model": part("model."),
             "best": part("best."), "optimizers": optimizers, "rng_torch": tensors["rng.torch"],
             "rng_generator": tensors["rng.generator"]}
    return state, info["meta"]


def run_record(params: dict, random_state: int | None, X: np.ndarray) -> dict:
    """What makes two training runs the same, checked before resuming: the parameters
    (``params``, without verbosity and device), the seed and a fingerprint of the data."""
    params = {k: v for k, v in params.items() if k not in ("verbose", "device")}
    ends = np.ascontiguousarray(np.concatenate([X[:64], X[-64:]]))
    seed = (int(random_state) if random_state is not None
            else int(np.random.SeedSequence().generate_state(1)[0] >> 1))
    return json.loads(json.dumps({"params": params, "seed": seed, "shape": list(X.shape),
                                  "dtype": str(X.dtype), "crc": zlib.crc32(ends.tobytes())}))
