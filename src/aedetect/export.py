"""Export a fitted detector as an ONNX model that outputs the per-sample anomaly score.

The exported graph takes ``x``: float32, shape (N, *input_shape_), in the units
the detector was fitted on (e.g. 0-255 for images fitted as uint8; cast them to
float32), and returns ``score``: float32, shape (N,), the detector's
``anomaly_score`` (higher = more anomalous). The input scaling and the
channel order travel inside the graph, so onnxruntime alone scores new data;
the threshold is written into the model's metadata (``threshold``,
``threshold_method``) for the caller to compare with. Scores match aedetect's
within 1e-5 (a score summing several standardised parts, model option
``score_parts``: within 1e-3 of a validation standard deviation).

With ``maps=True`` an image model's graph also returns ``map``: float32, shape (N, H, W), the
per-pixel anomaly map of ``anomaly_map`` (the kind, smoothing and map threshold the model folder
stores, the threshold in the metadata as ``map_threshold``).

For an audio model the graph scores stacked log-mel frames (or patches): the
feature extraction stays in :mod:`aedetect.data.audio`.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from aedetect.errors import InputError


class ScoreGraph(nn.Module):
    """Raw input (N, *input_shape_) -> anomaly score (N,), as ``anomaly_score``."""

    def __init__(self, detector, maps: dict | None = None):
        super().__init__()
        self.maps = maps  # kind and sigma of the map output, or None
        self.model = detector.model_
        self.score = detector.score_head_
        lo, hi = detector.input_range_
        # one float, or one per column
        self.register_buffer("lo", torch.tensor(np.asarray(lo, dtype=np.float32)))
        self.register_buffer("span", torch.tensor(np.asarray(hi - lo, dtype=np.float32)))
        self.rank = len(detector.input_shape_) + 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.lo) / self.span
        if self.rank == 3:
            x = x.unsqueeze(1)  # (N, H, W) -> (N, 1, H, W)
        elif self.rank == 4:
            x = x.permute(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)
        if self.maps is None:
            return self.score(self.model, x)
        return self.score(self.model, x), self.model.pixel_map(x, self.model(x), self.maps["kind"],
                                                               self.maps["sigma"])


def export_onnx(detector, path: str | Path, opset: int = 18, maps: bool = False) -> Path:
    """Write ``detector`` (an AutoencoderDetector or AudioDetector) to ``path`` as ONNX; with
    ``maps``, an image model's anomaly map as a second output."""
    import onnx

    from aedetect.files import atomic_write
    from aedetect.maps import stored_settings

    inner = getattr(detector, "detector_", detector)
    if not hasattr(inner, "model_"):
        raise InputError("this detector is not fitted yet: fit it or load a model folder first")
    if getattr(inner.model_.config, "score", "mean") != "mean":
        raise InputError(f"a VAE scored by sampling (score={inner.model_.config.score!r}) is random and "
                         "cannot be exported; refit or load it with model option score='mean'")
    stored = getattr(inner, "metadata_", {}).get("maps", {})
    if maps and (detector is not inner or len(inner.input_shape_) < 2):
        raise InputError("--maps needs an image model (fitted on (N, H, W) or (N, H, W, C) images)")
    map_settings = stored_settings(inner) if maps else None
    graph = ScoreGraph(inner, map_settings).to("cpu").eval()
    inner.model_.to("cpu")
    inner.score_head_.to("cpu")
    example = torch.rand(2, *inner.input_shape_) * torch.as_tensor(np.asarray(inner.input_range_[1],
                                                                               dtype=np.float32))
    batch = torch.export.Dim("batch", min=1)

    def write(tmp: Path) -> None:
        quiet = logging.getLogger("torch.onnx._internal.exporter._registration")  # torchvision ops notes
        level, quiet.level = quiet.level, logging.ERROR
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outputs = ["score", "map"] if maps else ["score"]
            program = torch.onnx.export(graph, (example,), input_names=["x"], output_names=outputs,
                                        dynamic_shapes=({0: batch},), opset_version=opset, dynamo=True,
                                        verbose=False)
        quiet.level = level
        model = program.model_proto
        onnx.checker.check_model(model)
        meta = {"threshold": repr(float(inner.threshold_)), "threshold_method": inner.threshold_method_,
                "producer": "aedetect", "input_shape": repr(list(inner.input_shape_))}
        if maps:
            meta.update(map_kind=map_settings["kind"], map_sigma=repr(map_settings["sigma"]))
            if "threshold" in stored:
                meta["map_threshold"] = repr(float(stored["threshold"]))
        if detector is not inner:  # audio: the graph scores frames; clips aggregate them
            meta.update(clip_threshold=repr(float(detector.threshold_)), clip_aggregate=detector.aggregate)
        for key, value in meta.items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, str(value)
        onnx.save(model, str(tmp))

    out = atomic_write(path, write)
    inner.model_.to(inner.device_)
    inner.score_head_.to(inner.device_)
    return out
