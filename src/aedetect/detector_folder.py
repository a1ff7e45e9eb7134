"""Reading an :class:`~aedetect.detector.AutoencoderDetector` back from its model folder
(:mod:`aedetect.folders`), including folders written by earlier versions."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

import aedetect.inputs as inputs
from aedetect.errors import InputError, ModelFolderError


def load_detector(cls, path: str | Path, device: str = "auto"):
    """The detector of class ``cls`` saved in folder ``path`` (see ``cls.load``)."""
    from safetensors import SafetensorError

    from aedetect.folders import read_config, read_tensors
    from aedetect.scoring.head import FORMAT1_BUFFERS

    config = read_config(path)
    try:
        params, fitted, model_cfg = config["params"], config["fitted"], config["model"]
        # folders saved before these options
        params = {"scaling": "global", "trim": 0.0, "precision": "float32", **params}
        known = set(cls().get_params())
        if set(params) != known:
            raise ModelFolderError(f"{Path(path) / 'config.json'}: unexpected parameters "
                                   f"{sorted(set(params) ^ known)}")
        det = cls(**{**params, "device": device})
        det.device_ = inputs.resolve_device(device)
        det.input_shape_ = tuple(fitted["input_shape_"])
        tensors = read_tensors(path)
        network = dict(model_cfg["config"])
        if config["format_version"] == 1:  # score statistics were buffers of the network
            network["score_parts"] = network.get("score_parts", ["reconstruction"])
            for old, new in FORMAT1_BUFFERS.items():
                if f"model.{old}" in tensors:
                    tensors[f"score.{new}"] = tensors.pop(f"model.{old}")
        else:
            network["score_parts"] = config["score"]["parts"]
            network["score_transforms"] = config["score"].get("transforms")
            network["score_log"] = config["score"].get("log", False)
        if model_cfg["name"] != params["model"]:
            raise ModelFolderError(f"{path}: the network is a {model_cfg['name']!r}, the parameters name "
                                   f"{params['model']!r}")
        if list(inputs.network_shape(det.input_shape_)) != list(model_cfg["input_shape"]):
            raise ModelFolderError(f"{path}: the network's input shape does not match the samples'")
        det._build(network)
        det.model_.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        det.score_head_.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("score.")})
        det.model_.eval()
        det.validation_scores_ = tensors["validation_scores"].numpy().astype(np.float64)
        det.n_features_in_ = math.prod(det.input_shape_)
        det.input_dtype_ = fitted["input_dtype_"]
        det.input_range_ = inputs.range_from_json(fitted["input_range_"])
        det.scaling_ = fitted.get("scaling_", "global")
        det.seed_ = fitted["seed_"]
        det.history_ = fitted["history_"]
        det.threshold_ = float(fitted["threshold_"])
        det.threshold_method_ = fitted["threshold_method_"]
        det.threshold_param_ = fitted["threshold_param_"]
        det.offset_ = -det.threshold_
        det.metadata_ = config.get("metadata", {})
    except ModelFolderError:
        raise
    except (OSError, KeyError, TypeError, RuntimeError, SafetensorError, InputError) as err:
        raise ModelFolderError(f"{path}: incomplete or damaged model folder ({err})") from err
    return det
